"""backprop_grader.release: exercises/ is generated from solutions/, never edited by hand."""
import ast
import re
from pathlib import Path

import nbformat
import pytest

from backprop_grader.release import ReleaseError, main, release_all, release_notebook, release_text, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
CHAPTERS = {"01_computational_graphs", "02_chain_rule", "03_node_types", "04_matmul_node", "05_activations",
            "06_affine_layer", "07_softmax_with_loss", "08_two_layer_net", "09_learning", "10_autodiff"}
# The exercise contract: what the grader calls in each notebook.
CONTRACT = {
    "01_graph_forward": {"shopping_forward"},
    "02_mul_add_layers": {"MulLayer", "AddLayer"},
    "03_repeat_sum": {"Repeat", "Sum"},
    "04_matmul": {"MatMul"},
    "05_activations": {"Relu", "Sigmoid"},
    "06_affine": {"Affine"},
    "07_softmax_with_loss": {"softmax", "cross_entropy_error", "SoftmaxWithLoss"},
    "08_two_layer_gradient": {"gradient"},
    "09_sgd_training": {"sgd_step", "train"},
    "10_autodiff": {"unbroadcast", "Tensor", "topological_order"},
    "11_tanh": {"Tanh"},
    "12_max_gate": {"MaxGate"},
    "13_divide": {"DivideLayer"},
    "14_softmax_jacobian": {"Softmax"},
    "15_bug_affine": {"Affine", "check_affine"},  # the learner's own check is part of the task
    "16_bug_network": {"Relu", "SoftmaxWithLoss", "Network", "check_network"},
    "17_multilayer_net": {"MultiLayerNet"},
    "18_layer_norm": {"LayerNorm"},
    "19_embedding": {"Embedding"},
    "20_max_pool": {"MaxPool"},
    "21_hinge_loss": {"HingeLoss"},
    "22_logsumexp": {"LogSumExp"},
    "23_gate": {"Gate"},
    "24_bug_accumulate": {"Affine", "Network", "check_network"},
    "25_rnn_bptt": {"RNN"},
    "26_vectorised_backward": {"Conv1D"},
    "27_recompute": {"CheckpointedStack"},
    "28_autodiff_exp_log": {"exp", "log", "cross_entropy"},
}


def test_exercises_are_exactly_what_release_produces():
    """The "generated, never edited by hand" test: run `make release` if this fails."""
    assert [p.stem for p in SOLUTIONS] == sorted(CONTRACT)
    assert release_all(check=True) == []


def test_release_is_byte_identical_on_rerun():
    for path in SOLUTIONS:
        text = release_text(path)
        assert text == release_text(path)
        assert text.endswith("}\n") and not text.endswith("\n\n")


def test_notebooks_follow_the_contract():
    ids = []
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata["backprop"]
        assert meta["exercise"] == path.stem[:2] and meta["chapter"] in CHAPTERS
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert f"](../chapters/{meta['chapter']}.ipynb)" in nb.cells[0].source
        assert nb.cells[0].source.startswith(f"# Exercise {int(meta['exercise'])}: ")
        defined = set()
        for cell in nb.cells:
            role = cell.metadata["backprop"]["role"]
            assert cell.id == cell.metadata["backprop"]["id"]
            ids.append(cell.id)
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs"
            if role == "solution":
                defined |= {node.name for node in ast.parse(cell.source).body
                            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        assert defined == CONTRACT[path.stem]
        roles = [c.metadata["backprop"]["role"] for c in nb.cells]
        assert {"text", "setup", "solution", "check"} <= set(roles)
    assert len(ids) == len(set(ids)), "cell ids must be unique across all notebooks"


def test_released_stubs_name_the_exercise_and_the_task():
    for path in SOLUTIONS:
        solution = nbformat.read(path, as_version=4)
        exercise = nbformat.read(ROOT / "exercises" / path.name, as_version=4)
        number = int(path.stem[:2])
        tasks = re.findall(r"### BEGIN SOLUTION (\S+)", "\n".join(c.source for c in solution.cells))
        stubs = re.findall(r'raise NotImplementedError\("Exercise (\d+), task (\S+):',
                           "\n".join(c.source for c in exercise.cells))
        assert stubs == [(str(number), task) for task in tasks]
        text = nbformat.writes(exercise)
        assert "SOLUTION" not in text
        for cell in exercise.cells:
            locked = cell.metadata["backprop"]["locked"]
            assert cell.metadata.get("editable", True) is not locked
            assert cell.metadata.get("deletable", True) is not locked


SOURCE = '''class MatMul:
    def __init__(self, W):
        self.W = W

    def backward(self, dout):
        dx = None  # starter code stays
        ### BEGIN SOLUTION MatMul.backward
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        ### END SOLUTION
        return dx'''


def test_strip_keeps_indentation_and_surrounding_code():
    released = strip_solutions(SOURCE, 4, "test")
    assert released.splitlines()[4:] == [
        "    def backward(self, dout):",
        "        dx = None  # starter code stays",
        '        raise NotImplementedError("Exercise 4, task MatMul.backward: replace this line with your code")',
        "        return dx",
    ]


def test_released_stub_raises_not_implemented_error_naming_the_task():
    namespace = {}
    exec(strip_solutions(SOURCE, 4, "test"), namespace)
    with pytest.raises(NotImplementedError, match=r"^Exercise 4, task MatMul.backward: replace this line"):
        namespace["MatMul"](W=None).backward(None)


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION f\nx = 1", "line 1 (f) has no ### END SOLUTION"),
    ("x = 1\n### END SOLUTION", "line 2: END SOLUTION without a matching BEGIN"),
    ("### BEGIN SOLUTION f\n### BEGIN SOLUTION g\n### END SOLUTION", "line 2: BEGIN SOLUTION inside the region"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "expected a task name"),
    ("## BEGIN SOLUTION f\nx = 1", "malformed marker"),
])
def test_bad_markers_are_clear_errors(source, message):
    with pytest.raises(ReleaseError, match=re.escape(message)):
        strip_solutions(source, 1, "nb.ipynb, cell c")


