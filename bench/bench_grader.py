"""How fast is the grader? One submission, and a class of 200 mixed submissions with -j 2.

The class: reference solutions (correct), stubs and buggy .py files (wrong), broken files
(syntax errors, invalid or empty notebooks, not UTF-8, unknown exercise) and submissions that
loop or sleep until the sandbox stops them (slow). With --baseline REV, the grader of that git
revision of this repository (`git archive` of it into a temporary folder: e.g. `main` before a
branch is merged, the grader before the change) grades the same class in the same run,
alternating with this one, and the table gives the ratios; both also grade one notebook of
50,000 empty cells (the parent's own CPU time and peak memory, single mode). If nbgrader is
installed (NBGRADER=/path/to/venv/bin/nbgrader, or on PATH; a venv of its own:
`python -m venv /tmp/nbg && /tmp/nbg/bin/pip install nbgrader numpy`: its kernel runs the MatMul
notebooks), the same MatMul exercise is
autograded by nbgrader too, side by side, and the table gives the ratio.

Targets: a correct submission's median in the batch at most 0.2 s, the class of 200
with -j 2 at most 45 s, on a quiet 2-core machine. The CPU time of all the batch's processes is
reported beside the wall time: on a shared machine it varies far less.

    .venv/bin/python bench/bench_grader.py [--n 200] [--jobs 2] [--baseline main]
"""
import argparse
import csv
import ctypes
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_atomic, write_json  # noqa: E402

from backprop_grader.batch import grade_batch  # noqa: E402
from backprop_grader.grader import grade  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WRONG_PY = {
    "04_matmul.py": "class MatMul:\n    def __init__(self, W):\n        self.W = W\n"
                    "    def forward(self, x):\n        self.x = x\n        return x @ self.W\n"
                    "    def backward(self, dout):\n        self.dW = dout.T @ self.x\n        return dout @ self.W.T\n",
    "01_graph_forward.py": "def shopping_forward(a, an, o, on, tax):\n    return a * an, o * on, a * an + o * on, a * an + o * on\n",
    "05_activations.py": "import numpy as np\nclass Relu:\n    def forward(self, x):\n        self.mask = x <= 0\n"
                         "        return np.maximum(x, 0)\n    def backward(self, dout):\n        dout[self.mask] = 0\n"
                         "        return dout\n",
}
BROKEN = {
    "04_syntax.py": b"class MatMul(:\n",
    "04_invalid.ipynb": b'{"cells": [',
    "04_empty.ipynb": b"",
    "04_latin1.ipynb": "{\"cells\": \"caf\xe9\"}".encode("latin-1"),
    "homework.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}).encode(),
}
SLOW = {
    "01_busy.py": "while True:\n    pass\n",  # stopped by the CPU limit
    "01_sleepy.py": "import time\ntime.sleep(1000)\n",  # stopped by the wall-clock limit
}


