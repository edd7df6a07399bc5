"""The autograder: reference solutions score 100%, stubs 0, mistakes get the right message,
the parent never trusts the child, notebooks are read defensively, batches resume, and the
Gradescope package works in a simulated /autograder. Real sandboxed processes throughout.
"""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from backprop_grader import batch, cli, exercises, grader, submission
from backprop_grader.specs import rng_for

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
needs_notebooks = pytest.mark.skipif(not any(SOLUTIONS.glob("*.ipynb")) or not any(EXERCISES.glob("*.ipynb")),
                                     reason="solutions/ and exercises/ notebooks are not built")

GOOD_01 = """
def shopping_forward(apple_price, apple_num, orange_price, orange_num, tax):
    apple_total = apple_price * apple_num
    orange_total = orange_price * orange_num
    subtotal = apple_total + orange_total
    return apple_total, orange_total, subtotal, subtotal * tax
"""


def write(directory, name, source):
    path = Path(directory) / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def by_name(report):
    return {t.name: t for t in report.tests}


# --- the whole class: solutions 100 %, stubs 0 %, through the batch CLI -------------------

@pytest.fixture(scope="module")
def class_batch(tmp_path_factory):
    if not any(SOLUTIONS.glob("*.ipynb")):
        pytest.skip("solutions/ notebooks are not built")
    root = tmp_path_factory.mktemp("class")
    for source, folder in ((SOLUTIONS, "solutions"), (EXERCISES, "stubs")):
        shutil.copytree(source, root / "in" / folder)
    status = cli.main(["--batch", str(root / "in"), "--out", str(root / "grades.csv"), "-j", "2",
                       "--reports", str(root / "reports")])
    rows = list(csv.DictReader(open(root / "grades.csv", encoding="utf-8")))
    return status, rows, root / "reports"


@needs_notebooks
def test_every_reference_solution_scores_full_marks(class_batch):
    status, rows, _ = class_batch
    assert status == 0
    solutions = [r for r in rows if r["submission"].startswith("solutions")]
    assert len(solutions) == len(list(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))) >= 15
    for row in solutions:
        assert row["status"] == "graded" and float(row["percent"]) == 100.0, row


@needs_notebooks
def test_released_stubs_score_zero_saying_not_implemented(class_batch):
    _, rows, reports = class_batch
    stubs = [r for r in rows if r["submission"].startswith("stubs")]
    assert len(stubs) == len(list(EXERCISES.glob("[0-9][0-9]_*.ipynb"))) >= 15
    for row in stubs:
        assert row["status"] == "graded" and float(row["score"]) == 0.0, row
        text = (reports / (row["submission"].replace(os.sep, "__") + ".txt")).read_text()
        if "_bug_" in row["submission"]:  # level 3: the learner copy holds the bugs, and the report names them
            assert "is wrong" in text or "has shape" in text or "modified in place" in text, text
        else:
            assert "not implemented yet" in text and "task" in text


# --- mistakes get partial credit and the message that explains them ----------------------

MATMUL_TRANSPOSED_DW = """
class MatMul:
    def __init__(self, W):
        self.W = W
    def forward(self, x):
        self.x = x
        return x @ self.W
    def backward(self, dout):
        self.dW = dout.T @ self.x
        return dout @ self.W.T
"""

RELU_MUTATES_DOUT = """
import numpy as np
class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out
    def backward(self, dout):
        dout[self.mask] = 0
        return dout
from backprop_lib.checks import check
class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out
    def backward(self, dout):
        return dout * self.out  # forgot (1 - out)
"""


def test_transposed_dw_loses_only_dw_points_with_a_transpose_hint(tmp_path):
    report = grader.grade(write(tmp_path, "04_matmul.py", MATMUL_TRANSPOSED_DW))
    tests = by_name(report)
    assert report.status == "graded" and 0 < report.score < report.max_score
    assert all(t.passed for name, t in tests.items() if ".forward" in name)
    backward = [t for name, t in tests.items() if ".backward" in name]
    assert backward and all(t.score == t.max_score / 2 for t in backward)  # dx right, dW wrong
    assert all("transposed" in t.message() for t in backward)


