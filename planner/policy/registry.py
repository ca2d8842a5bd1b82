"""Registries of the measure types and the production processes, read from data.

``data/policy/measure_types.yaml`` declares every measure type once: its parameters, how an item
turns into a curtailment (one of :data:`FORMULA_KINDS`), its default pollutant factors, whether it
stops whole lines (integer) or cuts continuously, whether a technical maximum may lower it, and its
zh/en list text templates.  ``data/policy/processes.csv`` lists the processes a measure item may
name (``process:``).  :class:`planner.policy.measures.MeasureItem` and the measure-file reader use
these registries only; adding a measure type is one entry in the YAML file plus its tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner import DATA_DIR, POLLUTANTS
from planner.policy.vocabulary import check_keys, file_label, key_path, load_yaml, suggest
from planner.problems import InputError, Problems

__all__ = [
    "FORMULA_KINDS",
    "MEASURE_TYPES_FILE",
    "PROCESSES_FILE",
    "TIMING_KEYS",
    "MeasureType",
    "ParamSpec",
    "curtailment",
    "format_text",
    "measure_type_label",
    "measure_types",
    "pct",
    "process_codes",
    "processes",
    "timing_defaults",
]

MEASURE_TYPES_FILE: Path = DATA_DIR / "policy" / "measure_types.yaml"
PROCESSES_FILE: Path = DATA_DIR / "policy" / "processes.csv"

#: How an item becomes a curtailment ``c`` (share of normal output removed); ``L`` = line count.
FORMULA_KINDS: dict[str, str] = {
    "zero": "c = 0",
    "fixed": "c = value (or the type's constant)",
    "base_share": "c = value × base_share (share of the min-of-three base)",
    "whole_lines": "c = ceil(value × L) / L (whole lines, rounded up)",
    "time_ratio": "c = 1 − t0 / t1",
    "load_cap": "c = 1 − value",
}
_TYPE_KEYS = (
    "name_zh",
    "name_en",
    "params",
    "curtailment",
    "constant",
    "integer",
    "clip_to_technical_max",
    "factors",
    "factors_required",
    "process",
    "text_zh",
    "text_en",
    "text_full_zh",
    "text_full_en",
    "note",
    "response_hours",
    "min_down_days",
    "restart_cost_wan",
)
#: Episode timing keys of a type (and of the file's ``timing_defaults``), with their defaults.
TIMING_KEYS: dict[str, float] = {"response_hours": 2.0, "min_down_days": 0.0, "restart_cost_wan": 0.0}
_PARAM_KEYS = ("kind", "required", "default")
_PARAM_KINDS = ("share", "hours")
_FACTORS_REQUIRED = ("none", "some", "all")
_PROCESS_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "can_stop",
    "hot_idle_only",
    "response_hours",
    "min_down_hours",
    "restart_cost_wan",
    "max_cut",
    "source",
)
#: Parameters an item may carry; the registry says which a type takes.
PARAM_NAMES = ("value", "t0", "t1")


def pct(v: float) -> str:
    """A share as a percentage for list texts (``0.2`` → ``'20%'``)."""
    return f"{v * 100:.4g}%"


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a measure type (``value``, ``t0``, ``t1``)."""

    kind: str  # share | hours
    required: bool = True
    default: float | None = None


@dataclass(frozen=True)
class MeasureType:
    """One entry of ``measure_types.yaml`` (see the file's header for the meaning of each key)."""

    code: str
    curtailment: str
    params: dict[str, ParamSpec] = field(default_factory=dict)
    constant: float | None = None
    integer: bool = False
    clip_to_technical_max: bool = True
    factors: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    factors_required: str = "none"
    process: str = "general"
    text_zh: str = ""
    text_en: str = ""
    text_full_zh: str = ""
    text_full_en: str = ""
    name_zh: str = ""
    name_en: str = ""
    #: Hours from the order (the alert's issue) until the measure is fully in force.
    response_hours: float = TIMING_KEYS["response_hours"]
    #: Days a line stopped by this measure stays stopped (whole days, ≥ 0; 0 or 1 = no limit).
    min_down_days: float = TIMING_KEYS["min_down_days"]
    #: 万元 per production line restarted after this measure stopped it.
    restart_cost_wan: float = TIMING_KEYS["restart_cost_wan"]


