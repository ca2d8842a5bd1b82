"""Concentration goals in the model: ΔPM2.5 at the city mean (or every station) on each alert day.

A scenario with ``air_quality: {goal: {delta_pm25_city: X}}`` (or ``delta_pm25_station: X``,
every station) asks that the plan lower PM2.5 by at least X µg/m³ on every alert day.  The
response of PM2.5 to each firm's curtailment comes from :mod:`planner.airquality.effect`
(an imported source–receptor matrix or the screening plume); one day's cut acts on that day and
the next (``lag``).  This module holds

- :func:`attach_goal` – the PlanInputs variables of a goal, built from a prepared scenario:

  ===============  ==================================  ===========================================
  variable         dims                                meaning
  ===============  ==================================  ===========================================
  ``aq_coef``      (aq_receptor, lag, enterprise,      µg/m³ at the receptor on day ``slot + lag``
                   slot)                               per unit curtailment on ``slot`` (the
                                                       tonnes of ``extra_reducible``)
  ``aq_ni_coef``   (aq_receptor, lag, measure, slot)   the same per unit activation of an optional
                                                       non-industrial measure (``use: optimize``)
  ``aq_day``       (lag, slot)                         index of the slot (alert day) that receives
                                                       slot's lag-``lag`` effect, -1 when that day
                                                       is not an alert day (list mode: the slot
                                                       itself, a cut held through an alert)
  ``aq_goal``      (aq_receptor, slot)                 µg/m³ required on the slot's day
  ``aq_credited``  (aq_receptor, slot)                 µg/m³ on that day that do not depend on
                                                       ``x``: the credited non-industrial
                                                       measures and the constant part of the
                                                       rows' tonnes (``floor_reduction −
                                                       extra_reducible · floor``)
  ===============  ==================================  ===========================================

- :func:`goal_rows` – the sparse rows ``Σ A·x (+ Σ N·a) ≥ goal - credited`` that
  :func:`planner.optimize.blocks.define_air_goal` adds to the model (``Slot-Receptor-pm25-goal``),
  with the most each row can reach within the bounds (for the diagnosis of an unreachable goal);
- :func:`goal_outcome` – achieved ΔPM2.5, shortfall and marginal loss per µg/m³ of a plan;
- :func:`without_goal` – the same inputs without the goal (to price it).

Units: µg/m³ (daily mean PM2.5), 万元; the marginal loss is 万元 per µg/m³ on one alert day (the
row dual divided by the days the slot stands for, as for the tonne targets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "GOAL_VARS",
    "GoalRows",
    "attach_goal",
    "goal_outcome",
    "goal_rows",
    "has_goal",
    "scenario_goal",
    "without_goal",
]

#: PlanInputs variables of a concentration goal.
GOAL_VARS = ("aq_coef", "aq_ni_coef", "aq_day", "aq_goal", "aq_credited")
#: Receptor label of the city mean.
CITY = "city"


def has_goal(inputs: xr.Dataset) -> bool:
    """True when the PlanInputs carry a concentration goal."""
    return "aq_goal" in inputs and "aq_coef" in inputs


def without_goal(inputs: xr.Dataset) -> xr.Dataset:
    """The inputs without the goal variables (and with the share targets back in mode b)."""
    out = inputs.drop_vars([v for v in GOAL_VARS if v in inputs])
    if "share_target" in out:
        out["target"] = out["share_target"]
        out = out.drop_vars("share_target")
    return out.drop_dims([d for d in ("aq_receptor", "lag") if d in out.dims])


def scenario_goal(scenario) -> dict | None:
    """``air_quality.goal`` of a scenario (a dict), or None."""
    aq = getattr(scenario, "air_quality", None) or {}
    goal = aq.get("goal") if isinstance(aq, dict) else None
    return dict(goal) if goal else None


# --------------------------------------------------------------------------- building the inputs
def _day_map(prepared, S: int, L: int) -> np.ndarray:
    """(lag, slot): the slot whose day gets the slot's lag-``lag`` effect, -1 when none."""
    if prepared.scenario.mode == "list":
        return np.tile(np.arange(S), (L, 1))
    dates = pd.to_datetime(pd.Series([str(s) for s in prepared.inputs["slot"].values]), errors="coerce")
    pos = {d: i for i, d in enumerate(dates) if not pd.isna(d)}
    out = -np.ones((L, S), dtype=np.int64)
    for k, d in enumerate(dates):
        if pd.isna(d):
            out[0, k] = k
            continue
        for lag in range(L):
            out[lag, k] = pos.get(d + pd.Timedelta(days=lag), -1)
    return out