AFFINE = """
import numpy as np

class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        self.db = np.SUM(dout, axis=0)
        return dx.reshape(self.original_x_shape)
"""


@pytest.mark.parametrize("mistake, nd_hint_expected", [
    ({"np.SUM": "np.mean"}, False),  # wrong everywhere: the N-d case's hint would mislead
    ({"np.SUM": "np.sum", "dx.reshape(self.original_x_shape)": "dx"}, True),  # wrong only for N-d x
])
def test_a_case_hint_shows_only_where_the_plain_cases_pass(tmp_path, mistake, nd_hint_expected):
    source = AFFINE
    for old, new in mistake.items():
        source = source.replace(old, new)
    report = grader.grade(write(tmp_path, "06_affine.py", source))
    nd_failed = [t for name, t in by_name(report).items() if "N-d" in name and not t.passed]
    assert nd_failed
    assert all(("more than two dimensions" in t.message()) == nd_hint_expected for t in nd_failed)


def test_mutated_dout_and_wrong_local_gradient_are_reported_separately(tmp_path):
    report = grader.grade(write(tmp_path, "05_activations.py", RELU_MUTATES_DOUT))
    tests = by_name(report)
    mutation = tests["Relu leaves its inputs unchanged"]
    assert not mutation.passed and "modified in place" in mutation.message()
    assert all(t.passed for name, t in tests.items() if name.startswith("Relu.backward"))
    sigmoid_backward = [t for name, t in tests.items() if name.startswith("Sigmoid.backward")]
    assert all(not t.passed for t in sigmoid_backward)
    assert all(t.passed for name, t in tests.items() if name.startswith("Sigmoid.forward"))
    gradcheck = tests["Sigmoid gradient check [random (N, D)]"]
    assert "numerical gradient of your own forward" in gradcheck.message()


def test_reexporting_the_library_class_earns_nothing_for_it(tmp_path):
    sigmoid = "class Sigmoid:\n" + RELU_MUTATES_DOUT.split("class Sigmoid:\n")[1]
    code = "import numpy as np\n" + sigmoid + "\nfrom backprop_lib.layers import Relu\n"  # after: Sigmoid is defined
    report = grader.grade(write(tmp_path, "05_activations.py", code))
    relu = [t for t in report.tests if t.name.startswith("Relu")]
    assert relu and all(t.score == 0 for t in relu)
    assert all("imported from backprop_lib.layers" in t.message() for t in relu)
    assert any(t.passed for t in report.tests if t.name.startswith("Sigmoid.forward"))
    assert any("No module named 'backprop_lib.layers'" in note for note in report.notes)  # not even importable


def test_the_library_answer_is_unavailable_in_exercise_8(tmp_path):
    code = "def gradient(net, x, t):\n    return net.gradient(x, t)\n"
    report = grader.grade(write(tmp_path, "08_two_layer_gradient.py", code))
    assert report.score == 0
    assert all("not available while grading" in t.message() for t in report.tests)


def test_code_that_computes_nothing_earns_nothing(tmp_path):
    code = """
import numpy as np
class MatMul:
    def __init__(self, W):
        self.W = W
        self.dW = np.zeros_like(W)
    def forward(self, x):
        return np.zeros((x.shape[0], self.W.shape[1]))
    def backward(self, dout):
        return np.zeros((dout.shape[0], self.W.shape[0]))
"""
    report = grader.grade(write(tmp_path, "04_matmul.py", code))
    assert report.score == 0, report.text()
    assert "counts once forward and backward are right" in report.text()


def test_exercise_8_gets_no_executable_copy_of_the_answer(tmp_path):
    code = """
import glob
_reference = None
for path in glob.glob("**/network.py", recursive=True) + glob.glob("lib_network.py"):
    namespace = {"__name__": "backprop_lib._copy", "__package__": "backprop_lib"}
    exec(compile(open(path).read(), path, "exec"), namespace)
    _reference = namespace["TwoLayerNet"].gradient
def gradient(net, x, t):
    return _reference(net, x, t)
"""
    report = grader.grade(write(tmp_path, "08_two_layer_gradient.py", code))
    assert report.score == 0 and "not available while grading" in report.text()


