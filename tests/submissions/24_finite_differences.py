"""Exercise 24 with no backward at all: Affine.backward and Network.gradient by central differences,
which are never accumulated (so the bug is gone). The large cases come first in each class, and the
CPU or wall-clock limit stops the run there: nothing earned."""
import numpy as np

from backprop_lib.gradcheck import numerical_gradient
from backprop_lib.layers import Relu, SoftmaxWithLoss


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        x, W, b = self.x.copy(), self.W.copy(), self.b.copy()
        self.dW = numerical_gradient(lambda v: np.sum((x @ v + b) * dout), W.copy())
        self.db = numerical_gradient(lambda v: np.sum((x @ W + v) * dout), b.copy())
        return numerical_gradient(lambda v: np.sum((v @ W + b) * dout), x.copy())


class Network:
    def __init__(self, W1, b1, W2, b2):
        self.params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        self.layers = [Affine(W1, b1), Relu(), Affine(W2, b2)]
        self.last_layer = SoftmaxWithLoss()

    def loss(self, x, t):
        for layer in self.layers:
            x = layer.forward(x)
        return self.last_layer.forward(x, t)

    def gradient(self, x, t):
        return {k: numerical_gradient(lambda _: self.loss(x, t), p) for k, p in self.params.items()}
