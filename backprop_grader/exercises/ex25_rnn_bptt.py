"""Level 4, go deeper: the hidden tests of exercise 25, backpropagation through time.

The learner's `RNN(Wx, Wh, b)` unrolls h_t = tanh(x_t Wx + h_{t-1} Wh + b) over the T steps of
xs (N, T, D) from h0 (N, H); `backward(dhs)` takes dL/dh_t for every step (N, T, H) and returns
(dxs, dh0), keeping dWx, dWh, db. Everything is judged here against `bptt`, the grader's own
answer (it never reaches the child), and against central differences of its forward.
T is drawn per case, T = 1 included; one case is a batch of one, one has a loss on the last
state only. A large case (finite differences: minutes; backprop: milliseconds) gates the others.
A wrong gradient is compared with what the classic mistakes give (the shared weights' gradients
overwritten at each step instead of summed, the gradient of h_t not carried to step t - 1, the
upstream gradient of the intermediate steps ignored, dWh paired with h_t): when one matches, the
report names it instead of a generic hint.
"""
from __future__ import annotations

import functools

import numpy as np

from backprop_lib.gradcheck import loss_magnitude, numerical_gradients, roundoff_floor
from backprop_grader.language import N_, Message, _
from backprop_grader.exercises.mistakes import gradient_checks
from backprop_grader.judging.verdicts import expect, expect_gradcheck, expect_unchanged
from backprop_grader.exercises.spec import Exercise, make_test
from backprop_grader.exercises.steps import attr, call, new, save
from backprop_grader.exercises.cases import dims
from backprop_grader.exercises.layer_tests import LARGE_LABEL
from backprop_grader.exercises.once_right import unless_wrong

LARGE_HINT = N_("on this input finite differences take minutes and backpropagation through time milliseconds: "
                "each gradient counts in the other tests only where it is right here.")
GRADIENTS = ("dxs", "dh0", "dWx", "dWh", "db")
PARAMS = ("Wx", "Wh", "b")


def bptt(xs, h0, Wx, Wh, b, dhs, mistake=None):
    """(hs, {"dxs", "dh0", "dWx", "dWh", "db"}) of the unrolled RNN; `mistake` makes a classic wrong answer."""
    N, T, _D = xs.shape
    hs = np.empty((N, T, Wx.shape[1]))
    h = h0
    for t in range(T):
        h = hs[:, t] = np.tanh(xs[:, t] @ Wx + h @ Wh + b)
    grads = {"dxs": np.zeros_like(xs), "dWx": np.zeros_like(Wx), "dWh": np.zeros_like(Wh), "db": np.zeros_like(b)}
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        upstream = dhs[:, t] if mistake != "last only" or t == T - 1 else 0.0
        dh = upstream if mistake == "no carry" else upstream + dh_next
        da = dh * (1 - hs[:, t] ** 2)
        h_prev = hs[:, t - 1] if t > 0 else h0
        if mistake == "h_t in dWh":
            h_prev = hs[:, t]
        grads["dxs"][:, t] = da @ Wx.T
        step = {"dWx": xs[:, t].T @ da, "dWh": h_prev.T @ da, "db": np.sum(da, axis=0)}
        for key, value in step.items():
            grads[key] = value if mistake == "overwritten" else grads[key] + value
        dh_next = da @ Wh.T
    grads["dh0"] = dh_next
    return hs, {name: grads[name] for name in GRADIENTS}


class RNNReference:
    """The grader's RNN, in the layer convention of layer_tests: forward(xs, h0), backward(dhs) -> (dxs, dh0)."""

    param_names = PARAMS

    def __init__(self, Wx, Wh, b):
        self.Wx, self.Wh, self.b = Wx, Wh, b

    def forward(self, xs, h0):
        self.xs, self.h0 = xs, h0
        hs, _grads = bptt(xs, h0, self.Wx, self.Wh, self.b, np.zeros((xs.shape[0], xs.shape[1], self.Wx.shape[1])))
        return hs

    def backward(self, dhs):
        _hs, grads = bptt(self.xs, self.h0, self.Wx, self.Wh, self.b, dhs)
        self.dWx, self.dWh, self.db = grads["dWx"], grads["dWh"], grads["db"]
        return grads["dxs"], grads["dh0"]


