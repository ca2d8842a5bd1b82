"""Episode mode: process levels and the alert timeline (issue time, lead, early start) in the plan."""

from __future__ import annotations

import pytest
import xarray as xr

from planner.problems import InputError
from planner.scenario.files import load_scenario
from planner.scenario.run import prepare, run


@pytest.fixture(scope="module")
def issued_forecast(tmp_path_factory, repo):
    """The demo forecast, issued 2026-12-10 08:00 (on the morning of its first day)."""
    folder = tmp_path_factory.mktemp("issued")
    ds = xr.open_dataset(repo / "data" / "demo_city" / "forecast.nc", engine="h5netcdf").load()
    ds.attrs["issue_time"] = "2026-12-10 08:00"
    nc = folder / "forecast.nc"
    ds.to_netcdf(nc, engine="h5netcdf")
    return nc


def scenario(tmp_path, repo, forecast, timeline=None, extra=""):
    text = (
        f"base: {repo / 'scenarios' / 'demo_episode.yaml'}\n"
        f"name: timeline_test\nforecast: {forecast}\n"
        + (f"timeline: {timeline}\n" if timeline is not None else "")
        + extra
    )
    p = tmp_path / "scen.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_timeline_defaults_and_validation(tmp_path, repo, issued_forecast):
    s = load_scenario(scenario(tmp_path, repo, issued_forecast))
    assert s.timeline == {"lead_hours": 24.0, "early_start_days": 0, "response_delay": True}
    bad = scenario(tmp_path, repo, issued_forecast, "{lead_hour: 12, early_start_days: -1}")
    with pytest.raises(InputError) as exc:
        load_scenario(bad)
    cols = {p.column: p.message for p in exc.value.problems.errors}
    assert "did you mean 'lead_hours'" in cols["timeline.lead_hour"]
    assert ">= 0" in cols["timeline.early_start_days"]
    with pytest.raises(InputError, match="lead_hours must be hours"):
        load_scenario(scenario(tmp_path, repo, issued_forecast, "{lead_hours: yes}"))


def test_days_before_the_alert_takes_effect_carry_no_measures(tmp_path, repo, issued_forecast):
    prep = prepare(scenario(tmp_path, repo, issued_forecast))
    # issued 12-10 08:00 + 24 h: in force from 12-11 08:00, so 12-12 is the first covered day
    assert list(prep.slots["slot"]) == ["2026-12-12", "2026-12-13", "2026-12-14", "2026-12-15"]
    assert set(prep.slots["level"]) == {"red"} and set(prep.slots["process_level"]) == {"red"}
    assert list(prep.inputs["slot"].values) == list(prep.slots["slot"])
    skipped = prep.alerts.set_index(prep.alerts["date"].dt.strftime("%m-%d"))
    assert skipped.loc["12-11", "coverage"].endswith(
        "not covered: before the alert can take effect (issued 12-10 08:00 + 24 h)"
    )
    assert "before the forecast was issued" in skipped.loc["12-10", "coverage"]
    assert prep.alerts.attrs["timeline"]["alert_from"] == "2026-12-11T08:00:00"


def test_early_start_and_longer_lead(tmp_path, repo, issued_forecast):
    early = prepare(scenario(tmp_path, repo, issued_forecast, "{early_start_days: 1}"))
    assert list(early.slots["slot"])[:2] == ["2026-12-11", "2026-12-12"]
    assert "early start" in early.slots["coverage"].iloc[0]
    assert "提前启动" in early.slots["coverage_zh"].iloc[0]
    late = prepare(scenario(tmp_path, repo, issued_forecast, "{lead_hours: 72}"))
    assert list(late.slots["slot"]) == ["2026-12-14", "2026-12-15"]


def test_nothing_covered_is_a_clear_error(tmp_path, repo, issued_forecast):
    with pytest.raises(InputError, match=r"no alert day can be covered: .*before the alert can take effect"):
        prepare(scenario(tmp_path, repo, issued_forecast, "{lead_hours: 200}"))


def test_summary_reports_coverage_and_the_plan_costs_less(tmp_path, repo, issued_forecast):
    full = run(repo / "scenarios" / "demo_episode.yaml").summary
    issued = run(scenario(tmp_path, repo, issued_forecast)).summary
    assert [s["slot"] for s in issued["slots"]] == ["2026-12-12", "2026-12-13", "2026-12-14", "2026-12-15"]
    assert issued["slots"][0]["coverage"] == "process 1 red: AQI>200 for ≥72 h and >300 for ≥24 h"
    tl = issued["timeline"]
    assert tl["issue_time"] == "2026-12-10T08:00:00" and tl["issue_time_assumed"] is False
    assert tl["lead_hours"] == 24 and tl["early_start_days"] == 0
    assert [d["covered"] for d in tl["days"]] == [False, False, True, True, True, True, False]
    assert full["timeline"]["issue_time_assumed"] is True and len(full["slots"]) == 6
    assert issued["status"] == full["status"] == "optimal"
    # two red days fewer: less output lost
    assert issued["objective"] < full["objective"]
