"""Naming a classic mistake: a wrong gradient that equals what a known wrong answer gives (exercises 25-27).

The wrong answers are computed here, by the grader's own reference with the mistake put in, only when a
gradient is wrong; a match names the cause instead of a generic hint, once per test.
"""
from __future__ import annotations

import numpy as np

from backprop_lib.gradcheck import rel_error
from backprop_lib.language import _
from .specs import expect


def matching_mistake(found, name, expected, wrong, mistakes):
    """The first of `mistakes` whose gradient `name` (wrong(mistake)[name]) is `found` and is not the right one."""
    found = np.asarray(found, dtype=np.float64)
    for mistake in mistakes:
        guess = wrong(mistake)[name]
        differs = guess.shape != expected.shape or rel_error(guess, expected) > 1e-6
        if differs and found.shape == guess.shape and rel_error(found, guess) < 1e-7:
            return mistake
    return None


def gradient_checks(outputs, expected, wrong, causes, layer):
    """Each gradient of `expected` ({name: array}) against the learner's; a wrong one that a mistake of `causes`
    ({mistake: message}) explains says so, and the next ones wrong the same way point back to it."""
    checks, named = [], set()
    for name, value in expected.items():
        label = f"{layer}.backward {name}"
        check = expect(outputs, name, value, label=label)
        mistake = None
        if check.message and not check.missing:
            mistake = matching_mistake(outputs[name], name, value, wrong, causes)
        if mistake in named:
            check.message = _("{array} is wrong in the same way (see above).").format(array=label)
        elif mistake:
            check.message = _("{array} is wrong: {cause}").format(array=label, cause=_(causes[mistake]))
            named.add(mistake)
        checks.append(check)
    return checks
