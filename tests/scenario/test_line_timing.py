"""A line's episode timing within the limits of its process (processes.csv): planner.scenario.episode.line_timing."""

from __future__ import annotations

import numpy as np
import pytest

from planner.policy.registry import processes
from planner.scenario.episode import line_timing
from planner.scenario.run import prepare


def test_a_line_takes_its_process_limits_and_a_firm_its_measure_type():
    timing = {
        "response_hours": np.array([[2.0, 2.0], [2.0, 30.0], [2.0, 2.0], [1.0, 1.0]]),
        "min_down_days": np.array([[0.0, 3.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]),
        "restart_cost": np.array([[1.0, 1.0], [0.0, 0.0], [7.0, 7.0], [0.0, 0.0]]),
    }
    process = np.array(["blast_furnace", "general", "blast_furnace", "coke_oven"])
    is_line = np.array([True, True, False, True])
    out = line_timing(timing, process, is_line)
    bf, coke = processes().loc["blast_furnace"], processes().loc["coke_oven"]
    # the blast furnace line: the slower response, the longer down time (24 h = 1 day), its restart cost
    np.testing.assert_allclose(out["response_hours"][0], [bf["response_hours"]] * 2)
    np.testing.assert_allclose(out["min_down_days"][0], [1.0, 3.0])
    np.testing.assert_allclose(out["restart_cost"][0], [bf["restart_cost_wan"]] * 2)
    # a 'general' line and a whole firm keep the measure type's timing
    for k in timing:
        np.testing.assert_allclose(out[k][1:3], timing[k][1:3])
    # coke ovens: 48 h → 2 days, 12 h response
    assert out["min_down_days"][3].tolist() == [2.0, 2.0]
    assert out["response_hours"][3].tolist() == [coke["response_hours"]] * 2


@pytest.fixture(scope="module")
def episode(repo):
    return prepare(repo / "scenarios" / "demo_episode.yaml")


def test_the_demo_episode_times_each_line_by_its_process(episode):
    inp = episode.inputs
    proc = inp["process"].values.astype(str)
    line = inp["line_id"].values.astype(str) != ""
    bf = line & (proc == "blast_furnace")
    assert bf.any()
    assert (inp["restart_cost"].values[bf] == processes().loc["blast_furnace", "restart_cost_wan"]).all()
    assert (inp["min_down_days"].values[bf] >= 1).all()
    whole = ~line
    assert (inp["restart_cost"].values[whole] != processes().loc["blast_furnace", "restart_cost_wan"]).any()
