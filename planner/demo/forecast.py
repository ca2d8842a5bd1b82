"""A synthetic, deterministic demo forecast: a 7-day winter episode over the demo city's stations.

The episode starts on 2026-12-10 (local time, hourly, 168 h), with ~20 ensemble members.  Its
ensemble-mean daily city PM2.5 is set so that under the 2024 rules and HJ 633-2026 the city AQI
runs roughly 165, 185, 140, 235, 330, 260, 80 — i.e. levels

    yellow, yellow, (short dip, held at) yellow, orange, red, orange, none

rising through yellow and orange to red and then clearing.  The one-day dip on day 3 is what lets
yellow show on its own: under the 2024 rules any unbroken run of AQI > 150 lasting three days is
already orange throughout.

Hourly values are the daily target × a diurnal cycle (night-time build-up) × a station factor ×
a member factor (log-normal, AR(1) over days) with small hourly noise; then every day is
rescaled so that the mean over stations and members equals the target exactly.  PM10, NO2, SO2
and CO follow PM2.5 with winter-typical ratios; O3 is low with a daytime peak.  Everything comes
from :func:`numpy.random.default_rng` with the given seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner import DATA_DIR
from planner.targets.forecast import SPECIES, UNITS

__all__ = [
    "DAILY_PM25",
    "DAYS",
    "FALLBACK_STATIONS",
    "MEMBERS",
    "START",
    "SUCCESSIVE",
    "make_demo_forecast",
    "successive_forecasts",
    "write_demo_forecast",
    "write_successive_forecasts",
]

START = pd.Timestamp("2026-12-10 00:00")
DAYS = 7
MEMBERS = 20
#: Ensemble-mean daily city PM2.5 (µg/m³) – HJ 633-2026 AQI ≈ 165, 185, 140, 235, 330, 260, 80.
DAILY_PM25 = np.array([125.5, 139.5, 104.0, 185.0, 280.0, 210.0, 50.0])
#: Stations used when the city dict has none.
FALLBACK_STATIONS: list[dict] = [
    {"id": "ST01", "name": "市监测站", "lat": 36.62, "lon": 116.99},
    {"id": "ST02", "name": "开发区", "lat": 36.66, "lon": 117.12},
    {"id": "ST03", "name": "老城区", "lat": 36.67, "lon": 116.98},
    {"id": "ST04", "name": "高新区", "lat": 36.68, "lon": 117.10},
    {"id": "ST05", "name": "南郊公园", "lat": 36.55, "lon": 117.03},
]


def _stations(city: dict | None) -> list[dict]:
    stations = (city or {}).get("stations") or FALLBACK_STATIONS
    out = []
    for i, s in enumerate(stations[:5] if len(stations) >= 5 else stations):
        out.append(
            {
                "id": str(s.get("id", f"ST{i + 1:02d}")),
                "name": str(s.get("name", s.get("id", f"ST{i + 1:02d}"))),
                "lat": float(s.get("lat", np.nan)),
                "lon": float(s.get("lon", np.nan)),
            }
        )
    return out


DEFAULT_SEED = 20261210


def make_demo_forecast(
    city: dict | None = None,
    seed: int = DEFAULT_SEED,
    members: int = MEMBERS,
    daily_pm25=None,
    start: pd.Timestamp | str | None = None,
    issue_time: str | None = None,
) -> xr.Dataset:
    """Build the demo forecast dataset.

    Parameters
    ----------
    city : dict, optional
        The demo city (``city.yaml`` contents); its ``stations`` list (``id, name, lat, lon``)
        gives the stations (first five); :data:`FALLBACK_STATIONS` otherwise.
    seed : int
    members : int, default 20
    daily_pm25 : sequence of float, optional
        Ensemble-mean daily city PM2.5 (µg/m³), one per day; default :data:`DAILY_PM25`.
    start : Timestamp or str, optional
        First day (00:00 local); default :data:`START`.
    issue_time : str, optional
        Written as the ``issue_time`` attribute (local time), e.g. ``"2026-12-11 08:00"``.

    Returns
    -------
    xarray.Dataset
        dims ``(time: 168, station, member)``, variables ``PM2.5, PM10, SO2, NO2, CO, O3`` with
        units (CO mg/m³, others µg/m³), station coords ``station_name, lat, lon``.
    """
    rng = np.random.default_rng(seed)
    stations = _stations(city)
    target = DAILY_PM25 if daily_pm25 is None else np.asarray(daily_pm25, dtype=float)
    n_days = len(target)
    ns, nm, nh = len(stations), members, n_days * 24
    time = pd.date_range(START if start is None else pd.Timestamp(start), periods=nh, freq="h")
    hour = np.arange(nh) % 24
    day = np.arange(nh) // 24
    # diurnal cycle of primary pollutants: low in the afternoon, high at night (mean 1)
    diurnal = 1 + 0.25 * np.cos(2 * np.pi * (hour - 22) / 24)
    diurnal /= diurnal[:24].mean()
    station_f = np.exp(rng.normal(0, 0.08, ns))
    # member factor per day: AR(1) in log space
    eps = rng.normal(0, 0.14, (n_days, nm))
    logf = np.zeros((n_days, nm))
    for d in range(n_days):
        logf[d] = (0.6 * logf[d - 1] if d else 0) + eps[d]
    member_f = np.exp(logf)[day]  # (time, member)
    noise = np.exp(rng.normal(0, 0.05, (nh, ns, nm)))
    shape = diurnal[:, None, None] * station_f[None, :, None] * member_f[:, None, :] * noise
    # rescale each day so the mean over hours, stations and members is exactly 1
    daymean = shape.reshape(n_days, 24, ns, nm).mean(axis=(1, 2, 3))
    shape = shape / daymean[day][:, None, None]
    pm25 = target[day][:, None, None] * shape
    data = {
        "PM2.5": pm25,
        "PM10": pm25 * 1.35 + 15,
        "SO2": 12 + 0.08 * pm25 * noise,
        "NO2": 35 + 0.18 * pm25 / noise,
        "CO": 0.6 + 0.009 * pm25,
    }
    o3_day = 8 + 40 * np.clip(np.sin(np.pi * (hour - 8) / 10), 0, None)  # daytime peak at 13:00
    data["O3"] = (o3_day[:, None, None] * (1.2 - 0.5 * pm25 / pm25.max())) * noise
    ds = xr.Dataset(
        coords={
            "time": time,
            "station": [s["id"] for s in stations],
            "member": [f"m{k:02d}" for k in range(nm)],
            "station_name": ("station", [s["name"] for s in stations]),
            "lat": ("station", [s["lat"] for s in stations]),
            "lon": ("station", [s["lon"] for s in stations]),
        }
    )
    for sp in SPECIES:
        digits = 3 if sp == "CO" else 1
        ds[sp] = (("time", "station", "member"), np.round(data[sp], digits), {"units": UNITS[sp]})
    ds.attrs.update(
        {
            "title": "Demo city ensemble air-quality forecast (synthetic)",
            "source": "planner.demo.forecast.make_demo_forecast (synthetic, generated by the planner)",
            "seed": int(seed),
            "time_zone": "UTC+8 (local)",
            "frequency": "hourly",
        }
    )
    if issue_time is not None:
        ds.attrs["issue_time"] = str(issue_time)
    return ds


#: Successive forecasts of the demo episode, one issued each morning (issue time, first day,
#: ensemble-mean daily city PM2.5).  HJ 633-2026 city AQI ≈
#:   12-11: 185, 140, 230, 260, 240, 80   → the peak weakens: orange (AQI > 200 for 72 h, no day > 300)
#:   12-12: 140, 205, 170, 120, 70, 60    → yellow from 12-13 (AQI > 200 on a day, > 150 for 48 h)
#:   12-13: 200, 145, 90, 70, 60, 60      → no alert (nothing above 200, > 150 for 24 h only): lifted
#: Used to test and demonstrate ``planner replan`` (rolling re-planning, docs/SCENARIOS.md).
SUCCESSIVE: tuple[tuple[str, str, tuple[float, ...]], ...] = (
    ("2026-12-11 08:00", "2026-12-11", (139.5, 104.0, 180.0, 210.0, 190.0, 50.0)),
    ("2026-12-12 08:00", "2026-12-12", (104.0, 155.0, 129.0, 91.5, 45.0, 40.0)),
    ("2026-12-13 08:00", "2026-12-13", (150.0, 108.0, 65.0, 45.0, 40.0, 40.0)),
)


def successive_forecasts(city: dict | None = None, seed: int = DEFAULT_SEED) -> list[xr.Dataset]:
    """The demo episode's later forecasts (:data:`SUCCESSIVE`), each with its ``issue_time``."""
    return [
        make_demo_forecast(city, seed + k + 1, daily_pm25=pm, start=first, issue_time=issue)
        for k, (issue, first, pm) in enumerate(SUCCESSIVE)
    ]


