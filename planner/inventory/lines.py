"""The lines table: one row per production line or process (生产线/工序) of an enterprise.

An enterprise of the inventory (:mod:`planner.inventory.table`) may be split into lines that are
not alike — a cement plant with 2 × 5,000 t/d and 1 × 2,500 t/d clinker kilns, a steel works
with sinter, pellet, blast-furnace and coke-oven lines.  Each line has a process code, a capacity
and its share of the enterprise's output value and of each pollutant's emissions.  The schema is
data: ``data/schema/line_fields.csv`` (field, dtype, unit, required, description, aliases with
the Chinese headers); process codes come from ``data/policy/processes.csv`` when that file
exists, else from :data:`DEFAULT_PROCESSES`.

Entry points:

- :func:`read_lines` – a lines file (CSV or XLSX, a sheet of its own or a second sheet of the
  inventory workbook), validated like the inventory: every problem names file, row and column;
- :func:`read_inventory_with_lines` – the one-row-per-line Chinese layout (an enterprise's name
  repeated or merged over its rows, one line per row, the line columns under a ``生产线`` group
  header or named 工序/产值占比/…) split into the inventory and the lines table;
- :func:`units_table` – one row per decision unit (a line, or a whole enterprise without lines).

Shares (``output_share`` and ``SO2_share`` … ``VOCs_share``, 0–1 or written with ``%``) must sum
to 1 per enterprise within :data:`SHARE_TOLERANCE` (a pollutant's shares may also all be 0: the
enterprise emits none of it) and are then rescaled to sum exactly to 1.  A share column left blank
for every line of an enterprise is filled: output shares in proportion to capacity when every
line gives one in one unit, else equally; pollutant shares equal to the output shares.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner import DATA_DIR, POLLUTANTS
from planner.inventory.table import (
    Inventory,
    _Context,
    _header_key,
    _parse_numbers,
    _row_list,
    header_score,
    match_header,
    normalize_label,
    split_header_unit,
    validate_raw,
)
from planner.io.tables import RawTable, read_table
from planner.problems import InputError, Problems

__all__ = [
    "DEFAULT_PROCESSES",
    "LINE_COLUMNS",
    "SHARE_COLUMNS",
    "SHARE_TOLERANCE",
    "UNIT_COLUMNS",
    "Lines",
    "line_header_score",
    "load_line_schema",
    "process_table",
    "read_inventory_with_lines",
    "read_lines",
    "units_table",
    "validate_lines",
]

LINE_SCHEMA_FILE = DATA_DIR / "schema" / "line_fields.csv"
PROCESSES_FILE = DATA_DIR / "policy" / "processes.csv"

#: Share columns, in output order.
SHARE_COLUMNS: tuple[str, ...] = ("output_share", *(f"{p}_share" for p in POLLUTANTS))
#: Columns of :attr:`Lines.table` (plus ``row``, the row in the source file).
LINE_COLUMNS: tuple[str, ...] = (
    "enterprise_id",
    "line_id",
    "process",
    "capacity",
    "capacity_unit",
    *SHARE_COLUMNS,
)
#: Columns of :func:`units_table`.
UNIT_COLUMNS: tuple[str, ...] = ("enterprise_id", "line_id", "process", *SHARE_COLUMNS)
#: Shares of one enterprise must sum to 1 within this (absolute), e.g. 0.33 + 0.33 + 0.33.
SHARE_TOLERANCE: float = 0.01
#: Process of a decision unit that is a whole enterprise without lines.
WHOLE_FIRM_PROCESS = "general"

#: Process codes used when ``data/policy/processes.csv`` does not exist: code → (Chinese name,
#: other names bureaus write).
DEFAULT_PROCESSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "sinter": ("烧结", ("烧结机", "烧结工序", "带式烧结机")),
    "pellet": ("球团", ("球团竖炉", "链篦机回转窑", "球团工序")),
    "blast_furnace": ("高炉", ("炼铁", "高炉炼铁")),
    "converter": ("转炉", ("炼钢", "转炉炼钢")),
    "electric_furnace": ("电炉", ("电弧炉", "电炉炼钢", "矿热炉", "中频炉")),
    "coke_oven": ("焦炉", ("炼焦", "焦炉炼焦")),
    "clinker_kiln": ("熟料窑", ("熟料生产线", "水泥窑", "回转窑", "熟料烧成")),
    "cement_mill": ("水泥磨", ("水泥粉磨", "粉磨站", "粉磨")),
    "glass_furnace": ("玻璃熔窑", ("熔窑", "浮法玻璃生产线", "玻璃窑")),
    "lime_kiln": ("石灰窑", ("石灰竖窑", "石灰回转窑")),
    "ceramic_kiln": ("陶瓷窑", ("辊道窑", "隧道窑", "窑炉")),
    "boiler": ("锅炉", ("燃煤锅炉", "燃气锅炉", "热电机组", "机组")),
    "voc_process": ("涉VOCs工序", ("VOCs工序", "涉VOCs工艺", "喷涂", "涂装", "印刷", "喷涂线", "涂装线")),
    "casting": ("铸造", ("熔炼", "浇注", "铸造工序")),
    "general": ("其他工序", ("一般", "其他", "通用", "其他生产线")),
}


@dataclass
class Lines:
    """A validated lines table.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per line, columns :data:`LINE_COLUMNS` and ``row`` (the row in the source file),
        in file order; shares filled and rescaled to sum to 1 per enterprise (see module doc).
    source : str
        The file it was read from.
    problems : Problems
        Warnings found while reading.
    headers : dict of str to str
        Canonical field → the column header as written (for messages about the file).
    """

    table: pd.DataFrame
    source: str
    problems: Problems = field(default_factory=Problems)
    headers: dict[str, str] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# schema and processes


@lru_cache(maxsize=1)
def _schema() -> pd.DataFrame:
    df = pd.read_csv(LINE_SCHEMA_FILE, dtype=str, keep_default_na=False).set_index("field")
    df["required"] = df["required"].str.strip().str.lower().eq("yes")
    df["aliases"] = df["aliases"].map(lambda s: [a for a in s.split("|") if a.strip()])
    return df


def load_line_schema() -> pd.DataFrame:
    """The lines schema (``data/schema/line_fields.csv``) indexed by field; a fresh copy."""
    return _schema().copy(deep=True)


@lru_cache(maxsize=1)
def _line_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, row in _schema().iterrows():
        for alias in [name, *row["aliases"]]:
            out.setdefault(_header_key(alias), name)
    return out


def process_table(path: str | Path | None = None) -> pd.DataFrame:
    """Allowed process codes with their Chinese names and aliases.

    Parameters
    ----------
    path : str or Path, optional
        A processes CSV (default ``data/policy/processes.csv``) with a ``process`` column and
        optionally ``name_zh`` and ``aliases`` (``|``-separated).  When the file does not exist,
        :data:`DEFAULT_PROCESSES`.

    Returns
    -------
    pandas.DataFrame
        Indexed by process code, columns ``name_zh`` and ``aliases`` (list of str).
    """
    file = Path(path) if path is not None else PROCESSES_FILE
    if file.is_file():
        df = pd.read_csv(file, dtype=str, keep_default_na=False, comment="#")
        code_col = "process" if "process" in df.columns else df.columns[0]
        out = pd.DataFrame(
            {
                "name_zh": df["name_zh"] if "name_zh" in df.columns else "",
                "aliases": (
                    df["aliases"].map(lambda s: [a for a in s.split("|") if a.strip()])
                    if "aliases" in df.columns
                    else [[] for _ in range(len(df))]
                ),
            }
        )
        out.index = pd.Index(df[code_col].str.strip(), name="process")
        return out
    return pd.DataFrame(
        {
            "name_zh": [v[0] for v in DEFAULT_PROCESSES.values()],
            "aliases": [list(v[1]) for v in DEFAULT_PROCESSES.values()],
        },
        index=pd.Index(list(DEFAULT_PROCESSES), name="process"),
    )


def _process_aliases() -> dict[str, str]:
    """Normalised process text (code, Chinese name, aliases) → code.

    The built-in names are known too when the processes file does not list them.
    """
    out: dict[str, str] = {}
    table = process_table()
    for code, row in table.iterrows():
        for alias in [code, row["name_zh"], *row["aliases"]]:
            if alias:
                out.setdefault(normalize_label(alias), str(code))
    for code, (zh, aliases) in DEFAULT_PROCESSES.items():
        if code in table.index:
            for alias in (zh, *aliases):
                out.setdefault(normalize_label(alias), code)
    return out


# ----------------------------------------------------------------------------------------------
# headers


def _match_line_header(parts: Sequence[str]) -> tuple[str | None, str | None]:
    """Map a column's header parts (bottom first) to a line field and the unit in brackets."""
    aliases = _line_aliases()
    for part in reversed(parts):
        base, bracket = split_header_unit(part)
        for key in (_header_key(part), _header_key(base)):
            if key in aliases:
                return aliases[key], bracket if key != _header_key(part) else None
    return None, None


