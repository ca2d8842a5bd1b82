"""Alert levels (none/yellow/orange/red) from a forecast's daily city AQI, by a rule set as data.

Rule sets live in ``data/policy/alert_rules/<name>.yaml`` (``2024`` is the default, ``2017`` the
superseded national rules); a city can write its own file and load it by path.  Format::

    name: "..."
    levels:
      yellow:
        conditions:                      # alternatives: any one triggers the level
          - {aqi_above: 200, hours: 24}  # inside a run of AQI > 200 lasting >= 24 h
          - {aqi_above: 150, hours: 48}
      red:
        conditions:
          - all_of:                      # every condition of the group must hold
              - {aqi_above: 200, hours: 72}
              - {aqi_above: 300, hours: 24}
          - {aqi_at_least: 500, hours: 24}
    higher_level_wins: true
    lift_below_hours: 36
    merge_gap_hours: 48
    exclude_primary: [O3]

Semantics (:func:`alert_levels`)
--------------------------------
- The series is a sequence of steps (a day counts as 24 h; hourly AQI as 1 h). ``aqi_above`` is
  strict (AQI exactly 200 is not "> 200"); ``aqi_at_least`` is ``>=``.
- A step satisfies ``{aqi_above: X, hours: H}`` when it lies inside a run of consecutive steps
  with AQI > X whose length is at least H hours (a forecast is judged as a whole, so the first day
  of a 3-day run already qualifies for a 72-h condition).  Runs break at missing AQI and at gaps in
  the dates.  A step satisfies an ``all_of`` group when it satisfies every condition of it, and a
  level when it satisfies any alternative.  The step's level is the highest level it satisfies.
- Steps whose primary pollutant consists only of pollutants in ``exclude_primary`` (O3 under the
  2024 rules), or flagged ``dust`` by the forecaster, do not count towards any trigger: they get
  ``advisory = True`` (health advice, no production cuts) when their AQI is above the lowest
  trigger.
- Episodes: maximal runs of alert steps; two runs separated by fewer than ``merge_gap_hours``
  hours are one episode.  ``episode`` numbers them 1, 2, ... (NA outside any episode; the steps of
  a merged gap carry the episode's number).
- ``higher_level_wins``: inside an episode, a dip below a level that is flanked on both sides by
  steps at that level or higher and lasts at most ``lift_below_hours`` hours keeps the level (an
  alert is neither lowered nor lifted unless the forecast stays below its trigger for more than
  ``lift_below_hours``).  Alternating orange/red/orange/red days are therefore red from the first
  to the last red day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner import ALERT_LEVELS, DATA_DIR, LEVELS
from planner.policy.vocabulary import check_keys, check_number, file_label, is_number, key_path, load_yaml
from planner.problems import InputError, Problems

__all__ = [
    "Condition",
    "RuleSet",
    "RULES_DIR",
    "DEFAULT_RULES",
    "load_rules",
    "alert_levels",
    "evaluate_conditions",
]

RULES_DIR: Path = DATA_DIR / "policy" / "alert_rules"
DEFAULT_RULES = "2024"
_TOP_KEYS = (
    "name",
    "source",
    "levels",
    "higher_level_wins",
    "lift_below_hours",
    "merge_gap_hours",
    "exclude_primary",
)
_POLLUTANT_NAMES = ("SO2", "NO2", "PM10", "CO", "O3", "PM2.5")


@dataclass(frozen=True)
class Condition:
    """AQI above (or at least) ``threshold`` for a run of at least ``hours``."""

    threshold: float
    hours: float
    strict: bool = True

    def exceeds(self, aqi: np.ndarray) -> np.ndarray:
        return aqi > self.threshold if self.strict else aqi >= self.threshold


@dataclass
class RuleSet:
    """A validated alert rule set.

    Attributes
    ----------
    levels : dict
        ``level -> list of alternatives``, each alternative a tuple of :class:`Condition` (all of
        them must hold).
    """

    name: str
    levels: dict[str, list[tuple[Condition, ...]]]
    higher_level_wins: bool = True
    lift_below_hours: float = 36.0
    merge_gap_hours: float = 48.0
    exclude_primary: tuple[str, ...] = ("O3",)
    source: str = ""
    path: Path | None = None
    extra: dict = field(default_factory=dict)

    @property
    def lowest_trigger(self) -> float:
        return min(c.threshold for alts in self.levels.values() for grp in alts for c in grp)


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if text in {p.stem for p in RULES_DIR.glob("*.yaml")} and not Path(text).suffix:
        return RULES_DIR / f"{text}.yaml"
    return Path(text)


def load_rules(name_or_path: str | Path | RuleSet | None = None) -> RuleSet:
    """Load and validate a rule set by name (``"2024"``, ``"2017"``) or by file path.

    Parameters
    ----------
    name_or_path : str, Path or RuleSet, optional
        A shipped name, a YAML path, or an already loaded :class:`RuleSet` (returned as is).
        Default ``"2024"``.

    Returns
    -------
    RuleSet

    Raises
    ------
    InputError
        With every problem, named by file and key path, e.g.
        ``alert_rules/2024.yaml: levels.orange.conditions[1].hours``.
    """
    if isinstance(name_or_path, RuleSet):
        return name_or_path
    path = _resolve(name_or_path if name_or_path is not None else DEFAULT_RULES)
    label = file_label(path)
    problems = Problems()
    if not path.exists() and not path.suffix:
        shipped = ", ".join(sorted(p.stem for p in RULES_DIR.glob("*.yaml")))
        raise InputError.single(
            label, f"unknown rule set {str(name_or_path)!r}; expected one of {shipped} or a YAML file path"
        )
    doc = load_yaml(path, problems, label)
    if not problems.ok:
        raise InputError(problems)
    if not isinstance(doc, dict):
        raise InputError.single(label, "a rule set must be a mapping with a 'levels' key")
    check_keys(doc, _TOP_KEYS, problems, label, required=("levels",))
    levels: dict[str, list[tuple[Condition, ...]]] = {}
    raw_levels = doc.get("levels")
    if raw_levels is not None and not isinstance(raw_levels, dict):
        problems.error(label, None, "levels", "expected a mapping level -> {conditions: [...]}")
    elif isinstance(raw_levels, dict):
        check_keys(raw_levels, ALERT_LEVELS, problems, label, "levels", what="level")
        if not any(lv in raw_levels for lv in ALERT_LEVELS):
            problems.error(
                label, None, "levels", f"no alert level defined; expected some of {', '.join(ALERT_LEVELS)}"
            )
        for lv in ALERT_LEVELS:
            if lv in raw_levels:
                alts = _parse_level(raw_levels[lv], problems, label, key_path("levels", lv))
                if alts is not None:
                    levels[lv] = alts
    hlw = doc.get("higher_level_wins", True)
    if not isinstance(hlw, bool):
        problems.error(label, None, "higher_level_wins", f"expected true or false, got {hlw!r}")
    numbers = {}
    for key, default in (("lift_below_hours", 36.0), ("merge_gap_hours", 48.0)):
        value = doc.get(key, default)
        if check_number(value, problems, label, key, 0.0):
            numbers[key] = float(value)
    excl = doc.get("exclude_primary", []) or []
    if not isinstance(excl, list):
        problems.error(label, None, "exclude_primary", f"expected a list of pollutants, got {excl!r}")
        excl = []
    for i, p in enumerate(excl):
        if p not in _POLLUTANT_NAMES:
            problems.error(
                label,
                None,
                key_path("exclude_primary", i),
                f"unknown pollutant {p!r}; expected one of {', '.join(_POLLUTANT_NAMES)}",
            )
    if not problems.ok:
        raise InputError(problems)
    return RuleSet(
        name=str(doc.get("name") or path.stem),
        levels=levels,
        higher_level_wins=bool(hlw),
        lift_below_hours=numbers["lift_below_hours"],
        merge_gap_hours=numbers["merge_gap_hours"],
        exclude_primary=tuple(excl),
        source=str(doc.get("source") or ""),
        path=path,
    )


def _parse_level(raw, problems: Problems, label: str, path: str):
    if not isinstance(raw, dict):
        problems.error(label, None, path, "expected a mapping with a 'conditions' list")
        return None
    check_keys(raw, ("conditions",), problems, label, path, required=("conditions",))
    conds = raw.get("conditions")
    if not isinstance(conds, list) or not conds:
        if "conditions" in raw:
            problems.error(
                label, None, key_path(path, "conditions"), "expected a non-empty list of alternatives"
            )
        return None
    alts = []
    for i, alt in enumerate(conds):
        p = f"{path}.conditions[{i}]"
        if isinstance(alt, dict) and "all_of" in alt:
            check_keys(alt, ("all_of",), problems, label, p)
            group = alt["all_of"]
            if not isinstance(group, list) or not group:
                problems.error(label, None, key_path(p, "all_of"), "expected a non-empty list of conditions")
                continue
            parsed = [_parse_condition(c, problems, label, f"{p}.all_of[{j}]") for j, c in enumerate(group)]
        else:
            parsed = [_parse_condition(alt, problems, label, p)]
        if all(c is not None for c in parsed):
            alts.append(tuple(parsed))
    return alts


def _parse_condition(raw, problems: Problems, label: str, path: str) -> Condition | None:
    if not isinstance(raw, dict):
        problems.error(
            label, None, path, f"expected a condition such as {{aqi_above: 200, hours: 48}}, got {raw!r}"
        )
        return None
    ok = check_keys(raw, ("aqi_above", "aqi_at_least", "hours"), problems, label, path, required=("hours",))
    has_above, has_least = "aqi_above" in raw, "aqi_at_least" in raw
    if has_above == has_least:
        problems.error(
            label, None, path, "give exactly one of 'aqi_above' (strictly greater) or 'aqi_at_least'"
        )
        return None
    key = "aqi_above" if has_above else "aqi_at_least"
    ok &= check_number(raw[key], problems, label, key_path(path, key), 0.0, 500.0)
    hours = raw.get("hours")
    if "hours" in raw:
        if not check_number(hours, problems, label, key_path(path, "hours"), 0.0, low_open=True):
            ok = False
        elif is_number(hours) and float(hours) % 1 != 0:
            problems.error(label, None, key_path(path, "hours"), f"expected whole hours, got {hours!r}")
            ok = False
    return Condition(float(raw[key]), float(hours), strict=has_above) if ok else None


# --------------------------------------------------------------------------- evaluation
def _runs(mask: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run id and run length (in steps) of each True element; runs also break where ``breaks``."""
    m = np.asarray(mask, dtype=bool)
    start = m & ~np.concatenate([[False], m[:-1]]) | (m & breaks)
    run_id = np.cumsum(start)
    run_id = np.where(m, run_id, 0)
    counts = np.bincount(run_id, minlength=run_id.max() + 1 if run_id.size else 1)
    length = np.where(m, counts[run_id], 0)
    return run_id, length


