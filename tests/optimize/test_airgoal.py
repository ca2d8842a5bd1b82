"""Concentration goals in the model (``Slot-Receptor-pm25-goal``): an independent LP built with
highspy by hand, duals against finite differences, unreachable goals diagnosed, both adapters,
the verifier's own recomputation, and the µg/m³ budget analysis."""

from __future__ import annotations

import highspy
import numpy as np
import pytest
import xarray as xr

from planner.optimize import blocks as B
from planner.optimize.airgoal import achieved_delta, goal_rows, without_goal
from planner.optimize.blocks import build_model, build_pm25_budget_model
from planner.optimize.inputs import effective_bounds, random_plan_inputs
from planner.optimize.model import compile_and_solve, solve
from planner.optimize.options import SolveOptions
from planner.optimize.verify import verify_plan


def with_goal(ds: xr.Dataset, seed: int = 0, goal: float | np.ndarray = 0.0, R: int = 2) -> xr.Dataset:
    """Random positive coefficients for R receptors, lags 0 and 1 (tomorrow = the next slot)."""
    rng = np.random.default_rng(seed)
    E, S = ds.sizes["enterprise"], ds.sizes["slot"]
    A = rng.gamma(0.6, 1.0, (R, 2, E, S)) * (rng.random((1, 1, E, 1)) < 0.7)
    A[:, 1] *= 0.5
    day = np.vstack([np.arange(S), np.where(np.arange(S) + 1 < S, np.arange(S) + 1, -1)])
    out = ds.copy()
    out["aq_coef"] = xr.DataArray(A, dims=("aq_receptor", "lag", "enterprise", "slot"))
    out = out.assign_coords(aq_receptor=["city", "S1", "S2"][:R])
    out["aq_ni_coef"] = xr.DataArray(np.zeros((R, 2, 0, S)), dims=("aq_receptor", "lag", "measure", "slot"))
    out["aq_day"] = xr.DataArray(day, dims=("lag", "slot"))
    out["aq_goal"] = xr.DataArray(
        np.broadcast_to(np.asarray(goal, float), (R, S)).copy(), dims=("aq_receptor", "slot")
    )
    out["aq_credited"] = xr.DataArray(np.full((R, S), 0.1), dims=("aq_receptor", "slot"))
    return out


def _binding_goal(ds: xr.Dataset, frac: float = 0.4) -> np.ndarray:
    """A goal between what the least-cost plan without it gives and what the bounds allow."""
    base = solve(without_goal(ds))
    got = achieved_delta(ds, base.curtailment.values)
    lo, hi = effective_bounds(ds)
    reach = goal_rows(ds, lo, hi).reach.reshape(got.shape)
    return got + frac * (reach - got)


def independent_lp(ds: xr.Dataset) -> tuple[float, np.ndarray]:
    """min Σ loss·x s.t. bounds, targets, chains and goal rows — written from the arrays, row by row."""
    E, S = ds.sizes["enterprise"], ds.sizes["slot"]
    floor, ceil = ds["floor"].values, ds["ceiling"].values
    loss = ds["loss_at_full"].values
    red = ds["reducible"].values
    rhs = ds["target"].values - ds["credited"].values
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    idx = lambda e, s: e * S + s  # noqa: E731
    for e in range(E):
        for s in range(S):
            h.addVar(float(floor[e, s]), float(ceil[e, s]))
    h.changeColsCost(E * S, np.arange(E * S, dtype=np.int32), loss.ravel().astype(float))
    for s in range(S):
        for p in range(red.shape[2]):
            cols = np.array([idx(e, s) for e in range(E)], np.int32)
            h.addRow(float(rhs[s, p]), highspy.kHighsInf, E, cols, red[:, s, p].astype(float))
    chained = ~ds["toggle_allowed"].values.astype(bool)
    for e in np.flatnonzero(chained):  # one chain over the slots in order
        for s in range(S - 1):
            h.addRow(
                -highspy.kHighsInf,
                0.0,
                2,
                np.array([idx(e, s), idx(e, s + 1)], np.int32),
                np.array([1.0, -1.0]),
            )
    A, day = ds["aq_coef"].values, ds["aq_day"].values
    goal, cred = ds["aq_goal"].values, ds["aq_credited"].values
    for r in range(A.shape[0]):
        for t in range(S):
            coef = np.zeros(E * S)
            for lag in range(A.shape[1]):
                for s in range(S):
                    if day[lag, s] == t:
                        coef[[idx(e, s) for e in range(E)]] += A[r, lag, :, s]
            nz = np.flatnonzero(coef).astype(np.int32)
            h.addRow(float(goal[r, t] - cred[r, t]), highspy.kHighsInf, len(nz), nz, coef[nz])
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    x = np.array(h.getSolution().col_value).reshape(E, S)
    return float(h.getInfo().objective_function_value), x


