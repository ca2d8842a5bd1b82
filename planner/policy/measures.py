"""Measures by industry × grade × alert level, as data, and their evaluation into bounds.

Measure files
-------------
``data/policy/measures/*.yaml``, one file per industry or group of industries::

    industry: cement                 # an industry code of industries.csv, a list of codes, or "default"
    scope: national                  # national | local
    source: 《重污染天气重点行业应急减排措施制定技术指南（2020年修订版）》…   # or {title, issuer, year, city, url}
    technical_max_cut: 0.2           # optional: industry-wide technical maximum (e.g. glass furnaces)
    grade_fallback: {B-: B}          # optional: grade → grade whose measures it takes when not listed
    grades:
      A: self_directed               # shorthand: self_directed at every level
      B:
        yellow: [truck_ban]          # a bare type name is an item without parameters
        orange:
          - {type: cut_pct, value: 0.2}
          - truck_ban
        red: [stop, truck_ban]

Item keys: ``type`` (required), ``value``, ``t0``/``t1`` (hours), ``factors`` ({pollutant: factor},
default 1 each), ``text_zh``/``text_en`` (replace the generated text), ``note``.
Item types (``curtailment`` is the share of normal output removed; ``L`` = ``line_count``):

================== ========================================================================
self_directed      0 (自主减排)
cut_pct            ``value × base_share`` (a cut of ``value`` of the min-of-three base)
stop_lines_share   ``ceil(value × L) / L`` (whole lines, rounded up)
stop               1
hot_idle           ``ceil(value × L) / L`` (value default 1): output 0, ``factors`` required (< 1)
time_extension     ``1 − t0 / t1`` (e.g. coking time 24 h → 36 h ≈ 0.33)
voc_process_stop   ``value``; factors default VOCs 1, others 0
process_stop       ``value`` (named processes, e.g. sinter/pellet); ``factors`` as given
truck_ban          0: records the transport measure in the text
load_cap           ``1 − value`` (run at ≤ ``value`` of normal load)
================== ========================================================================

A level with several items takes the **largest** curtailment; the factors are those of that
(binding) item.  Grades not listed in a file follow ``grade_fallback`` (the file's, then
``default.yaml``'s); what is still missing comes from ``default.yaml`` (``industry: default``),
which covers every industry without a file of its own.

Evaluation
----------
:func:`evaluate_measures` turns the canonical inventory table into per-enterprise bounds
(see docs/ARCHITECTURE.md, "Measures → bounds"), grouping by industry × grade (no loop over firms).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner import ALERT_LEVELS, DATA_DIR, POLLUTANTS
from planner.policy.vocabulary import (
    ALERT_ZH,
    check_keys,
    check_number,
    check_share,
    file_label,
    grade_codes,
    industry_codes,
    is_number,
    key_path,
    load_yaml,
    self_directed_grades,
    suggest,
)
from planner.problems import InputError, Problems

__all__ = [
    "DEFAULT_MEASURES_DIR",
    "MEASURE_TYPES",
    "CONTROL_TYPES",
    "MeasureItem",
    "MeasureRule",
    "MeasureBook",
    "load_measures",
    "load_plant_measures",
    "evaluate_measures",
]

DEFAULT_MEASURES_DIR: Path = DATA_DIR / "policy" / "measures"

#: Measure item types and the keys each one takes besides ``type`` (and text/note/factors).
MEASURE_TYPES: dict[str, tuple[str, ...]] = {
    "self_directed": (),
    "cut_pct": ("value",),
    "stop_lines_share": ("value",),
    "stop": (),
    "hot_idle": ("value",),
    "time_extension": ("t0", "t1"),
    "voc_process_stop": ("value",),
    "process_stop": ("value",),
    "truck_ban": (),
    "load_cap": ("value",),
}
_REQUIRED_PARAMS = {
    "cut_pct": ("value",),
    "stop_lines_share": ("value",),
    "time_extension": ("t0", "t1"),
    "voc_process_stop": ("value",),
    "process_stop": ("value",),
    "load_cap": ("value",),
}
_ITEM_KEYS = ("type", "value", "t0", "t1", "factors", "text_zh", "text_en", "note")
_FILE_KEYS = (
    "industry",
    "scope",
    "source",
    "name_zh",
    "notes",
    "technical_max_cut",
    "grade_fallback",
    "grades",
)
_SOURCE_KEYS = ("title", "issuer", "year", "city", "url", "note")
#: Control types of the inventory.
CONTROL_TYPES: tuple[str, ...] = ("key", "general", "guarantee", "exempt", "heating_boiler")
DEFAULT_INDUSTRY = "default"
#: Nominal firm used to compare the strictness of levels in validation.
NOMINAL_LINES = 4

_LEVEL_EN = {"yellow": "Yellow alert", "orange": "Orange alert", "red": "Red alert"}


def _pct(v: float) -> str:
    return f"{v * 100:.4g}%"


@dataclass(frozen=True)
class MeasureItem:
    """One measure of a grade at a level.

    Attributes
    ----------
    type : str
        One of :data:`MEASURE_TYPES`.
    value : float or None
        Share (cut, share of lines, process share, permitted load).
    t0, t1 : float or None
        Normal and extended process time, hours (``time_extension``).
    factors : tuple of float
        Emission factor per pollutant (``SO2, NOx, PM, VOCs``) per unit curtailment.
    text_zh, text_en : str
        Text for the list (generated from the type unless given in the file).
    """

    type: str
    value: float | None = None
    t0: float | None = None
    t1: float | None = None
    factors: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    text_zh: str = ""
    text_en: str = ""

    def curtailment(self, line_count: np.ndarray, base_share: np.ndarray) -> np.ndarray:
        """Mandatory curtailment for each enterprise (vectorised).

        Parameters
        ----------
        line_count : numpy.ndarray
            Number of identical lines (≥ 1).
        base_share : numpy.ndarray
            ``cut_base / output_last_year`` (≤ 1).

        Returns
        -------
        numpy.ndarray
            Share of normal output removed, in [0, 1].
        """
        n = len(line_count)
        t = self.type
        if t in ("self_directed", "truck_ban"):
            return np.zeros(n)
        if t == "stop":
            return np.ones(n)
        if t == "cut_pct":
            return np.clip(self.value * base_share, 0.0, 1.0)
        if t in ("stop_lines_share", "hot_idle"):
            share = 1.0 if self.value is None else self.value
            return np.minimum(np.ceil(share * line_count - 1e-9) / line_count, 1.0)
        if t == "time_extension":
            return np.full(n, 1.0 - self.t0 / self.t1)
        if t in ("voc_process_stop", "process_stop"):
            return np.full(n, float(self.value))
        if t == "load_cap":
            return np.full(n, 1.0 - self.value)
        raise ValueError(f"unknown measure type {t!r}")


def _default_texts(t: str, value, t0, t1) -> tuple[str, str]:
    if t == "self_directed":
        return "自主减排", "self-directed reduction"
    if t == "cut_pct":
        return (
            f"限产{_pct(value)}（以核定产能最小值计）",
            f"cut output by {_pct(value)} (of the min-of-three base)",
        )
    if t == "stop_lines_share":
        return (
            f"停产{_pct(value)}生产线（以生产线计）",
            f"stop {_pct(value)} of production lines (whole lines)",
        )
    if t == "stop":
        return "停产", "stop production"
    if t == "hot_idle":
        share = 1.0 if value is None else value
        zh = "停产保窑（保温热备）" if share >= 1 else f"{_pct(share)}生产线停产保窑（保温热备，以生产线计）"
        en = (
            "hot idle (output 0, kiln kept hot)"
            if share >= 1
            else f"hot idle {_pct(share)} of lines (whole lines)"
        )
        return zh, en
    if t == "time_extension":
        return (
            f"延长生产周期（{t0:g}小时延长至{t1:g}小时）",
            f"extend process time from {t0:g} h to {t1:g} h",
        )
    if t == "voc_process_stop":
        return "停止涉VOCs排放工序", "stop VOC-emitting processes"
    if t == "process_stop":
        return (
            f"停止部分生产工序（约{_pct(value)}产能）",
            f"stop named processes (about {_pct(value)} of output)",
        )
    if t == "truck_ban":
        return "禁止国四及以下重型载货车辆运输", "ban China IV-and-older heavy trucks"
    if t == "load_cap":
        return f"限制负荷至{_pct(value)}", f"cap load at {_pct(value)} of normal"
    return t, t


@dataclass
class MeasureRule:
    """The measures of one file (one industry or a group of industries).

    Attributes
    ----------
    file : str
        Label of the file (``measures/cement.yaml``).
    industries : tuple of str
        Industry codes covered (``("default",)`` for the default rule).
    scope : {"national", "local"}
    source : str
        Where the measures come from (document, year, city).
    technical_max_cut : float or None
        Industry-wide cap on curtailment (ceiling = min with the inventory's value).
    grade_fallback : dict
        Grade → grade whose measures it takes when not listed.
    grades : dict
        Grade → level → tuple of :class:`MeasureItem`.
    """

    file: str
    industries: tuple[str, ...]
    scope: str
    source: str
    technical_max_cut: float | None = None
    grade_fallback: dict[str, str] = field(default_factory=dict)
    grades: dict[str, dict[str, tuple[MeasureItem, ...]]] = field(default_factory=dict)
    notes: str = ""


@dataclass
class MeasureBook:
    """All measure rules, indexed by industry.

    Attributes
    ----------
    rules : list of MeasureRule
    by_industry : dict
        Industry code → rule (industries without a file are absent: they use ``default``).
    default : MeasureRule or None
    grade_fallback : dict
        The default rule's grade fallback (applies to every file).
    industries : tuple of str
        Known industry codes (``industries.csv``).
    grades : tuple of str
        Known grade codes (``grades.csv``).
    self_directed : tuple of str
        Self-directed grades.
    """

    rules: list[MeasureRule]
    by_industry: dict[str, MeasureRule]
    default: MeasureRule | None
    grade_fallback: dict[str, str]
    industries: tuple[str, ...]
    grades: tuple[str, ...]
    self_directed: tuple[str, ...]

    def rule_for(self, industry: str) -> MeasureRule:
        """The rule covering ``industry`` (the default rule when no file names it)."""
        rule = self.by_industry.get(industry, self.default)
        if rule is None:
            raise KeyError(f"no measures for industry {industry!r} and no default rule")
        return rule

    def resolve(self, industry: str, grade: str) -> tuple[MeasureRule, str]:
        """The rule and grade whose measures apply to ``industry`` × ``grade``.

        The industry's file is searched for the grade, then along the grade fallback chain
        (file's fallback first, then the default rule's); the default rule is searched the same way.
        """
        first = self.rule_for(industry)
        candidates = [first] if first is self.default else [first, self.default]
        for rule in candidates:
            if rule is None:
                continue
            g, seen = grade, set()
            while g is not None and g not in seen:
                if g in rule.grades:
                    return rule, g
                seen.add(g)
                g = rule.grade_fallback.get(g, self.grade_fallback.get(g))
        raise KeyError(f"no measures for grade {grade!r} of industry {industry!r}")

    def items(self, industry: str, grade: str, level: str) -> tuple[MeasureItem, ...]:
        """Measure items of ``industry`` × ``grade`` at ``level``."""
        rule, g = self.resolve(industry, grade)
        return rule.grades[g][level]

    def to_frame(self) -> pd.DataFrame:
        """One row per industry × grade × level with the measure text (for views and docs)."""
        rows = []
        for ind in self.industries:
            for grade in self.grades:
                try:
                    rule, g = self.resolve(ind, grade)
                except KeyError:
                    continue
                for level in ALERT_LEVELS:
                    items = rule.grades[g][level]
                    rows.append(
                        {
                            "industry": ind,
                            "grade": grade,
                            "level": level,
                            "file": rule.file,
                            "scope": rule.scope,
                            "measure_text_zh": "；".join(i.text_zh for i in items),
                            "measure_text_en": "; ".join(i.text_en for i in items),
                        }
                    )
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------- loading / validation


def _parse_item(raw, problems: Problems, label: str, path: str) -> MeasureItem | None:
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, Mapping):
        problems.error(
            label, None, path, f"a measure item must be a mapping with 'type' (or a type name), got {raw!r}"
        )
        return None
    check_keys(raw, _ITEM_KEYS, problems, label, path, required=("type",))
    t = raw.get("type")
    if t is None:
        return None
    if t not in MEASURE_TYPES:
        problems.error(
            label,
            None,
            key_path(path, "type"),
            f"unknown measure type {t!r}{suggest(t, MEASURE_TYPES)}; expected one of {', '.join(MEASURE_TYPES)}",
        )
        return None
    ok = True
    allowed = MEASURE_TYPES[t]
    for param in ("value", "t0", "t1"):
        if param in raw and param not in allowed:
            problems.error(label, None, key_path(path, param), f"measure type {t!r} takes no {param!r}")
            ok = False
    for param in _REQUIRED_PARAMS.get(t, ()):
        if param not in raw:
            problems.error(label, None, key_path(path, param), f"measure type {t!r} needs {param!r}")
            ok = False
    value = raw.get("value")
    if "value" in raw and "value" in allowed:
        ok &= check_share(value, problems, label, key_path(path, "value"))
    t0, t1 = raw.get("t0"), raw.get("t1")
    if t == "time_extension" and "t0" in raw and "t1" in raw:
        if check_number(t0, problems, label, key_path(path, "t0"), low=0.0, low_open=True) and check_number(
            t1, problems, label, key_path(path, "t1"), low=0.0, low_open=True
        ):
            if t1 < t0:
                problems.error(
                    label,
                    None,
                    key_path(path, "t1"),
                    f"extended time t1={t1!r} h is shorter than normal time t0={t0!r} h",
                )
                ok = False
        else:
            ok = False
    # factors
    if t == "voc_process_stop":
        factors = {"SO2": 0.0, "NOx": 0.0, "PM": 0.0, "VOCs": 1.0}
    else:
        factors = dict.fromkeys(POLLUTANTS, 1.0)
    fraw = raw.get("factors")
    if t in ("hot_idle", "process_stop") and fraw is None:
        problems.error(
            label,
            None,
            key_path(path, "factors"),
            f"measure type {t!r} needs 'factors' {{SO2, NOx, PM, VOCs}} (emission reduction per unit "
            "output cut; label them as assumptions in 'note')",
        )
        ok = False
    if fraw is not None:
        if not isinstance(fraw, Mapping):
            problems.error(
                label,
                None,
                key_path(path, "factors"),
                "expected a mapping {SO2: .., NOx: .., PM: .., VOCs: ..}",
            )
            ok = False
        else:
            ok &= check_keys(fraw, POLLUTANTS, problems, label, key_path(path, "factors"), what="pollutant")
            for pol in POLLUTANTS:
                if pol in fraw:
                    if check_share(fraw[pol], problems, label, key_path(path, "factors", pol)):
                        factors[pol] = float(fraw[pol])
                    else:
                        ok = False
                elif t == "hot_idle":
                    problems.error(
                        label,
                        None,
                        key_path(path, "factors", pol),
                        f"hot_idle needs a factor for every pollutant; {pol} is missing",
                    )
                    ok = False
    for k in ("text_zh", "text_en", "note"):
        if k in raw and not isinstance(raw[k], str):
            problems.error(label, None, key_path(path, k), f"expected text, got {raw[k]!r}")
            ok = False
    if not ok:
        return None
    fvalue = float(value) if is_number(value) else None
    ft0 = float(t0) if is_number(t0) else None
    ft1 = float(t1) if is_number(t1) else None
    zh, en = _default_texts(t, fvalue, ft0, ft1)
    return MeasureItem(
        type=t,
        value=fvalue,
        t0=ft0,
        t1=ft1,
        factors=tuple(factors[p] for p in POLLUTANTS),
        text_zh=raw.get("text_zh") or zh,
        text_en=raw.get("text_en") or en,
    )


def _nominal_floor(items: tuple[MeasureItem, ...]) -> float:
    lines = np.array([float(NOMINAL_LINES)])
    base = np.array([1.0])
    return max(float(i.curtailment(lines, base)[0]) for i in items) if items else 0.0


def _parse_levels(
    levels, problems: Problems, label: str, gpath: str, self_directed: bool = False, grade: str = ""
) -> dict[str, tuple[MeasureItem, ...]] | None:
    """Parse ``{yellow: [items], orange: [...], red: [...]}`` (or ``self_directed``) and check the order."""
    if levels == "self_directed":
        levels = {lv: ["self_directed"] for lv in ALERT_LEVELS}
    if not isinstance(levels, Mapping):
        problems.error(
            label, None, gpath, "expected a mapping yellow/orange/red → list of measures (or 'self_directed')"
        )
        return None
    check_keys(levels, ALERT_LEVELS, problems, label, gpath, required=ALERT_LEVELS, what="level")
    per_level: dict[str, tuple[MeasureItem, ...]] = {}
    for level in ALERT_LEVELS:
        if level not in levels:
            continue
        lpath = key_path(gpath, level)
        raw_items = levels[level]
        if isinstance(raw_items, str | Mapping):
            raw_items = [raw_items]
        if not isinstance(raw_items, list) or not raw_items:
            problems.error(label, None, lpath, "expected a non-empty list of measures")
            continue
        items = [_parse_item(r, problems, label, key_path(lpath, i)) for i, r in enumerate(raw_items)]
        if any(it is None for it in items):
            continue
        if self_directed:
            for i, it in enumerate(items):
                if it.type not in ("self_directed", "truck_ban"):
                    problems.error(
                        label,
                        None,
                        key_path(lpath, i, "type"),
                        f"grade {grade!r} is self-directed (grades.csv): only self_directed or truck_ban "
                        f"items are allowed, got {it.type!r}",
                    )
        per_level[level] = tuple(items)
    if len(per_level) != len(ALERT_LEVELS):
        return None
    floors = [_nominal_floor(per_level[lv]) for lv in ALERT_LEVELS]
    ok = True
    for k in range(1, len(ALERT_LEVELS)):
        if floors[k] < floors[k - 1] - 1e-12:
            ok = False
            problems.error(
                label,
                None,
                key_path(gpath, ALERT_LEVELS[k]),
                f"the {ALERT_LEVELS[k]} measure (curtailment {floors[k]:.3g} on a nominal {NOMINAL_LINES}-line firm) "
                f"is weaker than the {ALERT_LEVELS[k - 1]} measure ({floors[k - 1]:.3g}); every level must be "
                "at least as strict as the level below it",
            )
    return per_level if ok else None


def _parse_file(
    path: Path, problems: Problems, grades: list[str], industries: list[str], self_directed: list[str]
) -> MeasureRule | None:
    label = file_label(path, 2)
    n_problems = len(problems)
    doc = load_yaml(path, problems, label)
    if doc is None:
        if len(problems) == n_problems:
            problems.error(label, None, None, "the file is empty")
        return None
    if not isinstance(doc, Mapping):
        problems.error(label, None, None, "expected a mapping with industry, scope, source, grades")
        return None
    n_before = len(problems.errors)
    check_keys(doc, _FILE_KEYS, problems, label, required=("industry", "scope", "source", "grades"))

    # industry
    raw_ind = doc.get("industry")
    codes = raw_ind if isinstance(raw_ind, list) else [raw_ind] if raw_ind is not None else []
    inds: list[str] = []
    for i, code in enumerate(codes):
        p = key_path("industry", i) if isinstance(raw_ind, list) else "industry"
        if code == DEFAULT_INDUSTRY and not isinstance(raw_ind, list):
            inds.append(code)
        elif code not in industries:
            problems.error(
                label,
                None,
                p,
                f"unknown industry {code!r}{suggest(code, industries)} "
                "(codes of data/policy/industries.csv, or 'default')",
            )
        elif code in inds:
            problems.error(label, None, p, f"industry {code!r} is listed twice")
        else:
            inds.append(code)
    if isinstance(raw_ind, list) and not raw_ind:
        problems.error(label, None, "industry", "the list of industries is empty")

    scope = doc.get("scope")
    if "scope" in doc and scope not in ("national", "local"):
        problems.error(
            label,
            None,
            "scope",
            f"scope must be 'national' or 'local', got {scope!r}{suggest(scope, ('national', 'local'))}",
        )

    src = doc.get("source")
    source = ""
    if isinstance(src, str) and src.strip():
        source = src.strip()
    elif isinstance(src, Mapping):
        check_keys(src, _SOURCE_KEYS, problems, label, "source", required=("title",))
        source = "；".join(str(src[k]) for k in _SOURCE_KEYS if src.get(k) not in (None, ""))
    elif "source" in doc:
        problems.error(
            label, None, "source", "source must name the document (title, year, city) it comes from"
        )

    tmc = doc.get("technical_max_cut")
    if tmc is not None and not check_share(tmc, problems, label, "technical_max_cut"):
        tmc = None

    fallback: dict[str, str] = {}
    fb = doc.get("grade_fallback") or {}
    if not isinstance(fb, Mapping):
        problems.error(label, None, "grade_fallback", "expected a mapping grade → grade")
    else:
        for g, target in fb.items():
            if g not in grades:
                problems.error(
                    label,
                    None,
                    key_path("grade_fallback", str(g)),
                    f"unknown grade {g!r}{suggest(g, grades)}",
                )
            elif target not in grades:
                problems.error(
                    label,
                    None,
                    key_path("grade_fallback", str(g)),
                    f"unknown grade {target!r}{suggest(target, grades)}",
                )
            else:
                fallback[str(g)] = str(target)

    parsed: dict[str, dict[str, tuple[MeasureItem, ...]]] = {}
    graw = doc.get("grades")
    if "grades" in doc and not isinstance(graw, Mapping):
        problems.error(label, None, "grades", "expected a mapping grade → level → list of measures")
        graw = {}
    for grade, levels in (graw or {}).items():
        gpath = key_path("grades", str(grade))
        if grade not in grades:
            problems.error(
                label,
                None,
                gpath,
                f"unknown grade {grade!r}{suggest(grade, grades)}; expected one of {', '.join(grades)}",
            )
            continue
        per_level = _parse_levels(levels, problems, label, gpath, grade in self_directed, grade)
        if per_level is not None:
            parsed[str(grade)] = per_level
    if len(problems.errors) > n_before:
        return None
    return MeasureRule(
        file=label,
        industries=tuple(inds),
        scope=str(scope),
        source=source,
        technical_max_cut=float(tmc) if tmc is not None else None,
        grade_fallback=fallback,
        grades=parsed,
        notes=str(doc.get("notes") or ""),
    )


def load_measures(path: str | Path = DEFAULT_MEASURES_DIR) -> MeasureBook:
    """Read and validate the measure files.

    Parameters
    ----------
    path : str or Path
        A folder of ``*.yaml`` files (default ``data/policy/measures``) or one file.

    Returns
    -------
    MeasureBook

    Raises
    ------
    InputError
        With every problem found, each naming the file and key path: unknown industry, grade, level,
        measure type or key; values outside [0, 1]; a level weaker than the level below it; an
        industry covered by two files; no ``default`` rule or a default that misses a grade.
    """
    path = Path(path)
    problems = Problems()
    files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    if not files:
        raise InputError.single(str(path), "no measure files (*.yaml) found")
    grades = grade_codes()
    industries = industry_codes()
    self_dir = self_directed_grades()
    rules: list[MeasureRule] = []
    owner: dict[str, MeasureRule] = {}
    default: MeasureRule | None = None
    for f in files:
        if not f.exists():
            problems.error(file_label(f, 2), None, None, f"file not found: {f}")
            continue
        rule = _parse_file(f, problems, grades, industries, self_dir)
        if rule is None:
            continue
        rules.append(rule)
        for i, ind in enumerate(rule.industries):
            if ind == DEFAULT_INDUSTRY:
                if default is not None:
                    problems.error(
                        rule.file,
                        None,
                        "industry",
                        f"a default rule is already defined in {default.file}; only one file may say 'industry: default'",
                    )
                else:
                    default = rule
            elif ind in owner:
                problems.error(
                    rule.file,
                    None,
                    key_path("industry", i) if len(rule.industries) > 1 else "industry",
                    f"industry {ind!r} is already covered by {owner[ind].file}; each industry may appear in one file only",
                )
            else:
                owner[ind] = rule
    if problems.ok and default is None:
        problems.error(
            file_label(path / "default.yaml", 2) if path.is_dir() else file_label(path, 2),
            None,
            "industry",
            "missing default rule: one measures file must say 'industry: default' (it covers every "
            "industry without a file of its own and every grade a file does not list)",
        )
    book = MeasureBook(
        rules=rules,
        by_industry=owner,
        default=default,
        grade_fallback=dict(default.grade_fallback) if default else {},
        industries=tuple(industries),
        grades=tuple(grades),
        self_directed=tuple(self_dir),
    )
    if problems.ok:
        for grade in grades:
            try:
                book.resolve(DEFAULT_INDUSTRY, grade)
            except KeyError:
                problems.error(
                    default.file,
                    None,
                    key_path("grades", grade),
                    f"the default rule has no measures for grade {grade!r} (list it or map it in grade_fallback)",
                )
    if not problems.ok:
        raise InputError(problems)
    return book


def load_plant_measures(path: str | Path) -> dict[str, dict[str, tuple[MeasureItem, ...]]]:
    """Read plant-specific measures (一厂一策) that replace the industry × grade measures of named firms.

    The file holds ``source`` (optional ``notes``) and ``plants``, a mapping of enterprise id to
    ``{yellow: [items], orange: [...], red: [...]}`` in the measure-item format of the measure files.
    This is how an ungraded firm of "other" industries gets the measure set plant by plant
    (POLICY §4) instead of the default rule's C measures.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict
        Enterprise id (str) → level → tuple of :class:`MeasureItem`; pass it to
        :func:`evaluate_measures` as ``plant_measures``.

    Raises
    ------
    InputError
        Same checks as :func:`load_measures` for each plant, named ``plants.<id>.<level>[i]...``.
    """
    problems = Problems()
    label = file_label(path, 1)
    doc = load_yaml(path, problems, label)
    out: dict[str, dict[str, tuple[MeasureItem, ...]]] = {}
    if doc is not None:
        if not isinstance(doc, Mapping) or not isinstance(doc.get("plants"), Mapping):
            problems.error(
                label, None, "plants", "expected a top-level 'plants:' mapping enterprise id → levels"
            )
        else:
            check_keys(doc, ("source", "notes", "plants"), problems, label)
            for eid, levels in doc["plants"].items():
                parsed = _parse_levels(levels, problems, label, key_path("plants", str(eid)))
                if parsed is not None:
                    out[str(eid)] = parsed
    if not problems.ok:
        raise InputError(problems)
    return out


# --------------------------------------------------------------------------- evaluation


def _labels(table: pd.DataFrame, name: str, default: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and their string labels for a column (missing values get ``default``)."""
    n = len(table)
    if name not in table.columns:
        return np.zeros(n, dtype=np.int64), np.array([default], dtype=object)
    codes, uniques = pd.factorize(table[name], use_na_sentinel=True)
    labels = np.array([str(u).strip() for u in uniques] + [default], dtype=object)
    codes = np.where(codes < 0, len(uniques), codes).astype(np.int64)
    return codes, labels


def _float_column(table: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name not in table.columns:
        return np.full(len(table), default, dtype=float)
    out = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(out), default, out)


def _bool_column(table: pd.DataFrame, name: str) -> np.ndarray | None:
    if name not in table.columns:
        return None
    col = table[name]
    if col.dtype == bool:
        return col.to_numpy()
    return col.map(lambda v: str(v).strip().lower() in ("true", "1", "yes", "1.0")).to_numpy(dtype=bool)


def _rows_for_message(table: pd.DataFrame, mask: np.ndarray) -> str:
    ids = table.index[mask][:5].tolist()
    more = int(mask.sum()) - len(ids)
    return ", ".join(map(str, ids)) + (f" and {more} more" if more > 0 else "")


class _Texts:
    """Interned strings: arrays hold integer codes until the end (fast for 10^5–10^6 firms)."""

    def __init__(self):
        self.values: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, text: str) -> int:
        c = self.index.get(text)
        if c is None:
            c = self.index[text] = len(self.values)
            self.values.append(text)
        return c

    def materialize(self, codes: np.ndarray) -> np.ndarray:
        return np.array(self.values, dtype=object)[codes]


