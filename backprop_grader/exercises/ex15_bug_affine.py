"""Level 3, find the bug: the hidden tests of exercise 15, an affine layer, graded on the fixed code. They use what
the notebook's demo avoided (D != H, N > 1, a caller that reads dout again), so the code as handed over scores 0
and each bug fixed earns its share; dx (which the bugs did not break) counts only once they are fixed.
"""
from __future__ import annotations

from backprop_lib import layers
from backprop_grader.language import N_, Message, _
from backprop_grader.judging.verdicts import Check, expect, expect_unchanged
from backprop_grader.exercises.cases import dims
from backprop_grader.exercises.layer_tests import LARGE_LABEL
from backprop_grader.exercises.once_right import counts_once
from backprop_grader.exercises.steps import attr, call, derive, new, save
from backprop_grader.exercises.spec import Exercise, make_test


def _affine_case(rng, N, D, H):
    return {"W": rng.standard_normal((D, H)), "b": rng.standard_normal(H), "x": rng.standard_normal((N, D)),
            "dout": rng.standard_normal((N, H))}


def _affine_expected(inputs):
    layer = layers.Affine(inputs["W"].copy(), inputs["b"].copy())
    y = layer.forward(inputs["x"].copy())
    dx = layer.backward(inputs["dout"].copy())
    return {"y": y, "dx": dx, "dW": layer.dW, "db": layer.db}


# a second Affine in use between the first one's forward and backward, as in a network (layer_tests does the same)
AFFINE_STEPS = [*[derive(a, f"other_{a}", mirrored=True) for a in ("W", "b", "x", "dout")],
                new("layer", "Affine", "W", "b"), new("other", "Affine", "other_W", "other_b"),
                call("layer", "forward", "x", out=["y"]), call("other", "forward", "other_x"),
                save("x", "x_after_forward"), call("layer", "backward", "dout", out=["dx"]),
                call("other", "backward", "other_dout"),
                save("dout", "dout_after_backward"), attr("layer", "dW", "dW"), attr("layer", "db", "db")]


def _affine_test(name, points, inputs, judge_with, requires=None, kind=""):
    expected = _affine_expected(inputs)

    def judge(outputs):
        return judge_with(outputs, expected)
    return make_test(name, points, AFFINE_STEPS, inputs, judge, ["Affine"], requires=requires, kind=kind)


def _grad(name):
    def judge(outputs, expected):
        return [expect(outputs, name, expected[name], label=f"Affine.backward {name}")]
    return judge


def _dx_once_fixed(outputs, expected):
    checks = [expect(outputs, k, expected[k], label=f"Affine.backward {k}") for k in ("dW", "db")]
    gate = counts_once(checks, "Affine.backward dx", _("this counts once dW and db are right: {message}"), "dx")
    return [gate] if gate else [expect(outputs, "dx", expected["dx"], label="Affine.backward dx"),
                                expect(outputs, "y", expected["y"], label="Affine.forward output")]


def _each_affine_gradient(outputs, expected):
    """dW and db, each on its own; dx (right in the code as handed over) counts once both are (their
    messages are right above: not said twice)."""
    checks = [expect(outputs, k, expected[k], label=f"Affine.backward {k}") for k in ("dW", "db")]
    failed = next((c for c in checks if c.message), None)
    if failed:
        return checks + [Check("Affine.backward dx", _("Affine.backward dx counts once dW and db are right."),
                               missing=failed.missing, array="dx")]
    return checks + [expect(outputs, "dx", expected["dx"], label="Affine.backward dx")]


def _affine_unchanged(inputs):
    def judge(outputs, expected):
        checks = [expect(outputs, k, expected[k], label=f"Affine.backward {k}") for k in ("dx", "dW", "db")]
        gate = counts_once(checks, _("inputs unchanged"), _("this counts once forward and backward are right: "
                                                             "{message}"))
        return [gate] if gate else [
            expect_unchanged(outputs, "x_after_forward", inputs["x"], label=_("{array} (after forward)").format(
                array="x")),
            expect_unchanged(outputs, "dout_after_backward", inputs["dout"],
                             label=_("{array} (after backward)").format(array="dout"))]
    return judge


def _bug_affine(rng_for):
    rng = rng_for("Affine")
    N, D = dims(rng, 3, 6), dims(rng, 2, 4)
    H = D + dims(rng, 1, 3)  # D != H: a transposed dW has the wrong shape
    wide = _affine_case(rng, N, D, H)
    one = _affine_case(rng, 1, H, D)
    square = _affine_case(rng, N + 1, D, D)  # same shape, transposed values
    large = _affine_case(rng_for("Affine large"), 200, 300, 200)
    wide_label, one_label, square_label = (Message(N_("D={D}, H={H}, batch of {N}"), D=D, H=H, N=N),
                                           Message(N_("D={D}, H={H}, batch of one"), D=H, H=D),
                                           Message(N_("square W, D=H={D}, batch of {N}"), D=D, N=N + 1))
    # each gradient counts elsewhere once it is right here
    first = _affine_test(Message(N_("{cls}.backward [{case}]"), cls="Affine", case=LARGE_LABEL), 1, large,
                         _each_affine_gradient)

    def gradient_test(gradient, case, points, inputs):
        return _affine_test(Message(N_("Affine.backward {gradient} [{case}]"), gradient=gradient, case=case), points,
                            inputs, _grad(gradient), first, kind=f"Affine.backward {gradient}")
    return [first,
            gradient_test("dW", wide_label, 2, wide),
            gradient_test("dW", one_label, 2, one),
            gradient_test("dW", square_label, 2, square),
            gradient_test("db", wide_label, 2, wide),
            gradient_test("db", square_label, 2, square),
            _affine_test(Message(N_("Affine.backward dx and forward, still right [{case}]"), case=wide_label), 1,
                         wide, _dx_once_fixed, first),
            _affine_test(Message(N_("{cls} leaves its inputs unchanged"), cls="Affine"), 1, wide,
                         _affine_unchanged(wide), first)]


EXERCISE = Exercise("15", "15_bug_affine", N_("Find the bug: an affine layer"), ("Affine",), _bug_affine)
