"""Level 4, go deeper: the hidden tests of exercise 28, exp and log in chapter 10's engine.

The learner adds two operations to backprop_lib.autodiff's Tensor, as functions `exp(x)` and `log(x)`
that return a new Tensor with its local `_backward` (micrograd's style), then builds
`cross_entropy(scores, t)` from primitives (exp, log, sum, products) and lets the engine find its
gradient, which for labels whose rows sum to 1 is chapter 7's (y - t) / N.

A test is a small program of Tensor operations, run in the sandboxed child on the learner's functions
(with the library's Tensor for the rest) and here on `exp`, `log` and `cross_entropy` below, the
grader's own answer. The library's `Tensor.softmax_cross_entropy` is disabled in the child.
- exp and log: each local backward alone (once, twice), and in small graphs. Their local gradients
  are exact formulas (the output itself; upstream / x), so a backward pass reproduces the grader's
  to the last few bits and these tests allow a relative error of 1e-12: a central difference is off
  by about 1e-11 at best, and for log's inputs of 1e-9 (below the usual step h = 1e-5) it is NaN.
- cross_entropy: the (y - t) / N identity on random logits, soft labels, a batch of one, logits of
  ±1e3..1e4 (numpy's warnings are errors there), and scores from x @ W + b; to 1e-7, since any
  composition of the primitives is right. Its large case, which the others require, has class
  weights: rows of t that do not sum to 1, where (y - t) / N is wrong and the engine is right. So a
  hand-written (y - t) / N pasted into one node earns nothing for cross_entropy, and finite
  differences of the loss do not finish.
"""
from __future__ import annotations

import numpy as np

from backprop_lib.autodiff import Tensor
from backprop_lib.checks import compare
from backprop_lib.functions import softmax
from backprop_lib.gradcheck import rel_error
from backprop_grader.language import N_, Message, _
from backprop_grader.judging.verdicts import Check, expect
from backprop_grader.exercises.spec import Exercise, make_test, of_kind, requiring
from backprop_grader.exercises.steps import attr, call, new
from backprop_grader.exercises.cases import dims
from backprop_grader.exercises.layer_tests import LARGE_LABEL

NAMES = ("exp", "log", "cross_entropy")
EXACT = 1e-12  # exp's and log's local gradients are exact formulas (see the docstring)
EXACT_HINT = N_("exp's local gradient is its own output and log's is 1 / x, exactly: this case is judged to a "
                "relative error of 1e-12, closer than any difference quotient gets (its error is about 1e-11).")
ADD_UP_HINT = N_("_backward adds to x.grad (+=), it does not replace it (=): a tensor used by two nodes gets both.")
LARGE_HINT = N_("on this input finite differences take minutes and backpropagation milliseconds: the other tests "
                "of this task count only once this one passes.")


# --- the grader's answer ------------------------------------------------------------------------

def exp(x):
    out = Tensor(np.exp(x.data), (x,), "exp")

    def _backward(upstream_grad):
        x.grad += upstream_grad * out.data
    out._backward = _backward
    return out


def log(x):
    out = Tensor(np.log(x.data), (x,), "log")

    def _backward(upstream_grad):
        x.grad += upstream_grad / x.data
    out._backward = _backward
    return out


def cross_entropy(scores, t):
    """-(1/N) sum_n sum_c t_nc log softmax(scores)_nc, from primitives; the row maximum is a constant."""
    shifted = scores - Tensor(np.max(scores.data, axis=1, keepdims=True))
    log_y = shifted - log(exp(shifted).sum(axis=1, keepdims=True))
    return (log_y * t).sum() * (-1.0 / scores.shape[0])


FUNCTIONS = {"exp": exp, "log": log, "cross_entropy": cross_entropy}


def _run(program, leaves, constants):
    """The program with the grader's functions and the library's Tensor. Returns every variable."""
    env = {name: Tensor(value) for name, value in leaves.items()}
    env.update({name: np.copy(value) for name, value in constants.items()})
    for var, obj, method, args in program:
        target = FUNCTIONS[method] if obj is None else getattr(env[obj], method)
        result = target(*[a["value"] if isinstance(a, dict) else env[a] for a in args])
        if var:
            env[var] = result
    return env


# --- a test: a program, run in the child and here -------------------------------------------------

