"""Tests of backprop_lib.gradcheck: numerical_gradient, rel_error, check_layer (chapter 8)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_lib import Affine, MatMul, MulLayer, SoftmaxWithLoss
from backprop_lib.gradcheck import check_layer, numerical_gradient, rel_error
from strategies import bounded_arrays, seeds, shapes


# ---------------------------------------------------------------- numerical_gradient

@given(bounded_arrays(shapes(max_dims=3)))
def test_numerical_gradient_of_known_function(x):
    # f(x) = sum(x^3) has gradient 3 x^2; central differences are exact up to h^2 = 1e-10 here.
    grad = numerical_gradient(lambda v: np.sum(v ** 3), x.copy())
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-6, atol=1e-6)


def test_numerical_gradient_of_a_0d_array():
    assert numerical_gradient(lambda v: float(v) ** 2, np.array(3.0)) == pytest.approx(6.0)


@given(bounded_arrays(shapes()))
def test_numerical_gradient_leaves_x_unchanged(x):
    x_given = x.copy()
    numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, x_given)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 4:  # the second entry, perturbed by +h
            raise RuntimeError("boom")
        return np.sum(v)

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert calls[3][1] != 2.0  # f really saw the perturbed value, so restoring mattered


@pytest.mark.parametrize("x, found", [
    (np.array([1, 2, 3]), "int64"),
    ([1.0, 2.0], "list"),
])
def test_numerical_gradient_rejects_what_it_cannot_perturb(x, found):
    with pytest.raises(TypeError, match=f"float array.*{found}"):
        numerical_gradient(np.sum, x)


# ---------------------------------------------------------------- rel_error

@pytest.mark.parametrize("a, b, expected", [
    ([1.0], [1.0], 0.0),
    ([1.0], [3.0], 0.5),                # |1-3| / (1+3)
    ([1.0, -2.0], [1.0, 2.0], 1.0),     # opposite signs: the largest possible error
    ([0.0], [1e-9], 0.1),               # the floor 1e-8 replaces the tiny |a|+|b|
    ([0.0, 0.0], [0.0, 0.0], 0.0),
])
def test_rel_error_convention(a, b, expected):
    assert rel_error(np.array(a), np.array(b)) == pytest.approx(expected)


@given(bounded_arrays((3, 2)), bounded_arrays((3, 2)))
def test_rel_error_is_symmetric_and_bounded(a, b):
    assert rel_error(a, b) == rel_error(b, a)
    assert 0.0 <= rel_error(a, b) <= 1.0


def test_rel_error_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"same shape.*\(2, 3\).*\(3, 2\)"):
        rel_error(np.zeros((2, 3)), np.zeros((3, 2)))


# ---------------------------------------------------------------- check_layer

@given(seeds)
def test_check_layer_accepts_a_correct_layer(seed):
    rng = np.random.default_rng(seed)
    layer = Affine(rng.standard_normal((3, 2)), rng.standard_normal(2))
    errors = check_layer(layer, rng.standard_normal((4, 3)), h=1.0)  # linear in each input: any h is exact
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < 1e-7


class WrongDx(MatMul):
    """dx twice too large: 2 dout W^T."""

    def backward(self, dout):
        return 2 * super().backward(dout)


class WrongDW(MatMul):
    """dW forgets the x^T factor's batch: only the first row of x counts."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = np.outer(self.x[0], dout[0])
        return dx


class MutatesDout(MatMul):
    """The notes' Relu pitfall, in another layer: backward scribbles on dout."""

    def backward(self, dout):
        dx = super().backward(dout)
        dout[...] = 0
        return dx


@given(seeds)
def test_check_layer_detects_a_wrong_dx(seed):
    rng = np.random.default_rng(seed)
    errors = check_layer(WrongDx(rng.standard_normal((3, 2))), rng.standard_normal((2, 3)))
    assert errors["x"] > 0.3   # 2a against a: |a| / 3|a|
    assert errors["W"] < 1e-6  # and it does not blame the right gradient


