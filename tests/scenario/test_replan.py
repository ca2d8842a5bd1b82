"""Rolling re-planning on 3 successive demo forecasts (planner.scenario.replan, planner replan)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from planner import POLLUTANTS
from planner.cli.main import main
from planner.demo.forecast import SUCCESSIVE, successive_forecasts
from planner.optimize.blocks import STOP
from planner.reports.outputs import write_outputs
from planner.scenario.replan import CHANGE_COLUMNS, replan
from planner.scenario.run import run


@pytest.fixture(scope="module")
def city(tmp_path_factory, repo):
    """250 firms of the demo list, city totals = their emissions, shares 5/10/15 %."""
    folder = tmp_path_factory.mktemp("replan")
    df = pd.read_csv(repo / "data" / "demo_city" / "enterprises.csv", dtype=str, keep_default_na=False)
    sub = df.iloc[:250]
    sub.to_csv(folder / "enterprises.csv", index=False)
    totals = {p: round(float(pd.to_numeric(sub[p]).sum()), 3) for p in POLLUTANTS}
    (folder / "city.yaml").write_text(
        yaml.safe_dump({"name": "Sub", "name_zh": "子城", "total_emissions": totals}, allow_unicode=True),
        encoding="utf-8",
    )
    forecasts = []
    for (_, first, _), ds in zip(SUCCESSIVE, successive_forecasts(), strict=True):
        p = folder / f"forecast_{first}.nc"
        ds.to_netcdf(p, engine="h5netcdf")
        forecasts.append(p)
    scen = {
        "name": "sub_episode",
        "inventory": "enterprises.csv",
        "city": "city.yaml",
        "mode": "episode",
        "forecast": str(repo / "data" / "demo_city" / "forecast.nc"),
        "aqi_standard": "2026",
        "shares": {"yellow": 0.05, "orange": 0.1, "red": 0.15},
        "options": {"discrete": True},
    }
    (folder / "episode.yaml").write_text(yaml.safe_dump(scen, allow_unicode=True), encoding="utf-8")
    return folder, forecasts


@pytest.fixture(scope="module")
def chain(city):
    """The first plan and three re-plans, each on the previous one's output folder."""
    folder, forecasts = city
    first = run(folder / "episode.yaml")
    write_outputs(first, folder / "p0")
    out = [first]
    for k, (f, (_, today, _)) in enumerate(zip(forecasts, SUCCESSIVE, strict=True), start=1):
        rp = replan(folder / "episode.yaml", f, today, previous=folder / f"p{k - 1}")
        write_outputs(rp.result, folder / f"p{k}")
        out.append(rp)
    return out


def _x(schedule):
    return schedule.pivot(index="enterprise_id", columns="slot", values="curtailment")


def test_every_re_plan_is_optimal_and_verified(chain):
    assert chain[0].status == "optimal"
    for rp in chain[1:]:
        assert rp.result.status == "optimal", rp.result.summary["messages"]
        assert rp.result.plan.violations == []
        assert rp.result.summary["replan"]["today"] == rp.today.strftime("%Y-%m-%d")


def test_levels_follow_each_new_forecast(chain):
    p1, p2, p3 = chain[1:]
    assert set(chain[0].schedule["level"]) == {"red"}
    assert p1.fixed_days == ["2026-12-10", "2026-12-11"]
    assert p1.new_days == ["2026-12-12", "2026-12-13", "2026-12-14", "2026-12-15"]
    assert {p1.levels_after[d] for d in p1.new_days} == {"orange"}  # red -> orange from tomorrow
    assert p2.new_days == ["2026-12-13", "2026-12-14"]
    assert {p2.levels_after[d] for d in p2.new_days} == {"yellow"}
    assert p2.to_json()["levels"]["2026-12-15"] == {"before": "orange", "after": "none"}
    assert p3.new_days == []  # the alert is lifted after 12-13
    assert p3.fixed_days == ["2026-12-10", "2026-12-11", "2026-12-12", "2026-12-13"]