def graph_test(name, points, leaves, program, *, grads, uses, constants=None, loss=None, tol=1e-7, strict=False,
               hint="", requires=None, expected=None, diagnose=None, kind=""):
    """Run `program` [(variable or None, tensor or None for a function, method, args)] and compare the leaves'
    .grad (and loss.data if `loss` names a variable). expected: {name: array} instead of the grader's engine."""
    constants = constants or {}
    steps = [new(leaf, "Tensor", f"{leaf}_data") for leaf in leaves]
    steps += [call(obj, method, *args, keep=var, strict=strict) for var, obj, method, args in program]
    steps += [attr(var, "grad", f"{var}.grad") for var in grads]
    steps += [attr(loss, "data", "loss")] if loss else []
    inputs = {f"{leaf}_data": value for leaf, value in leaves.items()}
    inputs.update(constants)

    def judge(outputs):
        env = _run(program, leaves, constants)
        want = expected or {var: env[var].grad for var in grads}
        checks = []
        for var in grads:
            check = expect(outputs, f"{var}.grad", want[var], label=f"{var}.grad", tol=tol)
            if check.message and not check.missing and diagnose:
                found = np.asarray(outputs[f"{var}.grad"], dtype=np.float64)
                check.message = diagnose(found, var, want[var]) or check.message
            checks.append(check)
        failed = next((c for c in checks if c.message), None)
        if loss and failed:  # a loss computed apart from the engine's gradient is not the task
            checks.insert(0, Check(_("the loss"), _("the loss counts once the gradients are right ({array}: see "
                                                    "below).").format(array=failed.label), missing=failed.missing,
                                   array="loss"))
        elif loss:
            checks.insert(0, expect(outputs, "loss", env[loss].data, label=_("the loss"), tol=tol))
        return checks
    return make_test(name, points, steps, inputs, judge, uses, hint, requires, kind)


DIFFERENCE_QUOTIENT = N_("{array} agrees with the exact local gradient to a relative error of {error} only, or is "
                         "NaN where the exact one is not: what a difference quotient gives, not the formula.")
REPLACED = N_("{array} is what one call of _backward gives, not the sum of two. Hint: {hint}")


def _difference_quotient(x, dout, function, times):
    """A diagnosis for a local backward that is close to exact but not exact, or NaN where a step of 1e-5 from
    x leaves log's domain: the marks of a central difference."""
    f = np.exp if function == "exp" else np.log

    def diagnose(found, var, _expected):
        with np.errstate(invalid="ignore", divide="ignore"):
            quotient = times * dout * (f(x + 1e-5) - f(x - 1e-5)) / 2e-5
        exact = times * dout * (np.exp(x) if function == "exp" else 1 / x)
        if times > 1 and found.shape == exact.shape and rel_error(found, exact / times) < 1e-9:
            return _(REPLACED).format(array=f"{var}.grad", hint=_(ADD_UP_HINT))
        finite = np.isfinite(found)
        close = found.shape == exact.shape and np.all(finite == np.isfinite(quotient)) and (
            not np.any(finite) or rel_error(found[finite], exact[finite]) < 1e-6)
        if not close:
            return None
        error = rel_error(found[finite], exact[finite]) if np.any(finite) else float("nan")
        return _(DIFFERENCE_QUOTIENT).format(array=f"{var}.grad", error=f"{error:.1e}")
    return diagnose


def _local(name, points, function, x, rng, *, times=1, hint=EXACT_HINT, requires=None):
    """z = function(x), then z._backward(upstream_grad) `times` times: x.grad, to 1e-12."""
    program = [("z", None, function, ["x"])] + [(None, "z", "_backward", ["dout"])] * times
    dout = rng.standard_normal(x.shape)
    return graph_test(name, points, {"x": x}, program, grads=["x"], uses=(function,), tol=EXACT, hint=hint,
                      constants={"dout": dout}, requires=requires,
                      diagnose=_difference_quotient(x, dout, function, times))


# --- exp and log -------------------------------------------------------------------------------

def _exp_tests(rng_for):
    rng = rng_for("exp")
    N, H = dims(rng, 3, 6), dims(rng)
    large = _local(Message(N_("exp backward [{case}]"), case=LARGE_LABEL), 1, "exp",
                   rng.uniform(-5, 5, (400, 400)), rng)
    return large, requiring([
        _local(Message(N_("exp backward [x of shape {shape}, entries from -5 to 5]"), shape=(N, H)), 2, "exp",
               rng.uniform(-5, 5, (N, H)), rng),
        _local(N_("exp backward [entries from 10 to 30]"), 1, "exp", rng.uniform(10, 30, (3, 4)), rng),
        _local(N_("exp backward [3-d input]"), 1, "exp", rng.uniform(-3, 3, (2, 3, H)), rng),
        _local(N_("exp backward [called twice: the gradients add up]"), 1, "exp", rng.uniform(-3, 3, (N, H)), rng,
               times=2),
    ], large)


