"""train_fast against train: the same parameters, losses and accuracies, to the last bit.

The fast path (backprop_lib/fast_training.py) repeats the readable loop's arithmetic in arrays made
once; the book's performance page reports its speed. Here it must produce exactly the bytes the
readable loop produces, over a few hundred iterations of the notes' run, on more than one shape.
"""
import os

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from backprop_lib.datasets import load_fashion_mnist, make_spiral
from backprop_lib.fast_training import train_fast
from backprop_lib.layers import Sigmoid
from backprop_lib.network import TwoLayerNet
from backprop_lib.training import train

EXACT_KEYS = ("loss", "train_acc", "test_acc", "iteration_of_eval", "final_train_acc", "final_test_acc")


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """Decoded data sets go to a cache of this module's own, never to the user's ~/.cache."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if saved is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture(scope="module")
def fashion(fashion_package):
    return load_fashion_mnist()


def both(make_network, data, **kwargs):
    """(network, history) of train and of train_fast, from two networks made alike."""
    (x, t), (x_test, t_test) = data
    runs = []
    for loop in (train, train_fast):
        network = make_network()
        with threadpool_limits(limits=1):
            history = loop(network, x, t, x_test, t_test, progress=False, **kwargs)
        runs.append((network, history))
    return runs


def assert_bit_identical(runs):
    (readable, readable_history), (fast, fast_history) = runs
    for key, value in readable.params.items():
        assert fast.params[key].dtype == value.dtype
        assert fast.params[key].tobytes() == value.tobytes(), f"{key} differs"  # every bit, -0.0 and NaN too
    for key in EXACT_KEYS:
        assert np.array(fast_history[key]).tobytes() == np.array(readable_history[key]).tobytes(), key
    assert not np.isnan(readable_history["loss"]).any()


def test_the_notes_run_bit_for_bit(fashion):
    """Fashion-MNIST, 784-50-10 in float32, batch 100, lr 0.1: 400 iterations, evaluated every 100
    on the full train and test sets (the chunks of 10,000 rows of the real run)."""
    runs = both(lambda: TwoLayerNet(784, 50, 10, seed=0, dtype=np.float32), fashion, iters_num=400,
                eval_every=100)
    assert_bit_identical(runs)
    history = runs[1][1]
    assert len(history["loss"]) == 400 and history["iteration_of_eval"] == [0, 100, 200, 300]
    assert history["final_test_acc"] > 0.7  # it learned: these are not two equal failures


def test_float64_one_hot_images_odd_batches(fashion):
    """float64, one-hot labels, images of shape (N, 28, 28), a batch that divides nothing, and a
    training set of 12,345 rows: the evaluation's last chunk of 10,000 rows is a short one."""
    (x, t), (x_test, t_test) = fashion
    data = ((x[:12345].reshape(-1, 28, 28).astype(np.float64), np.eye(10)[t[:12345]]),
            (x_test[:1000].reshape(-1, 28, 28).astype(np.float64), np.eye(10)[t_test[:1000]]))
    runs = both(lambda: TwoLayerNet(784, 30, 10, seed=2, dtype=np.float64), data, iters_num=300,
                batch_size=37, learning_rate=np.float64(0.3), seed=5, eval_every=100)
    assert_bit_identical(runs)
    assert runs[1][1]["iteration_of_eval"] == [0, 100, 200]


def test_the_spiral_with_a_large_learning_rate():
    """A small float64 network whose ReLUs switch off and on: the masks must agree exactly."""
    data = make_spiral(100, 3, seed=0), make_spiral(100, 3, seed=1)
    runs = both(lambda: TwoLayerNet(2, 100, 3, seed=0), data, iters_num=1000, learning_rate=1.0, eval_every=100)
    assert_bit_identical(runs)
    assert runs[1][1]["final_test_acc"] >= 0.9


def test_progress_lines_as_train_prints_them(capsys):
    (x, t), (x_test, t_test) = make_spiral(100, 3, seed=0), make_spiral(100, 3, seed=1)
    train_fast(TwoLayerNet(2, 10, 3, seed=0), x, t, x_test, t_test, iters_num=5, progress=True)
    captured = capsys.readouterr()
    assert "epoch   0 (iteration      0): train acc" in captured.out
    assert "5/5" in captured.err


def test_what_the_fast_path_does_not_handle_is_refused():
    (x, t), (x_test, t_test) = make_spiral(50, 3, seed=0), make_spiral(50, 3, seed=1)
    network = TwoLayerNet(2, 10, 3, seed=0)
    with pytest.raises(ValueError, match=r"x_train of shape \(N, 2\) and dtype float64 .*found shape "
                                         r"\(150, 2\) and dtype float32"):
        train_fast(network, x.astype(np.float32), t, x_test, t_test, iters_num=1, progress=False)
    network.layers["Relu1"] = Sigmoid()
    with pytest.raises(ValueError, match=r"expects a TwoLayerNet \(Affine, Relu, Affine\); found layers "
                                         r"\['Affine', 'Sigmoid', 'Affine'\]: use training.train"):
        train_fast(network, x, t, x_test, t_test, iters_num=1, progress=False)
    with pytest.raises(ValueError, match="x_train has 150 rows, t_train has 149"):
        train_fast(TwoLayerNet(2, 10, 3, seed=0), x, t[:-1], x_test, t_test, progress=False)
