"""The training loop and backprop-train: learning on the spiral, the history, seeds, the CLI."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from backprop_lib.datasets import load_fashion_mnist, make_spiral
from backprop_lib.network import TwoLayerNet
from backprop_lib.training import accuracy, main, plot_history, train

MNIST_DIR = Path(__file__).resolve().parents[1] / "data" / "mnist"  # the real MNIST test set, in the repository
TRAIN_SCRIPT = Path(sys.executable).parent / "backprop-train"


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """Decoded data sets go to a cache of this module's own (shared with backprop-train's
    subprocesses through the environment), never to the user's ~/.cache."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if saved is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture(scope="module")
def spiral():
    return make_spiral(100, 3, seed=0), make_spiral(100, 3, seed=1)


def spiral_run(spiral, seed=0, iters=1000, **kwargs):
    (x, t), (x_test, t_test) = spiral
    network = TwoLayerNet(2, 100, 3, seed=seed)
    history = train(network, x, t, x_test, t_test, iters_num=iters, batch_size=100, learning_rate=1.0,
                    seed=seed, progress=False, **kwargs)
    return network, history


def test_learns_the_spiral(spiral):
    network, history = spiral_run(spiral, eval_every=100)
    # a linear classifier cannot beat about 0.5 on three interleaved arms
    assert history["final_train_acc"] >= 0.9 and history["final_test_acc"] >= 0.9
    assert np.mean(history["loss"][-100:]) < 0.5 * np.mean(history["loss"][:100])
    assert history["test_acc"][0] < 0.5  # it started from chance
    (x, t), (x_test, t_test) = spiral
    assert history["final_test_acc"] == network.accuracy(x_test, t_test)


def test_history_lengths_and_default_epoch(spiral):
    _, history = spiral_run(spiral, iters=10)  # 300 samples / batch 100: an epoch is 3 iterations
    assert len(history["loss"]) == 10
    assert history["iteration_of_eval"] == [0, 3, 6, 9]
    assert len(history["train_acc"]) == len(history["test_acc"]) == 4
    assert all(0 <= a <= 1 for a in history["train_acc"] + history["test_acc"])
    assert history["seconds"] > 0
    json.dumps(history)  # plain Python numbers: it can be saved as it is


def test_eval_every(spiral):
    _, history = spiral_run(spiral, iters=25, eval_every=10)
    assert history["iteration_of_eval"] == [0, 10, 20]


def test_same_seed_same_run_other_seed_other_run(spiral):
    net_a, history_a = spiral_run(spiral, seed=3, iters=50, eval_every=10)
    net_b, history_b = spiral_run(spiral, seed=3, iters=50, eval_every=10)
    _, history_c = spiral_run(spiral, seed=4, iters=50, eval_every=10)
    assert history_a["loss"] == history_b["loss"] and history_a["test_acc"] == history_b["test_acc"]
    for key in net_a.params:
        np.testing.assert_array_equal(net_a.params[key], net_b.params[key])
    assert history_a["loss"] != history_c["loss"]


def test_one_iteration_is_one_sgd_step(spiral):
    (x, t), (x_test, t_test) = spiral
    network, reference = TwoLayerNet(2, 10, 3, seed=0), TwoLayerNet(2, 10, 3, seed=0)
    history = train(network, x, t, x_test, t_test, iters_num=1, batch_size=7, learning_rate=0.3,
                    seed=5, progress=False)
    batch_mask = np.random.default_rng(5).integers(0, len(x), size=(1, 7))[0]  # the batch train() draws
    grad = reference.gradient(x[batch_mask], t[batch_mask])
    for key in reference.params:
        np.testing.assert_allclose(network.params[key], reference.params[key] - 0.3 * grad[key], rtol=1e-12)
    assert history["loss"] == [pytest.approx(reference.last_layer.loss)]


def test_float32_stays_float32(spiral):
    (x, t), (x_test, t_test) = spiral
    network = TwoLayerNet(2, 20, 3, seed=0, dtype=np.float32)
    train(network, x.astype(np.float32), t, x_test.astype(np.float32), t_test, iters_num=20,
          batch_size=50, learning_rate=np.float64(0.5), progress=False)
    assert all(p.dtype == np.float32 for p in network.params.values())


@pytest.mark.parametrize("one_hot", [False, True])
def test_chunked_accuracy_equals_network_accuracy(spiral, one_hot):
    (x, t), _ = spiral
    network, _ = spiral_run(spiral, iters=30)
    labels = np.eye(3)[t] if one_hot else t
    assert accuracy(network, x, labels, chunk_size=7) == network.accuracy(x, labels)


