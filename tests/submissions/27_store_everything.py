"""Exercise 27 backpropagated the usual way (chapter 8): forward builds an Affine and a Relu for every layer, and
each keeps its input until backward. Right gradients, and 200 MiB for the deep case's 400 inputs, where the
grader allows 80 MiB beyond its own: a MemoryError there, and every backward test requires that case."""
import numpy as np

from backprop_lib.layers import Affine, Relu


class CheckpointedStack:
    def __init__(self, W, b, every):
        self.W, self.b, self.every = W, b, every

    def forward(self, x):
        self.layers = []
        for l in range(len(self.W)):
            self.layers += [Affine(self.W[l], self.b[l]), Relu()]
            x = self.layers[-1].forward(self.layers[-2].forward(x))
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        self.dW = np.stack([affine.dW for affine in self.layers[::2]])
        self.db = np.stack([affine.db for affine in self.layers[::2]])
