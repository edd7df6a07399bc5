"""One way to write a file that a reader sees whole or not at all (reports, CSVs, exercises, zips)."""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_file(path, mode="wb"):
    """A temporary file beside `path`, renamed over it when the block ends without an error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name[:100] + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; reports and grades are not secret
        os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the whole new one
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomically(path, data) -> None:
    """Write bytes or text (UTF-8) to `path` atomically."""
    with atomic_file(path, "wb") as file:
        file.write(data.encode("utf-8") if isinstance(data, str) else data)


def write_if_changed(path, data) -> bool:
    """write_atomically, unless `path` already holds `data`: then the file and its modification time
    stay (builds that compare times rebuild nothing). True if it wrote."""
    data = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    write_atomically(path, data)
    return True


def write_json_atomically(path, data) -> None:
    write_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
