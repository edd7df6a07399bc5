"""PrairieLearn's external-grading results.json, beside Gradescope's.

The format (docs.prairielearn.com, "External Grading", section "Grading results"): `score`, a
number in [0, 1]; `gradable`, false when the input could not be graded (then `format_errors`, and
no attempt is used up); `message` and `output` for the whole submission; `tests[]` with `name`,
`description`, `points`, `max_points`, `message`, `output`. The file must stay under 1 MB.
In the grading container the student's files are in /grade/student and the results go to
/grade/results/results.json (a directory the grader must create): `backprop-grade prairielearn`
(backprop_grader/platforms.py).
"""
from __future__ import annotations

from backprop_grader.language import N_

from backprop_grader.reports.text import inert

MAX_TEXT = 20_000  # characters per message or output: 30 tests stay far below 1 MB


def _short(text) -> str:
    text = inert(text, keep_newlines=True)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + " ..."


def results(report) -> dict:
    """The results.json of one graded (or ungradable) submission."""
    if report.status != "graded":
        reason = report.say(N_("Could not grade the submission: {reason}"), reason=report.reason)
        return {"gradable": False, "score": 0.0, "format_errors": [_short(reason)], "message": _short(reason),
                "output": "", "tests": []}
    score = report.score / report.max_score if report.max_score else 0.0
    tests = [{"name": report.name(t.name),
              "description": report.say(N_("test {number} of exercise {exercise}"), number=i + 1,
                                        exercise=report.exercise),
              "points": t.score, "max_points": t.max_score,
              "message": report.say(N_("passed")) if t.passed else _short((t.message() or report.say(N_("failed")))
                                                                           .split("\n")[0]),
              "output": "" if t.passed else _short(t.message())} for i, t in enumerate(report.tests)]
    output = [f"- {note}" for note in report.notes]
    if report.output_tail.strip():
        output += [report.say(N_("The last lines your code printed (not graded):")), report.output_tail.strip()]
    return {"gradable": True, "score": round(min(1.0, max(0.0, score)), 6),
            "message": report.say(N_("Exercise {exercise}: {title}. Score {score} / {max_score}."),
                                  exercise=report.exercise, title=report.name(report.title),
                                  score=f"{report.score:g}", max_score=f"{report.max_score:g}"),
            "output": _short("\n".join(output)), "tests": tests}
