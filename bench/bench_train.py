"""The notes' training run: the fast path, the readable loop and PyTorch CPU, alternating in one process.

All three train 784-50-10 (weights N(0, 0.01^2), zero biases) on Fashion-MNIST in float32 by SGD
(lr 0.1, batch 100) for 10,000 iterations on the same pre-drawn batches, and evaluate on the
full train and test sets every epoch (600 iterations) and once at the end. Then train_profile.py
measures where a step's time goes, the floor (the matrix products alone) and the ablation.
Writes results/train.json and results/train.md; scripts/performance.py draws the page from them.

    .venv/bin/python bench/bench_train.py [--rounds 5] [--iters 10000] [--threads 1] [--no-profile]
"""
import argparse
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import train_profile
from common import RESULTS, machine, write_atomic, write_json

from backprop_lib.datasets import load_fashion_mnist
from backprop_lib.fast_training import train_fast
from backprop_lib.network import TwoLayerNet
from backprop_lib.training import train

BATCH_SIZE, LEARNING_RATE, HIDDEN = 100, 0.1, 50


def run_backprop_lib(loop):
    def run(data, iters, seed):
        (x_train, t_train), (x_test, t_test) = data
        network = TwoLayerNet(784, HIDDEN, 10, weight_init_std=0.01, seed=seed, dtype=np.float32)
        history = loop(network, x_train, t_train, x_test, t_test, iters_num=iters, batch_size=BATCH_SIZE,
                       learning_rate=LEARNING_RATE, seed=seed, progress=False)
        return {key: history[key] for key in ("seconds", "final_test_acc", "final_train_acc", "test_acc",
                                              "iteration_of_eval")}
    return run


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


# fast: fast_training.train_fast; readable: training.train (chapter 9); pytorch: the peer
IMPLEMENTATIONS = {"fast": run_backprop_lib(train_fast), "readable": run_backprop_lib(train), "pytorch": run_torch}


def timed(run, data, iters, seed):
    """run(...)'s result, with the process's CPU seconds beside the wall seconds the run measured itself.
    On a busy machine the wall time also counts the time other jobs held the core; the CPU time does not."""
    cpu = time.process_time()
    result = run(data, iters, seed)
    return {**result, "cpu_seconds": time.process_time() - cpu}


def summarize(runs):
    summary = {}
    for name in IMPLEMENTATIONS:
        mine = [run for run in runs if run["implementation"] == name]
        summary[name] = {"median_seconds": statistics.median(run["seconds"] for run in mine),
                         "min_seconds": min(run["seconds"] for run in mine),
                         "median_cpu_seconds": statistics.median(run["cpu_seconds"] for run in mine),
                         "final_test_acc": statistics.median(run["final_test_acc"] for run in mine)}
    for name in ("fast", "readable"):
        summary[f"ratio_torch_over_{name}"] = summary["pytorch"]["median_seconds"] / summary[name]["median_seconds"]
        summary[f"cpu_ratio_torch_over_{name}"] = (summary["pytorch"]["median_cpu_seconds"]
                                                   / summary[name]["median_cpu_seconds"])
    return summary


def floor(result):
    """The run's matrix products alone: every step's and every evaluation's, and the share of it the fast
    path reaches (against its CPU time: on a quiet machine the same as its wall time, on a busy one fairer)."""
    config, products = result["config"], result["products"]
    evaluations = len(range(0, config["iters"], 600)) + 1  # every epoch, and once at the end
    steps = config["iters"] * sum(products["step_us"].values()) / 1e6
    evaluating = evaluations * products["evaluation_ms"] / 1e3
    return {"evaluations": evaluations, "step_products_seconds": steps, "evaluation_products_seconds": evaluating,
            "seconds": steps + evaluating,
            "fraction_reached": (steps + evaluating) / result["summary"]["fast"]["median_cpu_seconds"]}


