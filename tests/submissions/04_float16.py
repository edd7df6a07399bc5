"""Right formulas computed in float16: every value is off in the fourth digit. No credit, and
each failed test names precision as the reason."""
import numpy as np


class MatMul:
    def __init__(self, W):
        self.W = W

    def forward(self, x):
        self.x = x
        return (x @ self.W).astype(np.float16)

    def backward(self, dout):
        self.dW = (self.x.T @ dout).astype(np.float16)
        return (dout @ self.W.T).astype(np.float16)
