"""The enterprise inventory (应急减排清单): read, validate and normalise a bureau's enterprise list.

The schema lives in ``data/schema/inventory_fields.csv`` (canonical field, dtype, unit, required,
aliases including the Chinese headers bureaus use); allowed grades and industries in
``data/policy/grades.csv`` and ``data/policy/industries.csv``.  Headers are matched through the
aliases, ignoring case, white space and full-/half-width differences; a unit in brackets
("二氧化硫（吨/年）", "SO2 (t/a)") or in the group label of a two-row header ("排放量（吨/年）" over
"二氧化硫") maps the column *and* supplies its unit.

Validation collects every problem — file, row as the user numbers it, column header as written,
a plain message — as errors (no plan can be made) or warnings.  Nothing is dropped or coerced
silently: a value is either read as written (a thousands separator like ``1,234.5``, a percent
sign on shares, and full-width or other Unicode digits such as ``１２．５`` or ``٣٤٫٥`` — what a
Chinese input method in full-width mode types — are accepted explicitly) or reported; a number
too large to be finite (``1e309``) is an error, and so is a unit in a group label that does not
fit the field (``排放量（公斤）`` gives no period).

Public API: :func:`load_schema`, :func:`validate_inventory`, :func:`read_inventory`,
:class:`Inventory`.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner import DATA_DIR, POLLUTANTS
from planner.inventory.creditcode import credit_code_problems
from planner.io.tables import RawTable, read_table
from planner.policy.vocabulary import grades, industries
from planner.problems import InputError, Problems

SCHEMA_FILE = DATA_DIR / "schema" / "inventory_fields.csv"

#: China's extent (WGS84), generous: lat 3.5-53.6 N, lon 73.4-135.1 E.
CHINA_LAT = (3.5, 53.6)
CHINA_LON = (73.4, 135.1)
#: Last year's output may exceed the permitted/EIA capacity by this share before a warning.
OUTPUT_OVER_CAPACITY_TOLERANCE = 0.10
DEFAULT_OPERATING_DAYS = 365.0
#: More production lines than this in one enterprise is a typing or unit mistake.
MAX_LINE_COUNT = 10_000
CAPACITY_FIELDS = ("capacity_eia", "capacity_permit", "output_last_year")
SHARE_FIELDS = ("load_cap", "technical_max_cut", "plant_cut_yellow", "plant_cut_orange", "plant_cut_red")
DERIVED_COLUMNS = ("output_value_daily", "cut_base", "base_share", "self_directed", "grade_rank", "row")

#: Extra control-type synonyms beyond the "code (中文)" pairs in the schema description.
_CONTROL_SYNONYMS = {
    "key": ("重点", "重点管控", "重点企业", "重点类"),
    "general": ("一般", "一般管控", "一般企业", "一般类"),
    "guarantee": ("保障类", "保障", "保障类企业", "民生保障类"),
    "exempt": ("豁免", "豁免类", "豁免企业"),
    "heating_boiler": ("供暖锅炉", "民生供暖锅炉", "供暖", "heating boiler"),
}

_MASS_TONNES = {"t": 1.0, "吨": 1.0, "kg": 1e-3, "千克": 1e-3, "公斤": 1e-3, "万吨": 1e4, "万t": 1e4}
_MONEY_WANYUAN = {"元": 1e-4, "千元": 0.1, "万元": 1.0, "百万元": 100.0, "亿元": 1e4, "万": 1.0}
_PER_YEAR = {"a", "yr", "y", "year", "年"}
_PER_DAY = {"d", "day", "日", "天"}
_ELECTRICITY_WAN_KWH = {
    "万kwh": 1.0,
    "万千瓦时": 1.0,
    "万度": 1.0,
    "kwh": 1e-4,
    "千瓦时": 1e-4,
    "度": 1e-4,
    "亿kwh": 1e4,
    "亿千瓦时": 1e4,
    "mwh": 0.1,
    "兆瓦时": 0.1,
}
_DAYS_UNITS = {"d", "d/a", "天", "日", "天/年", "日/年", "days", "day"}
_DEGREE_UNITS = {"°", "度", "deg", "degree", "degrees", "°n", "°e"}
#: Headers of serial-number columns, which carry nothing and are skipped without a warning.
_SERIAL_HEADERS = {"序号", "序", "no", "no.", "#", "编号序号", "index"}
_TOTAL_WORDS = {"合计", "总计", "小计", "total", "sum", "合计:", "总计:"}
_NOTE_PREFIXES = ("注", "说明", "备注", "填表", "制表", "审核", "联系人", "联系电话", "note")
#: Cheap pre-filter (arrow-native regex) for cells that may mark a totals or note row.
#: (No ``\s``: pandas falls back to Python's re for it.)
_SKIP_HINT = (
    "计|[Tt][Oo][Tt][Aa][Ll]|[Ss][Uu][Mm]|^[ \t\u3000]*(?:注|说明|备注|填表|制表|审核|联系|[Nn][Oo][Tt][Ee])"
)
_BOOL_TRUE = {"是", "有", "yes", "y", "true", "1", "√", "✓"}
_BOOL_FALSE = {"否", "无", "没有", "no", "n", "false", "0", "×", "✗"}

# ASCII digits only ([0-9], not \d): Python's re and pyarrow's RE2 must agree on what matches.
_NUMBER_RE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_THOUSANDS_RE = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?"
_WHOLE_RE = r"\+?[0-9]+"
_UNIT_IN_BRACKETS = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")


@dataclass
class Inventory:
    """A validated enterprise inventory in canonical form.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per enterprise, index ``enterprise_id``; the schema's fields plus the derived
        columns of docs/ARCHITECTURE.md ("Canonical inventory"): emissions ``SO2, NOx, PM, VOCs``
        in t/d, ``output_value`` in 万元/a, ``output_value_daily`` (万元/d), ``cut_base``,
        ``base_share``, ``self_directed``, ``grade_rank``, ``row``.
    source : str
        The file it was read from.
    problems : Problems
        Warnings found while reading (a returned inventory has no errors).
    """

    table: pd.DataFrame
    source: str
    problems: Problems = field(default_factory=Problems)


# ----------------------------------------------------------------------------------------------
# schema and vocabularies


def normalize_label(text: str) -> str:
    """Normalise a header or value for matching.

    NFKC (full-width → half-width), case-folded, white space and required-field markers removed, CJK brackets
    turned into ``(`` ``)``.
    """
    text = unicodedata.normalize("NFKC", str(text))
    for a, b in (("【", "("), ("】", ")"), ("〔", "("), ("〕", ")"), ("[", "("), ("]", ")")):
        text = text.replace(a, b)
    text = re.sub(r"\s+", "", text).casefold()
    return text.strip("*※:")


def load_schema() -> pd.DataFrame:
    """The inventory schema, indexed by canonical field.

    Returns
    -------
    pandas.DataFrame
        Columns ``dtype``, ``unit``, ``required`` (bool), ``description``, ``aliases`` (list of
        str), in the order of ``data/schema/inventory_fields.csv``.  A fresh copy on each call.
    """
    return _schema().copy(deep=True)


@lru_cache(maxsize=1)
def _schema() -> pd.DataFrame:
    """The schema, read once and shared inside this module (never handed out)."""
    df = pd.read_csv(SCHEMA_FILE, dtype=str, keep_default_na=False).set_index("field")
    df["required"] = df["required"].str.strip().str.lower().eq("yes")
    df["aliases"] = df["aliases"].map(lambda s: [a for a in s.split("|") if a.strip()])
    return df


def _header_key(text: str) -> str:
    """Header matching key: :func:`normalize_label` without ``_``, ``-`` and ``.``.

    So "Output value", "output_value" and "output-value" are one header.
    """
    return re.sub(r"[_\-.]", "", normalize_label(text))


@lru_cache(maxsize=1)
def header_aliases() -> dict[str, str]:
    """Header matching key → canonical field (field names themselves included)."""
    out: dict[str, str] = {}
    for name, row in _schema().iterrows():
        for alias in [name, *row["aliases"]]:
            out.setdefault(_header_key(alias), name)
    return out


def _value_aliases(df: pd.DataFrame) -> dict[str, str]:
    """Normalised code, Chinese name and aliases of each row of a vocabulary table → code."""
    out: dict[str, str] = {}
    for code, row in df.iterrows():
        for alias in [code, row.get("name_zh", ""), *str(row.get("aliases", "")).split("|")]:
            if alias:
                out.setdefault(normalize_label(alias), str(code))
    return out


@lru_cache(maxsize=1)
def grade_aliases() -> dict[str, str]:
    """Normalised grade text (code, Chinese name, aliases) → grade code."""
    return _value_aliases(grades())


@lru_cache(maxsize=1)
def industry_aliases() -> dict[str, str]:
    """Normalised industry text (code, Chinese name, aliases) → industry code."""
    return _value_aliases(industries())


@lru_cache(maxsize=1)
def control_types() -> tuple[str, ...]:
    """Control-type codes, read from the schema description ``code (中文), …``."""
    desc = _schema().at["control_type", "description"]
    return tuple(m.group(1) for m in re.finditer(r"(\w+) \(", desc))


@lru_cache(maxsize=1)
def control_aliases() -> dict[str, str]:
    """Normalised control-type text → control-type code."""
    desc = _schema().at["control_type", "description"]
    out: dict[str, str] = {}
    for m in re.finditer(r"(\w+) \(([^,)]+)", desc):
        out[normalize_label(m.group(1))] = m.group(1)
        out[normalize_label(m.group(2))] = m.group(1)
    for code, words in _CONTROL_SYNONYMS.items():
        for w in words:
            out.setdefault(normalize_label(w), code)
    return out


# ----------------------------------------------------------------------------------------------
# units


def _split_rate(unit: str) -> tuple[str, str] | None:
    """Split a normalised rate unit "a/b" into (numerator, denominator); None without "/"."""
    u = normalize_label(unit)
    if "/" not in u:
        return None
    num, _, per = u.partition("/")
    return num, per


def parse_emission_unit(unit: str) -> tuple[float, bool] | None:
    """Parse an emission unit such as ``t/a``, ``kg/d``, ``吨/年``, ``千克/日``.

    Returns
    -------
    (float, bool) or None
        Factor to tonnes and whether the unit is per day (else per year); None if unknown.
    """
    parts = _split_rate(unit)
    if not parts or parts[0] not in _MASS_TONNES:
        return None
    if parts[1] in _PER_YEAR:
        return _MASS_TONNES[parts[0]], False
    if parts[1] in _PER_DAY:
        return _MASS_TONNES[parts[0]], True
    return None


def parse_money_unit(unit: str) -> tuple[float, bool] | None:
    """Parse an output-value unit such as ``万元/年`` (the default), ``万元/日``, ``元/年``, ``亿元``.

    A unit without a time part (``万元``) is annual, as the schema says.

    Returns
    -------
    (float, bool) or None
        Factor to 万元 and whether the unit is per day; None if unknown.
    """
    u = normalize_label(unit)
    if u in _MONEY_WANYUAN:
        return _MONEY_WANYUAN[u], False
    parts = _split_rate(u)
    if not parts or parts[0] not in _MONEY_WANYUAN:
        return None
    if parts[1] in _PER_YEAR:
        return _MONEY_WANYUAN[parts[0]], False
    if parts[1] in _PER_DAY:
        return _MONEY_WANYUAN[parts[0]], True
    return None


def _electricity_factor(unit: str) -> float | None:
    """Factor from an electricity unit (万kWh, kWh, 万千瓦时, 度 …, optionally per year) to 万kWh."""
    u = normalize_label(unit)
    for suffix in ("/a", "/年", "/yr"):
        if u.endswith(suffix):
            u = u[: -len(suffix)]
    return _ELECTRICITY_WAN_KWH.get(u)


# ----------------------------------------------------------------------------------------------
# header mapping


def split_header_unit(text: str) -> tuple[str, str | None]:
    """Split ``"二氧化硫（吨/年）"`` into ``("二氧化硫", "吨/年")`` (normalised base, raw unit)."""
    norm = normalize_label(text)
    m = _UNIT_IN_BRACKETS.match(norm)
    if m:
        return m.group(1), m.group(2)
    return norm, None


def _looks_like_unit(text: str) -> bool:
    """True when the text parses as an emission, money, electricity, share or days unit."""
    n = normalize_label(text)
    return bool(n) and (
        parse_emission_unit(n) is not None
        or parse_money_unit(n) is not None
        or _electricity_factor(n) is not None
        or n in ("%",)
        or n in _DAYS_UNITS
    )


def _names_a_unit(text: str) -> bool:
    """True when the text starts with a mass, money or electricity unit.

    The unit may be complete or not ("公斤", "kg/月", "万元"): a group label carrying it must not be ignored.
    """
    head = normalize_label(text).partition("/")[0]
    return head in _MASS_TONNES or head in _MONEY_WANYUAN or head in _ELECTRICITY_WAN_KWH


def match_header(parts: tuple[str, ...]) -> tuple[str | None, str | None]:
    """Map a column's header parts (top to bottom) to a schema field and a unit.

    The bottom part is tried first, then upper ones, then the parts joined (a group label
    "环评" over "产能" reads "环评产能").  A unit comes from brackets in the matching part, else
    from brackets in another part (the group label "排放量（吨/年）"), else from a part that is
    a unit by itself ("吨/年").

    Returns
    -------
    (str or None, str or None)
        Field and unit text (unit None when the header has none).
    """
    aliases = header_aliases()
    found, unit, used = None, None, None
    for part in reversed(parts):
        norm = _header_key(part)
        base, bracket = split_header_unit(part)
        base = _header_key(base)
        if norm in aliases:
            found, unit, used = aliases[norm], bracket, part
            break
        if base in aliases:
            found, unit, used = aliases[base], bracket, part
            break
    if found is None and len(parts) >= 2:
        for joined in ("".join(parts), "".join(reversed(parts))):
            base, bracket = split_header_unit(joined)
            for key in (_header_key(joined), _header_key(base)):
                if key in aliases:
                    return aliases[key], bracket
    if found is None:
        return None, None
    if not _schema().at[found, "unit"]:
        return found, None
    if unit is None:
        # An incomplete unit in a group label ("排放量（公斤）" over "二氧化硫 | 氮氧化物") is passed
        # on too, so that the field's unit check rejects it rather than the default t/a being
        # assumed for kilograms.
        unit = _unit_in_parts(parts, used, _looks_like_unit) or _unit_in_parts(parts, used, _names_a_unit)
    return found, unit


def _unit_in_parts(parts: Sequence[str], used, is_unit) -> str | None:
    """The first unit among the header parts other than ``used``.

    A unit is a bracket ``（…）`` or a whole part for which ``is_unit`` holds.
    """
    for part in parts:
        if part is used:
            continue
        _, bracket = split_header_unit(part)
        if bracket and is_unit(bracket):
            return bracket
        if is_unit(part):
            return normalize_label(part)
    return None


def header_score(parts_list: list[tuple[str, ...]]) -> float:
    """Score a candidate header for the table reader.

    The score is the number of distinct schema fields it names, plus a half point per field that also gets a
    recognisable unit (so that a group label such as "排放量（吨/年）" above the field names is kept as part of the
    header).
    """
    fields: dict[str, bool] = {}
    for parts in parts_list:
        if not parts:
            continue
        name, unit = match_header(parts)
        if name is not None:
            fields[name] = fields.get(name, False) or (unit is not None and _looks_like_unit(unit))
    return float(len(fields)) + 0.5 * sum(fields.values())


# ----------------------------------------------------------------------------------------------
# the validation context


class _Context:
    """Everything one validation run needs: the raw table, the column map, the problem list."""

    def __init__(self, raw: RawTable):
        self.raw = raw
        self.file = raw.path if raw.row_files is None else f"{raw.path} [{raw.sheet}]"
        # A list continued over several sheets: each row's file label and sheet number (for
        # messages and their order); None for one sheet or file.
        self.files = raw.row_files
        self._sheet_no = None
        if raw.row_files is not None:
            _, first = np.unique(raw.row_files, return_index=True)
            order = {raw.row_files[i]: k for k, i in enumerate(sorted(first))}
            self._sheet_no = np.array([order[f] for f in raw.row_files], dtype=np.int64)
        self.problems = Problems()
        self.columns: dict[str, int] = {}
        self.units: dict[str, str] = {}
        self.rows = np.asarray(raw.frame.index, dtype=np.int64)
        self.n = len(raw.frame)
        self.values: dict[str, pd.Series] = {}
        self._stripped: dict[int, pd.Series] = {}  # column position -> its stripped text
        self._order: list[tuple[int, int]] = []
        self.header_row = raw.header_rows[-1] if raw.header_rows else None

    # -- access
    def has(self, name: str) -> bool:
        return name in self.columns

    def header(self, name: str) -> str:
        if name in self.columns:
            label = self.raw.headers[self.columns[name]]
            return label or f"column {self.columns[name] + 1}"
        return name

    def text(self, name: str) -> pd.Series:
        """Stripped cell text of a field ("" when the column is absent).

        Each column is stripped once; the Series returned is shared, not to be modified in place.
        """
        if name not in self.columns:
            return pd.Series("", index=self.raw.frame.index, dtype="str")
        i = self.columns[name]
        if i not in self._stripped:
            self._stripped[i] = self.raw.frame[i].str.strip()
        return self._stripped[i]

    def number_text(self, name: str) -> pd.Series:
        """Cell text of a numeric field with full-width and non-ASCII digits made ASCII.

        See :func:`ascii_number_text`; messages still quote :meth:`text`, the cell as written.
        """
        return ascii_number_text(self.text(name))

    # -- reporting
    def _add(self, row, column, message, severity, col_pos, file=None, sheet_no=0) -> None:
        self.problems.add(file or self.file, row, column, message, severity)
        self._order.append((sheet_no, row if row is not None else 0, col_pos))

    def _add_at(self, i: int, column, message, severity, col_pos) -> None:
        """Report data row ``i`` (position in the frame)."""
        if self.files is None:
            self._add(int(self.rows[i]), column, message, severity, col_pos)
        else:
            self._add(
                int(self.rows[i]), column, message, severity, col_pos, self.files[i], int(self._sheet_no[i])
            )

    def row_label(self, i: int) -> str:
        """Row ``i`` (position) as the user finds it.

        ``"12"``, or ``"12 [Sheet2]"`` for a list over several sheets.
        """
        if self.files is None:
            return str(int(self.rows[i]))
        return f"{int(self.rows[i])} [{self.files[i].rsplit(' [', 1)[-1].rstrip(']')}]"

    def file_problem(
        self, message: str, column: str | None = None, severity: str = "error", row: int | None = None
    ) -> None:
        pos = self.columns.get(column, -1) if column else -1
        self._add(row, column, message, severity, pos)

    def flag(self, mask, name: str, message, severity: str = "error") -> None:
        """Report rows where ``mask`` is true, in column ``name``.

        ``message`` is a string, or a callable taking the cell text and returning the message.
        """
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        column = self.header(name)
        pos = self.columns.get(name, -1)
        idx = np.flatnonzero(mask)
        if callable(message):
            cells = self.text(name).to_numpy()[idx]
            for i, cell in zip(idx, cells, strict=True):
                self._add_at(int(i), column, message(cell), severity, pos)
        else:
            for i in idx:
                self._add_at(int(i), column, message, severity, pos)

    def sorted_problems(self) -> Problems:
        order = sorted(range(len(self.problems.items)), key=lambda i: self._order[i])
        return Problems([self.problems.items[i] for i in order])


# ----------------------------------------------------------------------------------------------
# value parsing (vectorised)


class _DigitMap(dict):
    """``str.translate`` table mapping every Unicode decimal digit to its ASCII digit.

    Digits of every script (Arabic-Indic ``٣``, Devanagari …) go to their ASCII digit, the Arabic decimal and
    thousands separators and the minus sign to ``.`` ``,`` ``-``; other characters are unchanged (filled in
    lazily).
    """

    def __missing__(self, cp: int) -> int:
        digit = unicodedata.decimal(chr(cp), None)
        value = ord(str(digit)) if digit is not None else cp
        self[cp] = value
        return value


_DIGITS = _DigitMap({0x066B: ord("."), 0x066C: ord(","), 0x2212: ord("-"), 0x2013: ord("-")})


def ascii_number_text(s: pd.Series) -> pd.Series:
    """Number text as ASCII.

    NFKC (full-width ``１２．５`` → ``12.5``, ``％`` → ``%``) and every Unicode decimal digit mapped to ``0-9``.
    Cells that are ASCII already are left as they are (no Python call for them).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    s = s.astype("str")
    try:  # Arrow-backed text: Arrow's ASCII test, several times faster than a regex
        wide = pc.fill_null(pc.invert(pc.string_is_ascii(pa.array(s.array))), False).to_numpy(
            zero_copy_only=False
        )
    except (TypeError, pa.ArrowInvalid, pa.ArrowTypeError):
        wide = s.str.contains(r"[^\x00-\x7f]", regex=True).to_numpy(dtype=bool, na_value=False)
    if not wide.any():
        return s
    out = s.copy()
    fixed = [unicodedata.normalize("NFKC", v).translate(_DIGITS).strip() for v in s[wide]]
    out[wide] = fixed
    return out


