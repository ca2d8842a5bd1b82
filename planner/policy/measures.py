"""Measures by industry × grade × alert level, as data, and their evaluation into bounds.

Measure files
-------------
``data/policy/measures/*.yaml``, one file per industry or group of industries::

    industry: cement                 # an industry code of industries.csv, a list of codes, or "default"
    scope: national                  # national | local
    source: 《重污染天气重点行业应急减排措施制定技术指南（2020年修订版）》…   # or {title, issuer, year, city, url}
    technical_max_cut: 0.2           # optional: industry-wide technical maximum (e.g. glass furnaces)
    extra_factors: {SO2: 1, …}       # optional: reduction per unit of an extra cut above the floor (default 1)
    grade_fallback: {B-: B}          # optional: grade → grade whose measures it takes when not listed
    grades:
      A: self_directed               # shorthand: self_directed at every level
      B:
        yellow: [truck_ban]          # a bare type name is an item without parameters
        orange:
          - {type: cut_pct, value: 0.2}
          - truck_ban
        red: [stop, truck_ban]

Item keys: ``type`` (required), the type's parameters (``value``, ``t0``/``t1`` hours), ``process``
(a code of ``data/policy/processes.csv``; default the type's process, else ``general``),
``process_share`` (share of the firm's output carried by that process: the item's curtailment is
scaled by it; default 1), ``factors`` ({pollutant: factor}; default the type's), ``text_zh``/``text_en``
(replace the generated text), ``note``.

The measure types — their parameters, formula (share of the min-of-three base, whole lines rounded
up, fixed value, ``1 − t0/t1``, zero, load cap), default factors, integrality and list texts — are
declared once in ``data/policy/measure_types.yaml`` (:mod:`planner.policy.registry`).

Items of one level **add up across processes**: items naming the same process take the largest
curtailment (and its factors); the processes' curtailments are summed and the total is clipped to 1
(each part scaled down in proportion).  The floor's factor is the curtailment-weighted mix of the
parts' factors (``floor_factor``); an extra cut above the floor is a general load cut with
``extra_factors`` (default 1).  Grades not listed in a file follow ``grade_fallback`` (the file's,
then ``default.yaml``'s); what is still missing comes from ``default.yaml`` (``industry: default``).

Evaluation
----------
:func:`evaluate_measures` turns the canonical inventory table into per-enterprise bounds
(see docs/ARCHITECTURE.md, "Measures → bounds"), applying the control classes of
``data/policy/control_classes.yaml`` (:mod:`planner.policy.classes`) and grouping by
industry × grade (no loop over firms).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner import ALERT_LEVELS, DATA_DIR, POLLUTANTS
from planner.io.labels import positions
from planner.policy.classes import ControlClasses, control_classes
from planner.policy.registry import (
    MeasureType,
    default_texts,
    measure_types,
    process_codes,
)
from planner.policy.registry import (
    curtailment as _curtailment,
)
from planner.policy.registry import (
    pct as _pct,
)
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
from planner.policy.vocabulary import (
    industries as industry_table,
)
from planner.problems import InputError, Problems

__all__ = [
    "CONTROL_TYPES",
    "DEFAULT_MEASURES_DIR",
    "MEASURE_TYPES",
    "MeasureBook",
    "MeasureItem",
    "MeasureRule",
    "evaluate_measures",
    "evaluate_units",
    "load_measures",
    "load_plant_measures",
]

DEFAULT_MEASURES_DIR: Path = DATA_DIR / "policy" / "measures"

#: Measure item types and the parameters each takes (from ``data/policy/measure_types.yaml``).
MEASURE_TYPES: dict[str, tuple[str, ...]] = {code: tuple(t.params) for code, t in measure_types().items()}
_ITEM_KEYS = (
    "type",
    "value",
    "t0",
    "t1",
    "process",
    "process_share",
    "factors",
    "text_zh",
    "text_en",
    "note",
)
_FILE_KEYS = (
    "industry",
    "scope",
    "source",
    "name_zh",
    "notes",
    "technical_max_cut",
    "extra_factors",
    "grade_fallback",
    "grades",
)
_SOURCE_KEYS = ("title", "issuer", "year", "city", "url", "note")
#: Control types of the inventory (from ``data/policy/control_classes.yaml``).
CONTROL_TYPES: tuple[str, ...] = control_classes().codes
DEFAULT_INDUSTRY = "default"
#: Nominal firm used to compare the strictness of levels in validation.
NOMINAL_LINES = 4
#: Plant-specific cut columns of the inventory (the bureau's own minimum cut per level, 0–1).
PLANT_CUT_COLUMNS: dict[str, str] = {lv: f"plant_cut_{lv}" for lv in ALERT_LEVELS}

_LEVEL_EN = {"yellow": "Yellow alert", "orange": "Orange alert", "red": "Red alert"}


@dataclass(frozen=True)
class MeasureItem:
    """One measure of a grade at a level.

    Attributes
    ----------
    type : str
        A type of ``data/policy/measure_types.yaml`` (:data:`MEASURE_TYPES`).
    value : float or None
        Share (cut, share of lines, process share, permitted load).
    t0, t1 : float or None
        Normal and extended process time, hours (``time_extension``).
    factors : tuple of float
        Emission factor per pollutant (``SO2, NOx, PM, VOCs``) per unit curtailment.
    text_zh, text_en : str
        Text for the list (generated from the type unless given in the file).
    process : str
        Process the item acts on (code of ``processes.csv``); items on different processes add up.
    process_share : float
        Share of the firm's output carried by ``process``; scales the item's curtailment.
    """

    type: str
    value: float | None = None
    t0: float | None = None
    t1: float | None = None
    factors: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    text_zh: str = ""
    text_en: str = ""
    process: str = "general"
    process_share: float = 1.0

    @property
    def spec(self) -> MeasureType:
        """The registry entry of this item's type."""
        return measure_types()[self.type]

    @property
    def integer(self) -> bool:
        """Whether the item stops whole lines (the model may make only these integral)."""
        return self.spec.integer

    @property
    def clip_to_technical_max(self) -> bool:
        """Whether a technical maximum may lower this item's curtailment (False: report a conflict)."""
        return self.spec.clip_to_technical_max

    def curtailment(self, line_count: np.ndarray, base_share: np.ndarray) -> np.ndarray:
        """Mandatory curtailment for each enterprise (vectorised), by the type's formula.

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
        c = _curtailment(self.spec, self.value, self.t0, self.t1, line_count, base_share)
        return c * self.process_share if self.process_share != 1.0 else c


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
    types = measure_types()
    if t not in types:
        problems.error(
            label,
            None,
            key_path(path, "type"),
            f"unknown measure type {t!r}{suggest(t, types)}; expected one of {', '.join(types)} "
            "(data/policy/measure_types.yaml)",
        )
        return None
    spec = types[t]
    ok = True
    for param in ("value", "t0", "t1"):
        if param in raw and param not in spec.params:
            problems.error(label, None, key_path(path, param), f"measure type {t!r} takes no {param!r}")
            ok = False
    for param, ps in spec.params.items():
        if ps.required and param not in raw:
            problems.error(label, None, key_path(path, param), f"measure type {t!r} needs {param!r}")
            ok = False
        elif param in raw:
            if ps.kind == "share":
                ok &= check_share(raw[param], problems, label, key_path(path, param))
            else:
                ok &= check_number(raw[param], problems, label, key_path(path, param), low=0.0, low_open=True)
    t0, t1 = raw.get("t0"), raw.get("t1")
    if ok and is_number(t0) and is_number(t1) and t1 < t0:
        problems.error(
            label,
            None,
            key_path(path, "t1"),
            f"extended time t1={t1!r} h is shorter than normal time t0={t0!r} h",
        )
        ok = False
    process = raw.get("process", spec.process)
    known = process_codes()
    if process not in known:
        problems.error(
            label,
            None,
            key_path(path, "process"),
            f"unknown process {process!r}{suggest(process, known)} (codes of data/policy/processes.csv)",
        )
        ok = False
    pshare = raw.get("process_share", 1.0)
    if "process_share" in raw:
        ok &= check_share(pshare, problems, label, key_path(path, "process_share"))
    factors = dict(zip(POLLUTANTS, spec.factors, strict=True))
    fraw = raw.get("factors")
    if spec.factors_required != "none" and fraw is None:
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
                elif spec.factors_required == "all":
                    problems.error(
                        label,
                        None,
                        key_path(path, "factors", pol),
                        f"{t} needs a factor for every pollutant; {pol} is missing",
                    )
                    ok = False
    for k in ("text_zh", "text_en", "note"):
        if k in raw and not isinstance(raw[k], str):
            problems.error(label, None, key_path(path, k), f"expected text, got {raw[k]!r}")
            ok = False
    if not ok:
        return None
    value = raw.get("value")
    fvalue = float(value) if is_number(value) else None
    ft0 = float(t0) if is_number(t0) else None
    ft1 = float(t1) if is_number(t1) else None
    zh, en = default_texts(spec, fvalue, ft0, ft1)
    return MeasureItem(
        type=t,
        value=fvalue,
        t0=ft0,
        t1=ft1,
        factors=tuple(factors[p] for p in POLLUTANTS),
        text_zh=raw.get("text_zh") or zh,
        text_en=raw.get("text_en") or en,
        process=str(process),
        process_share=float(pshare),
    )


@dataclass
class Aggregate:
    """The floor of a level's items for a group of enterprises (see :func:`aggregate_items`).

    Attributes
    ----------
    floor : numpy.ndarray (n,)
        Sum over processes of the largest curtailment of the items on each, clipped to 1.
    factor : numpy.ndarray (n, P)
        Curtailment-weighted mix of the parts' factors (the binding item's when the floor is 0).
    integer : numpy.ndarray (n,)
        Part of ``floor`` from whole-line items.
    keep : numpy.ndarray (n,)
        Part of ``floor`` that a technical maximum may not lower (process-time extensions).
    binding : numpy.ndarray (n,) of int
        Index (into the items) of the item with the largest part.
    """

    floor: np.ndarray
    factor: np.ndarray
    integer: np.ndarray
    keep: np.ndarray
    binding: np.ndarray


def aggregate_items(items: tuple[MeasureItem, ...], lines: np.ndarray, base_share: np.ndarray) -> Aggregate:
    """Combine the items of one level: max within a process, sum across processes, clip to 1.

    Parameters
    ----------
    items : tuple of MeasureItem
    lines, base_share : numpy.ndarray (n,)

    Returns
    -------
    Aggregate
    """
    n = len(lines)
    npol = len(POLLUTANTS)
    if len(items) == 1:  # the common case: one item, nothing to add or compare
        it = items[0]
        c = np.minimum(it.curtailment(lines, base_share), 1.0)
        return Aggregate(
            c,
            np.broadcast_to(np.asarray(it.factors, dtype=float), (n, npol)),
            c if it.integer else np.zeros(n),
            np.zeros(n) if it.clip_to_technical_max else c,
            np.zeros(n, dtype=np.int64),
        )
    total = np.zeros(n)
    weighted = np.zeros((n, npol))
    integer = np.zeros(n)
    keep = np.zeros(n)
    best = np.full(n, -1.0)
    binding = np.zeros(n, dtype=np.int64)
    by_process: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        by_process.setdefault(it.process, []).append(i)
    cols = np.arange(n)
    for idxs in by_process.values():
        curts = np.vstack([items[i].curtailment(lines, base_share) for i in idxs])
        k = np.argmax(curts, axis=0)
        c = curts[k, cols]
        f = np.array([items[i].factors for i in idxs])[k]
        total += c
        weighted += c[:, None] * f
        integer += c * np.array([items[i].integer for i in idxs], dtype=float)[k]
        keep += c * np.array([not items[i].clip_to_technical_max for i in idxs], dtype=float)[k]
        better = c > best
        best = np.where(better, c, best)
        binding = np.where(better, np.asarray(idxs)[k], binding)
    scale = np.where(total > 1.0, 1.0 / np.maximum(total, 1e-300), 1.0)
    floor = total * scale
    with np.errstate(invalid="ignore", divide="ignore"):
        mix = weighted / total[:, None]
    fallback = np.array([it.factors for it in items])[binding]
    factor = np.where(total[:, None] > 0, mix, fallback)
    return Aggregate(floor, factor, integer * scale, keep * scale, binding)


def _nominal_floor(items: tuple[MeasureItem, ...]) -> float:
    if not items:
        return 0.0
    return float(aggregate_items(items, np.array([float(NOMINAL_LINES)]), np.array([1.0])).floor[0])


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
    extra_factors : tuple of float
        Reduction per pollutant per unit of an extra cut above the floor (a general load cut).
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
    extra_factors: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
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
            g: str | None = grade
            seen: set[str] = set()
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
        parsed = [_parse_item(r, problems, label, key_path(lpath, i)) for i, r in enumerate(raw_items)]
        items = [it for it in parsed if it is not None]
        if len(items) != len(parsed):
            continue
        if self_directed:
            for i, it in enumerate(items):
                if it.spec.curtailment != "zero":
                    problems.error(
                        label,
                        None,
                        key_path(lpath, i, "type"),
                        f"grade {grade!r} is self-directed (grades.csv): only items without curtailment (self_directed, truck_ban) "
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


def _schema_ok(path: Path, doc, problems: Problems, label: str, plants: bool = False) -> bool:
    """Check a measures (or plants) file against its pydantic schema; add its problems with lines."""
    from pydantic import ValidationError

    from planner.io.schema_errors import validation_problems
    from planner.io.yamlio import read_yaml
    from planner.policy import schema

    model = schema.plant_file_schema() if plants else schema.measure_file_schema()
    try:
        model.model_validate(doc)
    except ValidationError as exc:
        try:
            ydoc = read_yaml(path, label)
        except InputError:  # pragma: no cover - the file was read a moment ago
            ydoc = None
        validation_problems(exc, doc, label, model=model, doc=ydoc, problems=problems)
        return False
    return True


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

    extra = dict.fromkeys(POLLUTANTS, 1.0)
    xraw = doc.get("extra_factors")
    if xraw is not None:
        if not isinstance(xraw, Mapping):
            problems.error(
                label, None, "extra_factors", "expected a mapping {SO2: .., NOx: .., PM: .., VOCs: ..}"
            )
        else:
            check_keys(xraw, POLLUTANTS, problems, label, "extra_factors", what="pollutant")
            for pol in POLLUTANTS:
                if pol in xraw and check_share(xraw[pol], problems, label, key_path("extra_factors", pol)):
                    extra[pol] = float(xraw[pol])

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
    # The domain checks above passed: the schema (generated from the type registry) is the
    # structural net behind them (types of every key, texts, nested sources).
    if not _schema_ok(path, doc, problems, label):
        return None
    return MeasureRule(
        file=label,
        industries=tuple(inds),
        scope=str(scope),
        source=source,
        technical_max_cut=float(tmc) if tmc is not None else None,
        extra_factors=tuple(extra[p] for p in POLLUTANTS),
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
        assert default is not None  # a missing default rule was reported above
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
            if problems.ok:
                _schema_ok(Path(path), doc, problems, label, plants=True)
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


def _text_codes(texts: _Texts, level: str, values: np.ndarray, make) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``make(level, v)`` for each distinct value (few distinct values, many firms)."""
    uniq, inv = np.unique(values, return_inverse=True)
    return np.array([texts.code(make(level, v)) for v in uniq], dtype=np.int64)[inv], uniq


