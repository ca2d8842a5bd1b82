"""Baselines: rules only, uniform (一刀切), greedy (CoST-style), against the optimum."""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize.baselines import all_baselines, greedy, rules_only, run_baselines, uniform
from planner.optimize.inputs import plan_inputs_from_arrays, random_plan_inputs
from planner.optimize.model import solve
from planner.optimize.verify import verify_plan


def test_rules_only_reports_whether_targets_are_met():
    ds = plan_inputs_from_arrays([[0.5], [0.2]], [[1.0], [1.0]], [[2.0], [1.0]], [[[2.0]], [[1.0]]], [[1.0]])
    b = rules_only(ds)
    assert b.loss == pytest.approx(1.2)
    assert b.meets_targets  # 1.0 + 0.2 >= 1
    ds["target"][0, 0] = 2.0
    assert not rules_only(ds).meets_targets
    assert run_baselines(ds)["rules_only"] is None


def test_uniform_bisection_and_clipping():
    # A: ceiling 0.2; B: ceiling 1; target 0.8 t of 1 t each -> δ with min(δ, .2) + δ = .8 -> δ = 0.6
    ds = plan_inputs_from_arrays(
        [[0.0], [0.0], [0.0]],
        [[0.2], [1.0], [0.0]],
        [[1.0], [1.0], [9.0]],
        [[[1.0]], [[1.0]], [[5.0]]],
        [[0.8]],
    )
    u = uniform(ds)
    assert u.extra_share == pytest.approx(0.6, abs=1e-8)
    np.testing.assert_allclose(u.curtailment.ravel(), [0.2, 0.6, 0.0], atol=1e-8)
    assert u.meets_targets
    ds["target"][0, 0] = 1.3  # at most 1.2
    assert uniform(ds) is None
    assert greedy(ds) is None
    assert run_baselines(ds) == dict.fromkeys(
        ["rules_only", "uniform", "same_share", "equal_tonnes", "greedy"]
    )


def test_greedy_meets_targets_and_respects_chains():
    ds = random_plan_inputs(500, 7, seed=2)
    g = greedy(ds)
    assert g is not None and g.meets_targets
    x = g.curtailment
    fixed = ~ds["toggle_allowed"].values
    assert (np.diff(x[fixed], axis=1) >= -1e-12).all()
    assert (x >= ds["floor"].values - 1e-12).all() and (x <= ds["ceiling"].values + 1e-12).all()


@pytest.mark.parametrize(("mode", "S"), [("episode", 7), ("list", 3)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_optimum_never_exceeds_uniform_or_greedy(mode, S, seed):
    ds = random_plan_inputs(800, S, seed=seed, mode=mode)
    plan = solve(ds)
    assert plan.status == "optimal"
    b = all_baselines(ds)
    for name in ("uniform", "greedy"):
        assert b[name] is not None and b[name].meets_targets
        assert plan.objective <= b[name].loss + 1e-6 * b[name].loss
    assert b["rules_only"].loss <= plan.objective + 1e-6
    # each baseline plan is itself a valid plan for the LP (without fairness options)
    for name in ("uniform", "greedy"):
        p = solve(ds)
        p.curtailment.values[:] = b[name].curtailment
        p.objective = b[name].loss
        p.achieved.values[:] = b[name].achieved
        p.reason.values[:] = np.where(
            ds["ceiling"].values <= 0,
            "exempt",
            np.where(b[name].curtailment > ds["floor"].values + 1e-9, "optimizer", "floor"),
        )
        p.shortfall.values[:] = 0.0
        assert verify_plan(ds, p) == []
    losses = run_baselines(ds)
    assert set(losses) == {"rules_only", "uniform", "same_share", "equal_tonnes", "greedy"}


def _old_carry(ds, hi):
    """The chain carry as it was written before the shared arrays (boolean mask, every call)."""
    from planner.optimize.inputs import chain_pairs

    cp = chain_pairs(ds)

    def carry(x):
        f = cp.firms
        for a, b in cp.pairs:
            x[f, b] = np.minimum(np.maximum(x[f, b], x[f, a]), hi[f, b])
        return x

    return carry


@pytest.mark.parametrize(("mode", "S"), [("episode", 7), ("list", 3)])
@pytest.mark.parametrize("seed", [0, 4])
def test_chain_carry_equals_the_masked_loop(mode, S, seed):
    from planner.optimize.baselines import _chain_carry, effective_bounds

    ds = random_plan_inputs(300, S, seed=seed, mode=mode)
    lo, hi = effective_bounds(ds)
    x = np.random.default_rng(seed).uniform(size=lo.shape)
    np.testing.assert_array_equal(_chain_carry(ds, hi)(x.copy()), _old_carry(ds, hi)(x.copy()))


@pytest.mark.parametrize(("mode", "S"), [("episode", 7), ("list", 3)])
@pytest.mark.parametrize("seed", [0, 3])
def test_all_baselines_equal_each_baseline_alone(mode, S, seed):
    """all_baselines shares the bounds and arrays between the baselines: the same numbers, to the bit,
    as each baseline computed on its own."""
    from planner.optimize.baselines import BASELINES

    ds = random_plan_inputs(400, S, seed=seed, mode=mode)
    together = all_baselines(ds)
    for name, make in BASELINES.items():
        alone = make(ds)
        got = together[name]
        assert (alone is None) == (got is None)
        if alone is None:
            continue
        assert got.loss == alone.loss and got.meets_targets == alone.meets_targets
        np.testing.assert_array_equal(got.curtailment, alone.curtailment)
        np.testing.assert_array_equal(got.achieved, alone.achieved)
        assert got.level_parameter == alone.level_parameter and got.extra_share == alone.extra_share
    # the shared arrays are gone after the call: an edit of the inputs is seen by the next one
    ds["loss_at_full"].values[:] *= 2.0
    assert rules_only(ds).loss == pytest.approx(
        2 * together["rules_only"].loss - float(ds["credited_loss"].sum())
    )
