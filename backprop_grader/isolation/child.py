"""The grader's child: runs a submission's cells as an IPython kernel would, then hands back only arrays.

This file is not imported by the grader. sandbox.run_isolated runs it as `python -I -S child.py` in an
empty directory that holds it, steps.py (exercises/steps.py: the step language's interpreter), plan.json
(the learner's cells, the tests' steps, the allowed packages to link), inputs.npz and lib_*.py(c) (the
exercise's copies of backprop_lib's modules, their answers removed, and their bytecode). What this
process can read is the world of world.py (the standard library, numpy, IPython and what it requires),
enforced by the file system.

The cells run in IPython's own shell (InteractiveShell, the base of a Jupyter kernel's), one
`run_cell` each: the namespace a kernel gives (`__name__ == "__main__"`, `display`, `In`, `Out`,
`_`), IPython's input transformations and magics, top-level `await`. What a sandboxed kernel must
not do does nothing, and is listed for the report: shell commands (`!ls`, `%sx`, aliases), and
IPython's magics whose purpose is the world outside the kernel (OUTSIDE_CLASSES: the operating
system, other interpreters, packages, editors and files of code, logs and history, plot and GUI
back ends; `%run`, `%notebook`, `%gui`). Magics the learner's own code registers run.

Results go to the pipe whose fd is in BACKPROP_RESULT_FD, as frames: 8 bytes of length,
then an .npz archive of plain arrays. One frame for loading, one for the learner's names,
one per test as it finishes, so a submission that hangs in test 7 still gets tests 1-6.
Nothing here decides a score, and nothing this process says about itself is believed: the
parent checks the order of the frames, validates every array and judges the values.
"""
import contextlib
import io
import json
import os
import re
import struct
import sys
import traceback

PLAN = json.load(open("plan.json", encoding="utf-8"))
HERE = os.getcwd()
os.environ["IPYTHONDIR"] = os.path.join(HERE, ".ipython")  # the run's own folder, like HOME and TMPDIR


def install_library():
    """Write the allowed backprop_lib modules into ./_lib and link the allowed packages into ./_pkgsN, first on
    sys.path (made before any import looks there)."""
    package = os.path.join(HERE, "_lib", "backprop_lib")
    os.makedirs(os.path.join(package, "__pycache__"))
    for module in PLAN["library_modules"] + ["__init__"]:
        for source, target in ((f"lib_{module}.py", f"{module}.py"),  # and its bytecode, compiled by the grader
                               (f"lib_{module}.pyc", f"__pycache__/{module}.{sys.implementation.cache_tag}.pyc")):
            with open(source, "rb") as original, open(os.path.join(package, target), "wb") as copy:
                copy.write(original.read())
    for target, link in PLAN["package_links"]:  # numpy, IPython ...: linked, so no folder of installed packages
        os.makedirs(os.path.dirname(link), exist_ok=True)  # is on the import path
        os.symlink(target, link)
    folders = sorted({link.split("/")[0] for _, link in PLAN["package_links"]})
    sys.path[:0] = [os.path.dirname(package)] + [os.path.join(HERE, f) for f in folders]


install_library()

import numpy as np  # noqa: E402
from IPython.core.alias import Alias  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402
from IPython.core.magic import MagicAlias  # noqa: E402
from IPython.utils.text import SList  # noqa: E402


def _import_steps():
    """exercises/steps.py, copied beside this file (python -I puts no script folder on the import path)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("steps", os.path.join(HERE, "steps.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_step = _import_steps().run_step

RESULTS = os.fdopen(int(os.environ.pop("BACKPROP_RESULT_FD")), "wb", buffering=0)
MAX_MESSAGE = 600
OUTSIDE_CLASSES = {"OSMagics", "ScriptMagics", "PackagingMagics", "CodeMagics", "LoggingMagics", "HistoryMagics",
                   "PylabMagics", "KernelMagics"}
OUTSIDE_NAMES = {"run", "notebook", "gui"}  # of the kernel's own classes: a file or a program, a file, a GUI loop
CELL_NAMES = {}  # IPython's execution count -> the cell's name in the report
MAX_NOTES = 20  # errors and refused commands sent (the parent reads no more): a frame stays small


def send(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    RESULTS.write(struct.pack(">Q", len(data)) + data)


def describe(error):
    """`Type: message (in cell 'id', line n: code)`, pointing into the learner's code."""
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        match = re.match(r"<ipython-input-(\d+)-", frame.filename)
        if match and int(match.group(1)) in CELL_NAMES:
            where = (f" (in {CELL_NAMES[int(match.group(1))]}, line {frame.lineno}: "
                     f"{(frame.line or '').strip()[:120]})")
            break
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, NotImplementedError):
        where = ""  # the stub's own `raise` line says nothing more
    return (text[:MAX_MESSAGE] + " ...") if len(text) > MAX_MESSAGE else text + where


