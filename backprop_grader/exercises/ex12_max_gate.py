"""The hidden tests of exercise 12 (level 2, derive a node the course did not show): the max gate on random cases,
inputs of 1e5..1e6 (where finite differences lose their digits and the derived formula does not), and ties,
where the task's convention sends the whole gradient to x; a large case.
"""
from __future__ import annotations

import numpy as np

from backprop_grader.language import N_, Message
from backprop_grader.exercises.cases import LARGE, dims, elementwise, signs
from backprop_grader.exercises.layer_tests import Case, standard_tests
from backprop_grader.exercises.spec import Exercise


class MaxGateReference:
    """z = max(x, y) entry by entry; where x == y the whole gradient goes to x."""

    def forward(self, x, y):
        self.x_wins = x >= y
        return np.where(self.x_wins, x, y)

    def backward(self, dout):
        return np.where(self.x_wins, dout, 0.0), np.where(self.x_wins, 0.0, dout)


TIES_HINT = N_("where x == y this exercise sends the whole gradient to x and 0 to y (the task's convention); "
               "the gradient is routed, never copied: dx + dy equals dout everywhere.")
HUGE_HINT = N_("for inputs of 1e5..1e6 the gradient is still exactly dout or 0: route it by comparing x and y, "
               "do not estimate it with a difference quotient.")


def _apart(rng, shape, scale=1.0, gap=1e-2):
    """x and y with |x - y| >= gap * scale everywhere: no ties, so a numerical gradient is meaningful."""
    x = scale * rng.standard_normal(shape)
    return x, x + signs(rng, shape) * scale * rng.uniform(gap, 2.0, shape)


def _max_gate(rng_for):
    rng = rng_for("MaxGate")
    shape = (dims(rng, 3, 6), dims(rng))
    x, y = _apart(rng, shape)
    tie_x, tie_y = _apart(rng, (4, 5))
    ties = rng.random((4, 5)) < 0.5
    tie_y[ties] = tie_x[ties]
    huge = signs(rng, (3, 4)) * rng.uniform(1e5, 1e6, (3, 4))
    cases = [Case(Message(N_("random arrays of shape {shape}"), shape=shape), [], {"x": x, "y": y}, None),
             Case(N_("batch of one"), [], dict(zip("xy", _apart(rng, (1, dims(rng))))), None, gradcheck=False),
             Case(N_("ties: x == y in about half the entries"), [], {"x": tie_x, "y": tie_y}, None, gradcheck=False,
                  hint=TIES_HINT),
             Case(N_("inputs of 1e5..1e6"), [],
                  {"x": huge, "y": huge + signs(rng, (3, 4)) * rng.uniform(1, 10, (3, 4))},
                  None, gradcheck=False, hint=HUGE_HINT)]
    large = Case("", [], dict(zip("xy", _apart(rng, LARGE))), None)
    return standard_tests("MaxGate", MaxGateReference, elementwise(cases, rng), elementwise([large], rng)[0])


EXERCISE = Exercise("12", "12_max_gate", N_("Derive the max gate"), ("MaxGate",), _max_gate)
