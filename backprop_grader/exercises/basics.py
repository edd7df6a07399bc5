"""The hidden tests of exercises 01-09 and the registry of every exercise (names as in the exercise contract).

Every builder receives `rng_for(test_name)`, a generator seeded from the grader's secret, and
draws fresh shapes and values: random cases, a batch of one, N-d inputs, zeros, the kink of
ReLU, inputs of ±1e4, one-hot and integer labels. Each class whose task is backward also gets a
large case (layer_tests.LARGE_LABEL): no credit for finite differences. Tolerances: 1e-7
relative error against the library's reference, 1e-6 against numerical gradients of the
reference (float64, central differences, h = 1e-5), computed here.
"""
from __future__ import annotations

import functools

import numpy as np

from backprop_lib import checks, datasets, functions, gradcheck, layers, network, nodes
from backprop_lib.gradcheck import roundoff_floor
from backprop_grader.language import N_, Message, _
from backprop_lib.network import TwoLayerNet
from backprop_grader.exercises.autodiff import EXERCISE as AUTODIFF
from backprop_grader.exercises.embedding import EXERCISE as EMBEDDING
from backprop_grader.exercises.layer_norm import EXERCISE as LAYER_NORM
from backprop_grader.exercises.max_pool import EXERCISE as MAX_POOL
from backprop_grader.exercises.gate import EXERCISE as GATE
from backprop_grader.exercises.hinge_loss import EXERCISE as HINGE_LOSS
from backprop_grader.exercises.logsumexp import EXERCISE as LOGSUMEXP
from backprop_grader.exercises.bug_accumulate import EXERCISE as BUG_ACCUMULATE
from backprop_grader.exercises.exp_log import EXERCISE as EXP_LOG
from backprop_grader.exercises.recompute import EXERCISE as RECOMPUTE
from backprop_grader.exercises.rnn import EXERCISE as RNN
from backprop_grader.exercises.vectorised import EXERCISE as VECTORISED
from backprop_grader.exercises.bugs import _bug_affine, _bug_network
from backprop_grader.exercises.deeper import _multilayer_net
from backprop_grader.exercises.derive import _divide, _max_gate, _softmax, _tanh
from backprop_grader.exercises.layer_tests import LARGE_HINT, Case, layer_tests
from backprop_grader.judging.verdicts import Check, accuracy_checks, expect
from backprop_grader.exercises.spec import Exercise, make_test, two_layer_inputs
from backprop_grader.exercises.steps import attr, call, lit, make_dict, net, save

# The library as exercises 08 and 09 ship it (their setup cells import from it), without training.
FULL_LIBRARY = (checks, datasets, functions, gradcheck, layers, network, nodes)


# Large cases: generic finite differences need two forward passes per entry (of x and of every
# parameter), so hundreds of thousands of passes here, minutes of CPU; backprop needs milliseconds.
LARGE = (400, 400)  # elementwise layers and nodes
LARGE_MATRIX = (200, 300, 200)  # N, D, M of MatMul and Affine


