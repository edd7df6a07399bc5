"""Grade a whole class: every entry under the folder accounted for, whatever it is or does.

Each file gets a row (graded, could-not-grade with the reason, or grader-error), folders
starting with `__` included. Hidden files and folders (the name starts with '.': editor and
system leftovers such as .ipynb_checkpoints) are never graded: each gets the row "skipped" with
what it holds; an empty folder gets "skipped", a folder that cannot be opened "could-not-grade",
each with the reason; so the CSV, the summary and the class page list every one. A symbolic link
is never followed: it gets the row "not graded: symbolic link". Names that are not UTF-8, very
long or very deep still get their row, with undecodable bytes and control characters shown as
escapes, and two entries never share a name. The walk keeps its own stack: no depth of folders
ends a batch.

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
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from backprop_grader.language import _, reporting

from backprop_grader.reports.class_report import report_paths, write_class_report
from backprop_grader.reports.feedback import default_reports_dir, write_feedback
from backprop_lib.datasets import atomic_file
from backprop_grader.grader import grade
from backprop_grader.reports.report import Report
from backprop_grader.notebook.submission import SYMLINK, CannotGrade, choose_exercise, read_bytes
from backprop_grader.reports.text import csv_cell, inert

COLUMNS = ["submission", "sha256", "exercise", "status", "score", "max_score", "percent", "reason", "seconds"]
FINAL = ("graded", "could-not-grade")
HIDDEN_COUNT = 10_000  # files counted inside a hidden folder, at most


@dataclass
class Entry:
    """One entry under the class folder that gets a row: a file to grade, or why it is not graded."""

    path: bytes
    name: str  # as the CSV, the reports and the class page show it: inert, a CSV cell, unique
    status: str = ""  # "" (to grade), "skipped" or "could-not-grade": decided without grading
    reason: str = ""


def scan(directory, skip=()) -> list:
    """Every entry under `directory` that gets a row, sorted by name: each file and link (never
    followed); each hidden file or folder (its name starts with '.'), skipped, with what it holds;
    each empty folder, skipped; each folder that cannot be opened (no permission, a path too long),
    could-not-grade with the reason. The walk keeps its own stack: no depth ends it. `skip`: the
    batch's own outputs (CSV, reports), left out by identity."""
    root = os.fsencode(directory)
    skip = {(s.st_dev, s.st_ino) for s in map(_stat, skip) if s}
    entries, folders = [], [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                children = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            if folder == root:
                raise
            entries.append(Entry(folder, _name(folder, root), "could-not-grade", _(
                "the folder cannot be opened ({error}); nothing in it was graded").format(error=inert(error.strerror))))
            continue
        children = [c for c in children if _identity(c) not in skip]
        if not children and folder != root:
            entries.append(Entry(folder, _name(folder, root), "skipped", _("an empty folder: nothing to grade")))
        for child in children:
            is_folder = child.is_dir(follow_symlinks=False)
            if child.name.startswith(b"."):
                entries.append(Entry(child.path, _name(child.path, root), "skipped", _hidden(child.path, is_folder)))
            elif is_folder:
                folders.append(child.path)
            else:
                entries.append(Entry(child.path, _name(child.path, root)))
    entries.sort(key=lambda e: e.name)
    return _unique(entries)


def _stat(path):
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _identity(entry):
    try:
        info = entry.stat(follow_symlinks=False)
        return info.st_dev, info.st_ino
    except OSError:
        return None


def _name(path, root) -> str:
    return csv_cell(display_name(os.path.relpath(path, root)))


def _hidden(path, is_folder) -> str:
    """Why a hidden entry is not graded, with what a hidden folder holds (counted up to HIDDEN_COUNT)."""
    if not is_folder:
        return _("a hidden file (its name starts with '.'): never graded")
    files, notebooks, folders = 0, [], [path]
    while folders and files < HIDDEN_COUNT:
        try:
            with os.scandir(folders.pop()) as listing:
                for child in listing:
                    if child.is_dir(follow_symlinks=False):
                        folders.append(child.path)
                    else:
                        files += 1
                        if os.path.splitext(child.name)[1].lower() in (b".ipynb", b".py") and len(notebooks) < 3:
                            notebooks.append(display_name(child.name))
        except OSError:
            continue
    held = (_("more than {count} files").format(count=HIDDEN_COUNT) if files >= HIDDEN_COUNT
            else _("{count} file(s)").format(count=files))
    among = _(", among them {names}").format(names=", ".join(notebooks)) if notebooks else ""
    return _("a hidden folder (its name starts with '.') holding {held}{among}: never graded").format(
        held=held, among=among)


def _unique(entries) -> list:
    """Names made unique: two different files never share a row ('=x' and "'=x" look alike in a CSV)."""
    seen = {}
    for entry in entries:
        if entry.name in seen:
            seen[entry.name] += 1
            entry.name = f"{entry.name} [{seen[entry.name]}]"
        seen.setdefault(entry.name, 1)
    return entries


def display_name(relative) -> str:
    """A file name as text for the CSV and reports: undecodable bytes and control characters escaped."""
    return inert(os.fsdecode(relative))


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
    """Give every entry in `directory` its row in `csv_path` (grading the files not graded yet); returns
    counts by status. The class report is written beside the CSV."""
    csv_path = Path(csv_path)
    reports_dir, start = reports_dir or default_reports_dir(csv_path), time.monotonic()
    done = {(r["submission"], r["sha256"]) for r in read_rows(csv_path) if r["status"] in FINAL}
    every = scan(directory, [csv_path, reports_dir, *report_paths(csv_path)])
    settled = [e for e in every if e.status]  # skipped, or a folder that cannot be opened: no grading
    todo = [e for e in every if not e.status and (e.name, _sha256(e.path)) not in done]
    counts = {"already graded": len(every) - len(todo) - len(settled)}
    for entry in settled:
        append_row(csv_path, _row(entry.name, "", _exercise_of(entry.path, exercise), entry.status, 0, "", 0,
                                  entry.reason, ""))
        counts[entry.status] = counts.get(entry.status, 0) + 1
    bar = tqdm(total=len(todo), desc="grading", unit="submission", file=progress, disable=not progress)
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool, bar:
        futures = {pool.submit(grade_one, e.path, e.name, exercise, reports_dir, language): e.name for e in todo}
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
    return counts


def _exercise_of(path, exercise) -> str:
    """The exercise an entry that is not graded belongs to, if its name tells (so the class page lists it there)."""
    try:
        return choose_exercise(exercise, os.fsdecode(os.path.basename(path)).lstrip("."))
    except CannotGrade:
        return ""


def compact(csv_path) -> None:
    """Rewrite the CSV atomically with one row per submission: the latest one."""
    rows = {}
    for row in read_rows(csv_path):
        rows[row["submission"]] = row
    with atomic_file(csv_path, "w") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows[name] for name in sorted(rows))
