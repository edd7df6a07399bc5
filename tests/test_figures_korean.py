"""Figures and widgets in Korean: words from the catalogue, Hangul without tofu, the
English figures as they were, and each figure drawn and described in the language its notebook
runs in, which on the site is the page's (backprop_lib/figures.py, book/_ext/course_i18n.py).
"""
import base64
import io
import logging
import re
import textwrap
from collections import Counter
import warnings
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
from babel.messages.pofile import read_po
from nbclient import NotebookClient

from backprop_lib import draw, nudges, training, widgets
from backprop_lib.figures import CourseFigure, described, figure_metadata, hangul_font, texts

REPO = Path(__file__).resolve().parent.parent
PO = REPO / "backprop_lib" / "locale" / "ko" / "LC_MESSAGES" / "backprop.po"
HANGUL = re.compile("[\uac00-\ud7a3]")
HISTORY = {"loss": [2.3, 1.2, 0.6, 0.4], "iteration_of_eval": [0, 3], "train_acc": [0.1, 0.8],
           "test_acc": [0.1, 0.7]}
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]


@pytest.fixture(scope="module")
def catalogue():
    with PO.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and m.string}


def _grads(rng):
    return {"b2": rng.normal(size=10) * 0.1, "W2": rng.normal(size=(50, 10)), "W1": rng.normal(size=(784, 50))}


def _figures_with_words(lang):
    """Every figure of the library that has words, drawn in `lang` (name -> Figure)."""
    rng = np.random.default_rng(0)
    grads, h = _grads(rng), np.abs(rng.normal(size=50))
    x, t = rng.uniform(size=(60, 784)), np.repeat(np.arange(10), 6)
    path = np.cumsum(rng.normal(size=(26, 2)), axis=0)
    w_grid, b_grid = np.meshgrid(np.linspace(-2, 3, 20), np.linspace(-2, 2, 20))
    return {
        "apple_graph": draw.apple_graph(lang=lang),
        "apple_orange_graph": draw.apple_orange_graph(lang=lang),
        "branch_graph": draw.branch_graph(lang=lang),
        "softmax_with_loss_graph": draw.softmax_with_loss_graph(title="Softmax-with-Loss as one layer", lang=lang),
        "chapter 1's graph": draw.draw_graph({"rest": draw.Node("other items\n(a complicated graph)", (0, 0.6), "box"),
                                              "add": draw.Node("+", (3, 0)),
                                              "total": draw.Node("total", (4.6, 0), "output")},
                                             [draw.Edge("rest", "add", 4000), draw.Edge("add", "total", 4220)],
                                             lang=lang),
        "sigmoid_figure": widgets.sigmoid_figure(marked=(-1.5, 1.5), lang=lang),
        "softmax_figure": widgets.softmax_figure([((0.3, 2.9, 4.0), 2)], lang=lang),
        "playground_figure": widgets.playground_figure(
            {1.0: [1.1, 0.9, 0.7]}, next(widgets.playground_run(iters_num=3))[0], 3, 1.0, lang=lang),
        "hidden_wishes_figure": nudges.hidden_wishes_figure(rng.normal(size=(5, 3)), np.array([0.2, 0.3, 0.5]),
                                                            np.array([0, 0, 1.0]), 2, lang=lang),
        "example_nudges_figure": nudges.example_nudges_figure(x[0], grads, h, 9, CLASSES, lang=lang),
        "first_layer_nudges_figure": nudges.first_layer_nudges_figure(grads["W1"], rng.normal(size=50),
                                                                      [3, 1, 4, 1], lang=lang),
        "batch_nudges_figure": nudges.batch_nudges_figure(rng.normal(size=(8, 10)), rng.normal(size=10),
                                                          t[:8], CLASSES, lang=lang),
        "plot_history": training.plot_history(HISTORY, lang=lang),
        "descent_figure": training.descent_figure(w_grid, b_grid, w_grid**2 + b_grid**2 + 0.1, path, path[::-1],
                                                  (np.arange(1, 4), [3.0, 2.0, 1.0]), (np.arange(1, 4), [3, 1, 2]),
                                                  batch_sizes=(200, 5), lang=lang),
        "answers_figure": training.answers_figure(x, t, (t + (np.arange(60) % 6 > 2)) % 10, CLASSES, lang=lang),
    }


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=60, metadata={"Software": None})
    return buffer.getvalue()