def away_from_zero(rng, shape, margin=1e-2):
    """Standard normal values with none closer to 0 than `margin` (ReLU's kink; a nudge of h
    across it would make the numerical gradient meaningless)."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-300) * margin * 2, x)


def _dims(rng, low=2, high=5):
    return int(rng.integers(low, high + 1))


# --- 01: the forward values of the apples-and-oranges graph ------------------------------

def _shopping(rng_for):
    rng = rng_for("shopping")
    # no fixed case (such as the notes' 100, 2, 150, 3, 1.1): its answer is known in advance
    cases = {N_("random prices, small quantities"): (float(rng.uniform(1, 500)), float(rng.integers(1, 5)),
                                                 float(rng.uniform(1, 500)), float(rng.integers(1, 5)),
                                                 float(rng.uniform(1.0, 1.3))),
             N_("random prices and quantities"): (float(rng.uniform(1, 500)), float(rng.integers(1, 20)),
                                              float(rng.uniform(1, 500)), float(rng.integers(1, 20)),
                                              float(rng.uniform(1.0, 1.3))),
             N_("prices in cents, no tax"): (round(float(rng.uniform(0.5, 5)), 2), float(rng.integers(1, 50)),
                                         round(float(rng.uniform(0.5, 5)), 2), float(rng.integers(1, 50)), 1.0)}
    names = ["apple_total", "orange_total", "subtotal", "total"]
    tests = []
    for label, args in cases.items():
        def judge(outputs, args=args):
            apple_price, apple_num, orange_price, orange_num, tax = args
            apple_total, orange_total = apple_price * apple_num, orange_price * orange_num
            expected = [apple_total, orange_total, apple_total + orange_total,
                        (apple_total + orange_total) * tax]
            return [expect(outputs, n, e) for n, e in zip(names, expected)]
        steps = [call(None, "shopping_forward", *[lit(a) for a in args], out=names)]
        tests.append(make_test(Message(N_("shopping_forward [{case}]"), case=label),
                               2, steps, {}, judge, ["shopping_forward"], kind="shopping_forward"))
    return tests


# --- 02-06: layer classes -----------------------------------------------------------------

def _mul_add(rng_for):
    tests = []
    for cls, reference in (("MulLayer", nodes.MulLayer), ("AddLayer", nodes.AddLayer)):
        rng = rng_for(cls)
        shape = (_dims(rng), _dims(rng))
        cases = [Case(Message(N_("arrays of shape {shape}"), shape=shape), [], {"x": rng.standard_normal(shape),
                      "y": rng.standard_normal(shape)}, rng.standard_normal(shape)),
                 Case(N_("scalars"), [], {"x": np.array(rng.uniform(1, 200)), "y": np.array(rng.uniform(1, 5))},
                      np.array(rng.uniform(0.5, 2)), gradcheck=False)]
        large = Case("", [], {"x": rng.standard_normal(LARGE), "y": rng.standard_normal(LARGE)},
                     rng.standard_normal(LARGE))
        tests += layer_tests(cls, reference, cases, large=large)
    return tests


NEGATIVE_AXIS_HINT = N_("axis may be negative, as in numpy: -1 is the last axis (axis % x.ndim gives its index).")


def _repeat_sum(rng_for):
    rng = rng_for("Repeat")
    repeat_cases = []
    for axis, ndim in ((0, 2), (1, 3), (-1, 2)):
        x = rng.standard_normal(tuple(_dims(rng) for _ in range(ndim)))
        repeats = _dims(rng, 2, 4)
        out_shape = np.repeat(x, repeats, axis=axis).shape
        repeat_cases.append(Case(Message(N_("axis={axis}, repeats={repeats}, x of shape {shape}"), axis=axis,
                                         repeats=repeats, shape=x.shape),
                                 [("axis", axis), ("repeats", repeats)], {"x": x},
                                 rng.standard_normal(out_shape), gradcheck=axis == 1,
                                 hint=NEGATIVE_AXIS_HINT if axis < 0 else ""))
    rng = rng_for("Sum")
    sum_cases = []
    for axis, ndim in ((0, 2), (1, 3), (-1, 2)):
        x = rng.standard_normal(tuple(_dims(rng) for _ in range(ndim)))
        out_shape = np.sum(x, axis=axis, keepdims=True).shape
        sum_cases.append(Case(Message(N_("axis={axis}, x of shape {shape}"), axis=axis, shape=x.shape),
                              [("axis", axis)], {"x": x},
                              rng.standard_normal(out_shape), gradcheck=axis == 1,
                              hint=NEGATIVE_AXIS_HINT if axis < 0 else ""))
    x = rng.standard_normal(LARGE)
    large_repeat = Case("", [("axis", 1), ("repeats", 2)], {"x": x}, rng.standard_normal((LARGE[0], 2 * LARGE[1])))
    large_sum = Case("", [("axis", 0)], {"x": x}, rng.standard_normal((1, LARGE[1])))
    return (layer_tests("Repeat", nodes.Repeat, repeat_cases, large=large_repeat)
            + layer_tests("Sum", nodes.Sum, sum_cases, large=large_sum))


def _matmul(rng_for):
    rng = rng_for("MatMul")
    D, M = _dims(rng), _dims(rng)
    W = rng.standard_normal((D, M))
    cases = []
    for label, N in ((N_("random batch"), _dims(rng, 3, 7)), (N_("batch of one"), 1)):
        cases.append(Case(Message(N_("{case}, x {N}x{D}, W {D}x{M}"), case=label, N=N, D=D, M=M),
                          [("W", W)], {"x": rng.standard_normal((N, D))},
                          rng.standard_normal((N, M)), gradcheck=N > 1))
    N = _dims(rng, 3, 6)
    x = rng.standard_normal((N, D))
    x[::2] = 0  # zero rows: their outputs are 0, the others are not, so all-zero answers fail
    cases.append(Case(Message(N_("x with zero rows, {N}x{D}"), N=N, D=D),
                      [("W", W)], {"x": x}, rng.standard_normal((N, M)),
                      gradcheck=False))
    N, D, M = LARGE_MATRIX
    large = Case("", [("W", rng.standard_normal((D, M)))], {"x": rng.standard_normal((N, D))},
                 rng.standard_normal((N, M)))
    return layer_tests("MatMul", layers.MatMul, cases, params=("W",), large=large)


KINK_HINT = N_("at x = 0 exactly, the course's convention is a gradient of 0 (1 where x > 0, 0 where x <= 0, "
               "as in chapter 5); tiny positive inputs still pass the gradient through.")
OVERFLOW_HINT = N_("the inputs here reach ±1e4: computing sigmoid must not overflow (no RuntimeWarning), as the "
                   "notebook's check at ±1000 asks; see the task's hint on the two equal forms of sigmoid.")


def _at_the_kink(rng, shape):
    """Exact zeros (both signs) and tiny values on both sides of ReLU's kink, in random places."""
    values = np.array([0.0, -0.0, 1e-300, -1e-300, 1e-12, -1e-12, 5e-324, 1.0, -1.0])
    return rng.permutation(np.resize(values, int(np.prod(shape)))).reshape(shape)


