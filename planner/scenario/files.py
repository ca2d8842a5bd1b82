"""Scenario files: what to plan, on which data, under which rules and options.

A scenario is a YAML file (see ``scenarios/``), read by the project's one YAML loader
(:mod:`planner.io.yamlio`: duplicate keys are errors) and validated, file by file of its
``base:`` chain, against :class:`planner.scenario.schema.ScenarioFile`: an unknown or misspelt
key is an error naming the file, key path and line with the closest valid key; a value of the
wrong type or out of range (``exempt: 'no'``, ``presolve: maybe``, ``county_loss_cap: 1.5``) is
an error too - never silently read as something else.

Paths inside the file (``inventory``, ``city``, ``forecast``, ``measures``, ``base`` and
``rules`` when it is a file rather than a shipped rule set) are resolved relative to the file -
never the current directory - and checked *before anything is read*: a relative path may not lead
outside the project's ``scenarios``/``data`` folders (for a scenario kept elsewhere: outside its
own folder); write an absolute path to use a file elsewhere on purpose (:func:`path_roots`).
A scenario may name another with ``base:`` and override only what differs (chains allowed;
cycles and missing bases are errors); mappings are merged key by key, everything else replaces
the base's value.

Example::

    name: demo_list
    description: Autumn list for the demo city
    inventory: ../data/demo_city/enterprises.csv
    city: ../data/demo_city/city.yaml
    mode: list
    alert_days: {yellow: 8, orange: 5, red: 3}
    shares: {orange: {NOx: 0.4}}
    enterprises:
      E00012: {grade: B}
      E00013: {exempt: true}
    options: {discrete: false, grade_monotonicity: true}
    solver: {backend: highs, time_limit: 60}
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.io.schema_errors import validate
from planner.io.yamlio import YamlDoc, parse_yaml, read_yaml_text
from planner.problems import InputError, Problems
from planner.scenario.schema import (
    METHODS,
    MODES,
    OPTION_DEFAULTS,
    SOLVER_DEFAULTS,
    EnterpriseOverride,
    NonIndustrial,
    ScenarioFile,
)

#: Top-level keys -> type description (for messages) of a scenario file.
TOP_KEYS: dict[str, str] = {
    "name": "text",
    "description": "text",
    "base": "path of the scenario this one overrides",
    "inventory": "path of the enterprise list (CSV/XLSX)",
    "city": "path of city.yaml (city-wide totals, stations)",
    "mode": "list | episode",
    "forecast": "path of the forecast (netCDF/CSV), episode mode",
    "alert_days": "expected alert days per level per season, list mode",
    "rules": "alert rule set: 2024 | 2017 | path",
    "aqi_standard": "2012 | 2026",
    "percentile": "ensemble percentile to plan for (null = ensemble mean)",
    "shares": "reduction share overrides per level (and pollutant)",
    "measures": "path of a measures folder replacing data/policy/measures",
    "plants": "path of a plants file: the bureau's own measures per enterprise (一厂一策)",
    "menus": "path of a menus file: measure options per level of plant-by-plant firms (措施菜单)",
    "lines": "path of a lines table: one row per production line or process (CSV/XLSX)",
    "non_industrial": "fixed non-industrial reductions credited per level",
    "enterprises": "per-enterprise overrides",
    "options": "model options",
    "solver": "solver options",
    "timeline": "episode mode: {lead_hours: 24, early_start_days: 0, response_delay: true}",
    "ensemble": "episode mode, ensemble forecast: {chance: 0.8} = meet the targets in >= 80 % of members",
    "air_quality": "air quality: {source_receptor: FILE, goal: {delta_pm25_city: X}}",
}
assert set(TOP_KEYS) == set(ScenarioFile.model_fields), "TOP_KEYS and ScenarioFile must list the same keys"
#: ``options`` keys and their defaults.
OPTION_KEYS: dict[str, Any] = dict(OPTION_DEFAULTS)
#: ``solver`` keys and their defaults.
SOLVER_KEYS: dict[str, Any] = dict(SOLVER_DEFAULTS)
ENTERPRISE_KEYS = set(EnterpriseOverride.model_fields)
NON_INDUSTRIAL_KEYS = set(NonIndustrial.model_fields)
#: Keys whose values are always paths, resolved relative to the scenario file.
PATH_KEYS = ("inventory", "city", "forecast", "measures", "plants", "menus", "lines", "base")
#: ``options.method``: the optimised plan, or one of the baselines planned on purpose.
METHODS_ALLOWED = METHODS
#: ``timeline``: hours from the forecast's issue time until an alert takes effect; days of early start;
#: whether measures are credited only once in force (response delays of the measure types).
TIMELINE_KEYS: dict[str, Any] = {"lead_hours": 24.0, "early_start_days": 0, "response_delay": True}
#: ``ensemble``: chance share (None: no chance constraint) and its formulation.
ENSEMBLE_KEYS: dict[str, Any] = {"chance": None, "formulation": "auto"}
#: Suffixes of the YAML files a scenario may name (``base``, ``city``, ``rules``).
YAML_SUFFIXES = (".yaml", ".yml")
#: Default alert days of a list scenario that gives none.
DEFAULT_ALERT_DAYS = {"yellow": 8, "orange": 5, "red": 3}


@dataclass
class Scenario:
    """A resolved scenario: every path absolute, every option filled in.

    Attributes mirror the YAML keys; ``raw`` keeps the merged mapping (after inheritance)
    and ``chain`` the files it came from, base first.  ``rules`` is a shipped rule-set name
    (``"2024"``) or the absolute path of a rule file.
    """

    name: str
    file: Path
    inventory: Path
    city: Path
    mode: str = "list"
    description: str = ""
    forecast: Path | None = None
    alert_days: dict[str, float] = field(default_factory=dict)
    rules: str = "2024"
    aqi_standard: str = "2026"
    percentile: float | None = None
    shares: dict = field(default_factory=dict)
    measures: Path | None = None
    plants: Path | None = None
    menus: Path | None = None
    lines: Path | None = None
    non_industrial: list[dict] = field(default_factory=list)
    enterprises: dict[str, dict] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=lambda: dict(OPTION_KEYS))
    solver: dict[str, Any] = field(default_factory=lambda: dict(SOLVER_KEYS))
    timeline: dict[str, Any] = field(default_factory=lambda: dict(TIMELINE_KEYS))
    ensemble: dict[str, Any] = field(default_factory=lambda: dict(ENSEMBLE_KEYS))
    raw: dict = field(default_factory=dict)
    chain: list[Path] = field(default_factory=list)
    #: ``air_quality``: ``source_receptor`` (absolute path) and ``goal`` (docs/AIR_QUALITY.md).
    air_quality: dict[str, Any] = field(default_factory=dict)


def read_text(path: Path, what: str = "scenario file") -> str:
    """The UTF-8 text of a scenario file; a missing, oversized or undecodable file is an :class:`InputError`."""
    return read_yaml_text(path, str(path), what)


def _read_yaml(path: Path) -> tuple[dict, YamlDoc]:
    doc = parse_yaml(read_text(path), str(path))
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        raise InputError.single(str(path), "a scenario must be a mapping of keys to values")
    return data, doc


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# --- paths: resolved from the file, contained, checked before anything is read ------------------
def path_roots(folder: Path) -> list[Path]:
    """Folders a *relative* path in a scenario file kept in ``folder`` may lead into.

    For a scenario under a ``scenarios`` folder (at any depth) these are that ``scenarios`` folder
    and the ``data`` folder beside it; for a scenario anywhere else, its own folder (and below).
    Absolute paths are taken as given on purpose and are not restricted.
    """
    folder = Path(folder).resolve()
    for p in (folder, *folder.parents):
        if p.name == "scenarios":
            return [p, p.parent / "data"]
    return [folder]


def shipped_rule_sets() -> list[str]:
    """Names of the alert rule sets shipped in ``data/policy/alert_rules`` (``2017``, ``2024``)."""
    from planner.policy.alerts import RULES_DIR

    return sorted(p.stem for p in RULES_DIR.glob("*.yaml"))


def rules_is_path(value: object) -> bool:
    """True when a scenario's ``rules:`` value names a file rather than a shipped rule set."""
    return isinstance(value, str) and value not in shipped_rule_sets()


