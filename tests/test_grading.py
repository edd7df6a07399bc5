"""The autograder: reference solutions score 100%, stubs 0, mistakes get the right message,
the parent never trusts the child, notebooks are read defensively, and batches resume (the
Gradescope package end to end: test_gradescope.py). Real sandboxed processes throughout.
"""
import ast
import csv
import io
import json
import os
import re
import shutil
import textwrap
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

import backprop_lib
from backprop_grader import batch, cli, exercises, grader
from backprop_grader.exercises import spec
from backprop_grader.isolation import library_copy
from backprop_grader.judging import judge
from backprop_grader.reports import feedback
from backprop_grader.isolation import frames
from backprop_grader.notebook import submission
from backprop_grader.reports import report as report_module
from backprop_grader.reports import text as text_module
from backprop_grader.exercises.spec import rng_for

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
        text = (reports / (feedback.report_stem(row["submission"]) + ".txt")).read_text()
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
    forward = {name: t for name, t in tests.items() if name.startswith("Sigmoid.forward")}
    assert all(t.passed for name, t in forward.items() if "1e4" not in name)
    overflowing = [t for name, t in forward.items() if "1e4" in name]  # 1 / (1 + exp(-x)) overflows there
    assert overflowing and all(not t.passed and "overflow" in t.message() for t in overflowing)
    gradcheck = tests["Sigmoid gradient check [random (N, D)]"]
    assert "numerical gradient of the forward" in gradcheck.message()


def test_reexporting_the_library_class_earns_nothing_for_it(tmp_path):
    sigmoid = "class Sigmoid:\n" + RELU_MUTATES_DOUT.split("class Sigmoid:\n")[1]
    code = "import numpy as np\n" + sigmoid + "\nfrom backprop_lib.layers import Relu\n"  # after: Sigmoid is defined
    report = grader.grade(write(tmp_path, "05_activations.py", code))
    relu = [t for t in report.tests if t.name.startswith("Relu")]
    assert relu and all(t.score == 0 for t in relu)
    assert all("the submission defines no `Relu`" in t.message() for t in relu)
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
    assert "waited 2 s without computing anything" in third.message()  # a sleep: the idle stop, before the wall clock


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


def _frame(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return len(buffer.getvalue()).to_bytes(8, "big") + buffer.getvalue()


HEAD = (_frame(__load__=np.array([""])) + _frame(__names__=np.array(["y"]), __status__=np.array(["ok"])))


def _test_frame(i, **arrays):
    return _frame(__test__=np.array(i), __error__=np.array(""), **arrays)


def test_frames_in_order_are_accepted_and_a_frame_cut_short_is_not_a_violation():
    good = HEAD + _test_frame(0, y=np.ones(3)) + _test_frame(1, y=np.ones(2)) + _frame(__done__=np.array(1))
    received = frames.parse(good, 2)
    assert not received.violation and received.done and set(received.tests) == {0, 1}
    cut = frames.parse(good[:-5], 2)  # the child was killed while writing its last frame
    assert not cut.violation and not cut.done and set(cut.tests) == {0, 1}


@pytest.mark.parametrize("payload, why", [
    (HEAD + _test_frame(0, y=np.ones(3)) + _test_frame(0, y=np.ones(3)), "expected the frame of test 1; found test 0"),
    (HEAD + _test_frame(1, y=np.ones(3)), "expected the frame of test 0; found test 1"),
    (HEAD + _frame(something=np.ones(2)), "found an unknown frame"),
    (HEAD + _test_frame(0, y=np.array([None], dtype=object)), "do not fit"),
    (HEAD + b"\xff" * 8, "a frame of"),
    (HEAD + (7).to_bytes(8, "big") + b"garbage", "not a plain array archive"),
    (HEAD + _test_frame(0) + _test_frame(1) + _frame(__done__=np.array(1)) + _frame(__done__=np.array(1)),
     "after the last one"),
])
def test_a_duplicate_out_of_order_unknown_or_malformed_frame_is_a_violation(payload, why):
    received = frames.parse(payload, 2)
    assert why in received.violation


def test_compressed_and_lying_archives_are_violations_not_allocations():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("y.npy", b"\0" * (1 << 20))
    data = bomb.getvalue()
    assert "compressed" in frames.parse(HEAD + len(data).to_bytes(8, "big") + data, 1).violation
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    liar = io.BytesIO()
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_STORED) as z:  # declares 8 TB, holds a few bytes
        z.writestr("y.npy", header.getvalue() + b"\0" * 16)
    data = liar.getvalue()
    assert "do not fit" in frames.parse(HEAD + len(data).to_bytes(8, "big") + data, 1).violation


