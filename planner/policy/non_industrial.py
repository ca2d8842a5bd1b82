"""Non-industrial measures: a sourced library (``data/policy/non_industrial.yaml``).

Each measure removes a share of one sector of the city (``city.yaml`` ``emission_sectors``) per
alert day and costs the city a sum per day.  A scenario names library measures by ``id`` with
``use: on`` (credited toward the targets, like today's inline items) or ``use: optimize`` (a decision
for the model: :func:`non_industrial_arrays` gives the arrays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from planner import ALERT_LEVELS, DATA_DIR, POLLUTANTS
from planner.policy.vocabulary import (
    check_keys,
    check_number,
    check_share,
    file_label,
    key_path,
    load_yaml,
    suggest,
)
from planner.problems import InputError, Problems

__all__ = [
    "NON_INDUSTRIAL_FILE",
    "USES",
    "NonIndustrialArrays",
    "NonIndustrialMeasure",
    "non_industrial_arrays",
    "non_industrial_library",
    "read_non_industrial",
]

NON_INDUSTRIAL_FILE: Path = DATA_DIR / "policy" / "non_industrial.yaml"
USES = ("on", "optimize")
_MEASURE_KEYS = ("name_zh", "name_en", "sector", "reductions", "cost", "source", "note")


@dataclass(frozen=True)
class NonIndustrialMeasure:
    """One library measure.

    Attributes
    ----------
    id, name_zh, name_en, sector, source : str
    reductions : dict
        Level → pollutant → share of the sector's emissions removed per alert day.
    cost : dict
        Level → 万元 per day.
    """

    id: str
    sector: str
    reductions: dict[str, dict[str, float]]
    cost: dict[str, float]
    source: str
    name_zh: str = ""
    name_en: str = ""


@dataclass
class NonIndustrialArrays:
    """Library measures of a scenario over its slots.

    Attributes
    ----------
    ids : list of str
    mode : numpy.ndarray (M,) of str
        ``on`` (credited) or ``optimize`` (a decision for the model).
    reduction : numpy.ndarray (M, S, P)
        Tonnes per day removed in each slot.
    cost : numpy.ndarray (M, S)
        万元 per day in each slot.
    names_zh, names_en : list of str
    """

    ids: list[str]
    mode: np.ndarray
    reduction: np.ndarray
    cost: np.ndarray
    names_zh: list[str] = field(default_factory=list)
    names_en: list[str] = field(default_factory=list)

    def select(self, mode: str) -> NonIndustrialArrays:
        """The measures of one mode."""
        m = self.mode == mode
        pick = np.flatnonzero(m)
        return NonIndustrialArrays(
            [self.ids[i] for i in pick],
            self.mode[m],
            self.reduction[m],
            self.cost[m],
            [self.names_zh[i] for i in pick],
            [self.names_en[i] for i in pick],
        )


def read_non_industrial(path: str | Path = NON_INDUSTRIAL_FILE) -> dict[str, NonIndustrialMeasure]:
    """Read and check the library.

    Raises
    ------
    InputError
        Unknown or missing keys, levels or pollutants, shares outside [0, 1], negative costs, a
        measure without a source, a level whose reduction is below the level before it.
    """
    label = file_label(path)
    problems = Problems()
    doc = load_yaml(path, problems, label)
    out: dict[str, NonIndustrialMeasure] = {}
    if doc is None:
        raise InputError(problems)
    if not isinstance(doc, Mapping) or not isinstance(doc.get("measures"), Mapping):
        raise InputError.single(
            label, "expected a top-level 'measures:' mapping id → measure", column="measures"
        )
    check_keys(doc, ("source", "notes", "measures"), problems, label, required=("source", "measures"))
    for mid, raw in doc["measures"].items():
        path_ = key_path("measures", str(mid))
        if not isinstance(raw, Mapping):
            problems.error(label, None, path_, "expected a mapping with sector, reductions, cost, source")
            continue
        n0 = len(problems.errors)
        check_keys(
            raw, _MEASURE_KEYS, problems, label, path_, required=("sector", "reductions", "cost", "source")
        )
        red: dict[str, dict[str, float]] = {}
        rraw = raw.get("reductions") or {}
        if not isinstance(rraw, Mapping):
            problems.error(label, None, key_path(path_, "reductions"), "expected level → {pollutant: share}")
            rraw = {}
        check_keys(
            rraw,
            ALERT_LEVELS,
            problems,
            label,
            key_path(path_, "reductions"),
            required=ALERT_LEVELS,
            what="level",
        )
        for lv in ALERT_LEVELS:
            per = rraw.get(lv) or {}
            lp = key_path(path_, "reductions", lv)
            if not isinstance(per, Mapping):
                problems.error(label, None, lp, "expected {pollutant: share}")
                continue
            check_keys(per, POLLUTANTS, problems, label, lp, what="pollutant")
            red[lv] = {}
            for p in POLLUTANTS:
                if p in per and check_share(per[p], problems, label, key_path(lp, p)):
                    red[lv][p] = float(per[p])
        for k in range(1, len(ALERT_LEVELS)):
            lo, hi = ALERT_LEVELS[k - 1], ALERT_LEVELS[k]
            for p in POLLUTANTS:
                if red.get(hi, {}).get(p, 0.0) < red.get(lo, {}).get(p, 0.0) - 1e-12:
                    problems.error(
                        label,
                        None,
                        key_path(path_, "reductions", hi, p),
                        f"the {hi} reduction is below the {lo} one",
                    )
        cost: dict[str, float] = {}
        craw = raw.get("cost") or {}
        if not isinstance(craw, Mapping):
            problems.error(label, None, key_path(path_, "cost"), "expected level → 万元 per day")
            craw = {}
        check_keys(
            craw, ALERT_LEVELS, problems, label, key_path(path_, "cost"), required=ALERT_LEVELS, what="level"
        )
        for lv in ALERT_LEVELS:
            if lv in craw and check_number(craw[lv], problems, label, key_path(path_, "cost", lv), low=0.0):
                cost[lv] = float(craw[lv])
        src = raw.get("source")
        if "source" in raw and not (isinstance(src, str) and src.strip()):
            problems.error(label, None, key_path(path_, "source"), "source must name the plan or document")
        if len(problems.errors) > n0:
            continue
        out[str(mid)] = NonIndustrialMeasure(
            str(mid),
            str(raw["sector"]),
            red,
            cost,
            str(src),
            str(raw.get("name_zh", mid)),
            str(raw.get("name_en", mid)),
        )
    if not problems.ok:
        raise InputError(problems)
    return out


@lru_cache(maxsize=4)
def non_industrial_library(path: str | Path = NON_INDUSTRIAL_FILE) -> dict[str, NonIndustrialMeasure]:
    """The shipped library (cached); see :func:`read_non_industrial`."""
    return read_non_industrial(path)


def non_industrial_arrays(
    uses: Sequence[Mapping],
    levels: Sequence[str],
    city: Mapping | None,
    library: Mapping[str, NonIndustrialMeasure] | None = None,
    file: str = "scenario",
) -> NonIndustrialArrays:
    """Reductions and costs of the library measures a scenario names, over its slots.

    Parameters
    ----------
    uses : sequence of mapping
        The scenario's ``non_industrial`` items; those with an ``id`` are taken here (inline items
        without ``id`` are ignored: see :func:`planner.scenario.run.credited_reductions`).
    levels : sequence of str
        Alert level of each slot.
    city : mapping
        ``city.yaml`` (its ``emission_sectors``, t/a).
    library : mapping, optional
        Default :func:`non_industrial_library`.
    file : str
        Scenario file, for messages.

    Returns
    -------
    NonIndustrialArrays
        ``reduction[m, s, p] = share[level_s, p] × sector[p] / 365`` (t/d), ``cost[m, s]`` (万元/d).

    Raises
    ------
    InputError
        An unknown id (with the closest one), an id named twice, an unknown ``use``, or a measure whose
        sector is not in the city's ``emission_sectors``.
    """
    library = non_industrial_library() if library is None else library
    sectors = (city or {}).get("emission_sectors") or {}
    problems = Problems()
    picked: list[tuple[NonIndustrialMeasure, str]] = []
    seen: set[str] = set()
    for k, item in enumerate(uses):
        if "id" not in item:
            continue
        where = f"non_industrial[{k}]"
        mid = str(item["id"])
        use = item.get("use", "on")
        if use is True:  # YAML 1.1 reads a bare ``on`` as true
            use = "on"
        if mid not in library:
            problems.error(
                file,
                None,
                f"{where}.id",
                f"unknown non-industrial measure {mid!r}{suggest(mid, library)}; library: {', '.join(library)}",
            )
            continue
        if mid in seen:
            problems.error(file, None, f"{where}.id", f"measure {mid!r} is named twice")
            continue
        if use not in USES:
            problems.error(file, None, f"{where}.use", f"use must be one of {', '.join(USES)}, got {use!r}")
            continue
        m = library[mid]
        if m.sector not in sectors:
            problems.error(
                file,
                None,
                f"{where}.id",
                f"measure {mid!r} acts on sector {m.sector!r}, which the city's emission_sectors do not list "
                f"({', '.join(sectors) or 'none'})",
            )
            continue
        seen.add(mid)
        picked.append((m, str(use)))
    if not problems.ok:
        raise InputError(problems)
    n_s, n_p = len(levels), len(POLLUTANTS)
    red = np.zeros((len(picked), n_s, n_p))
    cost = np.zeros((len(picked), n_s))
    for i, (m, _) in enumerate(picked):
        annual = np.array([float(sectors[m.sector].get(p, 0.0)) for p in POLLUTANTS])
        for s, lv in enumerate(levels):
            share = np.array([m.reductions.get(lv, {}).get(p, 0.0) for p in POLLUTANTS])
            red[i, s] = share * annual / 365.0
            cost[i, s] = m.cost.get(lv, 0.0)
    return NonIndustrialArrays(
        [m.id for m, _ in picked],
        np.array([u for _, u in picked], dtype=object),
        red,
        cost,
        [m.name_zh for m, _ in picked],
        [m.name_en for m, _ in picked],
    )