def scenario_path_keys(data: dict) -> tuple[str, ...]:
    """The keys of a scenario mapping whose values are paths (``rules`` only when it is one)."""
    return (*PATH_KEYS, "rules") if rules_is_path(data.get("rules")) else PATH_KEYS


def _resolve_path(
    key: str, value: str, folder: Path, file: str, doc: YamlDoc, problems: Problems
) -> str | None:
    """The absolute path of one path value, or None (with a problem) when it leads outside the roots."""
    p = Path(value)
    if key == "rules" and p.suffix.lower() not in YAML_SUFFIXES:
        problems.error(
            file,
            doc.line((key,)),
            key,
            f"rules must be a shipped rule set ({', '.join(shipped_rule_sets())}) or the path of a rule "
            f"file (.yaml); got {value!r}",
        )
        return None
    if key in ("base", "city") and p.suffix.lower() not in YAML_SUFFIXES:
        what = "the scenario this one overrides" if key == "base" else "the city file"
        problems.error(
            file, doc.line((key,)), key, f"{key} must be the path of {what} (.yaml); got {value!r}"
        )
        return None
    if p.is_absolute():
        return str(p)
    target = (folder / p).resolve()
    roots = path_roots(folder)
    if not any(target == r or r in target.parents for r in roots):
        where = " or ".join(str(r) for r in roots)
        problems.error(
            file,
            doc.line((key,)),
            key,
            f"{key!r} path {value!r} leads outside the project's folders ({where}); "
            "write it as an absolute path if you mean that file",
        )
        return None
    return str(target)


