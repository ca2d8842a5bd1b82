"""Meteorology for the screening model: from the forecast when it has it, else a seasonal default.

A forecast (:func:`planner.targets.forecast.read_forecast`) may carry optional variables along its
``(time, station[, member])`` dims:

==================  =========  ==============================================================
variable            units      meaning
==================  =========  ==============================================================
``wind_speed``      m/s        10-m wind speed
``wind_dir``        degree     direction the wind comes **from**, clockwise from north (0–360)
``mixing_height``   m          mixing-layer (boundary-layer) height
==================  =========  ==============================================================

All three are needed on a day for the forecast's meteorology to be used that day; a day lacking
any falls back to the seasonal default of ``screening.yaml``.  Values are averaged over stations
and members (the wind as a vector).  Hourly values give 24 states a day with a Pasquill class
from wind speed and hour; daily values give one state with the daily direction spread.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from planner.airquality.params import ScreeningParams
from planner.airquality.screening import MetStates, seasonal_day_states, stability_class
from planner.problems import InputError, Problems

__all__ = ["MET_VARIABLES", "check_meteorology", "day_states", "seasonal_states"]

MET_VARIABLES: dict[str, tuple[str, float, float, tuple[str, ...]]] = {
    # name: (unit, low, high, accepted unit spellings)
    "wind_speed": ("m/s", 0.0, 75.0, ("m/s", "ms-1", "m s-1", "m·s-1", "m/sec")),
    "wind_dir": ("degree", 0.0, 360.0, ("degree", "degrees", "deg", "°", "degrees_north", "度")),
    "mixing_height": ("m", 1.0, 8000.0, ("m", "meter", "meters", "metre", "metres", "米")),
}


def check_meteorology(ds: xr.Dataset, label: str = "forecast") -> dict[str, xr.DataArray]:
    """The forecast's meteorology variables present, checked for units and ranges.

    Returns
    -------
    dict
        name -> DataArray (dims among time, station, member).

    Raises
    ------
    InputError
        A declared unit not among the accepted spellings, or values out of range, naming the
        forecast file and the variable.
    """
    problems = Problems()
    out = {}
    for name, (unit, low, high, spellings) in MET_VARIABLES.items():
        if name not in ds.data_vars:
            continue
        da = ds[name].astype(float)
        declared = str(da.attrs.get("units", unit)).strip()
        if declared.replace(" ", "").lower() not in {s.replace(" ", "").lower() for s in spellings}:
            problems.error(label, None, name, f"unknown unit {declared!r}; expected {unit}")
            continue
        values = da.values
        bad = np.isfinite(values) & ((values < low) | (values > high))
        if bad.any():
            problems.error(
                label,
                None,
                name,
                f"{int(bad.sum())} value(s) outside [{low:g}, {high:g}] {unit}, e.g. {values[bad].ravel()[0]:g}",
            )
            continue
        out[name] = da
    if not problems.ok:
        raise InputError(problems)
    return out


def seasonal_states(date, params: ScreeningParams, season: str | None = None) -> MetStates:
    """The seasonal default for a date (or a named season)."""
    if season is None:
        season = params.season_of_month(pd.Timestamp(date).month)
    return seasonal_day_states(season, params)


def _mean_over(da: xr.DataArray) -> xr.DataArray:
    dims = [d for d in ("station", "member") if d in da.dims]
    return da.mean(dims, skipna=True) if dims else da


def day_states(ds: xr.Dataset | None, dates, params: ScreeningParams, label: str = "forecast") -> dict:
    """Meteorological states of each date: from the forecast where complete, else seasonal default.

    Parameters
    ----------
    ds : xarray.Dataset or None
        A forecast (may lack meteorology).
    dates : sequence of date-like
    params : ScreeningParams
    label : str
        File name for messages.

    Returns
    -------
    dict
        ``pandas.Timestamp`` (normalised) -> :class:`MetStates`.
    """
    dates = [pd.Timestamp(d).normalize() for d in dates]
    met = check_meteorology(ds, label) if ds is not None else {}
    by_season: dict[str, MetStates] = {}
    out = {}
    for d in dates:  # one object per season: slots sharing it share their coefficients
        season = params.season_of_month(d.month)
        out[d] = by_season.setdefault(season, seasonal_states(d, params))
    if len(met) < len(MET_VARIABLES):
        return out
    speed = _mean_over(met["wind_speed"])
    rad = np.deg2rad(met["wind_dir"])
    u_e = _mean_over(-met["wind_speed"] * np.sin(rad))  # wind components (toward)
    u_n = _mean_over(-met["wind_speed"] * np.cos(rad))
    mix = _mean_over(met["mixing_height"])
    times = pd.DatetimeIndex(ds["time"].values)
    frame = pd.DataFrame(
        {
            "speed": speed.values,
            "from": (np.rad2deg(np.arctan2(-u_e.values, -u_n.values)) % 360.0),
            "mix": mix.values,
        },
        index=times,
    )
    hourly = ds.attrs.get("frequency", "hourly") == "hourly"
    for d in dates:
        rows = frame[(frame.index >= d) & (frame.index < d + pd.Timedelta(days=1))].dropna()
        if rows.empty or (hourly and len(rows) < 20):
            continue
        season = params.season_of_month(d.month)
        if hourly:
            cls = stability_class(rows["speed"].to_numpy(), rows.index.hour.to_numpy(), params)
            out[d] = MetStates(
                np.ones(len(rows)) / len(rows),
                rows["speed"].to_numpy(dtype=float),
                rows["from"].to_numpy(dtype=float),
                np.array([params.sigma_theta_deg[c] for c in cls]),
                rows["mix"].to_numpy(dtype=float),
                cls,
                season,
                "forecast",
            )
        else:
            r = rows.iloc[0]
            out[d] = MetStates(
                np.ones(1),
                np.array([float(r["speed"])]),
                np.array([float(r["from"])]),
                np.array([params.daily_sigma_theta_deg]),
                np.array([float(r["mix"])]),
                np.array([params.daily_class]),
                season,
                "forecast",
            )
    return out
