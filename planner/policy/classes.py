"""Control classes as data: how each kind of listed firm gets its bounds.

``data/policy/control_classes.yaml`` declares the inventory's control types (管控类型) once, each
mapped to a class, and the parameters of every class (see the file's header):

- ``graded_key`` – guide measure of the grade = floor, technical maximum = ceiling;
- ``ungraded_key`` – a key-industry firm without a grade takes the measures of ``as_grade`` (C or D);
- ``non_key`` – 其他行业 without a grade: the bureau's own measure where given, otherwise the city
  minimum as floor and the technical maximum as ceiling (the optimizer chooses);
- ``guarantee`` – 保障类: floor ``1 − max_load``, ceiling ``1 − min_load`` per level;
- ``never_cut`` – exempt firms and residential heating boilers;
- ``small_low_emission`` – an optional emission threshold below which floors are scaled down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from planner import ALERT_LEVELS, DATA_DIR
from planner.policy.vocabulary import check_keys, check_share, file_label, key_path, load_yaml, suggest
from planner.problems import InputError, Problems

__all__ = ["CONTROL_CLASSES_FILE", "ControlClasses", "ControlType", "control_classes", "read_control_classes"]

CONTROL_CLASSES_FILE: Path = DATA_DIR / "policy" / "control_classes.yaml"
CLASS_KINDS = ("by_grade", "guarantee", "never_cut")
_CT_KEYS = ("class", "name_zh", "name_en", "text_zh", "text_en")
_CLASS_KEYS = {
    "graded_key": ("floor", "ceiling", "source", "note"),
    "ungraded_key": ("as_grade", "source", "note"),
    "non_key": ("city_minimum", "ceiling", "source", "note"),
    "guarantee": ("max_load", "min_load", "source", "note"),
    "small_low_emission": ("threshold_t_per_year", "floor_scale", "source", "note"),
}


@dataclass(frozen=True)
class ControlType:
    """One control type of the inventory (``key``, ``guarantee`` …) and its class."""

    code: str
    kind: str
    name_zh: str = ""
    name_en: str = ""
    text_zh: str = ""
    text_en: str = ""


@dataclass
class ControlClasses:
    """The parameters of ``control_classes.yaml``.

    Attributes
    ----------
    control_types : dict
        Code → :class:`ControlType`.
    ungraded_key_as : str
        Grade whose measures an ungraded key-industry firm takes.
    city_minimum : dict
        Level → floor of a non-key firm without its own measure.
    max_load, min_load : dict
        Level → load share of 保障类 firms.
    small_threshold : float or None
        t/a (SO2+NOx+PM+VOCs) below which floors are multiplied by ``small_floor_scale``.
    small_floor_scale : float
    sources : dict
        Class → source text.
    """

    control_types: dict[str, ControlType]
    ungraded_key_as: str = "C"
    city_minimum: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ALERT_LEVELS, 0.0))
    max_load: dict[str, float] = field(default_factory=dict)
    min_load: dict[str, float] = field(default_factory=dict)
    small_threshold: float | None = None
    small_floor_scale: float = 1.0
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> tuple[str, ...]:
        """Control-type codes, in file order."""
        return tuple(self.control_types)

    def kind(self, code: str) -> str:
        """Class kind (by_grade, guarantee, never_cut) of a control type."""
        return self.control_types[code].kind


def _level_shares(raw, problems: Problems, label: str, path: str) -> dict[str, float]:
    out: dict[str, float] = {}
    if not isinstance(raw, Mapping):
        problems.error(label, None, path, "expected a mapping yellow/orange/red → share")
        return out
    check_keys(raw, ALERT_LEVELS, problems, label, path, required=ALERT_LEVELS, what="level")
    for lv in ALERT_LEVELS:
        if lv in raw and check_share(raw[lv], problems, label, key_path(path, lv)):
            out[lv] = float(raw[lv])
    return out


def read_control_classes(path: str | Path = CONTROL_CLASSES_FILE, grades=None) -> ControlClasses:
    """Read and check ``control_classes.yaml``.

    Parameters
    ----------
    path : str or Path
    grades : sequence of str, optional
        Valid grade codes (default ``grades.csv``) for ``ungraded_key.as_grade``.

    Raises
    ------
    InputError
        Unknown or missing keys, shares outside [0, 1], an unknown class or grade, a min load above
        the max load, a class without a source.
    """
    from planner.policy.vocabulary import grade_codes

    grades = list(grades) if grades is not None else grade_codes()
    label = file_label(path)
    problems = Problems()
    doc = load_yaml(path, problems, label)
    if doc is None:
        raise InputError(problems)
    if not isinstance(doc, Mapping):
        raise InputError.single(label, "expected a mapping with source, control_types, classes")
    check_keys(
        doc,
        ("source", "notes", "control_types", "classes"),
        problems,
        label,
        required=("source", "control_types", "classes"),
    )
    cts: dict[str, ControlType] = {}
    for code, raw in (doc.get("control_types") or {}).items():
        p = key_path("control_types", str(code))
        if not isinstance(raw, Mapping):
            problems.error(label, None, p, "expected {class: by_grade|guarantee|never_cut, name_zh, name_en}")
            continue
        check_keys(raw, _CT_KEYS, problems, label, p, required=("class",))
        kind = raw.get("class")
        if kind not in CLASS_KINDS:
            problems.error(
                label, None, key_path(p, "class"), f"unknown class {kind!r}{suggest(kind, CLASS_KINDS)}"
            )
            continue
        cts[str(code)] = ControlType(
            str(code),
            str(kind),
            str(raw.get("name_zh", code)),
            str(raw.get("name_en", code)),
            str(raw.get("text_zh", "")),
            str(raw.get("text_en", "")),
        )
    classes = doc.get("classes") or {}
    if not isinstance(classes, Mapping):
        problems.error(label, None, "classes", "expected a mapping class → parameters")
        classes = {}
    check_keys(
        classes, tuple(_CLASS_KEYS), problems, label, "classes", required=tuple(_CLASS_KEYS), what="class"
    )
    out = ControlClasses(control_types=cts)
    for name, keys in _CLASS_KEYS.items():
        raw = classes.get(name)
        p = key_path("classes", name)
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            problems.error(label, None, p, "expected a mapping")
            continue
        check_keys(raw, keys, problems, label, p, required=("source",))
        src = raw.get("source")
        if "source" in raw and not (isinstance(src, str) and src.strip()):
            problems.error(label, None, key_path(p, "source"), "source must name the document it comes from")
        out.sources[name] = str(src or "")
    g = classes.get("graded_key") or {}
    if g.get("floor", "guide") != "guide":
        problems.error(label, None, "classes.graded_key.floor", "floor must be 'guide'")
    for name in ("graded_key", "non_key"):
        if (classes.get(name) or {}).get("ceiling", "technical_max") != "technical_max":
            problems.error(label, None, f"classes.{name}.ceiling", "ceiling must be 'technical_max'")
    ug = (classes.get("ungraded_key") or {}).get("as_grade", "C")
    if ug not in grades:
        problems.error(
            label, None, "classes.ungraded_key.as_grade", f"unknown grade {ug!r}{suggest(ug, grades)}"
        )
    out.ungraded_key_as = str(ug)
    nk = classes.get("non_key") or {}
    if "city_minimum" in nk:
        out.city_minimum = _level_shares(nk["city_minimum"], problems, label, "classes.non_key.city_minimum")
    gu = classes.get("guarantee") or {}
    for k in ("max_load", "min_load"):
        if k in gu:
            setattr(out, k, _level_shares(gu[k], problems, label, f"classes.guarantee.{k}"))
    for lv in ALERT_LEVELS:
        if lv in out.min_load and lv in out.max_load and out.min_load[lv] > out.max_load[lv]:
            problems.error(
                label,
                None,
                f"classes.guarantee.min_load.{lv}",
                f"min load {out.min_load[lv]:g} is above the max load {out.max_load[lv]:g}",
            )
    for i in range(1, len(ALERT_LEVELS)):
        lo, hi = ALERT_LEVELS[i - 1], ALERT_LEVELS[i]
        if lo in out.max_load and hi in out.max_load and out.max_load[hi] > out.max_load[lo]:
            problems.error(
                label,
                None,
                f"classes.guarantee.max_load.{hi}",
                f"the {hi} max load is above the {lo} max load",
            )
    sm = classes.get("small_low_emission") or {}
    th = sm.get("threshold_t_per_year")
    if th is not None and (not isinstance(th, int | float) or isinstance(th, bool) or th < 0):
        problems.error(
            label, None, "classes.small_low_emission.threshold_t_per_year", "expected a number ≥ 0 or null"
        )
    else:
        out.small_threshold = None if th is None else float(th)
    fs = sm.get("floor_scale", 1.0)
    if check_share(fs, problems, label, "classes.small_low_emission.floor_scale"):
        out.small_floor_scale = float(fs)
    if not problems.ok:
        raise InputError(problems)
    return out


@lru_cache(maxsize=4)
def control_classes(path: str | Path = CONTROL_CLASSES_FILE) -> ControlClasses:
    """The shipped control classes (cached); see :func:`read_control_classes`."""
    return read_control_classes(path)
