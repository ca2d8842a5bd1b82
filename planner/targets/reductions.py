"""Required reductions: shares per level and pollutant → tonnes per day.

The required reduction at an alert level is ``share[level, pollutant] × city_total[pollutant] / 365``
tonnes per day, where ``city_total`` is the city's total emissions (全社会排放总量, t/a, from
``city.yaml``) – not the sum of the enterprise list, which leaves out traffic, dust and households.

- :func:`load_shares` reads ``data/policy/shares.yaml`` and applies overrides (a city's or a
  scenario's), validated by :mod:`planner.targets.schema` (shares in [0, 1]) and non-decreasing from
  yellow to orange to red;
- :func:`read_city` reads and validates ``city.yaml`` (:class:`planner.targets.schema.CityFile`);
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
from planner.io.schema_errors import validate
from planner.io.yamlio import YamlDoc, format_loc, read_yaml
from planner.policy.vocabulary import file_label, suggest
from planner.problems import InputError, Problems
from planner.targets.schema import CityFile, ShareOverrides, SharesFile

__all__ = ["CITY_KEYS", "DEFAULT_SHARES_PATH", "daily_targets", "level_targets", "load_shares", "read_city"]

DEFAULT_SHARES_PATH: Path = DATA_DIR / "policy" / "shares.yaml"

#: Keys a ``city.yaml`` may carry (:class:`planner.targets.schema.CityFile`); any other key is an error.
CITY_KEYS: tuple[str, ...] = tuple(CityFile.model_fields)


def _read_doc(path: str | Path, label: str, problems: Problems) -> YamlDoc | None:
    try:
        return read_yaml(path, label)
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def _level_table(table: Mapping) -> dict:
    """Validated ``{level: {pollutant: share} | share}`` into ``{(level, pollutant): share}``."""
    out: dict[tuple[str, str], float] = {}
    for level, value in table.items():
        for pol in POLLUTANTS:
            if isinstance(value, Mapping):
                if pol in value:
                    out[level, pol] = float(value[pol])
            else:
                out[level, pol] = float(value)
    return out


def _report_missing(table: object, problems: Problems, label: str, prefix: tuple) -> None:
    """Every level, and every pollutant of a level given per pollutant, must be in a shares file."""
    if not isinstance(table, Mapping):
        return
    for level in ALERT_LEVELS:
        lpath = format_loc((*prefix, level))
        if level not in table:
            problems.error(label, None, lpath, f"required level {level!r} is missing")
        elif isinstance(table[level], Mapping):
            for pol in POLLUTANTS:
                if pol not in table[level]:
                    problems.error(label, None, f"{lpath}.{pol}", f"required pollutant {pol!r} is missing")


def _overrides(overrides, label: str | None, problems: Problems) -> tuple[dict, str, tuple, dict]:
    """Read share overrides: ``(table, file label, key path prefix, {(level, pollutant): key path})``."""
    if isinstance(overrides, str | Path):
        olabel = label or file_label(overrides, 1)
        doc = _read_doc(overrides, olabel, problems)
        if doc is None:
            return {}, olabel, (), {}
        data, prefix = doc.data, ()
        if isinstance(data, Mapping) and "shares" in data:
            data, prefix = data["shares"], ("shares",)
        data = {} if data is None else data
    else:
        olabel = label or "overrides"
        data, prefix, doc = overrides, ("shares",) if label else (), None
    try:
        checked = validate(ShareOverrides, data, olabel, doc=doc, prefix=prefix)
    except InputError as exc:
        problems.extend(exc.problems)
        return {}, olabel, prefix, {}
    where = {}
    for level, value in checked.items():
        for pol in POLLUTANTS:
            if not isinstance(value, Mapping):
                where[level, pol] = format_loc((*prefix, level))
            elif pol in value:
                where[level, pol] = format_loc((*prefix, level, pol))
    return _level_table(checked), olabel, prefix, where


def load_shares(
    path: str | Path | None = None,
    overrides: Mapping | str | Path | None = None,
    overrides_label: str | None = None,
) -> xr.DataArray:
    """Read the required reduction shares and apply overrides.

    Parameters
    ----------
    path : str or Path, optional
        A shares file (default ``data/policy/shares.yaml``) with a top-level ``shares:`` mapping
        ``{level: {pollutant: share}}`` (a level may also be a single number for all pollutants),
        validated against :class:`planner.targets.schema.SharesFile`.
    overrides : mapping, str or Path, optional
        Applied on top of the file: ``{"orange": {"NOx": 0.4}}`` or ``{"orange": 0.4}``; or the path
        of a YAML file (e.g. a ``city.yaml``) whose ``shares:`` key (or whole content) has that form.
    overrides_label : str, optional
        Where a mapping of overrides comes from (e.g. the scenario file): problems with them then
        name that file and its ``shares.<level>`` key instead of ``overrides``.

    Returns
    -------
    xarray.DataArray
        Dims ``(level, pollutant)`` with levels ``yellow, orange, red`` and pollutants
        ``SO2, NOx, PM, VOCs``; fractions in [0, 1].

    Raises
    ------
    InputError
        Unknown level/pollutant keys (with a suggestion), shares outside [0, 1], a share that
        decreases from one level to the next, missing entries, duplicate keys.
    """
    problems = Problems()
    path = Path(path) if path is not None else DEFAULT_SHARES_PATH
    label = file_label(path, 2 if path == DEFAULT_SHARES_PATH else 1)
    doc = _read_doc(path, label, problems)
    table: dict = {}
    if doc is not None:
        if not isinstance(doc.data, Mapping) or "shares" not in doc.data:
            problems.error(
                label, None, "shares", "the file needs a top-level 'shares:' mapping of levels to shares"
            )
        else:
            try:
                table = _level_table(validate(SharesFile, doc.data, label, doc=doc).shares)
            except InputError as exc:
                problems.extend(exc.problems)
            _report_missing(doc.data["shares"], problems, label, ("shares",))

    where: dict = {}
    olabel = label
    if overrides is not None:
        over, olabel, _, where = _overrides(overrides, overrides_label, problems)
        table.update(over)
    if not problems.ok:
        raise InputError(problems)
    values = np.array([[table[lv, p] for p in POLLUTANTS] for lv in ALERT_LEVELS], dtype=float)
    found: dict[tuple, list[str]] = {}  # one message per key written, naming its pollutants
    for i in range(1, len(ALERT_LEVELS)):
        for j, pol in enumerate(POLLUTANTS):
            lo, hi = ALERT_LEVELS[i - 1], ALERT_LEVELS[i]
            if values[i, j] >= values[i - 1, j]:
                continue
            set_at = where.get((lo, pol)) or where.get((hi, pol))
            if set_at is None or olabel == "overrides":  # nowhere better to point to than the file
                file, column, tail = label, f"shares.{hi}.{pol}", ""
                if set_at:
                    tail = f" after the override {set_at}"
            else:
                file, column = olabel, set_at
                other = hi if (lo, pol) in where else lo
                tail = (
                    f" (the {other} share comes from {label}: raise it too)"
                    if (other, pol) not in where
                    else ""
                )
            text = f"{values[i, j]:g} is lower than the {lo} share {values[i - 1, j]:g}"
            found.setdefault((file, column, hi, text, tail), []).append(pol)
    for (file, column, hi, text, tail), pols in found.items():
        problems.error(
            file,
            None,
            column,
            f"the {hi} share of {', '.join(pols)} {text}; shares may not decrease from yellow to orange "
            f"to red{tail}",
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
    """Read and validate a ``city.yaml`` (:class:`planner.targets.schema.CityFile`).

    Parameters
    ----------
    path : str or Path
        YAML with ``name``, ``total_emissions: {SO2, NOx, PM, VOCs}`` in t/a (全社会排放总量),
        and optionally ``stations``, ``extent``, ``counties``, ``emission_sectors``, ``shares``
        (overrides, see :func:`load_shares`) and the other keys of :data:`CITY_KEYS`.

    Returns
    -------
    dict
        The document, with ``total_emissions`` as floats.

    Raises
    ------
    InputError
        Missing name or totals, totals that are not positive numbers, unknown pollutants, unknown
        keys (with the closest valid key), duplicate keys.
    """
    problems = Problems()
    label = file_label(path, 1)
    doc = _read_doc(path, label, problems)
    if doc is None:
        raise InputError(problems)
    if not isinstance(doc.data, Mapping):
        raise InputError.single(label, "expected a mapping with name, total_emissions, stations, ...")
    city = validate(CityFile, doc.data, label, doc=doc)
    out = dict(doc.data)
    out["total_emissions"] = {p: float(getattr(city.total_emissions, p)) for p in POLLUTANTS}
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