def _parse_numbers(s: pd.Series, allow_percent: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Parse number text; returns (values with NaN for blanks and bad cells, bad-cell mask).

    Accepted: plain decimals, scientific notation, thousands separators in groups of three
    ("1,234.5"), and with ``allow_percent`` a trailing "%" (divided by 100).
    """
    s = s.str.strip()
    n = len(s)
    blank = (s == "").to_numpy(dtype=bool)
    percent = np.zeros(n, dtype=bool)
    body = s
    if allow_percent:
        percent = s.str.endswith("%").to_numpy(dtype=bool, na_value=False)
        if percent.any():
            body = s.where(~percent, s.str.slice(stop=-1).str.strip())
    plain = body.str.fullmatch(_NUMBER_RE).to_numpy(dtype=bool, na_value=False)
    values = np.full(n, np.nan)
    if plain.any():
        values[plain] = _to_float(body[plain])
    grouped = np.zeros(n, dtype=bool)
    rest = ~plain & ~blank
    if rest.any():
        grouped[rest] = body[rest].str.fullmatch(_THOUSANDS_RE).to_numpy(dtype=bool, na_value=False)
        if grouped.any():
            values[grouped] = _to_float(body[grouped].str.replace(",", "", regex=False))
    ok = plain | grouped
    values = np.where(percent & ok, values / 100.0, values)
    return values, ~blank & ~ok


def _to_float(s: pd.Series) -> np.ndarray:
    """Convert strings already checked to be plain numbers to float.

    A pyarrow cast when the strings are arrow-backed, else :func:`pandas.to_numeric`.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        return pc.cast(pa.array(s.array), pa.float64()).to_numpy(zero_copy_only=False)
    except Exception:  # no pyarrow, object strings, or a form arrow does not parse
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)


