"""The standard tests of a layer class: forward, backward, gradient check, no mutation, backprop.

For a class such as MatMul and a list of cases (inputs drawn by the exercise), this makes:
- `MatMul.forward [case]`: the learner's output against the library's reference layer;
- `MatMul.backward [large input: backprop, not finite differences]`: on an input so large that
  numerical differentiation takes hundreds of times longer than the run's time limit, while
  backprop takes milliseconds. The other backward tests count only once this one passes:
  the course's policy is no credit for finite differences where the task is backprop, and the
  grader's own clock (the sandbox's wall limit, out of the learner's reach) enforces it;
- `MatMul.backward [case]`: dx (dy) and every parameter gradient (dW, db) against the reference, of
  the first of two MatMul layers in use at once (the second one's forward runs between the first
  one's forward and backward, as in a network): a layer keeps what its backward needs itself
  (the large case alone has one layer: it is about time);
- `MatMul gradient check [case]`: the learner's backward against central differences of the
  reference's forward, computed here with backprop_lib.gradcheck (the course's one core);
- `MatMul leaves its inputs unchanged`: neither forward nor backward changes x, backward not dout.
What the child returns is copied as it is returned, so a backward that overwrites the array its
forward returned never makes the forward look wrong.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from backprop_lib.gradcheck import input_names, loss_magnitude, numerical_gradients, roundoff_floor
from backprop_grader.language import N_, Message, _

from backprop_grader.judging.verdicts import Check, expect, expect_gradcheck, expect_unchanged
from backprop_grader.exercises.once_right import unless_wrong
from backprop_grader.exercises.steps import attr, call, derive, lit, new, save
from backprop_grader.exercises.spec import make_test

LARGE_LABEL = N_("large input: backprop, not finite differences")
LARGE_HINT = N_("the grading policy: a backward computed by finite differences earns no points. On this input "
                "finite differences take minutes, backprop milliseconds; each gradient counts in the other tests "
                "only where it is right here.")


def grad_name(name):
    """x -> dx, W -> dW: what backward returns or keeps for an input or a parameter."""
    return "d" + name


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
    strict: bool = False  # numpy overflow warnings are errors here (the stability cases)
    # the reference's results on this case, by params: computed once, however many tests and submissions judge it
    expected: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        names = input_names(len(self.inputs))
        if tuple(self.inputs) != names:
            raise ValueError(f"a case's differentiated inputs are named {names}; found {tuple(self.inputs)}")


def layer_tests(cls, reference, cases, *, params=(), points=(1, 2, 1, 1), large=None, large_points=1):
    """All standard tests of class `cls` (the learner's name) against the `reference` class.

    points: (forward per case, backward per case, gradient check per case, no mutation).
    large: the Case on which backprop must finish within the time limit; every backward,
    gradient-check and no-mutation test then requires it. A layer with a backward task needs one
    (tests/test_grading.py checks that every exercise has it).
    """
    forward_points, backward_points, gradcheck_points, mutation_points = points
    backward_cases = [c for c in cases if c.backward]
    tests = [_forward_test(cls, reference, case, forward_points) for case in cases]
    requires = None
    if backward_cases and large is not None:
        large.label, large.hint = LARGE_LABEL, LARGE_HINT
        tests.append(_backward_test(cls, reference, large, params, large_points, None, two_layers=False))
        requires = tests[-1]
    tests += [_backward_test(cls, reference, c, params, backward_points, requires) for c in backward_cases]
    tests += [_gradcheck_test(cls, reference, c, params, gradcheck_points, requires)
              for c in backward_cases if c.gradcheck]
    if mutation_points:
        tests.append(_mutation_test(cls, reference, cases[0], params, mutation_points, requires))
    return tests



def standard_tests(cls, reference, cases, large, **options):
    """layer_tests on `cases`, with `large` as the case only backprop finishes in time."""
    large.gradcheck = False
    return layer_tests(cls, reference, cases, large=large, **options)

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


def _reference_layer(reference, case):
    return reference(*[np.copy(v) for _, v in case.init])


def _reference(reference, case, params):
    """Forward output and every gradient of the library's layer on this case ({"dx": ..., "dW": ...})."""
    key = (reference, tuple(params))
    if key not in case.expected:
        case.expected[key] = _run_reference(reference, case, params)
    return case.expected[key]


def _run_reference(reference, case, params):
    layer = _reference_layer(reference, case)
    y = layer.forward(*[np.copy(v) for v in case.inputs.values()], *case.constants.values())
    grads = layer.backward(np.copy(case.dout))
    grads = grads if isinstance(grads, tuple) else (grads,)
    expected = {grad_name(name): g for name, g in zip(case.inputs, grads)}
    expected.update({grad_name(p): getattr(layer, grad_name(p)) for p in params})
    return y, expected


def _numerical_reference(reference, case, params):
    """(central differences of the reference's forward on this case, their rounding floor): once per case."""
    key = ("numerical", reference, tuple(params))
    if key not in case.expected:
        layer = _reference_layer(reference, case)
        inputs, constants = list(case.inputs.values()), list(case.constants.values())
        case.expected[key] = (numerical_gradients(layer, inputs, constants, case.dout, params),
                              roundoff_floor(loss_magnitude(layer, inputs, constants, case.dout)))
    return case.expected[key]


def _guess(case):
    """Whether a failure here may carry compare's guess from the values: not where the case's own hint
    names the cause (ties, the kink, N-d input ...), which the guess would only contradict."""
    return not case.hint or case.hint == LARGE_HINT


def _forward_checks(cls, reference, case, outputs):
    y, _ = _reference(reference, case, ())
    label = f"{cls}.forward output"
    if case.forward_check and "y" in outputs:
        return [Check(label, case.forward_check(label, outputs["y"], y), array="y")]
    return [expect(outputs, "y", y, label=label, tol=case.forward_tol, guess=_guess(case))]


def _backward_checks(cls, reference, case, params, outputs):
    _, expected = _reference(reference, case, params)
    return [expect(outputs, name, value, label=f"{cls}.backward {name}", guess=_guess(case))
            for name, value in expected.items()]


def _forward_test(cls, reference, case, points):
    init, forward, _ = _args(case)
    steps = [new("layer", cls, *init), call("layer", "forward", *forward, out=["y"], strict=case.strict)]

    def judge(outputs):
        return _forward_checks(cls, reference, case, outputs)
    return make_test(Message(N_("{cls}.forward [{case}]"), cls=cls, case=case.label), points, steps, _sent(case),
                     judge, [cls], case.hint, kind=f"{cls}.forward", case=case)


def _backward_steps(cls, case, params):
    init, forward, dout = _args(case)
    grad_names = [grad_name(name) for name in case.inputs]
    return [new("layer", cls, *init), call("layer", "forward", *forward, strict=case.strict),
            call("layer", "backward", dout, out=grad_names, strict=case.strict),
            *[attr("layer", grad_name(p), grad_name(p)) for p in params]]


def _two_layers_steps(cls, case, params):
    """The backward of a layer while a second one is in use (its forward runs in between, on other
    inputs): what a network does with two layers of a class. Before it, on copies of the inputs, the
    same layer alone ("alone.dx"), so that a report can say which of the two went wrong."""
    init, forward, dout = _args(case)
    variables = [a for a in [*init, *forward, dout] if isinstance(a, str)]
    alone = {a: f"alone_{a}" for a in variables}
    other = {a: f"other_{a}" for a in variables}
    grad_names = [grad_name(name) for name in case.inputs]

    def renamed(args, names):
        return [names.get(a, a) if isinstance(a, str) else a for a in args]
    return [*[derive(a, alone[a]) for a in variables], *[derive(a, other[a], mirrored=True) for a in variables],
            new("alone", cls, *renamed(init, alone)),
            call("alone", "forward", *renamed(forward, alone), strict=case.strict),
            call("alone", "backward", *renamed([dout], alone), out=[f"alone.{g}" for g in grad_names],
                 strict=case.strict),
            *[attr("alone", grad_name(p), f"alone.{grad_name(p)}") for p in params],
            new("layer", cls, *init), new("other", cls, *renamed(init, other)),
            call("layer", "forward", *forward, strict=case.strict),
            call("other", "forward", *renamed(forward, other), strict=case.strict),
            call("layer", "backward", dout, out=grad_names, strict=case.strict),
            call("other", "backward", *renamed([dout], other), strict=case.strict),
            *[attr("layer", grad_name(p), grad_name(p)) for p in params]]


def _two_layers_checks(cls, reference, case, params, outputs):
    """The backward test's checks, on the first of two layers in use; a value right when the layer
    was alone says so (a class attribute or a global holds what backward needs)."""
    checks = _backward_checks(cls, reference, case, params, outputs)
    expected = _reference(reference, case, params)[1]
    for check, (name, value) in zip(checks, expected.items()):
        if check.message and not check.missing and not expect(outputs, f"alone.{name}", value).message:
            check.message = _("{array} is right when one {cls} is in use, and wrong when a second {cls} runs its "
                              "forward between the first one's forward and backward, as in a network with two such "
                              "layers: what backward needs is kept somewhere the two layers share (a class attribute "
                              "or a global), not in each layer.").format(array=check.label, cls=cls)
    return checks


def _backward_test(cls, reference, case, params, points, requires, two_layers=True):
    """The backward test of a case; two_layers=False for the large case, which is about time (a second
    layer there would double the largest computation of the run; every other backward test has one)."""
    steps = (_two_layers_steps if two_layers else _backward_steps)(cls, case, params)

    def judge(outputs):
        if not two_layers:
            return _backward_checks(cls, reference, case, params, outputs)
        return _two_layers_checks(cls, reference, case, params, outputs)
    return make_test(Message(N_("{cls}.backward [{case}]"), cls=cls, case=case.label), points, steps, _sent(case),
                     judge, [cls], case.hint, requires, kind=f"{cls}.backward", case=case)


def _gradcheck_test(cls, reference, case, params, points, requires):
    steps = _backward_steps(cls, case, params)

    def judge(outputs):
        numeric, floor = _numerical_reference(reference, case, params)
        return [expect_gradcheck(outputs, grad_name(name), value, label=f"{cls}.backward {grad_name(name)}",
                                 atol=floor, guess=_guess(case)) for name, value in numeric.items()]
    return make_test(Message(N_("{cls} gradient check [{case}]"), cls=cls, case=case.label), points, steps,
                     _sent(case), judge, [cls], case.hint, requires, kind=f"{cls} gradient check", case=case)


def _mutation_test(cls, reference, case, params, points, requires):
    init, forward, dout = _args(case)
    grad_names = [grad_name(name) for name in case.inputs]
    steps = [new("layer", cls, *init), call("layer", "forward", *forward, out=["y"]),
             *[save(name, f"{name}_after_forward") for name in case.inputs],
             call("layer", "backward", dout, out=grad_names),
             *[save(name, f"{name}_after_backward") for name in case.inputs],
             *[attr("layer", grad_name(p), grad_name(p)) for p in params]]
    if isinstance(case.dout, np.ndarray):
        steps.append(save("dout", "dout_after_backward"))

    def judge(outputs):
        values = _forward_checks(cls, reference, case, outputs) + _backward_checks(cls, reference, case, params, outputs)
        gate = unless_wrong(values)
        if gate:
            return [gate]
        checks = []
        for name, value in case.inputs.items():  # the caller's x: forward must not change it, nor backward later
            check = expect_unchanged(outputs, f"{name}_after_forward", value,
                                     label=_("{array} (after forward)").format(array=name))
            checks.append(check if check.message else expect_unchanged(
                outputs, f"{name}_after_backward", value, label=_("{array} (after backward)").format(array=name)))
        if isinstance(case.dout, np.ndarray):
            checks.append(expect_unchanged(outputs, "dout_after_backward", case.dout,
                                           label=_("{array} (after backward)").format(array="dout")))
        return checks
    return make_test(Message(N_("{cls} leaves its inputs unchanged"), cls=cls), points, steps, _sent(case), judge,
                     [cls], requires=requires, case=case)
