"""Optional non-industrial measures as decisions of the model (block NonIndustrial-Slot-activation)."""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize import blocks as B
from planner.optimize.inputs import plan_inputs_from_arrays
from planner.optimize.model import solve
from planner.optimize.verify import verify_plan


def with_measures(cost_dust: float, cost_roads: float, integer=(True, False)):
    ds = plan_inputs_from_arrays(
        floor=[[0.0], [0.0]],
        ceiling=[[1.0], [1.0]],
        loss_at_full=[[100.0], [60.0]],
        reducible=[[[1.0, 0.0, 2.0]], [[0.5, 0.0, 1.0]]],
        target=[[0.6, 0.0, 1.5]],
    )
    # construction-dust stop: PM only, all or nothing; street cleaning: PM, any share
    ds = ds.assign_coords(measure=["construction_dust", "road_cleaning"])
    red = np.zeros((2, 1, 4))
    red[0, 0, 2] = 1.0
    red[1, 0, 2] = 0.4
    ds["ni_reduction"] = (("measure", "slot", "pollutant"), red)
    ds["ni_cost"] = (("measure", "slot"), np.array([[cost_dust], [cost_roads]]))
    ds["ni_integer"] = ("measure", np.array(integer))
    return ds


def brute_force(ds) -> float:
    """Enumerate the binary measure and grid the rest (x0, road share); x1 from the SO2 row."""
    c_dust, c_road = float(ds["ni_cost"].values[0, 0]), float(ds["ni_cost"].values[1, 0])
    road, x0 = np.meshgrid(np.linspace(0, 1, 401), np.linspace(0, 1, 201), indexing="ij")
    x1 = np.maximum((0.6 - x0 * 1.0) / 0.5, 0.0)
    best = np.inf
    for on in (0.0, 1.0):
        pm = 2 * x0 + 1.0 * x1 + on * 1.0 + road * 0.4
        ok = (x1 <= 1 + 1e-12) & (pm >= 1.5 - 1e-9)
        cost = 100 * x0 + 60 * x1 + on * c_dust + road * c_road
        if ok.any():
            best = min(best, float(cost[ok].min()))
    return best


@pytest.mark.parametrize("costs", [(5.0, 1.0), (500.0, 1.0), (5.0, 500.0), (30.0, 20.0)])
def test_optimiser_chooses_non_industrial_measures_when_cheaper(costs):
    ds = with_measures(*costs)
    plan = solve(ds, mip_gap=1e-9)
    assert plan.ok, plan.messages
    assert B.NON_INDUSTRIAL in plan.blocks
    a = plan.non_industrial.values[:, 0]
    assert a[0] in (0.0, 1.0)  # all or nothing
    assert verify_plan(ds, plan) == []
    assert plan.objective == pytest.approx(brute_force(ds), rel=2e-3)


def test_verifier_catches_a_partial_on_off_measure_and_a_wrong_objective():
    ds = with_measures(5.0, 1.0)
    plan = solve(ds)
    plan.non_industrial.values[0, 0] = 0.5
    problems = verify_plan(ds, plan)
    assert any("partly" in p for p in problems)
    assert any("objective" in p for p in problems)


def test_without_measures_the_block_is_absent():
    ds = with_measures(5.0, 1.0)
    plain = ds.drop_vars(["ni_reduction", "ni_cost", "ni_integer", "measure"])
    plan = solve(plain)
    assert B.NON_INDUSTRIAL not in plan.blocks and plan.non_industrial is None
