"""Exercise 21 with the true class counted as a margin of its own row: every row's loss is 1 too large, while
the gradient is right (the true class's own margin, x_t - x_t + 1, does not depend on x). Forward and the
no-mutation point are lost (8 of 26); the hint says found is expected + 1."""
import numpy as np


class HingeLoss:
    def forward(self, x, t):
        self.labels = np.argmax(t, axis=1) if t.ndim == 2 else t
        margins = x - x[np.arange(x.shape[0]), self.labels][:, None] + 1.0  # j = t_i included: its margin is 1
        self.violated = margins > 0
        return np.sum(np.maximum(margins, 0.0)) / x.shape[0]

    def backward(self, dout=1):
        dx = self.violated.astype(np.float64)
        dx[np.arange(len(dx)), self.labels] -= np.sum(self.violated, axis=1)
        return dx * dout / len(dx)