def line_header_score(parts_list: list[tuple[str, ...]]) -> float:
    """Score a candidate header as a lines table.

    Distinct line fields it names (for :func:`planner.io.tables.read_table`, which picks header rows and the
    worksheet by it).
    """
    found = {_match_line_header(p)[0] for p in parts_list if p}
    found.discard(None)
    # A header naming only enterprise columns is an inventory, not a lines table.
    return float(len(found)) if found - {"enterprise_id", "capacity", "capacity_unit"} else 0.0


# ----------------------------------------------------------------------------------------------
# validation


def _map_line_columns(ctx: _Context) -> None:
    schema = _schema()
    for i, parts in enumerate(ctx.raw.header_parts):
        label = ctx.raw.headers[i]
        if not parts:
            continue
        name, unit = _match_line_header(parts)
        if name is None:
            if normalize_label(parts[-1]) in ("序号", "no", "no.", "#"):
                continue
            ctx._add(
                ctx.header_row,
                label,
                "column not recognised (not a field of the lines table); its values are not used",
                "warning",
                i,
            )
            continue
        if name in ctx.columns:
            ctx._add(
                ctx.header_row,
                label,
                f"this column and column {ctx.header(name)!r} both give {name!r}; keep only one",
                "error",
                i,
            )
            continue
        ctx.columns[name] = i
        if unit is not None:
            ctx.units[name] = unit
    for f in schema.index[schema["required"]]:
        if f not in ctx.columns:
            zh = next((a for a in schema.at[f, "aliases"] if re.search(r"[\u4e00-\u9fff]", a)), None)
            hint = f" (Chinese header e.g. {zh!r})" if zh else ""
            ctx.file_problem(f"required column {f!r}{hint} is missing", column=f, row=ctx.header_row)


