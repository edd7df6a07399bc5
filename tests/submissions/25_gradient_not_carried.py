"""Exercise 25 with the classic mistake: the gradient of h_t is only the loss's dhs[:, t]; what step t + 1
sends back through Wh is dropped. Right for T = 1 only; the report must name the cause."""
import numpy as np


class RNN:
    def __init__(self, Wx, Wh, b):
        self.Wx, self.Wh, self.b = Wx, Wh, b

    def forward(self, xs, h0):
        N, T, _ = xs.shape
        self.hs = np.empty((N, T, self.Wh.shape[0]))
        h = h0
        for t in range(T):
            h = self.hs[:, t] = np.tanh(xs[:, t] @ self.Wx + h @ self.Wh + self.b)
        self.xs, self.h0 = xs, h0
        return self.hs

    def backward(self, dhs):
        dxs = np.zeros_like(self.xs)
        self.dWx, self.dWh, self.db = np.zeros_like(self.Wx), np.zeros_like(self.Wh), np.zeros_like(self.b)
        for t in reversed(range(self.xs.shape[1])):
            da = dhs[:, t] * (1 - self.hs[:, t] ** 2)
            h_prev = self.hs[:, t - 1] if t > 0 else self.h0
            dxs[:, t] = da @ self.Wx.T
            self.dWx += self.xs[:, t].T @ da
            self.dWh += h_prev.T @ da
            self.db += np.sum(da, axis=0)
            dh0 = da @ self.Wh.T
        return dxs, dh0
