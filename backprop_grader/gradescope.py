"""The Gradescope autograder: build its zip, and the code its run_autograder calls.

Gradescope unpacks the zip into /autograder/source, runs setup.sh once, then for every
submission runs run_autograder, which must leave /autograder/results/results.json.
BACKPROP_AUTOGRADER_ROOT replaces /autograder, so the same zip can be tried locally.
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
import zipfile
from pathlib import Path

from .report import Report, write_json_atomically

PROJECT = Path(__file__).resolve().parents[1]

SETUP_SH = """#!/usr/bin/env bash
# Runs once, as root, when Gradescope builds the image: Python, bubblewrap for the sandbox, this package.
set -euo pipefail
apt-get install -y python3 python3-pip python3-venv bubblewrap util-linux
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir /autograder/source/project
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grades /autograder/submission/* into /autograder/results/results.json.
set -uo pipefail
ROOT="${{BACKPROP_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{BACKPROP_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
export BACKPROP_GRADER_SECRET="$(cat "$ROOT/source/grader_secret")"
export BACKPROP_EXERCISES_DIR="$ROOT/source/project/exercises"
export PYTHONPATH="$ROOT/source/project"
cd "$ROOT"
exec "$PYTHON" -m backprop_grader.gradescope --root "$ROOT"{exercise}
"""


def build_package(out="autograder.zip", exercise=None) -> Path:
    """Write the autograder zip (setup.sh, run_autograder, the package, released notebooks, a new secret)."""
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    exercise_arg = f" --exercise {exercise}" if exercise else ""
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "setup.sh", SETUP_SH)
        _add(archive, "run_autograder", RUN_AUTOGRADER.format(exercise=exercise_arg))
        _add(archive, "grader_secret", secrets.token_hex(32) + "\n", mode=0o600)
        for path in _project_files():
            archive.write(path, "project/" + str(path.relative_to(PROJECT)))
    os.replace(tmp, out)
    return out


def _add(archive, name, text, mode=0o755):
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def _project_files():
    files = [PROJECT / "pyproject.toml", PROJECT / "README.md"]
    files += [p for package in ("backprop_lib", "backprop_grader") for p in sorted((PROJECT / package).rglob("*"))
              if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".md")]
    files += sorted((PROJECT / "exercises").glob("*.ipynb"))
    return [p for p in files if p.exists()]


def pick_submission(directory, exercise=None):
    """The file to grade: a notebook before a .py; with several, the one named like the exercise."""
    files = [p for p in sorted(Path(directory).rglob("*")) if p.is_file() and not p.name.startswith(".")]
    for suffix in (".ipynb", ".py"):
        matching = [p for p in files if p.suffix == suffix]
        if exercise:
            named = [p for p in matching if p.name.startswith(exercise)]
            matching = named or matching
        if matching:
            return matching[0]
    return files[0] if files else None


def run(root, exercise=None) -> int:
    """What run_autograder does: grade the submission, always leave results.json."""
    from .grader import grade
    root = Path(root)
    results = root / "results" / "results.json"
    submission = pick_submission(root / "submission", exercise)
    try:
        if submission is None:
            report = Report.could_not_grade("(nothing)", "the submission holds no file; upload your .ipynb notebook", 0.0)
        else:
            report = grade(submission, exercise)
    except Exception as error:  # noqa: BLE001  (Gradescope needs a results.json whatever happens)
        report = Report.could_not_grade(str(submission), f"internal grader error ({type(error).__name__}: {error}); "
                                                         f"please tell the course staff", 0.0)
    write_json_atomically(results, report.gradescope())
    print(report.text())
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Gradescope entry point (called by run_autograder)")
    parser.add_argument("--root", default=os.environ.get("BACKPROP_AUTOGRADER_ROOT", "/autograder"))
    parser.add_argument("--exercise")
    args = parser.parse_args(argv)
    return run(args.root, args.exercise)


if __name__ == "__main__":
    sys.exit(main())
