"""The built website, opened in a real browser, as a learner would.

Headless Chromium from Debian (/usr/bin/chromium), driven by Playwright, loads every page
of _build/html from a local HTTP server on 127.0.0.1. Requests to any other host are
recorded and blocked: the site must work with no internet at all.

Build the site first (`make book`). Without the site or Chromium these tests skip
locally and fail in CI (CI=true).
"""
import functools
import http.server
import json
import re
import threading
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import unavailable  # (the fixture `browser` comes from conftest too)

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "artifacts"
# Ten chapters; every solution notebook is released as an exercise and put on the site.
EXPECTED = {"chapters": 10, "exercises": len(list((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")))}



def site_pages():
    """Every HTML page of both editions (English at the root, Korean in ko/), relative to the root."""
    skip = {"_static", "_sources", "_images"}
    return sorted(str(path.relative_to(SITE)) for path in SITE.rglob("*.html")
                  if not skip & set(path.relative_to(SITE).parts))


def source_notebooks(folder):
    return sorted(path.stem for path in (ROOT / folder).glob("[0-9][0-9]_*.ipynb"))


# ---------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def server():
    """The built site served on 127.0.0.1, on a free port; yields its base URL."""
    if not (SITE / "index.html").exists():
        unavailable(f"the site is not built ({SITE}/index.html is missing): run `make book`")
    handler = functools.partial(QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


class Visit:
    """A browser tab that records console errors, failed and outside requests."""

    def __init__(self, browser, server, color_scheme="light"):
        self.server = server
        self.local = urlsplit(server).netloc
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           color_scheme=color_scheme)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.errors, self.failed, self.outside = [], [], []
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))

    def _route(self, route):
        url = urlsplit(route.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != self.local:
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _failed(self, request):
        if request.url not in self.outside:
            self.failed.append(f"{request.failure} {request.url}")

    def open(self, path):
        self.page.goto(f"{self.server}/{path}", wait_until="networkidle")
        wait_for_mathjax(self.page)
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, server):
    visits = []

    def make(**kwargs):
        visits.append(Visit(browser, server, **kwargs))
        return visits[-1]
    yield make
    for v in visits:
        v.close()


def wait_for_mathjax(page):
    """Wait for MathJax's first typesetting pass (on pages that load it) and the fonts."""
    page.evaluate("""async () => {
        if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            await MathJax.startup.promise;
        }
        await document.fonts.ready;
    }""")


# ------------------------------------------------------------------------- the checks

PAGE_REPORT_JS = """async () => {
    // Images: every <img> (lazy ones included) must have loaded.
    const images = [...document.images];
    images.forEach(img => { img.loading = 'eager'; });
    await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
        img.addEventListener('load', done); img.addEventListener('error', done);
        setTimeout(done, 10000);
    })));
    const brokenImages = images.filter(img => !(img.naturalWidth > 0)).map(img => img.currentSrc || img.src);
    // Math: every math element rendered by MathJax, no TeX left in the visible text.
    const math = [...document.querySelectorAll('.math')];
    const unrendered = math.filter(m => !m.querySelector('mjx-container') && m.tagName !== 'MJX-CONTAINER')
                           .map(m => m.textContent.slice(0, 80));
    const article = (document.querySelector('article') || document.body).cloneNode(true);
    article.querySelectorAll('pre, code, script, style, mjx-container, textarea').forEach(e => e.remove());
    const text = article.textContent;
    const rawTex = ['$$', '\\\\(', '\\\\)', '\\\\[', '\\\\]', '\\\\begin{', '\\\\frac']
        .filter(token => text.includes(token));
    // Widgets: a page that saved widget views must render them.
    const widgetViews = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
    // The notebook tests' cell markers are not for readers (book/_ext/hide_nbval_markers.py).
    const testMarkers = document.body.innerText.includes('NBVAL_');
    return {brokenImages, mathCount: math.length, unrendered, rawTex, widgetViews, testMarkers,
            mjx: document.querySelectorAll('mjx-container').length,
            title: document.title};
}"""


@pytest.fixture(scope="module")
def pages():
    if not (SITE / "index.html").exists():
        unavailable(f"the site is not built ({SITE}/index.html is missing): run `make book`")
    return site_pages()


def test_site_has_every_page(pages):
    for edition in ("", "ko/"):
        for folder, count in EXPECTED.items():
            built = [p for p in pages if p.startswith(edition + folder + "/")]
            assert len(built) == count, f"expected {count} pages in {edition}{folder}/, found {built}"
        for name in ("book/intro.html", "book/how_to_use.html", "book/notation.html", "book/glossary.html",
                     "book/references.html", "book/performance.html", "book/summary.html", "search.html"):
            assert edition + name in pages, f"{edition}{name} is missing from the site"
    english = {p for p in pages if not p.startswith("ko/")}
    assert {p.removeprefix("ko/") for p in pages if p.startswith("ko/")} == english, "the editions differ in pages"
    assert not [p for p in pages if p.startswith(("solutions/", "tests/", "bench/", "node_modules"))], \
        "solutions, tests, bench or node_modules ended up on the site"
    assert not (SITE / "_sources" / "solutions").exists(), "the solutions' sources are on the site"


def test_every_page_loads_offline_renders_math_and_images(visit, pages):
    problems = []
    tab = visit()  # one tab for every page of both editions: each page's errors are its own
    for path in pages:
        tab.errors.clear(), tab.failed.clear(), tab.outside.clear()
        page = tab.open(path)
        if path == "search.html":
            page.wait_for_timeout(200)  # the search page loads its index after 'load'
        report = page.evaluate(PAGE_REPORT_JS)
        if report["widgetViews"]:
            page.wait_for_selector(".jupyter-widgets, .widget-inline-hbox, .widget-box", timeout=15000)
        where = f"{path}:"
        problems += [f"{where} console error: {e}" for e in tab.errors]
        problems += [f"{where} failed request: {f}" for f in tab.failed]
        problems += [f"{where} request to another host: {u}" for u in tab.outside]
        problems += [f"{where} image not loaded: {src}" for src in report["brokenImages"]]
        problems += [f"{where} math not rendered: {tex!r}" for tex in report["unrendered"]]
        problems += [f"{where} raw TeX in the text: {tok!r}" for tok in report["rawTex"]]
        if report["testMarkers"]:
            problems.append(f"{where} shows an NBVAL_ marker of the notebook tests")
    assert not problems, "\n".join(problems)


def test_math_is_rendered_by_the_local_mathjax(visit):
    tab = visit()
    page = tab.open("book/notation.html")
    assert page.locator("mjx-container").count() >= 10
    scripts = page.evaluate("[...document.scripts].map(s => s.src).filter(s => s.includes('mathjax'))")
    assert scripts and all(s.startswith(tab.server) for s in scripts), scripts
    assert not tab.outside and not tab.failed and not tab.errors, (tab.outside, tab.failed, tab.errors)


def test_navigation_reaches_every_chapter_and_exercise(visit):
    tab = visit()
    page = tab.open("index.html")  # a redirect to the intro
    assert page.url.endswith("book/intro.html"), page.url
    links = page.evaluate("""() => [...document.querySelectorAll('nav.bd-docs-nav a.reference.internal')]
                                   .map(a => ({href: a.href, text: a.textContent.trim()}))""")
    hrefs = {urlsplit(link["href"]).path.lstrip("/"): link["text"] for link in links}
    for folder, count in EXPECTED.items():
        names = source_notebooks(folder)
        assert len(names) == count, f"expected {count} notebooks in {folder}/, found {names}"
        for name in names:
            text = hrefs.get(f"{folder}/{name}.html")
            assert text is not None, f"{folder}/{name} is not linked from the sidebar: {sorted(hrefs)}"
            # Chapter NN is numbered NN; exercise NN is titled "Exercise NN: ..." (not numbered).
            label = f"{int(name[:2])}." if folder == "chapters" else f"Exercise {int(name[:2])}:"
            assert text.startswith(label), f"{folder}/{name} should start with {label!r}: {text!r}"
    for page_name in ("how_to_use", "notation", "glossary", "references", "performance"):
        assert f"book/{page_name}.html" in hrefs, f"book/{page_name} is not in the sidebar"
    # Following a link really opens the chapter.
    first = source_notebooks("chapters")[0]
    page.click(f'nav.bd-docs-nav a[href$="{first}.html"]')
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"chapters/{first}.html")
    assert page.locator("article h1").count() == 1


def test_search_finds_chain_rule(visit):
    tab = visit()
    page = tab.open("search.html?q=chain+rule")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=20000)
    assert results.count() >= 1
    titles = " ".join(results.all_text_contents()).lower()
    assert "chain" in titles, titles
    assert not tab.errors and not tab.failed and not tab.outside, (tab.errors, tab.failed, tab.outside)


