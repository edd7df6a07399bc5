"""The chapter notebooks re-run under nbval and reproduce their stored outputs.

One pytest subprocess per chapter runs nbval in a fresh kernel of this environment,
with tests/nbval_sanitize.cfg for the volatile outputs (see tests/README.md for how
chapter authors mark cells). A chapter fails if a cell raises or if any compared output
differs from the one stored in the notebook.
"""
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
EXPECTED_CHAPTERS = 10

# The numbers of the notes' apple-and-orange example that the chapters must show:
# 2 apples at 100 with 10% tax cost 220; adding 3 oranges at 150 gives 715; and the gradients.
KEY_NUMBERS = {
    "price of the apples": 220,
    "price of apples and oranges": 715,
    "d price / d apple price": 2.2,
    "d price / d number of apples": 110,
    "d price / d tax (apples)": 200,
    "d price / d orange price": 3.3,
    "d price / d number of oranges": 165,
    "d price / d tax (apples and oranges)": 650,
}


def test_all_chapters_are_there():
    names = [path.name for path in CHAPTERS]
    assert len(names) == EXPECTED_CHAPTERS, f"expected {EXPECTED_CHAPTERS} chapters, found {names}"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_chapter_reproduces_its_outputs(notebook):
    assert stored_outputs(notebook), (
        f"{notebook.name} has no stored outputs: execute it and save it with its outputs "
        "(nbval compares against them)")
    command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
               f"--nbval-sanitize-with={SANITIZE}", "--nbval-cell-timeout=600",
               "-p", "no:cacheprovider", "-q", "--no-header", "-rN", "--color=no", str(notebook)]
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("MPLBACKEND", None)  # the kernel must use its inline backend, as when the chapter was saved
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, (
        f"nbval failed on {notebook.name}:\n{result.stdout[-20000:]}\n{result.stderr[-5000:]}")


