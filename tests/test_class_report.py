"""The teacher's view of a batch: the class report, the summary JSON, per-student feedback, and
PrairieLearn's results.json.

One real batch of 200 mixed submissions (the reference solutions, the released stubs, and the
solutions with the mistakes a class makes: bias gradient not summed, no division by N, dW
transposed, ReLU's backward in place; plus unreadable files and hostile text) is graded through
the command line with -j 2. Its CSV, page and summary must agree; the page is opened from the
file system in headless Chromium (a screenshot is kept in artifacts/class_report.png).
"""
import csv
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS

from backprop_grader.reports import class_report, feedback, prairielearn, text
from backprop_grader.reports.text import inert
from backprop_grader.grader import grade

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES, ARTIFACTS = ROOT / "solutions", ROOT / "exercises", ROOT / "artifacts"
GRADE = [sys.executable, "-m", "backprop_grader.cli"]

BIAS_HINT = "the bias gradient must be summed over the batch"
HOSTILE_HTML = "<img src=y onerror=alert(2)><script>alert(3)</script>"
# student folders with markup, a spreadsheet formula and a bidi override: one graded, one unreadable
HOSTILE_FOLDERS = {5: "\u202e<i>graded</i>", 192: "<b>=HYPERLINK(1)</b>\u202eevil"}
# (exercise stem, mistake, how many): a mistake is (text in the solution, its replacement)
MISTAKES = {
    "bias not summed": ("06_affine", ("self.db = np.sum(dout, axis=0)", "self.db = dout")),
    "dW transposed 06": ("06_affine", ("self.dW = self.x.T @ dout", "self.dW = (self.x.T @ dout).T")),
    "hostile message": ("06_affine", ("dx = dout @ self.W.T", f"raise ValueError({HOSTILE_HTML!r})")),
    "no division by N": ("07_softmax_with_loss", ("return dx * dout / batch_size", "return dx * dout")),
    "dW transposed 04": ("04_matmul", ("self.dW = self.x.T @ dout", "self.dW = (self.x.T @ dout).T")),
    "relu in place": ("05_activations", ("return np.where(self.mask, 0.0, dout)",
                                         "dout[self.mask] = 0\n        return dout")),
}
CLASS = [("bias not summed", 70), ("solution 06_affine", 20), ("dW transposed 06", 12), ("hostile message", 2),
         ("stub 06_affine", 4), ("no division by N", 20), ("solution 07_softmax_with_loss", 14),
         ("stub 07_softmax_with_loss", 4), ("solution 04_matmul", 10), ("dW transposed 04", 8),
         ("relu in place", 8), ("solution 05_activations", 6), ("solution 01_graph_forward", 3),
         ("solution 02_mul_add_layers", 3), ("solution 03_repeat_sum", 3), ("stub 03_repeat_sum", 2),
         ("solution 08_two_layer_gradient", 2), ("solution 09_sgd_training", 1), ("unreadable", 8)]
UNREADABLE = [("04_matmul.ipynb", b""), ("06_affine.ipynb", b"{not json"), ("essay.pdf", b"%PDF-1.4"),
              ("99_unknown.py", b"x = 1\n"), ("07_softmax_with_loss.ipynb", b"\xff\xfe"),
              ("05_activations.ipynb", b"[]"), ("notes.txt", b"hello"), ("01_graph_forward.ipynb", b"{}")]


def with_mistake(stem, mistake):
    """The reference solution of `stem` with one piece of code replaced (it must be there)."""
    notebook = nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4)
    old, new = mistake
    found = [cell for cell in notebook.cells if cell.cell_type == "code" and old in cell.source]
    assert len(found) == 1, f"{old!r} is not in one cell of solutions/{stem}.ipynb"
    found[0].source = found[0].source.replace(old, new)
    return nbformat.writes(notebook).encode("utf-8")


