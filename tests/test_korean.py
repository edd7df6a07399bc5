"""The Korean edition (book/_ext/course_i18n.py, scripts/korean.py, locales/ko): every message of
the course translated, translations that keep the English's math, code and numbers, notebooks in
Korean for download, the link to the twin page, and Korean search. The machinery is also tested
on a small book of its own; the built site is tested in a browser by tests/test_site.py.
"""
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "book" / "_ext"))
sys.path.insert(0, str(REPO / "scripts"))
from course_i18n import PARTICLES, SearchKorean, stem_korean, twin_page  # noqa: E402
import korean  # noqa: E402  (scripts/korean.py)

NOTEBOOKS = sorted((REPO / "chapters").glob("[0-9][0-9]_*.ipynb")) + sorted((REPO / "exercises").glob("[0-9][0-9]_*.ipynb"))


def test_every_message_of_the_course_is_translated(tmp_path):
    """Every page's English messages (extracted again now) and every message of the code (checks,
    grader reports, figures) have a Korean translation that is not fuzzy and keeps what it must."""
    found = korean.problems(korean.extract(tmp_path / "gettext"))
    assert not found, f"{len(found)} problem(s), e.g.:\n" + "\n".join(found[:20])


@pytest.mark.parametrize("msgid, msgstr, problem", [
    ("Apply the {term}`chain rule`.", "{term}`연쇄법칙 <chain rule>`을 적용합니다.", None),
    ("Apply the {term}`chain rule`.", "{term}`연쇄법칙`을 적용합니다.", "roles differ"),
    ("Here $y = xW$ and `dout`.", "여기서 $y = Wx$이고 `dout`입니다.", "math differ"),
    ("Here $y = xW$ and `dout`.", "여기서 $y = xW$이고 `dx`입니다.", "code differ"),
    ("A batch of 100 images.", "이미지 10개의 배치.", "numbers missing: 100"),
    ("See [exercise 4](../exercises/04_matmul.ipynb).", "[연습문제 4](04_matmul.ipynb)를 보세요.", "links differ"),
    ("<details>\n<summary>Answer</summary>\n", "<details>\n<summary>답</summary>\n", None),
    ("\nz = x + y\n", "\nz = y + x\n", "copied unchanged"),
    ("Keep `W{i}` and `b{i}`.", "`W{i}`와 `b{i}`를 유지합니다.", None),
])
def test_a_translation_keeps_math_code_targets_and_numbers(msgid, msgstr, problem):
    found = korean.lint(msgid, msgstr)
    assert (problem is None and not found) or (problem and any(problem in f for f in found)), found


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_korean_notebook_has_every_message_and_the_same_code(notebook):
    """The Korean notebook (what the Korean site executes and offers for download): its text cells and
    the words of its code from the catalogue, every message placed, the code itself the English code
    token for token (backprop_lib/code_words.py), the outputs left to the Korean execution, and
    metadata.backprop.language = "ko" (the visible checks and the grader then speak Korean)."""
    from backprop_lib import code_words

    translated, missing = korean.korean_notebook(notebook)
    assert not missing, f"messages not found in the notebook: {[m[:60] for m in missing]}"
    english = nbformat.read(notebook, as_version=4)
    assert translated.metadata["backprop"]["language"] == "ko"
    assert len(english.cells) == len(translated.cells)
    for before, after in zip(english.cells, translated.cells):
        assert before.cell_type == after.cell_type and before.get("metadata") == after.get("metadata")
        if before.cell_type == "code":
            assert code_words.same_code(before.source, after.source), (before.source, after.source)
            assert after.outputs == []
    hangul = [c for c in translated.cells if c.cell_type == "markdown" and any("\uac00" <= ch <= "\ud7a3" for ch in c.source)]
    assert len(hangul) == len([c for c in english.cells if c.cell_type == "markdown" and c.source.strip()])
    pieces = [p for c in english.cells if c.cell_type == "code" for p in code_words.pieces(c.source)]
    untranslated = [p.text[:60] for c in translated.cells if c.cell_type == "code" for p in code_words.pieces(c.source)
                    if p.kind == "comment" and not any("\uac00" <= ch <= "\ud7a3" for ch in p.text)]
    assert not untranslated, f"{len(untranslated)} of the {len(pieces)} comments and strings are still English"


