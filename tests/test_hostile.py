"""Hostile and broken submissions, graded black-box by the real grader (`backprop-grade --batch`).

Each file in tests/submissions/ (and each notebook variant built below from solutions/ and
exercises/) has an expectation here: the exact score, or 0 for a cheat, and a phrase the
report must contain. Whatever a submission does, the grader must not crash, must not hang
past its limits, and must not give credit that was not earned; the reference solutions
must score 100%. One batch run grades everything, two at a time.

The whole suite runs in each isolation mode the grader accepts: with bubblewrap, and without it
(tests/no_bwrap.py: root without CAP_SYS_ADMIN, bwrap hidden, as in a Gradescope container), where
only the per-run uid, Landlock and seccomp protect. Submissions that probe the machine get
its addresses filled in (@REPO@, @TCP_PORT@, @UDP_PORT@, @UNIX_SOCKET@, @TAG@): the harness
listens there and checks that nothing arrived and nothing was left behind.
"""
import contextlib
import csv
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

import no_bwrap

from backprop_grader import feedback

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
    # issue 7: credit only in the parent; the protocol; the policies; inert text; IPython's own cells
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
    "07_fork_bomb.py": (0, ["wall-clock limit of 6 s"]),
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
    arrived: list  # connections and datagrams that reached the harness's listeners
    left_behind: list  # files of the tag, and whatever the grader left in its temporary directory


@pytest.fixture(scope="module", params=["bwrap", "no-bwrap"])
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
    left += [str(p) for p in grader_tmp.rglob("*") if p != grader_tmp / "backprop-sandbox-uids"]
    shutil.rmtree(shared)
    return BatchRun(mode, *run, list(listeners.arrived), left)


def _grade_batch(mode, tmp_path_factory, fill, grader_tmp):
    batch = tmp_path_factory.mktemp("batch")
    for path in SUBMISSIONS.iterdir():
        if path.is_file() and path.suffix in (".py", ".ipynb"):
            data = path.read_bytes()
            if path.suffix == ".py":
                for placeholder, value in fill.items():
                    data = data.replace(placeholder.encode(), value.encode())
            (batch / path.name).write_bytes(data)
    build_notebooks(batch)
    (batch / "solutions").mkdir()
    for path in sorted((REPO / "solutions").glob("*.ipynb")):
        (batch / "solutions" / path.name).write_bytes(path.read_bytes())
    reports, grades = tmp_path_factory.mktemp("reports"), tmp_path_factory.mktemp("grades") / "grades.csv"
    # a real secret, as in production; the grader's temporary files (runs, uid leases) in a directory we inspect
    env = {**os.environ, "BACKPROP_GRADER_SECRET": secrets.token_hex(16), "TMPDIR": str(grader_tmp)}
    command = [*GRADE, "--batch", str(batch), "--out", str(grades), "-j", "2", "--reports", str(reports)]
    if mode == "no-bwrap":
        command = no_bwrap.command(command, keep=[str(REPO)])
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, f"the batch failed:\n{done.stdout}\n{done.stderr}"
    with open(grades, encoding="utf-8") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    results = {}
    for name, row in rows.items():
        stem = reports / feedback.report_stem(name)
        text = Path(f"{stem}.txt").read_text(encoding="utf-8") if Path(f"{stem}.txt").exists() else ""
        report = json.loads(Path(f"{stem}.json").read_text()) if Path(f"{stem}.json").exists() else {}
        results[name] = (row, text, report)
    return batch, results, done.stderr


@pytest.fixture(scope="module")
def graded(batch_run):
    return batch_run.batch, batch_run.results


def test_each_mode_is_the_one_it_claims(batch_run):
    without = "bwrap cannot build the sandbox here" in batch_run.stderr  # the grader's own warning
    assert without is (batch_run.mode == "no-bwrap"), batch_run.stderr[-2000:]


def test_no_submission_reached_the_graders_listeners(batch_run):
    assert batch_run.arrived == []


def test_nothing_is_left_behind(batch_run):
    """No file of a submission in /tmp, /dev/shm or /var/tmp, no run directory, no uid lease."""
    assert batch_run.left_behind == []


def test_every_submission_has_exactly_one_expectation(graded):
    batch, results = graded
    hostile = {name for name in results if not name.startswith("solutions")}
    assert hostile == set(EXPECTED)
    assert len(EXPECTED) >= 20


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
