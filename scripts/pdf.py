"""The whole course as one PDF per edition, for reading offline and printing.

    python scripts/pdf.py            # both editions, after `make book` (it is the last step of `make book`)
    python scripts/pdf.py --lang ko  # one edition

Jupyter Book's own single-page build (Sphinx's singlehtml builder: front matter, the chapters, the
exercises and the reference pages in the order of _toc.yml, from the same execution cache as the site)
is printed by Debian's Chromium through Playwright: MathJax typesets the formulas first, the course's
print stylesheet (book/_static/course.css, @media print) hides the navigation and wraps the code, and
Chromium writes a tagged PDF with a bookmark outline from the headings, page numbers in the footer and
every font embedded. The result is put into each edition's site, where every page's download menu
links to it (book/_ext/course_pdf.py): _build/html/backprop-course-en.pdf, _build/html/ko/backprop-course-ko.pdf.
"""
import argparse
import functools
import http.server
import sys
import threading
import time
import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from korean import BUILD, LANGUAGE, ROOT, compile_catalogues, sphinx_build  # noqa: E402

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from course_pdf import PDF_NAMES  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
EDITIONS = {"en": BUILD / "html", LANGUAGE: BUILD / "html" / LANGUAGE}
FOOTER = {"en": "Backpropagation, from computational graphs to a trained network",
          "ko": "역전파: 계산 그래프에서 학습된 신경망까지"}


def single_page(lang):
    """The single-page build of one edition, in _build/singlehtml/<lang>; returns its index.html.
    (Run in a process of its own: Sphinx keeps global state, and the two editions build side by side.)"""
    out = BUILD / "singlehtml" / lang
    overrides = {"language": lang} if lang != "en" else {}
    if lang == LANGUAGE:
        compile_catalogues()
        overrides.update(nb_code_prompt_show="코드 보기", nb_code_prompt_hide="코드 숨기기")
    try:
        sphinx_build("singlehtml", out, BUILD / f".doctrees-singlehtml-{lang}", **overrides)
    except SystemExit as failed:  # korean.sphinx_build exits with a sentence; a worker process raises it
        raise RuntimeError(str(failed)) from None
    # The single page is the root document's (book/intro.html), written with addresses relative to the
    # folder's top (_static/, _images/): print it from there.
    for own in (ROOT / "book" / "_static").glob("*.*"):  # Sphinx never overwrites its earlier copy
        shutil.copy2(own, out / "_static" / own.name)
    root = yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]
    single = out / "course.html"
    shutil.copy2(out / f"{root}.html", single)
    return single


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory):
    """The single page's folder on 127.0.0.1, on a free port (MathJax and fonts load as on the site)."""
    handler = functools.partial(_Quiet, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


FOOTER_TEMPLATE = """<div style="font-size: 8px; width: 100%; padding: 0 12mm; display: flex;
  justify-content: space-between; color: #444; font-family: 'Nanum Gothic', sans-serif;">
  <span>{title}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>"""


def print_pdf(browser, lang, index, target):
    """Print the single page `index` to `target` with Chromium, once MathJax and the fonts are ready."""
    httpd = serve(index.parent)
    try:
        context = browser.new_context(color_scheme="light")
        # nothing but the local server: the PDF is built offline
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            f"http://127.0.0.1:{httpd.server_address[1]}/") or not route.request.url.startswith("http")
            else route.abort())
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/{index.name}", wait_until="networkidle",
                  timeout=300_000)
        page.evaluate("""async () => {
            document.documentElement.dataset.theme = 'light';
            document.querySelectorAll('img').forEach(img => { img.loading = 'eager'; });
            if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
            await Promise.all([...document.images].map(img => img.complete ? null :
                new Promise(done => { img.onload = img.onerror = done; })));
            await document.fonts.ready;
        }""")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".pdf.tmp")
        page.pdf(path=str(partial), format="A4", print_background=True, outline=True, tagged=True,
                 display_header_footer=True, header_template="<span></span>",
                 footer_template=FOOTER_TEMPLATE.format(title=FOOTER[lang]),
                 margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
        partial.replace(target)  # never a half-written PDF on the site
        context.close()
    finally:
        httpd.shutdown()
        httpd.server_close()


def build(langs):
    from playwright.sync_api import sync_playwright

    for lang in langs:
        if not (EDITIONS[lang] / "index.html").exists():
            sys.exit(f"pdf.py: the {lang} site is not built ({EDITIONS[lang]}/index.html): run `make book`")
    start = time.perf_counter()
    with ProcessPoolExecutor(len(langs), mp_context=multiprocessing.get_context("spawn")) as pool:
        indexes = dict(zip(langs, pool.map(single_page, langs)))  # side by side, one per core
    built = time.perf_counter()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            for lang in langs:
                target = EDITIONS[lang] / PDF_NAMES[lang]
                print_pdf(browser, lang, indexes[lang], target)
                print(f"pdf.py: {target.relative_to(ROOT)} ({target.stat().st_size / 1e6:.1f} MB)")
        finally:
            browser.close()
    print(f"pdf.py: single-page builds {built - start:.0f} s, printing {time.perf_counter() - built:.0f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=sorted(EDITIONS), action="append",
                        help="an edition (default: both)")
    args = parser.parse_args(argv)
    build(args.lang or sorted(EDITIONS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
