"""Exercise 18 by finite differences that only cost two passes per column: rows are independent, so one
column of every row is nudged at once (2 D forward passes of the whole batch, not 2 N D). Fast on small
rows; rows of 4,096 entries (8,192 passes over 262,144 numbers) stop it in the large case."""
import numpy as np


class LayerNorm:
    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x):
        self.x = np.array(x, dtype=np.float64)
        mu = np.mean(x, axis=-1, keepdims=True)
        return (x - mu) / np.sqrt(np.mean((x - mu) ** 2, axis=-1, keepdims=True) + self.eps)

    def backward(self, dout, h=1e-5):
        x, dx = self.x.copy(), np.zeros_like(self.x)
        for j in range(x.shape[-1]):
            x[..., j] += h
            up = np.sum(self.forward(x) * dout, axis=-1)
            x[..., j] -= 2 * h
            down = np.sum(self.forward(x) * dout, axis=-1)
            x[..., j] += h
            dx[..., j] = (up - down) / (2 * h)
        return dx
