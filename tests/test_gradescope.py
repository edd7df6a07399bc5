"""The Gradescope package end to end, as Gradescope uses it: build the zip, unpack it into a fresh
/autograder-like root, run setup.sh and then run_autograder as root, with hostile submissions in
submission/. In both isolation modes: with bubblewrap, and without it (tests/no_bwrap.py), which
is what a Gradescope container usually offers. setup.sh is run for real except its apt and pip
part: BACKPROP_AUTOGRADER_PYTHON names this interpreter instead of a fresh venv.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

import no_bwrap
from backprop_grader import cli
from backprop_grader.platforms import pick_submission

REPO = Path(__file__).resolve().parents[1]
SOLUTION = REPO / "solutions" / "04_matmul.ipynb"
UNSOLVED = REPO / "exercises" / "04_matmul.ipynb"
MODES = ["bwrap", "no-bwrap"]

READS_THE_AUTOGRADER = '''
"""Reads what Gradescope keeps beside the submission: the secret, the grader's source, the notebooks."""
import glob
read = {}
for pattern in ("@ROOT@/source/grader_secret", "@ROOT@/source/project/backprop_lib/*.py",
                "@ROOT@/source/project/backprop_grader/*.py", "@ROOT@/source/project/exercises/*",
                "@ROOT@/source/*", "@ROOT@/results/*"):
    for path in glob.glob(pattern) or [pattern]:
        try:
            read[path] = open(path).read(200)
        except OSError:
            pass