@pytest.fixture(scope="module")
def goal_case():
    ds = random_plan_inputs(40, 4, seed=3, mode="episode")
    ds = with_goal(ds, seed=3)
    ds["aq_goal"].values[:] = _binding_goal(ds)
    return ds


def test_goal_plan_matches_an_independent_lp(goal_case):
    plan = solve(goal_case)
    assert plan.status == "optimal", plan.messages
    assert B.AIR_GOAL in plan.blocks
    obj, x = independent_lp(goal_case)
    assert plan.objective == pytest.approx(obj + float(goal_case["credited_loss"].sum()), rel=1e-7)
    # the goal binds: more loss than without it, and every row met
    assert plan.objective > solve(without_goal(goal_case)).objective + 1e-6
    got = plan.air_goal["achieved"].values
    assert (got >= goal_case["aq_goal"].values - 1e-6).all()
    np.testing.assert_allclose(got, achieved_delta(goal_case, x), atol=1e-5)
    assert verify_plan(goal_case, plan) == []


def test_both_adapters_give_the_same_goal_plan(goal_case):
    a = solve(goal_case)
    b = solve(goal_case, backend="pulp")
    assert b.status == "optimal" and B.AIR_GOAL in b.blocks
    assert a.objective == pytest.approx(b.objective, rel=1e-7)
    np.testing.assert_allclose(
        a.air_goal["marginal_loss_per_ugm3"].values,
        b.air_goal["marginal_loss_per_ugm3"].values,
        rtol=1e-5,
        atol=1e-6,
    )


def test_dual_is_the_finite_difference_marginal_loss(goal_case):
    plan = solve(goal_case)
    mar = plan.air_goal["marginal_loss_per_ugm3"].values
    r, s = np.unravel_index(np.argmax(mar), mar.shape)
    assert mar[r, s] > 0
    h = 1e-4 * float(goal_case["aq_goal"].values[r, s])
    up = goal_case.copy(deep=True)
    up["aq_goal"].values[r, s] += h
    down = goal_case.copy(deep=True)
    down["aq_goal"].values[r, s] -= h
    fd = (solve(up).objective - solve(down).objective) / (2 * h) / float(goal_case["days"].values[s])
    assert fd == pytest.approx(mar[r, s], rel=1e-3)
    # a row with slack has a zero dual
    slack = plan.air_goal["achieved"].values > goal_case["aq_goal"].values + 1e-3
    if slack.any():
        assert np.allclose(mar[slack], 0.0, atol=1e-6)


def test_goal_in_list_mode_sums_the_lags_of_a_held_cut():
    ds = random_plan_inputs(30, 3, seed=5, mode="list")
    ds = with_goal(ds, seed=5, R=1)
    ds["aq_day"] = xr.DataArray(np.tile(np.arange(3), (2, 1)), dims=("lag", "slot"))
    ds["aq_goal"].values[:] = _binding_goal(ds, 0.5)
    plan = solve(ds)
    assert plan.status == "optimal"
    x = plan.curtailment.values
    got = 0.1 + (ds["aq_coef"].values[0].sum(axis=0) * x).sum(axis=0)
    np.testing.assert_allclose(plan.air_goal["achieved"].values[0], got, rtol=1e-9)
    assert (got >= ds["aq_goal"].values[0] - 1e-6).all()
    # list mode: the dual is per alert day (the slot's loss counts its expected days)
    assert np.isfinite(plan.air_goal["marginal_loss_per_ugm3"].values).all()


