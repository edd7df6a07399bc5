"""The hidden tests of exercise 03: the Repeat and Sum nodes (layer_tests.py) along axis 0, 1 and -1 (negative
as in numpy) of 2-d and 3-d inputs, and a large case each.
"""
from __future__ import annotations

import numpy as np

from backprop_lib import nodes
from backprop_grader.language import N_, Message
from backprop_grader.exercises.cases import LARGE, dims
from backprop_grader.exercises.layer_tests import Case, layer_tests
from backprop_grader.exercises.spec import Exercise


NEGATIVE_AXIS_HINT = N_("axis may be negative, as in numpy: -1 is the last axis (axis % x.ndim gives its index).")


def _repeat_sum(rng_for):
    rng = rng_for("Repeat")
    repeat_cases = []
    for axis, ndim in ((0, 2), (1, 3), (-1, 2)):
        x = rng.standard_normal(tuple(dims(rng) for _ in range(ndim)))
        repeats = dims(rng, 2, 4)
        out_shape = np.repeat(x, repeats, axis=axis).shape
        repeat_cases.append(Case(Message(N_("axis={axis}, repeats={repeats}, x of shape {shape}"), axis=axis,
                                         repeats=repeats, shape=x.shape),
                                 [("axis", axis), ("repeats", repeats)], {"x": x},
                                 rng.standard_normal(out_shape), gradcheck=axis == 1,
                                 hint=NEGATIVE_AXIS_HINT if axis < 0 else ""))
    rng = rng_for("Sum")
    sum_cases = []
    for axis, ndim in ((0, 2), (1, 3), (-1, 2)):
        x = rng.standard_normal(tuple(dims(rng) for _ in range(ndim)))
        out_shape = np.sum(x, axis=axis, keepdims=True).shape
        sum_cases.append(Case(Message(N_("axis={axis}, x of shape {shape}"), axis=axis, shape=x.shape),
                              [("axis", axis)], {"x": x},
                              rng.standard_normal(out_shape), gradcheck=axis == 1,
                              hint=NEGATIVE_AXIS_HINT if axis < 0 else ""))
    x = rng.standard_normal(LARGE)
    large_repeat = Case("", [("axis", 1), ("repeats", 2)], {"x": x}, rng.standard_normal((LARGE[0], 2 * LARGE[1])))
    large_sum = Case("", [("axis", 0)], {"x": x}, rng.standard_normal((1, LARGE[1])))
    return (layer_tests("Repeat", nodes.Repeat, repeat_cases, large=large_repeat)
            + layer_tests("Sum", nodes.Sum, sum_cases, large=large_sum))


EXERCISE = Exercise("03", "03_repeat_sum", N_("Repeat and sum nodes"), ("Repeat", "Sum"), _repeat_sum)
