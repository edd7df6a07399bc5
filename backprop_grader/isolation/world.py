"""The child's world: what a submission's process can read, the same in every isolation mode.

A submission runs in an IPython shell (child.py) and may use what its exercise allows: the standard
library, numpy, and the exercise's own copies of backprop_lib's modules (with every answer removed,
grader.library_files, written into the run's directory). So the child reads:

* the system's programs and shared libraries (`/usr`, `/lib` ...) and the Python installation;
* the files of the allowed distributions: numpy, and IPython with what it requires (the shell that
  runs the learner's cells: traitlets, pygments, jedi ...), found in their installed metadata;

and nothing else installed: every directory of Python packages (each `site-packages` and
`dist-packages`, wherever Python or Debian keep them) is cut out of those trees, and so are
backprop_lib and the grader, wherever they are installed. `sys.path.append` reaches nothing more,
because the files are not there to open: sandbox.py binds only these paths into bubblewrap's file
system, and without bubblewrap Landlock grants reading only below them. A directory that holds
allowed packages stays listable (imports look up names there), never readable beyond them.
"""
from __future__ import annotations

import csv
import functools
import glob
import importlib.metadata
import os
import re
import site
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

ALLOWED_DISTRIBUTIONS = ("numpy", "ipython")  # the exercise's numpy; the shell that runs the cells
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")


@dataclass(frozen=True)
class World:
    roots: tuple  # trees (or files) readable whole, except what lies below a hole
    holes: tuple  # directories inside the roots that the child cannot read
    packages: tuple  # the files and folders of the allowed distributions (readable, even inside a hole)
    package_dirs: tuple  # the folders that hold them: listable, and the child's import path

    def import_links(self) -> list:
        """[(package path, link name)]: the child links each allowed package into an import folder of its
        own ("_pkgsN/numpy" for the Nth package folder), so its import path names no folder of installed
        packages (`import torch` finds no module, in every mode)."""
        return [(p, f"_pkgs{self.package_dirs.index(d)}/{os.path.relpath(p, d)}")
                for p in self.packages for d in [next(d for d in self.package_dirs if _under(p, d + "/"))]]

    def hidden(self, path) -> bool:
        """Whether the child cannot read `path` (for tests and reports)."""
        path = os.path.realpath(path)
        if any(_under(path, p) for p in self.packages):
            return False
        return any(_under(path, h) for h in self.holes) or not any(_under(path, r) for r in self.roots)


@functools.lru_cache(maxsize=1)
def world() -> World:
    """The world of every run on this machine (computed once per process)."""
    roots = [d for d in SYSTEM if os.path.isdir(d) and not os.path.islink(d)] + _interpreter_trees()
    roots = _outermost(roots)
    packages = _outermost(sorted({entry for name in allowed_distributions() for entry in _entries(name)}))
    holes = sorted({h for h in _package_dirs(roots) + _course_dirs() if any(_under(h, r) for r in roots)})
    folders = {os.path.dirname(p) for p in packages if os.path.isdir(p) or p.endswith(".py")}
    return World(tuple(roots), tuple(_outermost(holes)), tuple(packages), tuple(sorted(folders)))


def allowed_distributions() -> list:
    """ALLOWED_DISTRIBUTIONS and, transitively, what they require (extras left out), as installed here."""
    found, todo = {}, list(ALLOWED_DISTRIBUTIONS)
    while todo:
        name = _canonical(todo.pop())
        if name in found:
            continue
        try:
            found[name] = distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # a requirement for another platform or Python (colorama, exceptiongroup)
        for requirement in distribution.requires or []:
            if "extra ==" not in requirement.replace('"', "'").replace("extra=='", "extra == '"):
                todo.append(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
    return sorted(found)


def _canonical(name) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _entries(name) -> list:
    """The top-level files and folders of an installed distribution (the files it lists, else top_level.txt)."""
    distribution = importlib.metadata.distribution(name)
    base = Path(distribution.locate_file("")).resolve()
    # the paths RECORD lists (its CSV's first column), read as text: as thousands of PackagePath objects they took
    # a single grading 0.1 s; a distribution without RECORD (an egg-info) lists them as importlib.metadata reads them
    record = distribution.read_text("RECORD")
    paths = ([row[0] for row in csv.reader(record.splitlines()) if row] if record is not None
             else [file.as_posix() for file in distribution.files or []])
    tops = set()
    for path in paths:
        parts = path.split("/")
        if parts[0] in ("", ".."):
            continue  # scripts and data installed beside the packages (bin/ipython, share/man)
        tops.add(tuple(parts[:2]) if parts[0] == "__pycache__" else (parts[0],))  # a module's .pyc, not the folder
    entries = {base.joinpath(*top) for top in tops}
    for module in (distribution.read_text("top_level.txt") or "").split() if not entries else []:
        entries |= {p for p in (base / module, base / f"{module}.py") if p.exists()}
    return [str(p) for p in entries if p.exists()]


def _interpreter_trees() -> list:
    """The Python installation (outside /usr: pyenv, a build in /opt), and of a venv only what starts it."""
    trees = {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix) if os.path.isdir(p)}
    if os.path.realpath(sys.prefix) not in trees:  # a venv: its interpreter links and pyvenv.cfg, not its packages
        venv = os.path.realpath(sys.prefix)
        trees |= {p for p in (os.path.join(venv, "pyvenv.cfg"), os.path.join(venv, "bin")) if os.path.exists(p)}
        trees.add(os.path.dirname(os.path.realpath(sys.executable)))  # the interpreter of a venv made with --copies
    return sorted(t for t in trees if not any(_under(t, s) for s in SYSTEM))


def _package_dirs(roots) -> list:
    """Every folder of installed Python packages in or near `roots`: Python's and Debian's layouts."""
    dirs = {sysconfig.get_path(k) for k in ("purelib", "platlib")} | set(site.getsitepackages())
    for root in roots + [os.path.realpath(sys.prefix)]:
        for pattern in ("lib*/python*/*-packages", "local/lib*/python*/*-packages", "lib*/*-packages"):
            dirs |= set(glob.glob(os.path.join(root, pattern)))
    return [os.path.realpath(d) for d in dirs if d and os.path.isdir(d)]


def _course_dirs() -> list:
    """backprop_lib and the grader, wherever they are installed: the reference is the answer."""
    import backprop_lib
    return [str(Path(backprop_lib.__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]


def _outermost(paths) -> list:
    """`paths` without those inside another one of them."""
    return sorted(p for p in set(paths) if not any(p != o and _under(p, o) for o in paths))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")
