"""The teacher's view of a batch: where the class stands, and which idea it has not understood.

`write_class_report(csv_path, reports_dir)` reads the batch's CSV (one row per submission) and the
per-student JSON reports (feedback.py: each test's result and failure messages), and writes beside
the CSV `<stem>.summary.json` (the numbers, for a notebook) and `<stem>.html` (the same numbers as
one self-contained page, class_page.py). Per exercise: the score distribution, every test's pass
rate (worst first), the most frequent diagnoses with two anonymised examples each, the submissions
that could not be graded and why, and the grading time. Scores and statuses come from the CSV
alone, so the page, the summary and the CSV cannot disagree.

A diagnosis is what a failure message says is wrong, with its particulars removed: the hint when
there is one ("Hint: the bias gradient must be summed over the batch ..."), else the message with
every number and shape replaced by '#', so that 200 different indices and values count as one idea.
"""
from __future__ import annotations

import csv
import json
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path, PurePath

from backprop_grader.language import LANGUAGES, _, message_from, translated

from backprop_grader.exercises import EXERCISES
from backprop_grader.reports.text import inert
from backprop_grader.reports.files import write_atomically, write_json_atomically
from backprop_grader.reports.report import status_word

TOP_DIAGNOSES = 50  # kept in the summary; the page shows the first ten
EXAMPLES = 2
BINS = list(range(0, 101, 10))  # score histogram: percent, the last bin includes 100
_NUMBER = re.compile(r"(?<![\w.=])[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w])|(?<![\w])-?(?:nan|inf)(?![\w])")
_TUPLE = re.compile(r"\((?:#, ?)*#?,?\)")  # (#, #, #) and () -> (#): shapes of any rank are one shape
_GATE = re.compile(r"^this counts once .{1,60}? right: ")  # a test that repeats another test's failure
# "Hint: " and "not implemented yet" in every language a learner's report may be in
HINTS = tuple(dict.fromkeys(_("Hint: {hint}", lang).replace("{hint}", "") for lang in LANGUAGES))
NOT_IMPLEMENTED = tuple(dict.fromkeys(_("not implemented yet ({error})", lang).split("(")[0].strip()
                                      for lang in LANGUAGES))


def report_paths(csv_path) -> tuple:
    """(page, summary) beside the CSV: grades.csv -> grades.html, grades.summary.json."""
    csv_path = Path(csv_path)
    return csv_path.with_suffix(".html"), csv_path.with_name(csv_path.stem + ".summary.json")


def diagnosis(message: str) -> str:
    """The idea behind one failure message, without its numbers (see the module's docstring)."""
    if message.startswith(NOT_IMPLEMENTED):
        return next(marker for marker in NOT_IMPLEMENTED if message.startswith(marker))
    hint = max(HINTS, key=message.rfind)  # the hint marker that comes last, if any
    text = message.rsplit(hint, 1)[1] if hint in message else _GATE.sub("", message)
    text = _TUPLE.sub("(#)", _NUMBER.sub("#", " ".join(text.split())))
    return text if len(text) <= 200 else text[:199] + "…"


def anonymise(message: str, name: str) -> str:
    """A failure message with the submission's path, file name and folder names replaced."""
    path = PurePath(name)
    for part in sorted({name, path.name, path.stem, *path.parts}, key=len, reverse=True):
        if len(part) >= 3:
            message = message.replace(part, "<submission>")
    return message if len(message) <= 400 else message[:399] + "…"


