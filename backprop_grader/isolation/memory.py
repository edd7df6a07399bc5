"""The child's address-space limit, for exercises that grade a memory saving (exercise 27).

By default a run gets the sandbox's limit (Limits.memory_bytes, RLIMIT_AS). An exercise with a
`memory_budget` gets instead what the child itself needs on this machine, measured here, plus the
budget: the learner's code may use that many bytes more than the grader's child with no submission.
The measure is a run of the real child.py, with the exercise's real tests and inputs but no learner
code, that reports its peak address space (VmPeak) when it exits: a program of the grader's own, so
its word counts. It is taken once per exercise and grader process, in the same sandbox as the
submissions. The limit is set by the parent (prlimit, soft = hard), so nothing the learner's process
does can raise it; an allocation beyond it fails with MemoryError inside that process.
"""
from __future__ import annotations

import dataclasses
import json
import re
import sys

from backprop_grader.isolation.sandbox import Limits, run_isolated

# Runs child.py as __main__ and, as it exits (it ends with os._exit: no atexit), writes the peak address space to
# stderr, after one matrix product (BLAS allocates its work buffer on the first: a submission's code pays for it too).
_PROBE = b"""
import os, sys
def _peak(code, _exit=os._exit):
    numpy = sys.modules["numpy"]
    numpy.ones((300, 300)) @ numpy.ones((300, 300))
    with open("/proc/self/status") as status:
        sys.stderr.write(next(line for line in status if line.startswith("VmPeak:")))
    sys.stderr.flush()
    _exit(code)
os._exit = _peak
exec(compile(open("child.py").read(), "child.py", "exec"), {"__name__": "__main__"})
"""


def address_space_limit(exercise, files, limits: Limits) -> int:
    """RLIMIT_AS for a run of `exercise` whose child gets `files` (grader.child_files) under `limits`."""
    if not exercise.memory_budget:
        return limits.memory_bytes
    key = (exercise.id, len(files["inputs.npz"]))  # the inputs' sizes are the same whatever the secret
    if key not in _PEAKS:
        _PEAKS[key] = _child_peak(files, limits)
    return _PEAKS[key] + exercise.memory_budget


_PEAKS: dict = {}  # (exercise, size of its inputs) -> the child's peak address space with no submission


def _child_peak(files, limits) -> int:
    plan = json.loads(files["plan.json"])
    plan["chunks"] = []  # the child with no submission: every test stops at its first step
    probe = {**files, "plan.json": json.dumps(plan).encode(), "probe.py": _PROBE}
    outcome = run_isolated([sys.executable, "-I", "-S", "probe.py"], probe, dataclasses.replace(limits))
    found = re.search(r"VmPeak:\s*(\d+) kB", outcome.stderr_tail)
    if outcome.status != "ok" or not found:
        raise RuntimeError(f"could not measure the grader's child's memory ({outcome.status}: "
                           f"{outcome.message or outcome.stderr_tail[-300:]})")
    return int(found.group(1)) * 1024
