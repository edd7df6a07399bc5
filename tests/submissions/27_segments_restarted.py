"""Exercise 27 checkpointed, with the classic slip: every recomputed segment starts its backward from the dout
given to backward, instead of from the gradient the segment above sent back. Right when there is one segment
only; the report must name the slip."""
import numpy as np

from backprop_lib.layers import Affine, Relu


class CheckpointedStack:
    def __init__(self, W, b, every):
        self.W, self.b, self.every = W, b, every

    def forward(self, x):
        self.checkpoints, h = [], x
        for l in range(len(self.W)):
            if l % self.every == 0:
                self.checkpoints.append(h)
            h = np.maximum(h @ self.W[l] + self.b[l], 0)
        return h

    def backward(self, dout):
        L = len(self.W)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
        for s in reversed(range(len(self.checkpoints))):
            segment, h = [], self.checkpoints[s]
            for l in range(s * self.every, min((s + 1) * self.every, L)):
                affine, relu = Affine(self.W[l], self.b[l]), Relu()
                h = relu.forward(affine.forward(h))
                segment.append((l, affine, relu))
            grad = dout
            for l, affine, relu in reversed(segment):
                grad = affine.backward(relu.backward(grad))
                self.dW[l], self.db[l] = affine.dW, affine.db
