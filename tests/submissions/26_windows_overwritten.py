"""Exercise 26 vectorised with the classic slip: each offset's gradients are written into dx (=) instead of
added, so entries that several windows read keep one window's share. dW and db are right; the report names the slip."""
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
        _, C_in, K = self.W.shape
        G = dout.transpose(0, 2, 1).reshape(N * L_out, C_out)
        self.db = np.sum(G, axis=0)
        self.dW = (self.cols.T @ G).T.reshape(self.W.shape)
        dcols = (G @ self.W.reshape(C_out, C_in * K)).reshape(N, L_out, C_in, K)
        dx = np.zeros_like(self.x)
        for k in range(K):
            dx[:, :, k:k + L_out] = dcols[:, :, :, k].transpose(0, 2, 1)
        return dx
