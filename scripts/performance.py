"""Write book/performance.md from the benchmark results in bench/results/.

    python scripts/performance.py            # run by `make book` before the build

Each benchmark in bench/ writes NAME.json (every measured value, and the machine it ran
on) and NAME.md (its report: the key numbers next to their peer and target). The page
shows the report, then a table of every value of the JSON. A missing result gives a
sentence saying the benchmark has not been run yet, never a failed build.
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PAGE = ROOT / "book" / "performance.md"

# name -> (section title, what it measures)
BENCHMARKS = {
    "train": ("Training",
              "The notes' experiment, TwoLayerNet(784, 50, 10) trained by minibatch SGD "
              "(batch 100, learning rate 0.1), run by `backprop_lib` and by PyTorch side by side."),
    "gradcheck": ("Gradient check",
                  "Backpropagation against numerical differentiation on the same network: "
                  "how close the gradients are, and how much faster backpropagation is."),
    "grader": ("The autograder",
               "How long grading takes: one submission from the command line, and a whole "
               "class of correct, wrong, slow and broken submissions in one batch."),
}


def fmt(value):
    """A table cell: numbers with a sensible precision, everything else as text."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return ", ".join(fmt(v) for v in value) if isinstance(value, list) else json.dumps(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header, rows):
    """A Markdown table from a header and rows of cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def scalars(data, prefix=""):
    """(name, value) for every value of nested dicts that is not itself a record table."""
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not is_records(value):
            yield from scalars(value, prefix=f"{name}: ")
        elif not is_records(value):
            yield name, value


def is_records(value):
    """A dict of dicts or a list of dicts: shown as a table of its own."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return bool(items) and all(isinstance(item, dict) for item in items)


def records_table(value):
    rows = [{"name": key, **item} for key, item in value.items()] if isinstance(value, dict) else value
    columns = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    return table(columns, [[row.get(column, "") for column in columns] for row in rows])


def machine_sentence(machine):
    parts = [f"{machine.get('cpu') or 'an unknown CPU'}, {machine.get('cores', '?')} cores",
             f"Python {machine.get('python', '?')}", f"NumPy {machine.get('numpy', '?')}"]
    if "torch" in machine:
        parts.append(f"PyTorch {machine['torch']}")
    load = machine.get("load_average_at_start")
    busy = f"; load average {load[0]:.1f} at the start (a shared machine)" if load else ""
    date = str(machine.get("date", "an unknown date")).replace("T", " ").replace("+00:00", " UTC")
    return f"Measured on {', '.join(parts)}, on {date}{busy}."


def report(name):
    """The benchmark's own Markdown report, its headings moved under this page's section."""
    path = RESULTS / f"{name}.md"
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]  # its title: the section has one already
    out = []
    for line in lines:
        heading = re.match(r"(#+)\s", line)
        if heading:  # one level down: "## x" becomes "### x"
            line = "#" + line
        # a relative image or link in the report points into bench/results/
        line = re.sub(r"\]\((?!https?:|#|/)([^)]+)\)", r"](../bench/results/\1)", line)
        out.append(line)
    return out + [""]


def section(name, title, about):
    """The Markdown of one benchmark's section."""
    out = [f"## {title}", "", about, ""]
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return out + [f"This benchmark has not been run yet (`bench/results/{name}.json` is missing): "
                      f"`make bench` runs it.", ""]
    try:
        data = json.loads(path.read_text())
    except ValueError as error:
        return out + [f"`bench/results/{name}.json` could not be read ({error}): `make bench` writes it "
                      "again.", ""]
    details = report(name)
    if isinstance(data.get("machine"), dict) and not any(l.startswith("Machine") for l in details):
        out += [machine_sentence(data["machine"]), ""]
    out += details
    values = {key: value for key, value in data.items() if key not in ("machine", "benchmark")}
    out += [f":::{{dropdown}} Every value of `bench/results/{name}.json`", ""]
    out += table(["measure", "value"], list(scalars(values)))
    for key, value in values.items():
        if is_records(value):
            out += [f"**{key}**", ""] + records_table(value)
    out += [":::", ""]
    return out


def main():
    lines = ["# Performance", "",
             "<!-- Generated by scripts/performance.py from bench/results/: do not edit. -->", "",
             "Measured by the benchmarks in `bench/` (`make bench`), each time next to a peer run "
             "on the same machine in the same run: absolute times depend on the machine, ratios much "
             "less.", ""]
    for name, (title, about) in BENCHMARKS.items():
        lines += section(name, title, about)
    text = "\n".join(lines).rstrip() + "\n"
    if not PAGE.exists() or PAGE.read_text() != text:  # leave the file alone when nothing changed
        PAGE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
