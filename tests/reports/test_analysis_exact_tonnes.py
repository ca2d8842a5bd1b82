"""The analyses count the tonnes the model counts (issue 10/12): an upgrade re-solve carries the new
grade's reduction offset, the max-share reach is the tonnes at the ceilings and the budget LP
reports what its plan removes — on a hand-made case whose floor factor differs from the extra one."""

from __future__ import annotations

import numpy as np
import pytest

from planner import POLLUTANTS
from planner.optimize.inputs import plan_inputs_from_arrays
from planner.optimize.model import solve
from planner.optimize.verify import verify_plan
from planner.reports.analysis import max_feasible_share, max_reduction_under_budget, upgrade_value_arrays

NOX = POLLUTANTS.index("NOx")
EMIS = np.array([10.0, 5.0])  # NOx t/d
EXTRA_FACTOR = np.array([0.9, 0.8])  # a cut above the floor (a stop)


def _inputs(floor1: float = 0.6, floor_factor1: float = 0.3, ceiling=(1.0, 1.0)):
    """F1 (floor ``floor1``, its floor measures remove ``floor_factor1`` per unit) and F2 (no
    floor); NOx target 6 t/d, 0.5 t/d credited."""
    floor = np.array([[floor1], [0.0]])
    fr = np.zeros((2, 1, 4))
    fr[0, 0, NOX] = EMIS[0] * floor1 * floor_factor1
    extra = np.zeros((2, 1, 4))
    extra[:, 0, NOX] = EMIS * EXTRA_FACTOR
    reducible = fr + extra * (1.0 - floor)[:, :, None]
    target = np.zeros((1, 4))
    target[0, NOX] = 6.0
    credited = np.zeros((1, 4))
    credited[0, NOX] = 0.5
    ds = plan_inputs_from_arrays(
        floor,
        np.asarray(ceiling, float).reshape(2, 1),
        np.array([[100.0], [40.0]]),
        reducible,
        target,
        credited=credited,
        level=["orange"],
        mode="list",
        enterprise=["F1", "F2"],
        slot=["orange"],
    )
    ds["floor_reduction"] = (("enterprise", "slot", "pollutant"), fr)
    ds["extra_reducible"] = (("enterprise", "slot", "pollutant"), extra)
    return ds


def test_upgrade_resolve_carries_the_new_grades_offset():
    """(c) F1 C→B: floor 0.6 → 0.2 and its floor measures now remove 0.6 per unit (was 0.3).
    Upgraded city by hand: F2 is cheaper per tonne (10 vs 11.1 万元/t) and stops (4 t); F1 adds
    6 − 0.5 − 1.2 − 4 = 0.3 t above its floor: x1 = 0.2 + 0.3/9, loss 100·x1 + 40."""
    before = _inputs()
    upgraded = _inputs(floor1=0.2, floor_factor1=0.6)
    plan = solve(before, {})
    after = {
        v: upgraded[v].transpose(*before[v].dims).values
        for v in ("floor", "ceiling", "reducible", "floor_reduction", "extra_reducible", "grade_rank")
    }
    df = upgrade_value_arrays(
        before, plan.curtailment.values, plan.objective, after, candidates=np.array([0]), resolve=[0]
    )
    x1 = 0.2 + 0.3 / 9.0
    assert df.loc[0, "status_after"] == "optimal"
    assert df.loc[0, "city_loss_after"] == pytest.approx(100.0 * x1 + 40.0, rel=1e-7)
    assert df.loc[0, "firm_loss_after"] == pytest.approx(100.0 * x1, rel=1e-7)
    assert df.loc[0, "city_loss_after"] == pytest.approx(solve(upgraded, {}).objective, rel=1e-9)
    # the re-solved plan is a valid plan of the upgraded city: verify recomputes its tonnes
    from planner.reports.analysis import upgraded_one

    one = upgraded_one(before, after, 0)
    resolved = solve(one, {})
    assert verify_plan(upgraded, resolved) == []
    x = resolved.curtailment.values[:, 0]
    tonnes = 0.5 + 1.2 + 9.0 * (x[0] - 0.2) + 4.0 * x[1]
    assert resolved.achieved.values[0, NOX] == pytest.approx(tonnes, rel=1e-9)
    assert tonnes == pytest.approx(6.0, rel=1e-7)


