"""Tests of backprop_lib.network.TwoLayerNet (chapter 8)."""
import re

import numpy as np
import pytest

import backprop_lib.network as network_module
from backprop_lib.gradcheck import numerical_gradient as real_numerical_gradient
from backprop_lib.network import TwoLayerNet

# numpy reports overflow, 0/0 and log(0) as RuntimeWarning: here they are failures
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

PARAMS = ("W1", "b1", "W2", "b2")


def _data(seed, batch_size, input_size, num_classes):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(batch_size, input_size))  # like normalized pixels
    labels = rng.integers(0, num_classes, size=batch_size)
    return x, labels


def test_gradient_check_784_50_10():
    """The notes' check: 3 samples, backprop against central differences, mean |difference| per parameter."""
    net = TwoLayerNet(784, 50, 10, seed=0)
    x, labels = _data(1, 3, 784, 10)
    t = np.eye(10)[labels]
    grad_numerical = net.numerical_gradient(x, t)
    grad_backprop = net.gradient(x, t)
    for key in PARAMS:
        diff = np.mean(np.abs(grad_backprop[key] - grad_numerical[key]))
        assert grad_backprop[key].shape == net.params[key].shape
        assert diff <= 1e-6, f"{key}: mean |backprop - numerical| = {diff:.3g}"
        # the gradients are small (weights ~0.01), so also demand agreement relative to their size
        assert diff <= 1e-5 * np.mean(np.abs(grad_numerical[key])), key


@pytest.fixture
def small_net():
    """A small net with large weights: gradients of order 0.1, so 'all zeros' cannot pass for correct."""
    return TwoLayerNet(4, 5, 3, weight_init_std=1.0, seed=2)


@pytest.mark.parametrize("one_hot", [True, False])
def test_numerical_gradient_agrees_with_backprop(small_net, one_hot):
    x, labels = _data(3, 6, 4, 3)
    t = np.eye(3)[labels] if one_hot else labels
    params_before = {key: value.copy() for key, value in small_net.params.items()}
    grad_numerical = small_net.numerical_gradient(x, t)
    grad_backprop = small_net.gradient(x, t)
    for key in PARAMS:
        assert np.mean(np.abs(grad_numerical[key])) > 1e-3, f"{key}: the check needs gradients that are not ~0"
        np.testing.assert_allclose(grad_backprop[key], grad_numerical[key], rtol=1e-6, atol=1e-8, err_msg=key)
        np.testing.assert_array_equal(small_net.params[key], params_before[key])  # numerical_gradient restored them


def test_numerical_gradient_differentiates_its_argument(small_net, monkeypatch):
    """The loss given to numerical_gradient must be a function of its argument.

    A closure that ignores its argument and relies on the perturbed array being the
    parameter itself (aliasing) gives the right numbers by accident, and changes the
    network's parameters while it runs; this test records each closure and calls it on fresh arrays.
    """
    calls = []

    def recording_numerical_gradient(f, x, *args, **kwargs):
        calls.append((f, x))
        return real_numerical_gradient(f, x, *args, **kwargs)

    monkeypatch.setattr(network_module, "numerical_gradient", recording_numerical_gradient)
    x, labels = _data(4, 5, 4, 3)
    small_net.numerical_gradient(x, labels)
    assert len(calls) == len(PARAMS), "TwoLayerNet.numerical_gradient should call gradcheck.numerical_gradient per parameter"

    rng = np.random.default_rng(5)
    for (loss_at, perturbed), key in zip(calls, PARAMS):
        assert not np.shares_memory(perturbed, small_net.params[key]), f"{key}: perturbs the parameter itself"
        value = small_net.params[key] + rng.standard_normal(small_net.params[key].shape)
        reference = TwoLayerNet(4, 5, 3)
        for name in PARAMS:
            reference.params[name][...] = value if name == key else small_net.params[name]
        assert loss_at(value.copy()) == pytest.approx(reference.loss(x, labels), rel=1e-12), key
        assert loss_at(small_net.params[key].copy()) == pytest.approx(small_net.loss(x, labels), rel=1e-12), key