def _positive(rng, shape, low, high):
    """Positive numbers spread evenly in magnitude from `low` to `high`."""
    return 10.0 ** rng.uniform(np.log10(low), np.log10(high), shape)


def _log_tests(rng_for):
    rng = rng_for("log")
    N, H = dims(rng, 3, 6), dims(rng)
    large = _local(Message(N_("log backward [{case}]"), case=LARGE_LABEL), 1, "log",
                   _positive(rng, (400, 400), 1e-3, 1e3), rng)
    return large, requiring([
        _local(Message(N_("log backward [x of shape {shape}, entries from 1e-3 to 1e3]"), shape=(N, H)), 2, "log",
               _positive(rng, (N, H), 1e-3, 1e3), rng),
        _local(N_("log backward [entries from 1e-9 to 1e-6]"), 1, "log", _positive(rng, (3, 4), 1e-9, 1e-6), rng,
               hint=N_("log's local gradient is 1 / x, exactly, however small x is: a difference quotient with a "
                       "step of 1e-5 steps below 0 here.")),
        _local(N_("log backward [entries from 1e8 to 1e12]"), 1, "log", _positive(rng, (3, 4), 1e8, 1e12), rng),
        _local(N_("log backward [called twice: the gradients add up]"), 1, "log", _positive(rng, (N, H), 0.1, 10),
               rng, times=2),
    ], large)


def _graph_tests(rng_for):
    """exp and log inside small graphs, with the engine's own operations around them (to 1e-12: products only)."""
    rng = rng_for("graphs")
    N, H = dims(rng, 3, 6), dims(rng)
    x, w = rng.uniform(-4, 4, (N, H)), rng.uniform(0.5, 2, (N, H))
    softplus = [("e", None, "exp", ["x"]), ("a", "e", "__add__", [{"value": 1.0}]), ("s", None, "log", ["a"]),
                ("p", "s", "__mul__", ["w"]), ("L", "p", "sum", []), (None, "L", "backward", [])]
    row_lse = [("e", None, "exp", ["x"]), ("r", "e", "sum", [{"value": 1}, {"value": True}]),
               ("l", None, "log", ["r"]), (None, "l", "backward", ["dout"])]
    y = _positive(rng, (N, H), 0.1, 10)
    both = [("e", None, "exp", ["y"]), ("l", None, "log", ["y"]), ("s", "e", "__add__", ["l"]),
            (None, "s", "backward", ["dout"])]
    round_trip = [("l", None, "log", ["y"]), ("e", None, "exp", ["l"]), (None, "e", "backward", ["dout"])]
    upstream = rng.uniform(0.5, 2, (N, H))
    return [
        graph_test(N_("exp and log in a graph [softplus: L = sum(log(exp(x) + 1) * w)]"), 2, {"x": x}, softplus,
                   grads=["x"], uses=("exp", "log"), constants={"w": w}, tol=EXACT, hint=EXACT_HINT),
        graph_test(N_("exp and log in a graph [log of each row's sum of exp(x), keepdims]"), 2, {"x": x}, row_lse,
                   grads=["x"], uses=("exp", "log"), constants={"dout": rng.uniform(0.5, 2, (N, 1))}, tol=EXACT,
                   hint=EXACT_HINT),
        graph_test(N_("exp and log in a graph [exp(y) + log(y): y used by both, the gradients add up]"), 1,
                   {"y": y}, both, grads=["y"], uses=("exp", "log"), constants={"dout": upstream}, tol=EXACT,
                   hint=ADD_UP_HINT),
        graph_test(N_("exp and log in a graph [exp(log(y)) = y: the gradient passes through unchanged]"), 1,
                   {"y": y}, round_trip, grads=["y"], uses=("exp", "log"), constants={"dout": upstream}, tol=EXACT,
                   hint=EXACT_HINT),
    ]


# --- cross_entropy, from primitives ----------------------------------------------------------------

PASTED = N_("this is (y - t) / N, chapter 7's gradient for labels whose rows sum to 1; here t holds class weights, "
            "whose rows do not. Build the loss from exp, log, sum and products and let the engine's backward find "
            "the gradient, for any t: do not write it yourself.")


def _pasted(scores, t):
    """A diagnosis for a hand-written (y - t) / N, recognised by its values (backprop_grader.mistakes' way)."""
    def diagnose(found, var, expected):
        pasted = (softmax(scores) - t) / scores.shape[0]
        if var == "s" and found.shape == pasted.shape and rel_error(found, pasted) < 1e-7:
            return compare("s.grad", found, expected, hint=_(PASTED))
        return None
    return diagnose


