"""Expert analyses on a prepared or solved scenario.

- :func:`least_cost_curve` – sweep the required reduction share (e.g. 5 % … 50 % of the city's
  total emissions, every pollutant) for one alert level and record the minimum output loss per
  alert day, with the uniform-cut (一刀切), greedy (loss per tonne) and rules-only baselines on
  the same axis; :func:`max_feasible_share` gives the share beyond which the targets cannot be met.
- :func:`max_reduction_under_budget` – the inverse question: with a loss budget (万元), how large a
  fraction of every target can be met (a small LP of its own, built with PuLP from
  ``(variable, coefficient)`` pairs); :func:`budget_curve` sweeps budgets.
- :func:`upgrade_values` – the value of a grade upgrade (冲A增B消C): for each enterprise (or a chosen
  set) the output loss it avoids per season by moving up one grade (C→B, B→A, …; its floors are
  re-evaluated from the measure rules, vectorised over all firms at once) and, for the top N or the
  chosen set, the change of the city's optimal total loss (a re-solve per firm).
  :func:`upgrade_value_arrays` is the same computation on arrays (hand-checkable).
- :func:`measure_effectiveness` – reduction per unit of loss by industry and measure type, and what
  share of each target comes from rule floors, optimizer choices and credited non-industrial measures.

Every function leaves its inputs unchanged.  Losses are 万元 (per season in list mode: the
``loss_at_full`` weights already count the expected alert days; per alert day in the curves),
reductions tonnes per day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from planner import POLLUTANTS

__all__ = [
    "NEXT_GRADE",
    "budget_curve",
    "daily_city_totals",
    "feasibility_by_slot",
    "least_cost_curve",
    "max_feasible_share",
    "max_reduction_under_budget",
    "measure_effectiveness",
    "next_grade",
    "upgrade_campaign",
    "upgrade_value_arrays",
    "upgrade_values",
]

#: One grade up (冲A增B消C).  Grades not listed (A+, A, leading, ungraded) have no upgrade.
NEXT_GRADE: dict[str, str] = {"D": "C", "C": "B", "B-": "B", "B": "A", "non_leading": "leading"}
_DEFAULT_SHARES = tuple(round(s, 2) for s in np.arange(0.05, 0.5001, 0.05))


def next_grade(grade: str, graded_by: str | None = None) -> str | None:
    """The grade one step up, or None when there is none.

    Parameters
    ----------
    grade : str
        Current grade code (grades.csv).
    graded_by : str, optional
        The industry's ``graded_by`` (industries.csv): ``ABCD`` industries move D→C→B→A (B-→B),
        ``leading`` industries move 非引领性→引领性, ``none`` (not graded) have no upgrade.
    """
    up = NEXT_GRADE.get(str(grade))
    if up is None or graded_by is None:
        return up
    if graded_by == "none":
        return None
    if graded_by == "leading":
        return up if grade == "non_leading" else None
    return up if grade != "non_leading" else None


# --------------------------------------------------------------------------- helpers
def _options(prepared, options) -> dict:
    from planner.scenario.run import solver_options

    opts = solver_options(prepared.scenario) if prepared is not None else {}
    opts.update(options or {})
    return opts


def _solve(inputs: xr.Dataset, options: dict):
    from planner.optimize.model import solve

    return solve(inputs, options)


def _baselines(inputs: xr.Dataset) -> dict:
    try:
        from planner.optimize.baselines import run_baselines
    except ImportError:  # pragma: no cover - baselines not available
        return {}
    try:
        return {
            k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v))
            for k, v in run_baselines(inputs).items()
        }
    except Exception:  # pragma: no cover - a baseline failing must not stop the curve
        return {}


def _run_tasks(runner, fn, items, shared, label, progress):
    """``fn(shared, item)`` for every item, on ``runner`` (serially when None), in item order."""
    if runner is None:
        from planner.scale.runner import SerialRunner

        runner = SerialRunner()
    return runner.map(fn, items, shared=shared, label=label, progress=progress)


def _curve_point(shared, share: float) -> dict:
    """One point of the least-cost curve (a task: built and solved where it runs)."""
    base, totals, opts, baselines = shared
    one = base.copy()
    one["target"] = xr.DataArray(
        totals[None, :] * float(share),
        dims=("slot", "pollutant"),
        coords={"slot": one["slot"].values, "pollutant": list(POLLUTANTS)},
    )
    plan = _solve(one, opts)
    ok = plan.status == "optimal"
    row = {
        "share": float(share),
        "status": plan.status,
        "loss": float(plan.objective) if ok else None,
        "shortfall_max": float(np.nanmax(plan.shortfall.values)) if plan.shortfall is not None else None,
    }
    if baselines:
        b = _baselines(one)
        for k in ("uniform", "greedy", "rules_only"):
            row[k] = b.get(k)
    return row


def _budget_point(inputs, budget: float) -> dict:
    """One point of the budget curve (a task)."""
    r = max_reduction_under_budget(inputs, float(budget))
    return {"budget": float(budget), "status": r["status"], "fraction": r["fraction"], "loss": r["loss"]}


#: Per-row PlanInputs arrays an upgrade changes (the reduction offset moves with the floor).
_UPGRADE_VARS = ("floor", "ceiling", "reducible", "floor_reduction", "extra_reducible", "grade_rank")


def upgraded_one(inputs: xr.Dataset, after: dict[str, np.ndarray], e) -> xr.Dataset:
    """``inputs`` with the rows ``e`` (an index or an index array) taken from ``after``.

    Floor, ceiling, reducible, the reduction offset (``floor_reduction``, ``extra_reducible``: the new grade's
    floor measures at their own factors) and the grade rank, where both carry them.
    """
    from planner.optimize.inputs import OPTIONAL_VARS, PLAN_INPUT_VARS

    one = inputs.copy(deep=True)
    for var in _UPGRADE_VARS:
        if var not in after or var not in one:
            continue
        dims = {**PLAN_INPUT_VARS, **OPTIONAL_VARS}[var]  # the order of the ``after`` arrays
        arr = one[var].transpose(*dims).values.copy()
        arr[e] = np.asarray(after[var])[e]
        one[var] = (dims, arr)
    return one


def _upgrade_resolve(shared, e: int) -> tuple:
    """Re-solve the city with firm ``e`` upgraded alone (a task): (status, objective, firm loss)."""
    inputs, after, options = shared
    one = upgraded_one(inputs, after, e)
    plan = _solve(one, dict(options or {}))
    if plan.status != "optimal":
        return plan.status, None, None
    xa = plan.curtailment.transpose("enterprise", "slot").values
    loss = inputs["loss_at_full"].transpose("enterprise", "slot").values.astype(float)
    return plan.status, float(plan.objective), float((xa[e] * loss[e]).sum())


def daily_city_totals(prepared) -> np.ndarray:
    """The city's total emissions per pollutant in t/d (全社会排放总量 on the plan's daily basis, docs/UNITS.md).

    Shape (P,).
    """
    from planner.targets.reductions import read_city

    totals = (
        prepared.city.get("total_emissions_on_basis") or read_city(prepared.scenario.city)["total_emissions"]
    )
    return np.array([float(totals[p]) / 365.0 for p in POLLUTANTS])


def _slot_index(inputs: xr.Dataset, level: str | None, slot: str | None) -> int:
    slots = [str(s) for s in inputs["slot"].values]
    if slot is not None:
        return slots.index(str(slot))
    levels = [str(v) for v in inputs["level"].values]
    level = level or ("orange" if "orange" in levels else levels[0])
    if level not in levels:
        raise ValueError(f"no slot at level {level!r}; levels present: {', '.join(sorted(set(levels)))}")
    return levels.index(level)


def single_slot_inputs(inputs: xr.Dataset, index: int) -> xr.Dataset:
    """One slot of a PlanInputs, re-weighted to one day (loss per alert day).

    Unchained; a concentration goal is left out (its rows link days) and tonne targets it replaced come back.
    """
    from planner.optimize.airgoal import without_goal

    one = without_goal(inputs).isel(slot=[index]).copy(deep=True)
    days = float(one["days"].values[0]) or 1.0
    one["loss_at_full"] = one["loss_at_full"] / days
    one["credited_loss"] = one["credited_loss"] / days
    one["days"] = xr.ones_like(one["days"])
    one["chain"] = xr.full_like(one["chain"], -1)
    one["order"] = xr.zeros_like(one["order"])
    return one


def max_feasible_share(inputs: xr.Dataset, daily_totals: np.ndarray, index: int = 0) -> dict[str, float]:
    """Largest share of the city total each pollutant can reach at one slot, from the bounds alone.

    ``(credited + Σ_e removed(ceiling)) / daily_total`` with chain-propagated ceilings, where
    ``removed`` is the tonnes the model counts (:func:`planner.optimize.inputs.removed_tonnes`:
    ``floor_reduction + extra_reducible · (ceiling − floor)``) and menu firms count their best
    option (:func:`planner.optimize.menus.menu_reach`); fairness constraints (grade monotonicity,
    loss caps) may allow less.

    Returns
    -------
    dict
        Pollutant → share; key ``"all"`` is the minimum over pollutants (the share beyond which a
        target common to every pollutant becomes infeasible).
    """
    from planner.optimize.inputs import effective_bounds, removed_tonnes
    from planner.optimize.menus import menu_firm_mask, menu_reach

    _, hi = effective_bounds(inputs)
    menu = menu_firm_mask(inputs)
    cells = np.where(menu[:, None], 0.0, removed_tonnes(inputs, hi)[:, index, :])
    reach = inputs["credited"].transpose("slot", "pollutant").values[index] + cells.sum(axis=0)
    if menu.any():
        reach = reach + menu_reach(inputs)[index]
    out = {
        p: float(reach[j] / daily_totals[j]) if daily_totals[j] > 0 else math.inf
        for j, p in enumerate(POLLUTANTS)
    }
    out["all"] = min(out[p] for p in POLLUTANTS)
    return out


def feasibility_by_slot(prepared, daily_totals: np.ndarray | None = None) -> pd.DataFrame:
    """Largest achievable share of the city total per slot and pollutant, from the bounds alone.

    Returns
    -------
    pandas.DataFrame
        Index ``slot``; columns ``level``, one column per pollutant and ``all`` (their minimum), next
        to ``required`` (the slot's smallest target as a share of the city total).
    """
    inputs = prepared.inputs
    totals = daily_city_totals(prepared) if daily_totals is None else np.asarray(daily_totals, dtype=float)
    rows = []
    target = inputs["target"].transpose("slot", "pollutant").values
    for i, slot in enumerate(inputs["slot"].values):
        feas = max_feasible_share(inputs, totals, i)
        req = [target[i, j] / totals[j] for j in range(len(POLLUTANTS)) if totals[j] > 0]
        rows.append(
            {
                "slot": str(slot),
                "level": str(inputs["level"].values[i]),
                **feas,
                "required": max(req) if req else None,
            }
        )
    return pd.DataFrame(rows).set_index("slot")


# --------------------------------------------------------------------------- least-cost curve
def least_cost_curve(
    prepared,
    shares: Iterable[float] = _DEFAULT_SHARES,
    level: str | None = None,
    slot: str | None = None,
    options: dict | None = None,
    daily_totals: np.ndarray | None = None,
    baselines: bool = True,
    runner=None,
    progress=None,
) -> pd.DataFrame:
    """Minimum output loss per alert day against the required share of the city's emissions.

    For each share ``s`` the target of every pollutant at the chosen slot becomes
    ``s × city_total / 365`` (t/d); the slot's floors, ceilings and credited non-industrial measures
    stay as they are.  The scenario's model options (fairness, discrete lines) apply.

    Parameters
    ----------
    prepared : planner.scenario.run.Prepared
    shares : iterable of float
        Required shares (fractions), default 5 % … 50 % in steps of 5 %.
    level, slot : str, optional
        Which slot to sweep: the first slot of ``level`` (default orange, else the first slot), or
        the slot named ``slot``.
    options : dict, optional
        Solver options on top of the scenario's.
    daily_totals : numpy.ndarray, optional
        City totals in t/d per pollutant (default: from the scenario's city.yaml).
    baselines : bool, default True
        Also compute the uniform, greedy and rules-only baselines at each share.
    runner : planner.scale.runner.SerialRunner or DaskRunner, optional
        Runs one task per share (default: serially here); the rows are the same either way.
    progress : callable, optional
        ``progress(done, total, label)`` after each share.

    Returns
    -------
    pandas.DataFrame
        One row per share: ``share, status, loss, uniform, greedy, rules_only, shortfall_max``
        (losses 万元 per alert day; None where no plan meets the targets) with ``attrs``
        ``{"level", "slot", "max_feasible_share", "first_infeasible_share"}``.
    """
    inputs = prepared.inputs
    idx = _slot_index(inputs, level, slot)
    totals = daily_city_totals(prepared) if daily_totals is None else np.asarray(daily_totals, dtype=float)
    base = single_slot_inputs(inputs, idx)
    opts = _options(prepared, options)
    shared = (base, np.asarray(totals, dtype=float), opts, bool(baselines))
    rows = _run_tasks(runner, _curve_point, [float(s) for s in shares], shared, "curve", progress)
    df = pd.DataFrame(rows)
    feas = max_feasible_share(base, totals, 0)
    bad = df.loc[df["status"] != "optimal", "share"]
    df.attrs.update(
        {
            "level": str(inputs["level"].values[idx]),
            "slot": str(inputs["slot"].values[idx]),
            "max_feasible_share": feas["all"],
            "max_feasible_share_by_pollutant": {p: feas[p] for p in POLLUTANTS},
            "first_infeasible_share": float(bad.min()) if len(bad) else None,
        }
    )
    return df


# --------------------------------------------------------------------------- inverse: budget
def max_reduction_under_budget(inputs: xr.Dataset, budget: float, pollutant: str | None = None) -> dict:
    """Largest fraction of every target that a loss budget can buy (the inverse of the plan).

    Solves ``max t`` subject to ``credited + Σ_e removed(x) ≥ t · target`` for every slot and
    pollutant with a positive target, ``Σ loss_at_full·x + Σ credited_loss ≤ budget``, the
    (chain-propagated) floors and ceilings and the non-decreasing chains.  ``t = 1`` means the
    targets are met exactly; ``t`` may exceed 1 when the budget allows more.  With ``pollutant``
    the LP instead maximises the tonnes of that pollutant removed (t/d × the days each slot
    stands for), and ``fraction`` reports the smallest achieved/target ratio of the result.
    The LP is the plan's own model (:func:`planner.optimize.blocks.build_model` with a budget),
    compiled and solved like every plan.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs (see docs/ARCHITECTURE.md).
    budget : float
        Total output loss allowed (万元, same units as ``loss_at_full``).
    pollutant : {"SO2", "NOx", "PM", "VOCs"}, optional
        Maximise this pollutant's removed tonnes instead of the common fraction of the targets.

    Returns
    -------
    dict
        ``status`` ("optimal" or "infeasible" — the budget is below the rules-only loss),
        ``fraction`` (t), ``loss`` (万元), ``rules_only_loss``, ``achieved`` (DataFrame slot ×
        pollutant, t/d), ``curtailment`` (DataArray enterprise × slot).
    """
    from planner.optimize.blocks import CURTAILMENT, build_model
    from planner.optimize.inputs import effective_bounds, removed_tonnes
    from planner.optimize.model import compile_and_solve
    from planner.optimize.options import SolveOptions
    from planner.optimize.transforms import recover, substitute_chains

    if pollutant is not None and pollutant not in POLLUTANTS:
        raise ValueError(f"unknown pollutant {pollutant!r}; one of {', '.join(POLLUTANTS)}")
    lo, hi = effective_bounds(inputs)
    E, S = lo.shape
    loss = inputs["loss_at_full"].transpose("enterprise", "slot").values.astype(float)
    target = inputs["target"].transpose("slot", "pollutant").values.astype(float)
    credited = inputs["credited"].transpose("slot", "pollutant").values.astype(float)
    fixed = float(inputs["credited_loss"].values.sum())
    rules_only = float((lo * loss).sum()) + fixed
    slots = [str(s) for s in inputs["slot"].values]
    if budget < rules_only - 1e-9:
        return {
            "status": "infeasible",
            "fraction": None,
            "loss": None,
            "rules_only_loss": rules_only,
            "achieved": None,
            "curtailment": None,
            "message": f"budget {budget:,.1f} is below the loss of the rule floors alone ({rules_only:,.1f})",
        }
    options = SolveOptions(allow_shortfall=False)
    jp = None if pollutant is None else POLLUTANTS.index(pollutant)
    m, _d = build_model(inputs, options, budget=float(budget) - fixed, pollutant=jp)
    substitute_chains(m)
    sol = compile_and_solve(m, options, presolve=False)
    if sol.state != "optimal" or sol.values is None:
        return {
            "status": "error",
            "fraction": None,
            "loss": None,
            "rules_only_loss": rules_only,
            "achieved": None,
            "curtailment": None,
            "message": f"solver status {sol.state}: " + "; ".join(sol.messages),
        }
    xv = np.clip(recover(m, sol.values[CURTAILMENT]).reshape(E, S), lo, hi)
    achieved = credited + removed_tonnes(inputs, xv).sum(axis=0)  # the tonnes the model counts
    if pollutant is None:
        fraction = float(sol.values["Target-fraction"][0])
    else:
        pos = target > 0
        fraction = float((achieved[pos] / target[pos]).min()) if pos.any() else None
    return {
        "status": "optimal",
        "fraction": fraction,
        "loss": float((xv * loss).sum()) + fixed,
        "rules_only_loss": rules_only,
        "achieved": pd.DataFrame(achieved, index=pd.Index(slots, name="slot"), columns=list(POLLUTANTS)),
        "curtailment": xr.DataArray(
            xv,
            dims=("enterprise", "slot"),
            coords={"enterprise": inputs["enterprise"].values, "slot": inputs["slot"].values},
        ),
        "message": "",
    }


def budget_curve(inputs: xr.Dataset, budgets: Sequence[float], runner=None, progress=None) -> pd.DataFrame:
    """:func:`max_reduction_under_budget` for several budgets: ``budget, status, fraction, loss``.

    ``runner`` runs one task per budget (default serially); ``progress(done, total, label)``.
    """
    rows = _run_tasks(runner, _budget_point, [float(b) for b in budgets], inputs, "budget", progress)
    return pd.DataFrame(rows, columns=["budget", "status", "fraction", "loss"])


# --------------------------------------------------------------------------- upgrade value
def upgrade_value_arrays(
    inputs: xr.Dataset,
    curtailment: np.ndarray,
    objective: float | None,
    after: dict[str, np.ndarray],
    candidates: np.ndarray,
    resolve: Iterable[int] = (),
    options: dict | None = None,
    runner=None,
    progress=None,
) -> pd.DataFrame:
    """Value of upgrading single enterprises, on arrays.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs of the scenario as it is.
    curtailment : numpy.ndarray, shape (E, S)
        The scenario's optimal plan.
    objective : float or None
        Its total loss (万元); None when the scenario has no optimal plan.
    after : dict of numpy.ndarray
        ``floor`` (E, S), ``ceiling`` (E, S), ``reducible`` (E, S, P) and optionally
        ``floor_reduction``, ``extra_reducible`` (E, S, P: the reduction offset of the new grade's
        floor measures, carried with the floor so the re-solve counts the new grade's tonnes) and
        ``grade_rank`` (E): the inputs every firm would have after its own upgrade (rows of firms
        without an upgrade are ignored).
    candidates : numpy.ndarray of int
        Positions of the firms to value.
    resolve : iterable of int
        Positions (a subset of ``candidates``) for which the city's plan is re-solved with that
        firm upgraded alone.
    options : dict, optional
        Model options for the re-solves.
    runner, progress : optional
        One task per re-solved firm (:mod:`planner.scale.runner`); default serially.

    Returns
    -------
    pandas.DataFrame
        Indexed by position: ``rule_loss_before``, ``rule_loss_after``, ``firm_saving`` (= before −
        after: the loss its mandatory measures cost it per season, before and after the upgrade),
        ``plan_loss_before`` (its loss in the optimal plan), and for re-solved firms
        ``city_loss_after``, ``city_saving`` (optimal total before − after; NaN when the upgraded
        city cannot meet its targets), ``firm_loss_after`` (its loss in the re-solved plan),
        ``status_after``.
    """
    candidates = np.asarray(candidates, dtype=int)
    loss = inputs["loss_at_full"].transpose("enterprise", "slot").values.astype(float)
    floor_b = inputs["floor"].transpose("enterprise", "slot").values.astype(float)
    floor_a = np.asarray(after["floor"], dtype=float)
    x = np.asarray(curtailment, dtype=float)
    rule_b = (floor_b * loss).sum(axis=1)
    rule_a = (floor_a * loss).sum(axis=1)
    plan_b = np.nan_to_num(x * loss).sum(axis=1)
    df = pd.DataFrame(
        {
            "rule_loss_before": rule_b[candidates],
            "rule_loss_after": rule_a[candidates],
            "firm_saving": (rule_b - rule_a)[candidates],
            "plan_loss_before": plan_b[candidates],
            "city_loss_after": np.nan,
            "city_saving": np.nan,
            "firm_loss_after": np.nan,
            "status_after": None,
        },
        index=pd.Index(candidates, name="position"),
    )
    df["status_after"] = df["status_after"].astype(object)
    resolve = [int(e) for e in resolve]
    shared = (inputs, after, dict(options or {}))
    results = _run_tasks(runner, _upgrade_resolve, resolve, shared, "upgrades", progress)
    for e, (status, city_after, firm_after) in zip(resolve, results, strict=True):
        df.loc[e, "status_after"] = status
        if city_after is not None:
            df.loc[e, "city_loss_after"] = city_after
            df.loc[e, "firm_loss_after"] = firm_after
            if objective is not None:
                df.loc[e, "city_saving"] = float(objective) - city_after
    return df


def _upgraded_inputs(prepared, ids: Sequence[str] | None):
    """The table with every eligible (or chosen) firm one grade up, and the inputs that follow."""
    from planner import DATA_DIR
    from planner.policy.measures import evaluate_measures, load_measures
    from planner.policy.vocabulary import grades, industries
    from planner.scenario.run import apply_bound_overrides, build_inputs

    table = prepared.table
    graded_by = table["industry"].astype(str).map(industries()["graded_by"].astype(str).to_dict())
    up = np.array(
        [next_grade(g, gb) for g, gb in zip(table["grade"].astype(str), graded_by, strict=True)], dtype=object
    )
    eligible = np.array([u is not None for u in up])
    if ids is not None:
        chosen = table.index.astype(str).isin([str(i) for i in ids])
        eligible &= chosen
    g = grades()
    new = table.copy()
    pos = np.flatnonzero(eligible)
    if len(pos):
        if isinstance(new["grade"].dtype, pd.CategoricalDtype):
            new["grade"] = new["grade"].astype(str)
        new_grades = up[pos].astype(str)
        col = new.columns.get_loc
        new.iloc[pos, col("grade")] = new_grades
        if "self_directed" in new:
            new.iloc[pos, col("self_directed")] = g.loc[new_grades, "self_directed"].map(_truthy).to_numpy()
        if "grade_rank" in new:
            new.iloc[pos, col("grade_rank")] = g.loc[new_grades, "rank"].astype(int).to_numpy()
    scen = prepared.scenario
    book = load_measures(scen.measures or DATA_DIR / "policy" / "measures")
    bounds = evaluate_measures(new, book, allow_volunteer=bool(scen.options.get("allow_volunteer")))
    bounds = apply_bound_overrides(bounds, scen.enterprises)
    inp = prepared.inputs
    units = None
    if getattr(prepared, "unit_table", None) is not None:  # firms with lines: the same decision units
        from planner.policy.measures import evaluate_units

        units = evaluate_units(new, prepared.unit_table, bounds, book)
    after = build_inputs(
        new,
        bounds,
        prepared.slots,
        inp["target"].values,
        inp["credited"].values,
        inp["credited_loss"].values,
        toggle_allowed=bool(scen.options.get("toggle_allowed")),
        units=units,
        unit_table=prepared.unit_table if units is not None else None,
    )
    return new, bounds, after, up, eligible


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("yes", "true", "1", "y")


def upgrade_values(
    result,
    enterprise_ids: Sequence[str] | None = None,
    top: int = 5,
    resolve_ids: Sequence[str] | None = None,
    options: dict | None = None,
    runner=None,
    progress=None,
) -> pd.DataFrame:
    """Ranked value of a one-grade upgrade per enterprise (冲A增B消C).

    Parameters
    ----------
    result : planner.scenario.run.PlanResult
        A solved scenario.
    enterprise_ids : sequence of str, optional
        Firms to value (default: every firm that has a grade to move up to).
    top : int, default 5
        Re-solve the city's plan for the ``top`` firms with the largest firm-level saving.
    resolve_ids : sequence of str, optional
        Re-solve for exactly these firms instead of the top N.
    options : dict, optional
        Model options on top of the scenario's.
    runner, progress : optional
        One task per re-solved firm (:mod:`planner.scale.runner`); default serially.

    Returns
    -------
    pandas.DataFrame
        Index ``enterprise_id``; ``name, county, industry, grade, grade_after`` and the columns of
        :func:`upgrade_value_arrays`; ranked by ``firm_saving`` (largest first).  Losses 万元 per
        season (list mode) or per episode.
    """
    prepared = result.prepared
    inp = prepared.inputs
    _, _, after, up, eligible = _upgraded_inputs(prepared, enterprise_ids)
    cand = np.flatnonzero(eligible)
    after_arrays = {
        "floor": after["floor"].transpose("enterprise", "slot").values,
        "ceiling": after["ceiling"].transpose("enterprise", "slot").values,
        "reducible": after["reducible"].transpose("enterprise", "slot", "pollutant").values,
        "grade_rank": after["grade_rank"].values,
    }
    for var in ("floor_reduction", "extra_reducible"):  # the new grade's floor measures and factors
        if var in after:
            after_arrays[var] = after[var].transpose("enterprise", "slot", "pollutant").values
    loss = inp["loss_at_full"].transpose("enterprise", "slot").values
    floor_b = inp["floor"].transpose("enterprise", "slot").values
    saving = ((floor_b - after_arrays["floor"]) * loss).sum(axis=1)
    ids = inp["enterprise"].values.astype(str)
    if resolve_ids is not None:
        wanted = {str(i) for i in resolve_ids}
        resolve = [int(e) for e in cand if ids[e] in wanted]
    else:
        resolve = [int(e) for e in cand[np.argsort(-saving[cand], kind="stable")][: max(0, int(top))]]
    x = result.plan.curtailment.transpose("enterprise", "slot").values
    objective = result.summary.get("objective") if result.status == "optimal" else None
    df = upgrade_value_arrays(
        inp, x, objective, after_arrays, cand, resolve, _options(prepared, options), runner, progress
    )
    table = prepared.table
    meta = pd.DataFrame(
        {
            "enterprise_id": ids[cand],
            "name": table["name"].astype(str).to_numpy()[cand] if "name" in table else "",
            "county": table["county"].astype(str).to_numpy()[cand] if "county" in table else "",
            "industry": table["industry"].astype(str).to_numpy()[cand],
            "grade": table["grade"].astype(str).to_numpy()[cand],
            "grade_after": up[cand].astype(str),
        },
        index=df.index,
    )
    out = pd.concat([meta, df], axis=1).set_index("enterprise_id")
    return out.sort_values(["firm_saving", "city_saving"], ascending=[False, False], kind="stable")


def upgrade_campaign(result, enterprise_ids: Sequence[str], options: dict | None = None) -> dict:
    """Upgrade a set of firms together (e.g. a county's carbon cluster) and re-solve the city once.

    Returns
    -------
    dict
        ``{"firms", "upgraded" (list of (id, grade, grade_after)), "firm_saving" (sum of rule-floor
        savings), "city_loss_before", "city_loss_after", "city_saving", "status_after"}``.
    """
    prepared = result.prepared
    inp = prepared.inputs
    _, _, after, up, eligible = _upgraded_inputs(prepared, enterprise_ids)
    one = inp.copy(deep=True)
    for var in _UPGRADE_VARS:  # the reduction offset moves with the floors
        if var in after and var in inp:
            one[var] = after[var].transpose(*inp[var].dims)
    plan = _solve(one, _options(prepared, options))
    loss = inp["loss_at_full"].transpose("enterprise", "slot").values
    floor_b = inp["floor"].transpose("enterprise", "slot").values
    floor_a = after["floor"].transpose("enterprise", "slot").values
    before = result.summary.get("objective") if result.status == "optimal" else None
    ids = inp["enterprise"].values.astype(str)
    grade = prepared.table["grade"].astype(str).to_numpy()
    return {
        "firms": int(eligible.sum()),
        "upgraded": [(str(ids[e]), str(grade[e]), str(up[e])) for e in np.flatnonzero(eligible)],
        "firm_saving": float(((floor_b - floor_a) * loss)[eligible].sum()),
        "city_loss_before": before,
        "city_loss_after": float(plan.objective) if plan.status == "optimal" else None,
        "city_saving": (before - float(plan.objective))
        if (before is not None and plan.status == "optimal")
        else None,
        "status_after": plan.status,
    }


# --------------------------------------------------------------------------- effectiveness
def measure_effectiveness(result) -> dict[str, pd.DataFrame]:
    """How effective the plan's measures are, and where each target's reductions come from.

    Parameters
    ----------
    result : planner.scenario.run.PlanResult

    Returns
    -------
    dict of pandas.DataFrame
        ``"by_group"``: one row per industry × measure type with ``firms``, ``loss`` (万元),
        where the cuts the optimizer added above the rule floors form the type ``optimizer_extra``;
        ``reduction_<P>`` (tonne-days: t/d × the days each slot stands for), ``t_per_10k_<P>``
        (tonnes removed per 万元 of output lost) and ``target_share_per_10k`` (share of the
        targets met per 万元, summed over pollutants);
        ``"sources"``: one row per slot × pollutant with ``target``, ``credited``, ``floor``
        (reductions from the rule floors: the floor measures' own tonnes, ``floor_reduction_P`` of
        the schedule), ``optimizer`` (the rest of what the cells remove: the cuts the optimizer
        added above the floors) in t/d and the shares of the target each covers.
    """
    sched = result.schedule
    inp = result.prepared.inputs
    days = pd.Series(inp["days"].values.astype(float), index=inp["slot"].values.astype(str))
    d = sched["slot"].astype(str).map(days).to_numpy()
    table = result.prepared.table
    industry = sched["enterprise_id"].astype(str).map(table["industry"].astype(str).to_dict())
    target = pd.DataFrame(
        inp["target"].transpose("slot", "pollutant").values, index=days.index, columns=list(POLLUTANTS)
    )
    x = sched["curtailment"].astype(float).to_numpy()
    fl = np.minimum(sched["floor"].astype(float).to_numpy(), x)
    extra = np.maximum(x - fl, 0.0)
    # split each firm × slot into its rule-floor part (credited to the measure type) and the part the
    # optimizer added above the floor (type "optimizer_extra"): the loss is linear in x; the tonnes
    # are the floor measures' own (floor_reduction_P) and the rest of what the cell removes (the
    # offset of the model); a menu firm's option tonnes (or inputs without the offset) split by x
    tonnes = {p: sched[f"reduction_{p}"].astype(float).to_numpy() for p in POLLUTANTS}
    at_floor = {}
    menu_row = (sched["measure_type"].astype(str) == "menu").to_numpy()
    for p in POLLUTANTS:
        prop = tonnes[p] * np.divide(fl, x, out=np.zeros_like(x), where=x > 0)
        if f"floor_reduction_{p}" in sched:
            own = np.minimum(sched[f"floor_reduction_{p}"].astype(float).to_numpy(), tonnes[p])
            at_floor[p] = np.where(menu_row, prop, np.where(x > 0, own, 0.0))
        else:
            at_floor[p] = prop
    parts = []
    for part, share in (("floor", fl), ("extra", extra)):
        frac = np.divide(share, x, out=np.zeros_like(x), where=x > 0)
        mtype = (
            sched["measure_type"].astype(str).to_numpy()
            if part == "floor"
            else np.full(len(x), "optimizer_extra")
        )
        g = pd.DataFrame(
            {
                "industry": industry.to_numpy(),
                "measure_type": mtype,
                "enterprise_id": sched["enterprise_id"].astype(str).to_numpy(),
                "loss": sched["output_loss"].astype(float).to_numpy() * frac,
            }
        )
        share_sum = np.zeros(len(sched))
        for p in POLLUTANTS:
            red = at_floor[p] if part == "floor" else tonnes[p] - at_floor[p]
            g[f"reduction_{p}"] = red * d
            t = sched["slot"].astype(str).map(target[p]).to_numpy()
            share_sum += np.where(t > 0, red / np.where(t > 0, t, 1.0), 0.0) * d
        g["target_share_days"] = share_sum
        parts.append(g[g["loss"] > 0])
    g = pd.concat(parts, ignore_index=True)
    agg = g.groupby(["industry", "measure_type"]).agg(
        firms=("enterprise_id", "nunique"),
        loss=("loss", "sum"),
        **{f"reduction_{p}": (f"reduction_{p}", "sum") for p in POLLUTANTS},
        target_share_days=("target_share_days", "sum"),
    )
    for p in POLLUTANTS:
        agg[f"t_per_10k_{p}"] = agg[f"reduction_{p}"] / agg["loss"]
    agg["target_share_per_10k"] = agg["target_share_days"] / agg["loss"]
    agg = (
        agg.drop(columns="target_share_days")
        .sort_values("target_share_per_10k", ascending=False)
        .reset_index()
    )

    rows = []
    credited = inp["credited"].transpose("slot", "pollutant").values
    for i, slot in enumerate(days.index):
        m = (sched["slot"].astype(str) == slot).to_numpy()
        for j, p in enumerate(POLLUTANTS):
            f_part = float(at_floor[p][m].sum())
            o_part = float((tonnes[p][m] - at_floor[p][m]).sum())
            t = float(target.loc[slot, p])
            rows.append(
                {
                    "slot": slot,
                    "level": str(inp["level"].values[i]),
                    "pollutant": p,
                    "target": t,
                    "credited": float(credited[i, j]),
                    "floor": f_part,
                    "optimizer": o_part,
                    "credited_share": credited[i, j] / t if t > 0 else None,
                    "floor_share": f_part / t if t > 0 else None,
                    "optimizer_share": o_part / t if t > 0 else None,
                }
            )
    return {"by_group": agg, "sources": pd.DataFrame(rows)}


# --------------------------------------------------------------------------- command line
def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append(
            {
                k: (
                    None
                    if isinstance(v, float) and math.isnan(v)
                    else (v.item() if isinstance(v, np.generic) else v)
                )
                for k, v in rec.items()
            }
        )
    return out


def report(
    result,
    shares: Iterable[float] = _DEFAULT_SHARES,
    level: str | None = None,
    top: int = 5,
    budgets: Sequence[float] | None = None,
    runner=None,
    progress=None,
) -> dict:
    """Every analysis of a solved scenario as one JSON-ready document.

    Keys: ``scenario``, ``status``, ``objective``; ``curve`` (rows of :func:`least_cost_curve`) with
    ``curve_level``, ``max_feasible_share``, ``first_infeasible_share``; ``feasibility`` (rows of
    :func:`feasibility_by_slot`); ``budget`` (rows of
    :func:`budget_curve`, default budgets: 50 %…150 % of the plan's loss); ``upgrades`` (the top
    rows of :func:`upgrade_values`); ``effectiveness`` and ``sources`` (:func:`measure_effectiveness`).

    ``runner`` (:func:`planner.scale.runner.runner`) runs the sweeps - curve points, budgets,
    upgrade re-solves - as tasks; the document is the same as the serial one, byte for byte once
    dumped.  ``progress(done, total, label)`` is called after each task.
    ``planner analyze`` adds ``air_quality`` (:func:`planner.airquality.analysis.air_report`).
    """
    curve = least_cost_curve(result.prepared, shares=shares, level=level, runner=runner, progress=progress)
    objective = result.summary.get("objective")
    if budgets is None:
        ref = objective if objective else 1.0
        budgets = [ref * f for f in (0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5)]
    ups = upgrade_values(result, top=top, runner=runner, progress=progress)
    eff = measure_effectiveness(result)
    return {
        "scenario": result.summary.get("scenario"),
        "status": result.status,
        "objective": objective,
        "curve_level": curve.attrs["level"],
        "max_feasible_share": curve.attrs["max_feasible_share"],
        "max_feasible_share_by_pollutant": curve.attrs["max_feasible_share_by_pollutant"],
        "first_infeasible_share": curve.attrs["first_infeasible_share"],
        "feasibility": _records(feasibility_by_slot(result.prepared).reset_index()),
        "curve": _records(curve),
        "budget": _records(budget_curve(_tonne_inputs(result.prepared.inputs), budgets, runner, progress)),
        "upgrades": _records(ups.head(max(top, 10)).reset_index()),
        "effectiveness": _records(eff["by_group"]),
        "sources": _records(eff["sources"]),
    }


def _tonne_inputs(inputs):
    """The PlanInputs of the shares' tonne targets (a concentration goal left out)."""
    from planner.optimize.airgoal import without_goal

    return without_goal(inputs)


def report_text(doc: dict) -> str:
    def f(v, spec=",.1f"):
        return "—" if v is None else format(v, spec)

    lines = [
        f"scenario {doc['scenario']}: {doc['status']}, total output loss {f(doc['objective'])} 万元",
        f"least-cost curve at {doc['curve_level']} (万元 per alert day); targets infeasible beyond "
        f"{100 * doc['max_feasible_share']:.1f} % of the city total (bounds alone)",
        f"{'share':>6} {'status':>11} {'optimal':>12} {'uniform':>12} {'greedy':>12} {'rules only':>12}",
    ]
    for r in doc["curve"]:
        lines.append(
            f"{100 * r['share']:>5.0f}% {r['status']:>11} {f(r['loss']):>12} {f(r.get('uniform')):>12} "
            f"{f(r.get('greedy')):>12} {f(r.get('rules_only')):>12}"
        )
    lines.append("largest share of the city total the bounds allow, per slot (all pollutants / required)")
    for r in doc["feasibility"]:
        lines.append(
            f"  {r['slot']:<12} {r['level']:<7} {100 * r['all']:6.1f} %  (required {100 * (r['required'] or 0):.1f} %)"
        )
    lines.append("max share of every target under a loss budget")
    for r in doc["budget"]:
        got = (
            f"{100 * r['fraction']:.1f} %"
            if r["fraction"] is not None
            else "below the loss of the rule floors alone"
            if r["status"] == "infeasible"
            else r["status"]
        )
        lines.append(f"  budget {f(r['budget']):>12} 万元 → {got}")
    lines.append("value of a one-grade upgrade (万元 per season; city = change of the optimal total)")
    for r in doc["upgrades"]:
        lines.append(
            f"  {r['enterprise_id']} {r['name']} ({r['industry']}, {r['county']}) {r['grade']}→{r['grade_after']}: "
            f"firm {f(r['firm_saving'])}, city "
            + (
                f(r["city_saving"])
                if r["city_saving"] is not None
                else "not re-solved"
                if r["status_after"] is None
                else f"— (the upgraded city is {r['status_after']})"
            )
        )
    lines.append("measure effectiveness (share of the targets met per 万元, ×1000)")
    for r in doc["effectiveness"][:15]:
        lines.append(
            f"  {r['industry']:<20} {r['measure_type']:<18} {1000 * r['target_share_per_10k']:.3f}"
            f"  loss {f(r['loss'])}"
        )
    lines.append("where the reductions come from (share of target: credited / rule floors / optimizer)")
    for r in doc["sources"]:
        if r["floor_share"] is not None:
            lines.append(
                f"  {r['slot']:<12} {r['pollutant']:<5} {100 * r['credited_share']:6.1f} % "
                f"{100 * r['floor_share']:6.1f} % {100 * r['optimizer_share']:6.1f} %"
            )
    return "\n".join(lines)
