"""The hidden tests of exercise 22: a numerically stable log-sum-exp node, its backward derived.

LogSumExp(axis).forward(x) = log sum_k exp(x_k) along `axis` (that axis dropped from the shape),
computed with the maximum subtracted first (chapter 7, *Numerical stability: big scores*); the
learner derives the backward pass, which no page before the exercise gives. The reference below
is the grader's own and never reaches the child.

Where the grader draws the line:
- `backprop_lib.functions` is shipped (its softmax and log_softmax are chapter 7's forward
  functions): a learner whose derivation leads to one of them may use it. Finding *what* the
  backward is remains the task, and softmax works along the last axis only.
- Inputs of ±1e3..1e4 run with numpy's overflow, division and invalid-value warnings raised as
  errors, in forward and backward (as the notebook's `no_warnings` check): log(sum(exp(x)))
  without the maximum subtracted loses those cases.
- Spread inputs (gradients from below 1e-20 to 1) and inputs of ±1e3..1e4 take a difference
  quotient's digits: a gradient of 1e-30 is exact from the derived formula, pure rounding from
  (f(x + h) - f(x - h)) / 2h, even batched over a column so that it is fast.
- Ties: several entries equal to the row's maximum, at random positions. The node is smooth
  there, and its gradient must not depend on which maximum forward subtracted.
- The typical shape slip, dout (or y) broadcast against x without the summed axis put back, raises
  where the shapes differ and is silently wrong where they are square (the large case is): its
  values are recognised and named (mistakes.py).
"""
from __future__ import annotations

import numpy as np

from backprop_grader.language import N_, Message
from backprop_grader.exercises.layer_tests import Case, layer_tests
from backprop_grader.exercises.mistakes import Mistake, recognise
from backprop_grader.exercises.spec import Exercise
from backprop_grader.exercises.cases import LARGE, dims, signs



