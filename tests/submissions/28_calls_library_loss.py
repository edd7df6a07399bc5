"""Exercise 28 with exp and log right, and cross_entropy handed to the engine's own softmax-with-loss node,
the answer: the grader disables it, so every cross_entropy test fails."""
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
    return scores.softmax_cross_entropy(np.argmax(t, axis=1))
