"""``planner export SCENARIO --out DIR [--sheets all|none|measured|ID,ID…] [--pdf]``.

Solves the scenario and writes ``DIR/应急减排清单.xlsx`` (the emergency list in the Chinese layout
bureaus use) and the 一厂一策 sheets ``DIR/一厂一策/<enterprise_id>.html`` (default: every firm
with a measure at some level; ids made safe as file names).  Everything is written into a
temporary folder beside DIR and moved into place once complete, so a failed export (an unknown
id, ``--pdf`` without reportlab, a full disk) leaves DIR as it was.  Exit 0 when the plan meets
every target, 1 otherwise (files written all the same), 2 on bad input (an unknown id, no reportlab for ``--pdf``), 4 when the files cannot be written
(DIR unchanged).
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner.io.writing import staged_output
from planner.reports.export import emergency_list_workbook, enterprise_sheets, require_reportlab
from planner.scenario.run import run as run_scenario

TOL = 1e-9
LIST_FILE = "应急减排清单.xlsx"
SHEETS_DIR = "一厂一策"


def add_arguments(parser):
    """Add the arguments of ``planner export`` to ``parser``."""
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
    """Run ``planner export`` with the parsed ``args``; return the exit code."""
    if args.pdf and args.sheets != "none":
        try:
            require_reportlab()
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    result = run_scenario(args.scenario)
    out = Path(args.out)
    ids = sheet_ids(result, args.sheets) if args.sheets != "none" else []
    known = set(result.prepared.table.index.astype(str))
    unknown = [i for i in (ids or []) if i not in known]
    if unknown:
        shown = ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
        print(
            f"error: --sheets: {len(unknown)} id(s) not in the inventory of {result.scenario.name}: {shown}",
            file=sys.stderr,
        )
        return 2
    try:
        with staged_output(out) as stage:
            emergency_list_workbook(result, stage / LIST_FILE)
            written = []
            if args.sheets != "none":
                written = enterprise_sheets(result, stage / SHEETS_DIR, ids, pdf=args.pdf)
    except (KeyError, RuntimeError) as exc:
        print(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # exit 4 (planner.cli.main), naming --out rather than the staged folder
        raise OSError(
            exc.errno, f"cannot write the export: {exc.strerror or exc}; nothing was changed there", str(out)
        ) from None
    print(
        f"{result.summary['scenario']}: {result.status}; wrote {out / LIST_FILE} and {len(written)} sheet "
        f"file(s) in {out / SHEETS_DIR}"
    )
    return 0 if result.status == "optimal" else 1
