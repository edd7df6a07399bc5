"""The hidden tests of exercise 10: a small automatic-differentiation engine (chapter 10).

The notebook gives a Tensor class whose forward operations are written; the learner writes
`unbroadcast`, the local backward of `*`, `@` and `relu`, `topological_order` and `Tensor.backward`.

A test is a small program of Tensor operations, run twice: in the sandboxed child on the
learner's Tensor (as JSON steps), and here on backprop_lib.autodiff.Tensor, the reference.
- Each local backward is tested alone: the child makes z = x op y, calls z._backward(upstream_grad)
  (once, or twice to see the gradients add up) and hands back x.grad and y.grad, so a broken walk
  costs no points there.
- The walk is tested on graphs of the given operations (+, sum, sigmoid), where order matters.
- Everything together: TwoLayerNet's loss, compared with TwoLayerNet.gradient (the layers).
Inputs defeat finite differences posing as backpropagation: values of about 1e10 (a nudge of
h = 1e-5 to them is rounded by up to 20%), ReLU inputs within 1e-6 of the kink, losses of about 1e8
(whose last digits are 1e-8: a central difference keeps none of a gradient's). Backpropagation
computes the same numbers as the reference from any of them. And, as in the other exercises, one
large case per task that finite differences cannot finish in time; the task's other tests require it.
"""
from __future__ import annotations

import numpy as np

from backprop_lib.autodiff import Tensor
from backprop_grader.language import N_, Message, _
from backprop_grader.judging.verdicts import Check, expect, expect_unchanged, note
from backprop_grader.exercises.spec import Exercise, make_test, of_kind, requiring
from backprop_grader.exercises.steps import attr, call, new, save
from backprop_grader.exercises.cases import dims, two_layer_net
from backprop_grader.exercises.layer_tests import LARGE_LABEL

NAMES = ("Tensor", "unbroadcast", "topological_order")
DEEP = 2500  # operations in a chain: more than Python's recursion limit (1,000 calls), a few ms to run
DEEP_HINT = N_("a graph this deep has more nested calls than Python allows (about 1,000): a recursive search "
               "stops with RecursionError. Chapter 10, *Replaying the graph in the right order*, says how the "
               "library's search avoids recursion.")
WALK_HINT = N_("backward must call every node's _backward after all the nodes that use it (reverse topological "
               "order), each exactly once, starting from zeroed gradients.")


def _values(rng, shape):
    """Values of every size, 1e-2 to 1e2, and one of about 1e10. A nudge of h = 1e-5 to 1e10 is
    rounded by up to 20%, so a finite difference cannot pass for a local gradient."""
    x = np.array(rng.standard_normal(shape) * 10.0 ** rng.uniform(-2, 2, shape), dtype=np.float64)
    x.flat[0] = rng.choice([-1.0, 1.0]) * rng.uniform(1e10, 2e10)
    return x


def _positive_large(rng, shape):
    """_values with the large value positive, where ReLU lets it through."""
    x = _values(rng, shape)
    x.flat[0] = abs(x.flat[0])
    return x


