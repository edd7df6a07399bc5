"""Where a training step's time goes, what each optimisation bought, and the floor of the notes' run.

Used by bench_train.py (its results go to results/train.json). Three measurements, all with the
same one BLAS thread as the full runs:

- profile: a step cut into five phases (gather the batch, forward, backward, update, the rest of the
  loop), timed with perf_counter_ns around each phase, for the readable loop (training.train),
  the fast path (fast_training.train_fast) and PyTorch; the median of each phase over many steps.
- products: the matrix products of a step and of an evaluation alone, on arrays of the same shapes,
  written into arrays made once: the part no implementation in NumPy can skip (the floor).
- ablation: the time of a step and of an evaluation as the optimisations are added one at a time,
  from the notes' code (float64, the first layer computing dx) to the fast path.
"""
import statistics
import time

import numpy as np

from backprop_lib.fast_training import FastAccuracy, FastStep
from backprop_lib.network import TwoLayerNet
from backprop_lib.training import accuracy

PHASES = ("gather", "forward", "backward", "update", "loop")
CHUNK = 10000  # the evaluation's chunk of rows, as training.accuracy's
# An evaluation lasts about 0.1 s, long enough for a busy machine to take the core away in the middle:
# evaluations are timed in this thread's CPU time. A step (a third of a millisecond) is timed on the wall
# clock, and the median over thousands of steps leaves out the few that were interrupted.
CPU = time.thread_time_ns


class Readable:
    """training.train's loop body, cut into phases: the same calls as the loop and network.gradient."""

    def __init__(self, network, data, batch_masks, learning_rate, eval_every):
        (self.x_train, self.t_train), _ = data
        self.network, self.batch_masks = network, batch_masks
        self.learning_rate, self.eval_every, self.losses = learning_rate, eval_every, []

    def gather(self, i):
        batch_mask = self.batch_masks[i]
        self.x, self.t = self.x_train[batch_mask], self.t_train[batch_mask]

    def forward(self, i):
        self.network.loss(self.x, self.t)

    def backward(self, i):  # the rest of network.gradient
        network = self.network
        dout = network.last_layer.backward(1)
        for layer in reversed(network.layers.values()):
            dout = layer.backward(dout)
        self.grad = {key: getattr(network.layers[name], "d" + attr)
                     for key, (name, attr) in network._param_owner.items()}

    def update(self, i):
        for key in self.network.params:
            self.network.params[key] -= self.learning_rate * self.grad[key]

    def record(self, i):
        self.losses.append(float(self.network.last_layer.loss))
        return i % self.eval_every == 0


class ReusedBatch(Readable):
    """The readable loop, its batch gathered into one array made once (the layers unchanged)."""

    def gather(self, i):
        if not hasattr(self, "buffer"):
            self.buffer = np.empty((self.batch_masks.shape[1], self.x_train.shape[1]), self.x_train.dtype)
        batch_mask = self.batch_masks[i]
        self.x = np.take(self.x_train, batch_mask, axis=0, out=self.buffer, mode="clip")
        self.t = self.t_train[batch_mask]


class InPlaceUpdate(ReusedBatch):
    """... and its update without the temporary learning_rate * grad."""

    def update(self, i):
        for key, param in self.network.params.items():
            grad = self.grad[key]  # the layer's own dW, db: made anew by the next backward
            np.multiply(grad, self.learning_rate, out=grad)
            np.subtract(param, grad, out=param)


class Fast:
    """fast_training.train_fast's loop body: FastStep's four methods."""

    def __init__(self, network, data, batch_masks, learning_rate, eval_every):
        (x_train, t_train), _ = data
        batch_size, classes = batch_masks.shape[1], network.params["W2"].shape[1]
        self.step = FastStep(network.params, x_train, batch_size)
        self.batch_masks, self.learning_rate, self.eval_every = batch_masks, learning_rate, eval_every
        self.label_index = t_train[batch_masks] + np.arange(batch_size) * classes
        self.log_likelihood = np.empty(batch_masks.shape, x_train.dtype)

    def gather(self, i):
        self.step.gather(self.batch_masks[i])

    def forward(self, i):
        self.step.forward(self.label_index[i], self.log_likelihood[i])

    def backward(self, i):
        self.step.backward(self.label_index[i])

    def update(self, i):
        self.step.update(self.learning_rate)

    def record(self, i):
        return i % self.eval_every == 0