def _activations(rng_for):
    rng = rng_for("Relu")
    relu_cases = [Case(N_("random (N, D)"), [], {"x": away_from_zero(rng, (_dims(rng, 3, 6), _dims(rng)))}, None),
                  Case(N_("3-d input"), [], {"x": away_from_zero(rng, (2, 3, _dims(rng)))}, None),
                  Case(N_("batch of one"), [], {"x": away_from_zero(rng, (1, _dims(rng)))}, None, gradcheck=False),
                  Case(N_("x = 0 and tiny values"), [], {"x": _at_the_kink(rng, (3, 6))}, None, gradcheck=False,
                       hint=KINK_HINT),
                  Case(N_("large values ±1e3"), [], {"x": away_from_zero(rng, (3, 4)) * 1e3}, None, gradcheck=False)]
    rng = rng_for("Sigmoid")
    extremes = rng.permutation(np.resize([1e4, -1e4, 1e3, -1e3, 745.5, -745.5, 0.0], 12)).reshape(3, 4)
    sigmoid_cases = [Case(N_("random (N, D)"), [], {"x": rng.standard_normal((_dims(rng, 3, 6), _dims(rng)))}, None),
                     Case(N_("3-d input"), [], {"x": rng.standard_normal((2, 3, _dims(rng)))}, None, gradcheck=False),
                     Case(N_("batch of one"), [], {"x": rng.standard_normal((1, _dims(rng)))}, None, gradcheck=False),
                     Case(N_("inputs of ±1e3..1e4"), [],
                          {"x": rng.choice([-1, 1], (3, 4)) * rng.uniform(1e3, 1e4, (3, 4))}, None,
                          gradcheck=False, strict=True, hint=OVERFLOW_HINT),
                     Case(N_("inputs of exactly ±1e4, ±1e3, ±745.5 and 0"), [], {"x": extremes}, None,
                          gradcheck=False, strict=True, hint=OVERFLOW_HINT)]
    relu_large = Case("", [], {"x": away_from_zero(rng, LARGE)}, None)
    sigmoid_large = Case("", [], {"x": rng.standard_normal(LARGE)}, None)
    for case in relu_cases + sigmoid_cases + [relu_large, sigmoid_large]:  # dout has the shape of y = x
        case.dout = rng.standard_normal(case.inputs["x"].shape)
    return (layer_tests("Relu", layers.Relu, relu_cases, large=relu_large)
            + layer_tests("Sigmoid", layers.Sigmoid, sigmoid_cases, large=sigmoid_large))


AFFINE_ND_HINT = N_("x may have more than two dimensions (N, d1, d2, ...): flatten it with "
                    "x.reshape(x.shape[0], -1) in forward, and reshape dx back to x's shape in backward.")


