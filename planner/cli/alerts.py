"""``planner alerts FORECAST [--rules 2024|2017|FILE] [--aqi-standard 2012|2026] [--format text|json]``.

Prints, per forecast day, the date, the city AQI, the primary pollutant and the alert level, and
then, per pollution process, its start, end, level and the condition it meets (one level per
process, see :mod:`planner.policy.alerts`).  The city AQI is the AQI of the mean concentrations
over the forecast's stations.  With an ensemble, ``aqi``, ``primary_pollutant`` and ``level``
are those of the **ensemble-mean concentrations**; ``aqi_p50``/``aqi_p90`` are the 50th/90th
percentiles over members of each member's city AQI (to plan at a percentile, use
``levels_at_percentile`` / the scenario's ``percentile``).

JSON (a contract other tools rely on, unchanged since issue 3): a **list** of per-day objects
``{"date": "YYYY-MM-DD", "aqi": int, "primary_pollutant": str, "level": "none|yellow|orange|red"}``,
plus ``"aqi_p50"``/``"aqi_p90"`` (ints) with an ensemble; ``aqi`` is null for a day without data.
Each day also carries its process (keys added, none renamed): ``"process"`` (int, or null outside
any process) and, inside one, ``"process_start"``, ``"process_end"`` (YYYY-MM-DD),
``"process_level"``, ``"condition"`` (the rule met, e.g. ``AQI>200 for ≥72 h and >300 for ≥24 h``),
``"condition_zh"``, ``"observed"`` (the longest runs, e.g. ``AQI>200 for 96 h, >300 for 24 h``)
and ``"max_aqi"``; and ``"rules"`` and ``"issue_time"`` (from the forecast file, ISO text, or null).

Bad files exit with status 2.
"""

from __future__ import annotations

import argparse
import json

import pandas as pd

from planner.policy.alerts import DEFAULT_RULES, evaluate_alerts, load_rules
from planner.policy.aqi import EDITIONS
from planner.targets.forecast import city_daily_aqi, forecast_issue_time, read_forecast


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``planner alerts`` to ``parser``."""
    parser.add_argument("forecast", metavar="FORECAST", help="forecast file: netCDF (.nc) or long CSV")
    parser.add_argument(
        "--rules",
        default=DEFAULT_RULES,
        help="alert rule set: 2024 (default), 2017, or the path of a rule-set YAML file",
    )
    parser.add_argument(
        "--aqi-standard", choices=EDITIONS, default="2026", help="HJ 633 edition (default 2026)"
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )


def _int_or_none(value):
    return None if pd.isna(value) else int(value)


def alert_records(table: pd.DataFrame) -> list[dict]:
    """The per-day JSON records of an alert table (see module docs)."""
    records = []
    for row in table.itertuples(index=False):
        rec = {
            "date": pd.Timestamp(row.date).strftime("%Y-%m-%d"),
            "aqi": _int_or_none(row.aqi),
            "primary_pollutant": str(row.primary_pollutant or ""),
            "level": str(row.level),
        }
        for col in ("aqi_p50", "aqi_p90"):
            if col in table.columns:
                rec[col] = _int_or_none(getattr(row, col))
        records.append(rec)
    return records


def process_records(processes: pd.DataFrame) -> list[dict]:
    """The per-process JSON records (see module docs)."""
    return [
        {
            "process": int(p.process),
            "start": pd.Timestamp(p.start).strftime("%Y-%m-%d"),
            "end": pd.Timestamp(p.end).strftime("%Y-%m-%d"),
            "days": round(float(p.hours) / 24.0),
            "level": str(p.level),
            "condition": str(p.condition),
            "condition_zh": str(p.condition_zh),
            "observed": str(p.observed),
            "max_aqi": int(p.max_aqi),
        }
        for p in processes.itertuples(index=False)
    ]


def with_processes(records: list[dict], processes: list[dict], rules: str, issue) -> list[dict]:
    """The JSON list: each day's record with its process's keys (see module docs)."""
    out = []
    for rec in records:
        day = dict(rec)
        proc = next((p for p in processes if p["start"] <= rec["date"] <= p["end"]), None)
        day["process"] = None if proc is None else proc["process"]
        if proc is not None:
            day.update(
                {
                    "process_start": proc["start"],
                    "process_end": proc["end"],
                    "process_level": proc["level"],
                    "condition": proc["condition"],
                    "condition_zh": proc["condition_zh"],
                    "observed": proc["observed"],
                    "max_aqi": proc["max_aqi"],
                }
            )
        day["rules"] = rules
        day["issue_time"] = None if issue is None else issue.isoformat()
        out.append(day)
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``planner alerts`` with the parsed ``args``; return the exit code."""
    rules = load_rules(args.rules)
    ds = read_forecast(args.forecast)
    daily = city_daily_aqi(ds, standard=args.aqi_standard)
    alerts = evaluate_alerts(daily, rules)
    table = alerts.days
    records = alert_records(table)
    processes = process_records(alerts.processes)
    issue = forecast_issue_time(ds)
    if args.format == "json":
        print(json.dumps(with_processes(records, processes, rules.name, issue), ensure_ascii=False, indent=2))
        return 0
    ensemble = "member" in ds.dims
    print(
        f"# {rules.name}; AQI HJ 633-{args.aqi_standard}; city = mean of {ds.sizes['station']} station(s)"
        + (f"; ensemble of {ds.sizes['member']} members (aqi/level of the ensemble mean)" if ensemble else "")
        + (f"; issued {issue:%Y-%m-%d %H:%M}" if issue is not None else "")
    )
    head = f"{'date':<10}  {'AQI':>4}  {'primary':<12}  {'level':<6}"
    if ensemble:
        head += f"  {'p50':>4}  {'p90':>4}"
    print(head + "  process")
    for rec, row in zip(records, table.itertuples(index=False), strict=True):
        aqi = "NA" if rec["aqi"] is None else str(rec["aqi"])
        prim = rec["primary_pollutant"] or "-"
        line = f"{rec['date']:<10}  {aqi:>4}  {prim:<12}  {rec['level']:<6}"
        if ensemble:
            p50 = "NA" if rec.get("aqi_p50") is None else rec["aqi_p50"]
            p90 = "NA" if rec.get("aqi_p90") is None else rec["aqi_p90"]
            line += f"  {p50:>4}  {p90:>4}"
        ep = "" if pd.isna(row.episode) else str(int(row.episode))
        if row.advisory:
            ep = (ep + " advisory only").strip()
        print(line + ("  " + ep if ep else ""))
    print()
    if not processes:
        print("# no alert process")
        return 0
    print(f"{'process':<7}  {'start':<10}  {'end':<10}  {'days':>4}  {'level':<6}  condition met (observed)")
    for p in processes:
        print(
            f"{p['process']:<7}  {p['start']:<10}  {p['end']:<10}  {p['days']:>4}  {p['level']:<6}  "
            f"{p['condition']} ({p['observed']})"
        )
    return 0