class LogSumExpReference:
    """y = log sum exp(x) along `axis`, stable; dx = dout exp(x - y), broadcast along `axis`."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        m = np.max(x, axis=self.axis, keepdims=True)
        self.x = x
        self.y = m + np.log(np.sum(np.exp(x - m), axis=self.axis, keepdims=True))
        return np.squeeze(self.y, axis=self.axis)

    def backward(self, dout):
        return np.expand_dims(dout, self.axis) * np.exp(self.x - self.y)


def _ties(rng, shape):
    """Rows (along the last axis) whose maximum appears 2 or 3 times, at random positions."""
    x = rng.standard_normal(shape)
    for row in x.reshape(-1, shape[-1]):
        where = rng.choice(shape[-1], size=int(rng.integers(2, 4)), replace=False)
        row[where] = np.max(row) + rng.uniform(0.0, 1.0)
    return x


AXIS_HINT = N_("the node sums along its axis, which may be any axis, negative ones included (-1 is the last): "
               "the output drops that axis, so dout has one axis fewer than x and must be spread back along it.")
VECTOR_HINT = N_("for a vector x of shape (C,) the output is a single number (shape ()), and so is dout.")
STRICT_HINT = N_("with inputs of ±1e3..1e4, np.exp overflows unless the maximum is subtracted first (chapter 7, "
                 "*Numerical stability: big scores*); the backward pass must not exponentiate x itself either.")
SPREAD_HINT = N_("here the entries of a row differ by up to about 100, so some gradients are below 1e-20: "
                 "exact from the formula you derived, lost by a difference quotient.")
TIES_HINT = N_("here the maximum of a row appears more than once. The node is smooth there: the gradient must not "
               "depend on which of the equal entries forward subtracted.")


UNALIGNED_HINT = N_("dout (and y, unless forward kept the summed axis) has one axis fewer than x, and numpy lines "
                    "shapes up from the right: against x of shape (N, C), a vector of N entries meets the last axis, "
                    "not the rows. Where N = C nothing complains and each row is multiplied by the wrong numbers. Put "
                    "the summed axis back, with size 1, before you broadcast (as chapter 3's sum node does in its "
                    "backward).")


# --- typical wrong answers, computed here on a case's inputs ---------------------------------

def _parts(case):
    x, axis = case.inputs["x"], dict(case.init)["axis"]
    m = np.max(x, axis=axis, keepdims=True)
    y_kept = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return x, np.asarray(case.dout), axis, y_kept


def _lined_up_from_the_right(compute):
    """What numpy computes when the arrays are lined up from the right; where it cannot, the learner's code
    raised, and an empty array is never recognised."""
    try:
        return compute()
    except ValueError:
        return np.zeros(0)


def _unaligned(case):  # dout * exp(x - y), neither with the summed axis put back
    x, dout, axis, y_kept = _parts(case)
    return _lined_up_from_the_right(lambda: dout * np.exp(x - np.squeeze(y_kept, axis=axis)))


def _dout_unaligned(case):  # y kept its axis, dout did not get it back
    x, dout, axis, y_kept = _parts(case)
    return _lined_up_from_the_right(lambda: dout * np.exp(x - y_kept))


def _y_unaligned(case):  # dout got its axis back, y lost it
    x, dout, axis, y_kept = _parts(case)
    return _lined_up_from_the_right(lambda: np.expand_dims(dout, axis) * np.exp(x - np.squeeze(y_kept, axis=axis)))


MISTAKES = tuple(Mistake("dx", wrong, UNALIGNED_HINT) for wrong in (_unaligned, _dout_unaligned, _y_unaligned))


def _right(case):
    if "right" not in case.expected:
        layer = LogSumExpReference(dict(case.init)["axis"])
        y = layer.forward(np.copy(case.inputs["x"]))
        case.expected["right"] = {"y": y, "dx": layer.backward(np.copy(case.dout))}
    return case.expected["right"]


def _logsumexp(rng_for):
    rng = rng_for("LogSumExp")
    N, C = dims(rng, 3, 6), dims(rng, 3, 6)
    A, B = dims(rng, 2, 3), dims(rng, 2, 4)
    cases = []
    for label, axis, x, gradcheck, strict, hint in (
            (Message(N_("random ({N}, {C}), axis=-1"), N=N, C=C), -1, rng.standard_normal((N, C)), True, False, ""),
            (Message(N_("axis={axis}, x of shape {shape}"), axis=0, shape=(C, N)), 0, rng.standard_normal((C, N)), True,
             False, AXIS_HINT),
            (Message(N_("3-d input {shape}, axis=1"), shape=(A, B, C)), 1, rng.standard_normal((A, B, C)), True, False,
             AXIS_HINT),
            (Message(N_("3-d input {shape}, axis=-1"), shape=(A, B, C)), -1, rng.standard_normal((A, B, C)), False,
             False, AXIS_HINT),
            (N_("batch of one"), -1, rng.standard_normal((1, C)), False, False, ""),
            (N_("a vector (C,): the output is a number"), -1, rng.standard_normal(C), False, False, VECTOR_HINT),
            (N_("ties: the maximum of each row appears 2 or 3 times"), -1, _ties(rng, (N, C + 2)), True, False,
             TIES_HINT),
            (N_("spread inputs: gradients from below 1e-20 to 1"), -1, 30 * rng.standard_normal((N, C + 2)), False,
             False, SPREAD_HINT),
            (N_("inputs of ±1e3..1e4"), -1, signs(rng, (N, C)) * rng.uniform(1e3, 1e4, (N, C)), False, True,
             STRICT_HINT)):
        dout = rng.standard_normal(tuple(d for i, d in enumerate(x.shape) if i != axis % x.ndim))
        cases.append(Case(label, [("axis", axis)], {"x": x}, dout, gradcheck=gradcheck, strict=strict, hint=hint))
    large = Case("", [("axis", -1)], {"x": rng.standard_normal(LARGE)}, rng.standard_normal(LARGE[0]),
                 gradcheck=False)
    return recognise(layer_tests("LogSumExp", LogSumExpReference, cases, large=large), cases + [large], _right,
                     MISTAKES)


# functions (softmax, log_softmax: chapter 7's forward functions) is shipped: see the docstring.
EXERCISE = Exercise("22", "22_logsumexp", N_("Derive the log-sum-exp node"), ("LogSumExp",), _logsumexp,
                    library_modules=("functions", "gradcheck", "checks"))
