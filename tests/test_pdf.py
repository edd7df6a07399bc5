"""The printable book: each edition as one PDF (scripts/pdf.py, the last step of `make book`), read
with poppler's tools (Debian's poppler-utils, installed by scripts/system-deps.sh) as a reader's PDF
viewer would: enough pages, page numbers, every font embedded, a bookmark outline with every chapter
title, every figure of the chapters, and the formulas typeset (no TeX source left in the text).
"""
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import unavailable

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
PDFS = {"en": SITE / "backprop-course-en.pdf", "ko": SITE / "ko" / "backprop-course-ko.pdf"}
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def poppler(tool, *args):
    if shutil.which(tool) is None:
        unavailable(f"{tool} is missing: apt-get install poppler-utils (scripts/system-deps.sh)")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module", params=sorted(PDFS))
def book(request):
    lang, pdf = request.param, PDFS[request.param]
    if not pdf.exists():
        unavailable(f"{pdf.relative_to(ROOT)} is missing: run `make book` (scripts/pdf.py makes it)")
    return lang, pdf


def chapter_titles(lang):
    """Each chapter's title as the edition's site shows it (the <title> of its page, before ' — ')."""
    site = SITE / "ko" if lang == "ko" else SITE
    titles = []
    for notebook in CHAPTERS:
        page = (site / "chapters" / f"{notebook.stem}.html").read_text(encoding="utf-8")
        title = html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1))
        titles.append(re.split(r"\s+[—|–-]\s+", title.strip())[0].strip())
    return titles


def outline(pdf):
    """The bookmark outline's titles, from pdftohtml's XML (poppler)."""
    xml = poppler("pdftohtml", "-xml", "-i", "-stdout", "-q", str(pdf))
    found = re.search(r"<outline>(.*)</outline>", xml, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in
            re.findall(r"<item[^>]*>(.*?)</item>", found.group(1), re.S)] if found else []


def normalise(text):
    return " ".join(text.split())


def squeezed(text):
    """Without any space: Chromium's outline joins a heading's wrapped lines without one."""
    return "".join(text.split())


def test_the_book_is_long_with_page_numbers(book):
    lang, pdf = book
    info = poppler("pdfinfo", str(pdf))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages >= 60, f"{pdf.name}: {pages} pages"
    assert "Tagged:          yes" in info, info  # structure for screen readers
    first, last = (poppler("pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-") for n in (3, pages))
    assert re.search(rf"\b3 / {pages}\b", first), f"no page number 3 / {pages} on page 3"
    assert re.search(rf"\b{pages} / {pages}\b", last), f"no page number on the last page"


def test_every_font_is_embedded(book):
    lang, pdf = book
    rows = poppler("pdffonts", str(pdf)).splitlines()[2:]
    assert rows, "no fonts"
    # columns: name type encoding emb sub uni object ID; 'emb' is the fourth field from the right end
    not_embedded = [row for row in rows if row.split()[-5] != "yes"]
    assert not not_embedded, "fonts not embedded:\n" + "\n".join(not_embedded)
    if lang == "ko":
        assert any("Nanum" in row for row in rows), rows


def test_the_outline_has_every_chapter(book):
    lang, pdf = book
    bookmarks = [normalise(b) for b in outline(pdf)]
    assert len(bookmarks) >= 40, bookmarks
    for title in chapter_titles(lang):
        assert any(squeezed(title) in squeezed(b) for b in bookmarks), f"{title!r} is not in the outline: {bookmarks}"
    doubled = [b for b in bookmarks if re.fullmatch(r"(.{3,})\1", squeezed(b))]
    assert not doubled, f"headings printed twice: {doubled}"
    if lang == "ko":
        assert sum(bool(HANGUL.search(b)) for b in bookmarks) > len(bookmarks) / 2, bookmarks


def test_every_chapter_title_and_figure_is_in_the_book(book):
    lang, pdf = book
    text = normalise(poppler("pdftotext", str(pdf), "-"))
    for title in chapter_titles(lang):
        assert normalise(title) in text, f"{title!r} is not in the text of {pdf.name}"
    figures = sum("image/png" in output.get("data", {}) for notebook in CHAPTERS
                  for cell in json.loads(notebook.read_text())["cells"] for output in cell.get("outputs", []))
    images = [row for row in poppler("pdfimages", "-list", str(pdf)).splitlines()[2:] if row.split()[2] == "image"]
    assert len(images) >= figures >= 30, f"{pdf.name}: {len(images)} images for the chapters' {figures} figures"


def prose_math():
    """The TeX of every formula in the chapters' text (Markdown cells) that has a command (\\frac, ...)."""
    found = set()
    for notebook in CHAPTERS:
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                source = "".join(cell["source"])
                found |= {normalise(m) for m in re.findall(r"\$\$(.+?)\$\$|\$([^$\n]+)\$", source, re.S)
                          for m in m if "\\" in m and len(m) > 6}
    return found


def prose_roles():
    """Every MyST role of the chapters' text with the two words before it ("is the {term}`chain rule`"):
    the page shows "is the chain rule", a link. (The glossary shows the role itself, as code.)"""
    return {normalise(m.group(0)) for notebook in CHAPTERS for cell in json.loads(notebook.read_text())["cells"]
            if cell["cell_type"] == "markdown"
            for m in re.finditer(r"\w+ \w+ \{[\w:-]+\}`[^`]+`", normalise("".join(cell["source"])))}


def test_the_math_is_typeset_and_no_markup_is_raw(book):
    lang, pdf = book
    text = normalise(poppler("pdftotext", str(pdf), "-"))
    formulas = prose_math()
    assert len(formulas) >= 50, formulas
    raw = sorted(tex for tex in formulas if tex in text)  # a formula's TeX printed as text: not typeset
    assert not raw, f"{pdf.name} prints {len(raw)} formulas as raw TeX, e.g. {raw[:3]}"
    for markup in ("$$", "\\begin{", ":::{", "```{", "<details", "</summary>", "NBVAL_"):
        assert markup not in text, f"{pdf.name} shows raw markup {markup!r}"
    roles = sorted(role for role in prose_roles() if role in text)  # {term}`chain rule` left as it is
    assert not roles, f"{pdf.name} shows roles unrendered: {roles[:5]}"
    assert "∂" in text or "𝜕" in text, "no typeset partial derivative in the text"
