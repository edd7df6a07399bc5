"""Grade one submission: read it, run it in the sandbox on hidden inputs, judge the arrays it returns.

The submission is never imported here. Its code runs in child.py under sandbox.run_isolated;
what comes back is parsed as plain arrays (allow_pickle=False), checked against the names each
test may return, and judged in this process against the library's reference.
"""
from __future__ import annotations

import ast
import functools
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import backprop_lib
from backprop_grader.language import _, reporting, translated

from . import frames as protocol
from .exercises import EXERCISES
from .memory import address_space_limit
from .report import Report, TestResult
from .sandbox import Limits, run_isolated
from .specs import Check, note, rng_for
from .submission import CannotGrade, load
from .text import inert
from .world import world

PACKAGE_DIR = Path(backprop_lib.__file__).resolve().parent  # backprop_lib/
DEV_SECRET = "backprop-course-development-secret"
MAX_ARRAY_ELEMENTS = 1 << 20
MAX_PROCESSES = 8  # the child is one single-threaded Python (BLAS threads are set to 1)


def grader_secret() -> str:
    """The secret behind the hidden inputs: $BACKPROP_GRADER_SECRET (Gradescope packages bake one in)."""
    return os.environ.get("BACKPROP_GRADER_SECRET") or DEV_SECRET


def grade(path, exercise_id=None, secret=None, language=None) -> Report:
    """Grade the file at `path`. Never raises for anything the submission does. The report is in
    `language` ("en", "ko"), else in the one the notebook declares, else in the environment's."""
    with reporting(language):
        return _grade(path, exercise_id, secret)


def _grade(path, exercise_id, secret) -> Report:
    start = time.monotonic()
    try:
        submission = load(path, exercise_id)
    except CannotGrade as error:
        return Report.could_not_grade(str(path), str(error), time.monotonic() - start, exercise_id)
    exercise = EXERCISES[submission.exercise_id]
    tests, inputs = hidden_tests(secret or grader_secret(), exercise.id)
    files = child_files(exercise, submission.chunks, tests, inputs)
    # RLIMIT_AS is per process: few processes keep a fork-and-allocate bomb within the machine's memory.
    limits = Limits(cpu_seconds=exercise.cpu_seconds, wall_seconds=exercise.wall_seconds,
                    max_processes=MAX_PROCESSES)
    limits.memory_bytes = address_space_limit(exercise, files, limits)  # an exercise's memory budget (27)
    outcome = run_isolated([sys.executable, "-I", "-S", "child.py"], files, limits)
    received = protocol.parse(outcome.payload, len(tests))
    notes = list(submission.notes)
    results = judge_all(tests, received, outcome, notes)
    return Report(submission=str(path), exercise=exercise.id, title=exercise.title, status="graded",
                  tests=results, notes=notes, execution_time=time.monotonic() - start,
                  sha256=submission.sha256, output_tail=outcome.stdout_tail[-2000:])


@functools.lru_cache(maxsize=2)
def hidden_tests(secret, exercise_id) -> tuple:
    """(tests, their inputs as an .npz archive): the same for every submission of an exercise, so a
    batch builds them, and the reference's expected values (layer_tests.Case.expected), once."""
    tests = EXERCISES[exercise_id].build(lambda name: rng_for(secret, exercise_id, name))
    inputs = {f"t{i}__{name}": np.asarray(value) for i, test in enumerate(tests) for name, value in test.inputs.items()}
    buffer = io.BytesIO()
    np.savez(buffer, **inputs)
    return tests, buffer.getvalue()


def child_files(exercise, chunks, tests, inputs) -> dict:
    """Everything the child needs, as plain files: its program, the plan, the inputs, the allowed library."""
    modules = library_closure(exercise.library_modules)
    plan = {"package_links": world().import_links(), "names": list(exercise.names),
            "library_modules": modules, "chunks": [{"name": c["name"], "source": c["source"]} for c in chunks],
            "tests": [{"name": t.name, "steps": t.steps} for t in tests]}
    return {"plan.json": json.dumps(plan).encode(), "inputs.npz": inputs, **library_files(exercise.id)}


@functools.lru_cache(maxsize=None)
def library_files(exercise_id) -> dict:
    """The child's program and the exercise's allowed library modules, with every answer removed: what the
    exercise asks the learner to write (its names, and its `disabled` methods) raises instead."""
    exercise = EXERCISES[exercise_id]
    modules = library_closure(exercise.library_modules)
    files = {"child.py": (Path(__file__).resolve().parent / "child.py").read_bytes(),
             "lib___init__.py": library_init(modules).encode()}
    for module in modules:
        source = (PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8")
        disabled = [f.__qualname__ for f in exercise.disabled if f.__module__ == f"backprop_lib.{module}"]
        files[f"lib_{module}.py"] = without_answers(source, disabled, exercise.names).encode()
    for name, source in list(files.items()):
        if name.startswith("lib_"):
            files[name + "c"] = bytecode(name, source)
    return files


def bytecode(name, source) -> bytes:
    """The module compiled, as a .pyc that Python uses without checking its source (unchecked hash):
    the child writes its library afresh every run, and compiling it there cost a run ~40 ms."""
    import py_compile
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, name)
        path.write_bytes(source)
        compiled = py_compile.compile(str(path), cfile=str(path) + "c", doraise=True,
                                      invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        return Path(compiled).read_bytes()


def library_closure(modules) -> list:
    """The short names of `modules` and of every backprop_lib module they import, found in their source."""
    return list(_closure(tuple(m.__name__.rsplit(".", 1)[-1] for m in modules)))


@functools.lru_cache(maxsize=None)
def _closure(names) -> tuple:
    todo, found = list(names), set()
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        tree = ast.parse((PACKAGE_DIR / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                todo += [node.module] if node.module else [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backprop_lib."):
                todo.append(node.module.split(".")[1])
    return tuple(sorted(found))


def without_answers(source, disabled, names) -> str:
    """The module's source with the body of every answer replaced by a `raise`: each function in
    `disabled` ("Class.method" or "function"), each function named in `names`, and every method of
    each class named in `names`. The child gets no copy of an answer that it could call, inspect or
    exec (the code is unparsed, so comments are dropped)."""
    tree = ast.parse(source)
    answers = set(disabled)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            answers.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name in names:
            answers |= {f"{node.name}.{item.name}" for item in node.body if isinstance(item, ast.FunctionDef)}
    if not answers:
        return source
    for node in tree.body:
        functions = [(node.name, node)] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else (
            [(f"{node.name}.{item.name}", item) for item in node.body if isinstance(item, ast.FunctionDef)]
            if isinstance(node, ast.ClassDef) else [])
        for name, function in functions:
            if name in answers:
                message = f"{name} is not available while grading: this exercise asks you to write it"
                function.body = [ast.Raise(ast.Call(ast.Name("RuntimeError", ast.Load()), [ast.Constant(message)], []))]
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def library_init(modules) -> str:
    """backprop_lib/__init__.py for the child: the real package's exports, from the allowed modules only."""
    tree = ast.parse((PACKAGE_DIR / "__init__.py").read_text(encoding="utf-8"))
    lines = ['"""backprop_lib as the grader\'s child sees it: only the modules this exercise allows."""']
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module in modules:
            lines.append(ast.unparse(node))
    return "\n".join(lines) + "\n"


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
