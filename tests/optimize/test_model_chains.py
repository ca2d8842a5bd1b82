"""Non-decreasing chains: list mode yellow ≤ orange ≤ red; episode days for non-toggling firms."""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize.inputs import chain_pairs, effective_bounds, plan_inputs_from_arrays, random_plan_inputs
from planner.optimize.model import solve

BACKENDS = [
    pytest.param({"backend": "pulp", "solver": "highs"}, id="pulp-highs"),
    pytest.param({"backend": "pulp", "solver": "cbc"}, id="pulp-cbc"),
    pytest.param({"backend": "highs"}, id="highs-direct"),
]


def list_case():
    # one firm, yellow/orange/red chained; only yellow has a target (0.5 t of 1 t)
    return plan_inputs_from_arrays(
        floor=[[0.0, 0.0, 0.0]],
        ceiling=[[1.0, 1.0, 1.0]],
        loss_at_full=[[8.0, 5.0, 3.0]],
        reducible=[[[1.0], [1.0], [1.0]]],
        target=[[0.5], [0.0], [0.0]],
        days=[8, 5, 3],
        level=["yellow", "orange", "red"],
        chain=[0, 0, 0],
        mode="list",
        slot=["yellow", "orange", "red"],
    )


@pytest.mark.parametrize("opts", BACKENDS)
def test_list_mode_cut_carries_to_higher_levels(opts):
    plan = solve(list_case(), **opts)
    np.testing.assert_allclose(plan.curtailment.values.ravel(), [0.5, 0.5, 0.5], atol=1e-7)
    assert plan.objective == pytest.approx(0.5 * (8 + 5 + 3), abs=1e-6)
    assert plan.violations == []


@pytest.mark.parametrize("opts", BACKENDS)
def test_unchained_slots_are_independent(opts):
    ds = list_case()
    ds["chain"] = ds["chain"] * 0 - 1
    plan = solve(ds, **opts)
    np.testing.assert_allclose(plan.curtailment.values.ravel(), [0.5, 0.0, 0.0], atol=1e-7)


@pytest.mark.parametrize("opts", BACKENDS)
def test_order_not_position_defines_the_chain(opts):
    ds = list_case()
    ds["order"] = ds["order"] * 0 + np.array([2, 1, 0])  # red first … yellow last
    plan = solve(ds, **opts)
    # yellow is now last: its 0.5 needs nothing before it
    np.testing.assert_allclose(plan.curtailment.values.ravel(), [0.5, 0.0, 0.0], atol=1e-7)
    ds["target"][:] = 0.0
    ds["target"][2, 0] = 0.5  # target on "red", now first in the chain -> carried to orange and yellow
    plan = solve(ds, **opts)
    np.testing.assert_allclose(plan.curtailment.values.ravel(), [0.5, 0.5, 0.5], atol=1e-7)


@pytest.mark.parametrize("opts", BACKENDS)
def test_episode_toggle_allowed(opts):
    # two firms over 3 days; day 1 needs 1 t, the other days nothing
    kw = dict(
        floor=[[0.0] * 3] * 2,
        ceiling=[[1.0] * 3] * 2,
        loss_at_full=[[1.0] * 3, [1.2] * 3],
        reducible=[[[1.0]] * 3] * 2,
        target=[[1.0], [0.0], [0.0]],
        chain=[0, 0, 0],
    )
    stuck = solve(plan_inputs_from_arrays(**kw, toggle_allowed=[False, False]), **opts)
    np.testing.assert_allclose(stuck.curtailment.values, [[1, 1, 1], [0, 0, 0]], atol=1e-7)
    assert stuck.objective == pytest.approx(3.0)
    toggles = solve(plan_inputs_from_arrays(**kw, toggle_allowed=[True, False]), **opts)
    np.testing.assert_allclose(toggles.curtailment.values, [[1, 0, 0], [0, 0, 0]], atol=1e-7)
    assert toggles.objective == pytest.approx(1.0)


@pytest.mark.parametrize("opts", BACKENDS)
def test_floor_propagates_forward(opts):
    # yellow floor 0.5 and red floor 0.2: red must still be >= 0.5, and that is the rule floor
    # carried forward (reason "floor")
    ds = plan_inputs_from_arrays(
        [[0.5, 0.2]], [[1.0, 1.0]], [[1.0, 1.0]], [[[1.0], [1.0]]], [[0.0], [0.0]], chain=[0, 0], mode="list"
    )
    lo, _hi = effective_bounds(ds)
    np.testing.assert_allclose(lo, [[0.5, 0.5]])
    plan = solve(ds, **opts)
    np.testing.assert_allclose(plan.curtailment.values, [[0.5, 0.5]])
    assert plan.reason.values.tolist() == [["floor", "floor"]]


def test_chain_pairs_and_firms():
    ds = random_plan_inputs(50, 7, seed=1)
    cp = chain_pairs(ds)
    assert cp.pairs == [(i, i + 1) for i in range(6)]
    assert (cp.firms == ~ds["toggle_allowed"].values).all()
    lst = random_plan_inputs(50, 3, seed=1, mode="list")
    assert chain_pairs(lst).firms.all()


def test_random_episode_respects_chains_both_backends():
    ds = random_plan_inputs(300, 7, seed=9)
    a = solve(ds, backend="highs")
    b = solve(ds, backend="pulp")
    assert a.objective == pytest.approx(b.objective, rel=1e-6)
    x = a.curtailment.values
    fixed = ~ds["toggle_allowed"].values
    assert (np.diff(x[fixed], axis=1) >= -1e-7).all()