class GradingShell(InteractiveShell):
    """IPython's shell as a kernel runs it, minus what a sandbox refuses (see the module's docstring)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.refused = []  # (cell, command) for the report
        self.cell = ""
        manager = self.magics_manager  # IPython's own magics, by the class that implements each (never loaded here)
        self._outside = {(kind, name) for kind, magics in manager.magics.items() for name in magics
                         if self._owner(kind, name) in OUTSIDE_CLASSES or name in OUTSIDE_NAMES}

    def _owner(self, kind, name, depth=0):
        """The name of the IPython class that implements magic `name`, read from IPython's registry
        (a lazy magic's "module:Class", a method's class, an alias's target), without loading it."""
        fn = self.magics_manager.magics[kind].get(name)
        lazy = getattr(self.magics_manager, "lazy_magics", {})  # IPython 9; earlier ones register eagerly
        if type(fn).__name__ == "LazyMagic" or (fn is None and name in lazy):
            return lazy.get(name, "").rpartition(":")[2]
        if isinstance(fn, Alias):
            return "OSMagics"  # %ls, %cp ...: shell commands
        if isinstance(fn, MagicAlias):
            target = vars(fn)
            return self._owner(target["magic_kind"], target["magic_name"], depth + 1) if depth < 5 else ""
        owner = getattr(fn, "__self__", None)
        return type(owner).__name__ if owner is not None else getattr(fn, "__qualname__", "").split(".")[0]

    def refuse(self, command):
        if len(self.refused) < MAX_NOTES:
            self.refused.append((self.cell, command))

    def system(self, cmd):
        self.refuse(f"!{cmd}")

    system_raw = system_piped = system

    def getoutput(self, cmd, split=True, depth=0):
        self.refuse(f"!{cmd}")
        return SList() if split else ""

    def run_line_magic(self, magic_name, line, _stack_depth=1):
        if ("line", magic_name) in self._outside:
            return self.refuse(f"%{magic_name} {line}".strip())
        return super().run_line_magic(magic_name, line, _stack_depth + 1)

    def run_cell_magic(self, magic_name, line, cell):
        if ("cell", magic_name) in self._outside:
            return self.refuse(f"%%{magic_name} {line}".strip())
        return super().run_cell_magic(magic_name, line, cell)

    def showtraceback(self, exc_tuple=None, *args, **kwargs):
        """One line to stderr (the report describes the error itself): IPython's rich tracebacks are slow."""
        kind, value = (exc_tuple or sys.exc_info())[:2]
        if kind is not None:
            sys.stderr.write("".join(traceback.format_exception_only(kind, value))[-MAX_MESSAGE:])

    def showsyntaxerror(self, filename=None, running_compiled_code=False):
        self.showtraceback()


def make_shell():
    from traitlets.config import Config
    config = Config()
    config.HistoryManager.enabled = False  # no history database: nothing to keep between runs
    return GradingShell.instance(config=config)


def load_submission(shell):
    errors = []
    for chunk in PLAN["chunks"]:
        shell.cell = chunk["name"]
        CELL_NAMES[shell.execution_count] = chunk["name"]
        try:
            result = shell.run_cell(chunk["source"], store_history=True)
            error = result.error_before_exec or result.error_in_exec
        except BaseException as raised:  # noqa: BLE001  (the shell itself broken by the cell: go on)
            error = raised
        if error is not None and len(errors) < MAX_NOTES:
            errors.append(f"{chunk['name']}: {describe(error)}")
    return shell.user_module, errors


def name_status(module, name):
    """ok, or missing (a message for the report; it can take no credit away that a test would give)."""
    return "ok" if hasattr(module, name) else f"missing: the submission defines no `{name}`"


def main():
    inputs = dict(np.load("inputs.npz", allow_pickle=False))
    shell = make_shell()
    module, errors = load_submission(shell)
    send({"__load__": np.array(errors or [""]),
          "__refused__": np.array([f"{cell}\t{command}" for cell, command in shell.refused] or [""])})
    send({"__names__": np.array(PLAN["names"]),
          "__status__": np.array([name_status(module, n) for n in PLAN["names"]])})
    for i, test in enumerate(PLAN["tests"]):
        prefix = f"t{i}__"
        env = {k[len(prefix):]: np.copy(v) for k, v in inputs.items() if k.startswith(prefix)}
        out, error = {}, ""
        try:
            for step in test["steps"]:
                run_step(step, module, env, out)
        except BaseException as exc:  # noqa: BLE001
            error = describe(exc)
        send({"__test__": np.array(i), "__error__": np.array(error), **out})
    send({"__done__": np.array(1)})
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):  # the learner's code may have replaced them
            stream.flush()
    os._exit(0)  # no interpreter teardown: IPython's exit handlers and the collection of every module cost a run ~30 ms


if __name__ == "__main__":
    main()
