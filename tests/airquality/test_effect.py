"""Effect of a plan on PM2.5 and the AQI: summary.json, schedule column, lags, forecast meteorology,
an imported SR file, and the sanity check against published effect sizes (reported)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from planner import POLLUTANTS
from planner.airquality.effect import (
    CITY,
    SCREENING,
    curtailment_terms,
    plan_effect,
    response_matrix,
)
from planner.airquality.meteorology import day_states
from planner.airquality.params import load_params
from planner.airquality.sr import write_sr
from planner.optimize.inputs import removed_tonnes
from planner.problems import InputError
from planner.reports.outputs import write_outputs
from planner.scenario.run import run
from planner.targets.forecast import read_forecast

KEYS = {"pm25_forecast", "delta_pm25", "aqi_forecast", "aqi_with_measures", "method"}


@pytest.fixture(scope="module")
def episode(repo):
    return run(repo / "scenarios" / "demo_episode.yaml")


@pytest.fixture(scope="module")
def listed(repo):
    return run(repo / "scenarios" / "demo_list.yaml")


def test_summary_slots_get_exactly_the_air_quality_keys(episode, listed, tmp_path):
    for res in (episode, listed):
        for s in res.summary["slots"]:
            assert set(s["air_quality"]) == KEYS
            assert s["air_quality"]["method"] == SCREENING
            assert s["air_quality"]["delta_pm25"] > 0
    # episode mode: the forecast AQI is the one the alert levels were set from
    alerts = episode.prepared.alerts.set_index(
        pd.to_datetime(episode.prepared.alerts["date"]).dt.strftime("%Y-%m-%d")
    )
    for s in episode.summary["slots"]:
        aq = s["air_quality"]
        assert aq["aqi_forecast"] == int(alerts.loc[s["slot"], "aqi"])
        assert aq["aqi_with_measures"] <= aq["aqi_forecast"]
        assert 0 < aq["delta_pm25"] < aq["pm25_forecast"]
    # list mode: no forecast, documented nulls
    for s in listed.summary["slots"]:
        aq = s["air_quality"]
        assert aq["pm25_forecast"] is None and aq["aqi_forecast"] is None and aq["aqi_with_measures"] is None
    paths = write_outputs(episode, tmp_path)
    doc = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert set(doc["slots"][0]["air_quality"]) == KEYS
    sched = pd.read_csv(paths["schedule"])
    assert sched.columns[-1] == "delta_pm25_city"


def test_schedule_column_adds_up_to_the_firms_share(listed):
    eff = plan_effect(listed.prepared, listed.plan.curtailment)
    sched = listed.schedule
    city = eff.days[eff.days["receptor"] == CITY].set_index("slot")
    for slot in listed.prepared.slots["slot"]:
        firms = sched.loc[sched["slot"] == slot, "delta_pm25_city"].sum()
        assert firms == pytest.approx(city.loc[slot, "delta_pm25_industry"], rel=1e-9)
        assert listed.summary["slots"][list(listed.prepared.slots["slot"]).index(slot)]["air_quality"][
            "delta_pm25"
        ] == pytest.approx(firms + city.loc[slot, "delta_pm25_non_industrial"], abs=1e-4)
    # a firm that is not cut removes nothing
    assert (sched.loc[sched["curtailment"] == 0, "delta_pm25_city"] == 0).all()
    # by-pollutant split adds up too
    np.testing.assert_allclose(
        eff.by_pollutant.sum(axis=1).to_numpy(), city["delta_pm25_industry"].to_numpy()
    )


def test_todays_cut_acts_today_and_tomorrow(episode):
    """Cut only on the first alert day: the next day sees the lag-1 share, the day after nothing."""
    prep = episode.prepared
    x = episode.plan.curtailment.copy()
    x[:, 1:] = 0.0
    eff = plan_effect(prep, x)
    city = eff.days[eff.days["receptor"] == CITY].reset_index(drop=True)
    A, B = curtailment_terms(prep)  # ΔPM2.5 = A·x + B (the floor measures' constant part)
    A, B = A.sel(receptor=CITY), B.sel(receptor=CITY)  # (lag, enterprise, slot), (lag, slot)
    x0 = x.isel(slot=0).values
    lag0 = float(A.isel(lag=0, slot=0).values @ x0 + B.isel(lag=0, slot=0))
    lag1 = float(A.isel(lag=1, slot=0).values @ x0 + B.isel(lag=1, slot=0))
    assert city.loc[0, "delta_pm25_industry"] == pytest.approx(lag0, rel=1e-9)
    assert city.loc[1, "delta_pm25_industry"] == pytest.approx(lag1, rel=1e-9)
    assert city.loc[2, "delta_pm25_industry"] == pytest.approx(0.0, abs=1e-12)
    w = load_params().lag_weights()
    assert w[0, POLLUTANTS.index("PM")] / w[1, POLLUTANTS.index("PM")] == pytest.approx(0.65 / 0.35)
    assert 0.3 < lag1 / (lag0 + lag1) < 0.6  # between the primary (0.35) and secondary (0.5) shares


def test_below_threshold_flag(episode):
    """A plan strong enough to bring a day under AQI 200 says so (here: an exaggerated delta)."""
    eff = plan_effect(episode.prepared, episode.plan.curtailment)
    city = eff.days[eff.days["receptor"] == CITY]
    assert not city["below_threshold"].any()  # the demo plan moves each day by 2–4 AQI points
    # stations carry their own values
    st = eff.days[eff.days["receptor"] != CITY]
    assert set(st["receptor"]) == {s["id"] for s in episode.prepared.city["stations"]}
    assert (st["aqi_with_measures"] <= st["aqi_forecast"]).all()


def test_forecast_meteorology_is_used(repo, tmp_path):
    ds = read_forecast(repo / "data" / "demo_city" / "forecast.nc")
    shape = (ds.sizes["time"], ds.sizes["station"])
    ds["wind_speed"] = (("time", "station"), np.full(shape, 2.0), {"units": "m/s"})
    ds["wind_dir"] = (("time", "station"), np.full(shape, 0.0), {"units": "degree"})  # from the north
    ds["mixing_height"] = (("time", "station"), np.full(shape, 300.0), {"units": "m"})
    nc = tmp_path / "forecast_met.nc"
    ds.to_netcdf(nc, engine="h5netcdf")
    back = read_forecast(nc)
    assert {"wind_speed", "wind_dir", "mixing_height"} <= set(back.data_vars)
    sc = tmp_path / "met.yaml"
    sc.write_text(
        f"base: {repo / 'scenarios' / 'demo_episode.yaml'}\nname: met\nforecast: {nc}\n", encoding="utf-8"
    )
    res = run(sc)
    eff = plan_effect(res.prepared, res.plan.curtailment)
    assert (eff.meteorology["met_source"] == "forecast").all()
    assert eff.meteorology["wind_dir"].astype(float).round(6).isin([0.0, 360.0]).all()
    assert eff.meteorology["mixing_height"].astype(float).tolist() == pytest.approx(
        [300.0] * len(eff.meteorology)
    )
    # a steady north wind carries the (mostly southern) industry away from the stations
    base = plan_effect(res.prepared, res.plan.curtailment, params=load_params())
    assert eff.slots.keys() == base.slots.keys()
    # CSV columns are kept too, and bad units are errors naming the variable
    df = ds.isel(member=0, drop=True).to_dataframe().reset_index()
    csv = tmp_path / "met.csv"
    df.to_csv(csv, index=False)
    assert "mixing_height" in read_forecast(csv).data_vars
    ds["wind_speed"].attrs["units"] = "km/h"
    with pytest.raises(InputError, match="unknown unit 'km/h'") as err:
        day_states(ds, ["2026-12-10"], load_params(), "f.nc")
    assert err.value.problems.errors[0].column == "wind_speed"
    ds["wind_speed"].attrs["units"] = "m/s"
    ds["mixing_height"] = ds["mixing_height"] * 0 - 5
    with pytest.raises(InputError, match="outside"):
        day_states(ds, ["2026-12-10"], load_params(), "f.nc")


def test_imported_sr_file_replaces_the_screening(listed, tmp_path):
    """The screening coefficients exported as an enterprise SR file give the same firm effect;
    method then names the file."""
    prep = listed.prepared
    resp = response_matrix(prep).isel(slot=0, drop=True)
    sr = resp.rename(enterprise="source").transpose("receptor", "lag", "pollutant", "source")
    sr.attrs = {"units": "ug m-3 per t d-1", "source_type": "enterprise"}
    path = write_sr(sr, tmp_path / "isam_export.nc")
    screen = plan_effect(prep, listed.plan.curtailment)
    imported = plan_effect(prep, listed.plan.curtailment, sr=path)
    assert imported.method == "isam_export.nc"
    assert {a["method"] for a in imported.slots.values()} == {"isam_export.nc"}
    np.testing.assert_allclose(imported.firm_delta.values, screen.firm_delta.values, rtol=1e-9)
    # an SR file missing firms is an input error, not a silently partial effect
    path2 = write_sr(sr.isel(source=slice(0, 10)), tmp_path / "partial.csv")
    with pytest.raises(InputError, match="not in the file"):
        plan_effect(prep, listed.plan.curtailment, sr=path2)


def test_sanity_against_published_effect_sizes(episode, capsys):
    """Published: an emergency cut of 25–35 % of emissions lowers PM2.5 by 10–30 % (regional,
    all-sector studies).  Reported here for the demo city, not asserted as a number."""
    prep = episode.prepared
    red = [i for i, lv in enumerate(prep.slots["level"]) if lv == "red"]
    red_slot = max(red, key=lambda i: episode.summary["slots"][i]["air_quality"]["pm25_forecast"])
    A, B = curtailment_terms(prep)  # ΔPM2.5 = A·x + B
    A = A.sel(receptor=CITY).sum("lag").isel(slot=red_slot)
    B = float(B.sel(receptor=CITY).sum("lag").isel(slot=red_slot))
    full = float(A.values @ np.ones(A.sizes["enterprise"])) + B  # every listed firm stopped
    pm = episode.summary["slots"][red_slot]["air_quality"]["pm25_forecast"]
    plan = episode.summary["slots"][red_slot]["air_quality"]["delta_pm25"]
    cut30 = 0.30 * full
    emitted = prep.table[list(POLLUTANTS)].sum()
    x = episode.plan.curtailment.transpose("enterprise", "slot").values
    achieved = removed_tonnes(prep.inputs, x, episode.plan.menu)[:, red_slot, :].sum(axis=0)
    share = achieved / emitted.to_numpy()
    with capsys.disabled():
        print(
            f"\n[sanity] red day {prep.slots['slot'].iloc[red_slot]}: forecast PM2.5 {pm:.1f} µg/m³; "
            f"all listed firms stopped -> -{full:.2f} ({100 * full / pm:.1f} %); uniform 30 % cut of the "
            f"list -> -{cut30:.2f} ({100 * cut30 / pm:.1f} %); the plan (list emissions cut "
            + ", ".join(f"{p} {100 * v:.0f} %" for p, v in zip(POLLUTANTS, share, strict=True))
            + f", plus non-industrial) -> -{plan:.2f} µg/m³ ({100 * plan / pm:.1f} %); published 10–30 % "
            "is for regional all-sector cuts"
        )
    # plausibility only: the firms matter (> 0.1 %), but cannot remove more than the forecast
    assert 0.001 * pm < cut30 < 0.6 * pm
    assert plan < full + 10


def test_sr_with_city_receptor_only_and_three_lags(episode, tmp_path):
    """An SR file with only the city mean and lags 0–2: the third day gets the lag-2 share, the
    stations are lowered by the city value, and the notes say so."""
    prep = episode.prepared
    resp = response_matrix(prep).isel(slot=0, drop=True).sel(receptor=[CITY])
    lag2 = resp.isel(lag=[1]).assign_coords(lag=[2]) * 0.5
    sr = xr.concat([resp, lag2], "lag").rename(enterprise="source")
    sr = sr.transpose("receptor", "lag", "pollutant", "source")
    sr.attrs = {"units": "ug m-3 per t d-1", "source_type": "enterprise"}
    path = write_sr(sr, tmp_path / "city_only.nc")
    x = episode.plan.curtailment.copy()
    x[:, 1:] = 0.0
    eff = plan_effect(prep, x, sr=path)
    city = eff.days[eff.days["receptor"] == CITY].reset_index(drop=True)
    assert set(eff.days["receptor"]) == {CITY}
    inp = prep.inputs  # rows are decision units (a firm's lines): each takes its firm's response
    per_unit = sr.sel(source=inp["owner"].values).rename(source="enterprise")
    per_unit = per_unit.assign_coords(enterprise=inp["enterprise"].values)
    # the tonnes each unit removes on day 0 (floor measures at their own factors)
    t0 = removed_tonnes(inp, x.transpose("enterprise", "slot").values)[:, 0, :]
    t0 = xr.DataArray(t0, dims=("enterprise", "pollutant"), coords={"enterprise": inp["enterprise"].values})
    for day in (0, 1, 2):
        assert city.loc[day, "delta_pm25_industry"] == pytest.approx(
            float((per_unit.sel(receptor=CITY, lag=day) * t0).sum()), rel=1e-9
        )
    assert city.loc[3, "delta_pm25_industry"] == pytest.approx(0.0, abs=1e-12)
    assert any("city-mean" in n for n in eff.notes)
    assert eff.slots[prep.slots["slot"].iloc[0]]["method"] == "city_only.nc"
