"""Helpers shared by the benchmarks: machine description, atomic result files."""
import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from backprop_lib.datasets import atomic_file

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_details():
    """What /proc/cpuinfo says of the processor: its name, family/model/stepping, clock, cache, widest SIMD."""
    path = Path("/proc/cpuinfo")
    if not path.exists():
        return {"cpu": platform.processor()}
    first = path.read_text().split("\n\n")[0]
    fields = dict((key.strip(), value.strip()) for key, _, value in
                  (line.partition(":") for line in first.splitlines()) if key.strip())
    flags = set(fields.get("flags", "").split())
    simd = next((name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"),
                                         ("sse4_2", "SSE4.2")) if flag in flags), "")
    return {"cpu": fields.get("model name", platform.processor()),
            "cpu_family_model_stepping": "/".join(fields.get(key, "?") for key in ("cpu family", "model", "stepping")),
            "cpu_mhz": float(fields["cpu MHz"]) if "cpu MHz" in fields else None,
            "cache": fields.get("cache size", ""), "simd": simd}


def blas():
    """The BLAS under NumPy's products (threadpoolctl: library, version, the kernels it chose)."""
    from threadpoolctl import threadpool_info

    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            return f"{pool.get('internal_api')} {pool.get('version')} ({pool.get('architecture')})"
    return ""


def machine():
    """What the numbers were measured on, including how busy the machine was."""
    info = {**cpu_details(), "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "numpy_blas": blas(), "platform": platform.platform(),
            "load_average_at_start": list(os.getloadavg()),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_blas"] = "MKL" if torch.backends.mkl.is_available() else ""
    except ImportError:
        pass
    return info


def write_atomic(path, text):
    """Write text to path through the course's atomic writer, so a crash never leaves half a result file."""
    with atomic_file(path, "w") as file:
        file.write(text)


def write_json(path, result):
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    write_atomic(path, json.dumps(result, indent=1) + "\n")
