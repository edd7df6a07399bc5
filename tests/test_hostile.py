"""Hostile and broken submissions, graded black-box by the real grader (`backprop-grade --batch`).

Each file in tests/submissions/ (and each notebook variant built below from solutions/ and
exercises/) has an expectation here: the exact score, or 0 for a cheat, and a phrase the
report must contain. Whatever a submission does, the grader must not crash, must not hang
past its limits, and must not give credit that was not earned; the reference solutions
must score 100%. One batch run grades everything, two at a time.

The whole suite runs in each isolation mode the grader accepts: with bubblewrap, and without it
(tests/no_bwrap.py: root without CAP_SYS_ADMIN, bwrap hidden, as in a Gradescope container), where
only the per-run uid, Landlock and seccomp protect; in both, runs are forks of the fork server; and
once more with bubblewrap and every run exec'd from scratch (BACKPROP_FORK_SERVER=0: a grader that
is not root, or whose server failed). Submissions that probe the machine get
its addresses filled in (@REPO@, @TCP_PORT@, @UDP_PORT@, @UNIX_SOCKET@, @TAG@): the harness
listens there and checks that nothing arrived and nothing was left behind.
"""
import contextlib
import csv
import fcntl
import html
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

import no_bwrap

from backprop_grader.isolation import uids
from backprop_grader.reports import feedback

REPO = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
GRADE = [sys.executable, "-m", "backprop_grader.cli"]
FULL = "full"  # the exercise's maximum score

