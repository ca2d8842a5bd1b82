"""Decision units (lines and processes, issue 10): unequal lines, line stops the optimizer chooses,
the affine floor offset, grouping by owner, both adapters.  Hand-made 3–6 firm instances."""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest

from planner.optimize.baselines import all_baselines
from planner.optimize.inputs import plan_inputs_from_arrays, rule_floor
from planner.optimize.model import solve
from planner.optimize.verify import verify_plan

# A cement plant with 2 × 5,000 + 1 × 2,500 t/d kilns (output shares 0.4, 0.4, 0.2) whose C measure
# stops half of its lines (ceil(1.5) = 2 whole kilns), and two ordinary firms the optimizer may cut.
# The small kiln emits more per unit of output (an older line): which two kilns stop matters.
FIRM_LOSS = 100.0  # 万元 per day of the cement plant
KILN_SHARE = np.array([0.4, 0.4, 0.2])
KILN_NOX = np.array([3.0, 3.0, 4.0])  # t/d of each kiln


def lines_instance(target_nox: float, discrete_rows=True):
    """Units: kiln 1, kiln 2, kiln 3 (firm C1), firm F2, firm F3; one slot."""
    loss = np.r_[FIRM_LOSS * KILN_SHARE, 30.0, 50.0][:, None]
    nox = np.r_[KILN_NOX, 2.0, 5.0]
    red = np.zeros((5, 1, 4))
    red[:, 0, 1] = nox
    ds = plan_inputs_from_arrays(
        np.zeros((5, 1)),
        np.ones((5, 1)),
        loss,
        red,
        [[0.0, target_nox, 0.0, 0.0]],
        enterprise=["C1/1#", "C1/2#", "C1/3#", "F2", "F3"],
        slot=["red"],
    )
    ds["owner"] = ("enterprise", np.array(["C1", "C1", "C1", "F2", "F3"]))
    ds["line_id"] = ("enterprise", np.array(["1#", "2#", "3#", "", ""]))
    ds["process"] = ("enterprise", np.array(["clinker_kiln"] * 3 + ["general"] * 2))
    ds["output_share"] = ("enterprise", np.r_[KILN_SHARE, 1.0, 1.0])
    ds["whole_lines"] = (("enterprise", "slot"), np.array([[True]] * 3 + [[False]] * 2))
    ds["line_group"] = (("enterprise", "slot"), np.array([[0], [0], [0], [-1], [-1]]))
    ds["group_count"] = ("group", np.array([2.0]))
    ds = ds.assign_coords(group=["C1:clinker_kiln@red"])
    return ds


def brute_force(target_nox: float) -> float:
    """Least loss over every subset of stopped kilns (at least 2), the other two firms continuous
    (solved exactly: cheapest loss per tonne first)."""
    best = np.inf
    for k in (2, 3):
        for subset in itertools.combinations(range(3), k):
            loss = FIRM_LOSS * KILN_SHARE[list(subset)].sum()
            need = target_nox - KILN_NOX[list(subset)].sum()
            for cost, tonnes in sorted([(30.0 / 2.0, 2.0), (50.0 / 5.0, 5.0)]):
                take = min(max(need, 0.0), tonnes)
                loss += cost * take
                need -= take
            if need <= 1e-9:
                best = min(best, loss)
    return best


@pytest.mark.parametrize("target", [6.0, 7.0, 9.0, 11.0, 13.0])
def test_milp_chooses_the_cheapest_whole_lines(target):
    ds = lines_instance(target)
    plan = solve(ds, discrete=True, mip_gap=0.0)
    assert plan.status == "optimal", plan.messages
    x = plan.curtailment.values[:3, 0]
    assert np.allclose(x, np.round(x), atol=1e-6)  # whole kilns
    assert x.sum() >= 2 - 1e-6
    assert plan.objective == pytest.approx(brute_force(target), rel=1e-6)
    assert verify_plan(ds, plan) == []


def test_the_small_kiln_is_not_a_third_of_the_plant():
    ds = lines_instance(6.0)
    plan = solve(ds, discrete=True, mip_gap=0.0)
    x = plan.curtailment.values[:3, 0]
    # stopping a big and the small kiln (0.6 of the plant) beats both big ones (0.8); the
    # whole-firm model would have stopped ceil(1.5)/3 = 2/3 of the plant
    assert x[2] == pytest.approx(1.0)
    assert float((KILN_SHARE * x).sum()) == pytest.approx(0.6)
    assert plan.objective == pytest.approx(60.0)


