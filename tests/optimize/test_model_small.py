"""Tiny hand-solvable instances with known optima, over every backend × solver."""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize.baselines import greedy, rules_only, uniform
from planner.optimize.blocks import TARGET, build_model
from planner.optimize.inputs import check_plan_inputs, plan_inputs_from_arrays, random_plan_inputs
from planner.optimize.model import SolveOptions, solve
from planner.optimize.pulp_backend import to_pulp
from planner.problems import InputError

BACKENDS = [
    pytest.param({"backend": "pulp", "solver": "highs"}, id="pulp-highs"),
    pytest.param({"backend": "pulp", "solver": "cbc"}, id="pulp-cbc"),
    pytest.param({"backend": "highs"}, id="highs-direct"),
]


def knapsack():
    # three firms, one pollutant, target 2.5 t: cheapest per tonne first (A 1/t, B 2/t, C 3/t)
    return plan_inputs_from_arrays(
        floor=[[0.0], [0.0], [0.0]],
        ceiling=[[1.0], [1.0], [1.0]],
        loss_at_full=[[1.0], [4.0], [3.0]],
        reducible=[[[1.0]], [[2.0]], [[1.0]]],
        target=[[2.5]],
    )


@pytest.mark.parametrize("opts", BACKENDS)
def test_knapsack_optimum_and_dual(opts):
    plan = solve(knapsack(), **opts)
    assert plan.status == "optimal"
    # A full (1 t, loss 1), B 0.75 (1.5 t, loss 3) -> 4
    assert plan.objective == pytest.approx(4.0, abs=1e-7)
    np.testing.assert_allclose(plan.curtailment.values.ravel(), [1.0, 0.75, 0.0], atol=1e-7)
    assert plan.duals.sel(pollutant="SO2").item() == pytest.approx(2.0, abs=1e-6)
    assert plan.duals.sel(pollutant="NOx").item() == pytest.approx(0.0, abs=1e-9)
    assert list(plan.reason.values.ravel()) == ["optimizer", "optimizer", "floor"]
    assert plan.violations == []
    assert set(plan.timings) == {"build", "solve", "verify"}
    assert plan.gap == 0.0


@pytest.mark.parametrize("opts", BACKENDS)
def test_greedy_strictly_worse(opts):
    # A: 3 t SO2 + 2 t NOx for 3; B: 2 t SO2 + 3 t NOx for 3; targets SO2 1, NOx 3.
    # Optimum: B alone (loss 3).  Greedy ranks A first (3 / (3 + 2/3) < 3 / (2 + 1)) and ends at 10/3.
    ds = plan_inputs_from_arrays(
        [[0.0], [0.0]], [[1.0], [1.0]], [[3.0], [3.0]], [[[3.0, 2.0]], [[2.0, 3.0]]], [[1.0, 3.0]]
    )
    plan = solve(ds, **opts)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(3.0, abs=1e-7)
    g = greedy(ds)
    assert g is not None and g.meets_targets
    assert g.loss == pytest.approx(10.0 / 3.0, rel=1e-6)
    assert plan.objective < g.loss - 0.3


@pytest.mark.parametrize("opts", BACKENDS)
def test_uniform_strictly_worse(opts):
    # A: 1 t for 1, B: 1 t for 3, target 1 t -> optimum A alone (1); 一刀切 needs δ = 0.5 for both (2)
    ds = plan_inputs_from_arrays([[0.0], [0.0]], [[1.0], [1.0]], [[1.0], [3.0]], [[[1.0]], [[1.0]]], [[1.0]])
    plan = solve(ds, **opts)
    assert plan.objective == pytest.approx(1.0, abs=1e-7)
    u = uniform(ds)
    assert u is not None and u.extra_share == pytest.approx(0.5, abs=1e-8)
    assert u.loss == pytest.approx(2.0, rel=1e-6)


@pytest.mark.parametrize("opts", BACKENDS)
def test_floors_enough_exempt_and_credited(opts):
    # floors alone meet the target after credited reductions; firm 2 is exempt (ceiling 0)
    ds = plan_inputs_from_arrays(
        floor=[[0.5], [0.2], [0.0]],
        ceiling=[[1.0], [0.8], [0.0]],
        loss_at_full=[[2.0], [1.0], [5.0]],
        reducible=[[[2.0]], [[1.0]], [[4.0]]],
        target=[[1.5]],
        credited=[[0.3]],
        credited_loss=[0.7],
    )
    plan = solve(ds, **opts)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(0.5 * 2 + 0.2 * 1 + 0.7, abs=1e-7)
    assert list(plan.reason.values.ravel()) == ["floor", "floor", "exempt"]
    assert plan.achieved.sel(pollutant="SO2").item() == pytest.approx(0.3 + 1.0 + 0.2)
    assert plan.duals.sel(pollutant="SO2").item() == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("opts", BACKENDS)
