"""Right values everywhere, but sigmoid is 1 / (1 + exp(-x)), which overflows for x = -1e4 (the
notebook's own check fails on its RuntimeWarning): no points for the ±1e4 cases."""
import numpy as np


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)


class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)
