"""Learner feedback in Korean: the same facts in the same places as in English.

A wrong submission graded in English and in Korean gives two reports whose facts are parsed,
each with its own language's sentence, and compared: the array, the index, the expected and
found values (or shapes), line by line. The visible checks speak Korean in a real kernel, a
notebook from the Korean site is reported in Korean without being asked, and a notebook's
language value is only ever "en" or "ko": anything else is English, and never shown.
The catalogues' completeness (the library's and the grader's) is korean.py's library_problems()
(tested here and in lint).
"""
import json
import re
import sys
import textwrap
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from backprop_grader import batch, cli, grader
from test_gradescope import autograder  # noqa: F401  (the Gradescope zip, unpacked and set up: a fixture)
from test_grading import MATMUL_TRANSPOSED_DW  # the English tests' wrong MatMul: dW transposed
from test_gradescope import MODES, grade as gradescope_grade
from backprop_grader.language import declare, reporting
from backprop_lib import language
from backprop_lib.checks import CheckFailed, check, compare

ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"[-+]?(?:\d+(?:\.\d+)?(?:e[-+]?\d+)?|nan|inf)"
SHAPE = r"\((?:\d+, )*\d*,?\)"
INDEX = r"(?:\((?:\d+, )+\d+\)|\d+)"
ARRAY = r"[A-Za-z_][\w.\[\]']*(?: d?[A-Za-z_][\w.\[\]']*)?"
# Each fact, as each language says it: (kind, English, Korean); named groups are the facts.
FACTS = [
    ("value", rf"\b(?P<array>{ARRAY}) is wrong at index (?P<index>{INDEX}): expected (?P<expected>{NUMBER}), "
              rf"found (?P<found>{NUMBER})",
              rf"\b(?P<array>{ARRAY})의 인덱스 (?P<index>{INDEX}) 값이 틀렸습니다: 기대한 값 (?P<expected>{NUMBER}), "
              rf"실제 값 (?P<found>{NUMBER})"),
    ("shape", rf"\b(?P<array>{ARRAY}) has shape (?P<found>{SHAPE}); expected (?P<expected>{SHAPE})",
              rf"\b(?P<array>{ARRAY})의 형상이 (?P<found>{SHAPE})입니다. 기대한 형상은 (?P<expected>{SHAPE})입니다"),
    ("in place", rf"\b(?P<array>[A-Za-z_]\w*)(?: \([a-z ]+\))? was modified in place: at index (?P<index>{INDEX}) "
                 rf"it was (?P<was>{NUMBER}), now it is (?P<now>{NUMBER}) \((?P<count>\d+) entries changed\)",
                 rf"\b(?P<array>[A-Za-z_]\w*)(?: \([\w ]+\))?: 제자리에서\(in place\) 바뀌었습니다. 인덱스 "
                 rf"(?P<index>{INDEX})의 값이 전에는 (?P<was>{NUMBER}), 지금은 (?P<now>{NUMBER})입니다 "
                 rf"\(원소 (?P<count>\d+)개가 바뀜\)"),
    ("not finite", rf"\b(?P<array>{ARRAY}) output is (?P<value>{NUMBER}) at index (?P<index>{INDEX}) "
                   rf"\((?P<count>\d+) of (?P<size>\d+) entries are NaN or inf\)",
                   rf"\b(?P<array>{ARRAY}) 출력의 인덱스 (?P<index>{INDEX}) 값이 (?P<value>{NUMBER})입니다 "
                   rf"\(원소 (?P<size>\d+)개 중 (?P<count>\d+)개가 NaN 또는 inf\)"),
]

MATMUL_SQUARE_WRONG_SIGN = (MATMUL_TRANSPOSED_DW.replace("self.dW = dout.T @ self.x", "self.dW = self.x.T @ dout")
                            .replace("return dout @ self.W.T", "return -(dout @ self.W.T)"))

WRONG = {"04_matmul.py": MATMUL_TRANSPOSED_DW, "04_matmul_sign.py": MATMUL_SQUARE_WRONG_SIGN,
         "05_mutates_dout.py": (ROOT / "tests" / "submissions" / "05_mutates_dout.py").read_text(encoding="utf-8"),
         "06_broadcast_shape.py": (ROOT / "tests" / "submissions" / "06_broadcast_shape.py").read_text(encoding="utf-8"),
         "07_nan_results.py": (ROOT / "tests" / "submissions" / "07_nan_results.py").read_text(encoding="utf-8"),
         **{name: (ROOT / "tests" / "submissions" / name).read_text(encoding="utf-8")  # a recognised mistake's hint
            for name in ("18_mean_variance_constants.py", "19_buffered_add.py", "20_copied_to_window.py")}}

