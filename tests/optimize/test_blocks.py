"""The one model definition: every block verified, both adapters identical, the rewrite exact,
and a golden LP file for a tiny instance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.optimize import blocks as B
from planner.optimize import highs_backend, pulp_backend
from planner.optimize.blocks import build_model
from planner.optimize.inputs import plan_inputs_from_arrays, random_plan_inputs
from planner.optimize.model import solve
from planner.optimize.options import SolveOptions
from planner.optimize.transforms import recover, substitute_chains
from planner.optimize.verify import CHECKS, verify_plan

GOLDEN = Path(__file__).parent / "golden"
ALL_ON = dict(
    discrete=True, grade_monotonicity=True, county_loss_cap=0.6, firm_loss_cap=0.5, equity_weight=1e-3
)


def _every_block_name() -> set[str]:
    names: set[str] = set()
    ds = random_plan_inputs(60, 7, seed=2, mode="episode", target_scale=3.0)
    for opts in (ALL_ON, {}):
        m, _ = build_model(ds, SolveOptions.from_any(opts), shortfall_everywhere=True)
        names |= set(m.blocks)
        substitute_chains(m)
        names |= set(m.blocks)
    return names


def test_every_block_the_model_can_hold_has_a_check():
    names = _every_block_name()
    # the blocks a minimum-loss model can hold (budget-analysis blocks are not plans)
    expected = {
        B.CURTAILMENT,
        B.SHORTFALL,
        B.TARGET,
        B.CHAIN,
        B.GRADE_T,
        B.GRADE_BELOW,
        B.GRADE_ABOVE,
        B.TOTAL_LOSS,
        B.LOSS_TOTAL,
        B.COUNTY_CAP,
        B.FIRM_CAP,
        B.MAX_SHARE,
        B.EQUITY,
        B.BOUND_ROWS,
    }
    assert expected <= names
    assert names <= set(CHECKS), f"blocks without a verifier check: {sorted(names - set(CHECKS))}"


def test_a_plan_records_its_blocks_and_an_unknown_block_fails_verification():
    ds = random_plan_inputs(30, 3, seed=4)
    plan = solve(ds, grade_monotonicity=True, county_loss_cap=0.9)
    assert B.TARGET in plan.blocks and B.CURTAILMENT in plan.blocks
    assert verify_plan(ds, plan) == []
    plan.blocks = [*plan.blocks, "Enterprise-Slot-something-new"]
    assert any("has no check" in v for v in verify_plan(ds, plan))


def test_the_chain_rewrite_is_exact():
    ds = random_plan_inputs(400, 7, seed=11, mode="episode")
    o = SolveOptions()
    plain, _ = build_model(ds, o)
    folded, _ = build_model(ds, o)
    substitute_chains(folded)
    assert folded.constraints[B.CHAIN].size < plain.constraints[B.CHAIN].size
    a = highs_backend.solve(plain)
    b = highs_backend.solve(folded)
    assert a.state == b.state == "optimal"
    ca, _, _, _ = plain.column_arrays()
    cb, _, _, _ = folded.column_arrays()
    obj_a = float(ca @ np.concatenate(list(a.values.values())))
    obj_b = float(cb @ np.concatenate(list(b.values.values())))
    assert obj_a == pytest.approx(obj_b, rel=1e-9)
    np.testing.assert_allclose(a.duals[B.TARGET], b.duals[B.TARGET], rtol=1e-6, atol=1e-7)
    xa = a.values[B.CURTAILMENT]
    xb = recover(folded, b.values[B.CURTAILMENT])
    # the optimum may not be unique; the recovered shares are feasible for the plain model
    lo, hi = plain.variables[B.CURTAILMENT].lower, plain.variables[B.CURTAILMENT].upper
    assert (xb >= lo - 1e-9).all() and (xb <= hi + 1e-9).all()
    assert xa.shape == xb.shape


@pytest.mark.parametrize("opts", [{}, {"discrete": True}, {"grade_monotonicity": True, "firm_loss_cap": 0.5}])
def test_both_adapters_give_the_same_objective_and_duals(opts):
    ds = random_plan_inputs(80, 3, seed=7, mode="list")
    a = solve(ds, backend="highs", mip_gap=1e-9, **opts)
    b = solve(ds, backend="pulp", mip_gap=1e-9, **opts)
    assert a.status == b.status
    assert a.objective == pytest.approx(b.objective, rel=1e-7)
    np.testing.assert_allclose(a.duals.values, b.duals.values, rtol=1e-5, atol=1e-6)


def _tiny():
    return plan_inputs_from_arrays(
        floor=[[0.1, 0.2], [0.0, 0.0], [0.5, 0.5]],
        ceiling=[[1.0, 1.0], [0.6, 0.6], [1.0, 1.0]],
        loss_at_full=[[10.0, 10.0], [4.0, 4.0], [7.0, 7.0]],
        reducible=[[[1.0, 0.5]] * 2, [[0.2, 1.0]] * 2, [[0.4, 0.4]] * 2],
        target=[[0.8, 0.9], [0.9, 1.0]],
        chain=[0, 0],
        grade_rank=[3, 6, 3],
        level=["orange", "red"],
        mode="list",
    )


def test_golden_lp_file_of_a_tiny_instance(tmp_path):
    """The tiny instance's LP, as PuLP writes it, is the committed golden file (names, rows, bounds).

    Regenerate after an intended change of the model with
    ``python -c "from tests.optimize.test_blocks import write_golden; write_golden()"``.
    """
    m, _ = build_model(_tiny(), SolveOptions(grade_monotonicity=True, firm_loss_cap=0.8))
    got = pulp_backend.write_model(m, tmp_path / "tiny.lp").read_text()
    want = (GOLDEN / "tiny.lp").read_text()
    assert got == want
    sol = highs_backend.solve(m)
    assert sol.state == "optimal"


def write_golden() -> None:  # pragma: no cover - maintenance helper
    m, _ = build_model(_tiny(), SolveOptions(grade_monotonicity=True, firm_loss_cap=0.8))
    pulp_backend.write_model(m, GOLDEN / "tiny.lp")
    pulp_backend.write_model(m, GOLDEN / "tiny.mps")


def test_mps_round_trip_solves_to_the_same_objective(tmp_path):
    import highspy

    m, _ = build_model(_tiny(), SolveOptions())
    path = pulp_backend.write_model(m, tmp_path / "tiny.mps")
    h = highs_backend.new_highs()
    assert h.readModel(str(path)) != highspy.HighsStatus.kError
    h.run()
    ours = highs_backend.solve(m)
    cost, _, _, _ = m.column_arrays()
    obj = float(cost @ np.concatenate(list(ours.values.values())))
    assert h.getInfo().objective_function_value == pytest.approx(obj, rel=1e-9)