ANSWERS_TEST_0_TWICE = GOOD_01 + textwrap.dedent("""
    import io, os, stat, struct
    import numpy as np

    def _is_pipe(fd):
        try:
            return stat.S_ISFIFO(os.fstat(fd).st_mode)
        except OSError:
            return False

    _fd = next(fd for fd in range(3, 64) if _is_pipe(fd))  # the result pipe, though its number is hidden
    _original = shopping_forward

    def shopping_forward(*args):
        buffer = io.BytesIO()  # answer test 0 ahead of the child, which answers it again
        np.savez(buffer, __test__=np.array(0), __error__=np.array(""), apple_total=np.array(1.0))
        os.write(_fd, struct.pack(">Q", len(buffer.getvalue())) + buffer.getvalue())
        return _original(*args)
""")


def test_a_violation_zeroes_the_run_and_the_report_says_so(tmp_path):
    report = grader.grade(write(tmp_path, "01_graph_forward.py", ANSWERS_TEST_0_TWICE))
    assert report.score == 0, report.text()
    assert "not in the grader's format" in report.text() and "test 1; found test 0" in report.text()


def test_only_declared_numeric_outputs_reach_the_judge():
    test = exercises.EXERCISES["04"].build(lambda name: rng_for("s", "04", name))[0]
    arrays = {"y": np.ones(2), "extra": np.ones(2), "__error__": np.array("x")}
    assert set(judge._valid_outputs(arrays, test)) == {"y"}
    assert judge._valid_outputs({"y": np.array(["text"])}, test) == {}


def test_the_childs_library_holds_no_answer_of_its_exercise():
    """Every name an exercise asks for, and every method it disables, raises in the child's copies of
    the library (so importlib, getattr and inspect.getsource find no answer); nothing else is touched."""
    for exercise in exercises.EXERCISES.values():
        disabled = {f.__qualname__ for f in exercise.disabled}
        for name, source in library_copy.library_files(exercise.id).items():
            if not name.startswith("lib_") or not name.endswith(".py") or name == "lib___init__.py":
                continue
            original = ast.parse((library_copy.PACKAGE_DIR / name[4:]).read_text(encoding="utf-8"))
            copy = {q: f for q, f in _functions(ast.parse(source))}
            for qualname, function in _functions(original):
                answer = qualname in disabled or qualname.split(".")[0] in exercise.names
                raises = [type(n).__name__ for n in copy[qualname].body] == ["Raise"]
                assert raises is answer or (raises and [type(n).__name__ for n in function.body] == ["Raise"]), (
                    exercise.id, name, qualname)


