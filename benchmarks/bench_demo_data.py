"""Benchmark of ``planner demo-data`` (issue 13: 300,000 firms in at most 20 s wall).

Runs ``python -m planner demo-data --enterprises N --out TMP`` in a fresh subprocess ``--repeat``
times for each size and prints the median wall seconds, the median CPU seconds (user + system) and
the peak memory (``ru_maxrss``) of the child, measured by :func:`os.wait4` on that child alone.
Each run writes into a new temporary folder (removed afterwards, or kept under ``--keep``).

Run::

    .venv/bin/python benchmarks/bench_demo_data.py                                  # 300,000 firms
    .venv/bin/python benchmarks/bench_demo_data.py --enterprises 20000,300000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Wall seconds ``planner demo-data`` may take for 300,000 firms (issue 13).
TARGET_SECONDS = 20.0
#: Size the target applies to.
TARGET_ENTERPRISES = 300_000


def run_once(n: int, seed: int | None, out: Path) -> dict:
    """One ``planner demo-data`` run in a subprocess: its wall and CPU seconds and peak memory.

    Parameters
    ----------
    n : int
        ``--enterprises``.
    seed : int or None
        ``--seed`` (None: the command's default).
    out : Path
        ``--out``.

    Returns
    -------
    dict
        ``{"wall": s, "cpu": s, "peak_mb": MB, "stdout": text}``.

    Raises
    ------
    RuntimeError
        When the command fails (its stderr in the message).
    """
    cmd = [sys.executable, "-m", "planner", "demo-data", "--enterprises", str(n), "--out", str(out)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (not all children's)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        so.seek(0)
        se.seek(0)
        stdout, stderr = so.read(), se.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{stderr[-3000:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "stdout": stdout,
    }


def main(argv=None) -> int:
    """Time ``planner demo-data`` for each size and print the medians and the target."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--enterprises", default=str(TARGET_ENTERPRISES), help="comma-separated sizes")
    ap.add_argument("--seed", type=int, default=None, help="generator seed (default: the command's)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", help="write the last run of each size into this folder (kept)")
    args = ap.parse_args(argv)

    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"{'firms':>9} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}  (medians of {args.repeat}; walls)")
    for n in (int(float(v)) for v in str(args.enterprises).split(",")):
        runs = []
        for k in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                last = args.keep and k == args.repeat - 1
                out = Path(args.keep) / str(n) if last else Path(tmp) / "city"
                runs.append(run_once(n, args.seed, out))
        walls = [r["wall"] for r in runs]
        print(
            f"{n:>9,} {statistics.median(walls):>8.2f} {statistics.median(r['cpu'] for r in runs):>8.2f} "
            f"{max(r['peak_mb'] for r in runs):>8.0f}  ({', '.join(f'{w:.2f}' for w in walls)})",
            flush=True,
        )
        skipped = [line.strip() for line in runs[-1]["stdout"].splitlines() if "skipped" in line]
        for line in skipped:
            print(f"{'':>9} {line}")
        if n == TARGET_ENTERPRISES:
            ok = statistics.median(walls) <= TARGET_SECONDS
            print(
                f"{'':>9} target ≤ {TARGET_SECONDS:.0f} s wall at {n:,} firms: {'met' if ok else 'NOT met'}"
            )
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