def test_the_korean_site_offers_the_korean_notebooks_executed_in_korean():
    """The download button of a Korean page gives the Korean notebook, a chapter with the outputs of its
    Korean execution."""
    from backprop_lib import code_words

    site = REPO / "_build" / "html" / "ko" / "_sources"
    if not site.exists():
        pytest.fail("the Korean edition is not built: run `make book`")
    for notebook in NOTEBOOKS:
        built = nbformat.read(site / notebook.parent.name / notebook.name, as_version=4)
        english = nbformat.read(notebook, as_version=4)
        assert built.metadata.get("backprop", {}).get("language") == "ko", notebook.name
        assert built.cells[0].source != english.cells[0].source
        assert all(code_words.same_code(e.source, k.source) for e, k in zip(english.cells, built.cells)
                   if e.cell_type == "code")
        if notebook.parent.name == "chapters":
            ran = [c for c in built.cells if c.cell_type == "code"]
            assert ran and all(c.execution_count for c in ran), f"{notebook.name}: not executed"
            assert [bool(c.outputs) for c in ran] == [bool(c.outputs) for c in english.cells if c.cell_type == "code"]


@pytest.mark.parametrize("word, stem", [
    ("연쇄법칙을", "연쇄법칙"), ("연쇄법칙은", "연쇄법칙"), ("역전파에서", "역전파"), ("기울기를", "기울기"),
    ("연쇄법칙", "연쇄법칙"), ("평가", "평가"),  # two syllables must stay: 평가 is not 평 + 가
    ("affine", "affine"), ("x1", "x1"),
])
def test_a_trailing_particle_is_dropped(word, stem):
    assert stem_korean(word) == stem


def test_the_browser_drops_the_same_particles_as_the_index():
    """The query is stemmed by JavaScript in the reader's browser, the index by Python at build time."""
    node = shutil.which("node")
    assert node, "Node.js is needed (the site's scripts come from npm): apt-get install nodejs npm"
    words = ["연쇄법칙을", "역전파는", "계산그래프에서", "평가", "노드로", "Affine", "기울기"]
    script = SearchKorean.js_stemmer_code + f"\nconst s = new Stemmer(); console.log(JSON.stringify({json.dumps(words)}.map(w => s.stemWord(w))));"
    found = json.loads(subprocess.run([node, "-e", script], capture_output=True, text=True, check=True).stdout)
    assert found == [stem_korean(w.lower()) for w in words]
    assert len(set(PARTICLES)) == len(PARTICLES)


@pytest.mark.parametrize("pagename, language, url", [
    ("book/intro", "en", "../ko/book/intro.html"),
    ("book/intro", "ko", "../../book/intro.html"),
    ("index", "en", "ko/index.html"),
    ("chapters/02_chain_rule", "ko", "../../chapters/02_chain_rule.html"),
])
def test_the_language_switch_leads_to_the_twin_page(pagename, language, url):
    assert twin_page(pagename, language)[1] == url


ANSWER_BOX = '<details class="answer">\n<summary>Answer</summary>\n'  # raw HTML, a message of its own