def _is_num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)


def _parse_type(
    code: str, raw, problems: Problems, label: str, known_processes, defaults: Mapping | None = None
) -> MeasureType | None:
    path = key_path("types", code)
    defaults = defaults or {}
    if not isinstance(raw, Mapping):
        problems.error(label, None, path, "expected a mapping (params, curtailment, integer, text_zh, …)")
        return None
    n0 = len(problems.errors)
    check_keys(raw, _TYPE_KEYS, problems, label, path, required=("curtailment", "text_zh", "text_en"))
    kind = raw.get("curtailment")
    if kind is not None and kind not in FORMULA_KINDS:
        problems.error(
            label,
            None,
            key_path(path, "curtailment"),
            f"unknown formula kind {kind!r}{suggest(kind, FORMULA_KINDS)}; expected one of {', '.join(FORMULA_KINDS)}",
        )
    params: dict[str, ParamSpec] = {}
    praw = raw.get("params") or {}
    if not isinstance(praw, Mapping):
        problems.error(label, None, key_path(path, "params"), "expected a mapping name → {kind, required}")
        praw = {}
    for name, spec in praw.items():
        ppath = key_path(path, "params", str(name))
        if name not in PARAM_NAMES:
            problems.error(
                label, None, ppath, f"unknown parameter {name!r}{suggest(name, PARAM_NAMES)} (value, t0, t1)"
            )
            continue
        if not isinstance(spec, Mapping):
            problems.error(label, None, ppath, "expected {kind: share|hours, required: true|false}")
            continue
        check_keys(spec, _PARAM_KEYS, problems, label, ppath, required=("kind",))
        if spec.get("kind") not in _PARAM_KINDS:
            problems.error(label, None, key_path(ppath, "kind"), "kind must be 'share' or 'hours'")
            continue
        default = spec.get("default")
        if default is not None and not _is_num(default):
            problems.error(label, None, key_path(ppath, "default"), "default must be a number")
            continue
        params[str(name)] = ParamSpec(
            str(spec["kind"]),
            bool(spec.get("required", True)),
            None if default is None else float(default),
        )
    if kind == "time_ratio" and not {"t0", "t1"} <= set(params):
        problems.error(label, None, key_path(path, "params"), "formula time_ratio needs params t0 and t1")
    if kind in ("base_share", "whole_lines", "load_cap") and "value" not in params:
        problems.error(label, None, key_path(path, "params"), f"formula {kind} needs param 'value'")
    if kind == "fixed" and "value" not in params and not _is_num(raw.get("constant")):
        problems.error(label, None, path, "formula fixed needs param 'value' or a 'constant'")
    factors = dict.fromkeys(POLLUTANTS, 1.0)
    fraw = raw.get("factors")
    if fraw is not None:
        if not isinstance(fraw, Mapping):
            problems.error(
                label, None, key_path(path, "factors"), "expected {SO2: .., NOx: .., PM: .., VOCs: ..}"
            )
        else:
            check_keys(fraw, POLLUTANTS, problems, label, key_path(path, "factors"), what="pollutant")
            for p, v in fraw.items():
                if p in factors:
                    if _is_num(v) and 0 <= v <= 1:
                        factors[p] = float(v)
                    else:
                        problems.error(label, None, key_path(path, "factors", p), "a factor is a share 0–1")
    freq = raw.get("factors_required", "none")
    if freq not in _FACTORS_REQUIRED:
        problems.error(label, None, key_path(path, "factors_required"), "expected none, some or all")
    process = raw.get("process", "general")
    if process not in known_processes:
        problems.error(
            label,
            None,
            key_path(path, "process"),
            f"unknown process {process!r}{suggest(process, known_processes)} (codes of processes.csv)",
        )
    _check_timing(raw, problems, label, path)
    for k in ("integer", "clip_to_technical_max"):
        if k in raw and not isinstance(raw[k], bool):
            problems.error(label, None, key_path(path, k), "expected true or false")
    for k in ("text_zh", "text_en", "text_full_zh", "text_full_en", "name_zh", "name_en"):
        if k in raw and not isinstance(raw[k], str):
            problems.error(label, None, key_path(path, k), "expected text")
    if len(problems.errors) > n0:
        return None
    for k in ("text_zh", "text_en", "text_full_zh", "text_full_en"):
        try:
            format_text(raw.get(k) or "", 0.5, 24.0, 36.0)
        except (KeyError, IndexError, ValueError) as exc:
            problems.error(
                label, None, key_path(path, k), f"bad placeholder {exc} (use {{value}}, {{t0}}, {{t1}})"
            )
            return None
    return MeasureType(
        code=code,
        curtailment=str(kind),
        params=params,
        constant=float(raw["constant"]) if _is_num(raw.get("constant")) else None,
        integer=bool(raw.get("integer", False)),
        clip_to_technical_max=bool(raw.get("clip_to_technical_max", True)),
        factors=tuple(factors[p] for p in POLLUTANTS),
        factors_required=str(freq),
        process=str(process),
        text_zh=raw["text_zh"],
        text_en=raw["text_en"],
        text_full_zh=raw.get("text_full_zh", ""),
        text_full_en=raw.get("text_full_en", ""),
        name_zh=raw.get("name_zh", code),
        name_en=raw.get("name_en", code),
        **{k: float(raw.get(k, defaults.get(k, v))) for k, v in TIMING_KEYS.items()},
    )


