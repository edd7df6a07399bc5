"""Drawing a hidden test's inputs: what several exercises draw the same way (not an exercise itself).

Every draw takes the test's generator (spec.rng_for), so the same secret draws the same case.
"""
from __future__ import annotations

import numpy as np

from backprop_lib.network import TwoLayerNet

# Large cases: generic finite differences need two forward passes per entry (of x and of every
# parameter), so hundreds of thousands of passes here, minutes of CPU; backprop needs milliseconds.
LARGE = (400, 400)  # elementwise layers and nodes
LARGE_MATRIX = (200, 300, 200)  # N, D, M of MatMul and Affine


def dims(rng, low=2, high=5):
    """A random length in [low, high]."""
    return int(rng.integers(low, high + 1))


def signs(rng, shape):
    """Random ±1.0 of `shape`."""
    return rng.choice([-1.0, 1.0], shape)


def elementwise(cases, rng):
    """Give every case a dout of the shape of its output (that of x, for elementwise nodes)."""
    for case in cases:
        case.dout = rng.standard_normal(case.inputs["x"].shape)
    return cases


def two_layer_inputs(rng, sizes, N, one_hot):
    """Parameters of a (D, H, C) network and a batch with no hidden pre-activation near ReLU's kink
    (a nudge of h across it would make a numerical gradient meaningless); labels one-hot or integer."""
    D, H, C = sizes
    while True:
        params = {"W1": rng.standard_normal((D, H)) * 0.5, "b1": rng.standard_normal(H) * 0.1,
                  "W2": rng.standard_normal((H, C)) * 0.5, "b2": rng.standard_normal(C) * 0.1}
        x = rng.standard_normal((N, D))
        if np.min(np.abs(x @ params["W1"] + params["b1"])) > 1e-3:
            break
    t = rng.integers(0, C, N)
    return params, x, np.eye(C)[t] if one_hot else t


def two_layer_net(sizes, params):
    """The library's TwoLayerNet(*sizes) with the parameters W1, b1, W2, b2 of `params` (other keys ignored)."""
    network = TwoLayerNet(*sizes)
    for key in network.params:
        network.params[key][...] = params[key]  # in place: the layers hold these very arrays
    return network
