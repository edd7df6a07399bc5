"""A MatMul whose forward keeps its input on the class, shared by every MatMul: right while one
layer is in use, wrong as soon as a network has two."""
import numpy as np


class MatMul:
    x = None

    def __init__(self, W):
        self.W = W
        self.dW = None

    def forward(self, x):
        MatMul.x = x
        return x @ self.W

    def backward(self, dout):
        self.dW = MatMul.x.T @ dout
        return dout @ self.W.T