# name: (score, phrases the report must contain). Scores are exact; FULL is the exercise's maximum.
EXPECTED = {
    # --- cheats: no credit -----------------------------------------------------------------------
    "01_fake_score_output.py": (0, ["Score: 0 / 6"]),
    "04_monkeypatch_numpy.py": (0, ["exited with code 1"]),  # patched builtins break only its own process
    "04_tamper_with_child.py": (0, ["not in the grader's format"]),  # its forged frames break the protocol
    "04_reads_grader_files.py": (0, ["found: nothing"]),
    "04_reads_course_files_by_path.py": (0, ["course files read: nothing"]),
    "04_connects_to_graders_loopback.py": (0, ["reached: nothing"]),
    "01_leaves_files_in_tmp.py": (0, ["tried to leave files behind"]),
    "07_finds_files_left_in_tmp.py": (0, ["left by others: nothing"]),  # graded after 01_leaves_files_in_tmp
    "06_import_reference.py": (0, ["No module named 'backprop_lib.layers'"]),
    "06_import_reference_hidden.py": (0, ["No module named 'backprop_lib.layers'"]),
    "08_exec_library_source.py": (0, []),
    "08_calls_disabled_reference.py": (0, ["not available while grading"]),
    "09_reads_hidden_seed.py": (0, ["leaks: none"]),
    # credit only in the parent; the protocol; the policies; inert text; IPython's own cells
    "04_finite_differences.py": (3, ["large input: backprop, not finite differences", "earns no points"]),
    "08_finite_differences_uncounted.py": (0, ["and was stopped", "finite differences earns no points"]),  # CPU or wall limit
    "04_stack_inspection.py": (3, ["found is all zeros"]),  # nothing in the child is a check to recognise
    "01_answers_twice.py": (0, ["not in the grader's format", "test 1; found test 0"]),
    "05_overflowing_sigmoid.py": (31, ["overflow"]),  # the ±1e4 cases: 2 forward + 2 backward tests
    "05_relu_gradient_one_at_zero.py": (35, ["x <= 0"]),  # the backward test at the kink
    "09_not_sgd.py": (4, ["counts once the test"]),  # sgd_step's tests only
    "04_float16.py": (0, ["Precision: y came back as float16"]),
    "01_control_characters.py": (6, ["\\x1b[2J"]),
    "04_continuation_lines.ipynb": (FULL, ["%matplotlib inline does nothing while grading"]),
    "04_claims_exercise_06.ipynb": (FULL, ["says it is exercise 06; it was graded as exercise 04"]),
    "10_finite_differences.py": (0, ["x.grad is wrong"]),  # central differences posing as backpropagation
    "04_locked_setup_edited.ipynb": (0, ["was edited; the released version was used instead"]),
    # --- processes that misbehave: stopped; credit only for the tests that finished -----------------
    "02_sys_exit_at_load.py": (0, ["SystemExit"]),
    "03_memory_bomb.py": (0, ["MemoryError"]),
    "06_infinite_loop.py": (0, ["and was stopped"]),  # the CPU or the wall-clock limit, whichever first
    "07_fork_bomb.py": (0, ["waited 2 s without computing anything"]),  # every process sleeps: the idle stop
    "04_os_exit_in_backward.py": (3, ["ended early"]),  # the three forward tests
    "05_keyboard_interrupt.py": (19, ["KeyboardInterrupt"]),  # Relu's tests, not Sigmoid's
    "02_huge_output_file.py": (9, ["File too large"]),  # AddLayer's tests, not MulLayer's
    # --- wrong answers ---------------------------------------------------------------------------
    "01_hardcoded_outputs.py": (0, ["shopping_forward [random prices and quantities]"]),  # no fixed case to match
    "02_syntax_error.py": (0, ["SyntaxError"]),
    "04_wrong_dtype.py": (0, ["expected numbers"]),
    "05_mutates_dout.py": (30, ["modified in place"]),  # Relu's no-mutation point; sigmoid overflows at ±1e4
    "06_inf_results.py": (0, ["inf"]),
    # only db is wrong: 1 of 3 checks in 6 tests (the large one too), no no-mutation point for wrong values
    "06_broadcast_shape.py": (9, ["db has shape (1, "]),
    "07_nan_results.py": (0, ["NaN"]),
    "07_missing_function.py": (3, ["missing"]),  # softmax's three tests
    "04_unsolved_exercise.ipynb": (0, ["NotImplementedError"]),
    # --- files that are not a gradable notebook: no grade (score 0, a reason) -----------------------
    "04_not_json.ipynb": (0, ["not a valid Jupyter notebook"]),
    "04_empty.ipynb": (0, ["empty"]),
    "04_not_utf8.ipynb": (0, ["not UTF-8"]),
    "04_json_but_not_a_notebook.ipynb": (0, ["not a valid Jupyter notebook"]),
    "04_very_large.ipynb": (0, ["MB"]),
    # --- right answers in a tampered notebook: full credit, and the tampering is noted ---------------
    "04_locked_checks_deleted.ipynb": (FULL, ["was deleted"]),
    "04_check_cell_faked.ipynb": (FULL, ["was edited"]),
    # --- exercises 11-17: finite differences where backprop is asked, hard-coded answers, bugs left in ---
    # (the large backward test comes right after the forward tests: numerical_gradient is stopped there,
    # by the CPU or the wall-clock limit, whichever comes first)
    "11_finite_differences.py": (5, ["was running when the grader stopped your code"]),  # the five forward tests only
    "11_vectorized_differences.py": (17, ["saturated inputs"]),  # fast, but loses the digits of tanh' ~ 1e-9
    "12_finite_differences.py": (4, ["was running when the grader stopped your code"]),
    "12_hardcoded_outputs.py": (0, ["MaxGate.forward output has shape (3,)"]),
    "13_finite_differences.py": (4, ["was running when the grader stopped your code"]),
    "14_finite_differences.py": (4, ["was running when the grader stopped your code"]),
    "15_finite_differences.py": (0, ["was running when the grader stopped your code"]),
    "15_unfixed.py": (0, ["the shape is transposed", "averaged where it should be summed over the batch"]),
    "16_finite_differences.py": (0, ["was running when the grader stopped your code"]),
    "17_finite_differences.py": (0, ["was running when the grader stopped your code"]),
    "17_hardcoded_outputs.py": (0, ["gradient W1 is wrong"]),
    # --- exercises 18-20, derive a new node: finite differences (one entry at a time, or a whole column or window
    # position at once), chapter 10's engine, PyTorch or the course's own nodes standing in for the derivation, and the
    # classic wrong answer. Each keeps only its forward tests, or nothing where the forward cannot load.
    "18_finite_differences.py": (7, ["was running when the grader stopped your code"]),  # the 7 forward tests
    "18_column_differences.py": (7, ["was running when the grader stopped your code"]),
    "18_torch_autograd.py": (7, ["No module named 'torch'"]),
    "18_library_nodes.py": (0, ["No module named 'backprop_lib.nodes'"]),
    "18_mean_variance_constants.py": (7, ["this is the gradient with mu and var held constant"]),
    "19_finite_differences.py": (6, ["was running when the grader stopped your code"]),  # the 6 forward tests
    "19_autodiff_one_hot.py": (0, ["No module named 'backprop_lib.autodiff'"]),
    "19_buffered_add.py": (6, ["writes each selected row once (numpy buffers it)"]),
    "20_finite_differences.py": (8, ["was running when the grader stopped your code"]),  # the 8 forward tests
    "20_window_differences.py": (8, ["counts only once it is also right in the test 'MaxPool.backward [large input"]),
    "20_copied_to_window.py": (8, ["the gradient is routed, not copied"]),
    "20_torch_max_pool.py": (0, ["No module named 'torch'"]),
    # --- exercises 21-23: finite differences, chapter 10's engine or PyTorch where a derivation is asked, the
    # typical wrong answers (partial credit, exactly), and the library's forward function used as a tool ---
    "21_finite_differences.py": (7, ["was running when the grader stopped your code"]),  # the 7 forward tests
    "21_autodiff_engine.py": (7, ["No module named 'backprop_lib.autodiff'"]),
    "21_forgets_mean.py": (7, ["found is 400 times expected: did you forget to divide by the batch size"]),
    "21_true_class_column.py": (7, ["dx is wrong only in the true-class column"]),
    "21_counts_true_class.py": (18, ["found is expected + 1"]),  # forward and no-mutation lost, backward right
    "21_ties_pass_gradient.py": (24, ["where a margin is exactly 0"]),  # the other convention at the kink
    "22_finite_differences.py": (9, ["was running when the grader stopped your code"]),
    "22_pytorch.py": (0, ["No module named 'torch'"]),
    "22_no_max_trick.py": (30, ["overflow", "unless the maximum is subtracted first"]),  # the ±1e3..1e4 case
    "22_softmax_from_library.py": (FULL, []),  # chapter 7's softmax is a tool here, not the answer
    "22_unaligned_dout.py": (9, ["numpy lines shapes up from the right"]),  # the forward tests only
    "23_finite_differences.py": (7, ["was running when the grader stopped your code"]),
    "23_autodiff_engine.py": (7, ["No module named 'backprop_lib.autodiff'"]),
    "23_dg_not_summed.py": (16, ["dg has one entry per entry of x"]),  # dx's half of each backward test
    "23_vectorized_differences.py": (24, ["saturated gates", "inputs x of ±1e5..1e6"]),
    "23_no_sigmoid_slope.py": (16, ["dg leaves out the sigmoid node"]),  # dx's half of each backward test
    # --- exercise 24 (find the bug: gradients piled up across calls): the bug left in, the library's Affine,
    # finite differences or the course's autodiff engine standing in for a backward ---
    "24_unfixed.py": (0, ["the second call returned the sum of both calls' gradients"]),
    "24_import_reference.py": (0, ["not available while grading"]),
    "24_finite_differences.py": (0, ["was running when the grader stopped your code"]),
    "24_autodiff_engine.py": (0, ["No module named 'backprop_lib.autodiff'"]),
    # --- exercises 25-28 (go deeper): finite differences, the course's engine or PyTorch standing in for a
    # hand-written backward, the loops kept, everything stored, a pasted gradient, the classic mistakes left in
    "25_finite_differences.py": (4, ["was running when the grader stopped your code"]),  # the forward tests only
    "25_autodiff_engine.py": (0, ["No module named 'backprop_lib.autodiff'"]),
    "25_pytorch_autograd.py": (0, ["No module named 'torch'"]),
    "25_weights_overwritten.py": (9.2, ["this is the gradient of one time step only"]),  # dxs, dh0 right
    "25_gradient_not_carried.py": (4, ["each step sees only its own dhs[:, t]"]),
    "26_loops_kept.py": (0, ["was running when the grader stopped your code"]),
    "26_finite_differences.py": (0, ["was running when the grader stopped your code"]),
    "26_pytorch_autograd.py": (0, ["No module named 'torch'"]),
    "26_windows_overwritten.py": (9.33, ["the windows' gradients are written into dx (=)"]),  # dW and db right
    "27_store_everything.py": (5, ["MemoryError", "Keeping the input of each of its 400 layers"]),  # forward only
    "27_finite_differences.py": (5, ["was running when the grader stopped your code"]),
    "27_autodiff_engine.py": (0, ["No module named 'backprop_lib.autodiff'"]),
    "27_segments_restarted.py": (5, ["every segment starts again from the dout"]),
    "28_pasted_y_minus_t.py": (18, ["this is (y - t) / N"]),  # exp and log right; no cross_entropy
    "28_finite_differences.py": (0, ["what a difference quotient gives, not the formula",
                                     "was running when the grader stopped your code"]),
    "28_calls_library_loss.py": (18, ["not available while grading"]),
    "28_without_the_shift.py": (28, ["overflow encountered in exp", "subtract each row's maximum"]),
    # --- the child's world holds only what the exercise allows (the file system says so) ---------
    "04_reaches_installed_packages.py": (3, ["reached: nothing"]),  # forward only: its backward needs PyTorch
    "16_library_layers_by_importlib.py": (0, ["is not available while grading"]),
    "16_library_source_by_inspect.py": (0, ["is not available while grading"]),
    # --- hidden tests as strong as the task, and messages that name the cause --------------------------------
    "04_class_attribute_cache.py": (9, ["as in a network with two such layers"]),  # all but dW beside a second layer
    "11_global_cache.py": (11, ["as in a network with two such layers"]),  # all but dx beside a second layer
    "05_backward_overwrites_output.py": (FULL, []),  # forward was right when it returned
    # --- decided: a copy of a locked cell with a helper of the learner's own; a name in capitals ----------
    "04_helper_in_locked_copy.ipynb": (FULL, ["is a copy of locked cell 'ex04-setup' with code of your own"]),
    "04_matmul.IPYNB": (FULL, []),
    "04_empty_cells.ipynb": (FULL, []),  # 50,000 of them: the parent's work is a pass over the bytes
}
# Entries of the class folder that are not a submission of their own: each has its row, with its status.
LAYOUT = {
    ".hidden_folder": ("skipped", ["hidden folder", "04_matmul.ipynb"]),
    ".04_hidden_file.py": ("skipped", ["hidden file"]),
    "an_empty_folder": ("skipped", ["empty folder"]),
    f"04_folder.ipynb{os.sep}notes.txt": ("could-not-grade", ["expected a .ipynb notebook or a .py file"]),
    f"deep{os.sep}" + f"d{os.sep}" * 1500 + "04_deep.py": ("graded", ["Score: 12 / 12"]),
}
# The first hint a report gives names the real cause (checked for the typical wrong answers).
FIRST_HINT = {
    "21_forgets_mean.py": "did you forget to divide by the batch size",
    "21_true_class_column.py": "dx is wrong only in the true-class column",
    "21_counts_true_class.py": "found is expected + 1",
    "21_ties_pass_gradient.py": "where a margin is exactly 0, this exercise's max(0, m) passes no gradient",
    "22_no_max_trick.py": "unless the maximum is subtracted first",
    "23_dg_not_summed.py": "dg has one entry per entry of x",
    "22_unaligned_dout.py": "numpy lines shapes up from the right",
    "23_no_sigmoid_slope.py": "dg leaves out the sigmoid node",
    "25_weights_overwritten.py": "this is the gradient of one time step only",
    "25_gradient_not_carried.py": "each step sees only its own dhs[:, t]",
    "25_finite_differences.py": "finite differences take minutes",
    "26_windows_overwritten.py": "the windows overlap",
    "26_loops_kept.py": "the loops of backward_loops take about ten seconds",
    "27_store_everything.py": "look for what keeps every layer's input alive",
    "27_segments_restarted.py": "every segment starts again from the dout",
    "28_pasted_y_minus_t.py": "let the engine's backward find the gradient",
    "28_finite_differences.py": "closer than any difference quotient gets",
    "28_without_the_shift.py": "subtract each row's maximum",
}
COULD_NOT_GRADE = {"04_not_json.ipynb", "04_empty.ipynb", "04_not_utf8.ipynb",
                   "04_json_but_not_a_notebook.ipynb", "04_very_large.ipynb"}
