"""The hidden tests of the nine exercises (names as in the exercise contract).

Every builder receives `rng_for(test_name)`, a generator seeded from the grader's secret, and
draws fresh shapes and values: random cases, a batch of one, N-d inputs, zeros, large logits.
Tolerances: 1e-7 relative error against the library's reference, 1e-6 against numerical
gradients of the learner's own forward (float64, central differences, h = 1e-5).
"""
from __future__ import annotations

import numpy as np

from backprop_lib import functions, layers, nodes
from backprop_lib.network import TwoLayerNet
from .exercises_bugs import _bug_affine, _bug_network
from .exercises_deeper import _multilayer_net
from .exercises_derive import _divide, _max_gate, _softmax, _tanh
from .layer_tests import Case, layer_tests
from .specs import Check, Exercise, call, expect, get, lit, make_dict, make_test, Missing, net, save

FULL_LIBRARY = ("functions", "gradcheck", "layers", "network", "nodes", "checks", "datasets")


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
    cases = {"the notes' example": (100.0, 2.0, 150.0, 3.0, 1.1),
             "random prices and quantities": (float(rng.uniform(1, 500)), float(rng.integers(1, 20)),
                                              float(rng.uniform(1, 500)), float(rng.integers(1, 20)),
                                              float(rng.uniform(1.0, 1.3))),
             "prices in cents, no tax": (round(float(rng.uniform(0.5, 5)), 2), float(rng.integers(1, 50)),
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
        tests.append(make_test(f"shopping_forward [{label}]", 2, steps, {}, judge, ["shopping_forward"]))
    return tests


# --- 02-06: layer classes -----------------------------------------------------------------

def _mul_add(rng_for):
    tests = []
    for cls, reference in (("MulLayer", nodes.MulLayer), ("AddLayer", nodes.AddLayer)):
        rng = rng_for(cls)
        shape = (_dims(rng), _dims(rng))
        cases = [Case("arrays of shape %s" % (shape,), [], {"x": rng.standard_normal(shape),
                      "y": rng.standard_normal(shape)}, rng.standard_normal(shape)),
                 Case("scalars", [], {"x": np.array(rng.uniform(1, 200)), "y": np.array(rng.uniform(1, 5))},
                      np.array(rng.uniform(0.5, 2)), gradcheck=False)]
        tests += layer_tests(cls, reference, cases)
    return tests


NEGATIVE_AXIS_HINT = "axis may be negative, as in numpy: -1 is the last axis (axis % x.ndim gives its index)."


def _repeat_sum(rng_for):
    rng = rng_for("Repeat")
    repeat_cases = []
    for axis, ndim in ((0, 2), (1, 3), (-1, 2)):
        x = rng.standard_normal(tuple(_dims(rng) for _ in range(ndim)))
        repeats = _dims(rng, 2, 4)
        out_shape = np.repeat(x, repeats, axis=axis).shape
        repeat_cases.append(Case(f"axis={axis}, repeats={repeats}, x of shape {x.shape}",
                                 [("axis", axis), ("repeats", repeats)], {"x": x},
                                 rng.standard_normal(out_shape), gradcheck=axis == 1,
                                 hint=NEGATIVE_AXIS_HINT if axis < 0 else ""))
    rng = rng_for("Sum")
    sum_cases = []
    for axis, ndim in ((0, 2), (1, 3), (-1, 2)):
        x = rng.standard_normal(tuple(_dims(rng) for _ in range(ndim)))
        out_shape = np.sum(x, axis=axis, keepdims=True).shape
        sum_cases.append(Case(f"axis={axis}, x of shape {x.shape}", [("axis", axis)], {"x": x},
                              rng.standard_normal(out_shape), gradcheck=axis == 1,
                              hint=NEGATIVE_AXIS_HINT if axis < 0 else ""))
    return layer_tests("Repeat", nodes.Repeat, repeat_cases) + layer_tests("Sum", nodes.Sum, sum_cases)


def _matmul(rng_for):
    rng = rng_for("MatMul")
    D, M = _dims(rng), _dims(rng)
    W = rng.standard_normal((D, M))
    cases = []
    for label, N in (("random batch", _dims(rng, 3, 7)), ("batch of one", 1)):
        cases.append(Case(f"{label}, x {N}x{D}, W {D}x{M}", [("W", W)], {"x": rng.standard_normal((N, D))},
                          rng.standard_normal((N, M)), gradcheck=N > 1))
    N = _dims(rng, 3, 6)
    x = rng.standard_normal((N, D))
    x[::2] = 0  # zero rows: their outputs are 0, the others are not, so all-zero answers fail
    cases.append(Case(f"x with zero rows, {N}x{D}", [("W", W)], {"x": x}, rng.standard_normal((N, M)),
                      gradcheck=False))
    return layer_tests("MatMul", layers.MatMul, cases, params=("W",))


def _activations(rng_for):
    rng = rng_for("Relu")
    relu_cases = [Case("random (N, D)", [], {"x": away_from_zero(rng, (_dims(rng, 3, 6), _dims(rng)))},
                       None),
                  Case("3-d input", [], {"x": away_from_zero(rng, (2, 3, _dims(rng)))}, None),
                  Case("large values ±1e3", [], {"x": away_from_zero(rng, (3, 4)) * 1e3}, None, gradcheck=False)]
    rng = rng_for("Sigmoid")
    sigmoid_cases = [Case("random (N, D)", [], {"x": rng.standard_normal((_dims(rng, 3, 6), _dims(rng)))}, None),
                     Case("3-d input", [], {"x": rng.standard_normal((2, 3, _dims(rng)))}, None, gradcheck=False),
                     Case("large inputs ±1e3..1e4", [],
                          {"x": rng.choice([-1, 1], (3, 4)) * rng.uniform(1e3, 1e4, (3, 4))}, None,
                          gradcheck=False)]
    for case in relu_cases + sigmoid_cases:  # dout has the shape of y = x
        case.dout = rng.standard_normal(case.inputs["x"].shape)
    return layer_tests("Relu", layers.Relu, relu_cases) + layer_tests("Sigmoid", layers.Sigmoid, sigmoid_cases)


AFFINE_ND_HINT = ("x may have more than two dimensions (N, d1, d2, ...): flatten it with "
                  "x.reshape(x.shape[0], -1) in forward, and reshape dx back to x's shape in backward.")


def _affine(rng_for):
    rng = rng_for("Affine")
    M = _dims(rng)
    cases = []
    for label, x_shape in (("random batch", (_dims(rng, 3, 6), _dims(rng))),
                           ("N-d input (N, 2, 3)", (_dims(rng), 2, 3)), ("batch of one", (1, _dims(rng)))):
        D = int(np.prod(x_shape[1:]))
        W, b = rng.standard_normal((D, M)), rng.standard_normal(M)
        cases.append(Case(f"{label}, x of shape {x_shape}", [("W", W), ("b", b)],
                          {"x": rng.standard_normal(x_shape)}, rng.standard_normal((x_shape[0], M)),
                          gradcheck=label != "batch of one",
                          hint=AFFINE_ND_HINT if "N-d" in label else ""))
    return layer_tests("Affine", layers.Affine, cases, params=("W", "b"))


# --- 07: softmax, cross-entropy, SoftmaxWithLoss --------------------------------------------

def _function_test(name, label, inputs, reference, points, *, tol=1e-7):
    steps = [call(None, name, *inputs, out=["y"])]

    def judge(outputs):
        return [expect(outputs, "y", reference(*[np.copy(v) for v in inputs.values()]),
                       label=f"{name} output", tol=tol)]
    return make_test(f"{name} [{label}]", points, steps, dict(inputs), judge, [name])


def _one_hot(labels, n_classes):
    return np.eye(n_classes)[labels]


def _softmax_with_loss(rng_for):
    rng = rng_for("softmax")
    N, C = _dims(rng, 3, 6), _dims(rng, 3, 6)
    large = rng.standard_normal((N, C)) * rng.uniform(1e3, 1e4)
    tests = [_function_test("softmax", label, {"x": x}, functions.softmax, 1)
             for label, x in (("random logits (N, C)", rng.standard_normal((N, C))),
                              ("large logits ±1e3..1e4", large), ("one row (C,)", rng.standard_normal(C)))]
    rng = rng_for("cross_entropy_error")
    # probabilities of at least a few percent: the notes' log(y + 1e-7) then stays within the tolerance
    y = functions.softmax(0.5 * rng.standard_normal((N, C)))
    labels = rng.integers(0, C, N)
    for label, t in (("one-hot labels", _one_hot(labels, C)), ("integer labels", labels)):
        tests.append(_function_test("cross_entropy_error", label, {"y": y, "t": t},
                                    functions.cross_entropy_error, 1, tol=1e-5))
    rng = rng_for("SoftmaxWithLoss")
    cases = []
    for label, x, integer in (("one-hot labels", rng.standard_normal((N, C)), False),
                              ("integer labels", rng.standard_normal((N + 1, C)), True),
                              ("large logits ±1e3..1e4", large, False)):
        t = rng.integers(0, C, x.shape[0])
        cases.append(Case(label, [], {"x": x}, 1, constants={"t": t if integer else _one_hot(t, C)},
                          gradcheck="large" not in label, forward_tol=1e-5,
                          forward_check=_large_loss_message if "large" in label else None,
                          hint="t may be integer labels of shape (N,) as well as one-hot rows (N, C)."
                          if integer else ""))
    return tests + layer_tests("SoftmaxWithLoss", layers.SoftmaxWithLoss, cases)


def _large_loss_message(label, found, expected):
    """For huge logits the loss need only be finite and large: clipping log's argument (at 1e-7 as
    in the notes, or at 1e-300) is accepted, so any value in [min(exact, -log 1e-7), exact] passes."""
    found = np.asarray(found, dtype=np.float64)
    low = min(float(expected), -np.log(1e-7)) * (1 - 1e-6)
    if found.shape != ():
        return f"{label} has shape {found.shape}; expected a single number (the mean loss)."
    if not np.isfinite(found) or not low <= found <= float(expected) * (1 + 1e-6):
        return (f"{label} is {float(found):.6g}; expected a finite loss between {low:.6g} and the exact "
                f"{float(expected):.6g}. Hint: subtract the row maximum before np.exp, and never take log(0).")
    return None


# --- 08: gradient(net, x, t) by walking the layers backwards -------------------------------

def _net_inputs(rng, sizes, N, one_hot):
    """Parameters and a batch for which no hidden pre-activation sits near ReLU's kink."""
    D, H, C = sizes
    while True:
        params = {"W1": rng.standard_normal((D, H)) * 0.5, "b1": rng.standard_normal(H) * 0.1,
                  "W2": rng.standard_normal((H, C)) * 0.5, "b2": rng.standard_normal(C) * 0.1}
        x = rng.standard_normal((N, D))
        if np.min(np.abs(x @ params["W1"] + params["b1"])) > 1e-3:
            break
    t = rng.integers(0, C, N)
    return params, x, _one_hot(t, C) if one_hot else t


def _reference_net(sizes, params):
    network = TwoLayerNet(*sizes)
    for key, value in params.items():
        network.params[key][...] = value  # in place: the layers hold these very arrays
    return network


MAX_FORWARD_PASSES = 3  # a learner may call net.loss more than once; finite differences need 2 per parameter


def _two_layer_gradient(rng_for):
    keys = ("W1", "b1", "W2", "b2")
    tests = []
    for label, N, one_hot in (("integer labels", 6, False), ("one-hot labels", 5, True), ("batch of one", 1, False)):
        rng = rng_for(f"gradient {label}")
        sizes = (_dims(rng, 3, 5), _dims(rng, 4, 6), _dims(rng, 2, 4))
        params, x, t = _net_inputs(rng, sizes, N, one_hot)
        steps = [net("net", sizes, {k: k for k in keys}),
                 call(None, "gradient", "net", "x", "t", out_dict=("grads", keys)),
                 save("net_forward_calls", "net_forward_calls")]

        def judge(outputs, sizes=sizes, params=params, x=x, t=t, label=label):
            network = _reference_net(sizes, params)
            expected = network.gradient(x, t)
            passes = int(np.max(outputs.get("net_forward_calls", np.zeros(1))))
            if passes > MAX_FORWARD_PASSES:
                return [Check("backprop", f"gradient ran the layers forward {passes} times; backprop needs one "
                                          f"forward and one backward pass. Numerical gradients are the check, "
                                          f"not the answer: walk net.layers backwards from net.last_layer.")]
            checks = [expect(outputs, f"grads.{k}", expected[k], label=f"gradient {k}") for k in keys]
            if label == "integer labels":  # and the reference itself against central differences
                numeric = network.numerical_gradient(x, t)
                checks += [expect(outputs, f"grads.{k}", numeric[k], label=f"gradient {k} (numerical)",
                                  tol=1e-6) for k in keys]
            return checks
        tests.append(make_test(f"gradient [{label}]", 4, steps, {**params, "x": x, "t": t}, judge, ["gradient"]))
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
        checks = [expect(outputs, f"original_{k}", expected[k], label=f"the array params[{k!r}]") for k in shapes]
        hint = (" Hint: `params[key] = params[key] - ...` puts a new array in the dict, but the network's "
                "layers still hold the old one; update in place with `params[key] -= learning_rate * grads[key]`.")
        return [Check(c.label, c.message and c.message + ("" if c.missing else hint), missing=c.missing)
                for c in checks]

    def judge_grads(outputs):
        failed = next((c for c in judge_update(outputs) if c.message), None)
        if failed:  # code that computes nothing must not earn this point
            return [Check(failed.label, f"this counts once the new values are right: {failed.message}",
                          missing=failed.missing)]
        return [expect(outputs, f"grads_after_{k}", grads[k], label=f"grads[{k!r}] (unchanged)") for k in shapes]
    return [make_test("sgd_step [new values]", 2, steps, inputs, judge_update, ["sgd_step"]),
            make_test("sgd_step [updates the arrays in place]", 1, steps, inputs, judge_in_place, ["sgd_step"]),
            make_test("sgd_step [leaves grads unchanged]", 1, steps, inputs, judge_grads, ["sgd_step"])]


def _train_test(rng_for):
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
        try:
            scores = np.asarray(get(outputs, "scores"), dtype=np.float64)
        except Missing:
            return [Check("test accuracy", "the network's predictions were not computed.", missing=True)]
        if scores.shape != (len(t_test), 3):
            return [Check("test accuracy", f"net.predict(x_test) has shape {scores.shape}; expected "
                                           f"{(len(t_test), 3)}, one row of 3 class scores per point.")]
        accuracy = float(np.mean(np.argmax(scores, axis=1) == t_test))
        message = None if accuracy >= TARGET_ACCURACY else (
            f"test accuracy {accuracy:.3f}; at least {TARGET_ACCURACY} is needed (train called with "
            f"iters_num={s['iters_num']}, batch_size={s['batch_size']}, learning_rate={s['learning_rate']}).")
        return [Check(f"test accuracy {accuracy:.3f}", message)]
    inputs = {"x_train": x_train, "t_train": t_train, "x_test": x_test}
    return [make_test(f"train reaches test accuracy >= {TARGET_ACCURACY} on the spiral", 6, steps, inputs,
                      judge, ["train"])]


def _sgd_training(rng_for):
    return _sgd_tests(rng_for) + _train_test(rng_for)


EXERCISES = {ex.id: ex for ex in [
    Exercise("01", "01_graph_forward", "Forward values of a computational graph", ("shopping_forward",), _shopping),
    Exercise("02", "02_mul_add_layers", "Multiplication and addition nodes", ("MulLayer", "AddLayer"), _mul_add),
    Exercise("03", "03_repeat_sum", "Repeat and sum nodes", ("Repeat", "Sum"), _repeat_sum),
    Exercise("04", "04_matmul", "The MatMul layer", ("MatMul",), _matmul),
    Exercise("05", "05_activations", "ReLU and sigmoid layers", ("Relu", "Sigmoid"), _activations),
    Exercise("06", "06_affine", "The Affine layer", ("Affine",), _affine),
    Exercise("07", "07_softmax_with_loss", "Softmax with cross-entropy loss",
             ("softmax", "cross_entropy_error", "SoftmaxWithLoss"), _softmax_with_loss),
    Exercise("08", "08_two_layer_gradient", "Backpropagation through TwoLayerNet", ("gradient",),
             _two_layer_gradient, library_modules=FULL_LIBRARY,
             disabled=("network.TwoLayerNet.gradient", "network.TwoLayerNet.numerical_gradient")),
    Exercise("09", "09_sgd_training", "Training with minibatch SGD", ("sgd_step", "train"), _sgd_training,
             library_modules=FULL_LIBRARY, cpu_seconds=10.0, wall_seconds=20.0),
    Exercise("11", "11_tanh", "Derive the tanh layer", ("Tanh",), _tanh),
    Exercise("12", "12_max_gate", "Derive the max gate", ("MaxGate",), _max_gate),
    Exercise("13", "13_divide", "Derive the division node", ("DivideLayer",), _divide),
    Exercise("14", "14_softmax_jacobian", "Derive softmax through its Jacobian", ("Softmax",), _softmax,
             library_modules=("functions", "gradcheck", "checks")),
    Exercise("15", "15_bug_affine", "Find the bug: an affine layer", ("Affine",), _bug_affine),
    Exercise("16", "16_bug_network", "Find the bug: a two-layer network", ("Relu", "SoftmaxWithLoss", "Network"),
             _bug_network, library_modules=("functions", "gradcheck", "layers", "checks")),
    Exercise("17", "17_multilayer_net", "A network of any depth", ("MultiLayerNet",), _multilayer_net,
             library_modules=("functions", "gradcheck", "layers", "checks", "datasets"), cpu_seconds=10.0,
             wall_seconds=20.0),
]}
