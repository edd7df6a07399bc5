"""Numerically stable activation and loss functions (chapters 5 and 7).

The textbook versions overflow or take log(0) for extreme inputs; these do not,
and they keep the dtype of their input (float32 stays float32).
"""
import numpy as np


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), without overflow for any finite x."""
    x = np.asarray(x)
    # exp(-|x|) is at most 1, so it never overflows; the two branches are equal algebraically.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def log_softmax(x):
    """log(softmax(x)) along the last axis, computed as x - logsumexp(x)."""
    x = np.asarray(x)
    shifted = x - np.max(x, axis=-1, keepdims=True)  # the largest logit becomes 0: exp cannot overflow
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax(x):
    """Softmax along the last axis; rows of a batch are independent."""
    x = np.asarray(x)
    exp_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)


def labels_to_indices(t, num_classes):
    """Integer class labels from one-hot rows or from integer labels, with a clear error otherwise."""
    t = np.asarray(t)
    if t.ndim == 2 and t.shape[1] == num_classes:
        labels = np.argmax(t, axis=1)
        # argmax of a row that is not one-hot (all zeros, soft labels) would silently pick a class
        if np.count_nonzero(t) != len(t) or not np.all(t[np.arange(len(t)), labels] == 1):
            row = next(i for i, row in enumerate(t) if np.count_nonzero(row) != 1 or row.max() != 1)
            raise ValueError(f"expected one-hot rows (a single 1, zeros elsewhere); found row {row} = {t[row]}")
        return labels
    if t.ndim == 1 and np.issubdtype(t.dtype, np.integer):
        if t.size and (t.min() < 0 or t.max() >= num_classes):
            raise ValueError(f"labels must lie in 0..{num_classes - 1}; found {t.min()}..{t.max()}")
        return t
    raise ValueError(
        f"expected labels as integers of shape (N,) or one-hot rows of shape (N, {num_classes}); "
        f"found an array of shape {t.shape} and dtype {t.dtype}"
    )


def cross_entropy_error(y, t):
    """Mean cross-entropy of predicted probabilities y (N, C) against labels t.

    t may be one-hot (N, C) or integer labels (N,). A single sample (C,) is a batch of one.
    Probabilities of exactly 0 are clipped to the smallest positive float, so log never sees 0.
    """
    y = np.asarray(y)
    if y.ndim == 1:  # one sample: make it a batch of one
        t = np.reshape(t, (1, -1)) if np.size(t) == y.size else np.reshape(t, (1,))
        y = y.reshape(1, -1)
    labels = labels_to_indices(t, y.shape[1])
    if labels.shape[0] != y.shape[0]:
        raise ValueError(f"expected {y.shape[0]} labels, one per row of y; found {labels.shape[0]}")
    p = y[np.arange(y.shape[0]), labels]
    return -np.mean(np.log(np.maximum(p, np.finfo(y.dtype).tiny)))
