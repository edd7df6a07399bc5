"""The step language of a hidden test, in one place: the builders the exercises use to write a test's
steps (plain JSON: strings name variables), and the interpreter that runs them on the learner's code.

The grader's process only builds steps. The child (isolation/child.py) gets this file beside it in the
sandbox and runs them with `run_step`; it imports nothing of the grader's (numpy, and the exercise's copy of
backprop_lib for `net`), and a learner's code that changes it changes only what its own process hands back,
which the parent judges anyway.
"""
import contextlib
import warnings

import numpy as np

# --- building steps (the grader's process) ----------------------------------------------------------

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


# --- running steps (the child's process) ------------------------------------------------------------

def value_of(arg, env):
    if isinstance(arg, dict):
        return arg["value"]
    return env[arg]


def as_array(value, what):
    """A copy of `value` as it is now: a later step (backward) changing it cannot change what was returned."""
    array = np.array(value)
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
            out[name] = as_array(value if key is None else value[key], step["var"])
    elif op == "net":
        from backprop_lib import TwoLayerNet
        network = TwoLayerNet(*step["sizes"])
        for key, var in step["params"].items():
            network.params[key][...] = env[var]  # in place: the layers hold these very arrays
        env[step["as"]] = network
    elif op == "dict":
        env[step["as"]] = {key: env[var] for key, var in step["items"].items()}
    elif op == "derive":
        value = np.array(env[step["var"]])
        env[step["as"]] = value.ravel()[::-1].reshape(value.shape).copy() if step["mirrored"] else value


@contextlib.contextmanager
def strict_numpy(strict):
    """With strict, numpy's overflow, division by zero and invalid values raise (as no_warnings does)."""
    if not strict:
        yield
        return
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error", RuntimeWarning)
        yield
