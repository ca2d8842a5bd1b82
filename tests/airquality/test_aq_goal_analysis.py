"""µg/m³ analyses of a goal plan: the most PM2.5 a loss budget buys, the budget sweep beside the
tonnes, who delivers the goal, and the ``planner analyze`` report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from planner.airquality.analysis import (
    air_report,
    air_report_text,
    budget_delta_curve,
    max_pm25_under_budget,
)
from planner.scenario.run import run


@pytest.fixture(scope="module")
def goal_run(repo):
    return run(repo / "scenarios" / "demo_episode_air_goal.yaml")


def test_max_pm25_under_the_plans_budget_beats_the_goal_plan(goal_run):
    s = goal_run.summary
    budget = s["objective"]
    best = max_pm25_under_budget(goal_run.prepared, budget)
    assert best["status"] == "optimal"
    assert best["loss"] <= budget * (1 + 1e-7)
    rows = s["air_quality"]["rows"]
    plan_mean = np.mean([r["achieved"] for r in rows])  # one day per slot
    assert best["delta_pm25_mean"] >= plan_mean - 1e-4
    each = max_pm25_under_budget(goal_run.prepared, budget, objective="each_day")
    # the goal plan meets 2.3 on every day within this budget, so the best smallest day is at least that
    assert each["delta_pm25_min"] >= 2.3 - 1e-4
    assert each["delta_pm25_min"] == pytest.approx(each["delta_pm25"].min())
    low = max_pm25_under_budget(goal_run.prepared, 1.0)
    assert low["status"] == "infeasible" and "rule floors" in low["message"]


def test_budget_sweep_gives_both_curves(goal_run):
    ref = goal_run.summary["objective"]
    curve = budget_delta_curve(goal_run.prepared, [0.95 * ref, ref, 1.2 * ref])
    ok = curve.dropna(subset=["fraction", "max_delta_pm25"])
    assert len(ok) == 3
    assert (np.diff(ok["fraction"]) >= -1e-9).all()
    assert (np.diff(ok["max_delta_pm25"]) >= -1e-9).all()
    # aiming at µg/m³ buys at least the µg/m³ of the plan aiming at tonnes, and no more tonnes
    assert (ok["max_delta_pm25"] >= ok["fraction_delta_pm25"] - 1e-6).all()
    assert (ok["max_delta_pm25"] > ok["fraction_delta_pm25"] + 1e-3).any()


def test_air_report_and_its_text(goal_run):
    doc = air_report(goal_run, top=5, budgets=[goal_run.summary["objective"]], shares=[0.1, 0.2])
    json.dumps(doc)
    assert doc["method"] == "screening" and doc["goal"] == 2.3
    assert len(doc["firms"]) == 5
    pot = [r["potential_ug_per_wanyuan"] for r in doc["firms"]]
    assert pot == sorted(pot, reverse=True)
    assert any(r["status"] == "optimal" for r in doc["curve"])  # the goal's rows do not enter the 1-day curve
    county = {r["county"]: r for r in doc["by_county"]}
    assert "non_industrial" in county
    assert sum(r["share"] for r in doc["by_county"]) == pytest.approx(1.0)
    per_day = sum(r["delta_pm25_per_day"] for r in doc["by_county"])
    assert sum(r["share_of_goal"] for r in doc["by_county"]) == pytest.approx(per_day / 2.3)
    text = "\n".join(air_report_text(doc))
    assert "µg/m³ removed per 万元 lost" in text and "share of the goal" in text


def test_planner_analyze_json_has_the_air_quality_section(repo, capsys, monkeypatch):
    from planner.cli import analyze

    monkeypatch.setattr(analyze, "report", lambda result, **kw: {"scenario": result.summary["scenario"]})
    monkeypatch.setattr(
        analyze, "air_report", lambda result, **kw: air_report(result, top=3, budgets=[], shares=[0.1])
    )

    class Args:
        scenario = str(repo / "scenarios" / "demo_episode_air_goal.yaml")
        format = "json"
        level = None
        top = 1
        workers = 1
        scheduler = None

    assert analyze.run(Args()) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["air_quality"]["goal"] == 2.3 and len(doc["air_quality"]["firms"]) == 3
