"""The training loop of training.py, fast: the same arithmetic, without the temporaries (book/performance.md).

Read `training.train` first: it is the notes' loop, and the layers it drives are the chapters'.
`train_fast` computes exactly the same numbers for a TwoLayerNet (tests/test_fast_training.py
compares every parameter, loss and accuracy to the last bit) and spends less time between the
matrix products:

- every array a step needs is made once, before the loop, and written in place (`out=`);
- the batch is gathered into one of those arrays (`np.take(..., out=)`), not into a new one;
- what a layer checks or looks up on every call (shapes, labels) is done once, before the loop;
- a step keeps only the log-probabilities its loss needs; the losses are averaged after the loop.
"""
import time

import numpy as np
from tqdm.auto import tqdm

from .functions import labels_to_indices
from .layers import Affine, Relu
from .training import _check_arguments


class FastStep:
    """One SGD step of a TwoLayerNet (Affine1, Relu1, Affine2, SoftmaxWithLoss) in arrays made once.

    The comments name the layer code (layers.py, functions.py) whose arithmetic each line repeats,
    operation for operation: the same operations in the same order give the same bits.
    """

    def __init__(self, params, x_train, batch_size):
        self.W1, self.b1, self.W2, self.b2 = (params[key] for key in ("W1", "b1", "W2", "b2"))
        self.x_train, self.batch_size = x_train, batch_size
        (inputs, hidden), classes = self.W1.shape, self.W2.shape[1]
        dtype = self.W1.dtype
        self.x = np.empty((batch_size, inputs), dtype)       # the batch (Affine1's x)
        self.h = np.empty((batch_size, hidden), dtype)       # Affine1's output, then ReLU's, in place
        self.relu_mask = np.empty((batch_size, hidden), bool)
        self.score = np.empty((batch_size, classes), dtype)  # Affine2's output, then log y, in place
        self.y = np.empty((batch_size, classes), dtype)      # softmax y, then the score's gradient, in place
        self.row = np.empty((batch_size, 1), dtype)          # a max, then a log-sum-exp, of each row
        self.dh = np.empty((batch_size, hidden), dtype)
        self.dW1, self.db1 = np.empty_like(self.W1), np.empty_like(self.b1)
        self.dW2, self.db2 = np.empty_like(self.W2), np.empty_like(self.b2)
        self.grads = ((self.W1, self.dW1), (self.b1, self.db1), (self.W2, self.dW2), (self.b2, self.db2))
        # views are made once too: transposes, flat and one-column looks at the same memory
        self.x_T, self.h_T, self.W2_T = self.x.T, self.h.T, self.W2.T
        self.score_flat, self.y_flat, self.row_flat = self.score.ravel(), self.y.ravel(), self.row[:, 0]
        self.scale = 1 / batch_size  # SoftmaxWithLoss.backward's dout / batch_size, with dout = 1

    def gather(self, batch_mask):
        """x_train[batch_mask], into the same array every time."""
        np.take(self.x_train, batch_mask, axis=0, out=self.x, mode="clip")  # clip: no copy to check indices

    def forward(self, label_index, log_likelihood):
        """network.loss(x, t). label_index: where y[r, t[r]] is in y.ravel(), for each row r;
        log_likelihood receives log y[r, t[r]] (the loss is minus their mean)."""
        h, score, y, row = self.h, self.score, self.y, self.row
        np.matmul(self.x, self.W1, out=h)           # Affine.forward: x @ W + b
        h += self.b1
        np.less_equal(h, 0, out=self.relu_mask)     # Relu.forward: mask = x <= 0; maximum(x, 0)
        np.maximum(h, 0, out=h)
        np.matmul(h, self.W2, out=score)            # Affine.forward
        score += self.b2
        np.maximum.reduce(score, axis=1, out=self.row_flat)  # log_softmax: shifted = x - max(x)
        score -= row
        np.exp(score, out=y)                        # log_y = shifted - log(sum(exp(shifted)))
        np.add.reduce(y, axis=1, out=self.row_flat)
        np.log(row, out=row)
        score -= row
        np.take(self.score_flat, label_index, out=log_likelihood, mode="clip")
        np.exp(score, out=y)                        # SoftmaxWithLoss.forward: y = exp(log_y)

    def backward(self, label_index):
        """network.gradient's backward pass: dW1, db1, dW2, db2 into this object's arrays."""
        dscore, dh = self.y, self.dh
        self.y_flat[label_index] -= 1               # SoftmaxWithLoss.backward: (y - t) * (dout / batch_size)
        dscore *= self.scale
        np.matmul(self.h_T, dscore, out=self.dW2)   # Affine.backward: dW = x.T @ dout, db = sum, dx = dout @ W.T
        np.add.reduce(dscore, axis=0, out=self.db2)
        np.matmul(dscore, self.W2_T, out=dh)
        np.putmask(dh, self.relu_mask, 0)           # Relu.backward: where(mask, 0, dout)
        np.matmul(self.x_T, dh, out=self.dW1)       # Affine.backward, without dx (input_grad=False)
        np.add.reduce(dh, axis=0, out=self.db1)

    def update(self, learning_rate):
        """params[key] -= learning_rate * grad[key], the product written over the gradient."""
        for param, grad in self.grads:
            np.multiply(grad, learning_rate, out=grad)
            np.subtract(param, grad, out=param)


