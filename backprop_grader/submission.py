"""Reading a submission: a notebook or a .py file -> the code the grader runs, never executed here.

From a notebook only the "setup" and "solution" cells (and code cells the learner added) are
taken; the "check" cells are not run. Each cell becomes Python exactly as IPython makes it
(IPython's own input transformers); its magics and shell commands then call get_ipython(),
which does nothing in the grader's child, and the report lists them. Locked cells are
compared (sha256 of the normalized source) with the released notebook in exercises/, or token
by token where only comments and the strings a learner reads differ (a Korean download translates
them: backprop_lib/code_words.py): an edited or deleted locked cell is restored from the release
and reported, so tampering with it changes nothing. Which exercise is graded is the teacher's
choice (--exercise, else the file name), never what the notebook says about itself. A symbolic
link is never followed.
"""
from __future__ import annotations

import ast
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from backprop_lib.code_words import same_code
from backprop_lib.language import N_, _, declare, declared_language

from . import notebook_format
from .exercises import EXERCISES
from .text import inert

MAX_BYTES = 5 << 20
RUN_ROLES = ("setup", "solution", None)  # None: a code cell the learner added
SYMLINK = N_("not graded: symbolic link (the grader never follows links; submit the file itself)")


class CannotGrade(Exception):
    """The file cannot be graded at all (unreadable, not a notebook, unknown exercise)."""


@dataclass
class Submission:
    path: Path
    sha256: str
    exercise_id: str
    chunks: list  # [{"name": ..., "source": ...}] in the order they run
    notes: list = field(default_factory=list)


def read_bytes(path) -> bytes:
    """The file's bytes, refusing links, non-files and files over MAX_BYTES (CannotGrade says which)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if os.path.islink(path):
            raise CannotGrade(_(SYMLINK)) from None
        if not os.path.lexists(path):
            raise CannotGrade(_("expected a submission file here; found no such file")) from None
        raise CannotGrade(_("the file cannot be read ({error})").format(error=inert(error.strerror))) from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise CannotGrade(_("expected a submission file; found something else (a folder, a device or a pipe)"))
        if info.st_size > MAX_BYTES:
            raise CannotGrade(_("the file is {size} MB; the grader reads at most {limit} MB. Clear the outputs "
                                "(Kernel > Restart & Clear Output), save, and submit again.").format(
                size=f"{info.st_size / 2**20:.1f}", limit=MAX_BYTES >> 20))
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise CannotGrade(_("the file grew past {limit} MB while it was read").format(limit=MAX_BYTES >> 20))
    return data


def load(path, exercise_id=None) -> Submission:
    """Read and check `path`; raise CannotGrade with a sentence for the learner if it is unusable."""
    path = Path(path)
    data = read_bytes(path)
    if not data.strip():
        raise CannotGrade(_("the file is empty. Save the notebook (File > Save) before submitting it."))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CannotGrade(_("the file is not UTF-8 text (byte {byte} cannot be decoded); expected a .ipynb "
                            "notebook or a .py file").format(byte=error.start)) from None
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix not in (".py", ".ipynb"):
        raise CannotGrade(_("expected a .ipynb notebook or a .py file; found a file named {name}").format(
            name=repr(inert(path.name))))
    exercise = choose_exercise(exercise_id, path.name)
    if path.suffix == ".py":
        return Submission(path, digest, exercise, [{"name": inert(path.name, limit=80), "source": text}])
    notebook = _read_notebook(text)
    declare(declared_language(notebook))  # the report is in the notebook's language (unless --language)
    chunks, notes = notebook_code(notebook, released_notebook(EXERCISES[exercise].stem))
    claimed = notebook_format.claimed_exercise(notebook)
    if claimed and claimed != exercise:
        notes.append((_("this notebook says it is exercise {claimed}; it was graded as exercise {exercise}, as the "
                        "teacher asked") if exercise_id else
                      _("this notebook says it is exercise {claimed}; it was graded as exercise {exercise}, from its "
                        "file name")).format(claimed=claimed, exercise=exercise))
    return Submission(path, digest, exercise, chunks, notes)


def _read_notebook(text):
    try:
        return notebook_format.reads(text)
    except Exception as error:  # nbformat raises several kinds for broken JSON and schemas
        first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise CannotGrade(_("the file is not a valid Jupyter notebook ({error}). Open it in Jupyter, save it, and "
                            "submit the saved .ipynb file.").format(error=inert(first_line))) from None


def choose_exercise(override, filename) -> str:
    """Which exercise: --exercise, else the number the file name starts with (04_matmul.ipynb)."""
    if override:
        normalized = str(override).strip().zfill(2)
        if normalized not in EXERCISES:
            raise CannotGrade(_("--exercise {value} is not an exercise; expected one of {exercises}").format(
                value=repr(inert(override)), exercises=", ".join(EXERCISES)))
        return normalized
    match = re.match(r"(?:ex)?(\d{1,2})(?:[_\-. ]|$)", filename, re.IGNORECASE)
    if match and match.group(1).zfill(2) in EXERCISES:
        return match.group(1).zfill(2)
    raise CannotGrade(_("could not tell which exercise {name} is: expected a file name starting with the exercise "
                        "number (e.g. 04_matmul.ipynb) or --exercise NN").format(name=repr(inert(filename, limit=200))))


def released_notebook(stem):
    """The released exercise notebook (the reference for locked cells), or None if not shipped:
    from $BACKPROP_EXERCISES_DIR, else the copy an installed wheel ships (backprop_grader/released),
    else the repository's exercises/."""
    shipped = Path(__file__).resolve().parent / "released"
    root = Path(os.environ.get("BACKPROP_EXERCISES_DIR")
                or (shipped if shipped.is_dir() else Path(__file__).resolve().parents[1] / "exercises"))
    path = root / f"{stem}.ipynb"
    return notebook_format.read(path) if path.is_file() else None


