"""Hypothesis strategies, an independent numerical gradient and a float-trouble guard, shared by the tests.

Two kinds of data:
- `bounded_arrays`: values chosen by hypothesis itself (it likes 0, 1, repeated values, sign
  changes), for checks with an absolute tolerance;
- `random_arrays`: a seed chosen by hypothesis, values from numpy's generator, for relative-error
  checks (rel_error is only meaningful when no gradient entry is accidentally close to 0).
"""
import contextlib
import warnings

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

BOUND = 4.0  # magnitudes stay small, so rounding noise in a central difference stays below 1e-7
seeds = st.integers(0, 2**32 - 1)


def shapes(min_dims=1, max_dims=3, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def bounded_arrays(shape, bound=BOUND, away_from_zero=0.0):
    """float64 arrays with hypothesis-chosen entries in [-bound, bound], |x| >= away_from_zero."""
    if away_from_zero:
        magnitude = st.floats(away_from_zero, bound)
        elements = st.one_of(magnitude, magnitude.map(lambda v: -v))
    else:
        elements = st.floats(-bound, bound, allow_nan=False, allow_subnormal=False)
    return hnp.arrays(np.float64, shape, elements=elements)


def random_arrays(seed, *shapes_):
    """Uniform(-2, 2) float64 arrays of the given shapes, from one seed."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2, 2, size=shape) for shape in shapes_]


def upstream(seed, shape):
    """An upstream gradient with every entry in ±[0.5, 1.5]: no entry near 0, so relative errors mean something."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 1.5, size=shape)


def central_difference(f, x, h=1e-5):
    """d f / d x by central differences on fresh copies of x (independent of gradcheck.numerical_gradient)."""
    x = np.asarray(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = h
        grad.flat[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def assert_gradient_close(analytic, numeric, atol=1e-6):
    """Backward's gradient agrees with the numerical one (shapes too: a transposed dW must not pass)."""
    analytic = np.asarray(analytic)
    assert analytic.shape == numeric.shape, f"gradient of shape {analytic.shape}, expected {numeric.shape}"
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=atol)


@contextlib.contextmanager
def no_float_trouble():
    """Fail on overflow, 0/0, log(0) and any warning.

    Underflow is allowed: exp(-1e4) rounding to 0 is the correctly rounded result, not a mistake.
    """
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