def test_exercise_8_does_not_accept_numerical_gradients(tmp_path):
    code = """
from backprop_lib.gradcheck import numerical_gradient
def gradient(net, x, t):
    grads = {}
    for key, value in net.params.items():
        def loss(v, key=key):
            saved = net.params[key].copy()
            net.params[key][...] = v
            try:
                return net.loss(x, t)
            finally:
                net.params[key][...] = saved
        grads[key] = numerical_gradient(loss, value.copy())
    return grads
"""
    report = grader.grade(write(tmp_path, "08_two_layer_gradient.py", code))
    assert report.score < report.max_score / 2, report.text()


# --- the child is untrusted: only its arrays come back, judged here ------------------------

def test_a_hanging_test_keeps_the_credit_of_earlier_tests(tmp_path, monkeypatch):
    monkeypatch.setattr(exercises.EXERCISES["01"], "wall_seconds", 3.0)
    code = GOOD_01 + textwrap.dedent("""
        _calls = []
        _original = shopping_forward
        def shopping_forward(*args):
            _calls.append(1)
            if len(_calls) == 3:
                import time
                time.sleep(60)
            return _original(*args)
    """)
    report = grader.grade(write(tmp_path, "01_graph_forward.py", code))
    first, second, third = report.tests
    assert first.passed and second.passed and not third.passed
    assert "was running when the grader stopped your code" in third.message()
    assert "wall-clock limit" in third.message()


def test_forged_results_are_rejected_not_trusted(tmp_path):
    code = GOOD_01 + textwrap.dedent("""
        def _is_pipe(fd):
            import os, stat
            try:
                return stat.S_ISFIFO(os.fstat(fd).st_mode)
            except OSError:
                return False
        import io, os, stat, struct
        import numpy as np
        # the child hid the fd number from the environment; find the result pipe anyway
        fd = next(fd for fd in range(3, 64) if _is_pipe(fd))
        # a frame claiming a result for test 0 that holds an object (pickled) array, then garbage
        buf = io.BytesIO()
        np.savez(buf, __test__=np.array(0), apple_total=np.array([object()], dtype=object))
        data = buf.getvalue()
        os.write(fd, struct.pack(">Q", len(data)) + data + b"garbage")
        print("forged a frame", flush=True)
        os._exit(0)
    """)
    report = grader.grade(write(tmp_path, "01_graph_forward.py", code))
    assert "forged a frame" in report.output_tail
    assert report.status == "graded" and report.score == 0


def test_parse_frames_refuses_pickles_bombs_and_truncation():
    def frame(**arrays):
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return len(buffer.getvalue()).to_bytes(8, "big") + buffer.getvalue()

    good = frame(__test__=np.array(0), y=np.ones(3))
    assert 0 in grader.parse_frames(good)
    assert grader.parse_frames(frame(__test__=np.array(0), y=np.array([None], dtype=object))) == {}
    assert grader.parse_frames(good[:-5]) == {}  # cut short by a kill
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("y.npy", b"\0" * (grader.MAX_FRAME_BYTES + 1))
    data = bomb.getvalue()
    assert grader.parse_frames(len(data).to_bytes(8, "big") + data) == {}


def test_only_declared_numeric_outputs_reach_the_judge():
    test = exercises.EXERCISES["04"].build(lambda name: rng_for("s", "04", name))[0]
    arrays = {"y": np.ones(2), "extra": np.ones(2), "__error__": np.array("x")}
    assert set(grader._valid_outputs(arrays, test)) == {"y"}
    assert grader._valid_outputs({"y": np.array(["text"])}, test) == {}


def test_static_check_finds_library_imports_of_the_asked_names():
    chunks = [{"name": "a", "source": "import backprop_lib as bl\nclass Sigmoid(bl.layers.Sigmoid): pass\n"},
              {"name": "b", "source": "from backprop_lib.layers import *\n"},
              {"name": "c", "source": "from backprop_lib.checks import check\n"}]
    found = submission.reference_imports(chunks, ("Relu", "Sigmoid"))
    assert set(found) == {"Relu", "Sigmoid"}
    assert submission.reference_imports(chunks[2:], ("Relu",)) == {}