@pytest.mark.parametrize("one_hot", [True, False])
def test_in_place_sgd_on_params_trains_the_layers(one_hot):
    rng = np.random.default_rng(0)
    # two separable blobs in 2-D
    x = np.concatenate([rng.normal(-1, 0.3, (20, 2)), rng.normal(1, 0.3, (20, 2))])
    labels = np.repeat([0, 1], 20)
    t = np.eye(2)[labels] if one_hot else labels
    net = TwoLayerNet(2, 8, 2, weight_init_std=0.5, seed=0)
    for key, (layer, attr) in {"W1": ("Affine1", "W"), "b1": ("Affine1", "b"),
                               "W2": ("Affine2", "W"), "b2": ("Affine2", "b")}.items():
        assert getattr(net.layers[layer], attr) is net.params[key]
    loss_before = net.loss(x, t)
    for _ in range(100):
        grads = net.gradient(x, t)
        for key in PARAMS:
            net.params[key] -= 0.5 * grads[key]  # in place: the layers hold these very arrays
    assert net.loss(x, t) < 0.2 * loss_before
    assert net.accuracy(x, t) == 1.0


def test_float32_network():
    net = TwoLayerNet(6, 4, 3, seed=0, dtype=np.float32)
    assert all(net.params[key].dtype == np.float32 for key in PARAMS)
    x, labels = _data(0, 5, 6, 3)
    x = x.astype(np.float32)
    assert net.predict(x).dtype == np.float32
    assert net.loss(x, labels).dtype == np.float32
    grads = net.gradient(x, labels)
    assert all(grads[key].dtype == np.float32 for key in PARAMS)


def test_seed_makes_the_weights_reproducible():
    a, b, c = TwoLayerNet(5, 4, 3, seed=7), TwoLayerNet(5, 4, 3, seed=7), TwoLayerNet(5, 4, 3, seed=8)
    for key in PARAMS:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    assert np.std(a.params["W1"]) == pytest.approx(0.01, rel=0.5)  # weight_init_std sets the scale
    np.testing.assert_array_equal(a.params["b1"], 0)


def test_accuracy_with_one_hot_and_integer_labels():
    net = TwoLayerNet(3, 3, 3)
    net.params["W1"][...] = np.eye(3)  # predict(x) = relu(x) for these weights: argmax is known
    net.params["W2"][...] = np.eye(3)
    x = np.array([[3.0, 1, 2], [0, 5, 1], [1, 2, 9], [7, 0, 0]])  # predicted classes 0, 1, 2, 0
    labels = np.array([0, 1, 0, 2])
    assert net.accuracy(x, labels) == 0.5
    assert net.accuracy(x, np.eye(3)[labels]) == 0.5


def test_wrong_input_shape_says_what_was_expected():
    net = TwoLayerNet(784, 50, 10, seed=0)
    with pytest.raises(ValueError, match=re.escape("expected a batch x of shape (N, 784)") + r".*found x of shape \(2, 783\)"):
        net.predict(np.zeros((2, 783)))
    with pytest.raises(ValueError, match=r"labels must lie in 0..9; found 0..10"):
        net.loss(np.zeros((2, 784)), np.array([0, 10]))


def test_loss_with_evaluates_a_replaced_parameter_and_restores_it(small_net):
    x, labels = _data(6, 4, 4, 3)
    before = {key: value.copy() for key, value in small_net.params.items()}
    value = np.zeros_like(small_net.params["b2"]) + 0.5
    reference = TwoLayerNet(4, 5, 3)
    for name in PARAMS:
        reference.params[name][...] = value if name == "b2" else small_net.params[name]
    assert small_net.loss_with("b2", value, x, labels) == pytest.approx(reference.loss(x, labels), rel=1e-12)
    for key in PARAMS:
        np.testing.assert_array_equal(small_net.params[key], before[key])
        assert getattr(small_net.layers[small_net._param_owner[key][0]], key[0]) is small_net.params[key]
