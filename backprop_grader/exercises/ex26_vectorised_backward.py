"""Level 4, go deeper: the hidden tests of exercise 26, a loop-written backward vectorised.

The notebook gives a 1-D convolution layer `Conv1D(W, b)` (a correlation, as deep learning uses the
word): its forward, vectorised as the affine layer applied to every window of the input, and a
correct backward written with Python loops over the batch, the output channels and the positions.
The learner writes `Conv1D.backward` with numpy, without those loops.

Every value is judged here against `conv1d_backward`, the grader's own answer, and against central
differences of the forward. The clock is the sandbox's: on the large case (64 sequences, 32 output
channels, 1,000 positions: two million iterations of the given loops, about ten seconds) the loops
cannot finish within the CPU limit, while a vectorised backward takes a tenth of a second; every
other test requires that one. Wrong answers that a classic slip explains (overlapping windows
overwritten instead of added, dW's axes put back in the wrong order, db not summed over positions)
are named in the report.
"""
from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from backprop_lib.gradcheck import loss_magnitude, numerical_gradients, roundoff_floor
from backprop_grader.language import N_, Message, _
from backprop_grader.exercises.mistakes import gradient_checks
from backprop_grader.judging.verdicts import expect_gradcheck, expect_unchanged
from backprop_grader.exercises.spec import Exercise, make_test
from backprop_grader.exercises.steps import attr, call, new, save
from backprop_grader.exercises.cases import dims
from backprop_grader.exercises.layer_tests import LARGE_LABEL
from backprop_grader.exercises.once_right import unless_wrong

LARGE_HINT = N_("on this input the loops of backward_loops take about ten seconds, more than the grader's CPU "
                "limit, and a vectorised backward a tenth of a second: each gradient counts in the other tests "
                "only where it is right here.")
LARGE = {"N": 64, "C_in": 8, "C_out": 32, "L_out": 1000, "K": 5}  # 2,048,000 iterations of the given loops
GRADIENTS = ("dx", "dW", "db")


def conv1d_forward(x, W, b):
    """y[n, o, i] = b[o] + sum over c, k of x[n, c, i + k] W[o, c, k]."""
    C_out, C_in, K = W.shape
    cols = sliding_window_view(x, K, axis=2)  # cols[n, c, i, k] = x[n, c, i + k]
    return np.tensordot(cols, W, axes=([1, 3], [1, 2])).transpose(0, 2, 1) + b[:, None]


def conv1d_backward(x, W, dout, mistake=None):
    """{"dx", "dW", "db"} of the layer for upstream gradient dout; `mistake` makes a classic wrong answer."""
    C_out, C_in, K = W.shape
    N, _, L_out = dout.shape
    # the layer as the affine layer on every window: rows (n, i), columns (c, k), as the notebook's forward
    cols = sliding_window_view(x, K, axis=2).transpose(0, 2, 1, 3).reshape(N * L_out, C_in * K)
    G = dout.transpose(0, 2, 1).reshape(N * L_out, C_out)
    dW2 = cols.T @ G  # (C_in K, C_out)
    dW = dW2.reshape(W.shape) if mistake == "dW axes" else dW2.T.reshape(W.shape)
    db = np.sum(dout, axis=0) if mistake == "db positions" else np.sum(G, axis=0)
    dcols = (G @ W.reshape(C_out, C_in * K)).reshape(N, L_out, C_in, K)  # the gradient of each window
    dx = np.zeros_like(x)
    for k in range(K):  # x[n, c, i + k] sits in window i at offset k: the gradients of its copies add up
        if mistake == "overwritten":
            dx[:, :, k:k + L_out] = dcols[:, :, :, k].transpose(0, 2, 1)
        else:
            dx[:, :, k:k + L_out] += dcols[:, :, :, k].transpose(0, 2, 1)
    return {"dx": dx, "dW": dW, "db": db}


class Conv1DReference:
    """The grader's layer, for central differences: forward(x) with parameters W, b."""

    param_names = ("W", "b")

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        return conv1d_forward(x, self.W, self.b)


MISTAKES = {  # the hint each classic mistake gets (backprop_grader.mistakes)
    "overwritten": N_("this is what backward gives when the windows' gradients are written into dx (=) instead of "
                      "added to it: the windows overlap, x[n, c, j] is read by up to K windows, once at each offset "
                      "k (a repeat node of chapter 3), so its gradient is the sum of what each window sends back."),
    "dW axes": N_("the right numbers in the wrong places: the matrix product's axes (C_in K, C_out) were reshaped to "
                  "W's (C_out, C_in, K) without putting C_out first; transpose the product before you reshape it."),
    "db positions": N_("this is summed over the batch but not over the positions: the bias is added at every "
                       "position of every sequence (chapter 6, *Why the bias gradient is a sum*), so sum over both."),
}


