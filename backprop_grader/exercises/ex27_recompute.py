"""Level 4, go deeper: the hidden tests of exercise 27, a backward pass that recomputes instead of storing.

The learner's `CheckpointedStack(W, b, every)` is a stack of L layers h_l = relu(h_(l-1) W[l] + b[l]),
W of shape (L, D, D) and b (L, D). Its forward keeps only the input of every `every`-th layer (the
checkpoints); its backward(dout) recomputes one segment of layers at a time from its checkpoint and
backpropagates through it, keeping dW (L, D, D) and db (L, D).

Values are judged here against `stack_gradients`, the grader's own answer, and against central
differences of its forward. The saving is judged by the sandbox: this exercise has a memory budget
(memory.py), so the child's address space is capped, by the parent, at what the child needs with no
submission plus MEMORY_BUDGET. On the deep case (400 layers of width 16, a batch of 4,096) storing the
input of every layer takes 200 MiB, three times the budget, while checkpoints every 20 layers and one
recomputed segment take about 25 MiB, a third of it: the margin both ways is wide enough that numpy's
temporaries cannot decide a case. A store-everything backward meets a MemoryError there (finite
differences meet the CPU limit), and every backward test requires that case.
"""
from __future__ import annotations

import functools

import numpy as np

from backprop_lib.gradcheck import loss_magnitude, numerical_gradients, roundoff_floor
from backprop_grader.language import N_, Message, _
from backprop_grader.exercises.mistakes import gradient_checks
from backprop_grader.judging.verdicts import Check, expect, expect_gradcheck, expect_unchanged
from backprop_grader.exercises.spec import Exercise, make_test
from backprop_grader.exercises.steps import attr, call, lit, new, save
from backprop_grader.exercises.cases import dims
from backprop_grader.exercises.layer_tests import LARGE_LABEL
from backprop_grader.exercises.once_right import unless_wrong

MEMORY_BUDGET = 80 << 20  # bytes of address space beyond the child's own
# He's scale times a gain: at He's own, 400 layers of width 16 forget their input and the first layers' gradients
# fall to 1e-16 of the last's, below what a comparison can see; with 1.07 they stay within about 5 orders.
GAIN = 1.07
DEEP = {"L": 400, "D": 16, "N": 4096, "every": 20}  # storing every layer's input: 400 x 4096 x 16 x 8 B = 200 MiB
MEMORY_HINT = N_("this case runs with {budget} MiB of memory beyond what the grader's own code needs. Keeping the "
                 "input of each of its 400 layers takes 200 MiB; checkpoints every 20 layers and one recomputed "
                 "segment take about 25 MiB. Hint: if your code ran out of memory here (MemoryError), look for "
                 "what keeps every layer's input alive until backward: a list, or layer objects that cache x.")
GRADIENTS = ("dW", "db")


def _layer(h, W, b):
    """h W + b with einsum: numpy's own loop, not a BLAS whose threads a busy grading machine slows tenfold on
    hundreds of these small products."""
    return np.einsum("nd,dh->nh", h, W) + b


def stack_forward(x, W, b):
    h = x
    for l in range(len(W)):
        h = np.maximum(_layer(h, W[l], b[l]), 0)
    return h


