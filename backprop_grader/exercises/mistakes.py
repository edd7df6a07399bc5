"""Typical wrong answers, recognised by their values (used by exercises 18-20, 22, 23 and 25-27).

A `Mistake` says what a known wrong answer computes on a case's inputs (computed here, in the
parent, like every expected value). When an array the learner's code returned is wrong and equals
what the mistake computes, its check says so: the hint names the real cause instead of the
generic guess of checks.compare ("found is 2 times expected ..."), which would point elsewhere.
A recognised mistake only changes the words of a failed check, never a score. Exercises graded through
layer_tests wrap their tests with `recognise`; those with tests of their own (25-27) judge their gradients
with `gradient_checks`.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

from backprop_lib.checks import compare, with_hint
from backprop_grader.language import _, translated

from backprop_grader.judging.verdicts import Check, expect


@dataclass
class Mistake:
    array: str  # the output it shows in: "y" (forward), "dx", "dW"
    wrong: Callable  # case -> what the mistake computes on the case's inputs
    hint: str  # N_() message: the cause, and where to look (never the code)


def recognise(tests, cases, right, mistakes):
    """Wrap the judge of every forward and backward test of `cases` (found by their input arrays) so
    that a failed check recognises `mistakes`. right(case) -> {"y": ..., "dx": ...}: the reference."""
    for test in tests:
        case = next((c for c in cases if _sends(test, c)), None)
        if case is not None and test.kind.endswith((".forward", ".backward")):
            test.judge = _recognising(test.judge, case, right, mistakes)
    return tests


def _sends(test, case):
    """Whether `test` sends this case's very arrays (layer_tests passes them on as they are)."""
    arrays = [v for v in case.inputs.values()] + [v for v in case.constants.values() if isinstance(v, np.ndarray)]
    arrays += [v for _, v in case.init if isinstance(v, np.ndarray)]
    return bool(arrays) and all(any(v is a for v in test.inputs.values()) for a in arrays)


def _recognising(judge, case, right, mistakes):
    def judged(outputs):
        return [_recognised(check, outputs, case, right, mistakes) for check in judge(outputs)]
    return judged


def _recognised(check, outputs, case, right, mistakes):
    name = check.array  # "y" (forward), "dx", "dW"
    if check.message is None or check.missing or check.note or name not in outputs:
        return check
    found = np.asarray(outputs[name], dtype=np.float64)
    expected = np.asarray(right(case)[name], dtype=np.float64)
    for mistake in mistakes:
        if mistake.array != name:
            continue
        wrong = np.asarray(_cached(case, mistake), dtype=np.float64)
        if wrong.shape == found.shape == expected.shape and _close(found, wrong) and not _close(wrong, expected):
            message = compare(check.label, found, expected, hint=translated(mistake.hint))
            return Check(check.label, message or check.message, check.weight, check.missing, check.array)
    return check


def _cached(case, mistake):
    key = ("mistake", id(mistake))
    if key not in case.expected:
        # a mistake may divide by zero (or by D - 1 = 0) where the right answer does not
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            case.expected[key] = mistake.wrong(case)
    return case.expected[key]


def _close(a, b):
    with np.errstate(all="ignore"):
        scale = max(1.0, float(np.max(np.abs(b[np.isfinite(b)]), initial=0.0)))
        return bool(np.allclose(a, b, rtol=1e-6, atol=1e-9 * scale, equal_nan=True))


def gradient_checks(outputs, expected, wrong, hints, layer):
    """Each gradient of `expected` ({name: array}) against the learner's `{layer}.backward {name}`. A wrong one
    that a mistake explains gets that mistake's hint instead of compare's guess: `hints` is {mistake: N_()
    message}, wrong(mistake) -> the gradients it gives (computed only now, for a wrong answer). The next
    gradients wrong by the same mistake point back to the first."""
    checks, named = [], set()
    for name, value in expected.items():
        label = f"{layer}.backward {name}"
        check = expect(outputs, name, value, label=label)
        mistake = _made(outputs[name], name, value, wrong, hints) if check.message and not check.missing else None
        if mistake in named:
            check.message = _("{array} is wrong in the same way (see above).").format(array=label)
        elif mistake:
            found, hint = np.asarray(outputs[name], dtype=np.float64), translated(hints[mistake])
            check.message = compare(label, found, value, hint=hint) if found.shape == value.shape else with_hint(
                _("{name} has shape {found}; expected {expected}.").format(name=label, found=found.shape,
                                                                          expected=value.shape), hint)
            named.add(mistake)
        checks.append(check)
    return checks


def _made(found, name, expected, wrong, mistakes):
    """The first of `mistakes` whose gradient `name` is `found` and is not the right one (or has another shape)."""
    found, expected = np.asarray(found, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    for mistake in mistakes:
        guess = np.asarray(wrong(mistake)[name], dtype=np.float64)
        differs = guess.shape != expected.shape or not _close(guess, expected)
        if differs and found.shape == guess.shape and _close(found, guess):
            return mistake
    return None
