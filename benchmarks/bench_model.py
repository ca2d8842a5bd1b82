"""Benchmark of the curtailment model on generated cities.

Every case runs in a fresh subprocess so that its peak memory (``ru_maxrss``) is its own.
Prints one table row per (enterprises, slots, backend, LP/MILP, presolve): seconds for build,
solve and verify, end-to-end seconds of :func:`planner.optimize.model.solve`, status, objective, gap and
peak memory.

Examples
--------
Quick run (about a minute)::

    .venv/bin/python benchmarks/bench_model.py --quick

The figures in the README (targets: 20,000-enterprise 7-day episode ≤ 0.5 s end-to-end with the
fast backend; MILP at 20,000 enterprises ≤ 5 s at 0.5 % gap)::

    .venv/bin/python benchmarks/bench_model.py --sizes 1000,20000,100000,300000 --slots 1,7
    .venv/bin/python benchmarks/bench_model.py --sizes 20000 --slots 7 --presolve both
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

_PRE = {"auto": "auto", True: "on", False: "off"}


def run_one(
    E: int,
    S: int,
    backend: str,
    milp: bool,
    presolve: bool,
    mode: str,
    seed: int,
    gap: float,
    time_limit: float,
) -> dict:
    """Run one case in this process and return its figures."""
    from planner.optimize.inputs import random_plan_inputs
    from planner.optimize.model import solve

    ds = random_plan_inputs(E, S, seed=seed, mode=mode)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    plan = solve(ds, backend=backend, discrete=milp, presolve=presolve, mip_gap=gap, time_limit=time_limit)
    total = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "E": E,
        "S": S,
        "backend": plan.solver,
        "kind": "MILP" if milp else "LP",
        "presolve": presolve,
        "build": plan.timings["build"],
        "solve": plan.timings["solve"],
        "verify": plan.timings["verify"],
        "total": total,
        "status": plan.status,
        "objective": plan.objective,
        "gap": plan.gap,
        "peak_mb": peak,
        "delta_mb": peak - rss0,
        "violations": len(plan.violations),
    }


def main(argv=None) -> int:
    """Run each (size, slots, backend, kind, presolve) case in a subprocess and print one row each."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,20000,100000,300000", help="enterprise counts, comma-separated")
    ap.add_argument("--slots", default="1,7", help="slot counts, comma-separated")
    ap.add_argument("--backends", default="highs,pulp", help="highs (direct) and/or pulp")
    ap.add_argument("--kinds", default="lp,milp", help="lp and/or milp")
    ap.add_argument(
        "--presolve",
        choices=["off", "on", "both", "auto"],
        default="auto",
        help="presolve setting(s) to run; 'both' runs off and on",
    )
    ap.add_argument("--mode", choices=["episode", "list"], default="episode")
    ap.add_argument("--pulp-max", type=int, default=20000, help="largest size run with the PuLP backend")
    ap.add_argument("--milp-max", type=int, default=100000, help="largest size run as a MILP")
    ap.add_argument("--mip-gap", type=float, default=0.005)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=1, help="runs per case; the fastest is reported")
    ap.add_argument("--quick", action="store_true", help="sizes 1000,20000; slots 7; pulp up to 1000")
    ap.add_argument("--json", help="also write the rows to this JSON file")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.one:
        print(json.dumps(run_one(**json.loads(args.one))))
        return 0
    if args.quick:
        args.sizes, args.slots, args.pulp_max = "1000,20000", "7", 1000
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    slots = [int(s) for s in args.slots.split(",")]
    pres = {"off": [False], "on": [True], "both": [False, True], "auto": ["auto"]}[args.presolve]
    rows = []
    head = (
        f"{'E':>7} {'S':>2} {'backend':<13} {'kind':<4} {'pre':<4}{'build':>7} {'solve':>7} "
        f"{'verify':>7} {'total':>7} {'status':<10} {'objective':>14} {'gap':>8} {'peak MB':>8} {'Δ MB':>7}"
    )
    print(head)
    print("-" * len(head))
    env = dict(os.environ)
    for E in sizes:
        for S in slots:
            for backend in args.backends.split(","):
                if backend == "pulp" and args.pulp_max < E:
                    continue
                for kind in args.kinds.split(","):
                    milp = kind == "milp"
                    if milp and args.milp_max < E:
                        continue
                    for p in pres:
                        best = None
                        for _ in range(args.repeat):
                            spec = dict(
                                E=E,
                                S=S,
                                backend=backend,
                                milp=milp,
                                presolve=p,
                                mode=args.mode,
                                seed=args.seed,
                                gap=args.mip_gap,
                                time_limit=args.time_limit,
                            )
                            out = subprocess.run(
                                [sys.executable, __file__, "--one", json.dumps(spec)],
                                capture_output=True,
                                text=True,
                                env=env,
                            )
                            if out.returncode != 0:
                                print(f"{E:>7} {S:>2} {backend:<13} {kind:<4} failed: {out.stderr[-300:]}")
                                break
                            r = json.loads(out.stdout.strip().splitlines()[-1])
                            if best is None or r["total"] < best["total"]:
                                best = r
                        if best is None:
                            continue
                        r = best
                        rows.append(r)
                        print(
                            f"{r['E']:>7} {r['S']:>2} {r['backend']:<13} {r['kind']:<4} "
                            f"{_PRE[r['presolve']]:<4}{r['build']:>7.3f} {r['solve']:>7.3f} "
                            f"{r['verify']:>7.3f} {r['total']:>7.3f} {r['status']:<10} {r['objective']:>14.2f} "
                            f"{r['gap']:>8.1e} {r['peak_mb']:>8.0f} {r['delta_mb']:>7.0f}",
                            flush=True,
                        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
