"""When the chain rewrite and HiGHS presolve are used (:mod:`planner.optimize.transforms`,
:func:`planner.optimize.direct.use_presolve`): measured rules, same optimum either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.optimize import direct
from planner.optimize.blocks import BOUND_ROWS, CHAIN, LINE_STOPS, build_model
from planner.optimize.inputs import random_plan_inputs
from planner.optimize.model import solve
from planner.optimize.options import SolveOptions
from planner.optimize.transforms import is_substituted, substitute_chains
from planner.scenario.run import prepare

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_list_lp():
    """The demo list's PlanInputs (lines, a yellow ≤ orange ≤ red chain), solved as an LP."""
    return prepare(REPO / "scenarios" / "demo_list.yaml").inputs


def test_the_rewrite_leaves_a_model_with_line_stops_as_built(demo_list_lp):
    m, _ = build_model(demo_list_lp, SolveOptions(discrete=False))
    assert LINE_STOPS in m.constraints and CHAIN in m.constraints
    n_chain = m.constraints[CHAIN].size
    substitute_chains(m)
    assert not is_substituted(m)
    assert BOUND_ROWS not in m.constraints and m.constraints[CHAIN].size == n_chain


def test_the_rewrite_folds_a_chained_lp_without_line_stops():
    m, _ = build_model(random_plan_inputs(50, 7, seed=3, mode="episode"), SolveOptions())
    n_chain = m.constraints[CHAIN].size
    substitute_chains(m)
    assert is_substituted(m) and m.constraints[CHAIN].size < n_chain


def test_presolve_rule(demo_list_lp, monkeypatch):
    auto = SolveOptions(discrete=False)
    m, d = build_model(demo_list_lp, auto)
    substitute_chains(m)  # left as built: line stops
    assert m.n_col < direct.LP_PRESOLVE_MIN_COLUMNS
    assert direct.use_presolve(auto, d, m) is False
    monkeypatch.setattr(direct, "LP_PRESOLVE_MIN_COLUMNS", m.n_col)
    assert direct.use_presolve(auto, d, m) is True
    assert direct.use_presolve(SolveOptions(discrete=False, presolve=False), d, m) is False
    # a rewritten LP never presolves, however large
    r, rd = build_model(random_plan_inputs(50, 7, seed=3, mode="episode"), auto)
    substitute_chains(r)
    monkeypatch.setattr(direct, "LP_PRESOLVE_MIN_COLUMNS", 1)
    assert direct.use_presolve(auto, rd, r) is False
    # a MILP presolves with at most 3 slots (the demo list's yellow, orange, red)
    mm, md = build_model(demo_list_lp, SolveOptions(discrete=True))
    assert md.mip and direct.use_presolve(SolveOptions(discrete=True), md, mm) is True


def test_presolve_on_or_off_gives_the_same_plan(demo_list_lp, monkeypatch):
    off = solve(demo_list_lp, discrete=False)
    monkeypatch.setattr(direct, "LP_PRESOLVE_MIN_COLUMNS", 1)
    on = solve(demo_list_lp, discrete=False)
    assert off.status == on.status == "optimal"
    assert on.objective == pytest.approx(off.objective, rel=1e-9)
    assert on.violations == off.violations == []
