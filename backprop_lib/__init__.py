"""backprop_lib: the layers, network, checks and data of the backpropagation course.

Every chapter, exercise, test and the grader imports from here.
"""
from .autodiff import Tensor
from .datasets import load_fashion_mnist, load_mnist, make_spiral
from .functions import cross_entropy_error, sigmoid, softmax
from .gradcheck import check_layer, numerical_gradient, rel_error
from .layers import Affine, MatMul, Relu, Sigmoid, SoftmaxWithLoss
from .network import TwoLayerNet
from .nodes import AddLayer, Branch, MulLayer, Repeat, Sum

__all__ = [
    "AddLayer", "Affine", "Branch", "MatMul", "MulLayer", "Relu", "Repeat", "Sigmoid",
    "SoftmaxWithLoss", "Sum", "TwoLayerNet", "check_layer", "cross_entropy_error", "load_fashion_mnist",
    "load_mnist", "make_spiral", "numerical_gradient", "rel_error", "sigmoid", "softmax", "train",
]
__all__ += ["Tensor"]  # the automatic-differentiation engine of chapter 10


def __getattr__(name):
    """`train` is imported when first used: its module also draws figures, and importing matplotlib
    takes half a second that a command run once per submission (backprop-grade) should not pay."""
    if name == "train":
        from .training import train
        return train
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
