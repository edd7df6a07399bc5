"""The hidden tests of exercise 07: softmax, cross_entropy_error (one-hot and integer labels) and the
SoftmaxWithLoss layer (layer_tests.py), large logits of ±1e3..1e4 included, and a large case.
"""
from __future__ import annotations

import numpy as np

from backprop_lib import checks, functions, layers
from backprop_grader.language import N_, Message, _
from backprop_grader.judging.verdicts import expect
from backprop_grader.exercises.cases import dims
from backprop_grader.exercises.layer_tests import Case, layer_tests
from backprop_grader.exercises.spec import Exercise, make_test
from backprop_grader.exercises.steps import call


def _function_test(name, label, inputs, reference, points, *, tol=1e-7, strict=False, hint=""):
    steps = [call(None, name, *inputs, out=["y"], strict=strict)]

    def judge(outputs):
        return [expect(outputs, "y", reference(*[np.copy(v) for v in inputs.values()]),
                       label=_("{function} output").format(function=name), tol=tol)]
    return make_test(Message(N_("{function} [{case}]"), function=name, case=label),
                     points, steps, dict(inputs), judge, [name], hint, kind=name)


LARGE_LOGITS_HINT = N_("subtract each row's maximum before np.exp, so that no exp overflows (no RuntimeWarning).")


def _one_hot(labels, n_classes):
    return np.eye(n_classes)[labels]


def _softmax_with_loss(rng_for):
    rng = rng_for("softmax")
    N, C = dims(rng, 3, 6), dims(rng, 3, 6)
    large = rng.standard_normal((N, C)) * rng.uniform(1e3, 1e4)
    tests = [_function_test("softmax", label, {"x": x}, functions.softmax, 1, strict=huge,
                            hint=LARGE_LOGITS_HINT if huge else "")
             for label, x, huge in ((N_("random logits (N, C)"), rng.standard_normal((N, C)), False),
                                    (N_("large logits ±1e3..1e4"), large, True),
                                    (N_("one row (C,)"), rng.standard_normal(C), False))]
    rng = rng_for("cross_entropy_error")
    # probabilities of at least a few percent: the notes' log(y + 1e-7) then stays within the tolerance
    y = functions.softmax(0.5 * rng.standard_normal((N, C)))
    labels = rng.integers(0, C, N)
    for label, y_, t in ((N_("one-hot labels"), y, _one_hot(labels, C)), (N_("integer labels"), y, labels),
                         (N_("batch of one"), y[:1], labels[:1])):
        tests.append(_function_test("cross_entropy_error", label, {"y": y_, "t": t},
                                    functions.cross_entropy_error, 1, tol=1e-5))
    rng = rng_for("SoftmaxWithLoss")
    cases = []
    for label, x, integer, huge in ((N_("one-hot labels"), rng.standard_normal((N, C)), False, False),
                                    (N_("integer labels"), rng.standard_normal((N + 1, C)), True, False),
                                    (N_("batch of one"), rng.standard_normal((1, C)), True, False),
                                    (N_("large logits ±1e3..1e4"), large, False, True)):
        t = rng.integers(0, C, x.shape[0])
        hint = LARGE_LOGITS_HINT if huge else (
            N_("t may be integer labels of shape (N,) as well as one-hot rows (N, C).") if integer else "")
        cases.append(Case(label, [], {"x": x}, 1, constants={"t": t if integer else _one_hot(t, C)},
                          gradcheck=not huge and x.shape[0] > 1, forward_tol=1e-5,
                          forward_check=_large_loss_message if huge else None, strict=huge, hint=hint))
    big = Case("", [], {"x": rng.standard_normal((400, 300))}, 1, constants={"t": rng.integers(0, 300, 400)})
    return tests + layer_tests("SoftmaxWithLoss", layers.SoftmaxWithLoss, cases, large=big)


def _large_loss_message(label, found, expected):
    """For huge logits the loss need only be finite and large: clipping log's argument (at 1e-7 as
    in the notes, or at 1e-300) is accepted, so any value in [min(exact, -log 1e-7), exact] passes."""
    found = np.asarray(found, dtype=np.float64)
    low = min(float(expected), -np.log(1e-7)) * (1 - 1e-6)
    if found.shape != ():
        return _("{name} has shape {shape}; expected a single number (the mean loss).").format(
            name=label, shape=found.shape)
    if not np.isfinite(found) or not low <= found <= float(expected) * (1 + 1e-6):
        return checks.with_hint(_("{name} is {found}; expected a finite loss between {low} and the exact {exact}.")
                                .format(name=label, found=f"{float(found):.6g}", low=f"{low:.6g}",
                                        exact=f"{float(expected):.6g}"),
                                _("subtract the row maximum before np.exp, and never take log(0)."))
    return None


EXERCISE = Exercise("07", "07_softmax_with_loss", N_("Softmax with cross-entropy loss"),
                    ("softmax", "cross_entropy_error", "SoftmaxWithLoss"), _softmax_with_loss)
