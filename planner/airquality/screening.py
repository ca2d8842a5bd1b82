"""Screening transfer coefficients: a daily-mean Gaussian plume over a wind-direction distribution.

For a source emitting ``Q`` (g/s) at effective height ``h`` and a ground-level receptor at
distance ``r`` and bearing ``β`` from it, one meteorological state (10-m wind speed ``u10``, the
direction the wind blows *to* ``θ``, mixing height ``H``, Pasquill class) gives the
sector-averaged plume (EPA ISC3 long-term form, Turner 1994)::

    C = Q · p(β − θ) / (r · u) · G(r)

- ``p`` – the probability density (per radian) of the plume direction: a wrapped normal of
  spread ``σθ`` around ``θ`` (``σθ`` by stability class for an hour, wider for a daily
  direction), or ``1/2π`` when no direction is known.  With ``σy = r·σθ`` this *is* the
  textbook Gaussian plume ``Q/(2π u σy σz)·exp(−y²/2σy²)·(vertical terms)``.
- ``u`` – wind at the release height, ``u10·(z/10)^p`` (ISC3 rural exponents), ``z`` between
  10 m and ``H``; speeds below the calm limit are raised to it.
- ``G`` – the vertical factor with ground and lid reflections,
  ``Σ_n φ(h ± 2nH; σz)``; for a plume filling the mixed layer it tends to ``1/H`` (box limit).
  It is evaluated exactly by images while ``σz < 0.6 H`` and by its Fourier series above.
- ``σz(r) = a·r·(1 + b·r)^c`` (Briggs 1973 open country).
- ``r`` is at least ``min_distance_m``.

A day is a weighted set of states (24 hourly ones from an hourly forecast, one from a daily
forecast, the 16 directions of a wind rose or one undirected state from the seasonal default);
the daily mean is the weighted mean over states.  Secondary PM2.5 from SO2, NOx and VOCs forms
along the plume: share ``1 − exp(−k·r/u)`` of the precursor converted, times the product/precursor
mass factor and the particle-phase share (``secondary.yaml``).  Primary PM2.5 is the inventory's
particulate (颗粒物) times its PM2.5 share.

All results are **µg/m³ of PM2.5 per t/d emitted** (steady state: a source emitting 1 t/d for
days on end); :mod:`planner.airquality.effect` splits them over lag days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner import POLLUTANTS
from planner.airquality.params import PRIMARY, ScreeningParams

__all__ = [
    "EARTH_RADIUS_M",
    "TPD_TO_GPS",
    "MetStates",
    "area_points",
    "direction_pdf",
    "project",
    "release_height",
    "seasonal_day_states",
    "sigma_z",
    "stability_class",
    "transfer_coefficients",
    "vertical_factor",
]

EARTH_RADIUS_M = 6_371_000.0
#: 1 t/d in g/s.
TPD_TO_GPS = 1e6 / 86400.0
_UG_PER_G = 1e6


@dataclass
class MetStates:
    """The meteorology of one day as weighted states (arrays of equal length K).

    Attributes
    ----------
    weight : ndarray
        Share of the day of each state (sums to 1).
    wind_speed : ndarray
        10-m wind speed, m/s.
    wind_from : ndarray
        Direction the wind comes from, degrees clockwise from north; NaN = no preferred direction.
    sigma_theta_deg : ndarray
        Spread of the plume direction around it, degrees.
    mixing_height : ndarray
        m.
    stability : ndarray of str
        Pasquill class A–F.
    season : str
        Season of the day (selects secondary-formation rates).
    source : str
        ``forecast`` or ``seasonal default``.
    """

    weight: np.ndarray
    wind_speed: np.ndarray
    wind_from: np.ndarray
    sigma_theta_deg: np.ndarray
    mixing_height: np.ndarray
    stability: np.ndarray
    season: str
    source: str

    def describe(self) -> dict:
        """Daily summary: mean speed, vector-mean direction (None when undirected), mean H."""
        w = self.weight / self.weight.sum()
        directed = ~np.isnan(self.wind_from)
        if directed.any():
            rad = np.deg2rad(self.wind_from[directed])
            ww = w[directed] * self.wind_speed[directed]
            d = float(np.rad2deg(np.arctan2((ww * np.sin(rad)).sum(), (ww * np.cos(rad)).sum())) % 360)
        else:
            d = None
        return {
            "met_source": self.source,
            "season": self.season,
            "wind_speed": float((w * self.wind_speed).sum()),
            "wind_dir": d,
            "mixing_height": float((w * self.mixing_height).sum()),
        }


def project(lon, lat, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Local east/north coordinates (m) of WGS84 points around ``(lon0, lat0)`` (equirectangular)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    x = np.deg2rad(lon - lon0) * EARTH_RADIUS_M * np.cos(np.deg2rad(lat0))
    y = np.deg2rad(lat - lat0) * EARTH_RADIUS_M
    return x, y


def release_height(table: pd.DataFrame, params: ScreeningParams) -> tuple[np.ndarray, np.ndarray]:
    """Effective release height (m) of each firm and whether its stack height was known.

    A ``stack_height`` column (m) is used where it has a value, the size-class default otherwise;
    the size class (SO2 + NOx + PM in t/a) also gives the plume rise added to either.
    """
    tpa = table[["SO2", "NOx", "PM"]].to_numpy(dtype=float).sum(axis=1) * 365.0
    cls = np.searchsorted(params.size_max_tpa, tpa, side="left")
    cls = np.clip(cls, 0, len(params.size_max_tpa) - 1)
    default = params.size_height_m[cls]
    if "stack_height" in table.columns:
        given = pd.to_numeric(table["stack_height"], errors="coerce").to_numpy(dtype=float)
    else:
        given = np.full(len(table), np.nan)
    known = np.isfinite(given) & (given >= 0)
    stack = np.where(known, given, default)
    return stack + params.size_rise_m[cls], known


def sigma_z(x, cls: str, params: ScreeningParams) -> np.ndarray:
    """Vertical dispersion σz (m) at downwind distance ``x`` (m) for Pasquill class ``cls``."""
    a, b, c = params.sigma_z[cls]
    x = np.asarray(x, dtype=float)
    return a * x * (1.0 + b * x) ** c


def vertical_factor(sz, h, mix) -> np.ndarray:
    """``Σ_n [φ(h + 2nH) + φ(h − 2nH)]`` at ground level (1/m), ground and lid reflections.

    Parameters
    ----------
    sz : array_like
        σz, m (> 0).
    h : array_like
        Release height, m (taken as at most ``mix``).
    mix : array_like
        Mixing height H, m.
    """
    sz, h, mix = np.broadcast_arrays(
        np.asarray(sz, dtype=float), np.asarray(h, dtype=float), np.asarray(mix, dtype=float)
    )
    h = np.minimum(h, mix)
    out = np.empty(sz.shape)
    near = sz < 0.6 * mix
    if near.any():
        s, a, H = sz[near], h[near], mix[near]
        acc = np.zeros(s.shape)
        for n in range(-2, 3):
            acc += np.exp(-((a + 2 * n * H) ** 2) / (2 * s**2))
        out[near] = 2.0 * acc / (np.sqrt(2 * np.pi) * s)
    far = ~near
    if far.any():
        s, a, H = sz[far], h[far], mix[far]
        acc = np.ones(s.shape)
        for k in range(1, 7):
            acc += 2.0 * np.exp(-((np.pi * k * s / H) ** 2) / 2) * np.cos(np.pi * k * a / H)
        out[far] = acc / H  # 2 × (1 / 2H) × series
    return out


def direction_pdf(phi, sigma_rad) -> np.ndarray:
    """Wrapped-normal density (per radian) of angle ``phi`` around 0 with spread ``sigma_rad``."""
    phi = (np.asarray(phi, dtype=float) + np.pi) % (2 * np.pi) - np.pi
    s = np.asarray(sigma_rad, dtype=float)
    acc = np.zeros(np.broadcast(phi, s).shape)
    for m in (-2, -1, 0, 1, 2):
        acc += np.exp(-((phi + 2 * np.pi * m) ** 2) / (2 * s**2))
    return acc / (np.sqrt(2 * np.pi) * s)


def stability_class(wind_speed, hour, params: ScreeningParams) -> np.ndarray:
    """Pasquill–Turner class from 10-m wind speed and local hour (day: slight insolation; night: clear)."""
    ws = np.asarray(wind_speed, dtype=float)
    hour = np.asarray(hour)
    b = np.searchsorted(params.speed_bins_ms, ws, side="right")
    day = (hour >= params.day_hours[0]) & (hour <= params.day_hours[1])
    return np.where(day, np.asarray(params.day_classes)[b], np.asarray(params.night_classes)[b])


def seasonal_day_states(season: str, params: ScreeningParams, source: str = "seasonal default") -> MetStates:
    """A day of the seasonal default.

    A daytime and a night-time state (classes from the wind speed as for hourly data), each over the season's
    wind rose or undirected.
    """
    s = params.seasons[season]
    u = float(s["wind_speed_ms"])
    lo, hi = params.day_hours
    day_share = (hi - lo + 1) / 24.0
    parts = []
    for hour, share, mix in (
        (12, day_share, s["mixing_height_day_m"]),
        (0, 1 - day_share, s["mixing_height_night_m"]),
    ):
        cls = str(stability_class(np.array([u]), np.array([hour]), params)[0])
        rose = s["wind_rose"]
        if rose is None:
            dirs, freq, sig = np.array([np.nan]), np.ones(1), np.array([params.sigma_theta_deg[cls]])
        else:
            k = len(rose)
            dirs = np.arange(k) * 360.0 / k
            freq = np.asarray(rose, dtype=float) / np.sum(rose)
            sig = np.full(k, max(params.sigma_theta_deg[cls], 360.0 / k / 2))
        n = len(dirs)
        parts.append((share * freq, np.full(n, u), dirs, sig, np.full(n, float(mix)), np.full(n, cls)))
    cat = [np.concatenate([p[i] for p in parts]) for i in range(6)]
    return MetStates(*cat, season=season, source=source)


def _formation(params: ScreeningParams, season: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pollutant (POLLUTANTS order): constant factor, rate k (1/h), secondary flag."""
    const = np.zeros(len(POLLUTANTS))
    rate = np.zeros(len(POLLUTANTS))
    sec = np.zeros(len(POLLUTANTS), dtype=bool)
    for j, p in enumerate(POLLUTANTS):
        if p == PRIMARY:
            const[j] = params.pm25_industry
        else:
            f = params.secondary[p]
            const[j] = f["mass_factor"] * f["particle"][season]
            rate[j] = f["rate"][season]
            sec[j] = True
    return const, rate, sec