def _check_timing(raw: Mapping, problems: Problems, label: str, path: str) -> None:
    """``response_hours`` (0–240), ``min_down_days`` (whole days 0–30), ``restart_cost_wan`` (≥ 0)."""
    for k in TIMING_KEYS:
        if k not in raw:
            continue
        v = raw[k]
        kp = key_path(path, k)
        if not _is_num(v) or v < 0:
            problems.error(label, None, kp, f"{k} must be a number ≥ 0, got {v!r}")
        elif k == "response_hours" and v > 240:
            problems.error(label, None, kp, f"response_hours must be at most 240 hours, got {v!r}")
        elif k == "min_down_days" and (float(v) % 1 != 0 or v > 30):
            problems.error(label, None, kp, f"min_down_days must be whole days from 0 to 30, got {v!r}")


def read_processes(path: str | Path = PROCESSES_FILE) -> pd.DataFrame:
    """Read and check the processes table (one row per process code).

    Raises
    ------
    InputError
        Missing columns, duplicate codes, ``can_stop``/``hot_idle_only`` not yes/no, negative hours
        or costs, a process that cannot stop without a ``max_cut`` share (or one that can stop
        with one), or a row without a source.

    Notes
    -----
    ``max_cut`` is the largest share of a line's output the optimizer may cut on a process that
    cannot stop (coke ovens: coking-time extension; glass furnaces: load limit); it is left
    empty for processes that can stop (their technical maximum applies).
    """
    label = file_label(path)
    problems = Problems()
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise InputError.single(label, f"file not found: {path}") from None
    missing = [c for c in _PROCESS_COLUMNS if c not in df.columns]
    extra = [c for c in df.columns if c not in _PROCESS_COLUMNS]
    for c in missing:
        problems.error(label, 1, c, "required column is missing")
    for c in extra:
        problems.error(label, 1, c, f"unknown column{suggest(c, _PROCESS_COLUMNS)}")
    if not problems.ok:
        raise InputError(problems)
    dup = df["code"].duplicated(keep="first")
    for r in np.flatnonzero(dup):
        problems.error(label, int(r) + 2, "code", f"duplicate process code {df['code'].iloc[r]!r}")
    out = df.copy()
    for c in ("can_stop", "hot_idle_only"):
        bad = ~df[c].str.lower().isin(["yes", "no"])
        for r in np.flatnonzero(bad):
            problems.error(label, int(r) + 2, c, f"expected yes or no, got {df[c].iloc[r]!r}")
        out[c] = df[c].str.lower() == "yes"
    for c in ("response_hours", "min_down_hours", "restart_cost_wan"):
        num = pd.to_numeric(df[c], errors="coerce")
        for r in np.flatnonzero(~(num >= 0)):
            problems.error(label, int(r) + 2, c, f"expected a number ≥ 0, got {df[c].iloc[r]!r}")
        out[c] = num
    cap = pd.to_numeric(df["max_cut"].where(df["max_cut"].str.strip() != ""), errors="coerce")
    stated = df["can_stop"].str.lower().isin(["yes", "no"]).to_numpy()
    for r in np.flatnonzero(stated):  # a can_stop that is not yes/no is reported above
        given, stops = df["max_cut"].iloc[r].strip(), out["can_stop"].iloc[r]
        if not stops and not (0.0 <= cap.iloc[r] <= 1.0):
            problems.error(
                label,
                r + 2,
                "max_cut",
                f"a process that cannot stop needs a share from 0 to 1, got {given!r}",
            )
        elif stops and given:
            problems.error(
                label, r + 2, "max_cut", "only a process that cannot stop (can_stop: no) takes max_cut"
            )
    out["max_cut"] = cap.fillna(1.0)
    for r in np.flatnonzero(df["source"].str.strip() == ""):
        problems.error(label, int(r) + 2, "source", "every process needs a source")
    if not problems.ok:
        raise InputError(problems)
    return out.set_index("code")