def _whole_numbers(s: pd.Series, ok: np.ndarray) -> np.ndarray:
    """The values of the cells ``ok`` (checked to be whole numbers, e.g. ``+12``), NaN elsewhere."""
    values = np.full(len(s), np.nan)
    if ok.any():
        values[ok] = _to_float(s[ok])
    return values


def _map_values(s: pd.Series, aliases: dict[str, str]) -> tuple[pd.Series, np.ndarray]:
    """Map text through an alias table; returns (codes with NA, unknown-non-blank mask)."""
    lookup = {u: aliases.get(normalize_label(u)) for u in pd.unique(s)}
    codes = _map_distinct(s, lookup)
    unknown = (codes.isna() & (s != "")).to_numpy()
    return codes, unknown


def _dup_message(what: str, rows_by_value: dict) -> callable:
    """Message builder for duplicated values, naming every row that holds the value."""

    def message(cell: str) -> str:
        return f"{what} {cell!r} appears more than once (rows {_row_list(rows_by_value[cell])})"

    return message


def _row_list(rows) -> str:
    """Row numbers as "2, 5, 9" (at most six, then "and N more")."""
    rows = list(rows)
    text = ", ".join(str(r) for r in rows[:6])
    return text + (f" and {len(rows) - 6} more" if len(rows) > 6 else "")


