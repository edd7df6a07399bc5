"""The hidden tests of exercise 08: gradient(net, x, t) by walking the layers backwards, against the library's
TwoLayerNet.gradient (disabled in the child) and, on one case, central differences of its loss; a large network first.
"""
from __future__ import annotations

import functools

from backprop_lib.gradcheck import roundoff_floor
from backprop_grader.language import N_, Message, _
from backprop_lib.network import TwoLayerNet
from backprop_grader.exercises.cases import dims, two_layer_inputs, two_layer_net
from backprop_grader.exercises.layer_tests import LARGE_HINT
from backprop_grader.judging.verdicts import expect
from backprop_grader.exercises.spec import FULL_LIBRARY, Exercise, make_test
from backprop_grader.exercises.steps import call, net


LARGE_NET = (784, 50, 10, 100)  # D, H, C, N: finite differences over 40,000 parameters take minutes


def _two_layer_gradient(rng_for):
    keys = ("W1", "b1", "W2", "b2")
    tests, requires = [], None
    # (seed, label, N, one_hot, numerical: also against central differences of the reference's loss)
    for seed, label, N, one_hot, numerical in (
            ("large network: backprop, not finite differences",
             N_("large network: backprop, not finite differences"), None, False, False),
            ("integer labels", N_("integer labels"), 6, False, True),
            ("one-hot labels", N_("one-hot labels"), 5, True, False),
            ("batch of one", N_("batch of one"), 1, False, False)):
        rng = rng_for(f"gradient {seed}")
        if N is None:
            *sizes, N = LARGE_NET
        else:
            sizes = (dims(rng, 3, 5), dims(rng, 4, 6), dims(rng, 2, 4))
        params, x, t = two_layer_inputs(rng, sizes, N, one_hot)
        steps = [net("net", sizes, {k: k for k in keys}),
                 call(None, "gradient", "net", "x", "t", out_dict=("grads", keys))]

        @functools.cache  # the reference's gradients on this test's inputs: once, whatever the submissions
        def reference(sizes=sizes, params=params, x=x, t=t, numerical=numerical):
            network = two_layer_net(sizes, params)
            expected = network.gradient(x, t)
            if not numerical:
                return expected, None, None
            return expected, network.numerical_gradient(x, t), roundoff_floor(network.loss(x, t))

        def judge(outputs, reference=reference, numerical=numerical):
            expected, numeric, floor = reference()
            checks = [expect(outputs, f"grads.{k}", expected[k], label=_("gradient {array}").format(array=k))
                      for k in keys]
            if numerical:  # and against central differences of the reference's loss
                checks += [expect(outputs, f"grads.{k}", numeric[k], label=_("gradient {array} (numerical)").format(
                    array=k), tol=1e-6, atol=floor) for k in keys]
            return checks
        tests.append(make_test(Message(N_("gradient [{case}]"), case=label),
                               4, steps, {**params, "x": x, "t": t}, judge, ["gradient"],
                               hint="" if requires else LARGE_HINT, requires=requires, kind="gradient"))
        requires = requires or tests[0]
    return tests


EXERCISE = Exercise("08", "08_two_layer_gradient", N_("Backpropagation through TwoLayerNet"), ("gradient",),
                    _two_layer_gradient, library_modules=FULL_LIBRARY,
                    disabled=(TwoLayerNet.gradient, TwoLayerNet.numerical_gradient))
