"""Forecast readers (CSV, netCDF), unit checks, daily means, city AQI, ensembles and percentiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from planner.demo.forecast import make_demo_forecast
from planner.policy.alerts import load_rules
from planner.problems import InputError
from planner.targets.forecast import (
    SPECIES,
    city_daily_aqi,
    daily_means,
    levels_at_percentile,
    read_forecast,
    station_daily_aqi,
    validate_forecast,
)


def long_frame(days=2, stations=("A", "B"), members=None, freq="h", pm25=(75.0, 75.0), co=1.0):
    periods = days * 24 if freq == "h" else days
    times = pd.date_range("2026-12-10", periods=periods, freq=freq)
    rows = []
    for m in members or [None]:
        for s_i, s in enumerate(stations):
            for t in times:
                row = {"time": t.strftime("%Y-%m-%d %H:%M"), "station": s}
                if m is not None:
                    row["member"] = m
                row.update({"PM2.5": pm25[s_i], "PM10": 50.0, "SO2": 10.0, "NO2": 30.0, "CO": co, "O3": 40.0})
                rows.append(row)
    return pd.DataFrame(rows)


def write_csv(tmp_path, df, name="f.csv"):
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


# --------------------------------------------------------------------------- readers
def test_csv_hourly_reader(tmp_path):
    ds = read_forecast(write_csv(tmp_path, long_frame()))
    assert dict(ds.sizes) == {"time": 48, "station": 2}
    assert ds.attrs["frequency"] == "hourly"
    assert ds["CO"].attrs["units"] == "mg/m3" and ds["PM2.5"].attrs["units"] == "ug/m3"
    assert list(ds["station"].values) == ["A", "B"]
    assert ds["PM2.5"].dims == ("time", "station")


def test_csv_daily_reader_and_ensemble(tmp_path):
    ds = read_forecast(write_csv(tmp_path, long_frame(days=3, freq="D", members=["1", "2", "3"])))
    assert ds.attrs["frequency"] == "daily"
    assert ds["PM2.5"].dims == ("time", "station", "member") and ds.sizes["member"] == 3


def test_netcdf_round_trip_and_declared_units(tmp_path):
    ds = read_forecast(write_csv(tmp_path, long_frame()))
    ds2 = ds.copy()
    ds2["CO"] = ds2["CO"] * 1000
    ds2["CO"].attrs["units"] = "µg/m³"  # declared: converted, not an error
    p = tmp_path / "f.nc"
    ds2.to_netcdf(p, engine="h5netcdf")
    back = read_forecast(p)
    np.testing.assert_allclose(back["CO"].values, ds["CO"].values)
    assert back["CO"].attrs["units"] == "mg/m3"


def test_co_in_micrograms_detected(tmp_path):
    with pytest.raises(InputError) as exc:
        read_forecast(write_csv(tmp_path, long_frame(co=1200.0)))
    (p,) = exc.value.problems.errors
    assert p.column == "CO"
    assert "CO looks like µg/m³" in p.message and "divide by 1000" in p.message


def test_missing_columns(tmp_path):
    df = long_frame().drop(columns=["O3", "NO2"])
    with pytest.raises(InputError, match=r"missing column\(s\) NO2, O3"):
        read_forecast(write_csv(tmp_path, df))


def test_unparsable_times_named_by_row(tmp_path):
    df = long_frame()
    df.loc[3, "time"] = "tomorrow"
    with pytest.raises(InputError) as exc:
        read_forecast(write_csv(tmp_path, df))
    (p,) = exc.value.problems.errors
    assert p.row == 5 and p.column == "time" and "'tomorrow'" in p.message


def test_negative_values(tmp_path):
    df = long_frame()
    df.loc[10, "SO2"] = -3.0
    with pytest.raises(InputError) as exc:
        read_forecast(write_csv(tmp_path, df))
    (p,) = exc.value.problems.errors
    assert p.row == 12 and p.column == "SO2" and "negative" in p.message


def test_non_numeric_and_duplicates(tmp_path):
    df = long_frame()
    df["PM10"] = df["PM10"].astype(object)
    df.loc[0, "PM10"] = "n/a?"
    with pytest.raises(InputError, match="not a number"):
        read_forecast(write_csv(tmp_path, df))
    df = pd.concat([long_frame(), long_frame().iloc[:1]])
    with pytest.raises(InputError, match="duplicated"):
        read_forecast(write_csv(tmp_path, df))


def test_bad_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_forecast(tmp_path / "nope.nc")
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf")
    with pytest.raises(InputError, match="cannot read as netCDF"):
        read_forecast(bad)
    ds = xr.Dataset({"PM2.5": (("time",), [1.0])}, coords={"time": pd.date_range("2026-01-01", periods=1)})
    with pytest.raises(InputError, match="missing variable"):
        validate_forecast(ds)


# --------------------------------------------------------------------------- daily values
def test_daily_means_o3_8h_and_completeness(tmp_path):
    df = long_frame(days=2, stations=("A",), pm25=(0.0,))
    hours = pd.to_datetime(df["time"]).dt.hour
    day = pd.to_datetime(df["time"]).dt.day
    # PM2.5 = hour of day: 24-h mean 11.5
    df["PM2.5"] = hours.astype(float)
    # O3: 120 from 12:00 to 19:00 (8 h) on day 1, else 20 -> max 8-h mean 120; max 1-h 120
    df["O3"] = np.where((day == 10) & (hours >= 12) & (hours <= 19), 120.0, 20.0)
    # day 2: only 19 hours of PM10 -> NaN (needs 20)
    df["PM10"] = np.where((day == 11) & (hours < 5), np.nan, 50.0)
    d = daily_means(read_forecast(write_csv(tmp_path, df)))
    assert d.sizes["date"] == 2
    np.testing.assert_allclose(d["PM2.5"].sel(station="A").values, [11.5, 11.5])
    assert float(d["O3"].isel(date=0, station=0)) == 120.0
    assert float(d["O3_1h"].isel(date=0, station=0)) == 120.0
    # window 13-20: 7 x 120 + 20 -> 107.5 is less than 120: the max is the exact 8-h block
    assert float(d["O3"].isel(date=1, station=0)) == 20.0
    assert np.isnan(float(d["PM10"].isel(date=1, station=0)))
    assert float(d["PM10"].isel(date=0, station=0)) == 50.0


def test_daily_input_used_as_given(tmp_path):
    d = daily_means(read_forecast(write_csv(tmp_path, long_frame(days=3, freq="D"))))
    assert "O3_1h" not in d and d.sizes["date"] == 3
    assert float(d["O3"].isel(date=0, station=0)) == 40.0


def test_city_aqi_from_mean_over_stations(tmp_path):
    # stations 100 and 50 µg/m³ PM2.5 -> city 75 -> AQI 100 (2012), 114 (2026)
    ds = read_forecast(write_csv(tmp_path, long_frame(days=2, freq="D", pm25=(100.0, 50.0))))
    c12 = city_daily_aqi(ds, "2012")
    c26 = city_daily_aqi(ds, "2026")
    assert list(c12["aqi"]) == [100, 100] and list(c26["aqi"]) == [114, 114]
    assert list(c26["primary_pollutant"]) == ["PM2.5", "PM2.5"]
    assert c12["date"].iloc[0] == pd.Timestamp("2026-12-10")
    assert "aqi_p90" not in c12
    st = station_daily_aqi(ds, "2012")
    # station A: PM2.5 100 -> 100 + 50/40*25 = 131.25 -> 132; station B: 50 -> 50 + 50/40*15 = 68.75 -> 69
    assert list(st.sort_values(["date", "station"])["aqi"].iloc[:2]) == [132, 69]


def ensemble_daily(tmp_path):
    # one station, 5 members, 2 days; member k has PM2.5 = 100 + 50 k on both days (2012 table)
    rows = []
    for k in range(5):
        for t in pd.date_range("2026-12-10", periods=2, freq="D"):
            rows.append(
                {
                    "time": t,
                    "station": "A",
                    "member": f"m{k}",
                    "PM2.5": 100.0 + 50 * k,
                    "PM10": 20.0,
                    "SO2": 5.0,
                    "NO2": 20.0,
                    "CO": 0.5,
                    "O3": 30.0,
                }
            )
    return read_forecast(write_csv(tmp_path, pd.DataFrame(rows)))


def test_ensemble_percentiles(tmp_path):
    ds = ensemble_daily(tmp_path)
    # members' PM2.5 100, 150, 200, 250, 300 -> AQI 132, 200, 250, 300, 350
    # ensemble mean PM2.5 = 200 -> AQI 250
    # p50 = 250; p90 = 300 + 0.6 * 50 = 330 (linear between 4th and 5th members)
    c = city_daily_aqi(ds, "2012", percentiles=(50, 90))
    assert list(c["aqi"]) == [250, 250]
    assert list(c["aqi_p50"]) == [250, 250] and list(c["aqi_p90"]) == [330, 330]
    assert str(c["aqi_p90"].dtype) == "Int64"


def test_levels_at_percentile(tmp_path):
    ds = ensemble_daily(tmp_path)
    rules = load_rules("2024")
    p90 = levels_at_percentile(ds, rules, "2012", 90)
    # two days at AQI 330: >200 for 48 h -> orange (red needs 72 h)
    assert list(p90["aqi"]) == [330, 330] and list(p90["level"]) == ["orange", "orange"]
    p10 = levels_at_percentile(ds, rules, "2012", 10)
    # p10 = 132 + 0.4 * 68 = 159.2 -> 160: >150 for 48 h -> yellow
    assert list(p10["aqi"]) == [160, 160] and list(p10["level"]) == ["yellow", "yellow"]
    assert p90["percentile"].iloc[0] == 90


def test_demo_forecast_deterministic_and_valid():
    a = make_demo_forecast(None, seed=7)
    b = make_demo_forecast(None, seed=7)
    xr.testing.assert_identical(a, b)
    assert dict(a.sizes) == {"time": 168, "station": 5, "member": 20}
    validate_forecast(a)
    assert set(SPECIES) <= set(a.data_vars)
    city = {"stations": [{"id": f"X{i}", "name": f"n{i}", "lat": 1.0, "lon": 2.0} for i in range(7)]}
    assert list(make_demo_forecast(city, seed=7)["station"].values) == ["X0", "X1", "X2", "X3", "X4"]


# --------------------------------------------------------------------------- issue 14: bad forecasts
def _dataset(times=None, stations=("A", "B"), value=50.0):
    times = pd.date_range("2026-12-10", periods=48, freq="h") if times is None else times
    data = np.full((len(times), len(stations)), value)
    ds = xr.Dataset(
        {
            sp: (("time", "station"), data.copy(), {"units": "mg/m3" if sp == "CO" else "ug/m3"})
            for sp in SPECIES
        },
        coords={"time": times, "station": list(stations)},
    )
    ds["CO"][:] = 1.0
    return ds


def _errors(exc_info):
    return [(p.row, p.column, p.message) for p in exc_info.value.problems.errors]


@pytest.mark.parametrize("text", ["inf", "-inf", "1e999", "Infinity"])
def test_infinite_value_in_csv_named_by_row(tmp_path, text):
    df = long_frame().astype({"PM10": object})
    df.loc[5, "PM10"] = text
    with pytest.raises(InputError) as exc:
        read_forecast(write_csv(tmp_path, df))
    written = "-inf" if text.startswith("-") else "inf"  # pandas reads the column as numbers
    assert _errors(exc) == [(7, "PM10", f"{written!r} is not a finite concentration (write a number)")]


def test_infinite_value_in_netcdf_rejected(tmp_path):
    ds = _dataset()
    ds["PM10"][3, 1] = np.inf
    path = tmp_path / "inf.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    with pytest.raises(InputError) as exc:
        read_forecast(path)
    assert _errors(exc) == [
        (None, "PM10", "1 infinite concentration(s); a forecast value must be a finite number")
    ]


def test_integer_times_without_units_are_not_read_as_1970(tmp_path):
    ds = _dataset().assign_coords(time=np.arange(48, dtype=np.int64))
    path = tmp_path / "int.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    with pytest.raises(InputError) as exc:
        read_forecast(path)
    [(_row, column, message)] = _errors(exc)
    assert column == "time" and "plain numbers" in message and "hours since" in message


def test_cf_encoded_times_still_decode(tmp_path):
    ds = _dataset()
    path = tmp_path / "cf.nc"
    ds.to_netcdf(path, engine="h5netcdf", encoding={"time": {"units": "hours since 2026-12-10 00:00"}})
    out = read_forecast(path)
    assert pd.Timestamp(out["time"].values[0]) == pd.Timestamp("2026-12-10")


def test_nat_times_rejected():
    times = pd.DatetimeIndex([*pd.date_range("2026-12-10", periods=48, freq="h").tolist()[:-1], pd.NaT])
    with pytest.raises(InputError) as exc:
        validate_forecast(_dataset(times=times))
    [(_, column, message)] = _errors(exc)
    assert column == "time" and message.startswith("1 time(s) are missing (NaT), first at position 48")


def test_times_in_1970_rejected():
    times = pd.to_datetime(np.arange(48) * 3600 * 10**9)
    with pytest.raises(InputError, match="outside 1990-2100"):
        validate_forecast(_dataset(times=times))


@pytest.mark.parametrize(
    ("freq", "message"),
    [
        ("10min", "time step 0 days 00:10:00 is shorter than an hour"),
        ("90min", "time 2026-12-10 01:30:00 is not on the hour; hourly values must be on the hour"),
    ],
)
def test_sub_hourly_and_irregular_steps_rejected(freq, message):
    times = pd.date_range("2026-12-10", periods=48, freq=freq)
    with pytest.raises(InputError) as exc:
        validate_forecast(_dataset(times=times))
    assert _errors(exc)[0][2].startswith(message)


def test_hourly_values_off_the_hour_rejected():
    times = pd.date_range("2026-12-10 00:30", periods=48, freq="h")
    with pytest.raises(InputError, match="time 2026-12-10 00:30:00 is not on the hour"):
        validate_forecast(_dataset(times=times))
    times = pd.date_range("2026-12-10", periods=16, freq="3h")  # 3-hourly: neither hourly nor daily
    with pytest.raises(InputError, match="the smallest step is 0 days 03:00:00"):
        validate_forecast(_dataset(times=times))


@pytest.mark.parametrize("dim", ["time", "station"])
def test_zero_stations_or_times_rejected(dim):
    ds = _dataset().isel({dim: slice(0, 0)})
    with pytest.raises(InputError) as exc:
        validate_forecast(ds)
    assert (None, dim, f"the forecast has no {dim}s (dimension {dim!r} has length 0)") in _errors(exc)


def test_zero_rows_csv_rejected(tmp_path):
    with pytest.raises(InputError, match="no rows"):
        read_forecast(write_csv(tmp_path, long_frame().iloc[:0]))


def test_blank_station_named_by_row_not_read_as_nan(tmp_path):
    df = long_frame()
    df.loc[[3, 60], "station"] = ""
    with pytest.raises(InputError) as exc:
        read_forecast(write_csv(tmp_path, df))
    assert _errors(exc) == [
        (5, "station", "the station is empty; every row needs a station name"),
        (62, "station", "the station is empty; every row needs a station name"),
    ]


def test_blank_station_in_netcdf_rejected():
    with pytest.raises(InputError, match="1 station name"):
        validate_forecast(_dataset(stations=("A", "")))


def test_duplicated_csv_column_is_an_error(tmp_path):
    df = long_frame()
    path = tmp_path / "dup.csv"
    text = df.to_csv(index=False).splitlines()
    text[0] += ",PM2.5"
    path.write_text("\n".join(line if i == 0 else line + ",999" for i, line in enumerate(text)) + "\n")
    with pytest.raises(InputError) as exc:
        read_forecast(path)
    assert _errors(exc) == [
        (1, "PM2.5", "column 'PM2.5' appears twice in the header (columns 3 and 9); keep one")
    ]


def test_variable_without_station_dimension_is_named(tmp_path):
    ds = _dataset()
    ds["PM2.5"] = ("time", np.full(48, 80.0), {"units": "ug/m3"})
    path = tmp_path / "nostation.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    with pytest.raises(InputError) as exc:
        read_forecast(path)
    assert _errors(exc) == [
        (
            None,
            "PM2.5",
            "variable PM2.5 has dimensions (time) but every forecast variable needs (time, station)",
        )
    ]


def test_bad_byte_in_forecast_csv_named_by_line(tmp_path):
    data = long_frame().to_csv(index=False).encode()
    offset = data.index(b"\n2026-12-10 05:00") + 1
    path = tmp_path / "f.csv"
    path.write_bytes(data[:offset] + b"\xff" + data[offset:])
    with pytest.raises(InputError) as exc:
        read_forecast(path)
    [(row, _, message)] = _errors(exc)
    assert row == 7 and message == (
        f"byte 0xFF at byte offset {offset} (line 7) is not valid UTF-8 — correct this cell or save "
        "the file again as UTF-8"
    )


def test_non_numeric_variable_is_named():
    ds = _dataset()
    ds["SO2"] = (("time", "station"), np.full((48, 2), "high"), {"units": "ug/m3"})
    with pytest.raises(InputError) as exc:
        validate_forecast(ds)
    assert _errors(exc) == [(None, "SO2", "variable SO2 holds values that are not numbers")]
