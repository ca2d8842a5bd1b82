"""Solve the curtailment model and return a verified :class:`Plan`.

:func:`solve` builds the model once (:func:`planner.optimize.blocks.build_model`), applies the
exact chain rewrite for LPs (:mod:`planner.optimize.transforms`), compiles it with the chosen
adapter — highspy arrays (``backend="highs"``, default) or PuLP (``backend="pulp"``, solver HiGHS
in-process or CBC) — and turns the per-block :class:`planner.optimize.linear.Solution` into a
:class:`Plan`, which the independent verifier (:func:`planner.optimize.verify.verify_plan`) checks
block by block.  ``Plan.duals`` are 万元 per tonne removed (``∂ objective / ∂ target[s, p]``
divided by ``days[s]``).
"""

from __future__ import annotations

import math
import time
from functools import partial

import numpy as np
import xarray as xr

from planner import POLLUTANTS
from planner.optimize import decomposition, verify
from planner.optimize.baselines import greedy
from planner.optimize.direct import RawResult, compile_and_solve, run_direct, use_presolve
from planner.optimize.inputs import (
    BOUND_TOL,
    check_plan_inputs,
    effective_bounds,
    line_columns,
    non_industrial_arrays,
    reduction_terms,
    rule_floor,
)
from planner.optimize.menus import menu_firm_mask, menu_outcome, menu_reach
from planner.optimize.options import STATUSES, SolveOptions
from planner.optimize.restarts import restart_cost_of
from planner.optimize.result import Plan

__all__ = ["STATUSES", "Plan", "RawResult", "SolveOptions", "compile_and_solve", "solve", "use_presolve"]

# the direct model (build, rewrite, compile, solve) lives in planner.optimize.direct, which the
# decomposition uses too; RawResult, compile_and_solve and use_presolve stay importable from here


def _run_decomposed(
    inputs: xr.Dataset, options: SolveOptions, shortfall_everywhere: bool = False, *, warm_start, path: dict
) -> tuple[RawResult, float]:
    """:func:`planner.optimize.decomposition.solve_decomposed` as a :class:`RawResult`.

    The direct model when the decomposition fails (``path`` records why).
    """
    r: decomposition.Decomposed | None
    try:
        r = decomposition.solve_decomposed(
            inputs, options, decomposition.warm_multipliers(warm_start), shortfall_everywhere
        )
    except Exception as exc:
        r = None
        why = f"{type(exc).__name__}: {exc}"
    else:
        why = "; ".join(r.messages)
    if r is None or r.state == "error":
        path.update(method="direct", reason=f"the decomposition failed ({why}); solved directly")
        return run_direct(inputs, options, shortfall_everywhere)
    path.update(decomposition.path_stats(r))
    t = r.stats["timings"]
    raw = RawResult(
        r.x,
        r.state,
        np.abs(r.lam),
        0.0 if r.x is not None else float("nan"),
        "highs-decomposition",
        list(r.messages),
        t.get("total", t["setup"]) - t["setup"],
        list(r.stats["blocks"]),
        r.ni,
    )
    return raw, t["setup"]


