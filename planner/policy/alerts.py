"""Alert levels (none/yellow/orange/red) from a forecast's city AQI, per pollution process.

Rule sets live in ``data/policy/alert_rules/<name>.yaml`` (``2024`` is the default, ``2017`` the
superseded national rules); a city can write its own file and load it by path.  Format
(validated by :class:`RuleFile`: unknown, misspelt and duplicate keys are errors)::

    name: "..."
    source: "..."
    levels:
      yellow:
        conditions:                      # alternatives: any one triggers the level
          - {aqi_above: 200, hours: 24}  # a run of AQI > 200 lasting >= 24 h
          - {aqi_above: 150, hours: 48}
      red:
        conditions:
          - all_of:                      # every condition of the group must be met
              - {aqi_above: 200, hours: 72}
              - {aqi_above: 300, hours: 24}
          - {aqi_at_least: 500, hours: 24}
    day_levels: process                  # or daily
    higher_level_wins: true              # day_levels: daily only
    lift_below_hours: 36
    merge_gap_hours: 48
    exclude_primary: [O3]

Semantics (:func:`evaluate_alerts`)
-----------------------------------
- The series is a sequence of steps (a day counts as 24 h; hourly AQI as 1 h).  ``aqi_above`` is
  strict (AQI exactly 200 is not "> 200"); ``aqi_at_least`` is ``>=``.  A condition
  ``{aqi_above: X, hours: H}`` is met by a run of consecutive steps with AQI > X lasting at least
  H hours; runs break at missing AQI and at gaps in the dates.
- Steps whose primary pollutant consists only of pollutants in ``exclude_primary`` (O3 under the
  2024 rules), or flagged ``dust`` by the forecaster, do not count towards any trigger: they get
  ``advisory = True`` (health advice, no production cuts) when their AQI is above the lowest
  trigger.
- A **process** (污染过程) is a run of steps above the lowest trigger (the lowest threshold of
  any condition: AQI > 150 under the 2024 rules, > 200 under the 2017 rules); two such runs
  separated by fewer than ``merge_gap_hours`` hours are one process.  Inside a process the alert
  stays in force across a dip of at most ``lift_below_hours`` hours below the trigger and is
  lifted (level none, same process) across a longer one ("lift only when the forecast stays
  below the trigger for > 36 h").
- ``day_levels: process`` (the shipped files): the process as a whole gets the highest level
  one of whose alternatives it meets (an ``all_of`` group: each of its conditions met by some
  run inside the process), and every step of the process where the alert is in force carries
  that level.  AQI [210, 210, 310] under the 2024 rules is red on all three days (AQI > 200 for
  72 h and > 300 for 24 h).  Processes that meet no level's condition are not alerts.
- ``day_levels: daily``: each step is judged on the runs it lies in (the first day of a 3-day
  run already qualifies for a 72-h condition, but a day outside the > 300 run does not qualify
  for an ``all_of`` with > 300), and ``higher_level_wins`` raises a dip below a level flanked on
  both sides by that level or higher, inside one process and at most ``lift_below_hours`` long.
  The process's level is then the highest of its days.
- ``episode`` numbers the alert processes 1, 2, ... (NA outside any).

Timeline (:func:`alert_timeline`)
---------------------------------
An alert issued at the forecast's issue time takes effect ``lead_hours`` later; the days before
carry no measures unless the scenario asks for an early start.  Each day gets ``covered`` and a
text saying at which level and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from planner import ALERT_LEVELS, DATA_DIR, LEVELS
from planner.io.schema_errors import validate
from planner.policy.vocabulary import file_label, load_yaml
from planner.problems import InputError, Problems

if TYPE_CHECKING:
    from pandas.api.typing import NaTType

__all__ = [
    "DAY_LEVELS",
    "DEFAULT_LEAD_HOURS",
    "DEFAULT_RULES",
    "RULES_DIR",
    "Alerts",
    "Condition",
    "RuleFile",
    "RuleSet",
    "alert_levels",
    "alert_processes",
    "alert_timeline",
    "condition_text",
    "evaluate_alerts",
    "evaluate_conditions",
    "load_rules",
]

RULES_DIR: Path = DATA_DIR / "policy" / "alert_rules"
DEFAULT_RULES = "2024"
DAY_LEVELS = ("process", "daily")


# --------------------------------------------------------------------------- schema
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


AqiValue = Annotated[float, Field(ge=0, le=500, allow_inf_nan=False)]


class ConditionSpec(_Strict):
    """``{aqi_above: X, hours: H}`` or ``{aqi_at_least: X, hours: H}``."""

    aqi_above: AqiValue | None = None
    aqi_at_least: AqiValue | None = None
    hours: Annotated[float, Field(gt=0, allow_inf_nan=False)]

    @field_validator("hours")
    @classmethod
    def _whole(cls, v: float) -> float:
        if float(v) % 1 != 0:
            raise ValueError(f"expected whole hours, got {v!r}")
        return v

    @model_validator(mode="after")
    def _one_threshold(self):
        if (self.aqi_above is None) == (self.aqi_at_least is None):
            raise ValueError("give exactly one of 'aqi_above' (strictly greater) or 'aqi_at_least'")
        return self


class AllOf(_Strict):
    """``{all_of: [condition, ...]}``: every condition must be met."""

    all_of: Annotated[list[ConditionSpec], Field(min_length=1)]


def _alternative_kind(value) -> str:
    return "all_of" if isinstance(value, dict) and "all_of" in value else "condition"


Alternative = Annotated[
    Annotated[AllOf, Tag("all_of")] | Annotated[ConditionSpec, Tag("condition")],
    Discriminator(_alternative_kind),
]


class LevelSpec(_Strict):
    """``conditions``: a non-empty list of alternatives (any one triggers the level)."""

    conditions: Annotated[list[Alternative], Field(min_length=1)]


class RuleFile(_Strict):
    """The schema of an alert-rule file (``data/policy/alert_rules/*.yaml``)."""

    name: str | None = None
    source: str | None = None
    levels: Annotated[dict[Literal["yellow", "orange", "red"], LevelSpec], Field(min_length=1)]
    day_levels: Literal["process", "daily"] = "process"
    higher_level_wins: bool = True
    lift_below_hours: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 36.0
    merge_gap_hours: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 48.0
    exclude_primary: list[Literal["SO2", "NO2", "PM10", "CO", "O3", "PM2.5"]] = []


@dataclass(frozen=True)
class Condition:
    """AQI above (or at least) ``threshold`` for a run of at least ``hours``."""

    threshold: float
    hours: float
    strict: bool = True

    def exceeds(self, aqi: np.ndarray) -> np.ndarray:
        """Where ``aqi`` meets the condition's threshold (``>`` when strict, else ``>=``)."""
        return aqi > self.threshold if self.strict else aqi >= self.threshold

    @classmethod
    def from_spec(cls, spec: ConditionSpec) -> Condition:
        """The condition of a validated rule-file entry (``aqi_above`` is strict, ``aqi_at_least`` not)."""
        threshold = spec.aqi_above if spec.aqi_above is not None else spec.aqi_at_least
        if threshold is None:  # the schema asks for exactly one of the two
            raise ValueError("a condition needs aqi_above or aqi_at_least")
        return cls(float(threshold), float(spec.hours), spec.aqi_above is not None)


@dataclass
class RuleSet:
    """A validated alert rule set.

    Attributes
    ----------
    levels : dict
        ``level -> list of alternatives``, each alternative a tuple of :class:`Condition` (all of
        them must hold).
    day_levels : {"process", "daily"}
        How days get their level (see the module notes).
    """

    name: str
    levels: dict[str, list[tuple[Condition, ...]]]
    higher_level_wins: bool = True
    lift_below_hours: float = 36.0
    merge_gap_hours: float = 48.0
    exclude_primary: tuple[str, ...] = ("O3",)
    day_levels: str = "process"
    source: str = ""
    path: Path | None = None
    extra: dict = field(default_factory=dict)

    @property
    def lowest_trigger(self) -> float:
        """The lowest AQI threshold of any condition of any level."""
        return min(c.threshold for alts in self.levels.values() for grp in alts for c in grp)

    @classmethod
    def from_file(cls, spec: RuleFile, path: Path | None = None) -> RuleSet:
        """The rule set of a validated rule file (``path``: where it was read, for messages)."""
        levels: dict[str, list[tuple[Condition, ...]]] = {
            lv: [
                tuple(Condition.from_spec(c) for c in alt.all_of)
                if isinstance(alt, AllOf)
                else (Condition.from_spec(alt),)
                for alt in spec.levels[lv].conditions
            ]
            for lv in ALERT_LEVELS
            if lv in spec.levels
        }
        return cls(
            name=spec.name or (path.stem if path else "rules"),
            levels=levels,
            higher_level_wins=spec.higher_level_wins,
            lift_below_hours=float(spec.lift_below_hours),
            merge_gap_hours=float(spec.merge_gap_hours),
            exclude_primary=tuple(spec.exclude_primary),
            day_levels=spec.day_levels,
            source=spec.source or "",
            path=path,
        )


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
        With every problem, named by file, key path and line, e.g.
        ``alert_rules/2024.yaml: levels.orange.conditions[1].hours``; duplicate keys are errors.
    """
    from planner.io.yamlio import read_yaml

    if isinstance(name_or_path, RuleSet):
        return name_or_path
    path = _resolve(name_or_path if name_or_path is not None else DEFAULT_RULES)
    label = file_label(path)
    if not path.exists() and not path.suffix:
        shipped = ", ".join(sorted(p.stem for p in RULES_DIR.glob("*.yaml")))
        raise InputError.single(
            label, f"unknown rule set {str(name_or_path)!r}; expected one of {shipped} or a YAML file path"
        )
    problems = Problems()
    load_yaml(path, problems, label)  # file not found, syntax, duplicate keys … as problems
    if not problems.ok:
        raise InputError(problems)
    doc = read_yaml(path, label)
    if not isinstance(doc.data, dict):
        raise InputError.single(label, "a rule set must be a mapping with a 'levels' key")
    spec: RuleFile = validate(RuleFile, doc.data, label, doc=doc)
    return RuleSet.from_file(spec, path)


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


def _run_hours(cond: Condition, a: np.ndarray, step_hours: float, breaks: np.ndarray) -> np.ndarray:
    """Hours of the run of steps exceeding ``cond`` that each step lies in (0 where it does not)."""
    exceed = cond.exceeds(np.nan_to_num(a, nan=-1.0))
    _, length = _runs(exceed, breaks)
    return np.where(exceed, length * step_hours, 0.0)


def evaluate_conditions(
    aqi: np.ndarray, counts: np.ndarray, rules: RuleSet, step_hours: float, breaks: np.ndarray
) -> np.ndarray:
    """Level index (0 none … 3 red) of each step judged on its own (``day_levels: daily``).

    A step takes a level when it lies inside runs satisfying one of the level's alternatives;
    see the module notes.  Holding (``higher_level_wins``) is applied afterwards.
    """
    level = np.zeros(len(aqi), dtype=int)
    a = np.where(counts, np.asarray(aqi, dtype=float), np.nan)
    for lv_index, lv in enumerate(LEVELS):
        for group in rules.levels.get(lv, []):
            ok = np.ones(len(a), dtype=bool)
            for cond in group:
                ok &= _run_hours(cond, a, step_hours, breaks) >= cond.hours
            level = np.where(ok, np.maximum(level, lv_index), level)
    return level


def condition_text(
    group: tuple[Condition, ...], lang: str = "en", observed: list[float] | None = None
) -> str:
    """A level alternative as text, e.g. ``AQI>200 for ≥72 h and >300 for ≥24 h``.

    Parameters
    ----------
    group : tuple of Condition
        One alternative (all of its conditions must hold).
    lang : {"en", "zh"}
    observed : list of float, optional
        The longest run (hours) of each condition in a process: gives the observed text instead,
        e.g. ``AQI>200 for 96 h, >300 for 24 h``.
    """
    parts = []
    for i, cond in enumerate(group):
        op = ">" if cond.strict else "≥"
        head = f"{'AQI' if i == 0 else ''}{op}{cond.threshold:g}"
        if observed is not None:
            hours = f"{observed[i]:g}"
            parts.append(f"{head} 持续 {hours} 小时" if lang == "zh" else f"{head} for {hours} h")
        else:
            parts.append(
                f"{head} 持续≥{cond.hours:g} 小时" if lang == "zh" else f"{head} for ≥{cond.hours:g} h"
            )
    sep = ("，" if lang == "zh" else ", ") if observed is not None else ("且" if lang == "zh" else " and ")
    return sep.join(parts)


def _process_ids(
    trigger: np.ndarray, hours: np.ndarray, step: float, rules: RuleSet
) -> tuple[np.ndarray, np.ndarray]:
    """Process number of each step (0 outside) and whether the alert is in force on it.

    A process runs from its first to its last trigger step; trigger steps separated by fewer
    than ``merge_gap_hours`` hours without a trigger belong to one process.  Inside a process the
    alert stays in force across a gap of at most ``lift_below_hours`` hours and is lifted (steps
    not in force) across a longer one.
    """
    n = len(trigger)
    pid = np.zeros(n, dtype=int)
    idx = np.flatnonzero(trigger)
    if idx.size == 0:
        return pid, np.zeros(n, dtype=bool)
    gap = np.diff(hours[idx]) - step  # hours without a trigger step between consecutive trigger steps
    new = np.concatenate([[True], gap >= rules.merge_gap_hours])
    firsts, lasts = idx[new], idx[np.concatenate([new[1:], [True]])]
    for k, (a, b) in enumerate(zip(firsts, lasts, strict=True), start=1):
        pid[a : b + 1] = k
    in_force = pid > 0
    for j in np.flatnonzero(~new[1:] & (gap > rules.lift_below_hours)):
        in_force[idx[j] + 1 : idx[j + 1]] = False
    return pid, in_force


def _best_alternative(
    rules: RuleSet, run_hours: dict, a: int, b: int, at_most: int = len(LEVELS) - 1
) -> tuple[int, tuple[Condition, ...] | None, list[float]]:
    """Highest level (up to ``at_most``) one of whose alternatives steps ``a..b`` meet as a whole."""
    best: tuple[int, tuple[Condition, ...] | None, list[float]] = (0, None, [])
    for lv_index, lv in enumerate(LEVELS[: at_most + 1]):
        for group in rules.levels.get(lv, []):
            longest = [float(run_hours[c][a : b + 1].max()) for c in group]
            if all(h >= c.hours for h, c in zip(longest, group, strict=True)):
                best = (lv_index, group, longest)
                break
    return best


_PROCESS_COLUMNS = (
    "process",
    "start",
    "end",
    "hours",
    "level",
    "condition",
    "condition_zh",
    "observed",
    "max_aqi",
)


def _no_processes() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in _PROCESS_COLUMNS})


@dataclass
class Alerts:
    """The alert levels of a forecast: per step and per process.

    Attributes
    ----------
    days : pandas.DataFrame
        One row per day (or hour), as :func:`alert_levels` returns it.
    processes : pandas.DataFrame
        One row per alert process: ``process`` (the ``episode`` number of its steps), ``start``,
        ``end`` (first and last step), ``hours`` (its length), ``level``, ``condition`` /
        ``condition_zh`` (the rule alternative met, e.g. ``AQI>200 for ≥72 h and >300 for
        ≥24 h``), ``observed`` (the longest runs, e.g. ``AQI>200 for 96 h, >300 for 24 h``) and
        ``max_aqi``.
    rules : RuleSet
    step_hours : float
        24 for daily series, 1 for hourly ones.
    """

    days: pd.DataFrame
    processes: pd.DataFrame
    rules: RuleSet
    step_hours: float = 24.0


def evaluate_alerts(daily: pd.DataFrame, rules: RuleSet | str | Path | None = None) -> Alerts:
    """Alert level of every step and of every process of a forecast (see the module notes).

    Parameters
    ----------
    daily : pandas.DataFrame
        Columns ``date`` (one row per day; or ``time`` with hourly rows), ``aqi``,
        ``primary_pollutant``; optional boolean ``dust``.  Other columns are kept.
    rules : RuleSet, str or Path, optional
        Default the 2024 rules.

    Returns
    -------
    Alerts
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
        out["condition"] = pd.Series([], dtype=object)
        return Alerts(out, _no_processes(), rules)
    times = pd.to_datetime(out[tcol])
    step, breaks = _step_hours(times)
    hours = (times.to_numpy() - times.to_numpy()[0]) / np.timedelta64(1, "h")
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
    a = np.where(counts, aqi, np.nan)
    conditions = {c for alts in rules.levels.values() for group in alts for c in group}
    run_hours = {c: _run_hours(c, a, step, breaks) for c in conditions}
    trigger = np.zeros(n, dtype=bool)
    for c in conditions:
        trigger |= run_hours[c] > 0
    pid, in_force = _process_ids(trigger, hours, step, rules)
    n_proc = int(pid.max())

    if rules.day_levels == "daily":
        level = evaluate_conditions(aqi, counts, rules, step, breaks)
        if rules.higher_level_wins:
            level = _hold(level, pid, rules.lift_below_hours / step)
        proc_level = np.array([0] + [int(level[pid == k].max()) for k in range(1, n_proc + 1)])
    else:
        proc_level = np.zeros(n_proc + 1, dtype=int)
    records: list[dict[str, Any]] = []
    number = np.zeros(n_proc + 1, dtype=int)  # process k -> episode number (alert processes only)
    cond_of = np.full(n_proc + 1, "", dtype=object)
    for k in range(1, n_proc + 1):
        where = np.flatnonzero(pid == k)
        first, last = int(where[0]), int(where[-1])
        at_most = int(proc_level[k]) if rules.day_levels == "daily" else len(LEVELS) - 1
        lv, group, longest = _best_alternative(rules, run_hours, first, last, at_most)
        proc_level[k] = lv
        if lv == 0 or group is None:
            continue
        number[k] = len(records) + 1
        cond_of[k] = condition_text(group)
        records.append(
            {
                "process": number[k],
                "start": times.iloc[first],
                "end": times.iloc[last],
                "hours": float(hours[last] - hours[first] + step),
                "level": LEVELS[lv],
                "condition": cond_of[k],
                "condition_zh": condition_text(group, "zh"),
                "observed": condition_text(group, observed=longest),
                "max_aqi": int(np.nanmax(a[first : last + 1])),
            }
        )
    if rules.day_levels != "daily":
        level = np.where(in_force, proc_level[pid], 0)
    episode = number[pid]
    out["level"] = np.array(LEVELS, dtype=object)[level]
    out["episode"] = pd.array(episode, dtype="Int64")
    out.loc[episode == 0, "episode"] = pd.NA
    out["advisory"] = excluded & (np.nan_to_num(aqi, nan=-1) > rules.lowest_trigger) & (level == 0)
    out["condition"] = cond_of[np.where(episode > 0, pid, 0)]
    processes = pd.DataFrame(records, columns=list(_PROCESS_COLUMNS)) if records else _no_processes()
    return Alerts(out, processes, rules, step)


def alert_levels(daily: pd.DataFrame, rules: RuleSet | str | Path | None = None) -> pd.DataFrame:
    """Alert level and process of every day (or hour) of a forecast.

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
        The input columns plus ``level`` (none|yellow|orange|red), ``episode`` (Int64: the
        number of the alert process the step belongs to, NA outside), ``advisory`` (bool: above
        a trigger but excluded, e.g. O3-only) and ``condition`` (the rule alternative its process
        meets, "" outside).
    """
    return evaluate_alerts(daily, rules).days


def alert_processes(daily: pd.DataFrame, rules: RuleSet | str | Path | None = None) -> pd.DataFrame:
    """The alert processes of a forecast (see :class:`Alerts`)."""
    return evaluate_alerts(daily, rules).processes


def _hold(level: np.ndarray, episode: np.ndarray, max_dip_steps: float) -> np.ndarray:
    """Raise short dips flanked by higher levels within an episode (``day_levels: daily``)."""
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


# --------------------------------------------------------------------------- timeline
#: Default time between issuing an alert and its taking effect (alerts are issued >= 24 h ahead).
DEFAULT_LEAD_HOURS = 24.0


def _hm(t: pd.Timestamp | NaTType) -> str:
    # NaT: an empty series without an issue time has no moment to name
    return t.strftime("%m-%d %H:%M") if isinstance(t, pd.Timestamp) else "-"


def alert_timeline(
    alerts: Alerts,
    issue_time: pd.Timestamp | str | None = None,
    lead_hours: float = DEFAULT_LEAD_HOURS,
    early_start_days: int = 0,
) -> pd.DataFrame:
    """Which forecast days carry measures, at which level, and why.

    An alert issued at ``issue_time`` takes effect ``lead_hours`` later (``alert_from``).  A day
    is covered when it is at an alert level and the alert is in force from its start (00:00):
    a day on which the alert takes effect part-way is not counted, so that no day is credited
    with reductions it cannot deliver.  With ``early_start_days`` = N the N days before the
    first covered day are covered as well (the bureau asks for measures before the lead time
    has passed), provided they start after the issue time; days before the forecast was issued
    are never covered.

    Parameters
    ----------
    alerts : Alerts
        A daily series evaluated by :func:`evaluate_alerts`.
    issue_time : Timestamp or str, optional
        When the forecast was issued (local time).  Default: the start of the first forecast
        day minus ``lead_hours``, so that every day can be covered.
    lead_hours : float, default 24
    early_start_days : int, default 0

    Returns
    -------
    pandas.DataFrame
        ``alerts.days`` plus ``process_level`` (the level of the day's process, "none"
        outside), ``covered`` (bool), ``coverage`` and ``coverage_zh`` (why, e.g. ``process 1
        red: AQI>200 for ≥72 h and >300 for ≥24 h`` or ``… — before the alert can take effect
        (issued 12-10 08:00 + 24 h)``).  ``attrs["timeline"]`` holds ``issue_time``,
        ``issue_time_assumed``, ``lead_hours``, ``early_start_days`` and ``alert_from``
        (ISO texts).

    Raises
    ------
    ValueError
        For an hourly series, a negative lead or a negative number of early days.
    """
    from planner.policy.vocabulary import LEVEL_ZH

    if lead_hours < 0 or early_start_days < 0:
        raise ValueError("lead_hours and early_start_days must be >= 0")
    days = alerts.days.copy()
    if "date" not in days.columns or (len(days) > 1 and alerts.step_hours != 24.0):
        raise ValueError("the alert timeline needs a daily series (column 'date')")
    start = pd.to_datetime(days["date"]).dt.normalize()
    lead = pd.Timedelta(hours=float(lead_hours))
    assumed = issue_time is None
    issue: pd.Timestamp | NaTType
    if issue_time is not None:
        issue = pd.Timestamp(issue_time)
    elif len(days):
        issue = start.min() - lead
    else:
        issue = pd.NaT
    alert_from = issue + lead
    procs = alerts.processes.set_index("process") if len(alerts.processes) else None
    level = days["level"].astype(str).to_numpy()
    episode = days["episode"].to_numpy(dtype=float, na_value=np.nan)
    plevel = np.full(len(days), "none", dtype=object)
    in_proc = ~np.isnan(episode)
    if procs is not None and in_proc.any():
        plevel[in_proc] = procs.loc[episode[in_proc].astype(int), "level"].to_numpy()
    alert = level != "none"
    # pandas-stubs: Series comparisons do not accept NaTType (valid at run time: all False)
    full = alert & (start >= alert_from).to_numpy()  # type: ignore[operator]
    first_full = start[full].min() if full.any() else (alert_from.ceil("D") if len(days) else pd.NaT)
    early = (
        alert
        & ~full
        & (start >= first_full - pd.Timedelta(days=int(early_start_days))).to_numpy()  # type: ignore[operator]
        & (start < first_full).to_numpy()  # type: ignore[operator]
        & (start >= issue).to_numpy()  # type: ignore[operator]
    )
    issued = f"issued {_hm(issue)}{' (assumed)' if assumed else ''} + {lead_hours:g} h"
    issued_zh = f"{_hm(issue)}{'（推定）' if assumed else ''}发布 + {lead_hours:g} 小时"
    lift = alerts.rules.lift_below_hours
    en, zh = [], []
    for i in range(len(days)):
        if in_proc[i] and procs is not None:  # an episode number implies its process row
            k = int(episode[i])
            p = procs.loc[k]
            base = f"process {k} {plevel[i]}: {p['condition']}"
            base_zh = f"过程{k} {LEVEL_ZH[plevel[i]]}：{p['condition_zh']}"
            if alert[i] and level[i] != plevel[i]:
                base += f"; this day {level[i]} (day levels judged day by day)"
                base_zh += f"；当日{LEVEL_ZH[level[i]]}（逐日判定）"
        if not alert[i]:
            if in_proc[i]:
                en.append(f"process {k}: alert lifted in between (below the trigger for > {lift:g} h)")
                zh.append(f"过程{k}：期间预警解除（低于启动条件超过 {lift:g} 小时）")
            elif bool(days["advisory"].iloc[i]):
                en.append("advisory only (O3 or dust): no production cuts")
                zh.append("仅健康提示（臭氧或沙尘），不停限产")
            else:
                en.append("no alert")
                zh.append("无预警")
        elif full[i]:
            en.append(base)
            zh.append(base_zh)
        elif early[i]:
            en.append(f"{base} — early start before the alert takes effect ({issued})")
            zh.append(f"{base_zh}——提前启动，早于预警生效（{issued_zh}）")
        elif start.iloc[i] < issue:
            en.append(f"{base} — not covered: before the forecast was issued ({_hm(issue)})")
            zh.append(f"{base_zh}——不执行：早于预报发布时间（{_hm(issue)}）")
        else:
            en.append(f"{base} — not covered: before the alert can take effect ({issued})")
            zh.append(f"{base_zh}——不执行：预警尚未生效（{issued_zh}）")
    days["process_level"] = plevel
    days["covered"] = full | early
    days["coverage"] = en
    days["coverage_zh"] = zh
    days.attrs["timeline"] = {
        "issue_time": None if pd.isna(issue) else issue.isoformat(),
        "issue_time_assumed": bool(assumed),
        "lead_hours": float(lead_hours),
        "early_start_days": int(early_start_days),
        "alert_from": None if pd.isna(alert_from) else alert_from.isoformat(),
    }
    return days
