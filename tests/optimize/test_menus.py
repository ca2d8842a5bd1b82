"""Measure menus in the model: the MILP against brute force, monotonicity, load cuts, both adapters,
episode days, the verifier's check."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import ALERT_LEVELS, POLLUTANTS
from planner.optimize import blocks as B
from planner.optimize import highs_backend, pulp_backend
from planner.optimize import menus as MN
from planner.optimize.inputs import check_plan_inputs, plan_inputs_from_arrays
from planner.optimize.model import solve
from planner.optimize.options import SolveOptions
from planner.optimize.transforms import substitute_chains
from planner.optimize.verify import CHECKS, verify_plan
from planner.policy.menus import FirmMenu, MenuOption, Menus, monotone_choice

DAYS = [8.0, 5.0, 3.0]


def _list_inputs(emissions, output, target, locked=None, slot_days=DAYS):
    """List-mode PlanInputs (yellow, orange, red) of firms with given t/d and 万元/d."""
    em = np.asarray(emissions, float)
    E, S = len(em), 3
    lock = np.zeros((E, S)) if locked is None else np.asarray(locked, float)
    loss = np.asarray(output, float)[:, None] * np.asarray(slot_days)[None, :]
    ds = plan_inputs_from_arrays(
        lock,
        lock,
        loss,
        np.repeat(em[:, None, :], S, axis=1),
        target,
        level=list(ALERT_LEVELS),
        chain=[0, 0, 0],
        days=slot_days,
        mode="list",
        slot=list(ALERT_LEVELS),
    )
    table = pd.DataFrame(em, columns=list(POLLUTANTS), index=[str(e) for e in ds["enterprise"].values])
    return ds, table


def _opt(i, c, r=None):
    r = (c,) * 4 if r is None else tuple(r)
    return MenuOption(f"o{i}", f"选项{i}", f"option {i}", float(c), tuple(float(v) for v in r))


def _brute_force(ds, menus: Menus):
    """Least loss over every monotone combination of options (no load cuts), or inf."""
    ent = [str(e) for e in ds["enterprise"].values]
    loss = ds["loss_at_full"].values
    em = ds["reducible"].values[:, 0, :]
    fixed_x = ds["floor"].values.copy()
    target = ds["target"].values - ds["credited"].values
    base = np.einsum("es,esp->sp", fixed_x, ds["reducible"].values)
    base_loss = float((fixed_x * loss).sum())
    per_firm = []
    for eid, m in menus.firms.items():
        e = ent.index(eid)
        fixed_x[e] = 0.0
        combos = []
        for combo in itertools.product(*(m.levels[lv] for lv in ALERT_LEVELS)):
            opts = [m.options[k] for k in combo]
            c = np.array([o.output_share for o in opts])
            r = np.array([o.removal for o in opts])  # (S, P)
            if (np.diff(c) < -1e-12).any() or (np.diff(r, axis=0) < -1e-12).any():
                continue
            combos.append(((c * loss[e]).sum(), r * em[e][None, :], e, c))
        per_firm.append(combos)
    # the fixed firms' share, without the menu firms
    base = np.einsum("es,esp->sp", fixed_x, ds["reducible"].values)
    base_loss = float((fixed_x * loss).sum())
    best = np.inf
    for choice in itertools.product(*per_firm):
        tonnes = base + sum(ch[1] for ch in choice)
        if (tonnes >= target - 1e-9).all():
            best = min(best, base_loss + sum(ch[0] for ch in choice))
    return best


@st.composite
def _instances(draw):
    n_menu = draw(st.integers(2, 3))
    n_locked = draw(st.integers(1, 2))
    E = n_menu + n_locked
    em = np.array(
        draw(st.lists(st.lists(st.floats(0.1, 3.0), min_size=4, max_size=4), min_size=E, max_size=E))
    )
    out = np.array(draw(st.lists(st.floats(1.0, 50.0), min_size=E, max_size=E)))
    firms = {}
    for f in range(n_menu):
        k = draw(st.integers(2, 3))
        opts = []
        for i in range(k):
            c = draw(st.sampled_from([0.0, 0.1, 0.25, 0.4, 0.5, 0.75, 1.0]))
            r = [min(1.0, c * draw(st.sampled_from([0.5, 1.0, 1.5]))) for _ in range(4)]
            opts.append(_opt(i, c, r))
        levels = {
            lv: tuple(sorted(draw(st.sets(st.integers(0, k - 1), min_size=1, max_size=k))))
            for lv in ALERT_LEVELS
        }
        menu = FirmMenu(f"e{f}", tuple(opts), levels, 0.0)
        if monotone_choice(menu) is None:
            # a menu the loader would refuse: make it admissible by allowing the heaviest everywhere
            heavy = int(np.argmax([o.output_share + sum(o.removal) for o in opts]))
            menu = FirmMenu(
                f"e{f}", tuple(opts), {lv: tuple(sorted({*levels[lv], heavy})) for lv in ALERT_LEVELS}, 0.0
            )
        firms[f"e{f}"] = menu
    locked = np.zeros((E, 3))
    locked[n_menu:] = np.array(draw(st.lists(st.sampled_from([0.0, 0.2, 0.5]), min_size=3, max_size=3)))
    locked[n_menu:] = np.maximum.accumulate(locked[n_menu:], axis=1)
    share = draw(st.floats(0.05, 0.6))
    target = share * em.sum(axis=0)[None, :] * np.array([[0.5], [0.8], [1.0]])
    return em, out, locked, target, Menus(firms)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_instances())
def test_the_milp_equals_brute_force_over_every_option_combination(inst):
    em, out, locked, target, menus = inst
    ds, table = _list_inputs(em, out, target, locked)
    ds = MN.with_menus(ds, menus, table)
    check_plan_inputs(ds)
    best = _brute_force(ds, menus)
    plan = solve(ds, mip_gap=0.0, allow_shortfall=False)
    if not np.isfinite(best):
        assert plan.status != "optimal"
        return
    assert plan.status == "optimal", plan.messages
    assert plan.violations == []
    assert plan.objective == pytest.approx(best, rel=1e-7, abs=1e-7)
    # one option per firm and slot, and the curtailment is its output share
    z = plan.menu["choice"].values
    firm = ds["menu_enterprise"].values
    for f in np.unique(firm):
        assert (z[firm == f].sum(axis=0) == 1).all()


def _two_firm_menus(extra=0.0):
    a = FirmMenu(
        "e0",
        (_opt(0, 0.0, (0, 0, 0, 0)), _opt(1, 0.3), _opt(2, 0.5, (0.8, 0.8, 0.8, 0.8)), _opt(3, 1.0)),
        {"yellow": (0, 1), "orange": (1, 2), "red": (2, 3)},
        extra,
    )
    b = FirmMenu("e1", (_opt(0, 0.2), _opt(1, 0.6)), {"yellow": (0, 1), "orange": (0, 1), "red": (1,)}, 0.0)
    return Menus({"e0": a, "e1": b})


def test_monotonicity_keeps_the_orange_choice_at_least_the_yellow_one():
    # yellow's target needs the heavy option of e0; orange's alone would let it fall back to 0.3
    em = [[1, 1, 1, 1], [1, 1, 1, 1]]
    target = [[1.2] * 4, [0.5] * 4, [1.6] * 4]
    locked = [[0, 0, 0], [0.3, 0.3, 0.6]]  # e1 is locked at 0.3, 0.3, 0.6
    ds, table = _list_inputs(em, [10, 40], target, locked)
    menus = Menus(
        {
            "e0": FirmMenu(
                "e0", (_opt(0, 0.3), _opt(1, 0.5, (1.0,) * 4)), {lv: (0, 1) for lv in ALERT_LEVELS}, 0.0
            )
        }
    )
    ds = MN.with_menus(ds, menus, table)
    plan = solve(ds, mip_gap=0.0)
    assert plan.status == "optimal" and plan.violations == []
    ids = list(ds["menu_option_id"].values)
    z = plan.menu["choice"].values
    chosen = [ids[int(np.argmax(z[:, s]))] for s in range(3)]
    assert chosen == ["o1", "o1", "o1"]  # orange may not fall back to the lighter o0
    # the verifier catches a plan that falls back
    plan.menu["choice"].values[:, 1] = [1.0, 0.0]
    plan.curtailment.values[0, 1] = 0.3
    assert any("menu monotonicity" in v for v in verify_plan(ds, plan))


def test_a_load_cut_combines_with_an_option_and_removes_in_proportion_to_the_running_lines():
    # e0's option stops half its output and 80 % of its emissions; target needs 0.9 t of 1 t
    em = [[1, 1, 1, 1], [0, 0, 0, 0]]
    target = [[0.9, 0, 0, 0]] * 3
    ds, table = _list_inputs(em, [10, 1], target)
    menus = Menus(
        {
            "e0": FirmMenu(
                "e0", (_opt(0, 0.5, (0.8,) * 4), _opt(1, 1.0)), {lv: (0, 1) for lv in ALERT_LEVELS}, 0.3
            )
        }
    )
    ds = MN.with_menus(ds, menus, table)
    plan = solve(ds, mip_gap=0.0)
    assert plan.status == "optimal" and plan.violations == []
    # the load cut y removes y · (1 - 0.8) / (1 - 0.5) = 0.4 y: 0.8 + 0.4 y = 0.9 -> y = 0.25
    np.testing.assert_allclose(plan.curtailment.values[0], [0.75, 0.75, 0.75], atol=1e-7)
    np.testing.assert_allclose(plan.menu["load_cut"].values[0], [0.25, 0.25, 0.25], atol=1e-7)
    assert plan.objective == pytest.approx(0.75 * 10 * sum(DAYS))
    assert set(plan.reason.values[0]) == {"menu"}
    # without the load cut the firm must stop
    ds0, table0 = _list_inputs(em, [10, 1], target)
    menus0 = Menus({"e0": FirmMenu("e0", menus.firms["e0"].options, menus.firms["e0"].levels, 0.0)})
    plan0 = solve(MN.with_menus(ds0, menus0, table0), mip_gap=0.0)
    np.testing.assert_allclose(plan0.curtailment.values[0], [1.0, 1.0, 1.0])


def test_both_adapters_and_the_chain_rewrite_agree_with_menus():
    em = [[1, 2, 1, 0.5], [2, 1, 1, 1], [0.5, 0.5, 2, 1], [1, 1, 1, 1]]
    target = [[1, 1, 1, 0.5], [1.5, 1.5, 1.5, 1], [2, 2, 2, 1.5]]
    ds, table = _list_inputs(em, [10, 20, 5, 8], target)
    ds["ceiling"][:] = 1.0  # the other firms are free
    ds = MN.with_menus(ds, _two_firm_menus(0.2), table)
    opts = SolveOptions.from_any({"mip_gap": 0.0})
    m, _ = B.build_model(ds, opts)
    assert {MN.MENU_CHOICE, MN.MENU_LOAD, MN.MENU_ONE, MN.MENU_LINK, MN.MENU_MONO} <= set(m.blocks)
    assert set(m.blocks) <= set(CHECKS)
    a = highs_backend.solve(m, mip_gap=0.0)
    b = pulp_backend.solve(m, solver="highs", mip_gap=0.0)
    cost, _, _, _ = m.column_arrays()
    obj = [float(cost @ np.concatenate([s.values[k] for k in m.variables])) for s in (a, b)]
    assert obj[0] == pytest.approx(obj[1], rel=1e-9)
    substitute_chains(m)  # a MILP: left as it is, and nothing breaks
    c = highs_backend.solve(m, mip_gap=0.0)
    assert float(cost @ np.concatenate([c.values[k] for k in m.variables])) == pytest.approx(obj[0], rel=1e-9)
    pa, pb = solve(ds, mip_gap=0.0), solve(ds, mip_gap=0.0, backend="pulp")
    assert pa.status == pb.status == "optimal"
    assert pa.violations == [] and pb.violations == []
    assert pa.objective == pytest.approx(pb.objective, rel=1e-9)
    # loss caps see the menu firms' loss
    capped = solve(ds, mip_gap=0.0, firm_loss_cap=0.6, county_loss_cap=1.0)
    assert capped.violations == []


def test_the_menu_firms_ordinary_columns_are_fixed_at_zero_and_their_cut_comes_from_the_menu():
    em = [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]
    ds, table = _list_inputs(em, [1, 1, 1], [[0.4] * 4] * 3)
    ds = MN.with_menus(ds, _two_firm_menus(), table)
    m, _ = B.build_model(ds, SolveOptions())
    x = m.variables[B.CURTAILMENT]
    assert (x.upper.reshape(3, 3)[:2] == 0).all()
    plan = solve(ds, mip_gap=0.0)
    np.testing.assert_allclose(
        plan.achieved.values, np.einsum("os,op->sp", plan.menu["choice"].values, ds["menu_reduction"].values)
    )


def test_a_tampered_choice_fails_verification():
    em = [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]
    ds, table = _list_inputs(em, [1, 2, 3], [[0.4] * 4] * 3)
    ds = MN.with_menus(ds, _two_firm_menus(), table)
    plan = solve(ds, mip_gap=0.0)
    assert plan.violations == []
    two = plan.menu["choice"].copy()
    two.values[:, 0] = 0.0
    two.values[:2, 0] = 1.0  # two options of e0 at yellow
    plan.menu["choice"] = two
    assert any("expected exactly one" in v for v in verify_plan(ds, plan))
    plan2 = solve(ds, mip_gap=0.0)
    plan2.menu["choice"].values[:, 2] = 0.0
    plan2.menu["choice"].values[0, 2] = 1.0  # e0's "nothing" option is not on its red menu
    assert any("not on the menu" in v for v in verify_plan(ds, plan2))


def _episode(levels, toggle):
    S = len(levels)
    em = np.array([[1.0, 1, 1, 1], [1.0, 1, 1, 1]])
    ds = plan_inputs_from_arrays(
        np.zeros((2, S)),
        np.zeros((2, S)),
        np.array([[10.0] * S, [1.0] * S]),
        np.repeat(em[:, None, :], S, axis=1),
        np.zeros((S, 4)),
        level=levels,
        chain=[0] * S,
        toggle_allowed=[toggle, toggle],
        mode="episode",
    )
    table = pd.DataFrame(em, columns=list(POLLUTANTS), index=["e0", "e1"])
    menu = FirmMenu(
        "e0",
        (_opt(0, 0.0, (0,) * 4), _opt(1, 0.3), _opt(2, 1.0)),
        {"yellow": (0,), "orange": (1,), "red": (2,)},
        0.0,
    )
    return MN.with_menus(ds, Menus({"e0": menu}), table)


def test_episode_days_follow_their_level_and_a_firm_that_cannot_toggle_keeps_the_highest_level():
    levels = ["yellow", "orange", "red", "orange", "yellow"]
    plan = solve(_episode(levels, True), mip_gap=0.0)
    assert plan.violations == []
    np.testing.assert_allclose(plan.curtailment.values[0], [0.0, 0.3, 1.0, 0.3, 0.0])
    plan = solve(_episode(levels, False), mip_gap=0.0)
    assert plan.violations == []
    np.testing.assert_allclose(plan.curtailment.values[0], [0.0, 0.3, 1.0, 1.0, 1.0])
    a, b, for_chained, eff = MN.slot_pairs(_episode(levels, True))
    assert eff.tolist() == [0, 1, 2, 2, 2]
    assert {(int(x), int(y)) for x, y, c in zip(a, b, for_chained, strict=True) if not c} >= {
        (0, 2),
        (4, 2),
        (1, 2),
        (0, 3),
    }


def test_without_menus_the_model_has_no_menu_blocks():
    ds, _ = _list_inputs([[1, 1, 1, 1]], [1], [[0.0] * 4] * 3)
    m, _ = B.build_model(ds, SolveOptions())
    assert not set(m.blocks) & set(MN.MENU_BLOCKS)
    assert MN.menu_arrays(ds) is None