def make_class(directory, n):
    """n submissions: 40% correct, 30% wrong, 25% broken, 5% slow, named so each is unique."""
    solutions, stubs = sorted((ROOT / "solutions").glob("*.ipynb")), sorted((ROOT / "exercises").glob("*.ipynb"))
    kinds = {"correct": int(0.4 * n), "wrong": int(0.3 * n), "slow": max(2, int(0.05 * n))}
    kinds["broken"] = n - sum(kinds.values())
    made = {}
    for i in range(kinds["correct"]):
        source = solutions[i % len(solutions)]
        shutil.copy(source, directory / f"{source.stem}__correct{i}.ipynb")
    for i in range(kinds["wrong"]):
        if i % 2:
            source = stubs[i % len(stubs)]
            shutil.copy(source, directory / f"{source.stem}__stub{i}.ipynb")
        else:
            name, code = list(WRONG_PY.items())[i // 2 % len(WRONG_PY)]
            (directory / name.replace(".py", f"__wrong{i}.py")).write_text(code)
    for i in range(kinds["broken"]):
        name, data = list(BROKEN.items())[i % len(BROKEN)]
        stem, suffix = name.rsplit(".", 1)
        (directory / f"{stem}__broken{i}.{suffix}").write_bytes(data)
    for i in range(kinds["slow"]):
        name, code = list(SLOW.items())[i % len(SLOW)]
        (directory / name.replace(".py", f"__slow{i}.py")).write_text(code)
    for path in directory.iterdir():
        made[path.name] = next(k for k in ("correct", "stub", "wrong", "broken", "slow") if f"__{k}" in path.name)
    return kinds, made


def time_single(repeat, tree=ROOT):
    """The CLI on one solution notebook: interpreter start, imports, sandbox, judging."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "backprop_grader.cli", str(ROOT / "solutions" / "04_matmul.ipynb")],
                       check=True, capture_output=True, env=_env(tree), cwd=tree)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _env(tree):
    """Run the grader of `tree` (this checkout, or a baseline's files; run there too: '' leads sys.path)."""
    return {**os.environ, "PYTHONPATH": str(tree), "BACKPROP_EXERCISES_DIR": str(Path(tree) / "exercises")}


def baseline_tree(rev, folder) -> Path:
    """The grader, the library and the released notebooks of git revision `rev`, as files in `folder`."""
    tree = Path(folder) / "baseline"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "backprop_grader", "backprop_lib", "exercises"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


BATCH = """import csv, json, sys, time
from backprop_grader.batch import grade_batch
start = time.perf_counter()
grade_batch(sys.argv[1], sys.argv[2], jobs=int(sys.argv[3]), progress=None)
print(json.dumps(time.perf_counter() - start))
"""


def time_batch(tree, inbox, csv_path, jobs):
    """(wall seconds, CSV rows, CPU seconds) of the grader of `tree` on the class in `inbox`, in a process of its
    own. The CPU time is every process's of the batch (workers and sandboxed children, each reaped by its parent):
    on a shared machine it varies far less than the wall time."""
    Path(csv_path).unlink(missing_ok=True)
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: what the batch orphans is reaped here, counted
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", BATCH, str(inbox), str(csv_path), str(jobs)], env=_env(tree),
                          cwd=tree, check=True, capture_output=True, text=True)
    _reap_orphans(time.monotonic() + 30)  # fork servers outlive their worker by a few milliseconds
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return json.loads(done.stdout.splitlines()[-1]), list(csv.DictReader(open(csv_path))), cpu


def _reap_orphans(deadline):
    """Wait for every process the batch left (each then counts in RUSAGE_CHILDREN), until `deadline`."""
    while time.monotonic() < deadline:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                time.sleep(0.01)
        except ChildProcessError:
            return
    raise RuntimeError("the batch left processes running for 30 s after it ended")


PARENT_CPU = """import json, resource, sys
from backprop_grader.grader import grade
before = resource.getrusage(resource.RUSAGE_SELF)
report = grade(sys.argv[1])
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps([after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, report.score,
                  after.ru_maxrss / 1024, report.status]))
"""


def empty_cells_notebook(folder, cells=50_000) -> Path:
    """The MatMul solution followed by `cells` empty code cells, under the 5 MB limit."""
    notebook = json.loads((ROOT / "solutions" / "04_matmul.ipynb").read_text())
    notebook["nbformat_minor"] = 4
    for cell in notebook["cells"]:
        cell.pop("id", None)
    notebook["cells"] += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": ""}
                          for _ in range(cells)]
    path = Path(folder) / "04_empty_cells.ipynb"
    path.write_text(json.dumps(notebook, separators=(",", ":")))
    return path