def test_dark_mode_toggles(visit):
    tab = visit()
    page = tab.open("book/intro.html")
    theme = lambda: page.evaluate("document.documentElement.dataset.theme")
    background = lambda: page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert theme() == "light"
    light_background = background()
    button = page.locator("button.theme-switch-button").first
    for _ in range(3):  # the button cycles through light, dark and the system's choice
        if theme() == "dark":
            break
        button.click()
    assert theme() == "dark"
    assert background() != light_background
    assert luminance(background()) < 0.2 < luminance(light_background)
    page.reload(wait_until="networkidle")  # the choice is remembered
    assert theme() == "dark"


def luminance(css_color):
    """0 (black) to 1 (white) from a computed 'rgb(r, g, b)' colour."""
    r, g, b = [float(part) for part in re.findall(r"[\d.]+", css_color)[:3]]
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_screenshots(visit):
    """The intro and a chapter with math and figures, light and dark, saved to artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    tab = visit()
    page = tab.open("book/intro.html")
    page.screenshot(path=str(ARTIFACTS / "site-intro.png"), full_page=False)
    chapter = None
    for name in source_notebooks("chapters"):
        page = tab.open(f"chapters/{name}.html")
        if page.locator("article mjx-container").count() and page.locator("article img").count():
            chapter = name
            break
    assert chapter, "no chapter shows both math and a figure"
    page.locator("article img").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "site-chapter.png"), full_page=False)
    dark = visit(color_scheme="dark")
    page = dark.open(f"chapters/{chapter}.html")
    page.screenshot(path=str(ARTIFACTS / "site-chapter-dark.png"), full_page=False)
    for name in ("site-intro.png", "site-chapter.png", "site-chapter-dark.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000, f"{name} looks empty"


def test_every_chapter_downloads_as_its_notebook(visit):
    """The download button of a chapter gives the notebook itself (served by the site)."""
    tab = visit()
    for name in source_notebooks("chapters"):
        page = tab.open(f"chapters/{name}.html")
        link = page.locator("a.btn-download-source-button")
        assert link.count() == 1, f"chapters/{name}: no download button"
        href = link.get_attribute("href")
        assert href.endswith(f"{name}.ipynb"), href
        response = page.request.get(f"{tab.server}/chapters/{href}")
        assert response.ok, f"{href}: {response.status}"
        notebook = json.loads(response.text())
        assert notebook["cells"], f"{href} has no cells"


def test_every_notebook_page_offers_the_course_wheel(visit):
    """Beside each chapter's and exercise's .ipynb, the download menu offers the course's wheel
    (book/_ext/course_wheel.py): backprop_lib, backprop_grader and the released exercises that
    the grader compares locked cells with. tests/test_from_site.py installs and uses it."""
    wheels = sorted((SITE / "_static" / "wheels").glob("*.whl"))
    assert len(wheels) == 1, f"expected one wheel in _static/wheels; found {[w.name for w in wheels]}"
    wheel = wheels[0]
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    modules = {str(p.relative_to(ROOT)) for package in ("backprop_lib", "backprop_grader")
               for p in (ROOT / package).rglob("*.py")}  # every module, in every stage's folder
    assert "backprop_grader/isolation/child.py" in modules and not modules - names, sorted(modules - names)
    released = {f"backprop_grader/released/{p.name}" for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")}
    assert released and released <= names, f"missing from the wheel: {sorted(released - names)}"
    for folder in ("chapters", "exercises"):  # every page's menu has it (in the HTML) ...
        for name in source_notebooks(folder):
            html = (SITE / folder / f"{name}.html").read_text()
            hrefs = re.findall(r'<a href="([^"]+)"[^>]*btn-download-wheel-button', html)
            assert hrefs == [f"../_static/wheels/{wheel.name}"], f"{folder}/{name}: {hrefs}"
    tab = visit()
    for folder in ("chapters", "exercises"):  # ... and the browser shows it and downloads it
        page = tab.open(f"{folder}/{source_notebooks(folder)[0]}.html")
        page.locator("button[aria-label='Download this page']").click()
        link = page.locator("a.btn-download-wheel-button")
        link.wait_for()  # shown in the opened menu, beside .ipynb
        assert page.locator("a.btn-download-source-button").is_visible()
        response = page.request.get(f"{tab.server}/{folder}/{link.get_attribute('href')}")
        assert response.ok and response.body() == wheel.read_bytes(), f"{link.get_attribute('href')}: {response.status}"
    page.screenshot(path=str(ARTIFACTS / "site-download-menu.png"))
    page = tab.open("book/how_to_use.html")
    assert page.locator(f"article a.course-wheel[href$='{wheel.name}']").count() == 1
    assert f'"./{wheel.name}[lab]"' in page.locator("article").text_content()  # the command names this wheel
    assert tab.errors == [] and tab.failed == [] and tab.outside == []


# ---------------------------------------------------------------------- the Korean edition

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_the_language_switch_reaches_the_twin_page_and_back(visit):
    tab = visit()
    for path in ("book/intro.html", f"chapters/{source_notebooks('chapters')[1]}.html",
                 f"exercises/{source_notebooks('exercises')[3]}.html", "book/glossary.html"):
        page = tab.open(path)
        assert page.evaluate("document.documentElement.lang") == "en"
        page.click("a.language-switch")
        page.wait_for_load_state("networkidle")
        assert page.url == f"{tab.server}/ko/{path}", page.url
        assert page.evaluate("document.documentElement.lang") == "ko"
        title = page.locator("article h1").first.text_content()
        assert HANGUL.search(title), f"ko/{path}: the title is not Korean: {title!r}"
        page.click("a.language-switch")
        page.wait_for_load_state("networkidle")
        assert page.url == f"{tab.server}/{path}", page.url
    assert not tab.errors and not tab.failed and not tab.outside, (tab.errors, tab.failed, tab.outside)


@pytest.mark.parametrize("word, chapter", [("연쇄법칙", "02_chain_rule"), ("역전파", "01_computational_graphs")])
def test_korean_search_finds_the_chapters(visit, word, chapter):
    tab = visit()
    page = tab.open(f"ko/search.html?q={word}")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=20000)
    hrefs = page.evaluate("[...document.querySelectorAll('#search-results ul.search li a')].map(a => a.href)")
    chapters = {h.split("/ko/")[1].split(".html")[0] for h in hrefs if "/ko/chapters/" in h}
    assert f"chapters/{chapter}" in chapters, f"{word}: {sorted(chapters)}"
    if word == "역전파":
        assert len(chapters) >= 8, f"역전파 is in nearly every chapter; found {sorted(chapters)}"
    assert not tab.errors and not tab.failed and not tab.outside, (tab.errors, tab.failed, tab.outside)


def test_the_korean_sidebar_and_pages_are_korean_in_the_sites_own_font(visit):
    tab = visit()
    page = tab.open("ko/book/intro.html")
    links = page.evaluate("""() => [...document.querySelectorAll('nav.bd-docs-nav a.reference.internal')]
                                   .map(a => a.textContent.trim())""")
    for folder in EXPECTED:
        for name in source_notebooks(folder):
            label = f"{int(name[:2])}." if folder == "chapters" else f"연습문제 {int(name[:2])}:"
            found = [text for text in links if text.startswith(label + " ") or text.startswith(label)]
            assert found and HANGUL.search(found[0]), f"{folder}/{name}: no Korean sidebar entry {label!r}: {links}"
    # Korean is drawn by the site's Nanum Gothic, whatever fonts the machine has
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert any("Nanum Gothic" in family for family in loaded), loaded
    family = page.evaluate("getComputedStyle(document.querySelector('nav.bd-docs-nav a')).fontFamily")
    assert family.strip().startswith('"Nanum Gothic"'), family


# ------------------------------------------------- folded answers and hints, both editions

EDITIONS = {"": {"answer": "Answer", "show": "Show code cell output", "hide": "Hide code cell output"},
            "ko/": {"answer": "답", "show": "실행 결과 보기", "hide": "실행 결과 숨기기"}}

FOLDS_JS = """() => {
    const article = document.querySelector('article');
    const shown = e => e.checkVisibility({visibilityProperty: true});  // false inside a closed <details>
    const boxes = [...article.querySelectorAll('details')];
    // a paragraph of its own that says only "::": what a Korean <details> used to turn into
    const stray = [...article.querySelectorAll('*')].filter(e => !e.closest('pre, code') &&
        [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() === '::')).length;
    const answers = [...article.querySelectorAll('details.answer')].map(answer => {
        const cells = [];  // the code cells right after the question show its answer
        for (let e = answer.nextElementSibling; e && e.matches('div.cell'); e = e.nextElementSibling) cells.push(e);
        const outputs = cells.flatMap(cell => [...cell.querySelectorAll('.cell_output')]);
        return {
            open: answer.open, summary: answer.querySelector('summary').textContent.trim(),
            cells: cells.length, tagged: cells.filter(c => c.classList.contains('tag_hide-output')).length,
            outputs: outputs.length, outputsShown: outputs.filter(shown).length,
            folds: outputs.map(o => {
                const fold = o.closest('details.hide');
                return fold ? {open: fold.open, label: fold.querySelector('summary').innerText.trim()} : null;
            }),
        };
    });
    return {boxes: boxes.length, open: boxes.filter(b => b.open).length, stray,
            summaries: boxes.map(b => (b.querySelector('summary') || {textContent: ''}).textContent.trim()),
            answers};
}"""


def questions_in(notebook):
    return sum("**Predict, then run.**" in "".join(cell["source"])
               for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "markdown")


def test_every_prediction_starts_folded_in_both_editions(visit):
    """Each question's answer and the output of the cells that show it start hidden, on the English and the
    Korean site alike; opening the fold shows the output. Screenshots: artifacts/predict-*.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    tab = visit()
    problems = []
    for edition, words in EDITIONS.items():
        for name in source_notebooks("chapters"):
            page = tab.open(f"{edition}chapters/{name}.html")
            found = page.evaluate(FOLDS_JS)
            where = f"{edition}chapters/{name}"
            expected = questions_in(ROOT / "chapters" / f"{name}.ipynb")
            if len(found["answers"]) != expected:
                problems.append(f"{where}: {len(found['answers'])} folded answers, {expected} questions")
            for n, answer in enumerate(found["answers"], start=1):
                if answer["open"] or answer["summary"] != words["answer"]:
                    problems.append(f"{where}, question {n}: the answer box is open or not labelled "
                                    f"{words['answer']!r}: {answer}")
                if not answer["outputs"] or answer["tagged"] != answer["cells"]:
                    problems.append(f"{where}, question {n}: no folded output follows the question: {answer}")
                if answer["outputsShown"] or any(fold is None or fold["open"] or fold["label"] != words["show"]
                                                 for fold in answer["folds"]):
                    problems.append(f"{where}, question {n}: an output that answers it is on screen: {answer}")
            # the reader opens the first fold: the output appears, and the toggle says how to hide it again
            fold = page.locator("article details.answer + div.cell details.hide").first
            output = fold.locator(".cell_output").first
            fold.scroll_into_view_if_needed()
            if name == source_notebooks("chapters")[1]:
                page.screenshot(path=str(ARTIFACTS / f"predict-{edition.strip('/') or 'en'}-folded.png"))
            fold.locator("summary").click()
            page.wait_for_timeout(600)  # the fold opens with a short fade
            if not output.is_visible() or fold.locator("summary").inner_text().strip() != words["hide"]:
                problems.append(f"{where}: opening the first fold did not show its output")
            if name == source_notebooks("chapters")[1]:
                page.screenshot(path=str(ARTIFACTS / f"predict-{edition.strip('/') or 'en'}-opened.png"))
    assert not problems, "\n".join(problems)
    assert not tab.errors and not tab.failed and not tab.outside, (tab.errors, tab.failed, tab.outside)


