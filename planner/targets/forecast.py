"""Air-quality forecasts: reading, daily means, city and station daily AQI, ensembles.

A forecast is an :class:`xarray.Dataset` with dims ``(time, station)`` and an optional
``member`` (ensemble), variables ``PM2.5, PM10, SO2, NO2, CO, O3`` with ``units`` attrs
(``mg/m3`` for CO, ``ug/m3`` for the others, as HJ 633 uses them).  Times are local (UTC+8),
hourly or daily (``ds.attrs["frequency"]``).

Readers
-------
:func:`read_forecast` reads netCDF or a long CSV::

    time,station,PM2.5,PM10,SO2,NO2,CO,O3[,member]

and checks columns, times, negative values and unit plausibility (a CO column in µg/m³ is the
classic mistake: a CO median above 50 is reported as "CO looks like µg/m³").  Optional
meteorology ``wind_speed`` (m/s), ``wind_dir`` (degrees, direction the wind comes from) and
``mixing_height`` (m) — netCDF variables or CSV columns — are kept as given and checked by
:mod:`planner.airquality.meteorology`.

The forecast's **issue time** (local time) is read from the netCDF attribute ``issue_time``, or
in a CSV from an ``issue_time`` column (one value for the whole file) or a header line before
the column names::

    # issue_time: 2026-12-09 08:00

It is kept as ``ds.attrs["issue_time"]`` (ISO text; a time with a UTC offset is converted to
UTC+8) and returned by :func:`forecast_issue_time`.

Daily values
------------
:func:`daily_means` gives per calendar day the 24-h means (at least 20 valid hours, HJ 663) and,
from hourly data, ``O3`` = daily maximum 8-h moving mean (windows ending 07:00–23:00, each with
at least 6 valid hours) and ``O3_1h`` = daily maximum hourly value; daily input is taken as given
(``O3`` is then the daily max 8-h value).

City AQI
--------
The city's daily AQI is computed from the mean concentrations over its stations (as bureaus
report it).  With an ensemble, :func:`city_daily_aqi` reports ``aqi``/``primary_pollutant`` of
the **ensemble-mean concentrations** and ``aqi_p50``/``aqi_p90`` … the percentiles over members
of each member's own city AQI (linear interpolation, rounded up).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner.io.netcdf import check_input_file, is_netcdf, open_netcdf
from planner.policy.aqi import aqi_table, normalise_edition
from planner.problems import InputError, Problems

__all__ = [
    "OPTIONAL_VARIABLES",
    "SPECIES",
    "UNITS",
    "city_daily_aqi",
    "daily_means",
    "forecast_issue_time",
    "levels_at_percentile",
    "member_daily_aqi",
    "read_forecast",
    "station_daily_aqi",
    "validate_forecast",
]

#: Forecast variables, in file order.
SPECIES: tuple[str, ...] = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")
#: Units the planner works in (HJ 633).
UNITS: dict[str, str] = {
    "PM2.5": "ug/m3",
    "PM10": "ug/m3",
    "SO2": "ug/m3",
    "NO2": "ug/m3",
    "CO": "mg/m3",
    "O3": "ug/m3",
}
#: Optional variables kept as given (meteorology read by planner.airquality.meteorology), with
#: the units a CSV column is taken to have.
OPTIONAL_VARIABLES: dict[str, str] = {"wind_speed": "m/s", "wind_dir": "degree", "mixing_height": "m"}
#: Plausibility: a median above this (in the planner's unit) means a unit mistake.
_MEDIAN_MAX = {"CO": 50.0, "PM2.5": 3000.0, "PM10": 5000.0, "SO2": 5000.0, "NO2": 3000.0, "O3": 3000.0}
_UG = {"ug/m3", "µg/m3", "μg/m3", "µg/m³", "μg/m³", "ug m-3", "ug/m^3", "microgram/m3"}
_MG = {"mg/m3", "mg/m³", "mg m-3", "mg/m^3"}
_MIN_HOURS_DAY = 20
#: Forecast years accepted; outside, times were not decoded (integers read as 1970).
_YEARS = (1990, 2100)
_MIN_HOURS_8H = 6


def _unit_factor(unit: str, species: str) -> float | None:
    """Factor to the planner's unit, or None when the unit is unknown."""
    u = unit.strip().replace(" ", "") if unit else ""
    target_mg = UNITS[species] == "mg/m3"
    if u in {x.replace(" ", "") for x in _UG}:
        return 1e-3 if target_mg else 1.0
    if u in {x.replace(" ", "") for x in _MG}:
        return 1.0 if target_mg else 1e3
    return None