@given(seeds)
def test_check_layer_detects_a_wrong_dW(seed):
    rng = np.random.default_rng(seed)
    errors = check_layer(WrongDW(rng.standard_normal((3, 2))), rng.standard_normal((4, 3)))
    assert errors["W"] > 1e-2
    assert errors["x"] < 1e-6


def test_check_layer_detects_a_backward_that_modifies_dout():
    with pytest.raises(AssertionError, match="MutatesDout.backward modified its argument dout"):
        check_layer(MutatesDout(np.ones((3, 2))), np.ones((2, 3)))


def test_check_layer_uses_the_given_upstream_grad_and_leaves_it_alone():
    upstream_grad = np.array([[1.0, -2.0]])
    given_copy = upstream_grad.copy()

    class Recording(MatMul):
        def backward(self, dout):
            self.seen = np.array(dout, copy=True)
            return super().backward(dout)

    layer = Recording(np.ones((3, 2)))
    check_layer(layer, np.ones((1, 3)), upstream_grad=upstream_grad)
    np.testing.assert_array_equal(layer.seen, given_copy)
    np.testing.assert_array_equal(upstream_grad, given_copy)


def test_check_layer_two_inputs_and_constants():
    errors = check_layer(MulLayer(), np.array([1.0, 2.0]), np.array([3.0, -4.0]))
    assert set(errors) == {"x", "y"} and max(errors.values()) < 1e-8
    # labels are a constant: they get no entry, and they are passed through to forward
    errors = check_layer(SoftmaxWithLoss(), np.array([[0.1, 0.5, -0.3]]), constants=(np.array([2]),))
    assert set(errors) == {"x"} and errors["x"] < 1e-7


@given(st.integers(1, 4))
def test_check_layer_does_not_change_the_inputs(n):
    x = np.arange(3.0 * n).reshape(n, 3)
    W = np.ones((3, 2))
    x_given, W_given = x.copy(), W.copy()
    layer = MatMul(W)
    check_layer(layer, x)
    np.testing.assert_array_equal(x, x_given)
    np.testing.assert_array_equal(layer.W, W_given)


# ---------------------------------------------------------------- one core, three users

class ThreeInputs:
    """f = x * y + z * W, a layer with three inputs and a parameter (W), with a right backward."""

    param_names = ("W",)

    def __init__(self, W):
        self.W = W

    def forward(self, x, y, z):
        self.x, self.y, self.z = x, y, z
        return x * y + z * self.W

    def backward(self, dout):
        self.dW = dout * self.z
        return dout * self.y, dout * self.x, dout * self.W


class WrongDz(ThreeInputs):
    def backward(self, dout):
        dx, dy, dz = super().backward(dout)
        return dx, dy, 2 * dz


def test_check_layer_check_gradients_and_the_grader_agree_on_three_inputs(capsys):
    from backprop_lib.checks import check_gradients
    from backprop_lib.gradcheck import analytic_gradients, numerical_gradients
    rng = np.random.default_rng(3)
    x, y, z, W = (rng.standard_normal((4, 3)) for _ in range(4))
    errors = check_layer(ThreeInputs(W), x, y, z)
    assert set(errors) == {"x", "y", "z", "W"} and max(errors.values()) < 1e-8
    check_gradients(ThreeInputs(W), x, y, z)  # raises if any of dx, dy, dz, dW disagrees
    assert "dx, dy, dz, dW" in capsys.readouterr().out
    layer, dout = ThreeInputs(W), rng.standard_normal((4, 3))  # the grader's reference: the same core
    layer.forward(x, y, z)
    analytic = analytic_gradients(layer, 3, dout)
    numeric = numerical_gradients(ThreeInputs(W), [x, y, z], (), dout)
    assert all(rel_error(analytic[k], numeric[k]) < 1e-8 for k in ("x", "y", "z", "W"))
    assert check_layer(WrongDz(W), x, y, z)["z"] > 0.1
    with pytest.raises(AssertionError, match="dz"):
        check_gradients(WrongDz(W), x, y, z)
