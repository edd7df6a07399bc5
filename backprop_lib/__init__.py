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
from .training import train

__all__ = [
    "AddLayer", "Affine", "Branch", "MatMul", "MulLayer", "Relu", "Repeat", "Sigmoid",
    "SoftmaxWithLoss", "Sum", "TwoLayerNet", "check_layer", "cross_entropy_error", "load_fashion_mnist",
    "load_mnist", "make_spiral", "numerical_gradient", "rel_error", "sigmoid", "softmax", "train",
]
__all__ += ["Tensor"]  # the automatic-differentiation engine of chapter 10
