"""``planner analyze SCENARIO [--format text|json] [--level L] [--top N] [--workers N] [--scheduler ADDRESS]``.

Solves the scenario and prints the expert report of :func:`planner.reports.analysis.report`: the
least-cost curve with the uniform and greedy baselines, the share beyond which targets become
infeasible, the value of grade upgrades and the effectiveness of measures, and under the key
``air_quality`` the analyses in µg/m³ of :func:`planner.airquality.analysis.air_report` (firms by
µg/m³ per 万元, the loss–ΔPM2.5 curves beside the tonnes, who delivers the goal; null without
stations).

The sweeps (curve points, budgets, upgrade re-solves) run as tasks: serially by default, on an
embedded local Dask cluster with ``--workers N`` (N > 1), or on an existing cluster with
``--scheduler tcp://HOST:PORT`` (docs/SCALING.md).  The output is the same in every case.  A
progress bar is drawn on standard error when it is a terminal (never on standard output).
"""

from __future__ import annotations

import json

from planner.airquality.analysis import air_report, air_report_text
from planner.reports.analysis import report, report_text
from planner.scale.runner import ProgressBar, runner
from planner.scenario.run import run as run_scenario


def add_scale_arguments(parser) -> None:
    """``--workers N`` and ``--scheduler ADDRESS`` (shared by ``plan`` and ``analyze``)."""
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run independent solves on an embedded local Dask cluster of N worker processes "
        "(default 1: serially)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run independent solves on an existing Dask cluster, e.g. tcp://10.0.0.5:8786",
    )


def add_arguments(parser):
    """Add the arguments of ``planner analyze`` to ``parser``."""
    parser.add_argument("scenario", help="scenario YAML file")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--level", choices=("yellow", "orange", "red"), help="level of the least-cost curve (default orange)"
    )
    parser.add_argument(
        "--top", type=int, default=5, help="firms whose upgrade is re-solved city-wide (default 5)"
    )
    add_scale_arguments(parser)


def run(args) -> int:
    """Run ``planner analyze`` with the parsed ``args``; return the exit code."""
    with runner(args.workers, args.scheduler) as tasks:
        result = run_scenario(args.scenario)
        doc = report(result, level=args.level, top=args.top, runner=tasks, progress=ProgressBar())
    doc["air_quality"] = air_report(result, level=args.level)
    if args.format == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print("\n".join([report_text(doc), *air_report_text(doc["air_quality"])]))
    return 0
