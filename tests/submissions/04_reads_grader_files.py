"""Looks everywhere for the answers or the grader's secret: the solutions, the library, the
grader's environment and processes. It prints what it found and returns garbage."""
import glob
import os

import numpy as np

FOUND = {}
for pattern in ("/work/main/solutions/*", "/work/*/solutions/*", "/work/main/backprop_lib/layers.py",
                "/work/main/backprop_grader/*.py", "/root/*", "/home/*/*", "/tmp/*",
                "/autograder/source/*", "../*", "/proc/1/environ", "/proc/*/cmdline", "_lib/backprop_lib/*"):
    for path in glob.glob(pattern):
        try:
            FOUND[path] = open(path, "rb").read(200)
        except OSError:
            pass
FOUND.update({k: v for k, v in os.environ.items() if "SECRET" in k or "SEED" in k})
readable = sorted(p for p in FOUND if "MatMul" in str(FOUND[p]) or "SECRET" in p or "solutions" in p)
print("found:", readable or "nothing")


class MatMul:
    def __init__(self, W):
        self.W = W
        self.dW = np.zeros_like(W)

    def forward(self, x):
        return np.full((x.shape[0], self.W.shape[1]), 42.0)

    def backward(self, dout):
        return np.full((dout.shape[0], self.W.shape[0]), 42.0)
