"""Replay observed Beijing winters (UCI multi-site data, 12 sites, hourly) as a perfect forecast.

The observations are read like a forecast (dims time × station; CO converted from µg/m³ to
mg/m³), the city's daily AQI is computed with HJ 633-2012 (the edition in force then) and the
alert rules are applied per pollution process (one level per process).  The README of
../shared/realdata lists the real episodes; each must produce an orange or red alert, and clean
days must get none.  Skipped when the data is absent.
"""

from __future__ import annotations

import pandas as pd
import pytest
import xarray as xr

from planner.policy.alerts import evaluate_alerts
from planner.targets.forecast import SPECIES, city_daily_aqi, validate_forecast

pytestmark = pytest.mark.realdata

WINTERS = [("2015-11-20", "2016-01-01"), ("2016-12-10", "2017-01-12")]
EPISODES = [  # from the README of ../shared/realdata
    ("2015-11-29", "2015-12-01"),
    ("2015-12-07", "2015-12-10"),
    ("2015-12-19", "2015-12-23"),
    ("2016-12-16", "2016-12-21"),
    ("2016-12-30", "2017-01-07"),
]
RANK = {"none": 0, "yellow": 1, "orange": 2, "red": 3}
# The processes the two winters give (start, end, 2024 level, 2017 level), read by hand from the
# daily AQI: e.g. 2015-12-06..09 (AQI 164, 228, 293, 291) is > 200 for 72 h without a day > 300:
# orange under 2024 (> 200 for >= 48 h), yellow under 2017 (orange there needs a day > 300).
PROCESSES = [
    ("2015-11-27", "2015-12-01", "red", "red"),  # > 200 for 120 h, > 300 for 48 h
    ("2015-12-06", "2015-12-09", "orange", "yellow"),
    ("2015-12-12", "2015-12-14", "orange", "yellow"),  # 2017: 12-13..14 (160 is below its 200 trigger)
    ("2015-12-19", "2015-12-26", "red", "red"),  # the 159 day on 12-24 is a dip <= 36 h
    ("2015-12-29", "2015-12-29", "yellow", "none"),  # AQI 315 on one day: 2024 yellow, 2017 nothing
    ("2016-12-11", "2016-12-12", "orange", "yellow"),
    ("2016-12-17", "2016-12-21", "red", "red"),
    ("2016-12-24", "2016-12-25", "yellow", "none"),  # > 150 for 48 h
    ("2016-12-30", "2017-01-07", "red", "red"),  # > 200 for 216 h
]


def read_winter(folder, start, end) -> xr.Dataset:
    frames = []
    for f in sorted(folder.glob("PRSA_Data_*_20130301-20170228.csv")):
        df = pd.read_csv(f, usecols=["year", "month", "day", "hour", *SPECIES, "station"], na_values=["NA"])
        df["time"] = pd.to_datetime(df[["year", "month", "day", "hour"]])
        frames.append(df[(df["time"] >= start) & (df["time"] < end)])
    df = pd.concat(frames)
    df["CO"] = df["CO"] / 1000.0  # the UCI data has CO in µg/m³
    ds = xr.Dataset.from_dataframe(df.set_index(["time", "station"])[list(SPECIES)])
    for sp in SPECIES:
        ds[sp].attrs["units"] = "mg/m3" if sp == "CO" else "ug/m3"
    return validate_forecast(ds, "beijing_multisite")


@pytest.fixture(scope="module")
def replay(realdata):
    folder = realdata / "air_quality" / "beijing_multisite"
    if not folder.is_dir():
        pytest.skip("Beijing multi-site data not available")
    out = []
    for winter, (start, end) in enumerate(WINTERS):
        ds = read_winter(folder, start, end)
        assert ds.sizes["station"] == 12
        daily = city_daily_aqi(ds, standard="2012")
        a24 = evaluate_alerts(daily, "2024")
        a17 = evaluate_alerts(daily, "2017")
        days = a24.days
        days["level_2017"] = a17.days["level"].to_numpy()
        days["episode_2017"] = a17.days["episode"].to_numpy()
        days["winter"] = winter
        out.append((days, a24.processes, a17.processes))
    return (
        pd.concat([d for d, _, _ in out], ignore_index=True).set_index("date"),
        pd.concat([p for _, p, _ in out], ignore_index=True),
        pd.concat([p for _, _, p in out], ignore_index=True),
    )


@pytest.fixture(scope="module")
def days(replay):
    return replay[0]


@pytest.mark.parametrize(("start", "end"), EPISODES)
def test_listed_episodes_alert(days, start, end):
    days = days.loc[start:end]
    assert len(days) >= 3
    top = days["level"].map(RANK).max()
    assert top >= RANK["orange"], days[["aqi", "level"]]
    # every day above AQI 200 is inside an alert under both rule sets' spirit (2024: AQI>200 = yellow+)
    assert (days.loc[days["aqi"] > 200, "level"] != "none").all()


def test_known_red_days(days):
    # 2016-12-20/21 (PM2.5 366, 395 µg/m³) and 2017-01-01 (442): red under both rule sets
    for day in ("2016-12-20", "2016-12-21", "2017-01-01"):
        assert days.loc[day, "level"] == "red"
        assert days.loc[day, "level_2017"] == "red"
    # 2015-12-01 (473 µg/m³, AQI 482) closes a >200 run of 4 days with >300 on 2 of them
    assert days.loc["2015-12-01", "level"] == "red"
    # the process is red from its first day (AQI 249 on 2015-11-27, 235 on 2016-12-17)
    assert days.loc["2015-11-27", "level"] == days.loc["2016-12-17", "level"] == "red"
    assert days.loc["2015-11-27", "level_2017"] == days.loc["2016-12-17", "level_2017"] == "red"


def test_processes(replay):
    _, p24, p17 = replay
    got24 = [(str(r.start.date()), str(r.end.date()), r.level) for r in p24.itertuples()]
    assert got24 == [(a, b, lv) for a, b, lv, _ in PROCESSES]
    got17 = {str(r.end.date()): r.level for r in p17.itertuples()}
    assert got17 == {b: lv for _, b, _, lv in PROCESSES if lv != "none"}
    assert (p24["condition"] != "").all() and (p17["condition"] != "").all()


@pytest.mark.parametrize("suffix", ["", "_2017"])
def test_one_level_per_process(days, suffix):
    inside = days.dropna(subset=[f"episode{suffix}"])
    per = inside.groupby(["winter", f"episode{suffix}"])[f"level{suffix}"].nunique()
    assert len(per) == (9 if not suffix else 7)
    assert (per == 1).all()
    counts = inside[f"level{suffix}"].value_counts().to_dict()
    assert counts == ({"red": 27, "orange": 9, "yellow": 3} if not suffix else {"red": 26, "yellow": 7})


def test_clean_days_none(days):
    clean = days[days["aqi"] <= 100]
    assert len(clean) > 20
    assert (clean["level"] == "none").all() and (clean["level_2017"] == "none").all()


def test_2024_at_least_as_strict_as_2017(days):
    assert (days["level"].map(RANK) >= days["level_2017"].map(RANK)).all()


def test_primary_pollutant_is_pm25_on_episode_days(days):
    bad = days[(days["aqi"] > 200) & (days["primary_pollutant"] != "PM2.5")]
    assert bad.empty
