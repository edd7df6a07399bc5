"""Level 3, find the bug: the hidden tests of exercise 16, a network with an in-place ReLU and a loss gradient not
divided by N, graded on the fixed code. They use what the notebook's demo avoided (N > 1), so the code as handed
over scores 0 and each bug fixed earns its share.
"""
from __future__ import annotations

import numpy as np

from backprop_lib import layers
from backprop_grader.language import N_, Message, _
from backprop_grader.judging.verdicts import expect, expect_unchanged
from backprop_grader.exercises.cases import dims, two_layer_inputs, two_layer_net
from backprop_grader.exercises.layer_tests import LARGE_LABEL
from backprop_grader.exercises.once_right import all_right, counts_once
from backprop_grader.exercises.steps import call, lit, new, save
from backprop_grader.exercises.spec import Exercise, make_test


KEYS = ("W1", "b1", "W2", "b2")


def _net_inputs(rng, sizes, N, one_hot):
    params, x, t = two_layer_inputs(rng, sizes, N, one_hot)
    return {**params, "x": x, "t": t}


def _reference_gradient(inputs, sizes):
    return two_layer_net(sizes, inputs).gradient(inputs["x"], inputs["t"])


def _network_test(label, points, inputs, sizes, *, all_or_nothing=False):
    steps = [new("net", "Network", *KEYS), call("net", "gradient", "x", "t", out_dict=("grads", KEYS))]

    def judge(outputs):
        expected = _reference_gradient(inputs, sizes)
        checks = [expect(outputs, f"grads.{k}", expected[k], label=_("gradient {array}").format(array=k))
                  for k in KEYS]
        return [all_right(_("every gradient"), checks)] if all_or_nothing else checks
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
    x = rng.standard_normal((dims(rng, 3, 6), dims(rng, 3, 6)))
    x = np.where(np.abs(x) < 1e-2, 0.5, x)
    dout = rng.standard_normal(x.shape)
    steps = [new("layer", "Relu"), call("layer", "forward", "x", out=["y"]), save("x", "x_after_forward"),
             call("layer", "backward", "dout", out=["dx"]), save("dout", "dout_after_backward")]

    def judge(outputs):
        values = [expect(outputs, "y", np.maximum(x, 0), label="Relu.forward output"),
                  expect(outputs, "dx", np.where(x > 0, dout, 0.0), label="Relu.backward dx")]
        gate = counts_once(values, _("inputs unchanged"), _("this counts once forward and backward give the right "
                                                             "values: {message}"))
        return [gate] if gate else [all_right(_("x and dout unchanged"), [
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
        sizes, N = (dims(rng, 3, 5), dims(rng, 4, 6), dims(rng, 2, 4)), dims(rng, 4, 8)
        tests.append(_network_test(Message(N_("{case}, batch of {N}, sizes {sizes}"), case=label, N=N, sizes=sizes),
                                   3, _net_inputs(rng, sizes, N, one_hot),
                                   sizes))
    rng = rng_for("SoftmaxWithLoss")
    N, C = dims(rng, 3, 6), dims(rng, 3, 5)
    labels = rng.integers(0, C, N)
    tests += [_loss_test(Message(N_("integer labels, batch of {N}"), N=N),
                         2, rng.standard_normal((N, C)), labels, tests[0]),
              _loss_test(Message(N_("one-hot labels, batch of {N}"), N=N),
                         2, rng.standard_normal((N, C)), np.eye(C)[labels],
                         tests[0])]
    return tests + [_relu_test(rng_for("Relu"))]


EXERCISE = Exercise("16", "16_bug_network", N_("Find the bug: a two-layer network"),
                    ("Relu", "SoftmaxWithLoss", "Network"), _bug_network,
                    library_modules=("functions", "gradcheck", "layers", "checks"))
