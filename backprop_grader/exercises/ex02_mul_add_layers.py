"""The hidden tests of exercise 02: MulLayer and AddLayer, the standard tests of a layer class (layer_tests.py)
on arrays and on scalars, and a large case: no credit for finite differences.
"""
from __future__ import annotations

import numpy as np

from backprop_lib import nodes
from backprop_grader.language import N_, Message
from backprop_grader.exercises.cases import LARGE, dims
from backprop_grader.exercises.layer_tests import Case, layer_tests
from backprop_grader.exercises.spec import Exercise


def _mul_add(rng_for):
    tests = []
    for cls, reference in (("MulLayer", nodes.MulLayer), ("AddLayer", nodes.AddLayer)):
        rng = rng_for(cls)
        shape = (dims(rng), dims(rng))
        cases = [Case(Message(N_("arrays of shape {shape}"), shape=shape), [], {"x": rng.standard_normal(shape),
                      "y": rng.standard_normal(shape)}, rng.standard_normal(shape)),
                 Case(N_("scalars"), [], {"x": np.array(rng.uniform(1, 200)), "y": np.array(rng.uniform(1, 5))},
                      np.array(rng.uniform(0.5, 2)), gradcheck=False)]
        large = Case("", [], {"x": rng.standard_normal(LARGE), "y": rng.standard_normal(LARGE)},
                     rng.standard_normal(LARGE))
        tests += layer_tests(cls, reference, cases, large=large)
    return tests


EXERCISE = Exercise("02", "02_mul_add_layers", N_("Multiplication and addition nodes"), ("MulLayer", "AddLayer"),
                    _mul_add)