def _large(rng, shape):
    """Values of about 1e8 added to a loss: the loss keeps only 8 digits below its point, too few for
    a central difference (h = 1e-5), and none of the gradients changes."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(1e8, 2e8, shape)


def _run(program, leaves, constants):
    """The program on the library's Tensor: the grader's own answer. Returns every variable."""
    env = {name: Tensor(value) for name, value in leaves.items()}
    env.update({name: np.copy(value) for name, value in constants.items()})
    for var, obj, method, args in program:
        result = getattr(env[obj], method)(*[a["value"] if isinstance(a, dict) else env[a] for a in args])
        if var:
            env[var] = result
    return env


def graph_test(name, points, leaves, program, *, grads, constants=None, uses=NAMES, hint="", unchanged=(),
               expected=None, guess=None):
    """A test that runs `program` [(variable or None, tensor, method, args)] and compares the tensors' .grad.

    leaves: {name: array} made into Tensors; constants: {name: array} passed as they are (dout, t).
    unchanged: constants that must not be modified (judged once the gradients are right).
    expected: {name: array} instead of the reference engine's gradients (TwoLayerNet.gradient).
    guess: whether a wrong gradient's message may guess its cause from the values (default: unless the
    hint names this case's cause, which the guess would contradict).
    """
    constants = constants or {}
    steps = [new(leaf, "Tensor", f"{leaf}_data") for leaf in leaves]
    steps += [call(obj, method, *args, keep=var) for var, obj, method, args in program]
    steps += [attr(var, "grad", f"{var}.grad") for var in grads]
    steps += [save(var, f"{var}_after") for var in unchanged]
    inputs = {f"{leaf}_data": value for leaf, value in leaves.items()}
    inputs.update(constants)

    guess = hint in ("", LARGE_HINT) if guess is None else guess

    def judge(outputs):
        env = _run(program, leaves, constants)
        want = expected or {var: env[var].grad for var in grads}
        checks = [expect(outputs, f"{var}.grad", want[var], label=f"{var}.grad", guess=guess) for var in grads]
        failed = next((c for c in checks if c.message), None)
        for var in unchanged:  # no credit for leaving an argument alone by computing nothing
            check = expect_unchanged(outputs, f"{var}_after", constants[var],
                                     label=_("{array} (the upstream gradient)").format(array=var))
            checks.append(Check(check.label, _("this counts once the gradients are right: {message}").format(
                message=failed.message), missing=failed.missing, array=check.array) if failed else check)
        return checks
    return make_test(name, points, steps, inputs, judge, uses, hint)


def _local(name, points, method, x, y=None, same=False, uses=("Tensor",), hint="", unchanged=False, rng=None,
           times=1):
    """z = x.method(y) (or x.method(x), or x.method()), then z._backward(dout) `times` times."""
    args = ["x"] if same else ["y"] if y is not None else []
    leaves = {"x": x} if same or y is None else {"x": x, "y": y}
    z_shape = _run([("z", "x", method, args)], leaves, {})["z"].shape
    program = [("z", "x", method, args)] + [(None, "z", "_backward", ["dout"])] * times
    return graph_test(name, points, leaves, program, grads=list(leaves), uses=uses, hint=hint,
                      constants={"dout": rng.standard_normal(z_shape)}, unchanged=["dout"] if unchanged else [])


# --- the local backward of *, @ and relu, and unbroadcast through + ----------------------------

ADD_UP_HINT = N_("_backward adds to .grad (+=), it does not replace it (=): a tensor used by two nodes gets both.")
UNBROADCAST_HINT = N_("a value that broadcasting copied gets the sum of its copies' gradients (a repeat node, "
                      "chapter 3): each input's gradient must come back to that input's own shape, as in __add__.")


def _mul_tests(rng_for):
    rng = rng_for("mul")
    N, H = dims(rng, 3, 6), dims(rng)
    uses = ("Tensor", "unbroadcast")
    return [
        _local(Message(N_("Tensor.__mul__ backward [x * y, both {shape}]"), shape=(N, H)), 2, "__mul__",
               _values(rng, (N, H)), _values(rng, (N, H)), uses=uses, rng=rng),
        _local(Message(N_("Tensor.__mul__ backward [x {x} * y {y}, y broadcast]"), x=(N, H), y=(H,)), 2, "__mul__",
               _values(rng, (N, H)), _values(rng, H), uses=uses, hint=UNBROADCAST_HINT, rng=rng),
        _local(Message(N_("Tensor.__mul__ backward [a number times a matrix, shapes () and {shape}]"), shape=(N, H)),
               1, "__mul__",
               _values(rng, ()), _values(rng, (N, H)), uses=uses, hint=UNBROADCAST_HINT, rng=rng),
        _local(Message(N_("Tensor.__mul__ backward [x * x, the same tensor twice, {shape}]"), shape=(N, H)),
               1, "__mul__",
               _values(rng, (N, H)), same=True, uses=uses,
               hint=N_("x * x sends two gradients to x, and they add up: use +=, not =."), rng=rng),
        _local(Message(N_("Tensor.__mul__ backward [called twice: the gradients add up, {shape}]"), shape=(N, H)),
               1, "__mul__",
               _values(rng, (N, H)), _values(rng, (N, H)), uses=uses, hint=ADD_UP_HINT, rng=rng, times=2),
    ]


def _matmul_tests(rng_for):
    rng = rng_for("matmul")
    N, D, H = dims(rng, 3, 6), dims(rng), dims(rng)
    return [
        _local(Message(N_("Tensor.__matmul__ backward [x {x} @ W {W}]"), x=(N, D), W=(D, H)), 2, "__matmul__",
               _values(rng, (N, D)), _values(rng, (D, H)), rng=rng),
        _local(Message(N_("Tensor.__matmul__ backward [batch of one, x {x} @ W {W}]"), x=(1, D), W=(D, H)),
               1, "__matmul__",
               _values(rng, (1, D)), _values(rng, (D, H)), rng=rng),
        _local(Message(N_("Tensor.__matmul__ backward [W @ W, the same square tensor twice, {shape}]"), shape=(D, D)),
               1, "__matmul__",
               _values(rng, (D, D)), same=True,
               hint=N_("W @ W sends W two gradients, upstream_grad W^T and W^T upstream_grad, and they add up."),
               rng=rng),
        _local(N_("Tensor.__matmul__ backward [called twice: the gradients add up]"), 1, "__matmul__",
               _values(rng, (N, D)), _values(rng, (D, H)), hint=ADD_UP_HINT, rng=rng, times=2),
    ]


def _relu_tests(rng_for):
    rng = rng_for("relu")
    N, D = dims(rng, 3, 6), dims(rng)
    near_kink = rng.choice([-1.0, 1.0], (N, D)) * 10.0 ** rng.uniform(-9, -6, (N, D))
    return [
        _local(Message(N_("Tensor.relu backward [{shape}]"), shape=(N, D)),
               2, "relu", _positive_large(rng, (N, D)), rng=rng),
        _local(N_("Tensor.relu backward [3-d input]"), 1, "relu", _positive_large(rng, (2, 3, D)), rng=rng),
        _local(N_("Tensor.relu backward [called twice: the gradients add up]"), 1, "relu", _positive_large(rng, (N, D)),
               hint=ADD_UP_HINT, rng=rng, times=2),
        _local(N_("Tensor.relu backward [inputs within 1e-6 of 0, of either sign]"), 1, "relu", near_kink, rng=rng,
               hint=N_("the local gradient is 1 where x > 0 and 0 where x < 0, however close to 0 x is.")),
        _local(N_("Tensor.relu backward [leaves the upstream gradient unchanged]"), 1, "relu",
               _positive_large(rng, (N, D)), unchanged=True, rng=rng,
               hint=N_("upstream_grad is the output's .grad: build a new array (np.where), never change it in place.")),
    ]


def _add_tests(rng_for):
    rng = rng_for("add")
    A, N, H = dims(rng), dims(rng, 3, 6), dims(rng)
    cases = [(Message(N_("x {x} + b {b}, a bias"), x=(N, H), b=(H,)), (N, H), (H,)),
             (f"x {(N, 1)} + y {(1, H)}", (N, 1), (1, H)), (f"x {(A, N, H)} + y {(N, 1)}", (A, N, H), (N, 1)),
             (Message(N_("a number + x {shape}"), shape=(N, H)), (), (N, H)),
             (Message(N_("x {x} + y {y}, nothing broadcast"), x=(N, H), y=(N, H)), (N, H), (N, H))]
    return [_local(Message(N_("unbroadcast, through Tensor.__add__ [{case}]"), case=label),
                   1, "__add__", _values(rng, x_shape),
                   _values(rng, y_shape), uses=("Tensor", "unbroadcast"), rng=rng)
            for label, x_shape, y_shape in cases]


# --- the walk: topological_order and Tensor.backward, on the given operations --------------------

def _walk_tests(rng_for):
    rng = rng_for("backward")
    N, D = dims(rng, 3, 5), dims(rng, 3, 5)
    x, c, K = rng.standard_normal((N, D)), rng.standard_normal(D), _large(rng, (N, D))
    chain = [("a", "x", "__add__", ["c"]), ("s", "a", "sigmoid", []), ("d", "s", "__add__", ["K"]),
             ("L", "d", "sum", []), (None, "L", "backward", [])]
    # a is used by two nodes at different depths: its gradient is complete only after both sent theirs
    diamond = [("a", "x", "sigmoid", []), ("b", "a", "sigmoid", []), ("b2", "b", "sigmoid", []),
               ("d", "a", "__add__", ["b2"]), ("e", "d", "__add__", ["K"]), ("L", "e", "sum", []),
               (None, "L", "backward", [])]
    twice = diamond + [(None, "L", "backward", [])]
    upstream = [("a", "x", "__add__", ["c"]), ("s", "a", "sigmoid", []), ("d", "s", "__add__", ["K"]),
                (None, "d", "backward", ["dout"])]
    many = [("y0", "x", "__add__", ["x"])]
    for k in range(1, 40):  # x is added 40 more times: one node with 41 uses, a chain 40 deep
        many.append((f"y{k}", f"y{k - 1}", "__add__", ["x"]))
    many += [("s", "y39", "sigmoid", []), ("d", "s", "__add__", ["K"]), ("L", "d", "sum", []),
             (None, "L", "backward", [])]
    return [*of_kind("Tensor.backward", [
        graph_test(N_("Tensor.backward [a chain: L = ((x + c).sigmoid() + K).sum()]"), 2, {"x": x, "c": c, "K": K},
                   chain, grads=["x", "c", "K"], hint=WALK_HINT),
        graph_test(N_("Tensor.backward [a value used twice: a = x.sigmoid(), "
                      "L = (a + a.sigmoid().sigmoid() + K).sum()]"),
                   2, {"x": x, "K": K}, diamond, grads=["x"], hint=WALK_HINT),
        graph_test(N_("Tensor.backward [called twice: the same gradients, not twice them]"), 1, {"x": x, "K": K}, twice,
                   grads=["x"], hint=N_("start every backward() from zero gradients in the whole graph.")),
        graph_test(N_("Tensor.backward [a tensor, not a loss: d.backward(upstream_grad)]"), 1, {"x": x, "c": c, "K": K},
                   upstream, grads=["x", "c"], constants={"dout": rng.standard_normal((N, D))},
                   hint=N_("backward(upstream_grad) starts the walk with self.grad = upstream_grad.")),
        graph_test(N_("Tensor.backward [x added to itself 40 times]"), 1, {"x": x / 41, "K": K}, many, grads=["x"],
                   hint=WALK_HINT)]),
        _deep_test(x, c),
    ]


def _deep_test(x, c):
    """A chain DEEP operations deep: a recursive search stops there with RecursionError. Its hint is the
    judge's: the recursion limit where the gradients did not come back (the code raised), the walk where
    they came back wrong. (A kind of its own: its failure says nothing about the other walk tests.)"""
    program = [("a0", "x", "__add__", ["c"])]
    for k in range(1, DEEP):
        program.append((f"a{k}", f"a{k - 1}", "__add__", ["c"]))
    program += [("s", f"a{DEEP - 1}", "sigmoid", []), ("L", "s", "sum", []), (None, "L", "backward", [])]
    test = graph_test(Message(N_("Tensor.backward on a chain {depth} operations deep"), depth=f"{DEEP:,}"), 2,
                      {"x": x, "c": c / DEEP}, program, grads=["x", "c"], guess=False)
    judge = test.judge

    def judged(outputs):
        checks = judge(outputs)
        failed = [check for check in checks if check.message]
        if failed:
            hint = DEEP_HINT if any(check.missing for check in failed) else WALK_HINT
            checks.append(note(_("Hint: {hint}").format(hint=_(hint))))
        return checks
    test.judge = judged
    return test


# --- everything together: TwoLayerNet's loss -----------------------------------------------------

def _net_inputs(rng, D, H, C, N):
    """A batch and parameters of a confidently wrong network: one class has a bias of about 1e8 and
    no example is of that class, so the loss is about 1e8 (and keeps too few digits for a central
    difference). No hidden pre-activation sits at ReLU's kink, and every example has two active units."""
    while True:
        params = {"W1": rng.standard_normal((D, H)), "b1": rng.standard_normal(H) * 0.1,
                  "W2": rng.standard_normal((H, C)), "b2": rng.standard_normal(C)}
        x = rng.standard_normal((N, D))
        hidden = x @ params["W1"] + params["b1"]
        if np.min(np.abs(hidden)) > 1e-3 and np.all(np.sum(hidden > 0, axis=1) >= 2):  # and never all silent
            break
    params["b2"][-1] = rng.uniform(1e8, 2e8)
    return x, params, rng.integers(0, C - 1, N)


