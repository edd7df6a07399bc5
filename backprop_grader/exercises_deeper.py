"""Level 4, go deeper: the hidden tests of exercise 17, a network of any depth.

MultiLayerNet(sizes, activation, seed, params) is checked on random nets of random depth (no
hidden layer up to four), with ReLU and sigmoid, integer and one-hot labels, against the
grader's own reference network and, on one net, against central differences of its loss; a
Fashion-MNIST-sized net comes first (backprop finishes in milliseconds, finite differences
would take minutes). Then the setup cell's SGD loop trains the learner's network, with its own
initial weights, on spiral data made here; its test accuracy is computed here.
"""
from __future__ import annotations

import functools

import numpy as np

from backprop_lib import layers
from backprop_lib.datasets import make_spiral
from backprop_lib.gradcheck import numerical_gradient, roundoff_floor
from backprop_lib.language import N_, Message, _
from .specs import (Check, accuracy_checks, call, expect, expect_unchanged, lit, make_dict,
                    make_test, new, save)

LARGE_LABEL = N_("large input: backprop, not finite differences")
TRAIN = {"sizes": (2, 50, 50, 3), "iters_num": 1500, "batch_size": 100, "learning_rate": 0.5}
TARGET_ACCURACY = 0.9


class MultiLayerNetReference:
    """Affine -> activation -> ... -> Affine -> SoftmaxWithLoss, on the parameters it is given."""

    def __init__(self, sizes, activation, params):
        self.params = params
        self.layers = []
        depth = len(sizes) - 1
        for i in range(1, depth + 1):
            self.layers.append(layers.Affine(params[f"W{i}"], params[f"b{i}"]))
            if i < depth:
                self.layers.append(layers.Relu() if activation == "relu" else layers.Sigmoid())
        self.last_layer = layers.SoftmaxWithLoss()

    def loss(self, x, t):
        for layer in self.layers:
            x = layer.forward(x)
        return self.last_layer.forward(x, t)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        affines = self.layers[::2]
        return {**{f"W{i}": a.dW for i, a in enumerate(affines, 1)}, **{f"b{i}": a.db for i, a in enumerate(affines, 1)}}


def keys_of(sizes):
    return [f"{p}{i}" for i in range(1, len(sizes)) for p in "Wb"]


