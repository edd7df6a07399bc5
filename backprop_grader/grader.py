"""Grade one submission: read it, run it in the sandbox on hidden inputs, judge the arrays it returns.

The submission is never imported here. Its code runs in child.py under sandbox.run_isolated;
what comes back is parsed as plain arrays (allow_pickle=False), checked against the names each
test may return, and judged in this process against the library's reference.
"""
from __future__ import annotations

import ast
import io
import json
import os
import struct
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

import backprop_lib

from .exercises import EXERCISES
from .report import Report, TestResult
from .sandbox import Limits, run_isolated
from .specs import Check, rng_for
from .submission import CannotGrade, load, reference_imports

PACKAGE_DIR = Path(backprop_lib.__file__).resolve().parent  # backprop_lib/
DEV_SECRET = "backprop-course-development-secret"
MAX_FRAME_BYTES = 16 << 20  # one test's arrays, uncompressed
MAX_ARRAY_ELEMENTS = 1 << 20
MAX_PROCESSES = 8  # the child is one single-threaded Python (BLAS threads are set to 1)


def grader_secret() -> str:
    """The secret behind the hidden inputs: $BACKPROP_GRADER_SECRET (Gradescope packages bake one in)."""
    return os.environ.get("BACKPROP_GRADER_SECRET") or DEV_SECRET


def grade(path, exercise_id=None, secret=None) -> Report:
    """Grade the file at `path`. Never raises for anything the submission does."""
    start = time.monotonic()
    try:
        submission = load(path, exercise_id)
    except CannotGrade as error:
        return Report.could_not_grade(str(path), str(error), time.monotonic() - start, exercise_id)
    exercise = EXERCISES[submission.exercise_id]
    secret = secret or grader_secret()
    tests = exercise.build(lambda name: rng_for(secret, exercise.id, name))
    files = child_files(exercise, submission.chunks, tests)
    # RLIMIT_AS is per process: few processes keep a fork-and-allocate bomb within the machine's memory.
    limits = Limits(cpu_seconds=exercise.cpu_seconds, wall_seconds=exercise.wall_seconds,
                    max_processes=MAX_PROCESSES)
    outcome = run_isolated([sys.executable, "-I", "-S", "child.py"], files, limits)
    frames = parse_frames(outcome.payload)
    notes = list(submission.notes)
    if secret == DEV_SECRET:
        notes.append("graded with the development secret: the hidden inputs are not secret")
    results = judge_all(tests, frames, outcome, reference_imports(submission.chunks, exercise.names), notes)
    return Report(submission=str(path), exercise=exercise.id, title=exercise.title, status="graded",
                  tests=results, notes=notes, execution_time=time.monotonic() - start,
                  sha256=submission.sha256, output_tail=outcome.stdout_tail[-2000:])


