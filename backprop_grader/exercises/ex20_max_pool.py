"""The hidden tests of exercise 20: derive max pooling.

MaxPool(k).forward(x) splits the last axis of x (length L, a multiple of k) into L / k windows of k
neighbouring entries and keeps each window's maximum; backward routes each output's gradient to the
entry that won its window. The task's convention for ties: the FIRST maximum of a window (the lowest
index) gets the whole gradient, the others 0. Cases: random rows and 3-d input (every window's winner
ahead of the runner-up by 0.05 or more, so a numerical gradient means something), a batch of one,
ties at random positions, all values negative, windows of 1 and one window per row, values of
1e7..1e8 (a difference quotient keeps few digits there, the routed gradient is exact), and a large
input of values of every size up to 1e8: finite differences entry by entry cannot finish it in time,
and nudging one entry of every window at once (2 k passes) loses the digits of its largest values.
Typical wrong answers (the gradient copied or split over the window, sent to the last tied maximum)
are recognised and named (mistakes.py); one sent to every tied maximum differs from the right answer
only in the ties case, whose own hint names it (said once, not twice).
"""
from __future__ import annotations

import numpy as np

from backprop_grader.language import N_, Message
from backprop_grader.exercises.layer_tests import Case, standard_tests
from backprop_grader.exercises.mistakes import Mistake, recognise
from backprop_grader.exercises.spec import Exercise
from backprop_grader.exercises.cases import LARGE, dims, signs

MARGIN = 0.05  # every window's maximum is ahead of its runner-up by this much where a gradient is checked


class MaxPoolReference:
    """Non-overlapping windows of k along the last axis; ties go to the first maximum."""

    def __init__(self, k):
        self.k = int(k)

    def forward(self, x):
        windows = _windows(x, self.k)
        self.x_shape = x.shape
        self.first = np.argmax(windows, axis=-1)  # np.argmax returns the first maximum: the task's convention
        return np.max(windows, axis=-1)

    def backward(self, dout):
        routed = np.where(np.arange(self.k) == self.first[..., None], dout[..., None], 0.0)
        return routed.reshape(self.x_shape)


