"""A Korean learner's whole path, in a real browser, reading Korean at every step.

From the built site (`make book`) served on 127.0.0.1, in Debian's Chromium driven by Playwright:
open a Korean chapter page (its answers folded, opened by a click), download an exercise with the
Korean exercise page's own download button, fill in its reference solution (solutions/ is not on the
site: the test brings it), run all its cells in JupyterLab (tests/test_lab.py) and read its visible
checks there, save it, and grade what was saved with `backprop-grade`. At each step the test reads
what the learner reads: the page, the checks' lines, the grader's report; each must be Korean: a line
with Hangul and no English word in it (code, numbers and the course's notation aside:
backprop_lib.code_words.words), not only a pass.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from backprop_lib.code_words import words
from test_korean_share import own_words
from test_from_site import fill_in_reference_solution, site  # noqa: F401 (a fixture)
from test_lab import lab, run_all_cells, shut_down_kernels  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "ko/chapters/04_matmul_node.html"  # predict-then-run answers and hidden outputs
EXERCISE = "02_mul_add_layers"  # its checks are named in words (price, d tax, total)
HANGUL = re.compile("[\uac00-\ud7a3]")


# the exercise's names that are no words of its prose (dout), and the grader's name
CODE = own_words(f"exercises/{EXERCISE}") | {"backprop-grade"}
CAMEL_CASE = re.compile(r"[A-Za-z][a-z]+[A-Z]\w*")  # a class's name: MulLayer, SoftmaxWithLoss


def english(line):
    """The English words of a line the learner reads (a word's Korean particle aside: forward가 is forward)."""
    return [w for w in words(HANGUL.sub(" ", line)) if w.lower() not in CODE and not CAMEL_CASE.fullmatch(w)]


def not_korean(lines):
    """The lines that are not Korean: no Hangul, or an English word in them."""
    return [f"{line}   <- {english(line) or 'no Hangul'}" for line in lines
            if line.strip() and (not HANGUL.search(line) or english(line))]


def test_a_korean_learner_reads_korean_from_chapter_to_grade(site, lab, browser, tmp_path):  # noqa: F811
    base, token, root = lab
    context = browser.new_context(locale="ko-KR", accept_downloads=True, viewport={"width": 1280, "height": 1200})
    page = context.new_page()
    try:
        # 1. A Korean chapter: its answers are folded, and open on a click, in Korean.
        page.goto(f"{site}/{CHAPTER}")
        assert page.evaluate("document.documentElement.lang") == "ko"
        answers = page.locator("article details.answer")
        assert answers.count() >= 2, f"{CHAPTER}: {answers.count()} folded answers"
        assert answers.evaluate_all("boxes => boxes.filter(b => b.open).length") == 0, "an answer is open"
        first = answers.first
        hidden = first.locator("p").first
        assert not hidden.is_visible(), "a folded answer's text is visible"
        summary = first.locator("summary").inner_text()
        assert HANGUL.search(summary) and not english(summary), f"the answer's button says {summary!r}"
        first.locator("summary").click()
        assert hidden.is_visible() and HANGUL.search(hidden.inner_text())

        # 2. The Korean exercise page's download button gives the Korean notebook.
        page.goto(f"{site}/ko/exercises/{EXERCISE}.html")
        page.locator("button.dropdown-toggle").filter(has=page.locator(".fa-download")).first.click()
        with page.expect_download(timeout=30_000) as download:  # the new tab it opens downloads the notebook
            page.locator("a.btn-download-source-button").click()
        downloads = [download.value]
        saved = tmp_path / "download" / downloads[0].suggested_filename
        downloads[0].save_as(saved)
        assert saved.name == f"{EXERCISE}.ipynb", saved.name
        notebook = nbformat.read(saved, as_version=4)
        assert notebook.metadata["backprop"]["language"] == "ko"
        titles = [cell.source.splitlines()[0] for cell in notebook.cells if cell.cell_type == "markdown"]
        assert titles and HANGUL.search(titles[0]), titles[:1]

        # 3. Filled in and run in JupyterLab: the visible checks pass, and say so in Korean.
        exercise = root / "exercises" / f"{EXERCISE}.ipynb"
        nbformat.write(notebook, exercise)
        fill_in_reference_solution(exercise, ROOT / "solutions" / f"{EXERCISE}.ipynb")
        lab_page = context.new_page()
        lab_page.goto(f"{base}/lab/workspaces/korean-learner/tree/exercises/{EXERCISE}.ipynb?token={token}")
        run_all_cells(lab_page)
        assert lab_page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count() == 0
        printed = lab_page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stdout']")
        lines = [line for text in printed.all_inner_texts() for line in text.splitlines() if line.strip()]
        checks = [line for line in lines if line.lstrip().startswith(("✓", "✗"))]
        assert len(checks) >= 10, f"the visible checks printed {lines}"
        assert all(line.lstrip().startswith("✓") for line in checks), checks
        problems = [f"a visible check: {line}" for line in not_korean(lines)]
        lab_page.keyboard.press("Control+s")
        lab_page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=20_000)
        lab_page.close()
    finally:
        context.close()
        shut_down_kernels(base, token)

    # 4. Graded as submitted (the saved notebook), in the language the notebook declares.
    submission = tmp_path / f"{EXERCISE}.ipynb"
    shutil.copy2(exercise, submission)
    env = {key: value for key, value in os.environ.items() if key not in ("BACKPROP_LANG", "LANGUAGE", "LC_ALL")}
    env["LANG"] = "C.UTF-8"  # not the environment's language: the notebook's
    grade = Path(sys.executable).with_name("backprop-grade")
    result = subprocess.run([str(grade), submission.name, "--json", "results.json"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    full_marks = sum(test["max_score"] for test in results["tests"])
    assert full_marks > 0 and results["score"] == full_marks, result.stdout
    report = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]  # all on the screen
    assert len(report) >= 10 and "점수" in result.stdout, result.stdout
    problems += [f"the grader's report: {line}" for line in not_korean(report)]
    assert not problems, "what the learner reads is not Korean:\n" + "\n".join(problems)
