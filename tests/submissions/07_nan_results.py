"""Every value is NaN."""
import numpy as np


def softmax(x):
    return np.full(np.shape(x), np.nan)


def cross_entropy_error(y, t):
    return np.nan


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.x = x
        return np.nan

    def backward(self, dout=1):
        return np.full(np.shape(self.x), np.nan)