def test_executed_days_stay_as_they_were(chain):
    for prev, rp in itertools.pairwise(chain):
        before = _x(prev.schedule if hasattr(prev, "schedule") else prev.result.schedule)
        after = _x(rp.result.schedule)
        for d in rp.fixed_days:
            np.testing.assert_allclose(after[d].to_numpy(), before.loc[after.index, d].to_numpy(), atol=1e-9)


def test_changes_are_exactly_the_differences_from_tomorrow(chain):
    for prev, rp in itertools.pairwise(chain):
        old = prev.schedule if hasattr(prev, "schedule") else prev.result.schedule
        before, after = _x(old), _x(rp.result.schedule)
        days = sorted(set(before.columns) | set(after.columns))
        days = [d for d in days if d > rp.today.strftime("%Y-%m-%d")]
        b = before.reindex(columns=days).fillna(0.0)
        a = after.reindex(index=b.index, columns=days).fillna(0.0)
        diff = (a - b).abs() > 1e-6
        assert int(diff.to_numpy().sum()) == len(rp.changes)
        assert tuple(rp.changes.columns) == CHANGE_COLUMNS
        for c in rp.changes.head(50).itertuples():
            assert c.before == pytest.approx(b.loc[c.enterprise_id, c.slot])
            assert c.after == pytest.approx(a.loc[c.enterprise_id, c.slot])
        assert len(rp.changes) > 0


def test_de_escalation_lowers_cuts_but_stopped_lines_keep_their_down_time(chain):
    p1 = chain[1]
    assert STOP in p1.result.plan.blocks
    ch = p1.changes
    assert (ch["after"] < ch["before"]).any()  # cuts fall with the level (no global chain)
    # every firm held by its minimum down time on a re-planned day is still stopped as before
    sched = p1.result.schedule
    held = sched[sched["held_min_down"] & sched["slot"].isin(p1.new_days)]
    assert held["curtailment"].gt(0).all()