def _duplicates(ctx: _Context, name: str, what: str, s: pd.Series | None = None) -> np.ndarray:
    """Flag every row whose non-blank value of ``name`` occurs more than once; return the mask."""
    s = ctx.text(name) if s is None else s
    dup = (s.duplicated(keep=False) & (s != "")).to_numpy()
    if dup.any():
        labels = ctx.rows[dup] if ctx.files is None else [ctx.row_label(i) for i in np.flatnonzero(dup)]
        groups = pd.Series(labels).groupby(s.to_numpy()[dup]).apply(list).to_dict()
        ctx.flag(dup, name, _dup_message(what, groups))
    return dup


# ----------------------------------------------------------------------------------------------
# checks, one per concern


def _map_columns(ctx: _Context) -> None:
    """Map header columns to schema fields; report unknown, duplicate and missing required columns."""
    schema = _schema()
    hrow = ctx.header_row
    for i, parts in enumerate(ctx.raw.header_parts):
        label = ctx.raw.headers[i]
        if not parts:
            if (ctx.raw.frame[i].str.strip() != "").any():
                ctx._add(
                    hrow,
                    f"column {i + 1}",
                    "this column has values but no header; its values are not used",
                    "warning",
                    i,
                )
            continue
        name, unit = match_header(parts)
        if name is None and normalize_label(parts[-1]) in _SERIAL_HEADERS:
            continue
        if name is None:
            ctx._add(
                hrow,
                label,
                "column not recognised (not a field of the inventory schema); its values are not used",
                "warning",
                i,
            )
            continue
        if name in ctx.columns:
            ctx._add(
                hrow,
                label,
                f"this column and column {ctx.header(name)!r} both give {name!r}; keep only one",
                "error",
                i,
            )
            continue
        ctx.columns[name] = i
        if unit is not None and schema.at[name, "unit"]:
            ctx.units[name] = unit
    missing = [f for f in schema.index[schema["required"]] if f not in ctx.columns]
    for f in missing:
        zh = next((a for a in schema.at[f, "aliases"] if re.search(r"[\u4e00-\u9fff]", a)), None)
        hint = f" (Chinese header e.g. {zh!r})" if zh else ""
        ctx.file_problem(f"required column {f!r}{hint} is missing", column=f, row=hrow)


def _header_unit_problem(ctx: _Context, name: str, message: str) -> None:
    """Report a unit in a column header that does not fit the field."""
    ctx._add(ctx.header_row, ctx.header(name), message, "error", ctx.columns.get(name, -1))


def _check_required_blank(ctx: _Context) -> None:
    """Report blank cells of required text/category/integer fields."""
    schema = _schema()
    for f in schema.index[schema["required"]]:
        if f in ctx.columns and f not in POLLUTANTS and f != "output_value":
            blank = (ctx.text(f) == "").to_numpy()
            ctx.flag(blank, f, f"{f.replace('_', ' ')} is empty (required)")


def _check_ids(ctx: _Context) -> None:
    """Blank and duplicate enterprise ids; invalid and duplicate credit codes."""
    if ctx.has("enterprise_id"):
        ids = ctx.text("enterprise_id")
        ctx.flag((ids == "").to_numpy(), "enterprise_id", "enterprise id is empty")
        _duplicates(ctx, "enterprise_id", "enterprise id")
    if not ctx.has("credit_code"):
        return
    codes = ctx.text("credit_code")
    nonblank = (codes != "").to_numpy()
    messages = np.array(credit_code_problems(codes.to_numpy()), dtype=object)
    bad = nonblank & pd.notna(messages)
    ctx.flag(bad, "credit_code", _credit_code_message)
    _duplicates(ctx, "credit_code", "credit code")


