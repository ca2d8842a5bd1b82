"""Source–receptor files: round trips (netCDF and CSV, three source types), errors, mapping to firms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from planner import POLLUTANTS
from planner.airquality.effect import CITY, response_matrix
from planner.airquality.sr import UNITS, map_to_enterprises, normalise_units, read_sr, validate_sr, write_sr
from planner.problems import InputError

STATIONS = [{"id": "S1", "lat": 37.0, "lon": 114.5}, {"id": "S2", "lat": 37.1, "lon": 114.6}]


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county": ["A县", "A县", "B区"],
            "industry": ["cement", "foundry", "cement"],
            "lon": [114.52, 114.61, 114.38],
            "lat": [37.02, 37.08, 36.91],
            "SO2": [1.0, 0.1, 0.5],
            "NOx": [2.0, 0.2, 0.4],
            "PM": [0.5, 0.3, 0.2],
            "VOCs": [0.0, 0.1, 0.0],
        },
        index=pd.Index(["E1", "E2", "E3"], name="enterprise_id"),
    )


def _sr(kind: str) -> xr.DataArray:
    rng = np.random.default_rng(7)
    if kind == "enterprise":
        sources, coords = ["E1", "E2", "E3"], {}
    elif kind == "county_sector":
        sources = ["A县|cement", "A县|all", "B区|all"]
        coords = {
            "county": ("source", ["A县", "A县", "B区"]),
            "industry": ("source", ["cement", "all", "all"]),
        }
    else:
        lon = np.array([114.35, 114.45, 114.55, 114.65])
        lat = np.array([36.9, 37.0, 37.1])
        lo, la = np.meshgrid(lon, lat)
        sources = [f"c{i}" for i in range(lo.size)]
        coords = {"lon": ("source", lo.ravel()), "lat": ("source", la.ravel())}
    values = rng.uniform(-0.01, 0.2, (3, 2, 4, len(sources)))
    return xr.DataArray(
        values,
        dims=("receptor", "lag", "pollutant", "source"),
        coords={
            "receptor": ["S1", "S2", CITY],
            "lag": [0, 1],
            "pollutant": list(POLLUTANTS),
            "source": sources,
            **coords,
        },
        attrs={"units": "µg/m3 per t/d", "source_type": kind},
        name="dC",
    )


@pytest.mark.parametrize("kind", ["enterprise", "county_sector", "grid"])
@pytest.mark.parametrize("suffix", [".nc", ".csv"])
def test_round_trip(tmp_path, kind, suffix):
    da = _sr(kind)
    path = write_sr(da, tmp_path / f"sr{suffix}")
    back = read_sr(path)
    assert back.attrs["units"] == UNITS and back.attrs["source_type"] == kind
    assert back.attrs["file"] == path.name
    ref = validate_sr(da)
    back = back.sel(
        source=ref["source"].values if kind != "grid" or suffix == ".nc" else back["source"].values
    )
    if kind == "county_sector" and suffix == ".csv":
        ref = ref.assign_coords(
            source=[f"{c}|{i}" for c, i in zip(ref["county"].values, ref["industry"].values, strict=True)]
        )
    if kind == "grid" and suffix == ".csv":  # CSV keeps the cell ids in the source column
        back = back.sel(source=ref["source"].values)
    back = back.sel(receptor=ref["receptor"].values, lag=ref["lag"].values, pollutant=ref["pollutant"].values)
    np.testing.assert_allclose(back.transpose(*ref.dims).values, ref.values, rtol=1e-9)
    # the mapped coefficients are the same from either file
    np.testing.assert_allclose(
        map_to_enterprises(back, _table()).values, map_to_enterprises(ref, _table()).values, rtol=1e-9
    )


def test_county_sector_and_grid_mapping():
    t = _table()
    cs = map_to_enterprises(validate_sr(_sr("county_sector")), t)
    ref = validate_sr(_sr("county_sector"))
    # E1 is A县 cement (own row), E2 A县 foundry (A县|all), E3 B区 (B区|all)
    for eid, src in (("E1", "A县|cement"), ("E2", "A县|all"), ("E3", "B区|all")):
        np.testing.assert_allclose(
            cs.sel(enterprise=eid).transpose("receptor", "lag", "pollutant").values,
            ref.sel(source=src).transpose("receptor", "lag", "pollutant").values,
        )
    grid = validate_sr(_sr("grid"))
    g = map_to_enterprises(grid, t)
    # E1 at (114.52, 37.02) lies in the cell centred at (114.55, 37.0)
    cell = int(np.flatnonzero((np.isclose(grid["lon"], 114.55)) & (np.isclose(grid["lat"], 37.0)))[0])
    np.testing.assert_allclose(
        g.sel(enterprise="E1").transpose("receptor", "lag", "pollutant").values,
        grid.isel(source=cell).transpose("receptor", "lag", "pollutant").values,
    )


def test_firms_not_covered_are_errors():
    t = _table()
    sr = validate_sr(_sr("enterprise")).sel(source=["E1", "E2"])
    with pytest.raises(InputError, match=r"1 enterprise\(s\) not in the file, e.g. E3"):
        map_to_enterprises(sr, t)
    far = t.copy()
    far.loc["E3", ["lon", "lat"]] = [116.0, 38.0]
    with pytest.raises(InputError, match="outside every grid cell"):
        map_to_enterprises(validate_sr(_sr("grid")), far)
    cs = validate_sr(_sr("county_sector")).sel(source=["A县|cement", "A县|all"])
    with pytest.raises(InputError, match="county × industry"):
        map_to_enterprises(cs, t)


@pytest.mark.parametrize(
    "text",
    [
        "ug m-3 per t d-1",
        "µg/m3 per t/d",
        "μg m⁻³ per t d⁻¹",
        "ug/m3/(t/d)",
        "UG M-3 PER T D-1",
        "µg/m³ per t/d",
    ],
)
def test_units_accepted(text):
    assert normalise_units(text) == UNITS


@pytest.mark.parametrize(
    "text", ["ug m-3 per kg d-1", "ug/m3 per t/a", "ppb per t/d", "ug m-3", "mg/m3 per t/d", ""]
)
def test_units_rejected(text, tmp_path):
    assert normalise_units(text) is None
    da = _sr("enterprise")
    da.attrs["units"] = text
    with pytest.raises(InputError, match="unknown units"):
        validate_sr(da, "sr.nc")


def _csv(tmp_path, text: str):
    p = tmp_path / "sr.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_errors_name_row_and_column(tmp_path):
    head = "receptor,lag,pollutant,source,dC,units\n"
    u = "ug m-3 per t d-1"
    cases = [
        (head + f"S1,0,PM,E1,0.1,{u}\nS1,-1,PM,E1,0.1,{u}\n", 3, "lag", "whole number"),
        (head + f"S1,0,PM,E1,abc,{u}\n", 2, "dC", "not a number"),
        (head + f"S1,0,PM2.5,E1,0.1,{u}\n", 2, "pollutant", "unknown pollutant 'PM2.5'"),
        (head + f"S1,0,PM,E1,0.1,{u}\nS1,0,PM,E2,0.1,ug m-3 per t a-1\n", 3, "units", "unknown units"),
        (head + f"S1,0,PM,E1,0.1,{u}\nS1,0,PM,E1,0.2,{u}\n", 2, None, "repeat the same"),
    ]
    for text, row, column, msg in cases:
        with pytest.raises(InputError, match=msg) as err:
            read_sr(_csv(tmp_path, text))
        p = err.value.problems.errors[0]
        assert (p.file, p.row, p.column) == ("sr.csv", row, column)
    with pytest.raises(InputError, match="missing column"):
        read_sr(_csv(tmp_path, "receptor,lag,pollutant,dC\nS1,0,PM,0.1\n"))
    with pytest.raises(InputError, match="lags must be 0, 1"):
        read_sr(_csv(tmp_path, head + f"S1,0,PM,E1,0.1,{u}\nS1,2,PM,E1,0.1,{u}\n"))
    with pytest.raises(InputError, match="not found"):
        read_sr(tmp_path / "nope.nc")


def test_netcdf_errors(tmp_path):
    da = _sr("enterprise")
    bad = da.copy()
    bad.values[0, 0, 0, 0] = np.nan
    with pytest.raises(InputError, match="missing or infinite"):
        validate_sr(bad)
    with pytest.raises(InputError, match="expected \\(receptor, lag, pollutant, source\\)"):
        validate_sr(da.isel(lag=0, drop=True))
    noun = da.copy()
    noun.attrs.pop("units")
    with pytest.raises(InputError, match="no units attribute"):
        validate_sr(noun)
    p = tmp_path / "junk.nc"
    p.write_bytes(b"not netcdf")
    with pytest.raises(InputError, match="cannot read as netCDF"):
        read_sr(p)


def test_response_matrix_from_sr_checks_receptors_and_adds_city(tmp_path):
    t = _table()
    da = validate_sr(_sr("enterprise")).sel(receptor=["S1", "S2"])
    r = response_matrix(t, STATIONS, ["d1", "d2"], sr=da)
    assert r.dims == ("receptor", "lag", "enterprise", "pollutant", "slot")
    np.testing.assert_allclose(
        r.sel(receptor=CITY).values, r.sel(receptor=["S1", "S2"]).mean("receptor").values
    )
    np.testing.assert_allclose(r.isel(slot=0).values, r.isel(slot=1).values)
    wrong = da.assign_coords(receptor=["S1", "S9"])
    with pytest.raises(InputError, match="S9 are not stations"):
        response_matrix(t, STATIONS, ["d1"], sr=wrong)


def test_screening_places_firms_without_coordinates_at_their_county():
    t = _table()
    t.loc["E2", ["lon", "lat"]] = np.nan
    city = {
        "counties": [
            {"name": "A县", "lon": 114.52, "lat": 37.02},
            {"name": "B区", "lon": 114.38, "lat": 36.91},
        ]
    }
    r = response_matrix(t, STATIONS, ["day"], city=city)
    assert "1 enterprise(s) without coordinates" in r.attrs["notes"]
    same = t.copy()
    same.loc["E2", ["lon", "lat"]] = [114.52, 37.02]
    ref = response_matrix(same, STATIONS, ["day"], city=city)
    np.testing.assert_allclose(r.sel(enterprise="E2").values, ref.sel(enterprise="E2").values)
    assert r.attrs["method"] == "screening" and (r.values >= 0).all()