def stack_gradients(x, W, b, dout, every, mistake=None):
    """(y, {"dW", "db"}) for upstream gradient dout, itself recomputing one segment at a time (a parent that grades
    many submissions stores no more than a learner may); `mistake` makes a classic wrong answer."""
    L = len(W)
    checkpoints, h = [], x
    for l in range(L):
        if l % every == 0:
            checkpoints.append(h)
        h = np.maximum(_layer(h, W[l], b[l]), 0)
    y, dW, db = h, np.zeros_like(W), np.zeros_like(b)
    upstream = dout
    for start in reversed(range(0, L, every)):
        stop = min(start + every, L)
        inputs, pre, h = [], [], checkpoints[start // every]
        for l in range(start, stop):
            inputs.append(h)
            pre.append(_layer(h, W[l], b[l]))
            h = np.maximum(pre[-1], 0)
        if mistake == "restarted":  # every segment's backward starts from backward's own dout
            upstream = dout
        for l in reversed(range(start, stop)):
            da = np.where(pre[l - start] > 0, upstream, 0.0)  # ReLU: 0 where a <= 0, as the library's Relu
            dW[l], db[l] = np.einsum("nd,nh->dh", inputs[l - start], da), np.sum(da, axis=0)
            upstream = np.einsum("nh,dh->nd", da, W[l])
    return y, {"dW": dW, "db": db}


class StackReference:
    """The grader's stack, for central differences: forward(x) with parameters W, b."""

    param_names = ("W", "b")

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        return stack_forward(x, self.W, self.b)


MISTAKES = {  # the hint each classic mistake gets (backprop_grader.mistakes)
    "restarted": N_("this is what backward gives when every segment starts again from the dout that backward was "
                    "given: dout is the gradient of the last layer's output only, and the segment below gets the "
                    "gradient that the segment above sent back to its first layer's input, exactly as if nothing "
                    "had been recomputed."),
}


class Case:
    """Inputs of one case, and the grader's answers on it (computed once, however many submissions)."""

    def __init__(self, label, rng, L, D, N, every, hint=""):
        self.label, self.hint, self.every = label, hint, every
        self.inputs = {"W": rng.standard_normal((L, D, D)) * np.sqrt(2.0 / D) * GAIN,
                       "b": 0.1 * rng.standard_normal((L, D)),
                       "x": rng.standard_normal((N, D)), "dout": rng.standard_normal((N, D))}
        self._wrong = {}

    def arrays(self):
        i = self.inputs
        return i["x"], i["W"], i["b"], i["dout"], self.every

    @functools.cached_property
    def expected(self):
        """(y, the gradients)."""
        return stack_gradients(*self.arrays())

    def wrong(self, mistake):
        """The gradients that a classic mistake gives: computed for a wrong answer only, once."""
        if mistake not in self._wrong:
            self._wrong[mistake] = stack_gradients(*self.arrays(), mistake=mistake)[1]
        return self._wrong[mistake]

    @functools.cached_property
    def numerical(self):
        """(central differences of the reference's forward, their rounding floor)."""
        layer = StackReference(np.copy(self.inputs["W"]), np.copy(self.inputs["b"]))
        inputs, dout = [self.inputs["x"]], self.inputs["dout"]
        numeric = numerical_gradients(layer, inputs, (), dout)
        return {"dW": numeric["W"], "db": numeric["b"]}, roundoff_floor(loss_magnitude(layer, inputs, (), dout))


def _away_from_kink(case, margin=1e-3):
    """Whether no pre-activation of the case lies within `margin` of ReLU's kink (for a numerical gradient)."""
    h, W, b = case.inputs["x"], case.inputs["W"], case.inputs["b"]
    for l in range(len(W)):
        a = h @ W[l] + b[l]
        if np.min(np.abs(a)) < margin:
            return False
        h = np.maximum(a, 0)
    return True


def _steps(case, backward=True, unchanged=False):
    steps = [new("net", "CheckpointedStack", "W", "b", lit(case.every)), call("net", "forward", "x", out=["y"])]
    if backward:
        steps += [call("net", "backward", "dout"), attr("net", "dW", "dW"), attr("net", "db", "db")]
    if unchanged:
        steps += [save(name, f"{name}_after") for name in ("x", "dout", "W", "b")]
    return steps


def _gradient_checks(outputs, case):
    return gradient_checks(outputs, case.expected[1], case.wrong, MISTAKES, "CheckpointedStack")


def _name(kind, case):
    return Message(N_("CheckpointedStack.{kind} [{case}]"), kind=kind, case=case.label)


def _forward_test(case):
    def judge(outputs):
        return [expect(outputs, "y", case.expected[0], label="CheckpointedStack.forward y")]
    return make_test(_name("forward", case), 1, _steps(case, backward=False), case.inputs, judge,
                     ["CheckpointedStack"], case.hint, kind="CheckpointedStack.forward")


def _backward_test(case, points, requires):
    return make_test(_name("backward", case), points, _steps(case), case.inputs,
                     lambda outputs: _gradient_checks(outputs, case), ["CheckpointedStack"], case.hint, requires,
                     kind="CheckpointedStack.backward")


def _memory_test(case):
    def judge(outputs):
        checks = _gradient_checks(outputs, case)
        if any(c.missing for c in checks):
            message = _("{array} was not computed: {hint}").format(
                array="dW", hint=_(MEMORY_HINT).format(budget=MEMORY_BUDGET >> 20))
            # not `missing`: the report shows this message under the error the code raised (a MemoryError)
            return [Check(checks[0].label, message, array=checks[0].array),
                    Check(checks[1].label, _("{array} was not computed either.").format(array="db"),
                          array=checks[1].array)]
        return checks
    return make_test(_name("backward", case), 2, _steps(case), case.inputs, judge, ["CheckpointedStack"],
                     kind="CheckpointedStack.backward")


def _gradcheck_test(case, requires):
    def judge(outputs):
        numeric, floor = case.numerical
        return [expect_gradcheck(outputs, name, numeric[name], label=f"CheckpointedStack.backward {name}",
                                 atol=floor) for name in GRADIENTS]
    return make_test(Message(N_("CheckpointedStack gradient check [{case}]"), case=case.label), 1, _steps(case),
                     case.inputs, judge, ["CheckpointedStack"], case.hint, requires,
                     kind="CheckpointedStack gradient check")


def _mutation_test(case, requires):
    def judge(outputs):
        values = [expect(outputs, "y", case.expected[0], label="CheckpointedStack.forward y")]
        gate = unless_wrong(values + _gradient_checks(outputs, case))
        if gate:
            return [gate]
        return [expect_unchanged(outputs, f"{name}_after", case.inputs[name],
                                 label=_("{array} (after forward and backward)").format(array=name))
                for name in ("x", "dout", "W", "b")]
    return make_test(N_("CheckpointedStack leaves x, dout, W and b unchanged"), 1, _steps(case, unchanged=True),
                     case.inputs, judge, ["CheckpointedStack"], requires=requires)


def recompute_tests(rng_for):
    rng = rng_for("CheckpointedStack")

    def case(label, L, every, N=None, **fields):
        return Case(Message(label, L=L, every=every, **fields), rng, L, dims(rng, 3, 5),
                    N or dims(rng, 3, 6), every)
    cases = [case(N_("L={L} layers, every={every}"), 6, 2),
             case(N_("L={L}, every={every}: a shorter last segment"), 7, 3),
             case(N_("one layer"), 1, 1),
             case(N_("batch of one, L={L}, every={every}"), 5, 2, N=1),
             case(N_("every={every} > L={L}: the input is the only checkpoint"), 4, 10),
             case(N_("every={every}: every layer's input is a checkpoint"), 5, 1)]
    checked = case(N_("L={L}, every={every}, no input near ReLU's kink"), 5, 2)
    while not _away_from_kink(checked):  # a nudge of h across the kink would make the numerical gradient meaningless
        checked = case(N_("L={L}, every={every}, no input near ReLU's kink"), 5, 2)
    deep = Case(Message(N_("L={L}, D={D}, N={N}, every={every}, within the memory budget: {case}"), **DEEP,
                        case=LARGE_LABEL), rng_for("CheckpointedStack deep"), **DEEP)
    memory = _memory_test(deep)
    required = memory
    return ([_forward_test(c) for c in cases[:5]] + [memory] + [_backward_test(c, 2, required) for c in cases]
            + [_gradcheck_test(checked, required), _mutation_test(cases[0], required)])


# The setup cell imports layers (Affine, Relu), checks and gradcheck; no library module holds the answer. The
# reference's child takes 0.8 s of CPU (the deep case, and its recomputation): the CPU limit stays 4 s, and the wall
# limit is twice the usual, so that a busy machine cannot stop it.
EXERCISE = Exercise("27", "27_recompute", N_("Recompute instead of storing"), ("CheckpointedStack",), recompute_tests,
                    library_modules=("layers", "checks", "gradcheck"), memory_budget=MEMORY_BUDGET, wall_seconds=12.0)
