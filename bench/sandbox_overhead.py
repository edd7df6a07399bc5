"""How much does the grader's sandbox cost? The same programs run bare and in
`run_isolated`, side by side in one run; the table gives medians and the ratio, for each
isolation mode: with bubblewrap, and without it (root without CAP_SYS_ADMIN and bwrap hidden,
as in a Gradescope container: a uid of its own, Landlock and seccomp; needs root), each with every run
exec'd from scratch and forked from the fork server (whose numpy is imported already).

    .venv/bin/python bench/sandbox_overhead.py [--repeat 15] [--mode bwrap|no-bwrap|both]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from backprop_grader.isolation.sandbox import FORK_SERVER_VAR, Limits, run_isolated

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import no_bwrap  # noqa: E402  (the namespace that hides bubblewrap, shared with the tests)

PROGRAMS = {"pass": b"pass\n", "import numpy": b"import numpy\n"}  # each run as `python prog.py`


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def medians(bare, boxed, repeat: int) -> tuple[float, float]:
    """Interleaved, so that the load of a shared machine hits both alike."""
    pairs = [(timed(bare), timed(boxed)) for _ in range(repeat)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def rows(mode: str, repeat: int) -> None:
    """Print this process's table rows, for runs exec'd and forked from the fork server (which has imported
    numpy already); `mode` is what the sandbox must report, or it stops."""
    argv = [sys.executable, "prog.py"]
    with tempfile.TemporaryDirectory() as bare_dir:
        for forked in ("0", "1"):
            os.environ[FORK_SERVER_VAR] = forked
            isolation = re.sub(r"uid=\d+", "own-uid", run_isolated(argv, {"prog.py": b""}, Limits()).isolation)
            if isolation.startswith("bwrap") != (mode == "bwrap") or isolation.endswith(" forked") != (forked == "1"):
                sys.exit(f"asked for {mode} (forked: {forked}), but the sandbox runs {isolation}")
            for name, source in PROGRAMS.items():
                Path(bare_dir, "prog.py").write_bytes(source)
                bare, boxed = medians(lambda: subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, cwd=bare_dir),
                                      lambda: run_isolated(argv, {"prog.py": source}, Limits()), repeat)
                print(f"| {mode} | `{name}` | {bare * 1e3:.0f} | {boxed * 1e3:.0f} | {(boxed - bare) * 1e3:.0f} "
                      f"| {boxed / bare:.2f} | {isolation} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--mode", choices=["bwrap", "no-bwrap", "both"], default="both")
    parser.add_argument("--rows-only", action="store_true", help=argparse.SUPPRESS)  # the no-bwrap pass
    args = parser.parse_args()
    if args.rows_only:
        return rows(args.mode, args.repeat)
    print(f"median of {args.repeat} runs\n")
    print("| mode | program | bare (ms) | sandboxed (ms) | overhead (ms) | ratio | isolation |\n"
          "|---|---|---|---|---|---|---|", flush=True)
    if args.mode in ("bwrap", "both"):
        rows("bwrap", args.repeat)
    if args.mode in ("no-bwrap", "both"):
        if not no_bwrap.available():
            sys.exit("the no-bwrap mode needs root, unshare and setpriv")
        here = str(Path(__file__).resolve())
        command = no_bwrap.command([sys.executable, here, "--rows-only", "--mode", "no-bwrap",
                                    "--repeat", str(args.repeat)], keep=[str(Path(here).parents[1])])
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