@lru_cache(maxsize=4)
def processes(path: str | Path = PROCESSES_FILE) -> pd.DataFrame:
    """The processes table (cached), index ``code``; see :func:`read_processes`."""
    return read_processes(path)


def process_codes() -> tuple[str, ...]:
    """Process codes of ``processes.csv``, in file order."""
    return tuple(processes().index)


def read_measure_types(
    path: str | Path = MEASURE_TYPES_FILE, known_processes: tuple[str, ...] | None = None
) -> dict[str, MeasureType]:
    """Read and check the measure-type registry.

    Returns
    -------
    dict
        Type code → :class:`MeasureType`, in file order.

    Raises
    ------
    InputError
        With every problem found, each naming the file and key path.
    """
    label = file_label(path)
    problems = Problems()
    doc = load_yaml(path, problems, label)
    known = known_processes if known_processes is not None else process_codes()
    out: dict[str, MeasureType] = {}
    if doc is not None:
        if not isinstance(doc, Mapping) or not isinstance(doc.get("types"), Mapping):
            problems.error(label, None, "types", "expected a top-level 'types:' mapping code → definition")
        else:
            check_keys(
                doc,
                ("source", "types", "notes", "timing_defaults"),
                problems,
                label,
                required=("source", "types"),
            )
            defaults = _timing_defaults(doc.get("timing_defaults"), problems, label)
            for code, raw in doc["types"].items():
                t = _parse_type(str(code), raw, problems, label, known, defaults)
                if t is not None:
                    out[str(code)] = t
    if not problems.ok:
        raise InputError(problems)
    return out


def _timing_defaults(raw, problems: Problems, label: str) -> dict[str, float]:
    """The file's ``timing_defaults`` (response hours, min down days, restart cost), checked."""
    if raw is None:
        return dict(TIMING_KEYS)
    if not isinstance(raw, Mapping):
        problems.error(
            label, None, "timing_defaults", "expected {response_hours, min_down_days, restart_cost_wan}"
        )
        return dict(TIMING_KEYS)
    check_keys(raw, tuple(TIMING_KEYS), problems, label, "timing_defaults")
    _check_timing(raw, problems, label, "timing_defaults")
    return {k: float(raw[k]) if _is_num(raw.get(k)) else v for k, v in TIMING_KEYS.items()}


def timing_defaults(path: str | Path = MEASURE_TYPES_FILE) -> dict[str, float]:
    """Timing of measures that are not registry types (一厂一策 cuts, the optimiser's own cuts).

    The file's ``timing_defaults``, else :data:`TIMING_KEYS`.
    """
    problems = Problems()
    doc = load_yaml(path, problems, file_label(path))
    if not problems.ok:
        raise InputError(problems)
    out = _timing_defaults((doc or {}).get("timing_defaults"), problems, file_label(path))
    if not problems.ok:
        raise InputError(problems)
    return out


