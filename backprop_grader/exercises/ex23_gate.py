"""The hidden tests of exercise 23: an elementwise gate whose parameter is broadcast over the batch.

Gate(g).forward(x) = x * sigmoid(g), for x of shape (N, D) or (N, ..., D) and a learnable g of
shape (D,) or (1, D), copied to every row by broadcasting. The learner derives dx and dg: dg goes
through sigmoid's derivative and, like Affine's bias (chapter 6), sums over every broadcast axis,
and has the shape of g. The reference below is the grader's own and never reaches the child.
backprop_lib.functions is shipped: its stable sigmoid is chapter 5's forward function.

Cases where a difference quotient loses its digits while the derived formula does not:
- inputs x of 1e5..1e6: a nudge of h = 1e-5 to x*s keeps few digits of s, so dx by differences fails;
- saturated gates, g of 16..19: sigmoid's slope is 1e-7..6e-9, a difference of two sigmoids near 1
  keeps almost none of its digits, while s * (1 - s) computed from s keeps 8 (the reference uses
  sigmoid(g) * sigmoid(-g), exact to the last digit; s * (1 - s) is within 1.3e-8 of it there).
g of ±1e3..1e4 runs with numpy's warnings raised as errors: a sigmoid that overflows loses it.
Typical wrong dg (the sigmoid's local gradient left out, or taken as its output s) are recognised and
named (mistakes.py); a dg in another shape than g's is told so without the generic shape hint, which
would speak of a bias.
"""
from __future__ import annotations

import numpy as np

from backprop_lib.checks import with_hint
from backprop_lib.functions import sigmoid
from backprop_grader.language import N_, Message, _
from backprop_grader.exercises.layer_tests import Case, layer_tests
from backprop_grader.exercises.mistakes import Mistake, recognise
from backprop_grader.exercises.spec import Exercise
from backprop_grader.exercises.cases import LARGE, dims, signs



class GateReference:
    """y = x * sigmoid(g), g broadcast over every axis of x but the last."""

    def __init__(self, g):
        self.g = g

    def forward(self, x):
        self.x = x
        return x * sigmoid(self.g)

    def backward(self, dout):
        batch_axes = tuple(range(self.x.ndim - 1))
        slope = sigmoid(self.g) * sigmoid(-self.g)  # = s (1 - s), without 1 - s's rounding
        self.dg = (np.sum(dout * self.x, axis=batch_axes) * slope.reshape(-1)).reshape(np.shape(self.g))
        return dout * sigmoid(self.g)


ND_HINT = N_("x may have several leading axes, (N, T, D): g is copied to each of its N·T rows, so dg adds up "
             "the gradients of all the copies, over every axis but the last.")
ROW_HINT = N_("g may also have shape (1, D): dg has the shape of g, whatever it is.")
SATURATED_HINT = N_("where the gate saturates (g of 16 to 19), sigmoid's slope is tiny but not zero; the formula "
                    "you derived keeps its digits there, a difference quotient does not.")
LARGE_X_HINT = N_("for inputs of 1e5..1e6, a difference quotient keeps only a few digits of dx; the formula you "
                  "derived keeps them all.")
COPIES_HINT = N_("dg has one entry per entry of x: g was copied to every row of the batch (broadcasting is a hidden "
                 "repeat node, chapter 6), so dg adds up the gradients of all its copies, over every axis of x but the "
                 "last, and has the shape of g.")
NO_SLOPE_HINT = N_("dg leaves out the sigmoid node: g reaches y through s = sigmoid(g), so what the copies of s add "
                   "up is then multiplied by the sigmoid's local gradient (chapter 5, *Sigmoid, node by node*).")
OUTPUT_AS_SLOPE_HINT = N_("the sigmoid's local gradient is not its output s: chapter 5 writes it through the output, "
                          "but as a product of two factors (*The simplification*).")
OVERFLOW_HINT = N_("g reaches ±1e4 here: compute sigmoid without overflow (the setup cell imports chapter 5's "
                   "stable sigmoid), in forward and in backward.")


