"""The standard tests of a layer class: forward, backward, gradient check, no mutation.

For a class such as MatMul and a list of cases (inputs drawn by the exercise), this makes:
- `MatMul.forward [case]`: the learner's output against the library's reference layer;
- `MatMul.backward [case]`: dx (dy) and every parameter gradient (dW, db) against the reference;
- `MatMul gradient check [case]`: the learner's backward against central differences of the
  learner's own forward, which tells "backward is wrong" apart from "forward is wrong";
- `MatMul leaves its inputs unchanged`: forward must not change x, backward must not change dout.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .specs import (Check, attr, call, expect, expect_gradcheck, expect_unchanged, lit,
                    make_test, new, numgrad, save)

GRAD_NAMES = {"x": "dx", "y": "dy"}


@dataclass
class Case:
    """One set of inputs for a layer. init holds the constructor's arguments in order:
    arrays (sent to the child under their name) or plain values (axis, repeats)."""

    label: str
    init: list  # [(name, value)]
    inputs: dict  # the differentiated forward arguments, {"x": ...} or {"x": ..., "y": ...}
    dout: object  # upstream gradient: an array, or a number passed as it is (SoftmaxWithLoss: 1)
    constants: dict = field(default_factory=dict)  # forward arguments not differentiated (labels t)
    gradcheck: bool = True
    backward: bool = True
    forward_tol: float = 1e-7
    forward_check: object = None  # (label, found, expected) -> message or None, instead of compare
    hint: str = ""  # what this case tests, shown when it fails


def layer_tests(cls, reference, cases, *, params=(), points=(1, 2, 1, 1)):
    """All standard tests of class `cls` (the learner's name) against the `reference` class.

    points: (forward per case, backward per case, gradient check per case, no mutation).
    """
    forward_points, backward_points, gradcheck_points, mutation_points = points
    tests = []
    for case in cases:
        tests.append(_forward_test(cls, reference, case, forward_points))
    for case in cases:
        if case.backward:
            tests.append(_backward_test(cls, reference, case, params, backward_points))
    for case in cases:
        if case.gradcheck:
            tests.append(_gradcheck_test(cls, reference, case, params, gradcheck_points))
    if mutation_points:
        tests.append(_mutation_test(cls, reference, cases[0], params, mutation_points))
    return tests


def _sent(case):
    """The arrays this case sends to the child."""
    arrays = {name: v for name, v in case.init if isinstance(v, np.ndarray)}
    arrays.update(case.inputs)
    arrays.update({k: v for k, v in case.constants.items() if isinstance(v, np.ndarray)})
    if isinstance(case.dout, np.ndarray):
        arrays["dout"] = case.dout
    return arrays


def _args(case):
    init = [name if isinstance(v, np.ndarray) else lit(v) for name, v in case.init]
    forward = list(case.inputs) + [k if isinstance(v, np.ndarray) else lit(v) for k, v in case.constants.items()]
    dout = "dout" if isinstance(case.dout, np.ndarray) else lit(case.dout)
    return init, forward, dout


def _reference(reference, case, params):
    """Forward output and every gradient of the library's layer on this case."""
    layer = reference(*[np.copy(v) for _, v in case.init])
    y = layer.forward(*[np.copy(v) for v in case.inputs.values()], *case.constants.values())
    grads = layer.backward(np.copy(case.dout))
    grads = grads if isinstance(grads, tuple) else (grads,)
    expected = {GRAD_NAMES[name]: g for name, g in zip(case.inputs, grads)}
    expected.update({"d" + p: getattr(layer, "d" + p) for p in params})
    return y, expected


def _forward_checks(cls, reference, case, outputs):
    y, _ = _reference(reference, case, ())
    label = f"{cls}.forward output"
    if case.forward_check and "y" in outputs:
        return [Check(label, case.forward_check(label, outputs["y"], y))]
    return [expect(outputs, "y", y, label=label, tol=case.forward_tol)]


def _backward_checks(cls, reference, case, params, outputs):
    _, expected = _reference(reference, case, params)
    return [expect(outputs, name, value, label=f"{cls}.backward {name}") for name, value in expected.items()]


def _unless_wrong(checks, what):
    """None if every check passed; else one failed check: the test's credit needs `what` right first.
    (Code that computes nothing must not earn the no-mutation or self-consistency points.)"""
    failed = next((c for c in checks if c.message), None)
    if failed is None:
        return None
    return Check(failed.label, f"this counts once {what} right: {failed.message}", missing=failed.missing)


def _forward_test(cls, reference, case, points):
    init, forward, _ = _args(case)
    steps = [new("layer", cls, *init), call("layer", "forward", *forward, out=["y"])]

    def judge(outputs):
        return _forward_checks(cls, reference, case, outputs)
    return make_test(f"{cls}.forward [{case.label}]", points, steps, _sent(case), judge, [cls], case.hint)


def _backward_steps(cls, case, params):
    init, forward, dout = _args(case)
    grad_names = [GRAD_NAMES[name] for name in case.inputs]
    return [new("layer", cls, *init), call("layer", "forward", *forward, out=["y"]),
            call("layer", "backward", dout, out=grad_names),
            *[attr("layer", "d" + p, "d" + p) for p in params]]


def _backward_test(cls, reference, case, params, points):
    steps = _backward_steps(cls, case, params)

    def judge(outputs):
        return _backward_checks(cls, reference, case, params, outputs)
    return make_test(f"{cls}.backward [{case.label}]", points, steps, _sent(case), judge, [cls], case.hint)


def _gradcheck_test(cls, reference, case, params, points):
    init, forward, _ = _args(case)
    steps = _backward_steps(cls, case, params)
    wrt = list(case.inputs) + list(params)
    steps += [numgrad(cls, init, "forward", forward, name, f"numeric_{name}") for name in wrt]
    shapes = {**{k: np.shape(v) for k, v in case.init}, **{k: np.shape(v) for k, v in case.inputs.items()}}

    def judge(outputs):
        gate = _unless_wrong(_forward_checks(cls, reference, case, outputs), "forward is")
        if gate:
            return [gate]
        checks = []
        for name in wrt:
            analytic = GRAD_NAMES.get(name, "d" + name)
            checks.append(expect_gradcheck(outputs, analytic, f"numeric_{name}", case.dout,
                                           shapes[name], label=f"{cls}.backward {analytic}"))
        return checks
    return make_test(f"{cls} gradient check [{case.label}]", points, steps, _sent(case), judge, [cls], case.hint)


def _mutation_test(cls, reference, case, params, points):
    init, forward, dout = _args(case)
    grad_names = [GRAD_NAMES[name] for name in case.inputs]
    steps = [new("layer", cls, *init), call("layer", "forward", *forward, out=["y"]),
             *[save(name, f"{name}_after_forward") for name in case.inputs],
             call("layer", "backward", dout, out=grad_names), *[attr("layer", "d" + p, "d" + p) for p in params]]
    if isinstance(case.dout, np.ndarray):
        steps.append(save("dout", "dout_after_backward"))

    def judge(outputs):
        values = _forward_checks(cls, reference, case, outputs) + _backward_checks(cls, reference, case, params, outputs)
        gate = _unless_wrong(values, "forward and backward are")
        if gate:
            return [gate]
        checks = [expect_unchanged(outputs, f"{name}_after_forward", value, label=f"{name} (after forward)")
                  for name, value in case.inputs.items()]
        if isinstance(case.dout, np.ndarray):
            checks.append(expect_unchanged(outputs, "dout_after_backward", case.dout,
                                           label="dout (after backward)"))
        return checks
    return make_test(f"{cls} leaves its inputs unchanged", points, steps, _sent(case), judge, [cls])

