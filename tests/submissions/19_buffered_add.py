"""Exercise 19 with the classic bug: dW[idx] += dout. numpy buffers an indexed +=, so a row that idx uses
twice gets one copy's gradient. Forward right (six tests); every backward test with a repeat names the cause,
and the large case (which repeats rows) gates the rest."""
import numpy as np


class Embedding:
    def __init__(self, W):
        self.W = W

    def forward(self, idx):
        self.idx = idx
        return self.W[idx]

    def backward(self, dout):
        self.dW = np.zeros_like(self.W)
        self.dW[self.idx] += dout
