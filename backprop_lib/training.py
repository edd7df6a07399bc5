"""Minibatch stochastic gradient descent, with a history and a progress bar (chapter 8).

`train` is the loop of the notes: draw a random batch, compute the gradient by backpropagation,
step every parameter against its gradient, and measure accuracy once per epoch.
`backprop-train` (the function `main`) runs the notes' experiment from the command line.
"""
import time

import numpy as np
from tqdm.auto import tqdm

from .figures import CourseFigure, in_language, listing
from .language import _


def accuracy(network, x, t, chunk_size=10000):
    """Fraction of rows of x whose highest score is the label t, computed chunk by chunk.

    Chunks keep the temporary arrays small; the result equals network.accuracy(x, t).
    """
    if np.ndim(t) != 1:  # one-hot rows -> integer labels
        t = np.argmax(t, axis=1)
    correct = 0
    for start in range(0, len(x), chunk_size):
        scores = network.predict(x[start:start + chunk_size])
        correct += int(np.count_nonzero(np.argmax(scores, axis=1) == t[start:start + chunk_size]))
    return correct / len(x)


def train(network, x_train, t_train, x_test, t_test, iters_num=10000, batch_size=100,
          learning_rate=0.1, seed=0, eval_every=None, progress=True):
    """Train network in place by minibatch SGD and return its history.

    Every iteration draws batch_size random rows (with replacement, like the notes'
    np.random.choice) and updates params[key] -= learning_rate * grad[key]. Every eval_every
    iterations (default: one epoch, max(N / batch_size, 1)) it measures train and test accuracy.

    Returns a dict: "loss" (the batch loss of every iteration, from the forward pass of its
    gradient), "train_acc", "test_acc", "iteration_of_eval" (one entry per evaluation),
    "final_train_acc", "final_test_acc" (after the last iteration), "seconds" (wall time of the loop).
    """
    _check_arguments(x_train, t_train, x_test, t_test, iters_num, batch_size)
    train_size = x_train.shape[0]
    if eval_every is None:
        eval_every = max(train_size / batch_size, 1)
    rng = np.random.default_rng(seed)
    batch_masks = rng.integers(0, train_size, size=(iters_num, batch_size))  # all batches, drawn up front
    learning_rate = float(learning_rate)  # a Python float keeps float32 parameters float32
    history = {"loss": [], "train_acc": [], "test_acc": [], "iteration_of_eval": []}

    start = time.perf_counter()
    bar = tqdm(range(iters_num), desc="training", unit="iter", disable=not progress)
    for i in bar:
        batch_mask = batch_masks[i]
        grad = network.gradient(x_train[batch_mask], t_train[batch_mask])
        for key in network.params:
            network.params[key] -= learning_rate * grad[key]  # in place: the layers hold these arrays
        history["loss"].append(float(network.last_layer.loss))
        if i % eval_every == 0:
            train_acc, test_acc = accuracy(network, x_train, t_train), accuracy(network, x_test, t_test)
            history["train_acc"].append(train_acc)
            history["test_acc"].append(test_acc)
            history["iteration_of_eval"].append(i)
            bar.set_postfix(loss=f"{history['loss'][-1]:.3f}", test_acc=f"{test_acc:.4f}")
            if progress:
                bar.write(f"epoch {len(history['test_acc']) - 1:3d} (iteration {i:6d}): "
                          f"train acc {train_acc:.4f}, test acc {test_acc:.4f}")
    history["final_train_acc"] = accuracy(network, x_train, t_train)
    history["final_test_acc"] = accuracy(network, x_test, t_test)
    history["seconds"] = time.perf_counter() - start
    bar.close()
    return history


def _check_arguments(x_train, t_train, x_test, t_test, iters_num, batch_size):
    for name, x, t in (("train", x_train, t_train), ("test", x_test, t_test)):
        if len(x) != len(t):
            raise ValueError(f"expected one label per {name} sample: x_{name} has {len(x)} rows, "
                             f"t_{name} has {len(t)}")
    if batch_size < 1 or iters_num < 0 or len(x_train) == 0:
        raise ValueError(f"expected batch_size >= 1, iters_num >= 0 and training data; found batch_size="
                         f"{batch_size}, iters_num={iters_num}, {len(x_train)} training samples")


