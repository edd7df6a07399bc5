"""The files of one exercise's run: the child's program, the step language, and the exercise's copy of
backprop_lib with every answer removed (what the exercise asks the learner to write raises instead)."""
from __future__ import annotations

import ast
import functools
import tempfile
from pathlib import Path

import backprop_lib
from backprop_grader.exercises import EXERCISES

HERE = Path(__file__).resolve().parent  # backprop_grader/isolation/
PACKAGE_DIR = Path(backprop_lib.__file__).resolve().parent  # backprop_lib/


@functools.lru_cache(maxsize=None)
def library_files(exercise_id) -> dict:
    """The child's program and the exercise's allowed library modules, with every answer removed: what the
    exercise asks the learner to write (its names, and its `disabled` methods) raises instead."""
    exercise = EXERCISES[exercise_id]
    modules = library_closure(exercise.library_modules)
    files = {"child.py": (HERE / "child.py").read_bytes(),
             "steps.py": (HERE.parent / "exercises" / "steps.py").read_bytes(),
             "lib___init__.py": library_init(modules).encode()}
    for module in modules:
        source = (PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8")
        disabled = [f.__qualname__ for f in exercise.disabled if f.__module__ == f"backprop_lib.{module}"]
        files[f"lib_{module}.py"] = without_answers(source, disabled, exercise.names).encode()
    for name, source in list(files.items()):
        if name.startswith("lib_"):
            files[name + "c"] = bytecode(name, source)
    return files


def bytecode(name, source) -> bytes:
    """The module compiled, as a .pyc that Python uses without checking its source (unchecked hash):
    the child writes its library afresh every run, and compiling it there cost a run ~40 ms."""
    import py_compile
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, name)
        path.write_bytes(source)
        compiled = py_compile.compile(str(path), cfile=str(path) + "c", doraise=True,
                                      invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        return Path(compiled).read_bytes()


def library_closure(modules) -> list:
    """The short names of `modules` and of every backprop_lib module they import, found in their source."""
    return list(_closure(tuple(m.__name__.rsplit(".", 1)[-1] for m in modules)))


@functools.lru_cache(maxsize=None)
def _closure(names) -> tuple:
    todo, found = list(names), set()
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        tree = ast.parse((PACKAGE_DIR / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                todo += [node.module] if node.module else [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backprop_lib."):
                todo.append(node.module.split(".")[1])
    return tuple(sorted(found))


def without_answers(source, disabled, names) -> str:
    """The module's source with the body of every answer replaced by a `raise`: each function in
    `disabled` ("Class.method" or "function"), each function named in `names`, and every method of
    each class named in `names`. The child gets no copy of an answer that it could call, inspect or
    exec (the code is unparsed, so comments are dropped)."""
    tree = ast.parse(source)
    answers = set(disabled)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            answers.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name in names:
            answers |= {f"{node.name}.{item.name}" for item in node.body if isinstance(item, ast.FunctionDef)}
    if not answers:
        return source
    for node in tree.body:
        functions = [(node.name, node)] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else (
            [(f"{node.name}.{item.name}", item) for item in node.body if isinstance(item, ast.FunctionDef)]
            if isinstance(node, ast.ClassDef) else [])
        for name, function in functions:
            if name in answers:
                message = f"{name} is not available while grading: this exercise asks you to write it"
                function.body = [ast.Raise(ast.Call(ast.Name("RuntimeError", ast.Load()), [ast.Constant(message)], []))]
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def library_init(modules) -> str:
    """backprop_lib/__init__.py for the child: the real package's exports, from the allowed modules only."""
    tree = ast.parse((PACKAGE_DIR / "__init__.py").read_text(encoding="utf-8"))
    lines = ['"""backprop_lib as the grader\'s child sees it: only the modules this exercise allows."""']
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module in modules:
            lines.append(ast.unparse(node))
    return "\n".join(lines) + "\n"
