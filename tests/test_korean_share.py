"""How Korean the Korean chapters and exercises are where the learner reads the code.

On each built Korean chapter and exercise page (_build/html/ko, `make book`), the words of what the
code prints (its stream and text outputs) and of its comments (docstrings included: the learner reads
them as comments) are counted: a word with Hangul is Korean, a word of two Latin letters or more is
English unless it is code: Python's or NumPy's own (`True`, `nan`, `AssertionError`, `float32`), a
name of the page's code (`dout`), math or the course's notation (exp, dx, dW). A name of the code
that is also a word of the English page's prose (`gradient`, `shape`, `price`, `is`, `and`) is an
English word where it stands in text. At least 60% of the printed words and 80% of the comments'
words must be Korean. The shares of every page are written to artifacts/korean-shares.txt.
"""
import builtins
import io
import keyword
import re
import tokenize
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from backprop_lib.code_words import words
from conftest import unavailable

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html" / "ko"
ARTIFACTS = ROOT / "artifacts"
PAGES = [f"{folder}/{p.stem}" for folder in ("chapters", "exercises")
         for p in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb"))]
SHARES = {"printed outputs": 0.60, "code comments": 0.80}
HANGUL = re.compile("[\uac00-\ud7a3]")
# Python's and NumPy's own words as a program prints them: Python's constants and exceptions (capitalised),
# NumPy's values and types (its functions print as np.where or where(...), which are no words already).
PYTHON_WORDS = {w.lower() for w in [*(k for k in keyword.kwlist if k[0].isupper()),
                                    *(b for b in dir(builtins) if b[0].isupper()),
                                    "dtype", "float32", "float64", "int64", "nan", "inf", "ndarray", "numpy", "np"]}


def code_names(page):
    """The names of a page's code (variables, functions, attributes), lower-cased."""
    names = set()
    for cell in nbformat.read(ROOT / f"{page}.ipynb", as_version=4).cells:
        if cell.cell_type != "code":
            continue
        try:
            names |= {t.string.lower() for t in tokenize.generate_tokens(io.StringIO(cell.source).readline)
                      if t.type == tokenize.NAME}
        except (tokenize.TokenError, SyntaxError):
            pass
    return names


PROSE_CODE = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", re.S)


def prose_words(page):
    """The words of the English page's own prose (its Markdown without code spans and math), lower-cased."""
    return {w.lower() for cell in nbformat.read(ROOT / f"{page}.ipynb", as_version=4).cells
            if cell.cell_type == "markdown" for w in words(PROSE_CODE.sub(" ", cell.source))}


def own_words(page):
    """The words that are code on a page: Python's, NumPy's and the page's names, less its prose's words."""
    return (PYTHON_WORDS | code_names(page)) - prose_words(page)


GLOSS = re.compile(r"(?<=[\uac00-\ud7a3])\([A-Za-z][A-Za-z ,'-]*\)")  # 형상(shape): a term glossed, as the notes do
CODE_SPAN = re.compile(r"`[^`]*`")  # a docstring's code, `params[key] -= ...`
ACRONYM = re.compile(r"[A-Z]{2,}")  # SGD, MNIST: names, in Korean text too


def count(texts, own_words):
    """(Korean words, English words) of some texts."""
    korean = english = 0
    for text in texts:
        korean += sum(1 for token in text.split() if HANGUL.search(token))
        text = CODE_SPAN.sub(" ", GLOSS.sub(" ", text))
        english += sum(1 for word in words(HANGUL.sub(" ", text))
                       if word.lower() not in own_words and not ACRONYM.fullmatch(word))
    return korean, english


def read_page(page):
    """(printed outputs, comments) of a built Korean page."""
    soup = BeautifulSoup((SITE / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    printed = [o.get_text() for o in soup.select(".cell_output .output.stream, .cell_output .output.text_plain")]
    comments = [c.get_text().lstrip("#").strip() for c in soup.select(".cell_input pre span.c1, .cell_input pre span.c,"
                                                                          " .cell_input pre span.sd")
                if not c.get_text().lstrip("#").strip().startswith(("NBVAL_", "noqa"))]
    return printed, comments


@pytest.fixture(scope="module")
def shares():
    if not (SITE / "index.html").exists():
        unavailable(f"the Korean site is not built ({SITE}): run `make book`")
    found = {}
    for page in PAGES:
        own = own_words(page)
        found[page] = dict(zip(SHARES, (count(texts, own) for texts in read_page(page))))
    lines = []
    for page, parts in found.items():
        cells = [f"{part} {k}/{k + e} = {k / (k + e):.0%}" if k + e else f"{part}: no words" for part, (k, e) in parts.items()]
        lines.append(f"{page}: " + "; ".join(cells))
    for folder in ("chapters", "exercises"):  # all pages together, for the record (the test asks it of each)
        totals = [[sum(found[p][part][i] for p in found if p.startswith(folder)) for i in (0, 1)] for part in SHARES]
        lines.append(f"all {folder}: " + "; ".join(f"{part} {k}/{k + e} = {k / (k + e):.0%}" if k + e else
                                                   f"{part}: no words" for part, (k, e) in zip(SHARES, totals)))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "korean-shares.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return found, lines


@pytest.mark.parametrize("part", list(SHARES))
def test_the_korean_pages_read_in_korean_where_the_code_speaks(shares, part):
    found, lines = shares
    below = [page for page, parts in found.items() if sum(parts[part]) and parts[part][0] / sum(parts[part]) < SHARES[part]]
    measured = sum(1 for parts in found.values() if sum(parts[part]))
    assert measured >= len([p for p in PAGES if p.startswith("chapters/")]), f"{part}: only {measured} pages have any words"
    assert not below, (f"{part}: below {SHARES[part]:.0%} Korean on {len(below)} of {measured} pages "
                       f"({', '.join(below)}); every page:\n" + "\n".join(lines))