def normalized_hash(source) -> str:
    lines = [line.rstrip() for line in str(source).replace("\r\n", "\n").split("\n")]
    return hashlib.sha256("\n".join(lines).strip("\n").encode("utf-8", "surrogatepass")).hexdigest()


def same_locked_cell(source, released_source) -> bool:
    """The released cell, or the same in another language: the same code token for token, its comments
    and learner-read strings translated (compared only when its length is near the release's)."""
    if normalized_hash(source) == normalized_hash(released_source):
        return True
    return len(str(source)) <= 3 * len(released_source) + 4096 and same_code(released_source, str(source))


def notebook_code(notebook, released):
    """The code chunks to run, with locked cells checked against (and restored from) `released`."""
    notes = []
    if released is None:
        notes.append(_("the released notebook was not found, so locked cells were not checked"))
    released_cells = {m["id"]: (m, c.source) for c in (released.cells if released else [])
                      if (m := notebook_format.cell_meta(c)).get("id")}
    chunks, seen = [], set()
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = notebook_format.cell_meta(cell)
        cell_id = str(meta.get("id") or f"added cell {index + 1}")
        source, role = cell.source, meta.get("role") if released is None else None
        shown = inert(cell_id, limit=80)
        if cell_id in released_cells:
            known, released_source = released_cells[cell_id]
            role = known.get("role")
            if known.get("locked"):
                if cell_id in seen:
                    notes.append(_("a copy of locked cell {cell} was ignored").format(cell=repr(shown)))
                    continue
                if not same_locked_cell(source, released_source):
                    notes.append(_("locked cell {cell} was edited; the released version was used instead").format(
                        cell=repr(shown)))
                    source = released_source
        seen.add(cell_id)
        if role in RUN_ROLES:
            python, commands = as_python(source)
            notes += [_("cell {cell}: the IPython command {command} does nothing while grading").format(
                cell=repr(shown), command=inert(c, limit=80)) for c in commands]
            chunks.append({"name": f"cell {shown}", "source": python})
    restored = []
    for cell_id, (known, released_source) in released_cells.items():
        if known.get("locked") and cell_id not in seen:
            notes.append(_("locked cell {cell} was deleted; the released version was restored").format(
                cell=repr(inert(cell_id))))
            if known.get("role") == "setup":
                restored.append({"name": f"cell {cell_id}", "source": as_python(released_source)[0]})
    return restored + chunks, notes


_transformer = None


def as_python(source):
    """(Python source, the IPython commands in it): the cell exactly as IPython would run it."""
    global _transformer
    if _transformer is None:  # imported on first use: IPython takes about 0.1 s to import
        from IPython.core.inputtransformer2 import TransformerManager
        _transformer = TransformerManager()
    python = _transformer.transform_cell(str(source))
    return python, _ipython_commands(python) if "get_ipython" in python else []


def _ipython_commands(python) -> list:
    """What each get_ipython().<method>(...) call in `python` would do, as %magic or !command."""
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError, UnicodeError):
        return []  # the child reports it, with the line
    commands = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Call) and getattr(node.func.value.func, "id", "") == "get_ipython"):
            args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            prefix = "!" if node.func.attr in ("system", "getoutput") else "%" if "line" in node.func.attr else "%%"
            commands.append(prefix + " ".join(args[:2]) if args else node.func.attr)
    return commands


def reference_imports(chunks, names) -> dict:
    """{name: reason} for each of `names` the code takes from backprop_lib instead of writing it."""
    found = {}
    for chunk in chunks:
        try:
            tree = ast.parse(chunk["source"])
        except (SyntaxError, ValueError, UnicodeError):
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
                            found[name] = _("`{name}` is imported from {module}").format(name=name,
                                                                                           module=node.module)
                    elif a.name in ("layers", "nodes", "functions", "network", "training"):
                        aliases.add(a.asname or a.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in names:
                base = node.value
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(base, ast.Name) and base.id in aliases:
                    found[node.attr] = _("`{name}` is taken from backprop_lib ({code})").format(
                        name=node.attr, code=ast.unparse(node))
    return {name: _("{reason}, not written in the submission: the exercise asks you to implement it yourself, so "
                    "it earns no credit").format(reason=reason) for name, reason in found.items()}
