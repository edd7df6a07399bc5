"""A small automatic-differentiation engine (chapter 10): the nodes of chapters 2-7, recorded and replayed.

A `Tensor` holds an array `data`, its gradient `grad` (dL/d data, the shape of data) and the
tensors it was computed from (`parents`). Every operation computes its forward value and, right
next to it, defines `_backward(upstream_grad)`: add upstream gradient x local gradient into the
parents' grad. `backward()` sorts the recorded graph topologically and calls every `_backward`
in reverse order, so each tensor's gradient is complete before it is passed on.
In the style of micrograd (Karpathy), with arrays instead of numbers.
"""
import numpy as np

from .functions import labels_to_indices, log_softmax, sigmoid


class Tensor:
    """An array that records the operations that made it, so that it can backpropagate through them."""

    __array_ufunc__ = None  # numpy array + Tensor: let Tensor.__radd__ answer, not numpy

    def __init__(self, data, parents=(), op="", name=""):
        self.data = np.array(data, dtype=np.float64)  # a copy: the caller's array stays the caller's
        self.grad = np.zeros_like(self.data)
        self.parents = tuple(parents)
        self.op = op  # the operation that made this tensor, "" for a leaf (an input or a parameter)
        self.name = name
        self._backward = lambda upstream_grad: None  # a leaf has no parents to pass gradients to

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        made_by = f"op={self.op!r}" if self.op else "leaf"
        name = f"{self.name!r}, " if self.name else ""
        return f"Tensor({name}shape={self.shape}, {made_by})"

    # ---- operations: the forward value, and right next to it the local backward --------------

    def __add__(self, other):
        other = as_tensor(other)
        out = Tensor(_broadcasting("+", np.add, self, other), (self, other), "+")

        def _backward(upstream_grad):  # add node: local gradient 1, so UG passes through (chapter 3)
            self.grad += unbroadcast(upstream_grad, self.shape)
            other.grad += unbroadcast(upstream_grad, other.shape)
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = as_tensor(other)
        out = Tensor(_broadcasting("*", np.multiply, self, other), (self, other), "*")

        def _backward(upstream_grad):  # multiply node: each input gets UG x the other input (chapter 3)
            self.grad += unbroadcast(upstream_grad * other.data, self.shape)
            other.grad += unbroadcast(upstream_grad * self.data, other.shape)
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-as_tensor(other))

    def __rsub__(self, other):
        return as_tensor(other) + (-self)

    __radd__ = __add__
    __rmul__ = __mul__

    def __matmul__(self, W):
        W = as_tensor(W)
        if self.data.ndim != 2 or W.data.ndim != 2 or self.shape[1] != W.shape[0]:
            raise ValueError(f"x @ W expected matrices of shapes (N, D) @ (D, H); "
                             f"found {self.shape} @ {W.shape}")
        out = Tensor(self.data @ W.data, (self, W), "@")

        def _backward(upstream_grad):  # matrix product: dx = UG W^T, dW = x^T UG (chapter 4)
            self.grad += upstream_grad @ W.data.T
            W.grad += self.data.T @ upstream_grad
        out._backward = _backward
        return out

    def sum(self, axis=None, keepdims=False):
        out = Tensor(np.sum(self.data, axis=axis, keepdims=keepdims), (self,), "sum")

        def _backward(upstream_grad):  # sum node: copies UG to every input it summed (chapter 3)
            if axis is not None and not keepdims:
                upstream_grad = np.expand_dims(upstream_grad, axis)
            self.grad += np.broadcast_to(upstream_grad, self.shape)
        out._backward = _backward
        return out

    def mean(self, axis=None):
        count = self.data.size if axis is None else self.shape[axis]
        return self.sum(axis) * (1.0 / count)

    def relu(self):
        out = Tensor(np.maximum(self.data, 0), (self,), "relu")

        def _backward(upstream_grad):  # ReLU: UG where x > 0, 0 elsewhere (chapter 5)
            self.grad += np.where(self.data > 0, upstream_grad, 0.0)
        out._backward = _backward
        return out

    def sigmoid(self):
        out = Tensor(sigmoid(self.data), (self,), "sigmoid")

        def _backward(upstream_grad):  # sigmoid: local gradient y (1 - y), from the output (chapter 5)
            self.grad += upstream_grad * out.data * (1 - out.data)
        out._backward = _backward
        return out

    def exp(self):
        out = Tensor(np.exp(self.data), (self,), "exp")

        def _backward(upstream_grad):  # d exp(x) / dx = exp(x), the output itself
            self.grad += upstream_grad * out.data
        out._backward = _backward
        return out

    def log(self):
        out = Tensor(np.log(self.data), (self,), "log")

        def _backward(upstream_grad):  # d log(x) / dx = 1 / x
            self.grad += upstream_grad / self.data
        out._backward = _backward
        return out

    def softmax_cross_entropy(self, t):
        """Mean cross-entropy of softmax(self) against labels t, one node (chapter 7's SoftmaxWithLoss)."""
        if self.data.ndim != 2:
            raise ValueError(f"softmax_cross_entropy expected scores of shape (N, C); found {self.shape}")
        batch_size, rows = self.shape[0], np.arange(self.shape[0])
        labels = labels_to_indices(t, self.shape[1])
        if labels.shape[0] != batch_size:
            raise ValueError(f"softmax_cross_entropy expected {batch_size} labels, one per row; "
                             f"found {labels.shape[0]}")
        log_y = log_softmax(self.data)
        out = Tensor(-np.mean(log_y[rows, labels]), (self,), "softmax-with-loss")

        def _backward(upstream_grad):  # (y - t) / N (chapter 7)
            dx = np.exp(log_y)
            dx[rows, labels] -= 1
            self.grad += dx * (upstream_grad / batch_size)
        out._backward = _backward
        return out

    # ---- the backward pass: replay the recorded graph in reverse topological order --------------

    def backward(self, upstream_grad=None):
        """Set .grad of every tensor this one was computed from to dL/d(that tensor), L being self.

        upstream_grad is dL/d self: 1 for a scalar loss (the default), an array of self's shape otherwise.
        """
        if upstream_grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward() without an upstream gradient expected a scalar loss; found a "
                                 f"tensor of shape {self.shape}: pass backward(upstream_grad) of that shape")
            upstream_grad = np.ones_like(self.data)
        upstream_grad = np.array(upstream_grad, dtype=np.float64)
        if upstream_grad.shape != self.shape:
            raise ValueError(f"backward expected an upstream gradient of shape {self.shape} (the tensor's "
                             f"shape); found {upstream_grad.shape}")
        order = topological_order(self)
        for node in order:  # start from zero: a second backward() gives the same gradients, not twice them
            node.grad = np.zeros_like(node.data)
        self.grad = upstream_grad
        for node in reversed(order):  # every node comes after all the nodes that use it
            node._backward(node.grad)


def topological_order(root):
    """Every tensor that `root` was computed from, and root last; each tensor after all its parents.

    A depth-first search that lists a tensor when all its parents are listed (with a stack rather
    than recursion, so a graph deeper than Python's recursion limit works too).
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_listed = stack.pop()
        if parents_listed:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))  # listed when popped again, after its parents
            stack.extend((parent, False) for parent in reversed(node.parents))  # first parent first
    return order


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`. Broadcasting copied the value, so the copies' gradients add up
    (a repeat node, chapter 3; the bias of Affine, chapter 6)."""
    while grad.ndim > len(shape):  # axes that broadcasting put in front
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):  # axes of size 1 that broadcasting stretched
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def as_tensor(value):
    """A Tensor as it is; a number or an array as a new leaf (a constant)."""
    return value if isinstance(value, Tensor) else Tensor(value)


def _broadcasting(symbol, operation, a, b):
    """operation(a.data, b.data), with a clear error when the shapes do not broadcast."""
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"a {symbol} b expected shapes that broadcast (equal, or 1, axis by axis from the "
                         f"right); found {a.shape} {symbol} {b.shape}") from None
    return operation(a.data, b.data)
