"""TwoLayerNet: Affine -> ReLU -> Affine -> SoftmaxWithLoss (chapter 8).

The layers sit in an ordered dict: predict walks it forwards, gradient walks it backwards.
"""
from collections import OrderedDict

import numpy as np

from .gradcheck import numerical_gradient
from .layers import Affine, Relu, SoftmaxWithLoss


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, seed=None,
                 dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.params = {
            "W1": (weight_init_std * rng.standard_normal((input_size, hidden_size))).astype(dtype),
            "b1": np.zeros(hidden_size, dtype=dtype),
            "W2": (weight_init_std * rng.standard_normal((hidden_size, output_size))).astype(dtype),
            "b2": np.zeros(output_size, dtype=dtype),
        }
        # The layers hold the same arrays as params, so an in-place update of params trains them.
        self.layers = OrderedDict()
        # x is the data: nothing needs its gradient, so Affine1 skips computing dx.
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"], input_grad=False)
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.last_layer = SoftmaxWithLoss()
        # which layer attribute each parameter is: "W1" -> (Affine1, "W")
        self._param_owner = {"W1": ("Affine1", "W"), "b1": ("Affine1", "b"),
                             "W2": ("Affine2", "W"), "b2": ("Affine2", "b")}

    def predict(self, x):
        """Scores (logits) for a batch x of shape (N, input_size)."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if np.ndim(t) != 1:
            t = np.argmax(t, axis=1)
        return float(np.mean(y == t))

    def gradient(self, x, t):
        """Gradients of the loss for every parameter, by backpropagation."""
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return {key: getattr(self.layers[name], "d" + attr)
                for key, (name, attr) in self._param_owner.items()}

    def numerical_gradient(self, x, t):
        """Gradients by central differences (chapter 8): slow, but shares no code with backward."""
        grads = {}
        for key in self.params:
            def loss_of(value, key=key):  # the loss as a function of this one parameter
                return self.loss_with(key, value, x, t)
            grads[key] = numerical_gradient(loss_of, self.params[key].copy())
        return grads

    def loss_with(self, key, value, x, t):
        """The loss with parameter `key` replaced by the array `value`; the network is left unchanged."""
        layer_name, attr = self._param_owner[key]
        layer = self.layers[layer_name]
        saved = getattr(layer, attr)
        setattr(layer, attr, value)  # the layer now computes with `value`...
        try:
            return self.loss(x, t)
        finally:
            setattr(layer, attr, saved)  # ...and gets its own parameter back, even if loss raised
