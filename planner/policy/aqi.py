"""Air Quality Index (AQI) of HJ 633, editions 2012 and 2026.

The breakpoint tables are data (``data/policy/aqi_breakpoints.csv``), one row per segment::

    edition,pollutant,averaging,unit,iaqi_lo,iaqi_hi,bp_lo,bp_hi,above_top,note

``averaging`` is ``24h`` / ``1h`` / ``8h`` as in Table 1 of the standard.  ``above_top`` says what
the standard does above a table's highest concentration breakpoint:

- ``cap`` – the standard defines no IAQI above 500: the IAQI is reported as **500** and flagged
  (:func:`iaqi` returns the flag; :func:`aqi_table` has a ``beyond_scale`` column).  This is how
  bureaus report "爆表" days; the day is at least "严重污染" either way.
- ``not_computed`` – no IAQI is computed from this table (2012: SO2 1-h above 800 µg/m³ → use the
  24-h value; O3 8-h above 800 µg/m³ → use the O3 1-h IAQI).  :func:`iaqi` returns NaN and flags.
- an integer – the IAQI is counted as that value (2026: SO2 1-h above 800 → 200, O3 8-h above
  800 → 300).

Rules of the standard implemented here (section 4 of HJ 633-2012):

- IAQI by linear interpolation within the segment ``bp_lo <= C <= bp_hi`` (a concentration on a
  breakpoint gives the breakpoint's IAQI, both neighbouring segments agree);
- IAQI and AQI are rounded **up** to integers (6.2 "全部进位取整数");
- AQI = max IAQI over pollutants; the primary pollutant (首要污染物) is reported only when
  AQI > 50, and pollutants tied on the (integer) maximum are listed together, joined by ``","``.

Daily AQI uses the 24-h means of SO2, NO2, PM10, PM2.5 and CO (mg/m³), the daily maximum 8-h
moving mean of O3 (``O3``) and, when available, the daily maximum 1-h O3 (``O3_1h``) – the seven
indicators of a daily report (HJ 633-2012 5.1.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner import DATA_DIR
from planner.problems import InputError, Problems

__all__ = [
    "BREAKPOINTS_FILE",
    "DAILY_INDICATORS",
    "EDITIONS",
    "Breakpoints",
    "aqi_table",
    "iaqi",
    "load_breakpoints",
    "normalise_edition",
    "primary_pollutant",
]

#: Editions of HJ 633 the planner knows.
EDITIONS: tuple[str, ...] = ("2012", "2026")
#: Daily report indicator -> (pollutant, averaging) of the breakpoint table it uses, in the
#: order of Table 1 (this order is also the order of tied primary pollutants).
DAILY_INDICATORS: dict[str, tuple[str, str]] = {
    "SO2": ("SO2", "24h"),
    "NO2": ("NO2", "24h"),
    "PM10": ("PM10", "24h"),
    "CO": ("CO", "24h"),
    "O3_1h": ("O3", "1h"),
    "O3": ("O3", "8h"),
    "PM2.5": ("PM2.5", "24h"),
}
#: Default breakpoint file shipped with the planner.
BREAKPOINTS_FILE: Path = DATA_DIR / "policy" / "aqi_breakpoints.csv"

_COLUMNS = ("edition", "pollutant", "averaging", "unit", "iaqi_lo", "iaqi_hi", "bp_lo", "bp_hi", "above_top")
_REQUIRED_TABLES = [(p, a) for p, a in DAILY_INDICATORS.values()]
_EPS = 1e-6  # tolerance before rounding up (75.0000000001 -> 75, not 76)


def normalise_edition(edition: str | int) -> str:
    """``"2026"``, ``2026``, ``"HJ 633-2026"`` -> ``"2026"``; ValueError for unknown editions."""
    text = str(edition).strip()
    ed = text[-4:]
    if ed not in EDITIONS:
        raise ValueError(f"unknown AQI standard {edition!r}; expected one of {', '.join(EDITIONS)}")
    return ed


class Breakpoints:
    """Validated breakpoint tables of all editions.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of the breakpoint CSV (already validated by :func:`load_breakpoints`).
    """

    def __init__(self, table: pd.DataFrame):
        self.table = table
        self._segments: dict[
            tuple[str, str, str], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]
        ] = {}
        for (ed, pol, avg), g in table.groupby(["edition", "pollutant", "averaging"], sort=False):
            g = g.sort_values("bp_lo")
            self._segments[(str(ed), str(pol), str(avg))] = (
                g["bp_lo"].to_numpy(float),
                g["bp_hi"].to_numpy(float),
                g["iaqi_lo"].to_numpy(float),
                g["iaqi_hi"].to_numpy(float),
                str(g["above_top"].iloc[0]),
            )

    def segments(self, edition: str, pollutant: str, averaging: str):
        """``(bp_lo, bp_hi, iaqi_lo, iaqi_hi, above_top)`` of one table; KeyError when absent."""
        key = (normalise_edition(edition), pollutant, averaging)
        if key not in self._segments:
            raise KeyError(f"no breakpoints for {pollutant} {averaging} in HJ 633-{key[0]}")
        return self._segments[key]

    def unit(self, edition: str, pollutant: str, averaging: str) -> str:
        """The concentration unit of one breakpoint table (e.g. ``µg/m³``, ``mg/m³`` for CO)."""
        t = self.table
        m = (
            (t["edition"] == normalise_edition(edition))
            & (t["pollutant"] == pollutant)
            & (t["averaging"] == averaging)
        )
        return str(t.loc[m, "unit"].iloc[0])


def load_breakpoints(path: str | Path | None = None) -> Breakpoints:
    """Read and validate a breakpoint CSV.

    Checks: required columns; numeric values; within each (edition, pollutant, averaging) table
    the segments start at concentration 0 / IAQI 0, are contiguous (each ``bp_lo`` equals the
    previous ``bp_hi``, same for IAQI) and strictly increasing; ``above_top`` is ``cap``,
    ``not_computed`` or an integer; every edition has every table a daily AQI needs.

    Parameters
    ----------
    path : str or Path, optional
        Default ``data/policy/aqi_breakpoints.csv``.

    Returns
    -------
    Breakpoints

    Raises
    ------
    InputError
        With every problem, named by file, row (as in the file, header = row 1) and column.
    """
    path = Path(path) if path is not None else BREAKPOINTS_FILE
    return _load_breakpoints_cached(str(path.resolve()) if path.exists() else str(path))


@lru_cache(maxsize=8)
def _load_breakpoints_cached(path: str) -> Breakpoints:
    label = "/".join(Path(path).parts[-2:])
    problems = Problems()
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError.single(label, f"file not found: {path}") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, IsADirectoryError) as exc:
        raise InputError.single(label, f"cannot read the breakpoint table as UTF-8 CSV: {exc}") from None
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise InputError.single(
            label, f"missing column(s) {', '.join(missing)}; expected {', '.join(_COLUMNS)}"
        )
    df = raw.copy()
    df["row"] = np.arange(len(df)) + 2
    for col in ("iaqi_lo", "iaqi_hi", "bp_lo", "bp_hi"):
        num = pd.to_numeric(df[col].str.strip(), errors="coerce")
        num = num.where(np.isfinite(num.to_numpy(dtype=float, na_value=np.nan)))  # "inf" is no breakpoint
        for r in df.loc[num.isna(), "row"]:
            problems.error(label, int(r), col, f"missing or non-numeric breakpoint {raw.at[r - 2, col]!r}")
        df[col] = num
    for col in ("edition", "pollutant", "averaging", "unit", "above_top"):
        df[col] = df[col].astype(str).str.strip()
    bad_ed = ~df["edition"].isin(EDITIONS)
    for r, v in df.loc[bad_ed, ["row", "edition"]].itertuples(index=False):
        problems.error(
            label, int(r), "edition", f"unknown edition {v!r}; expected one of {', '.join(EDITIONS)}"
        )
    ok_above = df["above_top"].isin(["cap", "not_computed"]) | df["above_top"].str.fullmatch(r"\d+")
    for r, v in df.loc[~ok_above, ["row", "above_top"]].itertuples(index=False):
        problems.error(label, int(r), "above_top", f"{v!r} is not 'cap', 'not_computed' or an integer IAQI")
    if not problems.ok:
        raise InputError(problems)
    for (ed, pol, avg), g in df.groupby(["edition", "pollutant", "averaging"], sort=False):
        what = f"{pol} {avg} (HJ 633-{ed})"
        first = int(g["row"].iloc[0])
        if (g["bp_hi"] <= g["bp_lo"]).any() or (g["iaqi_hi"] <= g["iaqi_lo"]).any():
            r = int(g.loc[(g["bp_hi"] <= g["bp_lo"]) | (g["iaqi_hi"] <= g["iaqi_lo"]), "row"].iloc[0])
            problems.error(
                label,
                r,
                "bp_hi",
                f"{what}: breakpoints must increase within a segment (bp_lo < bp_hi, iaqi_lo < iaqi_hi)",
            )
            continue
        if g["bp_lo"].iloc[0] != 0 or g["iaqi_lo"].iloc[0] != 0:
            problems.error(
                label, first, "bp_lo", f"{what}: the first segment must start at concentration 0 and IAQI 0"
            )
        gap_bp = g["bp_lo"].to_numpy()[1:] != g["bp_hi"].to_numpy()[:-1]
        gap_iaqi = g["iaqi_lo"].to_numpy()[1:] != g["iaqi_hi"].to_numpy()[:-1]
        for i in np.flatnonzero(gap_bp | gap_iaqi):
            r = int(g["row"].iloc[i + 1])
            problems.error(
                label,
                r,
                "bp_lo",
                f"{what}: breakpoints are not monotone/contiguous: segment starts at {g['bp_lo'].iloc[i + 1]:g} "
                f"(IAQI {g['iaqi_lo'].iloc[i + 1]:g}) but the previous one ends at {g['bp_hi'].iloc[i]:g} "
                f"(IAQI {g['iaqi_hi'].iloc[i]:g}); missing or misordered breakpoint",
            )
        if g["above_top"].nunique() > 1:
            problems.error(
                label, first, "above_top", f"{what}: above_top must be the same on every row of a table"
            )
    present = set(zip(df["edition"], df["pollutant"], df["averaging"], strict=True))
    for ed in EDITIONS:
        for pol, avg in _REQUIRED_TABLES:
            if (ed, pol, avg) not in present:
                problems.error(label, None, None, f"missing breakpoints for {pol} {avg} in HJ 633-{ed}")
    if not problems.ok:
        raise InputError(problems)
    return Breakpoints(df.drop(columns="row"))


def iaqi(
    conc,
    pollutant: str,
    averaging: str = "24h",
    edition: str = "2026",
    breakpoints: Breakpoints | None = None,
    return_flag: bool = False,
):
    """Individual AQI (IAQI) of concentrations, vectorised, rounded up to integers.

    Parameters
    ----------
    conc : array_like
        Concentrations in the table's unit (µg/m³; CO mg/m³). NaN gives NaN.
    pollutant : {"SO2", "NO2", "PM10", "CO", "O3", "PM2.5"}
    averaging : {"24h", "1h", "8h"}
    edition : {"2012", "2026"}
    breakpoints : Breakpoints, optional
        Default: the shipped table.
    return_flag : bool
        Also return a boolean array, True where the concentration is above the top breakpoint.

    Returns
    -------
    numpy.ndarray of float (integers or NaN), or (iaqi, beyond) when ``return_flag``.

    Raises
    ------
    ValueError
        For negative or infinite concentrations.
    """
    bp = breakpoints or load_breakpoints()
    bp_lo, bp_hi, i_lo, i_hi, above = bp.segments(edition, pollutant, averaging)
    c = np.asarray(conc, dtype=float)
    if np.any(c < 0):
        raise ValueError(f"negative {pollutant} concentration")
    if np.isinf(c).any():
        # an infinite value is a broken input, not a day "beyond the scale" (AQI 500)
        raise ValueError(f"infinite {pollutant} concentration; concentrations must be finite numbers")
    seg = np.clip(np.searchsorted(bp_hi, c, side="left"), 0, len(bp_hi) - 1)
    raw = (i_hi[seg] - i_lo[seg]) / (bp_hi[seg] - bp_lo[seg]) * (c - bp_lo[seg]) + i_lo[seg]
    out = np.ceil(raw - _EPS) + 0.0  # "+ 0.0" turns -0.0 into 0.0
    beyond = c > bp_hi[-1]
    if above == "cap":
        fill = float(i_hi[-1])
    elif above == "not_computed":
        fill = np.nan
    else:
        fill = float(above)
    out = np.where(beyond, fill, out)
    out = np.where(np.isnan(c), np.nan, out)
    if return_flag:
        return out, beyond
    return out


def primary_pollutant(iaqis: Mapping[str, np.ndarray], aqi: np.ndarray) -> np.ndarray:
    """Primary pollutant(s) per element: names whose IAQI equals the AQI, when AQI > 50.

    Parameters
    ----------
    iaqis : mapping of indicator name -> IAQI array
        Names such as ``"O3_1h"`` are reported as their pollutant (``"O3"``).
    aqi : numpy.ndarray

    Returns
    -------
    numpy.ndarray of object
        ``"PM2.5"``, ``"PM10,PM2.5"`` for ties, ``""`` when AQI <= 50 or unknown.
    """
    aqi = np.asarray(aqi, dtype=float)
    hits: dict[str, np.ndarray] = {}
    for name, values in iaqis.items():
        pol = DAILY_INDICATORS.get(name, (name, ""))[0]
        hit = (np.asarray(values, dtype=float) == aqi) & (aqi > 50)
        hits[pol] = hits[pol] | hit if pol in hits else hit
    out = np.full(aqi.shape, "", dtype=object)
    for pol, hit in hits.items():
        out = np.where(hit, np.where(out == "", pol, out + "," + pol), out)
    return out


def aqi_table(
    conc: Mapping[str, object] | pd.DataFrame,
    edition: str = "2026",
    breakpoints: Breakpoints | None = None,
) -> pd.DataFrame:
    """Daily AQI, primary pollutant and IAQIs from daily indicator concentrations.

    Parameters
    ----------
    conc : DataFrame or mapping of indicator -> 1-d array
        Keys among :data:`DAILY_INDICATORS`: ``SO2, NO2, PM10, CO`` (mg/m³), ``PM2.5`` 24-h means,
        ``O3`` daily max 8-h moving mean and optionally ``O3_1h`` daily max 1-h. Missing
        indicators and NaN values are skipped (AQI over those present).
    edition : {"2012", "2026"}
    breakpoints : Breakpoints, optional

    Returns
    -------
    pandas.DataFrame
        Same index as ``conc`` (a RangeIndex for a mapping), columns ``IAQI_<indicator>``,
        ``aqi`` (Int64, NA when nothing is known), ``primary_pollutant`` (str, ``""`` when
        AQI <= 50) and ``beyond_scale`` (bool: some indicator above its top breakpoint).

    Notes
    -----
    O3 8-h above 800 µg/m³: HJ 633-2012 uses the O3 1-h IAQI (taken into the max anyway when
    ``O3_1h`` is given); HJ 633-2026 counts it as IAQI 300.
    """
    edition = normalise_edition(edition)
    bp = breakpoints or load_breakpoints()
    index = conc.index if isinstance(conc, pd.DataFrame) else None
    iaqis: dict[str, np.ndarray] = {}
    beyond = None
    for name, (pol, avg) in DAILY_INDICATORS.items():
        if name not in conc:
            continue
        values = np.asarray(conc[name], dtype=float)
        val, flag = iaqi(values, pol, avg, edition, bp, return_flag=True)
        iaqis[name] = val
        beyond = flag if beyond is None else beyond | flag
    if not iaqis:
        raise ValueError(
            f"no AQI indicator among the columns; expected some of {', '.join(DAILY_INDICATORS)}"
        )
    stack = np.vstack(list(iaqis.values()))
    known = ~np.all(np.isnan(stack), axis=0)
    aqi = np.where(known, np.nanmax(np.where(np.isnan(stack), -1.0, stack), axis=0), np.nan)
    out = pd.DataFrame({f"IAQI_{k}": v for k, v in iaqis.items()}, index=index)
    out["aqi"] = pd.array(np.where(known, aqi, 0).astype(int), dtype="Int64")
    out.loc[~known, "aqi"] = pd.NA
    out["primary_pollutant"] = primary_pollutant(iaqis, aqi).astype(str)
    out["beyond_scale"] = beyond
    return out
