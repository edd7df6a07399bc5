"""The judge's tools: a test's `judge` (run in the grader's own process) turns the arrays the child
handed back into `Check`s, each comparing one array with a value computed here."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_lib.checks import compare, mutation_message
from backprop_grader.language import _


@dataclass
class Check:
    """One verdict inside a test: `message` is None when it passed. `label` is only shown; what the
    judge needs is in the other fields."""

    label: str
    message: str | None
    weight: float = 1.0
    missing: bool = False  # not computed because the learner's code raised first
    # the array this check is about ("dW", "grads.W1"): a test that requires another earns for it only
    # where the other got it right; "" for a check about no one array
    array: str = ""
    note: bool = False  # a hint or remark (weight 0) rather than a verdict



def note(text):
    """A hint shown beside a test's verdicts: it weighs nothing."""
    return Check("hint", text, weight=0, note=True)



class Missing(Exception):
    """An output the child did not hand back (the learner's code raised before it)."""


def get(outputs, name):
    if name not in outputs:
        raise Missing(name)
    return outputs[name]


def expect(outputs, name, expected, *, label=None, tol=1e-7, atol=0.0, guess=True, array=None):
    """Check that output `name` matches `expected` (checks.compare's message when not); `array`: what the
    check is about (Check.array), by default `name`.
    guess=False: the test's own hint names this case's cause, so compare's guess from the values
    (found is expected / 2: ...) would only point elsewhere first; it is left out."""
    label, array = label or name, name if array is None else array
    try:
        found = get(outputs, name)
    except Missing:
        return Check(label, _("{array} was not computed.").format(array=label), missing=True, array=array)
    return Check(label, compare(label, found, expected, tol=tol, atol=atol, guess=guess), array=array)


def expect_unchanged(outputs, name, before, *, label):
    try:
        after = get(outputs, name)
    except Missing:
        return Check(label, _("could not check {array}.").format(array=label), missing=True)
    return Check(label, mutation_message(label, before, after))


def expect_gradcheck(outputs, analytic_name, numeric, *, label, tol=1e-6, atol=0.0, guess=True, array=None):
    """The learner's gradient against `numeric`, central differences of the reference's forward
    computed here (backprop_lib.gradcheck.numerical_gradients); gaps below `atol`, the differences'
    own rounding (gradcheck.roundoff_floor), never count. `array`: as in expect."""
    array = analytic_name if array is None else array
    try:
        analytic = get(outputs, analytic_name)
    except Missing:
        return Check(label, _("{array} was not computed.").format(array=label), missing=True, array=array)
    message = compare(label, analytic, numeric, tol=tol, atol=atol, guess=guess)
    if message:
        message = _("your backward disagrees with the numerical gradient of the forward. {message}").format(
            message=message)
    return Check(label, message, array=array)



def accuracy_checks(outputs, t_test, n_classes, target, settings):
    """The test accuracy of the returned `scores`, judged here against `target`; `settings` says how
    the network was trained, for the message."""
    try:
        scores = np.asarray(get(outputs, "scores"), dtype=np.float64)
    except Missing:
        return [Check(_("test accuracy"), _("the trained network's predictions were not computed."), missing=True)]
    if scores.shape != (len(t_test), n_classes):
        return [Check(_("test accuracy"), _("{call} has shape {found}; expected {expected}, one row of {classes} class "
                                            "scores per point.").format(call="net.predict(x_test)", found=scores.shape,
                                                                        expected=(len(t_test), n_classes),
                                                                        classes=n_classes))]
    accuracy = float(np.mean(np.argmax(scores, axis=1) == t_test))
    message = None if accuracy >= target else _("test accuracy {accuracy}; at least {target} is needed "
                                                "({settings}).").format(accuracy=f"{accuracy:.3f}", target=target,
                                                                        settings=settings)
    return [Check(_("test accuracy {accuracy}").format(accuracy=f"{accuracy:.3f}"), message)]