def _net_inputs(rng, sizes, N, one_hot, activation, numerical=False):
    """He-scaled weights, small biases and a batch; for a numerical gradient, no ReLU input near the kink
    (a nudge of h across it would make the difference quotient meaningless)."""
    while True:
        params = {}
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
            params[f"W{i}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            params[f"b{i}"] = 0.1 * rng.standard_normal(fan_out)
        x = rng.standard_normal((N, sizes[0]))
        if not numerical or activation != "relu" or _away_from_kink(x, params, len(sizes) - 1):
            break
    t = rng.integers(0, sizes[-1], N)
    return params, x, np.eye(sizes[-1])[t] if one_hot else t


def _away_from_kink(x, params, depth, margin=1e-3):
    for i in range(1, depth):
        x = x @ params[f"W{i}"] + params[f"b{i}"]
        if np.min(np.abs(x)) < margin:
            return False
        x = np.maximum(x, 0)
    return True


def _numerical(sizes, activation, params, x, t):
    reference = MultiLayerNetReference(sizes, activation, {k: v.copy() for k, v in params.items()})
    grads = {}
    for key in reference.params:  # the layers hold these arrays, so nudging them in place moves the loss
        grads[key] = numerical_gradient(lambda _: reference.loss(x, t), reference.params[key])
    return grads


def _loss_and_gradient_steps(sizes, activation, keys):
    """Build the learner's net from the given parameters, then its loss, gradient and parameters after."""
    return [make_dict("params", {k: k for k in keys}),
            new("net", "MultiLayerNet", lit(list(sizes)), lit(activation), lit(0), "params"),
            call("net", "loss", "x", "t", out=["loss"]),
            call("net", "gradient", "x", "t", out_dict=("grads", keys)), save("params", "params_after", keys)]


def _gradient_test(label, points, sizes, activation, rng, N, one_hot=False, *, numerical=False,
                   all_or_nothing=False):
    keys = keys_of(sizes)
    params, x, t = _net_inputs(rng, sizes, N, one_hot, activation, numerical)
    steps = _loss_and_gradient_steps(sizes, activation, keys)

    @functools.cache  # the reference's gradients on this test's inputs: once, whatever the submissions
    def reference_gradients():
        reference = MultiLayerNetReference(sizes, activation, {k: v.copy() for k, v in params.items()})
        expected = reference.gradient(x, t)
        if not numerical:
            return expected, None, None
        return expected, _numerical(sizes, activation, params, x, t), roundoff_floor(reference.loss(x, t))

    def judge(outputs):
        expected, numeric, floor = reference_gradients()
        checks = [expect(outputs, f"grads.{k}", expected[k], label=_("gradient {array}").format(array=k))
                  for k in keys]
        if numerical:
            checks += [expect(outputs, f"grads.{k}", numeric[k], label=_("gradient {array} (numerical)").format(
                array=k), tol=1e-6, atol=floor) for k in keys]
        if all_or_nothing:
            failed = next((c for c in checks if c.message), None)
            return [Check(_("every gradient"), failed.message if failed else None)]
        return checks
    name = Message(N_("MultiLayerNet.gradient [{case}]"), case=label)
    return make_test(name, points, steps, {**params, "x": x, "t": t}, judge, ["MultiLayerNet"])


def _loss_and_unchanged_test(rng):
    sizes, activation = (3, 5, 4, 3), "sigmoid"
    keys = keys_of(sizes)
    params, x, t = _net_inputs(rng, sizes, 6, False, activation)
    steps = _loss_and_gradient_steps(sizes, activation, keys)

    def judge(outputs):
        reference = MultiLayerNetReference(sizes, activation, {k: v.copy() for k, v in params.items()})
        loss = reference.loss(x, t)
        expected = reference.gradient(x, t)
        values = [expect(outputs, "loss", loss, label="loss", tol=1e-5)]
        values += [expect(outputs, f"grads.{k}", expected[k], label=_("gradient {array}").format(array=k))
                   for k in keys]
        failed = next((c for c in values if c.message), None)
        if failed:
            return [Check(_("parameters unchanged"), _("this counts once loss and gradient are right: {message}")
                          .format(message=failed.message), missing=failed.missing)]
        return [expect_unchanged(outputs, f"params_after.{k}", params[k],
                                 label=_("{array} (after gradient)").format(array=f"params[{k!r}]")) for k in keys]
    return make_test(N_("MultiLayerNet.loss is right and gradient leaves the parameters unchanged"), 2, steps,
                     {**params, "x": x, "t": t}, judge, ["MultiLayerNet"])


def _training_test(rng):
    seeds = [int(s) for s in rng.integers(0, 2**31, 3)]
    x_train, t_train = make_spiral(100, 3, seed=seeds[0])
    x_test, t_test = make_spiral(100, 3, seed=seeds[1])
    s = TRAIN
    steps = [new("net", "MultiLayerNet", lit(list(s["sizes"])), lit("relu"), lit(seeds[2])),
             call(None, "sgd", "net", "x_train", "t_train", lit(s["iters_num"]), lit(s["batch_size"]),
                  lit(s["learning_rate"]), lit(seeds[2])),
             call("net", "predict", "x_test", out=["scores"])]

    def judge(outputs):
        return accuracy_checks(outputs, t_test, 3, TARGET_ACCURACY, _(
            "sizes {sizes}, relu, sgd with {arguments}; check the initial weights (He: sqrt(2 / fan_in))").format(
            sizes=list(s["sizes"]), arguments=f"iters_num={s['iters_num']}, batch_size={s['batch_size']}, "
                                              f"learning_rate={s['learning_rate']}"))
    name = Message(N_("sgd trains MultiLayerNet({sizes}) to test accuracy >= {target} on the spiral"),
                   sizes=list(s["sizes"]), target=TARGET_ACCURACY)
    return make_test(name, 4, steps, {"x_train": x_train, "t_train": t_train, "x_test": x_test}, judge,
                     ["MultiLayerNet"])


def _multilayer_net(rng_for):
    rng = rng_for("MultiLayerNet")

    def sizes(depth):
        return (int(rng.integers(2, 6)), *[int(rng.integers(3, 7)) for _ in range(depth)], int(rng.integers(2, 5)))
    return [
        _gradient_test(Message(N_("784-100-50-10, relu, batch of 100: {case}"), case=LARGE_LABEL),
                       1, (784, 100, 50, 10), "relu",
                       rng_for("MultiLayerNet large"), 100, all_or_nothing=True),
        _gradient_test(N_("relu, two hidden layers, integer labels"), 3, sizes(2), "relu", rng, 6, numerical=True),
        _gradient_test(N_("sigmoid, three hidden layers, one-hot labels"), 3, sizes(3), "sigmoid", rng, 5, True),
        _gradient_test(Message(N_("relu, {depth} hidden layer(s), random sizes"),
                               depth=(depth := int(rng.integers(1, 5)))),
                       3, sizes(depth),
                       "relu", rng, int(rng.integers(3, 8))),
        _gradient_test(N_("no hidden layer: sizes (D, C)"), 2, sizes(0), "sigmoid", rng, 4),
        _gradient_test(N_("batch of one"), 1, sizes(2), "sigmoid", rng, 1, all_or_nothing=True),
        _loss_and_unchanged_test(rng_for("MultiLayerNet loss")),
        _training_test(rng_for("MultiLayerNet training")),
    ]
