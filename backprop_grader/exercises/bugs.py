"""Level 3, find the bug: the hidden tests of exercises 15 and 16, graded on the fixed code.

The notebooks hand over code whose own demo passes: a square W and a batch of one (15), a
batch of one (16). These tests use exactly what the demo avoided (D != H, N > 1, a caller that
reads dout again), so the code as handed over scores 0 and each bug fixed earns its share.
What the bug did not break (dx in 15, the forward passes) counts only once the bugs are fixed.
"""
from __future__ import annotations

import numpy as np

from backprop_lib import layers
from backprop_grader.language import N_, Message, _
from backprop_lib.network import TwoLayerNet
from backprop_grader.judging.verdicts import Check, expect, expect_unchanged
from backprop_grader.exercises.steps import attr, call, derive, lit, new, save
from backprop_grader.exercises.spec import make_test, two_layer_inputs

LARGE_LABEL = N_("large input: backprop, not finite differences")
KEYS = ("W1", "b1", "W2", "b2")


def _dims(rng, low=2, high=5):
    return int(rng.integers(low, high + 1))


def _all_right(label, checks):
    """One check for several values: passed only if every one of them is right."""
    failed = next((c for c in checks if c.message), None)
    return Check(label, failed.message if failed else None, missing=bool(failed and failed.missing))


def _counts_once(checks, label, message, array=""):
    """None, or a failed check about `array`: this test's point needs the others right first (`message`
    says which, and takes the first failure's {message})."""
    failed = next((c for c in checks if c.message), None)
    if failed is None:
        return None
    return Check(label, message.format(message=failed.message), missing=failed.missing, array=array)


# --- 15: the affine layer with two bugs -----------------------------------------------------

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
    gate = _counts_once(checks, "Affine.backward dx", _("this counts once dW and db are right: {message}"), "dx")
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
        gate = _counts_once(checks, _("inputs unchanged"), _("this counts once forward and backward are right: "
                                                             "{message}"))
        return [gate] if gate else [
            expect_unchanged(outputs, "x_after_forward", inputs["x"], label=_("{array} (after forward)").format(
                array="x")),
            expect_unchanged(outputs, "dout_after_backward", inputs["dout"],
                             label=_("{array} (after backward)").format(array="dout"))]
    return judge


def _bug_affine(rng_for):
    rng = rng_for("Affine")
    N, D = _dims(rng, 3, 6), _dims(rng, 2, 4)
    H = D + _dims(rng, 1, 3)  # D != H: a transposed dW has the wrong shape
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


# --- 16: the network with an in-place ReLU and a loss gradient not divided by N -------------

def _net_inputs(rng, sizes, N, one_hot):
    params, x, t = two_layer_inputs(rng, sizes, N, one_hot)
    return {**params, "x": x, "t": t}


def _reference_gradient(inputs, sizes):
    network = TwoLayerNet(*sizes)
    for key in KEYS:
        network.params[key][...] = inputs[key]  # in place: the layers hold these very arrays
    return network.gradient(inputs["x"], inputs["t"])


def _network_test(label, points, inputs, sizes, *, all_or_nothing=False):
    steps = [new("net", "Network", *KEYS), call("net", "gradient", "x", "t", out_dict=("grads", KEYS))]

    def judge(outputs):
        expected = _reference_gradient(inputs, sizes)
        checks = [expect(outputs, f"grads.{k}", expected[k], label=_("gradient {array}").format(array=k))
                  for k in KEYS]
        return [_all_right(_("every gradient"), checks)] if all_or_nothing else checks
    return make_test(Message(N_("Network.gradient [{case}]"), case=label), points, steps, inputs, judge, ["Network"],
                     kind="Network.gradient")


def _loss_test(label, points, x, t, requires):
    steps = [new("layer", "SoftmaxWithLoss"), call("layer", "forward", "x", "t", out=["loss"]),
             call("layer", "backward", lit(1), out=["dx"])]

    def judge(outputs):
        reference = layers.SoftmaxWithLoss()
        reference.forward(x.copy(), t.copy())
        return [expect(outputs, "dx", reference.backward(1), label="SoftmaxWithLoss.backward dx")]
    return make_test(Message(N_("{cls}.backward [{case}]"), cls="SoftmaxWithLoss", case=label),
                     points, steps, {"x": x, "t": t}, judge,
                     ["SoftmaxWithLoss"], requires=requires, kind="SoftmaxWithLoss.backward")


def _relu_test(rng):
    x = rng.standard_normal((_dims(rng, 3, 6), _dims(rng, 3, 6)))
    x = np.where(np.abs(x) < 1e-2, 0.5, x)
    dout = rng.standard_normal(x.shape)
    steps = [new("layer", "Relu"), call("layer", "forward", "x", out=["y"]), save("x", "x_after_forward"),
             call("layer", "backward", "dout", out=["dx"]), save("dout", "dout_after_backward")]

    def judge(outputs):
        values = [expect(outputs, "y", np.maximum(x, 0), label="Relu.forward output"),
                  expect(outputs, "dx", np.where(x > 0, dout, 0.0), label="Relu.backward dx")]
        gate = _counts_once(values, _("inputs unchanged"), _("this counts once forward and backward give the right "
                                                             "values: {message}"))
        return [gate] if gate else [_all_right(_("x and dout unchanged"), [
            expect_unchanged(outputs, "x_after_forward", x, label=_("{array} (after forward)").format(array="x")),
            expect_unchanged(outputs, "dout_after_backward", dout,
                             label=_("{array} (after backward)").format(array="dout"))])]
    return make_test(N_("Relu leaves x and dout unchanged"), 3, steps, {"x": x, "dout": dout}, judge, ["Relu"])


def _bug_network(rng_for):
    rng = rng_for("Network")
    large_sizes = (784, 50, 10)
    large = _net_inputs(rng_for("Network large"), large_sizes, 100, False)
    tests = [_network_test(LARGE_LABEL, 1, large, large_sizes, all_or_nothing=True)]
    for label, one_hot in ((N_("integer labels"), False), (N_("one-hot labels"), True)):
        sizes, N = (_dims(rng, 3, 5), _dims(rng, 4, 6), _dims(rng, 2, 4)), _dims(rng, 4, 8)
        tests.append(_network_test(Message(N_("{case}, batch of {N}, sizes {sizes}"), case=label, N=N, sizes=sizes),
                                   3, _net_inputs(rng, sizes, N, one_hot),
                                   sizes))
    rng = rng_for("SoftmaxWithLoss")
    N, C = _dims(rng, 3, 6), _dims(rng, 3, 5)
    labels = rng.integers(0, C, N)
    tests += [_loss_test(Message(N_("integer labels, batch of {N}"), N=N),
                         2, rng.standard_normal((N, C)), labels, tests[0]),
              _loss_test(Message(N_("one-hot labels, batch of {N}"), N=N),
                         2, rng.standard_normal((N, C)), np.eye(C)[labels],
                         tests[0])]
    return tests + [_relu_test(rng_for("Relu"))]
