"""Episode timing of measures: response delays, restart limits and day numbers of the slots.

The measure types (``data/policy/measure_types.yaml``) say how long a measure takes to be in
force after it is ordered (``response_hours``), how long a line it stops stays stopped
(``min_down_days``) and what a restart costs (``restart_cost_wan``, per line).  Measures that are
not registry types (plant-by-plant cuts, the optimiser's own cuts of ungraded firms, exempt
firms) take the file's ``timing_defaults``.  Each firm × slot takes the values of its binding
measure at the slot's level (``measure_type`` of the evaluated measures).

Response delay (documented choice)
----------------------------------
Firms are told when the alert is issued (the forecast's issue time; assumed when the forecast
does not give one, see :func:`planner.policy.alerts.alert_timeline`).  A measure with response
time *r* is in force from ``issue + r``; on a covered day it is credited with the share of the
day during which it is in force::

    effect_share = clip((day_end − max(day_start, issue + r)) / 24 h, 0, 1)

so a sinter line (12 h) ordered 6 h before its first day delivers half of that day's tonnes,
and a day that ends before the measure can be in force gets nothing from it.  The firm's output
loss is counted in full (it starts ramping down when ordered).  With the default lead of 24 h and
no response time above 24 h every covered day is credited in full.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from planner.policy.registry import TIMING_KEYS, measure_types, timing_defaults

__all__ = ["add_restart_inputs", "effect_shares", "line_timing", "measure_timing", "slot_day_numbers"]


def measure_timing(bounds: xr.Dataset, levels: np.ndarray) -> dict[str, np.ndarray]:
    """``response_hours``, ``min_down_days``, ``restart_cost`` (万元 per line) per (enterprise, slot).

    Parameters
    ----------
    bounds : xarray.Dataset
        Evaluated measures (``measure_type`` per enterprise × level).
    levels : array of str
        The level of each slot.
    """
    idx = bounds.get_index("level").get_indexer(np.asarray(levels).astype(str))
    mtype = np.asarray(bounds["measure_type"].values).astype(str)[:, idx]
    types = measure_types()
    defaults = timing_defaults()
    codes, inv = np.unique(mtype, return_inverse=True)
    inv = inv.reshape(mtype.shape)
    out = {}
    for key, name in (
        ("response_hours", "response_hours"),
        ("min_down_days", "min_down_days"),
        ("restart_cost_wan", "restart_cost"),
    ):
        table = np.array(
            [getattr(types[c], key) if c in types else defaults.get(key, TIMING_KEYS[key]) for c in codes],
            dtype=float,
        )
        out[name] = table[inv] if len(codes) else np.zeros(mtype.shape)
    return out


def line_timing(
    timing: dict[str, np.ndarray], process: np.ndarray, is_line: np.ndarray
) -> dict[str, np.ndarray]:
    """The timing of each row with the limits of its line's process (``data/policy/processes.csv``).

    A line is a physical unit: its measure takes effect no sooner than the process can respond
    (``response_hours``: the larger of the measure type's and the process's), it stays down at
    least as long as the process needs (``min_down_days``: the larger, the process's
    ``min_down_hours`` in whole days) and a restart costs what restarting that process costs
    (``restart_cost``: the process's ``restart_cost_wan`` per line).  Rows that are whole firms keep
    their measure type's timing.

    Parameters
    ----------
    timing : dict
        :func:`measure_timing` per row (E, S).
    process : array of str (E,)
        Process code of each row ('' or ``general`` for a whole firm).
    is_line : array of bool (E,)
        Rows that are lines.
    """
    from planner.policy.registry import processes

    table = processes()
    codes = pd.Index(np.asarray(process).astype(str))
    known = codes.isin(table.index) & np.asarray(is_line, bool) & (codes != "general")
    if not known.any():
        return timing
    rows = table.reindex(codes)
    hours = rows["response_hours"].to_numpy(dtype=float)
    down = np.ceil(rows["min_down_hours"].to_numpy(dtype=float) / 24.0 - 1e-9)
    cost = rows["restart_cost_wan"].to_numpy(dtype=float)
    k = known[:, None]
    return {
        "response_hours": np.where(
            k, np.maximum(timing["response_hours"], hours[:, None]), timing["response_hours"]
        ),
        "min_down_days": np.where(
            k, np.maximum(timing["min_down_days"], down[:, None]), timing["min_down_days"]
        ),
        "restart_cost": np.where(k, np.broadcast_to(cost[:, None], k.shape), timing["restart_cost"]),
    }


def slot_day_numbers(slots: pd.DataFrame) -> np.ndarray:
    """Calendar day number of each slot (days since 1970-01-01; the slot order when not dates)."""
    try:
        d = pd.to_datetime(slots["slot"].astype(str), format="%Y-%m-%d")
    except (ValueError, TypeError):
        return np.asarray(slots["order"], dtype=int)
    return ((d - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)).to_numpy(dtype=int)


def effect_shares(slots: pd.DataFrame, response_hours: np.ndarray, issue_time) -> np.ndarray:
    """Share of each covered day during which each firm's measure is in force (module notes).

    Parameters
    ----------
    slots : DataFrame
        Episode slots (``slot`` = YYYY-MM-DD).
    response_hours : numpy.ndarray (E, S)
    issue_time : Timestamp, str, None or sequence of them (one per slot)
        When the alert was ordered; None: every day counts in full.
    """
    E, S = response_hours.shape
    if np.ndim(issue_time) == 0:
        if issue_time is None or pd.isna(pd.Timestamp(issue_time)):
            return np.ones((E, S))
        issue = pd.Series([pd.Timestamp(issue_time)] * S)
    else:  # one issue time per slot (a re-plan); a missing one counts the day in full
        issue = pd.Series(pd.to_datetime(pd.Series(issue_time), errors="coerce").to_numpy())
    start = pd.Series(pd.to_datetime(slots["slot"].astype(str)).to_numpy())
    hours = ((start - issue) / pd.Timedelta(hours=1)).to_numpy(dtype=float)  # (S,)
    hours = np.where(np.isnan(hours), 1e6, hours)
    in_force_from = np.maximum(hours[None, :], response_hours)  # hours after issue
    return np.clip((hours[None, :] + 24.0 - in_force_from) / 24.0, 0.0, 1.0)


def add_restart_inputs(
    inputs: xr.Dataset, bounds: xr.Dataset, slots: pd.DataFrame, timing: dict | None = None
) -> xr.Dataset:
    """Add ``min_down_days``, ``restart_cost`` (E, S) and ``day`` (S) to episode PlanInputs.

    Also let every firm's cut fall with the level (``toggle_allowed`` True: no chain).
    """
    timing = timing or measure_timing(bounds, inputs["level"].values)
    out = inputs.copy()
    out["min_down_days"] = (("enterprise", "slot"), timing["min_down_days"])
    out["restart_cost"] = (("enterprise", "slot"), timing["restart_cost"])
    out["day"] = (("slot",), slot_day_numbers(slots))
    out["toggle_allowed"] = (("enterprise",), np.ones(inputs.sizes["enterprise"], dtype=bool))
    return out


def day_details(inputs: xr.Dataset, x: np.ndarray) -> dict[str, dict]:
    """Per slot (date): how the plan's measures stand that day, for ``summary.json``'s timeline.

    Keys: ``firms_cut`` (firms with a cut), ``firms_stopped`` (cut 1: every line of the firm
    stopped), ``firms_delayed`` (a cut credited for less than the whole day: response delay),
    ``delay_tonnes`` (t/d per pollutant the cuts of partly credited cells would remove in a whole
    day but do not, by the delay), ``firms_held_min_down`` (a line kept stopped by its minimum
    down time), ``firms_restarting`` (lines restarting after the day).  The rows of ``inputs`` are
    decision units (a firm's lines, each with its own ``effect_share``): the ``firms_*`` keys count
    firms (``owner``), a firm once when any of its lines is cut, delayed, held or restarting.
    """
    from planner import POLLUTANTS
    from planner.optimize.inputs import owner_codes, removed_tonnes, unit_weights
    from planner.optimize.restarts import stop_runs

    x = np.nan_to_num(np.asarray(x, dtype=float))
    eff = (
        np.asarray(inputs["effect_share"].transpose("enterprise", "slot").values, float)
        if "effect_share" in inputs
        else np.ones(x.shape)
    )
    # tonnes the day gives (the tonnes the model counts, already scaled by the effect share)
    removed = removed_tonnes(inputs, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        full = np.where(eff[:, :, None] > 0, removed / eff[:, :, None], 0.0)
    # tonnes a whole day would give minus what the day gives (partly credited cells; a cell with
    # effect 0 carries no tonnes to scale back and is counted in firms_delayed only)
    lost = np.where((x > 1e-9)[:, :, None], full - removed, 0.0).sum(axis=0)
    runs = stop_runs(inputs, x)
    codes, owners = owner_codes(inputs)

    def per_firm(v):  # (E, S) unit values summed to the firms (F, S)
        out = np.zeros((len(owners), x.shape[1]))
        np.add.at(out, codes, np.asarray(v, dtype=float))
        return out

    cut = x > 1e-9
    firms = {
        "firms_cut": per_firm(cut) > 0,
        "firms_stopped": per_firm(x * unit_weights(inputs)[:, None]) > 1 - 1e-9,
        "firms_delayed": per_firm(cut & (eff < 1 - 1e-9)) > 0,
        "firms_held_min_down": per_firm(runs["held"]) > 0,
        "firms_restarting": per_firm(runs["restarted"] > 0) > 0,
    }
    counts = {k: v.sum(axis=0) for k, v in firms.items()}
    out = {}
    for s, slot in enumerate(np.asarray(inputs["slot"].values).astype(str)):
        out[slot] = {
            "firms_cut": int(counts["firms_cut"][s]),
            "firms_stopped": int(counts["firms_stopped"][s]),
            "firms_delayed": int(counts["firms_delayed"][s]),
            "delay_tonnes": {p: float(lost[s, j]) for j, p in enumerate(POLLUTANTS)},
            "firms_held_min_down": int(counts["firms_held_min_down"][s]),
            "firms_restarting": int(counts["firms_restarting"][s]),
        }
    return out
