"""Same page, same structure: every built page of the Korean site against its English twin.

The two editions come from the same sources (the Korean one through locales/ko and the Korean
notebooks of book/_ext/course_notebooks.py), so each Korean page must have exactly its twin's
structure: the same headings, foldable boxes (every one closed), images, code cells and their
outputs, admonitions, tables and math; and neither edition may show markup as text (a stray "::",
{term}, $...$ that MathJax will not see, **, <details> printed). The pages are read as built
(_build/html, `make book`), with the HTML parser of Beautiful Soup; tests/test_site.py opens them in
a browser.
"""
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import unavailable

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"


def english_pages():
    skip = {"_static", "_sources", "_images", "ko"}
    return sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html") if not skip & set(p.relative_to(SITE).parts))


def article(path):
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return soup.select_one("article.bd-article") or soup.body or soup


def _classes(element, keep):
    return " ".join(c for c in element.get("class", []) if c in keep or not keep)


OUTPUT_KINDS = {"output", "stream", "text_plain", "text_html", "text_latex", "stderr", "traceback", "image", "math"}
ADMONITIONS = ("note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error",
               "seealso", "admonition", "dropdown")


def structure(path):
    """What a page is made of, in order, without its words."""
    page = article(path)
    cells = []
    for cell in page.select("div.cell"):
        outputs = [f"{o.name} " + " ".join(sorted(set(o.get("class", [])) & OUTPUT_KINDS))
                   for o in cell.select(".cell_output > *")]
        cells.append({"input": bool(cell.select_one(".cell_input")), "outputs": outputs,
                      "images": len(cell.select(".cell_output img")), "tags": sorted(c for c in cell.get("class", []) if c.startswith("tag_"))})
    return {
        "headings": [h.name for h in page.find_all(re.compile(r"^h[1-6]$"))],
        "folding boxes": [_classes(d, ()) for d in page.find_all("details")],
        "open boxes": [_classes(d, ()) for d in page.find_all("details") if d.has_attr("open")],
        "images": len(page.find_all("img")),
        "code cells": cells,
        "admonitions": [_classes(a, ADMONITIONS) for a in page.select("div.admonition, aside.admonition")],
        "tables": [(len(t.find_all("tr")), max((len(r.find_all(["td", "th"])) for r in t.find_all("tr")), default=0))
                   for t in page.find_all("table")],
        "math": [("display" if m.name == "div" else "inline") for m in page.select(".math")],
        "code listings": len(page.find_all("pre")),
        "list items": [len(l.find_all("li", recursive=False)) for l in page.find_all(["ul", "ol"])],
        "quotes": len(page.find_all("blockquote")),
        "links to other pages": len(page.select("a.reference.internal")),
        "glossary terms": len(page.select("a.reference.internal .std-term, a.reference.internal span.xref.std.std-term")),
        "citations": len(page.select("a.reference.internal[href*='references']")),
    }


RAW = [("a stray '::'", re.compile(r"(?:^|\s)::(?:\s|$)")), ("a role as text", re.compile(r"\{(?:term|ref|doc|cite:?\w*|numref|eq|download)\}`")),
       ("a directive as text", re.compile(r"```\{|:::\{|^\{[a-z-]+\}", re.M)), ("unrendered bold", re.compile(r"\*\*\S")),
       ("HTML as text", re.compile(r"</?(?:details|summary|div|span|p|br)\b[^>]*>")), ("unrendered math", re.compile(r"\$[^$\s][^$]*\$|\$\$"))]


def raw_markup(path):
    """Markup a reader sees as text: in the article, without code, math and outputs."""
    page = article(path)
    for element in page.select("pre, code, .math, .cell_output, script, style, .MathJax"):
        element.decompose()
    text = page.get_text(" ")
    return [f"{what}: {match.group(0)!r} in …{text[max(0, match.start() - 40):match.end() + 40]!r}…"
            for what, pattern in RAW for match in pattern.finditer(text)][:5]


@pytest.fixture(scope="module")
def pages():
    if not (SITE / "ko" / "index.html").exists():
        unavailable(f"the site is not built in both editions ({SITE}/ko is missing): run `make book`")
    return english_pages()


@pytest.fixture(scope="module")
def structures(pages):
    """{(edition, page): structure} of every page that exists."""
    return {(edition, page): structure(SITE / edition / page) for page in pages for edition in ("", "ko/")
            if (SITE / edition / page).exists()}


def test_every_korean_page_has_its_twins_structure(pages, structures):
    problems = []
    for page in pages:
        if ("ko/", page) not in structures:
            problems.append(f"ko/{page} is missing")
            continue
        ours, theirs = structures["", page], structures["ko/", page]
        for part in ours:
            if ours[part] != theirs[part]:
                problems.append(f"ko/{page}: {part} differ:\n    English {ours[part]}\n    Korean  {theirs[part]}")
    assert not problems, f"{len(problems)} difference(s):\n" + "\n".join(problems)


def test_every_folding_box_is_closed_in_both_editions(structures):
    opened = [f"{edition}{page}: {found['open boxes']}" for (edition, page), found in structures.items()
              if found["open boxes"]]
    assert structures and not opened, "\n".join(opened)


def test_no_page_shows_markup_as_text(pages):
    found = [f"{edition}{page}: {problem}" for page in pages for edition in ("", "ko/")
             for problem in raw_markup(SITE / edition / page)]
    assert not found, f"{len(found)} piece(s) of markup shown as text:\n" + "\n".join(found)