def test_every_folding_box_starts_closed_in_both_editions(visit):
    """Hints, answers and bug descriptions (<details>) start closed on every chapter and exercise page,
    in Korean as in English: the same boxes, with their own Korean summaries, and no stray "::"."""
    tab = visit()
    problems = []
    for folder in ("chapters", "exercises"):
        for name in source_notebooks(folder):
            english, korean = (opened(tab, f"{edition}{folder}/{name}.html").evaluate(FOLDS_JS) for edition in EDITIONS)
            where = f"{folder}/{name}"
            for edition, found in (("", english), ("ko/", korean)):
                if found["open"] or found["stray"]:
                    problems.append(f"{edition}{where}: {found['open']} of {found['boxes']} boxes open, "
                                    f"{found['stray']} stray '::'")
            if korean["boxes"] != english["boxes"]:
                problems.append(f"ko/{where}: {korean['boxes']} folding boxes, the English twin has {english['boxes']}")
            untranslated = [s for s, e in zip(korean["summaries"], english["summaries"])
                            if s == e and HANGUL.search(e) is None and re.search("[A-Za-z]{3}", e)]
            if untranslated:
                problems.append(f"ko/{where}: summaries left in English: {untranslated}")
    assert not problems, "\n".join(problems)


def opened(tab, path):
    """The page as the browser parsed it (the boxes are in its HTML: no need to wait for MathJax)."""
    tab.page.goto(f"{tab.server}/{path}", wait_until="domcontentloaded")
    return tab.page


