"""The daily basis of list emissions and targets (``data/policy/daily_basis.yaml``).

A plan compares tonnes per day removed by the listed firms with a share of the city's total per
day.  Both must be counted on the same day.  With the ``operating_day`` basis (the basis of a
bureau's list), a firm's daily emission is its annual emission ÷ operating days, and the city's daily
total on such a day is ``(city total − list annual) / 365 + Σ list daily``.  With ``calendar_day``
every annual figure is divided by 365 (firm daily emissions are rescaled by ``operating_days / 365``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner import DATA_DIR, POLLUTANTS
from planner.policy.vocabulary import check_keys, file_label, load_yaml, suggest
from planner.problems import InputError, Problems

__all__ = [
    "BASES",
    "DAILY_BASIS_FILE",
    "apply_basis",
    "city_daily_totals",
    "daily_basis",
    "list_annual",
    "read_daily_basis",
]

DAILY_BASIS_FILE: Path = DATA_DIR / "policy" / "daily_basis.yaml"
BASES = ("operating_day", "calendar_day")
DEFAULT_OPERATING_DAYS = 365.0


def read_daily_basis(path: str | Path = DAILY_BASIS_FILE) -> str:
    """The basis named in ``daily_basis.yaml`` (``operating_day`` or ``calendar_day``).

    Raises
    ------
    InputError
        Unknown keys, a missing source or an unknown basis.
    """
    label = file_label(path)
    problems = Problems()
    doc = load_yaml(path, problems, label)
    if doc is not None:
        if not isinstance(doc, Mapping):
            problems.error(label, None, None, "expected a mapping with basis and source")
        else:
            check_keys(doc, ("basis", "source", "notes"), problems, label, required=("basis", "source"))
            b = doc.get("basis")
            if "basis" in doc and b not in BASES:
                problems.error(
                    label,
                    None,
                    "basis",
                    f"unknown basis {b!r}{suggest(b, BASES)}; expected one of {', '.join(BASES)}",
                )
    if not problems.ok:
        raise InputError(problems)
    return str(doc["basis"])


@lru_cache(maxsize=4)
def daily_basis(path: str | Path = DAILY_BASIS_FILE) -> str:
    """The shipped daily basis (cached); see :func:`read_daily_basis`."""
    return read_daily_basis(path)


def _operating_days(table: pd.DataFrame) -> np.ndarray:
    if "operating_days" not in table.columns:
        return np.full(len(table), DEFAULT_OPERATING_DAYS)
    d = pd.to_numeric(table["operating_days"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(d) & (d > 0), d, DEFAULT_OPERATING_DAYS)


def list_annual(table: pd.DataFrame) -> dict[str, float]:
    """The list's annual emissions per pollutant (t/a): daily (t/d, operating-day basis) × operating days."""
    days = _operating_days(table)
    return {p: float((table[p].to_numpy(dtype=float) * days).sum()) for p in POLLUTANTS}


def city_daily_totals(
    city_totals: Mapping[str, float], table: pd.DataFrame, basis: str | None = None
) -> dict[str, float]:
    """The city's total emissions per day (t/d) on the chosen basis.

    Parameters
    ----------
    city_totals : mapping
        全社会排放总量 per pollutant, t/a (``city.yaml`` ``total_emissions``).
    table : pandas.DataFrame
        Canonical inventory table (daily emissions on the operating-day basis, ``operating_days``).
    basis : str, optional
        Default :func:`daily_basis`.

    Returns
    -------
    dict
        Pollutant → t/d.  ``operating_day``: ``max(total − list annual, 0) / 365 + Σ list daily``;
        ``calendar_day``: ``total / 365``.
    """
    basis = basis or daily_basis()
    if basis == "calendar_day":
        return {p: float(city_totals[p]) / 365.0 for p in POLLUTANTS}
    annual = list_annual(table)
    return {
        p: max(float(city_totals[p]) - annual[p], 0.0) / 365.0 + float(table[p].to_numpy(dtype=float).sum())
        for p in POLLUTANTS
    }


def apply_basis(
    table: pd.DataFrame, city_totals: Mapping[str, float], basis: str | None = None
) -> tuple[pd.DataFrame, dict[str, float]]:
    """The table and the city totals on one basis, for the targets and the verifier.

    Returns
    -------
    (pandas.DataFrame, dict)
        The table (``calendar_day``: daily emissions rescaled by ``operating_days / 365``; otherwise
        unchanged) and *annual-equivalent* city totals, ``365 × city_daily_totals``, so that the
        usual ``share × total / 365`` gives the target on the chosen basis.
    """
    basis = basis or daily_basis()
    daily = city_daily_totals(city_totals, table, basis)
    if basis == "calendar_day":
        table = table.copy()
        scale = _operating_days(table) / 365.0
        for p in POLLUTANTS:
            table[p] = table[p].to_numpy(dtype=float) * scale
    return table, {p: daily[p] * 365.0 for p in POLLUTANTS}