@pytest.fixture(scope="module")
def korean_book(tmp_path_factory):
    """A two-page book (a Markdown page and a notebook) built in Korean from a catalogue."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po
    from jupyter_book.sphinx import build_sphinx

    root = tmp_path_factory.mktemp("book")
    (root / "_config.yml").write_text(textwrap.dedent(f"""\
        title: A small book
        execute: {{execute_notebooks: "off"}}
        sphinx:
          local_extensions: {{course_i18n: {REPO / 'book' / '_ext'}}}
          config:
            locale_dirs: ["locales"]
            gettext_compact: false
            gettext_additional_targets: ["raw"]
            templates_path: ["{REPO / 'book' / '_templates'}"]
            html_theme_options:
              article_header_end: ["article-header-buttons.html", "language-switch.html"]
        """))
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nparts:\n  - caption: Chapters\n"
                                   "    chapters:\n      - file: chain\n")
    (root / "intro.md").write_text("# Introduction\n\nBackpropagation is the chain rule.\n")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"},
                                            "language_info": {"name": "python"}}, cells=[
        nbformat.v4.new_markdown_cell("# The chain rule\n\nApply the chain rule one node at a time."),
        nbformat.v4.new_code_cell("print(2 + 3)", outputs=[nbformat.v4.new_output("stream", text="5\n")]),
        nbformat.v4.new_markdown_cell(f"Predict the product.\n\n{ANSWER_BOX}\nIt is 6.\n\n</details>"),
        nbformat.v4.new_code_cell("print(2 * 3)", metadata={"tags": ["hide-output"]},
                                  outputs=[nbformat.v4.new_output("stream", text="6\n")])])
    nbformat.write(nb, root / "chain.ipynb")
    messages = {"chain": {"The chain rule": "연쇄법칙",
                          "Apply the chain rule one node at a time.": "역전파는 연쇄법칙을 노드 하나씩 적용합니다.",
                          "Predict the product.": "곱을 예측해 보세요.", "It is 6.": "6입니다.",
                          ANSWER_BOX: ANSWER_BOX.replace("Answer", "답")},
                "intro": {"Introduction": "들어가며", "Chapters": "장"}}
    for page, pairs in messages.items():
        catalog = Catalog(locale="ko")
        for english, korean in pairs.items():
            catalog.add(english, korean)
        po = root / "locales" / "ko" / "LC_MESSAGES" / f"{page}.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        with po.open("wb") as f:
            write_po(f, catalog)
    out = root / "_build" / "html" / "ko"
    status = build_sphinx(root, out, noconfig=True, path_config=str(root / "_config.yml"),
                          confoverrides={"external_toc_path": str(root / "_toc.yml"), "language": "ko",
                                         "latex_individualpages": False},
                          builder="html", doctreedir=str(root / "_build" / ".doctrees"),
                          warningiserror=True, quiet=True)
    assert status == 0
    return out


def test_a_notebook_is_translated_and_its_code_and_outputs_are_not(korean_book):
    html = (korean_book / "chain.html").read_text(encoding="utf-8")
    assert "역전파는 연쇄법칙을 노드 하나씩 적용합니다." in html and "Apply the chain rule" not in html
    assert "print" in html and "5" in html


def test_each_korean_page_links_to_its_english_twin(korean_book):
    html = (korean_book / "chain.html").read_text(encoding="utf-8")
    assert 'class="btn btn-sm language-switch" href="../chain.html" hreflang="en"' in html


def test_the_sidebar_captions_are_translated(korean_book):
    html = (korean_book / "chain.html").read_text(encoding="utf-8")
    assert '<p aria-level="2" class="caption" role="heading"><span class="caption-text">장</span>' in html


def test_the_korean_search_index_holds_words_without_their_particles(korean_book):
    text = (korean_book / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1: text.rindex(")")])
    assert "역전파" in index["terms"] and "역전파는" not in index["terms"]
    assert "연쇄법칙" in index["titleterms"] and "연쇄법칙을" not in index["terms"]  # a title's word is kept once


def test_a_translated_folding_box_stays_a_folding_box(korean_book):
    """Raw HTML in a notebook's Markdown (the <details> of an answer or a hint) is translated as HTML: Sphinx
    hands it over as a reST literal block, which MyST used to read as a paragraph "::" that replaced the
    opening <details>; the browser then showed the answer in the open."""
    html = (korean_book / "chain.html").read_text(encoding="utf-8")
    assert '<details class="answer">\n<summary>답</summary>' in html
    assert "6입니다." in html and "::" not in html.split('<article', 1)[1]


def test_a_folded_output_is_labelled_in_korean(korean_book):
    """MyST-NB's toggle of a hidden output says what it shows, in the page's language."""
    html = (korean_book / "chain.html").read_text(encoding="utf-8")
    assert '<p class="collapsed admonition-title">실행 결과 보기</p>' in html
    assert '<p class="expanded admonition-title">실행 결과 숨기기</p>' in html
    assert "Show code cell" not in html and "코드 보기" not in html