def transfer_coefficients(
    dx: np.ndarray,
    dy: np.ndarray,
    height: np.ndarray,
    states: MetStates,
    params: ScreeningParams,
    pm25_fraction: np.ndarray | float | None = None,
) -> np.ndarray:
    """Daily-mean PM2.5 at receptors per t/d emitted by each source, per pollutant.

    Parameters
    ----------
    dx, dy : ndarray, shape (R, E)
        Receptor minus source position, east and north, m.
    height : ndarray, shape (E,)
        Effective release heights, m.
    states : MetStates
        The day's meteorology.
    params : ScreeningParams
    pm25_fraction : float or ndarray (E,), optional
        PM2.5 share of each source's particulate; default ``params.pm25_industry``.

    Returns
    -------
    ndarray, shape (R, E, P)
        µg/m³ per t/d, P in :data:`planner.POLLUTANTS` order.
    """
    dx = np.asarray(dx, dtype=float)
    dy = np.asarray(dy, dtype=float)
    h = np.broadcast_to(np.asarray(height, dtype=float), dx.shape)
    r = np.maximum(np.hypot(dx, dy), params.min_distance_m)
    bearing = np.arctan2(dx, dy)  # from source to receptor, clockwise from north
    const, rate, sec = _formation(params, states.season)
    if pm25_fraction is not None:
        frac = np.broadcast_to(np.asarray(pm25_fraction, dtype=float), dx.shape[-1:])
    out = np.zeros((*dx.shape, len(POLLUTANTS)))
    w = states.weight / states.weight.sum()
    for k in range(len(w)):
        cls = str(states.stability[k])
        mix = float(states.mixing_height[k])
        z = np.clip(h, 10.0, max(mix, 10.0))
        u10 = max(float(states.wind_speed[k]), params.min_wind_speed_ms)
        u = u10 * (z / 10.0) ** params.wind_profile_exponent[cls]
        if np.isnan(states.wind_from[k]):
            p = 1.0 / (2 * np.pi)
        else:
            to = np.deg2rad(states.wind_from[k] + 180.0)
            p = direction_pdf(bearing - to, np.deg2rad(states.sigma_theta_deg[k]))
        g = vertical_factor(sigma_z(r, cls, params), h, mix)
        base = w[k] * p / (r * u) * g  # s/m³ per (g/s)
        hours = r / u / 3600.0
        for j in range(len(POLLUTANTS)):
            factor = const[j] * (1.0 - np.exp(-rate[j] * hours)) if sec[j] else const[j]
            out[..., j] += base * factor
    out *= TPD_TO_GPS * _UG_PER_G
    if pm25_fraction is not None:
        j = POLLUTANTS.index(PRIMARY)
        out[..., j] *= frac / params.pm25_industry
    return out


def area_points(extent: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """An ``n × n`` grid of points (lon, lat) evenly covering the city's extent (cell centres)."""
    lon = extent["lon_min"] + (np.arange(n) + 0.5) * (extent["lon_max"] - extent["lon_min"]) / n
    lat = extent["lat_min"] + (np.arange(n) + 0.5) * (extent["lat_max"] - extent["lat_min"]) / n
    lo, la = np.meshgrid(lon, lat)
    return lo.ravel(), la.ravel()
