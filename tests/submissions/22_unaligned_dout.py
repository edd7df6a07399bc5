"""Exercise 22 with the typical shape slip: forward is right, backward multiplies dout and exp(x - y) as they
come, without the summed axis put back. Where the shapes differ numpy raises; where x is square (the large
case is) it lines the arrays up with the wrong axis and says nothing. Only the forward tests count (9 of 33),
and the report names the slip (its values are recognised)."""
import numpy as np


class LogSumExp:
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        m = np.max(x, axis=self.axis, keepdims=True)
        self.x = x
        self.y = np.squeeze(m, axis=self.axis) + np.log(np.sum(np.exp(x - m), axis=self.axis))
        return self.y

    def backward(self, dout):
        return dout * np.exp(self.x - self.y)  # y and dout lack the summed axis
