"""One convention for an exercise: every released notebook has exactly one module in
backprop_grader/exercises/ (ex04_matmul.py for 04_matmul.ipynb) and every module one notebook, and the
registry refuses a module whose EXERCISE does not match its file name."""
import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from backprop_grader import exercises
from backprop_grader.exercises import EXERCISES, discover, exercise_of

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(exercises.__file__).parent


def test_every_released_notebook_has_one_module_and_every_module_one_notebook():
    notebooks = sorted(p.stem for p in (ROOT / "exercises").glob("*.ipynb"))
    modules = sorted(p.stem for p in PACKAGE.glob("ex*.py"))
    assert len(notebooks) == 28
    assert modules == [f"ex{stem}" for stem in notebooks]
    assert [ex.stem for ex in EXERCISES.values()] == notebooks  # the registry holds them all, in id order
    assert list(EXERCISES) == [stem[:2] for stem in notebooks]
    for stem in notebooks:
        module = importlib.import_module(f"backprop_grader.exercises.ex{stem}")
        assert EXERCISES[stem[:2]] is module.EXERCISE


def test_the_other_modules_are_not_exercises():
    """What several exercises share is not named ex*, and exports no EXERCISE."""
    for path in PACKAGE.glob("*.py"):
        if not path.stem.startswith("ex") and path.stem != "__init__":
            module = importlib.import_module(f"backprop_grader.exercises.{path.stem}")
            assert not hasattr(module, "EXERCISE"), path.name


EXERCISE_MODULE = """
from backprop_grader.exercises.spec import Exercise

EXERCISE = Exercise({id!r}, {stem!r}, "a title", ("f",), lambda rng_for: [])
"""


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package of exercise modules, made fresh for the test: write(file name, text) adds one."""
    name = f"registry_{tmp_path.name.replace('-', '_')}"
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "cases.py").write_text("SHARED = 1\n")  # not an exercise: not read as one
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(file, text):
        (folder / file).write_text(textwrap.dedent(text))
    yield name, [str(folder)], write
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


def test_the_registry_finds_matching_modules_in_id_order(package):
    name, path, write = package
    write("ex02_second.py", EXERCISE_MODULE.format(id="02", stem="02_second"))
    write("ex01_first.py", EXERCISE_MODULE.format(id="01", stem="01_first"))
    found = discover(name, path)
    assert list(found) == ["01", "02"]
    assert [ex.stem for ex in found.values()] == ["01_first", "02_second"]


@pytest.mark.parametrize("file, text, said", [
    ("ex05_wrong.py", EXERCISE_MODULE.format(id="04", stem="04_matmul"),
     "expected the EXERCISE of 05_wrong.ipynb (id '05', stem '05_wrong'); found id '04', stem '04_matmul'"),
    ("ex05_wrong.py", EXERCISE_MODULE.format(id="05", stem="05_right"),
     "expected the EXERCISE of 05_wrong.ipynb (id '05', stem '05_wrong'); found id '05', stem '05_right'"),
    ("ex05_wrong.py", "def build(rng_for):\n    return []\n",
     "expected EXERCISE, the Exercise of 05_wrong.ipynb; found no EXERCISE"),
    ("ex05_wrong.py", "EXERCISE = ('05', '05_wrong')\n",
     "expected EXERCISE, the Exercise of 05_wrong.ipynb; found tuple"),
    ("exercise_helpers.py", "X = 1\n", "found the name 'exercise_helpers'"),
])
def test_the_registry_refuses_a_module_that_does_not_match_its_file(package, file, text, said):
    name, path, write = package
    write("ex01_first.py", EXERCISE_MODULE.format(id="01", stem="01_first"))
    write(file, text)
    with pytest.raises(ValueError) as error:
        discover(name, path)
    assert said in str(error.value)
    assert f"{name}.{Path(file).stem}" in str(error.value)  # the message names the module


def test_the_registry_refuses_two_modules_of_one_exercise(package):
    name, path, write = package
    write("ex04_matmul.py", EXERCISE_MODULE.format(id="04", stem="04_matmul"))
    write("ex04_other.py", EXERCISE_MODULE.format(id="04", stem="04_other"))
    with pytest.raises(ValueError, match="expected one module for exercise 04; found two, for 04_matmul.ipynb and "
                                         "04_other.ipynb"):
        discover(name, path)


def test_every_real_module_passes_the_check():
    for path in PACKAGE.glob("ex*.py"):
        exercise = exercise_of(importlib.import_module(f"backprop_grader.exercises.{path.stem}"))
        assert f"ex{exercise.stem}" == path.stem