def attach_goal(prepared, goal: dict) -> xr.Dataset:
    """PlanInputs of a prepared scenario with the variables of a concentration goal added.

    Parameters
    ----------
    prepared : planner.scenario.run.Prepared
        Its ``inputs`` are not changed.
    goal : dict
        ``delta_pm25_city`` and/or ``delta_pm25_station`` (µg/m³ on each alert day);
        ``instead_of_shares`` (drop the tonne targets: the goal replaces them).

    Returns
    -------
    xarray.Dataset
        The inputs with :data:`GOAL_VARS` (see the module docstring) and, with
        ``instead_of_shares``, ``share_target`` (the shares' tonnes, for the report) and
        ``target`` set to 0.

    Raises
    ------
    InputError
        A station goal with an SR file that has only the city receptor; a city without stations.
    """
    from planner.airquality.effect import (
        _area_response,
        _non_industrial_tonnes,
        _response,
        _stations,
        curtailment_terms,
        optional_ni_tonnes,
    )
    from planner.airquality.params import load_params
    from planner.problems import InputError

    inputs = prepared.inputs
    params = load_params()
    # ΔPM2.5 of the rows' cuts = Σ A·x + B: A per unit curtailment above the floor (receptor, lag,
    # enterprise, slot), B the floor measures' constant part (receptor, lag, slot)
    coef, offset = curtailment_terms(prepared)
    receptors = [str(r) for r in coef["receptor"].values]
    stations = [r for r in receptors if r != CITY]
    want: list[tuple[str, float]] = []
    if goal.get("delta_pm25_city") is not None:
        want.append((CITY, float(goal["delta_pm25_city"])))
    if goal.get("delta_pm25_station") is not None:
        if not stations:
            raise InputError.single(
                str(prepared.scenario.file),
                "a station goal needs station receptors, but the source-receptor data has only the city mean",
                column="air_quality.goal.delta_pm25_station",
            )
        want.extend((s, float(goal["delta_pm25_station"])) for s in stations)
    names = [r for r, _ in want]
    # a receptor named twice (never: city and stations differ) would make duplicate rows
    idx = [receptors.index(r) for r in names]
    A = coef.values[idx].copy()  # (G_r, L, E, S)
    if "menu_enterprise" in inputs:  # menu firms take no part in the goal rows (docs/AIR_QUALITY.md)
        A[:, :, np.unique(np.asarray(inputs["menu_enterprise"].values, dtype=np.int64)), :] = 0.0
    R, L, _E, S = A.shape
    day = _day_map(prepared, S, L)
    # credited measures (constant) and optional ones (per unit activation), screening area kernel
    resp = _response(prepared)
    st = [s for s in _stations(prepared.city) if s["id"] in resp.receptors]
    slot_names = [str(s) for s in inputs["slot"].values]
    M = inputs.sizes.get("measure", 0)
    credited = np.zeros((R, S))
    # the constant part of the rows' tonnes, on the day it acts (as the credited measures below)
    const = offset.values[idx][:, :L]  # (G_r, L, S)
    for lag in range(const.shape[1]):
        ok = day[lag] >= 0
        np.add.at(credited.T, day[lag][ok], const[:, lag, ok].T)
    ni_coef = np.zeros((R, L, M, S))
    if st:
        area = _area_response(prepared, params, slot_names, st)  # (Rs+1, lag, P, S)
        area_rec = [s["id"] for s in st] + [CITY]
        ai = [area_rec.index(r) if r in area_rec else len(area_rec) - 1 for r in names]
        area = area[ai][:, :L]
        per_day = np.einsum("rlpS,Sp->rlS", area, _non_industrial_tonnes(prepared, params))
        for lag in range(per_day.shape[1]):
            ok = day[lag] >= 0
            np.add.at(credited.T, day[lag][ok], per_day[:, lag, ok].T)
        if M:
            ni_coef = np.einsum("rlpS,mSp->rlmS", area, optional_ni_tonnes(prepared, params))
    ds = inputs.copy()
    if goal.get("instead_of_shares"):
        ds["share_target"] = inputs["target"].copy()
        ds["target"] = xr.zeros_like(inputs["target"])
    ds["aq_coef"] = xr.DataArray(
        A,
        dims=("aq_receptor", "lag", "enterprise", "slot"),
        coords={"aq_receptor": names, "lag": np.arange(L)},
        attrs={"units": "ug m-3 per unit curtailment", "method": coef.attrs.get("method", "")},
    )
    ds["aq_ni_coef"] = xr.DataArray(ni_coef, dims=("aq_receptor", "lag", "measure", "slot"))
    ds["aq_day"] = xr.DataArray(day, dims=("lag", "slot"))
    ds["aq_goal"] = xr.DataArray(
        np.array([[g] * S for _, g in want], dtype=float).reshape(R, S), dims=("aq_receptor", "slot")
    )
    ds["aq_credited"] = xr.DataArray(credited, dims=("aq_receptor", "slot"))
    ds.attrs["aq_method"] = str(coef.attrs.get("method", ""))
    ds.attrs["aq_instead_of_shares"] = int(bool(goal.get("instead_of_shares")))
    return ds


