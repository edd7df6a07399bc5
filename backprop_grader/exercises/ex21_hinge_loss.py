"""The hidden tests of exercise 21: the multiclass SVM (hinge) loss of CS231n, derived as a graph.

For scores x of shape (N, C) and labels t (integers (N,) or one-hot rows (N, C)),

    L = (1/N) sum_i sum_{j != t_i} max(0, x_ij - x_{i,t_i} + 1),

a margin node, a max gate against 0, a sum that skips the true class and the mean over the batch.
The learner derives dL/dx (no page before the exercise does). The convention the task states: where
a margin is exactly 0, max(0, m) passes no gradient (as ReLU does at 0, chapter 5); the hidden
tests place such margins at random positions, with scores in multiples of 1/8 so that
x_ij - x_{i,t_i} + 1 is exactly 0 in floating point, whatever the order of the operations.
The reference below is the grader's own and never reaches the child. The typical wrong answers
get a hint that names them: the 1/N forgotten (the loss N times too large; for dx the checks'
own "N times expected"), the true class counted as a margin (the loss 1 too large), and the
true-class column that does not collect one -1 per violated margin of its row.
"""
from __future__ import annotations

import numpy as np

from backprop_lib.checks import compare, with_hint
from backprop_grader.language import N_, _
from backprop_grader.exercises.layer_tests import Case, layer_tests
from backprop_grader.judging.verdicts import Missing, get, note
from backprop_grader.exercises.spec import Exercise
from backprop_grader.exercises.cases import dims

DELTA = 1.0  # the margin the true class must win by
LARGE = (400, 300)  # N, C: finite differences over 120,000 scores take minutes, backprop milliseconds


def labels_of(t):
    """Integer labels from integer labels or one-hot rows."""
    t = np.asarray(t)
    return np.argmax(t, axis=1) if t.ndim == 2 else t


def margins_of(x, labels):
    """x_ij - x_{i,t_i} + 1 for j != t_i, and 0 at the true class (which is not a margin)."""
    rows = np.arange(x.shape[0])
    margins = x - x[rows, labels][:, None] + DELTA
    margins[rows, labels] = 0.0
    return margins


class HingeLossReference:
    """The grader's reference: the mean over the batch of each row's summed hinge."""

    def forward(self, x, t):
        self.labels = labels_of(t)
        margins = margins_of(x, self.labels)
        self.violated = margins > 0  # a margin of exactly 0 passes no gradient
        return np.sum(np.maximum(margins, 0.0)) / x.shape[0]

    def backward(self, dout=1):
        N = self.violated.shape[0]
        dx = self.violated.astype(np.float64)
        dx[np.arange(N), self.labels] = -np.sum(self.violated, axis=1)  # one -1 per violated margin
        return dx * dout / N


# --- inputs -----------------------------------------------------------------------------------

def _clear_scores(rng, N, C, scale=1.5, gap=1e-2):
    """Random scores and labels with every margin at least `gap` from 0: a numerical gradient is meaningful."""
    labels = rng.integers(0, C, N)
    while True:
        x = scale * rng.standard_normal((N, C))
        margins = x - x[np.arange(N), labels][:, None] + DELTA
        margins[np.arange(N), labels] = 1.0
        if np.min(np.abs(margins)) > gap:
            return x, labels


def _all_satisfied(rng, N, C):
    """The true class wins every row by more than the margin: loss 0, gradient 0."""
    labels = rng.integers(0, C, N)
    x = rng.standard_normal((N, C))
    others = np.where(np.eye(C, dtype=bool)[labels], -np.inf, x)
    x[np.arange(N), labels] = np.max(others, axis=1) + DELTA + rng.uniform(0.1, 2.0, N)
    return x, labels


def _all_violated(rng, N, C):
    """The true class has the lowest score of its row: every one of its C - 1 margins is violated."""
    labels = rng.integers(0, C, N)
    x = rng.standard_normal((N, C))
    others = np.where(np.eye(C, dtype=bool)[labels], np.inf, x)
    x[np.arange(N), labels] = np.min(others, axis=1) - rng.uniform(0.1, 2.0, N)
    return x, labels