def _share_values(ctx: _Context, name: str) -> np.ndarray:
    what = name.replace("_", " ")
    if not ctx.has(name):
        return np.full(ctx.n, np.nan)
    values, bad = _parse_numbers(ctx.text(name), allow_percent=True)
    ctx.flag(bad, name, lambda cell: f"{what} {cell!r} is not a number (write e.g. 0.4 or 40%)")
    unit = ctx.units.get(name)
    if unit is not None:
        if normalize_label(unit) == "%":
            plain = ~ctx.text(name).str.endswith("%").to_numpy()
            values = np.where(plain, values / 100.0, values)
        else:
            ctx._add(
                ctx.header_row,
                ctx.header(name),
                f"unit {unit!r} in the header is not understood for a share (write values as 0-1, or put % in the header)",
                "error",
                ctx.columns[name],
            )
    with np.errstate(invalid="ignore"):
        ctx.flag(
            (values < 0) | (values > 1),
            name,
            lambda cell: f"{what} {cell!r} is outside 0-1 (write e.g. 0.4 or 40%)",
        )
    return values


def _group_sums(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(codes, weights=values, minlength=n_groups)


def _check_and_fill_shares(
    ctx: _Context,
    firm: np.ndarray,
    n_firms: int,
    ids: np.ndarray,
    shares: dict[str, np.ndarray],
    capacity: np.ndarray,
    cap_unit: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per enterprise: all-or-none blanks, sums within tolerance; fill blanks; rescale to 1."""
    first_row = np.full(n_firms, -1)
    first_row[firm[::-1]] = np.arange(len(firm))[::-1]
    rows_of: dict = {}  # the rows of each firm, grouped only when a firm's shares are reported
    counts = np.bincount(firm, minlength=n_firms)
    out: dict[str, np.ndarray] = {}
    for name in SHARE_COLUMNS:
        v = shares[name]
        blank = np.isnan(v)
        n_blank = np.bincount(firm, weights=blank, minlength=n_firms)
        partial = (n_blank > 0) & (n_blank < counts)
        if ctx.has(name):
            ctx.flag(
                blank & partial[firm],
                name,
                lambda _cell, f=name: (
                    f"{f.replace('_', ' ')} is empty, but other lines of this enterprise give one; give it for every line of the enterprise or for none"
                ),
            )
        out[name] = v
    # fill output shares: capacity-proportional when every line has a capacity in one unit
    out_share = out["output_share"].copy()
    none_given = np.bincount(firm, weights=np.isnan(out_share), minlength=n_firms) == counts
    cap_ok = ~np.isnan(capacity) & (capacity > 0)
    all_cap = np.bincount(firm, weights=cap_ok, minlength=n_firms) == counts
    units = pd.Series(cap_unit).fillna("")
    one_unit = units.groupby(firm).nunique().reindex(range(n_firms), fill_value=0).to_numpy() <= 1
    cap_sum = _group_sums(firm, np.where(cap_ok, capacity, 0.0), n_firms)
    by_cap = none_given & all_cap & one_unit
    fill = np.where(
        by_cap[firm],
        np.where(cap_ok, capacity, 0.0) / np.where(cap_sum > 0, cap_sum, 1.0)[firm],
        1.0 / counts[firm],
    )
    out_share = np.where(none_given[firm], fill, out_share)
    out["output_share"] = out_share
    filled: dict[str, np.ndarray] = {}
    for p in POLLUTANTS:
        name = f"{p}_share"
        v = out[name]
        none = np.bincount(firm, weights=np.isnan(v), minlength=n_firms) == counts
        out[name] = np.where(none[firm], out_share, v)
        filled[name] = none  # copies of the output shares: checked through those
    filled["output_share"] = np.zeros(n_firms, dtype=bool)  # filled output shares sum to 1
    tol = SHARE_TOLERANCE + 1e-9
    for name in SHARE_COLUMNS:
        v = out[name]
        total = _group_sums(firm, np.nan_to_num(v), n_firms)
        allow_zero = name != "output_share"
        bad = (np.abs(total - 1.0) > tol) & ~(allow_zero & (total == 0))
        # only where every line gave a usable number (partial blanks and bad cells are reported already)
        usable = ~np.isnan(v) & (v >= 0) & (v <= 1)
        complete = np.bincount(firm, weights=usable, minlength=n_firms) == counts
        for f in np.flatnonzero(bad & complete & ~filled[name]):
            if not rows_of:
                rows_of.update(pd.Series(ctx.rows).groupby(firm).apply(list).to_dict())
            r = first_row[f]
            zero_hint = " (or all 0 when the enterprise emits none of it)" if allow_zero else ""
            ctx._add(
                int(ctx.rows[r]),
                ctx.header(name),
                f"the {name.replace('_', ' ')}s of enterprise {ids[r]!r} sum to {total[f]:.4g}, not 1 "
                f"(rows {_row_list(rows_of[f])}); they must add up to 1 within {SHARE_TOLERANCE:g}{zero_hint}",
                "error",
                ctx.columns.get(name, -1),
            )
        scale = np.where(total > 0, total, 1.0)
        out[name] = v / scale[firm]
    return out


def _validate_lines_raw(raw: RawTable, build: bool = True) -> tuple[Problems, pd.DataFrame | None, dict]:
    """Check a lines table already read; return problems, the table (when no errors) and headers."""
    ctx = _Context(raw)
    for p in raw.problems:
        ctx._add(p.row, p.column, p.message, p.severity, 10**6)
    _map_line_columns(ctx)
    headers = {f: ctx.header(f) for f in ctx.columns}
    if ctx.n == 0:
        ctx.file_problem("the file has a header but no line rows below it", row=ctx.header_row)
        return ctx.sorted_problems(), None, headers
    if not all(ctx.has(f) for f in ("enterprise_id", "line_id", "process")):
        return ctx.sorted_problems(), None, headers
    ids = ctx.text("enterprise_id")
    line_ids = ctx.text("line_id")
    for f, what in (("enterprise_id", "enterprise id"), ("line_id", "line id"), ("process", "process")):
        ctx.flag((ctx.text(f) == "").to_numpy(), f, f"{what} is empty (required)")
    # duplicate (enterprise, line)
    key = ids + "\x1f" + line_ids
    dup = (key.duplicated(keep=False) & (ids != "") & (line_ids != "")).to_numpy()
    if dup.any():
        groups = pd.Series(ctx.rows[dup]).groupby(key.to_numpy()[dup]).apply(list).to_dict()
        kv = key.to_numpy()
        for i in np.flatnonzero(dup):
            ctx._add(
                int(ctx.rows[i]),
                ctx.header("line_id"),
                f"line {line_ids.iloc[i]!r} of enterprise {ids.iloc[i]!r} appears more than once (rows {_row_list(groups[kv[i]])})",
                "error",
                ctx.columns["line_id"],
            )
    # process codes
    aliases = _process_aliases()
    proc_text = ctx.text("process")
    lookup = {u: aliases.get(normalize_label(u)) for u in pd.unique(proc_text.to_numpy())}
    process = proc_text.map(lookup)
    allowed = ", ".join(process_table().index)
    source = PROCESSES_FILE.name if PROCESSES_FILE.is_file() else "the built-in list"
    ctx.flag(
        (process.isna() & (proc_text != "")).to_numpy(),
        "process",
        lambda cell: f"unknown process {cell!r}; use a code or Chinese name from {source}: {allowed}",
    )
    # capacity
    capacity = np.full(ctx.n, np.nan)
    if ctx.has("capacity"):
        capacity, bad = _parse_numbers(ctx.text("capacity"))
        ctx.flag(
            bad,
            "capacity",
            lambda cell: f"capacity {cell!r} is not a number (write e.g. 5000, the unit in the unit column)",
        )
        with np.errstate(invalid="ignore"):
            ctx.flag(capacity < 0, "capacity", lambda cell: f"capacity {cell!r} is negative")
    cap_unit = (
        ctx.text("capacity_unit").to_numpy(dtype=object)
        if ctx.has("capacity_unit")
        else np.full(ctx.n, "", dtype=object)
    )
    if "capacity" in ctx.units and not ctx.has("capacity_unit"):
        cap_unit = np.full(ctx.n, ctx.units["capacity"], dtype=object)
    raw_shares = {name: _share_values(ctx, name) for name in SHARE_COLUMNS}
    firm_codes, firm_ids = pd.factorize(ids.to_numpy())
    valid_firm = firm_codes >= 0
    if valid_firm.all():
        shares = _check_and_fill_shares(
            ctx, firm_codes, len(firm_ids), ids.to_numpy(), raw_shares, capacity, cap_unit
        )
    else:
        shares = raw_shares
    problems = ctx.sorted_problems()
    if not problems.ok or not build:
        return problems, None, headers
    table = pd.DataFrame(
        {
            "enterprise_id": pd.array(ids.to_numpy(), dtype="str"),
            "line_id": pd.array(line_ids.to_numpy(), dtype="str"),
            "process": pd.array(process.to_numpy(), dtype="str"),
            "capacity": capacity,
            "capacity_unit": pd.array(np.where(cap_unit == "", None, cap_unit), dtype="str"),
            **{name: shares[name] for name in SHARE_COLUMNS},
            "row": ctx.rows,
        }
    )
    return problems, table, headers


def validate_lines(path: str | Path) -> Problems:
    """Check a lines file; return every problem (errors and warnings).

    Parameters
    ----------
    path : str or Path
        CSV or XLSX (the worksheet whose header best names the line fields).

    Returns
    -------
    Problems
    """
    try:
        raw = read_table(path, scorer=line_header_score)
    except InputError as exc:
        return exc.problems
    return _validate_lines_raw(raw, build=False)[0]


def read_lines(path: str | Path) -> Lines:
    """Read and validate a lines table (one row per line or process of an enterprise).

    Parameters
    ----------
    path : str or Path
        CSV or XLSX; headers in English (``data/schema/line_fields.csv`` field names) or Chinese
        (企业编号, 生产线编号, 工序, 产能, 产能单位, 产值占比, 二氧化硫占比 …).

    Returns
    -------
    Lines

    Raises
    ------
    InputError
        With every problem (file, row, column, message) when there is any error, e.g. an unknown
        process, a duplicate line, or shares of an enterprise that do not sum to 1.
    """
    raw = read_table(path, scorer=line_header_score)
    problems, table, headers = _validate_lines_raw(raw)
    if table is None:
        raise InputError(problems)
    return Lines(table=table, source=str(path), problems=problems, headers=headers)


# ----------------------------------------------------------------------------------------------
# decision units


def units_table(inventory_table: pd.DataFrame, lines: Lines | pd.DataFrame | None) -> pd.DataFrame:
    """One row per decision unit: each line of an enterprise with lines, each other enterprise whole.

    Parameters
    ----------
    inventory_table : pandas.DataFrame
        :attr:`planner.inventory.table.Inventory.table` (index ``enterprise_id``, emissions).
    lines : Lines, pandas.DataFrame or None
        From :func:`read_lines` (or its ``table``); None = no enterprise has lines.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`UNIT_COLUMNS` (``enterprise_id``, ``line_id`` — ``''`` for an enterprise
        without lines —, ``process`` — ``general`` for a whole enterprise —, ``output_share``,
        ``SO2_share`` … ``VOCs_share``), in inventory order and, within an enterprise, in the
        order of the lines file; a RangeIndex.  Per enterprise every share column sums to 1
        (a pollutant's to 0 when the enterprise emits none of it).

    Raises
    ------
    InputError
        Naming the lines file, row and column when a line names an enterprise that is not in the
        inventory, or when an enterprise's lines give no share (all 0) of a pollutant the
        inventory says it emits.
    """
    ids = inventory_table.index.to_numpy(dtype=object)
    if lines is None:
        lt = pd.DataFrame(
            {c: pd.Series([], dtype=float if c in SHARE_COLUMNS else "str") for c in LINE_COLUMNS}
        )
        lt["row"] = pd.Series([], dtype="int64")
        source, headers = "lines", {}
    elif isinstance(lines, Lines):
        lt, source, headers = lines.table, lines.source, lines.headers
    else:
        lt, source, headers = lines, "lines", {}
    pos = pd.Index(ids).get_indexer(lt["enterprise_id"].to_numpy(dtype=object))
    problems = Problems()
    rows = lt["row"].to_numpy() if "row" in lt else np.arange(len(lt)) + 2
    for i in np.flatnonzero(pos < 0):
        problems.error(
            source,
            int(rows[i]),
            headers.get("enterprise_id", "enterprise_id"),
            f"enterprise {lt['enterprise_id'].iloc[i]!r} is not in the inventory; check the id (or the credit code)",
        )
    if problems.errors:
        raise InputError(problems)
    has_lines = np.zeros(len(ids), dtype=bool)
    has_lines[pos] = True
    for p in POLLUTANTS:
        emits = inventory_table[p].to_numpy(dtype=float) > 0
        given = np.bincount(pos, weights=lt[f"{p}_share"].to_numpy(dtype=float), minlength=len(ids)) > 0
        for e in np.flatnonzero(has_lines & emits & ~given):
            first = int(rows[np.flatnonzero(pos == e)[0]])
            problems.error(
                source,
                first,
                headers.get(f"{p}_share", f"{p}_share"),
                f"the lines of enterprise {ids[e]!r} give no share of its {p} emissions (all 0), "
                f"but the inventory lists {inventory_table[p].iloc[e]:.4g} t/d",
            )
    if problems.errors:
        raise InputError(problems)
    whole = np.flatnonzero(~has_lines)
    whole_part = pd.DataFrame(
        {
            "enterprise_id": ids[whole],
            "line_id": "",
            "process": WHOLE_FIRM_PROCESS,
            **{c: 1.0 for c in SHARE_COLUMNS},
        }
    )
    for p in POLLUTANTS:  # a whole enterprise emitting none of a pollutant: share 0, as for lines
        whole_part[f"{p}_share"] = np.where(inventory_table[p].to_numpy(dtype=float)[whole] > 0, 1.0, 0.0)
    line_part = pd.DataFrame(
        {c: lt[c].to_numpy(dtype=object if c not in SHARE_COLUMNS else float) for c in UNIT_COLUMNS}
    )
    order_key = np.concatenate([whole, pos]).astype(np.int64)
    within = np.concatenate([np.zeros(len(whole), dtype=np.int64), np.arange(len(lt))])
    out = pd.concat([whole_part, line_part], ignore_index=True)
    out = out.iloc[np.lexsort((within, order_key))].reset_index(drop=True)
    for c in ("enterprise_id", "line_id", "process"):
        out[c] = pd.array(out[c].to_numpy(dtype=object), dtype="str")
    for c in SHARE_COLUMNS:
        out[c] = out[c].astype(float)
    return out[list(UNIT_COLUMNS)]


# ----------------------------------------------------------------------------------------------
# the one-row-per-line layout

#: Group labels of a line block in a two-row header (生产线 over 编号 | 工序 | 产能 …).
LINE_BLOCK_LABELS = {
    normalize_label(x)
    for x in ("生产线", "产线", "生产线信息", "生产线情况", "生产线/工序", "工序", "生产设施", "lines")
}
#: Line fields that name a line column by themselves, outside a line block.
_LINE_ONLY_FIELDS = {"line_id", "process", *SHARE_COLUMNS}


def _combined_score(parts_list: list[tuple[str, ...]]) -> float:
    return header_score(parts_list) + line_header_score(parts_list)


def _classify_columns(raw: RawTable) -> tuple[list[int], dict[int, str]]:
    """Split the columns into inventory columns and line columns (position → line field)."""
    inv_cols: list[int] = []
    line_cols: dict[int, str] = {}
    for i, parts in enumerate(raw.header_parts):
        if not parts:
            inv_cols.append(i)
            continue
        in_block = len(parts) >= 2 and normalize_label(parts[0]) in LINE_BLOCK_LABELS
        field_name, _ = _match_line_header(parts[-1:])
        if in_block and field_name is not None:
            # inside a line block, an id column (编号, ID) is the line's id, not the enterprise's
            line_cols[i] = "line_id" if field_name == "enterprise_id" else field_name
        elif not in_block and field_name not in (None, "enterprise_id") and match_header(parts)[0] is None:
            line_cols[i] = field_name
        else:
            inv_cols.append(i)
    # a capacity unit column belongs to the lines when the lines give a capacity and the
    # enterprise columns give none (EIA, permitted capacity, last year's output)
    inv_fields = {i: match_header(raw.header_parts[i])[0] for i in inv_cols if raw.header_parts[i]}
    if "capacity" in line_cols.values() and not set(inv_fields.values()) & {
        "capacity_eia",
        "capacity_permit",
        "output_last_year",
    }:
        for i, f in inv_fields.items():
            if f == "capacity_unit" and "capacity_unit" not in line_cols.values():
                inv_cols.remove(i)
                line_cols[i] = "capacity_unit"
        line_cols = dict(sorted(line_cols.items()))
    return inv_cols, line_cols


def _sub_raw(
    raw: RawTable, cols: list[int], frame: pd.DataFrame, extra: dict[str, pd.Series] | None = None
) -> RawTable:
    """A RawTable of some columns of ``raw`` (renumbered), with optional extra named columns."""
    sub = frame[cols].copy()
    sub.columns = range(len(cols))
    headers = [raw.headers[c] for c in cols]
    parts = [raw.header_parts[c] for c in cols]
    for name, values in (extra or {}).items():
        sub[len(headers)] = values.to_numpy()
        headers.append(name)
        parts.append((name,))
    return RawTable(
        path=raw.path,
        frame=sub,
        headers=headers,
        header_parts=parts,
        header_rows=raw.header_rows,
        sheet=raw.sheet,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
    )


def read_inventory_with_lines(path: str | Path) -> tuple[Inventory, Lines]:
    """Read the one-row-per-line Chinese layout into the inventory and the lines table.

    Layout: one row per line (or process); an enterprise's fields are repeated on each of its
    rows, merged over them (XLSX), or left blank on the rows after its first; the line fields sit
    under a ``生产线`` group header (生产线 over 编号 | 工序 | 产能 | 产能单位 | 产值占比 …) or carry
    line-only headers (工序, 生产线编号, 产值占比, 二氧化硫占比 …).  A file without line columns is an
    ordinary inventory (one row per enterprise) and gives an empty lines table.

    Parameters
    ----------
    path : str or Path
        CSV or XLSX.

    Returns
    -------
    (Inventory, Lines)
        The inventory (one row per enterprise, validated by :mod:`planner.inventory.table`; its
        ``line_count`` is the number of line rows when the file has no line-count column) and the
        lines (``enterprise_id`` = the inventory's id of the enterprise; ``line_id`` numbered 1, 2, …
        within the enterprise when the file has no line-id column).  Enterprises with a single row
        and no line fields have no lines.

    Raises
    ------
    InputError
        With every problem of both parts: an enterprise field that differs between the rows of one
        enterprise, an enterprise whose rows are not together, and every inventory and lines
        problem, each with file, row and column.
    """
    raw = read_table(path, scorer=_combined_score)
    inv_cols, line_cols = _classify_columns(raw)
    frame = raw.frame
    problems = Problems(list(raw.problems))
    mapped = {c: match_header(raw.header_parts[c])[0] for c in inv_cols}
    key_field = next((f for f in ("enterprise_id", "credit_code", "name") if f in mapped.values()), None)
    if key_field is None or not line_cols:
        problems_inv, table = validate_raw(raw)
        if table is None:
            raise InputError(problems_inv)
        empty = _empty_lines(str(path))
        return Inventory(table=table, source=str(path), problems=problems_inv), empty
    key_col = next(c for c, f in mapped.items() if f == key_field)
    inv_frame = frame[inv_cols]
    line_frame = frame[list(line_cols)]
    blank_inv = (inv_frame.apply(lambda s: s.str.strip()) == "").all(axis=1).to_numpy()
    has_line = ~(line_frame.apply(lambda s: s.str.strip()) == "").all(axis=1).to_numpy()
    key = frame[key_col].str.strip().to_numpy(dtype=object)
    # continuation rows: enterprise fields blank, line fields given → the enterprise above
    key = (
        pd.Series(np.where(blank_inv & has_line, None, np.where(key == "", None, key)))
        .ffill()
        .to_numpy(dtype=object)
    )
    starts = np.r_[True, key[1:] != key[:-1]]
    firm = np.cumsum(starts) - 1
    firm_key = key[starts]
    seen: dict[object, int] = {}
    rows = frame.index.to_numpy()
    header_of = {c: raw.headers[c] or f"column {c + 1}" for c in range(len(raw.headers))}
    for f, k in enumerate(firm_key):
        if k is None:
            continue
        if k in seen:
            first = rows[np.flatnonzero(firm == seen[k])[0]]
            here = rows[np.flatnonzero(firm == f)[0]]
            problems.error(
                raw.path,
                int(here),
                header_of[key_col],
                f"enterprise {k!r} appears again here after other enterprises (first at row {first}); keep the rows of an enterprise together",
            )
        else:
            seen[k] = f
    # enterprise fields: the same on every row of an enterprise (or blank)
    filled = {}
    first_idx = np.flatnonzero(starts)
    for c in inv_cols:
        s = frame[c].str.strip()
        values = s.to_numpy(dtype=object)
        nonblank = pd.Series(np.where(values == "", None, values))
        ref = nonblank.groupby(firm).transform("first").to_numpy(dtype=object)
        conflict = (values != "") & (ref != None) & (values != ref)  # noqa: E711
        for i in np.flatnonzero(conflict):
            first_row = rows[first_idx[firm[i]]]
            problems.error(
                raw.path,
                int(rows[i]),
                header_of[c],
                f"{values[i]!r} differs from {ref[i]!r} on row {first_row}, the first row of this enterprise; "
                "an enterprise's fields must be the same on each of its line rows (or left blank)",
            )
        filled[c] = pd.Series(np.where(ref == None, "", ref), index=frame.index, dtype="str")  # noqa: E711
    firm_frame = pd.DataFrame(filled)[inv_cols].iloc[first_idx]
    n_rows = np.bincount(firm)
    extra_inv = {}
    if "line_count" not in mapped.values():
        extra_inv["生产线数量"] = pd.Series(n_rows.astype(str), index=firm_frame.index)
    inv_raw = _sub_raw(raw, inv_cols, firm_frame, extra_inv)
    inv_problems, table = validate_raw(inv_raw)
    problems.extend(inv_problems)
    # line rows: rows of enterprises with more than one row, or with line fields given
    line_row = (n_rows[firm] > 1) | has_line
    if table is not None:
        id_of_firm = table.index.to_numpy(dtype=object)
        if "line_count" in mapped.values():
            given = table["line_count"].to_numpy()
            n_lines = np.bincount(firm, weights=line_row, minlength=len(first_idx)).astype(int)
            for f in np.flatnonzero((n_lines > 0) & (given != n_lines)):
                problems.warning(
                    raw.path,
                    int(rows[first_idx[f]]),
                    header_of[next(c for c, m in mapped.items() if m == "line_count")],
                    f"line count {given[f]} but the enterprise has {n_lines[f]} line rows; the line rows are used",
                )
    else:
        id_of_firm = firm_key
    lf = frame.loc[line_row, list(line_cols)]
    sel_firm = firm[line_row]
    extra_lines = {
        "enterprise_id": pd.Series(np.asarray(id_of_firm, dtype=object)[sel_firm], index=lf.index).astype(
            "str"
        )
    }
    if "line_id" not in line_cols.values():
        within = pd.Series(sel_firm).groupby(sel_firm).cumcount().to_numpy() + 1
        extra_lines["line_id"] = pd.Series(within.astype(str), index=lf.index, dtype="str")
    line_raw = _sub_raw(raw, list(line_cols), lf, extra_lines)
    line_raw.header_parts = [(line_cols[c],) for c in line_cols] + [(k,) for k in extra_lines]
    line_raw.headers = [raw.headers[c] for c in line_cols] + list(extra_lines)
    if len(lf):
        line_problems, lines_table, headers = _validate_lines_raw(line_raw)
        problems.extend(line_problems)
    else:
        lines_table, headers = _empty_lines(str(path)).table, {}
    if not problems.ok or table is None or lines_table is None:
        raise InputError(problems)
    return (
        Inventory(table=table, source=str(path), problems=Problems(problems.warnings)),
        Lines(table=lines_table, source=str(path), problems=Problems(problems.warnings), headers=headers),
    )


def _empty_lines(source: str) -> Lines:
    table = pd.DataFrame(
        {
            c: pd.Series([], dtype=float if c in SHARE_COLUMNS or c == "capacity" else "str")
            for c in LINE_COLUMNS
        }
    )
    table["row"] = pd.Series([], dtype="int64")
    return Lines(table=table, source=source)