def _net_tests(rng_for):
    tests = []
    for seed, label, N, one_hot, points in (("integer labels", N_("integer labels"), 6, False, 3),
                                            ("one-hot labels", N_("one-hot labels"), 5, True, 2),
                                            ("batch of one", N_("batch of one"), 1, False, 1)):
        rng = rng_for(f"net {seed}")
        D, H, C = dims(rng, 3, 5), dims(rng, 4, 6), dims(rng, 3, 4)
        x, params, labels = _net_inputs(rng, D, H, C, N)
        t = np.eye(C)[labels] if one_hot else labels
        network = two_layer_net((D, H, C), params)
        program = [("a1", "x", "__matmul__", ["W1"]), ("z1", "a1", "__add__", ["b1"]), ("h", "z1", "relu", []),
                   ("a2", "h", "__matmul__", ["W2"]), ("s", "a2", "__add__", ["b2"]),
                   ("L", "s", "softmax_cross_entropy", ["t"]), (None, "L", "backward", [])]
        tests.append(graph_test(Message(N_("TwoLayerNet's gradient with your engine [{case}]"), case=label),
                                points, {"x": x, **params},
                                program, grads=list(params), constants={"t": t}, expected=network.gradient(x, t)))
    return of_kind("TwoLayerNet.gradient", tests)