def parent_cpu(tree, path):
    """[the grading process's own CPU seconds, score, its peak resident memory in MiB (imports included),
    status] for one submission, single mode (jsonschema)."""
    env = {**_env(tree), "NBFORMAT_VALIDATOR": "jsonschema"}  # what backprop-grade SUBMISSION sets
    done = subprocess.run([sys.executable, "-c", PARENT_CPU, str(path)], env=env, cwd=tree, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def by_kind(rows, kinds):
    found = {}
    for row in rows:
        found.setdefault(kinds[Path(row["submission"]).name], []).append(float(row["seconds"] or 0))
    return {k: {"median": statistics.median(v), "max": max(v), "n": len(v)} for k, v in found.items()}


MATMUL_SOLUTION = WRONG_PY["04_matmul.py"].replace("dout.T @ self.x", "self.x.T @ dout")
MATMUL_HIDDEN_TESTS = """### BEGIN HIDDEN TESTS
rng = np.random.default_rng(12345)
x, W, dout = rng.standard_normal((6, 4)), rng.standard_normal((4, 3)), rng.standard_normal((6, 3))
layer = MatMul(W)
assert np.allclose(layer.forward(x), x @ W, rtol=1e-7)
assert np.allclose(layer.backward(dout), dout @ W.T, rtol=1e-7)
assert np.allclose(layer.dW, x.T @ dout, rtol=1e-7)
### END HIDDEN TESTS"""


def make_course(course, n):
    """An nbgrader course with the MatMul exercise as an nbgrader notebook and n submissions."""
    import nbformat

    def cell(source, grade_id, **flags):
        meta = {"grade": False, "solution": False, "locked": True, "grade_id": grade_id, "schema_version": 3}
        meta.update(flags)
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})
    solution = "### BEGIN SOLUTION\n" + MATMUL_SOLUTION + "### END SOLUTION\n"
    notebook = nbformat.v4.new_notebook(cells=[
        cell("import numpy as np", "setup"),
        cell(solution, "matmul", solution=True, locked=False),
        cell(MATMUL_HIDDEN_TESTS, "test_matmul", grade=True, points=3)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (course / "source" / "ps1").mkdir(parents=True)
    nbformat.write(notebook, course / "source" / "ps1" / "04_matmul.ipynb")
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
                                               "c.CourseDirectory.root = %r\n" % str(course))
    notebook.cells[1].source = MATMUL_SOLUTION  # what a learner submits: the solution, no hidden tests
    notebook.cells[2].source = "# hidden tests are inserted back by autograde"
    for i in range(n):
        (course / "submitted" / f"student{i}" / "ps1").mkdir(parents=True)
        nbformat.write(notebook, course / "submitted" / f"student{i}" / "ps1" / "04_matmul.ipynb")
    notebook.cells[1].source = TAMPERING  # one more learner: wrong code that disables the asserts
    (course / "submitted" / "tamperer" / "ps1").mkdir(parents=True)
    nbformat.write(notebook, course / "submitted" / "tamperer" / "ps1" / "04_matmul.ipynb")
    return course


# A wrong MatMul that makes every np.allclose true: the hidden tests run in the learner's kernel.
TAMPERING = ("import numpy as np\nnp.allclose = lambda *args, **kwargs: True\n"
             "class MatMul:\n    def __init__(self, W):\n        self.W, self.dW = W, 0.0\n"
             "    def forward(self, x):\n        return x\n    def backward(self, dout):\n        return dout\n")


def write_tamperer(directory):
    path = directory / "04_matmul_tamperer.py"
    path.write_text(TAMPERING)
    return path


def nbgrader_compare(nbgrader, n, workdir):
    """nbgrader autograde of n MatMul submissions (an equivalent nbgrader notebook), seconds per submission."""
    course = make_course(Path(workdir) / "course", n)
    env = {**os.environ, "PATH": f"{Path(nbgrader).parent}:{os.environ['PATH']}"}
    subprocess.run([nbgrader, "generate_assignment", "ps1", "--force"], cwd=course, env=env, check=True,
                   capture_output=True)
    start = time.perf_counter()
    done = subprocess.run([nbgrader, "autograde", "ps1", "--force", "--create"], cwd=course, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    subprocess.run([nbgrader, "export"], cwd=course, env=env, capture_output=True)
    rows = list(csv.DictReader(open(course / "grades.csv"))) if (course / "grades.csv").exists() else []
    graded = sum(1 for r in rows if float(r["score"]) == float(r["max_score"]) > 0 and r["student_id"] != "tamperer")
    tamperer = next((r for r in rows if r["student_id"] == "tamperer"), {})
    if graded < n:  # a comparison with a grader that failed is no comparison
        raise SystemExit(f"nbgrader graded {graded} of {n} correct MatMul submissions at full marks; expected all. "
                         f"Does its kernel have numpy? autograde said: {done.stderr[-800:]}")
    ours = grade(write_tamperer(Path(workdir)))
    return {"submissions": n, "autograded": graded,
            "tamperer_score": f"{tamperer.get('score')} / {tamperer.get('max_score')}",
            "tamperer_score_ours": f"{ours.score:g} / {ours.max_score:g}", "seconds": seconds, "per_submission": seconds / (n + 1),  # + the tamperer
            "returncode": done.returncode, "stderr_tail": done.stderr[-500:] if done.returncode else ""}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--nbgrader-n", type=int, default=10)
    parser.add_argument("--baseline", metavar="REV", help="a git revision whose grader grades the same class too")
    args = parser.parse_args()
    result = {"machine": machine(), "n": args.n, "jobs": args.jobs}
    with tempfile.TemporaryDirectory() as tmp:
        baseline = baseline_tree(args.baseline, tmp) if args.baseline else None
        result["single_cli_runs"] = 7  # a median of several: one CLI run is noisy on a shared machine
        result["single_cli_seconds"] = time_single(result["single_cli_runs"])
        inbox = Path(tmp) / "class"
        inbox.mkdir()
        result["mix"], kinds = make_class(inbox, args.n)
        csv_path = Path(tmp) / "grades.csv"
        if baseline is None:
            result["batch_seconds"], rows, result["batch_cpu_seconds"] = time_batch(ROOT, inbox, csv_path, args.jobs)
        else:  # alternating, so that the load of a shared machine hits both alike: ours, theirs, theirs, ours
            runs = {"ours": [], "baseline": []}
            for side in ("ours", "baseline", "baseline", "ours"):
                runs[side].append(time_batch(ROOT if side == "ours" else baseline, inbox, csv_path, args.jobs))
            result["batch_seconds"] = statistics.mean(t for t, _, _ in runs["ours"])
            result["batch_cpu_seconds"] = statistics.mean(c for _, _, c in runs["ours"])
            rows = runs["ours"][-1][1]
            old_rows = runs["baseline"][-1][1]
            result["baseline"] = {
                "rev": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.baseline], check=True,
                                      capture_output=True, text=True).stdout.strip(),
                "batch_seconds": statistics.mean(t for t, _, _ in runs["baseline"]),
                "batch_cpu_seconds": statistics.mean(c for _, _, c in runs["baseline"]),
                "batch_runs": {side: [round(t, 2) for t, _, _ in r] for side, r in runs.items()},
                "single_cli_seconds": time_single(result["single_cli_runs"], baseline),
                "seconds_per_submission_by_kind": by_kind(old_rows, kinds),
                "correct_at_100_percent": sum(1 for r in old_rows if kinds[r["submission"]] == "correct"
                                              and float(r["percent"]) == 100)}
            big = empty_cells_notebook(tmp)
            small = ROOT / "solutions" / "04_matmul.ipynb"  # the same process on a plain notebook: what imports cost
            result["empty_cells"] = {"cells": 50_000, "bytes": big.stat().st_size,
                                     "ours": parent_cpu(ROOT, big), "baseline": parent_cpu(baseline, big),
                                     "ours_plain": parent_cpu(ROOT, small), "baseline_plain": parent_cpu(baseline, small)}
        result["rows"] = len(rows)
        result["statuses"] = dict(statistics_of(rows))
        result["seconds_per_submission_by_kind"] = by_kind(rows, kinds)
        result["correct_at_100_percent"] = sum(1 for r in rows if kinds[r["submission"]] == "correct"
                                               and float(r["percent"]) == 100)
        nbgrader = os.environ.get("NBGRADER") or shutil.which("nbgrader")
        if nbgrader:
            ours = [float(r["seconds"]) for r in rows if r["submission"].startswith("04_matmul__correct")]
            result["nbgrader"] = nbgrader_compare(nbgrader, args.nbgrader_n, tmp)
            result["nbgrader"]["ours_per_submission_04_matmul"] = statistics.median(ours)
        else:
            result["nbgrader"] = {"skipped": "nbgrader not found (set NBGRADER=/path/to/bin/nbgrader)"}
    write_json(RESULTS / "grader.json", result)
    write_atomic(RESULTS / "grader.md", markdown(result))
    print(markdown(result))


