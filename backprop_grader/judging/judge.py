"""Judge one run: what the child handed back (frames), test by test, against values computed here.

Only the arrays a test may return and only numbers are looked at; a test that requires another earns
only where the other passed (Test.requires, Check.array); the score of a test is its max_score times
the weight of its passed checks.
"""
from __future__ import annotations

from backprop_grader.language import _, translated
from backprop_grader.isolation import frames as protocol
from backprop_grader.judging.verdicts import Check, note
from backprop_grader.reports.report import TestResult
from backprop_grader.reports.text import inert

MAX_ARRAY_ELEMENTS = 1 << 20


def _valid_outputs(arrays, test):
    """Only the arrays this test may return, and only numbers: the rest is dropped."""
    kept = {}
    for name in test.outputs:
        value = arrays.get(name)
        if value is not None and value.dtype.kind in "biuf" and value.size <= MAX_ARRAY_ELEMENTS:
            kept[name] = value
    return kept


def judge_all(tests, received, outcome, notes) -> list:
    if received.violation:
        notes.append(_("the results your code sent back were not in the grader's format ({violation}), so this "
                       "run earns no points. Code that writes to the grader's result channel itself causes this.")
                     .format(violation=received.violation))
        return [TestResult(t.name, 0.0, t.max_score, [Check(t.name, _("no points: the results of this run were "
                           "not in the grader's format (see the notes)"))]) for t in tests]
    names = received.names or {}
    notes += [_("cell {cell}: the IPython command {command} does nothing while grading").format(
        cell=repr(inert(cell.removeprefix("cell "), limit=80)), command=inert(command, limit=80))
        for cell, command in received.refused]
    notes += [_("your code raised an error while loading: {error}").format(error=inert(m)) for m in received.load or []]
    if not received.done:
        notes.append(_("the grader stopped your code: it {reason}").format(reason=_stopped(outcome))
                     + _tail(outcome.stderr_tail))
    first_missing = next((i for i in range(len(tests)) if i not in received.tests), None)
    results = [_judge_one(i, test, received, outcome, names, first_missing)
               for i, test in enumerate(tests)]
    _apply_requirements(tests, results)
    # A case's hint (N-d input, negative axis) explains a failure only where the plain cases that ran pass.
    plain_failed = {_kind(t) for i, (t, r) in enumerate(zip(tests, results))
                    if not t.hint and r.score < r.max_score and i in received.tests}
    for test, result in zip(tests, results):
        if test.hint and result.score < result.max_score and _kind(test) not in plain_failed:
            result.checks.append(note(_("Hint: {hint}").format(hint=translated(test.hint))))
    return results


def _apply_requirements(tests, results) -> None:
    """A test that `requires` another (the large backprop case) earns, for each array, only what that
    test got right for the same array (dW right there, dW counts here); if the required test was not
    run or finished, or has no counterpart for this test's checks, nothing."""
    by_test = {id(t): r for t, r in zip(tests, results)}
    for test, result in zip(tests, results):
        needed = by_test.get(id(test.requires))
        if needed is None or needed.passed or result.score == 0:
            continue
        arrays = {c.array for c in needed.checks if c.array and not c.note}
        failed = {c.array for c in needed.checks if c.array and c.message and not c.note}
        if not any(c.array in arrays for c in result.checks if not c.note):
            result.checks = [Check(test.name, _("no points yet: this test counts once the test '{test}' passes "
                                                "(see it above).").format(test=translated(needed.name)))]
        for check in result.checks:
            if check.message is None and check.array in failed and not check.note:
                check.message = _("{array} is right here, but counts only once it is also right in the test "
                                  "'{test}' (see it above).").format(array=check.label, test=translated(needed.name))
        result.score = _score(result.checks, result.max_score)


def _kind(test):
    """What a test calls ("Affine.backward"), or the test itself when it has no kind."""
    return test.kind or id(test)


def _judge_one(i, test, received, outcome, names, first_missing) -> TestResult:
    problem = next((_missing(n, names[n]) for n in test.uses if names.get(n, "ok") != "ok"), None)
    if problem:
        return TestResult(test.name, 0.0, test.max_score, [Check(test.name, problem)])
    if i not in received.tests:
        reason = _("not run: the grader had stopped your code in an earlier test")
        if received.names is None:
            reason = _("not run: loading your code did not finish (it {reason})").format(reason=_stopped(outcome))
        elif i == first_missing:
            reason = _("this test was running when the grader stopped your code: it {reason}").format(
                reason=_stopped(outcome))
        return TestResult(test.name, 0.0, test.max_score, [Check(test.name, reason)])
    arrays = received.tests[i]
    error = inert(protocol.text(arrays["__error__"]))
    outputs = _valid_outputs(arrays, test)
    try:
        checks = test.judge(outputs)
    except Exception as exc:  # noqa: BLE001  (a judge failing on odd outputs must not lose the submission)
        checks = [Check(test.name, _("the grader could not judge the values your code returned ({error})").format(
            error=f"{inert(type(exc).__name__)}: {inert(exc, limit=300)}"))]
    score = _score(checks, test.max_score)
    low = sorted(name for name, value in outputs.items() if value.dtype.kind == "f" and value.itemsize < 8)
    if score < test.max_score and low:
        checks.append(Check("precision", _("Precision: {arrays} came back as {dtype} (about {digits} significant "
                                           "digits); the grader compares with float64 values to a relative error "
                                           "of 1e-7, so compute in float64 (the inputs are float64).").format(
            arrays=", ".join(low), dtype=outputs[low[0]].dtype, digits=7 if outputs[low[0]].itemsize == 4 else 3),
            weight=0, note=True))
    return TestResult(test.name, score, test.max_score, checks, error=error)


def _missing(name, status) -> str:
    """The child's word on a name it could not find, said here in the report's language."""
    if status.startswith("missing"):
        return _("missing: the submission defines no `{name}`").format(name=name)
    return inert(status)


def _score(checks, max_score) -> float:
    total = sum(c.weight for c in checks)
    passed = sum(c.weight for c in checks if c.message is None)
    return round(max_score * passed / total, 4) if total else 0.0


def _stopped(outcome) -> str:
    """Why the sandbox stopped the code (sandbox.py says it in the report's language)."""
    return outcome.message or _("ended early")


def _tail(text, lines=5) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return (_(". The last lines it printed to stderr: {lines}").format(
        lines=" ".join(f"«{inert(line, limit=300)}»" for line in kept)) if kept else "")