def evaluate_measures(
    table: pd.DataFrame,
    book: MeasureBook | None = None,
    allow_volunteer: bool = False,
    plant_measures: Mapping[str, Mapping[str, tuple[MeasureItem, ...]]] | None = None,
) -> xr.Dataset:
    """Per-enterprise bounds on curtailment at each alert level.

    Parameters
    ----------
    table : pandas.DataFrame
        Canonical inventory table (index = enterprise id) with ``industry``, ``grade``,
        ``control_type`` and, where available, ``load_cap``, ``line_count`` (default 1),
        ``base_share`` (default 1), ``technical_max_cut`` (default 1), ``self_directed``
        (default from grades.csv).
    book : MeasureBook, optional
        From :func:`load_measures` (default: the shipped measures).
    allow_volunteer : bool, default False
        Let self-directed grades (A+, A, leading) cut voluntarily: ceiling = technical maximum.
    plant_measures : mapping, optional
        Plant-specific measures (一厂一策) from :func:`load_plant_measures`: enterprise id → level →
        items; they replace the industry × grade measures of those firms (self-directed grades and
        the control-type rules below still apply).

    Returns
    -------
    xarray.Dataset
        Dims ``enterprise``, ``level`` (yellow, orange, red), ``pollutant`` (SO2, NOx, PM, VOCs):
        ``floor``, ``ceiling``, ``floor_clipped`` (floor was above the technical maximum and was
        lowered to it) on ``(enterprise, level)``; ``factor`` on ``(enterprise, level, pollutant)``;
        ``measure_type``, ``measure_text_zh``, ``measure_text_en`` (object arrays of str) on
        ``(enterprise, level)``.

    Raises
    ------
    InputError
        Unknown industry, grade or control type, or a 保障类 firm without ``load_cap`` in [0, 1].

    Notes
    -----
    Rules: the floor is the largest curtailment of the level's items (cut → ``value × base_share``,
    lines → whole lines rounded up, stop → 1, time extension → ``1 − t0/t1``) and the factors are
    those of that item.  Ceiling = ``technical_max_cut`` (and the file's ``technical_max_cut``).
    Self-directed grades: floor 0, ceiling 0 unless ``allow_volunteer``.  These control types
    override the industry measure: 保障类 (guarantee) floor = ceiling = ``1 − load_cap``; exempt
    and heating boilers floor 0, ceiling 0.  A floor above the ceiling is lowered to it
    (``floor_clipped``) and the text says so.
    Evaluation groups enterprises by industry × grade, so it is vectorised over firms.
    """
    book = book or load_measures()
    n = len(table)
    nl, npol = len(ALERT_LEVELS), len(POLLUTANTS)
    problems = Problems()

    ind_code, ind_lab = _labels(table, "industry", "other")
    gr_code, gr_lab = _labels(table, "grade", "ungraded")
    ct_code, ct_lab = _labels(table, "control_type", "key")
    for name, codes, labels, known in (
        ("industry", ind_code, ind_lab, book.industries),
        ("grade", gr_code, gr_lab, book.grades),
        ("control_type", ct_code, ct_lab, CONTROL_TYPES),
    ):
        for k, v in enumerate(labels):
            if v not in known:
                m = codes == k
                if m.any():
                    problems.error(
                        "inventory",
                        None,
                        name,
                        f"unknown {name} {v!r}{suggest(v, known)} for enterprise(s) "
                        f"{_rows_for_message(table, m)}",
                    )
    lines = _float_column(table, "line_count", 1.0)
    lines = np.where(lines >= 1, np.floor(lines), 1.0)
    base_share = np.clip(_float_column(table, "base_share", 1.0), 0.0, 1.0)
    tmc = np.clip(_float_column(table, "technical_max_cut", 1.0), 0.0, 1.0)
    load_cap = _float_column(table, "load_cap", np.nan)
    self_dir = np.isin(gr_lab, list(book.self_directed))[gr_code]
    sd_col = _bool_column(table, "self_directed")
    if sd_col is not None:
        self_dir |= sd_col
    control = ct_lab[ct_code]
    guarantee = control == "guarantee"
    no_cap = guarantee & ~((load_cap >= 0) & (load_cap <= 1))
    if no_cap.any():
        problems.error(
            "inventory",
            None,
            "load_cap",
            f"保障类 (guarantee) enterprises need load_cap in [0, 1]: {_rows_for_message(table, no_cap)}",
        )
    if not problems.ok:
        raise InputError(problems)

    types = _Texts()
    zh = _Texts()
    en = _Texts()
    floor = np.zeros((n, nl))
    ceiling = np.zeros((n, nl))
    factor = np.ones((n, nl, npol))
    mtype = np.zeros((n, nl), dtype=np.int64)
    text_zh = np.zeros((n, nl), dtype=np.int64)
    text_en = np.zeros((n, nl), dtype=np.int64)

    # Group by industry × grade (sorting integer keys; no Python loop over firms).
    key = ind_code * len(gr_lab) + gr_code
    order = np.argsort(key, kind="stable")
    ukeys, starts = np.unique(key[order], return_index=True)
    bounds = np.append(starts, n)
    for j, k in enumerate(ukeys):
        idx = order[bounds[j] : bounds[j + 1]]
        rule, g = book.resolve(ind_lab[k // len(gr_lab)], gr_lab[k % len(gr_lab)])
        cap = tmc[idx] if rule.technical_max_cut is None else np.minimum(tmc[idx], rule.technical_max_cut)
        ceiling[idx, :] = cap[:, None]
        for li, level in enumerate(ALERT_LEVELS):
            items = rule.grades[g][level]
            if len(items) == 1:
                curt = items[0].curtailment(lines[idx], base_share[idx])
                kk = np.zeros(len(idx), dtype=np.int64)
            else:
                curts = np.vstack([it.curtailment(lines[idx], base_share[idx]) for it in items])
                kk = np.argmax(curts, axis=0)
                curt = curts[kk, np.arange(len(idx))]
            floor[idx, li] = curt
            factor[idx, li, :] = np.array([it.factors for it in items])[kk]
            mtype[idx, li] = np.array([types.code(it.type) for it in items])[kk]
            text_zh[idx, li] = zh.code(f"{ALERT_ZH[level]}：" + "；".join(it.text_zh for it in items))
            text_en[idx, li] = en.code(f"{_LEVEL_EN[level]}: " + "; ".join(it.text_en for it in items))

    # Plant-specific measures (一厂一策): few firms, one at a time.
    if plant_measures:
        ids = table.index.astype(str)
        for r in np.flatnonzero(ids.isin(list(plant_measures))):
            per_level = plant_measures[ids[r]]
            for li, level in enumerate(ALERT_LEVELS):
                items = per_level[level]
                curts = [float(it.curtailment(lines[r : r + 1], base_share[r : r + 1])[0]) for it in items]
                kk = int(np.argmax(curts))
                floor[r, li] = curts[kk]
                factor[r, li, :] = items[kk].factors
                mtype[r, li] = types.code(items[kk].type)
                text_zh[r, li] = zh.code(
                    f"{ALERT_ZH[level]}（一厂一策）：" + "；".join(it.text_zh for it in items)
                )
                text_en[r, li] = en.code(
                    f"{_LEVEL_EN[level]} (plant-specific): " + "; ".join(it.text_en for it in items)
                )

    # Self-directed grades: no mandatory cut.
    if self_dir.any():
        floor[self_dir] = 0.0
        if not allow_volunteer:
            ceiling[self_dir] = 0.0
        factor[self_dir] = 1.0
        mtype[self_dir] = types.code("self_directed")
        for li, level in enumerate(ALERT_LEVELS):
            text_zh[self_dir, li] = zh.code(
                f"{ALERT_ZH[level]}：自主减排" + ("（可自愿增加减排）" if allow_volunteer else "")
            )
            text_en[self_dir, li] = en.code(
                f"{_LEVEL_EN[level]}: self-directed reduction"
                + (" (may volunteer further cuts)" if allow_volunteer else "")
            )

    # Control types that override the industry measures.
    if guarantee.any():
        cut = 1.0 - load_cap[guarantee]
        floor[guarantee] = cut[:, None]
        ceiling[guarantee] = cut[:, None]
        factor[guarantee] = 1.0
        mtype[guarantee] = types.code("load_cap")
        ucap, inv = np.unique(load_cap[guarantee], return_inverse=True)
        for li, level in enumerate(ALERT_LEVELS):
            czh = np.array(
                [
                    zh.code(f"{ALERT_ZH[level]}：保障类：按{_pct(c)}负荷生产（以热定产/以量定产）")
                    for c in ucap
                ]
            )
            cen = np.array(
                [en.code(f"{_LEVEL_EN[level]}: guarantee (保障类): run at {_pct(c)} load") for c in ucap]
            )
            text_zh[guarantee, li] = czh[inv]
            text_en[guarantee, li] = cen[inv]
    for ctype, tzh, ten in (
        ("exempt", "豁免：不采取停限产措施", "exempt: no curtailment"),
        ("heating_boiler", "民生供暖锅炉：不限产", "residential heating boiler: not curtailed"),
    ):
        m = control == ctype
        if m.any():
            floor[m] = 0.0
            ceiling[m] = 0.0
            factor[m] = 1.0
            mtype[m] = types.code(ctype)
            for li, level in enumerate(ALERT_LEVELS):
                text_zh[m, li] = zh.code(f"{ALERT_ZH[level]}：{tzh}")
                text_en[m, li] = en.code(f"{_LEVEL_EN[level]}: {ten}")

    # A floor above the technical maximum is lowered to it, and the text says so.
    clipped = floor > ceiling + 1e-12
    if clipped.any():
        floor = np.minimum(floor, ceiling)
        rows, cols = np.nonzero(clipped)
        ucap, cinv = np.unique(ceiling[rows, cols], return_inverse=True)
        for texts, codes, note in (
            (zh, text_zh, "（受工艺限制无法停产，如窑炉不能停炉：按技术最大削减比例{}执行）"),
            (
                en,
                text_en,
                " (cannot stop for technical reasons, e.g. a furnace that cannot be shut: "
                "limited to the technical maximum of {})",
            ),
        ):
            pair = codes[rows, cols] * len(ucap) + cinv
            upair, pinv = np.unique(pair, return_inverse=True)
            new = np.array(
                [
                    texts.code(texts.values[p // len(ucap)] + note.format(_pct(ucap[p % len(ucap)])))
                    for p in upair
                ]
            )
            codes[rows, cols] = new[pinv]

    dims2 = ("enterprise", "level")

    def _text_var(texts: _Texts, codes: np.ndarray) -> xr.Variable:
        # fastpath: keep the object array of str as is (no per-element pandas conversion)
        return xr.Variable(dims2, texts.materialize(codes), fastpath=True)

    coords = {
        "enterprise": table.index.to_numpy(),
        "level": list(ALERT_LEVELS),
        "pollutant": list(POLLUTANTS),
    }
    return xr.Dataset(
        {
            "floor": (dims2, floor, {"units": "1", "long_name": "mandatory curtailment share"}),
            "ceiling": (dims2, ceiling, {"units": "1", "long_name": "technical maximum curtailment share"}),
            "floor_clipped": (
                dims2,
                clipped,
                {"long_name": "measure floor lowered to the technical maximum"},
            ),
            "factor": (
                ("enterprise", "level", "pollutant"),
                factor,
                {"units": "1", "long_name": "emission removed per unit emission per unit curtailment"},
            ),
            "measure_type": _text_var(types, mtype),
            "measure_text_zh": _text_var(zh, text_zh),
            "measure_text_en": _text_var(en, text_en),
        },
        coords=coords,
        attrs={"allow_volunteer": int(allow_volunteer)},
    )