def _functions(tree):
    """(qualified name, function) of a module's top-level functions and its classes' methods."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            yield from ((f"{node.name}.{f.name}", f) for f in node.body if isinstance(f, ast.FunctionDef))


def test_a_copy_of_a_locked_cell_with_code_of_ones_own_runs_and_a_pristine_copy_does_not():
    released = submission.released_notebook("04_matmul")
    notebook = nbformat.read(SOLUTIONS / "04_matmul.ipynb", as_version=4)
    setup = next(c for c in notebook.cells if c.metadata.get("backprop", {}).get("role") == "setup")
    own, pristine = nbformat.from_dict(setup), nbformat.from_dict(setup)
    own.source += "\nHELPER = 1\n"
    at = notebook.cells.index(setup)
    notebook.cells[at:at] = [own]  # the copy above the original: the original is still the locked cell
    notebook.cells.append(pristine)
    chunks, notes = submission.notebook_code(notebook, released)
    names = [c["name"] for c in chunks]
    assert names.count("cell ex04-setup") == 1 and sum("a copy of ex04-setup" in n for n in names) == 1
    assert any("HELPER = 1" in c["source"] for c in chunks)
    assert any("with code of your own" in n for n in notes) and any("was ignored" in n for n in notes)
    edited = nbformat.from_dict(notebook)  # no copy as released: the first is the locked cell, restored
    del edited.cells[-1], edited.cells[at + 1]
    chunks, notes = submission.notebook_code(edited, released)
    assert not any("HELPER" in c["source"] for c in chunks) and any("was edited" in n for n in notes)


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
    assert any("says it is exercise 04; it was graded as exercise 06" in note for note in report.notes)
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


def test_cells_go_to_the_child_as_written_and_what_a_sandbox_refuses_is_noted(tmp_path):
    notebook = nbformat.v4.new_notebook()
    source = "%matplotlib inline\nif True:\n    !ls\nx = (1\n% 2)\ny = (3\n!= 4)\n"
    notebook.cells = [nbformat.v4.new_code_cell(source), nbformat.v4.new_code_cell("   \n")]
    chunks, notes = submission.notebook_code(notebook, None)
    assert [c["source"] for c in chunks] == [source]  # as written (IPython's shell transforms it); no empty cell
    assert "released notebook was not found" in notes[0]
    path = tmp_path / "01_graph_forward.ipynb"
    notebook.cells.append(nbformat.v4.new_code_cell(GOOD_01 + "\nassert x == 1 and y is True\n"))
    nbformat.write(notebook, path)
    report = grader.grade(path)
    notes = " ".join(report.notes)
    assert "%matplotlib inline does nothing" in notes and "!ls does nothing" in notes
    assert report.score == report.max_score and "raised" not in notes  # the continuation lines stayed code


def test_a_notebook_with_magics_and_continuation_lines_gets_full_marks(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("%matplotlib inline\n!echo hello\n" + GOOD_01.replace(
        "subtotal = apple_total + orange_total", "subtotal = (apple_total\n                + orange_total\n"
        "                % 1e300)  # a continuation line starting with %"))]
    path = tmp_path / "01_graph_forward.ipynb"
    nbformat.write(notebook, path)
    report = grader.grade(path)
    assert report.score == report.max_score, report.text()


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


# --- every point decided in the parent, never by what the learner's process says -----------

MATMUL_FINITE_DIFFERENCES = """
import numpy as np
from backprop_lib.gradcheck import numerical_gradient
class MatMul:
    def __init__(self, W):
        self.W = W
    def forward(self, x):
        self.x = x
        return x @ self.W
    def backward(self, dout):
        x, W = self.x.copy(), self.W.copy()
        self.dW = numerical_gradient(lambda v: np.sum((x @ v) * dout), W.copy())
        return numerical_gradient(lambda v: np.sum((v @ W) * dout), x.copy())
"""


def test_a_finite_difference_backward_earns_no_backward_or_gradient_points(tmp_path, monkeypatch):
    monkeypatch.setattr(exercises.EXERCISES["04"], "wall_seconds", 3.0)  # the policy holds at any limit
    report = grader.grade(write(tmp_path, "04_matmul.py", MATMUL_FINITE_DIFFERENCES))
    tests = by_name(report)
    assert all(t.passed for name, t in tests.items() if ".forward" in name)
    assert all(t.score == 0 for name, t in tests.items() if ".forward" not in name), report.text()
    assert "large input: backprop, not finite differences" in report.text()


def test_exercise_8_finite_differences_earn_nothing_whatever_the_code_counts(tmp_path, monkeypatch):
    monkeypatch.setattr(exercises.EXERCISES["08"], "wall_seconds", 3.0)
    code = """
from backprop_lib.gradcheck import numerical_gradient
def gradient(net, x, t):
    for layer in net.layers.values():  # undo any counting of forward calls: it decides nothing now
        layer.__dict__.pop("forward", None)
    return {key: numerical_gradient(lambda v, key=key: net.loss(x, t), net.params[key]) for key in net.params}
"""
    report = grader.grade(write(tmp_path, "08_two_layer_gradient.py", code))
    assert report.score == 0, report.text()


def test_the_large_case_requires_each_array_separately(tmp_path):
    report = grader.grade(write(tmp_path, "04_matmul.py", MATMUL_TRANSPOSED_DW))
    large = by_name(report)["MatMul.backward [large input: backprop, not finite differences]"]
    assert large.score == large.max_score / 2  # dx right, dW wrong: dx keeps its points in every test
    assert "counts only once it is also right" not in report.text()


def test_relu_gradient_at_exactly_zero_is_zero_as_in_the_notes(tmp_path):
    code = RELU_MUTATES_DOUT.split("from backprop_lib")[0].replace(
        "dout[self.mask] = 0\n        return dout", "return dout * (self.x >= 0)").replace(
        "self.mask = x <= 0", "self.mask = x <= 0\n        self.x = x")
    report = grader.grade(write(tmp_path, "05_activations.py", code))
    kink = by_name(report)["Relu.backward [x = 0 and tiny values]"]
    assert not kink.passed and "x <= 0" in kink.message()
    assert all(t.passed for name, t in by_name(report).items()
               if name.startswith("Relu.backward") and "x = 0" not in name)


def test_training_that_is_not_sgd_loses_the_update_rule_and_the_accuracy(tmp_path):
    code = """