def test_key_numbers_appear_in_the_chapters_outputs():
    """The stored outputs (which nbval proves are reproduced) show the notes' numbers."""
    numbers = []
    for notebook in CHAPTERS:
        numbers += [float(token) for token in
                    re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", "\n".join(stored_outputs(notebook)))]
    missing = [f"{name} = {value}" for name, value in KEY_NUMBERS.items()
               if not any(math.isclose(n, value, rel_tol=1e-6) for n in numbers)]
    assert not missing, f"these numbers of the notes appear in no chapter's output: {missing}"


def stored_outputs(notebook):
    """The text of every stored output of a notebook (streams, text/plain, text/html)."""
    texts = []
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            if "text" in output:
                texts.append(join(output["text"]))
            for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
                if mime in output.get("data", {}):
                    texts.append(join(output["data"][mime]))
    return texts


def join(text):
    return text if isinstance(text, str) else "".join(text)


# Every chapter asks the reader to predict before a cell shows the answer (ask before telling).
PREDICTING_CHAPTERS = CHAPTERS
QUESTION = "**Predict, then run.**"
ANSWER = '<details class="answer">\n<summary>Answer</summary>\n\n'  # folds on the site and in JupyterLab


@pytest.mark.parametrize("notebook", PREDICTING_CHAPTERS, ids=[path.stem for path in PREDICTING_CHAPTERS])
def test_chapter_asks_the_reader_to_predict_before_running(notebook):
    """Two or three questions, each with its answer folded away, each followed by the cell that shows it."""
    cells = json.loads(notebook.read_text())["cells"]
    questions = [i for i, cell in enumerate(cells)
                 if cell["cell_type"] == "markdown" and QUESTION in join(cell["source"])]
    assert 2 <= len(questions) <= 3, f"{notebook.name} has {len(questions)} predict-then-run questions; expected 2 or 3"
    for i in questions:
        assert ANSWER in join(cells[i]["source"]), (
            f"{notebook.name}, cell {i}: the answer belongs in <details class=\"answer\"><summary>Answer</summary>")
        assert i + 1 < len(cells) and cells[i + 1]["cell_type"] == "code", (
            f"{notebook.name}, cell {i}: a question must come right before the code cell that shows its answer")


def revealing_cells(cells, question):
    """The code cells between a question and the next Markdown cell: they show its answer."""
    found = []
    for cell in cells[question + 1:]:
        if cell["cell_type"] != "code":
            break
        found.append(cell)
    return found


@pytest.mark.parametrize("notebook", PREDICTING_CHAPTERS, ids=[path.stem for path in PREDICTING_CHAPTERS])
def test_each_answer_stays_out_of_sight_until_the_reader_asks(notebook):
    """Issue 16: the chapters are committed with their outputs, so the output that answers a question
    must start folded on the site (MyST-NB's `hide-output` tag, both editions) and collapsed in JupyterLab
    (`jupyter.outputs_hidden`), and still be stored, so that nbval compares it like any other."""
    cells = json.loads(notebook.read_text())["cells"]
    questions = [i for i, cell in enumerate(cells)
                 if cell["cell_type"] == "markdown" and QUESTION in join(cell["source"])]
    for i in questions:
        revealing = revealing_cells(cells, i)
        assert any(cell.get("outputs") for cell in revealing), (
            f"{notebook.name}, cell {i}: no stored output after the question shows its answer")
        for cell in revealing:
            where = f"{notebook.name}, cell {cells.index(cell)} (answers the question of cell {i})"
            tags = cell["metadata"].get("tags", [])
            assert "hide-output" in tags, f"{where}: needs the tag hide-output (folded on the site)"
            assert cell["metadata"].get("jupyter", {}).get("outputs_hidden") is True, (
                f"{where}: needs metadata jupyter.outputs_hidden = true (collapsed in JupyterLab)")
            assert not {"remove-output", "remove-cell"} & set(tags) and "NBVAL_SKIP" not in join(cell["source"]), (
                f"{where}: the answer must be folded, not removed or skipped by the tests")


# JupyterLab shows a collapsed output as its first non-empty line of text (@jupyterlab/cells,
# CodeCell.getOutputPlaceholderText), in this order of preference of the first output's types.
PLACEHOLDER_TYPES = ("text/html", "image/svg+xml", "application/pdf", "text/markdown", "text/plain")


def placeholder_text(cell):
    """The line JupyterLab shows in place of a cell's collapsed outputs."""
    output = cell["outputs"][0]
    text = join(output["text"]) if "text" in output else next(
        (join(output["data"][kind]) for kind in PLACEHOLDER_TYPES if kind in output.get("data", {})), "")
    return next((line for line in text.split("\n") if line), "")


@pytest.mark.parametrize("notebook", PREDICTING_CHAPTERS, ids=[path.stem for path in PREDICTING_CHAPTERS])
def test_the_line_jupyterlab_shows_for_a_folded_answer_does_not_give_it(notebook):
    """A collapsed output still shows its first line in JupyterLab: it must not hold a number that the
    answer puts in bold (x.grad = 7.0 under "what is x.grad?" did)."""
    cells = json.loads(notebook.read_text())["cells"]
    for i, cell in enumerate(cells):
        source = join(cell["source"])
        if cell["cell_type"] != "markdown" or QUESTION not in source:
            continue
        answer = source.split(ANSWER, 1)[1]
        bold = {float(n) for span in re.findall(r"\*\*(.+?)\*\*", answer) for n in re.findall(r"-?\d+(?:\.\d+)?", span)}
        for revealing in revealing_cells(cells, i):
            if revealing.get("outputs"):
                shown = placeholder_text(revealing)
                numbers = {float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", shown)}
                assert not bold & numbers, (
                    f"{notebook.name}, cell {i}: JupyterLab shows {shown!r} in place of the folded output, "
                    f"which gives away {sorted(bold & numbers)}")