def _bad_top_keys(problems: Problems, start: int) -> set[str]:
    return {str(p.column).split(".")[0].split("[")[0] for p in problems.items[start:] if p.column}


def load_raw(
    path: str | Path, problems: Problems | None = None, _seen: tuple[Path, ...] = ()
) -> tuple[dict, list[Path]]:
    """Read a scenario and its ``base:`` chain, each file validated, merged, with paths made absolute.

    A file's problems (unknown keys, bad values, paths leading outside the project) are added to
    ``problems`` (raised at once when ``problems`` is None) and the keys concerned are left out of
    the merge; a ``base:`` is read only once its path is known to be valid and contained.  Missing
    files, invalid YAML and cycles raise :class:`InputError` at once.

    Returns
    -------
    (dict, list of Path)
        The merged mapping and the files it came from, base first.
    """
    own = problems is None
    problems = Problems() if own else problems
    path = Path(path).resolve()
    file = str(path)
    if path in _seen:
        cycle = " -> ".join(str(p.name) for p in (*_seen, path))
        raise InputError.single(file, f"scenario inheritance cycle: {cycle}", column="base")
    raw, doc = _read_yaml(path)
    start = len(problems.items)
    try:
        validate(ScenarioFile, raw, file, doc=doc)
    except InputError as exc:
        problems.extend(exc.problems)
    _check_sector_shares(raw, file, doc, problems)
    bad = _bad_top_keys(problems, start)
    data = {k: v for k, v in raw.items() if k in TOP_KEYS and k not in bad and v is not None}
    for key in scenario_path_keys(data):
        if key in data:
            resolved = _resolve_path(key, data[key], path.parent, file, doc, problems)
            if resolved is None:
                data.pop(key)
            else:
                data[key] = resolved
    aq = data.get("air_quality")
    if isinstance(aq, dict) and isinstance(aq.get("source_receptor"), str):
        key = "air_quality.source_receptor"
        resolved = _resolve_path(key, aq["source_receptor"], path.parent, file, doc, problems)
        data["air_quality"] = {k: v for k, v in aq.items() if k != "source_receptor"}
        if resolved is not None:
            data["air_quality"]["source_receptor"] = resolved
    base = data.pop("base", None)
    if base is None:
        merged, chain = data, [path]
    elif not Path(base).is_file():
        problems.error(file, doc.line(("base",)), "base", f"base scenario {base} does not exist")
        merged, chain = data, [path]
    else:
        base_data, base_chain = load_raw(base, problems, (*_seen, path))
        merged, chain = _merge(base_data, data), [*base_chain, path]
    if own and not problems.ok:
        raise InputError(problems)
    return merged, chain


