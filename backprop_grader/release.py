"""Make the learner copies: solutions/NN_*.ipynb -> exercises/NN_*.ipynb (`make release`).

Every `### BEGIN SOLUTION <Task>` ... `### END SOLUTION` region in a solution cell becomes
one line, `raise NotImplementedError("Exercise N, task <Task>: ...")`, at the region's
indentation; cells tagged "solution-only" are dropped; outputs are cleared; locked cells
are made read-only in Jupyter. The output is byte-identical on every run.

    python -m backprop_grader.release           # write exercises/
    python -m backprop_grader.release --check   # exit 1 and list differences if exercises/ is stale
"""
import argparse
import difflib
import re
import sys
from pathlib import Path

from backprop_grader.notebook import format as notebook_format
from backprop_grader.reports.files import write_atomically
from backprop_grader.notebook.format import FormatError, nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION(?:[ \t]+(?P<task>\S+))?[ \t]*$")
END = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
MARKER_WORDS = re.compile(r"(BEGIN|END) SOLUTION")
SOLUTION_ONLY_TAG = "solution-only"


ReleaseError = FormatError  # a solution notebook that cannot be released as it is


def stub_line(indent, exercise, task):
    return f'{indent}raise NotImplementedError("Exercise {exercise}, task {task}: replace this line with your code")'


def strip_solutions(source, exercise, where):
    """The source with every solution region replaced by a NotImplementedError stub."""
    out, task, task_line = [], None, None
    for number, line in enumerate(source.splitlines(), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if task is not None:
                raise ReleaseError(f"{where}, line {number}: BEGIN SOLUTION inside the region "
                                   f"opened on line {task_line}; expected ### END SOLUTION first")
            if not begin["task"]:
                raise ReleaseError(f"{where}, line {number}: expected a task name after BEGIN SOLUTION, "
                                   f"e.g. '### BEGIN SOLUTION MatMul.backward'")
            task, task_line = begin["task"], number
            out.append(stub_line(begin["indent"], exercise, task))
        elif end:
            if task is None:
                raise ReleaseError(f"{where}, line {number}: END SOLUTION without a matching BEGIN SOLUTION")
            task = None
        elif MARKER_WORDS.search(line) and line.lstrip().startswith("#"):
            raise ReleaseError(f"{where}, line {number}: malformed marker {line.strip()!r}; expected "
                               f"'### BEGIN SOLUTION <Task>' or '### END SOLUTION' on a line of its own")
        elif task is None:
            out.append(line)
    if task is not None:
        raise ReleaseError(f"{where}: the region opened on line {task_line} ({task}) has no ### END SOLUTION")
    return "\n".join(out)


def release_notebook(nb, name="notebook"):
    """The learner copy of a solution notebook (a new NotebookNode; nb is not changed)."""
    exercise = notebook_format.checked_exercise_number(nb, name)
    released = nbformat.from_dict(nb)  # a deep copy
    released.cells = []
    for index, cell in enumerate(nb.cells):
        if SOLUTION_ONLY_TAG in cell.metadata.get("tags", []):
            continue
        meta = notebook_format.checked_cell_meta(cell, f"{name}, cell {index}")
        where = f"{name}, cell {meta['id']}"
        cell = nbformat.from_dict(cell)
        if meta["role"] == "solution":
            if not any(BEGIN.match(line) for line in cell.source.splitlines()):
                raise ReleaseError(f"{where}: a solution cell needs a ### BEGIN SOLUTION region; "
                                   f"without one the learner copy would contain the answer")
            cell.source = strip_solutions(cell.source, exercise, where)
        elif any(BEGIN.match(line) or END.match(line) for line in cell.source.splitlines()):
            raise ReleaseError(f"{where}: solution markers are only allowed in cells with role "
                               f"'solution'; found one in a {meta['role']!r} cell")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if meta["locked"]:  # Jupyter then refuses to edit or delete the cell
            cell.metadata["editable"], cell.metadata["deletable"] = False, False
        released.cells.append(cell)
    return released


def release_text(path):
    """The exact bytes (as text) that exercises/<name> must hold for the solution at `path`."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    return nbformat.writes(release_notebook(nb, path.name)).rstrip("\n") + "\n"


def release_all(solutions=ROOT / "solutions", exercises=ROOT / "exercises", check=False):
    """Write (or, with check, compare) every learner copy; returns a list of problems found."""
    solutions, exercises = Path(solutions), Path(exercises)
    sources = sorted(solutions.glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        raise ReleaseError(f"expected solution notebooks NN_name.ipynb in {solutions}; found none")
    expected = {src.name: release_text(src) for src in sources}
    _check_unique_ids(solutions, sources)
    problems = []
    for name, text in expected.items():
        target = exercises / name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if check:
            problems.append(_difference(name, current, text))
        else:
            write_atomically(target, text)
    for extra in sorted(set(p.name for p in exercises.glob("*.ipynb")) - set(expected)):
        problems.append(f"exercises/{extra}: has no solution notebook solutions/{extra}; remove it")
    return problems


def _check_unique_ids(solutions, sources):
    seen = {}
    for src in sources:
        for cell in nbformat.read(src, as_version=4).cells:
            cell_id = notebook_format.cell_meta(cell).get("id")
            if cell_id in seen:
                raise ReleaseError(f"cell id {cell_id!r} is used in {seen[cell_id]} and in {src.name}; "
                                   f"ids must be unique across all notebooks")
            seen[cell_id] = src.name


def _difference(name, current, expected):
    if current is None:
        return f"exercises/{name}: missing"
    diff = difflib.unified_diff(current.splitlines(), expected.splitlines(),
                                f"exercises/{name} (on disk)", f"exercises/{name} (from solutions/)", lineterm="")
    return "\n".join(list(diff)[:40])


def main(argv=None):
    parser = argparse.ArgumentParser(description="Generate exercises/ from solutions/.")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if exercises/ is stale")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    parser.add_argument("--exercises", type=Path, default=ROOT / "exercises")
    args = parser.parse_args(argv)
    try:
        problems = release_all(args.solutions, args.exercises, check=args.check)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"release: {len(problems)} difference(s); run `make release`", file=sys.stderr)
        return 1
    print(f"release: exercises/ {'is up to date' if args.check else 'written'} ({args.exercises})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
