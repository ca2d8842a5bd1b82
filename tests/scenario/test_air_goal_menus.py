"""A concentration goal with measure menus: menu firms take no part in the goal rows (the goal is
met without their options' µg/m³), the plan verifies, and its reported ΔPM2.5 counts them."""

from __future__ import annotations

import numpy as np
import yaml

from planner.scenario.run import run


def test_a_goal_scenario_with_menus_is_optimal_and_verified(tmp_path, repo):
    doc = {
        "name": "goal_menus",
        "base": str(repo / "scenarios" / "demo_episode_air_goal.yaml"),
        "menus": str(repo / "data" / "demo_city" / "menus.yaml"),
    }
    path = tmp_path / "goal_menus.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = run(path)
    assert result.summary["status"] == "optimal", result.summary["messages"]
    assert result.plan.violations == []
    inp = result.prepared.inputs
    menu = np.unique(inp["menu_enterprise"].values.astype(int))
    assert len(menu) and np.all(inp["aq_coef"].values[:, :, menu, :] == 0.0)
    goal = result.summary["air_quality"]["goal"]["delta_pm25_city"]
    rows = result.summary["air_quality"]["rows"]
    assert rows and all(r["achieved"] >= r["goal"] - 1e-6 for r in rows)
    # the plan's own ΔPM2.5 (menu firms' options included) is at least what the goal rows count
    for s in result.summary["slots"]:
        assert s["air_quality"]["delta_pm25"] >= goal - 1e-3
