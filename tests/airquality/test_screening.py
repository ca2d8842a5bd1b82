"""The screening plume: hand-computed cases, limits, symmetry and decay (hypothesis), coefficient files."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import POLLUTANTS
from planner.airquality.params import AQ_DIR, load_params
from planner.airquality.screening import (
    TPD_TO_GPS,
    MetStates,
    direction_pdf,
    seasonal_day_states,
    sigma_z,
    stability_class,
    transfer_coefficients,
    vertical_factor,
)
from planner.problems import InputError

P = load_params()
PM = POLLUTANTS.index("PM")
UG = 1e6


def state(speed=2.0, wind_from=270.0, sigma=7.5, mix=5000.0, cls="D", season="winter") -> MetStates:
    return MetStates(
        np.ones(1),
        np.array([speed]),
        np.array([wind_from]),
        np.array([sigma]),
        np.array([mix]),
        np.array([cls]),
        season,
        "test",
    )


def one(dx, dy, h=0.0, st_=None):
    return transfer_coefficients(np.array([[dx]]), np.array([[dy]]), np.array([h]), st_ or state(), P)[0, 0]


def test_centreline_is_the_textbook_gaussian_plume():
    """Ground source, receptor 10 km downwind, u = 2 m/s, class D, no lid in reach:
    C = Q / (π u σy σz) with σy = x·tan-free σθ·x = 1309 m, σz = 0.06·x/√(1 + 0.0015·x) = 150 m."""
    x = 10_000.0
    sy = x * np.deg2rad(7.5)
    sz = 0.06 * x / np.sqrt(1 + 0.0015 * x)
    assert sz == pytest.approx(150.0)
    expected = TPD_TO_GPS / (np.pi * 2.0 * sy * sz) * UG * P.pm25_industry  # µg/m³ per t/d of PM
    assert one(x, 0.0)[PM] == pytest.approx(expected, rel=1e-9)
    # off the axis by one σy: exp(-1/2) less (small-angle: the wrapped pdf is the normal one)
    off = one(x * np.cos(np.deg2rad(7.5)), -x * np.sin(np.deg2rad(7.5)))[PM]
    assert off == pytest.approx(expected * np.exp(-0.5), rel=2e-3)
    # upwind: nothing
    assert one(-x, 0.0)[PM] < 1e-12 * expected


def test_well_mixed_undirected_limit_is_the_box_formula():
    """Far from the source under a low lid and no preferred direction: C = Q / (2π r u H)."""
    r, u, mix = 100_000.0, 1.5, 200.0  # σz ≈ 490 m ≈ 2.4 H: fully mixed
    st_ = state(speed=u, wind_from=np.nan, mix=mix, cls="D")
    expected = TPD_TO_GPS / (2 * np.pi * r * u * mix) * UG * P.pm25_industry
    assert one(r, 0.0, 0.0, st_)[PM] == pytest.approx(expected, rel=1e-9)
    assert vertical_factor(1e5, 50.0, 300.0) == pytest.approx(1 / 300.0, rel=1e-12)


def test_vertical_factor_limits_and_continuity():
    # no lid in reach: ground reflection only, 2·φ(h; σz)
    sz, h = 40.0, 30.0
    assert vertical_factor(sz, h, 1e6) == pytest.approx(
        2 * np.exp(-(h**2) / (2 * sz**2)) / (np.sqrt(2 * np.pi) * sz)
    )
    # the image sum and the Fourier series agree where they switch (σz = 0.6 H)
    below, above = vertical_factor(0.6 * 500 - 1e-9, 80.0, 500.0), vertical_factor(0.6 * 500, 80.0, 500.0)
    assert below == pytest.approx(above, rel=1e-9)


def test_direction_pdf_integrates_to_one():
    phi = np.linspace(-np.pi, np.pi, 20001)
    for s in (0.05, 0.3, 1.0):
        assert np.trapezoid(direction_pdf(phi, s), phi) == pytest.approx(1.0, rel=1e-6)


def test_secondary_forms_along_the_plume():
    """SO2 → sulfate: share 1 − exp(−k r/u) converted, × mass factor; negligible near the source."""
    st_ = state(speed=2.0, wind_from=np.nan, mix=400.0)
    near, far = one(2_000.0, 0.0, 0.0, st_), one(40_000.0, 0.0, 0.0, st_)
    j = POLLUTANTS.index("SO2")
    f = P.secondary["SO2"]
    for r, c in ((2_000.0, near), (40_000.0, far)):
        conv = 1 - np.exp(-f["rate"]["winter"] * r / 2.0 / 3600)
        assert c[j] / c[PM] == pytest.approx(conv * f["mass_factor"] / P.pm25_industry, rel=1e-9)
    assert near[j] / near[PM] < far[j] / far[PM]


def test_stability_from_wind_and_hour():
    cls = stability_class(np.array([1.0, 1.0, 4.0, 7.0]), np.array([12, 2, 2, 12]), P)
    assert list(cls) == ["B", "F", "E", "D"]


def test_seasonal_default_day_has_day_and_night():
    s = seasonal_day_states("winter", P)
    assert s.weight.sum() == pytest.approx(1.0)
    assert set(s.mixing_height) == {600.0, 200.0}
    assert s.describe()["wind_dir"] is None


coords = st.floats(min_value=-60_000, max_value=60_000, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(x=coords, y=coords, angle=st.floats(0, 2 * np.pi), h=st.floats(0, 150))
def test_undirected_wind_is_rotation_invariant(x, y, angle, h):
    st_ = state(wind_from=np.nan, mix=500.0)
    xr_, yr_ = x * np.cos(angle) - y * np.sin(angle), x * np.sin(angle) + y * np.cos(angle)
    np.testing.assert_allclose(one(x, y, h, st_), one(xr_, yr_, h, st_), rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(down=st.floats(500, 60_000), cross=st.floats(0, 20_000), wind=st.floats(0, 360), h=st.floats(0, 150))
def test_mirror_symmetric_about_the_wind_axis(down, cross, wind, h):
    st_ = state(wind_from=wind, sigma=20.0, mix=500.0)
    to = np.deg2rad(wind + 180.0)
    ax, ay = np.sin(to), np.cos(to)  # unit vector along the plume
    nx, ny = ay, -ax  # normal to it
    left = one(down * ax + cross * nx, down * ay + cross * ny, h, st_)
    right = one(down * ax - cross * nx, down * ay - cross * ny, h, st_)
    np.testing.assert_allclose(left, right, rtol=1e-9, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    r=st.floats(1_000, 80_000), factor=st.floats(1.05, 3.0), mix=st.floats(100, 2000), speed=st.floats(0.5, 8)
)
def test_ground_source_decays_with_distance(r, factor, mix, speed):
    """A ground-level source in undirected wind: PM2.5 falls with distance, and is linear in 1/u
    above the calm limit (secondary species excepted: they form while travelling)."""
    st_ = state(speed=speed, wind_from=np.nan, mix=mix)
    near, far = one(r, 0.0, 0.0, st_)[PM], one(r * factor, 0.0, 0.0, st_)[PM]
    assert far < near
    slow = state(speed=max(speed, 1.0), wind_from=np.nan, mix=mix)
    fast = state(speed=2 * max(speed, 1.0), wind_from=np.nan, mix=mix)
    assert one(r, 0.0, 0.0, fast)[PM] == pytest.approx(one(r, 0.0, 0.0, slow)[PM] / 2, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(r=st.floats(5_000, 60_000), wind=st.floats(0, 360), spread=st.floats(2, 60))
def test_daily_mean_of_a_rose_is_the_mean_of_its_directions(r, wind, spread):
    """The daily mean over two wind states is the weighted mean of the two plumes."""
    a, b = state(wind_from=wind, sigma=spread), state(wind_from=(wind + 90) % 360, sigma=spread)
    both = MetStates(
        np.array([0.25, 0.75]),
        np.array([2.0, 2.0]),
        np.array([wind, (wind + 90) % 360]),
        np.array([spread, spread]),
        np.array([5000.0, 5000.0]),
        np.array(["D", "D"]),
        "winter",
        "test",
    )
    to = np.deg2rad(wind + 180.0)
    dx, dy = r * np.sin(to), r * np.cos(to)
    np.testing.assert_allclose(
        one(dx, dy, 0, both), 0.25 * one(dx, dy, 0, a) + 0.75 * one(dx, dy, 0, b), rtol=1e-9
    )


def test_sigma_z_increases():
    x = np.linspace(100, 1e5, 50)
    for c in "ABCDEF":
        assert (np.diff(sigma_z(x, c, P)) > 0).all()


# --------------------------------------------------------------------------- coefficient files
def _copy(tmp_path):
    out = tmp_path / "aq"
    shutil.copytree(AQ_DIR, out)
    return out


def _edit(folder, name, fn):
    path = folder / name
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "edit", "where", "message"),
    [
        (
            "screening.yaml",
            lambda d: d["dispersion"].update(min_distanse_m=5),
            "dispersion.min_distanse_m",
            "unknown key",
        ),
        (
            "screening.yaml",
            lambda d: d["lag_weights"].update(primary=[0.6, 0.3]),
            "lag_weights.primary",
            "sum to 1",
        ),
        (
            "screening.yaml",
            lambda d: d["seasons"]["winter"]["months"].remove(2),
            "seasons",
            "belong to no season",
        ),
        (
            "screening.yaml",
            lambda d: d["dispersion"]["sigma_z"].pop("F"),
            "dispersion.sigma_z.F",
            "required class",
        ),
        (
            "screening.yaml",
            lambda d: d["pm25_fraction"].update(industry=45),
            "pm25_fraction.industry",
            "fractions",
        ),
        (
            "secondary.yaml",
            lambda d: d["precursors"]["SO2"].update(rate_per_hour=2),
            "precursors.SO2.rate_per_hour",
            "above 1",
        ),
        ("secondary.yaml", lambda d: d["precursors"].pop("NOx"), "precursors.NOx", "required precursor"),
    ],
)
def test_coefficient_files_are_validated(tmp_path, name, edit, where, message):
    folder = _copy(tmp_path)
    _edit(folder, name, edit)
    with pytest.raises(InputError) as err:
        load_params(folder)
    hits = [p for p in err.value.problems.errors if p.column == where]
    assert hits and message in hits[0].message, err.value.problems.to_text()
    assert hits[0].file.endswith(name)


def test_shipped_coefficients_cite_sources():
    text = (AQ_DIR / "secondary.yaml").read_text(encoding="utf-8")
    for p in ("SO2", "NOx", "VOCs"):
        assert P.secondary[p]["source"]
    assert "Seinfeld" in text and "ISC3" in (AQ_DIR / "screening.yaml").read_text(encoding="utf-8")
