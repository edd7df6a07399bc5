"""Data sets: a small synthetic set, and MNIST / Fashion-MNIST read from IDX files (chapter 8).

load_mnist and load_fashion_mnist look for the files in $BACKPROP_DATA, then in the user cache,
then in the system copy (Debian package dataset-fashion-mnist), and only then download them,
verified by SHA-256 (unless $BACKPROP_OFFLINE is set). Every file is checked before use: a corrupt file is an error, never garbage.
"""
import contextlib
import gzip
import hashlib
import http.client
import math
import os
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np


def make_spiral(n_per_class=100, n_classes=3, seed=0):
    """The CS231n spiral: n_classes interleaved arms in the plane, not linearly separable.

    Returns x of shape (n_per_class * n_classes, 2), float64, and integer labels t of shape (N,).
    """
    rng = np.random.default_rng(seed)
    x = np.zeros((n_per_class * n_classes, 2))
    t = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for k in range(n_classes):
        rows = slice(n_per_class * k, n_per_class * (k + 1))
        radius = np.linspace(0.0, 1.0, n_per_class)
        angle = np.linspace(k * 4.0, (k + 1) * 4.0, n_per_class) + rng.standard_normal(n_per_class) * 0.2
        x[rows] = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
        t[rows] = k
    return x, t


# --- IDX files (the format of MNIST and Fashion-MNIST) --------------------------------------------

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions: (N, rows, cols)
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension: (N,)
UBYTE_TYPE_CODE = 0x08


def _read_bytes(path):
    """The bytes of a file, gunzipped if its name ends in .gz; a broken gzip stream is a ValueError."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"expected an IDX file at {path}; found no such file")
    raw = path.read_bytes()
    if path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:  # bad header, truncated stream, bad CRC
        raise ValueError(f"{path}: expected a complete gzip file; found a corrupt or truncated one ({error})") from None


def read_idx(path, magic=None):
    """The array stored in an IDX file (gzipped if the name ends in .gz), after checking its header.

    The header is a magic number (two zero bytes, a type code, the number of dimensions) followed
    by each dimension as a big-endian 32-bit integer; then come the values. Only unsigned bytes
    (type code 0x08) are supported. A file whose size disagrees with its header raises ValueError.
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: expected at least a 4-byte IDX magic number; found {len(data)} bytes")
    found_magic = int.from_bytes(data[:4], "big")
    if magic is not None and found_magic != magic:
        raise ValueError(f"{path}: expected IDX magic number 0x{magic:08x}; found 0x{found_magic:08x}")
    if data[0] != 0 or data[1] != 0 or data[2] != UBYTE_TYPE_CODE:
        raise ValueError(f"{path}: expected an IDX file of unsigned bytes (magic 0x000008NN); "
                         f"found magic 0x{found_magic:08x}")
    ndim = data[3]
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(f"{path}: expected a {header_size}-byte header for {ndim} dimensions; "
                         f"found only {len(data)} bytes")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected_size = header_size + math.prod(shape)
    if len(data) != expected_size:
        raise ValueError(f"{path}: the header promises shape {shape}, that is {expected_size} bytes; "
                         f"found {len(data)} bytes (truncated or corrupt file)")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape).copy()


SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _split_paths(directory, split):
    """Paths of the images and labels files of a split in directory, preferring the .gz files."""
    if split not in SPLIT_FILES:
        raise ValueError(f"expected split 'train' or 'test'; found {split!r}")
    paths = []
    for stem in SPLIT_FILES[split]:
        gz, raw = Path(directory) / (stem + ".gz"), Path(directory) / stem
        paths.append(raw if raw.exists() and not gz.exists() else gz)
    return paths


def load_idx_pair(directory, split="train"):
    """Images (N, 28, 28) and integer labels (N,) of one split ("train" or "test") found in directory.

    Both arrays are validated: magic numbers, 28x28 images, one label per image, labels 0..9.
    """
    images_path, labels_path = _split_paths(directory, split)
    images = _read_idx_cached(images_path, IMAGES_MAGIC)
    labels = _read_idx_cached(labels_path, LABELS_MAGIC)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: expected images of shape (N, 28, 28); found {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"expected one label per image: {images_path} holds {len(images)} images, "
                         f"{labels_path} holds labels of shape {labels.shape}")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: expected labels 0..9; found a label {labels.max()}")
    return images, labels.astype(np.int64)


# --- where the files come from: $BACKPROP_DATA, the user cache, the system copy, a download ------

