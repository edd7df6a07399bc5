"""Exercise 26 with the loops kept: backward is the notebook's backward_loops, correct but two million
iterations on the large case, about ten seconds; the CPU limit stops it there, and every other test requires it."""
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

    def backward(self, dout):
        N, C_out, L_out = dout.shape
        K = self.W.shape[2]
        dx, self.dW, self.db = np.zeros_like(self.x), np.zeros_like(self.W), np.zeros_like(self.b)
        for n in range(N):
            for o in range(C_out):
                for i in range(L_out):
                    g = dout[n, o, i]
                    self.db[o] += g
                    self.dW[o] += g * self.x[n, :, i:i + K]
                    dx[n, :, i:i + K] += g * self.W[o]
        return dx
