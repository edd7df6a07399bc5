"""Grade a whole class: one CSV row per submission, whatever the submission did.

Resumable: each finished submission's row is appended and fsynced at once, so a batch that is
killed and restarted skips what is done (same file path and same sha256) and loses nothing.
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

from .class_report import report_paths, write_class_report
from .feedback import default_reports_dir, write_feedback
from .grader import grade

COLUMNS = ["submission", "sha256", "exercise", "status", "score", "max_score", "percent", "reason", "seconds"]
FINAL = ("graded", "could-not-grade")


def submissions_in(directory, skip=()) -> list:
    """Every visible regular file under `directory` (a stray .pdf still gets its row), sorted."""
    skip = {Path(p).resolve() for p in skip}
    found = []
    for path in sorted(Path(directory).rglob("*")):
        relative = path.relative_to(directory)
        if path.is_file() and not any(part.startswith((".", "__")) for part in relative.parts) \
                and path.resolve() not in skip and not any(s in path.resolve().parents for s in skip):
            found.append(path)
    return found


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


def grade_one(path, name, exercise, reports_dir) -> dict:
    """Grade one file (in a worker process) and return its CSV row."""
    try:
        report = grade(path, exercise)
    except Exception as error:  # noqa: BLE001  (a grader fault: recorded, and retried next run)
        return {"submission": name, "sha256": "", "exercise": exercise or "", "status": "grader-error",
                "score": 0, "max_score": "", "percent": 0, "reason": f"{type(error).__name__}: {error}",
                "seconds": ""}
    percent = 100 * report.score / report.max_score if report.max_score else 0.0
    reason = report.reason or "; ".join(n for n in report.notes if "development secret" not in n)
    row = {"submission": name, "sha256": report.sha256 or _sha256(path), "exercise": report.exercise or "",
           "status": report.status, "score": report.score, "max_score": report.max_score,
           "percent": round(percent, 2), "reason": reason[:500], "seconds": round(report.execution_time, 3)}
    if reports_dir:
        write_feedback(reports_dir, name, report, row["sha256"])
    return row


def _sha256(path):
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def grade_batch(directory, csv_path, jobs=1, exercise=None, reports_dir=None, progress=sys.stderr) -> dict:
    """Grade every submission in `directory` not yet in `csv_path`; returns counts by status."""
    directory, csv_path = Path(directory), Path(csv_path)
    reports_dir, start = reports_dir or default_reports_dir(csv_path), time.monotonic()
    done = {(r["submission"], r["sha256"]) for r in read_rows(csv_path) if r["status"] in FINAL}
    every = [(p, str(p.relative_to(directory))) for p in submissions_in(directory, [csv_path, reports_dir, *report_paths(csv_path)])]
    todo = [(p, name) for p, name in every if (name, _sha256(p)) not in done]
    counts = {"already graded": len(every) - len(todo)}
    bar = tqdm(total=len(todo), desc="grading", unit="submission", file=progress, disable=not progress)
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool, bar:
        futures = {pool.submit(grade_one, p, name, exercise, reports_dir): name for p, name in todo}
        for future in as_completed(futures):
            try:
                row = future.result()
            except Exception as error:  # noqa: BLE001  (a worker died: still one row, retried next run)
                row = {"submission": futures[future], "sha256": "", "exercise": exercise or "",
                       "status": "grader-error", "score": 0, "max_score": "", "percent": 0,
                       "reason": f"worker failed: {error}", "seconds": ""}
            append_row(csv_path, row)
            counts[row["status"]] = counts.get(row["status"], 0) + 1
            bar.set_postfix_str(", ".join(f"{k} {v}" for k, v in counts.items() if k != "already graded"), refresh=False)
            bar.update()
    compact(csv_path)
    write_class_report(csv_path, reports_dir, wall_seconds=time.monotonic() - start)
    return counts


def compact(csv_path) -> None:
    """Rewrite the CSV atomically with one row per submission: the latest one."""
    rows = {}
    for row in read_rows(csv_path):
        rows[row["submission"]] = row
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows[name] for name in sorted(rows))
    tmp = Path(f"{csv_path}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(buffer.getvalue())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, csv_path)
