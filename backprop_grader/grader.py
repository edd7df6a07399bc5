"""Grade one submission: read it, run it in the sandbox on hidden inputs, judge the arrays it returns.

The submission is never imported here. Its code runs in child.py under sandbox.run_isolated;
what comes back is parsed as plain arrays (allow_pickle=False), checked against the names each
test may return, and judged in this process against the library's reference.
"""
from __future__ import annotations

import functools
import io
import json
import os
import sys
import time

import numpy as np

from backprop_grader.language import reporting

from backprop_grader.exercises import EXERCISES
from backprop_grader.exercises.spec import rng_for
from backprop_grader.isolation import frames as protocol
from backprop_grader.isolation.library_copy import library_closure, library_files
from backprop_grader.isolation.memory import address_space_limit
from backprop_grader.isolation.sandbox import Limits, run_isolated
from backprop_grader.isolation.world import world
from backprop_grader.judging.judge import judge_all
from backprop_grader.notebook.submission import CannotGrade, load
from backprop_grader.reports.report import Report

DEV_SECRET = "backprop-course-development-secret"
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
                  sha256=submission.sha256, output_tail=outcome.stdout_tail[-2000:], isolation=outcome.isolation)


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