def solve(inputs: xr.Dataset, options: SolveOptions | dict | None = None, warm_start=None, **kw) -> Plan:
    """Optimise curtailment at minimum output loss and return a verified :class:`Plan`.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs.
    options : SolveOptions or dict, optional
        See :class:`SolveOptions`; keywords override.
    warm_start : Plan or array_like (slot, pollutant), optional
        A previous plan (or its ``multipliers``) of a similar model: the decomposition starts from
        its target duals (re-solves after an edit, sweeps).  The direct model ignores it.

    Returns
    -------
    Plan
        Never raises for solver trouble: time limits and solver failures become statuses
        "time_limit" / "error" with ``messages``.  Bad inputs raise
        :class:`planner.problems.InputError`.
    """
    options = SolveOptions.from_any(options, **kw)
    check_plan_inputs(inputs)
    t0 = time.perf_counter()
    path = decomposition.choose(inputs, options, decomposition.warm_multipliers(warm_start) is not None)
    run = run_direct
    if path["method"] == "decomposition":
        run = partial(_run_decomposed, warm_start=warm_start, path=path)
    try:
        raw, t_build = run(inputs, options)
        if raw.state == "infeasible" and options.allow_shortfall:
            # a reachable-by-bounds target is out of reach under the other constraints
            raw2, t2 = run(inputs, options, shortfall_everywhere=True)
            raw2.messages = [
                "targets reachable by the bounds alone are out of reach under the fairness "
                "or whole-line constraints; re-solved with shortfall on every target",
                *raw2.messages,
            ]
            raw2.solve_seconds += raw.solve_seconds
            if raw2.state == "infeasible":
                raw2.messages.append(
                    "even with shortfall on every target the constraints contradict each "
                    "other: the floors, chains, grade monotonicity or loss caps cannot all "
                    "hold (e.g. a firm's floor loss above its loss cap)"
                )
            raw, t_build = raw2, t_build + t2
        if raw.x is None and raw.state == "time_limit":
            _greedy_fallback(inputs, options, raw)
    except Exception as exc:
        S = inputs.sizes["slot"]
        raw = RawResult(
            None,
            "error",
            np.full((S, len(POLLUTANTS)), np.nan),
            float("nan"),
            f"{options.backend}",
            [f"solver failed: {type(exc).__name__}: {exc}"],
            time.perf_counter() - t0,
        )
        t_build = 0.0
    plan = finish_plan(inputs, options, raw, t_build)
    plan.solver_path = path
    return plan


def _greedy_fallback(inputs: xr.Dataset, options: SolveOptions, raw: RawResult) -> None:
    """After a time limit without any solution, hand back the greedy baseline's plan.

    Only where that plan is feasible for the model: continuous shares, no fairness option and no
    measure menus nor ensemble chance constraint.
    The status stays "time_limit"; a message says the plan is the greedy baseline.
    """
    if (
        options.discrete
        or options.grade_monotonicity
        or options.county_loss_cap is not None
        or options.firm_loss_cap is not None
        or menu_firm_mask(inputs).any()  # a menu firm's cut must be one of its options
        or "member_target" in inputs  # the greedy plan knows nothing of the ensemble chance rows
    ):
        return
    g = greedy(inputs)
    if g is not None and g.meets_targets:
        raw.x = g.curtailment
        raw.messages.append(
            "no solver solution within the time limit: the plan is the greedy "
            "(least loss per tonne) baseline, feasible but not optimal"
        )


def _air_goal_outcome(inputs: xr.Dataset, plan: Plan, raw: RawResult, options: SolveOptions) -> None:
    """``plan.air_goal`` (achieved ΔPM2.5, shortfall, marginal loss per µg/m³).

    An unmet goal makes an optimal plan infeasible, with one message per day and receptor (required,
    reachable).
    """
    from planner.optimize.airgoal import diagnosis, goal_outcome

    x = plan.curtailment.transpose("enterprise", "slot").values
    ni = None if plan.non_industrial is None else plan.non_industrial.transpose("measure", "slot").values
    out = goal_outcome(inputs, x, ni, raw.goal_duals, raw.goal_reach, options.shortfall_tol)
    plan.air_goal = out
    found = diagnosis(out)
    if found:
        if plan.status == "optimal":
            plan.status = "infeasible"
        plan.messages.extend(found)


#: The reason of a cell (``Plan.reason``), by code; the array is built once from codes (a nested
#: ``np.where`` on texts makes one 13-character copy per level: 300,000 × 7 cells, ~110 MB each).
REASONS = np.array(["floor", "optimizer", "menu", "exempt", "self_directed", ""])
_FLOOR, _OPTIMIZER, _MENU, _EXEMPT, _SELF_DIRECTED, _NONE = range(len(REASONS))


