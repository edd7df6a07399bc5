"""The hidden tests of exercise 14 (level 1): softmax alone, through the Jacobian that chapter 7 derived, on random
logits, probabilities from 1e-7 to 1 (where finite differences lose their digits), large logits, and a large case.
"""
from __future__ import annotations

import numpy as np

from backprop_lib.functions import softmax
from backprop_grader.language import N_, Message
from backprop_grader.exercises.cases import LARGE, dims, elementwise
from backprop_grader.exercises.layer_tests import Case, standard_tests
from backprop_grader.exercises.spec import Exercise


class SoftmaxReference:
    def forward(self, x):
        self.y = softmax(x)
        return self.y

    def backward(self, dout):
        # (diag(y) - y y^T) dout, row by row, without building the C x C matrix
        return self.y * (dout - np.sum(dout * self.y, axis=-1, keepdims=True))


SPREAD_HINT = N_("probabilities here range from about 1e-7 to 1; the gradient of a tiny probability is tiny but "
                 "exact with the Jacobian you derived, and loses its digits with a difference quotient.")
LARGE_LOGITS_HINT = N_("subtract the row maximum before np.exp (chapter 7), so logits of ±1e4 do not overflow.")


def _softmax(rng_for):
    rng = rng_for("Softmax")
    N, C = dims(rng, 3, 6), dims(rng, 3, 6)
    cases = [Case(Message(N_("random logits ({N}, {C})"), N=N, C=C), [], {"x": rng.standard_normal((N, C))}, None),
             Case(N_("batch of one"), [], {"x": rng.standard_normal((1, C))}, None, gradcheck=False),
             Case(N_("spread logits: probabilities from 1e-7 to 1"), [], {"x": 6 * rng.standard_normal((4, 6))}, None,
                  gradcheck=False, hint=SPREAD_HINT),
             Case(N_("large logits ±1e3..1e4"), [], {"x": rng.standard_normal((3, C)) * rng.uniform(1e3, 1e4)}, None,
                  gradcheck=False, hint=LARGE_LOGITS_HINT)]
    large = Case("", [], {"x": rng.standard_normal(LARGE)}, None)
    return standard_tests("Softmax", SoftmaxReference, elementwise(cases, rng), elementwise([large], rng)[0])


EXERCISE = Exercise("14", "14_softmax_jacobian", N_("Derive softmax through its Jacobian"), ("Softmax",), _softmax,
                    library_modules=("functions", "gradcheck", "checks"))