# --- hidden inputs: secret, reproducible ---------------------------------------------------

def test_inputs_depend_on_the_secret_and_are_reproducible():
    def inputs(secret):
        tests = exercises.EXERCISES["06"].build(lambda name: rng_for(secret, "06", name))
        return [v for t in tests for v in t.inputs.values()]
    a, b, c = inputs("one"), inputs("one"), inputs("two")
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.shape(x) == np.shape(y) and np.array_equal(x, y) for x, y in zip(a, c))


def test_regrading_gives_the_same_score(tmp_path):
    path = write(tmp_path, "04_matmul.py", MATMUL_TRANSPOSED_DW)
    first, second = grader.grade(path), grader.grade(path)
    assert [t.score for t in first.tests] == [t.score for t in second.tests]


# --- notebooks ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, data, expected", [
    ("04_matmul.ipynb", b"{not json", "not a valid Jupyter notebook"),
    ("04_matmul.ipynb", b"", "empty"),
    ("04_matmul.ipynb", b'{"cells": "\xff\xfe"}', "not UTF-8"),
    ("04_matmul.ipynb", b'{"nbformat": 4}', "not a valid Jupyter notebook"),
    ("matmul.ipynb", json.dumps(nbformat.v4.new_notebook()).encode(), "which exercise"),
    ("04_matmul.pdf", b"%PDF-1.4", "expected a .ipynb notebook or a .py file"),
])
def test_unreadable_files_are_not_graded_with_a_reason(tmp_path, capsys, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    status = cli.main([str(path), "--json", str(tmp_path / "results.json")])
    assert status == cli.COULD_NOT_GRADE
    assert expected in capsys.readouterr().out
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == 0 and expected in results["output"]


@needs_notebooks
def test_exercise_override_grades_as_asked_and_says_so(tmp_path):
    path = tmp_path / "04_matmul.ipynb"
    shutil.copy(SOLUTIONS / "04_matmul.ipynb", path)
    report = grader.grade(path, "06")
    assert report.exercise == "06" and report.score == 0
    assert any("looks like exercise 04 but was graded as exercise 06" in note for note in report.notes)
    assert "missing: the submission defines no `Affine`" in report.text()


def test_too_large_notebook_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "04_matmul.ipynb"
    with open(path, "wb") as f:
        f.truncate(submission.MAX_BYTES + 1)
    report = grader.grade(path)
    assert report.status == "could-not-grade" and "at most 5 MB" in report.reason


@needs_notebooks
def test_locked_cells_edited_or_deleted_are_restored_and_reported(tmp_path):
    notebook = nbformat.read(SOLUTIONS / "04_matmul.ipynb", as_version=4)
    roles = [c.metadata.get("backprop", {}).get("role") for c in notebook.cells]
    setup = notebook.cells[roles.index("setup")]
    setup.source += "\nMatMul = None  # tampering"
    checks = [c for c in notebook.cells if c.metadata.get("backprop", {}).get("role") == "check"]
    notebook.cells.remove(checks[0])
    path = tmp_path / "04_matmul.ipynb"
    nbformat.write(notebook, path)
    report = grader.grade(path)
    assert report.score == report.max_score
    notes = " ".join(report.notes)
    assert "was edited; the released version was used" in notes and "was deleted" in notes


@needs_notebooks
def test_check_cells_are_never_run():
    notebook = nbformat.read(SOLUTIONS / "05_activations.ipynb", as_version=4)
    chunks, _ = submission.notebook_code(notebook, submission.released_notebook("05_activations"))
    check_ids = {c.metadata["backprop"]["id"] for c in notebook.cells
                 if c.metadata.get("backprop", {}).get("role") == "check"}
    assert check_ids and not any(chunk["name"].split()[-1] in check_ids for chunk in chunks)


def test_magics_are_skipped_and_added_cells_run():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nif True:\n    !ls\nx = 1")]
    chunks, notes = submission.notebook_code(notebook, None)
    assert "pass  # IPython" in chunks[0]["source"] and compile(chunks[0]["source"], "c", "exec")
    assert "released notebook was not found" in notes[0]


# --- reports --------------------------------------------------------------------------------

def test_gradescope_json_has_the_documented_fields(tmp_path):
    path = write(tmp_path, "01_graph_forward.py", GOOD_01.replace("subtotal * tax", "subtotal"))
    assert cli.main([str(path), "--json", str(tmp_path / "r.json")]) == 0
    results = json.loads((tmp_path / "r.json").read_text())
    assert set(results) >= {"score", "execution_time", "output", "tests"}
    assert results["score"] == sum(t["score"] for t in results["tests"]) < sum(t["max_score"] for t in results["tests"])
    for t in results["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output", "visibility", "status"}
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all("total" in t["output"] for t in failed)


# --- batch: one row each, resumable ---------------------------------------------------------

def test_batch_resumes_after_a_kill_without_regrading_or_losing_rows(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    write(inbox, "01_alice.py", GOOD_01)
    write(inbox, "01_bob.py", "def shopping_forward(:\n")  # syntax error
    (inbox / "01_carol.ipynb").write_bytes(b"\x00\x01")
    out = tmp_path / "grades.csv"
    batch.grade_batch(inbox, out, jobs=2, progress=None)
    rows = {r["submission"]: r for r in csv.DictReader(open(out))}
    assert set(rows) == {"01_alice.py", "01_bob.py", "01_carol.ipynb"}
    assert float(rows["01_alice.py"]["percent"]) == 100 and float(rows["01_bob.py"]["score"]) == 0
    assert "SyntaxError" in rows["01_bob.py"]["reason"]
    assert rows["01_carol.ipynb"]["status"] == "could-not-grade"
    # a kill in the middle of writing bob's row, with dave not yet graded
    lines = out.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("01_bob")]
    bob = next(line for line in lines if line.startswith("01_bob"))
    out.write_text("".join(kept) + bob[:10])
    write(inbox, "01_dave.py", GOOD_01)
    counts = batch.grade_batch(inbox, out, jobs=1, progress=None)
    assert counts["already graded"] == 2 and counts["graded"] == 2  # bob again, and dave
    rows = list(csv.DictReader(open(out)))
    assert sorted(r["submission"] for r in rows) == ["01_alice.py", "01_bob.py", "01_carol.ipynb", "01_dave.py"]


def test_grader_faults_get_a_row_and_are_retried_on_the_next_run(tmp_path, monkeypatch):
    inbox = tmp_path / "in"
    inbox.mkdir()
    write(inbox, "01_erin.py", GOOD_01)
    out = tmp_path / "grades.csv"

    def broken_grade(path, exercise=None):
        raise RuntimeError("disk full")
    monkeypatch.setattr(batch, "grade", broken_grade)  # the pool forks after this, so workers see it
    assert cli.main(["--batch", str(inbox), "--out", str(out)]) == cli.GRADER_FAULTS
    (row,) = csv.DictReader(open(out))
    assert row["status"] == "grader-error" and "disk full" in row["reason"]
    monkeypatch.undo()
    assert cli.main(["--batch", str(inbox), "--out", str(out)]) == 0
    (row,) = csv.DictReader(open(out))  # compacted: one row, the new one
    assert row["status"] == "graded" and float(row["percent"]) == 100


# --- Gradescope: the zip's run_autograder in a simulated /autograder ------------------------

def test_gradescope_package_grades_in_a_simulated_autograder(tmp_path):
    zip_path = tmp_path / "autograder.zip"
    assert cli.main(["gradescope-package", "--out", str(zip_path)]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert {"setup.sh", "run_autograder", "grader_secret", "project/pyproject.toml"} <= set(names)
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    write(root / "submission", "01_graph_forward.py", GOOD_01)
    env = {**os.environ, "BACKPROP_AUTOGRADER_ROOT": str(root), "BACKPROP_AUTOGRADER_PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0
    assert "development secret" not in results["output"]  # the package's own secret was used
