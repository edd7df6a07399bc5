"""Exercise 21 with the other convention at the hinge's kink: a margin of exactly 0 passes the gradient
(>= instead of >). Right everywhere else; the test with margins of exactly 0 at random places loses its
backward points, and its hint states the course's convention."""
import numpy as np


class HingeLoss:
    def forward(self, x, t):
        self.labels = np.argmax(t, axis=1) if t.ndim == 2 else t
        rows = np.arange(x.shape[0])
        margins = x - x[rows, self.labels][:, None] + 1.0
        self.violated = margins >= 0  # a margin of exactly 0 counted as violated
        self.violated[rows, self.labels] = False
        margins[rows, self.labels] = 0.0
        return np.sum(np.maximum(margins, 0.0)) / x.shape[0]

    def backward(self, dout=1):
        dx = self.violated.astype(np.float64)
        dx[np.arange(len(dx)), self.labels] = -np.sum(self.violated, axis=1)
        return dx * dout / len(dx)