def build_class(directory):
    """200 submissions, one folder per student; returns {relative path: what it is}."""
    kinds = {}
    for kind, count in CLASS:
        for i in range(count):
            folder = HOSTILE_FOLDERS.get(len(kinds), f"student_{len(kinds):03d}")
            if kind == "unreadable":
                name, data = UNREADABLE[i]
            elif kind.startswith(("solution ", "stub ")):
                stem = kind.split()[1]
                name, data = f"{stem}.ipynb", ((SOLUTIONS if kind.startswith("solution") else EXERCISES)
                                               / f"{stem}.ipynb").read_bytes()
            else:
                stem, mistake = MISTAKES[kind]
                name, data = f"{stem}.ipynb", with_mistake(stem, mistake)
            (directory / folder).mkdir(parents=True)
            (directory / folder / name).write_bytes(data)
            kinds[f"{folder}/{name}"] = kind
    assert len(kinds) == 200
    return kinds


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    kinds = build_class(root / "in")
    out = root / "out" / "grades.csv"
    out.parent.mkdir()
    start = time.monotonic()
    done = subprocess.run([*GRADE, "--batch", str(root / "in"), "--out", str(out), "-j", "2"],
                          capture_output=True, text=True, timeout=900)
    elapsed = time.monotonic() - start
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "class_report_batch_seconds.txt").write_text(f"200 submissions, -j 2: {elapsed:.1f} s\n")
    assert done.returncode == 0, f"the batch failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    page, summary_path = class_report.report_paths(out)
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    return {"kinds": kinds, "rows": rows, "page": page, "summary": summary, "done": done,
            "reports": feedback.default_reports_dir(out)}


def exercise(summary, number):
    return next(ex for ex in summary["exercises"] if ex["exercise"] == number)


# --- the numbers: CSV, summary and per-student reports agree ----------------------------------

def test_batch_of_200_has_a_row_each_and_a_summary_that_agrees_with_the_csv(graded_class):
    rows, summary = graded_class["rows"], graded_class["summary"]
    assert len(rows) == 200 and summary["submissions"] == 200
    assert summary["by_status"] == dict(Counter(r["status"] for r in rows))
    assert summary["by_status"]["could-not-grade"] == 8
    assert sum(ex["submissions"] for ex in summary["exercises"]) == 200
    for ex in summary["exercises"]:
        mine = [r for r in rows if r["exercise"] == ex["exercise"]]
        graded = [float(r["percent"]) for r in mine if r["status"] == "graded"]
        assert (ex["submissions"], ex["graded"], ex["not_graded"]) == (len(mine), len(graded), len(mine) - len(graded))
        assert sum(ex["score_histogram"]["counts"]) == len(graded)
        for low, n in zip(ex["score_histogram"]["bins"], ex["score_histogram"]["counts"]):
            assert n == sum(1 for p in graded if low <= p < low + 10 or (low == 90 and p == 100))
        if graded:
            assert ex["mean_percent"] == pytest.approx(sum(graded) / len(graded), abs=0.01)
        assert {c["submission"] for c in ex["could_not_grade"]} == {
            inert(r["submission"], keep_newlines=True) for r in mine if r["status"] != "graded"}
        assert ex["without_report"] == []
        assert all(t["attempts"] == len(graded) for t in ex["tests"])
        assert [t["pass_rate"] for t in ex["tests"]] == sorted(t["pass_rate"] for t in ex["tests"])


def as_in_csv(name):
    """A relative path as the CSV lists it (and as its reports are named): escaped, formulas quoted."""
    return text.csv_cell(text.inert(name))


def student_records(graded_class):
    """{relative path: its JSON report}, found by the name the batch derives from the path."""
    reports = graded_class["reports"]
    return {name: json.loads((reports / f"{feedback.report_stem(as_in_csv(name))}.json").read_text(encoding="utf-8"))
            for name in graded_class["kinds"]}


def test_pass_rates_and_diagnosis_counts_recount_from_the_student_reports(graded_class):
    summary, records = graded_class["summary"], student_records(graded_class)
    for ex in summary["exercises"]:
        mine = [rec for rec in records.values() if rec["exercise"] == ex["exercise"] and rec["status"] == "graded"]
        assert len(mine) == ex["graded"]
        for test in ex["tests"]:
            assert test["passed"] == sum(t["passed"] for rec in mine for t in rec["tests"] if t["name"] == test["name"])
        for d in ex["diagnoses"]:
            shown = [rec for rec in mine if any(class_report.diagnosis(m) == d["diagnosis"]
                                               for t in rec["tests"] for m in t["failures"])]
            assert d["submissions"] == len(shown) and 1 <= len(set(d["examples"])) == len(d["examples"]) <= 2


