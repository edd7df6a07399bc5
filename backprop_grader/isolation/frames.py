"""The result protocol between child.py and the grader, read as hostile bytes.

The child writes frames: 8 bytes of big-endian length, then an uncompressed .npz archive of
plain arrays. The order is fixed: `load`, `names`, then one frame per test, test 0, 1, 2 ...,
each exactly once, then `done`. Anything else (a test answered twice, out of order, an unknown
frame, an archive that is compressed, pickled, too large or broken, bytes after `done`) is a
protocol violation: the whole run earns nothing, and the report says so. A last frame cut
short is not a violation: the child was stopped while writing it.

Work is bounded by the bytes received (already capped by the sandbox): archives must be
stored (no decompression bombs), with a bounded number of members, each a plain .npy.
"""
from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field

import numpy as np

MAX_FRAME_BYTES = 16 << 20  # one test's arrays
MAX_MEMBERS = 64  # arrays in one frame
MAX_TEXTS = 20  # messages in the load and names frames
MAX_TEXT = 1000  # characters kept of one message


class Violation(Exception):
    """The child's frames do not follow the protocol."""


@dataclass
class Frames:
    load: list | None = None  # messages of errors raised while loading the learner's code
    refused: list = field(default_factory=list)  # (cell, IPython command) that did nothing while loading
    names: dict | None = None  # {name: "ok" | why not}
    tests: dict = field(default_factory=dict)  # test index -> {array name: array}
    done: bool = False
    violation: str = ""  # why the run earns nothing, or ""


def parse(payload: bytes, n_tests: int) -> Frames:
    """The frames in `payload`, in the protocol's order; never raises."""
    frames, offset, expected = Frames(), 0, 0  # expected: 0 load, 1 names, 2.. tests, n_tests + 2 done
    try:
        while offset < len(payload):
            if offset + 8 > len(payload):
                break  # cut short while writing the length
            (size,) = struct.unpack(">Q", payload[offset:offset + 8])
            if size > MAX_FRAME_BYTES:
                raise Violation(f"a frame of {size} bytes (at most {MAX_FRAME_BYTES})")
            if offset + 8 + size > len(payload):
                break  # cut short while writing the archive
            arrays = load_arrays(payload[offset + 8:offset + 8 + size])
            offset += 8 + size
            _accept(frames, arrays, expected, n_tests)
            expected += 1
    except Violation as error:
        frames.violation = str(error)
    return frames


def _accept(frames, arrays, expected, n_tests):
    kind = _kind(arrays)
    if expected > n_tests + 2 or frames.done:
        raise Violation(f"a frame ({kind}) after the last one")
    wanted = "load" if expected == 0 else "names" if expected == 1 else (
        "done" if expected == n_tests + 2 else f"test {expected - 2}")
    if kind != wanted:
        raise Violation(f"expected the frame of {wanted}; found {kind}")
    if kind == "load":
        frames.load = [t for t in (text(m) for m in arrays["__load__"].ravel()[:MAX_TEXTS]) if t]
        refused = arrays.get("__refused__", np.array([""])).ravel()[:MAX_TEXTS]
        frames.refused = [tuple(t.split("\t", 1)) for t in map(text, refused) if "\t" in t]
    elif kind == "names":
        names, status = arrays["__names__"], arrays["__status__"]
        frames.names = dict(zip(map(text, names.ravel()[:MAX_TEXTS]), map(text, status.ravel()[:MAX_TEXTS])))
    elif kind == "done":
        frames.done = True
    else:
        frames.tests[expected - 2] = arrays


def _kind(arrays) -> str:
    texts = {a.dtype.kind for a in arrays.values()} == {"U"}
    if set(arrays) in ({"__load__"}, {"__load__", "__refused__"}) and texts:
        return "load"
    if set(arrays) == {"__names__", "__status__"} and {a.dtype.kind for a in arrays.values()} == {"U"}:
        return "names"
    if set(arrays) == {"__done__"}:
        return "done"
    index = arrays.get("__test__")
    if index is not None and index.shape == () and index.dtype.kind == "i" and "__error__" in arrays:
        return f"test {int(index)}"
    return "an unknown frame"


def load_arrays(data: bytes) -> dict:
    """The arrays of one uncompressed .npz held in memory, or Violation (no pickles, no bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise Violation(f"a frame of {len(members)} arrays (at most {MAX_MEMBERS})")
            if any(m.compress_type != zipfile.ZIP_STORED or m.file_size > len(data) for m in members):
                raise Violation("a compressed frame")
            if len({m.filename for m in members}) != len(members):
                raise Violation("a frame naming an array twice")
            return {m.filename[:-4]: _read_member(archive, m) for m in members}
    except Violation:
        raise
    except Exception as error:  # noqa: BLE001  (whatever the child wrote, a bad frame is a violation)
        raise Violation(f"a frame that is not a plain array archive ({type(error).__name__})") from None


def _read_member(archive, member):
    """A plain .npy whose declared size fits in the bytes received, checked before numpy allocates,
    then read from the same stream (one pass over its header)."""
    if not member.filename.endswith(".npy"):
        raise Violation("a frame holding something else than arrays")
    with archive.open(member) as fp:
        version = np.lib.format.read_magic(fp)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(fp)
        count = int(np.prod(shape, dtype=np.float64))
        if dtype.hasobject or count * dtype.itemsize > member.file_size:
            raise Violation("a frame whose arrays do not fit in it")
        raw = fp.read(count * dtype.itemsize)
    if len(raw) != count * dtype.itemsize:
        raise Violation("a frame whose arrays do not fit in it")
    array = np.frombuffer(raw, dtype=dtype, count=count).copy()
    return array.reshape(shape[::-1]).transpose() if fortran else array.reshape(shape)


def text(value) -> str:
    """A message the child sent, as a bounded string ('' for anything but one text)."""
    value = np.asarray(value)
    if value.dtype.kind != "U" or value.size != 1:
        return ""
    found = str(value.reshape(()))
    return found if len(found) <= MAX_TEXT else found[:MAX_TEXT] + " ..."