# Known grader bugs (reported to the grader's author): strict, so a fix turns them into failures
# that ask for the marker to be removed.
KNOWN_GRADER_BUGS = {}  # name: reason. (Empty: the two bugs this suite found are fixed.)


def with_known_bugs(names):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GRADER_BUGS[n]))
            if n in KNOWN_GRADER_BUGS else n for n in names]


def solution_cells(path):
    return nbformat.read(path, as_version=4)


def role(cell):
    return cell.metadata.get("backprop", {}).get("role")


def build_notebooks(out: Path) -> None:
    """Variants of the real notebooks: tampered, unsolved, oversized."""
    solved = solution_cells(REPO / "solutions" / "04_matmul.ipynb")
    deleted = nbformat.from_dict(solved)
    deleted.cells = [c for c in deleted.cells if role(c) != "check"]
    nbformat.write(deleted, out / "04_locked_checks_deleted.ipynb")

    faked = nbformat.from_dict(solved)
    for cell in faked.cells:
        if role(cell) == "check":
            cell.source = 'print("Score: 11 / 11 (100%)")'
    nbformat.write(faked, out / "04_check_cell_faked.ipynb")

    unsolved = solution_cells(REPO / "exercises" / "04_matmul.ipynb")
    nbformat.write(unsolved, out / "04_unsolved_exercise.ipynb")

    edited = nbformat.from_dict(unsolved)  # the setup cell imports the answer; the task cell is gone
    edited.cells = [c for c in edited.cells if role(c) != "solution"]
    for cell in edited.cells:
        if role(cell) == "setup":
            cell.source = "import numpy as np\nfrom backprop_lib.layers import MatMul"
    nbformat.write(edited, out / "04_locked_setup_edited.ipynb")

    large = nbformat.from_dict(solved)
    large.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="0123456789" * 700_000)]
    nbformat.write(large, out / "04_very_large.ipynb")

    helper = nbformat.from_dict(solved)  # the setup cell copied (its metadata with it) and a helper written in
    setup = next(c for c in helper.cells if role(c) == "setup")
    copy = nbformat.from_dict(setup)
    copy.id, copy.source = "a-copy", copy.source + "\n\n\ndef product(a, b):\n    return a @ b\n"
    helper.cells.insert(helper.cells.index(setup) + 1, copy)
    for cell in helper.cells:
        if role(cell) == "solution":
            cell.source = cell.source.replace("x @ self.W", "product(x, self.W)")
            assert "product(x, self.W)" in cell.source
    nbformat.write(helper, out / "04_helper_in_locked_copy.ipynb")

    (out / "04_matmul.IPYNB").write_bytes((REPO / "solutions" / "04_matmul.ipynb").read_bytes())

    empty = nbformat.from_dict(solved)  # 50,000 empty cells, 4.5 MB: under the size limit
    empty.cells += [nbformat.v4.new_code_cell("") for _ in range(50_000)]
    for cell in empty.cells:
        cell.pop("id", None)
    empty.nbformat_minor = 4  # no cell ids: 50,000 of them would pass the size limit
    compact = json.dumps(json.loads(nbformat.writes(empty)), separators=(",", ":"))
    assert len(compact) < 5 << 20
    (out / "04_empty_cells.ipynb").write_text(compact)


