"""Tests of backprop_lib.functions: stable sigmoid, softmax, log_softmax, cross_entropy_error."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_lib.functions import cross_entropy_error, labels_to_indices, log_softmax, sigmoid, softmax
from strategies import bounded_arrays, no_float_trouble, shapes

# numpy reports overflow, 0/0 and log(0) as RuntimeWarning: here they are failures
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

EXTREME = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])


# ---------------------------------------------------------------- sigmoid

@given(bounded_arrays(shapes(), bound=30.0))
def test_sigmoid_matches_the_definition(x):
    expected = np.array([1 / (1 + math.exp(-v)) for v in x.flat]).reshape(x.shape)
    np.testing.assert_allclose(sigmoid(x), expected, rtol=1e-12, atol=1e-300)


@given(bounded_arrays(shapes(), bound=1e4))
def test_sigmoid_symmetry_and_range(x):
    with no_float_trouble():
        y = sigmoid(x)
    np.testing.assert_allclose(sigmoid(-x), 1 - y, atol=1e-15)
    assert np.all((0 <= y) & (y <= 1))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_extreme_inputs(dtype):
    x = EXTREME.astype(dtype)
    with no_float_trouble():
        y = sigmoid(x)
    assert y.dtype == dtype
    expected = [0.0, 0.0, 1 / (1 + math.exp(50)), 0.5, 1 / (1 + math.exp(-50)), 1.0, 1.0]
    np.testing.assert_allclose(y, np.array(expected, dtype=dtype), rtol=1e-6, atol=0)
    assert y[2] > 0  # exp(-50) is tiny but representable, in float32 too: no early rounding to 0


# ---------------------------------------------------------------- softmax, log_softmax

@given(bounded_arrays(shapes(max_dims=2), bound=30.0))
def test_softmax_matches_the_definition(x):
    exp_x = np.exp(x)
    expected = exp_x / exp_x.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(softmax(x), expected, rtol=1e-12)
    np.testing.assert_allclose(log_softmax(x), np.log(expected), rtol=1e-10, atol=1e-12)


@given(bounded_arrays(shapes(max_dims=2), bound=1e4), st.floats(-1e3, 1e3))
def test_softmax_rows_sum_to_one_and_shift_does_not_matter(x, shift):
    with no_float_trouble():
        y = softmax(x)
        y_shifted = softmax(x + shift)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(y_shifted, y, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_extreme_inputs(dtype):
    x = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    with no_float_trouble():
        y, log_y = softmax(x), log_softmax(x)
    assert y.dtype == dtype and log_y.dtype == dtype
    np.testing.assert_array_equal(y, np.array([[1, 0, 0], [0.5, 0.5, 0], [1 / 3] * 3], dtype=dtype))
    # log-softmax stays exact and finite where log(softmax) would be log(0) = -inf
    expected_log = np.array([[0, -2e4, -1e4], [-math.log(2), -math.log(2), -2e4 - math.log(2)], [-math.log(3)] * 3])
    np.testing.assert_allclose(log_y, expected_log.astype(dtype), rtol=1e-6)


# ---------------------------------------------------------------- cross_entropy_error

NOTES_Y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])


@pytest.mark.parametrize("label, expected", [(2, -math.log(0.6)), (7, -math.log(0.1))])
def test_cross_entropy_error_notes_example(label, expected):
    one_hot = np.eye(10)[label]
    assert cross_entropy_error(NOTES_Y, one_hot) == pytest.approx(expected, rel=1e-12)
    assert cross_entropy_error(NOTES_Y, label) == pytest.approx(expected, rel=1e-12)


@given(st.data(), st.integers(1, 5), st.integers(2, 5))
def test_cross_entropy_one_hot_and_integer_labels_agree(data, batch_size, num_classes):
    y = softmax(data.draw(bounded_arrays((batch_size, num_classes))))
    labels = np.array(data.draw(st.lists(st.integers(0, num_classes - 1), min_size=batch_size, max_size=batch_size)))
    expected = -np.mean([math.log(y[i, labels[i]]) for i in range(batch_size)])
    assert cross_entropy_error(y, labels) == pytest.approx(expected, rel=1e-12)
    assert cross_entropy_error(y, np.eye(num_classes)[labels]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_never_takes_log_of_zero(dtype):
    y = np.array([[1.0, 0.0], [0.5, 0.5]], dtype=dtype)
    with no_float_trouble():
        loss = cross_entropy_error(y, np.array([1, 0]))
    assert np.isfinite(loss) and loss.dtype == dtype
    # the 0 is clipped to the smallest normal float: -log(tiny) is large but finite
    expected = (-math.log(np.finfo(dtype).tiny) - math.log(0.5)) / 2
    assert float(loss) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("t, message", [
    (np.array([0, 3]), r"labels must lie in 0..2; found 0..3"),
    (np.array([-1, 0]), r"labels must lie in 0..2; found -1..0"),
    (np.array([0.0, 1.0]), r"integers of shape \(N,\) or one-hot rows of shape \(N, 3\); found .*shape \(2,\) and dtype float64"),
    (np.zeros((2, 4)), r"one-hot rows of shape \(N, 3\); found an array of shape \(2, 4\)"),
    (np.array([0, 1, 2]), r"expected 2 labels, one per row of y; found 3"),
    (np.eye(3)[[0, 1, 2]], r"expected 2 labels, one per row of y; found 3"),
    (np.array([[0, 1, 0], [0, 0, 0]]), r"one-hot rows \(a single 1, zeros elsewhere\); found row 1 = \[0 0 0\]"),
    (np.array([[0.2, 0.8, 0.0], [0, 0, 1]]), r"one-hot rows .*found row 0 = \[0.2 0.8 0. \]"),
])
def test_cross_entropy_bad_labels_say_what_was_expected(t, message):
    y = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=message):
        cross_entropy_error(y, t)


def test_labels_to_indices():
    np.testing.assert_array_equal(labels_to_indices(np.eye(4)[[3, 0, 2]], 4), [3, 0, 2])
    np.testing.assert_array_equal(labels_to_indices(np.array([3, 0, 2]), 4), [3, 0, 2])
