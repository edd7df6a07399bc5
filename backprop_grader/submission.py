"""Reading a submission: a notebook or a .py file -> the code the grader runs, never executed here.

From a notebook only the "setup" and "solution" cells (and code cells the learner added) are
taken; the "check" cells are not run. Locked cells are compared (sha256 of the normalized
source) with the released notebook in exercises/: an edited or deleted locked cell is
restored from the release and reported, so tampering with it changes nothing.
"""
from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .exercises import EXERCISES


def _import_nbformat():
    """nbformat, without jsonschema building rfc3987_syntax's IRI grammar on import (about 1.5 s of
    CPU per grader process, for a string format no notebook schema uses)."""
    blocked = "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # jsonschema treats it as not installed
    try:
        import nbformat
    finally:
        if blocked:
            del sys.modules["rfc3987_syntax"]
    return nbformat


nbformat = _import_nbformat()

MAX_BYTES = 5 << 20
RUN_ROLES = ("setup", "solution", None)  # None: a code cell the learner added


class CannotGrade(Exception):
    """The file cannot be graded at all (unreadable, not a notebook, unknown exercise)."""


@dataclass
class Submission:
    path: Path
    sha256: str
    exercise_id: str
    chunks: list  # [{"name": ..., "source": ...}] in the order they run
    notes: list = field(default_factory=list)


def load(path, exercise_id=None) -> Submission:
    """Read and check `path`; raise CannotGrade with a sentence for the learner if it is unusable."""
    path = Path(path)
    if not path.is_file():
        raise CannotGrade(f"expected a submission file at {path}; found no such file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise CannotGrade(f"the file is {size / 2**20:.1f} MB; the grader reads at most {MAX_BYTES >> 20} MB. "
                          f"Clear the outputs (Kernel > Restart & Clear Output), save, and submit again.")
    data = path.read_bytes()
    if not data.strip():
        raise CannotGrade("the file is empty. Save the notebook (File > Save) before submitting it.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CannotGrade(f"the file is not UTF-8 text (byte {error.start} cannot be decoded); "
                          f"expected a .ipynb notebook or a .py file") from None
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix == ".py":
        exercise = _exercise(exercise_id, path.name, {})
        return Submission(path, digest, exercise, [{"name": path.name, "source": text}])
    if path.suffix != ".ipynb":
        raise CannotGrade(f"expected a .ipynb notebook or a .py file; found a file named {path.name!r}")
    notebook = _read_notebook(text)
    exercise = _exercise(exercise_id, path.name, notebook)
    chunks, notes = notebook_code(notebook, released_notebook(EXERCISES[exercise].stem))
    own = _exercise(None, path.name, notebook) if exercise_id else exercise
    if own != exercise:
        notes.append(f"this notebook looks like exercise {own} but was graded as exercise {exercise}, as asked")
    return Submission(path, digest, exercise, chunks, notes)


def _read_notebook(text):
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several kinds for broken JSON and schemas
        first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise CannotGrade(f"the file is not a valid Jupyter notebook ({first_line}). Open it in Jupyter, "
                          f"save it, and submit the saved .ipynb file.") from None
    return notebook


def _exercise(override, filename, notebook) -> str:
    """Which exercise: --exercise, the notebook's metadata or cell ids, or the file name."""
    candidates = [override] if override else []
    meta = notebook.get("metadata", {}).get("backprop", {}) if notebook else {}
    if isinstance(meta, dict) and meta.get("exercise"):
        candidates.append(str(meta["exercise"]))
    for cell in notebook.get("cells", []) if notebook else []:
        cell_id = _backprop_meta(cell).get("id", "")
        match = re.match(r"ex(\d\d)-", str(cell_id))
        if match:
            candidates.append(match.group(1))
            break
    match = re.match(r"(?:ex)?(\d{1,2})(?:[_\-. ]|$)", filename, re.IGNORECASE)
    if match:
        candidates.append(match.group(1))
    for candidate in candidates:
        normalized = str(candidate).strip().zfill(2)
        if normalized in EXERCISES:
            return normalized
        if override:
            raise CannotGrade(f"--exercise {override!r} is not an exercise; expected one of {', '.join(EXERCISES)}")
    raise CannotGrade(f"could not tell which exercise {filename!r} is: expected a file name starting with the "
                      f"exercise number (e.g. 04_matmul.ipynb) or --exercise NN")