def remove_deep(out: Path) -> None:
    """Remove the 1,500 folders of build_layout, deepest first (shutil.rmtree, and pytest's own clean-up of
    its temporary folders, recurse once per level)."""
    chain = [out / "deep"]
    while inner := [p for p in chain[-1].iterdir() if p.is_dir() and not p.is_symlink()]:
        chain.append(inner[0])  # one folder per level
    for folder in reversed(chain):
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def build_layout(out: Path) -> None:
    """The entries of LAYOUT: hidden files and folders, an empty folder, a folder named like a
    notebook, and a submission 1,500 folders deep."""
    (out / ".hidden_folder").mkdir()
    (out / ".hidden_folder" / "04_matmul.ipynb").write_bytes((REPO / "solutions" / "04_matmul.ipynb").read_bytes())
    (out / ".04_hidden_file.py").write_text("print('never run')\n")
    (out / "an_empty_folder").mkdir()
    (out / "04_folder.ipynb").mkdir()
    (out / "04_folder.ipynb" / "notes.txt").write_text("a note, not a submission\n")
    deep = out / "deep"
    deep.mkdir()
    for _ in range(1500):  # one at a time: makedirs recurses once per level
        deep /= "d"
        deep.mkdir()
    (deep / "04_deep.py").write_text(MATMUL)