def read_forecast(path: str | Path) -> xr.Dataset:
    """Read a forecast from netCDF (``.nc``) or a long CSV.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    xarray.Dataset
        dims ``(time, station[, member])``, variables :data:`SPECIES` (float, units in attrs),
        ``attrs["frequency"]`` ``"hourly"`` or ``"daily"``, ``attrs["source"]`` the path.

    Raises
    ------
    InputError
        Missing file/columns/variables, unparsable times, negative values, implausible units.
    """
    path = Path(path)
    label = path.name
    check_input_file(path, label, "forecast file")
    ds = open_netcdf(path, label) if is_netcdf(path) else _read_csv(path, label)
    issue = ds.attrs.get("issue_time")
    ds = validate_forecast(ds, label)
    ds.attrs["source"] = str(path)
    if issue is not None:
        ds.attrs["issue_time"] = _issue_time_text(issue, label)
    return ds


def _issue_time_text(value, label: str, row: int | None = None) -> str:
    """The issue time as ISO text in local time (UTC+8), or an error naming the file."""
    text = value.decode() if isinstance(value, bytes) else str(value).strip()
    t = pd.to_datetime(text, errors="coerce")
    if pd.isna(t):
        raise InputError.single(
            label,
            f"cannot read issue_time {text!r}; expected e.g. 2026-12-09 08:00",
            row=row,
            column="issue_time",
        )
    if t.tzinfo is not None:
        t = t.tz_convert(timezone(timedelta(hours=8))).tz_localize(None)
    return t.isoformat()


def forecast_issue_time(ds: xr.Dataset) -> pd.Timestamp | None:
    """When the forecast was issued (``attrs["issue_time"]``, local time), or None if not given."""
    value = ds.attrs.get("issue_time")
    return None if value is None else pd.Timestamp(_issue_time_text(value, "forecast"))


def _csv_header(path: Path, label: str) -> tuple[int, dict[str, tuple[str, int]]]:
    """Number of leading ``# key: value`` lines of a CSV and their keys -> (value, line)."""
    meta: dict[str, tuple[str, int]] = {}
    count = 0
    try:
        with path.open(encoding="utf-8-sig") as f:
            for line in f:
                if not line.startswith("#"):
                    break
                count += 1
                key, sep, value = line[1:].partition(":")
                if sep and key.strip():
                    meta[key.strip()] = (value.strip(), count)
    except UnicodeDecodeError:
        return 0, {}  # reported by the CSV reader
    return count, meta


