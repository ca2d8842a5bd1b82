"""Reduction shares, city totals and targets in tonnes per day."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import ALERT_LEVELS, POLLUTANTS
from planner.problems import InputError
from planner.targets.reductions import daily_targets, level_targets, load_shares, read_city

TOTALS = {"SO2": 3650.0, "NOx": 7300.0, "PM": 365.0, "VOCs": 36500.0}

CITY = """\
name: Demo City
total_emissions: {SO2: 3650, NOx: 7300, PM: 365, VOCs: 36500}
stations: [S1, S2]
counties: [A county, B county]
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def errors_of(call):
    with pytest.raises(InputError) as exc:
        call()
    return exc.value.problems.errors


# --------------------------------------------------------------------------- shares


def test_default_shares():
    s = load_shares()
    assert s.dims == ("level", "pollutant")
    assert list(s.level.values) == list(ALERT_LEVELS) and list(s.pollutant.values) == list(POLLUTANTS)
    np.testing.assert_allclose(s.sel(level="yellow"), 0.10)
    np.testing.assert_allclose(s.sel(level="orange"), 0.20)
    np.testing.assert_allclose(s.sel(level="red"), 0.30)


def test_override_one_pollutant():
    s = load_shares(overrides={"orange": {"NOx": 0.25}})
    assert s.sel(level="orange", pollutant="NOx").item() == 0.25
    assert s.sel(level="orange", pollutant="SO2").item() == 0.20


def test_override_whole_level():
    s = load_shares(overrides={"orange": 0.3, "red": 0.4})
    np.testing.assert_allclose(s.sel(level="orange"), 0.3)
    np.testing.assert_allclose(s.sel(level="red"), 0.4)


def test_override_that_breaks_the_order_is_an_error():
    errs = errors_of(lambda: load_shares(overrides={"orange": {"NOx": 0.4}}))
    assert any(e.column == "shares.red.NOx" and "lower than the orange" in e.message for e in errs)


def test_override_unknown_keys_with_suggestion():
    errs = errors_of(lambda: load_shares(overrides={"orang": 0.2}))
    assert any(e.column == "orang" and "did you mean 'orange'" in e.message for e in errs)
    errs = errors_of(lambda: load_shares(overrides={"orange": {"NOX": 0.2}}))
    assert any(e.column == "orange.NOX" and "'NOx'" in e.message for e in errs)


def test_override_out_of_range():
    errs = errors_of(lambda: load_shares(overrides={"red": {"PM": 40}}))
    assert any(e.column == "red.PM" and "outside [0, 1]" in e.message and "0.4" in e.message for e in errs)


def test_override_from_city_file(tmp_path):
    p = write(tmp_path, "city.yaml", CITY + "shares: {orange: {VOCs: 0.25}}\n")
    s = load_shares(overrides=p)
    assert s.sel(level="orange", pollutant="VOCs").item() == 0.25
    assert read_city(p)["shares"] == {"orange": {"VOCs": 0.25}}


def test_shares_file_validation(tmp_path):
    p = write(
        tmp_path,
        "shares.yaml",
        """\
        shares:
          yellow: {SO2: 0.1, NOx: 0.1, PM: 0.1, VOCs: 0.1}
          orange: {SO2: 0.05, NOx: 0.2, PM: 1.2, VOCs: 0.2}
          red: {SO2: 0.3, NOx: 0.3, PM: 0.3}
    """,
    )
    errs = errors_of(lambda: load_shares(p))
    assert any(
        e.file == "shares.yaml" and e.column == "shares.orange.PM" and "outside [0, 1]" in e.message
        for e in errs
    )
    assert any(e.column == "shares.red.VOCs" and "missing" in e.message for e in errs)


def test_shares_file_decreasing(tmp_path):
    p = write(
        tmp_path,
        "shares.yaml",
        """\
        shares:
          yellow: 0.1
          orange: {SO2: 0.05, NOx: 0.2, PM: 0.2, VOCs: 0.2}
          red: 0.3
    """,
    )
    errs = errors_of(lambda: load_shares(p))
    assert any(e.column == "shares.orange.SO2" and "lower than the yellow" in e.message for e in errs)


def test_shares_file_missing_level_and_bad_yaml(tmp_path):
    p = write(tmp_path, "shares.yaml", "shares:\n  yellow: 0.1\n  orange: 0.2\n")
    assert any(e.column == "shares.red" and "missing" in e.message for e in errors_of(lambda: load_shares(p)))
    q = write(tmp_path, "bad.yaml", "shares: [0.1,\n")
    assert any("not valid YAML" in e.message for e in errors_of(lambda: load_shares(q)))
    r = write(tmp_path, "noshares.yaml", "yellow: 0.1\n")
    assert any("shares" in e.message for e in errors_of(lambda: load_shares(r)))


