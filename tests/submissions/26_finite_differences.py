"""Exercise 26 with backward by central differences of the forward, the vectorised forward at that:
hopeless on the large case, which every other test requires."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class Conv1D:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        N, C_in, L = x.shape
        C_out, _, K = self.W.shape
        L_out = L - K + 1
        self.cols = sliding_window_view(x, K, axis=2).transpose(0, 2, 1, 3).reshape(N * L_out, C_in * K)
        self.x = x
        out = self.cols @ self.W.reshape(C_out, C_in * K).T + self.b
        return out.reshape(N, L_out, C_out).transpose(0, 2, 1)

    def backward(self, dout, h=1e-5):
        x = self.x.copy()

        def gradient(array):
            grad = np.zeros_like(array)
            for idx in np.ndindex(array.shape):
                old = array[idx]
                array[idx] = old + h
                plus = np.sum(self.forward(x) * dout)
                array[idx] = old - h
                minus = np.sum(self.forward(x) * dout)
                array[idx] = old
                grad[idx] = (plus - minus) / (2 * h)
            return grad
        dx = gradient(x)
        self.dW, self.db = gradient(self.W), gradient(self.b)
        self.forward(self.x)
        return dx
