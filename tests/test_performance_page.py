"""The performance page and its Korean catalogue, both written by scripts/performance.py.

The page's numbers change with every `make bench`, so its Korean messages cannot be translated by
hand: the script writes the catalogue with the page. These tests run it on the committed results,
and on results that are missing, unreadable or incomplete, into a temporary folder.
"""
import json
import re
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import korean  # noqa: E402
import performance  # noqa: E402

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def generate(results, out):
    """(the English page, its Korean catalogue) written from `results` into the folder `out`."""
    out.mkdir(parents=True, exist_ok=True)
    assert performance.main(["--results", str(results), "--page", str(out / "performance.md"),
                             "--catalogue", str(out / "performance.po")]) == 0
    with (out / "performance.po").open("rb") as f:
        return (out / "performance.md").read_text(encoding="utf-8"), read_po(f)


def results_of(tmp_path, variant):
    """The committed results, none at all, or results a page must survive."""
    if variant == "committed":
        return REPO / "bench" / "results"
    results = tmp_path / "results"
    results.mkdir()
    if variant == "damaged":  # unreadable, incomplete, and nbgrader compared (the committed run skipped it)
        (results / "gradcheck.json").write_text('{"machine": ')
        train = json.loads((REPO / "bench" / "results" / "train.json").read_text())
        del train["summary"]
        del train["runs"][0]["test_acc"]  # an empty cell
        train["config"]["nothing"] = {}
        (results / "train.json").write_text(json.dumps(train))
        grader = json.loads((REPO / "bench" / "results" / "grader.json").read_text())
        grader["nbgrader"] = {"submissions": 20, "seconds": 61.5, "per_submission": 3.07, "autograded": 20,
                              "returncode": 0, "tamperer_score": 3.0, "tamperer_score_ours": 0.0,
                              "ours_per_submission_04_matmul": 0.29}
        (results / "grader.json").write_text(json.dumps(grader))
    return results


@pytest.fixture(params=["committed", "none", "damaged"])
def generated(request, tmp_path):
    results = results_of(tmp_path, request.param)
    page, catalogue = generate(results, tmp_path / "out")
    return results, page, catalogue


def messages(catalogue):
    return [m for m in catalogue if m.id]


def test_the_committed_page_and_catalogue_are_the_generated_ones(tmp_path):
    """`make bench` rewrites both; a page left stale by a change of the script fails here."""
    page, _ = generate(REPO / "bench" / "results", tmp_path)
    assert page == (REPO / "book" / "performance.md").read_text(encoding="utf-8")
    assert (tmp_path / "performance.po").read_bytes() == performance.CATALOGUE.read_bytes()
    images = sorted(path.name for path in (tmp_path / "performance").iterdir())
    assert images == ["steps.ko.png", "steps.png", "time.ko.png", "time.png"]
    for name in images:  # the figures too: drawn from the same results, byte for byte
        assert (tmp_path / "performance" / name).read_bytes() == (REPO / "book" / "performance" / name).read_bytes()


FIGURE = re.compile(r"```\{figure\} performance/(\S+)\n:alt: (.+)\n")


def test_each_figure_has_an_alt_text_with_its_numbers_in_both_languages(tmp_path):
    """The text alternative comes from the code that draws the figure, with the numbers it draws."""
    page, catalogue = generate(REPO / "bench" / "results", tmp_path)
    result = json.loads((REPO / "bench" / "results" / "train.json").read_text())
    figures = dict(FIGURE.findall(page))
    assert set(figures) == {"time.png", "steps.png"}
    korean = {m.id: m.string for m in messages(catalogue)}
    for name, alt in figures.items():
        assert HANGUL.search(korean[alt]), name  # the Korean edition reads its own alt text
        assert (tmp_path / "performance" / name.replace(".png", ".ko.png")).exists()
    summary, profile = result["summary"], result["profile"]
    for implementation in ("fast", "readable", "pytorch"):
        for alt in (figures["time.png"], korean[figures["time.png"]]):
            assert f"{summary[implementation]['median_seconds']:.1f}" in alt
            assert f"{summary[implementation]['median_cpu_seconds']:.1f}" in alt
        for alt in (figures["steps.png"], korean[figures["steps.png"]]):
            assert f"{profile[implementation]['backward']:.0f}" in alt
    assert f"{result['floor']['seconds']:.1f}" in figures["time.png"]


def test_every_message_is_translated_and_lint_clean(generated):
    _, _, catalogue = generated
    assert len(messages(catalogue)) > 5
    for message in messages(catalogue):
        assert message.string and not message.fuzzy, message.id
        assert korean.lint(message.id, message.string) == [], message.id


def test_each_korean_message_has_the_numbers_of_the_english_one(generated):
    _, _, catalogue = generated
    for message in messages(catalogue):
        assert Counter(NUMBER.findall(message.string)) == Counter(NUMBER.findall(message.id)), message.id


def json_words(value):
    """Every key and text value in a result: the raw data that may stand untranslated."""
    if isinstance(value, dict):
        return set(value) | {w for item in value.values() for w in json_words(item)}
    if isinstance(value, list):
        return {w for item in value for w in json_words(item)}
    return {value} if isinstance(value, str) else set()


def test_only_numbers_and_raw_data_are_their_own_translation(generated):
    """Prose is Korean; what stays as it is: numbers, code (JSON keys and values), implementations."""
    results, _, catalogue = generated
    words = set()
    for path in results.glob("*.json"):
        try:
            words |= json_words(json.loads(path.read_text()))
        except ValueError:
            pass
    for message in messages(catalogue):
        if not HANGUL.search(message.string):
            assert message.string == message.id
            assert (re.fullmatch(r"[\d.,e+\- ]+(?: µs \(-?\d+%\))?", message.id) or re.fullmatch(r"`[^`]+`", message.id)
                    or message.id in words), f"{message.id!r} is not translated"


def test_the_catalogue_holds_exactly_the_messages_sphinx_extracts(generated, tmp_path):
    """Sphinx's gettext builder on the page (MyST, colon fences, sphinx-design's dropdown, as the book):
    its messages are the catalogue's, no more, no fewer, so `scripts/korean.py update` keeps the file."""
    _, page, catalogue = generated
    source = tmp_path / "sphinx"
    source.mkdir()
    (source / "conf.py").write_text(textwrap.dedent("""\
        extensions = ["myst_parser", "sphinx_design"]
        myst_enable_extensions = ["amsmath", "colon_fence", "deflist", "dollarmath", "substitution"]
        gettext_compact = False
        """))
    (source / "index.md").write_text(page, encoding="utf-8")
    if (tmp_path / "out" / "performance").exists():  # the page's figures
        shutil.copytree(tmp_path / "out" / "performance", source / "performance")
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "gettext", "-q", "-W", str(source), str(source / "_build")],
                   check=True)
    with (source / "_build" / "index.pot").open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    assert extracted == {m.id for m in messages(catalogue)}


def test_a_message_has_one_translation():
    page = performance.Page()
    page.paragraph(performance.say("all", "전부"))
    with pytest.raises(ValueError, match="two translations"):
        page.table([performance.same("all")], [[performance.same("1")]])


def test_files_that_did_not_change_are_left_alone(tmp_path):
    """Sphinx rebuilds a page whose source is newer: an unchanged page keeps its time."""
    generate(REPO / "bench" / "results", tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    generate(REPO / "bench" / "results", tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
