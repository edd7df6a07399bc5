"""Exercise 11 by finite differences: the course's numerical_gradient as Tanh.backward, no derivation.
Forward is right (5 points); the large backward test runs until the CPU limit stops it, so no backward credit."""
import numpy as np

from backprop_lib.gradcheck import numerical_gradient


class Tanh:
    def forward(self, x):
        self.x = np.array(x, dtype=np.float64)
        return np.tanh(x)

    def backward(self, dout):
        return numerical_gradient(lambda v: np.sum(np.tanh(v) * dout), self.x.copy())
