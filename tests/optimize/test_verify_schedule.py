"""The inventory-level verifier catches doctored schedules that the PlanInputs would not reveal."""

from __future__ import annotations

import copy

import pytest

from planner.optimize.verify import verify_schedule
from planner.scenario.run import run


@pytest.fixture(scope="module")
def result(repo):
    return run(repo / "scenarios" / "demo_list.yaml")


def check(result, schedule=None, summary=None, table=None):
    p = result.prepared
    return verify_schedule(
        result.schedule if schedule is None else schedule,
        p.table if table is None else table,
        p.bounds,
        result.summary if summary is None else summary,
        p.shares,
        p.city.get("total_emissions_on_basis", p.city["total_emissions"]),
        lines=result.schedule_lines,
        units=p.units,
        unit_table=p.unit_table,
    )


def test_a_solved_plan_passes(result):
    assert check(result) == []


def test_inflated_reduction_is_caught(result):
    df = result.schedule.copy()
    i = df.index[df["reduction_NOx"] > 0][0]
    df.loc[i, "reduction_NOx"] *= 2
    assert any("NOx reductions that the inventory does not support" in m for m in check(result, schedule=df))


def test_emissions_changed_in_the_inventory_are_caught(result):
    table = result.prepared.table.copy()
    # the biggest SO2 emitter among the firms whose SO2 reductions the schedule counts (on the
    # regenerated demo city the biggest of all is an A firm that cuts nothing)
    cutting = result.schedule.loc[result.schedule["reduction_SO2"] > 0, "enterprise_id"].unique()
    big = table.loc[table.index.isin(cutting), "SO2"].idxmax()
    table.loc[big, "SO2"] *= 0.5
    assert any("SO2" in m for m in check(result, table=table))


def test_cut_below_floor_and_missed_target_are_caught(result):
    df = result.schedule.copy()
    floors = df["floor"] > 0
    df.loc[floors, "curtailment"] = 0.0
    for p in ("SO2", "NOx", "PM", "VOCs"):
        df.loc[floors, f"reduction_{p}"] = 0.0
    msgs = check(result, schedule=df)
    assert any("less than the rule floor" in m for m in msgs)
    assert any("fall below the target" in m for m in msgs)


def test_misreported_achieved_is_caught(result):
    summary = copy.deepcopy(result.summary)
    summary["slots"][0]["achieved"]["PM"] += 5
    assert any("achieved is reported" in m for m in check(result, summary=summary))


def test_missing_achieved_is_a_message_not_a_crash(result):
    # a plan without solver values (a time limit before any solution) writes achieved: null
    summary = copy.deepcopy(result.summary)
    summary["slots"][0]["achieved"]["PM"] = None
    assert any("achieved is not reported" in m for m in check(result, summary=summary))


def test_list_monotonicity_is_checked(result):
    df = result.schedule.copy()
    wide = df.pivot(index="enterprise_id", columns="level", values="curtailment")
    ceil = df.pivot(index="enterprise_id", columns="level", values="ceiling")
    eid = wide.index[(wide["orange"] < 0.5) & (ceil["yellow"] >= 0.9)][0]
    df.loc[(df["enterprise_id"] == eid) & (df["level"] == "yellow"), "curtailment"] = (
        wide.loc[eid, "orange"] + 0.3
    )
    assert any("cut less at orange than at yellow" in m for m in check(result, schedule=df))


def test_a_doctored_line_is_caught(result):
    lines = result.schedule_lines.copy()
    i = lines.index[lines["reduction_NOx"] > 0][0]
    lines.loc[i, "reduction_NOx"] *= 2
    p = result.prepared
    got = verify_schedule(
        result.schedule,
        p.table,
        p.bounds,
        result.summary,
        p.shares,
        p.city.get("total_emissions_on_basis", p.city["total_emissions"]),
        lines=lines,
        units=p.units,
        unit_table=p.unit_table,
    )
    assert any("line rows give NOx reductions" in m for m in got)
