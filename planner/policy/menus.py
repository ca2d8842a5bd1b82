"""Measure menus (措施菜单): the bureau's discrete options per level for a plant-by-plant firm.

For a firm whose measures are set plant by plant (一厂一策) the bureau may list, per alert level,
the options it accepts ("stop line 2", "cut the load by 30 %", "stop the VOC process" …); the
optimizer picks exactly one option per level (and slot), never a lighter one at a higher level,
and may add a continuous load cut where the firm allows it.  This module reads and checks the
menus file; the model block is :mod:`planner.optimize.menus`.

File format (YAML, read by :func:`planner.io.yamlio.read_yaml`: a key written twice is an error)::

    source: 某市重污染天气应急减排一厂一策（2025年修订）
    lines: lines.csv               # optional: the lines table the options may name
    firms:
      E0123:
        extra_load_cut: 0.2        # optional: largest extra load cut (share of normal output)
        options:
          - {id: none, text_zh: 不采取额外措施, output_share: 0, removal: 0}
          - {id: cut30, text_zh: 限产30%, output_share: 0.3}
          - {id: stop_kiln2, text_zh: 停2#窑, lines: [2#窑]}
          - {id: stop_voc, text_zh: 停涉VOCs工序, processes: [voc_process]}
        levels:
          yellow: [none, cut30]
          orange: [cut30, stop_kiln2]
          red: [stop_kiln2, stop_voc]

An option gives its shares directly (``output_share``: the share of normal output it removes;
``removal``: the share of normal emissions removed, one number for every pollutant or a mapping
per pollutant; a pollutant not given is removed in proportion to output) or names lines
(``lines``: line ids) and/or processes (``processes``: process codes) of the firm in the lines
table, whose output and pollutant shares are then summed.  Every alert level lists the ids of the
options allowed at that level; "nothing beyond the floor" is an option only where the bureau
lists one (``output_share: 0, removal: 0``).

Monotonicity (checked here, enforced by the model): at a higher level the firm's curtailment
(output share + load cut) and its removed tonnes of every pollutant are at least those of the
level below.  A menu whose levels admit no such choice is an error.

Load cut: with ``extra_load_cut: u`` the firm may add ``y ∈ [0, min(u, 1 − c)]`` (share of normal
output) to an option removing ``c`` of output and ``r_p`` of pollutant ``p``; the running lines cut
their load in proportion, so the cut removes ``y · (1 − r_p) / (1 − c)`` of ``p``'s normal emissions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from planner import ALERT_LEVELS, POLLUTANTS
from planner.io.schema_errors import Word, field_message, validate
from planner.io.yamlio import YamlDoc, format_loc, read_yaml
from planner.problems import InputError, Problems

__all__ = [
    "FirmMenu",
    "MenuOption",
    "Menus",
    "MenusFile",
    "check_menus_against",
    "load_cut_factor",
    "load_menus",
    "monotone_choice",
]

#: Tolerance when comparing shares of two options (monotonicity).
MONO_TOL = 1e-9
#: Control classes a menu may not be given to (exempt firms, residential heating boilers).
NO_MENU_CLASSES = ("never_cut",)


class Strict(BaseModel):
    """Base of the menus-file models: unknown keys are errors, types are strict."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _number_as_text(value):
    """An id written without quotes (``12345:``) is that text; booleans stay errors."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_number_as_text)]
Level = Annotated[Literal[ALERT_LEVELS], Word("level")]
Pollutant = Annotated[Literal[POLLUTANTS], Word("pollutant")]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("an empty text")
    return value


Id = Annotated[Text, AfterValidator(_not_blank)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class OptionModel(Strict):
    """One option of a firm's menu (see the module docstring)."""

    id: Id
    text_zh: Text | None = None
    text_en: Text | None = None
    lines: Annotated[list[Id], Field(min_length=1)] | None = None
    processes: Annotated[list[Id], Field(min_length=1)] | None = None
    output_share: Share | None = Field(
        None, **field_message("output_share is the share of normal output the option removes, 0 to 1")
    )
    removal: Share | dict[Pollutant, Share] | None = Field(
        None,
        **field_message(
            "removal is the share of normal emissions removed, 0 to 1: one number for every pollutant "
            "or a mapping {SO2: 0.5, NOx: 0.4, PM: 0.5, VOCs: 0.9}"
        ),
    )

    @model_validator(mode="after")
    def _lines_or_shares(self):
        named = self.lines is not None or self.processes is not None
        if named and (self.output_share is not None or self.removal is not None):
            raise ValueError(
                "an option names lines/processes of the lines table or gives output_share/removal, not both"
            )
        if not named and self.output_share is None:
            raise ValueError("an option needs output_share (with optional removal) or lines/processes")
        return self


