"""Tests of backprop_lib.layers: MatMul, Affine, Relu, Sigmoid, SoftmaxWithLoss (chapters 4-7)."""
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_lib.functions import softmax
from backprop_lib.gradcheck import check_layer
from backprop_lib.layers import Affine, MatMul, Relu, Sigmoid, SoftmaxWithLoss
from strategies import (assert_gradient_close, bounded_arrays, central_difference, no_float_trouble, random_arrays,
                        seeds, shapes, upstream)

# numpy reports overflow, 0/0 and log(0) as RuntimeWarning: here they are failures
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

TOL = 1e-7
sides = st.integers(1, 4)


def _labels(seed, batch_size, num_classes, one_hot):
    labels = np.random.default_rng(seed).integers(0, num_classes, size=batch_size)
    return np.eye(num_classes)[labels] if one_hot else labels


# ---------------------------------------------------------------- the notes' worked numbers

def test_bias_gradient_sums_over_the_batch():
    affine = Affine(np.ones((2, 3)), np.zeros(3))
    affine.forward(np.ones((2, 2)))
    affine.backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    np.testing.assert_array_equal(affine.db, [5, 7, 9])


@pytest.mark.parametrize("y, label, grad", [
    ((0.3, 0.2, 0.5), 1, (0.3, -0.8, 0.5)),
    ((0.01, 0.99, 0.0), 1, (0.01, -0.01, 0.0)),
])
@pytest.mark.parametrize("zero_logit", [-1e4, -np.inf])
@pytest.mark.parametrize("one_hot", [True, False])
def test_softmax_with_loss_gradient_is_y_minus_t(y, label, grad, zero_logit, one_hot):
    # logits log(y), with log(0) replaced by a logit whose softmax is exactly 0
    x = np.array([[math.log(p) if p > 0 else zero_logit for p in y]])
    t = np.eye(3)[[label]] if one_hot else np.array([label])
    layer = SoftmaxWithLoss()
    with no_float_trouble():
        loss = layer.forward(x, t)
        dx = layer.backward(1)
    assert loss == pytest.approx(-math.log(y[label]))
    np.testing.assert_allclose(dx, [grad], atol=1e-12)


# ---------------------------------------------------------------- gradients, with check_layer

@given(seeds, sides, sides, sides)
def test_matmul_backward_check_layer(seed, batch_size, d_in, d_out):
    x, W = random_arrays(seed, (batch_size, d_in), (d_in, d_out))
    errors = check_layer(MatMul(W), x, upstream_grad=upstream(seed, (batch_size, d_out)), h=1.0)
    assert errors.keys() == {"x", "W"} and max(errors.values()) < TOL


@given(seeds, shapes(min_dims=2, max_dims=4, max_side=3), sides)
def test_affine_backward_check_layer(seed, x_shape, d_out):
    d_in = math.prod(x_shape[1:])  # an N-d input (N, d1, d2, ...) is flattened to (N, d1*d2*...)
    x, W, b = random_arrays(seed, x_shape, (d_in, d_out), (d_out,))
    errors = check_layer(Affine(W, b), x, upstream_grad=upstream(seed, (x_shape[0], d_out)), h=1.0)
    assert errors.keys() == {"x", "W", "b"} and max(errors.values()) < TOL


@given(seeds, shapes(max_dims=3))
def test_relu_backward_check_layer(seed, shape):
    (x,) = random_arrays(seed, shape)
    x = np.where(np.abs(x) < 1e-3, 1e-3, x)  # away from the kink at 0, where the derivative jumps
    errors = check_layer(Relu(), x, upstream_grad=upstream(seed, shape))
    assert max(errors.values()) < 1e-6


@given(seeds, shapes(max_dims=3))
def test_sigmoid_backward_check_layer(seed, shape):
    (x,) = random_arrays(seed, shape)
    errors = check_layer(Sigmoid(), 2 * x, upstream_grad=upstream(seed, shape))
    assert max(errors.values()) < 1e-6


@given(seeds, sides, st.integers(2, 5), st.booleans())
def test_softmax_with_loss_backward_check_layer(seed, batch_size, num_classes, one_hot):
    (x,) = random_arrays(seed, (batch_size, num_classes))
    t = _labels(seed, batch_size, num_classes, one_hot)
    errors = check_layer(SoftmaxWithLoss(), x, constants=(t,))
    assert errors.keys() == {"x"} and errors["x"] < 1e-6


# ---------------------------------------------------------------- gradients, independently

def _loss(layer_forward, dout):
    return lambda v: np.sum(layer_forward(v) * dout)


