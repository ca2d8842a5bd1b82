"""Ensemble risk end to end: ``ensemble: {chance: q}`` scenarios on a 5-member toy ensemble.

Members met are recomputed from ``schedule.csv`` and from each member planned as a single
forecast; the chance optimum is checked against every choice of member sets (one LP each).
"""

from __future__ import annotations

import itertools
import json

import ensemble_toy as T
import numpy as np
import pandas as pd
import pytest

from planner import POLLUTANTS
from planner.cli.main import main
from planner.optimize.model import solve
from planner.policy.alerts import evaluate_alerts
from planner.problems import InputError
from planner.scenario.files import load_scenario
from planner.scenario.run import prepare, run, solve_prepared
from planner.targets.forecast import city_daily_aqi, read_forecast

SHARES = {"yellow": 0.2, "orange": 0.25, "red": 0.4}  # red needs cuts above the orange plan


def scenario(tmp_path, repo, **extra):
    return T.write_city(tmp_path / "city", repo, 1.0, {"shares": SHARES, **extra})


def member_targets(prep) -> np.ndarray:
    """(slot, member, P) from each member as a single forecast, the shares and the city totals."""
    ds = read_forecast(prep.scenario.forecast)
    totals = prep.city["total_emissions_on_basis"]
    slots = prep.inputs["slot"].values.astype(str)
    out = np.zeros((len(slots), ds.sizes["member"], len(POLLUTANTS)))
    for k, name in enumerate(ds["member"].values):
        days = evaluate_alerts(city_daily_aqi(ds.sel(member=name).drop_vars("member"), "2026"), "2024").days
        level = dict(zip(pd.to_datetime(days["date"]).dt.strftime("%Y-%m-%d"), days["level"], strict=True))
        for s, slot in enumerate(slots):
            if level[slot] != "none":
                out[s, k] = [SHARES[level[slot]] * totals[p] / 365.0 for p in POLLUTANTS]
    return out


def met_from_schedule(result, targets) -> np.ndarray:
    """Members met per slot, from the schedule rows and the summary's credited/chosen tonnes."""
    sch = result.schedule
    met = []
    for s, slot in enumerate(result.summary["slots"]):
        rows = sch[sch["slot"] == slot["slot"]]
        got = np.array(
            [
                rows[f"reduction_{p}"].sum() + slot["credited"][p] + slot["non_industrial_chosen"][p]
                for p in POLLUTANTS
            ]
        )
        met.append(int((got[None, :] >= targets[s] - 1e-6 * np.maximum(1, targets[s])).all(axis=1).sum()))
    return np.array(met)


def test_members_met_are_reported_for_any_plan(tmp_path, repo):
    for method in ("optimal", "uniform"):
        result = run(scenario(tmp_path, repo, options={"method": method}))
        targets = member_targets(result.prepared)
        met = met_from_schedule(result, targets)
        for s, slot in enumerate(result.summary["slots"]):
            assert slot["members_met"] == met[s]
            assert slot["members_total"] == 5
            assert slot["members_met_share"] == pytest.approx(met[s] / 5)
        ens = result.summary["ensemble"]
        assert ens["members"] == 5 and ens["chance"] is None
        assert {d["date"] for d in ens["days"]} >= {s["slot"] for s in result.summary["slots"]}
    assert met.min() < 5  # the uniform (and the optimal) orange plan misses the red members


def test_chance_plan_meets_the_share_at_the_enumerated_least_loss(tmp_path, repo):
    plain = run(scenario(tmp_path, repo))
    prep = prepare(scenario(tmp_path, repo, ensemble={"chance": 0.8}))
    result = solve_prepared(prep)
    assert result.status == "optimal"
    targets = member_targets(prep)
    np.testing.assert_allclose(prep.inputs["member_target"].values, targets)
    met = met_from_schedule(result, targets)
    assert (met >= 4).all() and [s["members_met"] for s in result.summary["slots"]] == met.tolist()
    assert result.summary["objective"] > plain.summary["objective"] * 1.001
    assert result.summary["ensemble"]["formulation"] == "sorted"
    # enumeration: every choice of 4 members per slot, one LP each
    base = prep.inputs.drop_vars(["member_target", "chance_required"]).drop_dims("member")
    best = np.inf
    S = len(targets)
    for pick in itertools.product(itertools.combinations(range(5), 4), repeat=S):
        t = base["target"].values.copy()
        for s in range(S):
            t[s] = np.maximum(t[s], targets[s, list(pick[s])].max(axis=0))
        p = solve(base.assign(target=(("slot", "pollutant"), t)), {"mip_gap": 0.0})
        if p.status == "optimal":
            best = min(best, p.objective)
    assert result.summary["objective"] == pytest.approx(best, rel=1e-6)


