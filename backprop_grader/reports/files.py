"""Files a reader sees whole or not at all (reports, CSVs, exercises, zips), written with the course's one
atomic writer, backprop_lib.datasets.atomic_file (the library's data cache uses it too; the library never
imports the grader, so it lives there)."""
from __future__ import annotations

import json
from pathlib import Path

from backprop_lib.datasets import atomic_file


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
