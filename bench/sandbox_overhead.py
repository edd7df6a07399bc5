"""How much does the grader's sandbox cost? The same programs run bare and in
`run_isolated`, side by side in one run; the table gives medians and the ratio.

    .venv/bin/python bench/sandbox_overhead.py [--repeat 15]
"""
import argparse
import statistics
import subprocess
import sys
import time

from backprop_grader.sandbox import Limits, run_isolated

PROGRAMS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
}


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def medians(bare, boxed, repeat: int) -> tuple[float, float]:
    """Interleaved, so that the load of a shared machine hits both alike."""
    pairs = [(timed(bare), timed(boxed)) for _ in range(repeat)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    isolation = run_isolated(PROGRAMS["python -c pass"], {}, Limits()).isolation
    print(f"sandbox isolation: {isolation}; median of {repeat} runs\n")
    print("| program | bare (ms) | sandboxed (ms) | overhead (ms) | ratio |\n|---|---|---|---|---|")
    for name, argv in PROGRAMS.items():
        bare, boxed = medians(lambda: subprocess.run(argv, check=True, stdin=subprocess.DEVNULL),
                              lambda: run_isolated(argv, {}, Limits()), repeat)
        print(f"| `{name}` | {bare * 1e3:.0f} | {boxed * 1e3:.0f} | {(boxed - bare) * 1e3:.0f} | {boxed / bare:.2f} |")


if __name__ == "__main__":
    main()