@in_language
def plot_history(history, lang=None):
    """Learning curves of a history: the loss of every iteration, and accuracy at every evaluation.

    No pyplot: works without a display, in a script or a notebook. Words in `lang` (default: the learner's).
    """
    fig = CourseFigure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(history["loss"], linewidth=0.5)
    ax_loss.set(xlabel=_("iteration", lang), ylabel=_("loss (batch)", lang), title=_("training loss", lang))
    ax_acc.plot(history["iteration_of_eval"], history["train_acc"], marker="o", label=_("train", lang))
    ax_acc.plot(history["iteration_of_eval"], history["test_acc"], marker="s", linestyle="--",
                label=_("test", lang))
    ax_acc.set(xlabel=_("iteration", lang), ylabel=_("accuracy", lang), title=_("accuracy", lang), ylim=(0, 1))
    ax_acc.legend(loc="lower right")
    fig.describe = lambda lang: describe_history(history, lang)
    return fig


def describe_history(history, lang=None):
    """The learning curves in words: the loss and the accuracies at the start and at the end (the alt
    text), and the accuracy at every evaluation (the longer description)."""
    loss, evals = history["loss"], history["iteration_of_eval"]
    window = max(1, min(100, len(loss) // 10))  # the batch loss is noisy: averages at both ends
    alt = _("Learning curves. Left: the training loss of every iteration goes from {start:.2f} to {end:.2f} "
            "(averages of the first and last {window} of {count} iterations). Right: accuracy, measured "
            "{times} times, goes from {train0:.1%} to {train1:.1%} on the training data and from {test0:.1%} "
            "to {test1:.1%} on the test data.", lang).format(
                start=float(np.mean(loss[:window])), end=float(np.mean(loss[-window:])), window=window,
                count=len(loss), times=len(evals), train0=history["train_acc"][0], train1=history["train_acc"][-1],
                test0=history["test_acc"][0], test1=history["test_acc"][-1])
    details = "; ".join(_("iteration {iteration}: train {train:.1%}, test {test:.1%}", lang).format(
        iteration=i, train=train, test=test) for i, train, test in zip(evals, history["train_acc"],
                                                                       history["test_acc"]))
    return alt, details + "."


@in_language
def descent_figure(w_grid, b_grid, surface, full, minibatch, full_progress, minibatch_progress, batch_sizes,
                   lang=None):
    """Chapter 9's two walkers: their steps on the loss surface of (w, b), and the loss against
    the examples looked at. full, minibatch: the (w, b) after each step; *_progress: (examples, loss);
    batch_sizes: (the full batch, the minibatch)."""
    n_full, n_mini = batch_sizes
    figure = CourseFigure(figsize=(11, 4.2), layout="constrained")
    ax_path, ax_cost = figure.subplots(1, 2)
    ax_path.contour(w_grid, b_grid, surface, levels=np.geomspace(0.05, 8, 14), cmap="Greys", linewidths=0.8)
    ax_path.plot(*full.T, "o-", color="#1f618d", ms=3,
                 label=_("full batch ({count} examples per step)", lang).format(count=n_full))
    ax_path.plot(*minibatch.T, "o-", color="#c0392b", ms=3, alpha=0.8,
                 label=_("minibatch ({count} examples per step)", lang).format(count=n_mini))
    ax_path.set(xlabel="w", ylabel="b", title=_("{steps} steps on the loss surface", lang).format(steps=len(full) - 1))
    ax_path.legend(fontsize=8, loc="lower right")
    ax_cost.plot(*full_progress, color="#1f618d", label=_("full batch", lang))
    ax_cost.plot(*minibatch_progress, color="#c0392b", label=_("minibatch of {count}", lang).format(count=n_mini))
    ax_cost.set(xscale="log", yscale="log", xlabel=_("examples looked at (the cost of computing)", lang),
                ylabel=_("loss on all {count} points", lang).format(count=n_full),
                title=_("progress per unit of work", lang))
    ax_cost.legend(fontsize=8)

    def describe(lang):
        def cost(progress):
            return _("{loss:.3g} after {examples} examples", lang).format(
                loss=float(progress[1][-1]), examples=int(progress[0][-1]))
        alt = _("Two walkers on the loss surface of (w, b), drawn as contour lines: {steps} steps of the full batch "
                "({n_full} examples per step), a smooth path, and {mini_steps} steps of minibatches of {n_mini}, a "
                "zigzag path. Right, on logarithmic axes, the loss on all {n_full} points against the examples "
                "looked at: the full batch reaches {full}, the minibatch {mini}.", lang).format(
                    steps=len(full) - 1, mini_steps=len(minibatch) - 1, n_full=n_full, n_mini=n_mini,
                    full=cost(full_progress), mini=cost(minibatch_progress))
        return alt, None
    figure.describe = describe
    return figure


@in_language
def answers_figure(x, t, predicted, class_names, per_class=3, lang=None):
    """For each true class (a row): `per_class` images the network got right, then `per_class` it got
    wrong, each wrong one titled with the class it predicted."""
    names = [_(name, lang) for name in class_names]
    figure = CourseFigure(figsize=(7.2, 13), layout="constrained")
    axes = figure.subplots(len(names), 2 * per_class)
    for k in range(len(names)):
        right = np.flatnonzero((t == k) & (predicted == k))[:per_class]
        wrong = np.flatnonzero((t == k) & (predicted != k))[:per_class]
        for ax, index, is_right in zip(axes[k], list(right) + list(wrong), [True] * per_class + [False] * per_class):
            ax.imshow(x[index].reshape(28, 28), cmap="gray_r")
            ax.set_title("✓" if is_right else f"✗ {names[predicted[index]]}",
                         fontsize=8, color="#1e8449" if is_right else "#c0392b")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[k, 0].set_ylabel(names[k], fontsize=9)
    figure.suptitle(_("right (left three) and wrong (right three) answers, per true class", lang)
                    if per_class == 3 else _("right (left) and wrong (right) answers, per true class", lang))

    def describe(lang):
        names_in = [_(name, lang) for name in class_names]
        rows = [_("{name}: wrong ones taken for {taken}", lang).format(
                    name=names_in[k], taken=listing([names_in[predicted[i]] for i in
                                                     np.flatnonzero((t == k) & (predicted != k))[:per_class]], lang)
                    or "-") for k in range(len(names_in))]
        alt = _("A grid of test images, one row per true class: {count} the network got right, then {count} it got "
                "wrong, each wrong one titled with the class it predicted.", lang).format(count=per_class)
        return alt, "; ".join(rows) + "."
    figure.describe = describe
    return figure


def _parse_args(argv):
    import argparse

    parser = argparse.ArgumentParser(
        prog="backprop-train",
        description="Train TwoLayerNet(784, 50, 10) by minibatch SGD, as in the notes, and save "
                    "its history (JSON) and learning curves (PNG).")
    parser.add_argument("--dataset", choices=["fashion-mnist", "mnist"], default="fashion-mnist")
    parser.add_argument("--iters", type=int, default=10000, help="iterations (default 10000)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    parser.add_argument("--hidden", type=int, default=50, help="hidden units (default 50)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (default 1: fastest for batches of 100, robust on a busy "
                             "machine; 0 = the BLAS default)")
    parser.add_argument("--out", default="train_output", help="directory for history.json and "
                                                              "learning_curves.png")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no per-epoch lines")
    args = parser.parse_args(argv)
    if args.iters < 1 or args.batch_size < 1 or args.hidden < 1 or args.threads < 0:
        parser.error("--iters, --batch-size and --hidden must be at least 1, --threads at least 0")
    return args


def main(argv=None):
    """The console script backprop-train: the notes' training run from the command line."""
    import json
    from pathlib import Path

    from threadpoolctl import threadpool_limits

    from .datasets import load_dataset
    from .network import TwoLayerNet

    args = _parse_args(argv)
    try:
        x_train, t_train = load_dataset(args.dataset, "train")
        x_test, t_test = load_dataset(args.dataset, "test")
    except (OSError, ValueError) as error:
        raise SystemExit(f"backprop-train: cannot load {args.dataset}:\n{error}") from None
    dtype = np.dtype(args.dtype)
    x_train, x_test = x_train.astype(dtype, copy=False), x_test.astype(dtype, copy=False)
    network = TwoLayerNet(784, args.hidden, 10, seed=args.seed, dtype=dtype)

    with threadpool_limits(limits=args.threads or None):
        history = train(network, x_train, t_train, x_test, t_test, iters_num=args.iters,
                        batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed,
                        progress=not args.quiet)
    history["config"] = {key: getattr(args, key) for key in
                         ("dataset", "iters", "batch_size", "lr", "hidden", "seed", "dtype", "threads")}

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "history.json").write_text(json.dumps(history, indent=1) + "\n")
    plot_history(history).savefig(out / "learning_curves.png", dpi=100)
    print(f"final test accuracy {history['final_test_acc']:.4f} after {args.iters} iterations "
          f"({history['seconds']:.1f} s); wrote {out / 'history.json'} and {out / 'learning_curves.png'}")
    return 0