def test_days_scale_duals(opts):
    # same knapsack as above, slot standing for 4 days: loss_at_full ×4, dual per tonne unchanged
    ds = knapsack()
    ds["loss_at_full"] = ds["loss_at_full"] * 4
    ds["days"] = ds["days"] * 0 + 4
    plan = solve(ds, **opts)
    assert plan.objective == pytest.approx(16.0, abs=1e-6)
    assert plan.duals.sel(pollutant="SO2").item() == pytest.approx(2.0, abs=1e-6)


def test_backends_agree_on_random_instance():
    ds = random_plan_inputs(150, 3, seed=5, mode="list")
    objs = [solve(ds, **p.values[0]).objective for p in BACKENDS]
    assert objs[0] == pytest.approx(objs[1], rel=1e-6)
    assert objs[0] == pytest.approx(objs[2], rel=1e-6)
    assert rules_only(ds).loss <= objs[0] + 1e-6


def test_block_names_and_options():
    m, _ = build_model(knapsack(), SolveOptions.from_any({"backend": "pulp"}))
    assert TARGET in m.constraints and m.constraints[TARGET].dims == ("slot", "pollutant")
    prob, _, _ = to_pulp(m)
    names = [c.name for c in prob.constraints()]
    assert "Slot_Pollutant_target_0_0" in names  # slot s0, SO2
    with pytest.raises(ValueError, match="backend must be 'highs'"):
        SolveOptions.from_any({"backend": "gurobi"})
    with pytest.raises(ValueError, match=r"unknown solve option.*no_such_option"):
        SolveOptions.from_any({"no_such_option": 1})
    # scenario keys that shape the inputs are accepted
    assert SolveOptions.from_any({"allow_volunteer": True, "time_limit": 5}).time_limit == 5


def test_bad_inputs_raise_input_error():
    ds = knapsack()
    ds["floor"][0, 0] = 0.9
    ds["ceiling"][0, 0] = 0.5
    with pytest.raises(InputError, match="floor exceeds ceiling"):
        check_plan_inputs(ds)
    ds = knapsack()
    ds["reducible"][1, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        solve(ds)
    ds = knapsack().drop_vars("lines")
    with pytest.raises(InputError, match="lines"):
        check_plan_inputs(ds)


@pytest.mark.parametrize("opts", BACKENDS)
def test_time_limit_is_a_status_not_an_exception(opts):
    ds = random_plan_inputs(3000, 7, seed=2)
    plan = solve(ds, discrete=True, time_limit=1e-6, **opts)
    assert plan.status in ("time_limit", "optimal")
    assert plan.violations == []
    if plan.status == "time_limit":
        assert plan.messages


@pytest.mark.parametrize("opts", BACKENDS)
def test_time_limit_without_solution_falls_back_to_greedy(opts):
    ds = random_plan_inputs(3000, 7, seed=2)
    plan = solve(ds, time_limit=1e-6, **opts)
    assert plan.status in ("time_limit", "optimal")
    if plan.status == "time_limit":
        assert any("greedy" in m for m in plan.messages)
        assert plan.violations == []
        assert float(plan.shortfall.max()) == 0.0


@pytest.mark.parametrize(("backend", "decomposition"), [("highs", "off"), ("highs", "on"), ("pulp", "off")])
def test_a_threads_option_unlike_the_running_schedulers_still_solves(backend, decomposition):
    """HiGHS fixes its thread count at the process's first solve; another count must not fail.

    Of the counts 1, 2 and 3 at most one is the running scheduler's, so at least two solves ask for
    another: each is optimal with the same objective, and says that the option was not applied.
    """
    ds = random_plan_inputs(40, 3, seed=3)
    base = solve(ds)  # starts HiGHS's scheduler, if nothing did before
    assert base.status == "optimal"
    noted = 0
    for k in (1, 2, 3):
        plan = solve(ds, threads=k, decomposition=decomposition, backend=backend)
        assert plan.status == "optimal", plan.messages
        assert plan.objective == pytest.approx(base.objective, rel=1e-9)
        noted += any(m.startswith(f"solver option threads={k} not applied") for m in plan.messages)
    assert noted >= 2