def test_an_unreachable_goal_is_diagnosed_and_pushed_to_its_reach(goal_case):
    ds = goal_case.copy(deep=True)
    lo, hi = effective_bounds(ds)
    reach = goal_rows(ds, lo, hi).reach.reshape(ds["aq_goal"].shape)
    ds["aq_goal"].values[0, 1] = reach[0, 1] + 5.0
    plan = solve(ds)
    assert plan.status == "infeasible"
    msg = [m for m in plan.messages if "PM2.5 goal not reachable" in m]
    assert len(msg) == 1 and str(ds["slot"].values[1]) in msg[0] and "city mean" in msg[0]
    assert f"{reach[0, 1]:.3g}" in msg[0]
    assert B.AIR_SHORTFALL in plan.blocks
    # the plan still gives the most the bounds allow on that row, and no dual there
    assert plan.air_goal["achieved"].values[0, 1] == pytest.approx(reach[0, 1], rel=1e-6)
    assert np.isnan(plan.air_goal["marginal_loss_per_ugm3"].values[0, 1])
    assert plan.air_goal["shortfall"].values[0, 1] == pytest.approx(5.0, rel=1e-6)
    assert verify_plan(ds, plan) == []


def test_the_verifier_recomputes_the_goal(goal_case):
    plan = solve(goal_case)
    bad = goal_case.copy(deep=True)
    bad["aq_goal"].values[1, 2] += 1.0  # the plan no longer meets it but is marked optimal
    found = verify_plan(bad, plan)
    assert any("PM2.5 goal" in v and "missed" in v for v in found)
    plan.air_goal["achieved"].values[0, 0] += 0.5
    assert any("reported ΔPM2.5" in v for v in verify_plan(goal_case, plan))


def test_without_goal_restores_the_plain_inputs(goal_case):
    plain = without_goal(goal_case)
    assert "aq_goal" not in plain and "aq_receptor" not in plain.dims
    assert B.AIR_GOAL not in solve(plain).blocks


def _max_pm25(ds, budget, objective):
    o = SolveOptions(allow_shortfall=False)
    m, d = build_pm25_budget_model(ds, o, budget, objective)
    sol = compile_and_solve(m, o, presolve=False)
    assert sol.state == "optimal"
    x = sol.values[B.CURTAILMENT].reshape(d.shape)
    return x, sol


def test_pm25_budget_analysis(goal_case):
    plan = solve(goal_case)
    budget = plan.objective - float(goal_case["credited_loss"].sum())
    x, _ = _max_pm25(goal_case, budget, "total")
    loss = goal_case["loss_at_full"].values
    assert (x * loss).sum() <= budget * (1 + 1e-7)
    days = goal_case["days"].values
    best = (achieved_delta(goal_case, x) * days).sum()
    # the least-cost goal plan has the same loss, so it removes no more µg/m³·days
    assert best >= (plan.air_goal["achieved"].values * days).sum() - 1e-6
    xe, sol = _max_pm25(goal_case, budget, "each_day")
    z = float(sol.values[B.PM25_LEVEL][0])
    got = achieved_delta(goal_case, xe)
    assert got.min() == pytest.approx(z, rel=1e-6)
    # the goal plan's smallest row is a feasible z, so the optimum is at least that
    assert z >= plan.air_goal["achieved"].values.min() - 1e-6
    # a larger budget buys at least as much
    x2, _ = _max_pm25(goal_case, 1.5 * budget, "total")
    assert (achieved_delta(goal_case, x2) * days).sum() >= best - 1e-9


def test_goal_rows_scatter_lags_onto_days():
    ds = with_goal(random_plan_inputs(5, 3, seed=1), seed=1, R=1)
    lo, hi = effective_bounds(ds)
    g = goal_rows(ds, lo, hi)
    A = ds["aq_coef"].values[0]
    # day 1 gets slot 1's same-day and slot 0's next-day effect of firm 2
    on = (g.row == 1) & (g.ent == 2)
    got = {int(s): v for s, v in zip(g.slot[on], g.val[on], strict=True)}
    want = {s: v for s, v in ((1, A[0, 2, 1]), (0, A[1, 2, 0])) if v != 0}
    assert got == pytest.approx(want)
    m, _ = build_model(ds.assign(aq_goal=ds["aq_goal"] + 0.5), SolveOptions())
    assert m.constraints[B.AIR_GOAL].size == 3
