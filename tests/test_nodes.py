"""Tests of backprop_lib.nodes: MulLayer, AddLayer, Repeat, Sum, Branch (chapters 1-3)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_lib.gradcheck import check_layer
from backprop_lib.nodes import AddLayer, Branch, MulLayer, Repeat, Sum
from strategies import assert_gradient_close, bounded_arrays, central_difference, random_arrays, seeds, shapes, upstream

# numpy reports overflow, 0/0 and log(0) as RuntimeWarning: here they are failures
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

TOL = 1e-7  # every node is linear in each input: with h=1 central differences are exact up to rounding


# ---------------------------------------------------------------- the notes' worked numbers

def test_buying_apples():
    apple, apple_num, tax = 100, 2, 1.1
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(apple, apple_num), tax)
    assert price == pytest.approx(220)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert (dapple, dapple_num, dtax) == pytest.approx((2.2, 110, 200))


def test_buying_apples_and_oranges():
    apple, apple_num, orange, orange_num, tax = 100, 2, 150, 3, 1.1
    mul_apple, mul_orange, add_fruit, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    apple_price = mul_apple.forward(apple, apple_num)
    orange_price = mul_orange.forward(orange, orange_num)
    price = mul_tax.forward(add_fruit.forward(apple_price, orange_price), tax)
    assert price == pytest.approx(715)
    dall_price, dtax = mul_tax.backward(1)
    dapple_price, dorange_price = add_fruit.backward(dall_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    assert (dapple_num, dapple, dorange, dorange_num, dtax) == pytest.approx((110, 2.2, 3.3, 165, 650))


def test_add_node_passes_the_upstream_gradient():
    add = AddLayer()
    add.forward(10, 5)
    assert add.backward(1.3) == pytest.approx((1.3, 1.3))


def test_mul_node_swaps_its_inputs():
    mul = MulLayer()
    assert mul.forward(10, 5) == 50
    assert mul.backward(1.3) == pytest.approx((6.5, 13))


# ---------------------------------------------------------------- gradients, with check_layer

@given(seeds, shapes())
def test_mul_backward_check_layer(seed, shape):
    x, y = random_arrays(seed, shape, shape)
    errors = check_layer(MulLayer(), x, y, upstream_grad=upstream(seed, shape), h=1.0)
    assert errors.keys() == {"x", "y"} and max(errors.values()) < TOL


@given(seeds, shapes())
def test_add_backward_check_layer(seed, shape):
    x, y = random_arrays(seed, shape, shape)
    errors = check_layer(AddLayer(), x, y, upstream_grad=upstream(seed, shape), h=1.0)
    assert errors.keys() == {"x", "y"} and max(errors.values()) < TOL


@st.composite
def shape_and_axis(draw, max_dims=3):
    shape = draw(shapes(max_dims=max_dims))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return shape, axis


@given(seeds, shape_and_axis(), st.integers(1, 3))
def test_repeat_backward_check_layer(seed, shape_axis, repeats):
    shape, axis = shape_axis
    (x,) = random_arrays(seed, shape)
    errors = check_layer(Repeat(axis, repeats), x, h=1.0)
    assert max(errors.values()) < TOL


@given(seeds, shape_and_axis())
def test_sum_backward_check_layer(seed, shape_axis):
    shape, axis = shape_axis
    (x,) = random_arrays(seed, shape)
    errors = check_layer(Sum(axis), x, h=1.0)
    assert max(errors.values()) < TOL


# ---------------------------------------------------------------- gradients, independently

@given(shapes().flatmap(lambda s: st.tuples(bounded_arrays(s), bounded_arrays(s), bounded_arrays(s))))
def test_mul_backward_independent(arrays):
    x, y, dout = arrays
    mul = MulLayer()
    mul.forward(x, y)
    dx, dy = mul.backward(dout)
    assert_gradient_close(dx, central_difference(lambda v: np.sum(MulLayer().forward(v, y) * dout), x))
    assert_gradient_close(dy, central_difference(lambda v: np.sum(MulLayer().forward(x, v) * dout), y))


@given(shapes().flatmap(lambda s: st.tuples(bounded_arrays(s), bounded_arrays(s), bounded_arrays(s))))
def test_add_backward_independent(arrays):
    x, y, dout = arrays
    add = AddLayer()
    add.forward(x, y)
    dx, dy = add.backward(dout)
    assert_gradient_close(dx, central_difference(lambda v: np.sum((v + y) * dout), x))
    assert_gradient_close(dy, central_difference(lambda v: np.sum((x + v) * dout), y))


@given(st.data(), shape_and_axis(), st.integers(1, 3))
def test_repeat_backward_independent(data, shape_axis, repeats):
    shape, axis = shape_axis
    x = data.draw(bounded_arrays(shape))
    y = Repeat(axis, repeats).forward(x)
    np.testing.assert_array_equal(y, np.repeat(x, repeats, axis=axis))
    dout = data.draw(bounded_arrays(y.shape))
    node = Repeat(axis, repeats)
    node.forward(x)
    dx = node.backward(dout)
    assert_gradient_close(dx, central_difference(lambda v: np.sum(np.repeat(v, repeats, axis=axis) * dout), x))


@given(st.data(), shape_and_axis(), st.booleans())
def test_sum_backward_independent(data, shape_axis, drop_kept_axis):
    shape, axis = shape_axis
    x = data.draw(bounded_arrays(shape))
    node = Sum(axis)
    y = node.forward(x)
    np.testing.assert_allclose(y, np.sum(x, axis=axis, keepdims=True))
    dout = data.draw(bounded_arrays(y.shape))
    # backward accepts dout with or without the kept axis of size 1
    dx = node.backward(np.squeeze(dout, axis=axis) if drop_kept_axis else dout)
    assert_gradient_close(dx, central_difference(lambda v: np.sum(np.sum(v, axis=axis, keepdims=True) * dout), x))


@given(st.data(), shapes())
def test_sum_of_everything(data, shape):
    x = data.draw(bounded_arrays(shape))
    node = Sum(axis=None)
    np.testing.assert_allclose(node.forward(x), np.full((1,) * len(shape), np.sum(x)))
    dx = node.backward(np.float64(1.5))  # a scalar upstream gradient, as for a loss
    np.testing.assert_array_equal(dx, np.full(shape, 1.5))


@given(st.data(), shapes(), st.integers(1, 4))
def test_branch_backward_independent(data, shape, n):
    x = data.draw(bounded_arrays(shape))
    douts = [data.draw(bounded_arrays(shape)) for _ in range(n)]
    node = Branch(n)
    copies = node.forward(x)
    assert len(copies) == n and all(np.array_equal(c, x) for c in copies)
    dx = node.backward(*douts)
    # L = sum_k sum(copy_k * dout_k): x reaches the loss along n paths
    assert_gradient_close(dx, central_difference(lambda v: sum(np.sum(c * d) for c, d in zip(Branch(n).forward(v), douts)), x))


def test_branch_backward_needs_one_gradient_per_copy():
    node = Branch(3)
    node.forward(np.ones(2))
    with pytest.raises(ValueError, match="expected 3 upstream gradients, found 2"):
        node.backward(np.ones(2), np.ones(2))


# ---------------------------------------------------------------- no node changes its arguments

def _frozen(*arrays):
    """Read-only copies: any in-place write into them raises ValueError."""
    frozen = [np.array(a, dtype=np.float64) for a in arrays]
    for a in frozen:
        a.flags.writeable = False
    return frozen


@given(seeds, shape_and_axis())
def test_no_node_modifies_its_arguments(seed, shape_axis):
    shape, axis = shape_axis
    x, y = _frozen(*random_arrays(seed, shape, shape))
    dout = _frozen(*random_arrays(seed + 1, shape))[0]
    for node, inputs in [(MulLayer(), (x, y)), (AddLayer(), (x, y)), (Branch(2), (x,))]:
        node.forward(*inputs)
        node.backward(*((dout, dout) if isinstance(node, Branch) else (dout,)))
    repeat = Repeat(axis, 2)
    repeat.backward(*_frozen(np.ones_like(repeat.forward(x))))
    total = Sum(axis)
    total.backward(*_frozen(np.ones_like(total.forward(x))))


def test_backward_results_are_not_views_of_dout():
    """Changing one returned gradient must not change dout or the other gradient."""
    dout = np.array([1.0, 2.0])
    add = AddLayer()
    add.forward(np.zeros(2), np.zeros(2))
    dx, dy = add.backward(dout)
    dx[0] = 99.0
    dy[1] = 99.0
    np.testing.assert_array_equal(dout, [1.0, 2.0])
    assert dy[0] == 1.0 and dx[1] == 2.0
    branch = Branch(1)
    branch.forward(np.zeros(2))
    branch.backward(dout)[0] = 99.0
    assert dout[0] == 1.0
