"""The hidden tests of exercises 11-13 (level 2, derive a node the course did not show) and 14 (level 1:
softmax alone through the Jacobian that chapter 7 derived).

The learner derives the backward pass of tanh, the max gate and division, and implements softmax's.
The references below are the grader's own: they never reach the child.
Besides random cases, each exercise has a case where finite differences lose their digits while
the derived formula does not (saturated tanh, inputs of 1e5..1e6, probabilities of 1e-7): a
gradient that is accurate there was derived, not estimated. Conventions the tasks state:
- the max gate sends the whole gradient to x where x == y (ties go to the first input);
- division: |y| >= 0.1 in every hidden input (the node is not defined at y = 0).
"""
from __future__ import annotations

import numpy as np

from backprop_lib.functions import softmax
from backprop_grader.language import N_, Message
from backprop_grader.exercises.layer_tests import Case, layer_tests

LARGE = (400, 400)  # finite differences over 160,000 entries take minutes; backprop milliseconds


def standard_tests(cls, reference, cases, large, **options):
    """layer_tests on `cases`, with `large` as the case only backprop finishes in time."""
    large.gradcheck = False
    return layer_tests(cls, reference, cases, large=large, **options)


def _dims(rng, low=2, high=5):
    return int(rng.integers(low, high + 1))


def _signs(rng, shape):
    return rng.choice([-1.0, 1.0], shape)


def _elementwise(cases, rng):
    """Give every case a dout of the shape of its output (that of x, for elementwise nodes)."""
    for case in cases:
        case.dout = rng.standard_normal(case.inputs["x"].shape)
    return cases


# --- 11: tanh ---------------------------------------------------------------------------

class TanhReference:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)


SATURATED_HINT = N_("where tanh saturates (|x| of 8 to 12) its gradient is tiny but not zero; the formula you "
                    "derived keeps its digits there, a difference quotient does not.")
LARGE_TANH_HINT = N_("for |x| of 1e3 and more, e^x overflows: use np.tanh, or a form that only takes e^(-2|x|), "
                     "so that forward returns ±1 and backward 0 without a warning.")


def _tanh(rng_for):
    rng = rng_for("Tanh")
    cases = [Case(N_("random (N, D)"), [], {"x": rng.standard_normal((_dims(rng, 3, 6), _dims(rng)))}, None),
             Case(N_("3-d input"), [], {"x": 2 * rng.standard_normal((2, 3, _dims(rng)))}, None),
             Case(N_("batch of one"), [], {"x": rng.standard_normal((1, _dims(rng)))}, None, gradcheck=False),
             Case(N_("saturated inputs, |x| of 8 to 12"), [], {"x": _signs(rng, (3, 5)) * rng.uniform(8, 12, (3, 5))},
                  None, gradcheck=False, hint=SATURATED_HINT),
             Case(N_("inputs of ±1e3..1e4"), [], {"x": _signs(rng, (3, 4)) * rng.uniform(1e3, 1e4, (3, 4))}, None,
                  gradcheck=False, hint=LARGE_TANH_HINT)]
    large = Case("", [], {"x": rng.standard_normal(LARGE)}, None)
    return standard_tests("Tanh", TanhReference, _elementwise(cases, rng), _elementwise([large], rng)[0])


# --- 12: the max gate ------------------------------------------------------------------------

class MaxGateReference:
    """z = max(x, y) entry by entry; where x == y the whole gradient goes to x."""

    def forward(self, x, y):
        self.x_wins = x >= y
        return np.where(self.x_wins, x, y)

    def backward(self, dout):
        return np.where(self.x_wins, dout, 0.0), np.where(self.x_wins, 0.0, dout)


TIES_HINT = N_("where x == y this exercise sends the whole gradient to x and 0 to y (the task's convention); "
               "the gradient is routed, never copied: dx + dy equals dout everywhere.")
HUGE_HINT = N_("for inputs of 1e5..1e6 the gradient is still exactly dout or 0: route it by comparing x and y, "
               "do not estimate it with a difference quotient.")


def _apart(rng, shape, scale=1.0, gap=1e-2):
    """x and y with |x - y| >= gap * scale everywhere: no ties, so a numerical gradient is meaningful."""
    x = scale * rng.standard_normal(shape)
    return x, x + _signs(rng, shape) * scale * rng.uniform(gap, 2.0, shape)