@pytest.mark.parametrize("formulation", ["auto", "indicators"])
def test_both_adapters_and_formulations_agree(tmp_path, repo, formulation):
    losses = []
    for backend in ("highs", "pulp"):
        r = run(
            scenario(
                tmp_path,
                repo,
                ensemble={"chance": 0.8, "formulation": formulation},
                solver={"backend": backend, "mip_gap": 0.0},
            )
        )
        assert r.status == "optimal", r.summary["messages"]
        losses.append(r.summary["objective"])
    assert losses[0] == pytest.approx(losses[1], rel=1e-7)


def test_unreachable_share_names_the_days_and_exits_1(tmp_path, repo, capsys):
    path = T.write_city(
        tmp_path / "city", repo, 1.0, {"shares": {**SHARES, "red": 0.9}, "ensemble": {"chance": 0.8}}
    )
    code = main(["plan", str(path), "--out", str(tmp_path / "out"), "--format", "json"])
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "infeasible"
    ens = doc["ensemble"]
    out = ens["chance_out_of_reach"]
    assert out
    for d in ens["days"]:
        if d["date"] in out:
            assert d["members_reachable"] < ens["members_required"] == 4
            assert d["reachable_share"] == pytest.approx(d["members_reachable"] / 5)
    assert any(out[0] in m and "can meet at most" in m for m in doc["messages"])
    # the text view says so too
    assert main(["plan", str(path), "--out", str(tmp_path / "out")]) == 1
    text = capsys.readouterr().out
    assert "ensemble (5 members)" in text and "reachable" in text


@pytest.mark.parametrize(
    ("ensemble", "key", "words"),
    [
        ({"chanse": 0.8}, "ensemble.chanse", "chance"),
        ({"chance": 1.5}, "ensemble.chance", "(0, 1]"),
        ({"chance": 0}, "ensemble.chance", "(0, 1]"),
        ({"chance": "0.8"}, "ensemble.chance", "(0, 1]"),
        ({"chance": 0.8, "formulation": "bigm"}, "ensemble.formulation", "sorted"),
    ],
)
def test_schema_errors_name_the_key_path(tmp_path, repo, ensemble, key, words):
    with pytest.raises(InputError) as err:
        load_scenario(scenario(tmp_path, repo, ensemble=ensemble))
    hits = [p for p in err.value.problems.items if p.column == key]
    assert hits, err.value.problems.to_text()
    assert words in hits[0].message


def test_chance_needs_episode_mode_and_members(tmp_path, repo, capsys):
    with pytest.raises(InputError) as err:
        load_scenario(scenario(tmp_path, repo, mode="list", ensemble={"chance": 0.8}))
    assert [p.column for p in err.value.problems.items] == ["ensemble.chance"]
    single = T.write_city(tmp_path / "single", repo, 1.0, {"ensemble": {"chance": 0.8}}, members=False)
    with pytest.raises(InputError) as err:
        prepare(single)
    assert err.value.problems.items[0].column == "ensemble.chance"
    assert "member" in err.value.problems.items[0].message
    assert main(["plan", str(single), "--out", str(tmp_path / "o")]) == 2


def test_list_mode_checks_each_forecast_day_with_the_slot_of_its_issued_level(tmp_path, repo):
    result = run(scenario(tmp_path, repo, mode="list"))
    ens = result.summary["ensemble"]
    issued = {d["date"]: d["level"] for d in ens["days"]}
    slots = {s["slot"]: s for s in result.summary["slots"]}
    for level, slot in slots.items():
        n_days = sum(1 for lv in issued.values() if lv == level)
        assert slot["members_total"] == 5 * n_days
        met = sum(d["members_met"] for d in ens["days"] if d["level"] == level)
        assert slot["members_met"] == met
    assert any(d["slot"] == d["level"] == "orange" for d in ens["days"])
    # the orange list slot meets the members at or below orange, not the red ones
    day = next(d for d in ens["days"] if d["level"] == "orange")
    ml = day["member_levels"]
    assert day["members_met"] == ml["none"] + ml["yellow"] + ml["orange"]


def test_shipped_chance_scenario_meets_the_share_on_the_demo(repo):
    result = run(repo / "scenarios" / "demo_episode_chance_2017.yaml")
    ens = result.summary["ensemble"]
    assert result.status == "optimal" and ens["chance"] == 0.9 and ens["members_required"] == 18
    assert all(d["members_met"] >= 18 and d["chance_met"] for d in ens["days"])
    assert ens["formulation"] == "sorted"
    red = [d for d in ens["days"] if d["level"] == "orange" and d["member_levels"]["red"]]
    assert red and all(d["members_met"] == 20 for d in red if 20 - d["member_levels"]["red"] < 18)
