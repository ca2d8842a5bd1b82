"""Episode timeline views: which firms (and lines) stop or cut on which days, per level.

- :func:`stop_timeline` — one row per enterprise (and line, when the schedule has lines) that is
  cut on some day; one column per day with the cut share, plus what the plan says about
  restarts; the Gantt chart of the app and the sheet 停限产时间表 of ``plan.xlsx`` are drawn from it.
- :func:`day_tonnes` — per day and pollutant the required and the achieved tonnes (t/d).
- :func:`gantt_frame` — the long form (one bar per firm × run of days at one state) for plotly.
- :func:`write_timeline_sheets` — the two sheets of the plan workbook (streamed; cells coloured
  by the day's level through conditional formats, so no cell-by-cell loop).

Built from ``schedule`` (``planner plan``'s schedule.csv) and ``summary`` only, so they work the
same on a plan read back from its files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner import POLLUTANTS

__all__ = [
    "CUT_TOL",
    "LEVEL_COLOURS",
    "day_tonnes",
    "gantt_frame",
    "stop_timeline",
    "write_timeline_sheets",
]

#: A share below this is no cut.
CUT_TOL = 1e-6
#: Fill colours of the alert levels (sheet cells, Gantt bars).
LEVEL_COLOURS = {"yellow": "#FFE066", "orange": "#FF9F43", "red": "#E74C3C", "none": "#DDDDDD"}


#: ``line_id`` values of a row that is a whole firm (schedule.csv: ``all``, or ``lines`` for a
#: firm whose lines are summed in the row), not one of its lines.
FIRM_ROWS = ("all", "lines")


def _keys(schedule: pd.DataFrame) -> list[str]:
    lines = "line_id" in schedule and (~schedule["line_id"].astype(str).isin(FIRM_ROWS)).any()
    return ["enterprise_id", "line_id"] if lines else ["enterprise_id"]


def stop_timeline(schedule: pd.DataFrame) -> pd.DataFrame:
    """Cut share per firm (× line) and day, for the firms cut on at least one day.

    Returns
    -------
    DataFrame
        Columns ``enterprise_id`` (, ``line_id``), ``name``, ``days_cut``, ``days_stopped``, one
        column per slot (share of normal output cut, 0 when none) and ``held_days`` (days a
        minimum down time kept a line stopped, when the schedule says).  Sorted by the number of
        days stopped, then cut.  ``attrs["levels"]`` maps each slot to its level.
    """
    keys = _keys(schedule)
    slots = list(dict.fromkeys(schedule["slot"].astype(str)))
    wide = schedule.pivot_table(index=keys, columns="slot", values="curtailment", aggfunc="first")
    wide = wide.reindex(columns=slots).fillna(0.0)
    x = wide.to_numpy(dtype=float)
    cut = x > CUT_TOL
    keep = cut.any(axis=1)
    names = schedule.drop_duplicates(keys).set_index(keys)["name"].astype(str)
    out = wide[keep].copy()
    out.insert(0, "name", names.reindex(out.index).to_numpy())
    out.insert(1, "days_cut", cut[keep].sum(axis=1))
    out.insert(2, "days_stopped", (x[keep] > 1 - CUT_TOL).sum(axis=1))
    if "held_min_down" in schedule:
        held = schedule.assign(h=schedule["held_min_down"].astype(str).str.lower().isin(["true", "1"]))
        out["held_days"] = held.groupby(keys)["h"].sum().reindex(out.index).fillna(0).astype(int).to_numpy()
    out = out.sort_values(["days_stopped", "days_cut"], ascending=False, kind="stable").reset_index()
    out.columns = [str(c) for c in out.columns]
    out.attrs["levels"] = schedule.drop_duplicates("slot").set_index("slot")["level"].astype(str).to_dict()
    return out


def day_tonnes(summary: dict) -> pd.DataFrame:
    """Per slot and pollutant: level, required (target), achieved and shortfall, t/d."""
    rows = []
    for s in summary.get("slots", []):
        for p in POLLUTANTS:
            rows.append(
                {
                    "slot": s["slot"],
                    "level": s["level"],
                    "pollutant": p,
                    "required": s["targets"][p],
                    "achieved": s["achieved"][p],
                    "shortfall": s["shortfall"][p],
                }
            )
    return pd.DataFrame(rows, columns=["slot", "level", "pollutant", "required", "achieved", "shortfall"])


def gantt_frame(schedule: pd.DataFrame, top: int | None = 60) -> pd.DataFrame:
    """Bars for a Gantt chart.

    One per firm (× line) and run of consecutive days in one state at one level.

    ``state`` is ``stop`` (cut 1) or ``cut``; ``level`` the alert level of the run;
    ``start``/``finish`` are dates (finish = the day after the last).  ``top`` keeps the firms
    with the most days stopped/cut (None: all).
    """
    tl = stop_timeline(schedule)
    if top is not None:
        tl = tl.head(top)
    keys = _keys(schedule)
    levels = tl.attrs["levels"]
    slots = [c for c in tl.columns if c in levels]
    x = tl[slots].to_numpy(dtype=float)
    state = np.where(x > 1 - CUT_TOL, 2, np.where(x > CUT_TOL, 1, 0))
    dates = pd.to_datetime(pd.Series(slots))
    lev = [levels[s] for s in slots]
    label = tl["name"].astype(str) + (" " + tl["line_id"].astype(str) if "line_id" in keys else "")
    bars = []
    for j in range(len(slots)):  # loop over days only; the firms are columns of arrays
        gap = j == 0 or (dates[j] - dates[j - 1]).days != 1 or lev[j] != lev[j - 1]
        new = (state[:, j] > 0) & (gap | (state[:, j] != state[:, max(j - 1, 0)]))
        idx = np.flatnonzero(new)
        if not len(idx):
            continue
        end = np.full(len(idx), j)
        for k in range(j + 1, len(slots)):
            same_day_run = (dates[k] - dates[k - 1]).days == 1 and lev[k] == lev[j]
            go = (state[idx, k] == state[idx, j]) & (end == k - 1) & same_day_run
            end = np.where(go, k, end)
        bars.append(
            pd.DataFrame(
                {
                    "enterprise_id": tl["enterprise_id"].to_numpy()[idx],
                    "label": label.to_numpy()[idx],
                    "state": np.where(state[idx, j] == 2, "stop", "cut"),
                    "share": x[idx, j],
                    "level": levels[slots[j]],
                    "start": dates[j],
                    "finish": dates.to_numpy()[end] + np.timedelta64(1, "D"),
                }
            )
        )
    cols = ["enterprise_id", "label", "state", "share", "level", "start", "finish"]
    return pd.concat(bars, ignore_index=True)[cols] if bars else pd.DataFrame(columns=cols)


def write_timeline_sheets(wb, schedule: pd.DataFrame, summary: dict, head_format) -> None:
    """Add 停限产时间表 and 逐日减排 sheets to a plan workbook (episode plans).

    停限产时间表: cut share per firm × day, coloured by level; 逐日减排: required vs achieved tonnes per day.
    """
    from planner.io.writing import SheetWriter
    from planner.policy.vocabulary import LEVEL_ZH, POLLUTANT_ZH

    tl = stop_timeline(schedule)
    levels = tl.attrs["levels"]
    slots = [c for c in tl.columns if c in levels]
    headers = {
        "enterprise_id": "企业编号",
        "line_id": "生产线",
        "name": "企业名称",
        "days_cut": "停限产天数",
        "days_stopped": "停产天数",
        "held_days": "最短停产期保持天数",
    }
    frame = tl.rename(columns={**headers, **{s: f"{s}\n{LEVEL_ZH.get(levels[s], levels[s])}" for s in slots}})
    ws = wb.add_worksheet("停限产时间表")
    w = SheetWriter(wb, ws)
    pct = w.format(num_format="0%", align="center")
    formats = [pct if c in slots else None for c in tl.columns]
    w.frame(frame, 0, formats=formats, header_format=w.format(**head_format))
    ws.set_column(0, 0, 12)
    ws.set_column(tl.columns.get_loc("name"), tl.columns.get_loc("name"), 28)
    ws.freeze_panes(1, tl.columns.get_loc("name") + 1)
    n = len(tl)
    if n:
        for s in slots:
            c = tl.columns.get_loc(s)
            colour = LEVEL_COLOURS.get(levels[s], LEVEL_COLOURS["none"])
            ws.conditional_format(
                1,
                c,
                n,
                c,
                {
                    "type": "cell",
                    "criteria": ">=",
                    "value": 1 - CUT_TOL,
                    "format": w.format(bg_color=colour, bold=True, num_format="0%", align="center"),
                },
            )
            ws.conditional_format(
                1,
                c,
                n,
                c,
                {
                    "type": "cell",
                    "criteria": ">",
                    "value": CUT_TOL,
                    "format": w.format(bg_color=colour, num_format="0%", align="center"),
                },
            )
    dt = day_tonnes(summary)
    dt["level"] = dt["level"].map(LEVEL_ZH).fillna(dt["level"])
    dt["pollutant"] = dt["pollutant"].map(POLLUTANT_ZH).fillna(dt["pollutant"])
    dt = dt.rename(
        columns={
            "slot": "日期",
            "level": "预警级别",
            "pollutant": "污染物",
            "required": "应减排量（吨/日）",
            "achieved": "实际减排量（吨/日）",
            "shortfall": "缺口（吨/日）",
        }
    )
    ws = wb.add_worksheet("逐日减排")
    w = SheetWriter(wb, ws)
    w.frame(
        dt,
        0,
        formats=[None, None, None] + [w.format(num_format="0.000")] * 3,
        header_format=w.format(**head_format),
    )
    ws.set_column(0, 2, 12)
    ws.set_column(3, 5, 18)