# --------------------------------------------------------------------------- city


def test_read_city(tmp_path):
    city = read_city(write(tmp_path, "city.yaml", CITY))
    assert city["name"] == "Demo City"
    assert city["total_emissions"] == TOTALS
    assert city["stations"] == ["S1", "S2"]


def test_read_city_validation(tmp_path):
    p = write(tmp_path, "city.yaml", "name: X\ntotal_emissions: {SO2: 0, NOx: -3, PM: abc}\n")
    errs = errors_of(lambda: read_city(p))
    cols = {e.column for e in errs}
    assert {
        "total_emissions.SO2",
        "total_emissions.NOx",
        "total_emissions.PM",
        "total_emissions.VOCs",
    } <= cols
    q = write(tmp_path, "city2.yaml", "name: X\ntotal_emission: {SO2: 1}\n")
    errs = errors_of(lambda: read_city(q))
    assert any(e.column == "total_emission" and "did you mean 'total_emissions'" in e.message for e in errs)
    assert any(e.column == "total_emissions" and "missing" in e.message for e in errs)
    r = write(tmp_path, "city3.yaml", "total_emissions: {SO2: 1, NOx: 1, PM: 1, VOCs: 1}\n")
    assert any(e.column == "name" for e in errors_of(lambda: read_city(r)))


# --------------------------------------------------------------------------- targets


def test_level_targets_arithmetic():
    t = level_targets(load_shares(), TOTALS)
    assert t.dims == ("level", "pollutant")
    assert t.attrs["units"] == "t/d"
    # share × total / 365
    assert t.sel(level="yellow", pollutant="SO2").item() == pytest.approx(0.1 * 3650 / 365)
    assert t.sel(level="orange", pollutant="NOx").item() == pytest.approx(0.2 * 7300 / 365)
    assert t.sel(level="red", pollutant="VOCs").item() == pytest.approx(0.3 * 36500 / 365)
    assert t.sel(level="red", pollutant="PM").item() == pytest.approx(0.3)


def test_level_targets_accepts_series_and_city_dict(tmp_path):
    shares = load_shares()
    a = level_targets(shares, pd.Series(TOTALS))
    b = level_targets(shares, read_city(write(tmp_path, "city.yaml", CITY)))
    np.testing.assert_allclose(a.values, b.values)
    with pytest.raises(InputError, match="VOCs"):
        level_targets(shares, {"SO2": 1, "NOx": 1, "PM": 1})


def test_daily_targets():
    levels = pd.Series(
        ["none", "yellow", "orange", "red", "none"], index=pd.date_range("2026-01-10", periods=5, freq="D")
    )
    t = daily_targets(levels, load_shares(), TOTALS)
    assert t.dims == ("slot", "pollutant")
    assert list(t.slot.values) == ["2026-01-10", "2026-01-11", "2026-01-12", "2026-01-13", "2026-01-14"]
    assert list(t.level.values) == ["none", "yellow", "orange", "red", "none"]
    np.testing.assert_allclose(t.sel(slot="2026-01-10"), 0.0)
    np.testing.assert_allclose(t.sel(slot="2026-01-13").values, [3.0, 6.0, 0.3, 30.0])
    np.testing.assert_allclose(t.sel(slot="2026-01-11").values, [1.0, 2.0, 0.1, 10.0])


def test_daily_targets_with_string_dates_and_bad_level():
    levels = pd.Series(["Orange", "red"], index=["2026-02-01", "2026-02-02"])
    t = daily_targets(levels, load_shares(overrides={"red": 0.5}), TOTALS)
    assert t.sel(slot="2026-02-02", pollutant="SO2").item() == pytest.approx(5.0)
    assert t.sel(slot="2026-02-01", pollutant="SO2").item() == pytest.approx(2.0)
    with pytest.raises(InputError, match="unknown alert level"):
        daily_targets(pd.Series(["purple"], index=["2026-02-01"]), load_shares(), TOTALS)


# --------------------------------------------------------------------------- schemas (issue 9 / 14)