DATASETS = {
    "mnist": {
        "title": "MNIST",
        "mirrors": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/"],
        "system_dir": None,  # Debian has no MNIST package
        "sha256": {
            "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    },
    "fashion-mnist": {
        "title": "Fashion-MNIST",
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"],
        "system_dir": "/usr/share/datasets/fashion-mnist",  # Debian package dataset-fashion-mnist
        "sha256": {
            "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
    },
}
DOWNLOAD_TIMEOUT = 5  # seconds: offline, fail fast instead of hanging


def cache_dir():
    """The user cache of backprop_lib: $XDG_CACHE_HOME/backprop_lib, by default ~/.cache/backprop_lib."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "backprop_lib"


def _search_dirs(name):
    """Directories that may hold the data set's files, in the order they are tried."""
    dirs = []
    if os.environ.get("BACKPROP_DATA"):
        root = Path(os.environ["BACKPROP_DATA"])
        dirs += [root / name, root]
    dirs.append(cache_dir() / name)
    if DATASETS[name]["system_dir"]:
        dirs.append(Path(DATASETS[name]["system_dir"]))
    return dirs


@contextlib.contextmanager
def atomic_file(path, mode="wb"):
    """A temporary file beside `path`, renamed over it when the block ends without an error: a reader
    (or a run killed half-way) never sees half a file. The course's one atomic writer: the data cache
    here, and the grader's reports, CSVs and released exercises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name[:100] + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; caches and reports are not secret
        os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the whole new one
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _read_idx_cached(path, magic):
    """read_idx, with the decoded array kept as .npy in the user cache, named by the file's SHA-256."""
    path = Path(path)
    if not path.exists():
        return read_idx(path, magic)  # raises the clear FileNotFoundError
    cached = cache_dir() / "decoded" / f"{hashlib.sha256(path.read_bytes()).hexdigest()}.npy"
    if cached.exists():
        try:
            return np.load(cached)
        except (OSError, ValueError, EOFError):
            pass  # unreadable cache entry: decode the file again
    array = read_idx(path, magic)
    try:
        with atomic_file(cached) as file:
            np.save(file, array)
    except OSError:
        pass  # a read-only cache costs speed, not correctness
    return array


def _fetch(url):
    """The bytes at url (the only function that touches the network)."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
        return response.read()


def _download(name, filename, directory):
    """Download one file from the data set's mirrors into directory, verified by its pinned SHA-256."""
    expected = DATASETS[name]["sha256"][filename]
    failures = []
    for mirror in DATASETS[name]["mirrors"]:
        url = mirror + filename
        try:
            data = _fetch(url)
        except (OSError, http.client.HTTPException) as error:  # no network, timeout, cut-off transfer
            failures.append(f"{url}: {error}")
            continue
        found = hashlib.sha256(data).hexdigest()
        if found != expected:
            failures.append(f"{url}: expected SHA-256 {expected}, found {found} (file discarded)")
            continue
        with atomic_file(Path(directory) / filename) as file:
            file.write(data)
        return
    raise OSError("; ".join(failures))


def _belongs_to_other_dataset(name, paths):
    """True if a file is a known file of another data set (both use the same file names)."""
    others = {digest for other, info in DATASETS.items() if other != name for digest in info["sha256"].values()}
    return any(hashlib.sha256(path.read_bytes()).hexdigest() in others for path in paths)


def _find_split(name, split):
    """A directory holding both files of the split: the first search dir that has them, else a download."""
    searched = _search_dirs(name)
    for directory in searched:
        paths = _split_paths(directory, split)
        if all(path.exists() for path in paths) and not _belongs_to_other_dataset(name, paths):
            return directory
    if os.environ.get("BACKPROP_OFFLINE"):
        error = "not tried: BACKPROP_OFFLINE is set"
        raise FileNotFoundError(_not_found_message(name, split, searched, error))
    target = cache_dir() / name
    try:
        for path in _split_paths(target, split):
            if not path.exists():
                _download(name, path.name, target)
        return target
    except OSError as error:
        raise FileNotFoundError(_not_found_message(name, split, searched, error)) from None


def _not_found_message(name, split, searched, error):
    info = DATASETS[name]
    files = ", ".join(path.name for path in _split_paths(".", split))
    message = (f"{info['title']} ({split} split) was not found and could not be downloaded.\n"
               f"  Looked for {files} in: {', '.join(str(d) for d in searched)}\n"
               f"  Download failed: {error}\n"
               f"  To fix it, put those files in $BACKPROP_DATA/{name} (or $BACKPROP_DATA) and set "
               f"BACKPROP_DATA to that directory")
    if info["system_dir"]:
        message += f",\n  or install the Debian package: sudo apt-get install dataset-{name}"
    return message + "."


# --- the loaders of the notes ----------------------------------------------------------------------

def load_dataset(name, split, normalize=True, flatten=True, one_hot_label=False):
    """(x, t) of one split ("train" or "test") of "mnist" or "fashion-mnist".

    normalize: float32 pixels in [0, 1] instead of uint8 0..255; flatten: x of shape (N, 784)
    instead of (N, 1, 28, 28); one_hot_label: t as float32 rows (N, 10) instead of int64 labels (N,).
    """
    if name not in DATASETS:
        raise ValueError(f"expected a data set name in {sorted(DATASETS)}; found {name!r}")
    images, labels = load_idx_pair(_find_split(name, split), split)
    x = images.reshape(len(images), 784) if flatten else images.reshape(len(images), 1, 28, 28)
    if normalize:
        x = np.divide(x, 255, dtype=np.float32)
    t = np.eye(10, dtype=np.float32)[labels] if one_hot_label else labels
    return x, t


def load_mnist(normalize=True, flatten=True, one_hot_label=False):
    """MNIST handwritten digits as ((x_train, t_train), (x_test, t_test)), like the notes."""
    return tuple(load_dataset("mnist", split, normalize, flatten, one_hot_label) for split in ("train", "test"))


def load_fashion_mnist(normalize=True, flatten=True, one_hot_label=False):
    """Fashion-MNIST clothing images as ((x_train, t_train), (x_test, t_test)), like load_mnist."""
    return tuple(load_dataset("fashion-mnist", split, normalize, flatten, one_hot_label)
                 for split in ("train", "test"))
