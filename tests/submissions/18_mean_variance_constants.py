"""Exercise 18 with mu and var treated as constants in the backward (dx = dout / sqrt(var + eps)): the
classic wrong derivation. Forward right; every backward test names the cause."""
import numpy as np


class LayerNorm:
    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x):
        mu = np.mean(x, axis=-1, keepdims=True)
        self.sigma = np.sqrt(np.mean((x - mu) ** 2, axis=-1, keepdims=True) + self.eps)
        return (x - mu) / self.sigma

    def backward(self, dout):
        return dout / self.sigma
