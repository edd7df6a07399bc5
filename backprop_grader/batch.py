"""Grade a whole class: one CSV row per file, whatever the file is or does.

Every file under the folder gets a row (graded, could-not-grade with the reason, or
grader-error), folders starting with `__` included. The only entries skipped are dot-files and
dot-folders (editor and system leftovers such as .ipynb_checkpoints); each one skipped is
listed in the summary. A symbolic link is never followed: it gets the row "not graded: symbolic
link". Names that are not UTF-8, very long or very deep still get their row, with undecodable
bytes and control characters shown as escapes.

Resumable: each finished submission's row is appended and fsynced at once, so a batch that is
killed and restarted skips what is done (same file name and same sha256) and loses nothing.
Rows of grader faults (status "grader-error", never the learner's doing) are retried on the
next run. At the end the CSV is rewritten atomically with one row per submission (the latest),
and the class report (class_report.py) is written beside it from the CSV and the per-student reports.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from backprop_lib.language import _, reporting

from .class_report import report_paths, write_class_report
from .feedback import default_reports_dir, write_feedback
from .files import atomic_file
from .grader import grade
from .report import Report
from .submission import SYMLINK, CannotGrade, read_bytes
from .text import csv_cell, inert

COLUMNS = ["submission", "sha256", "exercise", "status", "score", "max_score", "percent", "reason", "seconds"]
FINAL = ("graded", "could-not-grade")


def scan(directory, skip=()) -> tuple:
    """(entries, skipped): every entry under `directory` that gets a row, as (path as bytes, name),
    sorted by name; and the names of the dot-files and dot-folders left out. Links are listed,
    never followed."""
    root = os.fsencode(directory)
    skip = {os.path.realpath(os.fsencode(p)) for p in skip if p}
    entries, skipped, unreadable = [], [], []
    for top, dirs, files in os.walk(root, followlinks=False, onerror=unreadable.append):
        links = [d for d in dirs if os.path.islink(os.path.join(top, d))]
        kept = []
        for name in sorted(dirs):
            if name not in links and not _left_out(root, top, name, skip, skipped):
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files + links):
            if not _left_out(root, top, name, skip, skipped):
                path = os.path.join(top, name)
                entries.append((path, display_name(os.path.relpath(path, root))))
    for error in unreadable:  # a folder that cannot be listed (too deep, no permission) still gets a row
        if error.filename is not None and os.fsencode(error.filename) != root:
            entries.append((os.fsencode(error.filename), display_name(os.path.relpath(os.fsencode(error.filename), root))))
    return sorted(entries, key=lambda e: e[1]), sorted(skipped)


def _left_out(root, top, name, skip, skipped) -> bool:
    path = os.path.join(top, name)
    if not os.path.islink(path) and os.path.realpath(path) in skip:
        return True  # the batch's own CSV and reports
    if name.startswith(b"."):
        skipped.append(display_name(os.path.relpath(path, root)))
        return True
    return False


def display_name(relative) -> str:
    """A file name as text for the CSV and reports: undecodable bytes and control characters escaped."""
    return inert(os.fsdecode(relative))


def submissions_in(directory, skip=()) -> list:
    """The paths that get a row (see scan)."""
    return [Path(os.fsdecode(path)) for path, _ in scan(directory, skip)[0]]


def read_rows(csv_path) -> list:
    """The rows written so far; a last line cut short by a kill is removed first."""
    path = Path(csv_path)
    if not path.exists():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)
        data = data[: data.rfind(b"\n") + 1]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def append_row(csv_path, row) -> None:
    """One write of one whole line, then fsync: a row is either in the file or not at all."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    new_file = not Path(csv_path).exists() or Path(csv_path).stat().st_size == 0
    if new_file:
        writer.writeheader()
    writer.writerow(row)
    fd = os.open(csv_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, buffer.getvalue().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def grade_one(path, name, exercise, reports_dir, language=None) -> dict:
    """Grade one file (in a worker process) and return its CSV row."""
    try:
        with reporting(language):  # the learner's report: --language, else the notebook's, else ours
            report = (Report.could_not_grade(name, _(SYMLINK), 0.0, exercise) if os.path.islink(path)
                      else grade(os.fsdecode(path), exercise))
        report.submission = name  # the report names the file it graded, as listed in the CSV
    except Exception as error:  # noqa: BLE001  (a grader fault: recorded, and retried next run)
        return _row(name, "", exercise or "", "grader-error", 0, "", 0, f"{type(error).__name__}: {error}", "")
    percent = 100 * report.score / report.max_score if report.max_score else 0.0
    reason = report.reason or "; ".join(report.notes)
    row = _row(name, report.sha256 or _sha256(path), report.exercise or "", report.status, report.score,
               report.max_score, round(percent, 2), reason[:500], round(report.execution_time, 3))
    if reports_dir:
        write_feedback(reports_dir, row["submission"], report, row["sha256"])  # named as in the CSV
    return row


def _row(*values) -> dict:
    return {column: csv_cell(value) for column, value in zip(COLUMNS, values)}


def _sha256(path) -> str:
    try:
        return hashlib.sha256(read_bytes(path)).hexdigest()
    except CannotGrade:
        return ""


def grade_batch(directory, csv_path, jobs=1, exercise=None, reports_dir=None, progress=sys.stderr,
                language=None) -> dict:
    """Grade every file in `directory` not yet in `csv_path`; returns counts by status, and the
    list of skipped dot-files under "skipped". The class report is written beside the CSV."""
    csv_path = Path(csv_path)
    reports_dir, start = reports_dir or default_reports_dir(csv_path), time.monotonic()
    done = {(r["submission"], r["sha256"]) for r in read_rows(csv_path) if r["status"] in FINAL}
    every, skipped = scan(directory, [csv_path, reports_dir, *report_paths(csv_path)])
    todo = [(p, name) for p, name in every if (csv_cell(name), _sha256(p)) not in done]
    counts = {"already graded": len(every) - len(todo)}
    bar = tqdm(total=len(todo), desc="grading", unit="submission", file=progress, disable=not progress)
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool, bar:
        futures = {pool.submit(grade_one, p, name, exercise, reports_dir, language): name for p, name in todo}
        for future in as_completed(futures):
            try:
                row = future.result()
            except Exception as error:  # noqa: BLE001  (a worker died: still one row, retried next run)
                row = _row(futures[future], "", exercise or "", "grader-error", 0, "", 0,
                           f"worker failed: {error}", "")
            append_row(csv_path, row)
            counts[row["status"]] = counts.get(row["status"], 0) + 1
            bar.set_postfix_str(", ".join(f"{k} {v}" for k, v in counts.items() if k != "already graded"), refresh=False)
            bar.update()
    compact(csv_path)
    write_class_report(csv_path, reports_dir, wall_seconds=time.monotonic() - start)
    if skipped:
        counts["skipped"] = skipped
    return counts


def compact(csv_path) -> None:
    """Rewrite the CSV atomically with one row per submission: the latest one."""
    rows = {}
    for row in read_rows(csv_path):
        rows[row["submission"]] = row
    with atomic_file(csv_path, "w") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows[name] for name in sorted(rows))
