"""Exercise 20 with the gradient copied to every entry of its window (the sum node's rule, not the max's).
Forward right (eight tests); every backward test names the cause, and the large case gates the rest."""
import numpy as np


class MaxPool:
    def __init__(self, k):
        self.k = k

    def forward(self, x):
        return np.max(x.reshape(*x.shape[:-1], x.shape[-1] // self.k, self.k), axis=-1)

    def backward(self, dout):
        return np.repeat(dout, self.k, axis=-1)
