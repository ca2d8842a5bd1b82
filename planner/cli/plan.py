"""``planner plan SCENARIO --out DIR [--format text|json] [--schedule-format csv|parquet] [--workers N] [--scheduler ADDRESS]``.

Writes ``schedule.csv``, ``summary.json`` and ``plan.xlsx`` to DIR (plus ``schedule.parquet``
with ``--schedule-format parquet``), all through a temporary folder beside DIR, moved into place
once every file is complete.  ``plan.xlsx`` holds the summary, targets and per-firm totals only
(and says so) when the schedule has more rows than a workbook should hold
(:data:`planner.reports.views.SCHEDULE_SHEET_MAX_ROWS`, 100,000).  Exit 0 when the plan is optimal, 1 when it is
not (infeasible targets, time limit, solver error; files still written), 2 on bad input, 4 when
the outputs cannot be written (DIR is then unchanged).

A region scenario (top-level ``cities:``, :mod:`planner.scenario.region`) is planned per city and
for the region: ``schedule.csv`` gets a first column ``city``, ``summary.json`` a ``region`` key,
and each city's own files go to ``DIR/cities/<city>/``.  Independent cities run as tasks: serially,
on an embedded local Dask cluster (``--workers N``) or on an existing one (``--scheduler``).
"""

from __future__ import annotations

import json

from planner.io.writing import SCHEDULE_FORMATS
from planner.optimize.attribution import split_lines
from planner.reports.outputs import write_outputs
from planner.scenario.run import run as run_scenario


def add_arguments(parser):
    """Add the arguments of ``planner plan`` to ``parser``."""
    parser.add_argument("scenario", help="scenario YAML file (see scenarios/)")
    parser.add_argument(
        "--out", help="folder for schedule.csv, summary.json, plan.xlsx (without it: print the summary only)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--schedule-format",
        choices=SCHEDULE_FORMATS,
        default="csv",
        help="schedule.csv is always written; parquet adds schedule.parquet (default csv)",
    )
    from planner.cli.analyze import add_scale_arguments

    add_scale_arguments(parser)  # region mode: the cities as tasks (no effect for one city)


