"""Rolling re-planning of an episode: keep what was executed, re-optimise the rest for a new forecast.

``planner replan SCENARIO --forecast NEW --today DATE`` (and the app's episode page) call
:func:`replan`:

1. **The plan in force.**  From ``--previous DIR`` (the ``schedule.csv`` and ``summary.json`` a
   ``planner plan`` or ``planner replan`` wrote, and its ``schedule_lines.csv`` when the scenario
   plans firms line by line), or, without it, re-derived by planning the scenario as it stands
   (its own forecast) — the same plan ``planner plan SCENARIO`` writes.
2. **Fixed days.**  Every day of that plan up to and including ``--today`` is fixed as executed:
   ``--today`` is the day the new forecast arrives, and its orders were given the day before.
   Each fixed day keeps its level, its cuts (floor = ceiling = the executed share; a line's own
   from ``schedule_lines.csv``), its credit for the response delay (a line's own
   ``effect_share``) and its issue time.  A line the plan in force has no row for (a plan made
   without the lines table) is an input error: what it executed is unknown.
3. **New days.**  The new forecast's alert levels (per process, the scenario's rules) for the days
   after ``--today``; a day is covered when the new forecast's timeline covers it (issue time +
   lead) **or** it continues the alert in force on ``--today`` (a process of the new forecast that
   starts no later than the day after ``--today``: the alert is already in force, its level
   changes — 降级 or 升级 — without a new lead time).  Measures are ordered at the new
   forecast's issue time (response delays count from it).
4. **One run.**  Fixed and new days on consecutive dates form one run, so the lines stopped in
   force keep their minimum down time and a restart is charged once
   (:mod:`planner.optimize.restarts`); everything else is re-optimised at least loss.
5. **Changes.**  For every firm and day after ``--today`` whose cut differs from the plan in
   force: ``{enterprise_id, name, slot, level_before, level_after, before, after}`` (shares of
   normal output; ``before`` is 0 on a day the old plan did not cover, ``after`` 0 on a day the
   new one does not).

After an alert is lifted nothing is ordered: a line inside its minimum down time then simply
restarts when it can (no obligation, no tonnes credited).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.problems import InputError
from planner.scenario.files import Scenario, load_scenario

__all__ = [
    "CHANGE_COLUMNS",
    "Replan",
    "change_list",
    "executed_shares",
    "merged_alerts",
    "previous_plan",
    "replan",
]

#: Columns of ``changes.csv`` (and keys of the JSON change records).
CHANGE_COLUMNS = ("enterprise_id", "name", "slot", "level_before", "level_after", "before", "after")


@dataclass
class Replan:
    """A re-plan: the new plan (a :class:`planner.scenario.run.PlanResult`) and what changed."""

    result: object
    today: pd.Timestamp
    fixed_days: list[str]
    new_days: list[str]
    levels_before: dict[str, str]
    levels_after: dict[str, str]
    changes: pd.DataFrame
    previous_source: str

    def to_json(self) -> dict:
        """The ``planner replan --format json`` document (keys may be added, never removed)."""
        s = self.result.summary
        return {
            "scenario": s["scenario"],
            "today": self.today.strftime("%Y-%m-%d"),
            "forecast": str(self.result.scenario.forecast),
            "previous": self.previous_source,
            "status": s["status"],
            "objective": s["objective"],
            "restart_cost": s.get("restart_cost"),
            "fixed_days": self.fixed_days,
            "replanned_days": self.new_days,
            "levels": {
                d: {"before": self.levels_before.get(d, "none"), "after": self.levels_after.get(d, "none")}
                for d in sorted(set(self.levels_before) | set(self.levels_after))
                if d > self.today.strftime("%Y-%m-%d")
            },
            "firms_changed": int(self.changes["enterprise_id"].nunique()) if len(self.changes) else 0,
            "changes": [
                {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
                for row in self.changes.to_dict(orient="records")
            ],
            "messages": s.get("messages", []),
        }


def previous_plan(
    scenario: Scenario, previous: str | Path | None
) -> tuple[pd.DataFrame, dict, str, pd.DataFrame | None]:
    """The plan in force: ``(schedule, summary, source, lines)``.

    ``previous`` is a folder written by ``planner plan`` / ``planner replan`` (``schedule.csv``,
    ``summary.json`` and, for a city with lines, ``schedule_lines.csv``); None plans the scenario
    as it stands.  ``lines`` is None when the plan has no line rows.
    """
    from planner.scenario.run import run

    if previous is None:
        result = run(scenario)
        sl = result.schedule_lines  # None without lines (or without solver values)
        lines = sl if sl is not None and len(sl) else None
        return result.schedule, result.summary, f"planned from {scenario.file.name} (its own forecast)", lines
    folder = Path(previous)
    sched, summ = folder / "schedule.csv", folder / "summary.json"
    for f in (sched, summ):
        if not f.is_file():
            raise InputError.single(
                str(f), "not found: --previous must be a folder written by planner plan/replan"
            )
    schedule = pd.read_csv(sched, dtype={"enterprise_id": str, "slot": str}, keep_default_na=False)
    missing = [c for c in ("enterprise_id", "slot", "level", "curtailment") if c not in schedule.columns]
    if missing:
        raise InputError.single(str(sched), f"missing column(s) {', '.join(missing)}", column=missing[0])
    try:
        summary = json.loads(summ.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError.single(str(summ), f"not a summary.json: {exc}") from None
    if summary.get("mode") != "episode":
        raise InputError.single(str(summ), "the previous plan is not an episode plan (mode: episode)")
    schedule["curtailment"] = pd.to_numeric(schedule["curtailment"], errors="coerce")
    if schedule["curtailment"].isna().any():
        r = int(np.flatnonzero(schedule["curtailment"].isna())[0]) + 2
        raise InputError.single(str(sched), "curtailment is not a number", row=r, column="curtailment")
    lines = None
    if (folder / "schedule_lines.csv").is_file():
        lpath = folder / "schedule_lines.csv"
        lines = pd.read_csv(
            lpath, dtype={"enterprise_id": str, "line_id": str, "slot": str}, keep_default_na=False
        )
        missing = [c for c in ("enterprise_id", "line_id", "slot", "curtailment") if c not in lines.columns]
        if missing:
            raise InputError.single(str(lpath), f"missing column(s) {', '.join(missing)}", column=missing[0])
        for col in ("curtailment", "effect_share"):
            if col not in lines.columns:
                continue
            lines[col] = pd.to_numeric(lines[col], errors="coerce")
            if lines[col].isna().any():
                r = int(np.flatnonzero(lines[col].isna())[0]) + 2
                raise InputError.single(str(lpath), f"{col} is not a number", row=r, column=col)
    return schedule, summary, str(folder), lines


def executed_shares(
    inp, schedule: pd.DataFrame, lines: pd.DataFrame | None, days: list[str], column: str, fill: float
) -> np.ndarray:
    """(E, D) values of ``column`` on ``days`` for each row of the PlanInputs ``inp``.

    A row that is a line (``line_id`` not empty) takes its line's row of ``schedule_lines.csv``
    (``curtailment``) or, for a column the line file lacks, its firm's row of ``schedule.csv``;
    any other row takes its enterprise's row.  Missing cells are ``fill``.
    """
    ids = [str(e) for e in inp["enterprise"].values]
    owner = inp["owner"].values.astype(str) if "owner" in inp else np.asarray(ids)
    line_id = inp["line_id"].values.astype(str) if "line_id" in inp else np.full(len(ids), "")
    firm = schedule.pivot_table(index="enterprise_id", columns="slot", values=column, aggfunc="first")
    out = firm.reindex(index=list(owner), columns=days).to_numpy(dtype=float)
    is_line = line_id != ""
    if is_line.any() and lines is not None and column in lines.columns and len(lines):
        key = lines["enterprise_id"].astype(str) + "/" + lines["line_id"].astype(str)
        per_line = lines.assign(unit=key).pivot_table(
            index="unit", columns="slot", values=column, aggfunc="first"
        )
        units = np.where(is_line, np.char.add(np.char.add(owner, "/"), line_id), owner)
        got = per_line.reindex(index=list(units), columns=days).to_numpy(dtype=float)
        out = np.where(is_line[:, None], got, out)
    return np.where(np.isnan(out), fill, out)


def _check_line_rows(inp, lines: pd.DataFrame | None, source: str) -> None:
    """Every line of the PlanInputs has rows in the plan in force's ``schedule_lines.csv``.

    What a line executed is not in ``schedule.csv`` (a plan made without the scenario's lines table).
    """
    if "line_id" not in inp:
        return
    is_line = inp["line_id"].values.astype(str) != ""
    if not is_line.any():
        return
    have = (
        set()
        if lines is None
        else set((lines["enterprise_id"].astype(str) + "/" + lines["line_id"].astype(str)).tolist())
    )
    units = np.asarray(inp["enterprise"].values).astype(str)
    lacking = units[is_line & ~np.isin(units, list(have))]
    if len(lacking):
        where = str(Path(source) / "schedule_lines.csv") if Path(source).is_dir() else source
        raise InputError.single(
            where,
            f"the plan in force gives no executed cut for {len(lacking)} lines of firms planned line "
            f"by line (e.g. {', '.join(lacking[:3])}): re-plan from a plan written with the "
            "scenario's lines table (its schedule_lines.csv)",
        )


def merged_alerts(
    scenario: Scenario, new: Scenario, schedule: pd.DataFrame, summary: dict, today: pd.Timestamp
) -> pd.DataFrame:
    """Days of the re-plan: the plan in force up to ``today`` (fixed), the new forecast after it."""
    from planner.scenario.run import forecast_alerts

    fixed_slots = sorted(s for s in schedule["slot"].astype(str).unique() if pd.Timestamp(s) <= today)
    tl = summary.get("timeline") or {}
    by_date = {d["date"]: d for d in tl.get("days", [])}
    level = schedule.drop_duplicates("slot").set_index("slot")["level"].astype(str)
    rows = []
    for s in fixed_slots:
        d = by_date.get(s, {})
        rows.append(
            {
                "date": pd.Timestamp(s),
                "aqi": d.get("aqi"),
                "primary_pollutant": "",
                "level": level[s],
                "advisory": False,
                "process_level": level[s],
                "covered": True,
                "coverage": f"executed: the plan in force ({level[s]}), fixed by the re-plan of "
                f"{today:%Y-%m-%d}",
                "coverage_zh": f"已执行：原方案（{_zh(level[s])}），{today:%m-%d} 滚动调整时保持不变",
                # credited as executed: the plan in force's effect shares are put back below
                "issue_time": None,
                "fixed": True,
            }
        )
    fresh = forecast_alerts(new)
    dates = pd.to_datetime(fresh["date"]).dt.normalize()
    after = fresh[(dates > today).to_numpy()].copy()
    d_after = pd.to_datetime(after["date"]).dt.normalize()
    in_force_today = today.strftime("%Y-%m-%d") in fixed_slots
    alert = after["level"].astype(str) != "none"
    if in_force_today and alert.any():
        # the process that continues the alert in force: starts no later than tomorrow
        ep = after["episode"]
        first = d_after[alert].min()
        if first == today + pd.Timedelta(days=1):
            k = ep[alert & (d_after == first)].iloc[0]
            cont = alert & (ep == k)
            newly = cont & ~after["covered"].astype(bool)
            after.loc[newly, "coverage"] = after.loc[newly, "coverage"].str.replace(
                r" — not covered.*$", " — continues the alert in force (level changed at once)", regex=True
            )
            after.loc[newly, "coverage_zh"] = after.loc[newly, "coverage_zh"].str.replace(
                r"——不执行.*$", "——延续已生效的预警（级别即时调整）", regex=True
            )
            after.loc[cont, "covered"] = True
    after["issue_time"] = (fresh.attrs.get("timeline") or {}).get("issue_time")
    after["fixed"] = False
    merged = pd.concat([pd.DataFrame(rows), after], ignore_index=True, sort=False)
    merged["date"] = pd.to_datetime(merged["date"])
    merged = merged.sort_values("date").reset_index(drop=True)
    # one chain per run of consecutive covered alert days (fixed and new days join)
    on = (merged["level"].astype(str) != "none") & merged["covered"].astype(bool)
    day = (merged["date"] - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)
    gap = on & ~(on.shift(1, fill_value=False) & (day.diff() == 1))
    run = np.where(on, np.cumsum(gap.to_numpy()), 0)
    merged["episode"] = pd.array(np.where(run > 0, run, 0), dtype="Int64")
    merged.loc[run == 0, "episode"] = pd.NA
    merged["aqi"] = pd.to_numeric(merged["aqi"], errors="coerce")
    merged.attrs["timeline"] = dict(fresh.attrs.get("timeline") or {})
    return merged


def _zh(level: str) -> str:
    from planner.policy.vocabulary import LEVEL_ZH

    return LEVEL_ZH.get(level, level)


def change_list(
    before: pd.DataFrame, after: pd.DataFrame, today: pd.Timestamp, tol: float = 1e-6
) -> pd.DataFrame:
    """Every firm × day after ``today`` whose cut differs between two schedules (see module notes)."""
    t = today.strftime("%Y-%m-%d")

    def wide(s):
        s = s[s["slot"].astype(str) > t]
        return s[["enterprise_id", "slot", "level", "curtailment"]].astype(
            {"enterprise_id": str, "slot": str}
        )

    b, a = wide(before), wide(after)
    m = b.merge(a, on=["enterprise_id", "slot"], how="outer", suffixes=("_before", "_after"))
    m["curtailment_before"] = m["curtailment_before"].fillna(0.0)
    m["curtailment_after"] = m["curtailment_after"].fillna(0.0)
    m["level_before"] = m["level_before"].fillna("none")
    m["level_after"] = m["level_after"].fillna("none")
    changed = (m["curtailment_before"] - m["curtailment_after"]).abs() > tol
    names = pd.concat([before, after])[["enterprise_id", "name"]].astype(str).drop_duplicates("enterprise_id")
    out = m[changed].merge(names, on="enterprise_id", how="left")
    out = out.rename(columns={"curtailment_before": "before", "curtailment_after": "after"})
    return out[list(CHANGE_COLUMNS)].sort_values(["slot", "enterprise_id"]).reset_index(drop=True)


def replan(
    scenario: Scenario | str | Path,
    forecast: str | Path,
    today: str | pd.Timestamp,
    previous: str | Path | None = None,
) -> Replan:
    """Re-plan an episode for a new forecast (module notes).

    Parameters
    ----------
    scenario : Scenario or path
        An episode scenario.
    forecast : path
        The new forecast (netCDF/CSV, with its ``issue_time``).
    today : str or Timestamp
        YYYY-MM-DD: the day the new forecast arrives; it and the days before are fixed.
    previous : path, optional
        Folder of the plan in force (``schedule.csv``, ``summary.json``); default: plan the
        scenario as it stands.

    Returns
    -------
    Replan

    Raises
    ------
    InputError
        A list scenario, a bad date, a missing forecast or previous plan.
    """
    from planner.scenario.run import prepare, solve_prepared

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if scenario.mode != "episode":
        raise InputError.single(
            str(scenario.file), "replan needs an episode scenario (mode: episode)", column="mode"
        )
    try:
        day = pd.Timestamp(str(today)).normalize()
    except (ValueError, TypeError):
        raise InputError.single("--today", f"not a date: {today!r}; expected YYYY-MM-DD") from None
    fpath = Path(forecast)
    if not fpath.is_file():
        raise InputError.single(str(fpath), "forecast file not found", column="--forecast")
    schedule, summary, source, old_lines = previous_plan(scenario, previous)
    new = dataclasses.replace(scenario, forecast=fpath.resolve())
    alerts = merged_alerts(scenario, new, schedule, summary, day)
    prepared = prepare(new, alerts=alerts)
    inp = prepared.inputs
    slots = [str(s) for s in inp["slot"].values]
    fixed = [s for s in slots if pd.Timestamp(s) <= day]
    if fixed:
        idx = [slots.index(s) for s in fixed]
        executed = executed_shares(inp, schedule, old_lines, fixed, "curtailment", 0.0)
        _check_line_rows(inp, old_lines, source)
        floor = inp["floor"].values.copy()
        ceiling = inp["ceiling"].values.copy()
        inp = inp.copy()
        if "floor_reduction" in inp and "extra_reducible" in inp:
            # the offset stays exact: a fixed day removes floor_reduction + extra·(executed − rule floor)
            fr = inp["floor_reduction"].transpose("enterprise", "slot", "pollutant").values.copy()
            ex = inp["extra_reducible"].transpose("enterprise", "slot", "pollutant").values
            fr[:, idx, :] += ex[:, idx, :] * (executed - floor[:, idx])[:, :, None]
            inp["floor_reduction"] = (("enterprise", "slot", "pollutant"), fr)
        floor[:, idx] = executed
        ceiling[:, idx] = executed
        inp["floor"] = (("enterprise", "slot"), floor)
        inp["ceiling"] = (("enterprise", "slot"), ceiling)
        if "effect_share" in schedule and "effect_share" in inp:
            # each line its own credit (schedule_lines.csv): a firm's lines differ by their processes
            new_eff = executed_shares(inp, schedule, old_lines, fixed, "effect_share", 1.0)
            eff = inp["effect_share"].values.copy()
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(eff[:, idx] > 0, new_eff / eff[:, idx], 0.0)
            for name in ("reducible", "floor_reduction", "extra_reducible"):
                if name in inp:
                    v = inp[name].transpose("enterprise", "slot", "pollutant").values.copy()
                    v[:, idx, :] = v[:, idx, :] * ratio[:, :, None]
                    inp[name] = (("enterprise", "slot", "pollutant"), v)
            eff[:, idx] = new_eff
            inp["effect_share"] = (("enterprise", "slot"), eff)
        prepared.inputs = inp
    result = solve_prepared(prepared)
    levels_before = schedule.drop_duplicates("slot").set_index("slot")["level"].astype(str).to_dict()
    levels_after = dict(zip(slots, [str(v) for v in inp["level"].values], strict=True))
    changes = change_list(schedule, result.schedule, day)
    result.summary["replan"] = {
        "today": day.strftime("%Y-%m-%d"),
        "previous": source,
        "fixed_days": fixed,
        "firms_changed": int(changes["enterprise_id"].nunique()) if len(changes) else 0,
        "changes": len(changes),
    }
    return Replan(
        result,
        day,
        fixed,
        [s for s in slots if s not in fixed],
        levels_before,
        levels_after,
        changes,
        source,
    )