MISTAKES = {  # the hint each classic mistake gets (backprop_grader.mistakes)
    "overwritten": N_("this is the gradient of one time step only: Wx, Wh and b are shared by every step (one value "
                      "used T times, a branch node of chapter 3), so their gradients are the sum over the steps, "
                      "not the last step's."),
    "no carry": N_("this is what backward gives when each step sees only its own dhs[:, t]: h_t feeds the loss and "
                   "the next step (a branch node), so the gradient reaching h_t is dhs[:, t] plus what step t + 1 "
                   "sends back through Wh. Carry it from step to step; what reaches h0 is dh0."),
    "last only": N_("this is what backward gives when only the last step's dhs[:, T - 1] is used: the loss may read "
                    "every h_t, so at each step t add dhs[:, t] to the gradient carried back from step t + 1."),
    "h_t in dWh": N_("this pairs step t's gradient with h_t instead of h_(t-1): at step t, Wh multiplies the previous "
                     "state h_(t-1) (h0 at the first step), so that is the state whose transpose goes into dWh."),
}


class Case:
    """Inputs of one RNN case, and the grader's answers on it (computed once, however many submissions)."""

    def __init__(self, label, rng, N, T, D, H, last_only=False, hint=""):
        self.label, self.hint = label, hint
        dhs = rng.standard_normal((N, T, H))
        if last_only:
            dhs[:, :-1] = 0.0
        self.inputs = {"Wx": rng.standard_normal((D, H)) / np.sqrt(D), "Wh": rng.standard_normal((H, H)) / np.sqrt(H),
                       "b": 0.1 * rng.standard_normal(H), "xs": rng.standard_normal((N, T, D)),
                       "h0": 0.5 * rng.standard_normal((N, H)), "dhs": dhs}
        self._wrong = {}

    def arrays(self):
        i = self.inputs
        return i["xs"], i["h0"], i["Wx"], i["Wh"], i["b"], i["dhs"]

    @functools.cached_property
    def expected(self):
        """(hs, the gradients)."""
        return bptt(*self.arrays())

    def wrong(self, mistake):
        """The gradients that a classic mistake gives: computed for a wrong answer only, once."""
        if mistake not in self._wrong:
            self._wrong[mistake] = bptt(*self.arrays(), mistake=mistake)[1]
        return self._wrong[mistake]

    @functools.cached_property
    def numerical(self):
        """(central differences of the reference's forward, their rounding floor)."""
        layer = RNNReference(*[np.copy(self.inputs[p]) for p in PARAMS])
        inputs, dhs = [self.inputs["xs"], self.inputs["h0"]], self.inputs["dhs"]
        numeric = numerical_gradients(layer, inputs, (), dhs, PARAMS)
        floor = roundoff_floor(loss_magnitude(layer, inputs, (), dhs))
        return {"dxs": numeric["x"], "dh0": numeric["y"], **{f"d{p}": numeric[p] for p in PARAMS}}, floor


def _steps(with_backward=True, unchanged=False):
    steps = [new("rnn", "RNN", "Wx", "Wh", "b"), call("rnn", "forward", "xs", "h0", out=["hs"])]
    if unchanged:
        steps += [save("xs", "xs_after_forward"), save("h0", "h0_after_forward")]
    if with_backward:
        steps += [call("rnn", "backward", "dhs", out=["dxs", "dh0"]),
                  *[attr("rnn", f"d{p}", f"d{p}") for p in PARAMS]]
    if unchanged:
        steps.append(save("dhs", "dhs_after_backward"))
    return steps