def test_exercise_14_is_in_the_implement_tier(visit):
    """Chapter 7 derives softmax's Jacobian, so exercise 14 asks to implement it, not to derive it."""
    tab = visit()
    page = tab.open("book/intro.html")
    parts = page.evaluate("""() => [...document.querySelectorAll('nav.bd-docs-nav p.caption')].map(caption => ({
        caption: caption.textContent.trim(),
        entries: [...caption.nextElementSibling.querySelectorAll(':scope > li > a')].map(a => a.textContent.trim())}))""")
    tiers = {part["caption"]: part["entries"] for part in parts}
    assert any(entry.startswith("Exercise 14:") for entry in tiers["Exercises: implement"]), tiers
    assert not any(entry.startswith("Exercise 14:") for entry in tiers["Exercises: derive a new node"]), tiers


def test_every_page_offers_its_editions_pdf(visit, pages):
    """The download menu of every page of each edition links the whole course as one PDF of that
    edition (scripts/pdf.py, book/_ext/course_pdf.py); the browser downloads it."""
    pdfs = {"": SITE / "backprop-course-en.pdf", "ko/": SITE / "ko" / "backprop-course-ko.pdf"}
    for edition, pdf in pdfs.items():
        assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-", f"{pdf} is missing: run `make book`"
    for path in pages:
        edition = "ko/" if path.startswith("ko/") else ""
        html = (SITE / path).read_text(encoding="utf-8")
        hrefs = re.findall(r'<a href="([^"]+)"[^>]*btn-download-book-pdf-button', html)
        if (path.endswith(("search.html", "genindex.html")) or 'http-equiv="Refresh"' in html) and not hrefs:
            continue  # no download menu on the search and index pages, nor on index.html (a redirect)
        assert len(hrefs) == 1, f"{path}: {hrefs}"
        assert (SITE / path).parent.joinpath(hrefs[0]).resolve() == pdfs[edition].resolve(), f"{path}: {hrefs[0]}"
    tab = visit()
    for edition, pdf in pdfs.items():
        page = tab.open(f"{edition}book/notation.html")
        page.locator("button.dropdown-toggle[aria-label]").filter(has=page.locator(".fa-download")).first.click()
        link = page.locator("a.btn-download-book-pdf-button")
        link.wait_for()
        assert HANGUL.search(link.text_content()) if edition else "pdf" in link.text_content()
        response = page.request.get(f"{tab.server}/{edition}book/{link.get_attribute('href')}")
        assert response.ok and response.body() == pdf.read_bytes()
    assert tab.errors == [] and tab.failed == [] and tab.outside == []