def _check_sector_shares(raw: dict, file: str, doc: YamlDoc, problems: Problems) -> None:
    """With a ``sector``, a non-industrial measure's reductions are shares (0-1) of that sector."""
    items = raw.get("non_industrial")
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get("sector") is None:
            continue
        for level, per in (
            (item.get("reductions") or {}).items() if isinstance(item.get("reductions"), dict) else []
        ):
            if not isinstance(per, dict):
                continue
            for pol, x in per.items():
                if isinstance(x, int | float) and not isinstance(x, bool) and x > 1:
                    loc = ("non_industrial", i, "reductions", level, pol)
                    problems.error(
                        file,
                        doc.line(loc),
                        f"non_industrial[{i}].reductions.{level}.{pol}",
                        f"with a sector, reductions are shares of that sector's emissions (0-1); got {x:g}",
                    )


def _as_path(value, key, file, problems, required) -> Path | None:
    if value is None or value == "":
        if required:
            problems.error(file, None, key, f"{key!r} is required ({TOP_KEYS[key]})")
        return None
    p = Path(value)
    try:
        found = p.exists()
    except OSError as exc:  # e.g. a name longer than the file system allows
        problems.error(file, None, key, f"{key!r} is not a usable path ({exc.strerror or exc})")
        return None
    if not found:
        problems.error(file, None, key, f"{key!r} points to {p}, which does not exist")
    return p


def _check_shares(shares: dict, file: str, problems: Problems) -> None:
    """The scenario's share overrides on top of ``data/policy/shares.yaml`` may not decrease by level."""
    from planner.targets.reductions import load_shares

    if not shares:
        return
    try:
        load_shares(overrides=shares, overrides_label=file)
    except InputError as exc:
        problems.extend(exc.problems)


def _check_lock_order(enterprises: dict, file: str, problems: Problems) -> None:
    """In a list a firm's cut may not fall from yellow to orange to red, so neither may its lock."""
    from planner import ALERT_LEVELS

    for eid, ov in enterprises.items():
        lock = ov.lock
        if not isinstance(lock, dict):
            continue
        given = [(lv, lock[lv]) for lv in ALERT_LEVELS if lv in lock]
        for (lo, a), (hi, b) in itertools.pairwise(given):
            if b < a:
                problems.error(
                    file,
                    None,
                    f"enterprises.{eid}.lock.{hi}",
                    f"the {hi} lock {b:g} is lower than the {lo} lock {a:g}: in a list a firm's cut may not "
                    "fall from yellow to orange to red",
                )


def load_scenario(path: str | Path) -> Scenario:
    """Load, validate, merge (``base:``) and resolve a scenario file.

    Raises
    ------
    InputError
        With every problem found (unknown keys with the closest valid key, values of the wrong
        type or out of range, paths leading outside the project, missing files), each naming the
        file, key path and, where it is written, the line.
    """
    path = Path(path).resolve()
    problems = Problems()
    data, chain = load_raw(path, problems)
    if not problems.ok:
        raise InputError(problems)
    return scenario_from_data(data, chain, path)


