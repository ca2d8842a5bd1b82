"""Export benchmark: the files of ``planner plan`` and ``planner export`` for a generated city.

Generates a city with :func:`planner.demo.city.make_demo_city`, plans it in list mode (3 slots) and
times, each ``--repeat`` times (median printed):

- ``list.xlsx`` — the emergency list workbook (:func:`planner.reports.export.emergency_list_workbook`);
- ``plan.xlsx`` — the plan workbook (:func:`planner.reports.views.plan_workbook`);
- ``schedule.csv`` — the schedule as written by ``planner plan``;
- ``sheets`` — the 一厂一策 HTML sheets of every firm with a measure (``planner export`` default);
- ``plan outputs`` — everything ``planner plan`` writes (:func:`planner.reports.outputs.write_outputs`).

Run::

    .venv/bin/python benchmarks/bench_export.py --enterprises 20000 --repeat 3

Target (issue 9): the 20,000-firm list in at most 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from planner.demo.city import make_demo_city, write_demo_city
from planner.scenario.run import run


def _scenario(folder: Path) -> Path:
    data = {
        "name": "bench_export",
        "description": "基准测试市 应急减排清单",
        "inventory": str(folder / "enterprises.csv"),
        "city": str(folder / "city.yaml"),
        "mode": "list",
        "alert_days": {"yellow": 8, "orange": 5, "red": 3},
    }
    path = folder / "bench_export.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _schedule_csv(result, path: Path) -> None:
    try:
        from planner.io.writing import write_schedule
    except ImportError:  # the code before streaming exports
        result.schedule.to_csv(path, index=False, encoding="utf-8")
        return
    write_schedule(result.schedule, path, "csv")


def _time(fn, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` calls (CPU time is steadier on a shared machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main(argv=None) -> int:
    """Plan a generated city and print the median seconds of each export output."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated subset of the timed outputs")
    ap.add_argument("--sheet-limit", type=int, default=0, help="time only the first N sheets (0 = all)")
    args = ap.parse_args(argv)

    from planner.cli.export import sheet_ids
    from planner.reports.export import emergency_list_workbook, enterprise_sheets
    from planner.reports.outputs import write_outputs
    from planner.reports.views import plan_workbook

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        write_demo_city(make_demo_city(args.enterprises, args.seed), folder / "city")
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = run(_scenario(folder / "city"))
        t_plan = time.perf_counter() - t0
        ids = sheet_ids(result, "measured")
        if args.sheet_limit:
            ids = ids[: args.sheet_limit]
        print(
            f"{args.enterprises} enterprises: generated in {t_gen:.1f} s, planned in {t_plan:.1f} s "
            f"({result.status}); schedule {len(result.schedule):,} rows; {len(ids):,} sheets"
        )
        out = folder / "out"
        cases = {
            "list.xlsx": lambda: emergency_list_workbook(result, out / "list.xlsx"),
            "plan.xlsx": lambda: plan_workbook(result, out / "plan.xlsx"),
            "schedule.csv": lambda: _schedule_csv(result, out / "schedule.csv"),
            "sheets": lambda: enterprise_sheets(result, out / "sheets", ids),
            "plan outputs": lambda: write_outputs(result, out / "plan"),
        }
        only = [c.strip() for c in args.only.split(",") if c.strip()]
        out.mkdir()
        print(f"{'output':<14} {'wall s':>8} {'CPU s':>8}  (medians of {args.repeat})")
        for name, fn in cases.items():
            if only and name not in only:
                continue
            wall, cpu = _time(fn, args.repeat)
            print(f"{name:<14} {wall:>8.2f} {cpu:>8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
