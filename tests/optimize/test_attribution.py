"""Per-level baselines, the loss split (rule floors vs the optimiser) and honest reason labels."""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize.attribution import loss_attribution, split_lines
from planner.optimize.baselines import all_baselines, equal_tonnes, same_share, uniform
from planner.optimize.inputs import plan_inputs_from_arrays
from planner.optimize.model import solve
from planner.optimize.restarts import restart_cost_of
from tests.optimize.test_restarts import _inputs


def three_firms():
    """Two levels (yellow, orange), three firms; yellow needs little, orange a lot."""
    return plan_inputs_from_arrays(
        floor=[[0.1, 0.2], [0.0, 0.0], [0.0, 0.0]],
        ceiling=[[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]],
        loss_at_full=[[10.0, 10.0], [30.0, 30.0], [5.0, 5.0]],
        reducible=[[[1.0]] * 2, [[1.0]] * 2, [[1.0]] * 2],
        target=[[0.2], [0.8]],
        level=["yellow", "orange"],
        chain=[0, 0],
        mode="list",
    )


def test_uniform_has_one_share_per_level():
    ds = three_firms()
    u = uniform(ds)
    # yellow: 0.1 + d + d >= 0.2 -> d = 0.05; orange: 0.2 + 2d >= 0.8 -> d = 0.3
    assert u.level_parameter["yellow"] == pytest.approx(0.05, abs=1e-7)
    assert u.level_parameter["orange"] == pytest.approx(0.3, abs=1e-7)
    np.testing.assert_allclose(u.curtailment, [[0.15, 0.5], [0.05, 0.3], [0.0, 0.0]], atol=1e-7)
    assert u.meets_targets


def test_same_share_and_equal_tonnes():
    ds = three_firms()
    s = same_share(ds)
    # orange: max(sigma, 0.2) + sigma >= 0.8 -> sigma = 0.4
    assert s.level_parameter["orange"] == pytest.approx(0.4, abs=1e-7)
    np.testing.assert_allclose(s.curtailment[:, 1], [0.4, 0.4, 0.0], atol=1e-7)
    t = equal_tonnes(ds)
    # each firm removes tau tonnes (1 t per unit share): same as sigma here
    np.testing.assert_allclose(t.curtailment[:, 1], [0.4, 0.4, 0.0], atol=1e-7)


def test_loss_split_and_savings():
    ds = three_firms()
    plan = solve(ds)
    assert plan.ok
    x = plan.curtailment.values
    doc = loss_attribution(ds, x, all_baselines(ds))
    # optimum: firm 0 (10 per share) takes everything: yellow 0.2, orange 0.8
    np.testing.assert_allclose(x, [[0.2, 0.8], [0.0, 0.0], [0.0, 0.0]], atol=1e-7)
    y, o = doc["slots"]
    assert y["loss"] == pytest.approx(2.0) and y["loss_floor"] == pytest.approx(1.0)
    assert y["loss_optimizer"] == pytest.approx(1.0) and y["cells_above_floor"] == 1
    assert o["loss_floor"] == pytest.approx(2.0) and o["loss_optimizer"] == pytest.approx(6.0)
    assert doc["total"]["cells"] == 6 and doc["total"]["firms_above_floor"] == 1
    u = doc["savings"]["uniform"]
    assert u["loss"] == pytest.approx(10 * 0.65 + 30 * 0.35)
    assert u["saving"] == pytest.approx(u["loss"] - 10.0)
    assert doc["savings"]["rules_only"]["loss"] is None  # the floors alone miss the targets
    lines = split_lines({"loss_split": doc["total"], "slots": doc["slots"], "savings": doc["savings"]})
    assert any("rules_only" in ln and "cannot meet" in ln for ln in lines)


def test_self_directed_firms_are_not_called_exempt():
    ds = three_firms()
    ds["self_directed"] = ("enterprise", np.array([False, False, True]))
    plan = solve(ds)
    assert list(plan.reason.values[2]) == ["self_directed", "self_directed"]
    assert plan.violations == []
    ds["self_directed"] = ("enterprise", np.array([False, False, False]))
    assert list(solve(ds).reason.values[2]) == ["exempt", "exempt"]


def test_savings_charge_every_schedule_its_own_restarts():
    # NOx needed on days 1 and 3 only; A loses 4 a day and restarts for 10, B loses 6 and restarts for 1
    ds = _inputs(
        [[0, 0, 0], [0, 0, 0]], [[4, 4, 4], [6, 6, 6]], [[[1]] * 3] * 2, [[1], [0], [1]], 0, [[10.0], [1.0]]
    )
    plan = solve(ds)
    x = plan.curtailment.values
    np.testing.assert_allclose(x, [[0, 0, 0], [1, 0, 1]], atol=1e-9)  # B, restarted once: 12 + 2
    doc = loss_attribution(ds, x, all_baselines(ds))
    assert doc["total"]["restart_cost"] == pytest.approx(plan.restart_cost) == pytest.approx(2.0)
    g = doc["savings"]["greedy"]
    # greedy stops the cheaper-output firm A on days 1 and 3: less output loss (8 < 12), two restarts of 10
    assert g["loss"] == pytest.approx(8.0) and g["restart_cost"] == pytest.approx(20.0)
    assert g["saving"] == pytest.approx(8.0 + 20.0 - 14.0) and g["saving_share"] == pytest.approx(0.5)
    for k, b in all_baselines(ds).items():
        v = doc["savings"][k]
        if b is None or not b.meets_targets:
            assert v["restart_cost"] is None
            continue
        assert v["restart_cost"] == pytest.approx(restart_cost_of(ds, b.curtailment))
        assert v["saving"] == pytest.approx(v["loss"] + v["restart_cost"] - 14.0)
    text = split_lines({"loss_split": doc["total"], "slots": doc["slots"], "savings": doc["savings"]})
    assert any("greedy" in ln and "+ restarts 20.0" in ln for ln in text)


def test_without_restarts_the_savings_are_output_loss_only():
    ds = three_firms()
    doc = loss_attribution(ds, solve(ds).curtailment.values, all_baselines(ds))
    assert doc["total"]["restart_cost"] == 0.0
    assert all(v["restart_cost"] in (0.0, None) for v in doc["savings"].values())