class FastAccuracy:
    """training.accuracy for a TwoLayerNet, chunk by chunk into arrays made once (predict's arithmetic)."""

    def __init__(self, params, chunk_size):
        self.params, self.chunk_size = params, chunk_size
        W1, W2 = params["W1"], params["W2"]
        self.h = np.empty((chunk_size, W1.shape[1]), W1.dtype)
        self.score = np.empty((chunk_size, W2.shape[1]), W2.dtype)
        self.predicted = np.empty(chunk_size, np.int64)
        self.right = np.empty(chunk_size, bool)

    def __call__(self, x, labels):
        W1, b1, W2, b2 = (self.params[key] for key in ("W1", "b1", "W2", "b2"))
        correct = 0
        for start in range(0, len(x), self.chunk_size):
            x_chunk = x[start:start + self.chunk_size]  # a view, not a copy
            n = len(x_chunk)
            h, score, predicted, right = self.h[:n], self.score[:n], self.predicted[:n], self.right[:n]
            np.matmul(x_chunk, W1, out=h)
            h += b1
            np.maximum(h, 0, out=h)
            np.matmul(h, W2, out=score)
            score += b2
            np.argmax(score, axis=1, out=predicted)
            np.equal(predicted, labels[start:start + n], out=right)
            correct += int(np.count_nonzero(right))
        return correct / len(x)


def train_fast(network, x_train, t_train, x_test, t_test, iters_num=10000, batch_size=100,
               learning_rate=0.1, seed=0, eval_every=None, progress=True, chunk_size=10000):
    """training.train(...) for a TwoLayerNet: the same arguments, the same history, bit for bit.

    The network's parameters are trained in place, as by train; its layers' caches are left alone.
    """
    _check_arguments(x_train, t_train, x_test, t_test, iters_num, batch_size)
    x_train, x_test = _check_fast_path(network, x_train, x_test)
    classes = network.params["W2"].shape[1]
    t_train, t_test = labels_to_indices(t_train, classes), labels_to_indices(t_test, classes)
    train_size = x_train.shape[0]
    if eval_every is None:
        eval_every = max(train_size / batch_size, 1)
    rng = np.random.default_rng(seed)
    batch_masks = rng.integers(0, train_size, size=(iters_num, batch_size))  # the batches train draws
    # where y[r, t[r]] is in y.ravel() (r * classes + t[r]), for every row of every batch, looked up once
    label_index = t_train[batch_masks] + np.arange(batch_size) * classes
    learning_rate = float(learning_rate)
    step, accuracy = FastStep(network.params, x_train, batch_size), FastAccuracy(network.params, chunk_size)
    log_likelihood = np.empty((iters_num, batch_size), x_train.dtype)
    history = {"loss": [], "train_acc": [], "test_acc": [], "iteration_of_eval": []}

    start = time.perf_counter()
    bar = tqdm(range(iters_num), desc="training", unit="iter", disable=not progress)
    for i in bar:
        step.gather(batch_masks[i])
        step.forward(label_index[i], log_likelihood[i])
        step.backward(label_index[i])
        step.update(learning_rate)
        if i % eval_every == 0:
            train_acc, test_acc = accuracy(x_train, t_train), accuracy(x_test, t_test)
            history["train_acc"].append(train_acc)
            history["test_acc"].append(test_acc)
            history["iteration_of_eval"].append(i)
            if progress:
                bar.write(f"epoch {len(history['test_acc']) - 1:3d} (iteration {i:6d}): "
                          f"train acc {train_acc:.4f}, test acc {test_acc:.4f}")
    history["final_train_acc"] = accuracy(x_train, t_train)
    history["final_test_acc"] = accuracy(x_test, t_test)
    history["loss"] = (-np.mean(log_likelihood, axis=1)).tolist()  # SoftmaxWithLoss: -mean(log y[r, t[r]])
    history["seconds"] = time.perf_counter() - start
    bar.close()
    return history


def _check_fast_path(network, x_train, x_test):
    """x_train and x_test as (N, inputs) arrays of the parameters' dtype, for a TwoLayerNet of Affine, Relu, Affine."""
    kinds = [type(layer) for layer in getattr(network, "layers", {}).values()]
    if kinds != [Affine, Relu, Affine] or not all(key in network.params for key in ("W1", "b1", "W2", "b2")):
        raise ValueError(f"train_fast expects a TwoLayerNet (Affine, Relu, Affine); found layers "
                         f"{[kind.__name__ for kind in kinds]}: use training.train")
    W1 = network.params["W1"]
    flat = []
    for name, x in (("x_train", x_train), ("x_test", x_test)):
        x = np.asarray(x)
        if x.dtype != W1.dtype or x.ndim < 2 or np.prod(x.shape[1:]) != W1.shape[0]:
            raise ValueError(f"train_fast expects {name} of shape (N, {W1.shape[0]}) and dtype {W1.dtype} "
                             f"(the parameters'); found shape {x.shape} and dtype {x.dtype}")
        flat.append(np.ascontiguousarray(x.reshape(len(x), -1)))
    return flat
