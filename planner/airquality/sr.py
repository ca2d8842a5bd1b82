"""Source–receptor (SR) response coefficients imported from an air-quality model.

An SR matrix says how much PM2.5 (µg/m³, daily mean) a receptor sees per t/d emitted by a source::

    dC[receptor, lag, pollutant, source]      units "ug m-3 per t d-1"

- ``receptor`` – a station id of ``city.yaml`` or ``city`` (the mean over the city's stations);
- ``lag`` – days between emission and effect (0 = the same day, 1 = the next day, …), integers
  from 0 without gaps;
- ``pollutant`` – the inventory's ``SO2, NOx, PM, VOCs`` (PM = the particulate, 颗粒物, the list
  reports; a model tagging primary PM2.5 emissions multiplies its coefficient by the PM2.5 share
  of the list's PM);
- ``source`` – one of three kinds (``source_type``):

  ``enterprise``     a firm id of the inventory;
  ``county_sector``  a county (``county``) × industry code (``industry``, or ``all``): the
                     coefficient applies to every firm of that county and industry;
  ``grid``           a model grid cell (centre ``lon``, ``lat``; cell size ``dlon``, ``dlat``
                     attributes, else the grid spacing): applies to the firms inside the cell.

This is what a CMAQ-ISAM or CAMx-PSAT run (tagged sources, divided by the tagged emission), an
adjoint run (sensitivities of the receptor's daily mean to each cell's emissions) or brute-force
runs (ΔC / ΔE of a perturbed source) export.

Files
-----
netCDF (``.nc``): a variable ``dC`` with dims ``(receptor, lag, pollutant, source)``, attribute
``units``; ``source_type`` as a variable or file attribute (inferred from the coordinates when
absent); coordinates ``county``/``industry`` or ``lon``/``lat`` along ``source`` as the type needs.

Long CSV (UTF-8)::

    receptor,lag,pollutant,source,dC,units                         (enterprise)
    receptor,lag,pollutant,county,industry,dC,units                (county × sector)
    receptor,lag,pollutant,lon,lat,dC,units                        (grid; optional source = cell id)

Combinations absent from a CSV are 0.  Negative coefficients are allowed (a NOx cut can raise
PM2.5 where chemistry is VOC-limited); missing or non-numeric values are errors.

Units must be µg/m³ per t/d, written in any of the usual ways (``ug m-3 per t d-1``,
``µg/m3 per t/d``, ``ug/m3/(t/d)`` …); anything else (per kg, per t/a, ppb, …) is rejected.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner import POLLUTANTS
from planner.io.netcdf import check_input_file, is_netcdf, open_netcdf
from planner.problems import InputError, Problems

__all__ = [
    "SOURCE_TYPES",
    "UNITS",
    "map_to_enterprises",
    "normalise_units",
    "read_sr",
    "validate_sr",
    "write_sr",
]

#: Canonical units of an SR coefficient.
UNITS = "ug m-3 per t d-1"
SOURCE_TYPES = ("enterprise", "county_sector", "grid")
DIMS = ("receptor", "lag", "pollutant", "source")
_ACCEPTED = {
    "ugm-3/td-1",
    "ugm-3/t/d",
    "ug/m3/t/d",
    "ug/m3/td-1",
    "ugm-3td-1-1",
    "ug/m3td-1-1",
    "ugm-3t-1d",
    "ugm-3/td^-1",
    "ug/m3/td^-1",
}


def normalise_units(text: str) -> str | None:
    """``"ug m-3 per t d-1"`` when ``text`` spells µg/m³ per t/d, else None."""
    s = str(text).strip().lower()
    for a, b in (("µ", "u"), ("μ", "u"), ("⁻¹", "-1"), ("⁻³", "-3"), ("³", "3"), ("**", "^"), ("·", "")):
        s = s.replace(a, b)
    s = re.sub(r"\s+", "", s).replace("per", "/").replace("(", "").replace(")", "").replace("m^-3", "m-3")
    s = s.replace("m^3", "m3").replace("d^-1", "d-1").replace("microgram", "ug").replace("tonne", "t")
    return UNITS if s in _ACCEPTED else None


def _infer_type(names) -> str | None:
    names = set(names)
    if {"lon", "lat"} <= names:
        return "grid"
    if {"county", "industry"} <= names:
        return "county_sector"
    if "source" in names:
        return "enterprise"
    return None


def read_sr(path: str | Path) -> xr.DataArray:
    """Read an SR file (netCDF or long CSV) and validate it.

    Returns
    -------
    xarray.DataArray
        ``dC`` with dims ``(receptor, lag, pollutant, source)``, attrs ``units`` (canonical),
        ``source_type``, ``file`` (the file name) and any grid cell size ``dlon``/``dlat``.

    Raises
    ------
    InputError
        File, row and column (CSV) or variable of every problem.
    """
    path = Path(path)
    label = path.name
    check_input_file(path, label, "source–receptor file")
    da = _from_dataset(open_netcdf(path, label), label) if is_netcdf(path) else _read_csv(path, label)
    da = validate_sr(da, label)
    da.attrs["file"] = label
    return da


def _from_dataset(ds: xr.Dataset, label: str) -> xr.DataArray:
    if "dC" in ds.data_vars:
        da = ds["dC"]
    elif len(ds.data_vars) == 1:
        da = ds[next(iter(ds.data_vars))]
    else:
        raise InputError.single(
            label, f"no variable 'dC' among {', '.join(map(str, ds.data_vars)) or 'none'}", column="dC"
        )
    attrs = {**{k: v for k, v in ds.attrs.items()}, **da.attrs}
    if "source_type" in ds.data_vars:
        attrs["source_type"] = str(ds["source_type"].values)
    da = da.copy()
    da.attrs = attrs
    return da


def _read_csv(path: Path, label: str) -> xr.DataArray:
    problems = Problems()
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError.single(label, f"cannot read as CSV: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    kind = _infer_type(df.columns)
    need = ["receptor", "lag", "pollutant", "dC", "units"]
    missing = [c for c in need if c not in df.columns]
    if kind is None:
        missing.append("source (or county + industry, or lon + lat)")
    if missing:
        raise InputError.single(
            label,
            f"missing column(s) {', '.join(missing)}; an SR CSV has columns receptor, lag, pollutant, "
            "source | county, industry | lon, lat, dC, units",
        )
    if df.empty:
        raise InputError.single(label, "the source–receptor file has no rows")
    rows = np.arange(len(df)) + 2
    for c in df.columns:
        df[c] = df[c].astype(str).str.strip()
    lag = pd.to_numeric(df["lag"], errors="coerce")
    bad = lag.isna() | (lag < 0) | (lag != np.floor(lag))
    for i in np.flatnonzero(bad.to_numpy())[:10]:
        problems.error(
            label, int(rows[i]), "lag", f"lag {df['lag'].iloc[i]!r} must be a whole number of days >= 0"
        )
    value = pd.to_numeric(df["dC"], errors="coerce")
    for i in np.flatnonzero((value.isna() | ~np.isfinite(value.fillna(0))).to_numpy())[:10]:
        problems.error(label, int(rows[i]), "dC", f"not a number: {df['dC'].iloc[i]!r}")
    units = df["units"].unique()
    for u in units:
        if normalise_units(u) is None:
            i = int(np.flatnonzero((df["units"] == u).to_numpy())[0])
            problems.error(
                label, int(rows[i]), "units", f"unknown units {u!r}; expected {UNITS!r} (µg/m³ per t/d)"
            )
    for i in np.flatnonzero(~df["pollutant"].isin(POLLUTANTS).to_numpy())[:10]:
        problems.error(
            label,
            int(rows[i]),
            "pollutant",
            f"unknown pollutant {df['pollutant'].iloc[i]!r}; expected one of {', '.join(POLLUTANTS)}",
        )
    for i in np.flatnonzero((df["receptor"] == "").to_numpy())[:10]:
        problems.error(label, int(rows[i]), "receptor", "receptor is empty")
    coords: dict = {}
    if kind == "grid":
        lon = pd.to_numeric(df["lon"], errors="coerce")
        lat = pd.to_numeric(df["lat"], errors="coerce")
        for c, v in (("lon", lon), ("lat", lat)):
            for i in np.flatnonzero(v.isna().to_numpy())[:10]:
                problems.error(label, int(rows[i]), c, f"not a number: {df[c].iloc[i]!r}")
        if problems.ok:
            key = lon.round(6).astype(str) + "," + lat.round(6).astype(str)
            df["source"] = df["source"].where(df["source"] != "", key) if "source" in df else key
            cells = df.assign(_lon=lon, _lat=lat).drop_duplicates("source")
            coords = {"lon": cells.set_index("source")["_lon"], "lat": cells.set_index("source")["_lat"]}
    elif kind == "county_sector":
        for c in ("county", "industry"):
            for i in np.flatnonzero((df[c] == "").to_numpy())[:10]:
                problems.error(label, int(rows[i]), c, f"{c} is empty")
        df["source"] = df["county"] + "|" + df["industry"]
        cells = df.drop_duplicates("source").set_index("source")
        coords = {"county": cells["county"], "industry": cells["industry"]}
    else:
        for i in np.flatnonzero((df["source"] == "").to_numpy())[:10]:
            problems.error(label, int(rows[i]), "source", "source (enterprise id) is empty")
    if not problems.ok:
        raise InputError(problems)
    df["lag"] = lag.astype(int)
    df["dC"] = value.astype(float)
    dup = df.duplicated(list(DIMS), keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError.single(
            label,
            f"{int(dup.sum())} rows repeat the same (receptor, lag, pollutant, source), first at row {rows[i]}",
            row=int(rows[i]),
        )
    da = df.set_index(list(DIMS))["dC"].to_xarray().fillna(0.0)
    if coords:
        da = da.assign_coords(
            {k: ("source", v.reindex(da["source"].values).to_numpy()) for k, v in coords.items()}
        )
    da.attrs = {"units": normalise_units(units[0]), "source_type": kind}
    return da


def validate_sr(da: xr.DataArray, label: str = "source-receptor") -> xr.DataArray:
    """Check an SR DataArray (dims, units, values, lags, pollutants, source coordinates).

    Returns
    -------
    xarray.DataArray
        dims in the order ``(receptor, lag, pollutant, source)``, float values, string labels,
        canonical ``units``, ``source_type`` set.

    Raises
    ------
    InputError
    """
    problems = Problems()
    if set(da.dims) != set(DIMS):
        raise InputError.single(
            label, f"dC has dims ({', '.join(map(str, da.dims))}); expected ({', '.join(DIMS)})", column="dC"
        )
    units = da.attrs.get("units")
    if units is None:
        problems.error(label, None, "dC", f"no units attribute; write units = {UNITS!r}")
    elif normalise_units(units) is None:
        problems.error(label, None, "dC", f"unknown units {units!r}; expected {UNITS!r} (µg/m³ per t/d)")
    kind = da.attrs.get("source_type") or _infer_type(k for k in da.coords if da[k].dims == ("source",))
    if kind not in SOURCE_TYPES:
        problems.error(
            label, None, "source_type", f"source_type {kind!r} is not one of {', '.join(SOURCE_TYPES)}"
        )
    need = {"grid": ("lon", "lat"), "county_sector": ("county", "industry")}.get(kind, ())
    for c in need:
        if c not in da.coords or da[c].dims != ("source",):
            problems.error(label, None, c, f"source_type {kind} needs a coordinate {c!r} along 'source'")
    pols = [str(p) for p in da["pollutant"].values]
    for p in pols:
        if p not in POLLUTANTS:
            problems.error(
                label, None, "pollutant", f"unknown pollutant {p!r}; expected one of {', '.join(POLLUTANTS)}"
            )
    if len(set(pols)) != len(pols):
        problems.error(label, None, "pollutant", "repeated pollutant labels")
    try:
        lags = np.asarray(da["lag"].values, dtype=float)
    except (TypeError, ValueError):
        lags = np.array([np.nan])
    if np.isnan(lags).any() or (lags != np.round(lags)).any() or (lags < 0).any():
        problems.error(label, None, "lag", "lags must be whole numbers of days >= 0")
    elif sorted(lags.astype(int)) != list(range(len(lags))):
        problems.error(
            label, None, "lag", f"lags must be 0, 1, … without gaps; found {sorted(lags.astype(int))}"
        )
    for dim in ("receptor", "source"):
        vals = pd.Index(np.asarray(da[dim].values).astype(str))
        if vals.has_duplicates:
            problems.error(label, None, dim, f"repeated {dim} labels, e.g. {vals[vals.duplicated()][0]!r}")
    if not problems.ok:
        raise InputError(problems)
    values = np.asarray(da.values, dtype=float)
    if not np.isfinite(values).all():
        raise InputError.single(
            label, f"{int((~np.isfinite(values)).sum())} missing or infinite coefficient(s)", column="dC"
        )
    out = da.astype(float).transpose(*DIMS)
    out = out.assign_coords(
        receptor=np.asarray(out["receptor"].values).astype(str),
        lag=lags.astype(int),
        pollutant=np.asarray(pols),
        source=np.asarray(out["source"].values).astype(str),
    ).sortby("lag")
    out = out.sel(pollutant=[p for p in POLLUTANTS if p in pols])
    if kind == "grid":
        problems = Problems()
        for c in ("lon", "lat"):
            v = np.asarray(out[c].values, dtype=float)
            if not np.isfinite(v).all():
                problems.error(label, None, c, f"{c} of some cells is missing")
        if not problems.ok:
            raise InputError(problems)
    out.name = "dC"
    out.attrs = {
        k: v
        for k, v in da.attrs.items()
        if isinstance(v, str | int | float) and k not in ("units", "source_type")
    }
    out.attrs.update({"units": UNITS, "source_type": kind})
    return out


def write_sr(da: xr.DataArray, path: str | Path) -> Path:
    """Write an SR DataArray as netCDF (``.nc``) or long CSV (any other suffix)."""
    path = Path(path)
    da = validate_sr(da, path.name)
    if path.suffix.lower() in (".nc", ".nc4"):
        ds = da.to_dataset(name="dC")
        ds.attrs = {k: v for k, v in da.attrs.items() if k != "units"}
        ds["dC"].attrs = {"units": UNITS}
        ds.to_netcdf(path, engine="h5netcdf")
        return path
    df = da.to_dataframe(name="dC").reset_index()
    kind = da.attrs["source_type"]
    if kind == "county_sector":
        cols = ["receptor", "lag", "pollutant", "county", "industry", "dC"]
    elif kind == "grid":
        cols = ["receptor", "lag", "pollutant", "source", "lon", "lat", "dC"]
    else:
        cols = ["receptor", "lag", "pollutant", "source", "dC"]
    df = df[cols].assign(units=UNITS)
    df.to_csv(path, index=False, float_format="%.10g")
    return path


def map_to_enterprises(da: xr.DataArray, table: pd.DataFrame, label: str | None = None) -> xr.DataArray:
    """Coefficients per enterprise: dims ``(receptor, lag, enterprise, pollutant)``.

    Enterprise sources are matched by id, county × sector sources by the firm's county and
    industry (``all`` matching any industry), grid cells by the firm's location.  Pollutants the
    file lacks get 0.  A firm no source covers is an error (a plan must not look effective or
    ineffective by omission).

    Raises
    ------
    InputError
        Naming the first firms not covered (or without coordinates, for a grid).
    """
    label = label or str(da.attrs.get("file", "source-receptor"))
    kind = da.attrs["source_type"]
    ids = table.index.astype(str).to_numpy()
    sources = pd.Index(da["source"].values.astype(str))
    if kind == "enterprise":
        pos = sources.get_indexer(ids)
        why = "not in the file"
    elif kind == "county_sector":
        key = pd.Index(
            np.char.add(np.char.add(da["county"].values.astype(str), "|"), da["industry"].values.astype(str))
        )
        county = table["county"].astype(str).to_numpy()
        pos = key.get_indexer(np.char.add(np.char.add(county, "|"), table["industry"].astype(str).to_numpy()))
        anyind = key.get_indexer(np.char.add(county, "|all"))
        pos = np.where(pos >= 0, pos, anyind)
        why = "whose county × industry (or county × all) is not in the file"
    else:
        lon = np.asarray(da["lon"].values, dtype=float)
        lat = np.asarray(da["lat"].values, dtype=float)
        dlon = float(da.attrs.get("dlon") or _spacing(lon))
        dlat = float(da.attrs.get("dlat") or _spacing(lat))
        flon = table["lon"].to_numpy(dtype=float)
        flat = table["lat"].to_numpy(dtype=float)
        lon0, lat0 = float(lon.min()), float(lat.min())
        cell_key = pd.Index(
            np.round((lon - lon0) / dlon).astype(np.int64) * 1_000_003
            + np.round((lat - lat0) / dlat).astype(np.int64)
        )
        with np.errstate(invalid="ignore"):
            fi = np.round((np.nan_to_num(flon, nan=-1e9) - lon0) / dlon).astype(np.int64)
            fj = np.round((np.nan_to_num(flat, nan=-1e9) - lat0) / dlat).astype(np.int64)
        pos = cell_key.get_indexer(fi * 1_000_003 + fj)
        nocoord = ~(np.isfinite(flon) & np.isfinite(flat))
        if nocoord.any():
            first = ", ".join(ids[nocoord][:5])
            raise InputError.single(
                label,
                f"{int(nocoord.sum())} enterprise(s) have no coordinates to place them in the SR grid, e.g. {first}",
                column="lon",
            )
        why = "located outside every grid cell of the file"
    missing = pos < 0
    if missing.any():
        first = ", ".join(ids[missing][:5])
        raise InputError.single(
            label, f"{int(missing.sum())} enterprise(s) {why}, e.g. {first}", column="source"
        )
    pols = list(da["pollutant"].values)
    values = da.transpose("receptor", "lag", "source", "pollutant").values[:, :, pos, :]
    full = np.zeros((*values.shape[:3], len(POLLUTANTS)))
    for j, p in enumerate(POLLUTANTS):
        if p in pols:
            full[..., j] = values[..., pols.index(p)]
    return xr.DataArray(
        full,
        dims=("receptor", "lag", "enterprise", "pollutant"),
        coords={
            "receptor": da["receptor"].values,
            "lag": da["lag"].values,
            "enterprise": ids,
            "pollutant": list(POLLUTANTS),
        },
        attrs={"units": UNITS, "method": label},
    )


def _spacing(v: np.ndarray) -> float:
    u = np.unique(np.round(v, 8))
    d = np.diff(u)
    d = d[d > 1e-9]
    if not len(d):
        raise InputError.single(
            "source-receptor", "cannot infer the grid spacing from one cell; set dlon/dlat"
        )
    return float(d.min())
