"""Pure functions behind the app's pages: plain DataFrames and dicts in, plain DataFrames out.

Nothing here imports Streamlit or calls the solver, so every function is tested with pytest.
The app calls :mod:`planner.scenario.run` for results and these functions to shape them:

- the plan editor's grid (:func:`editor_frame`) and turning its edits into the scenario's
  per-enterprise overrides (:func:`overrides_from_edits`);
- "what changed" between two solves (:func:`what_changed`, :func:`summary_delta`);
- one enterprise's obligations per level (:func:`obligations`);
- targets versus achieved (:func:`targets_frame`), losses and savings (:func:`loss_metrics`);
- the map's points and county labels (:func:`map_frame`, :func:`county_labels`);
- a cache key from a scenario's content (:func:`scenario_key`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner import ALERT_LEVELS, POLLUTANTS
from planner.reports.views import finite_or_none

#: Columns of the editor grid that the user may change (the rest are read-only).
EDITABLE: tuple[str, ...] = ("grade", "lock", "exempt", "ceiling")
#: One grade up, for "what would an upgrade change" (冲A、增B、消C).
UPGRADE: dict[str, str] = {"D": "C", "C": "B", "B-": "B", "B": "A", "non_leading": "leading", "ungraded": "B"}


def missing(v) -> bool:
    """None, NaN, NaT or pandas' NA."""
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- cache key
def _jsonable(obj):
    if is_dataclass(obj):
        return {
            f.name: _jsonable(getattr(obj, f.name)) for f in fields(obj) if f.name not in ("raw", "chain")
        }
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    return obj


def _file_stamp(path) -> list:
    if path is None:
        return []
    p = Path(path)
    if p.is_file():
        st = p.stat()
        return [str(p), st.st_size, st.st_mtime_ns]
    if p.is_dir():
        return [[str(q), q.stat().st_size, q.stat().st_mtime_ns] for q in sorted(p.rglob("*")) if q.is_file()]
    return [str(p)]


def scenario_key(scenario) -> str:
    """A digest of everything a solve depends on: the scenario's fields and its files' stamps.

    Two scenarios with the same content (same overrides, same shares, same unchanged files) get
    the same key, so the app's cache reuses results across reruns, pages and sessions.
    """
    doc = _jsonable(scenario)
    doc["_files"] = [
        _file_stamp(getattr(scenario, a, None)) for a in ("inventory", "city", "forecast", "measures")
    ] + [_file_stamp((getattr(scenario, "air_quality", None) or {}).get("source_receptor"))]
    raw = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


# --------------------------------------------------------------------------- shares
def share_overrides(
    values: dict[str, dict[str, float]], defaults: dict[str, dict[str, float]], tol: float = 1e-9
) -> dict[str, dict[str, float]]:
    """Keep only the shares that differ from the defaults, in the scenario's ``shares`` form.

    Parameters
    ----------
    values, defaults : dict
        ``{level: {pollutant: share}}``.
    """
    out: dict[str, dict[str, float]] = {}
    for lv, per in values.items():
        for p, v in per.items():
            d = (defaults.get(lv) or {}).get(p)
            if d is None or abs(float(v) - float(d)) > tol:
                out.setdefault(lv, {})[p] = float(v)
    return out


def expand_shares(shares: dict | None) -> dict[str, dict[str, float]]:
    """A scenario's ``shares`` (a level may give one share for all pollutants) as ``{level: {pollutant: share}}``."""
    out: dict[str, dict[str, float]] = {}
    for lv, v in (shares or {}).items():
        per = v if isinstance(v, dict) else {p: v for p in POLLUTANTS}
        out[str(lv)] = {str(p): float(x) for p, x in per.items()}
    return out


def effective_shares(
    defaults: dict[str, dict[str, float]], shares: dict | None
) -> dict[str, dict[str, float]]:
    """The full share table a scenario plans with: the policy defaults with its overrides on top."""
    out = {lv: dict(per) for lv, per in defaults.items()}
    for lv, per in expand_shares(shares).items():
        out.setdefault(lv, {}).update(per)
    return out


