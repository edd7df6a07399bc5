"""softmax is right; cross_entropy_error and SoftmaxWithLoss were never written."""
import numpy as np


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)
