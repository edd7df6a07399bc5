"""Exercise 27 with the gradients by central differences of a forward that stores nothing: no memory to speak
of, but two forward passes of 400 layers for each of the deep case's 108,800 parameters: the CPU limit stops it
there, and every backward test requires that case."""
import numpy as np


class CheckpointedStack:
    def __init__(self, W, b, every):
        self.W, self.b, self.every = W, b, every

    def forward(self, x):
        self.x = x
        h = x
        for l in range(len(self.W)):
            h = np.maximum(h @ self.W[l] + self.b[l], 0)
        return h

    def backward(self, dout, h=1e-5):
        x = self.x

        def gradient(array):
            grad = np.zeros_like(array)
            for idx in np.ndindex(array.shape):
                old = array[idx]
                array[idx] = old + h
                plus = np.sum(self.forward(x) * dout)
                array[idx] = old - h
                minus = np.sum(self.forward(x) * dout)
                array[idx] = old
                grad[idx] = (plus - minus) / (2 * h)
            return grad
        self.dW, self.db = gradient(self.W), gradient(self.b)