class Torch:
    """bench_train.run_torch's loop body."""

    def __init__(self, model, data, batch_masks, learning_rate, eval_every):
        import torch

        (x_train, t_train), _ = data
        self.x_train, self.t_train = torch.from_numpy(x_train), torch.from_numpy(t_train)
        self.model, self.batch_masks, self.eval_every = model, torch.from_numpy(batch_masks), eval_every
        self.optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        self.cross_entropy = torch.nn.functional.cross_entropy

    def gather(self, i):
        batch_mask = self.batch_masks[i]
        self.x, self.t = self.x_train[batch_mask], self.t_train[batch_mask]

    def forward(self, i):
        self.loss = self.cross_entropy(self.model(self.x), self.t)

    def backward(self, i):
        self.optimizer.zero_grad()
        self.loss.backward()

    def update(self, i):
        self.optimizer.step()

    def record(self, i):
        return i % self.eval_every == 0


def time_steps(stepper, steps, warmup=200):
    """Nanoseconds of each phase of each step, an array (steps, 5); the first `warmup` steps are dropped."""
    clock = time.perf_counter_ns
    times = []  # a list of tuples: storing a step's times costs a tenth of a microsecond
    last = clock()
    for i in range(warmup + steps + 1):
        t0 = clock()
        stepper.gather(i)
        t1 = clock()
        stepper.forward(i)
        t2 = clock()
        stepper.backward(i)
        t3 = clock()
        stepper.update(i)
        t4 = clock()
        times.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3, t0 - last))  # the loop: from the last step's update
        stepper.record(i)
        last = t4
    times = np.array(times)
    times[:-1, 4] = times[1:, 4]  # a step's loop part ends where the next step starts
    return times[warmup:-1]


def median_us(samples):
    return float(np.median(samples)) / 1e3


def torch_model(seed, hidden):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    for layer in (model[0], model[2]):
        nn.init.normal_(layer.weight, std=0.01)
        nn.init.zeros_(layer.bias)
    return model


def network(dtype, hidden, seed, first_layer_dx=False):
    net = TwoLayerNet(784, hidden, 10, weight_init_std=0.01, seed=seed, dtype=dtype)
    net.layers["Affine1"].input_grad = first_layer_dx
    return net


def as_dtype(data, dtype):
    return [(x.astype(dtype, copy=False), t) for x, t in data]


def profile(data, config, steps=2000, rounds=3):
    """The phases of a step (median µs) for the readable loop, the fast path and PyTorch."""
    hidden, lr, seed = config["hidden_size"], config["learning_rate"], config["seed"]
    batch_masks = np.random.default_rng(seed).integers(0, len(data[0][0]), (steps + 201, config["batch_size"]))
    makers = {
        "readable": lambda: Readable(network(np.float32, hidden, seed), data, batch_masks, lr, 600),
        "fast": lambda: Fast(network(np.float32, hidden, seed), data, batch_masks, lr, 600),
        "pytorch": lambda: Torch(torch_model(seed, hidden), data, batch_masks, lr, 600)}
    samples = {name: [] for name in makers}
    for _ in range(rounds):
        for name, make in makers.items():
            samples[name].append(time_steps(make(), steps))
    result = {}
    for name, rounds_ in samples.items():
        times = np.concatenate(rounds_)
        result[name] = {phase: median_us(times[:, k]) for k, phase in enumerate(PHASES)}
        result[name]["step"] = median_us(times.sum(axis=1))
    return result


def time_call(function, repeats, clock=time.perf_counter_ns):
    """Median nanoseconds of function() over `repeats` calls, after one call to warm up."""
    function()
    samples = []
    for _ in range(repeats):
        start = clock()
        function()
        samples.append(clock() - start)
    return statistics.median(samples)


