"""Command-line entry point: ``planner <command> ...`` (also ``python -m planner``).

Each command lives in its own module under :mod:`planner.cli` with two functions,
``add_arguments(parser)`` and ``run(args) -> int``.  Exit codes follow one rule across commands:
0 success, 1 a result that is not usable as is (e.g. infeasible targets; files still written),
2 bad input (every problem is printed).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from planner.problems import InputError

#: command name -> (module under planner.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check an enterprise inventory file (CSV/XLSX) and list every problem"),
    "demo-data": ("demo_data", "generate the synthetic demo city (inventory, city totals, forecast)"),
    "alerts": ("alerts", "daily city AQI, primary pollutant and alert level per day and per process"),
    "plan": ("plan", "solve a scenario and write schedule.csv, summary.json and plan.xlsx"),
    "compare": ("compare", "compare scenarios side by side (loss, reductions, changed obligations)"),
    "save": ("save", "save a revised scenario as a new revision, with history and conflict check"),
    "publish": ("publish", "approve a saved revision: the enterprise portal shows it from now on"),
    "access": ("access", "issue, revoke and list the enterprise portal's access codes"),
    "analyze": ("analyze", "expert report: least-cost curve, infeasibility share, upgrade values, measures"),
    "export": ("export", "the emergency list workbook (Chinese layout) and 一厂一策 sheets"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planner",
        description="Emergency emission-reduction planner for heavy-pollution weather.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        mod = importlib.import_module(f"planner.cli.{module}")
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except InputError as exc:
        print(exc.problems.to_text(), file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `planner alerts … | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
