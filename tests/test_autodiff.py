"""Tests of backprop_lib.autodiff, the engine of chapter 10.

Its gradients are checked against three things it did not compute itself: the layers of
chapters 2-7 (and TwoLayerNet.gradient), central differences, and PyTorch's autograd.
"""
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_lib import AddLayer, MulLayer, Sum
from backprop_lib.autodiff import Tensor, topological_order, unbroadcast
from backprop_lib.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from backprop_lib.network import TwoLayerNet
from strategies import central_difference, random_arrays, seeds, shapes, upstream

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

sides = st.integers(1, 4)


def assert_same(ours, reference, rtol=1e-12):
    """Same shape and the same numbers (the engine and the layers run the same arithmetic)."""
    reference = reference.detach().numpy() if hasattr(reference, "detach") else np.asarray(reference)
    assert np.shape(ours) == np.shape(reference), f"shape {np.shape(ours)}, expected {np.shape(reference)}"
    np.testing.assert_allclose(ours, reference, rtol=rtol, atol=1e-14)


def labels_for(seed, batch_size, num_classes, one_hot):
    labels = np.random.default_rng(seed).integers(0, num_classes, batch_size)
    return np.eye(num_classes)[labels] if one_hot else labels


def away_from_kink(x):
    return np.where(np.abs(x) < 1e-3, 1e-3, x)


# ---------------------------------------------------------------- the chapters' worked numbers

def test_apple_example_gives_the_notes_gradients():
    apple, apple_num, tax = Tensor(100.0), Tensor(2.0), Tensor(1.1)
    price = apple * apple_num * tax
    price.backward()
    assert price.data == pytest.approx(220)
    assert (apple.grad, apple_num.grad, tax.grad) == pytest.approx((2.2, 110, 200))


def test_a_value_used_twice_gets_the_sum_of_its_gradients():
    x = Tensor(3.0)
    y = x * x + x  # dy/dx = 2x + 1: the three uses of x add up, as at a branch node (chapter 3)
    y.backward()
    assert x.grad == pytest.approx(7.0)


def test_chain_rule_example_of_chapter_2():
    x, y = Tensor(1.0), Tensor(2.0)
    t = x + y
    z = t * t
    z.backward()
    assert z.data == 9 and x.grad == 6 and y.grad == 6


# ---------------------------------------------------------------- against the layers of chapters 2-7

@given(seeds, shapes())
def test_mul_and_add_agree_with_the_nodes(seed, shape):
    x, y = random_arrays(seed, shape, shape)
    dout = upstream(seed, shape)
    for node, op in [(MulLayer(), lambda a, b: a * b), (AddLayer(), lambda a, b: a + b)]:
        x_t, y_t = Tensor(x), Tensor(y)
        z_t = op(x_t, y_t)
        z_t.backward(dout)
        assert_same(z_t.data, node.forward(x, y))
        dx, dy = node.backward(dout)
        assert_same(x_t.grad, dx)
        assert_same(y_t.grad, dy)


