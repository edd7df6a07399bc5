"""A Tanh that keeps its output in a module-level variable: shared by every Tanh in a network."""
import numpy as np

_last_output = None


class Tanh:
    def forward(self, x):
        global _last_output
        _last_output = np.tanh(x)
        return _last_output.copy()

    def backward(self, dout):
        return dout * (1 - _last_output ** 2)
