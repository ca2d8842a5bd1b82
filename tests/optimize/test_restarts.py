"""Episode restarts: stop columns, minimum down time and restart costs, checked by brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planner.optimize import verify
from planner.optimize.blocks import MIN_DOWN, STOP, STOP_START, build_model
from planner.optimize.inputs import plan_inputs_from_arrays
from planner.optimize.model import solve
from planner.optimize.options import SolveOptions
from planner.optimize.restarts import restart_cost_of, stop_runs


def _inputs(floor, loss, red, target, down, cost, lines=1, day=None, chain=None, ceiling=None):
    floor = np.asarray(floor, float)
    E, S = floor.shape
    ds = plan_inputs_from_arrays(
        floor,
        np.ones((E, S)) if ceiling is None else ceiling,
        loss,
        red,
        target,
        lines=lines,
        chain=[0] * S if chain is None else chain,
        toggle_allowed=[True] * E,
        slot=[f"2026-12-{10 + s}" for s in range(S)],
    )
    ds["min_down_days"] = (("enterprise", "slot"), np.asarray(down, float) * np.ones((E, S)))
    ds["restart_cost"] = (("enterprise", "slot"), np.asarray(cost, float) * np.ones((E, S)))
    ds["day"] = (("slot",), np.arange(S) if day is None else np.asarray(day))
    return ds


def _feasible_by_hand(x, down, day, chain, ceiling):
    """Min-down rule written directly on stop patterns (x in {0,1}), a third independent form."""
    E, S = x.shape
    for e in range(E):
        for k in range(S):
            started = x[e, k] == 1 and not (
                k > 0 and chain[k] == chain[k - 1] and day[k] == day[k - 1] + 1 and x[e, k - 1] == 1
            )
            if not started:
                continue
            t = k
            while t + 1 < S and chain[t + 1] == chain[k] and day[t + 1] == day[t] + 1:
                t += 1
                if day[t] - day[k] >= down[e, k] or ceiling[e, t] < ceiling[e, k]:
                    break
                if x[e, t] != 1:
                    return False
    return True


def _brute(ds):
    floor = ds["floor"].values
    ceil = ds["ceiling"].values
    E, S = floor.shape
    loss = ds["loss_at_full"].values
    red = ds["reducible"].values
    target = ds["target"].values
    down = ds["min_down_days"].values
    day = ds["day"].values
    chain = ds["chain"].values
    best = (np.inf, None)
    for bits in itertools.product((0, 1), repeat=E * S):
        x = np.array(bits, float).reshape(E, S)
        if (x < floor - 1e-9).any() or (x > ceil + 1e-9).any():
            continue
        if ((x[:, :, None] * red).sum(axis=0) < target - 1e-9).any():
            continue
        if not _feasible_by_hand(x, down, day, chain, ceil):
            continue
        total = (loss * x).sum() + restart_cost_of(ds, x)
        if total < best[0] - 1e-9:
            best = (total, x)
    return best


@pytest.mark.parametrize("seed", range(16))
def test_min_down_and_restart_cost_match_enumeration(seed):
    """Every stop pattern of 2 firms × 4 days (gaps, locks and down times varying)."""
    rng = np.random.default_rng(seed)
    E, S = 2, 4
    ceiling = np.where(rng.random((E, S)) < 0.15, 0.0, 1.0)
    floor = np.minimum((rng.random((E, S)) < 0.2).astype(float), ceiling)
    day = np.cumsum(rng.choice([1, 1, 1, 2], S))
    loss = rng.uniform(1, 10, (E, S))
    red = rng.uniform(0.5, 2.0, (E, S, 1))
    target = rng.uniform(0.0, 1.6, (S, 1))
    down = rng.integers(0, 4, (E, 1))
    cost = rng.choice([0.0, 3.0, 8.0], (E, 1))
    ds = _inputs(floor, loss, red, target, down, cost, day=day, ceiling=ceiling)
    best, _ = _brute(ds)
    plan = solve(ds, discrete=True, mip_gap=0.0)
    if not np.isfinite(best):
        assert plan.status != "optimal"
        return
    assert plan.status == "optimal", plan.messages
    got = plan.objective + plan.restart_cost
    assert got == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert plan.violations == []


def test_a_stopped_line_stays_down_then_the_cut_falls():
    # red day 1 forces a stop (floor 1); the next days need nothing: with a 3-day minimum down
    # time the line stays stopped on days 2 and 3 and may restart on day 4
    ds = _inputs([[1, 0, 0, 0]], [[5, 5, 5, 5]], [[[1]] * 4], [[0]] * 4, 3, 2.0)
    plan = solve(ds, discrete=True)
    assert plan.curtailment.values.tolist() == [[1, 1, 1, 0]]
    assert plan.restart_cost == pytest.approx(2.0)
    m, _ = build_model(ds, SolveOptions(discrete=True))
    assert {STOP, STOP_START, MIN_DOWN} <= set(m.blocks)
    runs = stop_runs(ds, plan.curtailment.values)
    assert runs["held"].tolist() == [[False, True, True, False]]
    assert runs["restarted"].tolist() == [[0, 0, 1, 0]]
    # without a down time the cut falls the next day (de-escalation)
    free = _inputs([[1, 0, 0, 0]], [[5, 5, 5, 5]], [[[1]] * 4], [[0]] * 4, 0, 0.0)
    assert solve(free, discrete=True).curtailment.values.tolist() == [[1, 0, 0, 0]]


def test_restart_cost_keeps_a_line_down_across_a_one_day_dip():
    # stop needed on days 1 and 3; restarting for day 2 costs 10 > the day's loss of 4
    ds = _inputs([[1, 0, 1]], [[4, 4, 4]], [[[1]] * 3], [[0]] * 3, 0, 10.0)
    plan = solve(ds, discrete=True)
    assert plan.curtailment.values.tolist() == [[1, 1, 1]]
    cheap = _inputs([[1, 0, 1]], [[4, 4, 4]], [[[1]] * 3], [[0]] * 3, 0, 1.0)
    assert solve(cheap, discrete=True).curtailment.values.tolist() == [[1, 0, 1]]


def test_a_gap_in_the_days_breaks_the_run():
    # days 10, 11, 13: the alert was lifted on day 12, so the line restarted in between
    ds = _inputs([[1, 0, 0]], [[5, 5, 5]], [[[1]] * 3], [[0]] * 3, 3, 0.0, day=[0, 1, 3])
    assert solve(ds, discrete=True).curtailment.values.tolist() == [[1, 1, 0]]


def test_a_lower_ceiling_on_the_later_day_wins():
    ceiling = np.array([[1.0, 0.0, 1.0]])
    ds = _inputs([[1, 0, 0]], [[5, 5, 5]], [[[1]] * 3], [[0]] * 3, 3, 0.0, ceiling=ceiling)
    plan = solve(ds, discrete=True)
    assert plan.status == "optimal" and plan.curtailment.values.tolist() == [[1, 0, 0]]


def test_continuous_shares_follow_the_same_rules():
    # two lines, continuous: half stopped on day 1 must stay for 2 days
    ds = _inputs([[0.5, 0, 0]], [[5, 5, 5]], [[[1]] * 3], [[0]] * 3, 2, 1.0, lines=2)
    plan = solve(ds)
    assert plan.curtailment.values.round(9).tolist() == [[0.5, 0.5, 0]]
    assert plan.restart_cost == pytest.approx(1.0)  # one line restarted


def test_verifier_catches_a_broken_down_time_and_a_wrong_cost():
    ds = _inputs([[1, 0, 0]], [[5, 5, 5]], [[[1]] * 3], [[0]] * 3, 3, 2.0)
    plan = solve(ds, discrete=True)
    assert plan.violations == []
    plan.curtailment.values[:] = [[1, 0, 0]]
    plan.objective = 5.0
    out = verify.verify_plan(ds, plan)
    assert any("minimum down time" in v for v in out)
    plan.curtailment.values[:] = [[1, 1, 1]]
    plan.objective = 15.0
    plan.restart_cost = 0.0
    assert any("restart cost" in v for v in verify.verify_plan(ds, plan))