def _affine(rng_for):
    rng = rng_for("Affine")
    M = _dims(rng)
    cases = []
    for label, x_shape, gradcheck, hint in ((N_("random batch"), (_dims(rng, 3, 6), _dims(rng)), True, ""),
                                            (N_("N-d input (N, 2, 3)"), (_dims(rng), 2, 3), True, AFFINE_ND_HINT),
                                            (N_("batch of one"), (1, _dims(rng)), False, "")):
        D = int(np.prod(x_shape[1:]))
        W, b = rng.standard_normal((D, M)), rng.standard_normal(M)
        cases.append(Case(Message(N_("{case}, x of shape {shape}"), case=label, shape=x_shape), [("W", W), ("b", b)],
                          {"x": rng.standard_normal(x_shape)}, rng.standard_normal((x_shape[0], M)),
                          gradcheck=gradcheck, hint=hint))
    N, D, M = LARGE_MATRIX
    large = Case("", [("W", rng.standard_normal((D, M))), ("b", rng.standard_normal(M))],
                 {"x": rng.standard_normal((N, D))}, rng.standard_normal((N, M)))
    return layer_tests("Affine", layers.Affine, cases, params=("W", "b"), large=large)


# --- 07: softmax, cross-entropy, SoftmaxWithLoss --------------------------------------------

def _function_test(name, label, inputs, reference, points, *, tol=1e-7, strict=False, hint=""):
    steps = [call(None, name, *inputs, out=["y"], strict=strict)]

    def judge(outputs):
        return [expect(outputs, "y", reference(*[np.copy(v) for v in inputs.values()]),
                       label=_("{function} output").format(function=name), tol=tol)]
    return make_test(Message(N_("{function} [{case}]"), function=name, case=label),
                     points, steps, dict(inputs), judge, [name], hint, kind=name)


LARGE_LOGITS_HINT = N_("subtract each row's maximum before np.exp, so that no exp overflows (no RuntimeWarning).")


def _one_hot(labels, n_classes):
    return np.eye(n_classes)[labels]


def _softmax_with_loss(rng_for):
    rng = rng_for("softmax")
    N, C = _dims(rng, 3, 6), _dims(rng, 3, 6)
    large = rng.standard_normal((N, C)) * rng.uniform(1e3, 1e4)
    tests = [_function_test("softmax", label, {"x": x}, functions.softmax, 1, strict=huge,
                            hint=LARGE_LOGITS_HINT if huge else "")
             for label, x, huge in ((N_("random logits (N, C)"), rng.standard_normal((N, C)), False),
                                    (N_("large logits ±1e3..1e4"), large, True),
                                    (N_("one row (C,)"), rng.standard_normal(C), False))]
    rng = rng_for("cross_entropy_error")
    # probabilities of at least a few percent: the notes' log(y + 1e-7) then stays within the tolerance
    y = functions.softmax(0.5 * rng.standard_normal((N, C)))
    labels = rng.integers(0, C, N)
    for label, y_, t in ((N_("one-hot labels"), y, _one_hot(labels, C)), (N_("integer labels"), y, labels),
                         (N_("batch of one"), y[:1], labels[:1])):
        tests.append(_function_test("cross_entropy_error", label, {"y": y_, "t": t},
                                    functions.cross_entropy_error, 1, tol=1e-5))
    rng = rng_for("SoftmaxWithLoss")
    cases = []
    for label, x, integer, huge in ((N_("one-hot labels"), rng.standard_normal((N, C)), False, False),
                                    (N_("integer labels"), rng.standard_normal((N + 1, C)), True, False),
                                    (N_("batch of one"), rng.standard_normal((1, C)), True, False),
                                    (N_("large logits ±1e3..1e4"), large, False, True)):
        t = rng.integers(0, C, x.shape[0])
        hint = LARGE_LOGITS_HINT if huge else (
            N_("t may be integer labels of shape (N,) as well as one-hot rows (N, C).") if integer else "")
        cases.append(Case(label, [], {"x": x}, 1, constants={"t": t if integer else _one_hot(t, C)},
                          gradcheck=not huge and x.shape[0] > 1, forward_tol=1e-5,
                          forward_check=_large_loss_message if huge else None, strict=huge, hint=hint))
    big = Case("", [], {"x": rng.standard_normal((400, 300))}, 1, constants={"t": rng.integers(0, 300, 400)})
    return tests + layer_tests("SoftmaxWithLoss", layers.SoftmaxWithLoss, cases, large=big)


