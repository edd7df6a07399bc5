"""The hidden tests of exercise 11 (level 2, derive a node the course did not show): the tanh layer on random cases,
saturated inputs (|x| of 8 to 12, where finite differences lose their digits and the derived formula does not),
inputs of ±1e3..1e4, and a large case. The reference is the grader's own: it never reaches the child.
"""
from __future__ import annotations

import numpy as np

from backprop_grader.language import N_
from backprop_grader.exercises.cases import LARGE, dims, elementwise, signs
from backprop_grader.exercises.layer_tests import Case, standard_tests
from backprop_grader.exercises.spec import Exercise


class TanhReference:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)


SATURATED_HINT = N_("where tanh saturates (|x| of 8 to 12) its gradient is tiny but not zero; the formula you "
                    "derived keeps its digits there, a difference quotient does not.")
LARGE_TANH_HINT = N_("for |x| of 1e3 and more, e^x overflows: use np.tanh, or a form that only takes e^(-2|x|), "
                     "so that forward returns ±1 and backward 0 without a warning.")


def _tanh(rng_for):
    rng = rng_for("Tanh")
    cases = [Case(N_("random (N, D)"), [], {"x": rng.standard_normal((dims(rng, 3, 6), dims(rng)))}, None),
             Case(N_("3-d input"), [], {"x": 2 * rng.standard_normal((2, 3, dims(rng)))}, None),
             Case(N_("batch of one"), [], {"x": rng.standard_normal((1, dims(rng)))}, None, gradcheck=False),
             Case(N_("saturated inputs, |x| of 8 to 12"), [], {"x": signs(rng, (3, 5)) * rng.uniform(8, 12, (3, 5))},
                  None, gradcheck=False, hint=SATURATED_HINT),
             Case(N_("inputs of ±1e3..1e4"), [], {"x": signs(rng, (3, 4)) * rng.uniform(1e3, 1e4, (3, 4))}, None,
                  gradcheck=False, hint=LARGE_TANH_HINT)]
    large = Case("", [], {"x": rng.standard_normal(LARGE)}, None)
    return standard_tests("Tanh", TanhReference, elementwise(cases, rng), elementwise([large], rng)[0])


EXERCISE = Exercise("11", "11_tanh", N_("Derive the tanh layer"), ("Tanh",), _tanh)