def _windows(x, k):
    """(..., L) -> (..., L / k, k): window w holds x[..., w k], ..., x[..., w k + k - 1]."""
    return x.reshape(*x.shape[:-1], x.shape[-1] // k, k)


# --- typical wrong answers, computed here on a case's inputs ---------------------------------

def _k(case):
    return int(case.init[0][1])


def _copied(case):
    return np.repeat(case.dout, _k(case), axis=-1)


def _split(case):
    return np.repeat(case.dout, _k(case), axis=-1) / _k(case)


def _last_maximum(case):
    windows = _windows(case.inputs["x"], _k(case))[..., ::-1]
    last = windows.shape[-1] - 1 - np.argmax(windows, axis=-1)
    return np.where(np.arange(_k(case)) == last[..., None], case.dout[..., None], 0.0).reshape(case.inputs["x"].shape)


def _strided(case):
    """Windows taken every L/k entries (x.reshape(..., k, L/k)) instead of k neighbours."""
    x, k = case.inputs["x"], _k(case)
    return np.max(x.reshape(*x.shape[:-1], k, x.shape[-1] // k), axis=-2)


def _max_with_zero(case):
    return np.maximum(np.max(_windows(case.inputs["x"], _k(case)), axis=-1), 0.0)


COPIED_HINT = N_("the gradient is routed, not copied: only the entry that won its window affected the output, so "
                 "only it gets the window's gradient, and the others get 0 (a nudge of a loser changes nothing).")
SPLIT_HINT = N_("the output is the window's maximum, not its mean: the whole gradient goes to the entry that won "
                "the window, none of it to the others.")
TIES_HINT = N_("where several entries of a window share its maximum, only the FIRST of them (the lowest index) gets "
               "the gradient, the others 0: the task's convention. The gradient is routed, never copied: each "
               "window's gradients still add up to its dout.")
LAST_HINT = N_("ties: the task gives the gradient to the FIRST maximum of a window (the lowest index), not the last.")
STRIDED_HINT = N_("a window is k neighbouring entries, (x_1, ..., x_k), then (x_(k+1), ..., x_(2k)), and so on: "
                  "look at how the last axis is reshaped.")
ZERO_HINT = N_("every entry of a window may be negative: the maximum starts from the window's own entries, not "
               "from 0.")
MISTAKES = (Mistake("dx", _copied, COPIED_HINT), Mistake("dx", _split, SPLIT_HINT),
            Mistake("dx", _last_maximum, LAST_HINT),
            Mistake("y", _strided, STRIDED_HINT), Mistake("y", _max_with_zero, ZERO_HINT))

HUGE_HINT = N_("for values of 1e7..1e8 the gradient is still exactly dout or 0: route it by finding each window's "
               "winner, do not estimate it with a difference quotient.")


def _right(case):
    if "right" not in case.expected:
        layer = MaxPoolReference(_k(case))
        y = layer.forward(np.copy(case.inputs["x"]))
        case.expected["right"] = {"y": y, "dx": layer.backward(np.copy(case.dout))}
    return case.expected["right"]


def _apart(x, k, margin=MARGIN):
    """x with every window's maximum raised to `margin` above the window's runner-up."""
    windows = _windows(x.copy(), k)
    if k > 1:
        top2 = np.sort(windows, axis=-1)[..., -2:]
        first = np.argmax(windows, axis=-1)[..., None]
        np.put_along_axis(windows, first, np.maximum(top2[..., 1:], top2[..., :1] + margin), axis=-1)
    return windows.reshape(x.shape)


def _ties(rng, shape, k):
    """Windows where the maximum is shared by 2..k entries at random positions, in about half of them
    (and every entry in some); the other windows have a clear winner."""
    x = _apart(rng.standard_normal(shape), k)
    windows = _windows(x, k)
    for index in np.ndindex(windows.shape[:-1]):
        if rng.random() < 0.6:
            count = k if rng.random() < 0.25 else int(rng.integers(2, k + 1))
            windows[index][rng.choice(k, count, replace=False)] = np.max(windows[index])
    return windows.reshape(shape)


def _rows(rng, N, k, windows=None):
    return N, k * (windows or dims(rng, 2, 4))


def _max_pool(rng_for):
    rng = rng_for("MaxPool")
    k, N = dims(rng, 2, 4), dims(rng, 3, 5)
    shape = _rows(rng, N, k)
    k_ties = dims(rng, 3, 4)
    L_one = dims(rng, 3, 6)
    cases = [
        Case(Message(N_("random rows {shape}, k = {k}"), shape=shape, k=k), [("k", k)],
             {"x": _apart(rng.standard_normal(shape), k)}, None),
        Case(Message(N_("3-d input {shape}, k = {k}"), shape=(2, 3, k * 3), k=k), [("k", k)],
             {"x": _apart(rng.standard_normal((2, 3, k * 3)), k)}, None),
        Case(N_("batch of one"), [("k", k)], {"x": _apart(rng.standard_normal(_rows(rng, 1, k)), k)}, None,
             gradcheck=False),
        Case(Message(N_("ties at random positions, k = {k}"), k=k_ties), [("k", k_ties)],
             {"x": _ties(rng, _rows(rng, 6, k_ties, 4), k_ties)}, None, gradcheck=False, hint=TIES_HINT),
        Case(N_("every value negative"), [("k", k)], {"x": _apart(-np.abs(rng.standard_normal(shape)) - 0.1, k)},
             None),
        Case(N_("windows of 1 (k = 1)"), [("k", 1)], {"x": rng.standard_normal((N, L_one))}, None, gradcheck=False),
        Case(Message(N_("one window per row (k = {k})"), k=L_one), [("k", L_one)],
             {"x": _apart(rng.standard_normal((N, L_one)), L_one)}, None, gradcheck=False),
        Case(N_("values of ±1e7..1e8"), [("k", k)],
             {"x": signs(rng, shape) * rng.uniform(1e7, 1e8, shape)}, None, gradcheck=False, hint=HUGE_HINT),
    ]
    k_large = int(rng.choice([2, 4, 5]))
    # values of every size up to 1e8: nudging one entry of every window at once is fast, but keeps few digits here
    every_size = rng.standard_normal(LARGE) * 10.0 ** rng.uniform(0, 8, LARGE)
    large = Case("", [("k", k_large)], {"x": _apart(every_size, k_large)}, None)
    for case in cases + [large]:
        x, k_case = case.inputs["x"], _k(case)
        case.dout = rng.standard_normal(x.shape[:-1] + (x.shape[-1] // k_case,))
    return recognise(standard_tests("MaxPool", MaxPoolReference, cases, large), cases + [large], _right, MISTAKES)


EXERCISE = Exercise("20", "20_max_pool", N_("Derive max pooling"), ("MaxPool",), _max_pool,
                    library_modules=("checks", "gradcheck"))
