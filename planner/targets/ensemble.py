"""Ensemble risk: each member's own targets, and how many members a plan meets.

With an ensemble forecast every member is a possible course of the episode.  For member ``k``
the targets are derived exactly as for a single forecast: its own daily city AQI (mean
concentrations over stations, :func:`planner.targets.forecast.member_daily_aqi`) → the alert
rules, per pollution process (:func:`planner.policy.alerts.evaluate_alerts`) → a level per day
→ the shares of that level × the city totals (:func:`planner.targets.reductions.level_targets`)
→ tonnes per day.  A member whose day is below alert needs nothing that day.

A plan **meets member k on day d** when what it removes that day (industrial cuts + credited and
chosen non-industrial measures of the plan, ``achieved`` in ``summary.json``) is at least the
member's target for every pollutant (relative tolerance 1e-6).  Days the plan does not cover (no
alert issued, or before the alert takes effect) remove nothing.  The plan meets a member
**overall** when it meets it on every day.

:func:`member_ensemble` builds the members' levels and targets; :func:`met_members` counts;
:func:`ensemble_report` adds the per-slot keys ``members_met``, ``members_total``,
``members_met_share`` and the top-level ``ensemble`` document to ``summary.json`` (and, for a
scenario with ``ensemble: {chance: q}``, the days where the share ``q`` is out of reach).
The chance-constrained model itself is :mod:`planner.optimize.chance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from planner import LEVELS, POLLUTANTS

__all__ = [
    "MET_TOL",
    "Ensemble",
    "ensemble_report",
    "member_ensemble",
    "met_members",
    "required_members",
    "scenario_ensemble",
    "slot_member_targets",
]

#: Relative tolerance of "achieved ≥ member target" (as the model's shortfall tolerance).
MET_TOL = 1e-6


@dataclass
class Ensemble:
    """The members of an ensemble forecast and what each requires.

    Attributes
    ----------
    dates : list of str
        Every forecast day, ``YYYY-MM-DD``.
    members : list of str
        Member names as in the forecast.
    levels : numpy.ndarray (D, K) of str
        Each member's alert level per day (``none`` … ``red``), by the scenario's alert rules.
    targets : numpy.ndarray (D, K, P)
        Tonnes per day each member requires (0 below alert).
    """

    dates: list[str]
    members: list[str]
    levels: np.ndarray
    targets: np.ndarray

    @property
    def size(self) -> int:
        """Number of ensemble members."""
        return len(self.members)


def member_ensemble(ds: xr.Dataset, rules, standard: str, shares: xr.DataArray, totals) -> Ensemble | None:
    """Every member's alert level and targets per day (None without a ``member`` dimension).

    Parameters
    ----------
    ds : xarray.Dataset
        The forecast (:func:`planner.targets.forecast.read_forecast`).
    rules : RuleSet, str or Path
        Alert rules (as the scenario's).
    standard : str
        HJ 633 edition.
    shares : xarray.DataArray
        ``(level, pollutant)`` required shares (:func:`planner.targets.reductions.load_shares`).
    totals : mapping
        City totals on the list's daily basis (as the plan's targets).

    Returns
    -------
    Ensemble or None
    """
    from planner.policy.alerts import evaluate_alerts, load_rules
    from planner.targets.forecast import member_daily_aqi
    from planner.targets.reductions import level_targets

    if "member" not in ds.dims:
        return None
    rules = load_rules(rules)
    per = member_daily_aqi(ds, standard)
    members = list(pd.unique(per["member"]))
    dates = pd.DatetimeIndex(pd.unique(per["date"]))
    D, K = len(dates), len(members)
    levels = np.empty((D, K), dtype=object)
    for k, name in enumerate(members):  # one alert evaluation per member (K is small)
        rows = per[per["member"] == name][["date", "aqi", "primary_pollutant"]].reset_index(drop=True)
        days = evaluate_alerts(rows, rules).days
        order = pd.DatetimeIndex(days["date"]).get_indexer(dates)
        levels[:, k] = days["level"].astype(str).to_numpy()[order]
    per_level = level_targets(shares, totals).transpose("level", "pollutant")
    table = np.vstack([np.zeros((1, len(POLLUTANTS))), per_level.sel(level=list(LEVELS[1:])).to_numpy()])
    index = {lv: i for i, lv in enumerate(LEVELS)}
    code = np.array([index[str(v)] for v in levels.ravel()], dtype=int).reshape(D, K)
    return Ensemble(
        [d.strftime("%Y-%m-%d") for d in dates],
        [str(m) for m in members],
        levels.astype(str),
        table[code],
    )


def scenario_ensemble(scenario, shares: xr.DataArray, totals) -> Ensemble | None:
    """The ensemble of a scenario's forecast (None without a forecast or without members)."""
    from planner.targets.forecast import read_forecast

    if getattr(scenario, "forecast", None) is None:
        return None
    ds = read_forecast(scenario.forecast)
    return member_ensemble(ds, scenario.rules, scenario.aqi_standard, shares, totals)


def required_members(share: float, members: int) -> int:
    """Members a plan must meet for a chance ``share``: ``⌈share · K⌉`` (at least 1 when share > 0)."""
    return math.ceil(float(share) * members - 1e-9)