@given(st.data(), sides, sides, sides)
def test_matmul_backward_independent(data, batch_size, d_in, d_out):
    x = data.draw(bounded_arrays((batch_size, d_in)))
    W = data.draw(bounded_arrays((d_in, d_out)))
    dout = data.draw(bounded_arrays((batch_size, d_out)))
    layer = MatMul(W)
    np.testing.assert_allclose(layer.forward(x), x @ W)
    dx = layer.backward(dout)
    assert_gradient_close(dx, central_difference(_loss(lambda v: MatMul(W).forward(v), dout), x))
    assert_gradient_close(layer.dW, central_difference(_loss(lambda v: MatMul(v).forward(x), dout), W))


@given(st.data(), shapes(min_dims=2, max_dims=4, max_side=3), sides)
def test_affine_backward_independent(data, x_shape, d_out):
    d_in = math.prod(x_shape[1:])
    x = data.draw(bounded_arrays(x_shape))
    W = data.draw(bounded_arrays((d_in, d_out)))
    b = data.draw(bounded_arrays((d_out,)))
    dout = data.draw(bounded_arrays((x_shape[0], d_out)))
    layer = Affine(W, b)
    np.testing.assert_allclose(layer.forward(x), x.reshape(x_shape[0], -1) @ W + b)
    dx = layer.backward(dout)
    assert dx.shape == x_shape
    assert_gradient_close(dx, central_difference(_loss(lambda v: Affine(W, b).forward(v), dout), x))
    assert_gradient_close(layer.dW, central_difference(_loss(lambda v: Affine(v, b).forward(x), dout), W))
    assert_gradient_close(layer.db, central_difference(_loss(lambda v: Affine(W, v).forward(x), dout), b))


@given(shapes().flatmap(lambda s: st.tuples(bounded_arrays(s, away_from_zero=1e-3), bounded_arrays(s))))
def test_relu_backward_independent(arrays):
    x, dout = arrays
    layer = Relu()
    np.testing.assert_array_equal(layer.forward(x), np.maximum(x, 0))
    dx = layer.backward(dout)
    assert_gradient_close(dx, central_difference(_loss(lambda v: Relu().forward(v), dout), x, h=1e-4))


@given(shapes().flatmap(lambda s: st.tuples(bounded_arrays(s), bounded_arrays(s))))
def test_sigmoid_backward_independent(arrays):
    x, dout = arrays
    layer = Sigmoid()
    layer.forward(x)
    dx = layer.backward(dout)
    assert_gradient_close(dx, central_difference(_loss(lambda v: Sigmoid().forward(v), dout), x))


@given(st.data(), sides, st.integers(2, 5), st.booleans(), st.floats(-3, 3))
def test_softmax_with_loss_backward_independent(data, batch_size, num_classes, one_hot, dout):
    x = data.draw(bounded_arrays((batch_size, num_classes)))
    labels = np.array(data.draw(st.lists(st.integers(0, num_classes - 1), min_size=batch_size, max_size=batch_size)))
    t = np.eye(num_classes)[labels] if one_hot else labels
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    y = softmax(x)
    assert loss == pytest.approx(-np.mean(np.log(y[np.arange(batch_size), labels])), rel=1e-10)
    dx = layer.backward(dout)
    assert_gradient_close(dx, central_difference(lambda v: SoftmaxWithLoss().forward(v, t) * dout, x))


@given(seeds, sides, sides, sides)
def test_affine_without_input_grad_has_the_same_parameter_gradients(seed, batch_size, d_in, d_out):
    x, W, b, dout = random_arrays(seed, (batch_size, d_in), (d_in, d_out), (d_out,), (batch_size, d_out))
    full, first_layer = Affine(W, b), Affine(W, b, input_grad=False)
    np.testing.assert_array_equal(first_layer.forward(x), full.forward(x))
    full.backward(dout)
    assert first_layer.backward(dout) is None  # dx of the data is not needed, so it is not computed
    np.testing.assert_array_equal(first_layer.dW, full.dW)
    np.testing.assert_array_equal(first_layer.db, full.db)


def test_softmax_with_loss_single_sample():
    x = np.array([0.5, -1.0, 2.0])
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, 2)
    assert loss == pytest.approx(-math.log(softmax(x)[2]))
    dx = layer.backward(1)
    assert dx.shape == (3,)
    np.testing.assert_allclose(dx, softmax(x) - np.eye(3)[2])


# ---------------------------------------------------------------- no layer changes its arguments

def _frozen(*arrays):
    """Read-only copies: any in-place write into them raises ValueError."""
    frozen = [np.array(a, dtype=np.float64) for a in arrays]
    for a in frozen:
        a.flags.writeable = False
    return frozen