# --------------------------------------------------------------------------- model rows
@dataclass
class GoalRows:
    """The goal rows in COO form over (aq_receptor, slot) rows, row-major.

    Attributes
    ----------
    receptors, slots : list of str
    rhs : numpy.ndarray (G,)
        ``goal - credited`` (µg/m³).
    goal, credited : numpy.ndarray (G,)
    row, ent, slot, val : numpy.ndarray
        Curtailment entries: row, enterprise, slot, µg/m³ per unit curtailment (lags summed).
    ni_row, ni_measure, ni_slot, ni_val : numpy.ndarray
        Optional non-industrial measure entries.
    reach : numpy.ndarray (G,)
        Largest ΔPM2.5 the bounds allow (credited included).
    """

    receptors: list[str]
    slots: list[str]
    rhs: np.ndarray
    goal: np.ndarray
    credited: np.ndarray
    row: np.ndarray
    ent: np.ndarray
    slot: np.ndarray
    val: np.ndarray
    ni_row: np.ndarray
    ni_measure: np.ndarray
    ni_slot: np.ndarray
    ni_val: np.ndarray
    reach: np.ndarray

    @property
    def labels(self) -> list[str]:
        """Row labels ``<slot>/<receptor>``, receptor-major."""
        return [f"{s}/{r}" for r in self.receptors for s in self.slots]

    @property
    def size(self) -> int:
        """Number of goal rows."""
        return len(self.rhs)