def _with_ties(rng, N, C):
    """Scores in multiples of 1/8 with margins of exactly 0 at random positions (at least one per row),
    and violated ones too."""
    labels = rng.integers(0, C, N)
    x = rng.integers(-16, 17, (N, C)) / 8.0
    rows = np.arange(N)
    for i in rows:
        others = [j for j in range(C) if j != labels[i]]
        tied = rng.choice(others, size=max(1, len(others) // 2), replace=False)
        x[i, tied] = x[i, labels[i]] - DELTA  # margin exactly 0: x_ij - x_{i,t_i} + 1 == 0.0
        free = [j for j in others if j not in tied]
        if free:
            x[i, rng.choice(free)] = x[i, labels[i]] + rng.integers(1, 9) / 8.0  # violated
    return x, labels


# --- diagnoses: the typical wrong answers, named ------------------------------------------------

MEAN_HINT = N_("found is {factor} times expected: L is the mean over the batch, so divide the sum of every "
               "row's margins by N (chapter 7 divides its loss by N in the same way).")
TRUE_CLASS_COUNTED_HINT = N_("found is expected + 1: the sum runs over j != t_i only. The true class is no margin "
                             "of its own row; counted, it adds max(0, x_t - x_t + 1) = 1 to every row.")
TRUE_CLASS_COLUMN_HINT = N_("dx is wrong only in the true-class column. x_{i,t_i} appears in every margin of "
                            "row i, with the sign -: follow each violated margin back to it, and add up what "
                            "the branch receives.")
TIES_HINT = N_("where a margin is exactly 0, this exercise's max(0, m) passes no gradient (as ReLU at 0, "
               "chapter 5): such a margin counts neither for its class nor for the true class.")
SATISFIED_HINT = N_("when the true class wins every row by more than the margin, no max gate is open: the loss "
                    "and every gradient are exactly 0.")
VIOLATED_HINT = N_("when every margin of a row is violated, the true-class entry collects one term from each "
                   "of the C - 1 margins of its row.")
DOUT_HINT = N_("backward(dout) returns dout times dL/dx: the upstream gradient scales every entry.")
LABELS_HINT = N_("t may be integer labels of shape (N,) as well as one-hot rows (N, C).")  # as exercise 07


def _loss_check(N):
    """compare, plus a hint when the loss is that of a typical wrong answer."""
    def check(label, found, expected):
        message = compare(label, found, expected)
        if message is None or np.shape(found) != ():
            return message
        found, expected = float(found), float(expected)
        if abs(found - (expected + 1)) <= 1e-9 * max(1.0, abs(found)):
            return with_hint(message, _(TRUE_CLASS_COUNTED_HINT))
        if N > 1 and expected != 0 and abs(found - N * expected) <= 1e-9 * abs(found):
            return with_hint(message, _(MEAN_HINT).format(factor=N))
        return message
    return check


def _true_class_column_hint(case, judge):
    """`judge`, plus a hint when dx is wrong in the true-class column and nowhere else."""
    x, t = case.inputs["x"], case.constants["t"]
    labels = labels_of(t)

    def judged(outputs):
        checks = judge(outputs)
        try:
            found = np.asarray(get(outputs, "dx"), dtype=np.float64)
        except (Missing, TypeError, ValueError):
            return checks
        if not any(c.message for c in checks) or found.shape != x.shape:
            return checks
        reference = HingeLossReference()
        reference.forward(np.copy(x), t)
        wrong = ~np.isclose(found, reference.backward(case.dout), rtol=1e-7, atol=1e-12)
        column = np.zeros_like(wrong)
        column[np.arange(len(labels)), labels] = True
        if wrong.any() and not (wrong & ~column).any():
            checks.append(note(_("Hint: {hint}").format(hint=_(TRUE_CLASS_COLUMN_HINT))))
        return checks
    return judged


def _hinge(rng_for):
    rng = rng_for("HingeLoss")
    N, C = dims(rng, 3, 6), dims(rng, 3, 6)
    cases = []
    for label, (x, labels), one_hot, gradcheck, hint, dout in (
            (N_("random scores, integer labels"), _clear_scores(rng, N, C), False, True, "", 1),
            (N_("one-hot labels"), _clear_scores(rng, N + 1, C), True, True, LABELS_HINT, 1),
            (N_("batch of one"), _clear_scores(rng, 1, C), False, False, "", 1),
            (N_("every margin satisfied: loss 0"), _all_satisfied(rng, N, C), False, False, SATISFIED_HINT, 1),
            (N_("every margin violated"), _all_violated(rng, N, C + 2), False, False, VIOLATED_HINT, 1),
            (N_("margins of exactly 0 at random places"), _with_ties(rng, N + 2, C + 1), False, False, TIES_HINT, 1),
            (N_("random scores, dout != 1"), _clear_scores(rng, N, C), False, True, DOUT_HINT,
             float(rng.uniform(0.5, 3.0)))):
        t = np.eye(x.shape[1])[labels] if one_hot else labels
        cases.append(Case(label, [], {"x": x}, dout, constants={"t": t}, gradcheck=gradcheck,
                          forward_check=_loss_check(x.shape[0]), hint=hint))
    big_N, big_C = LARGE
    large = Case("", [], {"x": 1.5 * rng.standard_normal(LARGE)}, 1, constants={"t": rng.integers(0, big_C, big_N)},
                 gradcheck=False)
    tests = layer_tests("HingeLoss", HingeLossReference, cases, large=large)
    for test in tests:
        if test.kind == "HingeLoss.backward":
            test.judge = _true_class_column_hint(test.case, test.judge)
    return tests


EXERCISE = Exercise("21", "21_hinge_loss", N_("Derive the hinge (SVM) loss"), ("HingeLoss",), _hinge)
