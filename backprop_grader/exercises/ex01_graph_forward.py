"""The hidden tests of exercise 01: the forward values of the apples-and-oranges graph (shopping_forward)
on random prices, quantities and tax, with no fixed case (such as the notes' 100, 2, 150, 3, 1.1): its answer
is known in advance.
"""
from __future__ import annotations

from backprop_grader.language import N_, Message
from backprop_grader.judging.verdicts import expect
from backprop_grader.exercises.spec import Exercise, make_test
from backprop_grader.exercises.steps import call, lit


def _shopping(rng_for):
    rng = rng_for("shopping")
    # no fixed case (such as the notes' 100, 2, 150, 3, 1.1): its answer is known in advance
    cases = {N_("random prices, small quantities"): (float(rng.uniform(1, 500)), float(rng.integers(1, 5)),
                                                 float(rng.uniform(1, 500)), float(rng.integers(1, 5)),
                                                 float(rng.uniform(1.0, 1.3))),
             N_("random prices and quantities"): (float(rng.uniform(1, 500)), float(rng.integers(1, 20)),
                                              float(rng.uniform(1, 500)), float(rng.integers(1, 20)),
                                              float(rng.uniform(1.0, 1.3))),
             N_("prices in cents, no tax"): (round(float(rng.uniform(0.5, 5)), 2), float(rng.integers(1, 50)),
                                         round(float(rng.uniform(0.5, 5)), 2), float(rng.integers(1, 50)), 1.0)}
    names = ["apple_total", "orange_total", "subtotal", "total"]
    tests = []
    for label, args in cases.items():
        def judge(outputs, args=args):
            apple_price, apple_num, orange_price, orange_num, tax = args
            apple_total, orange_total = apple_price * apple_num, orange_price * orange_num
            expected = [apple_total, orange_total, apple_total + orange_total,
                        (apple_total + orange_total) * tax]
            return [expect(outputs, n, e) for n, e in zip(names, expected)]
        steps = [call(None, "shopping_forward", *[lit(a) for a in args], out=names)]
        tests.append(make_test(Message(N_("shopping_forward [{case}]"), case=label),
                               2, steps, {}, judge, ["shopping_forward"], kind="shopping_forward"))
    return tests


EXERCISE = Exercise("01", "01_graph_forward", N_("Forward values of a computational graph"), ("shopping_forward",),
                    _shopping)