def test_the_class_that_forgot_the_bias_sum_sees_that_diagnosis_first(graded_class):
    kinds, summary = graded_class["kinds"], graded_class["summary"]
    affine = exercise(summary, "06")
    first = affine["diagnoses"][0]
    assert BIAS_HINT in first["diagnosis"]
    assert first["submissions"] == sum(1 for k in kinds.values() if k == "bias not summed")
    softmax = exercise(summary, "07")
    assert "did you forget to divide by the batch size?" in softmax["diagnoses"][0]["diagnosis"]
    assert softmax["diagnoses"][0]["submissions"] == 20
    assert "#" in softmax["diagnoses"][0]["diagnosis"]  # "found is # times expected": batch sizes do not split it
    assert any("transpose" in d["diagnosis"] for d in exercise(summary, "04")["diagnoses"][:2])
    assert any("must not change its arguments" in d["diagnosis"] for d in exercise(summary, "05")["diagnoses"][:2])


def test_examples_are_anonymised(graded_class):
    for ex in graded_class["summary"]["exercises"]:
        for d in ex["diagnoses"]:
            for example in d["examples"]:
                assert "student_" not in example and "evil" not in example and ".ipynb" not in example, example


def test_the_terminal_shows_progress_and_ends_with_one_summary_line(graded_class):
    done, summary = graded_class["done"], graded_class["summary"]
    assert "grading: 100%" in done.stderr and "200/200" in done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    assert lines[0].startswith("200 submissions in ") and f"{summary['by_status']['graded']} graded" in lines[0]
    assert "8 could-not-grade" in lines[0] and str(graded_class["page"]) in lines[0]


# --- per-student feedback -----------------------------------------------------------------------

def test_every_submission_gets_a_text_and_a_json_report_named_after_it(graded_class):
    kinds, reports = graded_class["kinds"], graded_class["reports"]
    stems = [feedback.report_stem(as_in_csv(name)) for name in kinds]
    assert len(set(stems)) == 200
    assert sorted(p.name for p in reports.iterdir()) == sorted([f"{s}.txt" for s in stems] + [f"{s}.json" for s in stems])
    rows = {row["submission"]: row for row in graded_class["rows"]}
    for name, record in student_records(graded_class).items():
        if name.startswith("student_"):  # a teacher finds alice/06_affine.ipynb as alice__06_affine.ipynb.*
            assert record["report"].startswith(name.replace("/", "__") + ".")
            row = rows[name]
            assert (record["score"], record["status"], record["sha256"]) == (float(row["score"]), row["status"], row["sha256"])
        assert record["submission"] == as_in_csv(name)


def test_learner_text_is_inert_in_reports_and_escaped_on_the_page(graded_class):
    reports, page = graded_class["reports"], graded_class["page"].read_text(encoding="utf-8")
    for path in reports.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "\u202e" not in text and "\x1b" not in text
    hostile = [p for p in reports.iterdir() if "HYPERLINK" in p.name]
    assert hostile and all("<" not in p.name and "/" not in p.name for p in hostile)
    assert "<script" not in page and "<b>" not in page and "\u202e" not in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page  # the learner's exception text, shown as text
    assert "&lt;b&gt;=HYPERLINK(1)&lt;/b&gt;" in page  # the hostile folder, listed among the not graded


# --- the page in a real browser -------------------------------------------------------------------

