"""Data sets: the IDX reader against bytes written here by hand, the loaders on the real MNIST test
set (data/mnist, shipped in the repository) and the Debian Fashion-MNIST package, the search order,
downloads (network mocked), caches; and that nothing in the repository points outside it."""
import subprocess
import gzip
import hashlib
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop_lib import datasets
from backprop_lib.datasets import (IMAGES_MAGIC, LABELS_MAGIC, cache_dir, load_dataset, load_fashion_mnist,
                                   load_idx_pair, load_mnist, make_spiral, read_idx)

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = ROOT / "data" / "mnist"  # the real MNIST test set, shipped in the repository (see its README)
REAL_FETCH = datasets._fetch  # before the autouse fixture replaces it
MNIST_TEST_HISTOGRAM = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # published class counts


# --- IDX bytes, written independently of the reader ------------------------------------------------

def idx_bytes(array, type_code=0x08):
    """The IDX encoding of a uint8 array: 0, 0, type code, ndim, then big-endian dims, then the data."""
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_file(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def write_split(directory, split, n, fill=0):
    """A tiny data set split of n 28x28 images, all pixels `fill`, labels 0, 1, 2, ... mod 10."""
    stem_images, stem_labels = datasets.SPLIT_FILES[split]
    write_file(Path(directory) / f"{stem_images}.gz", idx_bytes(np.full((n, 28, 28), fill, np.uint8)))
    write_file(Path(directory) / f"{stem_labels}.gz", idx_bytes(np.arange(n, dtype=np.uint8) % 10))


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Each test gets its own empty cache, no $BACKPROP_DATA, and a network that is never reached."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("BACKPROP_DATA", raising=False)
    monkeypatch.delenv("BACKPROP_OFFLINE", raising=False)
    calls = []

    def offline(url):
        calls.append(url)
        raise urllib.error.URLError("offline (tests never use the network)")

    monkeypatch.setattr(datasets, "_fetch", offline)
    return calls


# --- read_idx --------------------------------------------------------------------------------------

@given(array=hnp.arrays(np.uint8, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5)),
       compressed=st.booleans())
def test_idx_round_trip(tmp_path_factory, array, compressed):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compressed else "a.idx")
    write_file(path, idx_bytes(array))
    result = read_idx(path)
    assert result.dtype == np.uint8 and result.shape == array.shape
    np.testing.assert_array_equal(result, array)
    result[...] = 1  # a writable array of its own


def test_wrong_magic_names_file_expected_and_found(tmp_path):
    path = write_file(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros((2, 28, 28), np.uint8)))
    with pytest.raises(ValueError) as error:
        read_idx(path, magic=LABELS_MAGIC)
    message = str(error.value)
    assert str(path) in message and "0x00000801" in message and "found 0x00000803" in message


def test_non_byte_type_code_is_rejected(tmp_path):
    path = write_file(tmp_path / "floats.idx", idx_bytes(np.zeros(4, np.uint8), type_code=0x0D))
    with pytest.raises(ValueError, match="unsigned bytes"):
        read_idx(path)


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("change", ["truncated", "extra byte"])
def test_size_disagreeing_with_header_is_an_error(tmp_path, suffix, change):
    data = idx_bytes(np.ones((3, 28, 28), np.uint8))
    data = data[:-1] if change == "truncated" else data + b"\0"
    path = write_file(tmp_path / f"images{suffix}", data)
    with pytest.raises(ValueError) as error:
        read_idx(path, magic=IMAGES_MAGIC)
    message = str(error.value)
    assert str(path) in message and "(3, 28, 28)" in message and "2368 bytes" in message  # 16 + 3*784
    assert f"found {len(data)} bytes" in message


@pytest.mark.parametrize("data", [b"", b"\0\0\x08", b"\0\0\x08\x03" + b"\0\0\0\x02"])
def test_short_header_is_an_error(tmp_path, data):
    with pytest.raises(ValueError, match="expected"):
        read_idx(write_file(tmp_path / "short.idx", data))