print("read:", read or "nothing")
raise RuntimeError(f"autograder files read: {sorted(read) or 'nothing'}; {list(read.values())}")
'''


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """The zip for exercise 04, unpacked into a fresh root and set up by its own setup.sh."""
    zip_path = tmp_path_factory.mktemp("zip") / "autograder.zip"
    assert cli.main(["gradescope-package", "--out", str(zip_path), "--exercise", "04"]) == 0
    root = tmp_path_factory.mktemp("autograder")
    with zipfile.ZipFile(zip_path) as archive:
        assert {"setup.sh", "run_autograder", "grader_secret", "project/pyproject.toml"} <= set(archive.namelist())
        archive.extractall(root / "source")
        for info in archive.infolist():  # extractall drops the modes; Gradescope keeps them
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777 or 0o644)
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=_env(root),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return root


def _env(root):
    return {**os.environ, "BACKPROP_AUTOGRADER_ROOT": str(root), "BACKPROP_AUTOGRADER_PYTHON": sys.executable}


def grade(root, mode, files, python=sys.executable):
    """Put `files` (name: bytes, or a Path for a symbolic link) into submission/, run run_autograder
    as root; return results.json and everything run_autograder printed."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, content in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(content) if isinstance(content, Path) else path.write_bytes(content)
    command = ["bash", str(root / "source" / "run_autograder")]
    if mode == "no-bwrap":
        no_bwrap.require()
        command = no_bwrap.command(command, keep=[str(root)])
    env = {**_env(root), "BACKPROP_AUTOGRADER_PYTHON": python}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    if results.get("tests"):  # something ran: in the mode asked for (the grader warns when bwrap cannot run)
        assert ("bwrap cannot build the sandbox here" in done.stderr) is (mode == "no-bwrap"), done.stderr
    return results, (root / "results" / "results.json").read_text() + done.stdout + done.stderr


def full_marks(results) -> bool:
    return results["score"] == sum(t["max_score"] for t in results["tests"]) > 0


def test_setup_leaves_the_course_to_root_alone(autograder):
    assert stat.S_IMODE(os.stat(autograder).st_mode) == 0o755
    for path in [autograder / "source", *(autograder / "source").rglob("*")]:
        assert stat.S_IMODE(os.lstat(path).st_mode) & 0o077 == 0, path  # nothing for group or others
    assert stat.S_IMODE(os.stat(autograder / "source" / "grader_secret").st_mode) == 0o600


@pytest.mark.parametrize("mode", MODES)
def test_the_learners_own_notebook_is_graded_not_an_editor_leftover(autograder, mode):
    unsolved = UNSOLVED.read_bytes()
    results, output = grade(autograder, mode, {"04_matmul.ipynb": SOLUTION.read_bytes(),
                                               "04_matmul-Copy1.ipynb": unsolved,  # sorts first by name
                                               ".ipynb_checkpoints/04_matmul-checkpoint.ipynb": unsolved})
    assert full_marks(results), output
    assert "development secret" not in output  # the package's own secret was used


@pytest.mark.parametrize("mode", MODES)
def test_a_symbolic_link_to_a_reference_notebook_is_not_graded(autograder, mode):
    results, output = grade(autograder, mode, {"04_matmul.ipynb": SOLUTION})
    assert results["score"] == 0 and results["tests"] == []
    assert "not graded: symbolic link" in results["output"]


@pytest.mark.parametrize("mode", MODES)
def test_the_secret_never_appears_in_any_output(autograder, mode):
    secret = (autograder / "source" / "grader_secret").read_text().strip()
    linked, linked_output = grade(autograder, mode, {"04_matmul.ipynb": autograder / "source" / "grader_secret"})
    assert "not graded: symbolic link" in linked["output"]
    source = (autograder / "source" / "project" / "backprop_lib" / "layers.py").read_text()
    reader, reader_output = grade(autograder, mode, {
        "04_matmul.py": READS_THE_AUTOGRADER.replace("@ROOT@", str(autograder)).encode()})
    assert "autograder files read: nothing" in reader_output, reader_output
    for output in (linked_output, reader_output):
        assert secret not in output
        assert "class MatMul" not in output and source[:200] not in output


@pytest.mark.parametrize("mode", MODES)
def test_the_exercise_is_the_packages_not_what_the_notebook_claims(autograder, mode):
    notebook = nbformat.read(SOLUTION, as_version=4)
    notebook.metadata.setdefault("backprop", {})["exercise"] = "01"  # claims to be the easy exercise
    results, output = grade(autograder, mode, {"01_graph_forward.ipynb": nbformat.writes(notebook).encode()})
    assert full_marks(results), output
    assert results["output"].startswith("Exercise 04"), results["output"]


REACHES_INSTALLED = (REPO / "tests" / "submissions" / "04_reaches_installed_packages.py").read_bytes()


@pytest.mark.parametrize("mode", MODES)
def test_nothing_installed_beside_numpy_is_within_reach(autograder, mode):
    """The child's world on Gradescope: PyTorch, the installed course and every other package out of reach."""
    results, output = grade(autograder, mode, {"04_matmul.py": REACHES_INSTALLED})
    assert "reached: nothing" in output, output
    assert results["score"] == 3, output  # the forward tests: its backward needed PyTorch


@pytest.mark.parametrize("mode", MODES)
def test_a_notebook_is_graded_as_its_kernel_runs_it_whatever_the_case_of_its_name(autograder, mode):
    notebook = nbformat.read(SOLUTION, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("backprop", {}).get("role") == "solution":
            cell.source = "%%capture\nimport asyncio\nawait asyncio.sleep(0)\n" + cell.source + "\ndisplay('done')\n!ls\n"
    results, output = grade(autograder, mode, {"04_matmul.IPYNB": nbformat.writes(notebook).encode(),
                                               "04_matmul.py": b"print('an older try')\n"})
    assert full_marks(results), output
    assert "!ls does nothing while grading" in results["output"]


def test_results_json_is_always_written(autograder):
    empty, _ = grade(autograder, "bwrap", {})
    assert empty["score"] == 0 and "holds no file" in empty["output"]
    broken, _ = grade(autograder, "bwrap", {"04_matmul.ipynb": SOLUTION.read_bytes()}, python="/bin/false")
    assert broken["score"] == 0 and "failed before it could grade" in broken["output"]


def test_pick_submission_ranks_the_learners_own_file_first(tmp_path):
    for name in ("04_matmul-Copy1.ipynb", ".ipynb_checkpoints/04_matmul-checkpoint.ipynb", "notes.txt",
                 "old/04_matmul.ipynb", "04_matmul.py", ".hidden.ipynb", "04_matmul.ipynb"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("{}")
    assert pick_submission(tmp_path, "04").name == "04_matmul.ipynb"
    (tmp_path / "04_matmul.ipynb").unlink()
    assert pick_submission(tmp_path, "04") == tmp_path / "old" / "04_matmul.ipynb"
    (tmp_path / "old" / "04_matmul.ipynb").unlink()
    assert pick_submission(tmp_path, "04").name == "04_matmul-Copy1.ipynb"  # a leftover only when nothing else
    (tmp_path / "linked.ipynb").symlink_to(SOLUTION)
    assert pick_submission(tmp_path, "04").name == "04_matmul-Copy1.ipynb"  # a real file before a link
