"""A learner who has only the website: the steps of "How to use" (book/how_to_use.md), done from the
built site (`make book`) served over HTTP on 127.0.0.1.

In a new virtual environment with nothing installed: `pip install "backprop_lib[lab] @ <the wheel's
address on the site>"` (pip takes the dependencies from the package index or its cache, as it would
for the learner); download a chapter and run all its cells; download an exercise, fill in its
reference solution (solutions/ is not on the site: the test brings it), run its checks, and grade
it with `backprop-grade`: full marks, with its locked cells compared to the released notebook that
the wheel ships.
"""
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
CHAPTER = "chapters/03_node_types"  # imports the library, its figures and its widgets (the graph explorer)
EXERCISE = "exercises/04_matmul"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """The built site on 127.0.0.1, on a free port; yields its base URL."""
    if not (SITE / "index.html").exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"the site is not built ({SITE}/index.html is missing)")
        pytest.skip(f"the site is not built ({SITE}/index.html is missing): run `make book`")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def learner(tmp_path_factory):
    """A learner's folder and a new virtual environment: nothing from this repository on any path."""
    home = tmp_path_factory.mktemp("learner")
    subprocess.run([sys.executable, "-m", "venv", str(home / "env")], check=True, timeout=120)
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "BACKPROP_EXERCISES_DIR")}
    env["PATH"] = f"{home / 'env' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(home / "env")
    return home, env


def run(learner, *command, timeout=600):
    home, env = learner
    result = subprocess.run(command, cwd=home, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def download(url, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=30) as response:
        path.write_bytes(response.read())
    return path


def download_button_target(page):
    """The site's address of the page's .ipynb, from the page's own download button."""
    html = (SITE / f"{page}.html").read_text()
    marker = html.index("btn-download-source-button")
    href = html[html.rindex('href="', 0, marker) + 6:]
    return href[:href.index('"')]


def test_a_learner_with_only_the_site_runs_a_chapter_and_grades_an_exercise(site, learner):
    home, _ = learner
    wheel = next((SITE / "_static" / "wheels").glob("*.whl")).name
    run(learner, "pip", "install", "--quiet", f"backprop_lib[lab] @ {site}/_static/wheels/{wheel}")
    installed = run(learner, "python", "-c", "import backprop_lib, backprop_grader; print(backprop_lib.__file__)")
    assert installed.startswith(str(home / "env")), f"backprop_lib imported from {installed}"

    chapter = download(f"{site}/{CHAPTER.split('/')[0]}/{download_button_target(CHAPTER)}",
                       home / "course" / f"{CHAPTER}.ipynb")
    run(learner, "python", "-c", EXECUTE, str(chapter), timeout=300)
    executed = nbformat.read(chapter, as_version=4)
    code_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert code_cells and all(cell.execution_count for cell in code_cells)
    assert not [o for cell in code_cells for o in cell.outputs if o.output_type == "error"]
    figures = [o for cell in code_cells for o in cell.outputs if "image/png" in o.get("data", {})]
    assert figures, f"{CHAPTER} drew no figure"

    exercise = download(f"{site}/{EXERCISE.split('/')[0]}/{download_button_target(EXERCISE)}",
                        home / "course" / f"{EXERCISE}.ipynb")
    fill_in_reference_solution(exercise, ROOT / "solutions" / exercise.name)
    run(learner, "python", "-c", EXECUTE, str(exercise), timeout=300)  # its visible checks pass
    report = run(learner, "backprop-grade", str(exercise.relative_to(home)), "--json", "results.json")
    results = json.loads((home / "results.json").read_text())
    full_marks = sum(test["max_score"] for test in results["tests"])
    assert full_marks > 0 and results["score"] == full_marks, report
    assert "released notebook was not found" not in report  # the wheel ships the released exercises
    assert "was edited" not in report and "was deleted" not in report


# Run all cells of a notebook in place, as "Run All Cells" would: in the learner's environment's kernel,
# from the notebook's own folder.
EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
NotebookClient(notebook, timeout=240, kernel_name="python3",
               resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}).execute()
nbformat.write(notebook, path)
"""


def fill_in_reference_solution(exercise, solution):
    """Replace each solution cell of the learner's copy by the same cell (same id) of the solution."""
    reference = {cell.id: cell.source for cell in nbformat.read(solution, as_version=4).cells}
    notebook = nbformat.read(exercise, as_version=4)
    filled = 0
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("backprop", {}).get("role") == "solution":
            cell.source = reference[cell.id]
            filled += 1
    assert filled, f"{exercise.name} has no solution cell to fill in"
    nbformat.write(notebook, exercise)
