"""Exercise 17 with gradient by finite differences: the 784-100-50-10 network comes first, and the CPU
limit stops it there: nothing earned."""
import numpy as np

from backprop_lib.gradcheck import numerical_gradient
from backprop_lib.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss


class MultiLayerNet:
    def __init__(self, sizes, activation="relu", seed=0, params=None):
        rng = np.random.default_rng(seed)
        self.params = params or {k: v for i in range(1, len(sizes)) for k, v in (
            (f"W{i}", rng.standard_normal((sizes[i - 1], sizes[i])) * np.sqrt(2 / sizes[i - 1])),
            (f"b{i}", np.zeros(sizes[i])))}
        self.layers = []
        for i in range(1, len(sizes)):
            self.layers.append(Affine(self.params[f"W{i}"], self.params[f"b{i}"]))
            if i < len(sizes) - 1:
                self.layers.append(Relu() if activation == "relu" else Sigmoid())
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def gradient(self, x, t):
        return {k: numerical_gradient(lambda _: self.loss(x, t), p) for k, p in self.params.items()}
