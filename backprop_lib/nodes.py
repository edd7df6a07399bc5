"""The scalar and copy/sum nodes of the first chapters (chapters 1-3).

Each node has forward(...) which caches what backward needs, and backward(dout)
which returns the downstream gradients: upstream gradient x local gradient.
"""
import numpy as np


class MulLayer:
    """z = x * y. Local gradients: dz/dx = y, dz/dy = x, so backward swaps the inputs."""

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        dx = dout * self.y
        dy = dout * self.x
        return dx, dy


class AddLayer:
    """z = x + y. Local gradients are 1, so backward passes the upstream gradient unchanged."""

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        dx = dout * 1  # "* 1" makes two independent copies, not two names for dout
        dy = dout * 1
        return dx, dy


class Repeat:
    """Copy node: repeat x `repeats` times along `axis`. Backward sums the copies' gradients."""

    def __init__(self, axis, repeats):
        self.axis, self.repeats = axis, repeats
        self.x_shape = None

    def forward(self, x):
        x = np.asarray(x)
        self.x_shape = x.shape
        return np.repeat(x, self.repeats, axis=self.axis)

    def backward(self, dout):
        axis = self.axis % len(self.x_shape)
        # np.repeat puts the copies of element i at i*repeats ... i*repeats + repeats-1
        split = self.x_shape[:axis] + (self.x_shape[axis], self.repeats) + self.x_shape[axis + 1:]
        return np.reshape(dout, split).sum(axis=axis + 1)


class Sum:
    """Sum node: y = sum of x along `axis` (kept as size 1). Backward copies dout to every input."""

    def __init__(self, axis=0):
        self.axis = axis
        self.x_shape = None

    def forward(self, x):
        x = np.asarray(x)
        self.x_shape = x.shape
        return np.sum(x, axis=self.axis, keepdims=True)

    def backward(self, dout):
        dout = np.asarray(dout)
        # accept dout without the kept axis (with axis=None every axis was summed: any dout broadcasts)
        if dout.ndim < len(self.x_shape) and self.axis is not None:
            dout = np.expand_dims(dout, self.axis)
        return np.broadcast_to(dout, self.x_shape).copy()


class Branch:
    """Branch node: one value used by `n` later nodes. Backward adds the n upstream gradients."""

    def __init__(self, n=2):
        self.n = n

    def forward(self, x):
        return tuple(x for _ in range(self.n))

    def backward(self, *douts):
        if len(douts) != self.n:
            raise ValueError(f"Branch.backward expected {self.n} upstream gradients, found {len(douts)}")
        return sum(douts[1:], douts[0] * 1)
