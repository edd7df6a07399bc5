"""Every output is infinite or NaN."""
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.dW, self.db = np.full(W.shape, np.inf), np.full(b.shape, np.nan)

    def forward(self, x):
        self.x = x
        return np.full((x.shape[0], self.W.shape[1]), np.inf)

    def backward(self, dout):
        return np.full(self.x.shape, -np.inf)
