"""Exercise 15 as handed over, bugs and all (a square W and a batch of one hide them): nothing earned."""
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = dout.T @ self.x
        self.db = np.mean(dout, axis=0)
        return dx