def markdown(result):
    s, c = result["summary"], result["config"]
    lines = [f"Training run of the notes on Fashion-MNIST: {c['iters']} iterations, batch {c['batch_size']}, "
             f"lr {c['learning_rate']}, float32, {c['threads']} BLAS thread(s), median of {c['rounds']} "
             f"alternating rounds; load average {result['machine']['load_average_at_start'][0]:.1f} at the start.", "",
             "| implementation | seconds (median) | seconds (min) | CPU seconds (median) | final test accuracy |",
             "|---|---|---|---|---|"]
    for name in IMPLEMENTATIONS:
        lines.append(f"| {name} | {s[name]['median_seconds']:.2f} | {s[name]['min_seconds']:.2f} | "
                     f"{s[name]['median_cpu_seconds']:.2f} | {s[name]['final_test_acc']:.4f} |")
    lines += ["", f"PyTorch time / fast path time: **{s['ratio_torch_over_fast']:.2f}** "
                  f"(CPU time: {s['cpu_ratio_torch_over_fast']:.2f}); PyTorch / readable loop: "
                  f"{s['ratio_torch_over_readable']:.2f}."]
    if "floor" in result:
        f = result["floor"]
        lines += ["", f"Floor (the matrix products alone): {f['seconds']:.2f} s; the fast path reaches "
                      f"{f['fraction_reached']:.0%} of it (in CPU time).", "",
                  "| phase (µs per step) | readable | fast | pytorch |", "|---|---|---|---|"]
        for phase in (*train_profile.PHASES, "step"):
            lines.append(f"| {phase} | " + " | ".join(f"{result['profile'][name][phase]:.1f}"
                                                      for name in ("readable", "fast", "pytorch")) + " |")
        lines += ["", "| change | µs per step |", "|---|---|"]
        lines += [f"| {rung['change']} | {rung['step_us']:.1f} |" for rung in result["ablation"]]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iters", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads of every implementation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-profile", action="store_true", help="only the full runs (no profile, floor, ablation)")
    parser.add_argument("--name", default="train", help="results/NAME.json and .md")
    args = parser.parse_args(argv)

    import torch
    torch.set_num_threads(args.threads)
    data = load_fashion_mnist()
    result = {"benchmark": "train", "machine": machine(),
              "config": {"iters": args.iters, "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE,
                         "hidden_size": HIDDEN, "dtype": "float32", "threads": args.threads,
                         "rounds": args.rounds, "seed": args.seed, "dataset": "fashion-mnist",
                         "train_size": len(data[0][0]), "test_size": len(data[1][0]), "input_size": data[0][0].shape[1]},
              "runs": []}
    names = list(IMPLEMENTATIONS)
    with threadpool_limits(limits=args.threads):
        for round_ in range(args.rounds):
            order = names[round_ % len(names):] + names[:round_ % len(names)]  # each goes first in turn
            for name in order:
                run = timed(IMPLEMENTATIONS[name], data, args.iters, args.seed)
                result["runs"].append({"implementation": name, "round": round_, **run})
                print(f"round {round_}: {name:9s} {run['seconds']:7.2f} s (CPU {run['cpu_seconds']:6.2f} s), "
                      f"test acc {run['final_test_acc']:.4f}", file=sys.stderr)
        result["summary"] = summarize(result["runs"])
        if not args.no_profile:
            print("profile, products, evaluations, ablation ...", file=sys.stderr)
            steps, ablation_steps, rounds = 2000, 1500, 3
            result["profile_config"] = {"steps": steps, "ablation_steps": ablation_steps, "rounds": rounds}
            result["profile"] = train_profile.profile(data, result["config"], steps, rounds)
            result["products"] = train_profile.products(data, result["config"])
            result["evaluation_ms"] = train_profile.evaluation_ms(data, result["config"])
            result["ablation"] = train_profile.ablation(data, result["config"], ablation_steps, rounds)
            result["floor"] = floor(result)
    write_json(RESULTS / f"{args.name}.json", result)
    write_atomic(RESULTS / f"{args.name}.md", markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