MATMUL = """import numpy as np


class MatMul:
    def __init__(self, W):
        self.W, self.x, self.dW = W, None, None

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, dout):
        self.dW = self.x.T @ dout
        return dout @ self.W.T
"""

IPYTHON_FORMS = {  # what a kernel runs as the cell's code: each applied to every solution cell of every reference
    "under if __name__ == '__main__'": lambda code: 'if __name__ == "__main__":\n' + textwrap.indent(code, "    "),
    "ending in display() and an expression": lambda code: code + "\ndisplay('shown')\nIn[-1], len(Out)\n",
    "line magics and help": lambda code: "%precision 3\n%time _ = 1\n" + code + "\nlen?\n",
    "refused commands": lambda code: "!echo hi\n%pip install torch\n%matplotlib inline\n" + code + "\nfiles = !ls\n",
    "after a top-level await": lambda code: "import asyncio\nawait asyncio.sleep(0)\n" + code,
    "cell magic %%time": lambda code: "%%time\n" + code,
    "cell magic %%capture": lambda code: "%%capture captured\n" + code,
}
# Each reference is graded in each composition (forms applied in this order, the cell magic last, as its first
# line): every form in some composition, so one notebook per reference and composition instead of per form.
COMPOSITIONS = [("under if __name__ == '__main__'", "ending in display() and an expression", "cell magic %%time"),
                ("line magics and help", "refused commands", "after a top-level await", "cell magic %%capture")]