def _credit_code_message(cell: str) -> str:
    """The message for an invalid credit code, with a hint when a spreadsheet made it a number."""
    message = f"invalid credit code {cell!r}: {credit_code_problems([cell])[0]}"
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+|\d{15,17}", cell):
        message += " (it looks like a spreadsheet turned the code into a number; format the column as text)"
    return message


def _check_categories(ctx: _Context) -> None:
    """Map industry, grade and control type through their aliases; report unknown values."""
    vocab = {
        "industry": (
            industry_aliases(),
            "industry",
            "a code or Chinese name from data/policy/industries.csv, e.g. cement / 水泥, or other / 其他行业",
        ),
        "grade": (grade_aliases(), "grade", "A+, A, B, B-, C, D, 引领性, 非引领性 or 未分级"),
        "control_type": (
            control_aliases(),
            "control type",
            "重点 (key), 一般 (general), 保障类 (guarantee), 豁免 (exempt) or 供暖锅炉 (heating_boiler)",
        ),
    }
    for name, (aliases, what, allowed) in vocab.items():
        if not ctx.has(name):
            continue
        codes, unknown = _map_values(ctx.text(name), aliases)
        ctx.values[name] = codes
        ctx.flag(unknown, name, lambda cell, w=what, a=allowed: f"unknown {w} {cell!r}; use {a}")


def _check_grade_scheme(ctx: _Context) -> None:
    """Warn when a grade does not belong to the grading scheme of the industry."""
    if "grade" not in ctx.values or "industry" not in ctx.values:
        return
    grade, ind = ctx.values["grade"], ctx.values["industry"]
    scheme = _map_distinct(ind, industries()["graded_by"].to_dict())
    leading_grades = grade.isin(["leading", "non_leading"])
    letter_grades = grade.isin(["A+", "A", "B", "B-", "C", "D"])
    ctx.flag(
        (scheme.eq("leading") & letter_grades).to_numpy(dtype=bool, na_value=False),
        "grade",
        lambda cell: (
            f"grade {cell!r} is a letter grade but this industry is graded only "
            "引领性 / 非引领性 (leading / non-leading)"
        ),
        "warning",
    )
    ctx.flag(
        (scheme.eq("ABCD") & leading_grades).to_numpy(dtype=bool, na_value=False),
        "grade",
        lambda cell: f"grade {cell!r} is 引领性/非引领性 but this industry is graded A/B/C/D",
        "warning",
    )


def _numbers(
    ctx: _Context,
    name: str,
    what: str,
    *,
    share: bool = False,
    minimum: float | None = 0.0,
    required: bool = False,
) -> np.ndarray:
    """Parse a numeric field and report its bad cells.

    Reports non-numbers, negatives (or values below ``minimum``) and, for required fields, blanks.  Returns
    the values (NaN where blank or bad).
    """
    if not ctx.has(name):
        return np.full(ctx.n, np.nan)
    values, bad = _parse_numbers(ctx.number_text(name), allow_percent=share)
    example = "0.8 or 80%" if share else "1234.5"
    ctx.flag(
        bad,
        name,
        lambda cell: f"{what} {cell!r} is not a number (write e.g. {example}, without units or words)",
    )
    # "1e309" parses as infinity: no finite quantity, not a value the plan can use.
    huge = np.isinf(values)
    ctx.flag(
        huge, name, lambda cell: f"{what} {cell!r} is too large to be a real value (not a finite number)"
    )
    values[huge] = np.nan
    if required:
        ctx.flag((ctx.text(name) == "").to_numpy(), name, f"{what} is empty (write 0 if it is zero)")
    if minimum is not None:
        ctx.flag(values < minimum, name, lambda cell: f"{what} {cell!r} is negative")
    return values


def _check_emissions(ctx: _Context) -> dict[str, np.ndarray]:
    """SO2, NOx, PM, VOCs: numbers ≥ 0, known units; warn when all four are zero."""
    out = {}
    for p in POLLUTANTS:
        out[p] = _numbers(ctx, p, f"{p} emission", required=True)
        if p in ctx.units and parse_emission_unit(ctx.units[p]) is None:
            unit = ctx.units[p]
            if normalize_label(unit) in _MASS_TONNES:
                message = (
                    f"unit {unit!r} in the header is a mass without a period; write it per year or per "
                    f"day, e.g. {unit}/年 or {unit}/日 (t/a, kg/a, kg/d …)"
                )
            else:
                message = (
                    f"unit {unit!r} in the header is not a known emission "
                    "unit (use t/a, t/d, kg/a, kg/d, 吨/年, 吨/日, 千克/年 or 千克/日)"
                )
            _header_unit_problem(ctx, p, message)
    if all(ctx.has(p) for p in POLLUTANTS):
        zero = np.logical_and.reduce([out[p] == 0 for p in POLLUTANTS])
        ctx.flag(
            zero,
            POLLUTANTS[0],
            "all four emissions (SO2, NOx, PM, VOCs) are zero; the enterprise "
            "contributes nothing to reductions",
            "warning",
        )
    if ctx.has("emission_unit"):
        units = ctx.text("emission_unit")
        bad = _unknown_units(units, parse_emission_unit)
        ctx.flag(
            bad,
            "emission_unit",
            lambda cell: (
                f"unknown emission unit {cell!r} (use t/a, t/d, kg/a, kg/d, 吨/年, 吨/日, 千克/年 or 千克/日)"
            ),
        )
        _check_unit_conflicts(ctx, "emission_unit", POLLUTANTS, parse_emission_unit, bad)
    return out


def _check_unit_conflicts(ctx: _Context, unit_field: str, value_fields, parser, bad: np.ndarray) -> None:
    """Report unit cells that contradict a unit written in the header of a value column."""
    units = ctx.text(unit_field)
    reported = bad.copy()
    for name in value_fields:
        header_unit = ctx.units.get(name)
        if header_unit is None or parser(header_unit) is None:
            continue
        expected = parser(header_unit)
        lookup = {
            u: u != "" and parser(u) is not None and parser(u) != expected
            for u in pd.unique(units.to_numpy())
        }
        conflict = units.map(lookup).to_numpy(dtype=bool) & ~reported
        column = ctx.header(name)
        ctx.flag(
            conflict,
            unit_field,
            lambda cell, h=header_unit, c=column: (
                f"unit {cell!r} contradicts the unit {h!r} in the header of column {c!r}"
            ),
        )
        reported |= conflict


def _unknown_units(units: pd.Series, parser) -> np.ndarray:
    """Mask of non-blank unit cells that ``parser`` does not understand."""
    lookup = {u: (u == "" or parser(u) is not None) for u in pd.unique(units)}
    return ~_map_distinct(units, lookup).to_numpy(dtype=bool)


