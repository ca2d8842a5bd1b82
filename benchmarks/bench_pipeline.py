"""End-to-end benchmark on generated demo cities: CSV → inventory → measures → inputs → plan.

Uses the project's own demo generator (``planner.demo.city.make_demo_city``) to write cities of
increasing size, then times each stage of ``planner plan`` in list mode (3 slots) and with a
7-day episode built from the demo forecast's levels.  Prints one row per size and mode.

Run::

    .venv/bin/python benchmarks/bench_pipeline.py --sizes 1200,20000,100000
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import tempfile
import time
from pathlib import Path

import yaml

from planner import DATA_DIR
from planner.demo.city import make_demo_city, write_demo_city
from planner.scenario.files import load_scenario
from planner.scenario.run import prepare, solve_prepared


def scenario_for(folder: Path, mode: str) -> Path:
    """A scenario file on the generated city in ``folder`` (list mode, or the demo forecast)."""
    data = {
        "name": f"bench_{mode}",
        "inventory": str(folder / "enterprises.csv"),
        "city": str(folder / "city.yaml"),
        "mode": mode,
        "alert_days": {"yellow": 8, "orange": 5, "red": 3},
        "non_industrial": [
            {
                "name": "dust",
                "sector": "dust",
                "reductions": {"yellow": {"PM": 0.1}, "orange": {"PM": 0.2}, "red": {"PM": 0.3}},
            }
        ],
    }
    if mode == "episode":
        data["forecast"] = str(DATA_DIR / "demo_city" / "forecast.nc")
    path = folder / f"bench_{mode}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def main(argv=None) -> int:
    """Write demo cities of each size and print the seconds of every ``planner plan`` stage per mode."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1200,20000,100000", help="enterprise counts, comma-separated")
    ap.add_argument("--modes", default="list,episode")
    ap.add_argument("--discrete", action="store_true", help="whole production lines (MILP)")
    args = ap.parse_args(argv)
    print(
        f"{'enterprises':>11} {'mode':>8} {'slots':>5} {'generate':>9} {'prepare':>8} {'build':>7} "
        f"{'solve':>7} {'verify':>7} {'total':>7} {'status':>10} {'peak MB':>8}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            t0 = time.perf_counter()
            write_demo_city(make_demo_city(n), folder)
            t_gen = time.perf_counter() - t0
            for mode in args.modes.split(","):
                scenario = load_scenario(scenario_for(folder, mode))
                if args.discrete:
                    scenario = dataclasses.replace(scenario, options={**scenario.options, "discrete": True})
                t1 = time.perf_counter()
                prepared = prepare(scenario)
                result = solve_prepared(prepared)
                total = time.perf_counter() - t1
                tm = result.summary["timings"]
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(
                    f"{n:>11,} {mode:>8} {prepared.inputs.sizes['slot']:>5} {t_gen:>9.2f} {tm['prepare']:>8.2f} "
                    f"{tm['build']:>7.2f} {tm['solve']:>7.2f} {tm['verify']:>7.2f} {total:>7.2f} "
                    f"{result.summary['status']:>10} {peak:>8.0f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
