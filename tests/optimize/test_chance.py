"""Chance constraint over ensemble members (planner.optimize.chance), checked by enumeration.

A 5-member toy: for every way of choosing, per slot, a set of members of the required size, the
LP that meets those members' targets (and the issued targets) is solved; the least loss over all
choices must equal the chance-constrained optimum, for both formulations and both adapters.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planner.optimize.blocks import build_model
from planner.optimize.chance import BLOCKS, CHANCE, COUNT, MEMBER_Z, chance_data
from planner.optimize.inputs import random_plan_inputs
from planner.optimize.model import solve
from planner.optimize.options import SolveOptions
from planner.optimize.verify import CHECKS, verify_plan
from planner.targets.ensemble import met_members, required_members

K = 5
EXACT = {"mip_gap": 0.0}


def toy(seed: int, nested: bool, share: float = 0.8, slots: int = 2, scale: float = 1.0):
    """Random PlanInputs (12 firms) with member targets around the issued ones."""
    inp = random_plan_inputs(12, slots, seed=seed, mode="episode", target_scale=scale)
    rng = np.random.default_rng(seed + 100)
    base = inp["target"].values
    if nested:  # as from levels: one factor per member and day, the same for every pollutant
        factor = rng.choice([0.0, 1.0, 1.25, 1.45], size=(slots, K, 1))
    else:  # any right-hand sides
        factor = rng.uniform(0.8, 1.5, size=(slots, K, 4))
    mt = base[:, None, :] * factor
    out = inp.assign_coords(member=[f"m{k + 1}" for k in range(K)]).assign(
        member_target=(("slot", "member", "pollutant"), mt),
        chance_required=(("slot",), np.full(slots, required_members(share, K))),
    )
    out.attrs["chance"] = share
    return out


def brute_force(inputs) -> float:
    """Least loss over every choice of member sets of the required size (one LP each)."""
    base = inputs.drop_vars(["member_target", "chance_required"]).drop_dims("member")
    mt = inputs["member_target"].values
    S = mt.shape[0]
    n = int(inputs["chance_required"].values[0])
    best = np.inf
    for pick in itertools.product(itertools.combinations(range(K), n), repeat=S):
        t = base["target"].values.copy()
        for s in range(S):
            t[s] = np.maximum(t[s], mt[s, list(pick[s])].max(axis=0))
        plan = solve(base.assign(target=(("slot", "pollutant"), t)), EXACT)
        if plan.status == "optimal":
            best = min(best, plan.objective)
    return best


def achieved(inputs, plan) -> np.ndarray:
    x = plan.curtailment.transpose("enterprise", "slot").values
    return inputs["credited"].values + np.einsum("es,esp->sp", x, inputs["reducible"].values)


@pytest.mark.parametrize("seed", [1, 6, 9])
@pytest.mark.parametrize("nested", [True, False])
def test_chance_optimum_equals_enumeration_of_member_subsets(seed, nested):
    inp = toy(seed, nested)
    _m, d = build_model(inp, SolveOptions())
    assert (chance_data(inp, d).reachable == K).all()  # every member can be met: no lowering
    want = brute_force(inp)
    assert np.isfinite(want)
    plain = solve(inp.drop_vars(["member_target", "chance_required"]), EXACT).objective
    losses = {}
    for form in ("auto", "indicators") if nested else ("auto",):
        inp.attrs["chance_formulation"] = form
        for backend in ("highs", "pulp"):
            plan = solve(inp, {**EXACT, "backend": backend})
            assert plan.status == "optimal", plan.messages
            assert plan.violations == []
            met = met_members(achieved(inp, plan), inp["member_target"].values).sum(axis=1)
            assert (met >= 4).all()
            losses[form, backend] = plan.objective
    for got in losses.values():
        assert got == pytest.approx(want, rel=1e-7)
    assert want > plain * 1.001  # the chance constraint binds


def test_auto_picks_sorted_for_nested_members_and_indicators_otherwise():
    for nested, form, blocks in ((True, "sorted", {CHANCE}), (False, "indicators", {MEMBER_Z, COUNT})):
        inp = toy(6, nested)
        m, d = build_model(inp, SolveOptions())
        assert chance_data(inp, d).formulation == form
        assert blocks <= set(m.blocks)
        if nested:  # the sorted formulation is an LP
            assert not any(b.integer.any() for b in m.variables.values())


def test_every_chance_block_has_a_check_and_a_violation_is_caught():
    assert set(BLOCKS) <= set(CHECKS)
    inp = toy(6, True)
    inp.attrs["chance_formulation"] = "indicators"
    plan = solve(inp, EXACT)
    assert plan.status == "optimal"
    # the same curtailment checked against stricter member targets fails the chance check
    harder = inp.assign(member_target=inp["member_target"] * 3.0)
    out = verify_plan(harder, plan)
    assert any("ensemble chance" in v for v in out)


def test_unreachable_share_is_lowered_to_what_the_bounds_reach():
    inp = toy(6, True)
    mt = inp["member_target"].values.copy()
    mt[0, :3] *= 50.0  # three members of the first slot can never be met
    inp = inp.assign(member_target=(("slot", "member", "pollutant"), mt))
    _m, d = build_model(inp, SolveOptions())
    c = chance_data(inp, d)
    assert c.reachable[0] == 2 and c.required[0] == 2 and c.asked[0] == 4
    plan = solve(inp, EXACT)
    assert plan.status == "optimal" and plan.violations == []
    met = met_members(achieved(inp, plan), mt).sum(axis=1)
    assert met[0] == 2 and met[1] >= 4
