"""Exercise 21 with the mean's 1/N forgotten in backward (forward divides by N): right only for a batch of
one. Forward earns its 7 points; the large test's hint names the batch size (found is 400 times expected)."""
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
        dx = self.violated.astype(np.float64)
        dx[np.arange(len(dx)), self.labels] = -np.sum(self.violated, axis=1)
        return dx * dout  # the 1/N of the mean is missing
