"""Returns text instead of numbers."""
import numpy as np


class MatMul:
    def __init__(self, W):
        self.W = W
        self.dW = None

    def forward(self, x):
        self.x = x
        return (x @ self.W).astype(str)

    def backward(self, dout):
        self.dW = (self.x.T @ dout).astype(str)
        return (dout @ self.W.T).astype(str)
