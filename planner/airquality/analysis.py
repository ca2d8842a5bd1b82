"""Expert analyses in µg/m³: which firms buy the most air per 万元, the loss–ΔPM2.5 curve, who delivers.

- :func:`firm_ranking` – every firm's PM2.5 removed at the city mean per 万元 of output lost: the
  potential (at full curtailment, the targeting ranking) and, for a plan, what its cut delivered;
- :func:`loss_delta_curve` – the least-cost curve (re-solving one slot for a sweep of required
  shares, as :func:`planner.reports.analysis.least_cost_curve` does) with, for each point, the
  tonnes removed per pollutant *and* the ΔPM2.5 of that least-cost plan: the loss–tonnes and the
  loss–ΔPM2.5 curves side by side;
- :func:`delta_shares` – the share of a plan's ΔPM2.5 (and of a concentration goal, when given)
  delivered by each county and each industry, the non-industrial measures as their own row;
- :func:`max_pm25_under_budget` – under a loss budget, the plan that removes the most µg/m³ (the
  model's ``define_pm25_budget``), and :func:`budget_delta_curve` – a budget sweep giving, for each
  budget, the largest share of the tonne targets it buys *and* the most ΔPM2.5 it buys (the
  loss–ΔPM2.5 curve beside the loss–tonnes curve), each with the other's measure of its plan;
- :func:`air_report` – all of it as one JSON-ready document (``planner analyze``).

ΔPM2.5 is the city mean, µg/m³, summed over the lag days of a cut (a firm's whole effect), and
weighted by the days each slot stands for (list mode: expected alert days per season).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import xarray as xr

from planner import POLLUTANTS
from planner.airquality.effect import CITY, _cached_effect, city_tonne_coefficients, plan_effect

__all__ = [
    "air_report",
    "budget_delta_curve",
    "delta_shares",
    "firm_ranking",
    "loss_delta_curve",
    "max_pm25_under_budget",
]

_DEFAULT_SHARES = tuple(round(s, 2) for s in np.arange(0.05, 0.5001, 0.05))


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
    from planner.optimize.inputs import removed_tonnes

    per_tonne = city_tonne_coefficients(prepared)  # (E, S, P) µg/m³ per t/d, rows of the inputs
    red = inp["reducible"].transpose("enterprise", "slot", "pollutant").values  # t/d at a full stop
    unit_coef = np.einsum("esp,esp->es", per_tonne, red)  # µg/m³ of a full stop
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
        # what the plan's cut removes (the tonnes the model counts; menu firms their option's)
        plan_delta = np.einsum("esp,esp->es", per_tonne, removed_tonnes(inp, x, getattr(plan, "menu", None)))
        delta = firm_values(inp, plan_delta * days, firms, weighted=False).sum(axis=1)
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
    from planner.optimize.inputs import removed_tonnes

    per_tonne = city_tonne_coefficients(prepared)[:, idx, :]  # (E, P) µg/m³ per t/d
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
            cells = removed_tonnes(one, x[:, None], getattr(plan, "menu", None))[:, 0, :]  # (E, P)
            tonnes = cells.sum(axis=0) + cred_t
            firms = float((per_tonne * cells).sum())
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


# --------------------------------------------------------------------------- µg/m³ under a budget
def _city_goal_inputs(prepared) -> xr.Dataset:
    """PlanInputs with the city-mean goal arrays and the tonne targets of the shares.

    The goal value is not imposed, and a goal that replaced the tonne targets is undone.
    """
    from dataclasses import replace

    from planner.optimize.airgoal import attach_goal, without_goal

    cache = prepared.__dict__.setdefault("_air_quality_cache", {})
    if "city_goal_inputs" not in cache:
        plain = replace(prepared, inputs=without_goal(prepared.inputs))
        plain.__dict__["_air_quality_cache"] = cache
        cache["city_goal_inputs"] = attach_goal(plain, {"delta_pm25_city": 1.0})
    return cache["city_goal_inputs"]


def max_pm25_under_budget(prepared, budget: float, objective: str = "total") -> dict:
    """The plan that removes the most PM2.5 at the city mean within a loss budget.

    Parameters
    ----------
    prepared : planner.scenario.run.Prepared
    budget : float
        Total loss allowed (万元, the plan's objective: enterprises, credited and optional
        non-industrial measures), as :func:`planner.reports.analysis.max_reduction_under_budget`.
    objective : {"total", "each_day"}
        Maximise ΔPM2.5 summed over the alert days (µg/m³·days), or the smallest day's ΔPM2.5
        (the largest goal on every alert day the budget can buy).

    Returns
    -------
    dict
        ``status`` ("optimal"; "infeasible" when the budget is below the rule floors' loss),
        ``delta_pm25`` (DataFrame slot → city ΔPM2.5, µg/m³), ``delta_pm25_mean`` (per alert day,
        day-weighted), ``delta_pm25_min``, ``loss`` (万元), ``tonnes`` (DataFrame slot × pollutant,
        t/d removed incl. credited), ``curtailment``, ``message``.
    """
    from planner.optimize.airgoal import achieved_delta
    from planner.optimize.blocks import CURTAILMENT, NON_INDUSTRIAL, build_pm25_budget_model
    from planner.optimize.inputs import effective_bounds, non_industrial_arrays, removed_tonnes
    from planner.optimize.model import compile_and_solve
    from planner.optimize.options import SolveOptions
    from planner.optimize.transforms import recover, substitute_chains

    inputs = _city_goal_inputs(prepared)
    lo, hi = effective_bounds(inputs)
    E, S = lo.shape
    loss = inputs["loss_at_full"].transpose("enterprise", "slot").values.astype(float)
    fixed = float(inputs["credited_loss"].values.sum())
    rules_only = float((lo * loss).sum()) + fixed
    empty = {"delta_pm25": None, "delta_pm25_mean": None, "delta_pm25_min": None, "loss": None}
    empty.update({"tonnes": None, "curtailment": None, "rules_only_loss": rules_only})
    if budget < rules_only - 1e-9:
        return {
            "status": "infeasible",
            **empty,
            "message": f"budget {budget:,.1f} is below the loss of the rule floors alone ({rules_only:,.1f})",
        }
    options = SolveOptions(allow_shortfall=False)
    m, d = build_pm25_budget_model(inputs, options, float(budget) - fixed, objective)
    substitute_chains(m)
    sol = compile_and_solve(m, options, presolve=False)
    if sol.state != "optimal" or sol.values is None:
        return {
            "status": "error",
            **empty,
            "message": f"solver status {sol.state}: " + "; ".join(sol.messages),
        }
    x = np.clip(recover(m, sol.values[CURTAILMENT]).reshape(E, S) * d.cols.scale, lo, hi)
    ni_red, ni_cost, _, names = non_industrial_arrays(inputs)
    a = np.clip(sol.values[NON_INDUSTRIAL].reshape(len(names), S), 0, 1) if names else np.zeros((0, S))
    got = achieved_delta(inputs, x, a)[0]
    days = inputs["days"].values.astype(float)
    removed = removed_tonnes(inputs, x).sum(axis=0)  # the tonnes the model counts (offset included)
    tonnes = inputs["credited"].values + removed + np.einsum("ms,msp->sp", a, ni_red)
    slots = pd.Index([str(v) for v in inputs["slot"].values], name="slot")
    return {
        "status": "optimal",
        "delta_pm25": pd.Series(got, index=slots),
        "delta_pm25_mean": float((got * days).sum() / max(days.sum(), 1e-12)),
        "delta_pm25_min": float(got.min()),
        "loss": float((x * loss).sum() + (a * ni_cost).sum()) + fixed,
        "tonnes": pd.DataFrame(tonnes, index=slots, columns=list(POLLUTANTS)),
        "curtailment": xr.DataArray(
            x,
            dims=("enterprise", "slot"),
            coords={"enterprise": inputs["enterprise"].values, "slot": inputs["slot"].values},
        ),
        "rules_only_loss": rules_only,
        "message": "",
    }


def budget_delta_curve(prepared, budgets) -> pd.DataFrame:
    """A budget sweep: the loss–tonnes and the loss–ΔPM2.5 curves side by side.

    For each budget (万元, as the plan's objective) two plans: the one buying the largest common
    share of the tonne targets (:func:`planner.reports.analysis.max_reduction_under_budget`) and
    the one removing the most µg/m³ at the city mean (:func:`max_pm25_under_budget`), each with
    the other's measure, so the price of aiming at tonnes rather than air (and back) is read off.

    Returns
    -------
    pandas.DataFrame
        ``budget``, ``status``; ``fraction`` (share of every tonne target), ``fraction_delta_pm25``
        (city ΔPM2.5 per alert day of that plan), ``max_delta_pm25`` (µg/m³ per alert day of the
        µg/m³ plan), ``max_delta_pm25_min_day`` (its smallest day), ``pm25_plan_tonnes_total``
        (t/d, mean over slots, of the µg/m³ plan) and ``fraction_tonnes_total`` (of the tonnes plan).
    """
    from planner.optimize.airgoal import achieved_delta, without_goal
    from planner.reports.analysis import max_reduction_under_budget

    inputs = _city_goal_inputs(prepared)
    plain = without_goal(prepared.inputs)
    days = inputs["days"].values.astype(float)
    rows = []
    for b in budgets:
        t = max_reduction_under_budget(plain, float(b))
        p = max_pm25_under_budget(prepared, float(b))
        row = {"budget": float(b), "status": p["status"], "fraction": t["fraction"]}
        if t["curtailment"] is not None:
            got = achieved_delta(inputs, t["curtailment"].transpose("enterprise", "slot").values)[0]
            row["fraction_delta_pm25"] = float((got * days).sum() / max(days.sum(), 1e-12))
            row["fraction_tonnes_total"] = float(t["achieved"].sum(axis=1).mean())
        else:
            row["fraction_delta_pm25"] = row["fraction_tonnes_total"] = None
        row["max_delta_pm25"] = p["delta_pm25_mean"]
        row["max_delta_pm25_min_day"] = p["delta_pm25_min"]
        row["pm25_plan_tonnes_total"] = None if p["tonnes"] is None else float(p["tonnes"].sum(axis=1).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append(
            {
                str(k): (
                    None
                    if isinstance(v, float) and not np.isfinite(v)
                    else (v.item() if isinstance(v, np.generic) else v)
                )
                for k, v in rec.items()
            }
        )
    return out


def air_report(
    result, top: int = 15, budgets=None, shares: Iterable[float] = _DEFAULT_SHARES, level=None
) -> dict | None:
    """The air-quality analyses of a solved scenario as one JSON-ready document.

    None when the city has no stations and no SR file is named.

    Keys: ``method``; ``firms`` (the ``top`` rows of :func:`firm_ranking`, best µg/m³ per 万元
    first); ``curve`` (:func:`loss_delta_curve`, with ``curve_level``); ``budget``
    (:func:`budget_delta_curve`, default 50 %…150 % of the plan's loss); ``goal`` (µg/m³ on each
    alert day, when the scenario sets one); ``by_county``, ``by_industry`` (:func:`delta_shares`).
    """
    from planner.airquality.effect import _scenario_sr, _stations

    prepared = result.prepared
    if not _stations(prepared.city) and _scenario_sr(prepared) is None:
        return None
    from planner.optimize.airgoal import scenario_goal

    goal = scenario_goal(prepared.scenario) or {}
    g = goal.get("delta_pm25_city")
    objective = result.summary.get("objective")
    if budgets is None:
        ref = objective if objective else 1.0
        budgets = [ref * f for f in (0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5)]
    rank = firm_ranking(result, top=top).reset_index()
    curve = loss_delta_curve(prepared, shares=shares, level=level)
    parts = delta_shares(result, goal=g)
    return {
        "method": curve.attrs["method"],
        "goal": g,
        "firms": _records(rank),
        "curve_level": curve.attrs["level"],
        "curve": _records(curve),
        "budget": _records(budget_delta_curve(prepared, budgets)),
        "by_county": _records(parts["county"].reset_index()),
        "by_industry": _records(parts["industry"].reset_index()),
    }


def air_report_text(doc: dict | None, names=None) -> list[str]:
    """Text lines of :func:`air_report` for ``planner analyze``."""
    if not doc:
        return []

    def f(v, spec=",.2f"):
        return "—" if v is None else format(v, spec)

    lines = [f"air quality (city-mean PM2.5, method: {doc['method']})"]
    lines.append("firms by µg/m³ removed per 万元 lost (potential: at full cut; plan: what its cut gives)")
    lines.append(
        f"  {'firm':<10} {'industry':<16} {'county':<10} {'µg/m³ per 万元':>15} {'plan µg/m³·d':>13}"
    )
    for r in doc["firms"]:
        lines.append(
            f"  {r['enterprise_id']:<10} {r['industry']:<16} {r['county']:<10} "
            f"{f(r['potential_ug_per_wanyuan'], '.3e'):>15} {f(r.get('plan_delta_pm25'), '.3f'):>13}"
        )
    lines.append(f"least-cost curve at {doc['curve_level']}: loss, tonnes and ΔPM2.5 of each least-cost plan")
    lines.append(f"  {'share':>6} {'loss 万元':>12} {'t/d':>10} {'ΔPM2.5':>8}")
    for r in doc["curve"]:
        lines.append(
            f"  {100 * r['share']:>5.0f}% {f(r['loss'], ',.1f'):>12} {f(r['tonnes_total']):>10} {f(r['delta_pm25']):>8}"
        )
    lines.append("loss budget: share of the tonne targets vs µg/m³ bought (per alert day, city mean)")
    lines.append(
        f"  {'budget 万元':>14} {'share':>8} {'its ΔPM2.5':>11} {'max ΔPM2.5':>11} {'min day':>8} {'its t/d':>9}"
    )
    for r in doc["budget"]:
        share = "—" if r["fraction"] is None else f"{100 * r['fraction']:.1f}%"
        lines.append(
            f"  {f(r['budget'], ',.1f'):>14} {share:>8} {f(r['fraction_delta_pm25']):>11} "
            f"{f(r['max_delta_pm25']):>11} {f(r['max_delta_pm25_min_day']):>8} {f(r['pm25_plan_tonnes_total']):>9}"
        )
    for by in ("county", "industry"):
        head = f"ΔPM2.5 delivered by {by} (µg/m³ per alert day, share" + (
            ", share of the goal)" if doc["goal"] else ")"
        )
        lines.append(head)
        for r in doc[f"by_{by}"]:
            tail = (
                f"  {100 * r['share_of_goal']:5.1f}% of goal"
                if doc["goal"] and r.get("share_of_goal") is not None
                else ""
            )
            lines.append(
                f"  {r[by]:<18} {f(r['delta_pm25_per_day'], '.3f'):>8} {100 * (r['share'] or 0):5.1f}%{tail}"
            )
    return lines