import numpy as np
from backprop_lib import TwoLayerNet
def sgd_step(params, grads, learning_rate):
    for key in params:
        params[key] -= learning_rate * grads[key]
def train(x_train, t_train, iters_num=2000, batch_size=100, learning_rate=1.0, seed=0):
    net = TwoLayerNet(input_size=x_train.shape[1], hidden_size=100, output_size=int(np.max(t_train)) + 1,
                      weight_init_std=0.1, seed=seed)
    for i in range(iters_num):  # full batch, momentum: not the update rule asked for
        grads = net.gradient(x_train, t_train)
        sgd_step(net.params, {k: 2 * g for k, g in grads.items()}, learning_rate)
    return net
"""
    report = grader.grade(write(tmp_path, "09_sgd_training.py", code))
    tests = by_name(report)
    rule = next(t for name, t in tests.items() if name.startswith("train takes"))
    accuracy = next(t for name, t in tests.items() if name.startswith("train reaches"))
    assert rule.score == 0 and accuracy.score == 0, report.text()


def test_an_sgd_step_that_puts_new_arrays_in_the_dict_gets_the_in_place_hint(tmp_path):
    """New values right, but new arrays: the in-place test fails with its hint (its judge once raised here, and the
    learner read "the grader could not judge the values")."""
    code = """
def sgd_step(params, grads, learning_rate):
    for key in params:
        params[key] = params[key] - learning_rate * grads[key]
