"""The library's forward and backward passes against PyTorch autograd, an implementation it did not write.

Needs torch (the `torch` fixture in conftest.py skips without it, but fails in CI).
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_lib.functions import cross_entropy_error, log_softmax, sigmoid, softmax
from backprop_lib.layers import Affine, MatMul, Relu, Sigmoid, SoftmaxWithLoss
from backprop_lib.network import TwoLayerNet
from backprop_lib.nodes import AddLayer, Branch, MulLayer, Repeat, Sum
from strategies import bounded_arrays, shapes

# numpy reports overflow, 0/0 and log(0) as RuntimeWarning: here they are failures
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

sides = st.integers(1, 4)


def leaf(torch, array):
    """A float64 tensor that autograd differentiates."""
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def assert_same(ours, theirs):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    assert np.shape(ours) == np.shape(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def same_shape_arrays(n):
    return shapes().flatmap(lambda s: st.tuples(*[bounded_arrays(s) for _ in range(n)]))


# ---------------------------------------------------------------- nodes

@given(same_shape_arrays(3))
def test_mul_and_add_nodes(torch, arrays):
    x, y, dout = arrays
    for node, op in [(MulLayer(), lambda a, b: a * b), (AddLayer(), lambda a, b: a + b)]:
        x_t, y_t = leaf(torch, x), leaf(torch, y)
        z_t = op(x_t, y_t)
        z_t.backward(torch.tensor(dout))
        assert_same(node.forward(x, y), z_t)
        dx, dy = node.backward(dout)
        assert_same(dx, x_t.grad)
        assert_same(dy, y_t.grad)


@given(st.data(), shapes(), st.integers(1, 3))
def test_repeat_node(torch, data, shape, repeats):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(bounded_arrays(shape))
    node = Repeat(axis, repeats)
    y = node.forward(x)
    x_t = leaf(torch, x)
    y_t = torch.repeat_interleave(x_t, repeats, dim=axis)
    assert_same(y, y_t)
    dout = data.draw(bounded_arrays(y.shape))
    y_t.backward(torch.tensor(dout))
    assert_same(node.backward(dout), x_t.grad)


@given(st.data(), shapes())
def test_sum_node(torch, data, shape):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(bounded_arrays(shape))
    node = Sum(axis)
    y = node.forward(x)
    x_t = leaf(torch, x)
    y_t = torch.sum(x_t, dim=axis, keepdim=True)
    assert_same(y, y_t)
    dout = data.draw(bounded_arrays(y.shape))
    y_t.backward(torch.tensor(dout))
    assert_same(node.backward(dout), x_t.grad)


@given(st.data(), shapes(), st.integers(1, 4))
def test_branch_node(torch, data, shape, n):
    x = data.draw(bounded_arrays(shape))
    douts = [data.draw(bounded_arrays(shape)) for _ in range(n)]
    node = Branch(n)
    node.forward(x)
    x_t = leaf(torch, x)
    sum(torch.sum(x_t * torch.tensor(d)) for d in douts).backward()  # x used by n later nodes
    assert_same(node.backward(*douts), x_t.grad)


# ---------------------------------------------------------------- layers

@given(st.data(), sides, sides, sides)
def test_matmul(torch, data, batch_size, d_in, d_out):
    x, W, dout = (data.draw(bounded_arrays(s)) for s in [(batch_size, d_in), (d_in, d_out), (batch_size, d_out)])
    layer = MatMul(W)
    x_t, W_t = leaf(torch, x), leaf(torch, W)
    y_t = x_t @ W_t
    y_t.backward(torch.tensor(dout))
    assert_same(layer.forward(x), y_t)
    assert_same(layer.backward(dout), x_t.grad)
    assert_same(layer.dW, W_t.grad)


@given(st.data(), shapes(min_dims=2, max_dims=4, max_side=3), sides)
def test_affine(torch, data, x_shape, d_out):
    d_in = math.prod(x_shape[1:])
    x, W, b, dout = (data.draw(bounded_arrays(s)) for s in [x_shape, (d_in, d_out), (d_out,), (x_shape[0], d_out)])
    layer = Affine(W, b)
    x_t, W_t, b_t = leaf(torch, x), leaf(torch, W), leaf(torch, b)
    y_t = x_t.reshape(x_shape[0], -1) @ W_t + b_t
    y_t.backward(torch.tensor(dout))
    assert_same(layer.forward(x), y_t)
    assert_same(layer.backward(dout), x_t.grad)
    assert_same(layer.dW, W_t.grad)
    assert_same(layer.db, b_t.grad)


@given(same_shape_arrays(2))
def test_relu_and_sigmoid(torch, arrays):
    # x may be exactly 0 here: both libraries take the ReLU's derivative at 0 to be 0
    x, dout = arrays
    for layer, op in [(Relu(), torch.relu), (Sigmoid(), torch.sigmoid)]:
        x_t = leaf(torch, x)
        y_t = op(x_t)
        y_t.backward(torch.tensor(dout))
        assert_same(layer.forward(x), y_t)
        assert_same(layer.backward(dout), x_t.grad)


@given(st.data(), sides, st.integers(2, 5), st.booleans(), st.floats(-3, 3))
def test_softmax_with_loss(torch, data, batch_size, num_classes, one_hot, dout):
    x = data.draw(bounded_arrays((batch_size, num_classes), bound=50.0))
    labels = np.array(data.draw(st.lists(st.integers(0, num_classes - 1), min_size=batch_size, max_size=batch_size)))
    t = np.eye(num_classes)[labels] if one_hot else labels
    layer = SoftmaxWithLoss()
    x_t = leaf(torch, x)
    # cross_entropy takes logits, and either class indices or class probabilities as the target
    target = torch.tensor(t) if one_hot else torch.tensor(labels)
    loss_t = torch.nn.functional.cross_entropy(x_t, target)
    (loss_t * dout).backward()
    assert_same(layer.forward(x, t), loss_t)
    assert_same(layer.backward(dout), x_t.grad)


# ---------------------------------------------------------------- functions, extreme inputs included

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(x=bounded_arrays(shapes(max_dims=2), bound=1e4))
def test_functions(torch, dtype, x):
    x = x.astype(dtype)
    x_t = torch.tensor(x)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for ours, theirs in [(sigmoid, torch.sigmoid), (softmax, lambda v: torch.softmax(v, dim=-1)),
                         (log_softmax, lambda v: torch.log_softmax(v, dim=-1))]:
        y = ours(x)
        assert y.dtype == dtype
        np.testing.assert_allclose(y, theirs(x_t).numpy(), rtol=rtol, atol=np.finfo(dtype).tiny)


@given(st.data(), sides, st.integers(2, 5))
def test_cross_entropy_error(torch, data, batch_size, num_classes):
    x = data.draw(bounded_arrays((batch_size, num_classes), bound=20.0))
    labels = np.array(data.draw(st.lists(st.integers(0, num_classes - 1), min_size=batch_size, max_size=batch_size)))
    expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(labels)).item()
    # from probabilities, the loss is only as exact as log(softmax) is: relative 1e-9 is plenty
    assert cross_entropy_error(softmax(x), labels) == pytest.approx(expected, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------- the whole network

@pytest.mark.parametrize("one_hot", [True, False])
def test_two_layer_net_gradient(torch, one_hot):
    rng = np.random.default_rng(0)
    net = TwoLayerNet(20, 16, 5, weight_init_std=0.5, seed=1)
    x = rng.uniform(0, 1, (8, 20))
    labels = rng.integers(0, 5, 8)
    t = np.eye(5)[labels] if one_hot else labels
    p = {key: leaf(torch, value) for key, value in net.params.items()}
    scores = torch.relu(torch.tensor(x) @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    loss_t = torch.nn.functional.cross_entropy(scores, torch.tensor(labels))
    loss_t.backward()
    assert_same(net.predict(x), scores)
    assert_same(net.loss(x, t), loss_t)
    grads = net.gradient(x, t)
    for key in net.params:
        assert_same(grads[key], p[key].grad)