WRONG.update({name: (ROOT / "tests" / "submissions" / name).read_text(encoding="utf-8")  # a named mistake's hint
              for name in ("21_true_class_column.py", "22_unaligned_dout.py", "23_dg_not_summed.py",
                           "23_no_sigmoid_slope.py")})


@pytest.fixture(autouse=True)
def english_environment(monkeypatch):
    """CI's environment (LANG=C.UTF-8, nothing chosen): English unless a test asks for Korean."""
    for variable in ("BACKPROP_LANG", "LC_ALL", "LC_MESSAGES", "JPY_SESSION_NAME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def facts(line, lang):
    """[(kind, {fact: value})] that `line` states, in the order it states them."""
    found = []
    for kind, english, korean in FACTS:
        found += [(m.start(), kind, m.groupdict()) for m in re.finditer(english if lang == "en" else korean, line)]
    return [(kind, groups) for _, kind, groups in sorted(found, key=lambda f: f[0])]


def numbers(line):
    return Counter(re.findall(NUMBER, line))


def graded_twice(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return grader.grade(path, language="en"), grader.grade(path, language="ko")


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_korean_report_names_the_same_array_index_expected_and_found_values(tmp_path, name):
    english, korean = graded_twice(tmp_path, name, WRONG[name])
    assert (english.language, korean.language) == ("en", "ko")
    assert korean.score == english.score < english.max_score  # words change, points never
    en_lines, ko_lines = english.text().splitlines(), korean.text().splitlines()
    assert len(en_lines) == len(ko_lines), "the same lines in the same places"
    stated = 0
    for en, ko in zip(en_lines, ko_lines):
        assert len(ko) - len(ko.lstrip()) == len(en) - len(en.lstrip()), (en, ko)  # a message stays under its test
        if en.startswith(("✓", "✗")):
            assert ko[0] == en[0] and ko.split()[-1] == en.split()[-1], (en, ko)  # the verdict and the points
        assert facts(ko, "ko") == facts(en, "en"), (en, ko)
        stated += len(facts(en, "en"))
        assert not numbers(en) - numbers(ko), (en, ko)  # every number of the English line is in the Korean one
        assert not re.search("[가-힣]", en), en
    assert stated > 0, "the reports state at least one parsed fact"
    assert re.search("[가-힣]", korean.text()) and "Score" not in korean.text()
    assert korean.text().count("힌트: ") == english.text().count("Hint: ")


def test_the_parser_reads_the_facts_of_each_sentence():
    """The test's own parser, on sentences of checks.compare (so that a fact it misses fails here)."""
    import numpy as np
    with reporting("en"):
        en = compare("MatMul.backward dW", np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[1.0, 2.0], [3.0, 4.0]]))
    with reporting("ko"):
        ko = compare("MatMul.backward dW", np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[1.0, 2.0], [3.0, 4.0]]))
    expected = [("value", {"array": "MatMul.backward dW", "index": "(1, 1)", "expected": "4", "found": "5"})]
    assert facts(en, "en") == expected and facts(ko, "ko") == expected, (en, ko)
    assert ko.startswith("MatMul.backward dW의 인덱스 (1, 1) 값이 틀렸습니다: 기대한 값 4, 실제 값 5")


def test_gradescope_results_and_feedback_files_are_korean_with_english_keys(tmp_path):
    english, korean = graded_twice(tmp_path, "04_matmul.py", MATMUL_TRANSPOSED_DW)
    en_json, ko_json = english.gradescope(), korean.gradescope()
    assert [t["score"] for t in ko_json["tests"]] == [t["score"] for t in en_json["tests"]]
    assert [t["status"] for t in ko_json["tests"]] == [t["status"] for t in en_json["tests"]]  # machine words
    assert ko_json["output"].startswith("연습문제 04: MatMul 계층") and "점수 7 / 12" in ko_json["output"]
    assert any("기울기 확인" in t["name"] for t in ko_json["tests"])
    from backprop_grader.reports.feedback import student_record
    record = student_record(korean, "alice/04_matmul.py")
    assert record["language"] == "ko" and record["title"] == "MatMul 계층"
    assert [t["name"] for t in record["tests"]] == [t.name for t in english.tests]  # the class report's keys
    assert "MatMul 기울기 확인 [무작위 배치" in " ".join(t["display_name"] for t in record["tests"])


ABSENT = object()


