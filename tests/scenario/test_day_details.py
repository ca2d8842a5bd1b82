"""The timeline's tonnes lost to response delays count the tonnes the model counts (the floor
measures at their own factors), not reducible × curtailment (planner.scenario.episode.day_details)."""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize.inputs import plan_inputs_from_arrays
from planner.scenario.episode import day_details


def test_delay_tonnes_follow_the_floor_offset():
    ds = plan_inputs_from_arrays(
        floor=[[0.5, 0.5], [0.0, 0.0]],
        ceiling=[[1.0, 1.0], [1.0, 1.0]],
        loss_at_full=[[10.0, 10.0], [5.0, 5.0]],
        reducible=[[[1.0, 1.0, 1.0, 1.0]] * 2, [[2.0, 2.0, 2.0, 2.0]] * 2],
        target=[[0.0] * 4, [0.0] * 4],
    )
    eff = np.array([[0.5, 1.0], [0.25, 1.0]])
    # firm 0: its floor measure removes 0.8 t/d per unit (a process stop), a cut above it 1 t/d
    fr = np.zeros((2, 2, 4))
    fr[0] = 0.5 * 0.8
    ex = np.ones((2, 2, 4))
    ex[1] = 2.0
    ds["floor_reduction"] = (("enterprise", "slot", "pollutant"), fr * eff[:, :, None])
    ds["extra_reducible"] = (("enterprise", "slot", "pollutant"), ex * eff[:, :, None])
    ds["effect_share"] = (("enterprise", "slot"), eff)
    floor = ds["floor"].values
    ds["reducible"] = (
        ("enterprise", "slot", "pollutant"),
        (fr + ex * (1 - floor)[:, :, None]) * eff[:, :, None],
    )
    x = np.array([[0.75, 0.5], [0.5, 0.0]])
    whole_day = np.array([0.5 * 0.8 + 1.0 * 0.25, 2.0 * 0.5])  # slot 0, t/d in a full day
    lost = whole_day * (1 - eff[:, 0])
    got = day_details(ds, x)
    slot0 = str(ds["slot"].values[0])
    for p in ("SO2", "NOx", "PM", "VOCs"):
        assert got[slot0]["delay_tonnes"][p] == pytest.approx(lost.sum())
    assert got[slot0]["firms_delayed"] == 2
    assert all(v == 0 for v in got[str(ds["slot"].values[1])]["delay_tonnes"].values())
