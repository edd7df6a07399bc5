"""What the grader asks of a submission: tests, the inputs they send, and how outputs are judged.

A `Test` has two halves that never meet in one process:
- `steps`: plain JSON instructions that child.py runs on the learner's code inside the sandbox
  (make an object, call a method, read an attribute, save an array ...), producing named arrays;
- `judge`: a function run in the grader's own process on those arrays, comparing them with
  the library's reference and with numerical gradients. Only `judge` decides the score.

Inputs are drawn from a generator seeded by (grader secret, exercise, test name), so a learner
cannot know them in advance and a rerun draws the same ones: the score is reproducible.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from backprop_lib.checks import compare, mutation_message


@dataclass
class Check:
    """One verdict inside a test: `message` is None when it passed."""

    label: str
    message: str | None
    weight: float = 1.0
    missing: bool = False  # not computed because the learner's code raised first


@dataclass
class Test:
    """One row of the report, worth `max_score` points (split over its checks by weight)."""

    name: str
    max_score: float
    steps: list
    inputs: dict
    judge: Callable[[dict], list]
    uses: tuple = ()  # the learner's names this test calls: no credit if one is the library's own
    outputs: tuple = ()  # every array name the child may hand back for this test
    hint: str = ""  # shown when the test is not passed (what this case is about)


@dataclass
class Exercise:
    """One exercise: what the learner implements and how to build its hidden tests."""

    id: str  # "04"
    stem: str  # "04_matmul", the notebook's file name
    title: str
    names: tuple  # the names the learner implements (contract table)
    build: Callable[[Callable[[str], np.random.Generator]], list]  # rng_for(test name) -> tests
    library_modules: tuple = ("gradcheck", "checks")  # backprop_lib modules the child may import
    disabled: tuple = ()  # ("network.TwoLayerNet.gradient", ...): removed in the child
    cpu_seconds: float = 5.0
    wall_seconds: float = 10.0


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


def call(obj, method, *args, out=(), keep=None, out_dict=None):
    """Call obj.method(*args) (or the learner's function `method` when obj is None).

    out: names for the result (several names unpack a tuple); keep: store it as a variable;
    out_dict: (name, keys) to hand back a returned dict's arrays as name.key.
    """
    return {"op": "call", "obj": obj, "method": method, "args": list(args), "out": list(out),
            "keep": keep, "out_dict": list(out_dict) if out_dict else None}


def attr(obj, name, out):
    """Hand back obj.<name> (e.g. a layer's dW) as `out`."""
    return {"op": "attr", "obj": obj, "name": name, "out": out}


def save(var, out, keys=None):
    """Hand back the current value of a variable (an array, or a dict's arrays for `keys`)."""
    return {"op": "save", "var": var, "out": out, "keys": list(keys) if keys else None}


def numgrad(cls, init, method, args, wrt, out, h=1e-5):
    """Outputs of cls(*init).method(*args) with input `wrt` nudged by +h and -h, entry by entry.

    The child hands back an array of shape (2, wrt.size, *output shape); the parent turns it
    into a central-difference gradient (so the difference quotient is computed by the grader).
    """
    return {"op": "numgrad", "cls": cls, "init": list(init), "method": method, "args": list(args),
            "wrt": wrt, "out": out, "h": h}


def net(var, sizes, params):
    """var = backprop_lib.TwoLayerNet(*sizes) with its parameters set to the given arrays."""
    return {"op": "net", "as": var, "sizes": list(sizes), "params": dict(params)}


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
        elif step["op"] in ("attr", "numgrad"):
            names.append(step["out"])
        elif step["op"] == "save":
            names += [f"{step['out']}.{k}" for k in step["keys"]] if step["keys"] else [step["out"]]
    return tuple(names)


def make_test(name, max_score, steps, inputs, judge, uses=(), hint=""):
    return Test(name, max_score, steps, inputs, judge, tuple(uses), output_names(steps), hint)


# --- the judge's tools ----------------------------------------------------------------

class Missing(Exception):
    """An output the child did not hand back (the learner's code raised before it)."""


def get(outputs, name):
    if name not in outputs:
        raise Missing(name)
    return outputs[name]


def expect(outputs, name, expected, *, label=None, tol=1e-7):
    """Check that output `name` matches `expected` (checks.compare's message when not)."""
    label = label or name
    try:
        found = get(outputs, name)
    except Missing:
        return Check(label, f"{label} was not computed.", missing=True)
    return Check(label, compare(label, found, expected, tol=tol))


def expect_unchanged(outputs, name, before, *, label):
    try:
        after = get(outputs, name)
    except Missing:
        return Check(label, f"could not check {label}.", missing=True)
    return Check(label, mutation_message(label, before, after))


def central_difference(stacked, upstream_grad, h, shape):
    """Numerical gradient of L = sum(output * upstream_grad) from the child's nudged outputs."""
    stacked = np.asarray(stacked, dtype=np.float64)
    upstream_grad = np.asarray(upstream_grad, dtype=np.float64)
    n = int(np.prod(shape))
    if stacked.shape != (2, n) + upstream_grad.shape:
        raise ValueError(f"forward returned shape {stacked.shape[2:]}; expected {upstream_grad.shape}")
    loss = np.sum(stacked * upstream_grad, axis=tuple(range(2, stacked.ndim)))
    return ((loss[0] - loss[1]) / (2 * h)).reshape(shape)


def expect_gradcheck(outputs, analytic_name, numeric_name, upstream_grad, shape, *, label,
                     h=1e-5, tol=1e-6):
    """The learner's analytic gradient against the numerical gradient of the learner's own forward."""
    try:
        analytic, stacked = get(outputs, analytic_name), get(outputs, numeric_name)
    except Missing:
        return Check(label, f"{label} was not computed.", missing=True)
    try:
        numeric = central_difference(stacked, upstream_grad, h, shape)
    except ValueError as error:
        return Check(label, f"{label}: could not take the numerical gradient: {error}.")
    message = compare(label, analytic, numeric, tol=tol)
    if message:
        message = (f"your backward disagrees with the numerical gradient of your own forward. "
                   f"{message}")
    return Check(label, message)