class FirmMenuModel(Strict):
    """The menu of one enterprise: its options and which are allowed at each level."""

    extra_load_cut: Share = Field(
        0.0,
        **field_message(
            "extra_load_cut is the largest extra load cut on top of an option, a share of normal output 0 to 1"
        ),
    )
    options: Annotated[list[OptionModel], Field(min_length=1)]
    levels: dict[Level, Annotated[list[Id], Field(min_length=1)]]
    note: Text | None = None

    @field_validator("levels")
    @classmethod
    def _every_level(cls, value: dict) -> dict:
        missing = [lv for lv in ALERT_LEVELS if lv not in value]
        if missing:
            raise ValueError(
                f"every alert level needs its options; missing: {', '.join(missing)} "
                "(list 'nothing' as an option where the bureau allows it)"
            )
        return value


class MenusFile(Strict):
    """A menus file: ``source``, optional ``notes`` and ``lines``, and ``firms``."""

    source: Text | None = None
    notes: Text | None = None
    lines: Text | None = Field(
        None, **field_message("lines is the path of the lines table (CSV/XLSX), relative to this file")
    )
    firms: dict[Id, FirmMenuModel]


@dataclass(frozen=True)
class MenuOption:
    """One resolved option.

    Attributes
    ----------
    id : str
    text_zh, text_en : str
        What the 一厂一策 sheet prints (generated from the lines when the file gives none).
    output_share : float
        Share of the firm's normal output the option removes.
    removal : tuple of float
        Share of normal emissions removed, per pollutant (``POLLUTANTS`` order).
    lines : tuple of str
        Line ids of the lines table the option stops (empty for an option with direct shares).
    """

    id: str
    text_zh: str
    text_en: str
    output_share: float
    removal: tuple[float, ...]
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class FirmMenu:
    """The menu of one enterprise.

    Attributes
    ----------
    enterprise_id : str
    options : tuple of MenuOption
    levels : dict of str -> tuple of int
        Alert level → indices (into ``options``) of the options allowed at that level.
    extra_load_cut : float
    """

    enterprise_id: str
    options: tuple[MenuOption, ...]
    levels: dict[str, tuple[int, ...]]
    extra_load_cut: float = 0.0

    def option(self, option_id: str) -> MenuOption:
        """The option ``option_id`` of this firm's menu."""
        return next(o for o in self.options if o.id == option_id)


@dataclass
class Menus:
    """Every firm's menu from one file.

    Attributes
    ----------
    firms : dict of str -> FirmMenu
    file : str
        The file's name for messages.
    source : str
    lines_file : Path or None
        The lines table the options were resolved against.
    key_lines : dict
        Line of each key path in the file (for messages found later, e.g. unknown enterprises).
    """

    firms: dict[str, FirmMenu] = field(default_factory=dict)
    file: str = "menus"
    source: str = ""
    lines_file: Path | None = None
    key_lines: dict = field(default_factory=dict, repr=False)

    def line(self, loc: tuple) -> int | None:
        """Line number in the menus file of the key path ``loc`` (None when unknown)."""
        return YamlDoc(None, self.file, self.key_lines).line(loc)

    def __len__(self) -> int:
        return len(self.firms)


