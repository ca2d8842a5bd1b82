"""Small shared helpers for reading and validating the policy YAML/CSV files.

Every policy file under ``data/policy/`` is edited by hand by a bureau, so readers collect
*all* problems (:class:`planner.problems.Problems`) before giving up, and name each problem by
file label and key path, e.g. ``measures/cement.yaml`` / ``grades.B.orange[0].value``.
The file label goes into :attr:`Problem.file`, the key path into :attr:`Problem.column`.

Functions here are deliberately generic so that the measures, shares, alert-rule and city readers
can all use them:

- :func:`file_label` – short, stable name of a file for messages,
- :func:`load_yaml` / :func:`load_yaml_doc` – :func:`planner.io.yamlio.read_yaml` (safe,
  duplicate keys and limits checked) reporting its errors as problems (the data, or the document
  with the line of every key for :func:`planner.io.schema_errors.validate`),
- :func:`key_path` – build ``a.b[0].c`` paths,
- :func:`suggest` – "did you mean ..." via :mod:`difflib`,
- :func:`check_keys` – unknown / missing keys of a mapping,
- :func:`check_share`, :func:`check_number` – numeric checks,
- :func:`grades`, :func:`industries`, :func:`grade_codes`, :func:`industry_codes` – the vocabulary
  tables ``grades.csv`` / ``industries.csv``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TypeGuard

import pandas as pd

from planner import DATA_DIR
from planner.io.schema_errors import suggest_key
from planner.io.yamlio import YamlDoc, format_loc, read_yaml
from planner.problems import InputError, Problems

#: Chinese names of the levels, alerts and pollutants (one set for every view).
LEVEL_ZH = {"none": "无", "yellow": "黄色", "orange": "橙色", "red": "红色"}
#: Alert names as notices and lists write them (黄色预警 …).
ALERT_ZH = {lv: f"{LEVEL_ZH[lv]}预警" for lv in ("yellow", "orange", "red")}
POLLUTANT_ZH = {"SO2": "二氧化硫", "NOx": "氮氧化物", "PM": "颗粒物", "VOCs": "挥发性有机物"}


__all__ = [
    "check_keys",
    "check_number",
    "check_share",
    "file_label",
    "grade_codes",
    "grades",
    "industries",
    "industry_codes",
    "is_number",
    "key_path",
    "load_yaml",
    "load_yaml_doc",
    "self_directed_grades",
    "suggest",
]


def file_label(path: str | Path, levels: int = 2) -> str:
    """Short label of a file for messages: its last ``levels`` path parts.

    Parameters
    ----------
    path : str or Path
    levels : int, default 2
        ``2`` gives ``measures/cement.yaml``; ``1`` gives ``cement.yaml``.

    Returns
    -------
    str
    """
    parts = Path(path).parts
    return "/".join(parts[-levels:]) if parts else str(path)


def load_yaml_doc(path: str | Path, problems: Problems, label: str | None = None) -> YamlDoc | None:
    """Like :func:`load_yaml`, but the :class:`~planner.io.yamlio.YamlDoc` (data and line of every key).

    Pass it as ``doc=`` to :func:`planner.io.schema_errors.validate` so that schema errors name
    the line as well as the key path.
    """
    label = label or file_label(path)
    if not Path(path).exists():
        problems.error(label, None, None, f"file not found: {path}")
        return None
    try:
        return read_yaml(path, label)
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def load_yaml(path: str | Path, problems: Problems, label: str | None = None):
    """Read a YAML file with :func:`planner.io.yamlio.read_yaml`; report unreadable files as problems.

    Parameters
    ----------
    path : str or Path
    problems : Problems
        Receives one error if the file is missing, too large, not UTF-8, not valid YAML, has a
        duplicate key or is nested or aliased beyond the limits (with the line number).
    label : str, optional
        Name used in messages; default :func:`file_label` of ``path``.

    Returns
    -------
    object or None
        The parsed document, or None when it could not be read.
    """
    doc = load_yaml_doc(path, problems, label)
    return None if doc is None else doc.data


def key_path(*parts: str | int) -> str:
    """Join keys and list indices into a key path (empty parts skipped).

    Examples
    --------
    >>> key_path("grades", "B", "orange", 0, "value")
    'grades.B.orange[0].value'
    """
    return format_loc(tuple(p for p in parts if p != ""))


def suggest(name: object, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """A " (did you mean 'x'?)" suffix for a misspelt key, or an empty string.

    Matching ignores case; choices are returned as spelled.
    """
    return suggest_key(name, choices, cutoff)


def check_keys(
    mapping: Mapping,
    allowed: Iterable[str],
    problems: Problems,
    file: str,
    path: str = "",
    required: Iterable[str] = (),
    what: str = "key",
) -> bool:
    """Report unknown keys (with a closest-match suggestion) and missing required keys.

    Parameters
    ----------
    mapping : Mapping
    allowed : iterable of str
        Every key that may appear (required ones included).
    problems : Problems
    file : str
        File label for messages.
    path : str
        Key path of ``mapping`` itself ("" at the top level).
    required : iterable of str
    what : str
        Word used in messages ("key", "grade", "level", ...).

    Returns
    -------
    bool
        True when no problem was found.
    """
    allowed = list(allowed)
    ok = True
    for key in mapping:
        if str(key) not in allowed:
            ok = False
            problems.error(
                file,
                None,
                key_path(path, str(key)),
                f"unknown {what} {key!r}{suggest(key, allowed)}; expected one of {', '.join(allowed)}",
            )
    for key in required:
        if key not in mapping:
            ok = False
            problems.error(
                file, None, key_path(path, key) if path else key, f"required {what} {key!r} is missing"
            )
    return ok


def is_number(value: object) -> TypeGuard[int | float]:
    """True for int/float values that are not bool and not NaN."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def check_number(
    value: object,
    problems: Problems,
    file: str,
    path: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> bool:
    """Check that ``value`` is a number in ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    if not is_number(value):
        problems.error(file, None, path, f"expected a number, got {value!r}")
        return False
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        lo = "(" if low_open else "["
        lo_s = "-inf" if low is None else f"{low:g}"
        hi_s = "inf" if high is None else f"{high:g}"
        problems.error(file, None, path, f"{value!r} is outside {lo}{lo_s}, {hi_s}]")
        return False
    return True


def check_share(value: object, problems: Problems, file: str, path: str) -> bool:
    """Check that ``value`` is a share, a number in [0, 1] (write 0.2, not 20)."""
    if is_number(value) and 2 <= value <= 100:
        problems.error(
            file,
            None,
            path,
            f"{value!r} is outside [0, 1]: shares are fractions (write {value / 100:g}, not {value!r})",
        )
        return False
    return check_number(value, problems, file, path, 0.0, 1.0)


@lru_cache(maxsize=1)
def grades() -> pd.DataFrame:
    """``data/policy/grades.csv`` indexed by grade code (best first), ``rank`` int, ``self_directed`` bool."""
    df = pd.read_csv(DATA_DIR / "policy" / "grades.csv", dtype=str, keep_default_na=False).set_index("grade")
    df["rank"] = df["rank"].astype(int)
    df["self_directed"] = df["self_directed"].str.strip().str.lower().eq("yes")
    return df


@lru_cache(maxsize=1)
def industries() -> pd.DataFrame:
    """``data/policy/industries.csv`` indexed by industry code, in file order."""
    return pd.read_csv(DATA_DIR / "policy" / "industries.csv", dtype=str, keep_default_na=False).set_index(
        "industry"
    )


def grade_codes() -> list[str]:
    """Grade codes in file order (best first)."""
    return list(grades().index)


def self_directed_grades() -> list[str]:
    """Grades with self-directed reduction (A+, A, leading)."""
    g = grades()
    return list(g.index[g["self_directed"]])


def industry_codes() -> list[str]:
    """Industry codes of ``data/policy/industries.csv`` in file order."""
    return list(industries().index)
