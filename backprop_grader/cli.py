"""backprop-grade: grade one submission, a whole class, or build the Gradescope autograder.

    backprop-grade SUBMISSION [--json PATH [--format gradescope|prairielearn]] [--exercise NN] [--language ko|en]
    backprop-grade --batch DIR --out grades.csv [-j N] [--reports DIR] [--exercise NN] [--language ko|en]
    backprop-grade gradescope-package [--out autograder.zip] [--exercise NN]
    backprop-grade prairielearn [--root /grade] [--exercise NN]

A batch also writes, beside the CSV, the class report (grades.html, grades.summary.json) and one
text and one JSON report per submission (in grades-reports/ unless --reports DIR).

A learner's report is in --language, else in the language its notebook declares (a notebook from
the Korean site says "ko"), else in the environment's ($BACKPROP_LANG, $LANG); the class report
is in --language, else the environment's. The language changes the words, never the score.

Exit status: 0 when graded (whatever the score), 2 when the submission could not be graded
(unreadable file, unknown exercise), 3 when a batch had grader faults (rerun to retry them).
"""
from __future__ import annotations

import argparse
import os
import sys

from backprop_grader.language import LANGUAGES, reporting

from backprop_grader.reports.files import write_json_atomically

COULD_NOT_GRADE = 2
GRADER_FAULTS = 3


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["gradescope-package"]:
        return _package(argv[1:])
    if argv[:1] == ["prairielearn"]:
        from backprop_grader.platforms import main as platform_main
        return platform_main(["prairielearn", *argv[1:]])
    parser = argparse.ArgumentParser(prog="backprop-grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", nargs="?", help="a .ipynb notebook or a .py file")
    parser.add_argument("--json", metavar="PATH", help="also write the results.json of --format here")
    parser.add_argument("--format", choices=["gradescope", "prairielearn"], default="gradescope",
                        help="the platform whose results.json --json writes (default gradescope)")
    parser.add_argument("--exercise", metavar="NN", help="grade as this exercise (default: from the file)")
    parser.add_argument("--batch", metavar="DIR", help="grade every file in DIR")
    parser.add_argument("--out", metavar="CSV", default="grades.csv", help="the batch's CSV (default grades.csv)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel")
    parser.add_argument("--reports", metavar="DIR", help="with --batch: write each report (.txt, .json) here "
                                                         "(default: beside the CSV, grades-reports/)")
    parser.add_argument("--language", choices=LANGUAGES, help="the language of the reports (default: each "
                        "notebook's own, else the environment's)")
    args = parser.parse_args(argv)
    if bool(args.batch) == bool(args.submission):
        parser.error("give either one SUBMISSION or --batch DIR")
    if args.batch:
        return _batch(args)
    # One submission reads two or three notebooks: nbformat's default validator compiles the schema first
    # (about 60 ms), which pays only over a batch; jsonschema validates one notebook in about 10 ms.
    os.environ.setdefault("NBFORMAT_VALIDATOR", "jsonschema")
    from backprop_grader.grader import grade
    from backprop_grader.isolation.sandbox import SandboxUnavailable, one_run
    try:
        with one_run():
            report = grade(args.submission, args.exercise, language=args.language)
    except SandboxUnavailable as error:
        print(f"backprop-grade: could not grade {args.submission}: {error}", file=sys.stderr)
        return COULD_NOT_GRADE
    sys.stdout.write(report.text())
    _warn_without_secret(report.language)  # after the report: its language is the notebook's
    if args.json:
        from backprop_grader.reports.prairielearn import results
        try:
            write_json_atomically(args.json, results(report) if args.format == "prairielearn" else report.gradescope())
        except OSError as error:
            print(f"backprop-grade: could not write {args.json}: {error.strerror}", file=sys.stderr)
            return COULD_NOT_GRADE
    return 0 if report.status == "graded" else COULD_NOT_GRADE


def _batch(args) -> int:
    from backprop_grader.batch import grade_batch
    from backprop_grader.reports.class_report import one_line_summary
    problem = _batch_problem(args)
    if problem:
        print(f"backprop-grade: {problem}", file=sys.stderr)
        return COULD_NOT_GRADE
    _warn_without_secret(args.language)
    with reporting(args.language):  # the class report: the teacher's language
        counts = grade_batch(args.batch, args.out, jobs=args.jobs, exercise=args.exercise,
                             reports_dir=args.reports, language=args.language)
        print(one_line_summary(args.out, counts.get("already graded", 0)))
    return GRADER_FAULTS if counts.get("grader-error") else 0


def _batch_problem(args) -> str:
    """What makes the batch impossible before it starts (its folder, where its CSV goes), or ""."""
    from backprop_grader.reports.feedback import default_reports_dir
    if not os.path.isdir(args.batch):
        found = "no such folder" if not os.path.lexists(args.batch) else "a file, not a folder"
        return f"--batch expects the folder of the class's submissions; found {found}: {args.batch}"
    if args.jobs < 1:
        return f"-j expects a number of parallel gradings of at least 1; found {args.jobs}"
    if not os.access(args.batch, os.R_OK | os.X_OK):
        return f"--batch expects a folder this user can list; found one it cannot open: {args.batch}"
    if os.path.isdir(args.out):
        return f"--out expects the name of the CSV file to write; found a folder: {args.out}"
    if os.path.isfile(args.out) and os.path.getsize(args.out):
        from backprop_grader.batch import COLUMNS
        with open(args.out, "rb") as f:
            header = f.readline().decode("utf-8", "replace").strip()
        if header != ",".join(COLUMNS):  # resuming is for a CSV this grader wrote; anything else is not overwritten
            return (f"--out expects a new file or a CSV an earlier batch wrote (columns {','.join(COLUMNS)}); "
                    f"found other content in {args.out}")
    for path in (os.path.abspath(args.out), os.path.abspath(args.reports or default_reports_dir(args.out))):
        parent = os.path.dirname(path)
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
            return f"cannot write {path}: expected a writable folder {parent}"
    return ""


def _warn_without_secret(lang=None) -> None:
    """Not in any report, but on the screen of whoever grades (a teacher, or a learner practising), in their
    language: without a secret, anyone with the source knows the inputs."""
    from backprop_grader.language import _
    from backprop_grader.grader import DEV_SECRET, grader_secret
    if grader_secret() == DEV_SECRET:
        print(_("backprop-grade: BACKPROP_GRADER_SECRET is not set, so the hidden inputs are those anyone with "
                "this source can compute: fine for practice, not for marks.", lang), file=sys.stderr)


def _package(argv) -> int:
    from backprop_grader.platforms import build_package
    parser = argparse.ArgumentParser(prog="backprop-grade gradescope-package",
                                     description="build the Gradescope autograder zip")
    parser.add_argument("--out", default="autograder.zip")
    parser.add_argument("--exercise", metavar="NN", help="grade every submission as this exercise")
    args = parser.parse_args(argv)
    print(f"wrote {build_package(args.out, args.exercise)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
