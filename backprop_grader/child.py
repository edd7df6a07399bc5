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
Nothing here decides a score; the parent validates every frame and judges the arrays.
"""
import io
import json
import linecache
import os
import struct
import sys
import traceback
import types

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


def load_submission():
    module = types.ModuleType("submission")
    module.__file__ = "submission.py"
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
    """ok, or why the learner's `name` cannot earn credit."""
    if not hasattr(module, name):
        return f"missing: the submission defines no `{name}`"
    origin = getattr(getattr(module, name), "__module__", "submission")
    if origin != "submission":
        return (f"`{name}` is imported from {origin}, not written in the submission: "
                f"the exercise asks you to implement it yourself")
    return "ok"


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
        out[step["out"]] = as_array(getattr(env[step["obj"]], step["name"]), f"the attribute {step['name']}")
    elif op == "save":
        value = env[step["var"]]
        for key in step["keys"] or [None]:
            name = step["out"] if key is None else f"{step['out']}.{key}"
            out[name] = np.array(as_array(value if key is None else value[key], step["var"]))
    elif op == "numgrad":
        out[step["out"]] = nudged_outputs(step, module, env)
    elif op == "net":
        from backprop_lib import TwoLayerNet
        network = TwoLayerNet(*step["sizes"])
        for key, var in step["params"].items():
            network.params[key][...] = env[var]  # in place: the layers hold these very arrays
        env[step["as"]] = network
        layers = [*network.layers.values(), network.last_layer]
        calls = env[step["as"] + "_forward_calls"] = np.zeros(len(layers), dtype=np.int64)
        for i, layer in enumerate(layers):
            layer.forward = counted(layer.forward, calls, i)
    elif op == "dict":
        env[step["as"]] = {key: env[var] for key, var in step["items"].items()}


def counted(forward, calls, i):
    """The layer's forward, counting its calls in calls[i] (the parent tells backprop from finite differences)."""
    def wrapper(*args, **kwargs):
        calls[i] += 1
        return forward(*args, **kwargs)
    return wrapper


def nudged_outputs(step, module, env):
    """Outputs of the learner's forward with input `wrt` nudged by +h and -h at each entry."""
    base = np.array(env[step["wrt"]], dtype=np.float64)
    h, rows = step["h"], []
    for sign in (1, -1):
        for index in np.ndindex(base.shape):
            local = {**env, step["wrt"]: base.copy()}
            local[step["wrt"]][index] += sign * h
            obj = module if step["cls"] is None else getattr(module, step["cls"])(
                *[np.copy(value_of(a, local)) for a in step["init"]])
            y = getattr(obj, step["method"])(*[np.copy(value_of(a, local)) for a in step["args"]])
            rows.append(np.asarray(as_array(y, f"{step['cls']}.{step['method']}"), dtype=np.float64))
    return np.stack(rows).reshape((2, base.size) + rows[0].shape)


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