@given(seeds, sides, sides, sides)
def test_no_layer_modifies_its_arguments(seed, batch_size, d_in, d_out):
    x, W, b, dout_in, dout_out = _frozen(*random_arrays(
        seed, (batch_size, d_in), (d_in, d_out), (d_out,), (batch_size, d_in), (batch_size, d_out)))
    t = _frozen(_labels(seed, batch_size, d_in, one_hot=True))[0]
    for layer, dout in [(MatMul(W), dout_out), (Affine(W, b), dout_out), (Relu(), dout_in), (Sigmoid(), dout_in)]:
        layer.forward(x)
        layer.backward(dout)
    loss_layer = SoftmaxWithLoss()
    loss_layer.forward(x, t)
    loss_layer.backward(np.float64(1.0))


def test_relu_backward_leaves_dout_alone():
    """The notes' Relu.backward runs `dout[self.mask] = 0`, zeroing the caller's gradient."""
    layer = Relu()
    layer.forward(np.array([[1.0, -2.0], [-3.0, 4.0]]))
    dout = np.array([[5.0, 6.0], [7.0, 8.0]])
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dx, [[5.0, 0.0], [0.0, 8.0]])
    np.testing.assert_array_equal(dout, [[5.0, 6.0], [7.0, 8.0]])
    dx[0, 0] = 99.0
    assert dout[0, 0] == 5.0  # dx is a new array, not a view of dout


# ---------------------------------------------------------------- stability and dtype

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_with_loss_extreme_logits(dtype):
    x = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    t = np.array([0, 1, 2])
    layer = SoftmaxWithLoss()
    with no_float_trouble():
        loss = layer.forward(x, t)
        dx = layer.backward(1)
    # row losses: 0, 2e4 (exact: softmax of the label is exp(-2e4), far below the smallest float), log 3
    assert loss.dtype == dtype and dx.dtype == dtype
    assert float(loss) == pytest.approx((0 + 2e4 + math.log(3)) / 3, rel=1e-6)
    expected_dx = np.array([[0, 0, 0], [1, -1, 0], [1 / 3, 1 / 3, -2 / 3]]) / 3
    np.testing.assert_allclose(dx, expected_dx.astype(dtype), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_layer_extreme_inputs(dtype):
    layer = Sigmoid()
    with no_float_trouble():
        y = layer.forward(np.array([-1e4, 0.0, 1e4], dtype=dtype))
        dx = layer.backward(np.ones(3, dtype=dtype))
    assert y.dtype == dtype and dx.dtype == dtype
    np.testing.assert_array_equal(y, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(dx, [0.0, 0.25, 0.0])


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    W = rng.standard_normal((3, 2)).astype(np.float32)
    b = np.zeros(2, dtype=np.float32)
    dout = np.ones((4, 2), dtype=np.float32)
    for layer in (MatMul(W), Affine(W, b)):
        assert layer.forward(x).dtype == np.float32
        assert layer.backward(dout).dtype == np.float32 and layer.dW.dtype == np.float32
    relu = Relu()
    assert relu.forward(x).dtype == np.float32 and relu.backward(x).dtype == np.float32


# ---------------------------------------------------------------- errors a learner can cause

def re_shape(shape):
    """The shape as the message prints it, escaped for a regular expression."""
    return re.escape(str(tuple(shape)))


@pytest.mark.parametrize("x_shape", [(2, 4), (3,), (2, 4, 3)])  # 1-D and 3-D x used to pass forward
def test_matmul_wrong_shape_says_what_was_expected(x_shape):
    with pytest.raises(ValueError, match=rf"MatMul expected .*\(N, 3\).*found x of shape {re_shape(x_shape)}"):
        MatMul(np.ones((3, 5))).forward(np.ones(x_shape))


@pytest.mark.parametrize("x_shape", [(2, 4), (784,), (2, 28, 27)])
def test_affine_wrong_shape_reports_the_shape_given(x_shape):
    W = np.ones((784 if len(x_shape) != 2 else 3, 5))
    with pytest.raises(ValueError, match=rf"Affine expected .*\(N, {W.shape[0]}\).*found x of shape {re_shape(x_shape)}"):
        Affine(W, np.zeros(5)).forward(np.ones(x_shape))


@pytest.mark.parametrize("t, message", [
    (np.array([0, 5]), r"labels must lie in 0..2; found 0..5"),
    (np.array([0.0, 1.0]), r"found an array of shape \(2,\) and dtype float64"),
    (np.array([0, 1, 2]), r"expected 2 labels, one per row of x; found 3"),
    (np.zeros((2, 4)), r"one-hot rows of shape \(N, 3\); found an array of shape \(2, 4\)"),
    (np.array([[0, 1, 0], [0, 0, 0]]), r"expected one-hot rows \(a single 1, zeros elsewhere\); found row 1 = \[0 0 0\]"),
])
def test_softmax_with_loss_bad_labels(t, message):
    with pytest.raises(ValueError, match=message):
        SoftmaxWithLoss().forward(np.zeros((2, 3)), t)