def zero_reason(inputs: xr.Dataset) -> np.ndarray:
    """Reason code of a cell whose ceiling is 0 (an index into :data:`REASONS`).

    Per enterprise (E, 1): "self_directed" for A/A+/引领性 firms (自主减排, never called exempt), "exempt" otherwise
    (exempt, heating boilers, no room).
    """
    E = inputs.sizes["enterprise"]
    sd = np.asarray(inputs["self_directed"].values, bool) if "self_directed" in inputs else np.zeros(E, bool)
    return np.where(sd, _SELF_DIRECTED, _EXEMPT).astype(np.int8)[:, None]


def finish_plan(inputs: xr.Dataset, options: SolveOptions, raw: RawResult, t_build: float) -> Plan:
    """Turn a backend's raw result into a :class:`Plan` (shortfall, status, reasons, verification)."""
    E, S = inputs.sizes["enterprise"], inputs.sizes["slot"]
    ent, slot, pol = inputs["enterprise"], inputs["slot"], inputs["pollutant"]
    target = inputs["target"].values.astype(float)
    credited = inputs["credited"].values.astype(float)
    menu_firms = menu_firm_mask(inputs) if raw.menu is not None else np.zeros(E, bool)
    # reductions are Σ red·x + const (the floor offset); menu firms remove their menu's tonnes
    red, const = reduction_terms(inputs, exclude=menu_firms)
    credited = credited + const
    floor = inputs["floor"].values.astype(float)
    ceiling = inputs["ceiling"].values.astype(float)
    ni_red, ni_cost, _, ni_names = non_industrial_arrays(inputs)
    lo_e, hi = effective_bounds(inputs)
    hi_e = hi
    if options.discrete:  # whole lines: the largest reachable share is the ceiling rounded down
        cols = line_columns(inputs, lo_e, hi, True)
        hi = np.where(cols.integer, cols.col_hi * cols.scale, hi)
        lo_e = np.where(cols.integer, cols.col_lo * cols.scale, lo_e)  # floors rounded up to lines
    menu_best = menu_reach(inputs) if menu_firms.any() else 0.0
    lo_e = rule_floor(inputs, lo_e, hi_e)  # line stops: the rule's cheapest lines count as the floor
    with np.errstate(divide="ignore", invalid="ignore"):
        max_share = np.where(
            target > 0,
            (credited + np.einsum("es,esp->sp", hi, red) + ni_red.sum(axis=0) + menu_best)
            / np.where(target > 0, target, 1.0),
            np.inf,
        )
    status = raw.state
    messages = list(raw.messages)
    if raw.x is not None:
        x = np.clip(raw.x, 0.0, 1.0)
        # snap solver round-off onto the bounds it came from
        x = np.where(np.abs(x - floor) < 1e-9, floor, x)
        x = np.where(np.abs(x - ceiling) < 1e-9, ceiling, x)
        ni = raw.ni if raw.ni is not None else np.zeros(ni_cost.shape)
        ni = np.where(ni > 1 - 1e-9, 1.0, np.where(ni < 1e-9, 0.0, ni))
        achieved = credited + np.einsum("es,esp->sp", x, red) + np.einsum("ms,msp->sp", ni, ni_red)
        if menu_firms.any():
            if raw.menu is None:
                raise RuntimeError("a plan with menu firms needs the solver's menu choice")
            achieved = achieved + menu_outcome(inputs, *raw.menu)[1]
        tol = options.shortfall_tol * np.maximum(1.0, target)
        short = np.maximum(target - achieved, 0.0)
        short = np.where(short > tol, short, 0.0)
        objective = float(
            (inputs["loss_at_full"].values * x).sum()
            + inputs["credited_loss"].values.sum()
            + (ni * ni_cost).sum()
        )
        if (short > 0).any() and status in ("optimal", "time_limit"):
            if status == "optimal":
                status = "infeasible"
            what = (
                "target not reachable" if status == "infeasible" else "target not met (solver stopped early)"
            )
            for s, p in zip(*np.nonzero(short), strict=True):
                messages.append(
                    f"{what}: slot {slot.values[s]!s} {pol.values[p]!s}: short by "
                    f"{short[s, p]:.6g} t (max achievable share {max_share[s, p]:.4g} of the target)"
                )
        # "floor": at the rule floor, carried forward along the chain where the firm cannot toggle
        code = np.where(x <= lo_e + 1e-7, _FLOOR, _OPTIMIZER).astype(np.int8)
        code = np.where(ceiling <= BOUND_TOL, zero_reason(inputs), code)
        code[menu_firms] = _MENU  # the firm's menu option was chosen
        reason = REASONS[code]
    else:
        x = np.full((E, S), np.nan)
        ni = np.full(ni_cost.shape, np.nan)
        achieved = np.full(target.shape, np.nan)
        short = np.full(target.shape, np.nan)
        objective = float("nan")
        reason = REASONS[np.where(ceiling <= BOUND_TOL, zero_reason(inputs), np.int8(_NONE))]
        if status == "optimal":
            status = "error"
    duals = raw.duals.copy()
    days = inputs["days"].values.astype(float)
    duals = duals / np.where(days > 0, days, 1.0)[:, None]
    if raw.x is not None:
        duals = np.where(short > 0, np.nan, duals)
    timings = {"build": t_build, "solve": raw.solve_seconds, "verify": 0.0}
    plan = Plan(
        curtailment=xr.DataArray(
            x, coords={"enterprise": ent, "slot": slot}, dims=("enterprise", "slot"), name="curtailment"
        ),
        status=status,
        objective=objective,
        shortfall=xr.DataArray(short, coords={"slot": slot, "pollutant": pol}, dims=("slot", "pollutant")),
        achieved=xr.DataArray(achieved, coords={"slot": slot, "pollutant": pol}, dims=("slot", "pollutant")),
        target=xr.DataArray(target, coords={"slot": slot, "pollutant": pol}, dims=("slot", "pollutant")),
        max_achievable_share=xr.DataArray(
            max_share, coords={"slot": slot, "pollutant": pol}, dims=("slot", "pollutant")
        ),
        duals=xr.DataArray(duals, coords={"slot": slot, "pollutant": pol}, dims=("slot", "pollutant")),
        gap=raw.gap,
        solver=raw.solver,
        timings=timings,
        reason=xr.DataArray(reason, coords={"enterprise": ent, "slot": slot}, dims=("enterprise", "slot")),
        messages=messages,
        options=options,
    )
    plan.blocks = list(raw.blocks)
    if raw.menu is not None:
        opt = inputs["menu_option"]
        plan.menu = xr.Dataset(
            {
                "choice": (("menu_option", "slot"), raw.menu[0]),
                "load_cut": (("menu_option", "slot"), raw.menu[1]),
            },
            coords={"menu_option": opt, "slot": slot},
        )
    if raw.x is not None:
        plan.restart_cost = restart_cost_of(inputs, x)
    plan.multipliers = raw.duals.copy()
    if ni_names:
        plan.non_industrial = xr.DataArray(
            ni, coords={"measure": ni_names, "slot": slot}, dims=("measure", "slot")
        )
    if raw.x is not None and "aq_goal" in inputs:
        _air_goal_outcome(inputs, plan, raw, options)
    if options.verify and raw.x is not None:
        t2 = time.perf_counter()
        try:
            plan.violations = verify.verify_plan(inputs, plan)
        except Exception as exc:
            plan.violations = [f"verifier failed: {type(exc).__name__}: {exc}"]
        timings["verify"] = time.perf_counter() - t2
        if plan.violations:
            plan.status = "error"
            plan.messages.append(
                f"verification failed ({len(plan.violations)} problem(s)): " + "; ".join(plan.violations[:5])
            )
    if math.isnan(plan.gap) and status == "optimal" and not options.discrete:
        plan.gap = 0.0
    return plan