def child_files(exercise, chunks, tests) -> dict:
    """Everything the child needs, as plain files: its program, the plan, the inputs, the allowed library."""
    inputs = {f"t{i}__{name}": np.asarray(value) for i, test in enumerate(tests) for name, value in test.inputs.items()}
    buffer = io.BytesIO()
    np.savez(buffer, **inputs)
    plan = {"numpy_dir": str(Path(np.__file__).resolve().parents[1]), "names": list(exercise.names),
            "library_modules": list(exercise.library_modules),
            "chunks": chunks, "tests": [{"name": t.name, "steps": t.steps} for t in tests]}
    files = {"child.py": (Path(__file__).resolve().parent / "child.py").read_bytes(), "plan.json": json.dumps(plan).encode(),
             "inputs.npz": buffer.getvalue(), "lib___init__.py": library_init(exercise.library_modules).encode()}
    for module in exercise.library_modules:
        source = (PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8")
        disabled = [d.split(".")[1:] for d in exercise.disabled if d.split(".")[0] == module]
        files[f"lib_{module}.py"] = (without_methods(source, disabled) if disabled else source).encode()
    return files


def without_methods(source, disabled) -> str:
    """The module's source with each (class, method) body replaced by a `raise`: the child gets no
    copy of the answer that it could exec (the code is unparsed, so comments are dropped)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and [node.name, item.name] in disabled:
                    message = f"{node.name}.{item.name} is not available while grading: this exercise asks you to write it"
                    item.body = [ast.Raise(ast.Call(ast.Name("RuntimeError", ast.Load()), [ast.Constant(message)], []))]
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def library_init(modules) -> str:
    """backprop_lib/__init__.py for the child: the real package's exports, from the allowed modules only."""
    tree = ast.parse((PACKAGE_DIR / "__init__.py").read_text(encoding="utf-8"))
    lines = ['"""backprop_lib as the grader\'s child sees it: only the modules this exercise allows."""']
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module in modules:
            lines.append(ast.unparse(node))
    return "\n".join(lines) + "\n"


def parse_frames(payload: bytes) -> dict:
    """The child's frames as {"load": ..., "names": ..., test index: arrays}; anything malformed stops the parse."""
    frames, offset = {}, 0
    while offset + 8 <= len(payload):
        (size,) = struct.unpack(">Q", payload[offset:offset + 8])
        data = payload[offset + 8:offset + 8 + size]
        if size > MAX_FRAME_BYTES or len(data) < size:
            break
        offset += 8 + size
        arrays = _load_arrays(data)
        if arrays is None:
            break
        if "__load__" in arrays:
            frames["load"] = [_text(m) for m in arrays["__load__"].ravel()[:20] if _text(m)]
        elif "__names__" in arrays and "__status__" in arrays:
            frames["names"] = dict(zip(map(_text, arrays["__names__"].ravel()[:20]),
                                       map(_text, arrays["__status__"].ravel()[:20])))
        elif "__test__" in arrays and arrays["__test__"].shape == () and arrays["__test__"].dtype.kind == "i":
            frames[int(arrays["__test__"])] = arrays
        elif "__done__" in arrays:
            frames["done"] = True
    return frames


def _load_arrays(data):
    """A dict of arrays from an .npz held in memory, or None if it is not a sane one (no pickles, no zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_FRAME_BYTES:
                return None
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except Exception:  # noqa: BLE001  (whatever the child wrote, a bad frame is just a bad frame)
        return None


def _text(value, limit=1000) -> str:
    """A message the child sent, as a bounded string (only text arrays; anything else is ignored)."""
    value = np.asarray(value)
    if value.dtype.kind != "U" or value.size != 1:
        return ""
    text = str(value.reshape(()))
    return text if len(text) <= limit else text[:limit] + " ..."


def _valid_outputs(arrays, test):
    """Only the arrays this test may return, and only numbers: the rest is dropped."""
    kept = {}
    for name in test.outputs:
        value = arrays.get(name)
        if value is not None and value.dtype.kind in "biuf" and value.size <= MAX_ARRAY_ELEMENTS:
            kept[name] = value
    return kept


def judge_all(tests, frames, outcome, imported, notes) -> list:
    names = frames.get("names", {})
    if "load" in frames:
        notes += [f"your code raised an error while loading: {m}" for m in frames["load"]]
    if "done" not in frames:
        notes.append(f"the grader stopped your code: it {outcome.message or 'ended early'}"
                     + _tail(outcome.stderr_tail))
    first_missing = next((i for i in range(len(tests)) if i not in frames), None)
    results = [_judge_one(i, test, frames, outcome, imported, names, first_missing) for i, test in enumerate(tests)]
    # A case's hint (N-d input, negative axis) explains a failure only where the plain cases pass.
    plain_failed = {_kind(t.name) for t, r in zip(tests, results) if not t.hint and r.score < r.max_score}
    for test, result in zip(tests, results):
        if test.hint and result.score < result.max_score and _kind(test.name) not in plain_failed:
            result.checks.append(Check("hint", f"Hint: {test.hint}", weight=0))
    return results


def _kind(test_name):
    """'Affine.backward [N-d input ...]' -> 'Affine.backward'."""
    return test_name.split(" [")[0]


def _judge_one(i, test, frames, outcome, imported, names, first_missing) -> TestResult:
    problem = next((imported[n] for n in test.uses if n in imported), None) or next(
        (names[n] for n in test.uses if names.get(n, "ok") != "ok"), None)
    if problem:
        return TestResult(test.name, 0.0, test.max_score, [Check(test.name, problem)])
    if i not in frames:
        reason = "not run: the grader had stopped your code in an earlier test"
        if "names" not in frames:
            reason = f"not run: loading your code did not finish (it {outcome.message or 'ended early'})"
        elif i == first_missing:
            reason = f"this test was running when the grader stopped your code: it {outcome.message or 'ended early'}"
        return TestResult(test.name, 0.0, test.max_score, [Check(test.name, reason)])
    arrays = frames[i]
    error = _text(arrays.get("__error__", ""))
    try:
        checks = test.judge(_valid_outputs(arrays, test))
    except Exception as exc:  # noqa: BLE001  (a judge failing on odd outputs must not lose the submission)
        checks = [Check(test.name, f"the grader could not judge the values your code returned ({exc})")]
    score = _score(checks, test.max_score)
    return TestResult(test.name, score, test.max_score, checks, error=error)


def _score(checks, max_score) -> float:
    total = sum(c.weight for c in checks)
    passed = sum(c.weight for c in checks if c.message is None)
    return round(max_score * passed / total, 4) if total else 0.0


def _tail(text, lines=5) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return (". The last lines it printed to stderr:\n" + "\n".join(kept)) if kept else ""