def _max_gate(rng_for):
    rng = rng_for("MaxGate")
    shape = (_dims(rng, 3, 6), _dims(rng))
    x, y = _apart(rng, shape)
    tie_x, tie_y = _apart(rng, (4, 5))
    ties = rng.random((4, 5)) < 0.5
    tie_y[ties] = tie_x[ties]
    huge = _signs(rng, (3, 4)) * rng.uniform(1e5, 1e6, (3, 4))
    cases = [Case(Message(N_("random arrays of shape {shape}"), shape=shape), [], {"x": x, "y": y}, None),
             Case(N_("batch of one"), [], dict(zip("xy", _apart(rng, (1, _dims(rng))))), None, gradcheck=False),
             Case(N_("ties: x == y in about half the entries"), [], {"x": tie_x, "y": tie_y}, None, gradcheck=False,
                  hint=TIES_HINT),
             Case(N_("inputs of 1e5..1e6"), [],
                  {"x": huge, "y": huge + _signs(rng, (3, 4)) * rng.uniform(1, 10, (3, 4))},
                  None, gradcheck=False, hint=HUGE_HINT)]
    large = Case("", [], dict(zip("xy", _apart(rng, LARGE))), None)
    return standard_tests("MaxGate", MaxGateReference, _elementwise(cases, rng), _elementwise([large], rng)[0])


# --- 13: division --------------------------------------------------------------------------

class DivideReference:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, dout):
        return dout / self.y, -dout * self.x / self.y ** 2


def _denominators(rng, shape, low=0.1, high=3.0):
    """Values with 0.1 <= |y| <= 3: the task promises that y never comes closer to 0."""
    return _signs(rng, shape) * rng.uniform(low, high, shape)


def _divide(rng_for):
    rng = rng_for("DivideLayer")
    shape = (_dims(rng, 3, 6), _dims(rng))
    cases = [Case(Message(N_("random arrays of shape {shape}"), shape=shape), [], {"x": rng.standard_normal(shape),
                                                          "y": _denominators(rng, shape, 0.5)}, None),
             Case(N_("denominators near the promised 0.1"), [], {"x": rng.standard_normal((3, 4)),
                                                             "y": _denominators(rng, (3, 4), 0.1, 0.2)},
                  None, gradcheck=False),
             Case(N_("scalars"), [], {"x": np.array(rng.uniform(1, 100)), "y": np.array(rng.uniform(1, 5))}, None,
                  gradcheck=False),
             Case(N_("numerators of 1e5..1e6"), [], {"x": _signs(rng, (3, 4)) * rng.uniform(1e5, 1e6, (3, 4)),
                                                 "y": _denominators(rng, (3, 4), 0.5)}, None, gradcheck=False)]
    large = Case("", [], {"x": rng.standard_normal(LARGE), "y": _denominators(rng, LARGE, 0.5)}, None)
    return standard_tests("DivideLayer", DivideReference, _elementwise(cases, rng), _elementwise([large], rng)[0])


# --- 14: softmax on its own, through its Jacobian --------------------------------------------

class SoftmaxReference:
    def forward(self, x):
        self.y = softmax(x)
        return self.y

    def backward(self, dout):
        # (diag(y) - y y^T) dout, row by row, without building the C x C matrix
        return self.y * (dout - np.sum(dout * self.y, axis=-1, keepdims=True))


SPREAD_HINT = N_("probabilities here range from about 1e-7 to 1; the gradient of a tiny probability is tiny but "
                 "exact with the Jacobian you derived, and loses its digits with a difference quotient.")
LARGE_LOGITS_HINT = N_("subtract the row maximum before np.exp (chapter 7), so logits of ±1e4 do not overflow.")


def _softmax(rng_for):
    rng = rng_for("Softmax")
    N, C = _dims(rng, 3, 6), _dims(rng, 3, 6)
    cases = [Case(Message(N_("random logits ({N}, {C})"), N=N, C=C), [], {"x": rng.standard_normal((N, C))}, None),
             Case(N_("batch of one"), [], {"x": rng.standard_normal((1, C))}, None, gradcheck=False),
             Case(N_("spread logits: probabilities from 1e-7 to 1"), [], {"x": 6 * rng.standard_normal((4, 6))}, None,
                  gradcheck=False, hint=SPREAD_HINT),
             Case(N_("large logits ±1e3..1e4"), [], {"x": rng.standard_normal((3, C)) * rng.uniform(1e3, 1e4)}, None,
                  gradcheck=False, hint=LARGE_LOGITS_HINT)]
    large = Case("", [], {"x": rng.standard_normal(LARGE)}, None)
    return standard_tests("Softmax", SoftmaxReference, _elementwise(cases, rng), _elementwise([large], rng)[0])