@given(seeds, shapes(min_dims=2, max_dims=3), st.data())
def test_sum_with_keepdims_agrees_with_the_sum_node(seed, shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    (x,) = random_arrays(seed, shape)
    node = Sum(axis)
    y = node.forward(x)
    dout = upstream(seed, y.shape)
    x_t = Tensor(x)
    y_t = x_t.sum(axis, keepdims=True)
    y_t.backward(dout)
    assert_same(y_t.data, y)
    assert_same(x_t.grad, node.backward(dout))


@given(seeds, sides, sides, sides)
def test_affine_is_matmul_plus_broadcast_bias(seed, batch_size, d_in, d_out):
    x, W, b = random_arrays(seed, (batch_size, d_in), (d_in, d_out), (d_out,))
    dout = upstream(seed, (batch_size, d_out))
    layer = Affine(W, b)
    y = layer.forward(x)
    dx = layer.backward(dout)
    x_t, W_t, b_t = Tensor(x), Tensor(W), Tensor(b)
    y_t = x_t @ W_t + b_t
    y_t.backward(dout)
    assert_same(y_t.data, y)
    assert_same(x_t.grad, dx)
    assert_same(W_t.grad, layer.dW)
    assert_same(b_t.grad, layer.db)  # the broadcast bias: its gradient is summed over the batch


@given(seeds, shapes(max_dims=3))
def test_relu_and_sigmoid_agree_with_the_layers(seed, shape):
    (x,) = random_arrays(seed, shape)
    x = away_from_kink(x)
    dout = upstream(seed, shape)
    for layer, op in [(Relu(), Tensor.relu), (Sigmoid(), Tensor.sigmoid)]:
        x_t = Tensor(x)
        y_t = op(x_t)
        y_t.backward(dout)
        assert_same(y_t.data, layer.forward(x))
        assert_same(x_t.grad, layer.backward(dout))


@given(seeds, sides, st.integers(2, 5), st.booleans())
def test_softmax_cross_entropy_agrees_with_softmax_with_loss(seed, batch_size, num_classes, one_hot):
    (x,) = random_arrays(seed, (batch_size, num_classes))
    t = labels_for(seed, batch_size, num_classes, one_hot)
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    x_t = Tensor(x)
    loss_t = x_t.softmax_cross_entropy(t)
    loss_t.backward()
    assert loss_t.data.shape == ()
    assert_same(loss_t.data, loss)
    assert_same(x_t.grad, layer.backward(1))


def engine_gradient(params, x, t):
    """TwoLayerNet's loss, written as one expression of the engine; returns (loss, grads)."""
    P = {key: Tensor(value, name=key) for key, value in params.items()}
    scores = (Tensor(x) @ P["W1"] + P["b1"]).relu() @ P["W2"] + P["b2"]
    loss = scores.softmax_cross_entropy(t)
    loss.backward()
    return loss.data, {key: tensor.grad for key, tensor in P.items()}


@given(seeds, sides, st.integers(1, 6), st.integers(1, 5), st.integers(2, 4), st.booleans())
def test_two_layer_net_gradient_agrees_with_the_layers(seed, batch_size, d_in, hidden, classes, one_hot):
    network = TwoLayerNet(d_in, hidden, classes, weight_init_std=0.5, seed=seed)
    network.params["b1"][...] = np.random.default_rng(seed).uniform(-0.5, 0.5, hidden)
    (x,) = random_arrays(seed + 1, (batch_size, d_in))
    t = labels_for(seed, batch_size, classes, one_hot)
    expected = network.gradient(x, t)
    loss, grads = engine_gradient(network.params, x, t)
    assert_same(loss, network.last_layer.loss)
    assert grads.keys() == expected.keys()
    for key in expected:
        assert_same(grads[key], expected[key])


# ---------------------------------------------------------------- against central differences

@given(seeds, sides, sides)
def test_a_composite_expression_agrees_with_central_differences(seed, rows, cols):
    x, W, c = random_arrays(seed, (rows, cols), (cols, cols), (1, cols))

    def f(x_value):
        x_t = Tensor(x_value)
        h = (x_t @ Tensor(W) - c).sigmoid() * x_t  # x is used twice: two paths add up
        return ((h - 0.5).relu() * h + h.sigmoid()).mean(axis=0).sum().data

    x_t = Tensor(x)
    h = (x_t @ Tensor(W) - c).sigmoid() * x_t
    loss = ((h - 0.5).relu() * h + h.sigmoid()).mean(axis=0).sum()
    loss.backward()
    assert loss.data == pytest.approx(f(x))
    np.testing.assert_allclose(x_t.grad, central_difference(f, x), rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- against PyTorch's autograd

def leaf(torch, array):
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


# (name, our operation, PyTorch's, input shapes): the second shape broadcasts against the first
BINARY = [
    ("add", lambda a, b: a + b, lambda a, b: a + b),
    ("sub", lambda a, b: a - b, lambda a, b: a - b),
    ("mul", lambda a, b: a * b, lambda a, b: a * b),
]
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 4), (3, 1)),
                    ((2, 3, 4), (3, 1)), ((3, 1), (1, 4)), ((4,), (3, 4)), ((3, 4), ()), ((), (2, 3))]