def _read_csv(path: Path, label: str) -> xr.Dataset:
    problems = Problems()
    skip, meta = _csv_header(path, label)
    try:
        df = pd.read_csv(
            path,
            dtype={"station": str, "member": str},
            na_values=["NA", ""],
            encoding="utf-8-sig",
            skiprows=skip,
        )
    except UnicodeDecodeError:
        from planner.io.tables import bad_byte_problems

        named = bad_byte_problems(label, path.read_bytes(), utf8_only=True)
        if named is not None:
            raise InputError(named) from None
        raise InputError.single(label, "cannot read as CSV: the file is not UTF-8 text") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError.single(label, f"cannot read as CSV: {exc}") from None
    _check_csv_header(path, label, skip)
    df.columns = [str(c).strip() for c in df.columns]
    row0 = 2 + skip  # file line of the first data row
    issue = _csv_issue_time(df, meta, label, row0)
    required = ("time", "station", *SPECIES)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError.single(
            label,
            f"missing column(s) {', '.join(missing)}; a forecast CSV has columns "
            f"time, station, {', '.join(SPECIES)}[, member] (CO in mg/m3, others ug/m3)",
        )
    if df.empty:
        raise InputError.single(label, "the forecast has no rows")
    times = pd.to_datetime(df["time"], errors="coerce", format="mixed")
    bad = np.flatnonzero(times.isna().to_numpy())
    for i in bad[:10]:
        problems.error(
            label,
            int(i) + row0,
            "time",
            f"cannot read time {df['time'].iloc[i]!r}; expected e.g. 2026-12-10 13:00",
        )
    if len(bad) > 10:
        problems.error(label, None, "time", f"{len(bad) - 10} more unreadable time(s)")
    for dim in ("station", "member"):
        if dim not in df.columns:
            continue
        blank = np.flatnonzero((df[dim].isna() | (df[dim].astype(str).str.strip() == "")).to_numpy())
        for i in blank[:10]:
            problems.error(label, int(i) + row0, dim, f"the {dim} is empty; every row needs a {dim} name")
        if len(blank) > 10:
            problems.error(label, None, dim, f"{len(blank) - 10} more row(s) without a {dim}")
    for sp in SPECIES:
        num = pd.to_numeric(df[sp], errors="coerce")
        nonnum = np.flatnonzero((num.isna() & df[sp].notna()).to_numpy())
        for i in nonnum[:5]:
            problems.error(label, int(i) + row0, sp, f"not a number: {df[sp].iloc[i]!r}")
        infinite = np.flatnonzero(np.isinf(num.to_numpy(dtype=float, na_value=np.nan)))
        for i in infinite[:5]:
            problems.error(
                label,
                int(i) + row0,
                sp,
                f"{str(df[sp].iloc[i])!r} is not a finite concentration (write a number)",
            )
        df[sp] = num.astype(float)
    if not problems.ok:
        raise InputError(problems)
    df["time"] = times.dt.tz_localize(None) if times.dt.tz is not None else times
    df["station"] = df["station"].astype(str).str.strip()
    index = ["time", "station"]
    if "member" in df.columns:
        df["member"] = df["member"].astype(str).str.strip()
        index.append("member")
    dup = df.duplicated(index, keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError.single(
            label,
            f"{int(dup.sum())} duplicated ({', '.join(index)}) rows, first at row {i + row0}",
            row=i + row0,
        )
    optional = [c for c in OPTIONAL_VARIABLES if c in df.columns]
    for c in optional:
        num = pd.to_numeric(df[c], errors="coerce")
        for i in np.flatnonzero((num.isna() & df[c].notna()).to_numpy())[:5]:
            problems.error(label, int(i) + 2, c, f"not a number: {df[c].iloc[i]!r}")
        df[c] = num.astype(float)
    if not problems.ok:
        raise InputError(problems)
    frame = df.set_index(index)[[*SPECIES, *optional]]
    ds = xr.Dataset.from_dataframe(frame)
    if issue is not None:
        ds.attrs["issue_time"] = issue
    ds = ds.assign_coords({d: np.asarray(ds[d].values, dtype=str) for d in index[1:]})
    for sp in SPECIES:
        ds[sp].attrs["units"] = UNITS[sp]
    for c in optional:
        ds[c].attrs["units"] = OPTIONAL_VARIABLES[c]
    # rows that were negative: name them by row for the user
    neg = (df[list(SPECIES)] < 0).any(axis=1).to_numpy()
    if neg.any():
        for i in np.flatnonzero(neg)[:10]:
            cols = [sp for sp in SPECIES if df[sp].iloc[i] < 0]
            problems.error(label, int(i) + row0, cols[0], f"negative concentration {df[cols[0]].iloc[i]!r}")
        raise InputError(problems)
    return ds


def _csv_issue_time(df: pd.DataFrame, meta: dict, label: str, row0: int) -> str | None:
    """The issue time of a forecast CSV (``issue_time`` column or header line), if any."""
    if "issue_time" in df.columns:
        col = df.pop("issue_time")
        given = col.dropna().astype(str).str.strip()
        values = given.unique()
        if len(values) > 1:
            i = int(np.flatnonzero((given != values[0]).to_numpy())[0])
            raise InputError.single(
                label,
                f"issue_time must be one value for the whole forecast; {values[0]!r} and {values[1]!r} found",
                row=int(given.index[i]) + row0,
                column="issue_time",
            )
        if len(values) == 1:
            return _issue_time_text(values[0], label, int(given.index[0]) + row0)
    if "issue_time" in meta:
        return _issue_time_text(*meta["issue_time"][:1], label, meta["issue_time"][1])
    return None


def _check_csv_header(path: Path, label: str, skip: int = 0) -> None:
    """Refuse a CSV header (after ``skip`` ``# key: value`` lines) naming a column twice.

    Pandas would rename the second ``PM2.5.1`` and the reader ignore it silently.
    """
    import csv

    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            for _ in range(skip):
                f.readline()
            header = next(csv.reader(f), [])
    except (UnicodeDecodeError, csv.Error):
        return  # the CSV reader reports it
    names = [h.strip() for h in header]
    seen: dict[str, int] = {}
    problems = Problems()
    for i, name in enumerate(names):
        if name and name in seen:
            problems.error(
                label,
                skip + 1,
                name,
                f"column {name!r} appears twice in the header (columns {seen[name] + 1} and {i + 1}); "
                "keep one",
            )
        seen.setdefault(name, i)
    if not problems.ok:
        raise InputError(problems)


def _check_times(times: np.ndarray, label: str, problems: Problems) -> None:
    """Times must be dates (no NaT), in a plausible range, hourly on the hour or daily."""
    idx = pd.DatetimeIndex(times)
    nat = np.flatnonzero(idx.isna())
    if len(nat):
        problems.error(
            label,
            None,
            "time",
            f"{len(nat)} time(s) are missing (NaT), first at position {int(nat[0]) + 1} of the time "
            "coordinate; every step needs a date and time",
        )
        return
    odd = np.flatnonzero((idx.year < _YEARS[0]) | (idx.year > _YEARS[1]))
    if len(odd):
        problems.error(
            label,
            None,
            "time",
            f"time {idx[odd[0]]} is outside {_YEARS[0]}-{_YEARS[1]}; "
            "the times were probably not decoded as dates (give them CF units such as "
            "'hours since 2026-12-10 00:00')",
        )


def validate_forecast(ds: xr.Dataset, label: str = "forecast") -> xr.Dataset:
    """Check and normalise a forecast dataset (dims, variables, units, values).

    Converts declared µg/m³ ↔ mg/m³ units to the planner's units, orders dims
    ``(time, station[, member])`` and sets ``attrs["frequency"]``.

    Raises
    ------
    InputError
        With every problem found.
    """
    problems = Problems()
    missing = [sp for sp in SPECIES if sp not in ds.data_vars]
    if missing:
        problems.error(
            label, None, None, f"missing variable(s) {', '.join(missing)}; expected {', '.join(SPECIES)}"
        )
    for dim in ("time", "station"):
        if dim not in ds.dims:
            problems.error(
                label, None, None, f"missing dimension {dim!r}; a forecast has dims (time, station[, member])"
            )
    extra = [d for d in ds.dims if d not in ("time", "station", "member")]
    if extra:
        problems.error(
            label,
            None,
            None,
            f"unexpected dimension(s) {', '.join(map(str, extra))}; expected (time, station[, member])",
        )
    if not problems.ok:
        raise InputError(problems)
    for dim in ("time", "station", "member"):
        if dim in ds.dims and ds.sizes[dim] == 0:
            problems.error(label, None, dim, f"the forecast has no {dim}s (dimension {dim!r} has length 0)")
    want = {"time", "station", "member"} & set(ds.dims)
    for sp in SPECIES:
        if set(ds[sp].dims) != want:
            problems.error(
                label,
                None,
                sp,
                f"variable {sp} has dimensions ({', '.join(map(str, ds[sp].dims))}) but every forecast "
                f"variable needs ({', '.join(d for d in ('time', 'station', 'member') if d in want)})",
            )
    if not problems.ok:
        raise InputError(problems)
    raw_times = ds["time"].values
    if not np.issubdtype(ds["time"].dtype, np.datetime64):
        if np.issubdtype(ds["time"].dtype, np.number) or np.issubdtype(ds["time"].dtype, np.bool_):
            units = ds["time"].attrs.get("units")
            raise InputError.single(
                label,
                f"the time coordinate holds plain numbers ({raw_times[0]}, …)"
                + (f" with units {units!r} that are not a CF time unit" if units else " without units")
                + "; give it CF units such as 'hours since 2026-12-10 00:00' (the numbers are not "
                "read as dates since 1970)",
                column="time",
            )
        try:
            ds = ds.assign_coords(time=pd.to_datetime(ds["time"].values))
        except (ValueError, TypeError, OverflowError):
            raise InputError.single(
                label, "cannot read the time coordinate as dates", column="time"
            ) from None
    _check_times(ds["time"].values, label, problems)
    stations = np.asarray(ds["station"].values).astype(str)
    blank = np.flatnonzero(np.char.strip(stations) == "") if stations.size else []
    if "station" in ds.coords and len(blank):
        problems.error(
            label,
            None,
            "station",
            f"{len(blank)} station name(s) are empty (first at position {int(blank[0]) + 1})",
        )
    if not problems.ok:
        raise InputError(problems)
    if ds.indexes["time"].has_duplicates:
        raise InputError.single(label, "duplicated times")
    ds = ds.sortby("time")
    dims = ("time", "station", "member") if "member" in ds.dims else ("time", "station")
    out = xr.Dataset(coords={d: ds[d].values for d in dims})
    out = out.assign_coords(station=out["station"].astype(str))
    # keep station metadata (name, lat, lon) given along the station dimension
    extra = {k: ("station", ds[k].values) for k in ds.coords if k not in dims and ds[k].dims == ("station",)}
    out = out.assign_coords(extra)
    for sp in SPECIES:
        try:
            da = ds[sp].transpose(*dims).astype(float)
        except (ValueError, TypeError):
            problems.error(label, None, sp, f"variable {sp} holds values that are not numbers")
            continue
        unit = str(da.attrs.get("units", UNITS[sp]))
        factor = _unit_factor(unit, sp)
        if factor is None:
            problems.error(label, None, sp, f"unknown unit {unit!r}; expected {UNITS[sp]}")
            continue
        values = da.values * factor
        if np.isinf(values).any():
            n = int(np.isinf(values).sum())
            problems.error(
                label, None, sp, f"{n} infinite concentration(s); a forecast value must be a finite number"
            )
            continue
        if np.any(values < 0):
            n = int(np.sum(values < 0))
            problems.error(label, None, sp, f"{n} negative concentration(s); concentrations must be >= 0")
        med = float(np.nanmedian(values)) if np.isfinite(values).any() else np.nan
        if med > _MEDIAN_MAX[sp]:
            if sp == "CO":
                msg = (
                    f"CO looks like µg/m³ (median {med:g}); HJ 633 uses mg/m³ — divide by 1000 "
                    "(or declare the variable's units as ug/m3)"
                )
            else:
                msg = f"{sp} median {med:g} {UNITS[sp]} is implausible; check the unit (expected {UNITS[sp]})"
            problems.error(label, None, sp, msg)
        out[sp] = (dims, values, {"units": UNITS[sp]})
    if not problems.ok:
        raise InputError(problems)
    for name in OPTIONAL_VARIABLES:  # kept as given; checked by their reader
        if name in ds.data_vars and set(ds[name].dims) <= set(dims):
            out[name] = ds[name].transpose(*[d for d in dims if d in ds[name].dims])
    freq = _frequency(pd.DatetimeIndex(out["time"].values), label)
    out.attrs.update({k: v for k, v in ds.attrs.items() if isinstance(v, str | int | float)})
    out.attrs["frequency"] = freq
    return out


def _frequency(times: pd.DatetimeIndex, label: str) -> str:
    """``"hourly"`` (steps of whole hours, times on the hour) or ``"daily"`` (steps of whole days).

    Anything else — 10-minute steps, times at :30 — is refused, because daily means would silently drop the
    values between the hours.
    """
    if len(times) < 2:
        return "daily"
    step = pd.Series(times).diff().min()
    if step < pd.Timedelta(hours=1):
        raise InputError.single(
            label,
            f"time step {step} is shorter than an hour; the planner reads hourly or daily values "
            "(average the data to hourly means first)",
            column="time",
        )
    if step >= pd.Timedelta(days=1):
        return "daily"
    off = np.flatnonzero((times.minute != 0) | (times.second != 0) | (times.nanosecond != 0))
    if len(off) or step != pd.Timedelta(hours=1):
        where = f"time {times[off[0]]} is not on the hour" if len(off) else f"the smallest step is {step}"
        raise InputError.single(
            label,
            f"{where}; hourly values must be on the hour (00:00, 01:00, …), daily values one per day",
            column="time",
        )
    return "hourly"


def daily_means(ds: xr.Dataset) -> xr.Dataset:
    """Daily indicators per calendar day (dims ``date, station[, member]``).

    Parameters
    ----------
    ds : xarray.Dataset
        A forecast as returned by :func:`read_forecast`.

    Returns
    -------
    xarray.Dataset
        ``PM2.5, PM10, SO2, NO2, CO`` 24-h means (NaN with fewer than 20 valid hours), ``O3``
        daily max 8-h moving mean and ``O3_1h`` daily max hourly value (hourly input);
        daily input is returned as is (``O3`` taken as the daily max 8-h value).
    """
    freq = ds.attrs.get("frequency", "hourly")
    species = [sp for sp in SPECIES if sp in ds]
    if freq == "daily":
        out = (
            ds[species]
            .assign_coords(time=pd.DatetimeIndex(ds["time"].values).normalize())
            .rename(time="date")
        )
        return out
    times = pd.DatetimeIndex(ds["time"].values)
    full = pd.date_range(times.min().floor("D"), times.max().floor("D") + pd.Timedelta(hours=23), freq="h")
    hourly = ds[species].reindex(time=full)
    means = {}
    for sp in species:
        res = hourly[sp].resample(time="1D")
        enough = res.count() >= _MIN_HOURS_DAY
        if sp == "O3":
            ma8 = hourly[sp].rolling(time=8, min_periods=_MIN_HOURS_8H).mean()
            ma8 = ma8.where(hourly["time"].dt.hour >= 7)
            means["O3"] = ma8.resample(time="1D").max().where(enough)
            means["O3_1h"] = res.max().where(enough)
        else:
            means[sp] = res.mean().where(enough)
    out = xr.Dataset(means).rename(time="date")
    for sp in out.data_vars:
        out[sp].attrs["units"] = UNITS.get(sp, UNITS["O3"])
    return out


def _aqi_frame(daily: xr.Dataset, edition: str) -> pd.DataFrame:
    """AQI of every element of a daily dataset, as a flat DataFrame in the dataset's order."""
    names = list(daily.data_vars)
    dims = list(daily[names[0]].dims)
    flat = {v: daily[v].transpose(*dims).values.ravel() for v in names}
    idx = pd.MultiIndex.from_product([daily[d].values for d in dims], names=dims)
    res = aqi_table(pd.DataFrame(flat, index=idx), edition)
    return res


def _percentile_int(values: np.ndarray, q: float, axis: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        p = np.nanpercentile(values, q, axis=axis)
    return np.ceil(np.round(p, 6))


def _city_daily(ds: xr.Dataset) -> xr.Dataset:
    daily = daily_means(ds)
    return daily.mean("station", skipna=True, keep_attrs=True)


def city_daily_aqi(
    ds: xr.Dataset, standard: str = "2026", percentiles: Sequence[float] = (50, 90)
) -> pd.DataFrame:
    """Daily city AQI from the mean concentrations over stations.

    Parameters
    ----------
    ds : xarray.Dataset
        A forecast (:func:`read_forecast`).
    standard : {"2012", "2026"}
        HJ 633 edition.
    percentiles : sequence of float
        With an ensemble: columns ``aqi_p<q>`` (integers) = q-th percentile over members of the
        members' city AQI.

    Returns
    -------
    pandas.DataFrame
        ``date`` (datetime64), ``aqi`` (Int64), ``primary_pollutant``, ``beyond_scale``, the
        daily city concentrations and, with an ensemble, ``aqi_p<q>`` columns.  With an
        ensemble, ``aqi``/``primary_pollutant`` are those of the ensemble-mean concentrations.
    """
    edition = normalise_edition(standard)
    city = _city_daily(ds)
    mean = city.mean("member") if "member" in city.dims else city
    conc = pd.DataFrame({v: mean[v].values for v in mean.data_vars})
    res = aqi_table(conc, edition)
    out = pd.DataFrame({"date": pd.DatetimeIndex(mean["date"].values)})
    out["aqi"] = res["aqi"].array
    out["primary_pollutant"] = res["primary_pollutant"].to_numpy()
    out["beyond_scale"] = res["beyond_scale"].to_numpy()
    for v in mean.data_vars:
        out[v] = np.round(conc[v].to_numpy(), 3)
    if "member" in city.dims:
        per = _aqi_frame(city.transpose("date", "member"), edition)["aqi"]
        arr = per.to_numpy(dtype=float, na_value=np.nan).reshape(city.sizes["date"], city.sizes["member"])
        for q in percentiles:
            p = _percentile_int(arr, q, axis=1)
            out[f"aqi_p{q:g}"] = pd.array(np.where(np.isnan(p), 0, p).astype(int), dtype="Int64")
            out.loc[np.isnan(p), f"aqi_p{q:g}"] = pd.NA
    return out


def station_daily_aqi(ds: xr.Dataset, standard: str = "2026") -> pd.DataFrame:
    """Daily AQI per station (and per member with an ensemble).

    Returns
    -------
    pandas.DataFrame
        ``date, station[, member], aqi, primary_pollutant, beyond_scale`` and the IAQI columns.
    """
    daily = daily_means(ds)
    dims = ("date", "station", "member") if "member" in daily.dims else ("date", "station")
    res = _aqi_frame(daily.transpose(*dims), normalise_edition(standard))
    return res.reset_index()


def levels_at_percentile(ds: xr.Dataset, rules, standard: str = "2026", q: float = 90) -> pd.DataFrame:
    """Alert levels for planning at the q-th percentile of the ensemble.

    Each day's city AQI is the q-th percentile over members of the members' city AQI (rounded
    up); the primary pollutant is that of the member whose AQI is closest to it (the highest such
    member).  Without an ensemble this is the ordinary city AQI.

    Returns
    -------
    pandas.DataFrame
        As :func:`planner.policy.alerts.alert_levels`, plus ``percentile``.
    """
    from planner.policy.alerts import alert_levels

    edition = normalise_edition(standard)
    if "member" not in ds.dims:
        out = alert_levels(city_daily_aqi(ds, edition), rules)
        out["percentile"] = float(q)
        return out
    city = _city_daily(ds).transpose("date", "member")
    per = _aqi_frame(city, edition)
    nd, nm = city.sizes["date"], city.sizes["member"]
    arr = per["aqi"].to_numpy(dtype=float, na_value=np.nan).reshape(nd, nm)
    prim = per["primary_pollutant"].to_numpy(dtype=object).reshape(nd, nm)
    p = _percentile_int(arr, q, axis=1)
    dist = np.abs(np.nan_to_num(arr, nan=1e9) - p[:, None]) - 1e-6 * np.nan_to_num(arr, nan=0)
    pick = np.argmin(dist, axis=1)
    daily = pd.DataFrame(
        {
            "date": pd.DatetimeIndex(city["date"].values),
            "aqi": pd.array(np.where(np.isnan(p), 0, p).astype(int), dtype="Int64"),
            "primary_pollutant": prim[np.arange(nd), pick].astype(str),
        }
    )
    daily.loc[np.isnan(p), "aqi"] = pd.NA
    out = alert_levels(daily, rules)
    out["percentile"] = float(q)
    return out


def member_daily_aqi(ds: xr.Dataset, standard: str = "2026") -> pd.DataFrame:
    """Each ensemble member's own daily city AQI (from its mean concentrations over stations).

    Parameters
    ----------
    ds : xarray.Dataset
        A forecast with a ``member`` dimension (:func:`read_forecast`).
    standard : {"2012", "2026"}
        HJ 633 edition.

    Returns
    -------
    pandas.DataFrame
        One row per (date, member), dates first then members in the forecast's order:
        ``date`` (datetime64), ``member`` (str), ``aqi`` (float, NaN where a day has too few
        hours) and ``primary_pollutant``.

    Raises
    ------
    ValueError
        When the forecast has no ``member`` dimension.
    """
    if "member" not in ds.dims:
        raise ValueError("the forecast has no ensemble members (no 'member' dimension)")
    city = _city_daily(ds).transpose("date", "member")
    per = _aqi_frame(city, normalise_edition(standard))
    nd, nm = city.sizes["date"], city.sizes["member"]
    return pd.DataFrame(
        {
            "date": np.repeat(pd.DatetimeIndex(city["date"].values), nm),
            "member": np.tile(np.asarray(city["member"].values).astype(str), nd),
            "aqi": per["aqi"].to_numpy(dtype=float, na_value=np.nan),
            "primary_pollutant": per["primary_pollutant"].to_numpy(dtype=object),
        }
    )
