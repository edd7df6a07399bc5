"""Reading a submission: a notebook or a .py file -> the code the grader runs, never executed here.

From a notebook only the "setup" and "solution" cells (and code cells the learner added) are
taken; the "check" cells are not run. The cells go to the child as they are written: it runs
each in IPython's shell, as a kernel does (child.py); nothing of them is parsed or run here, so
the parent's work is a pass over the notebook's bytes. Locked cells are compared (sha256 of the normalized source) with the released
notebook in exercises/, or token by token where only comments and the strings a learner reads differ
(a Korean download translates them: backprop_lib/code_words.py): an edited or deleted locked cell is restored from the release and
reported, so tampering with it changes nothing; a copy of a locked cell with code of the
learner's own runs as the learner's cell. Which exercise is graded is the teacher's choice (--exercise, else the file
name), never what the notebook says about itself. A symbolic link is never followed.
"""
from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from backprop_lib.code_words import same_code
from backprop_grader.language import N_, _, declare, declared_language

from backprop_grader.notebook import format as notebook_format
from backprop_grader.exercises import EXERCISES
from backprop_grader.reports.text import inert

MAX_BYTES = 5 << 20
MAX_NOTES = 20  # notes about one notebook's cells kept in its report
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
    except (OSError, ValueError) as error:  # ValueError: a NUL in the name
        if error.__class__ is ValueError:
            raise CannotGrade(_("expected a file name; found one with a NUL character")) from None
        if error.errno == errno.ELOOP and os.path.islink(path):
            raise CannotGrade(_(SYMLINK)) from None
        if error.errno == errno.ENOENT:
            raise CannotGrade(_("expected a submission file here; found no such file")) from None
        raise CannotGrade(_("the file cannot be read ({error})").format(error=inert(error.strerror))) from None
    try:
        info = os.fstat(fd)  # before any read: a folder, a device or a pipe is not a file
        if stat.S_ISDIR(info.st_mode):
            raise CannotGrade(_("expected a submission file; found a folder"))
        if not stat.S_ISREG(info.st_mode):
            raise CannotGrade(_("expected a submission file; found something else (a device, a pipe or a socket)"))
        if info.st_size > MAX_BYTES:
            raise CannotGrade(_("the file is {size} MB; the grader reads at most {limit} MB. Clear the outputs "
                                "(Kernel > Restart & Clear Output), save, and submit again.").format(
                size=f"{info.st_size / 2**20:.1f}", limit=MAX_BYTES >> 20))
        chunks, size = [], 0
        while size <= MAX_BYTES and (chunk := os.read(fd, MAX_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError as error:
        raise CannotGrade(_("the file cannot be read ({error})").format(error=inert(error.strerror))) from None
    finally:
        os.close(fd)
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
    suffix = path.suffix.lower()  # 04_matmul.IPYNB from a system that ignores case: a notebook all the same
    if suffix not in (".py", ".ipynb"):
        raise CannotGrade(_("expected a .ipynb notebook or a .py file; found a file named {name}").format(
            name=repr(inert(path.name))))
    exercise = choose_exercise(exercise_id, path.name)
    if suffix == ".py":
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
    if len(notes) > MAX_NOTES:  # 50,000 copies of a locked cell make one report line, not 50,000
        notes[MAX_NOTES:] = [_("... and {count} more notes like these").format(count=len(notes) - MAX_NOTES)]
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
    shipped = Path(__file__).resolve().parents[1] / "released"
    root = Path(os.environ.get("BACKPROP_EXERCISES_DIR")
                or (shipped if shipped.is_dir() else Path(__file__).resolve().parents[2] / "exercises"))
    path = root / f"{stem}.ipynb"
    if not path.is_file():
        return None
    info = path.stat()
    return _released(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=32)
def _released(path, mtime_ns, size):
    """A released notebook, read once per process while it is unchanged (a batch reads it for every submission)."""
    return notebook_format.read(path)


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
    """The code chunks to run, with locked cells checked against (and restored from) `released`.

    Jupyter copies a cell's metadata with the cell, so a locked cell's id may appear more than once.
    The locked cell is its first copy that is as released (else its first copy); another copy that
    is also as released adds nothing and is left out; a copy holding code of the learner's own (a
    helper written into a copied setup cell) is the learner's cell, and runs where it stands."""
    notes = []
    if released is None:
        notes.append(_("the released notebook was not found, so locked cells were not checked"))
    released_cells = {m["id"]: (m, c.source) for c in (released.cells if released else [])
                      if (m := notebook_format.cell_meta(c)).get("id")}
    cells = [(index, cell, str(notebook_format.cell_meta(cell).get("id") or f"added cell {index + 1}"))
             for index, cell in enumerate(notebook.cells) if cell.get("cell_type") == "code"]
    locked = {cell_id: source for cell_id, (meta, source) in released_cells.items() if meta.get("locked")}
    as_released = {index for index, cell, cell_id in cells
                   if cell_id in locked and same_locked_cell(cell.source, locked[cell_id])}
    original = {}  # locked id -> the index of the cell that is the locked cell
    for index, cell, cell_id in cells:
        if cell_id in locked and (cell_id not in original or (index in as_released
                                                              and original[cell_id] not in as_released)):
            original[cell_id] = index
    chunks = []
    for index, cell, cell_id in cells:
        source, shown = cell.source, inert(cell_id, limit=80)
        role = released_cells[cell_id][0].get("role") if cell_id in released_cells else (
            notebook_format.cell_meta(cell).get("role") if released is None else None)
        name = f"cell {shown}"
        if cell_id in locked and original[cell_id] != index:
            if index in as_released:
                notes.append(_("a copy of locked cell {cell} was ignored").format(cell=repr(shown)))
                continue
            notes.append(_("cell {number} is a copy of locked cell {cell} with code of your own: it ran as a cell "
                           "you added").format(number=index + 1, cell=repr(shown)))
            role, name = None, f"cell {index + 1} (a copy of {shown})"
        elif cell_id in locked and index not in as_released:
            notes.append(_("locked cell {cell} was edited; the released version was used instead").format(
                cell=repr(shown)))
            source = locked[cell_id]
        if role in RUN_ROLES and str(source).strip():  # IPython runs nothing for an empty cell, not even a count
            chunks.append({"name": name, "source": str(source)})
    restored = []
    for cell_id, source in locked.items():
        if cell_id not in original:
            notes.append(_("locked cell {cell} was deleted; the released version was restored").format(
                cell=repr(inert(cell_id))))
            if released_cells[cell_id][0].get("role") == "setup":
                restored.append({"name": f"cell {inert(cell_id)}", "source": str(source)})
    return restored + chunks, notes