def test_the_page_opens_offline_in_chromium_with_its_figures_and_the_same_numbers(graded_class):
    from playwright.sync_api import sync_playwright
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium (scripts/system-deps.sh)"
    summary, page_path = graded_class["summary"], graded_class["page"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            outside, errors = [], []
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                          else (outside.append(route.request.url), route.abort())[1])
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (errors.append(f"dialog {d.message}"), d.dismiss()))
            page.goto(page_path.as_uri())
            page.wait_for_load_state("load")
            images = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.className, i.complete, i.naturalWidth])")
            dom = page.evaluate("""() => [...document.querySelectorAll('section.exercise')].map(s => ({
                exercise: s.dataset.exercise,
                numbers: ['.submissions', '.graded', '.not-graded'].map(c => +s.querySelector(c).textContent),
                bins: [...s.querySelectorAll('td.bin')].map(td => +td.textContent),
                passed: [...s.querySelectorAll('tr.test')].map(tr => [tr.cells[0].textContent,
                         +tr.querySelector('.passed').textContent, +tr.querySelector('.attempts').textContent]),
                diagnoses: [...s.querySelectorAll('tr.diagnosis')].map(tr => [tr.querySelector('.idea').textContent,
                            +tr.querySelector('.count').textContent]),
                not_graded: s.querySelectorAll('tr.not-graded').length}))""")
            scripts = page.eval_on_selector_all("script", "s => s.length")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "class_report.png"), full_page=False)
            page.locator("#ex-06").screenshot(path=str(ARTIFACTS / "class_report_06.png"))
        finally:
            browser.close()
    assert errors == [] and outside == [] and scripts == 0
    graded = [ex for ex in summary["exercises"] if ex["graded"]]
    assert len(images) == 2 * len(graded) and all(complete and width > 0 for _, complete, width in images), images
    assert [d["exercise"] for d in dom] == [ex["exercise"] for ex in summary["exercises"]]
    for shown, ex in zip(dom, summary["exercises"]):
        assert shown["numbers"] == [ex["submissions"], ex["graded"], ex["not_graded"]]
        assert shown["bins"] == (ex["score_histogram"]["counts"] if ex["graded"] else [])
        assert shown["passed"] == [[t["name"], t["passed"], t["attempts"]] for t in ex["tests"]]
        assert shown["diagnoses"] == [[d["diagnosis"], d["submissions"]] for d in ex["diagnoses"][:10]]
        assert shown["not_graded"] == len(ex["could_not_grade"])


