"""The hidden tests of exercise 04: the MatMul layer (layer_tests.py) on a random batch, a batch of one and x
with zero rows (so that all-zero answers fail), and a large case.
"""
from __future__ import annotations

from backprop_lib import layers
from backprop_grader.language import N_, Message
from backprop_grader.exercises.cases import LARGE_MATRIX, dims
from backprop_grader.exercises.layer_tests import Case, layer_tests
from backprop_grader.exercises.spec import Exercise


def _matmul(rng_for):
    rng = rng_for("MatMul")
    D, M = dims(rng), dims(rng)
    W = rng.standard_normal((D, M))
    cases = []
    for label, N in ((N_("random batch"), dims(rng, 3, 7)), (N_("batch of one"), 1)):
        cases.append(Case(Message(N_("{case}, x {N}x{D}, W {D}x{M}"), case=label, N=N, D=D, M=M),
                          [("W", W)], {"x": rng.standard_normal((N, D))},
                          rng.standard_normal((N, M)), gradcheck=N > 1))
    N = dims(rng, 3, 6)
    x = rng.standard_normal((N, D))
    x[::2] = 0  # zero rows: their outputs are 0, the others are not, so all-zero answers fail
    cases.append(Case(Message(N_("x with zero rows, {N}x{D}"), N=N, D=D),
                      [("W", W)], {"x": x}, rng.standard_normal((N, M)),
                      gradcheck=False))
    N, D, M = LARGE_MATRIX
    large = Case("", [("W", rng.standard_normal((D, M)))], {"x": rng.standard_normal((N, D))},
                 rng.standard_normal((N, M)))
    return layer_tests("MatMul", layers.MatMul, cases, params=("W",), large=large)


EXERCISE = Exercise("04", "04_matmul", N_("The MatMul layer"), ("MatMul",), _matmul)