def test_duplicate_keys_in_shares_and_city(tmp_path):
    p = write(tmp_path, "shares.yaml", "shares:\n  yellow: 0.1\n  orange: 0.2\n  red: 0.3\n  orange: 0.25\n")
    (e,) = errors_of(lambda: load_shares(p))
    assert "duplicate" in e.message and e.column == "shares.orange" and e.row == 5
    q = write(tmp_path, "city.yaml", CITY + "total_emissions: {SO2: 1, NOx: 1, PM: 1, VOCs: 1}\n")
    (e,) = errors_of(lambda: read_city(q))
    assert "duplicate key 'total_emissions'" in e.message and e.file == "city.yaml" and e.row == 5
    r = write(tmp_path, "city2.yaml", CITY + "shares: {orange: {VOCs: 0.25, VOCs: 0.3}}\n")
    (e,) = errors_of(lambda: load_shares(overrides=r))
    assert "duplicate" in e.message and e.column == "shares.orange.VOCs"


def test_shares_file_values_of_the_wrong_type(tmp_path):
    p = write(
        tmp_path,
        "shares.yaml",
        "shares:\n  yellow: '10%'\n  orange: {SO2: .inf, NOx: 0.2, PM: true, VOCs: 0.2}\n  red: 0.3\nsource: 2020\n",
    )
    errs = {e.column: e for e in errors_of(lambda: load_shares(p))}
    assert "got the text '10%'" in errs["shares.yellow"].message and errs["shares.yellow"].row == 2
    assert "finite" in errs["shares.orange.SO2"].message
    assert "got true" in errs["shares.orange.PM"].message
    assert set(errs) == {"shares.yellow", "shares.orange.SO2", "shares.orange.PM"}  # source 2020 is text


def test_scenario_overrides_named_by_their_file(tmp_path):
    errs = errors_of(lambda: load_shares(overrides={"orange": {"NOx": 0.4}}, overrides_label="s.yaml"))
    (e,) = errs
    assert e.file == "s.yaml" and e.column == "shares.orange.NOx" and "raise it too" in e.message
    (e,) = errors_of(lambda: load_shares(overrides={"orang": 0.2}, overrides_label="s.yaml"))
    assert e.file == "s.yaml" and e.column == "shares.orang" and "did you mean 'orange'" in e.message


def test_city_schema(tmp_path):
    bad = CITY.replace("stations: [S1, S2]", "stations: [{id: S1, lat: 95}]") + (
        "year: '2026'\nextent: {lat_min: 38, lat_max: 37, lon_min: 114, lon_max: 115}\n"
        "emission_sectors: {dust: {PM: -1}}\npopulaton: 3\n"
    )
    errs = {e.column: e for e in errors_of(lambda: read_city(write(tmp_path, "city.yaml", bad)))}
    assert "whole number" in errs["year"].message
    assert "lat_min < lat_max" in errs["extent"].message
    assert "at least 0" in errs["emission_sectors.dust.PM"].message
    assert "at most 90" in errs["stations[0].lat"].message
    assert "did you mean 'population'" in errs["populaton"].message
    text = CITY.replace("counties: [A county, B county]", "counties: [{name: A, code: 130600, towns: [x]}]")
    ok = read_city(write(tmp_path, "ok.yaml", text + "year: 2026\n"))
    assert ok["counties"][0]["code"] == 130600  # returned as written


def test_city_totals_must_be_finite(tmp_path):
    p = write(tmp_path, "city.yaml", "name: X\ntotal_emissions: {SO2: .inf, NOx: 1, PM: 1, VOCs: 1e400}\n")
    errs = {e.column: e.message for e in errors_of(lambda: read_city(p))}
    assert "t/a" in errs["total_emissions.SO2"] and "got infinity" in errs["total_emissions.SO2"]
    assert "got infinity" in errs["total_emissions.VOCs"]


def test_demo_and_real_city_files_load():
    from planner import DATA_DIR

    assert read_city(DATA_DIR / "demo_city" / "city.yaml")["total_emissions"]["NOx"] > 0


_any = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**400)
    | st.floats()
    | st.sampled_from(["no", "25%", "", "a\x00b"])
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["SO2", "id", "x"]), inner, max_size=2)
    ),
    max_leaves=5,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(
        ["name", "total_emissions", "stations", "extent", "counties", "shares", "year", "emission_sectors"]
    ),
    value=_any,
)
def test_any_city_value_gives_a_city_or_an_input_error(tmp_path, key, value):
    import yaml

    doc = yaml.safe_load(CITY)
    doc[key] = value
    p = tmp_path / "city.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        city = read_city(p)
    except InputError as exc:
        errors = exc.problems.errors
    else:
        errors = None
    if errors is not None:
        assert all(e.file == "city.yaml" and "Input should" not in e.message for e in errors)
        return
    assert all(np.isfinite(v) and v > 0 for v in city["total_emissions"].values())