def _ce_program(scores_from=None):
    program = scores_from or []
    return program + [("L", None, "cross_entropy", ["s", "t"]), (None, "L", "backward", [])]


def _identity(scores, t):
    """(softmax(scores) - t) / N: chapter 7's result, which the engine must find for rows of t summing to 1."""
    return {"s": (softmax(scores) - t) / scores.shape[0]}


def _weighted(rng, N, C):
    """One-hot rows times a weight per class (from 0.2 to 5): rows that do not sum to 1."""
    weights = rng.uniform(0.2, 5.0, C)
    labels = rng.integers(0, C, N)
    return np.eye(C)[labels] * weights[labels][:, None]


def _cross_entropy_tests(rng_for):
    rng = rng_for("cross_entropy")
    uses = NAMES
    scores = rng.standard_normal((400, 300)) * 3
    t = _weighted(rng, 400, 300)
    large = graph_test(Message(N_("cross_entropy [class-weighted labels; {case}]"), case=LARGE_LABEL), 2,
                       {"s": scores}, _ce_program(), grads=["s"], uses=uses, constants={"t": t}, loss="L",
                       hint=LARGE_HINT, diagnose=_pasted(scores, t), kind="cross_entropy")
    tests = []
    N, C = dims(rng, 3, 6), dims(rng, 3, 6)
    for label, s, t in (
            (Message(N_("one-hot labels, scores ({N}, {C}): the gradient is (y - t) / N"), N=N, C=C),
             rng.standard_normal((N, C)) * 2, np.eye(C)[rng.integers(0, C, N)]),
            (N_("soft labels, each row summing to 1: still (y - t) / N"), rng.standard_normal((N, C)) * 2,
             softmax(rng.standard_normal((N, C)))),
            (N_("batch of one"), rng.standard_normal((1, C)) * 2, np.eye(C)[rng.integers(0, C, 1)])):
        tests.append(graph_test(Message(N_("cross_entropy [{case}]"), case=label), 2, {"s": s}, _ce_program(),
                                grads=["s"], uses=uses, constants={"t": t}, loss="L", expected=_identity(s, t),
                                kind="cross_entropy"))
    big = rng.standard_normal((N, C)) * rng.uniform(1e3, 1e4)
    t = np.eye(C)[rng.integers(0, C, N)]
    tests.append(graph_test(N_("cross_entropy [logits of ±1e3..1e4: no overflow, and still (y - t) / N]"), 2,
                            {"s": big}, _ce_program(), grads=["s"], uses=uses, constants={"t": t}, loss="L",
                            strict=True, expected=_identity(big, t), kind="cross_entropy",
                            hint=N_("subtract each row's maximum from the scores before exp (chapter 7, *Numerical "
                                    "stability: big scores*), as a constant: softmax does not change, and no exp "
                                    "overflows.")))
    N, D, C = dims(rng, 3, 6), dims(rng, 2, 4), dims(rng, 3, 5)
    t = _weighted(rng, N, C)
    affine = [("a", "x", "__matmul__", ["W"]), ("s", "a", "__add__", ["b"])]
    tests.append(graph_test(N_("cross_entropy in a graph [class-weighted labels, scores = x @ W + b]"), 2,
                            {"x": rng.standard_normal((N, D)), "W": rng.standard_normal((D, C)),
                             "b": rng.standard_normal(C)}, _ce_program(affine), grads=["W", "b", "x"], uses=uses,
                            constants={"t": t}, loss="L"))
    return large, requiring(tests, large)


def exp_log_tests(rng_for):
    exp_large, exp_tests = _exp_tests(rng_for)
    log_large, log_tests = _log_tests(rng_for)
    ce_large, ce_tests = _cross_entropy_tests(rng_for)
    return (of_kind("exp backward", [exp_large] + exp_tests) + of_kind("log backward", [log_large] + log_tests)
            + of_kind("exp and log in a graph", _graph_tests(rng_for)) + [ce_large] + ce_tests)


# The setup cell imports autodiff (the engine to extend), checks, functions (softmax) and gradcheck; the
# engine's own softmax-with-loss node is the answer to cross_entropy, so the child gets it disabled.
EXERCISE = Exercise("28", "28_autodiff_exp_log", N_("exp and log in the engine, and softmax-with-loss from them"),
                    NAMES, exp_log_tests, library_modules=("autodiff", "checks", "functions", "gradcheck"),
                    disabled=(Tensor.softmax_cross_entropy,))
