"""Data sets: small synthetic sets, and MNIST / Fashion-MNIST read from IDX files (chapter 8)."""
import numpy as np


def make_spiral(n_per_class=100, n_classes=3, seed=0):
    """The CS231n spiral: n_classes interleaved arms in the plane, not linearly separable.

    Returns x of shape (n_per_class * n_classes, 2), float64, and integer labels t of shape (N,).
    """
    rng = np.random.default_rng(seed)
    x = np.zeros((n_per_class * n_classes, 2))
    t = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for k in range(n_classes):
        rows = slice(n_per_class * k, n_per_class * (k + 1))
        radius = np.linspace(0.0, 1.0, n_per_class)
        angle = np.linspace(k * 4.0, (k + 1) * 4.0, n_per_class) + rng.standard_normal(n_per_class) * 0.2
        x[rows] = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
        t[rows] = k
    return x, t