@pytest.mark.parametrize("shape_a, shape_b", BROADCAST_SHAPES)
@pytest.mark.parametrize("name, ours, theirs", BINARY, ids=[b[0] for b in BINARY])
def test_broadcasting_operations_agree_with_pytorch(torch, name, ours, theirs, shape_a, shape_b):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    dout = rng.standard_normal(np.broadcast_shapes(shape_a, shape_b))
    a_t, b_t = Tensor(a), Tensor(b)
    out = ours(a_t, b_t)
    out.backward(dout)
    a_torch, b_torch = leaf(torch, a), leaf(torch, b)
    out_torch = theirs(a_torch, b_torch)
    out_torch.backward(torch.tensor(dout))
    assert_same(out.data, out_torch)
    assert_same(a_t.grad, a_torch.grad)
    assert_same(b_t.grad, b_torch.grad)


UNARY = [
    ("relu", Tensor.relu, lambda torch, x: torch.relu(x)),
    ("sigmoid", Tensor.sigmoid, lambda torch, x: torch.sigmoid(x)),
    ("square plus x", lambda x: x * x + x, lambda torch, x: x * x + x),
    ("sum", lambda x: x.sum(), lambda torch, x: x.sum()),
    ("sum axis 0", lambda x: x.sum(0), lambda torch, x: x.sum(0)),
    ("sum axis -1 keepdims", lambda x: x.sum(-1, keepdims=True), lambda torch, x: x.sum(-1, keepdim=True)),
    ("mean", lambda x: x.mean(), lambda torch, x: x.mean()),
    ("mean axis 1", lambda x: x.mean(1), lambda torch, x: x.mean(1)),
    ("neg", lambda x: -x, lambda torch, x: -x),
    ("number minus x", lambda x: 1 - x, lambda torch, x: 1 - x),
]


@given(seeds, shapes(min_dims=2, max_dims=3))
@pytest.mark.parametrize("name, ours, theirs", UNARY, ids=[u[0] for u in UNARY])
def test_elementwise_and_reductions_agree_with_pytorch(torch, name, ours, theirs, seed, shape):
    (x,) = random_arrays(seed, shape)
    x = away_from_kink(x)
    x_t, x_torch = Tensor(x), leaf(torch, x)
    out, out_torch = ours(x_t), theirs(torch, x_torch)
    dout = upstream(seed, out.shape)
    out.backward(dout)
    out_torch.backward(torch.tensor(dout))
    assert_same(out.data, out_torch)
    assert_same(x_t.grad, x_torch.grad)


@given(seeds, sides, st.integers(1, 6), st.integers(1, 5), st.integers(2, 4))
def test_two_layer_net_gradient_agrees_with_pytorch(torch, seed, batch_size, d_in, hidden, classes):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.standard_normal((d_in, hidden)), "b1": rng.standard_normal(hidden),
              "W2": rng.standard_normal((hidden, classes)), "b2": rng.standard_normal(classes)}
    x = rng.standard_normal((batch_size, d_in))
    t = rng.integers(0, classes, batch_size)
    loss, grads = engine_gradient(params, x, t)
    P = {key: leaf(torch, value) for key, value in params.items()}
    scores = torch.relu(torch.tensor(x) @ P["W1"] + P["b1"]) @ P["W2"] + P["b2"]
    loss_torch = torch.nn.functional.cross_entropy(scores, torch.tensor(t))
    loss_torch.backward()
    assert_same(loss, loss_torch, rtol=1e-10)
    for key in params:
        assert_same(grads[key], P[key].grad, rtol=1e-9)


