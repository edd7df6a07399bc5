"""Takes the library's Affine instead of writing one."""
from backprop_lib.layers import Affine  # noqa: F401