def test_a_font_with_hangul_is_found():
    assert hangul_font() == "NanumGothic", "install Nanum Gothic: apt-get install fonts-nanum (scripts/system-deps.sh)"


@pytest.fixture(scope="module")
def korean_figures():
    return _figures_with_words("ko")


@pytest.fixture(scope="module")
def english_figures():
    return _figures_with_words("en")


def test_korean_figures_show_the_catalogues_words(korean_figures, english_figures, catalogue):
    for name, figure in korean_figures.items():
        korean, english = texts(figure), texts(english_figures[name])
        assert any(HANGUL.search(text) for text in korean), f"{name}: no Korean text in {korean}"
        assert len(korean) == len(english), f"{name}: the Korean figure has other texts than the English one"
        # nothing that the catalogue knows is left in English
        left = [text for text in korean if text in catalogue and catalogue[text] != text]
        assert not left, f"{name}: untranslated words {left}"
        # each English text with words is drawn as the catalogue's translation, or contains it
        for en, ko in zip(english, korean):
            if en in catalogue:
                assert ko == catalogue[en], f"{name}: {en!r} drawn as {ko!r}, catalogue says {catalogue[en]!r}"


def test_the_catalogues_translations_reach_the_figures(korean_figures, catalogue):
    drawn = {text for figure in korean_figures.values() for text in texts(figure)}
    for english in ("apple", "apple num", "tax", "price", "orange num", "Cross\nEntropy\nError", "total",
                    "iteration", "accuracy", "scores a", "Ankle boot", "average"):
        assert catalogue[english] in drawn, f"{english!r} -> {catalogue[english]!r} is in no Korean figure"


def test_korean_figures_have_every_glyph(korean_figures, caplog):
    """Rendering warns 'Glyph ... missing from font(s)' for a character no font has (a tofu box)."""
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, "matplotlib"):
        warnings.simplefilter("always")
        for figure in korean_figures.values():
            _png(figure)
    problems = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not problems, problems


def test_korean_text_is_never_math(catalogue):
    """Mathtext has no Hangul: a Korean message with Hangul writes its math in Unicode, not $...$."""
    mixed = [ko for ko in catalogue.values() if HANGUL.search(ko) and re.search(r"\$[^$]+\$", ko)]
    assert not mixed, mixed


# TeX as the reader would see it printed: a command (\partial), a braced sub- or superscript (W_{2,jk}),
# or a subscript written with an underscore (h_j); mathtext between $...$ is drawn, not printed.
RAW_TEX = re.compile(r"\\[A-Za-z]+|[_^]\{|(?<![A-Za-z0-9])[A-Za-z]_[A-Za-z0-9(]")


def printed_tex(text):
    return RAW_TEX.findall(re.sub(r"(?<!\\)\$[^$]+\$", "", text))


@pytest.mark.parametrize("language", ["en", "ko"])
def test_no_figure_prints_raw_tex(language, korean_figures, english_figures):
    """Chapter 9's labels once printed W_{2,jk} and h_j in Korean as raw TeX: math in figures is drawn,
    as mathtext in a text that has no Hangul, or in Unicode (W₂,ⱼₖ, ∂L/∂hⱼ)."""
    assert printed_tex("몫 W_{2,jk}") and printed_tex("활성화 h_j") and not printed_tex("$h_{3}$ hⱼ")
    figures = korean_figures if language == "ko" else english_figures
    printed = {name: [t for t in texts(figure) if printed_tex(t)] for name, figure in figures.items()}
    assert not {name: shown for name, shown in printed.items() if shown}


def test_operation_nodes_keep_their_names():
    """×, sum, repeat are operations, as in the code: only the inputs' and outputs' words change."""
    assert "sum" in texts(draw.sum_graph(lang="ko"))
    assert "repeat" in texts(draw.repeat_graph(lang="ko"))


def test_english_figures_are_unchanged_by_korean_ones(english_figures):
    """Drawing Korean figures changes no setting: an English figure's PNG is the same before and after."""
    rc = dict(matplotlib.rcParams)
    some = {"graph": lambda lang: draw.apple_orange_graph(lang=lang),
            "bars": lambda lang: widgets.softmax_figure([((0.3, 2.9, 4.0), 2)], lang=lang),
            "curves": lambda lang: training.plot_history(HISTORY, lang=lang)}
    before = {name: _png(make("en")) for name, make in some.items()}
    for make in some.values():
        _png(make("ko"))
    after = {name: _png(make("en")) for name, make in some.items()}
    assert before == after
    assert dict(matplotlib.rcParams) == rc
    for name, figure in english_figures.items():
        assert not any(HANGUL.search(text) for text in texts(figure)), name