"""
    report = grader.grade(write(tmp_path, "09_sgd_training.py", code))
    tests = by_name(report)
    in_place = next(t for name, t in tests.items() if "in place" in name)
    new_values = next(t for name, t in tests.items() if name.startswith("sgd_step") and t is not in_place and t.passed)
    assert new_values.passed and not in_place.passed, report.text()
    assert "change each array in place" in in_place.message() and "could not judge" not in in_place.message()


def test_a_float32_result_is_told_about_precision(tmp_path):
    code = MATMUL_TRANSPOSED_DW.replace("self.dW = dout.T @ self.x", "self.dW = self.x.T @ dout").replace(
        "return x @ self.W", "return (x @ self.W).astype('float16')")
    report = grader.grade(write(tmp_path, "04_matmul.py", code))
    forward = [t for name, t in by_name(report).items() if ".forward" in name]
    assert any(not t.passed for t in forward)
    assert all("Precision: y came back as float16" in t.message() for t in forward if not t.passed)


def test_a_memory_budget_caps_the_child_at_its_own_measured_peak_plus_the_budget():
    """Exercise 27's limit: what the grader's child itself takes with no submission, measured in the sandbox, plus
    the budget; an exercise without a budget keeps the sandbox's limit. (The store-everything submission meeting it,
    in both isolation modes: test_hostile.py.)"""
    from backprop_grader.isolation import memory
    from backprop_grader.isolation import sandbox
    budgeted, plain = exercises.EXERCISES["27"], exercises.EXERCISES["04"]
    tests, inputs = grader.hidden_tests(grader.DEV_SECRET, "27")
    files = grader.child_files(budgeted, [], tests, inputs)
    limits = sandbox.Limits(cpu_seconds=4, wall_seconds=6, max_processes=grader.MAX_PROCESSES)
    child = memory.address_space_limit(budgeted, files, limits) - budgeted.memory_budget
    assert len(inputs) < child < limits.memory_bytes - budgeted.memory_budget  # numpy alone maps ~100 MiB
    assert memory.address_space_limit(plain, files, limits) == limits.memory_bytes


def test_exercise_names_in_the_registry_are_checked():
    with pytest.raises(ValueError, match="expected a module of backprop_lib"):
        spec.Exercise("99", "99_x", "x", ("f",), lambda rng_for: [], library_modules=("no_such_module",))
    with pytest.raises(ValueError, match="network.TwoLayerNet.no_such_method"):
        spec.Exercise("99", "99_x", "x", ("f",), lambda rng_for: [], disabled=("network.TwoLayerNet.no_such_method",))
    for exercise in exercises.EXERCISES.values():  # the setup cells import only what the child gets
        released = submission.released_notebook(exercise.stem)
        assert released is not None, exercise.stem  # every exercise's released notebook ships with the grader
        shipped = set(library_copy.library_closure(exercise.library_modules))
        imports = 0
        for cell in released.cells:
            if cell.metadata.get("backprop", {}).get("role") == "setup":
                for node in ast.walk(ast.parse(cell.source)):
                    if isinstance(node, ast.ImportFrom) and node.module.startswith("backprop_lib"):
                        wanted = node.module.split(".")[1:] or [n.name for n in node.names]
                        assert wanted[0] in shipped or hasattr(backprop_lib, wanted[0]), (exercise.id, wanted)
                        imports += 1
        assert imports, exercise.id  # each setup cell was found, and imports from the library


# --- symbolic links, names, rows -------------------------------------------------------------

def test_a_symbolic_link_is_never_followed(tmp_path, capsys):
    secret = tmp_path / "grader_secret"
    secret.write_text("s3cr3t-value")
    link = tmp_path / "01_graph_forward.py"
    link.symlink_to(secret)
    assert cli.main([str(link), "--json", str(tmp_path / "r.json")]) == cli.COULD_NOT_GRADE
    out = capsys.readouterr().out + (tmp_path / "r.json").read_text()
    assert "not graded: symbolic link" in out and "s3cr3t" not in out


def test_every_entry_of_a_batch_gets_a_row_and_a_rerun_gives_the_same_csv(tmp_path):
    inbox = tmp_path / "in"
    (inbox / "__MACOSX_export").mkdir(parents=True)
    write(inbox / "__MACOSX_export", "01_alice.py", GOOD_01)
    (inbox / ".ipynb_checkpoints").mkdir()
    write(inbox / ".ipynb_checkpoints", "01_alice-checkpoint.py", GOOD_01)
    write(inbox, "=HYPERLINK(1)01.py", GOOD_01)
    (inbox / os.fsdecode(b"01_\xff\xfe.py")).write_text(GOOD_01)
    write(inbox, "01_" + "x" * 240 + ".py", GOOD_01)
    (inbox / "01_link.py").symlink_to(ROOT / "solutions" / "01_graph_forward.ipynb")
    (inbox / "deep").mkdir()
    fd = os.open(inbox / "deep", os.O_RDONLY)
    for _ in range(30):  # 6,000 bytes of path: longer than any path the kernel opens by name
        os.mkdir("d" * 200, dir_fd=fd)
        fd, parent = os.open("d" * 200, os.O_RDONLY, dir_fd=fd), fd
        os.close(parent)
    os.close(os.open("01_deep.py", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    os.close(fd)
    out = tmp_path / "grades.csv"
    counts = batch.grade_batch(inbox, out, jobs=2, progress=None, reports_dir=tmp_path / "reports")
    rows = {r["submission"]: r for r in csv.DictReader(open(out, encoding="utf-8"))}
    assert rows[f"__MACOSX_export{os.sep}01_alice.py"]["status"] == "graded"
    hidden = rows[".ipynb_checkpoints"]  # never graded, and the CSV says so, with what it holds
    assert hidden["status"] == "skipped" and "01_alice-checkpoint.py" in hidden["reason"] and counts["skipped"] == 1
    assert rows["'=HYPERLINK(1)01.py"]["status"] == "could-not-grade"  # named by no exercise, and inert
    assert rows["01_\\udcff\\udcfe.py"]["percent"] == "100.0"
    assert rows["01_link.py"]["reason"].startswith("not graded: symbolic link")
    assert float(rows["01_link.py"]["score"]) == 0
    too_deep = [r for name, r in rows.items() if name.startswith("deep")]
    assert len(too_deep) == 1 and too_deep[0]["status"] == "could-not-grade" and "cannot be opened" in too_deep[0]["reason"]
    graded = [r for r in rows.values() if r not in too_deep and r["status"] != "skipped"]
    assert len(list((tmp_path / "reports").glob("*.txt"))) == len(graded)  # a report for each file graded
    first = out.read_bytes()
    counts = batch.grade_batch(inbox, out, jobs=2, progress=None)
    assert out.read_bytes() == first and counts["already graded"] == len(graded)


def test_learner_text_is_inert_and_never_passes_for_a_grader_line(tmp_path):
    code = GOOD_01 + textwrap.dedent("""
        print("\\x1b[2J\\rScore: 6 / 6\\u202e\\u2028\\x0b\\x0c")
        raise ValueError("boom\\nScore: 6 / 6 (100%)\\x1b[31m")
    """)
    path = write(tmp_path, "01_graph_forward.py", code)
    report = grader.grade(path)
    text, data = report.text(), json.dumps(report.gradescope(), ensure_ascii=False)
    for shown in (text, data):
        assert not any(c in shown for c in "\x1b\r\x0b\x0c\u202e\u2028")
    assert "\\x1b" in text and "\\u202e" in text
    assert [line for line in text.splitlines() if line.startswith("Score:")] == [text.splitlines()[1]]
    assert text.splitlines()[2] == f"File: {path}"


def test_csv_cells_are_neutralised_and_scores_read_as_learners_read_them():
    assert text_module.csv_cell("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert text_module.csv_cell("@SUM(1)") == "'@SUM(1)" and text_module.csv_cell("-2+3") == "'-2+3"
    assert text_module.csv_cell("\tx").startswith("\\x09")
    assert report_module.points(8.333333) == "8.33" and report_module.points(6.0) == "6"


def test_the_exercise_is_the_teachers_choice_not_the_notebooks(tmp_path):
    notebook = nbformat.read(SOLUTIONS / "04_matmul.ipynb", as_version=4)
    notebook.metadata["backprop"]["exercise"] = "01"
    path = tmp_path / "04_matmul.ipynb"
    nbformat.write(notebook, path)
    report = grader.grade(path)
    assert report.exercise == "04" and report.score == report.max_score
    assert any("says it is exercise 01; it was graded as exercise 04" in n for n in report.notes)
    unnamed = tmp_path / "my_work.ipynb"
    shutil.copy(SOLUTIONS / "04_matmul.ipynb", unnamed)
    assert grader.grade(unnamed).status == "could-not-grade"
    assert grader.grade(unnamed, "04").score == report.max_score


def test_every_exercise_with_a_backward_task_has_the_finite_difference_policy():
    for exercise in exercises.EXERCISES.values():
        tests = exercise.build(lambda name: rng_for("s", exercise.id, name))
        backward = [t for t in tests if ".backward [" in t.name or "gradient check" in t.name
                    or "leaves its inputs unchanged" in t.name or t.name.startswith("gradient [")]
        policy = [t for t in tests if "backprop, not finite differences" in t.name]
        if backward:
            assert policy, f"exercise {exercise.id} has backward tests but no large backprop case"
            assert all(any(t.requires is large for large in policy) for t in backward if t not in policy), exercise.id


def test_a_learner_report_has_no_grader_jargon(tmp_path):
    report = grader.grade(write(tmp_path, "01_graph_forward.py", GOOD_01), secret=grader.DEV_SECRET)
    assert "secret" not in report.text() and "secret" not in json.dumps(report.gradescope())


# --- feedback that points the right way -----------------------------------------------------
# Each wrong attempt is a reference solution with the mistake put in (the replaced text must occur in it),
# graded for real; its failing tests must name the real cause first, and the guess from the values
# ("found is expected / 2: ... the batch size") must not stand before a test's own hint.

def with_mistake(tmp_path, stem, *replacements):
    """The graded report of solutions/<stem> with each (right, wrong) replacement made in its solution cells."""
    notebook = nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4)
    for right, wrong in replacements:
        found = 0
        for cell in notebook.cells:
            if cell.metadata["backprop"]["role"] == "solution":
                found += cell.source.count(right)
                cell.source = cell.source.replace(right, wrong)
        assert found, f"{right!r} is not in the solution of {stem}"
    path = tmp_path / f"{stem}.ipynb"
    nbformat.write(notebook, path)
    return grader.grade(path)


def first_hint(result):
    """The first hint in a test's message: the one a learner reads first."""
    hints = re.findall(r"Hint: (.*?)(?= Hint: |\n|$)", result.message())
    return hints[0] if hints else ""


