"""Grading reports: readable text for the learner, and Gradescope's results.json.

Gradescope's format (gradescope-autograders.readthedocs.io, "Autograder Specifications"):
top-level score, execution_time, output, tests[] with name, score, max_score, status,
output, visibility.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .files import write_json_atomically  # noqa: F401  (re-exported: cli and gradescope write reports with it)
from .text import inert, quoted_lines


def points(x) -> str:
    """A score as a learner reads it: 8.33, 6, 0.5 (two decimals at most)."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


@dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    checks: list  # specs.Check
    error: str = ""  # what the learner's code raised in this test, if anything (already inert)

    @property
    def passed(self):
        return self.score >= self.max_score

    def message(self) -> str:
        if self.error.startswith("NotImplementedError"):
            lines = [f"not implemented yet ({self.error})"]
        else:
            lines = [f"your code raised {self.error}"] if self.error else []
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

    @classmethod
    def could_not_grade(cls, submission, reason, execution_time, exercise=None):
        return cls(submission, exercise, "", "could-not-grade", reason=reason, execution_time=execution_time)

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
            return f"File: {self.file}\nCould not grade this file: {inert(self.reason)}\nScore: 0\n"
        percent = 100 * self.score / self.max_score if self.max_score else 0.0
        lines = [f"Exercise {self.exercise}: {self.title}",
                 f"Score: {points(self.score)} / {points(self.max_score)} ({percent:.0f}%)", f"File: {self.file}", ""]
        width = max(len(t.name) for t in self.tests) if self.tests else 0
        for t in self.tests:
            mark = "✓" if t.passed else "✗"
            lines.append(f"{mark} {t.name:<{width}}  {points(t.score)}/{points(t.max_score)}")
            lines += [f"    {line}" for line in t.message().splitlines()] if not t.passed else []
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {inert(note)}" for note in self.notes]
        if self.output_tail.strip():
            tail = self.output_tail.strip().splitlines()[-10:]
            lines += ["", "The last lines your code printed (not graded):"]
            lines += [line for text in tail for line in quoted_lines(text, "  | ")]
        return "\n".join(lines) + "\n"

    def gradescope(self) -> dict:
        if self.status != "graded":
            return {"score": 0.0, "execution_time": round(self.execution_time, 3),
                    "output": f"Could not grade {self.file}: {inert(self.reason)}", "tests": []}
        tests = [{"name": t.name, "number": str(i + 1), "score": round(t.score, 2), "max_score": t.max_score,
                  "status": "passed" if t.passed else "failed", "output": t.message(),
                  "visibility": "visible"} for i, t in enumerate(self.tests)]
        summary = (f"Exercise {self.exercise}: {self.title} ({self.file}). "
                   f"Score {points(self.score)} / {points(self.max_score)}.")
        output = "\n".join([summary] + [f"- {inert(note)}" for note in self.notes])
        return {"score": self.score, "execution_time": round(self.execution_time, 3), "output": output,
                "tests": tests}
