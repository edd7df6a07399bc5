"""The hidden tests of exercise 06: the Affine layer (layer_tests.py) on a random batch, N-d input (N, 2, 3)
and a batch of one, and a large case.
"""
from __future__ import annotations

import numpy as np

from backprop_lib import layers
from backprop_grader.language import N_, Message
from backprop_grader.exercises.cases import LARGE_MATRIX, dims
from backprop_grader.exercises.layer_tests import Case, layer_tests
from backprop_grader.exercises.spec import Exercise


AFFINE_ND_HINT = N_("x may have more than two dimensions (N, d1, d2, ...): flatten it with "
                    "x.reshape(x.shape[0], -1) in forward, and reshape dx back to x's shape in backward.")


def _affine(rng_for):
    rng = rng_for("Affine")
    M = dims(rng)
    cases = []
    for label, x_shape, gradcheck, hint in ((N_("random batch"), (dims(rng, 3, 6), dims(rng)), True, ""),
                                            (N_("N-d input (N, 2, 3)"), (dims(rng), 2, 3), True, AFFINE_ND_HINT),
                                            (N_("batch of one"), (1, dims(rng)), False, "")):
        D = int(np.prod(x_shape[1:]))
        W, b = rng.standard_normal((D, M)), rng.standard_normal(M)
        cases.append(Case(Message(N_("{case}, x of shape {shape}"), case=label, shape=x_shape), [("W", W), ("b", b)],
                          {"x": rng.standard_normal(x_shape)}, rng.standard_normal((x_shape[0], M)),
                          gradcheck=gradcheck, hint=hint))
    N, D, M = LARGE_MATRIX
    large = Case("", [("W", rng.standard_normal((D, M))), ("b", rng.standard_normal(M))],
                 {"x": rng.standard_normal((N, D))}, rng.standard_normal((N, M)))
    return layer_tests("Affine", layers.Affine, cases, params=("W", "b"), large=large)


EXERCISE = Exercise("06", "06_affine", N_("The Affine layer"), ("Affine",), _affine)
