"""Response delays and restart data of measure types in episode plans (planner.scenario.episode)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from planner import POLLUTANTS
from planner.optimize.verify import verify_schedule
from planner.policy.registry import TIMING_KEYS, measure_types, read_measure_types, timing_defaults
from planner.problems import InputError
from planner.reports.outputs import write_outputs
from planner.scenario.episode import effect_shares, line_timing, measure_timing, slot_day_numbers
from planner.scenario.run import prepare, run, solve_prepared


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


def _delay_off(scen, folder):
    """The same scenario with every covered day credited in full (``response_delay: false``)."""
    p = folder / "undelayed.yaml"
    text = scen.read_text(encoding="utf-8").replace(
        "timeline: {lead_hours: 6}", "timeline: {lead_hours: 6, response_delay: false}"
    )
    p.write_text(text, encoding="utf-8")
    return p


def test_slow_measures_deliver_part_of_the_first_day(late_alert, tmp_path):
    prep = prepare(late_alert)
    inp = prep.inputs
    eff = inp["effect_share"].to_numpy()
    assert next(iter(inp["slot"].values)) == "2026-12-10"
    # the rows are decision units (a firm's lines, whole firms); each takes its firm's measure timing,
    # a line within the limits of its process (a slower process responds later)
    assert inp.sizes["enterprise"] > prep.bounds.sizes["enterprise"]
    rows = prep.bounds.get_index("enterprise").get_indexer(inp["owner"].values.astype(str))
    line = inp["line_id"].values.astype(str) != ""
    firm_timing = {k: v[rows] for k, v in measure_timing(prep.bounds, inp["level"].values).items()}
    r = line_timing(firm_timing, inp["process"].values, line)["response_hours"][:, 0]
    assert (r >= firm_timing["response_hours"][:, 0]).all()
    # ordered 6 h before midnight, a measure of r hours is in force from r − 6 h into the first day:
    # a 12-h measure 3/4 of the day
    np.testing.assert_allclose(eff[:, 0], np.clip((30.0 - np.maximum(6.0, r)) / 24.0, 0.0, 1.0))
    slow = r == 12.0
    assert (slow & line).any()
    np.testing.assert_allclose(eff[slow, 0], 0.75)
    np.testing.assert_allclose(eff[:, 1:], 1.0)
    # some firm's lines are in force for different shares of the first day
    owner = inp["owner"].values.astype(str)
    assert (pd.Series(eff[line, 0]).groupby(owner[line]).nunique() > 1).any()
    # every unit's tonnes (whole firms and lines alike) are its undelayed tonnes × its effect share
    off = prepare(_delay_off(late_alert, tmp_path)).inputs
    for name in ("reducible", "floor_reduction", "extra_reducible"):
        np.testing.assert_allclose(inp[name].to_numpy(), off[name].to_numpy() * eff[:, :, None])
    # a whole firm: the inventory × its measures' factors (the floor at its own factors, the rest of
    # the cut as a load cut: the offset of reduction_terms) × the effect share
    firm = ~line
    full = prep.table[["SO2", "NOx", "PM", "VOCs"]].to_numpy()[rows[firm]]
    red = prep.bounds.sel(level="red")
    fl = red["floor"].to_numpy()[rows[firm], None]
    ff, ef = (
        red[k].transpose("enterprise", "pollutant").to_numpy()[rows[firm]]
        for k in ("floor_factor", "extra_factor")
    )
    np.testing.assert_allclose(
        inp["reducible"].to_numpy()[firm, 0, :], full * (fl * ff + (1 - fl) * ef) * eff[firm, 0, None]
    )
    result = run(late_alert)
    # the delayed tonnes leave the first day short (a real outcome, reported), not the others;
    # the plan passes the verification against the inventory (line rows with their delays)
    assert result.summary["status"] in ("optimal", "infeasible"), result.summary["messages"]
    assert result.plan.violations == []
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
    # the delayed cuts are on lines: schedule_lines.csv gives each line's share, and each firm's row
    # is the sum of its lines' (delayed) tonnes
    lines = pd.read_csv(paths["schedule_lines"], dtype={"enterprise_id": str, "line_id": str})
    assert "effect_share" in lines.columns
    delayed = lines[(lines["effect_share"] < 1) & (lines["curtailment"] > 0)]
    assert len(delayed) and set(delayed["slot"]) == {"2026-12-10"}
    by_firm = lines.groupby(["enterprise_id", "slot"])
    summed = by_firm[[f"reduction_{p}" for p in POLLUTANTS]].sum()
    rows_f = sched.set_index(["enterprise_id", "slot"]).loc[summed.index]
    np.testing.assert_allclose(rows_f[summed.columns].to_numpy(), summed.to_numpy(), rtol=1e-9, atol=1e-12)
    # a firm's effect_share: its first line in force (its lines differ)
    np.testing.assert_allclose(rows_f["effect_share"].to_numpy(), by_firm["effect_share"].max().to_numpy())
    assert (by_firm["effect_share"].nunique() > 1).any()
    # firms_delayed counts firms (a firm once however many of its lines are delayed), not lines
    day1 = sched[(sched["slot"] == "2026-12-10") & (sched["lines"] == 0)]
    whole = set(day1.loc[(day1["curtailment"] > 1e-9) & (day1["effect_share"] < 1), "enterprise_id"])
    by_line = set(delayed["enterprise_id"])
    assert first["measures"]["firms_delayed"] == len(whole | by_line) < len(whole) + len(delayed)


def _verify(result, schedule=None, lines=None):
    p = result.prepared
    return verify_schedule(
        result.schedule if schedule is None else schedule,
        p.table,
        p.bounds,
        result.summary,
        p.shares,
        p.city.get("total_emissions_on_basis", p.city["total_emissions"]),
        menus=p.menus,
        lines=result.schedule_lines if lines is None else lines,
        units=p.units,
        unit_table=p.unit_table,
    )


def test_lines_of_a_firm_with_different_delays(late_alert):
    """Each line carries its own effect share: the firm's row sums its lines' delayed tonnes and the
    verification recomputes every line with its own share (not the firm's)."""
    prep = prepare(late_alert)
    inp = prep.inputs.copy()
    eff = inp["effect_share"].to_numpy().copy()
    line = inp["line_id"].values.astype(str) != ""
    owner = inp["owner"].values.astype(str)
    fr = inp["floor_reduction"].to_numpy()
    # a firm with two or more lines cut at their floor on the first day, all 3/4 in force
    slow = line & np.isclose(eff[:, 0], 0.75) & (fr[:, 0, :].sum(axis=1) > 0)
    counts = pd.Series(owner[slow]).value_counts()
    firm = counts.index[counts >= 2][0]
    first, second = np.flatnonzero(slow & (owner == firm))[:2]
    # its second line slower still: in force from 12:00 (half the day)
    ratio = np.ones(eff.shape)
    ratio[second, 0] = 0.5 / 0.75
    for name in ("reducible", "floor_reduction", "extra_reducible"):
        inp[name] = inp[name] * xr.DataArray(ratio, dims=("enterprise", "slot"))
    eff[second, 0] = 0.5
    inp["effect_share"] = (("enterprise", "slot"), eff)
    prep.inputs = inp
    result = solve_prepared(prep)
    assert result.summary["status"] in ("optimal", "infeasible"), result.summary["messages"]
    assert result.plan.violations == []
    sl = result.schedule_lines
    mine = sl[(sl["enterprise_id"] == firm) & (sl["slot"] == "2026-12-10")].set_index("line_id")
    lid = inp["line_id"].values.astype(str)
    assert mine.loc[lid[first], "effect_share"] == 0.75 and mine.loc[lid[second], "effect_share"] == 0.5
    row = result.schedule[
        (result.schedule["enterprise_id"] == firm) & (result.schedule["slot"] == "2026-12-10")
    ]
    cols = [f"reduction_{p}" for p in POLLUTANTS]
    np.testing.assert_allclose(row[cols].to_numpy()[0], mine[cols].sum().to_numpy(), rtol=1e-12)
    assert float(row["effect_share"].iloc[0]) == mine["effect_share"].max()
    # the verifier recomputes each line with its own share: giving the slower line its firm's
    # share (or dropping the per-line shares) is caught
    doctored = sl.copy()
    doctored.loc[
        (doctored["enterprise_id"] == firm) & (doctored["line_id"] == lid[second]), "effect_share"
    ] = 0.75
    assert any("line rows give" in m for m in _verify(result, lines=doctored))
    assert any("line rows give" in m for m in _verify(result, lines=sl.drop(columns="effect_share")))
    # and a firm row that is not the sum of its lines is caught
    sched = result.schedule.copy()
    sched.loc[row.index, "reduction_NOx"] = float(mine["reduction_NOx"].sum()) / 0.75 * 0.5 + 1.0
    assert any(
        "NOx reductions that the inventory does not support" in m for m in _verify(result, schedule=sched)
    )


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
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("restarts: false", "restarts: 'no'"), encoding="utf-8")
    with pytest.raises(InputError, match="restarts"):
        prepare(bad)
    assert yaml.safe_load(text)["options"] == {"restarts": False}
