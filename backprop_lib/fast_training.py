"""The training loop of training.py, fast: the same arithmetic, without the temporaries (book/performance.md).

Read `training.train` first: it is the notes' loop, and the layers it drives are the chapters'.
`train_fast` computes exactly the same numbers for a TwoLayerNet (tests/test_fast_training.py
compares every parameter, loss and accuracy to the last bit), but spends less time between the
matrix products:

- every array a step needs is made once, before the loop, and written in place (`out=`);
- the batch is gathered into one of those arrays (`np.take(..., out=)`) instead of a new one;
- what a layer checks on every call (shapes, labels) is checked once, for the whole data set;
- each step keeps only the log-probabilities its loss needs, and the losses are averaged after the loop.
"""
import time

import numpy as np
from tqdm.auto import tqdm

from .functions import labels_to_indices
from .layers import Affine, Relu
from .training import _check_arguments


class FastStep:
    """One SGD step of a TwoLayerNet: Affine1 -> ReLU -> Affine2 -> SoftmaxWithLoss, in arrays made once.

    Each method names the part of training.train it replaces; the comments name the layer code
    (layers.py) whose arithmetic, operation for operation, it repeats.
    """

    def __init__(self, network, x_train, labels, batch_size):
        self.W1, self.b1, self.W2, self.b2 = (network.params[key] for key in ("W1", "b1", "W2", "b2"))
        self.x_train, self.labels, self.batch_size = x_train, labels, batch_size
        (inputs, hidden), classes = self.W1.shape, self.W2.shape[1]

        def empty(*shape, dtype=self.W1.dtype):
            return np.empty(shape, dtype)

        self.x = empty(batch_size, inputs)          # the batch (Affine1's x)
        self.h = empty(batch_size, hidden)          # Affine1's output, then ReLU's, in place
        self.relu_mask = empty(batch_size, hidden, dtype=bool)
        self.score = empty(batch_size, classes)     # Affine2's output, then log-softmax, in place
        self.y = empty(batch_size, classes)         # softmax, then the gradient of the score, in place
        self.row = empty(batch_size, 1)             # a max, then a log-sum-exp, per row
        self.dh = empty(batch_size, hidden)
        self.dW1, self.db1 = np.empty_like(self.W1), np.empty_like(self.b1)
        self.dW2, self.db2 = np.empty_like(self.W2), np.empty_like(self.b2)
        self.grads = ((self.W1, self.dW1), (self.b1, self.db1), (self.W2, self.dW2), (self.b2, self.db2))
        # y[r, t[r]] for every row r, as one index into the flat array: y.ravel()[r * classes + t[r]]
        self.row_start = np.arange(batch_size) * classes
        self.label_index = np.empty(batch_size, np.int64)

    def gather(self, batch_mask):
        """x_train[batch_mask], t_train[batch_mask], into the same arrays every time."""
        np.take(self.x_train, batch_mask, axis=0, out=self.x)
        np.take(self.labels, batch_mask, out=self.label_index)
        self.label_index += self.row_start

    def forward(self, log_likelihood):
        """network.loss(x, t); log_likelihood receives log y[r, t[r]] of every row (the loss is minus their mean)."""
        h, score, y, row = self.h, self.score, self.y, self.row
        np.matmul(self.x, self.W1, out=h)        # Affine.forward: x @ W + b
        h += self.b1
        np.less_equal(h, 0, out=self.relu_mask)  # Relu.forward: mask = x <= 0, max(x, 0)
        np.maximum(h, 0, out=h)
        np.matmul(h, self.W2, out=score)         # Affine.forward
        score += self.b2
        np.max(score, axis=-1, keepdims=True, out=row)  # log_softmax: shifted = x - max(x)
        score -= row
        np.exp(score, out=y)                     # shifted - log(sum(exp(shifted)))
        np.sum(y, axis=-1, keepdims=True, out=row)
        np.log(row, out=row)
        score -= row
        np.take(score.ravel(), self.label_index, out=log_likelihood)
        np.exp(score, out=y)                     # SoftmaxWithLoss.forward: y = exp(log_y)

    def backward(self):
        """network.gradient's backward pass, leaving dW1, db1, dW2, db2 in this object's arrays."""
        dscore, dh = self.y, self.dh
        dscore.ravel()[self.label_index] -= 1     # SoftmaxWithLoss.backward: (y - t) * (dout / batch_size)
        dscore *= 1 / self.batch_size
        np.matmul(self.h.T, dscore, out=self.dW2)  # Affine.backward: dW = x.T @ dout, db, dx = dout @ W.T
        np.sum(dscore, axis=0, out=self.db2)
        np.matmul(dscore, self.W2.T, out=dh)
        np.copyto(dh, 0, where=self.relu_mask)   # Relu.backward: where(mask, 0, dout)
        np.matmul(self.x.T, dh, out=self.dW1)    # Affine.backward, without dx (input_grad=False)
        np.sum(dh, axis=0, out=self.db1)

    def update(self, learning_rate):
        """params[key] -= learning_rate * grad[key], the product written over the gradient."""
        for param, grad in self.grads:
            np.multiply(grad, learning_rate, out=grad)
            np.subtract(param, grad, out=param)


class FastAccuracy:
    """training.accuracy for a TwoLayerNet, chunk by chunk into arrays made once (predict's arithmetic)."""

    def __init__(self, network, chunk_size):
        W1, W2 = network.params["W1"], network.params["W2"]
        self.params = network.params
        self.chunk_size = chunk_size
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
    """training.train(...) for a TwoLayerNet, with the same arguments and the same history, bit for bit.

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
    learning_rate = float(learning_rate)
    step, accuracy = FastStep(network, x_train, t_train, batch_size), FastAccuracy(network, chunk_size)
    log_likelihood = np.empty((iters_num, batch_size), x_train.dtype)  # row i: log y[r, t[r]] of step i
    history = {"loss": [], "train_acc": [], "test_acc": [], "iteration_of_eval": []}

    start = time.perf_counter()
    bar = tqdm(range(iters_num), desc="training", unit="iter", disable=not progress)
    for i in bar:
        step.gather(batch_masks[i])
        step.forward(log_likelihood[i])
        step.backward()
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
    layers = list(getattr(network, "layers", {}).values())
    kinds = [type(layer) for layer in layers]
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