# --- the policy: no credit for finite differences where the task is backpropagation ------------

LARGE_HINT = N_("on this input finite differences take minutes and backpropagation milliseconds: the other "
                "tests of this task count only once this one passes.")


def _large_tests(rng_for):
    """One large case per task: backprop takes milliseconds, two forward passes per entry take minutes.
    Each is last, so the other tests have run before a finite-difference submission meets its limit."""
    rng = rng_for("large")
    n = 300
    x, y, K = rng.standard_normal((n, n)), rng.standard_normal((n, n)), _large(rng, (n, n))
    walk = [("a", "x", "__add__", ["y"]), ("s", "a", "sigmoid", []), ("b", "s", "__add__", ["s"]),
            ("d", "b", "__add__", ["K"]), ("L", "d", "sum", []), (None, "L", "backward", [])]
    # x * y of one shape: a learner who has not written unbroadcast yet keeps the points of the other cases,
    # and the broadcast cases say what is missing (unbroadcast has its own large case, through +)
    local = {"mul": _local(Message(N_("Tensor.__mul__ backward [{case}]"), case=LARGE_LABEL), 1, "__mul__", x, y,
                           uses=("Tensor", "unbroadcast"), hint=LARGE_HINT, rng=rng),
             "matmul": _local(Message(N_("Tensor.__matmul__ backward [{case}]"), case=LARGE_LABEL),
                              1, "__matmul__", x, y, hint=LARGE_HINT,
                              rng=rng),
             "relu": _local(Message(N_("Tensor.relu backward [{case}]"), case=LARGE_LABEL),
                            1, "relu", x, hint=LARGE_HINT, rng=rng),
             "add": _local(Message(N_("unbroadcast, through Tensor.__add__ [{case}]"), case=LARGE_LABEL),
                           1, "__add__", x, y[:, :1],
                           uses=("Tensor", "unbroadcast"), hint=LARGE_HINT, rng=rng),
             # no guess from the values: found = 3 x expected here is a node walked three times, not a batch size
             "walk": graph_test(Message(N_("Tensor.backward [{case}]"), case=LARGE_LABEL),
                                1, {"x": x, "y": y, "K": K}, walk,
                                grads=["x", "y"], hint=LARGE_HINT, guess=False)}
    return local


KINDS = {"mul": "Tensor.__mul__ backward", "matmul": "Tensor.__matmul__ backward", "relu": "Tensor.relu backward",
         "add": "unbroadcast", "walk": "Tensor.backward"}


def autodiff_tests(rng_for):
    large = {key: of_kind(KINDS[key], [test])[0] for key, test in _large_tests(rng_for).items()}
    tests = {"mul": _mul_tests(rng_for), "matmul": _matmul_tests(rng_for), "relu": _relu_tests(rng_for),
             "add": _add_tests(rng_for)}
    return (sum((requiring(of_kind(KINDS[key], found), large[key]) for key, found in tests.items()), [])
            + requiring(_walk_tests(rng_for) + _net_tests(rng_for), large["walk"]) + list(large.values()))


# The notebook's setup cell imports checks and gradcheck; backprop_lib.autodiff (the answer) is not shipped.
EXERCISE = Exercise("10", "10_autodiff", N_("A small automatic-differentiation engine"), NAMES, autodiff_tests,
                    library_modules=("checks", "gradcheck"))
