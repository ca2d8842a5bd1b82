"""End-to-end benchmark of ``planner plan`` on a generated city (issue 13: 300,000 firms ≤ 60 s, ≤ 3 GB).

Generates a city of ``--enterprises`` firms with the project's demo generator
(:func:`planner.demo.city.make_demo_city`, written as ``enterprises.csv``, ``lines.csv`` and
``city.yaml`` into a temporary folder), then runs the pipeline of ``planner plan`` on it in a fresh
subprocess — CSV → inventory → measures → PlanInputs → solve → baselines → tables → verification →
``schedule.csv``, ``summary.json``, ``plan.xlsx`` — and prints each stage's seconds, the total
wall time and the subprocess's peak memory (``ru_maxrss``).

For reference, the LP the project solved (:func:`planner.optimize.blocks.build_model` on the same
PlanInputs arrays) is passed to a plain ``highspy.Highs`` (presolve on) in another subprocess; only
its ``run()`` is timed.  The ratios printed are ``highspy / project solve`` and ``highspy /
project total`` (the whole pipeline, files written).

Run::

    .venv/bin/python benchmarks/bench_pipeline.py                      # 300,000 firms, list mode
    .venv/bin/python benchmarks/bench_pipeline.py --enterprises 1200,20000 --mode episode
    .venv/bin/python benchmarks/bench_pipeline.py --enterprises 300000 --no-reference --keep /tmp/city
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Stages of the pipeline, in order: (key of the timings, label).
STAGES = (
    ("read_inventory", "read"),
    ("measures", "measures"),
    ("inputs", "inputs"),
    ("build", "build"),
    ("solve", "solve"),
    ("baselines", "baselines"),
    ("tables", "tables"),
    ("verify", "verify"),
    ("write", "write"),
)


def scenario_file(folder: Path, mode: str, time_limit: float) -> Path:
    """Write a scenario on the generated city in ``folder`` and return its path.

    Shaped like ``scenarios/demo_list.yaml`` (lines, the two non-industrial measures) in list mode,
    or on the demo forecast in episode mode.
    """
    import yaml

    from planner import DATA_DIR

    data = {
        "name": f"bench_{mode}",
        "inventory": str(folder / "enterprises.csv"),
        "lines": str(folder / "lines.csv"),
        "city": str(folder / "city.yaml"),
        "mode": mode,
        "alert_days": {"yellow": 8, "orange": 5, "red": 3},
        "rules": "2024",
        "non_industrial": [
            {
                "name": "dust",
                "sector": "dust",
                "reductions": {"yellow": {"PM": 0.1}, "orange": {"PM": 0.2}, "red": {"PM": 0.3}},
                "loss": {"yellow": 60, "orange": 120, "red": 200},
            },
            {
                "name": "trucks",
                "sector": "mobile",
                "reductions": {
                    "yellow": {"NOx": 0.01, "PM": 0.01},
                    "orange": {"NOx": 0.02, "PM": 0.02},
                    "red": {"NOx": 0.04, "PM": 0.03},
                },
            },
        ],
        "options": {"discrete": False},
        "solver": {"backend": "highs", "time_limit": time_limit},
    }
    if mode == "episode":
        data["forecast"] = str(DATA_DIR / "demo_city" / "forecast.nc")
    path = folder / f"bench_{mode}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def generate(n: int, folder: Path, seed: int | None) -> float:
    """Write a generated city of ``n`` firms into ``folder``; its seconds."""
    from planner.demo.city import _csv_bytes, _line_fields, make_demo_city

    t0 = time.perf_counter()
    city = make_demo_city(n) if seed is None else make_demo_city(n, seed=seed)
    (folder / "enterprises.csv").write_bytes(_csv_bytes(city.inventory))
    (folder / "lines.csv").write_bytes(_csv_bytes(city.lines[_line_fields()]))
    import yaml

    (folder / "city.yaml").write_text(
        yaml.safe_dump(city.city, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return time.perf_counter() - t0


def run_project(scenario: str, out: str) -> dict:
    """``planner plan SCENARIO --out OUT`` in this process, with its stage seconds."""
    from planner.reports.outputs import write_outputs
    from planner.scenario.run import prepare, solve_prepared

    t0 = time.perf_counter()
    prepared = prepare(scenario)
    result = solve_prepared(prepared)
    t1 = time.perf_counter()
    write_outputs(result, out)
    t2 = time.perf_counter()
    s = result.summary
    tm = {k: float(v) for k, v in s["timings"].items()}
    tm["write"] = t2 - t1
    return {
        "timings": tm,
        "total": t2 - t0,
        "rows": int(prepared.inputs.sizes["enterprise"]),
        "slots": int(prepared.inputs.sizes["slot"]),
        "status": s["status"],
        "objective": s["objective"],
        "solver": s.get("solver"),
        "path": (s.get("solver_path") or {}).get("method"),
        "schedule_rows": len(result.schedule),
        "workbook_mb": (Path(out) / "plan.xlsx").stat().st_size / 2**20,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_highspy(scenario: str, time_limit: float) -> dict:
    """The project's LP on the same PlanInputs, solved by a plain ``highspy.Highs`` (presolve on)."""
    from planner.optimize.blocks import build_model
    from planner.optimize.highs_backend import solve_plain
    from planner.optimize.options import SolveOptions
    from planner.scenario.run import prepare, solver_options

    prepared = prepare(scenario)
    opts = SolveOptions.from_any(solver_options(prepared.scenario))
    m, _ = build_model(prepared.inputs, opts)
    sec, objective, status = solve_plain(m, time_limit)
    return {
        "seconds": sec,
        "objective": objective + float(prepared.inputs["credited_loss"].values.sum()),
        "status": status,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _sub(spec: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--one", json.dumps(spec)], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(n: int, mode: str, t_gen: float, p: dict, ref: dict | None) -> None:
    """Print one city's figures: stage seconds, total, peak memory, the highspy reference and ratios."""
    tm = p["timings"]
    print(
        f"{n:,} firms ({p['rows']:,} decision rows) × {p['slots']} slots, mode {mode}; "
        f"generated in {t_gen:.2f} s"
    )
    head = "".join(f"{label:>10}" for _, label in STAGES) + f"{'total':>9}{'peak MB':>9}"
    print(head)
    print(
        "".join(f"{tm.get(k, float('nan')):>10.2f}" for k, _ in STAGES)
        + f"{p['total']:>9.2f}{p['peak_mb']:>9.0f}"
    )
    print(
        f"status {p['status']}, objective {p['objective']}, solver {p['solver']} ({p['path']}); "
        f"schedule {p['schedule_rows']:,} rows, plan.xlsx {p['workbook_mb']:.1f} MB"
    )
    if ref is not None:
        diff = (
            (p["objective"] - ref["objective"]) / abs(ref["objective"])
            if p["status"] == "optimal" and ref["objective"]
            else float("nan")  # a shortfall's penalty is in the LP's objective, not in the loss
        )
        print(
            f"highspy (presolve on, same LP arrays): {ref['seconds']:.2f} s, {ref['status']}, "
            f"peak {ref['peak_mb']:.0f} MB; ratio highspy / project solve "
            f"{ref['seconds'] / max(tm['solve'], 1e-9):.2f}, highspy / project total "
            f"{ref['seconds'] / p['total']:.2f}; relative objective difference {diff:.1e}"
        )


def main(argv=None) -> int:
    """Generate the cities, run the pipeline stages and print the table (and ``--json``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--enterprises",
        default="300000",
        help="firms of the generated city (comma-separated: several cities)",
    )
    ap.add_argument("--mode", choices=("list", "episode"), default="list")
    ap.add_argument("--seed", type=int, default=None, help="generator seed (default: the demo's)")
    ap.add_argument(
        "--time-limit",
        type=float,
        default=120.0,
        help="time limit (s) of the project's solver and of highspy",
    )
    ap.add_argument("--no-reference", action="store_true", help="skip the plain highspy reference")
    ap.add_argument("--keep", help="write the city and the outputs into this folder (kept)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        spec = json.loads(args.one)
        if spec["kind"] == "project":
            print(json.dumps(run_project(spec["scenario"], spec["out"])))
        else:
            print(json.dumps(run_highspy(spec["scenario"], spec["time_limit"])))
        return 0

    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    rows = []
    for n in (int(float(v)) for v in str(args.enterprises).split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(args.keep) / str(n) if args.keep else Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            t_gen = generate(n, folder, args.seed)
            scenario = str(scenario_file(folder, args.mode, args.time_limit))
            p = _sub({"kind": "project", "scenario": scenario, "out": str(folder / "out")})
            ref = (
                None
                if args.no_reference
                else _sub({"kind": "highspy", "scenario": scenario, "time_limit": args.time_limit})
            )
        report(n, args.mode, t_gen, p, ref)
        rows.append({"enterprises": n, "generate": t_gen, "project": p, "highspy": ref})
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