def _plant_cuts(table: pd.DataFrame, problems: Problems) -> np.ndarray:
    """The inventory's plant-specific cut per level (NaN where not given), checked."""
    n = len(table)
    out = np.full((n, len(ALERT_LEVELS)), np.nan)
    for li, lv in enumerate(ALERT_LEVELS):
        col = PLANT_CUT_COLUMNS[lv]
        if col in table.columns:
            raw = table[col]
            vals = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            bad = (raw.notna().to_numpy() & np.isnan(vals)) | (vals < 0) | (vals > 1)
            if bad.any():
                problems.error(
                    "inventory",
                    None,
                    col,
                    f"{col} must be a share between 0 and 1 (the bureau's minimum cut at {lv}): "
                    f"{_rows_for_message(table, bad)}",
                )
            out[:, li] = np.where(bad, np.nan, vals)
    for k in range(1, len(ALERT_LEVELS)):
        weaker = out[:, k] < out[:, k - 1] - 1e-12
        if weaker.any():
            problems.error(
                "inventory",
                None,
                PLANT_CUT_COLUMNS[ALERT_LEVELS[k]],
                f"the {ALERT_LEVELS[k]} plant cut is smaller than the {ALERT_LEVELS[k - 1]} one "
                f"(every level must be at least as strict as the level below it): {_rows_for_message(table, weaker)}",
            )
    return out


