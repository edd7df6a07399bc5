"""Backpropagation against the numerical gradient for TwoLayerNet(784, 50, 10) on a batch of 3.

The numerical gradient perturbs each of the 39,760 parameters twice (central differences), so it
costs about 80,000 forward passes; backpropagation costs one forward and one backward pass.
Both run in float64, alternating, for --rounds rounds; the medians and their ratio go to
results/gradcheck.json and results/gradcheck.md.

    .venv/bin/python bench/bench_gradcheck.py [--rounds 3] [--threads 1]
"""
import argparse
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from common import RESULTS, machine, write_atomic, write_json

from backprop_lib.datasets import load_fashion_mnist
from backprop_lib.gradcheck import rel_error
from backprop_lib.network import TwoLayerNet

BATCH_SIZE = 3


def time_backprop(network, x, t, min_seconds=0.5):
    """Seconds per network.gradient call, averaged over as many calls as fit in min_seconds."""
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        network.gradient(x, t)
        calls += 1
    return (time.perf_counter() - start) / calls


def time_numerical(network, x, t):
    start = time.perf_counter()
    grads = network.numerical_gradient(x, t)
    return time.perf_counter() - start, grads


def markdown(result):
    s = result["summary"]
    return (f"Gradient of TwoLayerNet(784, 50, 10) on a batch of {BATCH_SIZE} Fashion-MNIST images, float64, "
            f"{result['config']['threads']} BLAS thread(s), median of {result['config']['rounds']} rounds.\n\n"
            "| method | seconds per gradient |\n|---|---|\n"
            f"| numerical (central differences) | {s['numerical_seconds']:.3f} |\n"
            f"| backpropagation | {s['backprop_seconds'] * 1e3:.4f} ms |\n\n"
            f"Backpropagation is **{s['ratio_numerical_over_backprop']:,.0f}x** faster; the two gradients "
            f"agree to a relative error of {s['max_rel_error']:.1e} (largest over all entries, "
            f"max |a-b| / max(1e-8, |a|+|b|)).\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    (x_train, t_train), _ = load_fashion_mnist()
    x, t = x_train[:BATCH_SIZE].astype(np.float64), t_train[:BATCH_SIZE]
    network = TwoLayerNet(784, 50, 10, seed=0)
    result = {"benchmark": "gradcheck", "machine": machine(),
              "config": {"network": "TwoLayerNet(784, 50, 10)", "batch_size": BATCH_SIZE, "dtype": "float64",
                         "parameters": int(sum(p.size for p in network.params.values())),
                         "threads": args.threads, "rounds": args.rounds},
              "runs": []}
    with threadpool_limits(limits=args.threads):
        for round_ in range(args.rounds):
            numerical_seconds, numerical = time_numerical(network, x, t)
            backprop_seconds = time_backprop(network, x, t)
            backprop = network.gradient(x, t)
            error = max(rel_error(backprop[key], numerical[key]) for key in backprop)
            result["runs"].append({"round": round_, "numerical_seconds": numerical_seconds,
                                   "backprop_seconds": backprop_seconds, "max_rel_error": error})
            print(f"round {round_}: numerical {numerical_seconds:.2f} s, backprop {backprop_seconds * 1e3:.3f} ms, "
                  f"rel error {error:.1e}", file=sys.stderr)
    runs = result["runs"]
    summary = {"numerical_seconds": statistics.median(r["numerical_seconds"] for r in runs),
               "backprop_seconds": statistics.median(r["backprop_seconds"] for r in runs),
               "max_rel_error": max(r["max_rel_error"] for r in runs)}
    summary["ratio_numerical_over_backprop"] = summary["numerical_seconds"] / summary["backprop_seconds"]
    result["summary"] = summary
    write_json(RESULTS / "gradcheck.json", result)
    write_atomic(RESULTS / "gradcheck.md", markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
