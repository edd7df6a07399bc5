"""The grader's layout: no import cycle, the stages never reach back into the drivers that run them, and
the child's files import nothing of the grader (the library's side: tests/test_library_boundary.py)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRADER = ROOT / "backprop_grader"
DRIVERS = {"backprop_grader.grader", "backprop_grader.batch", "backprop_grader.cli", "backprop_grader.platforms",
           "backprop_grader.release"}
STAGES = ("notebook", "exercises", "isolation", "judging", "reports")
# run in the sandbox alone: copied into it, or passed as source (the fork server and the confinement it applies)
IN_THE_CHILD = ("isolation/child.py", "exercises/steps.py", "isolation/zygote.py", "isolation/confine.py")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path) -> dict:
    return {module_name(p): p for p in sorted(package.rglob("*.py"))}


def imports(path: Path, known) -> set:
    """The modules of `known` that the file imports anywhere (a function's lazy import counts too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: expected absolute imports, found a relative one at line {node.lineno}")
    return {name for name in found if name in known}


def graph(package: Path) -> dict:
    known = modules(package)
    return {name: imports(path, known) - {name} for name, path in known.items()}


def cycles(edges: dict) -> list:
    """Every import cycle, each as the list of modules around it (depth-first search)."""
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack + [target])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_grader_has_no_import_cycle():
    edges = graph(GRADER)
    assert len(edges) > 30, sorted(edges)  # the walk found the package
    assert cycles(edges) == []


def test_every_stage_is_a_folder_and_none_imports_the_drivers():
    edges = graph(GRADER)
    for stage in STAGES:
        assert (GRADER / stage / "__init__.py").is_file(), stage
        for module, targets in edges.items():
            if module.startswith(f"backprop_grader.{stage}."):
                assert not targets & DRIVERS, f"{module} imports {sorted(targets & DRIVERS)}: a stage never " \
                                              "imports what runs the pipeline"


def test_the_childs_files_import_nothing_of_the_grader():
    known = modules(GRADER)
    for name in IN_THE_CHILD:
        assert imports(GRADER / name, known) == set(), name
