"""Required reductions: shares per level and pollutant → tonnes per day.

The required reduction at an alert level is ``share[level, pollutant] × city_total[pollutant] / 365``
tonnes per day, where ``city_total`` is the city's total emissions (全社会排放总量, t/a, from
``city.yaml``) – not the sum of the enterprise list, which leaves out traffic, dust and households.

- :func:`load_shares` reads ``data/policy/shares.yaml`` and applies overrides (a city's or a
  scenario's), validating shares in [0, 1] and non-decreasing from yellow to orange to red;
- :func:`read_city` reads and validates ``city.yaml``;
- :func:`level_targets` gives t/d per alert level (list drafting);
- :func:`daily_targets` gives t/d per forecast day from a series of levels (episode response).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner import ALERT_LEVELS, DATA_DIR, LEVELS, POLLUTANTS
from planner.policy.vocabulary import check_keys, check_number, check_share, file_label, load_yaml, suggest
from planner.problems import InputError, Problems

__all__ = ["DEFAULT_SHARES_PATH", "load_shares", "read_city", "level_targets", "daily_targets", "CITY_KEYS"]

DEFAULT_SHARES_PATH: Path = DATA_DIR / "policy" / "shares.yaml"

#: Keys a ``city.yaml`` may carry.  Unknown keys are accepted unless they look like a misspelling of one.
CITY_KEYS: tuple[str, ...] = (
    "name",
    "name_zh",
    "total_emissions",
    "stations",
    "extent",
    "counties",
    "shares",
    "source",
    "notes",
    "year",
    "province",
    "forecast",
    "inventory",
    "alert_rules",
    "aqi_standard",
    "emission_sectors",
    "population",
    "area_km2",
    "timezone",
)


def _read_level_table(data, problems: Problems, label: str, path: str, partial: bool) -> dict:
    """Parse ``{level: {pollutant: share} | share}`` into ``{(level, pollutant): share}``."""
    out: dict[tuple[str, str], float] = {}
    if not isinstance(data, Mapping):
        problems.error(
            label, None, path or None, f"expected a mapping of levels to shares, got {type(data).__name__}"
        )
        return out
    check_keys(
        data, ALERT_LEVELS, problems, label, path, required=() if partial else ALERT_LEVELS, what="level"
    )
    for level in ALERT_LEVELS:
        if level not in data:
            continue
        lpath = f"{path}.{level}" if path else level
        value = data[level]
        if isinstance(value, Mapping):
            check_keys(
                value,
                POLLUTANTS,
                problems,
                label,
                lpath,
                required=() if partial else POLLUTANTS,
                what="pollutant",
            )
            for pol in POLLUTANTS:
                if pol in value and check_share(value[pol], problems, label, f"{lpath}.{pol}"):
                    out[level, pol] = float(value[pol])
        elif check_share(value, problems, label, lpath):
            for pol in POLLUTANTS:
                out[level, pol] = float(value)
    return out


def load_shares(
    path: str | Path | None = None, overrides: Mapping | str | Path | None = None
) -> xr.DataArray:
    """Read the required reduction shares and apply overrides.

    Parameters
    ----------
    path : str or Path, optional
        A shares file (default ``data/policy/shares.yaml``) with a top-level ``shares:`` mapping
        ``{level: {pollutant: share}}`` (a level may also be a single number for all pollutants).
    overrides : mapping, str or Path, optional
        Applied on top of the file: ``{"orange": {"NOx": 0.4}}`` or ``{"orange": 0.4}``; or the path
        of a YAML file (e.g. a ``city.yaml``) whose ``shares:`` key (or whole content) has that form.

    Returns
    -------
    xarray.DataArray
        Dims ``(level, pollutant)`` with levels ``yellow, orange, red`` and pollutants
        ``SO2, NOx, PM, VOCs``; fractions in [0, 1].

    Raises
    ------
    InputError
        Unknown level/pollutant keys (with a suggestion), shares outside [0, 1], a share that
        decreases from one level to the next, or missing entries.
    """
    problems = Problems()
    path = Path(path) if path is not None else DEFAULT_SHARES_PATH
    label = file_label(path, 2 if path == DEFAULT_SHARES_PATH else 1)
    doc = load_yaml(path, problems, label)
    table: dict = {}
    if doc is not None:
        if not isinstance(doc, Mapping) or "shares" not in doc:
            problems.error(
                label, None, "shares", "the file needs a top-level 'shares:' mapping of levels to shares"
            )
        else:
            check_keys(doc, ("shares", "source", "notes"), problems, label)
            table = _read_level_table(doc["shares"], problems, label, "shares", partial=False)

    if overrides is not None:
        olabel = "overrides"
        if isinstance(overrides, str | Path):
            olabel = file_label(overrides, 1)
            odoc = load_yaml(overrides, problems, olabel)
            if isinstance(odoc, Mapping) and "shares" in odoc:
                odoc, opath = odoc["shares"], "shares"
            else:
                opath = ""
            overrides = odoc if odoc is not None else {}
        else:
            opath = ""
        table.update(_read_level_table(overrides, problems, olabel, opath, partial=True))

    if not problems.ok:
        raise InputError(problems)
    values = np.array([[table[lv, p] for p in POLLUTANTS] for lv in ALERT_LEVELS], dtype=float)
    for i in range(1, len(ALERT_LEVELS)):
        for j, pol in enumerate(POLLUTANTS):
            lo, hi = ALERT_LEVELS[i - 1], ALERT_LEVELS[i]
            if values[i, j] < values[i - 1, j]:
                problems.error(
                    label if overrides is None else f"{label} (with overrides)",
                    None,
                    f"shares.{hi}.{pol}",
                    f"the {hi} share {values[i, j]:g} is lower than the {lo} share {values[i - 1, j]:g}; "
                    "shares may not decrease from yellow to orange to red",
                )
    if not problems.ok:
        raise InputError(problems)
    return xr.DataArray(
        values,
        dims=("level", "pollutant"),
        coords={"level": list(ALERT_LEVELS), "pollutant": list(POLLUTANTS)},
        name="share",
        attrs={"units": "1", "long_name": "required reduction share of city total emissions"},
    )


def read_city(path: str | Path) -> dict:
    """Read and validate a ``city.yaml``.

    Parameters
    ----------
    path : str or Path
        YAML with ``name``, ``total_emissions: {SO2, NOx, PM, VOCs}`` in t/a (全社会排放总量),
        and optionally ``stations``, ``extent``, ``counties``, ``shares`` (overrides, see
        :func:`load_shares`).

    Returns
    -------
    dict
        The document, with ``total_emissions`` as floats.

    Raises
    ------
    InputError
        Missing name or totals, totals that are not positive numbers, unknown pollutants, or a
        top-level key that looks like a misspelling of a known one.
    """
    problems = Problems()
    label = file_label(path, 1)
    doc = load_yaml(path, problems, label)
    if doc is None:
        raise InputError(problems)
    if not isinstance(doc, Mapping):
        raise InputError.single(label, "expected a mapping with name, total_emissions, stations, ...")
    for key in doc:
        if key not in CITY_KEYS:
            hint = suggest(key, CITY_KEYS, cutoff=0.75)
            if hint:
                problems.error(label, None, str(key), f"unknown key {key!r}{hint}")
    if not doc.get("name"):
        problems.error(label, None, "name", "required key 'name' is missing")
    totals = doc.get("total_emissions")
    if totals is None:
        problems.error(
            label,
            None,
            "total_emissions",
            "required key 'total_emissions' (city-wide totals in t/a: SO2, NOx, PM, VOCs) is missing",
        )
    elif not isinstance(totals, Mapping):
        problems.error(
            label, None, "total_emissions", "expected a mapping {SO2: .., NOx: .., PM: .., VOCs: ..} in t/a"
        )
    else:
        check_keys(
            totals, POLLUTANTS, problems, label, "total_emissions", required=POLLUTANTS, what="pollutant"
        )
        for pol in POLLUTANTS:
            if pol in totals:
                check_number(totals[pol], problems, label, f"total_emissions.{pol}", low=0.0, low_open=True)
    if "shares" in doc and doc["shares"] is not None:
        _read_level_table(doc["shares"], problems, label, "shares", partial=True)
    if not problems.ok:
        raise InputError(problems)
    out = dict(doc)
    out["total_emissions"] = {p: float(totals[p]) for p in POLLUTANTS}
    return out


def _totals_array(city_totals_tpa) -> xr.DataArray:
    if isinstance(city_totals_tpa, xr.DataArray):
        return city_totals_tpa.sel(pollutant=list(POLLUTANTS)).astype(float)
    if isinstance(city_totals_tpa, Mapping) and "total_emissions" in city_totals_tpa:
        city_totals_tpa = city_totals_tpa["total_emissions"]
    missing = [p for p in POLLUTANTS if p not in city_totals_tpa]
    if missing:
        raise InputError.single("city totals", f"missing city total emissions for {', '.join(missing)}")
    values = np.array([float(city_totals_tpa[p]) for p in POLLUTANTS])
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise InputError.single(
            "city totals", f"city total emissions must be non-negative numbers, got {values.tolist()}"
        )
    return xr.DataArray(values, dims="pollutant", coords={"pollutant": list(POLLUTANTS)})


def level_targets(shares: xr.DataArray, city_totals_tpa) -> xr.DataArray:
    """Required reduction per alert level, t/d.

    Parameters
    ----------
    shares : xarray.DataArray
        ``(level, pollutant)`` from :func:`load_shares`.
    city_totals_tpa : mapping, pandas.Series or xarray.DataArray
        City-wide total emissions per pollutant, t/a (or a :func:`read_city` dict).

    Returns
    -------
    xarray.DataArray
        ``(level, pollutant)``: ``share × total / 365`` in t/d.
    """
    totals = _totals_array(city_totals_tpa)
    out = shares.sel(pollutant=list(POLLUTANTS)) * totals / 365.0
    out.name = "target"
    out.attrs = {"units": "t/d", "long_name": "required emission reduction"}
    return out


def daily_targets(levels: pd.Series, shares: xr.DataArray, city_totals_tpa) -> xr.DataArray:
    """Required reduction per day from a series of alert levels, t/d.

    Parameters
    ----------
    levels : pandas.Series
        Alert level (``none, yellow, orange, red``) indexed by date.
    shares : xarray.DataArray
        ``(level, pollutant)`` from :func:`load_shares`.
    city_totals_tpa : mapping, pandas.Series or xarray.DataArray
        City-wide totals, t/a.

    Returns
    -------
    xarray.DataArray
        ``(slot, pollutant)`` with ``slot`` the dates as ``YYYY-MM-DD`` strings and a ``level``
        coordinate on ``slot``; days at level ``none`` have target 0.
    """
    per_level = level_targets(shares, city_totals_tpa)
    lv = pd.Series(levels).astype(object).map(lambda v: str(v).strip().lower() if v is not None else "none")
    bad = sorted(set(lv) - set(LEVELS))
    if bad:
        raise InputError.single(
            "levels",
            f"unknown alert level(s) {bad}{suggest(bad[0], LEVELS)}; expected one of {', '.join(LEVELS)}",
        )
    table = np.zeros((len(lv), len(POLLUTANTS)))
    for i, level in enumerate(lv):
        if level != "none":
            table[i] = per_level.sel(level=level).values
    slots = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in pd.Series(levels).index]
    return xr.DataArray(
        table,
        dims=("slot", "pollutant"),
        coords={"slot": slots, "pollutant": list(POLLUTANTS), "level": ("slot", list(lv))},
        name="target",
        attrs={"units": "t/d", "long_name": "required emission reduction"},
    )