def test_a_rerun_grades_nothing_again_and_writes_the_same_report(graded_class, tmp_path):
    """A resumed batch has the per-test results of earlier runs from the per-student JSON reports."""
    out = graded_class["page"].with_suffix(".csv")
    before = dict(graded_class["summary"], wall_seconds=None)
    done = subprocess.run([*GRADE, "--batch", str(out.parents[1] / "in"), "--out", str(out), "-j", "2"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    after = json.loads(class_report.report_paths(out)[1].read_text(encoding="utf-8"))
    assert "200 submissions (200 kept from an earlier run) in " in done.stdout and after["submissions"] == 200
    assert dict(after, wall_seconds=None) == before


def test_the_reports_of_a_batch_inside_its_own_folder_are_never_graded(tmp_path):
    from backprop_grader.batch import grade_batch
    (tmp_path / "01_alice.py").write_text("def shopping_forward(*args):\n    return 0, 0, 0, 0\n")
    out = tmp_path / "grades.csv"
    for _ in range(2):
        grade_batch(tmp_path, out, progress=None)
        with open(out, encoding="utf-8", newline="") as f:
            assert [row["submission"] for row in csv.DictReader(f)] == ["01_alice.py"]
    page, summary = class_report.report_paths(out)
    assert page.exists() and json.loads(summary.read_text())["submissions"] == 1


# --- units: names, diagnoses, anonymisation --------------------------------------------------------

def test_report_names_are_safe_and_never_shared():
    names = ["a/b.ipynb", "a__b.ipynb", "a b.ipynb", "a_b.ipynb", "../x.ipynb", ".hidden/x.py", "=cmd|' /C calc'!A0.py",
             "x" * 300 + "/06_affine.ipynb", "\udcff.py", "\u202etxt.ipynb"]
    stems = [feedback.report_stem(n) for n in names]
    assert len(set(stems)) == len(names)
    for stem in stems:
        assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,110}", stem), stem
    assert feedback.report_stem("alice/06_affine.ipynb").startswith("alice__06_affine.ipynb.")


@pytest.mark.parametrize("a, b", [
    ("Affine.backward dx is wrong at index (0, 3): expected 0.5, found 2 (12 of 20 entries differ). "
     "Hint: found is 4 times expected: did you forget to divide by the batch size?",
     "SoftmaxWithLoss.backward dx is wrong at index 2: expected -1e-3, found -7e-3 (3 of 3 entries differ). "
     "Hint: found is 7 times expected: did you forget to divide by the batch size?"),
    ("this counts once forward is right: MatMul.forward output is wrong at index (1, 1): expected 3, found 4.",
     "MatMul.forward output is wrong at index (2, 0, 1): expected 0.25, found nan."),
])
def test_diagnoses_do_not_split_on_numbers_or_shapes(a, b):
    assert class_report.diagnosis(a) == class_report.diagnosis(b)
    assert not re.search(r"\d", class_report.diagnosis(a).replace("MatMul", ""))


def test_diagnoses_keep_apart_what_is_different():
    shape = "Affine.backward db has shape (5, 3); expected (3,). Hint: the bias gradient must be summed over the batch."
    ratio = "Affine.backward db is wrong at index 1: expected 1, found 5. Hint: found is 5 times expected: did you ..."
    assert class_report.diagnosis(shape) != class_report.diagnosis(ratio)
    assert class_report.diagnosis("Affine.backward dW is wrong at index 0: expected 1, found 2.") != \
        class_report.diagnosis("Affine.backward dx is wrong at index 0: expected 1, found 2.")
    assert class_report.diagnosis("not implemented yet (NotImplementedError: task 3)") == "not implemented yet"


def test_anonymise_removes_the_path_and_its_parts():
    message = "could not read alice_smith/06_affine.ipynb: alice_smith wrote 06_affine"
    assert class_report.anonymise(message, "alice_smith/06_affine.ipynb") == \
        "could not read <submission>: <submission> wrote <submission>"


def test_inert_shows_invisible_characters():
    assert inert("a\x1b[31mb\u202ec\rd\u2028e\nf\tg", keep_newlines=True) == "a\\x1b[31mb\\u202ec\\x0dd\\u2028e\nf\\x09g"


# --- PrairieLearn ------------------------------------------------------------------------------------

def assert_prairielearn_results(results):
    """The fields of PrairieLearn's documentation ("External Grading", "Grading results")."""
    assert isinstance(results["gradable"], bool)
    assert isinstance(results["score"], (int, float)) and 0 <= results["score"] <= 1
    assert isinstance(results["message"], str) and isinstance(results["output"], str)
    for test in results["tests"]:
        assert set(test) >= {"name", "points", "max_points", "message", "output"}
        assert isinstance(test["name"], str) and isinstance(test["message"], str) and isinstance(test["output"], str)
        assert 0 <= test["points"] <= test["max_points"]
    if not results["gradable"]:
        assert results["format_errors"] and results["tests"] == []
    assert len(json.dumps(results).encode()) < 1 << 20  # "this file should be limited to 1 MB"


def test_prairielearn_results_of_a_solution_a_mistake_and_an_unreadable_file(tmp_path):
    (tmp_path / "06_affine.ipynb").write_bytes(with_mistake("06_affine", MISTAKES["bias not summed"][1]))
    (tmp_path / "07_broken.ipynb").write_bytes(b"{not json")
    full = prairielearn.results(grade(SOLUTIONS / "06_affine.ipynb"))
    wrong = prairielearn.results(grade(tmp_path / "06_affine.ipynb"))
    broken = prairielearn.results(grade(tmp_path / "07_broken.ipynb"))
    for results in (full, wrong, broken):
        assert_prairielearn_results(results)
    assert full["gradable"] and full["score"] == 1 and all(t["points"] == t["max_points"] for t in full["tests"])
    assert wrong["gradable"] and 0 < wrong["score"] < 1
    assert any(BIAS_HINT in t["output"] for t in wrong["tests"] if t["points"] < t["max_points"])
    assert broken["gradable"] is False and "not a valid Jupyter notebook" in broken["format_errors"][0]


def test_prairielearn_entrypoint_and_format_flag(tmp_path):
    root = tmp_path / "grade"
    (root / "student").mkdir(parents=True)
    (root / "student" / "04_matmul.ipynb").write_bytes((SOLUTIONS / "04_matmul.ipynb").read_bytes())
    done = subprocess.run([*GRADE, "prairielearn", "--root", str(root)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert_prairielearn_results(results)
    assert results["score"] == 1 and len(results["tests"]) >= 3
    out = tmp_path / "pl.json"
    done = subprocess.run([*GRADE, str(EXERCISES / "04_matmul.ipynb"), "--json", str(out), "--format", "prairielearn"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert_prairielearn_results(results)
    assert results["score"] == 0 and "not implemented yet" in results["tests"][0]["message"]
