"""Expert analyses (planner.reports.analysis) on hand-checked tiny instances."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from planner import POLLUTANTS
from planner.optimize.model import solve
from planner.reports.analysis import (
    budget_curve,
    max_feasible_share,
    max_reduction_under_budget,
    next_grade,
    single_slot_inputs,
    upgrade_value_arrays,
)


def tiny_inputs(floor, ceiling, loss, nox, target_nox, days=(5.0,), levels=("orange",), credited_nox=0.0):
    """PlanInputs with NOx only (other pollutants: no target, no reduction)."""
    floor = np.atleast_2d(np.asarray(floor, dtype=float))
    E, S = floor.shape
    red = np.zeros((E, S, 4))
    red[:, :, 1] = np.asarray(nox, dtype=float).reshape(E, S)
    target = np.zeros((S, 4))
    target[:, 1] = target_nox
    credited = np.zeros((S, 4))
    credited[:, 1] = credited_nox
    slots = list(levels)
    return xr.Dataset(
        {
            "floor": (("enterprise", "slot"), floor),
            "ceiling": (("enterprise", "slot"), np.asarray(ceiling, dtype=float).reshape(E, S)),
            "loss_at_full": (("enterprise", "slot"), np.asarray(loss, dtype=float).reshape(E, S)),
            "reducible": (("enterprise", "slot", "pollutant"), red),
            "target": (("slot", "pollutant"), target),
            "credited": (("slot", "pollutant"), credited),
            "credited_loss": (("slot",), np.zeros(S)),
            "lines": (("enterprise",), np.ones(E, dtype=int)),
            "county": (("enterprise",), np.array(["c"] * E)),
            "industry": (("enterprise",), np.array(["cement"] * E)),
            "grade_rank": (("enterprise",), np.full(E, 4)),
            "level": (("slot",), np.array(slots)),
            "days": (("slot",), np.asarray(days, dtype=float)),
            "order": (("slot",), np.arange(S)),
            "chain": (("slot",), np.zeros(S, dtype=int)),
            "toggle_allowed": (("enterprise",), np.zeros(E, dtype=bool)),
        },
        coords={"enterprise": [f"F{i + 1}" for i in range(E)], "slot": slots, "pollutant": list(POLLUTANTS)},
        attrs={"mode": "list"},
    )


@pytest.fixture
def two_firms():
    # F1 (grade C): must stop at orange; 200 万元 per season at full stop, 2 t/d NOx.
    # F2 (grade B): 20 % cut floor; 50 万元 at full stop, 1 t/d NOx.  Target 2.5 t/d NOx.
    return tiny_inputs(
        floor=[[1.0], [0.2]],
        ceiling=[[1.0], [1.0]],
        loss=[[200.0], [50.0]],
        nox=[[2.0], [1.0]],
        target_nox=2.5,
    )


def test_two_firm_instance_optimum(two_firms):
    plan = solve(two_firms, {})
    # F1 stopped gives 2.0, F2 at its floor 0.2 more; F2 must go to 0.5: 200 + 25
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(225.0)
    assert plan.curtailment.values.ravel() == pytest.approx([1.0, 0.5])


def test_upgrade_value_hand_checked(two_firms):
    plan = solve(two_firms, {})
    after = {
        # F1 C -> B: floor 20 % cut; F2 B -> A: self-directed (floor 0, ceiling 0)
        "floor": np.array([[0.2], [0.0]]),
        "ceiling": np.array([[1.0], [0.0]]),
        "reducible": two_firms["reducible"].values.copy(),
    }
    df = upgrade_value_arrays(
        two_firms, plan.curtailment.values, plan.objective, after, candidates=np.array([0, 1]), resolve=[0, 1]
    )
    f1, f2 = df.loc[0], df.loc[1]
    # firm level: F1's mandatory loss 200 -> 40; F2's 10 -> 0
    assert f1["firm_saving"] == pytest.approx(160.0)
    assert f2["firm_saving"] == pytest.approx(10.0)
    assert f1["plan_loss_before"] == pytest.approx(200.0)
    # city level after F1's upgrade: F1 at 0.2 (0.4 t), F2 up to 1.0 (1 t, 50 万元; cheaper per tonne),
    # F1 must add 1.1 t -> x1 = 0.75 (150 万元): total 200, saving 25; F1 itself now loses 150
    assert f1["city_loss_after"] == pytest.approx(200.0)
    assert f1["city_saving"] == pytest.approx(25.0)
    assert f1["firm_loss_after"] == pytest.approx(150.0)
    assert f1["status_after"] == "optimal"
    # F2 self-directed: F1 alone reaches 2.0 < 2.5 t/d -> the city cannot meet the target
    assert f2["status_after"] == "infeasible" and np.isnan(f2["city_saving"])


def test_max_reduction_under_budget(two_firms):
    # rules-only loss: 200 + 10 = 210 -> 2.2 t/d = 0.88 of the target
    low = max_reduction_under_budget(two_firms, 100.0)
    assert low["status"] == "infeasible" and low["rules_only_loss"] == pytest.approx(210.0)
    r = max_reduction_under_budget(two_firms, 210.0)
    assert r["fraction"] == pytest.approx(2.2 / 2.5)
    # 225 buys exactly the target (the plan's optimum)
    r = max_reduction_under_budget(two_firms, 225.0)
    assert r["fraction"] == pytest.approx(1.0) and r["loss"] == pytest.approx(225.0)
    # everything: 3 t/d at 250
    r = max_reduction_under_budget(two_firms, 1000.0)
    assert r["fraction"] == pytest.approx(3.0 / 2.5) and r["loss"] == pytest.approx(250.0)
    assert r["achieved"].loc["orange", "NOx"] == pytest.approx(3.0)
    curve = budget_curve(two_firms, [210.0, 225.0, 250.0])
    assert list(curve["fraction"]) == pytest.approx([0.88, 1.0, 1.2])


def test_budget_lp_respects_chain():
    # two levels; a firm cut at yellow must be cut at least as much at orange
    ds = tiny_inputs(
        floor=[[0.0, 0.0]],
        ceiling=[[1.0, 1.0]],
        loss=[[10.0, 1.0]],
        nox=[[1.0, 1.0]],
        target_nox=1.0,
        days=(1.0, 1.0),
        levels=("yellow", "orange"),
    )
    r = max_reduction_under_budget(ds, 5.5)
    # max t: x_y >= t, x_o >= t, 10 x_y + x_o <= 5.5, x_y <= x_o  ->  t = x_y = x_o = 0.5
    assert r["fraction"] == pytest.approx(0.5)
    x = r["curtailment"].values
    assert x[0, 0] <= x[0, 1] + 1e-9


def test_max_feasible_share_and_single_slot(two_firms):
    totals = np.array([1.0, 10.0, 1.0, 1.0])
    feas = max_feasible_share(two_firms, totals)
    assert feas["NOx"] == pytest.approx(0.3)
    assert feas["all"] == 0.0  # nothing removes SO2
    one = single_slot_inputs(two_firms, 0)
    assert float(one["loss_at_full"].values[0, 0]) == pytest.approx(40.0)  # per alert day (200 / 5 days)
    assert float(two_firms["loss_at_full"].values[0, 0]) == 200.0  # input unchanged


def test_next_grade():
    assert next_grade("C") == "B" and next_grade("B") == "A" and next_grade("B-") == "B"
    assert next_grade("A") is None and next_grade("ungraded") is None
    assert next_grade("C", "none") is None
    assert next_grade("non_leading", "leading") == "leading" and next_grade("C", "leading") is None


# --------------------------------------------------------------------------- on a real (tiny) scenario
@pytest.fixture(scope="module")
def tiny(tmp_path_factory, repo):
    from tiny_city import TINY_SHARES, solve_tiny

    return solve_tiny(tmp_path_factory.mktemp("tiny_an"), repo, extra=TINY_SHARES)


def test_least_cost_curve_tiny(tiny):
    from planner.reports.analysis import least_cost_curve

    curve = least_cost_curve(tiny.prepared, shares=[0.05, 0.1, 0.2, 0.3, 0.5, 0.9])
    ok = curve[curve["status"] == "optimal"]
    assert len(ok) >= 3
    assert ok["loss"].is_monotonic_increasing
    for _, r in ok.iterrows():
        for b in ("uniform", "greedy"):
            if r[b] is not None and not np.isnan(r[b]):
                assert r[b] >= r["loss"] - 1e-6 * max(1.0, r["loss"])
    feas = curve.attrs["max_feasible_share"]
    first_bad = curve.attrs["first_infeasible_share"]
    assert first_bad is not None and first_bad > feas - 1e-9
    assert (curve.loc[curve["share"] <= feas - 1e-6, "status"] == "optimal").all()
    # the curve's loss is per alert day: at the orange share it matches the plan's orange loss per day
    orange_share = 0.25
    one = least_cost_curve(tiny.prepared, shares=[orange_share], baselines=False)
    sched = tiny.schedule
    plan_orange = sched.loc[sched["slot"] == "orange", "output_loss"].sum() / 5.0
    assert one["loss"].iloc[0] <= plan_orange + 1e-6  # the list couples levels; one level alone is no dearer


def test_upgrade_values_tiny(tiny):
    from planner.reports.analysis import upgrade_campaign, upgrade_values

    table = tiny.prepared.table
    up = upgrade_values(tiny, top=3)
    assert set(up["grade"]) <= {"B", "C", "D", "B-", "non_leading"}
    assert "A" not in set(up["grade"])  # A has nothing to move up to
    assert up["firm_saving"].is_monotonic_decreasing
    cement_c = str(
        table[(table["industry"].astype(str) == "cement") & (table["grade"].astype(str) == "C")].index[0]
    )
    row = up.loc[cement_c]
    assert row["grade_after"] == "B"
    # cement C -> B: yellow 50 % lines -> 0, orange stop -> 20 % of the base, red stop -> stop
    inp = tiny.prepared.inputs
    loss = inp["loss_at_full"].sel(enterprise=cement_c).values
    base_share = float(table.loc[cement_c, "base_share"])
    expected_after = 0.0 * loss[0] + 0.2 * base_share * loss[1] + 1.0 * loss[2]
    assert row["rule_loss_after"] == pytest.approx(expected_after, rel=1e-6)
    # yellow C stops 50 % of the lines, whole lines (one of one, one of two, two of three …)
    n_lines = int(table.loc[cement_c, "line_count"])
    yellow_before = np.ceil(0.5 * n_lines - 1e-9) / n_lines
    assert row["rule_loss_before"] == pytest.approx(yellow_before * loss[0] + loss[1] + loss[2], rel=1e-6)
    assert (up["status_after"].notna()).sum() == 3
    solved = up[up["status_after"] == "optimal"]
    # the city-level saving is the change of the optimum (it may be negative: an upgrade can also
    # lower a firm's ceiling or change what its measure removes)
    assert np.allclose(solved["city_saving"], tiny.summary["objective"] - solved["city_loss_after"])
    camp = upgrade_campaign(tiny, [cement_c])
    assert camp["firms"] == 1 and camp["upgraded"] == [(cement_c, "C", "B")]
    if row["status_after"] == "optimal":
        assert camp["city_saving"] == pytest.approx(row["city_saving"], abs=1e-6)


def test_measure_effectiveness_tiny(tiny):
    from planner.reports.analysis import measure_effectiveness

    eff = measure_effectiveness(tiny)
    g, src = eff["by_group"], eff["sources"]
    assert g["loss"].sum() == pytest.approx(tiny.schedule["output_loss"].sum())
    assert "optimizer_extra" in set(g["measure_type"])
    for s in tiny.summary["slots"]:
        for p in POLLUTANTS:
            r = src[(src["slot"] == s["slot"]) & (src["pollutant"] == p)].iloc[0]
            assert r["credited"] + r["floor"] + r["optimizer"] == pytest.approx(
                s["achieved"][p], rel=1e-6, abs=1e-9
            )


def test_analysis_command_json(tiny, capsys):
    import json

    from planner.cli.main import main

    assert main(["analyze", str(tiny.scenario.file), "--format", "json", "--top", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["scenario"] == "tiny" and doc["status"] == "optimal"
    assert [r["share"] for r in doc["curve"]][:2] == [0.05, 0.1]
    assert 0 < doc["max_feasible_share"] < 10
    assert sum(r["status_after"] is not None for r in doc["upgrades"]) == 2
    assert {"slot", "pollutant", "floor_share", "optimizer_share"} <= set(doc["sources"][0])
    assert main(["analyze", str(tiny.scenario.file)]) == 0
    assert "least-cost curve" in capsys.readouterr().out


def test_feasibility_by_slot_tiny(tiny):
    from tiny_city import TINY_SHARES

    from planner.reports.analysis import feasibility_by_slot

    f = feasibility_by_slot(tiny.prepared)
    assert list(f.index) == ["yellow", "orange", "red"]
    assert f.loc["orange", "required"] == pytest.approx(TINY_SHARES["shares"]["orange"])
    assert (f["all"] >= f["required"] - 1e-9).all()  # the tiny plan is optimal, so every slot is reachable
    assert (f["all"] <= f[list(POLLUTANTS)].min(axis=1) + 1e-12).all()


def test_max_tonnes_of_one_pollutant_under_budget(two_firms):
    # 235 万元: floors (210) + 25 more; NOx per 万元: F2 1/50 better than F1 2/200 -> F2 up by 0.5 (25 万元)
    r = max_reduction_under_budget(two_firms, 235.0, pollutant="NOx")
    assert r["achieved"].loc["orange", "NOx"] == pytest.approx(2.0 + 0.7)
    assert r["loss"] == pytest.approx(235.0)
    assert r["fraction"] == pytest.approx(2.7 / 2.5)
    with pytest.raises(ValueError, match="unknown pollutant 'CO2'"):
        max_reduction_under_budget(two_firms, 235.0, pollutant="CO2")