def _large_loss_message(label, found, expected):
    """For huge logits the loss need only be finite and large: clipping log's argument (at 1e-7 as
    in the notes, or at 1e-300) is accepted, so any value in [min(exact, -log 1e-7), exact] passes."""
    found = np.asarray(found, dtype=np.float64)
    low = min(float(expected), -np.log(1e-7)) * (1 - 1e-6)
    if found.shape != ():
        return _("{name} has shape {shape}; expected a single number (the mean loss).").format(
            name=label, shape=found.shape)
    if not np.isfinite(found) or not low <= found <= float(expected) * (1 + 1e-6):
        return checks.with_hint(_("{name} is {found}; expected a finite loss between {low} and the exact {exact}.")
                                .format(name=label, found=f"{float(found):.6g}", low=f"{low:.6g}",
                                        exact=f"{float(expected):.6g}"),
                                _("subtract the row maximum before np.exp, and never take log(0)."))
    return None


# --- 08: gradient(net, x, t) by walking the layers backwards -------------------------------

def _reference_net(sizes, params):
    network = TwoLayerNet(*sizes)
    for key, value in params.items():
        network.params[key][...] = value  # in place: the layers hold these very arrays
    return network


LARGE_NET = (784, 50, 10, 100)  # D, H, C, N: finite differences over 40,000 parameters take minutes


def _two_layer_gradient(rng_for):
    keys = ("W1", "b1", "W2", "b2")
    tests, requires = [], None
    # (seed, label, N, one_hot, numerical: also against central differences of the reference's loss)
    for seed, label, N, one_hot, numerical in (
            ("large network: backprop, not finite differences",
             N_("large network: backprop, not finite differences"), None, False, False),
            ("integer labels", N_("integer labels"), 6, False, True),
            ("one-hot labels", N_("one-hot labels"), 5, True, False),
            ("batch of one", N_("batch of one"), 1, False, False)):
        rng = rng_for(f"gradient {seed}")
        if N is None:
            *sizes, N = LARGE_NET
        else:
            sizes = (_dims(rng, 3, 5), _dims(rng, 4, 6), _dims(rng, 2, 4))
        params, x, t = two_layer_inputs(rng, sizes, N, one_hot)
        steps = [net("net", sizes, {k: k for k in keys}),
                 call(None, "gradient", "net", "x", "t", out_dict=("grads", keys))]

        @functools.cache  # the reference's gradients on this test's inputs: once, whatever the submissions
        def reference(sizes=sizes, params=params, x=x, t=t, numerical=numerical):
            network = _reference_net(sizes, params)
            expected = network.gradient(x, t)
            if not numerical:
                return expected, None, None
            return expected, network.numerical_gradient(x, t), roundoff_floor(network.loss(x, t))

        def judge(outputs, reference=reference, numerical=numerical):
            expected, numeric, floor = reference()
            checks = [expect(outputs, f"grads.{k}", expected[k], label=_("gradient {array}").format(array=k))
                      for k in keys]
            if numerical:  # and against central differences of the reference's loss
                checks += [expect(outputs, f"grads.{k}", numeric[k], label=_("gradient {array} (numerical)").format(
                    array=k), tol=1e-6, atol=floor) for k in keys]
            return checks
        tests.append(make_test(Message(N_("gradient [{case}]"), case=label),
                               4, steps, {**params, "x": x, "t": t}, judge, ["gradient"],
                               hint="" if requires else LARGE_HINT, requires=requires, kind="gradient"))
        requires = requires or tests[0]
    return tests


# --- 09: sgd_step and train on the spiral ---------------------------------------------------

TRAIN_SETTINGS = {"iters_num": 2000, "batch_size": 100, "learning_rate": 1.0}  # the notebook's defaults
TARGET_ACCURACY = 0.9


