"""The hidden tests of exercise 09: sgd_step (new values, the arrays updated in place, grads unchanged), train's
update rule (3 SGD steps on rows that are all one point), and train reaching test accuracy >= 0.9 on the spiral.
"""
from __future__ import annotations

import numpy as np

from backprop_grader.language import N_, Message, _
from backprop_lib.checks import with_hint
from backprop_lib.network import TwoLayerNet
from backprop_grader.judging.verdicts import Check, accuracy_checks, expect
from backprop_grader.exercises.spec import FULL_LIBRARY, Exercise, make_test
from backprop_grader.exercises.steps import attr, call, lit, make_dict, save


TRAIN_SETTINGS = {"iters_num": 2000, "batch_size": 100, "learning_rate": 1.0}  # the notebook's defaults
TARGET_ACCURACY = 0.9


def _sgd_tests(rng_for):
    rng = rng_for("sgd_step")
    shapes = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}
    params = {k: rng.standard_normal(s) for k, s in shapes.items()}
    grads = {k: rng.standard_normal(s) for k, s in shapes.items()}
    learning_rate = float(rng.uniform(0.05, 0.5))
    expected = {k: params[k] - learning_rate * grads[k] for k in shapes}
    inputs = {**params, **{f"grad_{k}": g for k, g in grads.items()}}
    steps = [make_dict("params", {k: k for k in shapes}), make_dict("grads", {k: f"grad_{k}" for k in shapes}),
             call(None, "sgd_step", "params", "grads", lit(learning_rate)),
             save("params", "params", keys=list(shapes)), *[save(k, f"original_{k}") for k in shapes],
             *[save(f"grad_{k}", f"grads_after_{k}") for k in shapes]]

    def judge_update(outputs):
        return [expect(outputs, f"params.{k}", expected[k], label=f"params[{k!r}]") for k in shapes]

    def judge_in_place(outputs):
        found = [expect(outputs, f"original_{k}", expected[k],
                        label=_("the array {array}").format(array=f"params[{k!r}]")) for k in shapes]
        hint = _("the arrays that were in params must hold the new values (the network's layers hold those very "
                 "arrays): change each array in place instead of putting a new one in the dict.")
        return [Check(c.label, c.message and (c.message if c.missing else with_hint(c.message, hint)),
                      missing=c.missing, array=c.array) for c in found]

    def judge_grads(outputs):
        failed = next((c for c in judge_update(outputs) if c.message), None)
        if failed:  # code that computes nothing must not earn this point
            return [Check(failed.label, _("not checked yet: this point counts once the new values are right, and "
                                          "{array} is not (see the test above).").format(array=failed.label),
                          missing=failed.missing, array=failed.array)]
        return [expect(outputs, f"grads_after_{k}", grads[k], label=_("{array} (unchanged)").format(
            array=f"grads[{k!r}]")) for k in shapes]
    return [make_test(N_("sgd_step [new values]"), 2, steps, inputs, judge_update, ["sgd_step"], kind="sgd_step"),
            make_test(N_("sgd_step [updates the arrays in place]"), 1, steps, inputs, judge_in_place, ["sgd_step"],
                      kind="sgd_step"),
            make_test(N_("sgd_step [leaves grads unchanged]"), 1, steps, inputs, judge_grads, ["sgd_step"],
                      kind="sgd_step")]


UPDATE_RULE = {"iters_num": 3, "batch_size": 10, "learning_rate": 0.5, "rows": 40}


def _update_rule_test(rng_for):
    """train on a set whose rows are all the same point: every minibatch, however it is drawn, is
    the same, so after 3 iterations the parameters must be exactly 3 reference SGD steps from the
    initial network (built as the task's code builds it)."""
    rng = rng_for("train update rule")
    seed, label = int(rng.integers(0, 2**31)), int(rng.integers(1, 3))
    u = UPDATE_RULE
    x_train = np.repeat(rng.standard_normal((1, 2)), u["rows"], axis=0)
    t_train = np.full(u["rows"], label)
    reference = TwoLayerNet(input_size=2, hidden_size=100, output_size=label + 1, weight_init_std=0.1, seed=seed)
    for _step in range(u["iters_num"]):
        grads = reference.gradient(x_train[:u["batch_size"]], t_train[:u["batch_size"]])
        for key in reference.params:
            reference.params[key] -= u["learning_rate"] * grads[key]
    keys = tuple(reference.params)
    steps = [call(None, "train", "x_train", "t_train", lit(u["iters_num"]), lit(u["batch_size"]),
                  lit(u["learning_rate"]), lit(seed), keep="net"),
             attr("net", "params", "params", keys=keys)]

    def judge(outputs):
        return [expect(outputs, f"params.{k}", reference.params[k],
                       label=_("{array} after {steps} SGD steps").format(array=f"net.params[{k!r}]",
                                                                          steps=u["iters_num"])) for k in keys]
    inputs = {"x_train": x_train, "t_train": t_train}
    return make_test(Message(N_("train takes {steps} SGD steps (every row of x_train the same point)"),
                             steps=u["iters_num"]), 2, steps, inputs, judge, ["train"],
                     hint=N_("train builds the network as given (seed=seed), then repeats iters_num times: a "
                             "minibatch, net.gradient on it, one sgd_step with learning_rate."))


def _train_test(rng_for, requires):
    from backprop_lib.datasets import make_spiral
    rng = rng_for("train")
    seeds = [int(s) for s in rng.integers(0, 2**31, 3)]
    x_train, t_train = make_spiral(100, 3, seed=seeds[0])
    x_test, t_test = make_spiral(100, 3, seed=seeds[1])
    s = TRAIN_SETTINGS
    steps = [call(None, "train", "x_train", "t_train", lit(s["iters_num"]), lit(s["batch_size"]),
                  lit(s["learning_rate"]), lit(seeds[2]), keep="net"),
             call("net", "predict", "x_test", out=["scores"])]

    def judge(outputs):
        return accuracy_checks(outputs, t_test, 3, TARGET_ACCURACY, _("train called with {arguments}").format(
            arguments=f"iters_num={s['iters_num']}, batch_size={s['batch_size']}, learning_rate={s['learning_rate']}"))
    inputs = {"x_train": x_train, "t_train": t_train, "x_test": x_test}
    return make_test(Message(N_("train reaches test accuracy >= {target} on the spiral"), target=TARGET_ACCURACY),
                     6, steps, inputs,
                     judge, ["train"], requires=requires)


def _sgd_training(rng_for):
    update_rule = _update_rule_test(rng_for)
    return _sgd_tests(rng_for) + [update_rule, _train_test(rng_for, update_rule)]


EXERCISE = Exercise("09", "09_sgd_training", N_("Training with minibatch SGD"), ("sgd_step", "train"),
                    _sgd_training, library_modules=FULL_LIBRARY, cpu_seconds=10.0, wall_seconds=20.0)
