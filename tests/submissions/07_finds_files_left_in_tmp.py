"""Looks for the files that 01_leaves_files_in_tmp.py, graded earlier in the same batch, tried
to leave behind (the batch grades files in sorted order). It says what it found; softmax is
wrong."""
import glob
import os
import tempfile

import numpy as np

found = [p for d in ("/tmp", "/dev/shm", "/var/tmp", tempfile.gettempdir(), "..")
         for p in glob.glob(os.path.join(d, "*@TAG@*"))]
print("left by others:", found or "nothing")


def softmax(x):
    return np.ones_like(x)
