"""Level 3, find the bug: the hidden tests of exercise 24, a network that passes its gradient check
and does not learn.

The handed-over `Affine.backward` adds each call's gradient to dW and db (+=) and nothing resets
them, so the first call is right (the author's demo checks a fresh network, once) and every later
call returns the sum of all the calls so far: training uses a gradient that only grows. Every test
here calls backward or gradient twice on the same object, with a new batch, as training does, and
judges the second call against the library's reference (Affine, TwoLayerNet: the same network) on
the second batch alone. So the code as handed over scores 0, and a fix earns everything:
- a layer that computes dW and db afresh in each call;
- in whatever way, as long as the gradients handed out earlier stay as they were (a caller such as
  a momentum optimiser may keep them; zeroing the layer's arrays in place before adding rewrites them).
Where a second result is the sum of both calls' gradients, the judge says so (that, not a batch
size, is what "found is 2 times expected" means here). The library's Affine (the answer) is
disabled in the child; a large case per class keeps finite differences out, as everywhere.
"""
from __future__ import annotations

import functools

import numpy as np

from backprop_lib import layers
from backprop_lib.checks import compare
from backprop_grader.language import N_, Message, _
from backprop_grader.exercises.layer_tests import LARGE_HINT, LARGE_LABEL
from backprop_grader.judging.verdicts import Check, expect, note
from backprop_grader.exercises.spec import Exercise, make_test
from backprop_grader.exercises.steps import attr, call, new, save
from backprop_grader.exercises.cases import dims, two_layer_inputs, two_layer_net

PILED_UP_HINT = N_("the second call returned the sum of both calls' gradients: what the first call left in the "
                   "layer is still there. Look at how Affine.backward sets dW and db, and at what they hold before "
                   "it runs.")
KEPT_HINT = N_("the gradients the first call returned changed when gradient was called again: they are the "
               "layers' own arrays, and the next backward wrote into them. A caller may keep them (momentum "
               "does): each call should hand out arrays of its own.")
KEYS = ("W1", "b1", "W2", "b2")
AFFINE_GRADIENTS = ("dW", "db", "dx")


def _piled_up(found, first, second):
    """Whether `found` is first + second (and not second alone): the two calls' gradients added up."""
    found = np.asarray(found, dtype=np.float64)
    return (found.shape == np.shape(second) and compare("", found, first + second) is None
            and compare("", found, second) is not None)


def _hint(message):
    return note(_("Hint: {hint}").format(hint=_(message)))


# --- Affine on its own: forward and backward twice, judged on the second call ---------------------

def _affine_case(rng, N, D, H, same=False):
    W, b = rng.standard_normal((D, H)), rng.standard_normal(H)
    x1, dout1 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    x2, dout2 = (x1, dout1) if same else (rng.standard_normal((N, D)), rng.standard_normal((N, H)))
    return {"W": W, "b": b, "x1": x1, "dout1": dout1, "x2": x2, "dout2": dout2}


def _affine_reference(W, b, x, dout):
    layer = layers.Affine(W.copy(), b.copy())
    layer.forward(x.copy())
    dx = layer.backward(dout.copy())
    return {"dW": layer.dW, "db": layer.db, "dx": dx}


AFFINE_STEPS = [new("layer", "Affine", "W", "b"), call("layer", "forward", "x1"),
                call("layer", "backward", "dout1"), call("layer", "forward", "x2"),
                call("layer", "backward", "dout2", out=["dx"]), attr("layer", "dW", "dW"), attr("layer", "db", "db")]


def _affine_test(name, points, inputs, requires=None):
    @functools.cache
    def expected():
        return (_affine_reference(inputs["W"], inputs["b"], inputs["x1"], inputs["dout1"]),
                _affine_reference(inputs["W"], inputs["b"], inputs["x2"], inputs["dout2"]))

    def judge(outputs):
        first, second = expected()
        checks = [expect(outputs, k, second[k], label=f"Affine.backward {k}", guess=False) for k in ("dW", "db")]
        failed = next((c for c in checks if c.message), None)
        # dx is right in the code as handed over: it counts once dW and db are
        checks.append(Check("Affine.backward dx", _("Affine.backward dx counts once dW and db are right."),
                            missing=failed.missing, array="dx") if failed else
                      expect(outputs, "dx", second["dx"], label="Affine.backward dx"))
        if any(_piled_up(outputs[k], first[k], second[k]) for k in ("dW", "db") if k in outputs):
            checks.append(_hint(PILED_UP_HINT))
        return checks
    return make_test(name, points, AFFINE_STEPS, inputs, judge, ["Affine"], requires=requires, kind="Affine.backward")


def _affine_tests(rng_for):
    rng = rng_for("Affine")
    N, D = dims(rng, 3, 6), dims(rng, 2, 4)
    H = D + dims(rng, 1, 3)
    large = _affine_test(Message(N_("{cls}.backward [{case}]"), cls="Affine", case=LARGE_LABEL), 1,
                         _affine_case(rng_for("Affine large"), 200, 300, 200))
    large.hint = LARGE_HINT
    return [large,
            _affine_test(Message(N_("Affine.backward [called twice, a new batch each time: D={D}, H={H}, batch "
                                    "of {N}]"), D=D, H=H, N=N), 2, _affine_case(rng, N, D, H), large),
            _affine_test(Message(N_("Affine.backward [called twice on the same batch: D={D}, H={H}, batch of "
                                    "{N}]"), D=H, H=D, N=N + 1), 1, _affine_case(rng, N + 1, H, D, same=True),
                         large)]


