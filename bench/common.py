"""Helpers shared by the benchmarks: machine description, atomic result files."""
import json
import os
import platform
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def machine():
    """What the numbers were measured on, including how busy the machine was."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "platform": platform.platform(),
            "load_average_at_start": list(os.getloadavg()),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        import torch
        info["torch"] = torch.__version__
    except ImportError:
        pass
    return info


def write_atomic(path, text):
    """Write text to path through a temporary file, so a crash never leaves half a result file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as file:
        file.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_json(path, result):
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    write_atomic(path, json.dumps(result, indent=1) + "\n")
