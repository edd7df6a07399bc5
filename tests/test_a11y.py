"""Every reader: the built site meets WCAG 2.1 AA in both editions and both colour modes.

axe-core (from npm, pinned in scripts/assets/package-lock.json, installed by scripts/assets.sh) is
injected by this test into every page of _build/html (English) and _build/html/ko (Korean), opened in
Debian's Chromium in light and in dark mode; any violation of a WCAG 2.0/2.1 A or AA rule fails.
The site itself never serves axe. Also: every content image has a real text alternative in its
page's language (the figures describe themselves: backprop_lib/figures.py), and formulas carry
MathJax's assistive MathML, which screen readers read out.

Counts of violations by rule are written to artifacts/axe-<mode>.json (git-ignored).
"""
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import unavailable
from test_site import SITE, Visit, server, site_pages  # noqa: F401 (server is a fixture)

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "scripts" / "assets" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
HANGUL = re.compile(r"[\uac00-\ud7a3]")

RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
}"""


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        unavailable(f"{AXE.relative_to(ROOT)} is missing: run `bash scripts/assets.sh` (or `make book`)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pages():
    if not (SITE / "index.html").exists():
        unavailable(f"the site is not built ({SITE}/index.html is missing): run `make book`")
    return site_pages()


def axe_violations(page, axe_source):
    """axe-core's WCAG 2.0/2.1 A and AA violations on the open page."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)  # injected by the test, never served by the site
    return page.evaluate(RUN_AXE, WCAG_AA)


def test_every_page_meets_wcag_21_aa(browser, server, pages, axe_source):  # noqa: F811
    """Each page is opened once, in light mode, then turned dark as a reader's system setting turns it
    (the theme follows prefers-color-scheme), and checked in each mode."""
    tab = Visit(browser, server, color_scheme="light")
    problems, by_rule = [], {"light": Counter(), "dark": Counter()}
    try:
        for path in pages:
            page = tab.open(path)
            if path.endswith("search.html"):
                page.wait_for_timeout(200)
            for mode in ("light", "dark"):
                if mode == "dark":
                    page.emulate_media(color_scheme="dark")
                    page.wait_for_function("document.documentElement.dataset.theme !== 'light'", timeout=5000)
                    # the theme's colours fade over a transition: measure contrast once they have settled
                    page.evaluate("Promise.all(document.getAnimations().map(a => a.finished))")
                theme = page.evaluate("document.documentElement.dataset.theme")
                assert theme == mode, f"{path}: the page is in {theme} mode, expected {mode} (the reader's setting)"
                for violation in axe_violations(page, axe_source):
                    by_rule[mode][violation["id"]] += len(violation["nodes"])
                    for node in violation["nodes"][:3]:
                        problems.append(f"{path} [{mode}] {violation['id']} ({violation['impact']}): "
                                        f"{violation['help']}: {node['target']}\n    {node['summary']}")
            page.emulate_media(color_scheme="light")
    finally:
        tab.close()
    ARTIFACTS.mkdir(exist_ok=True)
    for mode, counts in by_rule.items():
        (ARTIFACTS / f"axe-{mode}.json").write_text(json.dumps({"pages": len(pages), "violations": counts},
                                                               indent=1, sort_keys=True))
    assert len(pages) > 60, f"expected both editions' pages, found {len(pages)}"
    total = sum(sum(c.values()) for c in by_rule.values())
    assert not problems, f"{total} WCAG A/AA violations ({ {m: dict(c) for m, c in by_rule.items()} }):\n" + "\n".join(problems)


def test_axe_finds_what_it_should(browser, server, axe_source):  # noqa: F811
    """The check can fail: a page with an unlabelled image and grey-on-white text gets violations."""
    tab = Visit(browser, server)
    try:
        page = tab.open("book/intro.html")
        page.evaluate("""() => {
            const img = document.createElement('img'); img.src = '../_static/favicon.svg';
            const p = document.createElement('p'); p.textContent = 'faint'; p.style.color = '#ddd';
            document.querySelector('article').append(img, p);
        }""")
        found = {v["id"] for v in axe_violations(page, axe_source)}
    finally:
        tab.close()
    assert {"image-alt", "color-contrast"} <= found, found


def _images(path):
    """(alt or None, src) of every <img> of a built page."""
    html = (SITE / path).read_text(encoding="utf-8")
    return [(re.search(r'\balt="([^"]*)"', tag).group(1) if ' alt="' in tag else None,
             re.search(r'\bsrc="([^"]*)"', tag).group(1)) for tag in re.findall(r"<img\b[^>]*>", html)]


def test_every_content_image_has_a_real_text_alternative(pages):
    problems, figures = [], 0
    for path in pages:
        for alt, src in _images(path):
            if alt is None:
                problems.append(f"{path}: <img src={src}> has no alt")
            elif alt == "":
                if "_images/" in src:  # only decoration may be silent, never a figure
                    problems.append(f"{path}: the figure {src} is marked decorative (alt=\"\")")
            elif "_images/" in src:
                figures += 1
                words = alt.split()
                if len(words) < 8 or src.rsplit("/", 1)[-1] in alt or re.search(r"\.(png|svg|jpe?g)\b", alt):
                    problems.append(f"{path}: the figure {src} has no real description: {alt!r}")
                if path.startswith("ko/") and not HANGUL.search(alt):
                    problems.append(f"{path}: the figure's description is not Korean: {alt[:80]!r}")
                if not path.startswith("ko/") and HANGUL.search(alt):
                    problems.append(f"{path}: the figure's description is not English: {alt[:80]!r}")
    assert figures >= 60, f"expected the chapters' figures in both editions; found {figures} described"
    assert not problems, "\n".join(problems)


def test_the_apple_graph_speaks_its_numbers(pages):
    """On the site, the apple graph says its numbers, forward (chapter 1) and backward (chapter 2), in both languages."""
    chapter = next(p for p in pages if p.startswith("chapters/02_"))  # chapter 2 draws it with its gradients
    english = [alt for alt, src in _images(chapter) if "_images/" in src]
    korean = [alt for alt, src in _images("ko/" + chapter) if "_images/" in src]
    assert any(all(n in alt for n in ("apple 100", "apple num 2", "out 200", "tax 1.1", "price 220",
                                      "gradient 2.2", "gradient 110", "gradient 200")) for alt in english), english
    assert any(all(n in alt for n in ("사과 100", "사과 개수 2", "소비세 1.1", "기울기 2.2", "기울기 110"))
               for alt in korean), korean


@pytest.mark.parametrize("edition", ["", "ko/"])
def test_formulas_are_read_out(browser, server, edition):  # noqa: F811
    """MathJax's assistive MathML: every typeset formula carries a <math> element for screen readers."""
    tab = Visit(browser, server)
    try:
        page = tab.open(f"{edition}book/notation.html")
        report = page.evaluate("""() => {
            const containers = [...document.querySelectorAll('mjx-container')];
            return {count: containers.length,
                    withMathml: containers.filter(c => c.querySelector('mjx-assistive-mml math')).length,
                    example: containers[0] && containers[0].querySelector('mjx-assistive-mml')?.innerHTML};
        }""")
    finally:
        tab.close()
    assert report["count"] >= 10, report
    assert report["withMathml"] == report["count"], report
    assert "<mi>" in report["example"] or "<mn>" in report["example"], report