def test_truncated_gzip_is_an_error_not_garbage(tmp_path):
    compressed = gzip.compress(idx_bytes(np.arange(5000, dtype=np.uint8).reshape(5000, 1) % 251))
    path = tmp_path / "labels.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(ValueError, match="gzip") as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_corrupt_gzip_is_an_error(tmp_path):
    compressed = bytearray(gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8))))
    compressed[-6] ^= 0xFF  # inside the CRC-32 / length trailer: the data no longer matches it
    path = tmp_path / "labels.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(ValueError, match="corrupt or truncated"):
        read_idx(path)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.gz"):
        read_idx(tmp_path / "nothing.gz")


# --- load_idx_pair ---------------------------------------------------------------------------------

def test_load_idx_pair_reads_raw_and_gzip_files(tmp_path):
    write_file(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(np.full((4, 28, 28), 7, np.uint8)))
    write_file(tmp_path / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.array([3, 1, 4, 1], np.uint8)))
    images, labels = load_idx_pair(tmp_path, "test")
    assert images.shape == (4, 28, 28) and (images == 7).all()
    assert labels.dtype == np.int64 and labels.tolist() == [3, 1, 4, 1]


def test_label_count_mismatch_is_an_error(tmp_path):
    write_split(tmp_path, "train", 5)
    write_file(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(ValueError, match="5 images") as error:
        load_idx_pair(tmp_path, "train")
    assert "train-labels-idx1-ubyte.gz" in str(error.value) and "(4,)" in str(error.value)


def test_images_must_be_28_by_28_and_labels_0_to_9(tmp_path):
    write_file(tmp_path / "train-images-idx3-ubyte.gz", idx_bytes(np.zeros((2, 27, 28), np.uint8)))
    write_file(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(2, np.uint8)))
    with pytest.raises(ValueError, match=r"\(N, 28, 28\); found \(2, 27, 28\)"):
        load_idx_pair(tmp_path, "train")
    write_split(tmp_path, "test", 2)
    write_file(tmp_path / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.array([1, 12], np.uint8)))
    with pytest.raises(ValueError, match="labels 0..9; found a label 12"):
        load_idx_pair(tmp_path, "test")
    with pytest.raises(ValueError, match="'train' or 'test'; found 'validation'"):
        load_idx_pair(tmp_path, "validation")


# --- the real data sets ----------------------------------------------------------------------------