def starting(report, prefix):
    found = [t for t in report.tests if t.name.startswith(prefix)]
    assert found, f"no test named {prefix}..."
    return found


ASSIGN_NOT_ADD = [(f"{grad}.grad += {rest}", f"{grad}.grad = {rest}") for grad, rest in (
    ("self", "unbroadcast(upstream_grad * other.data"), ("other", "unbroadcast(upstream_grad * self.data"),
    ("self", "upstream_grad @ W.data.T"), ("W", "self.data.T @"), ("self", "np.where"))]
RECURSIVE_ORDER = ("""    stack = [(root, False)]  # (tensor, are its parents listed yet?): our own stack, no recursion
    while stack:
        node, parents_listed = stack.pop()
        if parents_listed:
            order.append(node)  # after its parents
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))  # comes back once its parents are listed
            stack.extend((parent, False) for parent in node.parents)
    return order""", """
    def visit(node):  # recursion: one nested call per level of the graph
        if node not in visited:
            visited.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)
    visit(root)
    return order""")


@needs_notebooks
def test_exercise_10_assignment_instead_of_addition_is_told_to_add_not_to_mind_the_batch_size(tmp_path):
    report = with_mistake(tmp_path, "10_autodiff", *ASSIGN_NOT_ADD)
    assert report.score == 38 and report.max_score == 43, report.text()  # the five tests of a value used twice
    twice = starting(report, "Tensor.__mul__ backward [called twice") + starting(report, "Tensor.__mul__ backward [x * x")
    for test in twice + starting(report, "Tensor.__matmul__ backward [called twice"):
        assert not test.passed and re.search(r"\+=|add up", first_hint(test)), test.message()
    assert "batch size" not in report.text() and "found is expected / 2" not in report.text()


