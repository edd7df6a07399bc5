"""Exercise 23 with the sigmoid node left out of dg: the copies' gradients are added up over the batch and
given g's shape, but never multiplied by the sigmoid's local gradient. dx is right, so each backward test
keeps dx's half (16 of 26); the report names the missing node (its values are recognised)."""
import numpy as np

from backprop_lib.functions import sigmoid


class Gate:
    def __init__(self, g):
        self.g = g

    def forward(self, x):
        self.x = x
        self.s = sigmoid(self.g)
        return x * self.s

    def backward(self, dout):
        summed = np.sum(dout * self.x, axis=tuple(range(self.x.ndim - 1)))
        self.dg = summed.reshape(np.shape(self.g))  # no s (1 - s)
        return dout * self.s