def test_cli_replan_json_and_text(city, chain, capsys):
    folder, forecasts = city
    code = main(
        [
            "replan",
            str(folder / "episode.yaml"),
            "--forecast",
            str(forecasts[0]),
            "--today",
            "2026-12-11",
            "--previous",
            str(folder / "p0"),
            "--out",
            str(folder / "cli1"),
            "--format",
            "json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["fixed_days"] == ["2026-12-10", "2026-12-11"]
    assert doc["changes"] and set(CHANGE_COLUMNS) <= set(doc["changes"][0])
    assert len(doc["changes"]) == len(chain[1].changes)
    assert (folder / "cli1" / "changes.csv").is_file()
    assert json.loads((folder / "cli1" / "summary.json").read_text(encoding="utf-8"))["replan"][
        "changes"
    ] == len(doc["changes"])


def test_cli_replan_bad_input(city, capsys):
    folder, forecasts = city
    assert (
        main(
            [
                "replan",
                str(folder / "episode.yaml"),
                "--forecast",
                str(forecasts[0]),
                "--today",
                "soon",
                "--format",
                "json",
            ]
        )
        == 2
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 2 and "not a date" in doc["errors"][0]["message"]
    code = main(
        [
            "replan",
            str(folder / "episode.yaml"),
            "--forecast",
            str(folder / "nope.nc"),
            "--today",
            "2026-12-11",
        ]
    )
    assert code == 2
    with pytest.raises(SystemExit) as exc:
        main(["replan", "--help"])
    assert exc.value.code == 0
    assert "--today" in capsys.readouterr().out


def test_a_city_with_lines_keeps_each_lines_executed_cut(city, repo):
    """Lines are decision units: the fixed days keep every line's own cut (schedule_lines.csv),
    and the fixed floor moves the reduction offset with it (the re-plan verifies)."""
    folder, forecasts = city
    lines = pd.read_csv(repo / "data" / "demo_city" / "lines.csv", dtype=str, keep_default_na=False)
    firms = set(pd.read_csv(folder / "enterprises.csv", dtype=str)["enterprise_id"])
    lines[lines["enterprise_id"].isin(firms)].to_csv(folder / "lines.csv", index=False)
    scen = yaml.safe_load((folder / "episode.yaml").read_text(encoding="utf-8"))
    scen.update(name="sub_episode_lines", lines="lines.csv")
    (folder / "episode_lines.yaml").write_text(yaml.safe_dump(scen, allow_unicode=True), encoding="utf-8")
    first = run(folder / "episode_lines.yaml")
    assert first.status == "optimal" and len(first.schedule_lines)
    write_outputs(first, folder / "l0")
    rp = replan(folder / "episode_lines.yaml", forecasts[0], SUCCESSIVE[0][1], previous=folder / "l0")
    assert rp.result.status == "optimal", rp.result.summary["messages"]
    key = ["enterprise_id", "line_id", "slot"]
    before = first.schedule_lines.set_index(key)["curtailment"]
    after = rp.result.schedule_lines.set_index(key)["curtailment"]
    fixed = after[after.index.get_level_values("slot").isin(rp.fixed_days)]
    assert len(fixed) and (before.loc[fixed.index] > 0).any()
    np.testing.assert_allclose(fixed.to_numpy(), before.loc[fixed.index].to_numpy(), atol=1e-9)


def test_a_plan_by_lines_keeps_each_lines_executed_cut_and_delay(repo, tmp_path):
    """Firms planned line by line: every fixed day keeps each line's own executed cut, response-delay
    credit and tonnes (schedule_lines.csv of the plan in force); without that file it is an error."""
    import xarray as xr

    from planner.problems import InputError

    ds = xr.open_dataset(repo / "data" / "demo_city" / "forecast.nc", engine="h5netcdf").load()
    ds.attrs["issue_time"] = "2026-12-09 18:00"  # 6 h before the first day: slow measures 3/4 in force
    ds.to_netcdf(tmp_path / "late.nc", engine="h5netcdf")
    scen = tmp_path / "late.yaml"
    scen.write_text(
        f"base: {repo / 'scenarios' / 'demo_episode.yaml'}\nname: late\nforecast: {tmp_path / 'late.nc'}\n"
        "timeline: {lead_hours: 6}\n",
        encoding="utf-8",
    )
    first = run(scen)
    assert first.summary["status"] in ("optimal", "infeasible") and first.schedule_lines is not None
    write_outputs(first, tmp_path / "p0")
    (_, today, _), new = SUCCESSIVE[0], successive_forecasts()[0]
    new.to_netcdf(tmp_path / "f1.nc", engine="h5netcdf")
    rp = replan(scen, tmp_path / "f1.nc", today, previous=tmp_path / "p0")
    assert rp.result.summary["status"] in ("optimal", "infeasible"), rp.result.summary["messages"]
    assert rp.result.plan.violations == []
    key = ["enterprise_id", "line_id", "slot"]
    old = first.schedule_lines.set_index(key)
    got = rp.result.schedule_lines.set_index(key)
    fixed = old.index[old.index.get_level_values("slot").isin(rp.fixed_days)]
    assert len(fixed) and (old.loc[fixed, "curtailment"] > 0).any()
    assert (old.loc[fixed, "effect_share"] < 1).any()  # the first day's delayed lines
    for col in ("curtailment", "effect_share", "reduction_NOx", "reduction_SO2"):
        np.testing.assert_allclose(got.loc[fixed, col].to_numpy(), old.loc[fixed, col].to_numpy(), atol=1e-9)
    (tmp_path / "p0" / "schedule_lines.csv").unlink()
    with pytest.raises(InputError, match=r"schedule_lines\.csv"):
        replan(scen, tmp_path / "f1.nc", today, previous=tmp_path / "p0")


def test_without_previous_the_scenario_is_planned_first(city):
    """No ``--previous`` (the app's episode page): the plan in force is the scenario's own plan,
    also for a city without lines (no schedule_lines)."""
    folder, forecasts = city
    rp = replan(folder / "episode.yaml", forecasts[0], SUCCESSIVE[0][1])
    assert rp.result.status == "optimal", rp.result.summary["messages"]
    assert rp.previous_source.startswith("planned from episode.yaml") and rp.fixed_days
