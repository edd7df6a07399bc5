"""The exercise notebook format, the one place that knows it (release and grading both read it).

A notebook `NN_name.ipynb` carries `metadata.backprop = {"exercise": "NN", "chapter": ...}`;
each cell carries `metadata.backprop = {"id", "role", "locked"}`, where role is one of
text, setup, solution, check, and setup and check cells (only they) are locked.
"""
from __future__ import annotations

import re
import sys

ROLES = ("text", "setup", "solution", "check")
LOCKED_ROLES = ("setup", "check")
FILE_NAME = re.compile(r"(?P<exercise>\d\d)_[A-Za-z0-9_]+\.ipynb")


class FormatError(ValueError):
    """A notebook that does not follow the exercise format."""


# Optional checkers of string formats that jsonschema imports when installed; no notebook schema uses
# them, and they cost a grader process about 0.1 s of imports (rfc3987_syntax: 1.5 s of CPU).
_FORMAT_CHECKERS = ("rfc3987_syntax", "rfc3987", "rfc3986_validator", "rfc3339_validator", "isoduration",
                    "fqdn", "idna", "jsonpointer", "uri_template", "webcolors")


def _import_nbformat():
    """nbformat, without jsonschema importing its optional string-format checkers."""
    blocked = [] if "jsonschema" in sys.modules else [m for m in _FORMAT_CHECKERS if m not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # jsonschema treats it as not installed
    try:
        import nbformat
    finally:
        for name in blocked:
            del sys.modules[name]
    return nbformat


nbformat = _import_nbformat()


def cell_meta(cell) -> dict:
    """A cell's `backprop` metadata, or {} when it has none (a cell the learner added)."""
    meta = cell.get("metadata", {}).get("backprop", {})
    return meta if isinstance(meta, dict) else {}


def role(cell):
    return cell_meta(cell).get("role")


def checked_cell_meta(cell, where) -> dict:
    """The cell's metadata, or FormatError saying what is wrong (for the teacher's own notebooks)."""
    meta = cell.get("metadata", {}).get("backprop")
    if not isinstance(meta, dict) or not {"id", "role", "locked"} <= set(meta):
        raise FormatError(f"{where}: expected cell metadata backprop = {{'id', 'role', 'locked'}}; "
                          f"found {meta!r}")
    if meta["role"] not in ROLES:
        raise FormatError(f"{where}: role must be one of {sorted(ROLES)}; found {meta['role']!r}")
    if not isinstance(meta["locked"], bool) or meta["locked"] != (meta["role"] in LOCKED_ROLES):
        raise FormatError(f"{where}: setup and check cells are locked, text and solution cells are not; "
                          f"found role {meta['role']!r} with locked={meta['locked']!r}")
    return meta


def checked_exercise_number(notebook, name) -> int:
    """The notebook's exercise number from its metadata, which must agree with its file name."""
    meta = notebook.get("metadata", {}).get("backprop")
    if not isinstance(meta, dict) or not {"exercise", "chapter"} <= set(meta):
        raise FormatError(f"{name}: expected notebook metadata backprop = {{'exercise': 'NN', "
                          f"'chapter': 'NN_name'}}; found {meta!r}")
    if not re.fullmatch(r"\d\d", str(meta["exercise"])) or not name.startswith(str(meta["exercise"])):
        raise FormatError(f"{name}: backprop.exercise must be the file's two-digit number; "
                          f"found {meta['exercise']!r}")
    return int(meta["exercise"])


def claimed_exercise(notebook):
    """What a notebook says it is (metadata, else its cell ids): reported, never obeyed."""
    meta = notebook.get("metadata", {}).get("backprop", {})
    if isinstance(meta, dict) and re.fullmatch(r"\d\d", str(meta.get("exercise", ""))):
        return str(meta["exercise"])
    for cell in notebook.get("cells", []):
        match = re.match(r"ex(\d\d)-", str(cell_meta(cell).get("id", "")))
        if match:
            return match.group(1)
    return None


def read(path):
    return nbformat.read(path, as_version=4)


FAST_VALIDATION = 200  # cells: from here on fastjsonschema's compilation (60 ms) pays for itself


def reads(text):
    """A notebook from text, validated once against the nbformat schema (raises on anything else).

    The work is linear in the text, with a small constant: nbformat's jsonschema validator costs about
    0.3 ms per cell (a notebook of 50,000 empty cells: 15 s), fastjsonschema about 10 us once compiled."""
    from nbformat import reader, validator
    notebook = nbformat.convert(reader.reads(text), 4)
    cells = notebook.get("cells")
    name = "fastjsonschema" if isinstance(cells, list) and len(cells) > FAST_VALIDATION else "jsonschema"
    schema = validator.get_validator(version=4, version_minor=notebook.get("nbformat_minor"), name=name)
    if schema is None:
        raise FormatError(f"expected a notebook of format 4; found format {notebook.get('nbformat')}."
                          f"{notebook.get('nbformat_minor')}")
    schema.validate(notebook)
    return notebook
