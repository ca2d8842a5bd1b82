"""Expert analyses in µg/m³: which firms buy the most air per 万元, the loss–ΔPM2.5 curve, who delivers.

- :func:`firm_ranking` – every firm's PM2.5 removed at the city mean per 万元 of output lost: the
  potential (at full curtailment, the targeting ranking) and, for a plan, what its cut delivered;
- :func:`loss_delta_curve` – the least-cost curve (re-solving one slot for a sweep of required
  shares, as :func:`planner.reports.analysis.least_cost_curve` does) with, for each point, the
  tonnes removed per pollutant *and* the ΔPM2.5 of that least-cost plan: the loss–tonnes and the
  loss–ΔPM2.5 curves side by side;
- :func:`delta_shares` – the share of a plan's ΔPM2.5 (and of a concentration goal, when given)
  delivered by each county and each industry, the non-industrial measures as their own row.

ΔPM2.5 is the city mean, µg/m³, summed over the lag days of a cut (a firm's whole effect), and
weighted by the days each slot stands for (list mode: expected alert days per season).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import xarray as xr

from planner import POLLUTANTS
from planner.airquality.effect import CITY, _cached_effect, city_unit_coefficients, plan_effect

__all__ = ["firm_ranking", "loss_delta_curve", "delta_shares"]

_DEFAULT_SHARES = tuple(round(s, 2) for s in np.arange(0.05, 0.5001, 0.05))


def _city_coefficients(prepared) -> xr.DataArray:
    """µg/m³ at the city mean per unit curtailment, all lags: (enterprise, slot)."""
    return city_unit_coefficients(prepared)


def firm_ranking(result, top: int | None = None) -> pd.DataFrame:
    """Firms ranked by PM2.5 removed at the city mean per 万元 of output lost.

    Parameters
    ----------
    result : planner.scenario.run.PlanResult or Prepared
        With a plan, the plan's columns are filled.
    top : int, optional
        Keep the first ``top`` rows.

    Returns
    -------
    pandas.DataFrame
        Index enterprise_id, sorted by ``potential_ug_per_wanyuan`` (descending): ``name, county,
        industry, grade, potential_ug_per_wanyuan`` (µg/m³ per 万元/d at any curtailment: the
        ratio of the firm's full-cut ΔPM2.5 to its full-cut loss, over the slots, day-weighted),
        ``potential_delta_pm25`` (µg/m³ on an alert day at full curtailment, mean over slots) and,
        with a plan, ``plan_delta_pm25`` (µg/m³·days over the slots), ``plan_loss`` (万元) and
        ``plan_ug_per_wanyuan`` (NaN where the firm is not cut).
    """
    prepared = getattr(result, "prepared", result)
    plan = getattr(result, "plan", None)
    inp = prepared.inputs
    days = inp["days"].values
    from planner.scenario.run import firm_values

    t = prepared.table
    firms = t.index.astype(str)
    unit_coef = _city_coefficients(prepared).reindex(enterprise=inp["enterprise"].values).values  # (E, S)
    unit_loss = inp["loss_at_full"].transpose("enterprise", "slot").values  # includes days
    coef = firm_values(inp, unit_coef, firms, weighted=False)  # rows may be lines: per firm
    loss_full = firm_values(inp, unit_loss, firms, weighted=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        potential = (coef * days).sum(axis=1) / loss_full.sum(axis=1)
    out = pd.DataFrame(
        {
            "name": t["name"].astype(str).to_numpy(),
            "county": t["county"].astype(str).to_numpy(),
            "industry": t["industry"].astype(str).to_numpy(),
            "grade": t["grade"].astype(str).to_numpy(),
            "potential_ug_per_wanyuan": np.where(np.isfinite(potential), potential, np.nan),
            "potential_delta_pm25": coef.mean(axis=1),
        },
        index=pd.Index(firms, name="enterprise_id"),
    )
    if plan is not None:
        x = (
            plan.curtailment.transpose("enterprise", "slot")
            .reindex(enterprise=inp["enterprise"].values)
            .values
        )
        delta = firm_values(inp, unit_coef * x * days, firms, weighted=False).sum(axis=1)
        loss = firm_values(inp, x * unit_loss, firms, weighted=False).sum(axis=1)
        out["plan_delta_pm25"] = delta
        out["plan_loss"] = loss
        with np.errstate(divide="ignore", invalid="ignore"):
            out["plan_ug_per_wanyuan"] = np.where(loss > 1e-12, delta / loss, np.nan)
    out = out.sort_values("potential_ug_per_wanyuan", ascending=False, na_position="last")
    return out.head(top) if top is not None else out


def loss_delta_curve(
    prepared,
    shares: Iterable[float] = _DEFAULT_SHARES,
    level: str | None = None,
    slot: str | None = None,
    options: dict | None = None,
) -> pd.DataFrame:
    """The least-cost curve with the tonnes and the ΔPM2.5 of each least-cost plan.

    For each required share ``s`` of the city's total emissions (every pollutant) at one slot,
    the minimum-loss plan is solved (as :func:`planner.reports.analysis.least_cost_curve`) and
    its ΔPM2.5 at the city mean on an alert day (cut held over consecutive days: all lags) and
    the tonnes it removes are recorded.

    Returns
    -------
    pandas.DataFrame
        ``share, status, loss`` (万元 per alert day), ``tonnes_<P>`` and ``tonnes_total`` (t/d
        removed by firms and credited measures), ``delta_pm25`` (µg/m³, firms and credited
        measures), ``delta_pm25_firms``, ``ug_per_wanyuan`` (ΔPM2.5 of the firms per 万元 lost);
        None where no plan meets the share.  attrs ``level``, ``slot``, ``method``.
    """
    from planner.reports.analysis import _options, _slot_index, _solve, daily_city_totals, single_slot_inputs

    inputs = prepared.inputs
    idx = _slot_index(inputs, level, slot)
    base = single_slot_inputs(inputs, idx)
    totals = daily_city_totals(prepared)
    opts = _options(prepared, options)
    coef = _city_coefficients(prepared).isel(slot=[idx]).values[:, 0]  # (E,)
    slot_name = str(inputs["slot"].values[idx])
    zero = xr.zeros_like(inputs["floor"])
    eff0 = plan_effect(prepared, zero)
    # credited measures' ΔPM2.5 (sustained) on that slot: the effect of a plan with no firm cut
    if prepared.scenario.mode == "episode":
        rows = eff0.days[(eff0.days["receptor"] == CITY) & (eff0.days["slot"] == slot_name)]
        credited = float(rows["delta_pm25_non_industrial"].iloc[0]) if len(rows) else 0.0
    else:
        credited = float(eff0.slots[slot_name]["delta_pm25"])
    cred_t = base["credited"].values[0]
    red = base["reducible"].transpose("enterprise", "slot", "pollutant").values[:, 0, :]
    out = []
    for s in shares:
        one = base.copy()
        one["target"] = xr.DataArray(
            totals[None, :] * float(s),
            dims=("slot", "pollutant"),
            coords={"slot": one["slot"].values, "pollutant": list(POLLUTANTS)},
        )
        plan = _solve(one, opts)
        ok = plan.status == "optimal"
        row = {"share": float(s), "status": plan.status, "loss": float(plan.objective) if ok else None}
        if ok:
            x = plan.curtailment.transpose("enterprise", "slot").values[:, 0]
            tonnes = x @ red + cred_t
            firms = float(coef @ x)
            for j, p in enumerate(POLLUTANTS):
                row[f"tonnes_{p}"] = float(tonnes[j])
            row["tonnes_total"] = float(tonnes.sum())
            row["delta_pm25_firms"] = firms
            row["delta_pm25"] = firms + credited
            firm_loss = float(x @ base["loss_at_full"].values[:, 0])
            row["ug_per_wanyuan"] = firms / firm_loss if firm_loss > 1e-12 else None
        else:
            for p in (
                *[f"tonnes_{p}" for p in POLLUTANTS],
                "tonnes_total",
                "delta_pm25_firms",
                "delta_pm25",
                "ug_per_wanyuan",
            ):
                row[p] = None
        out.append(row)
    df = pd.DataFrame(out)
    df.attrs.update({"level": str(inputs["level"].values[idx]), "slot": slot_name, "method": eff0.method})
    return df


def delta_shares(result, goal: float | None = None) -> dict[str, pd.DataFrame]:
    """Share of a plan's ΔPM2.5 (city mean) delivered by each county and each industry.

    Parameters
    ----------
    result : planner.scenario.run.PlanResult
    goal : float, optional
        A concentration goal (µg/m³ per alert day, e.g. ``air_quality.goal.delta_pm25_city``):
        adds ``share_of_goal`` = delivered per alert day ÷ goal.

    Returns
    -------
    dict
        ``{"county": DataFrame, "industry": DataFrame}``, each indexed by county / industry with a
        ``非工业 / non_industrial`` row: ``delta_pm25`` (µg/m³·days over the slots),
        ``delta_pm25_per_day`` (÷ the slots' days), ``share`` of the total and, with a goal,
        ``share_of_goal``.
    """
    prepared, plan = result.prepared, result.plan
    eff = _cached_effect(prepared, plan)
    inp = prepared.inputs
    days = inp["days"].values
    table = prepared.table  # the effect is per firm (a firm's lines summed)
    fd = (
        eff.firm_delta.reindex(enterprise=table.index.astype(str), slot=inp["slot"].values).fillna(0.0).values
    )
    firm = (fd * days).sum(axis=1)
    if prepared.scenario.mode == "episode":
        city = eff.days[eff.days["receptor"] == CITY]
        non = float(city["delta_pm25_non_industrial"].sum())
    else:
        city = eff.days[eff.days["receptor"] == CITY].set_index("slot")
        non = float((city["delta_pm25_non_industrial"].reindex(inp["slot"].values).to_numpy() * days).sum())
    total_days = float(days.sum()) or 1.0
    out = {}
    for by in ("county", "industry"):
        g = pd.Series(firm, index=table[by].astype(str).to_numpy()).groupby(level=0).sum()
        g.loc["non_industrial"] = non
        df = pd.DataFrame({"delta_pm25": g})
        df["delta_pm25_per_day"] = df["delta_pm25"] / total_days
        tot = df["delta_pm25"].sum()
        df["share"] = df["delta_pm25"] / tot if tot > 0 else np.nan
        if goal:
            df["share_of_goal"] = df["delta_pm25_per_day"] / float(goal)
        df.index.name = by
        out[by] = df.sort_values("delta_pm25", ascending=False)
    return out