# ------------------------------------------------- the site's own words on Korean pages

# The theme's and the site's words as the reader meets them: everything outside the page's own text,
# and inside it what the theme makes (toggles, copy buttons, heading links, figure descriptions), with
# the names and tooltips of controls; the download menu opened. (The figures' text alternatives are the
# library's words, tests/test_a11y.py.)
THEME_TEXT_JS = """() => {
    const found = [];
    const article = document.querySelector('article.bd-article');
    const made = 'summary, button, .headerlink, .copybtn, .figure-description, .admonition-title';
    const content = e => article && article.contains(e) && !e.closest(made);
    const skip = e => e.closest('script, style, pre, code, mjx-container, .math, #search-results .context, [lang="en"]');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n; (n = walker.nextNode());) {
        const text = n.textContent.trim(), e = n.parentElement;
        if (text && !skip(e) && !content(e) && e.checkVisibility({visibilityProperty: true})) found.push(text);
    }
    for (const e of document.querySelectorAll('[title], [aria-label], [placeholder], [data-tooltip], [data-bs-title], svg title')) {
        if (e.closest('[lang="en"]') || content(e)) continue;  // a citation's tooltip is the page's own text
        for (const name of ['title', 'aria-label', 'placeholder', 'data-tooltip', 'data-bs-title'])
            if (e.getAttribute(name)) found.push(e.getAttribute(name));
        if (e.tagName.toLowerCase() === 'title' && e.closest('svg')) found.push(e.textContent);
    }
    found.push(document.title);
    return {lang: document.documentElement.lang, found};
}"""
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
# Words that are the same in both editions: file types, keys, the other edition's name, and the proper
# names and code that the Korean titles keep (collected from the Korean pages' own headings below).
SAME_IN_BOTH = {"ipynb", "md", "pdf", "whl", "Ctrl", "English"}