def load_cut_factor(option: MenuOption) -> np.ndarray:
    """Share of normal emissions (per pollutant) removed per unit of load cut on top of ``option``.

    The running part of the firm (``1 − c`` of output, ``1 − r_p`` of emissions) cuts its load in
    proportion: ``(1 − r_p) / (1 − c)``; 0 when the option stops everything.
    """
    c = option.output_share
    r = np.asarray(option.removal, float)
    if c >= 1 - 1e-12:
        return np.zeros(len(r))
    return np.clip((1.0 - r) / (1.0 - c), 0.0, None)


def _load_max(option: MenuOption, extra: float) -> float:
    return float(max(0.0, min(extra, 1.0 - option.output_share)))


def _required_load(prev: tuple[float, np.ndarray], option: MenuOption, extra: float) -> float | None:
    """Smallest load cut on ``option`` whose curtailment and removal reach ``prev``; None if none."""
    prev_c, prev_r = prev
    c, r = option.output_share, np.asarray(option.removal, float)
    k = load_cut_factor(option)
    need = max(0.0, prev_c - c)
    for p in range(len(r)):
        gap = prev_r[p] - r[p]
        if gap > MONO_TOL:
            if k[p] <= 0:
                return None
            need = max(need, gap / k[p])
    return need if need <= _load_max(option, extra) + MONO_TOL else None


def monotone_choice(menu: FirmMenu) -> list[tuple[int, float]] | None:
    """A monotone choice across yellow → orange → red (option index, load cut), or None.

    Dynamic programme over the levels: for every option of a level, the smallest load cut that
    reaches some feasible option of the level below; the smallest is always the best state for
    the level above (curtailment and removal grow with the load cut).  Exact.
    """
    states: dict[int, tuple[float, list[tuple[int, float]]]] = {}
    for li, lv in enumerate(ALERT_LEVELS):
        new: dict[int, tuple[float, list[tuple[int, float]]]] = {}
        for o in menu.levels[lv]:
            opt = menu.options[o]
            if li == 0:
                new[o] = (0.0, [(o, 0.0)])
                continue
            best = None
            for po, (py, path) in states.items():
                prev = menu.options[po]
                k = load_cut_factor(prev)
                pc = prev.output_share + py
                pr = np.asarray(prev.removal, float) + k * py
                y = _required_load((pc, pr), opt, menu.extra_load_cut)
                if y is not None and (best is None or y < best[0]):
                    best = (y, [*path, (o, y)])
            if best is not None:
                new[o] = best
        if not new:
            return None
        states = new
    return min(states.values(), key=lambda v: v[0])[1]


# --------------------------------------------------------------------------- reading
def _resolve_lines_path(
    value: str, menus_path: Path, file: str, doc: YamlDoc, problems: Problems
) -> Path | None:
    """The lines table named by ``lines:``: a relative path stays inside the menus file's folder."""
    p = Path(value)
    if not p.is_absolute():
        folder = menus_path.parent.resolve()
        target = (folder / p).resolve()
        if folder not in target.parents:
            problems.error(
                file,
                doc.line(("lines",)),
                "lines",
                f"lines path {value!r} leads outside the menus file's folder {folder}; "
                "write it as an absolute path if you mean that file",
            )
            return None
        p = target
    if not p.is_file():
        problems.error(file, doc.line(("lines",)), "lines", f"the lines table {p} does not exist")
        return None
    return p


def _line_table(lines) -> pd.DataFrame | None:
    if lines is None:
        return None
    table = getattr(lines, "table", lines)
    return table if isinstance(table, pd.DataFrame) else None


