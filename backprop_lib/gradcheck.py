"""Gradient checking: compare backprop with central differences (chapter 8).

Use float64 here: with float32 the rounding error of f swamps the difference quotient.

One core for the chapters, the learner's visible checks and the grader: checks.check_gradients, which
every exercise's check cells call (in the grader's child too), is built on analytic_gradients,
numerical_gradients, loss_magnitude and roundoff_floor; the grader judges with the same functions.
"""
import numpy as np

from .language import _


def numerical_gradient(f, x, h=1e-5):
    """Gradient of the scalar function f at x by central differences, (f(x+h) - f(x-h)) / 2h.

    x is perturbed in place one entry at a time and always restored, even when f raises.
    f receives x itself, so it must compute its value from its argument.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        found = type(x).__name__ if not isinstance(x, np.ndarray) else f"an array of dtype {x.dtype}"
        raise TypeError(f"numerical_gradient perturbs x in place, so x must be a float array; found {found}")
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        try:
            x[idx] = original + h
            f_plus = float(f(x))
            x[idx] = original - h
            f_minus = float(f(x))
        finally:
            x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a, b):
    """Largest relative error max(|a - b| / max(1e-8, |a| + |b|)), the CS231n convention."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of the same shape; found {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def input_names(n):
    """Names of a forward pass's n differentiated inputs: x, y, z, then x0, x1, ... for more."""
    return ("x", "y", "z")[:n] if n <= 3 else tuple(f"x{i}" for i in range(n))


def analytic_gradients(layer, n_inputs, upstream_grad, params=None):
    """{"x": dL/dx, ..., "W": dL/dW, ...} from one layer.backward(upstream_grad) after a forward.

    params: the parameter names whose gradients backward keeps as d<name> (default layer.param_names).
    """
    params = tuple(getattr(layer, "param_names", ()) if params is None else params)
    grads = layer.backward(upstream_grad)
    grads = grads if isinstance(grads, tuple) else (grads,)
    analytic = dict(zip(input_names(n_inputs), grads))
    analytic.update({p: getattr(layer, "d" + p, None) for p in params})
    return analytic


def roundoff_floor(magnitude, h=1e-5):
    """How far a central difference can be off by rounding alone: f(x + h) and f(x - h) each carry
    about eps times `magnitude` (the sum of the absolute values of the terms that make f), and the
    difference is divided by 2h; a margin of 100 covers long sums. Below it, a gap between a
    backward pass and a numerical gradient says nothing."""
    return 100 * np.finfo(np.float64).eps * max(1.0, float(magnitude)) / h


def loss_magnitude(layer, inputs, constants=(), upstream_grad=None):
    """sum |y * upstream_grad|: the size of the terms of L = sum(y * upstream_grad) (see roundoff_floor)."""
    y = layer.forward(*[np.array(x, dtype=np.float64) for x in inputs], *constants)
    return float(np.sum(np.abs(y * np.asarray(upstream_grad, dtype=np.float64))))


def numerical_gradients(layer, inputs, constants=(), upstream_grad=None, params=None, h=1e-5):
    """{"x": ..., "W": ...}: central differences of L = sum(layer.forward(*inputs, *constants) * upstream_grad).

    The one gradient-check core: check_layer, checks.check_gradients and the grader all use it.
    Parameters are perturbed through setattr and restored, inputs are never changed.
    """
    params = tuple(getattr(layer, "param_names", ()) if params is None else params)
    inputs = [np.array(x, dtype=np.float64) for x in inputs]
    upstream_grad = np.asarray(upstream_grad, dtype=np.float64)

    def loss_with_input(i):
        return lambda value: np.sum(layer.forward(*inputs[:i], value, *inputs[i + 1:], *constants) * upstream_grad)

    def loss_with_param(name, saved):
        def L(value):
            setattr(layer, name, value)
            try:
                return np.sum(layer.forward(*inputs, *constants) * upstream_grad)
            finally:
                setattr(layer, name, saved)
        return L

    numeric = {name: numerical_gradient(loss_with_input(i), inputs[i].copy(), h)
               for i, name in enumerate(input_names(len(inputs)))}
    for p in params:
        saved = getattr(layer, p)
        numeric[p] = numerical_gradient(loss_with_param(p, saved), np.array(saved, dtype=np.float64), h)
    return numeric


def check_layer(layer, *inputs, constants=(), upstream_grad=None, h=1e-5, seed=0):
    """Relative error of layer.backward against numerical gradients, for every input and parameter.

    The layer's output y is turned into the scalar L = sum(y * upstream_grad), so that
    dL/dy = upstream_grad is what backward receives. `constants` are extra forward
    arguments that are not differentiated (the labels of SoftmaxWithLoss).
    Returns a dict such as {"x": 3e-11, "W": 2e-10, "b": 1e-11}.
    """
    inputs = [np.array(x, dtype=np.float64) for x in inputs]
    out = layer.forward(*inputs, *constants)
    if upstream_grad is None:
        upstream_grad = np.random.default_rng(seed).standard_normal(np.shape(out))
    upstream_given = np.array(upstream_grad, copy=True)
    analytic = {k: np.array(v) for k, v in analytic_gradients(layer, len(inputs), upstream_grad).items()}
    if not np.array_equal(upstream_grad, upstream_given):
        raise AssertionError(_("{layer}.backward modified its argument dout").format(layer=type(layer).__name__))
    numeric = numerical_gradients(layer, inputs, constants, upstream_given, h=h)
    return {name: rel_error(analytic[name], numeric[name]) for name in numeric}
