"""Grading inside a platform's job: Gradescope (its zip, and the run_autograder it calls) and PrairieLearn
(its container's entrypoint, `backprop-grade prairielearn`). Both do the same, in `run`: find the learner's
file in a folder, grade it, always leave a results.json in the platform's format
(Report.gradescope, reports/prairielearn.results) and print the text report.

Gradescope unpacks the zip into /autograder/source, runs setup.sh once as root, then for every
submission runs run_autograder as root, which must leave /autograder/results/results.json.
There, in a container, bubblewrap usually cannot run: each run gets a uid of its own,
Landlock and seccomp (isolation/sandbox.py), and setup.sh makes everything of the course root's alone
(the source, the notebooks, the secret, the installed packages), so that uid reads none of it.
BACKPROP_AUTOGRADER_ROOT replaces /autograder, so the same zip can be tried locally;
BACKPROP_AUTOGRADER_PYTHON then names a ready interpreter and setup.sh installs nothing.
PrairieLearn puts the student's files in /grade/student and wants /grade/results/results.json.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from backprop_lib.datasets import atomic_file
from backprop_grader.language import _

from backprop_grader.grader import grade
from backprop_grader.isolation.sandbox import one_run
from backprop_grader.reports import prairielearn
from backprop_grader.reports.files import write_json_atomically
from backprop_grader.reports.report import Report


@dataclass(frozen=True)
class Platform:
    submission_folder: str  # below the job's root: the learner's files
    results: Callable[[Report], dict]  # the report in the platform's results.json format
    default_root: str


PLATFORMS = {
    "gradescope": Platform("submission", Report.gradescope, "/autograder"),
    "prairielearn": Platform("student", prairielearn.results, "/grade"),
}


def run(platform, root, exercise=None) -> int:
    """Grade the learner's file below `root`; always leave root/results/results.json, whatever happens."""
    platform, root = PLATFORMS[platform], Path(root)
    submission = pick_submission(root / platform.submission_folder, exercise)
    try:
        if submission is None:
            report = Report.could_not_grade("(nothing)", _("the submission holds no file; upload your .ipynb "
                                                           "notebook"), 0.0)
        elif submission.is_symlink():  # never followed: it may point at a reference notebook or the secret
            report = Report.could_not_grade(submission.name, _("not graded: symbolic link; upload the notebook "
                                                               "file itself"), 0.0, exercise)
        else:
            with one_run():
                report = grade(submission, exercise)
    except Exception as error:  # noqa: BLE001  (the platform needs a results.json whatever happens)
        report = Report.could_not_grade(str(submission), _("internal grader error ({error}); please tell the "
                                                           "course staff").format(
            error=f"{type(error).__name__}: {error}"), 0.0)
    write_json_atomically(root / "results" / "results.json", platform.results(report))
    print(report.text())
    return 0


# Jupyter's leftovers: File > Make a Copy ("04_matmul-Copy1.ipynb") and autosaves in .ipynb_checkpoints/
LEFTOVER = re.compile(r"-(Copy\d*|checkpoint)$", re.IGNORECASE)


def pick_submission(directory, exercise=None):
    """The file to grade, or None. Never a hidden file. Ranked: a real file before a symbolic
    link, a notebook before a .py, one named like the exercise first, the learner's own file
    before an editor leftover (.ipynb_checkpoints/, -Copy1), then the shallowest, by name."""
    root = Path(directory)
    candidates = []
    for folder, subfolders, names in os.walk(root):  # never into a linked folder (followlinks=False)
        for name in names + [d for d in subfolders if os.path.islink(os.path.join(folder, d))]:
            path = Path(folder, name)
            parts = path.relative_to(root).parts
            if name.startswith(".") or any(p.startswith(".") and p != ".ipynb_checkpoints" for p in parts[:-1]):
                continue
            leftover = ".ipynb_checkpoints" in parts or bool(LEFTOVER.search(path.stem))
            candidates.append(((path.is_symlink(), {".ipynb": 0, ".py": 1}.get(path.suffix.lower(), 2),
                                not (exercise and name.startswith(exercise)), leftover, len(parts), str(path)), path))
    return min(candidates)[1] if candidates else None



