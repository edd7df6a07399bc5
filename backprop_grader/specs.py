"""What the grader asks of a submission: tests, the inputs they send, and how outputs are judged.

A `Test` has two halves that never meet in one process:
- `steps`: plain JSON instructions that child.py runs on the learner's code inside the sandbox
  (make an object, call a method, read an attribute, save an array ...), producing named arrays;
- `judge`: a function run in the grader's own process on those arrays, comparing them with
  values computed here: the library's reference, and numerical gradients of the reference.
  Only `judge` decides the score; nothing the child observes about itself counts.

Inputs are drawn from a generator seeded by (grader secret, exercise, test name), so a learner
cannot know them in advance and a rerun draws the same ones: the score is reproducible.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from backprop_lib.checks import compare, mutation_message
from backprop_grader.language import _


@dataclass
class Check:
    """One verdict inside a test: `message` is None when it passed. `label` is only shown; what the
    judge needs is in the other fields."""

    label: str
    message: str | None
    weight: float = 1.0
    missing: bool = False  # not computed because the learner's code raised first
    # the array this check is about ("dW", "grads.W1"): a test that requires another earns for it only
    # where the other got it right; "" for a check about no one array
    array: str = ""
    note: bool = False  # a hint or remark (weight 0) rather than a verdict


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


def rng_for(secret: str, exercise_id: str, test_name: str) -> np.random.Generator:
    """A generator only someone who knows the secret can reproduce."""
    digest = hashlib.sha256(f"{secret}\0{exercise_id}\0{test_name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


# --- the child's instructions (interpreted by child.py; strings name variables) ----------

def lit(value):
    """A literal argument (a number, None, a tuple) instead of a variable name."""
    return {"value": value}


def new(var, cls, *args):
    """var = cls(*args), cls being a name the learner defines."""
    return {"op": "new", "as": var, "cls": cls, "args": list(args)}


def call(obj, method, *args, out=(), keep=None, out_dict=None, strict=False):
    """Call obj.method(*args) (or the learner's function `method` when obj is None).

    out: names for the result (several names unpack a tuple); keep: store it as a variable;
    out_dict: (name, keys) to hand back a returned dict's arrays as name.key; strict: a numpy
    overflow, division by zero or invalid value raises, as in the notebook's no_warnings check
    (this can only withhold values, never make wrong ones pass).
    """
    return {"op": "call", "obj": obj, "method": method, "args": list(args), "out": list(out),
            "keep": keep, "out_dict": list(out_dict) if out_dict else None, "strict": strict}


def attr(obj, name, out, keys=None):
    """Hand back obj.<name> (e.g. a layer's dW) as `out`; with keys, its dict's arrays as out.key."""
    return {"op": "attr", "obj": obj, "name": name, "out": out, "keys": list(keys) if keys else None}


def save(var, out, keys=None):
    """Hand back the current value of a variable (an array, or a dict's arrays for `keys`)."""
    return {"op": "save", "var": var, "out": out, "keys": list(keys) if keys else None}


def net(var, sizes, params):
    """var = backprop_lib.TwoLayerNet(*sizes) with its parameters set to the given arrays."""
    return {"op": "net", "as": var, "sizes": list(sizes), "params": dict(params)}


def derive(var, out, mirrored=False):
    """out = a copy of variable `var` (mirrored: its entries in reverse order, same shape and values):
    the inputs of a second layer in use at the same time as the first."""
    return {"op": "derive", "var": var, "as": out, "mirrored": mirrored}


def make_dict(var, items):
    """var = {key: copy of variable} (e.g. the params and grads of sgd_step)."""
    return {"op": "dict", "as": var, "items": dict(items)}


def output_names(steps) -> tuple:
    """Every array name the steps can hand back: anything else in the child's answer is rejected."""
    names = []
    for step in steps:
        if step["op"] == "call":
            names += step["out"]
            if step["out_dict"]:
                name, keys = step["out_dict"]
                names += [f"{name}.{k}" for k in keys]
        elif step["op"] in ("attr", "save"):
            names += [f"{step['out']}.{k}" for k in step["keys"]] if step["keys"] else [step["out"]]
    return tuple(names)


def make_test(name, max_score, steps, inputs, judge, uses=(), hint="", requires=None, kind="", case=None):
    return Test(name, max_score, steps, inputs, judge, tuple(uses), output_names(steps), hint, requires, kind, case)


def note(text):
    """A hint shown beside a test's verdicts: it weighs nothing."""
    return Check("hint", text, weight=0, note=True)


# --- the judge's tools ----------------------------------------------------------------

class Missing(Exception):
    """An output the child did not hand back (the learner's code raised before it)."""


def get(outputs, name):
    if name not in outputs:
        raise Missing(name)
    return outputs[name]


def expect(outputs, name, expected, *, label=None, tol=1e-7, atol=0.0, guess=True, array=None):
    """Check that output `name` matches `expected` (checks.compare's message when not); `array`: what the
    check is about (Check.array), by default `name`.
    guess=False: the test's own hint names this case's cause, so compare's guess from the values
    (found is expected / 2: ...) would only point elsewhere first; it is left out."""
    label, array = label or name, name if array is None else array
    try:
        found = get(outputs, name)
    except Missing:
        return Check(label, _("{array} was not computed.").format(array=label), missing=True, array=array)
    return Check(label, compare(label, found, expected, tol=tol, atol=atol, guess=guess), array=array)


def expect_unchanged(outputs, name, before, *, label):
    try:
        after = get(outputs, name)
    except Missing:
        return Check(label, _("could not check {array}.").format(array=label), missing=True)
    return Check(label, mutation_message(label, before, after))


def expect_gradcheck(outputs, analytic_name, numeric, *, label, tol=1e-6, atol=0.0, guess=True, array=None):
    """The learner's gradient against `numeric`, central differences of the reference's forward
    computed here (backprop_lib.gradcheck.numerical_gradients); gaps below `atol`, the differences'
    own rounding (gradcheck.roundoff_floor), never count. `array`: as in expect."""
    array = analytic_name if array is None else array
    try:
        analytic = get(outputs, analytic_name)
    except Missing:
        return Check(label, _("{array} was not computed.").format(array=label), missing=True, array=array)
    message = compare(label, analytic, numeric, tol=tol, atol=atol, guess=guess)
    if message:
        message = _("your backward disagrees with the numerical gradient of the forward. {message}").format(
            message=message)
    return Check(label, message, array=array)


# --- inputs and judges shared by several exercises -------------------------------------------

def two_layer_inputs(rng, sizes, N, one_hot):
    """Parameters of a (D, H, C) network and a batch with no hidden pre-activation near ReLU's kink
    (a nudge of h across it would make a numerical gradient meaningless); labels one-hot or integer."""
    D, H, C = sizes
    while True:
        params = {"W1": rng.standard_normal((D, H)) * 0.5, "b1": rng.standard_normal(H) * 0.1,
                  "W2": rng.standard_normal((H, C)) * 0.5, "b2": rng.standard_normal(C) * 0.1}
        x = rng.standard_normal((N, D))
        if np.min(np.abs(x @ params["W1"] + params["b1"])) > 1e-3:
            break
    t = rng.integers(0, C, N)
    return params, x, np.eye(C)[t] if one_hot else t


def accuracy_checks(outputs, t_test, n_classes, target, settings):
    """The test accuracy of the returned `scores`, judged here against `target`; `settings` says how
    the network was trained, for the message."""
    try:
        scores = np.asarray(get(outputs, "scores"), dtype=np.float64)
    except Missing:
        return [Check(_("test accuracy"), _("the trained network's predictions were not computed."), missing=True)]
    if scores.shape != (len(t_test), n_classes):
        return [Check(_("test accuracy"), _("{call} has shape {found}; expected {expected}, one row of {classes} class "
                                            "scores per point.").format(call="net.predict(x_test)", found=scores.shape,
                                                                        expected=(len(t_test), n_classes),
                                                                        classes=n_classes))]
    accuracy = float(np.mean(np.argmax(scores, axis=1) == t_test))
    message = None if accuracy >= target else _("test accuracy {accuracy}; at least {target} is needed "
                                                "({settings}).").format(accuracy=f"{accuracy:.3f}", target=target,
                                                                        settings=settings)
    return [Check(_("test accuracy {accuracy}").format(accuracy=f"{accuracy:.3f}"), message)]
