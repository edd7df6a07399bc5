"""Exercise 23 with dg not summed over the batch: one row of gradients per example, of shape (N, D) instead of
g's. dx is right, so each backward test keeps dx's half; the report names the sum over the batch."""
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
        self.dg = dout * self.x * self.s * (1 - self.s)  # the copies' gradients, never added up
        return dout * self.s