def build_ipython_forms(out: Path) -> None:
    """Every reference solution in every composition of IPython forms, as forms/formN/NN_name.ipynb."""
    for index, forms in enumerate(COMPOSITIONS):
        folder = out / "forms" / f"form{index}"
        folder.mkdir(parents=True)
        for path in sorted((REPO / "solutions").glob("*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            for cell in notebook.cells:
                if role(cell) == "solution":
                    for form in forms:
                        cell.source = IPYTHON_FORMS[form](cell.source)
            nbformat.write(notebook, folder / path.name)


class Listeners:
    """A TCP and a UDP listener on 127.0.0.1 and a UNIX socket, counting what reaches them."""

    def __init__(self, directory: Path):
        self.tcp, self.udp = socket.socket(), socket.socket(type=socket.SOCK_DGRAM)
        self.unix, self.unix_path = socket.socket(socket.AF_UNIX), directory / "grader.sock"
        self.tcp.bind(("127.0.0.1", 0))
        self.udp.bind(("127.0.0.1", 0))
        self.unix.bind(str(self.unix_path))
        self.unix_path.chmod(0o777)  # only the sandbox may stop a submission from connecting
        self.arrived = []
        for server in (self.tcp, self.unix):
            server.listen(8)
            threading.Thread(target=self._accept, args=(server,), daemon=True).start()
        threading.Thread(target=self._receive, daemon=True).start()

    def _accept(self, server):
        while True:
            try:
                self.arrived.append(server.accept()[1] or "unix")
            except OSError:  # closed
                return

    def _receive(self):
        while True:
            try:
                address = self.udp.recvfrom(100)[1]
            except OSError:
                return
            if address is None:  # woken by shutdown
                return
            self.arrived.append(address)

    def placeholders(self) -> dict:
        return {"@TCP_PORT@": str(self.tcp.getsockname()[1]), "@UDP_PORT@": str(self.udp.getsockname()[1]),
                "@UNIX_SOCKET@": str(self.unix_path)}

    def close(self):
        for server in (self.tcp, self.udp, self.unix):
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)  # wakes the thread that waits on it
            server.close()


@dataclass
class BatchRun:
    mode: str
    batch: Path
    results: dict  # name: (CSV row, text report, results.json)
    stderr: str
    csv: Path
    entries: set  # what the principle says gets a row (_entries)
    arrived: list  # connections and datagrams that reached the harness's listeners
    left_behind: list  # files of the tag, and whatever the grader left in its temporary directory


@pytest.fixture(scope="module", params=["bwrap", "no-bwrap", "bwrap-execd"])
def batch_run(request, tmp_path_factory):
    """Grade every hostile submission and every reference solution in one batch run, in one mode."""
    mode = request.param
    if mode == "no-bwrap":
        no_bwrap.require()
    shared = Path(tempfile.mkdtemp(prefix="backprop-hostile-"))  # every uid may enter it: /tmp, mode 755
    shared.chmod(0o755)
    grader_tmp, tag = shared / "grader-tmp", f"backprop-hostile-{secrets.token_hex(6)}"
    grader_tmp.mkdir(mode=0o755)
    listeners = Listeners(shared)
    try:
        fill = {"@REPO@": str(REPO), "@TAG@": tag, **listeners.placeholders()}
        run = _grade_batch(mode, tmp_path_factory, fill, grader_tmp)
    finally:
        listeners.close()
    left = [str(p) for d in ("/tmp", "/dev/shm", "/var/tmp") for p in Path(d).glob(f"*{tag}*")]
    left += [str(p) for p in grader_tmp.rglob("*")] + stale_leases()
    if (shared / "batch" / "deep").exists():
        remove_deep(shared / "batch")
    shutil.rmtree(shared)
    return BatchRun(mode, *run, list(listeners.arrived), left)


def stale_leases() -> list:
    """uid leases that no run holds (a run removes its lease while it holds its lock): unlocked now and half a
    second later (a lease being taken is unlocked for an instant). Other graders may be running: theirs are held."""
    def unlocked():
        found = set()
        for path in uids.lease_path(0).parent.glob("*"):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                found.add((str(path), os.fstat(fd).st_ino))
            except BlockingIOError:
                pass
            finally:
                os.close(fd)
        return found
    first = unlocked()
    time.sleep(0.5)
    return sorted(path for path, _ in first & unlocked())


def _grade_batch(mode, tmp_path_factory, fill, grader_tmp):
    batch = grader_tmp.parent / "batch"  # not pytest's: its clean-up recurses once per folder level
    batch.mkdir()
    for path in SUBMISSIONS.iterdir():
        if path.is_file() and path.suffix in (".py", ".ipynb"):
            data = path.read_bytes()
            if path.suffix == ".py":
                for placeholder, value in fill.items():
                    data = data.replace(placeholder.encode(), value.encode())
            (batch / path.name).write_bytes(data)
    build_notebooks(batch)
    build_layout(batch)
    build_ipython_forms(batch)
    (batch / "solutions").mkdir()
    for path in sorted((REPO / "solutions").glob("*.ipynb")):
        (batch / "solutions" / path.name).write_bytes(path.read_bytes())
    reports, grades = tmp_path_factory.mktemp("reports"), tmp_path_factory.mktemp("grades") / "grades.csv"
    # a real secret, as in production; the grader's temporary files (runs, uid leases) in a directory we inspect
    env = {**os.environ, "BACKPROP_GRADER_SECRET": secrets.token_hex(16), "TMPDIR": str(grader_tmp),
           "BACKPROP_FORK_SERVER": "0" if mode.endswith("execd") else "1"}
    command = [*GRADE, "--batch", str(batch), "--out", str(grades), "-j", "2", "--reports", str(reports)]
    if mode == "no-bwrap":
        command = no_bwrap.command(command, keep=[str(REPO)])
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200, cwd=REPO)
    assert done.returncode == 0, f"the batch failed:\n{done.stdout}\n{done.stderr}"
    entries = _entries(batch)  # what must have a row, found by the test itself
    remove_deep(batch)  # graded: pytest could not remove it
    with open(grades, encoding="utf-8") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    results = {}
    for name, row in rows.items():
        stem = reports / feedback.report_stem(name)
        text = Path(f"{stem}.txt").read_text(encoding="utf-8") if Path(f"{stem}.txt").exists() else ""
        report = json.loads(Path(f"{stem}.json").read_text()) if Path(f"{stem}.json").exists() else {}
        results[name] = (row, text, report)
    return batch, results, done.stderr, grades, entries


