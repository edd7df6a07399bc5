"""Exercise 21 with the true-class column left out: each violated margin pushes its class, but the true
class, which appears in every margin of its row, never collects its -1s. Forward right (7 points); the hint
names the true-class column."""
import numpy as np


class HingeLoss:
    def forward(self, x, t):
        self.labels = np.argmax(t, axis=1) if t.ndim == 2 else t
        rows = np.arange(x.shape[0])
        margins = x - x[rows, self.labels][:, None] + 1.0
        margins[rows, self.labels] = 0.0
        self.violated = margins > 0
        return np.sum(np.maximum(margins, 0.0)) / x.shape[0]

    def backward(self, dout=1):
        return self.violated * dout / len(self.violated)  # x_{i,t_i} gets nothing