def test_progress_output(spiral, capsys):
    spiral_run(spiral, iters=5)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    (x, t), (x_test, t_test) = spiral
    train(TwoLayerNet(2, 10, 3, seed=0), x, t, x_test, t_test, iters_num=5, progress=True)
    captured = capsys.readouterr()
    assert "epoch   0 (iteration      0): train acc" in captured.out
    assert "5/5" in captured.err  # the tqdm bar


def test_bad_input_says_what_was_expected(spiral):
    (x, t), (x_test, t_test) = spiral
    network = TwoLayerNet(2, 10, 3, seed=0)
    with pytest.raises(ValueError, match="x_train has 300 rows, t_train has 299"):
        train(network, x, t[:-1], x_test, t_test, iters_num=1, progress=False)
    with pytest.raises(ValueError, match="x_test has 300 rows, t_test has 2"):
        train(network, x, t, x_test, t_test[:2], iters_num=1, progress=False)
    with pytest.raises(ValueError, match="found batch_size=0"):
        train(network, x, t, x_test, t_test, batch_size=0, progress=False)


def test_plot_history(spiral):
    _, history = spiral_run(spiral, iters=10)
    fig = plot_history(history)
    ax_loss, ax_acc = fig.axes
    assert len(ax_loss.lines[0].get_xdata()) == 10
    assert list(ax_acc.lines[1].get_xdata()) == history["iteration_of_eval"]


# --- backprop-train --------------------------------------------------------------------------------

def test_the_notes_training_run_on_fashion_mnist(fashion_package):
    """The notes' experiment in full: TwoLayerNet(784, 50, 10), 10,000 iterations, batch 100, lr 0.1.

    About 7 s of CPU in float32 with one BLAS thread (bench/bench_train.py measures the speed).
    """
    (x_train, t_train), (x_test, t_test) = load_fashion_mnist()
    network = TwoLayerNet(784, 50, 10, seed=0, dtype=np.float32)
    with threadpool_limits(limits=1):  # two spinning BLAS threads on a busy 2-core machine are far slower
        history = train(network, x_train, t_train, x_test, t_test, progress=False)
    assert len(history["loss"]) == 10000 and len(history["test_acc"]) == 17  # epochs at 0, 600, ..., 9600
    assert history["final_test_acc"] >= 0.86  # the notes' code reaches 0.871 on Fashion-MNIST
    assert history["final_train_acc"] >= 0.87
    assert all(p.dtype == np.float32 for p in network.params.values())


def run_cli(*args, env=None):
    return subprocess.run([str(TRAIN_SCRIPT), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "BACKPROP_OFFLINE": "1", **(env or {})})


def test_cli_writes_history_and_learning_curves(tmp_path, fashion_package):
    result = run_cli("--iters", "700", "--seed", "1", "--dtype", "float64", "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history["loss"]) == 700 and history["iteration_of_eval"] == [0, 600]
    assert history["config"] == {"dataset": "fashion-mnist", "iters": 700, "batch_size": 100, "lr": 0.1,
                                 "hidden": 50, "seed": 1, "dtype": "float64", "threads": 1}
    assert history["final_test_acc"] > 0.7  # one epoch is enough to get well past chance (0.1)
    assert "epoch   1 (iteration    600): train acc" in result.stdout
    assert f"final test accuracy {history['final_test_acc']:.4f}" in result.stdout
    png = (tmp_path / "run" / "learning_curves.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_cli_trains_on_mnist(tmp_path):
    """MNIST's training set is not on this machine: the real test set plus a small made-up training set."""
    data = tmp_path / "data" / "mnist"
    data.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (data / name).symlink_to(MNIST_DIR / name)
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (200, 28, 28), dtype=np.uint8), np.arange(200, dtype=np.uint8) % 10
    for stem, array in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        header = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
        (data / stem).write_bytes(header + array.tobytes())
    result = run_cli("--dataset", "mnist", "--iters", "3", "--quiet", "--out", str(tmp_path / "run"),
                     env={"BACKPROP_DATA": str(tmp_path / "data")})
    assert result.returncode == 0, result.stderr
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert history["config"]["dataset"] == "mnist" and history["iteration_of_eval"] == [0, 2]
    assert result.stdout.startswith("final test accuracy")  # --quiet: no per-epoch lines


def test_cli_reports_a_missing_data_set(tmp_path):
    env = {"BACKPROP_DATA": str(MNIST_DIR), "XDG_CACHE_HOME": str(tmp_path / "cache")}  # MNIST: test set only
    result = run_cli("--dataset", "mnist", "--iters", "5", "--out", str(tmp_path / "run"), env=env)
    assert result.returncode != 0
    assert "cannot load mnist" in result.stderr and "MNIST (train split) was not found" in result.stderr
    assert "$BACKPROP_DATA/mnist" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args", [["--iters", "0"], ["--dataset", "cifar"], ["--dtype", "float16"]])
def test_cli_rejects_bad_arguments(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert "usage: backprop-train" in capsys.readouterr().err
