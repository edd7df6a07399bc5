"""Level 4, go deeper: the hidden tests of exercise 17, a network of any depth.

MultiLayerNet(sizes, activation, seed, params) is checked on random nets of random depth (no
hidden layer up to four), with ReLU and sigmoid, integer and one-hot labels, against the
grader's own reference network and, on one net, against central differences of its loss; a
Fashion-MNIST-sized net comes first (backprop finishes in milliseconds, finite differences
would take minutes). Then the setup cell's SGD loop trains the learner's network, with its own
initial weights, on spiral data made here; its test accuracy is computed here. Before that, three
SGD steps on a network built from given parameters must move its predictions exactly as they move
the reference's: the layers must compute with the very arrays of net.params, which sgd updates.

Training is worth more than all the other tests together: a network that cannot learn (its layers
hold copies of the parameters, its initial weights keep it from learning) never gets most of the
marks, however right its gradient is. Where it fails, the judge says why from what came back:
predictions that do not follow the returned net.params, or else the initial weights.
"""
from __future__ import annotations

import functools

import numpy as np

from backprop_lib import layers
from backprop_lib.datasets import make_spiral
from backprop_lib.gradcheck import numerical_gradient, roundoff_floor
from backprop_grader.language import N_, Message, _
from backprop_lib.checks import compare
from backprop_grader.judging.verdicts import Check, accuracy_checks, expect, expect_unchanged, note
from backprop_grader.exercises.once_right import counts_once
from backprop_grader.exercises.steps import attr, call, lit, make_dict, new, save
from backprop_grader.exercises.spec import Exercise, make_test
from backprop_grader.exercises.layer_tests import LARGE_LABEL

