"""Exercise 18 by finite differences: numerical_gradient of sum(forward(x) * dout) for dx. The forward is
right (the seven forward tests); the large case (64 rows of 4,096) stops it."""
import numpy as np

from backprop_lib.gradcheck import numerical_gradient


class LayerNorm:
    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x):
        self.x = np.array(x, dtype=np.float64)
        mu = np.mean(x, axis=-1, keepdims=True)
        return (x - mu) / np.sqrt(np.mean((x - mu) ** 2, axis=-1, keepdims=True) + self.eps)

    def backward(self, dout):
        return numerical_gradient(lambda v: np.sum(self.forward(v) * dout), self.x.copy())
