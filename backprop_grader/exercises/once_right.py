"""Checks that count only once other checks are right (not an exercise): code that computes nothing
must not earn the points for leaving its inputs alone, or for what the bug it was handed did not break."""
from __future__ import annotations

from backprop_grader.language import N_, _

from backprop_grader.judging.verdicts import Check

NOT_YET = N_("not checked yet: this point counts once forward and backward are right, and {array} is not (its "
             "own test says why).")


def unless_wrong(checks, message=NOT_YET):
    """None if every check passed; else one check with `message` (an N_() message naming the {array} that is
    wrong): this test is not judged until the others are right."""
    failed = next((c for c in checks if c.message), None)
    if failed is None:
        return None
    return Check(failed.label, _(message).format(array=failed.label), missing=failed.missing, array=failed.array)


def counts_once(checks, label, message, array=""):
    """None, or a failed check about `array`: this test's point needs the others right first (`message`
    says which, and takes the first failure's {message})."""
    failed = next((c for c in checks if c.message), None)
    if failed is None:
        return None
    return Check(label, message.format(message=failed.message), missing=failed.missing, array=array)


def all_right(label, checks):
    """One check for several values: passed only if every one of them is right."""
    failed = next((c for c in checks if c.message), None)
    return Check(label, failed.message if failed else None, missing=bool(failed and failed.missing))