@lru_cache(maxsize=4)
def measure_types(path: str | Path = MEASURE_TYPES_FILE) -> dict[str, MeasureType]:
    """The measure-type registry (cached); see :func:`read_measure_types`."""
    return read_measure_types(path)


def curtailment(
    mtype: MeasureType,
    value: float | None,
    t0: float | None,
    t1: float | None,
    line_count: np.ndarray,
    base_share: np.ndarray,
) -> np.ndarray:
    """Curtailment of one item for each enterprise, by the type's formula kind (vectorised).

    Parameters
    ----------
    mtype : MeasureType
    value, t0, t1 : float or None
        The item's parameters (``value`` falls back to the type's default).
    line_count : numpy.ndarray
        Lines of each enterprise (≥ 1).
    base_share : numpy.ndarray
        ``cut_base / output_last_year`` (≤ 1).

    Returns
    -------
    numpy.ndarray
        Share of normal output removed, in [0, 1].
    """
    n = len(line_count)
    kind = mtype.curtailment

    def given(v: float | None, name: str) -> float:
        if v is None:  # the registry's parameter specs require it; a caller bypassing them is a bug
            raise ValueError(f"measure type {mtype.code!r} ({kind}) needs {name}")
        return float(v)

    if value is None and "value" in mtype.params:
        value = mtype.params["value"].default
    if kind == "zero":
        return np.zeros(n)
    if kind == "fixed":
        return np.full(n, given(mtype.constant if value is None else value, "a constant"))
    if kind == "base_share":
        return np.clip(given(value, "value") * base_share, 0.0, 1.0)
    if kind == "whole_lines":
        share = 1.0 if value is None else value
        return np.minimum(np.ceil(share * line_count - 1e-9) / line_count, 1.0)
    if kind == "time_ratio":
        return np.full(n, 1.0 - given(t0, "t0") / given(t1, "t1"))
    if kind == "load_cap":
        return np.full(n, 1.0 - given(value, "value"))
    raise ValueError(f"unknown formula kind {kind!r}")


def format_text(template: str, value: float | None, t0: float | None, t1: float | None) -> str:
    """Fill a text template's ``{value}`` (as a percentage), ``{t0}`` and ``{t1}`` (hours)."""
    return template.format(
        value="" if value is None else pct(value),
        t0="" if t0 is None else f"{t0:g}",
        t1="" if t1 is None else f"{t1:g}",
    )


def default_texts(mtype: MeasureType, value, t0, t1) -> tuple[str, str]:
    """The list text (zh, en) of an item of this type with these parameters."""
    if value is None and "value" in mtype.params:
        value = mtype.params["value"].default
    full = mtype.text_full_zh and (value is None or value >= 1)
    zh = mtype.text_full_zh if full else mtype.text_zh
    en = mtype.text_full_en if full and mtype.text_full_en else mtype.text_en
    return format_text(zh, value, t0, t1), format_text(en, value, t0, t1)


#: Labels of the ``measure_type`` values that are not registry types (set by the control classes).
CLASS_TYPE_LABELS: dict[str, tuple[str, str]] = {
    "plant_by_plant": ("一厂一策（由优化确定）", "plant by plant (optimised)"),
    "plant_cut": ("一厂一策（清单核定）", "plant-specific cut (from the list)"),
}


def measure_type_label(code: str, lang: str = "zh") -> str:
    """The name of a ``measure_type`` value of the bounds for a table or page (zh default, or en).

    Registry types use their ``name_zh``/``name_en``; the class labels (``plant_by_plant``,
    ``plant_cut``) and the never-cut control types (``exempt``, ``heating_boiler``) have their own.
    """
    from planner.policy.classes import control_classes

    en = lang == "en"
    t = measure_types().get(code)
    if t is not None:
        return t.name_en if en else t.name_zh
    if code in CLASS_TYPE_LABELS:
        return CLASS_TYPE_LABELS[code][1 if en else 0]
    ct = control_classes().control_types.get(code)
    if ct is not None:
        return ct.name_en if en else ct.name_zh
    return code