def statistics_of(rows):
    counts = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return sorted(counts.items())


def markdown(r):
    runs = r.get("single_cli_runs", 3)
    lines = ["# Grader speed", "", f"Machine: {r['machine']['cpu']}, {r['machine']['cores']} cores, load average "
             f"at start {r['machine']['load_average_at_start'][0]:.1f} (shared machine).", "",
             "| measure | value | target |", "|---|---|---|",
             f"| one submission, `backprop-grade solutions/04_matmul.ipynb` (CLI, median of {runs}) | "
             f"{r['single_cli_seconds']:.2f} s | <= 2 s |",
             f"| class of {r['n']} mixed submissions, -j {r['jobs']} (wall) | {r['batch_seconds']:.1f} s | <= 45 s |",
             f"| the same class: CPU time of all its processes | {r['batch_cpu_seconds']:.1f} s | |",
             f"| a correct submission's median in the batch | "
             f"{r['seconds_per_submission_by_kind']['correct']['median']:.2f} s | <= 0.2 s |",
             f"| rows written | {r['rows']} of {r['n']} | all |",
             f"| correct submissions at 100% | {r['correct_at_100_percent']} of {r['mix']['correct']} | all |", "",
             "Seconds per submission inside the batch (grading only, worker already started):", "",
             "| kind | n | median | max |", "|---|---|---|---|"]
    for kind, s in sorted(r["seconds_per_submission_by_kind"].items()):
        lines.append(f"| {kind} | {s['n']} | {s['median']:.2f} | {s['max']:.2f} |")
    if "baseline" in r:
        b, e = r["baseline"], r["empty_cells"]
        lines += ["", f"## Side by side with the grader of `{b['rev']}`", "",
                  "The same class, graded alternately by this grader and that one (ours, theirs, theirs, ours); "
                  "means of the two runs each. Ratio: ours / theirs.", "",
                  "| measure | ours | theirs | ratio |", "|---|---|---|---|",
                  f"| class of {r['n']}, -j {r['jobs']} (s) | {r['batch_seconds']:.1f} | {b['batch_seconds']:.1f} | "
                  f"{r['batch_seconds'] / b['batch_seconds']:.2f} |",
                  f"| class of {r['n']}: CPU time of all its processes (s) | {r['batch_cpu_seconds']:.1f} | "
                  f"{b['batch_cpu_seconds']:.1f} | {r['batch_cpu_seconds'] / b['batch_cpu_seconds']:.2f} |",
                  f"| one submission, CLI (s, median of {runs}) | {r['single_cli_seconds']:.2f} | "
                  f"{b['single_cli_seconds']:.2f} | {r['single_cli_seconds'] / b['single_cli_seconds']:.2f} |"]
        theirs = b["seconds_per_submission_by_kind"]
        for kind, s in sorted(r["seconds_per_submission_by_kind"].items()):
            if kind in theirs:
                lines.append(f"| {kind}: median seconds in the batch | {s['median']:.2f} | {theirs[kind]['median']:.2f} "
                             f"| {s['median'] / theirs[kind]['median']:.2f} |" if theirs[kind]["median"] else
                             f"| {kind}: median seconds in the batch | {s['median']:.2f} | 0.00 | – |")
        lines.append(f"| a notebook of {e['cells']:,} empty cells ({e['bytes'] / 2**20:.1f} MB): the grader's own CPU, "
                     f"single mode (s) | {e['ours'][0]:.1f} | {e['baseline'][0]:.1f} | {e['ours'][0] / e['baseline'][0]:.2f} |")
        lines.append(f"| the same: the grading process's peak memory (MiB; on `04_matmul.ipynb`: ours "
                     f"{e['ours_plain'][2]:.0f}, theirs {e['baseline_plain'][2]:.0f}) | {e['ours'][2]:.0f} | "
                     f"{e['baseline'][2]:.0f} | {e['ours'][2] / e['baseline'][2]:.2f} |")
        lines.append(f"| the same: its score | {e['ours'][1]:g} ({e['ours'][3]}) | {e['baseline'][1]:g} "
                     f"({e['baseline'][3]}) | |")
        lines += ["", f"Batch runs (s): {b['batch_runs']}. Correct submissions at 100%: ours "
                  f"{r['correct_at_100_percent']}, theirs {b['correct_at_100_percent']}."]
    nb = r["nbgrader"]
    lines += ["", "## nbgrader, side by side", ""]
    if "skipped" in nb:
        lines.append(f"Not compared: {nb['skipped']}.")
    else:
        ratio = nb["per_submission"] / nb["ours_per_submission_04_matmul"]
        lines += [f"`nbgrader autograde` of {nb['submissions']} MatMul submissions and the tamperer below (an equivalent notebook: the "
                  f"same solution, hidden asserts on forward, dx, dW): {nb['seconds']:.1f} s, "
                  f"{nb['per_submission']:.2f} s per submission ({nb['autograded']} of them at full marks, exit "
                  f"{nb['returncode']}); ours: {nb['ours_per_submission_04_matmul']:.2f} s per 04_matmul "
                  f"submission in the batch. Ratio nbgrader / ours: {ratio:.1f}.",
                  "", "nbgrader runs one notebook at a time in a fresh kernel, with no sandbox and no "
                  "per-test time limit; ours runs each submission in a sandboxed child (in a batch, a fork of "
                  "the fork server).", "",
                  f"Tamper resistance: a wrong MatMul whose cell also sets `np.allclose = lambda *a, **k: True` "
                  f"scores {nb['tamperer_score']} under nbgrader (its hidden asserts run in the learner's kernel) "
                  f"and {nb['tamperer_score_ours']} here (the comparison runs in the grader's process)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
