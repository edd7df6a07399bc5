"""Reads the course's own files by their paths (filled in by tests/test_hostile.py): the
library (its layers are the reference answers), the grader, the solutions, the tests. It says
what it could read and returns garbage."""
import glob

import numpy as np

read = []
for pattern in ("@REPO@/backprop_lib/layers.py", "@REPO@/backprop_lib/*.py", "@REPO@/backprop_grader/*.py",
                "@REPO@/solutions/*.ipynb", "@REPO@/tests/*.py", "@REPO@/pyproject.toml"):
    for path in glob.glob(pattern) or [pattern]:  # glob needs to list the directory; a direct open does not
        try:
            with open(path, "rb") as f:
                if f.read(100):
                    read.append(path)
        except OSError:
            pass
print("course files read:", read or "nothing")


class MatMul:
    def __init__(self, W):
        self.W = W
        self.dW = np.zeros_like(W)

    def forward(self, x):
        return x @ self.W * 0 + 1.0

    def backward(self, dout):
        return dout @ self.W.T * 0 + 1.0
