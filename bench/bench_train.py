"""The notes' training run, ours against PyTorch CPU, alternating in one process.

Both train 784-50-10 (weights N(0, 0.01^2), zero biases) on Fashion-MNIST in float32 by SGD
(lr 0.1, batch 100) for 10,000 iterations on the same pre-drawn batches, and evaluate on the
full train and test sets every epoch (600 iterations) and once at the end.
Writes results/train.json, results/train.md and results/train.png.

    .venv/bin/python bench/bench_train.py [--rounds 3] [--iters 10000] [--threads 1]
"""
import argparse
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from common import RESULTS, machine, write_atomic, write_json

from backprop_lib.datasets import load_fashion_mnist
from backprop_lib.network import TwoLayerNet
from backprop_lib.training import train

BATCH_SIZE, LEARNING_RATE, HIDDEN = 100, 0.1, 50


def run_ours(data, iters, seed):
    (x_train, t_train), (x_test, t_test) = data
    network = TwoLayerNet(784, HIDDEN, 10, weight_init_std=0.01, seed=seed, dtype=np.float32)
    history = train(network, x_train, t_train, x_test, t_test, iters_num=iters, batch_size=BATCH_SIZE,
                    learning_rate=LEARNING_RATE, seed=seed, progress=False)
    return {"seconds": history["seconds"], "final_test_acc": history["final_test_acc"],
            "final_train_acc": history["final_train_acc"], "test_acc": history["test_acc"],
            "iteration_of_eval": history["iteration_of_eval"]}


def run_torch(data, iters, seed):
    """The same run written as a PyTorch user would: nn.Sequential, F.cross_entropy, optim.SGD."""
    import torch
    from torch import nn

    (x_train, t_train), (x_test, t_test) = [(torch.from_numpy(x), torch.from_numpy(t)) for x, t in data]
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
    for layer in (model[0], model[2]):
        nn.init.normal_(layer.weight, std=0.01)
        nn.init.zeros_(layer.bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    # the same batches as train() draws for this seed
    batch_masks = torch.from_numpy(np.random.default_rng(seed).integers(0, len(x_train), (iters, BATCH_SIZE)))
    eval_every = max(len(x_train) / BATCH_SIZE, 1)

    def accuracy(x, t):
        with torch.no_grad():
            return (model(x).argmax(dim=1) == t).sum().item() / len(t)  # an exact fraction, like ours

    test_acc, iteration_of_eval = [], []
    start = time.perf_counter()
    for i in range(iters):
        batch_mask = batch_masks[i]
        loss = nn.functional.cross_entropy(model(x_train[batch_mask]), t_train[batch_mask])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i % eval_every == 0:
            accuracy(x_train, t_train)
            test_acc.append(accuracy(x_test, t_test))
            iteration_of_eval.append(i)
    final_train_acc, final_test_acc = accuracy(x_train, t_train), accuracy(x_test, t_test)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "final_test_acc": final_test_acc, "final_train_acc": final_train_acc,
            "test_acc": test_acc, "iteration_of_eval": iteration_of_eval}


IMPLEMENTATIONS = {"backprop_lib": run_ours, "pytorch": run_torch}


def summarize(runs):
    summary = {}
    for name in IMPLEMENTATIONS:
        mine = [run for run in runs if run["implementation"] == name]
        summary[name] = {"median_seconds": statistics.median(run["seconds"] for run in mine),
                         "min_seconds": min(run["seconds"] for run in mine),
                         "final_test_acc": statistics.median(run["final_test_acc"] for run in mine)}
    summary["ratio_torch_over_ours"] = summary["pytorch"]["median_seconds"] / summary["backprop_lib"]["median_seconds"]
    return summary


def markdown(result):
    s, c = result["summary"], result["config"]
    lines = [f"Training run of the notes on Fashion-MNIST: {c['iters']} iterations, batch {c['batch_size']}, "
             f"lr {c['learning_rate']}, float32, {c['threads']} BLAS thread(s), median of {c['rounds']} "
             f"alternating rounds.", "",
             "| implementation | seconds (median) | seconds (min) | final test accuracy |", "|---|---|---|---|"]
    for name in IMPLEMENTATIONS:
        lines.append(f"| {name} | {s[name]['median_seconds']:.2f} | {s[name]['min_seconds']:.2f} | "
                     f"{s[name]['final_test_acc']:.4f} |")
    lines += ["", f"Speed ratio PyTorch time / our time: **{s['ratio_torch_over_ours']:.2f}** "
                  f"(above 1 means ours is faster)."]
    return "\n".join(lines) + "\n"


def plot(result, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.5), layout="constrained")
    ax_time, ax_acc = fig.subplots(1, 2)
    names = list(IMPLEMENTATIONS)
    ax_time.bar(names, [result["summary"][n]["median_seconds"] for n in names], color=["C0", "C1"])
    ax_time.set(ylabel="seconds (median)", title="training time, lower is better")
    for name, color in zip(names, ["C0", "C1"]):
        run = next(r for r in result["runs"] if r["implementation"] == name)
        ax_acc.plot(run["iteration_of_eval"], run["test_acc"], marker="o", color=color, label=name)
    ax_acc.set(xlabel="iteration", ylabel="test accuracy", title="test accuracy (round 1)")
    ax_acc.legend(loc="lower right")
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iters", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads of both implementations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="train", help="results/NAME.json, .md, .png")
    args = parser.parse_args(argv)

    import torch
    torch.set_num_threads(args.threads)
    data = load_fashion_mnist()
    result = {"benchmark": "train", "machine": machine(),
              "config": {"iters": args.iters, "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE,
                         "hidden_size": HIDDEN, "dtype": "float32", "threads": args.threads,
                         "rounds": args.rounds, "seed": args.seed, "dataset": "fashion-mnist"},
              "runs": []}
    with threadpool_limits(limits=args.threads):
        for round_ in range(args.rounds):
            order = list(IMPLEMENTATIONS) if round_ % 2 == 0 else list(reversed(IMPLEMENTATIONS))
            for name in order:
                run = IMPLEMENTATIONS[name](data, args.iters, args.seed)
                result["runs"].append({"implementation": name, "round": round_, **run})
                print(f"round {round_}: {name:12s} {run['seconds']:7.2f} s, "
                      f"test acc {run['final_test_acc']:.4f}", file=sys.stderr)
    result["summary"] = summarize(result["runs"])
    write_json(RESULTS / f"{args.name}.json", result)
    write_atomic(RESULTS / f"{args.name}.md", markdown(result))
    plot(result, RESULTS / f"{args.name}.png")
    print(markdown(result))


if __name__ == "__main__":
    main()