TRAIN = {"sizes": (2, 50, 50, 3), "iters_num": 1500, "batch_size": 100, "learning_rate": 0.5}
TARGET_ACCURACY = 0.9
TRAINING_POINTS = 13  # more than the other tests together (12): a network that cannot learn never gets most


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

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

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
    (a nudge of h across it would make the difference quotient meaningless). Every gradient has a
    non-zero entry: where a whole ReLU layer is silent, zeros are the right answer, and returning
    zeros would earn credit."""
    while True:
        params = {}
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
            params[f"W{i}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            params[f"b{i}"] = 0.1 * rng.standard_normal(fan_out)
        x = rng.standard_normal((N, sizes[0]))
        labels = rng.integers(0, sizes[-1], N)
        t = np.eye(sizes[-1])[labels] if one_hot else labels
        if numerical and activation == "relu" and not _away_from_kink(x, params, len(sizes) - 1):
            continue
        grads = MultiLayerNetReference(sizes, activation, {k: v.copy() for k, v in params.items()}).gradient(x, t)
        if all(np.any(g != 0) for g in grads.values()):
            return params, x, t


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
    return make_test(name, points, steps, {**params, "x": x, "t": t}, judge, ["MultiLayerNet"],
                     kind="MultiLayerNet.gradient")


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
        gate = counts_once(values, _("parameters unchanged"), _("this counts once loss and gradient are right: "
                                                                 "{message}"))
        return [gate] if gate else [expect_unchanged(outputs, f"params_after.{k}", params[k],
                                 label=_("{array} (after gradient)").format(array=f"params[{k!r}]")) for k in keys]
    return make_test(N_("MultiLayerNet.loss is right and gradient leaves the parameters unchanged"), 1, steps,
                     {**params, "x": x, "t": t}, judge, ["MultiLayerNet"])


SHARED_STEPS = {"iters_num": 3, "batch_size": 4, "learning_rate": 0.5, "rows": 8}
SHARED_HINT = N_("the layers do not share the parameters with the network: sgd updates the arrays of net.params, "
                 "and the layers compute with other arrays (copies, or arrays of their own), so training never "
                 "reaches them. Build each layer on the very arrays that net.params holds.")


def _steps_of_sgd(sizes, params, x_train, t_train, s):
    """The reference network after the setup cell's sgd: every row of x_train is the same point, so
    every minibatch, however it is drawn, is the same."""
    reference = MultiLayerNetReference(sizes, "relu", {k: v.copy() for k, v in params.items()})
    for _ in range(s["iters_num"]):
        grads = reference.gradient(x_train[:s["batch_size"]], t_train[:s["batch_size"]])
        for key in reference.params:
            reference.params[key] -= s["learning_rate"] * grads[key]  # in place: the layers hold these arrays
    return reference


def _shared_parameters_test(rng):
    sizes, s = (3, 6, 5, 3), SHARED_STEPS
    keys = keys_of(sizes)
    params, x_probe, _labels = _net_inputs(rng, sizes, 5, False, "relu")
    x_train = np.repeat(rng.standard_normal((1, sizes[0])), s["rows"], axis=0)
    t_train = np.full(s["rows"], int(rng.integers(0, sizes[-1])))
    steps = [make_dict("params", {k: k for k in keys}),
             new("net", "MultiLayerNet", lit(list(sizes)), lit("relu"), lit(0), "params"),
             call(None, "sgd", "net", "x_train", "t_train", lit(s["iters_num"]), lit(s["batch_size"]),
                  lit(s["learning_rate"]), lit(0)),
             call("net", "predict", "x_probe", out=["scores"])]

    @functools.cache
    def expected():
        before = MultiLayerNetReference(sizes, "relu", {k: v.copy() for k, v in params.items()}).predict(x_probe)
        return before, _steps_of_sgd(sizes, params, x_train, t_train, s).predict(x_probe)

    def judge(outputs):
        before, after = expected()
        label = _("net.predict(x) after {steps} SGD steps").format(steps=s["iters_num"])
        check = expect(outputs, "scores", after, label=label)
        if check.message and compare(label, outputs["scores"], before) is None:
            check.message = _("{label} gives the scores from before the steps, as if sgd had changed nothing. "
                              "Hint: {hint}").format(label=label, hint=_(SHARED_HINT))
        return [check]
    name = Message(N_("sgd's updates of net.params reach the layers ({steps} steps, sizes {sizes})"),
                   steps=s["iters_num"], sizes=list(sizes))
    return make_test(name, 2, steps, {**params, "x_probe": x_probe, "x_train": x_train, "t_train": t_train},
                     judge, ["MultiLayerNet"])


def _training_test(rng):
    seeds = [int(s) for s in rng.integers(0, 2**31, 3)]
    x_train, t_train = make_spiral(100, 3, seed=seeds[0])
    x_test, t_test = make_spiral(100, 3, seed=seeds[1])
    s = TRAIN
    keys = keys_of(s["sizes"])
    steps = [new("net", "MultiLayerNet", lit(list(s["sizes"])), lit("relu"), lit(seeds[2])),
             call(None, "sgd", "net", "x_train", "t_train", lit(s["iters_num"]), lit(s["batch_size"]),
                  lit(s["learning_rate"]), lit(seeds[2])),
             call("net", "predict", "x_test", out=["scores"]), attr("net", "params", "params", keys=keys)]

    def judge(outputs):
        checks = accuracy_checks(outputs, t_test, 3, TARGET_ACCURACY, _(
            "sizes {sizes}, relu, sgd with {arguments}").format(
            sizes=list(s["sizes"]), arguments=f"iters_num={s['iters_num']}, batch_size={s['batch_size']}, "
                                              f"learning_rate={s['learning_rate']}"))
        if checks[0].message and not checks[0].missing:
            checks.append(note(_("Hint: {hint}").format(hint=_training_hint(outputs, x_test, keys))))
        return checks
    name = Message(N_("sgd trains MultiLayerNet({sizes}) to test accuracy >= {target} on the spiral"),
                   sizes=list(s["sizes"]), target=TARGET_ACCURACY)
    return make_test(name, TRAINING_POINTS, steps, {"x_train": x_train, "t_train": t_train, "x_test": x_test},
                     judge, ["MultiLayerNet"])


def _training_hint(outputs, x_test, keys):
    """Why a network did not learn, from what came back: predictions that are not those of its own
    net.params (the layers do not share them), or else its initial weights."""
    params = {k: outputs.get(f"params.{k}") for k in keys}
    if all(v is not None for v in params.values()):
        try:
            own = MultiLayerNetReference(TRAIN["sizes"], "relu", {k: np.array(v, dtype=np.float64)
                                                                  for k, v in params.items()}).predict(x_test)
        except ValueError:  # parameters of other shapes: the gradient tests say what is wrong
            own = None
        if own is not None and compare("scores", outputs["scores"], own) is not None:
            return _(SHARED_HINT)
    return _("look at the initial weights: standard normal times sqrt(2 / fan_in) for ReLU (He), biases 0, drawn "
             "with the seed given; weights that are all equal (zero), or far too small or too large, keep a deep "
             "network from learning.")


def _multilayer_net(rng_for):
    rng = rng_for("MultiLayerNet")

    def sizes(depth):
        return (int(rng.integers(2, 6)), *[int(rng.integers(3, 7)) for _ in range(depth)], int(rng.integers(2, 5)))
    return [
        _gradient_test(Message(N_("784-100-50-10, relu, batch of 100: {case}"), case=LARGE_LABEL),
                       1, (784, 100, 50, 10), "relu",
                       rng_for("MultiLayerNet large"), 100, all_or_nothing=True),
        _gradient_test(N_("relu, two hidden layers, integer labels"), 2, sizes(2), "relu", rng, 6, numerical=True),
        _gradient_test(N_("sigmoid, three hidden layers, one-hot labels"), 2, sizes(3), "sigmoid", rng, 5, True),
        _gradient_test(Message(N_("relu, {depth} hidden layer(s), random sizes"),
                               depth=(depth := int(rng.integers(1, 5)))),
                       2, sizes(depth),
                       "relu", rng, int(rng.integers(3, 8))),
        _gradient_test(N_("no hidden layer: sizes (D, C)"), 1, sizes(0), "sigmoid", rng, 4),
        _gradient_test(N_("batch of one"), 1, sizes(2), "sigmoid", rng, 1, all_or_nothing=True),
        _loss_and_unchanged_test(rng_for("MultiLayerNet loss")),
        _shared_parameters_test(rng_for("MultiLayerNet shared parameters")),
        _training_test(rng_for("MultiLayerNet training")),
    ]


EXERCISE = Exercise("17", "17_multilayer_net", N_("A network of any depth"), ("MultiLayerNet",), _multilayer_net,
                    library_modules=("functions", "gradcheck", "layers", "checks", "datasets"), cpu_seconds=10.0,
                    wall_seconds=20.0)