def test_verifier_catches_too_few_lines():
    ds = lines_instance(6.0)
    plan = solve(ds, discrete=True, mip_gap=0.0)
    x = plan.curtailment.copy()
    x.values[:3, 0] = [1.0, 0.0, 0.0]
    x.values[4, 0] = 1.0  # targets still met by F3
    plan.curtailment = x
    assert any("line stop" in v for v in verify_plan(ds, plan))


def test_baselines_stop_the_rule_lines_and_never_beat_the_plan():
    ds = lines_instance(9.0)
    lo = rule_floor(ds)
    assert lo[:3, 0].tolist() == [0.0, 1.0, 1.0] or lo[:3, 0].sum() == 2  # two least-loss kilns
    assert lo[2, 0] == 1.0  # the small kiln is the cheapest
    plan = solve(ds)
    for name, b in all_baselines(ds).items():
        if b is not None and b.meets_targets:
            assert b.curtailment[:3, 0].sum() >= 2 - 1e-9, name
            assert plan.objective <= b.loss + 1e-6, name


def test_both_adapters_agree_on_a_lines_instance():
    ds = lines_instance(11.0)
    a = solve(ds, discrete=True, mip_gap=0.0, backend="highs")
    b = solve(ds, discrete=True, mip_gap=0.0, backend="pulp", solver="cbc")
    assert a.status == b.status == "optimal"
    assert a.objective == pytest.approx(b.objective, rel=1e-7)
    c = solve(ds, backend="highs")
    d = solve(ds, backend="pulp")
    assert c.objective == pytest.approx(d.objective, rel=1e-7)


def test_firm_loss_cap_groups_the_lines_of_a_firm():
    ds = lines_instance(9.0)
    plan = solve(ds, firm_loss_cap=0.8)
    assert plan.status in ("optimal", "infeasible")
    x = plan.curtailment.values[:, 0]
    loss = ds["loss_at_full"].values[:, 0] * x
    firm = np.array([loss[:3].sum(), loss[3], loss[4]])
    assert firm.max() <= 0.8 * firm.sum() + 1e-6
    assert verify_plan(ds, plan) == []


# ---------------------------------------------------------------------------------------- offset
def offset_instance():
    """Firm A's floor measure (a VOC-process stop at 0.5) removes only VOCs; a cut above it is a load
    cut that removes every pollutant.  Firm B is a plain firm."""
    ds = plan_inputs_from_arrays(
        [[0.5], [0.0], [0.0]],
        [[1.0], [1.0], [0.6]],
        [[10.0], [40.0], [25.0]],
        np.zeros((3, 1, 4)),
        [[0.0, 3.0, 0.0, 1.0]],
    )
    emis = np.array([[0.0, 4.0, 0.0, 2.0], [0.0, 5.0, 0.0, 0.0], [0.0, 2.0, 0.0, 1.0]])
    ff = np.array([[0, 0, 0, 1.0], [1, 1, 1, 1], [1, 1, 1, 1]])
    ef = np.ones((3, 4))
    floor = ds["floor"].values
    ds["floor_reduction"] = (("enterprise", "slot", "pollutant"), (emis * ff)[:, None, :] * floor[:, :, None])
    ds["extra_reducible"] = (("enterprise", "slot", "pollutant"), (emis * ef)[:, None, :])
    ds["reducible"] = (
        ("enterprise", "slot", "pollutant"),
        ds["floor_reduction"].values + ds["extra_reducible"].values * (1 - floor)[:, :, None],
    )
    return ds, emis, ff, ef


def independent_lp(ds, emis, ff, ef) -> float:
    """The same plan written directly in PuLP: removed = emis·(ff·floor + ef·(x − floor))."""
    E = ds.sizes["enterprise"]
    fl = ds["floor"].values[:, 0]
    ce = ds["ceiling"].values[:, 0]
    loss = ds["loss_at_full"].values[:, 0]
    prob = pulp.LpProblem("offset", pulp.LpMinimize)
    x = [prob.add_variable(f"x{e}", fl[e], ce[e]) for e in range(E)]
    prob += pulp.lpSum(loss[e] * x[e] for e in range(E))
    for p in range(4):
        t = ds["target"].values[0, p]
        if t > 0:
            prob += (
                pulp.lpSum(emis[e, p] * (ff[e, p] * fl[e] + ef[e, p] * (x[e] - fl[e])) for e in range(E)) >= t
            )
    prob.solve(pulp.HiGHS(msg=False))
    return float(pulp.value(prob.objective))


