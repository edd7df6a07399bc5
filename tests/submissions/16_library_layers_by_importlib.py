"""Find the bug, answered with the library's own correct layers: Relu and SoftmaxWithLoss taken
from backprop_lib.layers through importlib and getattr (out of sight of any reading of the
source); its Network, built on them, is right."""
import importlib

import numpy as np

layers = importlib.import_module("backprop_lib." + "layers")
Relu = getattr(layers, "Re" + "lu")
SoftmaxWithLoss = getattr(layers, "SoftmaxWith" + "Loss")
Affine = layers.Affine


class Network:
    def __init__(self, W1, b1, W2, b2):
        self.params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        self.layers = [Affine(W1, b1), Relu(), Affine(W2, b2)]
        self.last = SoftmaxWithLoss()

    def loss(self, x, t):
        for layer in self.layers:
            x = layer.forward(x)
        return self.last.forward(x, t)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last.backward(1)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        first, last = self.layers[0], self.layers[2]
        return {"W1": first.dW, "b1": first.db, "W2": last.dW, "b2": last.db}