def test_mnist_test_set_files_match_their_checksums():
    sums = dict(line.split()[::-1] for line in (MNIST_DIR / "SHA256SUMS").read_text().splitlines() if line)
    assert set(sums) == {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    for name, digest in sums.items():
        assert hashlib.sha256((MNIST_DIR / name).read_bytes()).hexdigest() == digest
        assert datasets.DATASETS["mnist"]["sha256"][name] == digest  # the pinned download hash


def test_nothing_in_the_repository_points_outside_it():
    """No test, script or page reads a file of one particular machine: everything it needs is in the
    repository (tests/submissions/ holds hostile files that try to, on purpose)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    machine_paths = ["/" + "work/", "/" + "home/", "shared/" + "data", "../" + "shared"]  # split: not found here
    found = [f"{name}: {path!r}" for name in files.splitlines()
             if not name.startswith("tests/submissions/") and (ROOT / name).is_file()
             for path in machine_paths if path in (ROOT / name).read_bytes().decode("utf-8", "replace")]
    assert found == []


def test_real_mnist_test_set(monkeypatch):
    monkeypatch.setenv("BACKPROP_DATA", str(MNIST_DIR))
    x, t = load_dataset("mnist", "test")
    assert x.shape == (10000, 784) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert t.shape == (10000,) and t.dtype == np.int64
    assert np.bincount(t).tolist() == MNIST_TEST_HISTOGRAM
    assert t[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    raw, one_hot = load_dataset("mnist", "test", normalize=False, flatten=False, one_hot_label=True)
    assert raw.shape == (10000, 1, 28, 28) and raw.dtype == np.uint8 and raw.max() == 255
    np.testing.assert_array_equal(raw.reshape(10000, 784) / np.float32(255), x)
    assert one_hot.shape == (10000, 10) and (one_hot.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(one_hot.argmax(axis=1), t)


def test_mnist_train_set_missing_here_gives_one_clear_error(monkeypatch, isolated):
    monkeypatch.setenv("BACKPROP_DATA", str(MNIST_DIR))  # holds only the test set
    with pytest.raises(FileNotFoundError) as error:
        load_mnist()
    message = str(error.value)
    assert "MNIST (train split) was not found" in message and "$BACKPROP_DATA/mnist" in message
    assert "offline" in message and "apt-get" not in message  # Debian has no MNIST package
    assert len(isolated) == len(datasets.DATASETS["mnist"]["mirrors"])  # gave up after the first file


def test_fashion_mnist_from_the_debian_package(fashion_package):
    (x_train, t_train), (x_test, t_test) = load_fashion_mnist()
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == x_test.dtype == np.float32
    assert 0.0 == x_train.min() and x_train.max() == 1.0
    assert np.bincount(t_train).tolist() == [6000] * 10  # Fashion-MNIST is balanced
    assert np.bincount(t_test).tolist() == [1000] * 10
    assert t_test[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
    (x_train, _), (x_test, t_test) = load_fashion_mnist(normalize=False, flatten=False, one_hot_label=True)
    assert x_train.shape == (60000, 1, 28, 28) and x_train.dtype == np.uint8
    assert t_test.shape == (10000, 10)


# --- where the files are looked for ----------------------------------------------------------------

def test_cache_dir_respects_xdg_cache_home(monkeypatch, tmp_path):
    assert cache_dir() == tmp_path / "cache" / "backprop_lib"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "backprop_lib"


def test_search_order(monkeypatch, tmp_path):
    """$BACKPROP_DATA/<name>, then $BACKPROP_DATA, then the user cache, then the system copy."""
    root, system = tmp_path / "data", tmp_path / "system"
    monkeypatch.setenv("BACKPROP_DATA", str(root))
    monkeypatch.setitem(datasets.DATASETS["fashion-mnist"], "system_dir", str(system))
    places = [root / "fashion-mnist", root, cache_dir() / "fashion-mnist", system]
    for n, place in enumerate(places, start=1):
        write_split(place, "test", n)
    for n in range(1, len(places) + 1):
        x, _ = load_dataset("fashion-mnist", "test")
        assert len(x) == n  # the first place that has the files wins
        for path in datasets._split_paths(places[n - 1], "test"):
            path.unlink()


def test_mnist_files_are_not_taken_for_fashion_mnist(monkeypatch, tmp_path):
    # Both data sets use the same file names; $BACKPROP_DATA holding MNIST must not pose as Fashion-MNIST.
    monkeypatch.setenv("BACKPROP_DATA", str(MNIST_DIR))
    monkeypatch.setitem(datasets.DATASETS["fashion-mnist"], "system_dir", str(tmp_path / "system"))
    write_split(tmp_path / "system", "test", 3)
    x, _ = load_dataset("fashion-mnist", "test")
    assert len(x) == 3


def test_unknown_data_set_name():
    with pytest.raises(ValueError, match="fashion-mnist.*found 'cifar'"):
        load_dataset("cifar", "test")


# --- downloads (network mocked) --------------------------------------------------------------------

def test_download_verifies_and_caches(monkeypatch):
    fetched = []

    def fetch_from_repository_copy(url):
        fetched.append(url)
        return (MNIST_DIR / url.rsplit("/", 1)[1]).read_bytes()

    monkeypatch.setattr(datasets, "_fetch", fetch_from_repository_copy)
    x, t = load_dataset("mnist", "test")
    assert x.shape == (10000, 784) and np.bincount(t).tolist() == MNIST_TEST_HISTOGRAM
    assert fetched == [datasets.DATASETS["mnist"]["mirrors"][0] + name
                       for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")]
    cached = cache_dir() / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    for path in cached.iterdir():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == datasets.DATASETS["mnist"]["sha256"][path.name]
    load_dataset("mnist", "test")
    assert len(fetched) == 2  # the second load reads the cache


def test_checksum_mismatch_discards_the_download(monkeypatch):
    monkeypatch.setattr(datasets, "_fetch", lambda url: b"<html>not the file</html>")
    with pytest.raises(FileNotFoundError) as error:
        load_dataset("mnist", "test")
    message = str(error.value)
    assert datasets.DATASETS["mnist"]["sha256"]["t10k-images-idx3-ubyte.gz"] in message
    assert hashlib.sha256(b"<html>not the file</html>").hexdigest() in message
    cached = cache_dir() / "mnist"
    assert not cached.exists() or list(cached.iterdir()) == []  # nothing half-written, nothing unverified


def test_offline_error_says_where_to_put_files_and_what_to_install(monkeypatch, tmp_path, isolated):
    monkeypatch.setitem(datasets.DATASETS["fashion-mnist"], "system_dir", str(tmp_path / "no-package"))
    with pytest.raises(FileNotFoundError) as error:
        load_fashion_mnist()
    message = str(error.value)
    assert "Fashion-MNIST (train split) was not found" in message
    assert "$BACKPROP_DATA/fashion-mnist" in message and "apt-get install dataset-fashion-mnist" in message
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path / "no-package") in message
    assert len(isolated) == 2  # one try per mirror for the first file, then give up


def test_backprop_offline_disables_downloads(monkeypatch, isolated):
    monkeypatch.setenv("BACKPROP_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="not tried: BACKPROP_OFFLINE is set"):
        load_dataset("mnist", "test")
    assert isolated == []


def test_fetch_uses_a_short_timeout(monkeypatch):
    seen = {}

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b"data"

    def urlopen(url, timeout=None):
        seen["timeout"] = timeout
        return Response()

    monkeypatch.setattr(datasets.urllib.request, "urlopen", urlopen)
    assert REAL_FETCH("https://example.invalid/file") == b"data"
    assert seen["timeout"] is not None and seen["timeout"] <= 10


# --- the decoded-array cache -----------------------------------------------------------------------

def test_decoded_arrays_are_cached_by_file_hash(tmp_path):
    write_split(tmp_path / "d", "test", 3, fill=9)
    first = load_idx_pair(tmp_path / "d", "test")
    digest = hashlib.sha256((tmp_path / "d" / "t10k-images-idx3-ubyte.gz").read_bytes()).hexdigest()
    entry = cache_dir() / "decoded" / f"{digest}.npy"
    np.testing.assert_array_equal(np.load(entry), first[0])
    entry.write_bytes(b"garbage")  # a broken entry is ignored and rewritten
    second = load_idx_pair(tmp_path / "d", "test")
    np.testing.assert_array_equal(second[0], first[0])
    np.testing.assert_array_equal(np.load(entry), first[0])
    write_split(tmp_path / "d", "test", 3, fill=1)  # new content, new hash: never a stale array
    assert (load_idx_pair(tmp_path / "d", "test")[0] == 1).all()


def test_failed_cache_write_leaves_no_partial_file(monkeypatch, tmp_path):
    write_split(tmp_path / "d", "test", 2)

    def save_half_then_fail(file, array):
        file.write(b"\x93NUMPY half")
        raise OSError("disk full")

    monkeypatch.setattr(datasets.np, "save", save_half_then_fail)
    images, labels = load_idx_pair(tmp_path / "d", "test")  # still loads: the cache only costs speed
    assert images.shape == (2, 28, 28)
    decoded = cache_dir() / "decoded"
    assert list(decoded.iterdir()) == []  # neither a half-written .npy nor a temporary file


def test_unwritable_cache_still_loads(monkeypatch, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "a-file"))
    write_split(tmp_path / "d", "test", 2)
    images, _ = load_idx_pair(tmp_path / "d", "test")
    assert images.shape == (2, 28, 28)


# --- the spiral ------------------------------------------------------------------------------------

def test_make_spiral():
    x, t = make_spiral(n_per_class=50, n_classes=4, seed=1)
    assert x.shape == (200, 2) and x.dtype == np.float64
    assert t.shape == (200,) and t.dtype == np.int64 and np.bincount(t).tolist() == [50] * 4
    assert np.linalg.norm(x, axis=1).max() <= 1.0 + 1e-12
    np.testing.assert_array_equal(make_spiral(50, 4, seed=1)[0], x)
    assert not np.array_equal(make_spiral(50, 4, seed=2)[0], x)