def _num(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def format_summary(summary: dict) -> str:
    """A short human-readable account of a plan's summary."""
    lines = [
        f"scenario {summary['scenario']} ({summary['mode']}): {summary['status']}",
        f"total output loss: {summary['objective']:,.1f} 万元"
        if summary["objective"] is not None
        else "no plan",
    ]
    if summary.get("restart_cost"):
        lines.append(f"restart cost (besides the output loss): {summary['restart_cost']:,.1f} 万元")
    split = split_lines(summary)
    if split:
        lines.extend(split)
    else:
        for name, value in summary["baselines"].items():
            lines.append(
                f"  baseline {name:<13} "
                + ("cannot meet the targets" if value is None else f"{value:,.1f} 万元")
            )
    lines.append(
        f"{'slot':<12}{'level':<8}"
        + "".join(f"{p + ' achieved/target (t/d)':>30}" for p in ("SO2", "NOx", "PM", "VOCs"))
    )
    for s in summary["slots"]:
        cells = "".join(
            f"{s['achieved'][p]:>15.3f}/{s['targets'][p]:<14.3f}" for p in ("SO2", "NOx", "PM", "VOCs")
        )
        lines.append(f"{s['slot']:<12}{s['level']:<8}{cells}")
        short = {p: v for p, v in s["shortfall"].items() if v > 1e-6}
        if short:
            lines.append("    SHORT: " + ", ".join(f"{p} {v:.3f} t/d" for p, v in short.items()))
    lines.extend(ensemble_lines(summary))
    air = [(s["slot"], s.get("air_quality")) for s in summary["slots"] if s.get("air_quality")]
    if air:
        lines.append(f"air quality (city mean, method: {air[0][1]['method']}):")
        lines.append(
            f"{'slot':<12}{'PM2.5 forecast':>16}{'ΔPM2.5':>10}{'AQI forecast':>14}{'AQI with measures':>19}"
        )
        for slot, a in air:
            lines.append(
                f"{slot:<12}{_num(a['pm25_forecast'], '.1f'):>16}{_num(a['delta_pm25'], '.2f'):>10}"
                f"{_num(a['aqi_forecast'], 'd'):>14}{_num(a['aqi_with_measures'], 'd'):>19}"
            )
        lines.append(
            "  (ΔPM2.5 in µg/m³ removed by the measures; 'screening' = screening plume, docs/AIR_QUALITY.md)"
        )
    lines.extend(format_goal(summary))
    lines.extend(summary.get("messages") or [])
    return "\n".join(lines)


def format_region(summary: dict) -> str:
    """The per-city and regional lines of a region plan's account."""
    region = summary["region"]
    lines = [f"region {summary['scenario']}: {len(region['cities'])} cities, {region['solve']} solve"]
    for cid, s in region["cities"].items():
        loss = "no plan" if s["objective"] is None else f"{s['objective']:,.1f} 万元"
        lines.append(f"  city {cid:<12} {s['status']:<11} loss {loss}  ({s['enterprises']} enterprises)")
    for row in region["targets"]:
        lines.append(
            f"  regional target {row['row']:<10} {row['pollutant']:<5} {row['share']:.0%} of the cities' "
            f"totals: {row['achieved']:.3f}/{row['required']:.3f} t/d" + ("" if row["met"] else "  SHORT")
        )
    return "\n".join(lines)


def ensemble_lines(summary: dict) -> list[str]:
    """Members met per day and overall (``summary["ensemble"]``), empty without an ensemble."""
    ens = summary.get("ensemble")
    if not ens:
        return []
    k = ens["members"]
    head = f"ensemble ({k} members): targets met on every day in {ens['members_met_all_days']} of {k} members"
    if ens.get("chance") is not None:
        head += f"; chance constraint {ens['chance']:g} = at least {ens['members_required']} members per day"
        head += f" ({ens['formulation']} formulation)"
    out = [
        head,
        f"{'day':<12}{'plan level':<12}{'members (none/yellow/orange/red)':<34}{'met':>8}{'share':>8}",
    ]
    for d in ens["days"]:
        ml = d["member_levels"]
        mix = "/".join(str(ml[lv]) for lv in ("none", "yellow", "orange", "red"))
        flag = ""
        if d.get("chance_met") is False:
            flag = f"  below {ens['chance']:.0%} (reachable {d['reachable_share']:.0%})"
        out.append(
            f"{d['date']:<12}{d['level']:<12}{mix:<34}{d['members_met']:>5}/{d['members_total']:<2}"
            f"{d['members_met_share']:>8.0%}{flag}"
        )
    return out


def format_goal(summary: dict) -> list[str]:
    """The concentration goal's lines: goal per day and receptor, achieved, marginal loss per µg/m³."""
    aq = summary.get("air_quality")
    if not aq:
        return []
    g = aq["goal"]
    what = ", ".join(
        t
        for t in (
            f"city mean ≥ {g['delta_pm25_city']:g} µg/m³" if g.get("delta_pm25_city") is not None else "",
            f"every station ≥ {g['delta_pm25_station']:g} µg/m³"
            if g.get("delta_pm25_station") is not None
            else "",
        )
        if t
    )
    lines = [
        f"PM2.5 goal on each alert day: {what}"
        + (
            " (instead of the emission shares)"
            if g.get("instead_of_shares")
            else " (with the emission shares)"
        )
        + ("" if aq["met"] else " — NOT MET"),
        (
            f"  loss with the goal alone {_num(aq['loss_with_goal'], ',.1f')} 万元, with the shares alone "
            f"{_num(aq['loss_without_goal'], ',.1f')} 万元 (difference {_num(aq['goal_cost'], ',.1f')} 万元)"
            if g.get("instead_of_shares")
            else f"  loss with the goal {_num(aq['loss_with_goal'], ',.1f')} 万元, without "
            f"{_num(aq['loss_without_goal'], ',.1f')} 万元 (the goal costs {_num(aq['goal_cost'], ',.1f')} 万元)"
        ),
        f"  {'slot':<12}{'receptor':<10}{'goal':>8}{'achieved':>10}{'reachable':>11}{'万元 per µg/m³':>16}",
    ]
    for r in aq["rows"]:
        lines.append(
            f"  {r['slot']:<12}{r['receptor']:<10}{_num(r['goal'], '.2f'):>8}{_num(r['achieved'], '.2f'):>10}"
            f"{_num(r['reachable'], '.2f'):>11}{_num(r['marginal_loss_per_ugm3'], ',.0f'):>16}"
        )
    return lines


def run(args) -> int:
    """Run ``planner plan`` with the parsed ``args``; return the exit code."""
    from planner.scenario.region import is_region_file

    if is_region_file(args.scenario):
        return _run_region(args)
    result = run_scenario(args.scenario)
    return _report(args, result, write_outputs, [format_summary])


def _report(args, result, write, formats) -> int:
    """Write the outputs (when ``--out`` is given), print the summary (JSON or text), return the exit code."""
    try:
        paths = write(result, args.out, args.schedule_format) if args.out else {}
    except OSError as exc:  # exit 4 (planner.cli.main), naming --out rather than the staged folder
        raise OSError(
            exc.errno,
            f"cannot write the outputs: {exc.strerror or exc}; nothing was changed there",
            str(args.out),
        ) from None
    if args.format == "json":
        print(json.dumps(result.summary, ensure_ascii=False, indent=2))
    else:
        for fmt in formats:
            print(fmt(result.summary))
        print("wrote " + ", ".join(str(p) for p in paths.values()) if paths else "no --out: nothing written")
    return 0 if result.status == "optimal" else 1


def _run_region(args) -> int:
    from planner.reports.region import write_region_outputs
    from planner.scale.runner import ProgressBar, runner
    from planner.scenario.region import load_region, solve_region

    region = load_region(args.scenario)
    with runner(args.workers, args.scheduler) as tasks:
        result = solve_region(region, tasks, ProgressBar())
    return _report(args, result, write_region_outputs, [format_region, format_summary])
