"""Affine.forward never returns."""
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        while True:
            pass

    def backward(self, dout):
        while True:
            pass