@needs_notebooks
def test_exercise_10_recursive_topological_order_fails_the_deep_graph_with_its_hint(tmp_path):
    report = with_mistake(tmp_path, "10_autodiff", RECURSIVE_ORDER)
    [deep] = starting(report, "Tensor.backward on a chain")
    assert deep.score == 0 and report.score == report.max_score - deep.max_score, report.text()
    assert "RecursionError" in deep.message() and "recursion" in first_hint(deep), deep.message()


@needs_notebooks
def test_exercise_10_a_walk_in_the_wrong_order_is_not_told_about_recursion(tmp_path):
    report = with_mistake(tmp_path, "10_autodiff", ("for node in reversed(order):", "for node in order:"))
    [deep] = starting(report, "Tensor.backward on a chain")
    assert not deep.passed and "reverse topological order" in first_hint(deep), deep.message()
    assert "recursion" not in deep.message() and "all zeros" not in deep.message()


@needs_notebooks
def test_exercise_10_a_node_walked_several_times_is_not_told_about_the_batch_size(tmp_path):
    report = with_mistake(tmp_path, "10_autodiff", ("        elif node not in visited:\n            visited.add(node)\n",
                                                    "        else:\n"))
    [large] = starting(report, "Tensor.backward [large input")
    assert not large.passed and "batch size" not in large.message(), large.message()
    diamond = starting(report, "Tensor.backward [a value used twice")[0]
    assert "each exactly once" in first_hint(diamond), diamond.message()


@needs_notebooks
def test_exercise_10_a_missing_unbroadcast_costs_the_broadcast_cases_and_says_so(tmp_path):
    report = with_mistake(tmp_path, "10_autodiff",
                          ("unbroadcast(upstream_grad * other.data, self.data.shape)", "upstream_grad * other.data"),
                          ("unbroadcast(upstream_grad * self.data, other.data.shape)", "upstream_grad * self.data"))
    failed = [t for t in report.tests if not t.passed]
    assert report.score == 40 and {t.name.split(", ")[-1] for t in failed} >= {"y broadcast]"}, report.text()
    assert all(t.name.startswith("Tensor.__mul__") and "broadcasting copied" in first_hint(t) for t in failed)


COPIED_PARAMETERS = ('affine = Affine(params[f"W{i}"], params[f"b{i}"])',
                     'affine = Affine(params[f"W{i}"].copy(), params[f"b{i}"].copy())')


@needs_notebooks
def test_exercise_17_layers_holding_copies_cannot_learn_get_less_than_half_and_are_told_why(tmp_path):
    report = with_mistake(tmp_path, "17_multilayer_net", COPIED_PARAMETERS)
    assert report.score < report.max_score / 2, report.text()
    shared, = starting(report, "sgd's updates of net.params reach the layers")
    training, = starting(report, "sgd trains MultiLayerNet")
    for test in (shared, training):
        assert test.score == 0 and "do not share the parameters" in first_hint(test), test.message()
    assert "initial weights" not in report.text()
    assert all(t.passed for t in report.tests if t.name.startswith("MultiLayerNet.gradient"))  # the gradient is right


