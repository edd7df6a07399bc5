"""The hidden tests of exercise 05: the Relu and Sigmoid layers (layer_tests.py) on random, 3-d and one-row
inputs, x = 0 and tiny values at ReLU's kink, and sigmoid on inputs of ±1e3..1e4 without overflow; a large case each.
"""
from __future__ import annotations

import numpy as np

from backprop_lib import layers
from backprop_grader.language import N_
from backprop_grader.exercises.cases import LARGE, dims
from backprop_grader.exercises.layer_tests import Case, layer_tests
from backprop_grader.exercises.spec import Exercise


def away_from_zero(rng, shape, margin=1e-2):
    """Standard normal values with none closer to 0 than `margin` (ReLU's kink; a nudge of h
    across it would make the numerical gradient meaningless)."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-300) * margin * 2, x)


KINK_HINT = N_("at x = 0 exactly, the course's convention is a gradient of 0 (1 where x > 0, 0 where x <= 0, "
               "as in chapter 5); tiny positive inputs still pass the gradient through.")
OVERFLOW_HINT = N_("the inputs here reach ±1e4: computing sigmoid must not overflow (no RuntimeWarning), as the "
                   "notebook's check at ±1000 asks; see the task's hint on the two equal forms of sigmoid.")


def _at_the_kink(rng, shape):
    """Exact zeros (both signs) and tiny values on both sides of ReLU's kink, in random places."""
    values = np.array([0.0, -0.0, 1e-300, -1e-300, 1e-12, -1e-12, 5e-324, 1.0, -1.0])
    return rng.permutation(np.resize(values, int(np.prod(shape)))).reshape(shape)


def _activations(rng_for):
    rng = rng_for("Relu")
    relu_cases = [Case(N_("random (N, D)"), [], {"x": away_from_zero(rng, (dims(rng, 3, 6), dims(rng)))}, None),
                  Case(N_("3-d input"), [], {"x": away_from_zero(rng, (2, 3, dims(rng)))}, None),
                  Case(N_("batch of one"), [], {"x": away_from_zero(rng, (1, dims(rng)))}, None, gradcheck=False),
                  Case(N_("x = 0 and tiny values"), [], {"x": _at_the_kink(rng, (3, 6))}, None, gradcheck=False,
                       hint=KINK_HINT),
                  Case(N_("large values ±1e3"), [], {"x": away_from_zero(rng, (3, 4)) * 1e3}, None, gradcheck=False)]
    rng = rng_for("Sigmoid")
    extremes = rng.permutation(np.resize([1e4, -1e4, 1e3, -1e3, 745.5, -745.5, 0.0], 12)).reshape(3, 4)
    sigmoid_cases = [Case(N_("random (N, D)"), [], {"x": rng.standard_normal((dims(rng, 3, 6), dims(rng)))}, None),
                     Case(N_("3-d input"), [], {"x": rng.standard_normal((2, 3, dims(rng)))}, None, gradcheck=False),
                     Case(N_("batch of one"), [], {"x": rng.standard_normal((1, dims(rng)))}, None, gradcheck=False),
                     Case(N_("inputs of ±1e3..1e4"), [],
                          {"x": rng.choice([-1, 1], (3, 4)) * rng.uniform(1e3, 1e4, (3, 4))}, None,
                          gradcheck=False, strict=True, hint=OVERFLOW_HINT),
                     Case(N_("inputs of exactly ±1e4, ±1e3, ±745.5 and 0"), [], {"x": extremes}, None,
                          gradcheck=False, strict=True, hint=OVERFLOW_HINT)]
    relu_large = Case("", [], {"x": away_from_zero(rng, LARGE)}, None)
    sigmoid_large = Case("", [], {"x": rng.standard_normal(LARGE)}, None)
    for case in relu_cases + sigmoid_cases + [relu_large, sigmoid_large]:  # dout has the shape of y = x
        case.dout = rng.standard_normal(case.inputs["x"].shape)
    return (layer_tests("Relu", layers.Relu, relu_cases, large=relu_large)
            + layer_tests("Sigmoid", layers.Sigmoid, sigmoid_cases, large=sigmoid_large))


EXERCISE = Exercise("05", "05_activations", N_("ReLU and sigmoid layers"), ("Relu", "Sigmoid"), _activations)
