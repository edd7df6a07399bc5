"""Both nodes grab memory until something stops them."""
import numpy as np


def _bomb():
    hoard = []
    while True:
        hoard.append(np.ones(1 << 27))  # 1 GiB of float64 at a time


class Repeat:
    def __init__(self, axis, repeats):
        self.axis, self.repeats = axis, repeats

    def forward(self, x):
        _bomb()

    def backward(self, dout):
        _bomb()


class Sum:
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        _bomb()

    def backward(self, dout):
        _bomb()