@needs_notebooks
def test_exercise_17_a_network_whose_initial_weights_keep_it_from_learning_gets_less_than_half(tmp_path):
    report = with_mistake(tmp_path, "17_multilayer_net", ("* np.sqrt(scale / sizes[i - 1])", "* 0.0"))
    assert report.score < report.max_score / 2, report.text()
    training, = starting(report, "sgd trains MultiLayerNet")
    assert "initial weights" in first_hint(training), training.message()
    assert starting(report, "sgd's updates of net.params reach the layers")[0].passed


@needs_notebooks
def test_exercise_15_says_each_wrong_gradient_once():
    report = grader.grade(EXERCISES / "15_bug_affine.ipynb")
    [large] = starting(report, "Affine.backward [large input")
    assert large.message().count("dW has shape") == 1, large.message()
    assert "counts once dW and db are right" in large.message()


@needs_notebooks
def test_exercise_24_zeroing_in_place_rewrites_the_gradients_handed_out_and_is_told_so(tmp_path):
    report = with_mistake(tmp_path, "24_bug_accumulate", (
        "        self.dW = self.x.T @ dout\n        self.db = np.sum(dout, axis=0)\n",
        "        if self.dW is None:\n            self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)\n"
        "        self.dW[...] = 0\n        self.db[...] = 0\n"
        "        self.dW += self.x.T @ dout\n        self.db += np.sum(dout, axis=0)\n"))
    [kept] = starting(report, "Network.gradient leaves the gradients it returned earlier unchanged")
    assert report.score == report.max_score - kept.max_score and kept.score == 0, report.text()
    assert "the layers' own arrays" in first_hint(kept), kept.message()


@needs_notebooks
def test_exercise_24_a_reset_in_the_network_only_leaves_the_layer_wrong_and_is_told_where(tmp_path):
    report = with_mistake(tmp_path, "24_bug_accumulate", (
        "        self.dW = self.x.T @ dout\n        self.db = np.sum(dout, axis=0)\n",
        "        if self.dW is None:\n            self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)\n"
        "        self.dW = self.dW + self.x.T @ dout\n        self.db = self.db + np.sum(dout, axis=0)\n"), (
        "        self.loss(x, t)\n        dout = self.last_layer.backward(1)\n",
        "        for layer in (self.layers[0], self.layers[2]):\n            layer.dW = layer.db = None\n"
        "        self.loss(x, t)\n        dout = self.last_layer.backward(1)\n"))
    affine = starting(report, "Affine.backward")
    network = starting(report, "Network.gradient")
    assert all(t.score == 0 for t in affine) and all(t.passed for t in network), report.text()
    assert all("sum of both calls' gradients" in first_hint(t) for t in affine)
    assert "batch size" not in report.text()


def test_no_layout_and_no_bad_argument_ends_a_run_in_a_traceback(tmp_path, capsys):
    """Principle 3: a sentence and exit status 2, never a traceback, whatever the files or arguments are."""
    folder = tmp_path / "04_matmul.ipynb"  # a folder named like a notebook
    folder.mkdir()
    pipe = tmp_path / "04_pipe.ipynb"
    os.mkfifo(pipe)
    for path, reason in ((folder, "found a folder"), (pipe, "a device, a pipe or a socket"),
                         (tmp_path / "04_missing.ipynb", "found no such file")):
        assert cli.main([str(path)]) == cli.COULD_NOT_GRADE
        assert reason in capsys.readouterr().out
    good = write(tmp_path, "01_graph_forward.py", GOOD_01)
    assert cli.main([str(good), "--json", str(good / "r.json")]) == cli.COULD_NOT_GRADE  # under a file: no folder can be made
    assert "could not write" in capsys.readouterr().err
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    for argv, said in ((["--batch", str(tmp_path / "nothing")], "no such folder"),
                       (["--batch", str(good)], "a file, not a folder"),
                       (["--batch", str(tmp_path), "--out", str(tmp_path / "no" / "g.csv")], "expected a writable folder"),
                       (["--batch", str(tmp_path), "--out", str(folder)], "found a folder"),
                       (["--batch", str(tmp_path), "--out", str(other)], "found other content")):
        assert cli.main(argv) == cli.COULD_NOT_GRADE, argv
        assert said in capsys.readouterr().err, argv
    assert other.read_text() == "a,b\n1,2\n"  # nothing of the teacher's is overwritten