def _notebook(tmp_path, name, solution, declared=ABSENT):
    """The released exercise notebook with `solution` in its solution cell, declaring `declared`."""
    nb = nbformat.read(ROOT / "exercises" / "04_matmul.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if c.metadata.get("backprop", {}).get("role") == "solution"]
    cell.source = textwrap.dedent(solution)
    if declared is not ABSENT:
        nb.metadata["backprop"]["language"] = declared
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_a_notebook_from_the_korean_site_is_reported_in_korean_without_asking(tmp_path, capsys):
    path = _notebook(tmp_path, "04_matmul.ipynb", MATMUL_TRANSPOSED_DW, "ko")
    assert cli.main([str(path)]) == 0
    report = capsys.readouterr().out
    assert report.startswith("연습문제 04: MatMul 계층\n점수: 7 / 12 (58%)\n"), report
    assert re.search(r"MatMul.backward dW의 형상이 \(\d+, \d+\)입니다. 기대한 형상은 \(\d+, \d+\)입니다. 힌트: "
                     r"형상이 전치되어 있습니다", report) or "MatMul.backward dW의 인덱스" in report, report
    assert cli.main([str(path), "--language", "en"]) == 0  # the teacher's choice comes first
    assert capsys.readouterr().out.startswith("Exercise 04: The MatMul layer\nScore: 7 / 12 (58%)\n")


def test_a_notebook_that_says_nothing_follows_the_environment(tmp_path, capsys, monkeypatch):
    path = _notebook(tmp_path, "04_matmul.ipynb", MATMUL_TRANSPOSED_DW)
    assert cli.main([str(path)]) == 0
    assert capsys.readouterr().out.startswith("Exercise 04: The MatMul layer\n")
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert cli.main([str(path)]) == 0
    assert capsys.readouterr().out.startswith("연습문제 04: MatMul 계층\n")
    path = _notebook(tmp_path, "04_matmul.ipynb", MATMUL_TRANSPOSED_DW, "en")  # it says English: English
    assert cli.main([str(path)]) == 0
    assert capsys.readouterr().out.startswith("Exercise 04: The MatMul layer\n")


@pytest.mark.parametrize("hostile", ["../../x", 5, "ko\u202e", "ko_KR", {"ko": "ko"}, ["ko"], None, "\x1b[2Jko"])
def test_any_other_language_value_is_english_and_never_shown(tmp_path, capsys, hostile):
    path = _notebook(tmp_path, "04_matmul.ipynb", MATMUL_TRANSPOSED_DW, hostile)
    assert language.declared_language(json.loads(path.read_text(encoding="utf-8"))) == "en"
    assert cli.main([str(path), "--json", str(tmp_path / "results.json")]) == 0
    out = capsys.readouterr().out
    results = (tmp_path / "results.json").read_text(encoding="utf-8")
    assert out.startswith("Exercise 04: The MatMul layer\nScore: 7 / 12 (58%)\n")
    for shown in (out, results):
        assert "../../x" not in shown and "\u202e" not in shown and "\x1b" not in shown and "ko_KR" not in shown
        assert not re.search("[가-힣]", shown)


def test_a_batch_writes_each_learner_in_their_language_and_the_class_report_in_the_teachers(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    _notebook(inbox, "04_kim.ipynb", MATMUL_TRANSPOSED_DW, "ko")
    _notebook(inbox, "04_smith.ipynb", MATMUL_TRANSPOSED_DW)
    out = tmp_path / "grades.csv"
    assert cli.main(["--batch", str(inbox), "--out", str(out), "--reports", str(tmp_path / "reports")]) == 0
    texts = {json.loads(p.read_text(encoding="utf-8"))["submission"]: p.with_suffix(".txt").read_text(encoding="utf-8")
             for p in (tmp_path / "reports").glob("*.json")}
    assert texts["04_kim.ipynb"].startswith("연습문제 04: MatMul 계층\n점수: 7 / 12 (58%)\n")
    assert texts["04_smith.ipynb"].startswith("Exercise 04: The MatMul layer\nScore: 7 / 12 (58%)\n")
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(batch.COLUMNS)  # machine-read columns: the same in every language
    summary = json.loads(out.with_name("grades.summary.json").read_text(encoding="utf-8"))
    [exercise] = summary["exercises"]
    assert all(t["attempts"] == 2 for t in exercise["tests"])  # both learners counted under one English key
    page = out.with_suffix(".html").read_text(encoding="utf-8")
    assert "<h2>Exercise 04: The MatMul layer</h2>" in page and 'lang="en"' in page
    assert cli.main(["--batch", str(inbox), "--out", str(tmp_path / "again.csv"), "--language", "ko",
                     "--reports", str(tmp_path / "reports-ko")]) == 0
    page = (tmp_path / "again.html").read_text(encoding="utf-8")
    assert "<h2>연습문제 04: MatMul 계층</h2>" in page and 'lang="ko"' in page and "MatMul 기울기 확인" in page
    texts = [p.read_text(encoding="utf-8") for p in (tmp_path / "reports-ko").glob("*.txt")]
    assert len(texts) == 2 and all(t.startswith("연습문제 04") for t in texts)  # --language: every report


def test_a_visible_check_speaks_the_learners_language_and_keeps_the_numbers(monkeypatch, capsys):
    import numpy as np
    monkeypatch.setenv("BACKPROP_LANG", "ko")
    check("dx", np.ones(3), np.ones(3))
    assert capsys.readouterr().out == "✓ dx: 일치합니다\n"
    with pytest.raises(CheckFailed) as korean:
        check("dW", np.eye(2) * 2, np.eye(2))
    monkeypatch.setenv("BACKPROP_LANG", "en")
    with pytest.raises(CheckFailed) as english:
        check("dW", np.eye(2) * 2, np.eye(2))
    assert facts(str(korean.value), "ko") == facts(str(english.value), "en") != []
    assert str(korean.value).startswith("dW의 인덱스 (0, 0) 값이 틀렸습니다: 기대한 값 1, 실제 값 2 (원소 4개 중 2개가 다름). 힌트:")


def test_a_failed_check_shows_its_korean_message_first_in_a_real_kernel(monkeypatch):
    """BACKPROP_LANG=ko reaches the kernel (as LANG=ko_KR does): IPython shows the Korean message first,
    then the cell's line in Korean."""
    from nbclient import NotebookClient
    monkeypatch.setenv("BACKPROP_LANG", "ko")
    cells = ["import numpy as np\nfrom backprop_lib.checks import check, explain_shape_errors",
             "x = 1\ncheck('dW', np.eye(2) * 2, np.eye(2))",
             "with explain_shape_errors('MatMul'):\n    np.ones((2, 3)) @ np.ones((2, 3))",
             "check('db', np.ones(3), np.ones(3))"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    [value_error] = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert value_error.ename == "CheckFailed"
    assert value_error.traceback[0].startswith("✗ dW의 인덱스 (0, 0) 값이 틀렸습니다: 기대한 값 1, 실제 값 2"), \
        value_error.traceback
    assert value_error.traceback[1] == "  (이 셀의 2번째 줄: check('dW', np.eye(2) * 2, np.eye(2)))"
    [shape_error] = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    assert shape_error.traceback[0].startswith("✗ MatMul에서 ValueError가 났습니다: ")
    assert "힌트: 행렬 곱에서는 형상이 이어져야 합니다" in shape_error.traceback[0]
    assert [o.text for o in nb.cells[3].outputs] == ["✓ db: 일치합니다\n"]


def test_a_kernel_reads_the_language_of_the_notebook_it_runs(tmp_path, monkeypatch):
    """Jupyter tells a kernel its notebook in JPY_SESSION_NAME; one from the Korean site says "ko"."""
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np\nfrom backprop_lib.checks import check\ncheck('dx', np.zeros(2), np.ones(2))")])
    nb.metadata["backprop"] = {"language": "ko"}
    path = tmp_path / "04_matmul.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    [error] = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert error.traceback[0].startswith("✗ dx의 인덱스 0 값이 틀렸습니다: 기대한 값 1, 실제 값 0"), error.traceback


def test_english_is_the_default_where_ci_runs(tmp_path):
    assert language.language() == "en"
    english, _ = graded_twice(tmp_path, "04_matmul.py", MATMUL_TRANSPOSED_DW)
    assert grader.grade(tmp_path / "04_matmul.py").text() == english.text()


def test_the_language_is_chosen_per_report_and_restored():
    with reporting("ko"):
        assert language.language() == "ko"
        with reporting():  # a report inside, without a choice, keeps the enclosing one
            declare("en")
            assert language.language() == "ko"
        assert language.language() == "ko"
    with reporting():
        declare("ko")
        assert language.language() == "ko"
    assert language.language() == "en"
    declare("ko")  # outside a report: nothing to declare to
    assert language.language() == "en"


def test_every_message_of_the_code_is_translated():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import korean
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert korean.library_problems() == []


@pytest.mark.parametrize("mode", MODES)
def test_gradescope_reports_a_korean_notebook_in_korean(autograder, tmp_path, mode):
    """The autograder zip carries the compiled catalogue: a notebook from the Korean site gets its
    results.json in Korean on Gradescope, with the same scores as the English one, in each isolation mode."""
    korean = _notebook(tmp_path, "04_matmul.ipynb", MATMUL_TRANSPOSED_DW, "ko").read_bytes()
    english = _notebook(tmp_path, "04_matmul.ipynb", MATMUL_TRANSPOSED_DW).read_bytes()
    ko_results, output = gradescope_grade(autograder, mode, {"04_matmul.ipynb": korean})
    en_results, _ = gradescope_grade(autograder, mode, {"04_matmul.ipynb": english})
    assert ko_results["output"].startswith("연습문제 04: MatMul 계층"), output
    assert en_results["output"].startswith("Exercise 04: The MatMul layer")
    assert [t["score"] for t in ko_results["tests"]] == [t["score"] for t in en_results["tests"]]
    for ko, en in zip(ko_results["tests"], en_results["tests"]):
        assert facts(ko["output"], "ko") == facts(en["output"], "en")