def scenario_from_data(data: dict, chain: list[Path], path: Path, name: str | None = None) -> Scenario:
    """Build the :class:`Scenario` of a merged mapping whose paths are already absolute.

    :func:`load_scenario` calls it on a file's merged ``base:`` chain; a region scenario
    (:mod:`planner.scenario.region`) on each city's keys.

    Raises
    ------
    InputError
        Missing required paths, files that do not exist, bad shares or lock orders.
    """
    file = str(path)
    problems = Problems()
    merged = validate(ScenarioFile, data, file)

    mode = merged.mode or "list"
    inventory = _as_path(data.get("inventory"), "inventory", file, problems, True)
    city = _as_path(data.get("city"), "city", file, problems, True)
    forecast = _as_path(data.get("forecast"), "forecast", file, problems, mode == "episode")
    measures = _as_path(data.get("measures"), "measures", file, problems, False)
    plants = _as_path(data.get("plants"), "plants", file, problems, False)
    menus = _as_path(data.get("menus"), "menus", file, problems, False)
    lines = _as_path(data.get("lines"), "lines", file, problems, False)
    air_quality = merged.air_quality.model_dump(exclude_none=True) if merged.air_quality else {}
    goal = air_quality.get("goal")
    if goal is not None and goal.get("delta_pm25_city") is None and goal.get("delta_pm25_station") is None:
        problems.error(
            file,
            None,
            "air_quality.goal",
            "a goal needs delta_pm25_city and/or delta_pm25_station (µg/m³ on each alert day)",
        )
    if air_quality.get("source_receptor"):
        air_quality["source_receptor"] = _as_path(
            air_quality["source_receptor"], "air_quality.source_receptor", file, problems, False
        )
    rules = merged.rules or "2024"
    if rules_is_path(rules):
        _as_path(rules, "rules", file, problems, True)
    shares = data.get("shares") or {}
    _check_shares(shares, file, problems)
    if mode == "list":
        _check_lock_order(merged.enterprises or {}, file, problems)
    if merged.ensemble is not None and merged.ensemble.chance is not None and mode != "episode":
        problems.error(
            file,
            None,
            "ensemble.chance",
            "ensemble.chance needs mode: episode (a chance constraint is over the forecast's members per day)",
        )
    if not problems.ok:
        raise InputError(problems)

    options = dict(OPTION_KEYS)
    options.update(merged.options.model_dump(exclude_unset=True) if merged.options else {})
    solver = dict(SOLVER_KEYS)
    solver.update(merged.solver.model_dump(exclude_unset=True) if merged.solver else {})
    enterprises = {
        str(eid): ov.model_dump(exclude_unset=True) for eid, ov in (merged.enterprises or {}).items()
    }
    non_industrial = [item.model_dump(exclude_unset=True) for item in merged.non_industrial or []]
    alert_days = merged.alert_days or ({} if mode == "episode" else dict(DEFAULT_ALERT_DAYS))
    timeline = {
        **TIMELINE_KEYS,
        **(merged.timeline.model_dump(exclude_unset=True) if merged.timeline else {}),
    }
    return Scenario(
        name=str(name or merged.name or path.stem),
        file=path,
        inventory=inventory,
        city=city,
        mode=mode,
        description=str(merged.description or ""),
        forecast=forecast,
        alert_days={k: float(v) for k, v in alert_days.items()},
        rules=str(rules),
        aqi_standard=str(merged.aqi_standard or "2026"),
        percentile=merged.percentile,
        shares=shares,
        measures=measures,
        plants=plants,
        menus=menus,
        lines=lines,
        non_industrial=non_industrial,
        enterprises=enterprises,
        options=options,
        solver=solver,
        timeline=timeline,
        ensemble={
            **ENSEMBLE_KEYS,
            **(merged.ensemble.model_dump(exclude_unset=True) if merged.ensemble else {}),
        },
        raw=data,
        chain=chain,
        air_quality=air_quality,
    )


__all__ = [
    "MODES",
    "OPTION_KEYS",
    "PATH_KEYS",
    "SOLVER_KEYS",
    "TOP_KEYS",
    "Scenario",
    "load_raw",
    "load_scenario",
    "path_roots",
    "read_text",
    "rules_is_path",
    "scenario_from_data",
    "scenario_path_keys",
    "shipped_rule_sets",
]