def _sgd_tests(rng_for):
    rng = rng_for("sgd_step")
    shapes = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}
    params = {k: rng.standard_normal(s) for k, s in shapes.items()}
    grads = {k: rng.standard_normal(s) for k, s in shapes.items()}
    learning_rate = float(rng.uniform(0.05, 0.5))
    expected = {k: params[k] - learning_rate * grads[k] for k in shapes}
    inputs = {**params, **{f"grad_{k}": g for k, g in grads.items()}}
    steps = [make_dict("params", {k: k for k in shapes}), make_dict("grads", {k: f"grad_{k}" for k in shapes}),
             call(None, "sgd_step", "params", "grads", lit(learning_rate)),
             save("params", "params", keys=list(shapes)), *[save(k, f"original_{k}") for k in shapes],
             *[save(f"grad_{k}", f"grads_after_{k}") for k in shapes]]

    def judge_update(outputs):
        return [expect(outputs, f"params.{k}", expected[k], label=f"params[{k!r}]") for k in shapes]

    def judge_in_place(outputs):
        checks = [expect(outputs, f"original_{k}", expected[k],
                         label=_("the array {array}").format(array=f"params[{k!r}]")) for k in shapes]
        hint = _("the arrays that were in params must hold the new values (the network's layers hold those very "
                 "arrays): change each array in place instead of putting a new one in the dict.")
        return [Check(c.label, c.message and (c.message if c.missing else checks.with_hint(c.message, hint)),
                      missing=c.missing, array=c.array) for c in checks]

    def judge_grads(outputs):
        failed = next((c for c in judge_update(outputs) if c.message), None)
        if failed:  # code that computes nothing must not earn this point
            return [Check(failed.label, _("not checked yet: this point counts once the new values are right, and "
                                          "{array} is not (see the test above).").format(array=failed.label),
                          missing=failed.missing, array=failed.array)]
        return [expect(outputs, f"grads_after_{k}", grads[k], label=_("{array} (unchanged)").format(
            array=f"grads[{k!r}]")) for k in shapes]
    return [make_test(N_("sgd_step [new values]"), 2, steps, inputs, judge_update, ["sgd_step"], kind="sgd_step"),
            make_test(N_("sgd_step [updates the arrays in place]"), 1, steps, inputs, judge_in_place, ["sgd_step"],
                      kind="sgd_step"),
            make_test(N_("sgd_step [leaves grads unchanged]"), 1, steps, inputs, judge_grads, ["sgd_step"],
                      kind="sgd_step")]


UPDATE_RULE = {"iters_num": 3, "batch_size": 10, "learning_rate": 0.5, "rows": 40}


def _update_rule_test(rng_for):
    """train on a set whose rows are all the same point: every minibatch, however it is drawn, is
    the same, so after 3 iterations the parameters must be exactly 3 reference SGD steps from the
    initial network (built as the task's code builds it)."""
    rng = rng_for("train update rule")
    seed, label = int(rng.integers(0, 2**31)), int(rng.integers(1, 3))
    u = UPDATE_RULE
    x_train = np.repeat(rng.standard_normal((1, 2)), u["rows"], axis=0)
    t_train = np.full(u["rows"], label)
    reference = TwoLayerNet(input_size=2, hidden_size=100, output_size=label + 1, weight_init_std=0.1, seed=seed)
    for _step in range(u["iters_num"]):
        grads = reference.gradient(x_train[:u["batch_size"]], t_train[:u["batch_size"]])
        for key in reference.params:
            reference.params[key] -= u["learning_rate"] * grads[key]
    keys = tuple(reference.params)
    steps = [call(None, "train", "x_train", "t_train", lit(u["iters_num"]), lit(u["batch_size"]),
                  lit(u["learning_rate"]), lit(seed), keep="net"),
             attr("net", "params", "params", keys=keys)]

    def judge(outputs):
        return [expect(outputs, f"params.{k}", reference.params[k],
                       label=_("{array} after {steps} SGD steps").format(array=f"net.params[{k!r}]",
                                                                          steps=u["iters_num"])) for k in keys]
    inputs = {"x_train": x_train, "t_train": t_train}
    return make_test(Message(N_("train takes {steps} SGD steps (every row of x_train the same point)"),
                             steps=u["iters_num"]), 2, steps, inputs, judge, ["train"],
                     hint=N_("train builds the network as given (seed=seed), then repeats iters_num times: a "
                             "minibatch, net.gradient on it, one sgd_step with learning_rate."))