def test_the_learners_language_chooses(monkeypatch):
    monkeypatch.setenv("BACKPROP_LANG", "ko")
    assert "사과" in texts(draw.apple_graph())
    assert widgets.graph_explorer(static=False).controls["apple_num"].description == "사과 개수"
    monkeypatch.setenv("BACKPROP_LANG", "en")
    assert "apple" in texts(draw.apple_graph())
    assert widgets.graph_explorer(static=False).controls["apple_num"].description == "apple num"


def test_a_figure_remakes_itself_in_korean():
    figure = draw.apple_graph(lang="en")
    korean = figure.remake(lang="ko")
    assert isinstance(korean, CourseFigure) and korean.lang == "ko"
    assert "사과" in texts(korean) and "사과" not in texts(figure)
    static = widgets.sigmoid_explorer(static=True)
    assert any("접선 기울기" in text for text in texts(static.remake("ko").figure))


def test_a_figure_carries_its_description_in_its_own_language_only():
    assert set(figure_metadata(draw.apple_graph(lang="en"))["backprop"]) == {"en"}
    assert set(figure_metadata(draw.apple_graph(lang="ko"))["backprop"]) == {"ko"}


def _run(cells, tmp_path, env=None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute(
        env=env)
    return [cell.outputs for cell in nb.cells]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_notebook_draws_and_describes_its_figures_in_its_language(tmp_path, language):
    """A real kernel, as each edition's build runs one (BACKPROP_LANG): the PNG is drawn in that language
    and its metadata carries the text alternative in that language only; a pyplot-free CourseFigure
    still shows a PNG."""
    outputs = _run(["from backprop_lib import draw, training, widgets",
                    "draw.apple_graph()", "draw.sum_graph()", "widgets.softmax_explorer()",
                    f"training.plot_history({HISTORY!r})"], tmp_path, env={"BACKPROP_LANG": language})
    for index in (1, 2, 3, 4):
        (output,) = outputs[index]
        assert base64.b64decode(output["data"]["image/png"]).startswith(b"\x89PNG")
        assert set(output["metadata"]["backprop"]) == {language}, output["metadata"]
        alt = output["metadata"]["backprop"][language]["alt"]
        assert bool(HANGUL.search(alt)) == (language == "ko"), alt
    assert ("apple 100" if language == "en" else "사과 100") in outputs[1][0]["metadata"]["backprop"][language]["alt"]
    assert "details" in outputs[4][0]["metadata"]["backprop"][language]  # the training curves: a long description


def test_each_site_takes_the_text_alternative_in_its_language(tmp_path):
    """A small book from a notebook whose figure carries descriptions: each edition's build
    (book/_ext/course_i18n.py) gives the <img> the alt text of its language, and shows the picture
    the notebook holds (each edition runs its own notebooks, in its language)."""
    from jupyter_book.sphinx import build_sphinx

    english = draw.apple_graph(lang="en")._repr_png_()
    plain = draw.sum_graph(lang="en")._repr_png_()
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}}, cells=[
        nbformat.v4.new_markdown_cell("# Figures"),
        nbformat.v4.new_code_cell("apple_graph()", outputs=[nbformat.v4.new_output(
            "execute_result", data={"image/png": b64(english), "text/plain": "<GraphFigure>"},
            metadata={"backprop": {"en": {"alt": "the apple graph", "details": "more & more"},
                                   "ko": {"alt": "사과 그래프"}}}, execution_count=1)]),
        nbformat.v4.new_code_cell("sum_graph()", outputs=[nbformat.v4.new_output(
            "execute_result", data={"image/png": b64(plain), "text/plain": "<GraphFigure>"}, execution_count=2)])])
    nbformat.write(nb, tmp_path / "figures.ipynb")
    (tmp_path / "_config.yml").write_text(textwrap.dedent(f"""\
        title: Figures
        execute: {{execute_notebooks: "off"}}
        sphinx:
          local_extensions: {{course_i18n: {REPO / 'book' / '_ext'}}}
          config: {{templates_path: ["{REPO / 'book' / '_templates'}"]}}
        """))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: figures\n")
    images, alts, descriptions = {}, {}, {}
    for language in ("en", "ko"):
        out = tmp_path / "_build" / language
        status = build_sphinx(tmp_path, out, noconfig=True, path_config=str(tmp_path / "_config.yml"),
                              confoverrides={"external_toc_path": str(tmp_path / "_toc.yml"), "language": language,
                                             "latex_individualpages": False},
                              builder="html", doctreedir=str(tmp_path / "_build" / f".doctrees-{language}"),
                              warningiserror=True, quiet=True)
        assert status == 0
        html = (out / "figures.html").read_text()
        images[language] = [(out / src).read_bytes() for src in re.findall(r'<img [^>]*src="([^"]+)"', html)]
        alts[language] = re.findall(r'<img [^>]*alt="([^"]*)"', html)
        descriptions[language] = re.findall(r'<details class="figure-description"><summary>([^<]*)</summary>'
                                            r'<p>([^<]*)</p>', html)
    assert images["en"] == images["ko"] == [english, plain]
    assert alts["en"][0] == "the apple graph" and alts["ko"][0] == "사과 그래프"
    assert descriptions == {"en": [("Description of the figure", "more &amp; more")], "ko": []}


