"""Grading reports: readable text for the learner, and Gradescope's results.json.

Gradescope's format (gradescope-autograders.readthedocs.io, "Autograder Specifications"):
top-level score, execution_time, output, tests[] with name, score, max_score, status,
output, visibility.

A report is in the learner's language (`language`, decided when the grader made it: see
backprop_grader.language.reporting); test and exercise names are kept in English (they are keys, and
the class report counts by them) and said in the report's language when it is written.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from backprop_grader.language import N_, _, language, translated

from backprop_grader.reports.text import inert, quoted_lines


def points(x) -> str:
    """A score as a learner reads it: 8.33, 6, 0.5 (two decimals at most)."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


STATUSES = {"graded": N_("graded"), "could-not-grade": N_("could-not-grade"), "grader-error": N_("grader-error"),
            "skipped": N_("skipped")}


def status_word(status) -> str:
    """A row's status (a machine word in the CSV) as the teacher reads it."""
    return _(STATUSES[status]) if status in STATUSES else status


@dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    checks: list  # specs.Check
    error: str = ""  # what the learner's code raised in this test, if anything (already inert)
    language: str = field(default_factory=language)  # the report's, when the test was judged

    @property
    def passed(self):
        return self.score >= self.max_score

    def message(self) -> str:
        if self.error.startswith("NotImplementedError"):
            lines = [_("not implemented yet ({error})", self.language).format(error=self.error)]
        else:
            lines = [_("your code raised {error}", self.language).format(error=self.error)] if self.error else []
        lines += [c.message for c in self.checks if c.message and not (self.error and c.missing)]
        return "\n".join(inert(line) for line in lines)


@dataclass
class Report:
    submission: str  # the file graded, as the teacher named it
    exercise: str | None
    title: str
    status: str  # "graded" | "could-not-grade"
    tests: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    execution_time: float = 0.0
    sha256: str = ""
    reason: str = ""  # why it could not be graded
    output_tail: str = ""  # the end of what the learner's code printed (shown, never graded)
    isolation: str = ""  # how the run was confined (sandbox's Outcome.isolation)
    language: str = field(default_factory=language)  # "en" or "ko": the language of every line

    @classmethod
    def could_not_grade(cls, submission, reason, execution_time, exercise=None):
        return cls(submission, exercise, "", "could-not-grade", reason=reason, execution_time=execution_time)

    def say(self, message, **fields) -> str:
        """One of the report's own phrases, in the report's language."""
        return _(message, self.language).format(**fields)

    def name(self, text) -> str:
        """A test's or exercise's name (kept in English) in the report's language."""
        return translated(text, self.language)

    @property
    def score(self):
        return round(sum(t.score for t in self.tests), 2)

    @property
    def max_score(self):
        return sum(t.max_score for t in self.tests)

    @property
    def file(self) -> str:
        return inert(self.submission, limit=300)

    def text(self) -> str:
        """The learner's report. Grader lines start at the margin; learner text never does (indented,
        quoted after '| ', control characters escaped)."""
        if self.status != "graded":
            return "\n".join([self.say(N_("File: {file}"), file=self.file),
                              self.say(N_("Could not grade this file: {reason}"), reason=inert(self.reason)),
                              self.say(N_("Score: {score}"), score=0)]) + "\n"
        percent = 100 * self.score / self.max_score if self.max_score else 0.0
        lines = [self.say(N_("Exercise {exercise}: {title}"), exercise=self.exercise, title=self.name(self.title)),
                 self.say(N_("Score: {score} / {max_score} ({percent}%)"), score=points(self.score),
                          max_score=points(self.max_score), percent=f"{percent:.0f}"),
                 self.say(N_("File: {file}"), file=self.file), ""]
        names = [self.name(t.name) for t in self.tests]
        width = max(map(_columns, names)) if names else 0
        for t, name in zip(self.tests, names):
            mark = "✓" if t.passed else "✗"
            padding = " " * (width - _columns(name))
            lines.append(f"{mark} {name}{padding}  {points(t.score)}/{points(t.max_score)}")
            lines += [f"    {line}" for line in t.message().splitlines()] if not t.passed else []
        if self.notes:
            lines += ["", self.say(N_("Notes:"))] + [f"  - {inert(note)}" for note in self.notes]
        if self.output_tail.strip():
            tail = self.output_tail.strip().splitlines()[-10:]
            lines += ["", self.say(N_("The last lines your code printed (not graded):"))]
            lines += [line for text in tail for line in quoted_lines(text, "  | ")]
        return "\n".join(lines) + "\n"

    def gradescope(self) -> dict:
        if self.status != "graded":
            return {"score": 0.0, "execution_time": round(self.execution_time, 3),
                    "output": self.say(N_("Could not grade {file}: {reason}"), file=self.file,
                                       reason=inert(self.reason)),
                    "tests": []}
        tests = [{"name": self.name(t.name), "number": str(i + 1), "score": round(t.score, 2),
                  "max_score": t.max_score, "status": "passed" if t.passed else "failed", "output": t.message(),
                  "visibility": "visible"} for i, t in enumerate(self.tests)]
        summary = self.say(N_("Exercise {exercise}: {title} ({file}). Score {score} / {max_score}."),
                           exercise=self.exercise, title=self.name(self.title), file=self.file,
                           score=points(self.score), max_score=points(self.max_score))
        output = "\n".join([summary] + [f"- {inert(note)}" for note in self.notes])
        return {"score": self.score, "execution_time": round(self.execution_time, 3), "output": output,
                "tests": tests}


def _columns(text) -> int:
    """The columns `text` takes in a terminal: Korean (wide) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