def _check_output_value(ctx: _Context) -> np.ndarray:
    """Output value: a number ≥ 0 with a known unit; warn when it is zero."""
    values = _numbers(ctx, "output_value", "output value", required=True)
    ctx.flag(
        values == 0,
        "output_value",
        "output value is 0; cutting this enterprise would look free to the optimiser",
        "warning",
    )
    unit = ctx.units.get("output_value")
    if unit is not None and parse_money_unit(unit) is None:
        _header_unit_problem(
            ctx,
            "output_value",
            f"unit {unit!r} in the header is not a known output "
            "value unit (use 万元/年, 万元/日, 元/年, 亿元/年 …)",
        )
    if ctx.has("output_value_unit"):
        bad = _unknown_units(ctx.text("output_value_unit"), parse_money_unit)
        ctx.flag(
            bad,
            "output_value_unit",
            lambda cell: f"unknown output value unit {cell!r} (use 万元/年, 万元/日, 元/年, 亿元/年 …)",
        )
        _check_unit_conflicts(ctx, "output_value_unit", ("output_value",), parse_money_unit, bad)
    return values


def _check_shares(ctx: _Context) -> dict[str, np.ndarray]:
    """load_cap and technical_max_cut in [0, 1]; 保障类 firms need load_cap."""
    out = {}
    for name in SHARE_FIELDS:
        what = name.replace("_", " ")
        values = _numbers(ctx, name, what, share=True, minimum=None)
        unit = ctx.units.get(name)
        if unit is not None:
            if normalize_label(unit) == "%":
                plain = ~ctx.number_text(name).str.endswith("%").to_numpy()
                values = np.where(plain, values / 100.0, values)
            else:
                _header_unit_problem(
                    ctx,
                    name,
                    f"unit {unit!r} in the header is not understood for a "
                    "share (write values as 0-1, or put % in the header)",
                )
        ctx.flag(
            (values < 0) | (values > 1),
            name,
            lambda cell, w=what: f"{w} {cell!r} is outside 0-1 (write e.g. 0.8 or 80%)",
        )
        out[name] = values
    _check_plant_cut_order(ctx, out)
    ctrl = ctx.values.get("control_type")
    if ctrl is not None:
        guarantee = ctrl.eq("guarantee").to_numpy(dtype=bool, na_value=False)
        cap = out["load_cap"]
        if ctx.has("load_cap"):
            ctx.flag(
                guarantee & np.isnan(cap) & (ctx.text("load_cap") == "").to_numpy(),
                "load_cap",
                "a 保障类 (guarantee) enterprise needs a load cap (share of normal output it runs at, 0-1)",
            )
            ctx.flag(
                ~guarantee & ~np.isnan(cap),
                "load_cap",
                "load cap is only used for 保障类 (guarantee) enterprises; it is ignored here",
                "warning",
            )
        else:
            ctx.flag(
                guarantee,
                "control_type",
                "a 保障类 (guarantee) enterprise needs a load cap, but the "
                "file has no load_cap (保障负荷) column",
            )
    return out


def _check_plant_cut_order(ctx: _Context, shares: dict[str, np.ndarray]) -> None:
    """Plant-by-plant cuts (plant_cut_yellow/orange/red) may not weaken at a higher alert level."""
    pairs = (("plant_cut_yellow", "plant_cut_orange"), ("plant_cut_orange", "plant_cut_red"))
    for lower, higher in pairs:
        if not (ctx.has(lower) and ctx.has(higher)):
            continue
        with np.errstate(invalid="ignore"):
            weaker = shares[higher] < shares[lower] - 1e-9
        ctx.flag(
            weaker,
            higher,
            lambda cell, lo=lower: (
                f"{cell!r} is below the share in column {ctx.header(lo)!r}; a higher alert level "
                "may not cut less"
            ),
        )


def _check_lines(ctx: _Context) -> np.ndarray:
    """line_count: a whole number ≥ 1."""
    if not ctx.has("line_count"):
        return np.full(ctx.n, np.nan)
    s = ctx.number_text("line_count")
    ok = s.str.fullmatch(_WHOLE_RE).to_numpy(dtype=bool, na_value=False)
    values = _whole_numbers(s, ok)
    bad = (s != "").to_numpy() & (~ok | (values < 1))
    ctx.flag(bad, "line_count", lambda cell: f"line count {cell!r} must be a whole number of at least 1")
    huge = ok & (values > MAX_LINE_COUNT)
    ctx.flag(
        huge,
        "line_count",
        lambda cell: (
            f"line count {cell!r} is implausibly large (at most {MAX_LINE_COUNT:,} lines per enterprise)"
        ),
    )
    bad |= huge
    values[bad] = np.nan
    return values


def _check_capacity(ctx: _Context) -> dict[str, np.ndarray]:
    """Capacity fields: numbers ≥ 0, one unit, permit ≤ EIA, last-year output ≤ capacity + 10 %."""
    caps = {name: _numbers(ctx, name, name.replace("_", " ")) for name in CAPACITY_FIELDS}
    units = {ctx.units[n] for n in CAPACITY_FIELDS if n in ctx.units}
    if len(units) > 1:
        ctx.file_problem(
            f"the capacity columns use different units ({', '.join(sorted(units))}); "
            "use one unit for EIA capacity, permitted capacity and last year's output",
            column=ctx.header("capacity_eia"),
            row=ctx.header_row,
        )
    eia, permit, last = caps["capacity_eia"], caps["capacity_permit"], caps["output_last_year"]
    with np.errstate(invalid="ignore"):
        ctx.flag(
            permit > eia,
            "capacity_permit",
            lambda cell: (
                f"permitted capacity {cell!r} is larger than the EIA-approved capacity; "
                "a permit cannot exceed the EIA approval"
            ),
        )
        bound = np.fmin(eia, permit)
        ctx.flag(
            last > bound * (1 + OUTPUT_OVER_CAPACITY_TOLERANCE),
            "output_last_year",
            lambda cell: (
                f"last year's output {cell!r} is more than "
                f"{OUTPUT_OVER_CAPACITY_TOLERANCE:.0%} above the permitted/EIA capacity"
            ),
            "warning",
        )
    return caps


