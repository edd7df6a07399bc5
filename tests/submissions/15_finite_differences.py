"""Exercise 15 fixed by finite differences: dW and db estimated numerically instead of finding the bug.
The large layer comes first, and the CPU limit stops it there: nothing earned."""
import numpy as np

from backprop_lib.gradcheck import numerical_gradient


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = numerical_gradient(lambda W: np.sum((self.x @ W + self.b) * dout), np.array(self.W, dtype=float))
        self.db = numerical_gradient(lambda b: np.sum((self.x @ self.W + b) * dout), np.array(self.b, dtype=float))
        return dout @ self.W.T