def _option_from_lines(
    eid: str,
    om: OptionModel,
    lt: pd.DataFrame | None,
    loc: tuple,
    file: str,
    doc: YamlDoc,
    problems: Problems,
) -> MenuOption | None:
    where = format_loc(loc)
    if lt is None:
        problems.error(
            file,
            doc.line(loc),
            where,
            f"option {om.id!r} names lines/processes but no lines table is given (key 'lines' of the "
            "menus file or the scenario)",
        )
        return None
    mine = lt[lt["enterprise_id"].astype(str) == eid]
    if mine.empty:
        problems.error(file, doc.line(loc), where, f"enterprise {eid!r} has no lines in the lines table")
        return None
    sel = np.zeros(len(mine), bool)
    ok = True
    ids = mine["line_id"].astype(str).to_numpy()
    procs = mine["process"].astype(str).to_numpy()
    for key, wanted, have in (("lines", om.lines, ids), ("processes", om.processes, procs)):
        for i, name in enumerate(wanted or []):
            hit = have == str(name)
            if not hit.any():
                known = ", ".join(dict.fromkeys(have.tolist()))
                what = "line" if key == "lines" else "process"
                problems.error(
                    file,
                    doc.line((*loc, key, i)),
                    format_loc((*loc, key, i)),
                    f"{what} {name!r} is not a {what} of {eid} in the lines table ({known})",
                )
                ok = False
            sel |= hit
    if not ok:
        return None
    chosen = mine[sel]
    output = float(chosen["output_share"].astype(float).sum())
    removal = tuple(float(chosen[f"{p}_share"].astype(float).sum()) for p in POLLUTANTS)
    names = chosen["line_id"].astype(str).tolist()
    text_zh = om.text_zh or ("停" + "、".join(names))
    text_en = om.text_en or ("stop " + ", ".join(names))
    return MenuOption(
        str(om.id),
        text_zh,
        text_en,
        min(output, 1.0),
        tuple(min(r, 1.0) for r in removal),
        tuple(names),
    )


def _option_direct(om: OptionModel) -> MenuOption:
    if om.output_share is None:  # the option model asks for output_share when there are no lines
        raise ValueError(f"option {om.id!r} needs output_share")
    c = float(om.output_share)
    if om.removal is None:
        removal = (c,) * len(POLLUTANTS)
    elif isinstance(om.removal, dict):
        removal = tuple(float(om.removal.get(p, c)) for p in POLLUTANTS)
    else:
        removal = (float(om.removal),) * len(POLLUTANTS)
    pct = f"{c * 100:.4g}%"
    return MenuOption(
        str(om.id),
        om.text_zh or f"减少产量{pct}",
        om.text_en or f"cut output by {pct}",
        c,
        removal,
    )