def test_offset_factors_match_an_independent_lp():
    ds, emis, ff, ef = offset_instance()
    plan = solve(ds)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(independent_lp(ds, emis, ff, ef), rel=1e-7)
    x = plan.curtailment.values[:, 0]
    removed = emis * (ff * ds["floor"].values + ef * (x[:, None] - ds["floor"].values))
    assert plan.achieved.values[0] == pytest.approx(removed.sum(axis=0))
    assert verify_plan(ds, plan) == []
    # the floor's NOx is 0: with the old single factor the extra cut of A would remove no NOx either
    assert removed[0, 1] == pytest.approx(4.0 * (x[0] - 0.5))


def test_without_the_offset_variables_nothing_changes():
    ds, *_ = offset_instance()
    plain = ds.drop_vars(["floor_reduction", "extra_reducible"])
    plain["reducible"] = (
        ("enterprise", "slot", "pollutant"),
        np.tile(np.array([[0, 4, 0, 2.0], [0, 5, 0, 0], [0, 2, 0, 1]])[:, None, :], (1, 1, 1)),
    )
    a = solve(plain)
    x = a.curtailment.values[:, 0]
    assert a.achieved.values[0, 1] == pytest.approx(float((x * plain["reducible"].values[:, 0, 1]).sum()))
    assert verify_plan(plain, a) == []


def test_verifier_recomputes_the_offset():
    ds, *_ = offset_instance()
    plan = solve(ds)
    ach = plan.achieved.copy()
    ach.values[0, 1] += 0.5
    plan.achieved = ach
    assert any("reported reduction" in v for v in verify_plan(ds, plan))


def test_a_line_cut_by_another_item_counts_as_stopped_only_when_stopped():
    # every kiln also has a 20 % cut (c = 0.2): the line stop counts (x − 0.2) / 0.8 per kiln
    ds = lines_instance(0.0)
    fl = ds["floor"].values.copy()
    fl[:3, 0] = 0.2
    ds["floor"] = (("enterprise", "slot"), fl)
    plan = solve(ds)
    x = plan.curtailment.values[:3, 0]
    assert ((x - 0.2) / 0.8).sum() == pytest.approx(2.0)
    # two whole kilns stopped (the cheapest: a big one and the small one), the third at its cut
    assert sorted(np.round(x, 9).tolist()) == [0.2, 1.0, 1.0]
    assert plan.objective == pytest.approx(FIRM_LOSS * (0.4 * 0.2 + 0.4 + 0.2))
    assert verify_plan(ds, plan) == []


def test_inputs_check_rejects_a_bad_line_group():
    from planner.optimize.inputs import check_plan_inputs
    from planner.problems import InputError

    ds = lines_instance(6.0)
    ds["line_group"] = (("enterprise", "slot"), np.array([[0], [0], [3], [-1], [-1]]))
    with pytest.raises(InputError, match="line_group"):
        check_plan_inputs(ds)


def test_grade_monotonicity_compares_a_firms_share_not_its_lines():
    # C1 (grade C, its kilns) and F2 (grade B) in one industry: C1's output-share-weighted cut must
    # be at least F2's; F3 elsewhere.  A target only F2 can meet cheaply forces C1 above its floor.
    ds = lines_instance(0.0)
    ds["grade_rank"] = ("enterprise", np.array([6, 6, 6, 3, 3]))
    ds["industry"] = ("enterprise", np.array(["cement"] * 4 + ["other"]))
    ds["line_group"] = (("enterprise", "slot"), np.full((5, 1), -1))
    ds["group_count"] = ("group", np.zeros(1))
    red = ds["reducible"].values.copy()
    red[3, 0, 1] = 20.0  # F2 is the cheap NOx source
    ds["reducible"] = (("enterprise", "slot", "pollutant"), red)
    tgt = ds["target"].values.copy()
    tgt[0, 1] = 10.0  # half of F2
    ds["target"] = (("slot", "pollutant"), tgt)
    free = solve(ds)
    assert free.curtailment.values[3, 0] == pytest.approx(0.5)
    plan = solve(ds, grade_monotonicity=True)
    x = plan.curtailment.values[:, 0]
    assert plan.status == "optimal"
    assert float((KILN_SHARE * x[:3]).sum()) >= x[3] - 1e-7
    assert plan.objective > free.objective
    assert verify_plan(ds, plan) == []
    # the verifier sees a firm whose share falls below the better grade's
    bad = plan.curtailment.copy()
    bad.values[:3, 0] = 0.0
    bad.values[3, 0] = 0.5
    plan.curtailment = bad
    assert any("grade monotonicity" in v for v in verify_plan(ds, plan))
