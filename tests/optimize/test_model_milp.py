"""Whole production lines (MILP): integrality, rounding of bounds, LP bound, gap, duals."""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize.inputs import line_columns, plan_inputs_from_arrays, random_plan_inputs
from planner.optimize.model import solve

BACKENDS = [
    pytest.param({"backend": "pulp", "solver": "highs"}, id="pulp-highs"),
    pytest.param({"backend": "pulp", "solver": "cbc"}, id="pulp-cbc"),
    pytest.param({"backend": "highs"}, id="highs-direct"),
]


@pytest.mark.parametrize("opts", BACKENDS)
def test_whole_lines_tiny(opts):
    # 4 lines, target 0.3 t of 1 t: LP cuts 0.3, MILP must stop 2 lines (0.5)
    ds = plan_inputs_from_arrays([[0.0]], [[1.0]], [[1.0]], [[[1.0]]], [[0.3]], lines=[4])
    lp = solve(ds, **opts)
    mip = solve(ds, discrete=True, **opts)
    assert lp.objective == pytest.approx(0.3, abs=1e-7)
    assert mip.status == "optimal"
    assert mip.curtailment.item() == pytest.approx(0.5)
    assert mip.objective >= lp.objective - 1e-9
    assert mip.violations == []


@pytest.mark.parametrize("opts", BACKENDS)
def test_floors_round_up_ceilings_round_down(opts):
    # floor 0.3 with 4 lines -> at least 2 lines (0.5); ceiling 0.9 -> at most 3 lines (0.75)
    ds = plan_inputs_from_arrays(
        [[0.3], [0.0]], [[0.9], [1.0]], [[1.0], [10.0]], [[[1.0]], [[1.0]]], [[0.8]], lines=[4, 1]
    )
    plan = solve(ds, discrete=True, **opts)
    x = plan.curtailment.values.ravel()
    # firm 0 reaches at most 0.75 (3 lines) < 0.8, so the 1-line firm must stop; firm 0 then
    # stays at its floor rounded up to 2 lines
    np.testing.assert_allclose(x, [0.5, 1.0])
    assert plan.status == "optimal"
    assert plan.max_achievable_share.sel(pollutant="SO2").item() == pytest.approx(1.75 / 0.8)
    ds2 = plan_inputs_from_arrays([[0.3]], [[0.9]], [[1.0]], [[[1.0]]], [[0.0]], lines=[4])
    assert solve(ds2, discrete=True, **opts).curtailment.item() == pytest.approx(0.5)


def test_line_incompatible_bounds_stay_continuous():
    # floor 0.3, ceiling 0.4, 2 lines: no whole count fits -> a continuous load limit
    ds = plan_inputs_from_arrays([[0.3]], [[0.4]], [[1.0]], [[[1.0]]], [[0.35]], lines=[2])
    cols = line_columns(ds, ds["floor"].values, ds["ceiling"].values, True)
    assert not cols.integer.any()
    plan = solve(ds, discrete=True)
    assert plan.status == "optimal"
    assert plan.curtailment.item() == pytest.approx(0.35)


@pytest.mark.parametrize("backend", ["highs", "pulp"])
def test_random_milp_bounds_gap_integrality(backend):
    ds = random_plan_inputs(300, 3, seed=7, mode="list")
    lp = solve(ds, backend=backend)
    mip = solve(ds, backend=backend, discrete=True, mip_gap=0.005)
    assert lp.status == "optimal" and mip.status in ("optimal", "infeasible")
    assert mip.objective >= lp.objective - 1e-6 * abs(lp.objective)
    assert 0.0 <= mip.gap <= 0.005 + 1e-9
    lines = ds["lines"].values[:, None]
    n = mip.curtailment.values * lines
    cols = line_columns(ds, *__import__("planner.optimize.inputs", fromlist=["x"]).effective_bounds(ds), True)
    assert np.allclose(n[cols.integer], np.round(n[cols.integer]), atol=1e-6)
    assert mip.violations == []
    # duals from the LP with the lines fixed
    assert np.isfinite(mip.duals.values[mip.shortfall.values == 0]).all()


def test_backends_agree_on_milp_within_gap():
    ds = random_plan_inputs(200, 5, seed=8)
    a = solve(ds, backend="highs", discrete=True, mip_gap=1e-6)
    b = solve(ds, backend="pulp", discrete=True, mip_gap=1e-6)
    assert a.objective == pytest.approx(b.objective, rel=1e-4)


def test_only_line_stops_are_whole_lines():
    """A load cut stays continuous in the discrete mode; a line stop rounds to whole lines."""
    import numpy as np

    from planner.optimize.inputs import plan_inputs_from_arrays

    ds = plan_inputs_from_arrays(
        floor=[[0.1], [0.25]],
        ceiling=[[1.0], [1.0]],
        loss_at_full=[[10.0], [50.0]],
        reducible=[[[1.0]], [[1.0]]],
        target=[[0.45]],
        lines=[4, 4],
    )
    ds["whole_lines"] = (("enterprise", "slot"), np.array([[False], [True]]))
    plan = solve(ds, discrete=True, mip_gap=1e-9)
    # firm 0 (a B firm's 10 % load cut, 4 lines) adds 0.1 continuously; firm 1 keeps its one line
    np.testing.assert_allclose(plan.curtailment.values[:, 0], [0.2, 0.25], atol=1e-7)
    assert plan.objective == pytest.approx(0.2 * 10 + 0.25 * 50)
    assert plan.violations == []
    ds["whole_lines"] = (("enterprise", "slot"), np.array([[True], [True]]))
    rounded = solve(ds, discrete=True, mip_gap=1e-9)
    # as whole lines the 10 % cut is rounded up to one line of four
    np.testing.assert_allclose(rounded.curtailment.values[:, 0], [0.25, 0.25], atol=1e-7)
    assert rounded.objective > plan.objective