SITE = REPO / "_build" / "html"
# The chapters' figures without words: the Korean pages show the English picture.
NO_WORDS = ("add_node_graph(", "mul_node_graph(", "repeat_graph(", "sum_graph(", "chain_rule_graph(",
            "matmul_graph(", "a_svm = np.array(")  # the last: chapter 7's hinge loss


def _page_images(page):
    html = page.read_text(encoding="utf-8")
    return [(page.parent / src).read_bytes() for src in re.findall(r'<img [^>]*src="([^"]+)"', html)
            if "_images/" in src]


def _expected_same(notebook):
    """For each image output of a chapter, in order: True when its figure has no words."""
    nb = nbformat.read(notebook, as_version=4)
    return [any(call in cell.source for call in NO_WORDS) for cell in nb.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]


def test_the_korean_chapters_show_korean_figures():
    """The built editions (`make book` builds both): each chapter page of the Korean site shows the
    English page's figures in the same places, in Korean where they have words."""
    if not (SITE / "ko" / "chapters").is_dir():
        pytest.fail("the Korean edition is not built: run `make book` (it builds both editions)")
    for notebook in sorted((REPO / "chapters").glob("[0-9][0-9]_*.ipynb")):
        page = Path("chapters") / f"{notebook.stem}.html"
        english, korean = _page_images(SITE / page), _page_images(SITE / "ko" / page)
        expected = _expected_same(notebook)
        assert len(english) == len(korean) == len(expected), f"{page}: {len(english)}, {len(korean)} images"
        same = [en == ko for en, ko in zip(english, korean)]
        assert same == expected, f"{page}: the same picture in both editions {same}, expected {expected}"


def test_without_a_hangul_font_figures_stay_english(monkeypatch):
    """Never empty boxes: with no font for Hangul, a Korean figure is drawn in English, with a warning."""
    from backprop_lib import figures

    monkeypatch.setattr(figures, "hangul_font", lambda: None)
    figures._warn_no_hangul_font.cache_clear()
    with pytest.warns(UserWarning, match="fonts-nanum"):
        figure = draw.apple_graph(lang="ko")
    assert "apple" in texts(figure) and figure.lang == "en"
    figures._warn_no_hangul_font.cache_clear()


def test_every_figure_describes_itself_in_both_languages(korean_figures, english_figures):
    """The same numbers in both descriptions; the words of each in its language (backprop.po)."""
    numbers = re.compile(r"-?\d+(?:\.\d+)?")
    for name, figure in english_figures.items():
        english, korean = described(figure, "en"), described(figure, "ko")
        assert english[0] and len(english[0].split()) >= 8, f"{name}: {english}"
        assert not HANGUL.search(english[0]) and HANGUL.search(korean[0]), f"{name}: {english[0]} / {korean[0]}"
        lost = Counter(numbers.findall(english[0])) - Counter(numbers.findall(korean[0]))  # ("1층" adds a 1)
        assert not lost, f"{name}: the Korean description lacks {sorted(lost)}:\n{english[0]}\n{korean[0]}"
        assert (english[1] is None) == (korean[1] is None), name
        assert described(korean_figures[name], "ko") == korean, f"{name}: drawn in Korean, described otherwise"