def evaluate_measures(
    table: pd.DataFrame,
    book: MeasureBook | None = None,
    allow_volunteer: bool = False,
    plant_measures: Mapping[str, Mapping[str, tuple[MeasureItem, ...]]] | None = None,
    classes: ControlClasses | None = None,
) -> xr.Dataset:
    """Per-enterprise bounds on curtailment at each alert level.

    Parameters
    ----------
    table : pandas.DataFrame
        Canonical inventory table (index = enterprise id) with ``industry``, ``grade``,
        ``control_type`` and, where available, ``load_cap``, ``line_count`` (default 1),
        ``base_share`` (default 1), ``technical_max_cut`` (default 1), ``self_directed``
        (default from grades.csv), ``plant_cut_yellow/orange/red`` (the bureau's own cut),
        the daily emissions and ``operating_days`` (for the small-firm threshold).
    book : MeasureBook, optional
        From :func:`load_measures` (default: the shipped measures).
    allow_volunteer : bool, default False
        Let self-directed grades (A+, A, leading) cut voluntarily: ceiling = technical maximum.
    plant_measures : mapping, optional
        Plant-specific measures (一厂一策) from :func:`load_plant_measures`: enterprise id → level →
        items; they replace the class measures of those firms (self-directed grades, 保障类, exempt
        and heating boilers keep their rules).  They win over the inventory's plant-cut columns.
    classes : ControlClasses, optional
        Default :func:`planner.policy.classes.control_classes` (``control_classes.yaml``).

    Returns
    -------
    xarray.Dataset
        Dims ``enterprise``, ``level`` (yellow, orange, red), ``pollutant`` (SO2, NOx, PM, VOCs):

        - ``floor``, ``ceiling`` (enterprise, level): bounds on the curtailment share;
        - ``floor_clipped``: the floor was above the technical maximum and was lowered to it;
        - ``floor_conflict``: a process-time extension's floor exceeds the technical maximum; the
          floor is kept (the ceiling raised to it) and the text says so;
        - ``floor_integer_share``: the part of ``floor`` (a share of normal output) that is whole-line
          stops; ``floor − floor_integer_share`` is continuous;
        - ``plant_specific``: the floor is the bureau's own measure for this firm;
        - ``floor_factor`` (enterprise, level, pollutant): reduction per unit curtailment of the floor
          measures (curtailment-weighted mix of the items); ``factor`` is the same array (alias);
        - ``extra_factor`` (enterprise, level, pollutant): reduction per unit of a cut above the floor;
        - ``control_class`` (enterprise): graded_key, ungraded_key, non_key, guarantee or never_cut;
        - ``measure_type``, ``measure_text_zh``, ``measure_text_en`` (enterprise, level).

    Raises
    ------
    InputError
        Unknown industry, grade or control type, a 保障类 firm without a load cap (inventory
        ``load_cap`` or the class default), or plant cuts outside [0, 1] or weaker at a higher level.

    Notes
    -----
    Classes (``control_classes.yaml``): a graded firm takes its grade's measures (floor) up to the
    technical maximum; a key-industry firm without a grade takes the measures of
    ``ungraded_key.as_grade``; a firm of a non-key industry without a grade (其他行业) gets its own
    measure where the list gives one, otherwise the city minimum as floor, the optimizer choosing up to
    the technical maximum; 保障类: floor ``1 − max_load``, ceiling ``1 − min_load``; exempt and
    heating boilers floor 0 = ceiling.  Self-directed grades: floor 0, ceiling 0 unless
    ``allow_volunteer``.  Small low-emission firms (below the class threshold) get floors scaled by
    ``floor_scale``.  A floor above the ceiling is lowered to it (``floor_clipped``), except the part
    from process-time extensions (``floor_conflict``).  Evaluation groups enterprises by industry ×
    grade, so it is vectorised over firms.
    """
    book = book or load_measures()
    classes = classes or control_classes()
    n = len(table)
    nl, npol = len(ALERT_LEVELS), len(POLLUTANTS)
    problems = Problems()

    ind_code, ind_lab = _labels(table, "industry", "other")
    gr_code, gr_lab = _labels(table, "grade", "ungraded")
    ct_code, ct_lab = _labels(table, "control_type", "key")
    for name, codes, labels, known in (
        ("industry", ind_code, ind_lab, book.industries),
        ("grade", gr_code, gr_lab, book.grades),
        ("control_type", ct_code, ct_lab, classes.codes),
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
    plant_cut = _plant_cuts(table, problems)
    if not problems.ok:
        raise InputError(problems)

    kind = np.array([classes.kind(c) for c in ct_lab], dtype=object)[ct_code]
    by_grade = kind == "by_grade"
    guarantee = kind == "guarantee"
    key_industries = industry_table().query("key_industry == 'yes'").index
    key_ind = np.isin(ind_lab, list(key_industries))[ind_code]
    ungraded = (gr_lab == "ungraded")[gr_code]
    non_key = by_grade & ungraded & ~key_ind & ~self_dir
    ungraded_key = by_grade & ungraded & key_ind & ~self_dir
    has_cap = (load_cap >= 0) & (load_cap <= 1)
    max_load = np.empty((n, nl))
    min_load = np.empty((n, nl))
    for li, lv in enumerate(ALERT_LEVELS):
        default_max = classes.max_load.get(lv, np.nan)
        max_load[:, li] = np.where(has_cap, load_cap, default_max)
        min_load[:, li] = np.minimum(classes.min_load.get(lv, np.inf), max_load[:, li])
    no_cap = guarantee[:, None] & np.isnan(max_load)
    if no_cap.any():
        problems.error(
            "inventory",
            None,
            "load_cap",
            "保障类 (guarantee) enterprises need load_cap in [0, 1] (or a max_load in "
            f"control_classes.yaml): {_rows_for_message(table, no_cap.any(axis=1))}",
        )
        raise InputError(problems)

    types = _Texts()
    zh = _Texts()
    en = _Texts()
    floor = np.zeros((n, nl))
    ceiling = np.zeros((n, nl))
    factor = np.ones((n, nl, npol))
    extra = np.ones((n, nl, npol))
    integ = np.zeros((n, nl))
    keep = np.zeros((n, nl))
    plant = np.zeros((n, nl), dtype=bool)
    itemized = np.zeros((n, nl), dtype=bool)  # the floor comes from measure items (book or plants file)
    rule_grade = np.array(gr_lab, dtype=object)[gr_code]
    mtype = np.zeros((n, nl), dtype=np.int64)
    text_zh = np.zeros((n, nl), dtype=np.int64)
    text_en = np.zeros((n, nl), dtype=np.int64)

    # Group by industry × effective grade (ungraded key-industry firms take ``as_grade``).
    glab = np.append(gr_lab, classes.ungraded_key_as)
    gcode = np.where(ungraded_key, len(gr_lab), gr_code)
    key = ind_code * len(glab) + gcode
    order = np.argsort(key, kind="stable")
    ukeys, starts = np.unique(key[order], return_index=True)
    edges = np.append(starts, n)
    for j, k in enumerate(ukeys):
        idx = order[edges[j] : edges[j + 1]]
        rule, g = book.resolve(ind_lab[k // len(glab)], glab[k % len(glab)])
        rule_grade[idx] = glab[k % len(glab)]
        itemized[idx, :] = True
        cap = tmc[idx] if rule.technical_max_cut is None else np.minimum(tmc[idx], rule.technical_max_cut)
        ceiling[idx, :] = cap[:, None]
        extra[idx, :, :] = np.asarray(rule.extra_factors)
        for li, level in enumerate(ALERT_LEVELS):
            items = rule.grades[g][level]
            agg = aggregate_items(items, lines[idx], base_share[idx])
            floor[idx, li] = agg.floor
            factor[idx, li, :] = agg.factor
            integ[idx, li] = agg.integer
            keep[idx, li] = agg.keep
            mtype[idx, li] = np.array([types.code(it.type) for it in items])[agg.binding]
            text_zh[idx, li] = zh.code(f"{ALERT_ZH[level]}：" + "；".join(it.text_zh for it in items))
            text_en[idx, li] = en.code(f"{_LEVEL_EN[level]}: " + "; ".join(it.text_en for it in items))

    def reset(rows: np.ndarray, li=slice(None)) -> None:
        """Cells (rows × level ``li``) whose floor is a plain cut (factor 1, continuous, clippable)."""
        r = np.flatnonzero(rows)
        if not len(r):
            return
        factor[r, li] = 1.0
        extra[r, li] = 1.0
        integ[r, li] = 0.0
        keep[r, li] = 0.0
        itemized[r, li] = False

    # Non-key firms (其他行业): city minimum as floor; the optimizer chooses up to the technical maximum.
    if non_key.any():
        for li, level in enumerate(ALERT_LEVELS):
            reset(non_key, li)
            cmin = classes.city_minimum.get(level, 0.0)
            floor[non_key, li] = cmin
            mtype[non_key, li] = types.code("plant_by_plant")
            if cmin > 0:
                tzh = f"{ALERT_ZH[level]}：其他行业（一厂一策）：最低限产{_pct(cmin)}，其余由优化确定（不超过技术最大削减比例）"
                ten = f"{_LEVEL_EN[level]}: other industries (plant by plant): cut at least {_pct(cmin)}; more as optimised, up to the technical maximum"
            else:
                tzh = f"{ALERT_ZH[level]}：其他行业（一厂一策）：由优化确定减排比例（不超过技术最大削减比例）"
                ten = f"{_LEVEL_EN[level]}: other industries (plant by plant): cut as optimised, up to the technical maximum"
            text_zh[non_key, li] = zh.code(tzh)
            text_en[non_key, li] = en.code(ten)

    # The inventory's own plant cuts (一厂一策 columns of the list).
    for li, level in enumerate(ALERT_LEVELS):
        m = ~np.isnan(plant_cut[:, li])
        if not m.any():
            continue
        reset(m, li)
        floor[m, li] = plant_cut[m, li]
        plant[m, li] = True
        mtype[m, li] = types.code("plant_cut")
        text_zh[m, li], _ = _text_codes(
            zh, level, plant_cut[m, li], lambda lv, v: f"{ALERT_ZH[lv]}（一厂一策）：限产{_pct(v)}"
        )
        text_en[m, li], _ = _text_codes(
            en, level, plant_cut[m, li], lambda lv, v: f"{_LEVEL_EN[lv]} (plant-specific): cut {_pct(v)}"
        )

    # Plant-specific measure files (一厂一策): few firms, one at a time.
    if plant_measures:
        ids = table.index.astype(str)
        for r in np.flatnonzero(ids.isin(list(plant_measures))):
            per_level = plant_measures[ids[int(r)]]
            for li, level in enumerate(ALERT_LEVELS):
                items = per_level[level]
                agg = aggregate_items(items, lines[r : r + 1], base_share[r : r + 1])
                floor[r, li] = agg.floor[0]
                factor[r, li, :] = agg.factor[0]
                extra[r, li, :] = 1.0
                integ[r, li] = agg.integer[0]
                keep[r, li] = agg.keep[0]
                itemized[r, li] = True
                plant[r, li] = True
                mtype[r, li] = types.code(items[int(agg.binding[0])].type)
                text_zh[r, li] = zh.code(
                    f"{ALERT_ZH[level]}（一厂一策）：" + "；".join(it.text_zh for it in items)
                )
                text_en[r, li] = en.code(
                    f"{_LEVEL_EN[level]} (plant-specific): " + "; ".join(it.text_en for it in items)
                )

    # Small low-emission firms: lighter measures (floors scaled), not for the bureau's own measures.
    if classes.small_threshold is not None:
        days = _float_column(table, "operating_days", 365.0)
        annual = sum(_float_column(table, p, 0.0) for p in POLLUTANTS) * days
        small = by_grade & ~self_dir & (annual < classes.small_threshold)
        cells = small[:, None] & ~plant & (floor > 0)
        if cells.any():
            s = classes.small_floor_scale
            floor[cells] *= s
            keep[cells] *= s
            integ[cells] = 0.0
            itemized[cells] = False
            for texts, codes, note in (
                (zh, text_zh, f"（低排放小微企业：按{_pct(s)}执行）"),
                (en, text_en, f" (small low-emission firm: {_pct(s)} of the measure)"),
            ):
                uc, inv = np.unique(codes[cells], return_inverse=True)
                codes[cells] = np.array([texts.code(texts.values[c] + note) for c in uc], dtype=np.int64)[inv]

    # Self-directed grades: no mandatory cut.
    if self_dir.any():
        floor[self_dir] = 0.0
        if not allow_volunteer:
            ceiling[self_dir] = 0.0
        reset(self_dir)
        plant[self_dir] = False
        mtype[self_dir] = types.code("self_directed")
        for li, level in enumerate(ALERT_LEVELS):
            text_zh[self_dir, li] = zh.code(
                f"{ALERT_ZH[level]}：自主减排" + ("（可自愿增加减排）" if allow_volunteer else "")
            )
            text_en[self_dir, li] = en.code(
                f"{_LEVEL_EN[level]}: self-directed reduction"
                + (" (may volunteer further cuts)" if allow_volunteer else "")
            )

    # 保障类: bounds from the max load (floor) and the livelihood minimum load (ceiling).
    if guarantee.any():
        floor[guarantee] = 1.0 - max_load[guarantee]
        ceiling[guarantee] = 1.0 - min_load[guarantee]
        reset(guarantee)
        plant[guarantee] = False
        mtype[guarantee] = types.code("load_cap")
        for li, level in enumerate(ALERT_LEVELS):
            pair = max_load[guarantee, li] * 2.0 + min_load[guarantee, li] * 1e-6
            uniq, inv = np.unique(pair, return_inverse=True)
            first = np.array([np.flatnonzero(pair == u)[0] for u in uniq])
            mx, mn = max_load[guarantee, li][first], min_load[guarantee, li][first]
            czh = np.array(
                [
                    zh.code(
                        f"{ALERT_ZH[level]}：保障类：负荷不高于{_pct(a)}"
                        + (f"、不低于{_pct(b)}" if b < a else "")
                        + "（以热定产/以量定产）"
                    )
                    for a, b in zip(mx, mn, strict=True)
                ]
            )
            cen = np.array(
                [
                    en.code(
                        f"{_LEVEL_EN[level]}: guarantee (保障类): run at no more than {_pct(a)} load"
                        + (f" and no less than {_pct(b)}" if b < a else "")
                    )
                    for a, b in zip(mx, mn, strict=True)
                ]
            )
            text_zh[guarantee, li] = czh[inv]
            text_en[guarantee, li] = cen[inv]

    # Never cut: exempt firms, residential heating boilers (texts from control_classes.yaml).
    for ctype in classes.codes:
        spec = classes.control_types[ctype]
        m = (ct_lab == ctype)[ct_code] if spec.kind == "never_cut" else None
        if m is None or not m.any():
            continue
        floor[m] = 0.0
        ceiling[m] = 0.0
        reset(m)
        plant[m] = False
        mtype[m] = types.code(ctype)
        tzh = spec.text_zh or f"{spec.name_zh}：不限产"
        ten = spec.text_en or f"{spec.name_en}: not curtailed"
        for li, level in enumerate(ALERT_LEVELS):
            text_zh[m, li] = zh.code(f"{ALERT_ZH[level]}：{tzh}")
            text_en[m, li] = en.code(f"{_LEVEL_EN[level]}: {ten}")

    # A floor above the technical maximum is lowered to it and the text says so — except the part
    # from process-time extensions, which is kept (the ceiling is raised) and reported as a conflict.
    technical = ceiling.copy()  # before a kept process-time extension raises it
    over = floor > ceiling + 1e-12
    conflict = over & (keep > ceiling + 1e-12)
    clipped = over & ~conflict
    if over.any():
        integ[over] = 0.0
        floor[clipped] = ceiling[clipped]
        floor[conflict] = keep[conflict]
        cap_before = ceiling.copy()
        ceiling[conflict] = keep[conflict]
        # a kept extension at a lower level may now exceed a clipped floor above it: keep the
        # levels in order (the higher level takes the lower one's floor, reported as a conflict)
        mono = np.maximum.accumulate(floor, axis=1)
        raised = mono > floor + 1e-12
        if raised.any():
            floor = mono
            ceiling = np.maximum(ceiling, floor)
            conflict |= raised
            clipped &= ~raised
        for mask2, zh_note, en_note in (
            (
                clipped,
                "（受工艺限制无法停产，如窑炉不能停炉：按技术最大削减比例{cap}执行）",
                " (cannot stop for technical reasons, e.g. a furnace that cannot be shut: "
                "limited to the technical maximum of {cap})",
            ),
            (
                conflict,
                "（注意：延长生产周期的减产效果{keep}高于技术最大削减比例{cap}，按延长后的周期执行，请核实）",
                " (conflict: the process-time extension cuts {keep}, more than the technical maximum of "
                "{cap}; the extension is kept — please check)",
            ),
        ):
            if not mask2.any():
                continue
            rows, cols = np.nonzero(mask2)
            for texts, codes, note in ((zh, text_zh, zh_note), (en, text_en, en_note)):
                keys = list(zip(codes[rows, cols], cap_before[rows, cols], floor[rows, cols], strict=True))
                cache: dict = {}
                new = np.empty(len(keys), dtype=np.int64)
                for i, kk in enumerate(keys):
                    c = cache.get(kk)
                    if c is None:
                        c = cache[kk] = texts.code(
                            texts.values[kk[0]] + note.format(cap=_pct(kk[1]), keep=_pct(kk[2]))
                        )
                    new[i] = c
                codes[rows, cols] = new

    cls = np.full(n, "graded_key", dtype=object)
    cls[ungraded_key] = "ungraded_key"
    cls[non_key] = "non_key"
    cls[guarantee] = "guarantee"
    cls[kind == "never_cut"] = "never_cut"

    dims2 = ("enterprise", "level")
    dims3 = ("enterprise", "level", "pollutant")

    def _text_var(texts: _Texts, codes: np.ndarray) -> xr.Variable:
        # fastpath: keep the object array of str as is (no per-element pandas conversion)
        return xr.Variable(dims2, texts.materialize(codes), fastpath=True)

    coords = {
        "enterprise": table.index.to_numpy(),
        "level": list(ALERT_LEVELS),
        "pollutant": list(POLLUTANTS),
    }
    factor_attrs = {
        "units": "1",
        "long_name": "emission removed per unit emission per unit curtailment of the floor measures",
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
            "floor_conflict": (
                dims2,
                conflict,
                {"long_name": "process-time extension above the technical maximum (kept; ceiling raised)"},
            ),
            "floor_integer_share": (
                dims2,
                np.minimum(integ, floor),
                {"units": "1", "long_name": "part of the floor that is whole-line stops"},
            ),
            "plant_specific": (dims2, plant, {"long_name": "floor is the bureau's own measure (一厂一策)"}),
            "itemized": (
                dims2,
                itemized,
                {"long_name": "floor from measure items (evaluated per line with lines)"},
            ),
            "ceiling_technical": (
                dims2,
                technical,
                {"units": "1", "long_name": "ceiling before a kept process-time extension raised it"},
            ),
            "rule_grade": xr.Variable(("enterprise",), rule_grade, fastpath=True),
            "factor": (dims3, factor, factor_attrs),
            "floor_factor": (dims3, factor.copy(), factor_attrs),
            "extra_factor": (
                dims3,
                extra,
                {
                    "units": "1",
                    "long_name": "emission removed per unit emission per unit curtailment above the floor",
                },
            ),
            "control_class": xr.Variable(("enterprise",), cls, fastpath=True),
            "measure_type": _text_var(types, mtype),
            "measure_text_zh": _text_var(zh, text_zh),
            "measure_text_en": _text_var(en, text_en),
        },
        coords=coords,
        attrs={"allow_volunteer": int(allow_volunteer)},
    )


# --------------------------------------------------------------------------- lines and processes


def _unit_item_curtailment(it: MeasureItem, n: int, base_share: np.ndarray) -> np.ndarray:
    """An item's curtailment of one *line* (a unit of the lines table), vectorised over units.

    A line is one process of its firm, so the parameters that stand for a process's share of the
    firm in a firm-level list (``process_share``; the ``value`` of a fixed stop naming a process,
    e.g. ``process_stop`` on ``sinter`` with value 0.4 ≈ the sinter's share) are replaced by what the
    lines table says: the item stops the line (1).  Line stops (``whole_lines`` kinds) are not a
    per-line share: they are counted over the line group (:func:`evaluate_units`), so 0 here.
    """
    kind = it.spec.curtailment
    if kind == "whole_lines":
        return np.zeros(n)
    if kind == "fixed" and it.process != "general":
        return np.ones(n)
    c = _curtailment(it.spec, it.value, it.t0, it.t1, np.ones(n), base_share)
    if it.process == "general" and it.process_share != 1.0:
        c = c * it.process_share
    return np.minimum(c, 1.0)


def _process_caps(process: np.ndarray) -> np.ndarray:
    """(U,) largest cut of each unit's process.

    ``max_cut`` of ``processes.csv``; 1 for a process that can stop or a code the table does not list.
    """
    from planner.policy.registry import processes

    caps = processes()["max_cut"]
    return caps.reindex(pd.Index(process.astype(str))).fillna(1.0).to_numpy(dtype=float)


def evaluate_units(
    table: pd.DataFrame,
    units: pd.DataFrame,
    bounds: xr.Dataset,
    book: MeasureBook | None = None,
    plant_measures: Mapping[str, Mapping[str, tuple[MeasureItem, ...]]] | None = None,
) -> xr.Dataset:
    """Bounds per decision unit (a line or process of an enterprise, or a whole enterprise).

    Parameters
    ----------
    table : pandas.DataFrame
        The inventory table the ``bounds`` were evaluated from (index = enterprise id).
    units : pandas.DataFrame
        :func:`planner.inventory.lines.units_table` (``line_id`` ``''`` = a whole enterprise).
    bounds : xarray.Dataset
        :func:`evaluate_measures` of ``table`` (after the scenario's bound overrides).
    book, plant_measures
        As given to :func:`evaluate_measures`.

    Returns
    -------
    xarray.Dataset
        Dims ``unit``, ``level``, ``pollutant`` and ``group``:

        - ``owner``, ``line_id``, ``process`` (unit);
        - ``floor``, ``ceiling`` (unit, level): the unit's own bounds (share of the unit's output);
        - ``floor_factor``, ``extra_factor`` (unit, level, pollutant);
        - ``whole_lines`` (unit, level): the unit is a whole line under a line stop (0/1 in the
          discrete mode); ``group`` (unit, level): its line-stop group (−1 none);
        - ``floor_conflict``, ``floor_clipped`` (unit, level);
        - ``group_count`` (group): lines of the group that must stop; ``group_owner``,
          ``group_process``, ``group_level`` (group).

    Notes
    -----
    A whole enterprise (no lines) takes its firm's bounds unchanged.  A line takes its firm's bounds
    unchanged where the firm's floor does not come from measure items (control classes: 其他行业
    plant by plant, plant cuts, 保障类, self-directed, exempt; small firms; overrides).  Where it
    does, the items of the level act on the lines of the process they name (``general``: every line
    of the firm); on one line the items of its process and the general items **add up** (the largest
    of each, clipped to 1), with the curtailment-weighted factors.  A line stop (``stop_lines_share``,
    ``hot_idle``) of share ``v`` over a group of ``n`` lines stops ``ceil(v · n)`` whole lines of the
    group — which ones is the optimizer's choice (rows ``Σ x ≥ count``), so stopping the 2,500 t/d kiln
    of a 2 × 5,000 + 1 × 2,500 t/d plant is not a third of the plant.  A process-time extension keeps
    its T0/T1 floor above the technical maximum (the ceiling is raised, ``floor_conflict``); other
    floors above it are lowered to it (``floor_clipped``).
    """
    book = book or load_measures()
    nl, npol = len(ALERT_LEVELS), len(POLLUTANTS)
    owner = units["enterprise_id"].astype(str).to_numpy(dtype=object)
    line_id = units["line_id"].astype(str).to_numpy(dtype=object)
    process = units["process"].astype(str).to_numpy(dtype=object)
    nu = len(units)
    f = positions(bounds.get_index("enterprise").astype(str), owner)
    if (f < 0).any():
        raise ValueError("units name enterprises that are not in the evaluated bounds")
    t_rows = positions(table.index.astype(str), owner)

    def firm(name):
        v = bounds[name]
        dims = ("enterprise", "level", "pollutant")[: v.ndim]
        return np.array(v.transpose(*dims).to_numpy()[f], copy=True)

    floor = firm("floor").astype(float)
    ceiling = firm("ceiling").astype(float)
    ffac = firm("floor_factor").astype(float)
    efac = firm("extra_factor").astype(float)
    conflict = firm("floor_conflict").astype(bool)
    clipped = firm("floor_clipped").astype(bool)
    whole = firm("floor_integer_share") > 0
    group = np.full((nu, nl), -1, dtype=np.int64)
    groups: list[tuple[str, str, str, float]] = []
    is_line = line_id != ""
    # a line of a process that cannot stop (coke oven, glass furnace) is cut at most by its max_cut
    max_cut = np.where(is_line, _process_caps(process), 1.0)
    if is_line.any() and "itemized" in bounds:
        itemized = firm("itemized").astype(bool)
        technical = np.minimum(firm("ceiling_technical").astype(float), max_cut[:, None])
        base_share = np.clip(_float_column(table, "base_share", 1.0), 0.0, 1.0)[t_rows]
        industry = (
            table["industry"].astype(str).to_numpy(dtype=object)[t_rows]
            if "industry" in table
            else np.full(nu, "other", dtype=object)
        )
        grade = np.asarray(bounds["rule_grade"].to_numpy(), dtype=object)[f]
        plant_ids = set(plant_measures or {})
        # one key per rule (industry × grade, or a plants-file firm)
        key = np.where(np.isin(owner, list(plant_ids)), "plant:" + owner, industry + "|" + grade)
        key_codes, key_names = pd.factorize(key)
        key_names = np.asarray(key_names, dtype=object)
        for li, level in enumerate(ALERT_LEVELS):
            cells = is_line & itemized[:, li]
            if not cells.any():
                continue
            new_floor = np.zeros(nu)
            keep = np.zeros(nu)
            weighted = np.zeros((nu, npol))
            # the cells of each key (keys in sorted order, cells in row order), grouped once
            sel = np.flatnonzero(cells)
            sel = sel[np.argsort(key_codes[sel], kind="stable")]
            present, starts = np.unique(key_codes[sel], return_index=True)
            by_key = dict(zip(present.tolist(), np.split(sel, starts[1:]), strict=True))
            for code in sorted(by_key, key=lambda c: key_names[c]):
                k, idx = key_names[code], by_key[code]
                if k.startswith("plant:"):
                    assert plant_measures is not None  # "plant:" keys come from its ids
                    items = plant_measures[k[len("plant:") :]][level]
                else:
                    ind, g = k.split("|", 1)
                    rule, g2 = book.resolve(ind, g)
                    items = rule.grades[g2][level]
                part = {"own": (np.zeros(len(idx)), np.zeros((len(idx), npol)), np.zeros(len(idx)))}
                part["general"] = (np.zeros(len(idx)), np.zeros((len(idx), npol)), np.zeros(len(idx)))
                stops: dict[str, tuple[float, tuple[float, ...]]] = {}
                for it in items:
                    if it.spec.curtailment == "whole_lines":
                        share = 1.0 if it.value is None else float(it.value)
                        best = stops.get(it.process)
                        if best is None or share > best[0]:
                            stops[it.process] = (share, it.factors)
                        continue
                    acts = np.ones(len(idx), bool) if it.process == "general" else process[idx] == it.process
                    if not acts.any():
                        continue
                    c = np.where(acts, _unit_item_curtailment(it, len(idx), base_share[idx]), 0.0)
                    slot = "general" if it.process == "general" else "own"
                    cur, fac, kp = part[slot]
                    better = c > cur
                    part[slot] = (
                        np.where(better, c, cur),
                        np.where(better[:, None], np.asarray(it.factors, float)[None, :], fac),
                        np.where(better, 0.0 if it.clip_to_technical_max else c, kp),
                    )
                tot = part["own"][0] + part["general"][0]
                scale = np.where(tot > 1.0, 1.0 / np.maximum(tot, 1e-300), 1.0)
                new_floor[idx] = tot * scale
                keep[idx] = (part["own"][2] + part["general"][2]) * scale
                weighted[idx] = (
                    part["own"][0][:, None] * part["own"][1]
                    + part["general"][0][:, None] * part["general"][1]
                ) * scale[:, None]
                # line stops: count whole lines over the group (own process, else every line of the firm)
                for proc in sorted(stops, key=lambda p: p == "general"):  # named processes first
                    share, factors = stops[proc]
                    members = idx[group[idx, li] < 0] if proc == "general" else idx[process[idx] == proc]
                    if not len(members):
                        continue
                    codes, firms = pd.factorize(owner[members])
                    n_g = np.bincount(codes, minlength=len(firms))
                    room = np.bincount(
                        codes, weights=technical[members, li] >= 1.0 - 1e-9, minlength=len(firms)
                    )
                    count = np.minimum(np.ceil(share * n_g - 1e-9), room)
                    # only lines that can stop whole are in the stop group
                    ok = (count[codes] > 0) & (technical[members, li] >= 1.0 - 1e-9)
                    gid = len(groups) + np.cumsum(count > 0) - 1  # group id of each firm with a count
                    group[members[ok], li] = gid[codes[ok]]
                    whole[members[ok], li] = True
                    efac[members[ok], li, :] = np.asarray(factors, float)[None, :]
                    groups.extend(
                        (str(o), str(proc), level, float(c))
                        for o, c in zip(firms, count, strict=True)
                        if c > 0
                    )
            with np.errstate(invalid="ignore", divide="ignore"):
                mix = weighted[cells] / new_floor[cells][:, None]
            ffac[cells, li, :] = np.where(new_floor[cells][:, None] > 0, mix, efac[cells, li, :])
            cap = technical[cells, li]
            over = new_floor[cells] > cap + 1e-12
            keep_c = keep[cells]
            conf = over & (keep_c > cap + 1e-12)
            clip = over & ~conf
            fl = np.where(clip, cap, np.where(conf, keep_c, new_floor[cells]))
            floor[cells, li] = fl
            ceiling[cells, li] = np.where(conf, keep_c, cap)
            conflict[cells, li] = conf
            clipped[cells, li] = clip
            whole[cells, li] &= group[cells, li] >= 0  # a line is integral only under a line stop
            whole[cells, li] |= (fl >= 1.0 - 1e-12) & (ceiling[cells, li] >= 1.0 - 1e-12)
        # a line's floor never falls from one level to the next
        mono = np.maximum.accumulate(floor, axis=1)
        raised = mono > floor + 1e-12
        floor = mono
        ceiling = np.maximum(ceiling, floor)
        conflict |= raised & is_line[:, None]
    # the optimizer never cuts a line that cannot stop beyond its process's max_cut (a floor above
    # it — the bureau's own measure or a process-time extension — stays, and is the ceiling then)
    capped = max_cut < 1.0
    if capped.any():
        ceiling[capped] = np.maximum(np.minimum(ceiling[capped], max_cut[capped, None]), floor[capped])
        whole[capped] &= floor[capped] >= 1.0 - 1e-12
    unit_ids = np.where(is_line, owner + "/" + line_id, owner).astype(str)
    g_owner = np.array([g[0] for g in groups], dtype=object)
    return xr.Dataset(
        {
            "owner": xr.Variable(("unit",), owner.astype(str)),
            "line_id": xr.Variable(("unit",), line_id.astype(str)),
            "process": xr.Variable(("unit",), process.astype(str)),
            "floor": (("unit", "level"), floor),
            "ceiling": (("unit", "level"), np.maximum(ceiling, floor)),
            "floor_factor": (("unit", "level", "pollutant"), ffac),
            "extra_factor": (("unit", "level", "pollutant"), efac),
            "whole_lines": (("unit", "level"), whole),
            "group": (("unit", "level"), group),
            "floor_conflict": (("unit", "level"), conflict),
            "floor_clipped": (("unit", "level"), clipped),
            "group_count": (("group",), np.array([g[3] for g in groups], dtype=float)),
            "group_owner": (("group",), g_owner.astype(str)),
            "group_process": (("group",), np.array([g[1] for g in groups], dtype=object).astype(str)),
            "group_level": (("group",), np.array([g[2] for g in groups], dtype=object).astype(str)),
        },
        coords={"unit": unit_ids, "level": list(ALERT_LEVELS), "pollutant": list(POLLUTANTS)},
    )