def _check_misc_numbers(ctx: _Context) -> dict[str, np.ndarray]:
    """Electricity, operating days, CEMS count, sub-metering and coordinate header units."""
    out = {"electricity": _numbers(ctx, "electricity", "electricity use")}
    unit = ctx.units.get("electricity")
    if unit is not None and _electricity_factor(unit) is None:
        _header_unit_problem(
            ctx,
            "electricity",
            f"unit {unit!r} in the header is not a known electricity unit (use 万kWh, 万千瓦时, kWh …)",
        )
    days = _numbers(ctx, "operating_days", "operating days", minimum=None)
    unit = ctx.units.get("operating_days")
    if unit is not None and normalize_label(unit) not in _DAYS_UNITS:
        _header_unit_problem(
            ctx,
            "operating_days",
            f"unit {unit!r} in the header is not understood for operating days (use 天 or d/a)",
        )
    ctx.flag(
        (days <= 0) | (days > 366),
        "operating_days",
        lambda cell: f"operating days {cell!r} must be more than 0 and at most 366",
    )
    out["operating_days"] = days
    if ctx.has("cems_count"):
        s = ctx.number_text("cems_count")
        ok = s.str.fullmatch(_WHOLE_RE).to_numpy(dtype=bool, na_value=False)
        ctx.flag(
            (s != "").to_numpy() & ~ok,
            "cems_count",
            lambda cell: f"CEMS count {cell!r} must be a whole number (0 or more)",
        )
        out["cems_count"] = _whole_numbers(s, ok)
    if ctx.has("power_submetering"):
        s = ctx.text("power_submetering")
        known = _BOOL_TRUE | _BOOL_FALSE
        lookup = {v: v != "" and normalize_label(v) not in known for v in pd.unique(s)}
        bad = _map_distinct(s, lookup).to_numpy(dtype=bool)
        ctx.flag(bad, "power_submetering", lambda cell: f"sub-metering {cell!r} must be yes/no (是/否)")
    for name in ("lat", "lon"):
        unit = ctx.units.get(name)
        if unit is not None and normalize_label(unit) not in _DEGREE_UNITS:
            _header_unit_problem(
                ctx,
                name,
                f"unit {unit!r} in the header is not understood for coordinates (use decimal degrees)",
            )
    return out


def _check_location(ctx: _Context) -> dict[str, np.ndarray]:
    """Coordinates: warn when missing, error when outside China or swapped."""
    if not ctx.has("lat") and not ctx.has("lon"):
        ctx.file_problem(
            "the file has no latitude/longitude (纬度/经度) columns; enterprises cannot be shown on the map",
            severity="warning",
            row=ctx.header_row,
        )
        return {"lat": np.full(ctx.n, np.nan), "lon": np.full(ctx.n, np.nan)}
    lat = _numbers(ctx, "lat", "latitude", minimum=None)
    lon = _numbers(ctx, "lon", "longitude", minimum=None)
    lat_bad_text = (ctx.text("lat") != "").to_numpy() & np.isnan(lat)
    lon_bad_text = (ctx.text("lon") != "").to_numpy() & np.isnan(lon)
    missing = (np.isnan(lat) & ~lat_bad_text) | (np.isnan(lon) & ~lon_bad_text)
    where = "lat" if ctx.has("lat") else ("lon" if ctx.has("lon") else "lat")
    ctx.flag(
        missing,
        where,
        "no coordinates (latitude/longitude); the enterprise cannot be shown on the map",
        "warning",
    )
    both = ~np.isnan(lat) & ~np.isnan(lon)
    with np.errstate(invalid="ignore"):
        lat_out = both & ((lat < CHINA_LAT[0]) | (lat > CHINA_LAT[1]))
        lon_out = both & ((lon < CHINA_LON[0]) | (lon > CHINA_LON[1]))
        swapped = (
            (lat_out | lon_out)
            & (lon >= CHINA_LAT[0])
            & (lon <= CHINA_LAT[1])
            & (lat >= CHINA_LON[0])
            & (lat <= CHINA_LON[1])
        )
    ctx.flag(
        swapped,
        "lat",
        "latitude and longitude look swapped (latitude must be 3.5-53.6, longitude 73.4-135.1 for China)",
    )
    ctx.flag(
        lat_out & ~swapped,
        "lat",
        lambda cell: f"latitude {cell!r} is outside China ({CHINA_LAT[0]}-{CHINA_LAT[1]} N)",
    )
    ctx.flag(
        lon_out & ~swapped,
        "lon",
        lambda cell: f"longitude {cell!r} is outside China ({CHINA_LON[0]}-{CHINA_LON[1]} E)",
    )
    return {"lat": lat, "lon": lon}


# ----------------------------------------------------------------------------------------------
# canonical table


