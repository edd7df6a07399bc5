"""Layers with matrix inputs (chapters 4-7).

forward caches exactly what backward needs; backward(dout) returns dx and keeps
parameter gradients as dW, db. No backward modifies its arguments.
"""
import math

import numpy as np

from .functions import labels_to_indices, log_softmax, sigmoid


def _check_input(name, x, W, flattens=False):
    """Raise a clear error when the batch x does not fit W (a learner's most common mistake)."""
    rows = W.shape[0]
    if flattens:  # Affine: (N, d1, d2, ...) is flattened to (N, d1*d2*...)
        fits = x.ndim >= 2 and math.prod(x.shape[1:]) == rows
    else:
        fits = x.ndim == 2 and x.shape[1] == rows
    if not fits:
        also = f", or (N, d1, d2, ...) with d1*d2*... = {rows}" if flattens else ""
        hint = " (a single sample x is the batch x.reshape(1, -1))" if x.ndim == 1 else ""
        raise ValueError(
            f"{name} expected a batch x of shape (N, {rows}){also}, to match W of shape {W.shape}; "
            f"found x of shape {x.shape}{hint}"
        )


class MatMul:
    """y = x W. Backward: dL/dx = dL/dy W^T, dL/dW = x^T dL/dy (chapter 4)."""

    param_names = ("W",)

    def __init__(self, W):
        self.W = W
        self.x = None
        self.dW = None

    def forward(self, x):
        _check_input("MatMul", x, self.W)
        self.x = x
        return x @ self.W

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        return dx


class Affine:
    """y = x W + b for a batch of rows; any trailing shape of x is flattened (chapter 6).

    The bias is broadcast to every row in forward, so its gradient sums over the batch.
    """

    param_names = ("W", "b")

    def __init__(self, W, b, input_grad=True):
        """input_grad=False: backward skips dx and returns None. In a first layer x is the data,
        whose gradient nobody uses, and dx = dout W^T is the largest product of the backward pass."""
        self.W, self.b = W, b
        self.input_grad = input_grad
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        _check_input("Affine", x, self.W, flattens=True)
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)  # (N, d1, d2, ...) -> (N, d1*d2*...)
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        if not self.input_grad:
            return None
        dx = dout @ self.W.T
        return dx.reshape(self.original_x_shape)


class Relu:
    """y = max(0, x). Backward lets dout through where x > 0 and blocks it elsewhere (chapter 5)."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        return np.maximum(x, 0)

    def backward(self, dout):
        # A new array: the notes' `dout[self.mask] = 0` would silently change the caller's gradient.
        return np.where(self.mask, 0, dout)


class Sigmoid:
    """y = 1 / (1 + exp(-x)). Backward uses the cached output: dy/dx = y (1 - y) (chapter 5)."""

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SoftmaxWithLoss:
    """Softmax followed by cross-entropy; backward is (y - t) / batch_size (chapter 7).

    Labels t may be one-hot rows (N, C) or integer classes (N,).
    """

    def __init__(self):
        self.y = None       # softmax probabilities
        self.labels = None  # integer class of each row
        self.loss = None
        self.x_shape = None

    def forward(self, x, t):
        x = np.asarray(x)
        self.x_shape = x.shape
        if x.ndim == 1:  # one sample: make it a batch of one
            x = x.reshape(1, -1)
            t = np.reshape(t, (1, -1)) if np.size(t) == x.size else np.reshape(t, (1,))
        self.labels = labels_to_indices(t, x.shape[1])
        if self.labels.shape[0] != x.shape[0]:
            raise ValueError(f"expected {x.shape[0]} labels, one per row of x; found {self.labels.shape[0]}")
        # The loss comes from log-softmax directly, so huge logits give the exact loss, not log(0).
        log_y = log_softmax(x)
        self.y = np.exp(log_y)
        self.loss = -np.mean(log_y[np.arange(x.shape[0]), self.labels])
        return self.loss

    def backward(self, dout=1):
        batch_size = self.y.shape[0]
        dx = self.y.copy()
        dx[np.arange(batch_size), self.labels] -= 1  # y - t, with t one-hot
        return (dx * (dout / batch_size)).reshape(self.x_shape)
