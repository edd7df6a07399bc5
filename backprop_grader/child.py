"""The grader's child: runs a submission on the grader's inputs and hands back only arrays.

This file is not imported by the grader. sandbox.run_isolated runs it as
`python -I -S child.py` in an empty directory that holds it, plan.json (the learner's code,
the tests' steps, which library modules are allowed), inputs.npz and lib_*.py (the allowed
modules of backprop_lib). Python's own site-packages are not on sys.path: numpy is imported
from its directory, which is then removed again, so the learner's code can import numpy and
the allowed backprop_lib modules, and nothing else that is installed.

Results go to the pipe whose fd is in BACKPROP_RESULT_FD, as frames: 8 bytes of length,
then an .npz archive of plain arrays. One frame for loading, one for the learner's names,
one per test as it finishes, so a submission that hangs in test 7 still gets tests 1-6.
Nothing here decides a score, and nothing this process says about itself is believed: the
parent checks the order of the frames, validates every array and judges the values.
IPython commands in the learner's cells arrive as get_ipython() calls (IPython's own
transformation, done by the parent); here get_ipython() returns a stub that does nothing.
"""
import contextlib
import io
import json
import linecache
import os
import struct
import sys
import traceback
import types
import warnings

PLAN = json.load(open("plan.json", encoding="utf-8"))
sys.path.insert(0, PLAN["numpy_dir"])
import numpy as np  # noqa: E402
import numpy.linalg  # noqa: E402,F401  (imported now: their directory leaves sys.path below)
import numpy.random  # noqa: E402,F401
sys.path.remove(PLAN["numpy_dir"])
sys.path_importer_cache.clear()

RESULTS = os.fdopen(int(os.environ.pop("BACKPROP_RESULT_FD")), "wb", buffering=0)
MAX_MESSAGE = 600
CHUNK_FILES = {f"<{chunk['name']}>" for chunk in PLAN["chunks"]}


def send(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    RESULTS.write(struct.pack(">Q", len(data)) + data)


def install_library():
    """Write the allowed backprop_lib modules into ./_lib and put it first on sys.path."""
    package = os.path.join(os.getcwd(), "_lib", "backprop_lib")
    os.makedirs(package, exist_ok=True)
    for module in PLAN["library_modules"] + ["__init__"]:
        with open(os.path.join(package, module + ".py"), "w", encoding="utf-8") as f:
            f.write(open(f"lib_{module}.py", encoding="utf-8").read())
    sys.path.insert(0, os.path.dirname(package))


def describe(error):
    """`Type: message (in cell 'id', line n: code)`, pointing into the learner's code."""
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename in CHUNK_FILES:
            where = f" (in {frame.filename[1:-1]}, line {frame.lineno}: {(frame.line or '').strip()[:120]})"
            break
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, NotImplementedError):
        where = ""  # the stub's own `raise` line says nothing more
    return (text[:MAX_MESSAGE] + " ...") if len(text) > MAX_MESSAGE else text + where


class _NoIPython:
    """What get_ipython() returns while grading: every magic and shell command does nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def load_submission():
    module = types.ModuleType("submission")
    module.__file__ = "submission.py"
    module.get_ipython = _NoIPython
    sys.modules["submission"] = module
    errors = []
    for chunk in PLAN["chunks"]:
        filename = f"<{chunk['name']}>"
        linecache.cache[filename] = (len(chunk["source"]), None, chunk["source"].splitlines(True), filename)
        try:
            exec(compile(chunk["source"], filename, "exec"), module.__dict__)
        except BaseException as error:  # noqa: BLE001  (SystemExit too: exit() must not end grading)
            errors.append(f"{chunk['name']}: {describe(error)}")
    return module, errors


def name_status(module, name):
    """ok, or missing (a message for the report; it can take no credit away that a test would give)."""
    return "ok" if hasattr(module, name) else f"missing: the submission defines no `{name}`"


def value_of(arg, env):
    if isinstance(arg, dict):
        return arg["value"]
    return env[arg]


def as_array(value, what):
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} returned {type(value).__name__} {repr(value)[:80]}; expected numbers or an array")
    return array


def run_step(step, module, env, out):
    op = step["op"]
    if op == "new":
        env[step["as"]] = getattr(module, step["cls"])(*[value_of(a, env) for a in step["args"]])
    elif op == "call":
        target = getattr(module, step["method"]) if step["obj"] is None else getattr(env[step["obj"]], step["method"])
        what = step["method"] if step["obj"] is None else f"{type(env[step['obj']]).__name__}.{step['method']}"
        with strict_numpy(step["strict"]):
            result = target(*[value_of(a, env) for a in step["args"]])
        if step["keep"]:
            env[step["keep"]] = result
        names = step["out"]
        if len(names) == 1:
            out[names[0]] = as_array(result, what)
        elif names:
            if not isinstance(result, (tuple, list)) or len(result) != len(names):
                raise TypeError(f"{what} returned {type(result).__name__}; expected a tuple of {len(names)} "
                                f"values ({', '.join(names)})")
            for name, value in zip(names, result):
                out[name] = as_array(value, what)
        if step["out_dict"]:
            name, keys = step["out_dict"]
            if not isinstance(result, dict):
                raise TypeError(f"{what} returned {type(result).__name__}; expected a dict with keys {keys}")
            for key in keys:
                if key not in result:
                    raise KeyError(f"{what} returned a dict without the key {key!r}")
                out[f"{name}.{key}"] = as_array(result[key], what)
    elif op == "attr":
        value = getattr(env[step["obj"]], step["name"])
        for key in step["keys"] or [None]:
            name = step["out"] if key is None else f"{step['out']}.{key}"
            out[name] = as_array(value if key is None else value[key], f"the attribute {step['name']}")
    elif op == "save":
        value = env[step["var"]]
        for key in step["keys"] or [None]:
            name = step["out"] if key is None else f"{step['out']}.{key}"
            out[name] = np.array(as_array(value if key is None else value[key], step["var"]))
    elif op == "net":
        from backprop_lib import TwoLayerNet
        network = TwoLayerNet(*step["sizes"])
        for key, var in step["params"].items():
            network.params[key][...] = env[var]  # in place: the layers hold these very arrays
        env[step["as"]] = network
    elif op == "dict":
        env[step["as"]] = {key: env[var] for key, var in step["items"].items()}


@contextlib.contextmanager
def strict_numpy(strict):
    """With strict, numpy's overflow, division by zero and invalid values raise (as no_warnings does)."""
    if not strict:
        yield
        return
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error", RuntimeWarning)
        yield


def main():
    install_library()
    inputs = dict(np.load("inputs.npz", allow_pickle=False))
    module, errors = load_submission()
    send({"__load__": np.array(errors or [""])})
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


if __name__ == "__main__":
    main()
