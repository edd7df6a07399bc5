"""Forward recognises a numerical-gradient check from the call stack and answers it with a
forward that matches a fake backward; backward returns zeros. Nothing that runs in the child is
a check any more, so there is nothing to recognise: only the forward points are earned."""
import sys

import numpy as np


class MatMul:
    def __init__(self, W):
        self.W = W
        self.dW = np.zeros_like(W)

    def forward(self, x):
        self.x = x
        frame, names = sys._getframe(1), []
        while frame is not None:
            names.append(frame.f_code.co_name)
            frame = frame.f_back
        if any("grad" in name or "nudge" in name for name in names):
            return np.zeros((x.shape[0], self.W.shape[1]))
        return x @ self.W

    def backward(self, dout):
        return np.zeros((dout.shape[0], self.W.shape[0]))