def _scatter(coef: np.ndarray, day: np.ndarray):
    """Sum a (R, L, K, S) coefficient over lags into (row = r·S + day, k, s) COO entries."""
    _R, _L, K, S = coef.shape
    l_i, s_i = np.nonzero(day >= 0)
    if not len(l_i) or not K:
        z = np.zeros(0, np.int64)
        return z, z, z, np.zeros(0)
    t_i = day[l_i, s_i]
    sub = coef[:, l_i, :, s_i]  # (npair, R, K): advanced indices first
    p, r, k = np.nonzero(sub != 0)
    vals = sub[p, r, k]
    row = r * S + t_i[p]
    s = s_i[p]
    key = (row * K + k) * S + s
    uk, inv = np.unique(key, return_inverse=True)
    v = np.bincount(inv.ravel(), weights=vals, minlength=len(uk))
    s_u = uk % S
    k_u = (uk // S) % K
    row_u = uk // (S * K)
    return row_u.astype(np.int64), k_u.astype(np.int64), s_u.astype(np.int64), v


def goal_rows(inputs: xr.Dataset, lo: np.ndarray, hi: np.ndarray) -> GoalRows:
    """The goal rows of PlanInputs with a goal, and what the bounds ``lo``/``hi`` (E, S) allow."""
    A = np.asarray(inputs["aq_coef"].transpose("aq_receptor", "lag", "enterprise", "slot").values, float)
    day = np.asarray(inputs["aq_day"].transpose("lag", "slot").values, np.int64)
    goal = np.asarray(inputs["aq_goal"].transpose("aq_receptor", "slot").values, float).ravel()
    cred = np.asarray(inputs["aq_credited"].transpose("aq_receptor", "slot").values, float).ravel()
    row, ent, slot, val = _scatter(A, day)
    if "aq_ni_coef" in inputs and inputs.sizes.get("measure", 0):
        N = np.asarray(inputs["aq_ni_coef"].transpose("aq_receptor", "lag", "measure", "slot").values, float)
        n_row, n_m, n_s, n_v = _scatter(N, day)
    else:
        z = np.zeros(0, np.int64)
        n_row, n_m, n_s, n_v = z, z, z, np.zeros(0)
    G = len(goal)
    best = np.maximum(val * hi[ent, slot], val * lo[ent, slot])
    reach = (
        cred
        + np.bincount(row, weights=best, minlength=G)
        + np.bincount(n_row, weights=np.maximum(n_v, 0.0), minlength=G)
    )
    return GoalRows(
        [str(r) for r in inputs["aq_receptor"].values],
        [str(s) for s in inputs["slot"].values],
        goal - cred,
        goal,
        cred,
        row,
        ent,
        slot,
        val,
        n_row,
        n_m,
        n_s,
        n_v,
        reach,
    )


def goal_penalty(rows: GoalRows, loss: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """万元 per µg/m³ of goal shortfall.

    100 × the largest loss per µg/m³ of any cuttable entry (entries below 1e-6 of the row's largest ignored),
    clipped to [1e3, 1e10].
    """
    if not len(rows.val):
        return 1e3
    top_row = np.zeros(rows.size)
    np.maximum.at(top_row, rows.row, np.abs(rows.val))
    big = (np.abs(rows.val) > 1e-6 * top_row[rows.row]) & (hi[rows.ent, rows.slot] > lo[rows.ent, rows.slot])
    if not big.any():
        return 1e3
    ratio = loss[rows.ent[big], rows.slot[big]] / np.abs(rows.val[big])
    return float(min(1e10, max(1e3, 100.0 * ratio.max())))


# --------------------------------------------------------------------------- outcome of a plan
def achieved_delta(inputs: xr.Dataset, x: np.ndarray, ni: np.ndarray | None = None) -> np.ndarray:
    """ΔPM2.5 (aq_receptor, slot) of shares ``x`` (E, S) and activations ``ni`` (M, S).

    µg/m³, credited measures included (dense einsum over the inputs, no model structures).
    """
    A = np.asarray(inputs["aq_coef"].transpose("aq_receptor", "lag", "enterprise", "slot").values, float)
    day = np.asarray(inputs["aq_day"].transpose("lag", "slot").values, np.int64)
    out = np.asarray(inputs["aq_credited"].transpose("aq_receptor", "slot").values, float).copy()
    per = np.einsum("rles,es->rls", A, x)
    if ni is not None and "aq_ni_coef" in inputs and inputs.sizes.get("measure", 0):
        N = np.asarray(inputs["aq_ni_coef"].transpose("aq_receptor", "lag", "measure", "slot").values, float)
        per = per + np.einsum("rlms,ms->rls", N, ni)
    for lag in range(day.shape[0]):
        ok = day[lag] >= 0
        np.add.at(out.T, day[lag][ok], per[:, lag, ok].T)
    return out


def goal_outcome(
    inputs: xr.Dataset,
    x: np.ndarray,
    ni: np.ndarray | None = None,
    duals: np.ndarray | None = None,
    reach: np.ndarray | None = None,
    tol: float = 1e-6,
) -> xr.Dataset:
    """Achieved ΔPM2.5, shortfall, reach and marginal loss per µg/m³ of a plan, per (receptor, slot).

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs with a goal.
    x : numpy.ndarray (E, S)
    ni : numpy.ndarray (M, S), optional
    duals : numpy.ndarray (G,), optional
        Row duals of ``Slot-Receptor-pm25-goal`` (万元 per µg/m³ for the whole slot).
    reach : numpy.ndarray (G,), optional
        Largest reachable ΔPM2.5 per row.

    Returns
    -------
    xarray.Dataset
        dims (aq_receptor, slot): ``goal``, ``achieved``, ``shortfall`` (0 where met),
        ``reachable``, ``marginal_loss_per_ugm3`` (万元 per µg/m³ on one day; NaN where the goal
        is not met or no dual is available).
    """
    goal = np.asarray(inputs["aq_goal"].transpose("aq_receptor", "slot").values, float)
    R, S = goal.shape
    got = achieved_delta(inputs, x, ni)
    short = np.maximum(goal - got, 0.0)
    short = np.where(short > tol * np.maximum(1.0, goal), short, 0.0)
    days = np.asarray(inputs["days"].values, float)
    if duals is None:
        mar = np.full((R, S), np.nan)
    else:
        mar = np.abs(np.asarray(duals, float).reshape(R, S)) / np.where(days > 0, days, 1.0)[None, :]
        mar = np.where(short > 0, np.nan, mar)
    coords = {"aq_receptor": inputs["aq_receptor"].values, "slot": inputs["slot"].values}
    dims = ("aq_receptor", "slot")
    return xr.Dataset(
        {
            "goal": (dims, goal),
            "achieved": (dims, got),
            "shortfall": (dims, short),
            "reachable": (
                dims,
                np.full((R, S), np.nan) if reach is None else np.asarray(reach).reshape(R, S),
            ),
            "marginal_loss_per_ugm3": (dims, mar),
        },
        coords=coords,
        attrs={"method": str(inputs.attrs.get("aq_method", ""))},
    )


def diagnosis(outcome: xr.Dataset) -> list[str]:
    """Plain sentences for every (day, receptor) whose goal is not met: required vs reachable."""
    out = []
    short = outcome["shortfall"].values
    for r, s in zip(*np.nonzero(short > 0), strict=True):
        rec = str(outcome["aq_receptor"].values[r])
        where = "the city mean" if rec == CITY else f"station {rec}"
        reach = float(outcome["reachable"].values[r, s])
        out.append(
            f"PM2.5 goal not reachable: slot {outcome['slot'].values[s]!s} at {where}: "
            f"{float(outcome['goal'].values[r, s]):.3g} µg/m³ required, "
            f"{float(outcome['achieved'].values[r, s]):.3g} achieved"
            + (f", at most {reach:.3g} µg/m³ reachable within the bounds" if np.isfinite(reach) else "")
        )
    return out


# --------------------------------------------------------------------------- summary.json
def _num(v, digits: int = 4):
    v = float(v)
    return round(v, digits) if np.isfinite(v) else None


def goal_summary(prepared, plan, loss_without_goal: float | None = None) -> dict | None:
    """The ``air_quality`` document of ``summary.json`` for a plan with a concentration goal.

    Returns None without a goal.  Keys: ``method``, ``goal`` (as written: ``delta_pm25_city``,
    ``delta_pm25_station``, ``instead_of_shares``), ``met`` (every row met), ``loss_with_goal``,
    ``loss_without_goal`` and ``goal_cost`` (万元), ``rows`` (one per alert day and goal receptor:
    ``slot, receptor, goal, achieved, reachable, shortfall, marginal_loss_per_ugm3``) and
    ``by_slot`` (slot → the keys added to that slot's ``air_quality``: ``goal_delta_pm25``,
    ``goal_met``, ``reachable_delta_pm25`` (the smallest over the goal receptors) and
    ``marginal_loss_per_ugm3``: 万元 per µg/m³ of raising that day's goal at every goal receptor,
    the sum of the rows' duals).
    """
    inputs = prepared.inputs
    if not has_goal(inputs):
        return None
    out = getattr(plan, "air_goal", None)
    x = plan.curtailment.transpose("enterprise", "slot").values
    if out is None and not np.isnan(x).any():  # a baseline's plan: no duals
        ni = None if plan.non_industrial is None else plan.non_industrial.transpose("measure", "slot").values
        out = goal_outcome(inputs, x, ni)
    goal = scenario_goal(prepared.scenario) or {}
    doc: dict[str, Any] = {
        "method": str(inputs.attrs.get("aq_method", "")),
        "goal": {
            "delta_pm25_city": goal.get("delta_pm25_city"),
            "delta_pm25_station": goal.get("delta_pm25_station"),
            "instead_of_shares": bool(goal.get("instead_of_shares", False)),
        },
        "met": None,
        "loss_with_goal": _num(plan.objective, 3) if np.isfinite(plan.objective) else None,
        "loss_without_goal": None if loss_without_goal is None else _num(loss_without_goal, 3),
        "goal_cost": None,
        "rows": [],
        "by_slot": {},
    }
    if doc["loss_with_goal"] is not None and doc["loss_without_goal"] is not None:
        doc["goal_cost"] = round(doc["loss_with_goal"] - doc["loss_without_goal"], 3)
    if out is None:
        return doc
    doc["met"] = bool((out["shortfall"].values <= 0).all())
    rec = [str(r) for r in out["aq_receptor"].values]
    slots = [str(s) for s in out["slot"].values]
    for i, r in enumerate(rec):
        for k, s in enumerate(slots):
            doc["rows"].append(
                {
                    "slot": s,
                    "receptor": r,
                    **{
                        key: _num(out[key].values[i, k])
                        for key in ("goal", "achieved", "reachable", "shortfall", "marginal_loss_per_ugm3")
                    },
                }
            )
    for k, s in enumerate(slots):
        mar = out["marginal_loss_per_ugm3"].values[:, k]
        doc["by_slot"][s] = {
            "goal_delta_pm25": _num(out["goal"].values[:, k].max()),
            "goal_met": bool((out["shortfall"].values[:, k] <= 0).all()),
            "reachable_delta_pm25": _num(np.nanmin(out["reachable"].values[:, k]))
            if np.isfinite(out["reachable"].values[:, k]).any()
            else None,
            "marginal_loss_per_ugm3": _num(mar.sum()) if np.isfinite(mar).all() else None,
        }
    return doc
