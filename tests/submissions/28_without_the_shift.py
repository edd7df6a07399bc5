"""Exercise 28 right, except that cross_entropy exponentiates the scores as they are: for scores of ±1e4,
exp overflows. The report must say where the overflow comes from."""
import numpy as np

from backprop_lib.autodiff import Tensor


def exp(x):
    out = Tensor(np.exp(x.data), (x,), "exp")

    def _backward(upstream_grad):
        x.grad += upstream_grad * out.data
    out._backward = _backward
    return out


def log(x):
    out = Tensor(np.log(x.data), (x,), "log")

    def _backward(upstream_grad):
        x.grad += upstream_grad / x.data
    out._backward = _backward
    return out


def cross_entropy(scores, t):
    log_y = scores - log(exp(scores).sum(axis=1, keepdims=True))
    return (log_y * t).sum() * (-1.0 / scores.shape[0])
