"""The learner's library holds what the book teaches, and nothing that only the grader uses.

backprop_lib never imports backprop_grader. Every public name a backprop_lib module defines is used
somewhere on the learner's side: by the library itself, a chapter, a solution or exercise notebook,
the book's pages or its scripts (a name only backprop_grader uses belongs in backprop_grader). The
library's message catalogue (backprop.po) holds exactly the messages its code makes; the grader's
own (grader.po) holds the grader's messages that the library's lacks, and the grader's `_` falls back
to the library's. The uses are read from the code (Python's ast; a notebook's code cells after
IPython's input transformations; in Markdown, what stands in `code`), never from prose.
"""
import ast
import json
import re
from pathlib import Path

import babel.messages.pofile as pofile
from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "backprop_lib"
GRADER = ROOT / "backprop_grader"
LEARNER_SIDE = ("backprop_lib", "chapters", "solutions", "exercises", "book", "scripts")
LIBRARY_PO = LIBRARY / "locale" / "ko" / "LC_MESSAGES" / "backprop.po"
GRADER_PO = GRADER / "locale" / "ko" / "LC_MESSAGES" / "grader.po"
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_MARKDOWN_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)


def defined(tree):
    """{name: its top-level statement} for each public function, class and variable of a module."""
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update({t.id: node for t in targets if isinstance(t, ast.Name)})
    return {name: node for name, node in names.items() if not name.startswith("_") or name in ("_", "N_")}


def used(tree):
    """Every name a module uses: read as a variable, as an attribute, or imported from elsewhere (a
    function's or class's use of its own name, a recursion, is not a use)."""
    found = set()
    for statement in tree.body:
        names = set()
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.ImportFrom):
                names |= {alias.name for alias in node.names}
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.discard(statement.name)
        found |= names
    return found


def python_uses(path):
    return used(ast.parse(path.read_text(encoding="utf-8"), str(path)))


def notebook_uses(path):
    """The names a notebook's code cells use, and the identifiers in the `code` of its Markdown."""
    from IPython.core.inputtransformer2 import TransformerManager

    found = set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            try:
                found |= used(ast.parse(TransformerManager().transform_cell(source)))
            except SyntaxError:  # a cell meant to fail: its words still count
                found |= set(_IDENTIFIER.findall(source))
        elif cell["cell_type"] == "markdown":
            found |= markdown_uses(source)
    return found


def markdown_uses(text):
    return {word for code in _MARKDOWN_CODE.findall(text) for word in _IDENTIFIER.findall(code)}


def uses(folder):
    """Every name used by the code (and the book's `code`) under `folder`."""
    found = set()
    for path in sorted(folder.rglob("*")):
        if "_build" in path.parts or "__pycache__" in path.parts or not path.is_file():
            continue
        if path.suffix == ".py":
            found |= python_uses(path)
        elif path.suffix == ".ipynb":
            found |= notebook_uses(path)
        elif path.suffix == ".md":
            found |= markdown_uses(path.read_text(encoding="utf-8"))
    return found


def grader_only(library=LIBRARY, root=ROOT):
    """["module.name"] of backprop_lib's public names that backprop_grader uses and the learner's side never does."""
    learner = set().union(*(uses(root / folder) for folder in LEARNER_SIDE))
    grader = uses(root / "backprop_grader")
    found = []
    for path in sorted(library.glob("*.py")):
        for name in defined(ast.parse(path.read_text(encoding="utf-8"))):
            if name in grader and name not in learner:
                found.append(f"{path.stem}.{name}")
    return found


def test_the_library_never_imports_the_grader():
    imports = []
    for path in sorted(LIBRARY.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                       [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            imports += [f"{path.relative_to(ROOT)}: {m}" for m in modules if m.split(".")[0] == "backprop_grader"]
    assert not imports, imports


def test_the_library_defines_nothing_that_only_the_grader_uses():
    found = grader_only()
    assert not found, (f"{len(found)} name(s) of backprop_lib are used only by backprop_grader: move them into "
                       f"the grader: {', '.join(found)}")


def test_the_check_finds_a_function_only_the_grader_uses(tmp_path):
    """The check above can fail: a library module with one function the grader calls and one a chapter calls."""
    for folder in (*LEARNER_SIDE, "backprop_grader"):
        (tmp_path / folder).mkdir()
    (tmp_path / "backprop_lib" / "scores.py").write_text(
        "def taught(x):\n    return x\n\n\ndef graded(x):\n    return graded(x - 1) if x else 0\n")
    (tmp_path / "backprop_grader" / "judge.py").write_text(
        "from backprop_lib.scores import graded, taught\n\nprint(graded(3), taught(1))\n")
    (tmp_path / "chapters" / "01_x.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": ["%matplotlib inline\n", "from backprop_lib import scores\n",
                                         "scores.taught(2)\n"]},
        {"cell_type": "markdown", "source": ["Nothing here names graded as `code`."]}]}))
    assert grader_only(tmp_path / "backprop_lib", tmp_path) == ["scores.graded"]


def messages(package):
    """Every `_("...")` and `N_("...")` of a package's code."""
    return {message for _, _, message, _, _ in extract_from_dir(
        ROOT / package, method_map=[("**.py", "python")], keywords={"_": None, "N_": None}) if message}


def catalogue(po):
    assert po.exists(), f"{po.relative_to(ROOT)} is missing: run `python scripts/korean.py messages`"
    with po.open("rb") as f:
        return {m.id for m in pofile.read_po(f) if m.id}


def test_the_library_catalogue_holds_the_library_messages_only():
    library, grader = messages("backprop_lib"), messages("backprop_grader")
    held = catalogue(LIBRARY_PO)
    only_grader = sorted(held - library)
    assert not only_grader, (f"{LIBRARY_PO.relative_to(ROOT)} holds {len(only_grader)} message(s) that only "
                             f"backprop_grader makes, e.g. {only_grader[0][:60]!r}: they belong in grader.po")
    assert library <= held
    own = catalogue(GRADER_PO)
    assert own == grader - library, "grader.po holds the grader's messages that the library's catalogue lacks"