def _unit_factors(
    ctx: _Context, unit_field: str, value_field: str, parser, default: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (factor, per_day) for a value field: row unit column, else header unit, else default."""
    header_unit = ctx.units.get(value_field, default)
    inverse, uniques = _distinct_texts(ctx.text(unit_field))  # each distinct unit parsed once
    parsed = [parser(u if u != "" else header_unit) for u in uniques]
    factor = np.array([t[0] for t in parsed], dtype=float)[inverse]
    daily = np.array([t[1] for t in parsed], dtype=bool)[inverse]
    return factor, daily


def _distinct_texts(s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(codes, distinct texts) of a text column; a missing value is the text ``"nan"`` (``str``'s)."""
    inverse, uniques = pd.factorize(s, use_na_sentinel=False)
    return inverse, [str(u) for u in uniques.tolist()]


def _map_distinct(s: pd.Series, mapping: dict) -> pd.Series:
    """``s.map(mapping)`` (same values and dtype), looked up once per distinct value."""
    inverse, uniques = pd.factorize(s, use_na_sentinel=False)
    out = pd.Series(uniques, dtype=s.dtype).map(mapping).take(inverse)
    out.index, out.name = s.index, s.name
    return out


def _parse_bools(s: pd.Series) -> pd.arrays.BooleanArray:
    """Yes/no text (是/否, yes/no, 1/0 …) to a nullable boolean array."""
    inverse, uniques = _distinct_texts(s)
    norm = [normalize_label(u) for u in uniques]
    value = np.array([v in _BOOL_TRUE for v in norm], dtype=bool)[inverse]
    known = np.array([v in _BOOL_TRUE or v in _BOOL_FALSE for v in norm], dtype=bool)[inverse]
    return pd.arrays.BooleanArray(value, ~known)


def _text_column(ctx: _Context, name: str) -> pd.Series:
    """A text field as strings with missing values for blank cells."""
    s = ctx.text(name)
    return s.where(s != "", None).astype("str")


def _canonical(ctx: _Context, nums: dict[str, np.ndarray]) -> pd.DataFrame:
    """Build the canonical table (docs/ARCHITECTURE.md) from a run without errors."""
    schema = _schema()
    g = grades()
    days = np.where(np.isnan(nums["operating_days"]), DEFAULT_OPERATING_DAYS, nums["operating_days"])
    cols: dict[str, object] = {}
    for name, row in schema.iterrows():
        dtype = row["dtype"]
        if name in nums:
            cols[name] = nums[name]
        elif name == "industry":
            cols[name] = pd.Categorical(ctx.values[name], categories=list(industries().index))
        elif name == "grade":
            cols[name] = pd.Categorical(ctx.values[name], categories=list(g.index))
        elif name == "control_type":
            cols[name] = pd.Categorical(ctx.values[name], categories=list(control_types()))
        elif dtype == "bool":
            cols[name] = _parse_bools(ctx.text(name))
        else:
            cols[name] = _text_column(ctx, name)
    for p in POLLUTANTS:
        factor, daily = _unit_factors(ctx, "emission_unit", p, parse_emission_unit, "t/a")
        tonnes = nums[p] * factor
        cols[p] = np.where(daily, tonnes, tonnes / days)
    factor, daily = _unit_factors(ctx, "output_value_unit", "output_value", parse_money_unit, "万元/年")
    value = nums["output_value"] * factor
    cols["output_value"] = np.where(daily, value * days, value)
    cols["output_value_daily"] = np.where(daily, value, value / days)
    cols["emission_unit"] = pd.array(["t/d"] * ctx.n, dtype="str")
    cols["output_value_unit"] = pd.array(["万元/年"] * ctx.n, dtype="str")
    cols["operating_days"] = days
    cols["technical_max_cut"] = np.where(np.isnan(nums["technical_max_cut"]), 1.0, nums["technical_max_cut"])
    cols["line_count"] = nums["line_count"].astype(np.int64)
    if "cems_count" in nums:
        cols["cems_count"] = pd.array(
            np.where(np.isnan(nums["cems_count"]), None, nums["cems_count"]), dtype="Int64"
        )
    else:
        cols["cems_count"] = pd.array([None] * ctx.n, dtype="Int64")
    elec_unit = ctx.units.get("electricity")
    if elec_unit is not None:
        cols["electricity"] = nums["electricity"] * _electricity_factor(elec_unit)
    if not ctx.has("capacity_unit") and any(n in ctx.units for n in CAPACITY_FIELDS):
        unit = next(ctx.units[n] for n in CAPACITY_FIELDS if n in ctx.units)
        cols["capacity_unit"] = pd.array([unit] * ctx.n, dtype="str")
    caps = np.column_stack([nums[n] for n in CAPACITY_FIELDS])
    with np.errstate(invalid="ignore", divide="ignore"):
        cut_base = np.where(
            np.isnan(caps).all(axis=1), np.nan, np.nanmin(np.where(np.isnan(caps), np.inf, caps), axis=1)
        )
        share = cut_base / nums["output_last_year"]
    cols["cut_base"] = cut_base
    cols["base_share"] = np.where(np.isfinite(share), np.minimum(share, 1.0), 1.0)
    grade_codes = ctx.values["grade"]
    cols["self_directed"] = _map_distinct(grade_codes, g["self_directed"].to_dict()).to_numpy(dtype=bool)
    cols["grade_rank"] = _map_distinct(grade_codes, g["rank"].to_dict()).to_numpy(dtype=np.int64)
    cols["row"] = ctx.rows
    ids = ctx.text("enterprise_id") if ctx.has("enterprise_id") else ctx.text("credit_code")
    cols.pop("enterprise_id", None)
    cols = {k: (v.array if isinstance(v, pd.Series) else v) for k, v in cols.items()}
    table = pd.DataFrame(cols, index=pd.Index(ids.to_numpy(), name="enterprise_id", dtype="str"))
    return table


# ----------------------------------------------------------------------------------------------
# entry points


def _drop_non_enterprise_rows(raw: RawTable) -> tuple[RawTable, Problems]:
    """Take totals rows and note rows out of the table, with a warning for each.

    Totals rows (合计/总计/小计) and note rows (a single cell starting 注/说明/填表人 …) are so neither read nor reported
    as broken enterprises.
    """
    frame = raw.frame
    skipped = Problems()
    if frame.empty:
        return raw, skipped
    total = np.zeros(len(frame), dtype=bool)
    note = np.zeros(len(frame), dtype=bool)
    for col in list(frame.columns)[:4]:
        cells = frame[col]
        hint = cells.str.contains(_SKIP_HINT, regex=True).to_numpy(dtype=bool, na_value=False)
        for i in np.flatnonzero(hint):
            word = re.sub(r"\s+", "", cells.iloc[i]).casefold()
            if word in _TOTAL_WORDS:
                total[i] = True
            elif word.startswith(_NOTE_PREFIXES):
                note[i] = True
    note &= ~total
    for i in np.flatnonzero(note):
        note[i] = sum(1 for c in frame.iloc[i] if c.strip()) == 1
    for i in np.flatnonzero(total | note):
        what = (
            "this row looks like a totals row (合计); it is not read as an enterprise"
            if total[i]
            else "this row holds a note, not an enterprise; it is not read"
        )
        file = raw.path if raw.row_files is None else raw.row_files[i]
        skipped.warning(file, int(frame.index[i]), None, what)
    if skipped.items:
        keep = ~(total | note)
        files = None if raw.row_files is None else raw.row_files[keep]
        raw = dataclasses.replace(raw, frame=frame[keep], row_files=files)
    return raw, skipped


def _validate(path: str | Path, build: bool = True) -> tuple[Problems, pd.DataFrame | None]:
    """Read and check a file; return the problems and, when ``build`` and no errors, the table."""
    try:
        raw = read_table(path, scorer=header_score)
    except InputError as exc:
        return exc.problems, None
    return validate_raw(raw, build)


def validate_raw(raw: RawTable, build: bool = True) -> tuple[Problems, pd.DataFrame | None]:
    """Check an inventory already read as a :class:`~planner.io.tables.RawTable`.

    For example the enterprise columns of a one-row-per-line list (:mod:`planner.inventory.lines`).  Returns
    the problems and, when ``build`` and no errors, the canonical table.
    """
    raw, skipped = _drop_non_enterprise_rows(raw)
    ctx = _Context(raw)
    sheet_files = list(dict.fromkeys(raw.row_files)) if raw.row_files is not None else []
    for p in [*raw.problems, *skipped]:
        no = sheet_files.index(p.file) if p.file in sheet_files else 0
        ctx._add(p.row, p.column, p.message, p.severity, 10**6, p.file, no)
    _map_columns(ctx)
    if ctx.n == 0:
        ctx.file_problem("the file has a header but no enterprise rows below it", row=ctx.header_row)
        return ctx.sorted_problems(), None
    nums: dict[str, np.ndarray] = {}
    _check_required_blank(ctx)
    _check_ids(ctx)
    _check_categories(ctx)
    _check_grade_scheme(ctx)
    nums.update(_check_emissions(ctx))
    nums["output_value"] = _check_output_value(ctx)
    nums.update(_check_shares(ctx))
    nums["line_count"] = _check_lines(ctx)
    nums.update(_check_capacity(ctx))
    nums.update(_check_misc_numbers(ctx))
    nums.update(_check_location(ctx))
    problems = ctx.sorted_problems()
    if not problems.ok or not build:
        return problems, None
    return problems, _canonical(ctx, nums)


def validate_inventory(path: str | Path) -> Problems:
    """Check an inventory file and return every problem found (errors and warnings).

    Parameters
    ----------
    path : str or Path
        CSV (any of the supported encodings/delimiters) or XLSX.

    Returns
    -------
    Problems
        Empty of errors when the file can be used.
    """
    return _validate(path, build=False)[0]


def read_inventory(path: str | Path) -> Inventory:
    """Read, validate and normalise an inventory file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Inventory
        With the canonical table and the warnings.

    Raises
    ------
    InputError
        Carrying every problem (errors and warnings) when there is any error.
    """
    problems, table = _validate(path)
    if table is None:
        raise InputError(problems)
    return Inventory(table=table, source=str(path), problems=problems)