@pytest.fixture(scope="module")
def graded(batch_run):
    return batch_run.batch, batch_run.results


def test_each_mode_is_the_one_it_claims(batch_run):
    without = "bwrap cannot build the sandbox here" in batch_run.stderr  # the grader's own warning
    assert without is (batch_run.mode == "no-bwrap"), batch_run.stderr[-2000:]
    sandboxes = {report["sandbox"] for _, _, report in batch_run.results.values() if report.get("sandbox")}
    assert len(sandboxes) > 100  # each run with its own uid
    for sandbox in sandboxes:
        assert sandbox.startswith("bwrap(") is (batch_run.mode != "no-bwrap"), sandbox
        assert sandbox.endswith(" forked") is (batch_run.mode != "bwrap-execd"), sandbox


def test_no_submission_reached_the_graders_listeners(batch_run):
    assert batch_run.arrived == []


def test_nothing_is_left_behind(batch_run):
    """No file of a submission in /tmp, /dev/shm or /var/tmp, no run directory, no uid lease."""
    assert batch_run.left_behind == []


def test_every_submission_has_exactly_one_expectation(graded):
    batch, results = graded
    hostile = {name for name in results if not name.startswith(("solutions", "forms"))}
    assert hostile == set(EXPECTED) | set(LAYOUT)
    assert len(EXPECTED) >= 20


def _entries(root: Path) -> set:
    """What the principle says gets a row, found here independently of the grader: every file or link
    (not inside a hidden folder), every hidden file or folder, every empty folder."""
    found, folders = set(), [root]
    while folders:
        folder = folders.pop()
        children = list(os.scandir(folder))
        if not children and folder != root:
            found.add(os.path.relpath(folder, root))
        for child in children:
            if child.name.startswith(".") or not child.is_dir(follow_symlinks=False):
                found.add(os.path.relpath(child.path, root))
            else:
                folders.append(child.path)
    return found