def _step_hours(times: pd.Series) -> tuple[float, np.ndarray]:
    t = pd.to_datetime(times).to_numpy()
    if len(t) < 2:
        return 24.0, np.zeros(len(t), dtype=bool)
    diffs = np.diff(t) / np.timedelta64(1, "h")
    if np.any(diffs <= 0):
        raise ValueError("dates must be strictly increasing")
    step = float(np.min(diffs))
    breaks = np.concatenate([[False], diffs > step])
    return step, breaks


def evaluate_conditions(
    aqi: np.ndarray, counts: np.ndarray, rules: RuleSet, step_hours: float, breaks: np.ndarray
) -> np.ndarray:
    """Raw level index (0 none … 3 red) of each step before holding; see module notes."""
    level = np.zeros(len(aqi), dtype=int)
    a = np.where(counts, np.asarray(aqi, dtype=float), np.nan)
    for lv_index, lv in enumerate(LEVELS):
        for group in rules.levels.get(lv, []):
            ok = np.ones(len(a), dtype=bool)
            for cond in group:
                exceed = cond.exceeds(np.nan_to_num(a, nan=-1.0))
                _, length = _runs(exceed, breaks)
                ok &= exceed & (length * step_hours >= cond.hours)
            level = np.where(ok, np.maximum(level, lv_index), level)
    return level


