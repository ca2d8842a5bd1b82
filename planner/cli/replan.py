"""``planner replan SCENARIO --forecast NEW --today DATE [--previous DIR] [--out DIR] [--format text|json]``.

Rolling re-planning of an episode (:mod:`planner.scenario.replan`): the days of the plan in
force up to and including ``--today`` are fixed as executed (read from ``--previous DIR``, a
folder written by ``planner plan`` or an earlier ``planner replan``; without it the scenario is
planned as it stands and that plan is taken as executed), lines stopped in force keep their
minimum down time, and the days after ``--today`` are re-optimised for the NEW forecast.

Prints what changes for whom from tomorrow on: a table (text) or, with ``--format json``, only
the JSON document ``{scenario, today, forecast, previous, status, objective, restart_cost,
fixed_days, replanned_days, levels: {day: {before, after}}, firms_changed, changes: [{enterprise_id,
name, slot, level_before, level_after, before, after}], messages}``.  With ``--out DIR`` the new
plan is written like ``planner plan`` (schedule.csv, summary.json with a ``replan`` key,
plan.xlsx) plus ``changes.csv``; that folder is the ``--previous`` of the next re-plan.

Exit codes (planner.cli.main): 0 optimal; 1 not usable as is (infeasible, time limit; files
still written); 2 bad input; 4 outputs cannot be written.
"""

from __future__ import annotations

import json

from planner.io.writing import SCHEDULE_FORMATS


def add_arguments(parser):
    """Add the arguments of ``planner replan`` to ``parser``."""
    parser.add_argument("scenario", help="episode scenario YAML file (see scenarios/)")
    parser.add_argument(
        "--forecast", required=True, metavar="NEW", help="the new forecast (netCDF/CSV with its issue_time)"
    )
    parser.add_argument(
        "--today",
        required=True,
        metavar="DATE",
        help="YYYY-MM-DD: the day the new forecast arrives; it and the days before are kept as executed",
    )
    parser.add_argument(
        "--previous",
        metavar="DIR",
        help="folder of the plan in force (schedule.csv, summary.json from planner plan/replan); "
        "default: plan the scenario as it stands",
    )
    parser.add_argument("--out", metavar="DIR", help="write the new plan here (and changes.csv)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--schedule-format", choices=SCHEDULE_FORMATS, default="csv", help="as for planner plan"
    )
    parser.add_argument(
        "--limit", type=int, default=40, help="changes printed in the text table (default 40)"
    )


def format_changes(doc: dict, limit: int = 40) -> str:
    """The text account of a re-plan: days, levels before/after, and the changes table."""
    lines = [
        f"re-plan of {doc['scenario']} on {doc['today']} with {doc['forecast']}: {doc['status']}",
        f"plan in force: {doc['previous']}",
        f"fixed (executed) days: {', '.join(doc['fixed_days']) or '-'}; "
        f"re-planned days: {', '.join(doc['replanned_days']) or '- (no alert after today)'}",
    ]
    if doc["objective"] is not None:
        lines.append(
            f"total output loss {doc['objective']:,.1f} 万元, restart cost {doc.get('restart_cost') or 0:,.1f} 万元"
        )
    lines.append(
        "levels from tomorrow:  "
        + "  ".join(f"{d} {v['before']}→{v['after']}" for d, v in doc["levels"].items())
    )
    ch = doc["changes"]
    lines.append(f"{len(ch)} change(s) for {doc['firms_changed']} enterprise(s):")
    if ch:
        lines.append(f"{'enterprise':<12}{'name':<22}{'day':<12}{'level':<18}{'cut before':>11}{'after':>8}")
        for c in ch[:limit]:
            lv = f"{c['level_before']}→{c['level_after']}"
            lines.append(
                f"{c['enterprise_id']:<12}{str(c['name'])[:20]:<22}{c['slot']:<12}{lv:<18}"
                f"{c['before']:>10.0%}{c['after']:>9.0%}"
            )
        if len(ch) > limit:
            lines.append(f"… {len(ch) - limit} more (--format json or --out DIR for all)")
    lines.extend(doc.get("messages") or [])
    return "\n".join(lines)


def run(args) -> int:
    """Run ``planner replan`` with the parsed ``args``; return the exit code."""
    from planner.io.writing import write_schedule
    from planner.reports.outputs import write_outputs
    from planner.scenario.replan import replan

    rp = replan(args.scenario, args.forecast, args.today, args.previous)
    if args.out:
        try:
            paths = write_outputs(rp.result, args.out, args.schedule_format)
            write_schedule(rp.changes, paths["schedule"].parent / "changes.csv", "csv")
        except OSError as exc:
            raise OSError(
                exc.errno, f"cannot write the outputs: {exc.strerror or exc}", str(args.out)
            ) from None
    doc = rp.to_json()
    if args.format == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(format_changes(doc, args.limit))
        if args.out:
            print(f"wrote {args.out} (schedule.csv, summary.json, plan.xlsx, changes.csv)")
    return 0 if rp.result.status == "optimal" else 1
