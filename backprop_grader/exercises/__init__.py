"""Stage 2, what is asked: every exercise and its hidden tests, built from the step language (steps.py)
and judged with judging/verdicts.py. EXERCISES maps an exercise's id ("04") to it, in id order.

One module per exercise, named after its notebook: `ex04_matmul.py` holds the hidden tests of
`04_matmul.ipynb` and exports `EXERCISE`, an `Exercise` whose stem is "04_matmul" and id "04". The registry
below finds those modules itself: there is no list to keep. The other modules serve several exercises and are
not exercises: spec.py (Test, Exercise), steps.py (the step language), layer_tests.py (the standard tests of a
layer class), mistakes.py (typical wrong answers), cases.py (drawing inputs), once_right.py (checks that
count once others are right).

Every builder receives `rng_for(test_name)`, a generator seeded from the grader's secret, and draws fresh
shapes and values. Tolerances: 1e-7 relative error against the library's reference, 1e-6 against numerical
gradients of the reference (float64, central differences, h = 1e-5), computed here.
"""
from __future__ import annotations

import importlib
import pkgutil
import re

from backprop_grader.exercises.spec import Exercise

MODULE_NAME = re.compile(r"ex(?P<stem>(?P<id>[0-9]{2})_[a-z0-9_]+)")  # ex04_matmul: 04_matmul.ipynb


def exercise_of(module) -> Exercise:
    """The EXERCISE of exercise module `module` (named ex<notebook stem>), or ValueError saying what was expected
    and what was found."""
    name = module.__name__.rpartition(".")[2]
    match = MODULE_NAME.fullmatch(name)
    if match is None:
        raise ValueError(f"{module.__name__}: a module named ex* holds one exercise and is named after its notebook, "
                         f"ex<NN>_<name> (ex04_matmul for 04_matmul.ipynb); found the name {name!r}")
    exercise = getattr(module, "EXERCISE", None)
    if not isinstance(exercise, Exercise):
        raise ValueError(f"{module.__name__}: expected EXERCISE, the Exercise of {match['stem']}.ipynb; "
                         f"found {'no EXERCISE' if exercise is None else type(exercise).__name__}")
    if (exercise.id, exercise.stem) != (match["id"], match["stem"]):
        raise ValueError(f"{module.__name__}: expected the EXERCISE of {match['stem']}.ipynb (id {match['id']!r}, "
                         f"stem {match['stem']!r}); found id {exercise.id!r}, stem {exercise.stem!r}")
    return exercise


def discover(package: str, path) -> dict:
    """{id: Exercise} of every ex* module of the package `package` (its folders `path`), in id order."""
    exercises = {}
    for info in pkgutil.iter_modules(path):
        if info.name.startswith("ex"):
            exercise = exercise_of(importlib.import_module(f"{package}.{info.name}"))
            if exercise.id in exercises:
                raise ValueError(f"{package}.{info.name}: expected one module for exercise {exercise.id}; found "
                                 f"two, for {exercises[exercise.id].stem}.ipynb and {exercise.stem}.ipynb")
            exercises[exercise.id] = exercise
    return dict(sorted(exercises.items()))


EXERCISES = discover(__name__, __path__)

__all__ = ["EXERCISES", "discover", "exercise_of"]
