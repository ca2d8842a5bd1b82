"""Scenario files: what to plan, on which data, under which rules and options.

A scenario is a YAML file (see ``scenarios/``).  Keys are checked strictly: an unknown or
misspelt key is an error that names the key, the file and the closest valid key.  Paths inside
the file are resolved relative to the file; a relative path may not lead outside the project's
``scenarios``/``data`` folders (for a scenario kept elsewhere: outside its own folder) — write an
absolute path to use a file elsewhere on purpose (:func:`path_roots`).  A scenario may name
another with ``base:`` and override only what differs (chains allowed; cycles and missing bases
are errors); mappings are merged key by key, everything else replaces the base's value.

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

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner import ALERT_LEVELS, POLLUTANTS
from planner.io.yamlio import parse_yaml, read_yaml_text
from planner.problems import InputError, Problems

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
    "non_industrial": "fixed non-industrial reductions credited per level",
    "enterprises": "per-enterprise overrides",
    "options": "model options",
    "solver": "solver options",
}
OPTION_KEYS = {
    "method": "optimal",
    "discrete": False,
    "allow_volunteer": False,
    "grade_monotonicity": False,
    "county_loss_cap": None,
    "firm_loss_cap": None,
    "toggle_allowed": False,
    "shortfall_penalty": None,
}
SOLVER_KEYS = {
    "backend": "highs",
    "solver": "highs",
    "time_limit": 120.0,
    "mip_gap": 0.005,
    "presolve": "auto",
}
ENTERPRISE_KEYS = {"grade", "exempt", "ceiling", "lock", "control_type", "load_cap"}
NON_INDUSTRIAL_KEYS = {"name", "sector", "reductions", "loss"}
MODES = ("list", "episode")
#: Keys whose values are paths, resolved relative to the scenario file.
PATH_KEYS = ("inventory", "city", "forecast", "measures", "base")
#: ``options.method``: the optimised plan, or one of the baselines planned on purpose.
METHODS_ALLOWED = ("optimal", "uniform", "same_share", "equal_tonnes", "greedy", "rules_only")


@dataclass
class Scenario:
    """A resolved scenario: every path absolute, every option filled in.

    Attributes mirror the YAML keys; ``raw`` keeps the merged mapping (after inheritance)
    and ``chain`` the files it came from, base first.
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
    non_industrial: list[dict] = field(default_factory=list)
    enterprises: dict[str, dict] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=lambda: dict(OPTION_KEYS))
    solver: dict[str, Any] = field(default_factory=lambda: dict(SOLVER_KEYS))
    raw: dict = field(default_factory=dict)
    chain: list[Path] = field(default_factory=list)


def _suggest(key: str, valid) -> str:
    close = difflib.get_close_matches(str(key), list(valid), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(sorted(valid))}"


def _check_keys(mapping: dict, valid, where: str, file: str, problems: Problems) -> None:
    for key in mapping:
        if key not in valid:
            problems.error(file, None, f"{where}{key}", f"unknown key {key!r}{_suggest(key, valid)}")


def read_text(path: Path, what: str = "scenario file") -> str:
    """The UTF-8 text of a scenario file; a missing, oversized or undecodable file is an :class:`InputError`."""
    return read_yaml_text(path, str(path), what)


def _read_yaml(path: Path) -> dict:
    data = parse_yaml(read_text(path), str(path)).data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError.single(str(path), "a scenario must be a mapping of keys to values")
    return data


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# --- path containment (issue 5): relative paths stay inside the project's scenario/data folders ---
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


def _check_contained(data: dict, folder: Path, file: str, problems: Problems) -> None:
    roots = path_roots(folder)
    for key in PATH_KEYS:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip() or Path(value).is_absolute():
            continue
        target = (Path(folder) / value).resolve()
        if not any(target == r or r in target.parents for r in roots):
            where = " or ".join(str(r) for r in roots)
            problems.error(
                file,
                None,
                key,
                f"{key!r} path {value!r} leads outside the project's folders ({where}); "
                "write it as an absolute path if you mean that file",
            )