def _gradient_checks(outputs, case):
    return gradient_checks(outputs, case.expected[1], case.wrong, MISTAKES, "RNN")


def _forward_test(case):
    def judge(outputs):
        return [expect(outputs, "hs", case.expected[0], label="RNN.forward hs")]
    return make_test(Message(N_("RNN.forward [{case}]"), case=case.label), 1, _steps(with_backward=False),
                     case.inputs, judge, ["RNN"], case.hint, kind="RNN.forward")


def _backward_test(case, points, requires=None, hint=""):
    return make_test(Message(N_("RNN.backward [{case}]"), case=case.label), points, _steps(), case.inputs,
                     lambda outputs: _gradient_checks(outputs, case), ["RNN"], hint or case.hint, requires,
                     kind="RNN.backward")


def _gradcheck_test(case, requires):
    def judge(outputs):
        numeric, floor = case.numerical
        return [expect_gradcheck(outputs, name, numeric[name], label=f"RNN.backward {name}", atol=floor)
                for name in GRADIENTS]
    return make_test(Message(N_("RNN gradient check [{case}]"), case=case.label), 1, _steps(), case.inputs, judge,
                     ["RNN"], case.hint, requires, kind="RNN gradient check")


def _mutation_test(case, requires):
    def judge(outputs):
        values = [expect(outputs, "hs", case.expected[0], label="RNN.forward hs")] + _gradient_checks(outputs, case)
        gate = unless_wrong(values)
        if gate:
            return [gate]
        return [expect_unchanged(outputs, "xs_after_forward", case.inputs["xs"], label=_("{array} (after forward)")
                                 .format(array="xs")),
                expect_unchanged(outputs, "h0_after_forward", case.inputs["h0"], label=_("{array} (after forward)")
                                 .format(array="h0")),
                expect_unchanged(outputs, "dhs_after_backward", case.inputs["dhs"], label=_("{array} (after backward)")
                                 .format(array="dhs"))]
    return make_test(N_("RNN leaves its inputs unchanged"), 1, _steps(unchanged=True), case.inputs, judge, ["RNN"],
                     requires=requires)


def rnn_tests(rng_for):
    rng = rng_for("RNN")
    N, T, D, H = dims(rng, 3, 6), dims(rng, 3, 6), dims(rng), dims(rng)
    random = Case(Message(N_("N={N}, T={T}, D={D}, H={H}"), N=N, T=T, D=D, H=H), rng, N, T, D, H)
    one_step = Case(N_("T = 1: one step"), rng, dims(rng, 3, 6), 1, dims(rng), dims(rng))
    one_row = Case(Message(N_("batch of one, T={T}"), T=(T1 := dims(rng, 3, 6))), rng, 1, T1, dims(rng), dims(rng))
    last = Case(Message(N_("a loss on the last state only, T={T}"), T=(T2 := dims(rng, 4, 8))), rng, dims(rng, 3, 6),
                T2, dims(rng), dims(rng), last_only=True)
    long = Case(Message(N_("a long sequence, T={T}"), T=(T3 := int(rng.integers(12, 21)))), rng, dims(rng, 2, 4), T3,
                dims(rng), dims(rng))
    large = Case(Message(N_("N=100, T=30, D=H=60: {case}"), case=LARGE_LABEL), rng_for("RNN large"), 100, 30, 60, 60)
    large_test = _backward_test(large, 1, hint=LARGE_HINT)
    required = large_test
    cases = [random, one_step, one_row, last, long]
    return ([_forward_test(c) for c in cases if c is not last] + [large_test]
            + [_backward_test(c, 2, required) for c in cases]
            + [_gradcheck_test(c, required) for c in (random, one_step)]
            + [_mutation_test(random, required)])


EXERCISE = Exercise("25", "25_rnn_bptt", N_("Backpropagation through time"), ("RNN",), rnn_tests)