def test_every_entry_is_accounted_for_in_the_csv_the_summary_and_the_page(batch_run):
    """Principle 3: graded, could-not-grade with a reason, or skipped with a reason; nothing else."""
    rows = {name: row for name, (row, _, _) in batch_run.results.items()}
    assert set(rows) == batch_run.entries
    assert all(r["status"] in ("graded", "could-not-grade", "skipped") for r in rows.values())
    assert all(r["reason"] for r in rows.values() if r["status"] != "graded")
    summary = json.loads(batch_run.csv.with_name(batch_run.csv.stem + ".summary.json").read_text(encoding="utf-8"))
    assert summary["submissions"] == len(rows) and sum(summary["by_status"].values()) == len(rows)
    listed = {e["submission"] for ex in summary["exercises"] for e in ex["could_not_grade"]}
    assert listed == {name for name, r in rows.items() if r["status"] != "graded"}
    assert sum(ex["graded"] for ex in summary["exercises"]) == sum(r["status"] == "graded" for r in rows.values())
    page = batch_run.csv.with_suffix(".html").read_text(encoding="utf-8")
    for name in listed:
        assert html.escape(name, quote=True) in page, name


@pytest.mark.parametrize("name", sorted(LAYOUT))
def test_each_layout_has_its_row(graded, name):
    _, results = graded
    row, text, _ = results[name]
    status, phrases = LAYOUT[name]
    assert row["status"] == status, row
    for phrase in phrases:
        assert phrase in row["reason"] + text, (phrase, row, text[:500])


def test_every_ipython_form_is_in_a_composition():
    assert {form for forms in COMPOSITIONS for form in forms} == set(IPYTHON_FORMS)


@pytest.mark.parametrize("forms", COMPOSITIONS, ids=[" + ".join(f) for f in COMPOSITIONS])
def test_reference_solutions_score_full_in_every_ipython_form(graded, forms):
    """Principle 1: the learner's cells run as a kernel runs them; magics that run their body run it."""
    _, results = graded
    folder = f"forms{os.sep}form{COMPOSITIONS.index(forms)}{os.sep}"
    for stem in sorted(p.stem for p in (REPO / "solutions").glob("*.ipynb")):
        row, text, _ = results[f"{folder}{stem}.ipynb"]
        assert row["status"] == "graded" and float(row["score"]) == float(row["max_score"]) > 0, (forms, stem, text)
    if "refused commands" in forms:  # what a sandboxed kernel must not do did nothing, and the report says so
        notes = results[f"{folder}04_matmul.ipynb"][1]
        for command in ("!echo hi", "%pip install torch", "%matplotlib inline", "!ls"):
            assert f"{command} does nothing while grading" in notes, notes


@pytest.mark.parametrize("name", with_known_bugs(sorted(EXPECTED)))
def test_hostile_submission(graded, name):
    _, results = graded
    row, text, report = results[name]
    score, phrases = EXPECTED[name]
    assert row["status"] == ("could-not-grade" if name in COULD_NOT_GRADE else "graded"), row
    if score == FULL:
        assert float(row["score"]) == float(row["max_score"]) > 0, text
    else:
        assert float(row["score"]) == score, text or row
    if report:  # Gradescope's results.json agrees with the CSV, whatever the submission printed
        assert report["score"] == pytest.approx(float(row["score"]))
    everything = text + row["reason"] + json.dumps(report, ensure_ascii=False)
    for phrase in phrases:
        assert phrase in everything, f"{phrase!r} not in the report of {name}:\n{text}\n{row['reason']}"


@pytest.mark.parametrize("name", sorted(FIRST_HINT))
def test_the_first_hint_names_the_real_cause(graded, name):
    _, results = graded
    _, text, _ = results[name]
    first = next(line for line in text.splitlines() if "Hint:" in line)
    assert FIRST_HINT[name] in first.split("Hint:", 1)[1], text


@pytest.mark.parametrize("stem", sorted(p.stem for p in (REPO / "solutions").glob("*.ipynb")))
def test_reference_solutions_score_full(graded, stem):
    _, results = graded
    row, text, _ = results[f"solutions{os.sep}{stem}.ipynb"]
    assert row["status"] == "graded" and float(row["score"]) == float(row["max_score"]) > 0, text


def test_no_grading_ran_far_past_its_limits(graded):
    _, results = graded
    for name, (row, _, _) in results.items():
        if row["seconds"]:
            assert float(row["seconds"]) < 20 + 15, row  # the largest wall limit (exercise 09) + startup


def test_single_submission_json_is_the_graders_not_the_submissions(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run([*GRADE, str(SUBMISSIONS / "01_fake_score_output.py"), "--json", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["score"] == 0
    assert done.stdout.splitlines()[1].startswith("Score: 0 / 6")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
