"""The hidden tests of exercise 13 (level 2, derive a node the course did not show): the division node on random
cases, numerators of 1e5..1e6 (where finite differences lose their digits and the derived formula does not),
denominators near 0.1 (|y| >= 0.1 in every hidden input: the node is not defined at y = 0), and a large case.
"""
from __future__ import annotations

import numpy as np

from backprop_grader.language import N_, Message
from backprop_grader.exercises.cases import LARGE, dims, elementwise, signs
from backprop_grader.exercises.layer_tests import Case, standard_tests
from backprop_grader.exercises.spec import Exercise


class DivideReference:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, dout):
        return dout / self.y, -dout * self.x / self.y ** 2


def _denominators(rng, shape, low=0.1, high=3.0):
    """Values with 0.1 <= |y| <= 3: the task promises that y never comes closer to 0."""
    return signs(rng, shape) * rng.uniform(low, high, shape)


def _divide(rng_for):
    rng = rng_for("DivideLayer")
    shape = (dims(rng, 3, 6), dims(rng))
    cases = [Case(Message(N_("random arrays of shape {shape}"), shape=shape), [], {"x": rng.standard_normal(shape),
                                                          "y": _denominators(rng, shape, 0.5)}, None),
             Case(N_("denominators near the promised 0.1"), [], {"x": rng.standard_normal((3, 4)),
                                                             "y": _denominators(rng, (3, 4), 0.1, 0.2)},
                  None, gradcheck=False),
             Case(N_("scalars"), [], {"x": np.array(rng.uniform(1, 100)), "y": np.array(rng.uniform(1, 5))}, None,
                  gradcheck=False),
             Case(N_("numerators of 1e5..1e6"), [], {"x": signs(rng, (3, 4)) * rng.uniform(1e5, 1e6, (3, 4)),
                                                 "y": _denominators(rng, (3, 4), 0.5)}, None, gradcheck=False)]
    large = Case("", [], {"x": rng.standard_normal(LARGE), "y": _denominators(rng, LARGE, 0.5)}, None)
    return standard_tests("DivideLayer", DivideReference, elementwise(cases, rng), elementwise([large], rng)[0])


EXERCISE = Exercise("13", "13_divide", N_("Derive the division node"), ("DivideLayer",), _divide)