# --- the Gradescope package ---------------------------------------------------------------------------

PROJECT = Path(__file__).resolve().parents[1]

SETUP_SH = """#!/usr/bin/env bash
# Runs once, as root, when Gradescope builds the image: Python, bubblewrap and libseccomp for the
# sandbox, this package in a venv; then the course becomes root's alone.
set -euo pipefail
ROOT="${BACKPROP_AUTOGRADER_ROOT:-/autograder}"
if [ -z "${BACKPROP_AUTOGRADER_PYTHON:-}" ]; then
  missing=""
  for p in python3 python3-venv bubblewrap util-linux libseccomp2; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing
  fi
  /usr/bin/python3 -m venv "$ROOT/venv"  # a system Python: every uid can run it (a run's uid must)
  "$ROOT/venv/bin/pip" install --quiet "$ROOT/source/project"
  for package in backprop_lib backprop_grader; do  # installed copies: the reference is root's alone
    find "$ROOT/venv" -type d -name "$package" -path "*-packages/*" -exec chmod -R go-rwx {} +
  done
fi
chmod 755 "$ROOT"
chmod -R go-rwx "$ROOT/source"  # the source, the released notebooks, the secret
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grades /autograder/submission/* into /autograder/results/results.json, which is always written.
set -uo pipefail
ROOT="${{BACKPROP_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{BACKPROP_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
export BACKPROP_GRADER_SECRET="$(cat "$ROOT/source/grader_secret")"
export BACKPROP_EXERCISES_DIR="$ROOT/source/project/exercises"
if [ -n "${{BACKPROP_AUTOGRADER_PYTHON:-}}" ]; then
  export PYTHONPATH="$ROOT/source/project"  # a local try: the packaged source, not an installed copy
fi
cd "$ROOT"
mkdir -p "$ROOT/results"
"$PYTHON" -m backprop_grader.platforms gradescope --root "$ROOT"{exercise}
if [ ! -s "$ROOT/results/results.json" ]; then
  echo '{{"score": 0, "output": "The autograder failed before it could grade; please tell the course staff."}}' \
    > "$ROOT/results/results.json"
fi
"""


def build_package(out="autograder.zip", exercise=None) -> Path:
    """Write the autograder zip (setup.sh, run_autograder, the package, released notebooks, a new secret)."""
    out = Path(out)
    exercise_arg = f" --exercise {exercise}" if exercise else ""
    with atomic_file(out) as file, zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "setup.sh", SETUP_SH)
        _add(archive, "run_autograder", RUN_AUTOGRADER.format(exercise=exercise_arg))
        _add(archive, "grader_secret", secrets.token_hex(32) + "\n", mode=0o600)
        for path in _project_files():
            archive.write(path, "project/" + str(path.relative_to(PROJECT)))
    return out


def _add(archive, name, text, mode=0o755):
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def _project_files():
    files = [PROJECT / "pyproject.toml", PROJECT / "README.md"]
    files += [p for package in ("backprop_lib", "backprop_grader") for p in sorted((PROJECT / package).rglob("*"))
              if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".md", ".mo")]  # .mo: Korean
    files += sorted((PROJECT / "exercises").glob("*.ipynb"))
    return [p for p in files if p.exists()]



def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backprop_grader.platforms", description="grade the "
                                     "submission of one platform job into ROOT/results/results.json")
    parser.add_argument("platform", choices=sorted(PLATFORMS))
    parser.add_argument("--root", help="the job's root (default: /autograder for Gradescope, or "
                                       "$BACKPROP_AUTOGRADER_ROOT; /grade for PrairieLearn)")
    parser.add_argument("--exercise", metavar="NN", help="grade every submission as this exercise")
    args = parser.parse_args(argv)
    default = PLATFORMS[args.platform].default_root
    if args.platform == "gradescope":
        default = os.environ.get("BACKPROP_AUTOGRADER_ROOT", default)
    return run(args.platform, args.root or default, args.exercise)


if __name__ == "__main__":
    raise SystemExit(main())
