"""Unreachable targets: status "infeasible", exact shortfalls, maximum achievable shares."""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize.inputs import plan_inputs_from_arrays
from planner.optimize.model import solve

BACKENDS = [
    pytest.param({"backend": "pulp", "solver": "highs"}, id="pulp-highs"),
    pytest.param({"backend": "pulp", "solver": "cbc"}, id="pulp-cbc"),
    pytest.param({"backend": "highs"}, id="highs-direct"),
]


def two_pollutants():
    # SO2: at most 0.5*1 + 1*2 = 2.5 t (+0.2 credited) against 3 -> short 0.3, share 2.7/3
    # NOx: at most 0.5*1 + 1*1 = 1.5 t against 1 -> met
    return plan_inputs_from_arrays(
        floor=[[0.0], [0.0]],
        ceiling=[[0.5], [1.0]],
        loss_at_full=[[1.0], [2.0]],
        reducible=[[[1.0, 1.0]], [[2.0, 1.0]]],
        target=[[3.0, 1.0]],
        credited=[[0.2, 0.0]],
    )


@pytest.mark.parametrize("opts", BACKENDS)
def test_exact_shortfall_and_max_share(opts):
    plan = solve(two_pollutants(), **opts)
    assert plan.status == "infeasible"
    assert plan.shortfall.sel(pollutant="SO2").item() == pytest.approx(0.3, abs=1e-7)
    assert plan.shortfall.sel(pollutant="NOx").item() == 0.0
    assert plan.max_achievable_share.sel(pollutant="SO2").item() == pytest.approx(2.7 / 3.0)
    assert plan.max_achievable_share.sel(pollutant="NOx").item() == pytest.approx(1.5)
    np.testing.assert_allclose(plan.curtailment.values.ravel(), [0.5, 1.0], atol=1e-7)
    assert plan.objective == pytest.approx(2.5, abs=1e-7)  # loss only, no penalty
    assert np.isnan(plan.duals.sel(pollutant="SO2").item())
    assert any("SO2" in m and "short by" in m for m in plan.messages)
    assert plan.violations == []


@pytest.mark.parametrize("opts", BACKENDS)
def test_shortfall_in_one_slot_only(opts):
    # slot 0 reachable, slot 1 not: only slot 1 reports a shortfall
    ds = plan_inputs_from_arrays(
        floor=[[0.0, 0.0]],
        ceiling=[[1.0, 1.0]],
        loss_at_full=[[1.0, 1.0]],
        reducible=[[[2.0], [2.0]]],
        target=[[1.0], [5.0]],
    )
    plan = solve(ds, **opts)
    assert plan.status == "infeasible"
    np.testing.assert_allclose(plan.shortfall.sel(pollutant="SO2").values, [0.0, 3.0], atol=1e-7)
    np.testing.assert_allclose(plan.curtailment.values.ravel(), [0.5, 1.0], atol=1e-7)
    assert plan.duals.sel(pollutant="SO2").values[0] == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize("opts", BACKENDS)
def test_no_shortfall_variables_means_hard_infeasibility(opts):
    plan = solve(two_pollutants(), allow_shortfall=False, **opts)
    assert plan.status == "infeasible"
    assert np.isnan(plan.curtailment.values).all()
    assert np.isnan(plan.objective)


@pytest.mark.parametrize("opts", BACKENDS)
def test_fairness_makes_reachable_target_unreachable(opts):
    # two equal firms, target 1.5 t reachable by bounds; a firm cap of 0.4 of the total loss can
    # only hold with no cut at all -> re-solved with shortfall on every target
    ds = plan_inputs_from_arrays(
        [[0.0], [0.0]], [[1.0], [1.0]], [[1.0], [1.0]], [[[1.0]], [[1.0]]], [[1.5]], county=["a", "b"]
    )
    plan = solve(ds, firm_loss_cap=0.4, **opts)
    assert plan.status == "infeasible"
    assert plan.shortfall.sel(pollutant="SO2").item() == pytest.approx(1.5, abs=1e-6)
    assert any("re-solved with shortfall" in m for m in plan.messages)
    assert plan.violations == []


def test_milp_shortfall_uses_whole_line_maximum():
    # 2 lines, ceiling 0.7 -> at most 1 line (0.5); target needs 0.6
    ds = plan_inputs_from_arrays([[0.0]], [[0.7]], [[1.0]], [[[1.0]]], [[0.6]], lines=[2])
    plan = solve(ds, discrete=True)
    assert plan.status == "infeasible"
    assert plan.curtailment.item() == pytest.approx(0.5)
    assert plan.shortfall.sel(pollutant="SO2").item() == pytest.approx(0.1, abs=1e-7)
    assert plan.max_achievable_share.sel(pollutant="SO2").item() == pytest.approx(0.5 / 0.6)