class Case:
    """Inputs of one case, and the grader's answers on it (computed once, however many submissions)."""

    def __init__(self, label, rng, N, C_in, C_out, L_out, K, hint=""):
        self.label, self.hint = label, hint
        self.inputs = {"W": rng.standard_normal((C_out, C_in, K)) / np.sqrt(C_in * K),
                       "b": rng.standard_normal(C_out), "x": rng.standard_normal((N, C_in, L_out + K - 1)),
                       "dout": rng.standard_normal((N, C_out, L_out))}
        self._wrong = {}

    @functools.cached_property
    def expected(self):
        i = self.inputs
        return conv1d_backward(i["x"], i["W"], i["dout"])

    def wrong(self, mistake):
        """The gradients that a classic mistake gives: computed for a wrong answer only, once."""
        if mistake not in self._wrong:
            i = self.inputs
            self._wrong[mistake] = conv1d_backward(i["x"], i["W"], i["dout"], mistake=mistake)
        return self._wrong[mistake]

    @functools.cached_property
    def numerical(self):
        """(central differences of the reference's forward, their rounding floor)."""
        layer = Conv1DReference(np.copy(self.inputs["W"]), np.copy(self.inputs["b"]))
        inputs, dout = [self.inputs["x"]], self.inputs["dout"]
        numeric = numerical_gradients(layer, inputs, (), dout)
        return {f"d{k}": v for k, v in numeric.items()}, roundoff_floor(loss_magnitude(layer, inputs, (), dout))


def _steps(unchanged=False):
    steps = [new("layer", "Conv1D", "W", "b"), call("layer", "forward", "x"),
             call("layer", "backward", "dout", out=["dx"]), attr("layer", "dW", "dW"), attr("layer", "db", "db")]
    if unchanged:
        steps += [save("x", "x_after"), save("dout", "dout_after")]
    return steps


def _gradient_checks(outputs, case):
    return gradient_checks(outputs, case.expected, case.wrong, MISTAKES, "Conv1D")


def _backward_test(case, points, requires=None, hint=""):
    return make_test(Message(N_("Conv1D.backward [{case}]"), case=case.label), points, _steps(), case.inputs,
                     lambda outputs: _gradient_checks(outputs, case), ["Conv1D"], hint or case.hint, requires,
                     kind="Conv1D.backward")


def _gradcheck_test(case, requires):
    def judge(outputs):
        numeric, floor = case.numerical
        return [expect_gradcheck(outputs, name, numeric[name], label=f"Conv1D.backward {name}", atol=floor)
                for name in GRADIENTS]
    return make_test(Message(N_("Conv1D gradient check [{case}]"), case=case.label), 1, _steps(), case.inputs,
                     judge, ["Conv1D"], case.hint, requires, kind="Conv1D gradient check")


def _mutation_test(case, requires):
    def judge(outputs):
        gate = unless_wrong(_gradient_checks(outputs, case), N_("not checked yet: this point counts once backward is "
                                                                "right, and {array} is not (its own test says why)."))
        if gate:
            return [gate]
        return [expect_unchanged(outputs, "x_after", case.inputs["x"], label=_("{array} (after backward)")
                                 .format(array="x")),
                expect_unchanged(outputs, "dout_after", case.inputs["dout"], label=_("{array} (after backward)")
                                 .format(array="dout"))]
    return make_test(N_("Conv1D.backward leaves x and dout unchanged"), 1, _steps(unchanged=True), case.inputs, judge,
                     ["Conv1D"], requires=requires)


def conv1d_tests(rng_for):
    rng = rng_for("Conv1D")
    sizes = {"N": dims(rng, 2, 4), "C_in": dims(rng, 2, 3), "C_out": dims(rng, 2, 4), "L_out": dims(rng, 5, 9),
             "K": dims(rng, 2, 4)}
    random = Case(Message(N_("N={N}, C_in={C_in}, C_out={C_out}, L_out={L_out}, K={K}"), **sizes), rng, **sizes)
    cases = [
        random,
        Case(N_("batch of one"), rng, 1, dims(rng, 2, 3), dims(rng, 2, 4), dims(rng, 5, 9), dims(rng, 2, 4)),
        Case(N_("one channel in and out"), rng, dims(rng, 2, 4), 1, 1, dims(rng, 6, 12), dims(rng, 3, 5)),
        Case(N_("K = 1: the affine layer at each position"), rng, dims(rng, 2, 4), dims(rng, 2, 3),
             dims(rng, 2, 4), dims(rng, 4, 8), 1),
        Case(N_("one window: K = L, the output has length 1"), rng, dims(rng, 2, 4), dims(rng, 2, 3),
             dims(rng, 2, 4), 1, dims(rng, 3, 6)),
    ]
    large = Case(Message(N_("N=64, C_in=8, C_out=32, L_out=1000, K=5: {case}"), case=LARGE_LABEL),
                 rng_for("Conv1D large"), **LARGE)
    large_test = _backward_test(large, 2, hint=LARGE_HINT)
    required = large_test
    return ([large_test] + [_backward_test(c, 2, required) for c in cases]
            + [_gradcheck_test(c, required) for c in cases[:2]] + [_mutation_test(random, required)])


# The notebook's setup cell imports checks and gradcheck; no library module holds the answer.
EXERCISE = Exercise("26", "26_vectorised_backward", N_("Vectorise a loop-written backward"), ("Conv1D",),
                    conv1d_tests, library_modules=("checks", "gradcheck"))
