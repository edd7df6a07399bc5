"""What the grader asks of a submission: an `Exercise`, its hidden `Test`s and the inputs they send.

A `Test` has two halves that never meet in one process:
- `steps`: plain JSON instructions (exercises/steps.py) that the child runs on the learner's code inside
  the sandbox (make an object, call a method, read an attribute, save an array ...), producing named arrays;
- `judge`: a function run in the grader's own process on those arrays (judging/verdicts.py), comparing them
  with values computed here: the library's reference, and numerical gradients of the reference.
  Only `judge` decides the score; nothing the child observes about itself counts.

Inputs are drawn from a generator seeded by (grader secret, exercise, test name), so a learner
cannot know them in advance and a rerun draws the same ones: the score is reproducible.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from backprop_grader.exercises.steps import output_names


@dataclass
class Test:
    """One row of the report, worth `max_score` points (split over its checks by weight). `name` is only
    shown; what the judge needs is in the other fields."""

    name: str
    max_score: float
    steps: list
    inputs: dict
    judge: Callable[[dict], list]
    uses: tuple = ()  # the learner's names this test calls: "missing" if the submission defines one not
    outputs: tuple = ()  # every array name the child may hand back for this test
    hint: str = ""  # shown when the test is not passed (what this case is about)
    requires: Test | None = None  # a test that must pass in full before this one earns anything
    # tests of one kind call the same thing on different cases ("Affine.backward"): a case's hint shows
    # only where the plain cases of its kind pass; "": a kind of its own
    kind: str = ""
    case: object = None  # the layer_tests.Case this test runs, if it runs one


@dataclass
class Exercise:
    """One exercise: what the learner implements and how to build its hidden tests."""

    id: str  # "04"
    stem: str  # "04_matmul", the notebook's file name
    title: str
    names: tuple  # the names the learner implements (contract table)
    build: Callable[[Callable[[str], np.random.Generator]], list]  # rng_for(test name) -> tests
    library_modules: tuple = ("checks",)  # backprop_lib modules (or their names) the setup cells import
    disabled: tuple = ()  # functions of those modules that are the answer, e.g. TwoLayerNet.gradient
    # A reference solution takes 0.2-0.3 s, numpy's import included: 4 s of CPU is more than ten times
    # that; a learner's process does not wait on anything, so wall time beyond its CPU is only contention.
    cpu_seconds: float = 4.0
    wall_seconds: float = 6.0
    # bytes of address space the learner's code may use beyond the child's own (memory.py); 0: the sandbox's limit
    memory_budget: int = 0

    def __post_init__(self):
        # Names are resolved now, so a renamed module or method fails here, not silently in the child.
        self.library_modules = tuple(_module(m) for m in self.library_modules)
        self.disabled = tuple(_function(f) for f in self.disabled)


def _module(module):
    """backprop_lib's module `module` (a module or its name), or ValueError."""
    import importlib
    name = module if isinstance(module, str) else module.__name__
    name = name if name.startswith("backprop_lib.") else f"backprop_lib.{name}"
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ValueError(f"expected a module of backprop_lib; found {module!r}") from None


def _function(function):
    """A function of backprop_lib (given as itself or as "module.Class.method"), or ValueError."""
    if isinstance(function, str):
        module, *path = function.split(".")
        found = _module(module)
        for part in path:
            found = getattr(found, part, None)
        if found is None:
            raise ValueError(f"expected a function of backprop_lib; found no {function!r}")
        function = found
    if not callable(function) or not function.__module__.startswith("backprop_lib."):
        raise ValueError(f"expected a function of backprop_lib; found {function!r}")
    return function


# The library as exercises 08 and 09 ship it (their setup cells import from it), without training.
FULL_LIBRARY = ("checks", "datasets", "functions", "gradcheck", "layers", "network", "nodes")


def rng_for(secret: str, exercise_id: str, test_name: str) -> np.random.Generator:
    """A generator only someone who knows the secret can reproduce."""
    digest = hashlib.sha256(f"{secret}\0{exercise_id}\0{test_name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def make_test(name, max_score, steps, inputs, judge, uses=(), hint="", requires=None, kind="", case=None):
    return Test(name, max_score, steps, inputs, judge, tuple(uses), output_names(steps), hint, requires, kind, case)


def requiring(tests, required):
    """Each test counts only once `required` passes in full (the field graders with the policy read)."""
    for test in tests:
        test.requires = required
    return tests


def of_kind(kind, tests):
    """The tests, marked as one kind (Test.kind): the same call on different cases."""
    for test in tests:
        test.kind = kind
    return tests