def _notebook(*cells, meta=None):
    nb = nbformat.v4.new_notebook()
    nb.metadata["backprop"] = {"exercise": "04", "chapter": "04_matmul_node"} if meta is None else meta
    for role, source, extra in cells:
        cell = nbformat.v4.new_markdown_cell(source) if role == "text" else nbformat.v4.new_code_cell(source)
        cell.metadata["backprop"] = {"id": f"c{len(nb.cells)}", "role": role, "locked": role in ("setup", "check")}
        cell.metadata.update(extra)
        nb.cells.append(cell)
    return nb


def test_solution_only_cells_and_outputs_are_dropped():
    nb = _notebook(("solution", "### BEGIN SOLUTION f\nx = 1\n### END SOLUTION", {}),
                   ("check", "print('the answer is 1')", {"tags": ["solution-only"]}),
                   ("check", "print(1)", {}))
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[2].execution_count = 3
    released = release_notebook(nb, "04_x.ipynb")
    assert [c.source for c in released.cells] == [
        'raise NotImplementedError("Exercise 4, task f: replace this line with your code")', "print(1)"]
    assert released.cells[1].outputs == [] and released.cells[1].execution_count is None
    assert nb.cells[0].source.startswith("### BEGIN"), "the solution notebook itself is not changed"


@pytest.mark.parametrize("nb, message", [
    (_notebook(("check", "### BEGIN SOLUTION f\n### END SOLUTION", {})), "only allowed in cells with role 'solution'"),
    (_notebook(("text", "### END SOLUTION", {})), "only allowed in cells with role 'solution'"),
    (_notebook(("solution", "x = 1", {})), "needs a ### BEGIN SOLUTION region"),
    (_notebook(("setup", "import numpy", {}), meta={}), "expected notebook metadata backprop"),
    (_notebook(("setup", "import numpy", {}), meta={"exercise": "4", "chapter": "c"}), "two-digit number"),
    (_notebook(("setup", "import numpy", {"backprop": {"id": "a", "role": "setup"}})), "expected cell metadata"),
    (_notebook(("setup", "import numpy", {"backprop": {"id": "a", "role": "code", "locked": True}})),
     "role must be one of"),
    (_notebook(("check", "print(1)", {"backprop": {"id": "a", "role": "check", "locked": False}})),
     "setup and check cells are locked"),
])
def test_bad_notebooks_are_clear_errors(nb, message):
    with pytest.raises(ReleaseError, match=re.escape(message)):
        release_notebook(nb, "04_x.ipynb")


def _write(directory, name, nb):
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(nbformat.writes(nb), encoding="utf-8")


def test_check_lists_stale_missing_and_extra_exercises(tmp_path, capsys):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    nb = _notebook(("solution", "def f():\n    ### BEGIN SOLUTION f\n    return 1\n    ### END SOLUTION", {}))
    _write(solutions, "04_f.ipynb", nb)
    args = ["--solutions", str(solutions), "--exercises", str(exercises)]
    assert main(args + ["--check"]) == 1
    assert "exercises/04_f.ipynb: missing" in capsys.readouterr().err
    assert main(args) == 0 and main(args + ["--check"]) == 0

    edited = (exercises / "04_f.ipynb").read_text().replace("replace this line", "edited by hand")
    (exercises / "04_f.ipynb").write_text(edited)
    _write(exercises, "05_orphan.ipynb", nb)
    assert main(args + ["--check"]) == 1
    err = capsys.readouterr().err
    assert "+" in err and "replace this line with your code" in err and "edited by hand" in err
    assert "exercises/05_orphan.ipynb: has no solution notebook" in err


def test_duplicate_ids_across_notebooks_are_an_error(tmp_path, capsys):
    solutions = tmp_path / "solutions"
    nb = _notebook(("setup", "import numpy", {}))
    _write(solutions, "04_a.ipynb", nb)
    _write(solutions, "04_b.ipynb", nb)
    assert main(["--solutions", str(solutions), "--exercises", str(tmp_path / "ex")]) == 2
    assert "cell id 'c0' is used in 04_a.ipynb and in 04_b.ipynb" in capsys.readouterr().err