def test_the_korean_pages_have_no_english_site_text(visit, pages):
    """On every Korean page the site itself speaks Korean: its title (sidebar and <title>), footer, author
    line, search, buttons, toggles, menus and tooltips; the words allowed in English are code, math and
    the proper names the Korean headings themselves keep (Affine, ReLU, ...)."""
    korean = [p for p in pages if p.startswith("ko/")]
    kept = set(SAME_IN_BOTH)
    for path in korean:
        html = (SITE / path).read_text(encoding="utf-8")
        for heading in re.findall(r"<h1>(.*?)<a class=\"headerlink\"", html, re.S):
            kept |= set(LATIN_WORD.findall(re.sub(r"<[^>]+>", " ", heading)))
    tab = visit()
    problems = []
    for path in korean:
        page = tab.open(path)
        menu = page.locator("button.dropdown-toggle").filter(has=page.locator(".fa-download"))
        if menu.count():
            menu.first.click()  # the download menu's entries are visible once it is open
        report = page.evaluate(THEME_TEXT_JS)
        if report["lang"] != "ko":
            problems.append(f"{path}: <html lang={report['lang']!r}>")
        english = sorted({text[:80] for text in report["found"] if set(LATIN_WORD.findall(text)) - kept})
        problems += [f"{path}: {text!r}" for text in english]
    assert not problems, f"English on Korean pages ({len(problems)}):\n" + "\n".join(problems[:200])
