"""Response delays and restart data of measure types in episode plans (planner.scenario.episode)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from planner.policy.registry import TIMING_KEYS, measure_types, read_measure_types, timing_defaults
from planner.problems import InputError
from planner.reports.outputs import write_outputs
from planner.scenario.episode import effect_shares, measure_timing, slot_day_numbers
from planner.scenario.run import prepare, run


def test_effect_share_by_hand():
    slots = pd.DataFrame({"slot": ["2026-12-11", "2026-12-12"], "order": [0, 1]})
    resp = np.array([[1.0, 1.0], [12.0, 12.0], [30.0, 30.0], [48.0, 48.0]])
    eff = effect_shares(slots, resp, "2026-12-10 18:00")  # 6 h before the first day
    # in force from 19:00 (1 h), 06:00 next day (12 h), 00:00 on day 2 (30 h), 18:00 day 2 (48 h)
    np.testing.assert_allclose(eff[:, 0], [1.0, 0.75, 0.0, 0.0])
    np.testing.assert_allclose(eff[:, 1], [1.0, 1.0, 1.0, 0.25])
    assert effect_shares(slots, resp, None).min() == 1.0
    # one issue time per slot (a re-plan): a missing one counts the day in full
    eff2 = effect_shares(slots, resp, [None, "2026-12-11 18:00"])
    np.testing.assert_allclose(eff2[:, 0], 1.0)
    np.testing.assert_allclose(eff2[:, 1], [1.0, 0.75, 0.0, 0.0])
    assert list(slot_day_numbers(slots)) == [20798, 20799]


def test_measure_types_carry_timing_and_the_file_is_checked(tmp_path):
    t = measure_types()
    assert t["voc_process_stop"].response_hours < t["stop_lines_share"].response_hours
    assert t["hot_idle"].min_down_days >= 2 and t["hot_idle"].restart_cost_wan > 0
    assert t["cut_pct"].min_down_days == 0 and t["cut_pct"].restart_cost_wan == 0
    assert set(timing_defaults()) == set(TIMING_KEYS)
    from planner import DATA_DIR

    text = (DATA_DIR / "policy" / "measure_types.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "measure_types.yaml"
    bad.write_text(
        text.replace("    min_down_days: 3\n", "    min_down_days: 2.5\n", 1).replace(
            "timing_defaults: {response_hours: 4,", "timing_defaults: {response_hour: 4,"
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        read_measure_types(bad)
    cols = {p.column: p.message for p in exc.value.problems.errors}
    assert "whole days" in cols["types.hot_idle.min_down_days"]
    assert any("timing_defaults" in c for c in cols)


@pytest.fixture(scope="module")
def late_alert(tmp_path_factory, repo):
    """The demo episode with the forecast issued 12-09 18:00 and a 6-h lead: in force 12-10 00:00,
    so 12-10 is covered but slow measures are only partly in force that day."""
    folder = tmp_path_factory.mktemp("late")
    ds = xr.open_dataset(repo / "data" / "demo_city" / "forecast.nc", engine="h5netcdf").load()
    ds.attrs["issue_time"] = "2026-12-09 18:00"
    nc = folder / "forecast.nc"
    ds.to_netcdf(nc, engine="h5netcdf")
    scen = folder / "late.yaml"
    scen.write_text(
        f"base: {repo / 'scenarios' / 'demo_episode.yaml'}\nname: late\nforecast: {nc}\n"
        "timeline: {lead_hours: 6}\n",
        encoding="utf-8",
    )
    return scen


def test_slow_measures_deliver_part_of_the_first_day(late_alert, tmp_path):
    prep = prepare(late_alert)
    inp = prep.inputs
    eff = inp["effect_share"].to_numpy()
    assert list(inp["slot"].values)[0] == "2026-12-10"
    timing = measure_timing(prep.bounds, inp["level"].values)
    # a 12-h measure ordered 6 h before midnight is in force from 06:00: 3/4 of the first day
    slow = timing["response_hours"][:, 0] == 12.0
    assert slow.any()
    np.testing.assert_allclose(eff[slow, 0], 0.75)
    np.testing.assert_allclose(eff[:, 1:], 1.0)
    full = prep.table[["SO2", "NOx", "PM", "VOCs"]].to_numpy()
    factor = prep.bounds["factor"].sel(level="red").transpose("enterprise", "pollutant").to_numpy()
    np.testing.assert_allclose(inp["reducible"].to_numpy()[:, 0, :], full * factor * eff[:, 0, None])
    result = run(late_alert)
    # the delayed tonnes leave the first day short (a real outcome, reported), not the others
    assert result.status in ("optimal", "infeasible") and result.plan.violations == []
    short = result.plan.shortfall.sum("pollutant").to_series()
    assert (short.drop("2026-12-10") < 1e-6).all()
    paths = write_outputs(result, tmp_path / "out")
    doc = json.loads(paths["summary"].read_text(encoding="utf-8"))
    first = doc["timeline"]["days"][0]
    assert first["planned"] and first["measures"]["firms_delayed"] > 0
    assert first["measures"]["delay_tonnes"]["NOx"] > 0
    assert doc["timeline"]["days"][1]["measures"]["firms_delayed"] == 0
    sched = pd.read_csv(paths["schedule"], dtype={"enterprise_id": str})
    assert {"effect_share", "stopped_new", "restarted_next", "held_min_down"} <= set(sched.columns)
    assert doc["restarts"] is True and doc["restart_cost"] > 0


def test_response_delay_off_and_old_chain(late_alert, tmp_path):
    text = late_alert.read_text(encoding="utf-8").replace(
        "timeline: {lead_hours: 6}",
        "timeline: {lead_hours: 6, response_delay: false}\noptions: {restarts: false}",
    )
    p = tmp_path / "off.yaml"
    p.write_text(text, encoding="utf-8")
    prep = prepare(p)
    assert float(prep.inputs["effect_share"].min()) == 1.0
    assert "min_down_days" not in prep.inputs
    assert not prep.inputs["toggle_allowed"].values.any()  # the chain of the scenario's toggle_allowed
    with pytest.raises(InputError, match="restarts"):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text.replace("restarts: false", "restarts: 'no'"), encoding="utf-8")
        prepare(bad)
    assert yaml.safe_load(text)["options"] == {"restarts": False}