def write_successive_forecasts(city: dict | None = None, out_dir: str | Path | None = None) -> list[Path]:
    """Write ``forecast_<first day>.nc`` for each of :data:`SUCCESSIVE` to ``out_dir``; return the paths.

    ``out_dir`` defaults to ``data/demo_city``.
    """
    out_dir = Path(out_dir) if out_dir is not None else DATA_DIR / "demo_city"
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for (_, first, _), ds in zip(SUCCESSIVE, successive_forecasts(city), strict=True):
        path = out_dir / f"forecast_{first}.nc"
        ds.to_netcdf(path, engine="h5netcdf")
        paths.append(path)
    return paths


def write_demo_forecast(
    city: dict | None = None, out_dir: str | Path | None = None, seed: int = DEFAULT_SEED
) -> Path:
    """Write ``forecast.nc`` and ``forecast.csv`` (long format) to ``out_dir``.

    Parameters
    ----------
    city : dict, optional
    out_dir : str or Path, optional
        Default ``data/demo_city``.
    seed : int

    Returns
    -------
    Path
        The netCDF file.
    """
    out_dir = Path(out_dir) if out_dir is not None else DATA_DIR / "demo_city"
    out_dir.mkdir(parents=True, exist_ok=True)
    ds = make_demo_forecast(city, seed)
    nc = out_dir / "forecast.nc"
    ds.to_netcdf(nc, engine="h5netcdf")
    df = ds[list(SPECIES)].to_dataframe().reset_index()[["time", "station", "member", *SPECIES]]
    df["time"] = df["time"].dt.strftime("%Y-%m-%d %H:%M")
    df.to_csv(out_dir / "forecast.csv", index=False, float_format="%.6g")
    return nc