def _backprop_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("backprop", {})
    return meta if isinstance(meta, dict) else {}


def released_notebook(stem):
    """The released exercise notebook (the reference for locked cells), or None if not shipped:
    from $BACKPROP_EXERCISES_DIR, else the copy an installed wheel ships (backprop_grader/released),
    else the repository's exercises/."""
    shipped = Path(__file__).resolve().parent / "released"
    root = Path(os.environ.get("BACKPROP_EXERCISES_DIR")
                or (shipped if shipped.is_dir() else Path(__file__).resolve().parents[1] / "exercises"))
    path = root / f"{stem}.ipynb"
    return nbformat.read(path, as_version=4) if path.is_file() else None


def normalized_hash(source) -> str:
    lines = [line.rstrip() for line in str(source).replace("\r\n", "\n").split("\n")]
    return hashlib.sha256("\n".join(lines).strip("\n").encode()).hexdigest()


def notebook_code(notebook, released):
    """The code chunks to run, with locked cells checked against (and restored from) `released`."""
    notes = []
    if released is None:
        notes.append("the released notebook was not found, so locked cells were not checked")
    released_cells = {m["id"]: (m, c.source) for c in (released.cells if released else [])
                      if (m := _backprop_meta(c)).get("id")}
    chunks, seen = [], set()
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = _backprop_meta(cell)
        cell_id = str(meta.get("id") or f"added cell {index + 1}")
        source, role = cell.source, meta.get("role") if released is None else None
        if cell_id in released_cells:
            known, released_source = released_cells[cell_id]
            role = known.get("role")
            if known.get("locked"):
                if cell_id in seen:
                    notes.append(f"a copy of locked cell {cell_id!r} was ignored")
                    continue
                if normalized_hash(source) != normalized_hash(released_source):
                    notes.append(f"locked cell {cell_id!r} was edited; the released version was used instead")
                    source = released_source
        seen.add(cell_id)
        if role in RUN_ROLES:
            chunks.append({"name": f"cell {cell_id}", "source": strip_magics(source)})
    restored = []
    for cell_id, (known, released_source) in released_cells.items():
        if known.get("locked") and cell_id not in seen:
            notes.append(f"locked cell {cell_id!r} was deleted; the released version was restored")
            if known.get("role") == "setup":
                restored.append({"name": f"cell {cell_id}", "source": strip_magics(released_source)})
    return restored + chunks, notes


def strip_magics(source) -> str:
    """IPython-only lines (%magic, !shell) become `pass`, keeping their indentation."""
    lines = []
    for line in str(source).split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[: len(line) - len(stripped)] + "pass  # IPython line skipped by the grader"
        lines.append(line)
    return "\n".join(lines)


def reference_imports(chunks, names) -> dict:
    """{name: reason} for each of `names` the code takes from backprop_lib instead of writing it."""
    found = {}
    for chunk in chunks:
        try:
            tree = ast.parse(chunk["source"])
        except SyntaxError:
            continue  # the child reports it, with the line
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases |= {(a.asname or a.name).split(".")[0] for a in node.names
                            if a.name.split(".")[0] == "backprop_lib"}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "backprop_lib":
                for a in node.names:
                    if a.name in names or a.name == "*":
                        for name in (names if a.name == "*" else [a.name]):
                            found[name] = f"`{name}` is imported from {node.module}"
                    elif a.name in ("layers", "nodes", "functions", "network", "training"):
                        aliases.add(a.asname or a.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in names:
                base = node.value
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(base, ast.Name) and base.id in aliases:
                    found[node.attr] = f"`{node.attr}` is taken from backprop_lib ({ast.unparse(node)})"
    return {name: f"{reason}, not written in the submission: the exercise asks you to implement it "
                  f"yourself, so it earns no credit" for name, reason in found.items()}