def load(csv_path, reports_dir) -> list:
    """[(CSV row, its student JSON record or None)]; a record counts only for the same file content."""
    with open(csv_path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    records = {}
    for path in sorted(Path(reports_dir).glob("*.json")) if reports_dir and Path(reports_dir).is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            records[(record["sha256"], record["exercise"])] = record
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not one of ours
    return [(row, records.get((row["sha256"], row["exercise"])) if row["sha256"] else None) for row in rows]


def summarise(entries, csv_name="", wall_seconds=None) -> dict:
    """The class report's numbers: statuses and time for the batch, then each exercise's."""
    by_exercise = defaultdict(list)
    for row, record in entries:
        by_exercise[row["exercise"]].append((row, record))
    statuses = Counter(row["status"] for row, _ in entries)
    return {"csv": csv_name, "submissions": len(entries), "by_status": dict(sorted(statuses.items())),
            "grading_seconds": _time(entries),
            "wall_seconds": round(wall_seconds, 2) if wall_seconds is not None else None,
            "exercises": [_exercise(ex, by_exercise[ex]) for ex in sorted(by_exercise, key=lambda ex: (ex == "", ex))]}


def _exercise(exercise, entries) -> dict:
    graded = [(row, record) for row, record in entries if row["status"] == "graded"]
    percents = [float(row["percent"]) for row, _ in graded]
    counts = [0] * (len(BINS) - 1)
    for p in percents:
        counts[min(int(p // 10), len(counts) - 1)] += 1
    title = EXERCISES[exercise].title if exercise in EXERCISES else ""
    return {"exercise": exercise, "title": title, "submissions": len(entries), "graded": len(graded),
            "not_graded": len(entries) - len(graded),
            "mean_percent": round(statistics.fmean(percents), 2) if percents else None,
            "median_percent": round(statistics.median(percents), 2) if percents else None,
            "score_histogram": {"bins": BINS, "counts": counts},
            "without_report": sorted(inert(row["submission"], keep_newlines=True)
                                     for row, record in graded if record is None),
            "tests": _pass_rates(record for _, record in graded if record),
            "diagnoses": _diagnoses([(row["submission"], record) for row, record in graded if record]),
            "could_not_grade": [{"submission": inert(row["submission"], keep_newlines=True),
                                 "status": row["status"],
                                 "reason": inert(row["reason"], keep_newlines=True)}
                                for row, _ in sorted(entries, key=lambda e: e[0]["submission"])
                                if row["status"] != "graded"],
            "grading_seconds": _time(entries)}


def _pass_rates(records) -> list:
    """Every test with its attempts, passes and pass rate, the worst first."""
    attempts, passes, parts = Counter(), Counter(), {}
    for record in records:
        for test in record["tests"]:
            attempts[test["name"]] += 1
            passes[test["name"]] += bool(test["passed"])
            parts.setdefault(test["name"], test.get("name_parts", test["name"]))  # to say it in any language
    tests = [{"name": name, "name_parts": parts[name], "attempts": n, "passed": passes[name],
              "pass_rate": round(passes[name] / n, 4)} for name, n in attempts.items()]
    return sorted(tests, key=lambda t: (t["pass_rate"], t["name"]))


def _diagnoses(named_records) -> list:
    """Diagnoses by the number of submissions that show them (then by occurrences), with two
    different examples each (the same mistake on the same hidden inputs gives the same message)."""
    submissions, occurrences, examples = Counter(), Counter(), defaultdict(list)
    for name, record in sorted(named_records, key=lambda e: e[0]):
        seen = set()
        for test in record["tests"]:
            for message in test["failures"]:
                idea = inert(diagnosis(message), keep_newlines=True)
                occurrences[idea] += 1
                submissions[idea] += idea not in seen
                seen.add(idea)
                shown = translated(message_from(test.get("name_parts"), test["name"]))  # the teacher's language
                example = inert(anonymise(f"{shown}: {message}", name), keep_newlines=True)
                if len(examples[idea]) < EXAMPLES and example not in examples[idea]:
                    examples[idea].append(example)
    ranked = sorted(submissions, key=lambda d: (-submissions[d], -occurrences[d], d))[:TOP_DIAGNOSES]
    return [{"diagnosis": d, "submissions": submissions[d], "occurrences": occurrences[d], "examples": examples[d]}
            for d in ranked]


def _time(entries) -> dict:
    """Total, mean and longest grading time of these rows (a grader fault has none)."""
    seconds = [float(row["seconds"]) for row, _ in entries if row["seconds"] not in ("", None)]
    if not seconds:
        return {"total": 0.0, "mean": None, "max": None}
    return {"total": round(sum(seconds), 2), "mean": round(statistics.fmean(seconds), 3), "max": round(max(seconds), 3)}


def one_line_summary(csv_path, earlier=0) -> str:
    """The batch's last line in the terminal, from the summary the batch wrote beside `csv_path`."""
    page, summary_path = report_paths(csv_path)
    return one_line(json.loads(summary_path.read_text(encoding="utf-8")), page, earlier)


def one_line(summary, page=None, earlier=0) -> str:
    statuses = summary["by_status"]
    percents = [(e["mean_percent"], e["graded"]) for e in summary["exercises"] if e["graded"]]
    graded = sum(n for _, n in percents)
    mean = sum(p * n for p, n in percents) / graded if graded else 0.0
    parts = [_("{count} graded (mean {mean}%)").format(count=statuses.get("graded", 0), mean=f"{mean:.1f}")]
    parts += [f"{n} {status_word(status)}" for status, n in statuses.items() if status != "graded"]
    kept = _(" ({count} kept from an earlier run)").format(count=earlier) if earlier else ""
    wall = (_(" in {seconds} s").format(seconds=f"{summary['wall_seconds']:.1f}")
            if summary.get("wall_seconds") is not None else "")
    where = _("; class report: {page}").format(page=page) if page else ""
    return _("{count} submissions{kept}{wall}: {statuses}{where}").format(
        count=summary["submissions"], kept=kept, wall=wall, statuses=", ".join(parts), where=where)


def write_class_report(csv_path, reports_dir, wall_seconds=None) -> tuple:
    """Write the summary JSON and the page beside the CSV; return their paths (page, summary)."""
    from backprop_grader.reports.class_page import render  # matplotlib is imported only here

    page, summary_path = report_paths(csv_path)
    summary = summarise(load(csv_path, reports_dir), inert(Path(csv_path).name, keep_newlines=True),
                        wall_seconds)
    write_json_atomically(summary_path, summary)
    write_atomically(page, render(summary))
    return page, summary_path
