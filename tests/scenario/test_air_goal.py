"""``air_quality: {goal: …, source_receptor: …}`` in scenarios: schema errors with key paths, the
shipped goal scenario end to end (summary.json keys, consistency with the plan's effect, the
goal's price), the goal instead of the shares, station goals and SR files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from planner.airquality.effect import CITY, curtailment_coefficients
from planner.problems import InputError
from planner.scenario.files import load_scenario
from planner.scenario.run import prepare, run


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "inv.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "city.yaml").write_text("name: x\n", encoding="utf-8")
    return tmp_path


BASE = "inventory: inv.csv\ncity: city.yaml\n"


def _errors(folder: Path, text: str) -> list[str]:
    p = folder / "a.yaml"
    p.write_text(BASE + text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    return [f"{e.column}: {e.message} (row {e.row})" for e in exc.value.problems.errors]


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        (
            "air_quality: {goal: {delta_pm25_citty: 3}}\n",
            "air_quality.goal.delta_pm25_citty",
            "delta_pm25_city",
        ),
        ("air_quality: {goal: {delta_pm25_city: -2}}\n", "air_quality.goal.delta_pm25_city", "above 0"),
        ("air_quality: {goal: {delta_pm25_city: '3'}}\n", "air_quality.goal.delta_pm25_city", "number"),
        (
            "air_quality: {goal: {delta_pm25_station: .inf}}\n",
            "air_quality.goal.delta_pm25_station",
            "number",
        ),
        ("air_quality: {goal: {instead_of_shares: true}}\n", "air_quality.goal", "delta_pm25_city"),
        (
            "air_quality: {goal: {delta_pm25_city: 2, instead_of_shares: 'yes'}}\n",
            "air_quality.goal.instead_of_shares",
            "",
        ),
        ("air_quality: {sourc_receptor: sr.nc}\n", "air_quality.sourc_receptor", "source_receptor"),
        ("air_qualty: {goal: {delta_pm25_city: 2}}\n", "air_qualty", "air_quality"),
    ],
)
def test_schema_errors_name_the_key_path(folder, text, path, words):
    msgs = _errors(folder, text)
    assert any(m.startswith(path) and words in m for m in msgs), msgs


def test_source_receptor_path_is_resolved_and_checked(folder):
    msgs = _errors(folder, "air_quality: {source_receptor: missing.csv}\n")
    assert any(m.startswith("air_quality.source_receptor") and "does not exist" in m for m in msgs)
    msgs = _errors(folder, "air_quality: {source_receptor: ../../etc/passwd}\n")
    assert any(m.startswith("air_quality.source_receptor") and "outside" in m for m in msgs)
    (folder / "sr.csv").write_text("x\n", encoding="utf-8")
    (folder / "a.yaml").write_text(
        BASE + "air_quality: {source_receptor: sr.csv, goal: {delta_pm25_city: 2}}\n", encoding="utf-8"
    )
    s = load_scenario(folder / "a.yaml")
    assert s.air_quality["source_receptor"] == (folder / "sr.csv").resolve()
    assert s.air_quality["goal"] == {"delta_pm25_city": 2.0, "instead_of_shares": False}


@pytest.fixture(scope="module")
def goal_run(repo):
    return run(repo / "scenarios" / "demo_episode_air_goal.yaml")


def test_shipped_goal_scenario_solves_verifies_and_reports(goal_run):
    s = goal_run.summary
    assert s["status"] == "optimal", s["messages"]
    aq = s["air_quality"]
    assert aq["met"] is True and aq["method"] == "screening"
    assert aq["goal"] == {"delta_pm25_city": 2.3, "delta_pm25_station": None, "instead_of_shares": False}
    assert aq["loss_with_goal"] == pytest.approx(s["objective"], abs=1e-3)
    assert aq["loss_without_goal"] < aq["loss_with_goal"]  # the demo goal binds on the first day
    assert aq["goal_cost"] == pytest.approx(aq["loss_with_goal"] - aq["loss_without_goal"], abs=1e-3)
    assert len(aq["rows"]) == len(s["slots"])
    for slot, row in zip(s["slots"], aq["rows"], strict=True):
        a = slot["air_quality"]
        assert row["slot"] == slot["slot"] and row["receptor"] == CITY
        # the model's ΔPM2.5 is the plan's effect computed by planner.airquality (another code path)
        assert a["delta_pm25"] == pytest.approx(row["achieved"], abs=1e-3)
        assert a["delta_pm25"] >= 2.3 - 1e-4 and a["goal_met"] is True
        assert a["goal_delta_pm25"] == 2.3
        assert a["reachable_delta_pm25"] >= a["delta_pm25"] - 1e-6
        assert a["marginal_loss_per_ugm3"] == pytest.approx(row["marginal_loss_per_ugm3"])
        assert {"pm25_forecast", "delta_pm25", "aqi_forecast", "aqi_with_measures", "method"} <= set(a)
    first = aq["rows"][0]
    assert first["achieved"] == pytest.approx(2.3, abs=1e-4) and first["marginal_loss_per_ugm3"] > 0
    assert all(r["marginal_loss_per_ugm3"] == pytest.approx(0.0, abs=1e-6) for r in aq["rows"][1:])
    json.dumps(s)  # JSON-ready


def test_goal_dual_lies_between_the_one_sided_marginal_losses_on_the_demo(goal_run):
    """The loss is convex piecewise linear in the goal: its left derivative ≤ the dual ≤ its right one."""
    from planner.optimize.model import solve
    from planner.scenario.run import solver_options

    inp = goal_run.prepared.inputs
    opts = solver_options(goal_run.prepared.scenario)
    h = 1e-3
    mid = solve(inp, opts).objective
    up, down = inp.copy(deep=True), inp.copy(deep=True)
    up["aq_goal"].values[0, 0] += h
    down["aq_goal"].values[0, 0] -= h
    right = (solve(up, opts).objective - mid) / h
    left = (mid - solve(down, opts).objective) / h
    dual = goal_run.summary["air_quality"]["rows"][0]["marginal_loss_per_ugm3"]
    assert left * (1 - 1e-3) <= dual <= right * (1 + 1e-3)
    assert right < 1.2 * left  # a smooth enough curve for the dual to price a small change


def test_plan_text_reports_the_goal(goal_run):
    from planner.cli.plan import format_summary

    text = format_summary(goal_run.summary)
    assert "PM2.5 goal on each alert day: city mean ≥ 2.3 µg/m³" in text
    assert "万元 per µg/m³" in text and "the goal costs" in text


def _variant(repo: Path, tmp: Path, body: str) -> Path:
    p = tmp / "v.yaml"
    p.write_text(f"base: {repo / 'scenarios' / 'demo_episode.yaml'}\nname: v\n{body}", encoding="utf-8")
    return p


def test_goal_instead_of_shares(repo, tmp_path, goal_run):
    r = run(
        _variant(repo, tmp_path, "air_quality: {goal: {delta_pm25_city: 2.3, instead_of_shares: true}}\n")
    )
    s = r.summary
    assert s["status"] == "optimal", s["messages"]
    assert s["air_quality"]["goal"]["instead_of_shares"] is True
    # without the tonne targets the goal is far cheaper than the shares
    assert s["objective"] < goal_run.summary["air_quality"]["loss_without_goal"]
    slot = s["slots"][0]
    assert all(v == 0 for v in slot["targets"].values())
    assert slot["share_targets"] == goal_run.summary["slots"][0]["targets"]
    assert all(a["air_quality"]["delta_pm25"] >= 2.3 - 1e-4 for a in s["slots"])


def test_station_goal_and_unreachable_diagnosis(repo, tmp_path):
    r = run(_variant(repo, tmp_path, "air_quality: {goal: {delta_pm25_station: 50}}\n"))
    s = r.summary
    assert s["status"] == "infeasible"
    stations = [st["id"] for st in r.prepared.city["stations"]]
    assert {row["receptor"] for row in s["air_quality"]["rows"]} == set(stations)
    assert s["air_quality"]["met"] is False
    diag = [m for m in s["messages"] if m.startswith("PM2.5 goal not reachable")]
    assert len(diag) == len(stations) * len(s["slots"])
    assert any(f"station {stations[0]}" in m and "reachable within the bounds" in m for m in diag)
    for row in s["air_quality"]["rows"]:  # pushed to the most the bounds allow
        assert row["achieved"] == pytest.approx(row["reachable"], rel=1e-4)
        assert row["marginal_loss_per_ugm3"] is None


def test_goal_with_an_imported_sr_file(repo, tmp_path):
    prep = prepare(repo / "scenarios" / "demo_episode.yaml")
    # an SR file by county × industry with only the city receptor: 1e-3 µg/m³ per t/d of every pollutant
    import pandas as pd

    t = prep.table
    pairs = t[["county", "industry"]].drop_duplicates()
    rows = [
        {
            "receptor": "city",
            "lag": lag,
            "pollutant": p,
            "county": c,
            "industry": i,
            "dC": w * 0.05,
            "units": "ug m-3 per t d-1",
        }
        for c, i in pairs.itertuples(index=False)
        for p in ("SO2", "NOx", "PM", "VOCs")
        for lag, w in ((0, 0.6), (1, 0.4))
    ]
    sr = tmp_path / "sr.csv"
    pd.DataFrame(rows).to_csv(sr, index=False)
    r = run(
        _variant(repo, tmp_path, f"air_quality: {{source_receptor: {sr}, goal: {{delta_pm25_city: 4}}}}\n")
    )
    s = r.summary
    assert s["air_quality"]["method"] == "sr.csv"
    assert s["status"] in ("optimal", "infeasible")
    A = curtailment_coefficients(r.prepared).sel(receptor=CITY)
    x = r.plan.curtailment.values
    day0 = float((A.sel(lag=0).values[:, 0] * x[:, 0]).sum())
    assert s["air_quality"]["rows"][0]["achieved"] == pytest.approx(
        day0 + r.prepared.inputs["aq_credited"].values[0, 0], abs=1e-4
    )
    with pytest.raises(InputError, match="station"):
        run(
            _variant(
                repo, tmp_path, f"air_quality: {{source_receptor: {sr}, goal: {{delta_pm25_station: 1}}}}\n"
            )
        )
    assert np.isfinite(s["objective"])