def alert_levels(daily: pd.DataFrame, rules: RuleSet | str | Path | None = None) -> pd.DataFrame:
    """Alert level and episode of every day (or hour) of a forecast.

    Parameters
    ----------
    daily : pandas.DataFrame
        Columns ``date`` (one row per day; or ``time`` with hourly rows), ``aqi``,
        ``primary_pollutant``; optional boolean ``dust``.  Other columns are kept.
    rules : RuleSet, str or Path, optional
        Default the 2024 rules.

    Returns
    -------
    pandas.DataFrame
        The input columns plus ``level`` (none|yellow|orange|red), ``episode`` (Int64, NA outside
        episodes) and ``advisory`` (bool: above a trigger but excluded, e.g. O3-only).
    """
    rules = load_rules(rules)
    tcol = "date" if "date" in daily.columns else "time"
    if tcol not in daily.columns or "aqi" not in daily.columns:
        raise ValueError("alert_levels needs columns 'date' (or 'time') and 'aqi'")
    out = daily.sort_values(tcol).reset_index(drop=True).copy()
    n = len(out)
    if n == 0:
        out["level"] = pd.Series([], dtype=object)
        out["episode"] = pd.array([], dtype="Int64")
        out["advisory"] = pd.Series([], dtype=bool)
        return out
    step, breaks = _step_hours(out[tcol])
    aqi = pd.to_numeric(out["aqi"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    primary = (
        out["primary_pollutant"].astype(object).fillna("").astype(str)
        if "primary_pollutant" in out
        else pd.Series([""] * n)
    )
    excluded = np.zeros(n, dtype=bool)
    if rules.exclude_primary:
        excl = set(rules.exclude_primary)
        excluded = primary.map(lambda s: bool(s) and set(s.split(",")) <= excl).to_numpy(dtype=bool)
    if "dust" in out:
        excluded = excluded | out["dust"].fillna(False).to_numpy(dtype=bool)
    counts = ~excluded & ~np.isnan(aqi)
    level = evaluate_conditions(aqi, counts, rules, step, breaks)

    # episodes: alert runs merged across gaps shorter than merge_gap_hours
    alert = level > 0
    episode = np.zeros(n, dtype=int)
    if alert.any():
        idx = np.flatnonzero(alert)
        hours = (
            pd.to_datetime(out[tcol]).to_numpy() - pd.to_datetime(out[tcol]).to_numpy()[0]
        ) / np.timedelta64(1, "h")
        gap_hours = np.diff(hours[idx]) - step  # hours without alert between consecutive alert steps
        new = np.concatenate([[True], gap_hours >= rules.merge_gap_hours])
        ep_of_alert = np.cumsum(new)
        for k in range(1, ep_of_alert.max() + 1):
            members = idx[ep_of_alert == k]
            episode[members[0] : members[-1] + 1] = k

    if rules.higher_level_wins:
        level = _hold(level, episode, rules.lift_below_hours / step)
    out["level"] = np.array(LEVELS, dtype=object)[level]
    out["episode"] = pd.array(np.where(episode > 0, episode, 0), dtype="Int64")
    out.loc[episode == 0, "episode"] = pd.NA
    out["advisory"] = excluded & (np.nan_to_num(aqi, nan=-1) > rules.lowest_trigger) & (level == 0)
    return out


def _hold(level: np.ndarray, episode: np.ndarray, max_dip_steps: float) -> np.ndarray:
    """Raise short dips flanked by higher levels within an episode (see module notes)."""
    level = level.copy()
    n = len(level)
    for lv in range(1, len(LEVELS)):
        at = level >= lv
        below = ~at
        run_id, length = _runs(below, np.concatenate([[False], episode[1:] != episode[:-1]]))
        for r in np.unique(run_id[run_id > 0]):
            where = np.flatnonzero(run_id == r)
            a, b = where[0], where[-1]
            if a == 0 or b == n - 1 or length[a] > max_dip_steps:
                continue
            if (
                at[a - 1]
                and at[b + 1]
                and episode[a - 1] == episode[b + 1] != 0
                and episode[a] == episode[a - 1]
            ):
                level[a : b + 1] = lv
    return level
