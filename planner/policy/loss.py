"""The loss a plan minimises: output value (default) or value added.

``options.loss_basis`` of a scenario chooses it.  With ``value_added`` a firm's daily loss at full
curtailment is its daily output value × its industry's value-added rate (增加值率), read from
``data/policy/value_added.csv`` (one row per industry code of ``industries.csv``, with its source).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner import DATA_DIR
from planner.policy.vocabulary import file_label, industry_codes, suggest
from planner.problems import InputError, Problems

__all__ = ["LOSS_BASES", "VALUE_ADDED_FILE", "loss_per_day", "read_value_added", "value_added_rates"]

VALUE_ADDED_FILE: Path = DATA_DIR / "policy" / "value_added.csv"
LOSS_BASES = ("output_value", "value_added")
_COLUMNS = ("industry", "value_added_rate", "sector_zh", "source")


def read_value_added(path: str | Path = VALUE_ADDED_FILE) -> pd.Series:
    """Value-added rate per industry code (0–1], checked.

    Raises
    ------
    InputError
        Missing or unknown columns, unknown or duplicate industry codes, a rate outside (0, 1], a row
        without a source, or an industry of ``industries.csv`` without a rate.
    """
    label = file_label(path)
    problems = Problems()
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise InputError.single(label, f"file not found: {path}") from None
    for c in _COLUMNS:
        if c not in df.columns:
            problems.error(label, 1, c, "required column is missing")
    for c in df.columns:
        if c not in _COLUMNS:
            problems.error(label, 1, c, f"unknown column{suggest(c, _COLUMNS)}")
    if not problems.ok:
        raise InputError(problems)
    known = industry_codes()
    rate = pd.to_numeric(df["value_added_rate"], errors="coerce")
    for r in range(len(df)):
        code = df["industry"].iloc[r]
        if code not in known:
            problems.error(label, r + 2, "industry", f"unknown industry {code!r}{suggest(code, known)}")
        if not (0 < rate.iloc[r] <= 1):
            problems.error(
                label,
                r + 2,
                "value_added_rate",
                f"expected a share in (0, 1], got {df['value_added_rate'].iloc[r]!r}",
            )
        if not df["source"].iloc[r].strip():
            problems.error(label, r + 2, "source", "every rate needs a source")
    for dup in np.flatnonzero(df["industry"].duplicated().to_numpy()):
        problems.error(
            label, int(dup) + 2, "industry", f"industry {df['industry'].iloc[dup]!r} is listed twice"
        )
    for code in sorted(set(known) - set(df["industry"])):
        problems.error(label, None, "industry", f"no value-added rate for industry {code!r}")
    if not problems.ok:
        raise InputError(problems)
    return pd.Series(rate.to_numpy(dtype=float), index=df["industry"].to_numpy(), name="value_added_rate")


@lru_cache(maxsize=4)
def value_added_rates(path: str | Path = VALUE_ADDED_FILE) -> pd.Series:
    """The shipped value-added rates (cached); see :func:`read_value_added`."""
    return read_value_added(path)


def loss_per_day(
    table: pd.DataFrame, basis: str = "output_value", rates: pd.Series | None = None
) -> np.ndarray:
    """Daily loss of each firm at full curtailment (万元/d) on the chosen basis.

    Parameters
    ----------
    table : pandas.DataFrame
        Canonical inventory table with ``output_value_daily`` and ``industry``.
    basis : {"output_value", "value_added"}
    rates : pandas.Series, optional
        Value-added rate per industry (default :func:`value_added_rates`).

    Returns
    -------
    numpy.ndarray (E,)
    """
    out = table["output_value_daily"].to_numpy(dtype=float)
    if basis == "output_value":
        return out
    if basis != "value_added":
        raise ValueError(f"unknown loss basis {basis!r}; expected one of {', '.join(LOSS_BASES)}")
    rates = value_added_rates() if rates is None else rates
    r = rates.reindex(table["industry"].astype(str).to_numpy()).to_numpy(dtype=float)
    return out * np.where(np.isnan(r), float(rates.get("other", 1.0)), r)
