"""A small automatic-differentiation engine: the nodes of chapters 2-7, recorded and replayed.

A `Tensor` holds an array `data`, its gradient `grad` and the tensors it was computed from
(`parents`). Every operation computes its forward value and, right next to it, defines
`_backward(upstream_grad)`: add upstream gradient x local gradient to the parents' grad.
`backward()` sorts the recorded graph topologically and calls every `_backward` in reverse
order, so each gradient is complete before it is passed on. Chapter 10 explains it; the
design is micrograd's (Karpathy), with arrays instead of numbers.
"""
import numpy as np

from .functions import labels_to_indices, log_softmax, sigmoid


class Tensor:
    """An array that records the operations that made it, to backpropagate through them."""

    __array_ufunc__ = None  # array + Tensor: numpy lets Tensor.__radd__ answer

    def __init__(self, data, parents=(), op="", name=""):
        self.data = np.array(data, dtype=np.float64)  # a copy, not the caller's
        self.grad = np.zeros_like(self.data)  # dL/d data, set by backward()
        self.parents = tuple(parents)  # the tensors this one was computed from
        self.op = op  # the operation that made it; "" for a leaf
        self.name = name
        # a leaf (an input, a parameter) has no parents to pass its gradient to
        self._backward = lambda upstream_grad: None

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        made_by = f"op={self.op!r}" if self.op else "leaf"
        name = f"{self.name!r}, " if self.name else ""
        return f"Tensor({name}shape={self.shape}, {made_by})"

    # ---- operations: the forward value, and right next to it the local backward ----

    def __add__(self, other):
        other = as_tensor(other)
        data = _broadcasting("+", np.add, self, other)
        out = Tensor(data, (self, other), "+")

        # add node (chapter 3): the local gradient is 1, so UG passes through
        def _backward(upstream_grad):
            self.grad += unbroadcast(upstream_grad, self.shape)
            other.grad += unbroadcast(upstream_grad, other.shape)
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = as_tensor(other)
        data = _broadcasting("*", np.multiply, self, other)
        out = Tensor(data, (self, other), "*")

        # multiply node (chapter 3): each input gets UG times the other input
        def _backward(upstream_grad):
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

        # matrix product (chapter 4): dx = UG W^T, dW = x^T UG
        def _backward(upstream_grad):
            self.grad += upstream_grad @ W.data.T
            W.grad += self.data.T @ upstream_grad
        out._backward = _backward
        return out

    def sum(self, axis=None, keepdims=False):
        out = Tensor(np.sum(self.data, axis=axis, keepdims=keepdims), (self,), "sum")

        # sum node (chapter 3): every input it summed gets a copy of UG
        def _backward(upstream_grad):
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

        # ReLU (chapter 5): UG where x > 0, 0 elsewhere
        def _backward(upstream_grad):
            self.grad += np.where(self.data > 0, upstream_grad, 0.0)
        out._backward = _backward
        return out

    def sigmoid(self):
        out = Tensor(sigmoid(self.data), (self,), "sigmoid")

        # sigmoid (chapter 5): the local gradient y (1 - y) comes from the output y
        def _backward(upstream_grad):
            self.grad += upstream_grad * out.data * (1 - out.data)
        out._backward = _backward
        return out

    def softmax_cross_entropy(self, t):
        """Mean cross-entropy of softmax(self) for labels t: SoftmaxWithLoss as one node."""
        if self.data.ndim != 2:
            raise ValueError(f"softmax_cross_entropy expected scores of shape (N, C); "
                             f"found {self.shape}")
        batch_size, rows = self.shape[0], np.arange(self.shape[0])
        labels = labels_to_indices(t, self.shape[1])
        if labels.shape[0] != batch_size:
            raise ValueError(f"softmax_cross_entropy expected {batch_size} labels, one per "
                             f"row; found {labels.shape[0]}")
        log_y = log_softmax(self.data)
        out = Tensor(-np.mean(log_y[rows, labels]), (self,), "softmax-with-loss")

        def _backward(upstream_grad):  # (y - t) / N (chapter 7)
            dx = np.exp(log_y)
            dx[rows, labels] -= 1
            self.grad += dx * (upstream_grad / batch_size)
        out._backward = _backward
        return out

    # ---- the backward pass: replay the graph in reverse topological order ----

    def backward(self, upstream_grad=None):
        """Set .grad of every tensor L = self was computed from to dL/d(it).

        upstream_grad is dL/d self: 1 for a scalar loss (the default).
        """
        self_grad = self._checked(upstream_grad)
        order = topological_order(self)
        for node in order:  # from zero: backward() twice gives the same grads
            node.grad = np.zeros_like(node.data)
        self.grad = self_grad
        for node in reversed(order):  # each node after all the nodes using it
            node._backward(node.grad)

    def _checked(self, upstream_grad):
        """dL/d self as an array of self's shape (1 for a scalar), or a clear error."""
        if upstream_grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward() without an upstream gradient expected a scalar "
                                 f"loss; found a tensor of shape {self.shape}: pass "
                                 f"backward(upstream_grad) of that shape")
            return np.ones_like(self.data)
        upstream_grad = np.array(upstream_grad, dtype=np.float64)
        if upstream_grad.shape != self.shape:
            raise ValueError(f"backward expected an upstream gradient of shape {self.shape} "
                             f"(the tensor's shape); found {upstream_grad.shape}")
        return upstream_grad


def topological_order(root):
    """Every tensor root was computed from, root last; each after its parents.

    A depth-first search that lists a tensor once all its parents are listed,
    with a stack instead of recursion: deep graphs pass the recursion limit.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_listed = stack.pop()
        if parents_listed:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))  # popped again after its parents
            stack.extend((parent, False) for parent in reversed(node.parents))
    return order


def unbroadcast(grad, shape):
    """Sum grad down to shape: broadcasting copied the value, so the gradients
    of the copies add up (a repeat node, chapter 3; Affine's bias, chapter 6)."""
    while grad.ndim > len(shape):  # axes that broadcasting put in front
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):  # axes of size 1 that it stretched
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
        raise ValueError(f"a {symbol} b expected shapes that broadcast (equal, or 1, axis "
                         f"by axis from the right); found {a.shape} {symbol} {b.shape}") from None
    return operation(a.data, b.data)
