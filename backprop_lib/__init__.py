"""backprop_lib: the layers, network, checks and data of the backpropagation course.

Every chapter, exercise, test and the grader imports from here.
"""
from .functions import cross_entropy_error, sigmoid, softmax
from .gradcheck import check_layer, numerical_gradient, rel_error
from .layers import Affine, MatMul, Relu, Sigmoid, SoftmaxWithLoss
from .network import TwoLayerNet
from .nodes import AddLayer, Branch, MulLayer, Repeat, Sum

__all__ = [
    "AddLayer", "Affine", "Branch", "MatMul", "MulLayer", "Relu", "Repeat", "Sigmoid",
    "SoftmaxWithLoss", "Sum", "TwoLayerNet", "check_layer", "cross_entropy_error",
    "numerical_gradient", "rel_error", "sigmoid", "softmax",
]
