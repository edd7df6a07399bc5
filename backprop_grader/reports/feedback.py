"""Per-student feedback of a batch: one text and one JSON report per submission, ready to hand back.

The file names come from the submission's path inside the batch folder, so a teacher can match
them to students (`alice/06_affine.ipynb` -> `alice__06_affine.ipynb.<hash>.txt`); the short hash
of the exact path keeps two submissions from ever sharing a file (`a/b` and `a__b` both exist).
The JSON is also what the class report reads, so a resumed batch still knows every test result.
Learner text (messages, exception text, prints, file names) goes through `inert` first.
The record is in the report's language ("language"); a test's "name" stays the English key the
class report counts by, and "display_name" says it in the report's language.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from backprop_grader.language import message_data

from backprop_grader.reports.text import inert
from backprop_grader.reports.files import write_atomically, write_json_atomically

MAX_STEM = 100  # characters of the readable part of a report's name
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_reports_dir(csv_path) -> Path:
    """Where a batch keeps its per-student reports unless told otherwise: grades.csv -> grades-reports/."""
    csv_path = Path(csv_path)
    return csv_path.with_name(csv_path.stem + "-reports")


def report_stem(name: str) -> str:
    """A safe, unique file stem for the submission at relative path `name` (no folders, no dot first)."""
    readable = _UNSAFE.sub("_", name.replace("/", "__")).lstrip(".") or "submission"
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f"{readable[:MAX_STEM]}.{digest}"


def failures(test) -> list:
    """What went wrong in one test, one message per failed check (the lines of TestResult.message)."""
    if test.passed:
        return []
    return [inert(line, keep_newlines=True) for line in test.message().split("\n") if line.strip()]


def student_record(report, name: str, sha256: str = "") -> dict:
    """The JSON report of one submission: everything the text report says, as data."""
    percent = 100 * report.score / report.max_score if report.max_score else 0.0
    return {"submission": inert(name, keep_newlines=True), "report": report_stem(name),
            "sha256": sha256 or report.sha256,
            "exercise": report.exercise or "", "title": report.name(report.title), "status": report.status,
            "language": report.language,
            "score": report.score, "max_score": report.max_score, "percent": round(percent, 2),
            "reason": inert(report.reason, keep_newlines=True), "seconds": round(report.execution_time, 3),
            "sandbox": report.isolation,
            "notes": [inert(n, keep_newlines=True) for n in report.notes if "development secret" not in n],
            "tests": [{"name": t.name, "display_name": report.name(t.name), "name_parts": message_data(t.name),
                       "score": t.score, "max_score": t.max_score, "passed": t.passed,
                       "message": "\n".join(failures(t)), "failures": failures(t)} for t in report.tests]}


def write_feedback(reports_dir, name: str, report, sha256: str = "") -> Path:
    """Write `<stem>.txt` and `<stem>.json` for one submission into `reports_dir`; return the JSON's path."""
    stem = Path(reports_dir) / report_stem(name)
    stem.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(f"{stem}.txt", inert(report.text(), keep_newlines=True))
    write_json_atomically(f"{stem}.json", student_record(report, name, sha256))
    return Path(f"{stem}.json")
