"""Fairness options: grade monotonicity inside an industry, county and firm loss caps."""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize.inputs import grade_participation, plan_inputs_from_arrays, random_plan_inputs
from planner.optimize.model import solve
from planner.optimize.verify import verify_plan

BACKENDS = [
    pytest.param({"backend": "pulp", "solver": "highs"}, id="pulp-highs"),
    pytest.param({"backend": "pulp", "solver": "cbc"}, id="pulp-cbc"),
    pytest.param({"backend": "highs"}, id="highs-direct"),
]
B, C = 3, 6  # grade ranks


def b_and_c(**kw):
    # B firm cheap, C firm expensive, same industry; target 1 t
    return plan_inputs_from_arrays(
        [[0.0], [0.0]], [[1.0], [1.0]], [[1.0], [2.0]], [[[1.0]], [[1.0]]], [[1.0]], grade_rank=[B, C], **kw
    )


@pytest.mark.parametrize("opts", BACKENDS)
def test_grade_monotonicity_changes_the_plan(opts):
    free = solve(b_and_c(), **opts)
    assert free.objective == pytest.approx(1.0, abs=1e-7)  # B alone
    fair = solve(b_and_c(), grade_monotonicity=True, **opts)
    assert fair.status == "optimal"
    np.testing.assert_allclose(fair.curtailment.values.ravel(), [0.5, 0.5], atol=1e-7)
    assert fair.objective == pytest.approx(1.5, abs=1e-7)
    assert fair.violations == []


@pytest.mark.parametrize("opts", BACKENDS)
def test_grade_monotonicity_only_inside_an_industry(opts):
    plan = solve(b_and_c(industry=["x", "y"]), grade_monotonicity=True, **opts)
    assert plan.objective == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("opts", BACKENDS)
def test_capped_worse_grade_firm_is_left_out(opts):
    # B firm must cut 50 %; the C firm's technical maximum is 30 % -> it cannot follow and is left
    # out of the rule (documented), instead of making the plan infeasible
    ds = plan_inputs_from_arrays(
        [[0.5], [0.0], [0.0]],
        [[1.0], [0.3], [1.0]],
        [[1.0], [1.0], [5.0]],
        [[[1.0]], [[1.0]], [[1.0]]],
        [[0.8]],
        grade_rank=[B, C, C],
    )
    part = grade_participation(ds, ds["floor"].values, ds["ceiling"].values)
    assert part[:, 0].tolist() == [True, False, True]
    plan = solve(ds, grade_monotonicity=True, **opts)
    assert plan.status == "optimal"
    x = plan.curtailment.values.ravel()
    assert x[2] >= x[0] - 1e-7  # the participating C firm follows the B firm
    assert plan.violations == []


@pytest.mark.parametrize("opts", BACKENDS)
def test_exempt_and_self_directed_are_outside_the_rule(opts):
    # an A firm (rank 1) with ceiling 0 and a D firm exempt: B's cut is unconstrained by them
    ds = plan_inputs_from_arrays(
        [[0.0], [0.0], [0.0]],
        [[1.0], [0.0], [0.0]],
        [[1.0], [1.0], [1.0]],
        [[[1.0]], [[1.0]], [[1.0]]],
        [[0.5]],
        grade_rank=[B, 1, 7],
    )
    plan = solve(ds, grade_monotonicity=True, **opts)
    assert plan.status == "optimal"
    assert plan.curtailment.values.ravel()[0] == pytest.approx(0.5)


@pytest.mark.parametrize("opts", BACKENDS)
def test_county_loss_cap(opts):
    # A (county a): 1 t for 1; B (county b): 1 t for 2; target 1.  Cap 0.6: a <= 0.6 (a + 2b), a + b = 1
    # -> a = 0.75, loss 1.25
    ds = plan_inputs_from_arrays(
        [[0.0], [0.0]], [[1.0], [1.0]], [[1.0], [2.0]], [[[1.0]], [[1.0]]], [[1.0]], county=["a", "b"]
    )
    plan = solve(ds, county_loss_cap=0.6, **opts)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(1.25, abs=1e-6)
    np.testing.assert_allclose(plan.curtailment.values.ravel(), [0.75, 0.25], atol=1e-6)


@pytest.mark.parametrize("opts", BACKENDS)
def test_firm_loss_cap(opts):
    ds = plan_inputs_from_arrays([[0.0], [0.0]], [[1.0], [1.0]], [[1.0], [2.0]], [[[1.0]], [[1.0]]], [[1.0]])
    plan = solve(ds, firm_loss_cap=0.6, **opts)
    assert plan.objective == pytest.approx(1.25, abs=1e-6)


def test_fairness_on_random_instance_both_backends():
    ds = random_plan_inputs(400, 3, seed=11, mode="list")
    kw = dict(grade_monotonicity=True, county_loss_cap=0.35, firm_loss_cap=0.2)
    a = solve(ds, backend="highs", **kw)
    b = solve(ds, backend="pulp", **kw)
    assert a.status == b.status == "optimal"
    assert a.objective == pytest.approx(b.objective, rel=1e-6)
    assert verify_plan(ds, a) == [] and verify_plan(ds, b) == []
    plain = solve(ds, backend="highs")
    assert plain.objective <= a.objective + 1e-6
    # a cap below what the floors already impose cannot hold at all: a clear status, no exception
    tight = solve(ds, backend="highs", grade_monotonicity=True, county_loss_cap=0.35, firm_loss_cap=0.05)
    assert tight.status == "infeasible" and np.isnan(tight.objective)
    assert any("contradict" in m for m in tight.messages)


def test_equity_term_is_secondary():
    ds = random_plan_inputs(200, 3, seed=4, mode="list")
    base = solve(ds)
    eq = solve(ds, equity_weight=1e-6)
    assert eq.status == "optimal" and eq.violations == []
    assert eq.objective >= base.objective - 1e-6
    assert eq.objective == pytest.approx(base.objective, rel=1e-3)
