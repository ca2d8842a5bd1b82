"""``planner analyze SCENARIO [--format text|json] [--level L] [--top N]``.

Solves the scenario and prints the expert report of :func:`planner.reports.analysis.report`: the
least-cost curve with the uniform and greedy baselines, the share beyond which targets become
infeasible, the value of grade upgrades and the effectiveness of measures.
"""

from __future__ import annotations

import json

from planner.reports.analysis import report, report_text
from planner.scenario.run import run as run_scenario


def add_arguments(parser):
    parser.add_argument("scenario", help="scenario YAML file")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--level", choices=("yellow", "orange", "red"), help="level of the least-cost curve (default orange)"
    )
    parser.add_argument(
        "--top", type=int, default=5, help="firms whose upgrade is re-solved city-wide (default 5)"
    )


def run(args) -> int:
    doc = report(run_scenario(args.scenario), level=args.level, top=args.top)
    print(json.dumps(doc, ensure_ascii=False, indent=2) if args.format == "json" else report_text(doc))
    return 0