def load_menus(path: str | Path, lines=None, file: str | None = None) -> Menus:
    """Read, validate and resolve a menus file.

    Parameters
    ----------
    path : str or Path
    lines : Lines or DataFrame, optional
        The lines table options may name (used when the file has no ``lines:`` key).
    file : str, optional
        Name of the file in messages (default: the path).

    Returns
    -------
    Menus

    Raises
    ------
    InputError
        Every problem, each naming the file, key path and line: unknown or duplicate keys, shares
        outside [0, 1], an option id given twice or unknown at a level, a line or process not of
        that firm in the lines table, a menu that admits no monotone choice across the levels.
    """
    path = Path(path)
    file = str(path) if file is None else file
    doc = read_yaml(path, file, "menus file")
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        raise InputError.single(file, "a menus file must be a mapping with 'firms:'")
    model: MenusFile = validate(MenusFile, data, file, doc=doc)
    problems = Problems()
    lines_file = None
    if model.lines is not None:
        lines_file = _resolve_lines_path(model.lines, path.resolve(), file, doc, problems)
        if lines_file is not None:
            from planner.inventory.lines import read_lines

            try:
                lines = read_lines(lines_file)
            except InputError as exc:
                problems.extend(exc.problems)
                lines = None
    if not problems.ok:
        raise InputError(problems)
    lt = _line_table(lines)
    if lines_file is None and lines is not None:
        src = getattr(lines, "source", None)
        lines_file = Path(src) if src else None
    firms: dict[str, FirmMenu] = {}
    for eid, fm in model.firms.items():
        eid = str(eid)
        base = ("firms", eid)
        options: list[MenuOption] = []
        seen: dict[str, int] = {}
        for i, om in enumerate(fm.options):
            loc: tuple[str | int, ...] = (*base, "options", i)
            if om.id in seen:
                problems.error(
                    file,
                    doc.line((*loc, "id")),
                    format_loc((*loc, "id")),
                    f"option id {om.id!r} is given twice for {eid} (also options[{seen[om.id]}])",
                )
                continue
            seen[om.id] = i
            opt = (
                _option_from_lines(eid, om, lt, loc, file, doc, problems)
                if om.lines is not None or om.processes is not None
                else _option_direct(om)
            )
            if opt is not None:
                options.append(opt)
        index = {o.id: k for k, o in enumerate(options)}
        levels: dict[str, tuple[int, ...]] = {}
        for lv in ALERT_LEVELS:
            ids = fm.levels[lv]
            picked: list[int] = []
            for j, oid in enumerate(ids):
                loc = (*base, "levels", lv, j)
                if oid not in seen:
                    problems.error(
                        file,
                        doc.line(loc),
                        format_loc(loc),
                        f"{lv} lists option {oid!r}, which is not among {eid}'s options "
                        f"({', '.join(seen) or 'none'})",
                    )
                elif oid in index and index[oid] not in picked:
                    picked.append(index[oid])
                elif oid in index:
                    problems.error(file, doc.line(loc), format_loc(loc), f"{lv} lists option {oid!r} twice")
            levels[lv] = tuple(picked)
        if not problems.ok:
            continue
        menu = FirmMenu(eid, tuple(options), levels, float(fm.extra_load_cut))
        if monotone_choice(menu) is None:
            problems.error(
                file,
                doc.line((*base, "levels")),
                format_loc((*base, "levels")),
                f"{eid}'s menu admits no monotone choice: at a higher level the firm must cut at least "
                "the output and remove at least the tonnes of every pollutant of the level below, and no "
                "option (with the allowed load cut) of some level reaches any option of the level below",
            )
            continue
        firms[eid] = menu
    if not problems.ok:
        raise InputError(problems)
    return Menus(firms, file, str(model.source or ""), lines_file, dict(doc.lines))


def check_menus_against(menus: Menus, table: pd.DataFrame, bounds=None, plant_ids=()) -> None:
    """Check a menus file against the inventory: every enterprise exists and may take a menu.

    Parameters
    ----------
    menus : Menus
    table : DataFrame
        The inventory table, indexed by enterprise id.
    bounds : Dataset, optional
        Evaluated measures (for ``control_class`` and ``self_directed`` firms).
    plant_ids : iterable of str
        Enterprises with a plants-file measure: a firm may have one or the other, not both.

    Raises
    ------
    InputError
        Naming the file, ``firms.<id>`` and its line.
    """
    problems = Problems()
    index = table.index.astype(str)
    cls = None
    if bounds is not None and "control_class" in bounds:
        cls = pd.Series(
            np.asarray(bounds["control_class"].values).astype(str),
            index=bounds.get_index("enterprise").astype(str),
        )
    sd = table["self_directed"] if "self_directed" in table.columns else None
    plant_ids = {str(p) for p in plant_ids}
    for eid in menus.firms:
        loc = ("firms", eid)
        line = menus.line(loc)
        where = format_loc(loc)
        if eid not in index:
            problems.error(menus.file, line, where, f"enterprise {eid!r} is not in the inventory")
            continue
        if cls is not None and eid in cls.index and cls[eid] in NO_MENU_CLASSES:
            problems.error(
                menus.file,
                line,
                where,
                f"{eid} is never cut (exempt or a residential heating boiler); a menu is for firms whose "
                "measures the bureau sets plant by plant",
            )
        elif sd is not None and bool(sd.loc[eid] if eid in sd.index else False):
            problems.error(
                menus.file,
                line,
                where,
                f"{eid} has a self-directed grade (A+/A/引领性, 自主减排); it takes no mandatory menu",
            )
        if eid in plant_ids:
            problems.error(
                menus.file,
                line,
                where,
                f"{eid} has a measure in the plants file too; give the firm either a plants-file measure "
                "or a menu",
            )
    if not problems.ok:
        raise InputError(problems)