def _train_test(rng_for, requires):
    from backprop_lib.datasets import make_spiral
    rng = rng_for("train")
    seeds = [int(s) for s in rng.integers(0, 2**31, 3)]
    x_train, t_train = make_spiral(100, 3, seed=seeds[0])
    x_test, t_test = make_spiral(100, 3, seed=seeds[1])
    s = TRAIN_SETTINGS
    steps = [call(None, "train", "x_train", "t_train", lit(s["iters_num"]), lit(s["batch_size"]),
                  lit(s["learning_rate"]), lit(seeds[2]), keep="net"),
             call("net", "predict", "x_test", out=["scores"])]

    def judge(outputs):
        return accuracy_checks(outputs, t_test, 3, TARGET_ACCURACY, _("train called with {arguments}").format(
            arguments=f"iters_num={s['iters_num']}, batch_size={s['batch_size']}, learning_rate={s['learning_rate']}"))
    inputs = {"x_train": x_train, "t_train": t_train, "x_test": x_test}
    return make_test(Message(N_("train reaches test accuracy >= {target} on the spiral"), target=TARGET_ACCURACY),
                     6, steps, inputs,
                     judge, ["train"], requires=requires)


def _sgd_training(rng_for):
    update_rule = _update_rule_test(rng_for)
    return _sgd_tests(rng_for) + [update_rule, _train_test(rng_for, update_rule)]


EXERCISES = {ex.id: ex for ex in [
    Exercise("01", "01_graph_forward", N_("Forward values of a computational graph"), ("shopping_forward",), _shopping),
    Exercise("02", "02_mul_add_layers", N_("Multiplication and addition nodes"), ("MulLayer", "AddLayer"), _mul_add),
    Exercise("03", "03_repeat_sum", N_("Repeat and sum nodes"), ("Repeat", "Sum"), _repeat_sum),
    Exercise("04", "04_matmul", N_("The MatMul layer"), ("MatMul",), _matmul),
    Exercise("05", "05_activations", N_("ReLU and sigmoid layers"), ("Relu", "Sigmoid"), _activations),
    Exercise("06", "06_affine", N_("The Affine layer"), ("Affine",), _affine),
    Exercise("07", "07_softmax_with_loss", N_("Softmax with cross-entropy loss"),
             ("softmax", "cross_entropy_error", "SoftmaxWithLoss"), _softmax_with_loss),
    Exercise("08", "08_two_layer_gradient", N_("Backpropagation through TwoLayerNet"), ("gradient",),
             _two_layer_gradient, library_modules=FULL_LIBRARY,
             disabled=(TwoLayerNet.gradient, TwoLayerNet.numerical_gradient)),
    Exercise("09", "09_sgd_training", N_("Training with minibatch SGD"), ("sgd_step", "train"), _sgd_training,
             library_modules=FULL_LIBRARY, cpu_seconds=10.0, wall_seconds=20.0),
    AUTODIFF,
    Exercise("11", "11_tanh", N_("Derive the tanh layer"), ("Tanh",), _tanh),
    Exercise("12", "12_max_gate", N_("Derive the max gate"), ("MaxGate",), _max_gate),
    Exercise("13", "13_divide", N_("Derive the division node"), ("DivideLayer",), _divide),
    Exercise("14", "14_softmax_jacobian", N_("Derive softmax through its Jacobian"), ("Softmax",), _softmax,
             library_modules=("functions", "gradcheck", "checks")),
    Exercise("15", "15_bug_affine", N_("Find the bug: an affine layer"), ("Affine",), _bug_affine),
    Exercise("16", "16_bug_network", N_("Find the bug: a two-layer network"), ("Relu", "SoftmaxWithLoss", "Network"),
             _bug_network, library_modules=("functions", "gradcheck", "layers", "checks")),
    Exercise("17", "17_multilayer_net", N_("A network of any depth"), ("MultiLayerNet",), _multilayer_net,
             library_modules=("functions", "gradcheck", "layers", "checks", "datasets"), cpu_seconds=10.0,
             wall_seconds=20.0),
    LAYER_NORM,
    EMBEDDING,
    MAX_POOL,
    HINGE_LOSS, LOGSUMEXP, GATE,
    BUG_ACCUMULATE,
    RNN,
    VECTORISED,
    RECOMPUTE,
    EXP_LOG,
]}
