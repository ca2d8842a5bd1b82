"""Interleaved A/B timing of the decomposition solver at two revisions (or the working tree).

The shared 2-core machine changes speed by ±30 % within minutes, so timing one version after the
other compares the machine's phases more than the code.  This script loads
``planner/optimize/decomposition.py`` of each revision as its own module (the rest of ``planner``
is the working tree's: the revisions must agree on what the module imports) and, on the same
random episode LPs (:func:`planner.optimize.inputs.random_plan_inputs`), alternates them solve by
solve (the order flipped every other instance).  It prints, per revision, the median over the
instances of each instance's fastest solve, the ratio to the first revision, that both reach the
same certified objective, and a plain highspy reference (presolve on) on the first instance in
the same run.

Examples
--------
::

    .venv/bin/python benchmarks/ab_decomposition.py --revs HEAD~1,WORKTREE --sizes 20000 --seeds 0-9
    .venv/bin/python benchmarks/ab_decomposition.py --revs main,WORKTREE --sizes 300000 --seeds 0-2 --rounds 2
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = "planner/optimize/decomposition.py"
WORKTREE = "WORKTREE"


def load_revision(rev: str, tmp: Path, i: int):
    """Import ``decomposition.py`` of ``rev`` (a git revision, or ``WORKTREE``) as a module of its own."""
    if rev == WORKTREE:
        path = ROOT / MODULE
    else:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:{MODULE}"], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            raise LookupError(f"no {MODULE} at revision {rev!r}: {out.stderr.strip()}")
        text = out.stdout
        path = tmp / f"decomposition_{i}.py"
        path.write_text(text, encoding="utf-8")
    name = f"_ab_decomposition_{i}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def seeds_of(text: str) -> list[int]:
    """``"0-4"`` or ``"0,3,7"`` to a list of seeds."""
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def highspy_seconds(ds) -> float:
    """Seconds of a plain highspy run (presolve on) of the direct model built from ``ds``."""
    from planner.optimize.blocks import build_model
    from planner.optimize.highs_backend import solve_plain
    from planner.optimize.options import SolveOptions

    m, _ = build_model(ds, SolveOptions())
    return solve_plain(m, 1800.0)[0]


def main(argv: list[str] | None = None) -> int:
    """Run the A/B comparison and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--revs", default=f"HEAD,{WORKTREE}", help=f"comma-separated git revisions or {WORKTREE}")
    ap.add_argument("--sizes", default="20000", help="enterprise counts, comma-separated")
    ap.add_argument("--slots", type=int, default=7)
    ap.add_argument("--seeds", default="0-9", help='instances: "0-9" or "0,3,7"')
    ap.add_argument("--rounds", type=int, default=3, help="solves of each revision per instance")
    ap.add_argument("--no-reference", action="store_true", help="skip the plain highspy run")
    args = ap.parse_args(argv)

    from planner.optimize.inputs import random_plan_inputs
    from planner.optimize.options import SolveOptions

    revs = args.revs.split(",")
    opts = SolveOptions(decomposition="on")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            mods = [load_revision(r, Path(tmp), i) for i, r in enumerate(revs)]
        except LookupError as exc:
            print(f"ab_decomposition: {exc}", file=sys.stderr)
            return 2
        for E in (int(v) for v in args.sizes.split(",")):
            seeds = seeds_of(args.seeds)
            dss = [random_plan_inputs(E, args.slots, seed=s) for s in seeds]
            for m in mods:  # first solves in the process (imports, allocator) off the clock
                m.solve_decomposed(dss[0], opts)
            best = [[float("inf")] * len(dss) for _ in mods]
            objective = [[float("nan")] * len(dss) for _ in mods]
            for rnd in range(args.rounds):
                for i, ds in enumerate(dss):
                    order = list(range(len(mods)))
                    if (rnd + i) % 2:
                        order.reverse()
                    for k in order:
                        t = time.perf_counter()
                        r = mods[k].solve_decomposed(ds, opts)
                        el = time.perf_counter() - t
                        if r.state != "optimal":
                            print(f"{revs[k]} seed {seeds[i]}: {r.state} {r.messages}", file=sys.stderr)
                            return 1
                        best[k][i] = min(best[k][i], el)
                        objective[k][i] = r.stats["primal"]
            ref = None if args.no_reference else highspy_seconds(dss[0])
            same = all(
                abs(objective[k][i] - objective[0][i]) <= 1e-6 * max(1.0, abs(objective[0][i]))
                for k in range(len(mods))
                for i in range(len(dss))
            )
            med0 = statistics.median(best[0])
            print(f"{E:,} × {args.slots}, seeds {args.seeds}, {args.rounds} rounds; objectives equal: {same}")
            print(f"{'revision':>20} {'median s':>9} {'mean s':>8} {'vs first':>9} {'highspy / it':>13}")
            for k, rev in enumerate(revs):
                med = statistics.median(best[k])
                hs = f"{ref / med:13.1f}" if ref is not None else f"{'-':>13}"
                print(f"{rev:>20} {med:9.3f} {statistics.mean(best[k]):8.3f} {med / med0:9.2f} {hs}")
            if ref is not None:
                print(f"{'highspy (seed ' + str(seeds[0]) + ')':>20} {ref:9.3f}")
            if not same:
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