def _resolve_paths(data: dict, folder: Path) -> dict:
    """Make the path-valued keys of one file absolute, relative to that file's folder."""
    out = dict(data)
    for key in PATH_KEYS:
        value = out.get(key)
        if isinstance(value, str) and value.strip():
            p = Path(value)
            out[key] = str(p if p.is_absolute() else (folder / p).resolve())
    return out


def load_raw(
    path: str | Path, problems: Problems | None = None, _seen: tuple[Path, ...] = ()
) -> tuple[dict, list[Path]]:
    """Read a scenario and its ``base:`` chain, merged, with paths made absolute.

    Unknown keys are added to ``problems`` (raised at once when ``problems`` is None); missing
    files, invalid YAML, missing bases and cycles raise :class:`InputError` at once.

    Returns
    -------
    (dict, list of Path)
        The merged mapping and the files it came from, base first.
    """
    own = problems is None
    problems = Problems() if own else problems
    path = Path(path).resolve()
    if path in _seen:
        cycle = " -> ".join(str(p.name) for p in (*_seen, path))
        raise InputError.single(str(path), f"scenario inheritance cycle: {cycle}", column="base")
    raw = _read_yaml(path)
    _check_contained(raw, path.parent, str(path), problems)
    data = _resolve_paths(raw, path.parent)
    _check_keys(data, TOP_KEYS, "", str(path), problems)
    for key in [k for k in data if k not in TOP_KEYS]:
        data.pop(key)
    base = data.pop("base", None)
    if base is None:
        merged, chain = data, [path]
    elif not Path(base).is_file():
        raise InputError.single(str(path), f"base scenario {base} does not exist", column="base")
    else:
        base_data, base_chain = load_raw(base, problems, (*_seen, path))
        merged, chain = _merge(base_data, data), [*base_chain, path]
    if own and not problems.ok:
        raise InputError(problems)
    return merged, chain


def _as_path(value, key, file, problems, required) -> Path | None:
    if value is None or value == "":
        if required:
            problems.error(file, None, key, f"{key!r} is required ({TOP_KEYS[key]})")
        return None
    p = Path(value)
    if not p.exists():
        problems.error(file, None, key, f"{key!r} points to {p}, which does not exist")
    return p