def merge_share_edits(shares: dict | None, edits: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """A scenario's share overrides with the session's what-if edits on top (the ``shares`` to plan with)."""
    merged = expand_shares(shares)
    for lv, per in edits.items():
        merged.setdefault(lv, {}).update({p: float(v) for p, v in per.items()})
    return merged


# --------------------------------------------------------------------------- editor
def cut_by_level(schedule: pd.DataFrame) -> pd.DataFrame:
    """Curtailment per enterprise (rows) and level (columns ``cut_yellow`` …), the max over slots."""
    if schedule is None or schedule.empty:
        return pd.DataFrame()
    wide = schedule.pivot_table(index="enterprise_id", columns="level", values="curtailment", aggfunc="max")
    wide = wide.reindex(columns=[lv for lv in ALERT_LEVELS if lv in wide.columns])
    wide.columns = [f"cut_{c}" for c in wide.columns]
    return wide


def editor_frame(
    table: pd.DataFrame,
    overrides: dict[str, dict],
    schedule: pd.DataFrame | None = None,
    county=None,
    industry=None,
    grade=None,
) -> pd.DataFrame:
    """The plan editor's grid: one row per enterprise, filtered, with editable override columns.

    Parameters
    ----------
    table : DataFrame
        Inventory table (index enterprise id) as the last solve used it (grade overrides applied).
    overrides : dict
        The scenario's per-enterprise overrides in force.
    schedule : DataFrame, optional
        Last solve's schedule, for the read-only ``cut_<level>`` columns.
    county, industry, grade : list of str, optional
        Filters (empty or None = all).

    Returns
    -------
    DataFrame
        Index ``enterprise_id``; columns ``name, county, industry, control_type, emissions`` (t/d,
        sum of the four pollutants), ``cut_<level>`` (share), then ``grade, lock, exempt, ceiling``.
    """
    df = pd.DataFrame(index=table.index.astype(str))
    df.index.name = "enterprise_id"
    for c in ("name", "county", "industry", "control_type"):
        df[c] = table[c].astype(str).to_numpy() if c in table else ""
    df["emissions"] = table[[p for p in POLLUTANTS if p in table]].sum(axis=1).to_numpy(dtype=float)
    if schedule is not None and not schedule.empty:
        cuts = cut_by_level(schedule)
        cuts.index = cuts.index.astype(str)
        df = df.join(cuts)
    df["grade"] = table["grade"].astype(str).to_numpy()
    ov = overrides or {}
    df["lock"] = [_lock_value((ov.get(e) or {}).get("lock")) for e in df.index]
    df["exempt"] = [bool((ov.get(e) or {}).get("exempt", False)) for e in df.index]
    df["ceiling"] = [finite_or_none((ov.get(e) or {}).get("ceiling")) for e in df.index]
    df["lock"] = df["lock"].astype(float)
    df["ceiling"] = df["ceiling"].astype(float)
    mask = np.ones(len(df), dtype=bool)
    for col, sel in (("county", county), ("industry", industry), ("grade", grade)):
        if sel:
            mask &= df[col].isin([str(s) for s in sel]).to_numpy()
    return df[mask]


def _lock_value(lock) -> float:
    """A lock shown in the grid: one share; a per-level lock shows its highest level's value."""
    if isinstance(lock, dict):
        vals = [float(v) for v in lock.values() if not missing(v)]
        return max(vals) if vals else math.nan
    return math.nan if missing(lock) else float(lock)


def overrides_from_edits(
    before: pd.DataFrame, after: pd.DataFrame, overrides: dict[str, dict], inventory_grades: pd.Series | dict
) -> dict[str, dict]:
    """Apply the grid's edits to the scenario's overrides.

    Compares the grid as shown (``before``) with the grid as returned by ``st.data_editor``
    (``after``) on the :data:`EDITABLE` columns, row by enterprise id.  An edit back to the
    inventory's own grade removes the grade override; a blank lock or ceiling and an unticked
    exempt remove theirs; an enterprise left with no override is dropped.

    Parameters
    ----------
    before, after : DataFrame
        Indexed by enterprise id (``after`` may be a row subset or reordered).
    overrides : dict
        Overrides in force; not modified.
    inventory_grades : Series or dict
        Enterprise id → grade in the inventory file (before any override).

    Returns
    -------
    dict
        New overrides ``{enterprise_id: {grade?, lock?, exempt?, ceiling?, ...}}``.
    """
    out = copy.deepcopy(overrides or {})
    grades = dict(inventory_grades)
    common = after.index.intersection(before.index)
    cols = [c for c in EDITABLE if c in after.columns and c in before.columns]
    if common.empty or not cols:
        return out
    b_all, a_all = before.loc[common, cols], after.loc[common, cols]
    diff = pd.DataFrame(False, index=common, columns=cols)
    for c in cols:  # vectorised first pass: only rows with a difference are looked at one by one
        bc, ac = b_all[c], a_all[c]
        if c in ("lock", "ceiling"):
            bn, an = pd.to_numeric(bc, errors="coerce"), pd.to_numeric(ac, errors="coerce")
            both_nan = bn.isna() & an.isna()
            diff[c] = ~both_nan & ((bn - an).abs().fillna(np.inf) > 1e-9)
        elif c == "exempt":
            diff[c] = bc.fillna(False).astype(bool) != ac.fillna(False).astype(bool)
        else:
            diff[c] = bc.astype(str).fillna("") != ac.astype(str).fillna("")
    for eid in common[diff.any(axis=1).to_numpy()]:
        b, a = b_all.loc[eid], a_all.loc[eid]
        changed = [c for c in cols if not _same(b.get(c), a.get(c))]
        if not changed:
            continue
        ov = dict(out.get(eid) or {})
        for c in changed:
            v = a.get(c)
            if c == "grade":
                if missing(v) or str(v) == str(grades.get(eid, "")):
                    ov.pop("grade", None)
                else:
                    ov["grade"] = str(v)
            elif c == "exempt":
                if bool(v) and not missing(v):
                    ov["exempt"] = True
                else:
                    ov.pop("exempt", None)
            else:  # lock, ceiling: shares in [0, 1]
                if missing(v):
                    ov.pop(c, None)
                else:
                    ov[c] = float(min(1.0, max(0.0, float(v))))
        if ov:
            out[eid] = ov
        else:
            out.pop(eid, None)
    return out


def apply_edit_state(shown: pd.DataFrame, state: dict | None) -> pd.DataFrame:
    """The grid after ``st.data_editor``'s edit state is applied to the grid as shown.

    The edit state is ``{"edited_rows": {row position: {column: value}}}``; rows are positions in ``shown``.

    This lets a button callback apply the edits before the script reruns (one run instead of two).
    Unknown columns and out-of-range rows are ignored; added and deleted rows are not supported
    by the editor (``num_rows="fixed"``).
    """
    out = shown.copy()
    for pos, changes in ((state or {}).get("edited_rows") or {}).items():
        i = int(pos)
        if not 0 <= i < len(out):
            continue
        for col, value in (changes or {}).items():
            if col in out.columns:
                if col in ("lock", "ceiling"):
                    value = math.nan if value is None else float(value)
                elif col == "exempt":
                    value = bool(value) if value is not None else False
                out.iloc[i, out.columns.get_loc(col)] = value
    return out


def _same(x, y, tol: float = 1e-9) -> bool:
    if missing(x) and missing(y):
        return True
    if missing(x) or missing(y):
        return False
    if isinstance(x, (bool, np.bool_)) or isinstance(y, (bool, np.bool_)):
        return bool(x) == bool(y)
    try:
        return abs(float(x) - float(y)) <= tol
    except (TypeError, ValueError):
        return str(x) == str(y)


def overrides_diff(before: dict[str, dict], after: dict[str, dict]) -> pd.DataFrame:
    """Per enterprise and key, the override before and after (only what differs)."""
    rows = []
    for eid in sorted(set(before or {}) | set(after or {})):
        b, a = (before or {}).get(eid) or {}, (after or {}).get(eid) or {}
        for k in sorted(set(b) | set(a)):
            if b.get(k) != a.get(k):
                rows.append({"enterprise_id": eid, "key": k, "before": b.get(k), "after": a.get(k)})
    return pd.DataFrame(rows, columns=["enterprise_id", "key", "before", "after"], dtype=object)


# --------------------------------------------------------------------------- what changed
def what_changed(before: pd.DataFrame, after: pd.DataFrame, tol: float = 1e-6) -> pd.DataFrame:
    """Enterprise × slot rows whose curtailment changed between two schedules.

    Returns
    -------
    DataFrame
        ``enterprise_id, name, slot, level, cut_before, cut_after, loss_before, loss_after,
        loss_change, measure_before, measure_after``, largest absolute loss change first.
    """
    cols = [
        "enterprise_id",
        "name",
        "slot",
        "level",
        "cut_before",
        "cut_after",
        "loss_before",
        "loss_after",
        "loss_change",
        "measure_before",
        "measure_after",
    ]
    if before is None or after is None or before.empty or after.empty:
        return pd.DataFrame(columns=cols)
    keep = ["enterprise_id", "name", "slot", "level", "curtailment", "output_loss"]
    if "measure_text_zh" in before.columns:
        keep.append("measure_text_zh")
    b = before[[c for c in keep if c in before.columns]]
    a = after[[c for c in keep if c in after.columns]]
    m = b.merge(a, on=["enterprise_id", "slot"], how="outer", suffixes=("_before", "_after"))
    for c in ("curtailment_before", "curtailment_after", "output_loss_before", "output_loss_after"):
        m[c] = m[c].astype(float).fillna(0.0)
    changed = (m["curtailment_before"] - m["curtailment_after"]).abs() > tol
    m = m[changed].copy()
    out = pd.DataFrame(
        {
            "enterprise_id": m["enterprise_id"].astype(str),
            "name": m["name_after"].fillna(m["name_before"]),
            "slot": m["slot"].astype(str),
            "level": m["level_after"].fillna(m["level_before"]),
            "cut_before": m["curtailment_before"],
            "cut_after": m["curtailment_after"],
            "loss_before": m["output_loss_before"],
            "loss_after": m["output_loss_after"],
            "loss_change": m["output_loss_after"] - m["output_loss_before"],
            "measure_before": m.get("measure_text_zh_before", pd.Series("", index=m.index)),
            "measure_after": m.get("measure_text_zh_after", pd.Series("", index=m.index)),
        }
    )
    return out.reindex(out["loss_change"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def summary_delta(before: dict, after: dict) -> dict:
    """Status, total loss and curtailed-firm counts before and after, with the change."""

    def _g(s, k):
        return None if s is None else s.get(k)

    ob, oa = _g(before, "objective"), _g(after, "objective")
    cb, ca = _g(before, "curtailed_enterprises"), _g(after, "curtailed_enterprises")
    return {
        "status_before": _g(before, "status"),
        "status_after": _g(after, "status"),
        "loss_before": ob,
        "loss_after": oa,
        "loss_change": None if ob is None or oa is None else oa - ob,
        "curtailed_before": cb,
        "curtailed_after": ca,
    }


# --------------------------------------------------------------------------- summary views
def targets_frame(summary: dict) -> pd.DataFrame:
    """Long table of each slot × pollutant: target, credited, achieved, shortfall, dual, met.

    ``achieved`` is the plan's total reduction including credited non-industrial measures as the
    model reports it; ``ratio`` = achieved / target.
    """
    rows = []
    for s in summary.get("slots", []):
        for p in POLLUTANTS:
            tgt = float((s.get("targets") or {}).get(p, 0.0))
            ach = float((s.get("achieved") or {}).get(p, 0.0))
            short = float((s.get("shortfall") or {}).get(p, 0.0))
            dual = (s.get("duals") or {}).get(p) if s.get("duals") else None
            rows.append(
                {
                    "slot": s["slot"],
                    "level": s["level"],
                    "pollutant": p,
                    "target": tgt,
                    "credited": float((s.get("credited") or {}).get(p, 0.0)),
                    "achieved": ach,
                    "shortfall": short,
                    "dual": None if dual is None else float(dual),
                    "ratio": ach / tgt if tgt > 0 else math.nan,
                    "met": short <= 1e-6,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "slot",
            "level",
            "pollutant",
            "target",
            "credited",
            "achieved",
            "shortfall",
            "dual",
            "ratio",
            "met",
        ],
    )


def shortfalls(summary: dict, tol: float = 1e-6) -> pd.DataFrame:
    """Only the slot × pollutant rows whose target is not met (the infeasibility diagnosis)."""
    df = targets_frame(summary)
    return df[df["shortfall"] > tol].reset_index(drop=True)


def loss_metrics(summary: dict) -> dict:
    """Total loss of the plan and its saving versus the uniform and greedy baselines (万元)."""
    obj = summary.get("objective")
    base = summary.get("baselines") or {}
    out = {"objective": obj}
    for k in ("uniform", "same_share", "equal_tonnes", "greedy", "rules_only"):
        v = base.get(k)
        out[k] = v
        out[f"saving_vs_{k}"] = None if v is None or obj is None else v - obj
        out[f"saving_pct_vs_{k}"] = None if not v or obj is None else (v - obj) / v
    return out


def split_frame(summary: dict) -> pd.DataFrame:
    """Per slot: the loss, split into what the rule floors fix and what the optimiser chose.

    The loss, what the rule floors fix, what the optimiser chose, and the cells it moved above their floor (empty without a split in the summary).
    """
    if not summary.get("loss_split"):
        return pd.DataFrame(
            columns=["slot", "level", "loss", "loss_floor", "loss_optimizer", "cells_above_floor"]
        )
    rows = [
        {k: s.get(k) for k in ("slot", "level", "loss", "loss_floor", "loss_optimizer", "cells_above_floor")}
        for s in summary["slots"]
    ]
    return pd.DataFrame(rows)


def savings_frame(summary: dict) -> pd.DataFrame:
    """Every baseline's loss for the same targets and the plan's saving against it (万元, share).

    With restart costs (an episode) a ``restart_cost`` column follows ``loss``: the saving counts
    each schedule's own restarts (:func:`planner.optimize.attribution.loss_attribution`).
    """
    savings = summary.get("savings") or {}
    restarts = any((v.get("restart_cost") or 0.0) > 0 for v in savings.values())
    columns = ["baseline", "loss", *(["restart_cost"] if restarts else []), "saving", "saving_share"]
    rows = [{"baseline": k, **{c: v.get(c) for c in columns[1:]}} for k, v in savings.items()]
    return pd.DataFrame(rows, columns=columns)


def loss_by(schedule: pd.DataFrame, table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Output loss per level and per value of an inventory column (county, industry, grade)."""
    if schedule is None or schedule.empty:
        return pd.DataFrame(columns=[by, "level", "output_loss"])
    g = table[by].astype(str)
    g.index = g.index.astype(str)
    df = schedule[["enterprise_id", "level", "output_loss"]].copy()
    df[by] = df["enterprise_id"].astype(str).map(g)
    return df.groupby([by, "level"], as_index=False)["output_loss"].sum()


# --------------------------------------------------------------------------- one enterprise
def obligations(schedule: pd.DataFrame, table: pd.DataFrame, enterprise_id: str) -> pd.DataFrame:
    """One enterprise's obligations per slot: measure, cut, lines affected, expected loss.

    Only rows of ``enterprise_id`` are read, so nothing about any other firm can leak.

    Returns
    -------
    DataFrame
        ``slot, level, measure, floor, cut, extra, menu_option, lines_affected, line_count,
        output_loss, reduction_<P>`` — ``cut`` and ``floor`` are shares of normal output; ``extra`` is what the
        plan asks beyond the rule's floor; ``lines_affected`` = cut × line count.
    """
    eid = str(enterprise_id)
    rows = schedule[schedule["enterprise_id"].astype(str) == eid]
    lines = 1
    if eid in table.index.astype(str):
        tab = table.copy()
        tab.index = tab.index.astype(str)
        lines = int(tab.at[eid, "line_count"]) if "line_count" in tab else 1
    out = pd.DataFrame(
        {
            "slot": rows["slot"].astype(str).to_numpy(),
            "level": rows["level"].astype(str).to_numpy(),
            "measure": rows["measure_text_zh"].astype(str).to_numpy() if "measure_text_zh" in rows else "",
            "floor": rows["floor"].to_numpy(dtype=float),
            "cut": rows["curtailment"].to_numpy(dtype=float),
        }
    )
    if "measure_text_en" in rows:
        out["measure_en"] = rows["measure_text_en"].fillna("").astype(str).to_numpy()
    out["extra"] = (out["cut"] - out["floor"]).clip(lower=0.0)
    # a menu firm: the option the optimizer chose from the bureau's menu ('' otherwise)
    out["menu_option"] = (
        rows["menu_option"].fillna("").astype(str).to_numpy() if "menu_option" in rows else ""
    )
    out["lines_affected"] = out["cut"] * lines
    out["line_count"] = lines
    out["output_loss"] = rows["output_loss"].to_numpy(dtype=float)
    for p in POLLUTANTS:
        c = f"reduction_{p}"
        out[c] = rows[c].to_numpy(dtype=float) if c in rows else 0.0
    return out


def upgrade_effect(current: pd.DataFrame, upgraded: pd.DataFrame) -> pd.DataFrame:
    """Per slot, an enterprise's cut and loss now and after a one-grade upgrade.

    Built from two :func:`obligations` tables.
    """
    a = current[["slot", "level", "cut", "output_loss"]]
    b = upgraded[["slot", "cut", "output_loss"]].rename(
        columns={"cut": "cut_upgraded", "output_loss": "loss_upgraded"}
    )
    m = a.merge(b, on="slot", how="left")
    m["loss_avoided"] = m["output_loss"] - m["loss_upgraded"]
    return m


# --------------------------------------------------------------------------- map
def map_frame(
    table: pd.DataFrame, schedule: pd.DataFrame | None, level: str, pollutant: str | None = None
) -> pd.DataFrame:
    """Points for the map: enterprises with coordinates, their cut at ``level`` and emissions.

    Returns
    -------
    DataFrame
        ``enterprise_id, name, county, industry, grade, lon, lat, cut, emissions``; ``emissions``
        is the chosen pollutant (t/d) or the sum of the four; rows without lon/lat are left out.
    """
    if "lon" not in table or "lat" not in table:
        return pd.DataFrame(
            columns=["enterprise_id", "name", "county", "industry", "grade", "lon", "lat", "cut", "emissions"]
        )
    df = pd.DataFrame(
        {
            "enterprise_id": table.index.astype(str),
            "name": table["name"].astype(str).to_numpy(),
            "county": table["county"].astype(str).to_numpy(),
            "industry": table["industry"].astype(str).to_numpy() if "industry" in table else "",
            "grade": table["grade"].astype(str).to_numpy() if "grade" in table else "",
            "lon": pd.to_numeric(table["lon"], errors="coerce").to_numpy(),
            "lat": pd.to_numeric(table["lat"], errors="coerce").to_numpy(),
        }
    )
    if pollutant in POLLUTANTS:
        df["emissions"] = table[pollutant].to_numpy(dtype=float)
    else:
        df["emissions"] = table[[p for p in POLLUTANTS if p in table]].sum(axis=1).to_numpy(dtype=float)
    cut = pd.Series(0.0, index=df["enterprise_id"])
    if schedule is not None and not schedule.empty:
        s = schedule[schedule["level"] == level]
        if not s.empty:
            cut = s.groupby(s["enterprise_id"].astype(str))["curtailment"].max()
    df["cut"] = df["enterprise_id"].map(cut).fillna(0.0).to_numpy()
    return df.dropna(subset=["lon", "lat"]).reset_index(drop=True)


def county_labels(points: pd.DataFrame) -> pd.DataFrame:
    """One label per county at the mean position of its enterprises."""
    if points.empty:
        return pd.DataFrame(columns=["county", "lon", "lat", "n"])
    g = points.groupby("county")
    return pd.DataFrame({"lon": g["lon"].mean(), "lat": g["lat"].mean(), "n": g.size()}).reset_index()


# --------------------------------------------------------------------------- forecast
def forecast_frame(daily: pd.DataFrame, alerts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Daily AQI joined with the alert level of each day (``none`` when no alert).

    With ``aqi_p50``/``aqi_p90`` ensemble columns when present.
    """
    df = daily.copy()
    if "date" not in df.columns:
        df = df.reset_index()
        if "date" not in df.columns:
            df = df.rename(columns={df.columns[0]: "date"})
    df["date"] = pd.to_datetime(df["date"])
    if alerts is not None and not alerts.empty and "level" in alerts:
        a = alerts[["date", "level"]].copy()
        a["date"] = pd.to_datetime(a["date"])
        df = df.drop(columns=[c for c in ("level",) if c in df.columns]).merge(a, on="date", how="left")
    if "level" not in df:
        df["level"] = "none"
    df["level"] = df["level"].fillna("none").astype(str)
    return df


def problems_frame(problems) -> pd.DataFrame:
    """A problem list (``planner.problems.Problems`` or iterable of Problem) as a table."""
    rows = [
        {
            "severity": p.severity,
            "file": Path(str(p.file)).name,
            "row": p.row,
            "column": p.column,
            "message": p.message,
        }
        for p in problems
    ]
    df = pd.DataFrame(rows, columns=["severity", "file", "row", "column", "message"])
    df["row"] = df["row"].astype("Int64")
    return df


def scenario_as_dict(scenario) -> dict:
    """The scenario's editable content (for display and for revision diffs)."""
    d = asdict(scenario)
    for k in ("raw", "chain"):
        d.pop(k, None)
    return _jsonable(d)


def ensemble_frame(summary: dict) -> pd.DataFrame:
    """One row per forecast day of ``summary["ensemble"]``.

    The plan's level, how many members put the day at each level, how many members the plan meets and the
    share, and what share the bounds could reach (empty without an ensemble).

    Columns ``date, level, member_levels`` (``"none/yellow/orange/red"`` counts), ``members_met``,
    ``members_total``, ``members_met_share``, ``reachable_share`` and ``chance_met`` (None
    without a chance constraint).
    """
    ens = summary.get("ensemble") or {}
    cols = [
        "date",
        "level",
        "member_levels",
        "members_met",
        "members_total",
        "members_met_share",
        "reachable_share",
        "chance_met",
    ]
    rows = [
        {
            "date": d["date"],
            "level": d["level"],
            "member_levels": "/".join(
                str(d["member_levels"][lv]) for lv in ("none", "yellow", "orange", "red")
            ),
            "members_met": d["members_met"],
            "members_total": d["members_total"],
            "members_met_share": d["members_met_share"],
            "reachable_share": d["reachable_share"],
            "chance_met": d.get("chance_met"),
        }
        for d in ens.get("days", [])
    ]
    return pd.DataFrame(rows, columns=cols)
