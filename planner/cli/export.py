"""``planner export SCENARIO --out DIR [--sheets all|none|measured|ID,ID…] [--pdf]``.

Solves the scenario and writes ``DIR/应急减排清单.xlsx`` (the emergency list in the Chinese layout
bureaus use) and the 一厂一策 sheets ``DIR/一厂一策/<enterprise_id>.html`` (default: every firm
with a measure at some level).  Exit 0 when the plan meets every target, 1 otherwise (files
written all the same), 2 on bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner.reports.export import emergency_list_workbook, enterprise_sheets
from planner.scenario.run import run as run_scenario

TOL = 1e-9


def add_arguments(parser):
    parser.add_argument("scenario", help="scenario YAML file")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--sheets", default="measured", help="all | none | measured (default) | comma-separated ids"
    )
    parser.add_argument(
        "--pdf", action="store_true", help="also write each sheet as PDF (needs the optional reportlab)"
    )


def sheet_ids(result, choice: str) -> list[str] | None:
    """Enterprise ids whose 一厂一策 sheets to write (None = all)."""
    if choice == "all":
        return None
    if choice == "measured":
        s = result.schedule
        return sorted(set(s.loc[(s["curtailment"] > TOL) | (s["floor"] > TOL), "enterprise_id"].astype(str)))
    return [i.strip() for i in choice.split(",") if i.strip()]


def run(args) -> int:
    result = run_scenario(args.scenario)
    out = Path(args.out)
    book = emergency_list_workbook(result, out / "应急减排清单.xlsx")
    written = []
    if args.sheets != "none":
        try:
            written = enterprise_sheets(
                result, out / "一厂一策", sheet_ids(result, args.sheets), pdf=args.pdf
            )
        except (KeyError, RuntimeError) as exc:
            print(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
            return 2
    print(
        f"{result.summary['scenario']}: {result.status}; wrote {book} and {len(written)} sheet file(s) in {out / '一厂一策'}"
    )
    return 0 if result.status == "optimal" else 1