def _gate(rng_for):
    rng = rng_for("Gate")
    N, D = dims(rng, 3, 6), dims(rng, 2, 5)
    T = dims(rng, 2, 3)
    saturated = rng.uniform(16, 19, D)  # gates near 1, where a difference of two sigmoids loses most
    cases = []
    for label, x, g, gradcheck, strict, hint in (
            (Message(N_("random x {x}, g {g}"), x=(N, D), g=(D,)), rng.standard_normal((N, D)),
             rng.standard_normal(D), True, False, ""),
            (Message(N_("N-d x {x}, g {g}"), x=(N, T, D), g=(D,)), rng.standard_normal((N, T, D)),
             rng.standard_normal(D), True, False, ND_HINT),
            (Message(N_("g of shape {g}, x {x}"), x=(N, D), g=(1, D)), rng.standard_normal((N, D)),
             rng.standard_normal((1, D)), True, False, ROW_HINT),
            (N_("batch of one"), rng.standard_normal((1, D)), rng.standard_normal(D), False, False, ""),
            (N_("saturated gates, g of 16 to 19"), rng.standard_normal((N, D)), saturated, False, False,
             SATURATED_HINT),
            (N_("inputs x of ±1e5..1e6"), signs(rng, (N, D)) * rng.uniform(1e5, 1e6, (N, D)),
             rng.standard_normal(D), False, False, LARGE_X_HINT),
            (N_("g of ±1e3..1e4"), rng.standard_normal((N, D)), signs(rng, D) * rng.uniform(1e3, 1e4, D), False,
             True, OVERFLOW_HINT)):
        cases.append(Case(label, [("g", g)], {"x": x}, rng.standard_normal(x.shape), gradcheck=gradcheck,
                          strict=strict, hint=hint))
    large = Case("", [("g", rng.standard_normal(LARGE[1]))], {"x": rng.standard_normal(LARGE)},
                 rng.standard_normal(LARGE), gradcheck=False)
    tests = layer_tests("Gate", GateReference, cases, params=("g",), large=large)
    for test in tests:
        if test.kind in ("Gate.backward", "Gate gradient check"):
            test.judge = _copies_not_added(test.case, test.judge, numerical=test.kind == "Gate gradient check")
    return recognise(tests, [large, *cases], _right, MISTAKES)


def _copies_not_added(case, judge, numerical):
    """`judge`, saying what is wrong when dg came back in another shape than g's: with x's shape, the copies'
    gradients not added up; where the case has a hint of its own (x with several leading axes, g of shape
    (1, D)), the shape alone, and that hint after it. (The generic shape hint would speak of a bias.) `numerical`:
    the test compares with numerical gradients, and its message says so first."""
    x_shape, g_shape = case.inputs["x"].shape, np.shape(dict(case.init)["g"])

    def judged(outputs):
        checks = judge(outputs)
        found = outputs.get("dg")
        if found is None or found.shape == g_shape or (found.shape != x_shape and not case.hint):
            return checks
        for check in checks:
            if check.message and check.array == "dg":
                message = _("{name} has shape {found}; expected {expected}.").format(
                    name=check.label, found=found.shape, expected=g_shape)
                if numerical:
                    message = _("your backward disagrees with the numerical gradient of the forward. {message}").format(
                        message=message)
                check.message = with_hint(message, _(COPIES_HINT)) if found.shape == x_shape else message
        return checks
    return judged


# --- typical wrong answers of dg, computed here on a case's inputs -----------------------------

def _copies_summed(case):
    """sum of dout * x over every axis of x but the last, one number per feature."""
    x = case.inputs["x"]
    return np.sum(case.dout * x, axis=tuple(range(x.ndim - 1)))


def _in_g_shape(case, dg):
    return np.reshape(dg, np.shape(dict(case.init)["g"]))


def _no_slope(case):
    return _in_g_shape(case, _copies_summed(case))


def _output_as_slope(case):
    return _in_g_shape(case, _copies_summed(case) * sigmoid(np.reshape(dict(case.init)["g"], -1)))


MISTAKES = (Mistake("dg", _no_slope, NO_SLOPE_HINT), Mistake("dg", _output_as_slope, OUTPUT_AS_SLOPE_HINT))


def _right(case):
    if "right" not in case.expected:
        layer = GateReference(np.copy(dict(case.init)["g"]))
        y = layer.forward(np.copy(case.inputs["x"]))
        case.expected["right"] = {"y": y, "dx": layer.backward(np.copy(case.dout)), "dg": layer.dg}
    return case.expected["right"]


# functions (sigmoid, chapter 5's forward function) is shipped: see the docstring.
EXERCISE = Exercise("23", "23_gate", N_("Derive a gate with a broadcast parameter"), ("Gate",), _gate,
                    library_modules=("functions", "gradcheck", "checks"))