def products(data, config, repeats=2000, eval_repeats=5):
    """The matrix products alone: of one step (µs, by name) and of one full evaluation (ms)."""
    (x_train, t_train), (x_test, _) = data
    hidden, batch_size, classes = config["hidden_size"], config["batch_size"], 10
    rng = np.random.default_rng(0)
    x = x_train[rng.integers(0, len(x_train), batch_size)]
    W1 = (0.01 * rng.standard_normal((784, hidden))).astype(np.float32)
    W2 = (0.01 * rng.standard_normal((hidden, classes))).astype(np.float32)
    h, dh = np.empty((batch_size, hidden), np.float32), np.empty((batch_size, hidden), np.float32)
    score, dscore = np.empty((batch_size, classes), np.float32), rng.standard_normal((batch_size, classes)).astype(np.float32)
    dW1, dW2 = np.empty_like(W1), np.empty_like(W2)
    step = {  # (phase, product): the products of forward and backward, as layers.py writes them
        ("forward", "x W1"): lambda: np.matmul(x, W1, out=h),
        ("forward", "h W2"): lambda: np.matmul(h, W2, out=score),
        ("backward", "h^T dscore"): lambda: np.matmul(h.T, dscore, out=dW2),
        ("backward", "dscore W2^T"): lambda: np.matmul(dscore, W2.T, out=dh),
        ("backward", "x^T dh"): lambda: np.matmul(x.T, dh, out=dW1)}
    step_us = {f"{phase}: {name}": time_call(f, repeats) / 1e3 for (phase, name), f in step.items()}
    h_chunk, score_chunk = np.empty((CHUNK, hidden), np.float32), np.empty((CHUNK, classes), np.float32)

    def evaluation():
        for x_all in (x_train, x_test):
            for start in range(0, len(x_all), CHUNK):
                x_chunk = x_all[start:start + CHUNK]
                np.matmul(x_chunk, W1, out=h_chunk[:len(x_chunk)])
                np.matmul(h_chunk[:len(x_chunk)], W2, out=score_chunk[:len(x_chunk)])

    return {"step_us": step_us, "evaluation_ms": time_call(evaluation, eval_repeats, CPU) / 1e6}


def evaluation_ms(data, config, repeats=5):
    """One full evaluation (train and test accuracy), ms, for each implementation and variant."""
    (x_train, t_train), (x_test, t_test) = data
    hidden, seed = config["hidden_size"], config["seed"]
    float64 = as_dtype(data, np.float64)
    net32, net64 = network(np.float32, hidden, seed), network(np.float64, hidden, seed)
    fast = FastAccuracy(net32.params, CHUNK)
    model = torch_model(seed, hidden)
    import torch

    (tx, tt), (vx, vt) = [(torch.from_numpy(x), torch.from_numpy(t)) for x, t in data]

    def torch_accuracy(x, t):
        with torch.no_grad():
            return (model(x).argmax(dim=1) == t).sum().item() / len(t)

    variants = {
        "float64, chunks of 10,000": lambda: (accuracy(net64, *float64[0]), accuracy(net64, *float64[1])),
        "float32, the whole set at once": lambda: (net32.accuracy(x_train, t_train), net32.accuracy(x_test, t_test)),
        "float32, chunks of 10,000": lambda: (accuracy(net32, x_train, t_train), accuracy(net32, x_test, t_test)),
        "float32, chunks into arrays made once": lambda: (fast(x_train, t_train), fast(x_test, t_test)),
        "pytorch": lambda: (torch_accuracy(tx, tt), torch_accuracy(vx, vt))}
    samples = {name: [] for name in variants}
    for _ in range(repeats):  # alternating, so that a busy moment of the machine hits every variant
        for name, function in variants.items():
            samples[name].append(time_call(function, 1, CPU) / 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


# The ablation, one change at a time: (what changed, the stepper, its dtype, the first layer computes dx).
LADDER = (
    ("the notes' code: float64, the first layer computes dx", Readable, np.float64, True),
    ("float32 instead of float64", Readable, np.float32, True),
    ("the first layer skips dx (chapter 9's train)", Readable, np.float32, False),
    ("the batch gathered into one array made once", ReusedBatch, np.float32, False),
    ("the update without a temporary", InPlaceUpdate, np.float32, False),
    ("every array of a step made once (train_fast)", Fast, np.float32, False),
)


def ablation(data, config, steps=1500, rounds=3):
    """Median µs per step of each rung of LADDER, measured in alternating rounds."""
    hidden, lr, seed = config["hidden_size"], config["learning_rate"], config["seed"]
    batch_masks = np.random.default_rng(seed).integers(0, len(data[0][0]), (steps + 201, config["batch_size"]))
    datasets = {np.float32: data, np.float64: as_dtype(data, np.float64)}
    samples = {name: [] for name, *_ in LADDER}
    for _ in range(rounds):
        for name, stepper, dtype, first_layer_dx in LADDER:
            net = network(dtype, hidden, seed, first_layer_dx)
            samples[name].append(time_steps(stepper(net, datasets[dtype], batch_masks, lr, 600), steps).sum(axis=1))
    return [{"change": name, "step_us": median_us(np.concatenate(samples[name]))} for name, *_ in LADDER]