def _check_level_map(value, key, file, problems, *, by_pollutant: bool) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        problems.error(
            file, None, key, f"{key!r} must be a mapping keyed by level ({', '.join(ALERT_LEVELS)})"
        )
        return
    for level, v in value.items():
        if level not in ALERT_LEVELS:
            problems.error(
                file, None, f"{key}.{level}", f"unknown level {level!r}{_suggest(level, ALERT_LEVELS)}"
            )
            continue
        items = v.items() if (by_pollutant and isinstance(v, dict)) else [(None, v)]
        for pol, x in items:
            where = f"{key}.{level}" + (f".{pol}" if pol else "")
            if pol is not None and pol not in POLLUTANTS:
                problems.error(file, None, where, f"unknown pollutant {pol!r}{_suggest(pol, POLLUTANTS)}")
            elif not isinstance(x, (int, float)) or isinstance(x, bool) or x < 0:
                problems.error(file, None, where, f"must be a non-negative number, got {x!r}")


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge (``base:``), check and resolve a scenario file.

    Raises
    ------
    InputError
        With every problem found (unknown keys with the closest valid key, missing files,
        bad values), each naming the file and key path.
    """
    path = Path(path).resolve()
    file = str(path)
    problems = Problems()
    data, chain = load_raw(path, problems)

    mode = data.get("mode", "list")
    if mode not in MODES:
        problems.error(file, None, "mode", f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    inventory = _as_path(data.get("inventory"), "inventory", file, problems, True)
    city = _as_path(data.get("city"), "city", file, problems, True)
    forecast = _as_path(data.get("forecast"), "forecast", file, problems, mode == "episode")
    measures = _as_path(data.get("measures"), "measures", file, problems, False)

    alert_days = data.get("alert_days") or ({} if mode == "episode" else {"yellow": 8, "orange": 5, "red": 3})
    _check_level_map(alert_days, "alert_days", file, problems, by_pollutant=False)
    shares = data.get("shares") or {}
    _check_level_map(shares, "shares", file, problems, by_pollutant=True)
    for level, v in shares.items() if isinstance(shares, dict) else []:
        vals = v.values() if isinstance(v, dict) else [v]
        if any(isinstance(x, (int, float)) and x > 1 for x in vals):
            problems.error(file, None, f"shares.{level}", "shares are fractions between 0 and 1 (0.4 = 40 %)")

    options = dict(OPTION_KEYS)
    _check_keys(data.get("options") or {}, OPTION_KEYS, "options.", file, problems)
    options.update(data.get("options") or {})
    solver = dict(SOLVER_KEYS)
    _check_keys(data.get("solver") or {}, SOLVER_KEYS, "solver.", file, problems)
    solver.update(data.get("solver") or {})
    if options["method"] not in METHODS_ALLOWED:
        problems.error(
            file,
            None,
            "options.method",
            f"method must be one of {', '.join(METHODS_ALLOWED)}, got {options['method']!r}",
        )
    if solver["backend"] not in ("highs", "pulp"):
        problems.error(file, None, "solver.backend", "backend must be 'highs' (direct arrays) or 'pulp'")
    if solver["solver"] not in ("highs", "cbc"):
        problems.error(file, None, "solver.solver", "solver must be 'highs' or 'cbc'")

    enterprises = data.get("enterprises") or {}
    if not isinstance(enterprises, dict):
        problems.error(file, None, "enterprises", "must be a mapping of enterprise id to overrides")
        enterprises = {}
    for eid, ov in enterprises.items():
        if not isinstance(ov, dict):
            problems.error(file, None, f"enterprises.{eid}", "overrides must be a mapping, e.g. {grade: B}")
            continue
        _check_keys(ov, ENTERPRISE_KEYS, f"enterprises.{eid}.", file, problems)
        for key in ("ceiling", "lock", "load_cap"):
            v = ov.get(key)
            if v is None:
                continue
            vals = v.values() if (key == "lock" and isinstance(v, dict)) else [v]
            if any(not isinstance(x, (int, float)) or isinstance(x, bool) or not 0 <= x <= 1 for x in vals):
                problems.error(
                    file, None, f"enterprises.{eid}.{key}", f"{key} must be a share between 0 and 1"
                )

    non_industrial = data.get("non_industrial") or []
    if not isinstance(non_industrial, list):
        problems.error(file, None, "non_industrial", "must be a list of measures")
        non_industrial = []
    for i, item in enumerate(non_industrial):
        where = f"non_industrial[{i}]"
        if not isinstance(item, dict):
            problems.error(file, None, where, "each non-industrial measure is a mapping")
            continue
        _check_keys(item, NON_INDUSTRIAL_KEYS, where + ".", file, problems)
        _check_level_map(item.get("reductions"), where + ".reductions", file, problems, by_pollutant=True)
        if item.get("sector") is not None:
            for level, v in (item.get("reductions") or {}).items():
                if isinstance(v, dict) and any(isinstance(x, (int, float)) and x > 1 for x in v.values()):
                    problems.error(
                        file,
                        None,
                        f"{where}.reductions.{level}",
                        "with a sector, reductions are shares of that sector's emissions (0-1)",
                    )
        _check_level_map(item.get("loss"), where + ".loss", file, problems, by_pollutant=False)

    percentile = data.get("percentile")
    if percentile is not None and (not isinstance(percentile, (int, float)) or not 0 <= percentile <= 100):
        problems.error(file, None, "percentile", "percentile must be a number between 0 and 100 or null")

    if not problems.ok:
        raise InputError(problems)
    return Scenario(
        name=str(data.get("name") or path.stem),
        file=path,
        inventory=inventory,
        city=city,
        mode=mode,
        description=str(data.get("description") or ""),
        forecast=forecast,
        alert_days={k: float(v) for k, v in alert_days.items()},
        rules=str(data.get("rules", "2024")),
        aqi_standard=str(data.get("aqi_standard", "2026")),
        percentile=percentile,
        shares=shares,
        measures=measures,
        non_industrial=non_industrial,
        enterprises={str(k): v for k, v in enterprises.items()},
        options=options,
        solver=solver,
        raw=data,
        chain=chain,
    )