def met_members(achieved: np.ndarray, targets: np.ndarray, tol: float = MET_TOL) -> np.ndarray:
    """Which members a plan meets on which day.

    Parameters
    ----------
    achieved : numpy.ndarray (D, P)
        Tonnes per day the plan removes (NaN: no plan → nothing met).
    targets : numpy.ndarray (D, K, P)
        Tonnes per day each member requires.

    Returns
    -------
    numpy.ndarray of bool (D, K)
        True where ``achieved ≥ target − tol·max(1, target)`` for every pollutant.
    """
    a = np.asarray(achieved, float)[:, None, :]
    t = np.asarray(targets, float)
    with np.errstate(invalid="ignore"):
        ok = a >= t - tol * np.maximum(1.0, t)
    return ok.all(axis=2)


def slot_member_targets(ens: Ensemble, slot_dates) -> np.ndarray:
    """(S, K, P) member targets of the plan's slots (slot names are the dates, episode mode).

    Raises
    ------
    ValueError
        A slot date the ensemble does not hold.
    """
    where = pd.Index(ens.dates).get_indexer([str(s) for s in slot_dates])
    if (where < 0).any():
        missing = [str(s) for s, i in zip(slot_dates, where, strict=True) if i < 0]
        raise ValueError(f"slot(s) {', '.join(missing)} are not forecast days")
    return ens.targets[where]


def _counts(levels: np.ndarray) -> dict[str, int]:
    return {lv: int((levels == lv).sum()) for lv in LEVELS}


def _share(n: int, k: int) -> float | None:
    return None if k == 0 else float(n) / k


def ensemble_report(
    ens: Ensemble,
    summary: dict,
    *,
    day_slot: np.ndarray,
    reach: np.ndarray | None,
    chance: float | None,
    formulation: str | None = None,
) -> list[str]:
    """Add the members met to ``summary`` (in place) and return the diagnosis sentences.

    Parameters
    ----------
    ens : Ensemble
    summary : dict
        ``summary.json`` of the plan (its slots' ``achieved``).
    day_slot : numpy.ndarray (D,) of int
        The slot each forecast day is planned with (-1: no measures that day).
    reach : numpy.ndarray (S, P), optional
        Tonnes per day the bounds can reach at most (ceilings, all optional measures on): which
        members any plan could meet.
    chance : float, optional
        The scenario's chance share; with it, days whose reachable share is below it are named.
    formulation : str, optional
        How the chance constraint was written (``sorted`` / ``indicators``), for the document.

    Returns
    -------
    list of str
        One sentence per day where the chance share is out of reach (empty otherwise).
    """
    slots = summary["slots"]
    S, D, K = len(slots), len(ens.dates), ens.size
    ach = np.array(
        [[np.nan if s["achieved"][p] is None else float(s["achieved"][p]) for p in POLLUTANTS] for s in slots]
    ).reshape(S, len(POLLUTANTS))
    day_slot = np.asarray(day_slot, int)
    covered = day_slot >= 0
    achieved = np.zeros((D, len(POLLUTANTS)))
    achieved[covered] = ach[day_slot[covered]]
    met = met_members(achieved, ens.targets)
    need = (ens.targets > 0).any(axis=2)  # member at alert that day
    if reach is not None:
        rmax = np.zeros((D, len(POLLUTANTS)))
        rmax[covered] = np.asarray(reach, float)[day_slot[covered]]
        reachable = met_members(rmax, ens.targets)
    else:
        reachable = ~need
    n_req = required_members(chance, K) if chance is not None else None
    days, notes = [], []
    for d in range(D):
        if not (covered[d] or need[d].any()):
            continue
        rec = {
            "date": ens.dates[d],
            "slot": str(slots[day_slot[d]]["slot"]) if covered[d] else None,
            "level": str(slots[day_slot[d]]["level"]) if covered[d] else "none",
            "member_levels": _counts(ens.levels[d]),
            "members_met": int(met[d].sum()),
            "members_total": K,
            "members_met_share": _share(int(met[d].sum()), K),
            "members_reachable": int(reachable[d].sum()),
            "reachable_share": _share(int(reachable[d].sum()), K),
        }
        if n_req is not None:
            rec["members_required"] = n_req
            rec["chance_met"] = bool(met[d].sum() >= n_req)
            if reachable[d].sum() < n_req:
                why = (
                    "the ceilings (technical maximum cuts) and every optional measure reach no more members"
                    if covered[d]
                    else "the plan takes no measures that day (no alert issued or not yet in force)"
                )
                rec["chance_reason"] = why
                notes.append(
                    f"ensemble chance {chance:g}: {ens.dates[d]} can meet at most "
                    f"{int(reachable[d].sum())} of {K} members ({reachable[d].sum() / K:.0%}), "
                    f"{n_req} asked: {why}"
                )
        days.append(rec)
    all_days = met.all(axis=0)
    for i, s in enumerate(slots):
        rows = np.flatnonzero(day_slot == i)
        n = int(met[rows].sum())
        total = int(len(rows) * K)
        s.update({"members_met": n, "members_total": total, "members_met_share": _share(n, total)})
    counted = days
    summary["ensemble"] = {
        "members": K,
        "chance": chance,
        "members_required": n_req,
        "formulation": formulation,
        "members_met_all_days": int(all_days.sum()),
        "overall_met_share": _share(int(all_days.sum()), K),
        "member_days_met_share": _share(
            sum(r["members_met"] for r in counted), sum(r["members_total"] for r in counted)
        ),
        "days": days,
        "chance_out_of_reach": [r["date"] for r in days if r.get("chance_reason")],
    }
    return notes