# ---------------------------------------------------------------- the backward walk

def test_topological_order_lists_every_tensor_after_its_parents():
    x, W = Tensor(np.ones((2, 3))), Tensor(np.ones((3, 3)))
    h = (x @ W).relu()
    loss = (h * h + h @ W).sum()  # h and W are both used twice
    order = topological_order(loss)
    assert order[-1] is loss
    assert len(order) == len(set(map(id, order))) == 8
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        assert all(position[id(parent)] < position[id(node)] for parent in node.parents)


def test_a_graph_deeper_than_the_recursion_limit_backpropagates():
    x = Tensor(1.0)
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.data == 5001.0


def test_backward_twice_gives_the_same_gradients_not_their_sum():
    x = Tensor([1.0, -2.0, 3.0])
    loss = (x * x).sum()
    loss.backward()
    first = x.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(x.grad, first)
    np.testing.assert_array_equal(first, [2.0, -4.0, 6.0])


def test_the_gradient_arrays_are_not_shared_with_the_callers_arrays():
    data, dout = np.ones((2, 2)), np.full((2, 2), 3.0)
    x = Tensor(data)
    y = x.relu()
    y.backward(dout)
    y.grad[...] = 0  # whatever the caller does to the gradients afterwards ...
    x.data[...] = 5
    np.testing.assert_array_equal(dout, 3.0)  # ... leaves its own arrays alone
    np.testing.assert_array_equal(data, 1.0)


@given(seeds, shapes(max_dims=3), st.data())
def test_unbroadcast_is_the_adjoint_of_broadcasting(seed, shape, data):
    """<unbroadcast(g, shape), v> = <g, broadcast(v)> for every v: the sum is the exact backward of a copy."""
    keep = data.draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    small = tuple(side if kept else 1 for side, kept in zip(shape, keep))
    small = small[data.draw(st.integers(0, len(small))):]  # maybe drop leading axes too
    g, v = random_arrays(seed, shape, small)
    reduced = unbroadcast(g, small)
    assert reduced.shape == small
    assert np.sum(reduced * v) == pytest.approx(np.sum(g * np.broadcast_to(v, shape)), rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------- errors say what was expected and found

@pytest.mark.parametrize("make, phrases", [
    (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3))),
     ["expected", "(N, D) @ (D, H)", "found (2, 3) @ (2, 3)"]),
    (lambda: Tensor(np.ones(3)) @ Tensor(np.ones((3, 2))), ["expected", "found (3,) @ (3, 2)"]),
    (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones(4)), ["expected shapes that broadcast", "found (2, 3) + (4,)"]),
    (lambda: Tensor(np.ones((2, 3))) * np.ones((3, 2)), ["expected shapes that broadcast", "found (2, 3) * (3, 2)"]),
    (lambda: Tensor(np.ones(3)).backward(), ["expected a scalar loss", "found a tensor of shape (3,)"]),
    (lambda: Tensor(np.ones(3)).backward(np.ones(2)), ["expected an upstream gradient of shape (3,)", "found (2,)"]),
    (lambda: Tensor(np.ones(3)).softmax_cross_entropy([0]), ["expected scores of shape (N, C)", "found (3,)"]),
    (lambda: Tensor(np.ones((2, 3))).softmax_cross_entropy(np.array([0, 1, 2])), ["expected 2 labels", "found 3"]),
])
def test_errors_say_what_was_expected_and_what_was_found(make, phrases):
    with pytest.raises(ValueError) as error:
        make()
    for phrase in phrases:
        assert phrase in str(error.value), f"{phrase!r} not in: {error.value}"


def test_repr_names_the_operation():
    x = Tensor(np.ones((2, 2)), name="x")
    assert repr(x) == "Tensor('x', shape=(2, 2), leaf)"
    assert re.fullmatch(r"Tensor\(shape=\(2, 2\), op='@'\)", repr(x @ x))
