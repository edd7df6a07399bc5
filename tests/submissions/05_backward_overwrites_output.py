"""Right layers whose backward writes its result into the array forward returned (its own cache):
forward's output was right when it was returned, and the report must not blame forward."""
import numpy as np


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        self.out = np.where(self.mask, 0.0, x)
        return self.out

    def backward(self, dout):
        self.out[...] = np.where(self.mask, 0.0, dout)
        return self.out


class Sigmoid:
    def forward(self, x):
        self.out = np.exp(-np.logaddexp(0.0, -x))
        return self.out

    def backward(self, dout):
        self.out *= dout * (1.0 - self.out)  # the local gradient, written over y = sigmoid(x)
        return self.out