# --- Network.gradient: called twice, as training calls it -------------------------------------

def _net_case(rng, sizes, N, one_hot, first_N=None):
    params, x2, t2 = two_layer_inputs(rng, sizes, N, one_hot)
    _, x1, t1 = two_layer_inputs(rng, sizes, first_N or N, one_hot)
    return {**params, "x1": x1, "t1": t1, "x2": x2, "t2": t2}


def _net_reference(inputs, sizes, x, t):
    network = two_layer_net(sizes, inputs)  # the same network: Affine -> Relu -> Affine -> SoftmaxWithLoss
    return network.gradient(inputs[x], inputs[t])


NET_STEPS = [new("net", "Network", *KEYS), call("net", "gradient", "x1", "t1", keep="grads1"),
             save("grads1", "first", KEYS), call("net", "gradient", "x2", "t2", keep="grads2"),
             save("grads2", "second", KEYS), save("grads1", "first_after", KEYS)]


def _net_expected(inputs, sizes):
    @functools.cache
    def expected():
        return _net_reference(inputs, sizes, "x1", "t1"), _net_reference(inputs, sizes, "x2", "t2")
    return expected


def _second_call_checks(outputs, first, second):
    checks = [expect(outputs, f"second.{k}", second[k], label=_("gradient {array}").format(array=k), guess=False,
                     array=k) for k in KEYS]
    if any(_piled_up(outputs[f"second.{k}"], first[k], second[k]) for k in KEYS if f"second.{k}" in outputs):
        checks.append(_hint(PILED_UP_HINT))
    return checks


def _network_test(name, points, inputs, sizes, requires=None, hint=""):
    expected = _net_expected(inputs, sizes)

    def judge(outputs):
        return _second_call_checks(outputs, *expected())
    return make_test(name, points, NET_STEPS, inputs, judge, ["Network"], hint=hint, requires=requires,
                     kind="Network.gradient")


def _kept_test(name, points, inputs, sizes, requires):
    """The first call's gradients, kept by the caller, are what they were when returned."""
    expected = _net_expected(inputs, sizes)

    def judge(outputs):
        first, second = expected()
        values = [c for c in _second_call_checks(outputs, first, second) if not c.note]
        failed = next((c for c in values if c.message), None)
        if failed:  # code that computes nothing must not earn this point
            return [Check(_("gradients of the first call"), _("this counts once the second call's gradients are "
                                                               "right: {message}").format(message=failed.message),
                          missing=failed.missing)]
        checks = [expect(outputs, f"first_after.{k}", first[k], guess=False, array=k,
                         label=_("gradient {array} of the first call, after the second").format(array=k))
                  for k in KEYS]
        rewritten = [k for k in KEYS if f"first.{k}" in outputs and f"first_after.{k}" in outputs
                     and compare("", outputs[f"first.{k}"], first[k]) is None
                     and compare("", outputs[f"first_after.{k}"], first[k]) is not None]
        if rewritten:  # right when returned, changed since
            checks.append(_hint(KEPT_HINT))
        return checks
    return make_test(name, points, NET_STEPS, inputs, judge, ["Network"], requires=requires)


def _network_tests(rng_for):
    large_sizes = (784, 50, 10)
    large = _network_test(Message(N_("Network.gradient [{case}]"), case=LARGE_LABEL), 1,
                          _net_case(rng_for("Network large"), large_sizes, 100, False), large_sizes,
                          hint=LARGE_HINT)
    rng = rng_for("Network")
    tests = [large]
    for label, one_hot, first_N, points in ((N_("integer labels"), False, None, 3), (N_("one-hot labels"), True, 1, 3)):
        sizes, N = (dims(rng, 3, 5), dims(rng, 4, 6), dims(rng, 2, 4)), dims(rng, 4, 8)
        first = Message(N_("a batch of one, then a batch of {N}"), N=N) if first_N else Message(
            N_("two batches of {N}"), N=N)
        tests.append(_network_test(Message(N_("Network.gradient [called twice, {case}: {batches}, sizes {sizes}]"),
                                           case=label, batches=first, sizes=sizes),
                                   points, _net_case(rng, sizes, N, one_hot, first_N), sizes, large))
    sizes, N = (dims(rng, 3, 5), dims(rng, 4, 6), dims(rng, 2, 4)), dims(rng, 4, 8)
    tests.append(_kept_test(N_("Network.gradient leaves the gradients it returned earlier unchanged"), 1,
                            _net_case(rng, sizes, N, False), sizes, large))
    return tests


def _bug_accumulate(rng_for):
    return _affine_tests(rng_for) + _network_tests(rng_for)


# The setup cell imports checks, datasets, gradcheck and layers (Relu, SoftmaxWithLoss); the library's
# Affine is the answer, and backprop_lib.network (TwoLayerNet, the same network) is not shipped.
EXERCISE = Exercise("24", "24_bug_accumulate", N_("Find the bug: a network that does not learn"),
                    ("Affine", "Network"), _bug_accumulate,
                    library_modules=("functions", "gradcheck", "layers", "checks", "datasets"),
                    disabled=(layers.Affine.forward, layers.Affine.backward))