def test_max_share_reach_is_the_tonnes_at_the_ceilings():
    """(d) Reach = credited + Σ (floor_reduction + extra · (ceiling − floor)): F1 1.8 + 9·0.2,
    F2 4·0.5, credited 0.5 → 6.1 t/d of a 20 t/d city total."""
    ds = _inputs(ceiling=(0.8, 0.5))
    totals = np.ones(4)
    totals[NOX] = 20.0
    share = max_feasible_share(ds, totals, 0)
    assert share["NOx"] == pytest.approx((0.5 + 1.8 + 9.0 * 0.2 + 4.0 * 0.5) / 20.0, rel=1e-12)
    # and the plan's own max share (finish_plan) says the same
    plan = solve(ds, {"allow_shortfall": True})
    assert float(plan.max_achievable_share.values[0, NOX]) == pytest.approx(
        share["NOx"] * 20.0 / 6.0, rel=1e-9
    )


def test_budget_lp_reports_the_tonnes_its_plan_removes():
    """The budget LP's ``achieved`` is the tonnes the model counted (F1 at its floor, F2 stopped:
    0.5 + 1.8 + 4 = 6.3 t/d for 60 + 40 万元)."""
    ds = _inputs()
    r = max_reduction_under_budget(ds, 100.0)
    assert r["status"] == "optimal"
    assert r["achieved"].loc["orange", "NOx"] == pytest.approx(6.3, rel=1e-9)
    assert r["fraction"] == pytest.approx(6.3 / 6.0, rel=1e-9)


def test_effectiveness_credits_the_floor_measures_their_own_tonnes():
    """Where the reductions come from: F1 at 0.8 removes 1.8 t/d by its floor measures (0.6 at
    factor 0.3) and 9·0.2 = 1.8 t/d above them (``reducible · floor`` would say 3.24 and 1.08);
    F2 (no floor) at 0.5 removes 2 t/d, all the optimizer's."""
    from types import SimpleNamespace

    import pandas as pd

    from planner.reports.analysis import measure_effectiveness

    ds = _inputs()
    x = np.array([0.8, 0.5])
    fr = ds["floor_reduction"].values[:, 0, NOX]
    ex = ds["extra_reducible"].values[:, 0, NOX]
    floor = ds["floor"].values[:, 0]
    sched = pd.DataFrame(
        {
            "enterprise_id": ["F1", "F2"],
            "slot": "orange",
            "curtailment": x,
            "floor": floor,
            "measure_type": ["stop", "optimizer"],
            "output_loss": x * ds["loss_at_full"].values[:, 0],
        }
    )
    for j, p in enumerate(POLLUTANTS):
        on = j == NOX
        sched[f"reduction_{p}"] = fr + ex * (x - floor) if on else 0.0
        sched[f"floor_reduction_{p}"] = fr if on else 0.0
        sched[f"reducible_{p}"] = ds["reducible"].values[:, 0, j]
    table = pd.DataFrame({"industry": ["i0", "i0"]}, index=pd.Index(["F1", "F2"], name="enterprise_id"))
    result = SimpleNamespace(schedule=sched, prepared=SimpleNamespace(inputs=ds, table=table))
    out = measure_effectiveness(result)
    src = out["sources"].set_index("pollutant").loc["NOx"]
    assert src["floor"] == pytest.approx(1.8)
    assert src["optimizer"] == pytest.approx(1.8 + 2.0)
    g = out["by_group"].set_index("measure_type")
    assert g.loc["stop", "reduction_NOx"] == pytest.approx(1.8)  # tonne-days (1 day)
    assert g.loc["optimizer_extra", "reduction_NOx"] == pytest.approx(3.8)
