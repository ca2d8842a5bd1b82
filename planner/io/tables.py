"""Read a CSV or XLSX table as raw strings, keeping the user's row numbers and header text.

:func:`read_table` is format-agnostic: it sniffs the file's bytes (not its extension) to tell an
XLSX workbook from a text file, a PDF or other binary; detects the text encoding (UTF-8, UTF-8
with BOM, UTF-16 with BOM, GBK/GB18030) and the delimiter (comma, tab, semicolon); finds the header
— possibly below a title row, possibly spread over two rows (a merged group label such as
"排放量（吨/年）" over "二氧化硫 | 氮氧化物 | …") — and returns every data cell as the string the user
wrote.  Nothing is converted; interpretation belongs to the caller (e.g. :mod:`planner.inventory.table`).

Files that cannot be read as a table raise :class:`~planner.problems.InputError` with one clear
problem; problems that concern single rows (a row with more cells than the header) are collected
in :attr:`RawTable.problems`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import datetime as _dt
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.problems import InputError, Problems

#: A candidate header: per column, the non-empty header texts from top to bottom.
HeaderParts = list[tuple[str, ...]]
#: Scores a candidate header (higher is better); used to find the header row(s) and sheet.
HeaderScorer = Callable[[HeaderParts], float]

DELIMITERS = (",", "\t", ";")
#: How many leading non-empty rows may hold titles and header rows.
HEADER_SEARCH_ROWS = 8
#: Files above this size are opened in openpyxl's read-only mode (no merged-cell info).
XLSX_FULL_LOAD_LIMIT = 20 * 1024 * 1024
#: Largest table file read (CSV or XLSX), in bytes.  A list of 300,000 enterprises with 40
#: columns is about 60 MB as CSV and 30 MB as XLSX.
MAX_FILE_BYTES = 256 * 1024 * 1024
#: Largest total unpacked size of an XLSX (a zip): guards against zip bombs.
MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
#: Cells below more than this many empty rows, or right of more than this many empty columns,
#: are not part of the table (a stray cell at XFD1048576 must not make a sheet of 17 billion
#: cells); they are reported with a warning.
MAX_EMPTY_ROW_GAP = 1000
MAX_EMPTY_COLUMN_GAP = 100
#: Largest table read: columns, and rows × columns of a worksheet's used range.
MAX_COLUMNS = 1000
MAX_CELLS = 30_000_000
#: How many undecodable bytes or control characters are named before the file is called binary.
_MAX_BAD_BYTES_NAMED = 10

_NUMBER = re.compile(r"^\s*[+-]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?\s*$")


@dataclass
class RawTable:
    """A table as the user wrote it.

    Attributes
    ----------
    path : str
        The file as given.
    frame : pandas.DataFrame
        Data cells as strings (``""`` for blank cells), one column per header column (columns are
        positions ``0 .. n-1``), indexed by the row number as the user sees it (1-based, header and
        title rows counted; for XLSX the Excel row number).  Fully blank rows are not included.
    headers : list of str
        Header text per column as written; parts of a two-row header are joined with ``/``
        (e.g. ``"排放量（吨/年）/二氧化硫"``).  ``""`` for a column without a header.
    header_parts : list of tuple of str
        Per column, the non-empty header texts from top to bottom.
    header_rows : list of int
        Row numbers of the header row(s), including a row that only numbers the columns
        ("1, 2, 3, …"), which some forms put under the header.
    sheet : str or None
        Worksheet name for XLSX.
    encoding, delimiter : str or None
        What was detected for a text file.
    problems : Problems
        Row-level problems found while reading (e.g. cells beyond the last header column).
    row_files : numpy.ndarray of str or None
        When a workbook's list continues over several sheets with the same header, the file
        label of each data row (``"list.xlsx [Sheet2]"``), positionally aligned with ``frame``
        (row numbers then repeat across sheets); None for a table from one sheet or file.
    """

    path: str
    frame: pd.DataFrame
    headers: list[str]
    header_parts: list[tuple[str, ...]]
    header_rows: list[int]
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    problems: Problems = field(default_factory=Problems)
    row_files: np.ndarray | None = None

    @property
    def rows(self) -> list[int]:
        """Row number, as the user sees it, of each data row."""
        return [int(r) for r in self.frame.index]


# ----------------------------------------------------------------------------------------------
# format sniffing


def _sniff_format(data: bytes) -> str:
    """Return ``"xlsx"``, ``"text"`` or a short description of a non-table format."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"%PDF"):
        return "a PDF document"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "an old binary Excel (.xls) or Word file"
    for magic, what in (
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"Rar!", "a RAR archive"),
        (b"7z\xbc\xaf", "a 7z archive"),
    ):
        if data.startswith(magic):
            return what
    return "text"


# ----------------------------------------------------------------------------------------------
# text decoding


def decode_bytes(data: bytes) -> tuple[str, str] | None:
    """Decode a text file's bytes, detecting the encoding from the bytes alone.

    Order: byte-order mark (UTF-8, UTF-16); strict UTF-8; strict GB18030 (a superset of GBK and
    GB2312); charset-normalizer's best guess as a last resort.

    Parameters
    ----------
    data : bytes

    Returns
    -------
    (str, str) or None
        The text (without BOM) and the encoding name, or None if no encoding fits.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return None
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(enc), "utf-16"
            except UnicodeDecodeError:
                return None
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    return str(best), best.encoding


def _bad_sequences(data: bytes, encoding: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) byte ranges of the first ``limit + 1`` invalid stretches of ``data``.

    A stretch is not valid in ``encoding``; invalid sequences less than 4 bytes apart are one stretch.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    while len(spans) <= limit:
        try:
            data[pos:].decode(encoding)
            break
        except UnicodeDecodeError as exc:
            a, b = pos + exc.start, pos + max(exc.end, exc.start + 1)
            if spans and a - spans[-1][1] < 4:
                spans[-1] = (spans[-1][0], b)
            else:
                spans.append((a, b))
            pos = b
    return spans


def _line_of(data: bytes | str, offset: int) -> int:
    """1-based line number of a byte (or character) offset."""
    return data.count(b"\n" if isinstance(data, bytes) else "\n", 0, offset) + 1


def bad_byte_problems(path: str, data: bytes, utf8_only: bool = False) -> Problems | None:
    """Name the few bytes that keep an otherwise UTF-8 or GB18030 file from decoding.

    A file that is UTF-8 (or GBK/GB18030) but for a handful of bytes — a cell pasted from
    another program, a truncated character — gets an error per bad byte naming its line and
    byte offset, instead of the whole file being rejected as "not text" (or decoded as some
    legacy encoding and read garbled).  None when the file is not close to either encoding.
    With ``utf8_only`` (a format that must be UTF-8) every bad stretch up to the tenth is named
    whatever the rest of the file holds; None only when there are more.
    """
    best: tuple[str, list[tuple[int, int]]] | None = None
    candidates = (("utf-8", "UTF-8"),) if utf8_only else (("utf-8", "UTF-8"), ("gb18030", "GBK/GB18030"))
    for encoding, name in candidates:
        bad = _bad_sequences(data, encoding, _MAX_BAD_BYTES_NAMED)
        if len(bad) > _MAX_BAD_BYTES_NAMED:
            continue
        if utf8_only:
            best = (name, bad)
            break
        # The file must show it is in this encoding: more non-ASCII characters that decode than
        # bad stretches — ten times more for GB18030, whose byte pairs also occur by chance in
        # other encodings (a cp1252 "Café Müller" has no UTF-8 character, some GB18030 pairs).
        text = data.decode(encoding, errors="replace")
        valid_wide = len(text) - len(text.encode("ascii", errors="ignore")) - text.count("\ufffd")
        if valid_wide < len(bad) * (1 if encoding == "utf-8" else 10) or not valid_wide:
            continue
        if best is None or len(bad) < len(best[1]):
            best = (name, bad)
    if best is None:
        return None
    name, bad = best
    problems = Problems()
    for a, b in bad:
        line = _line_of(data, a)
        what = f"byte 0x{data[a]:02X}" if b - a == 1 else f"bytes {data[a:b].hex(' ').upper()}"
        problems.error(
            path,
            line,
            None,
            f"{what} at byte offset {a} (line {line}) {'is' if b - a == 1 else 'are'} not valid "
            f"{name}"
            + ("" if utf8_only else f"; the rest of the file is {name} text")
            + " — correct this cell or save the file again as UTF-8",
        )
    return problems


def _control_character_problems(path: str, text: str) -> Problems | None:
    """Name the lines of a few NUL/control characters in otherwise textual data.

    None when there are none, or so many that the data is binary.
    """
    positions = [i for i, ch in enumerate(text) if ord(ch) < 32 and ch not in "\t\r\n\x0c" and ch != "\x1a"][
        : _MAX_BAD_BYTES_NAMED + 1
    ]
    if not positions or len(positions) > _MAX_BAD_BYTES_NAMED:
        return None
    problems = Problems()
    for i in positions:
        what = "a NUL character" if text[i] == "\x00" else f"the control character U+{ord(text[i]):04X}"
        problems.error(
            path,
            _line_of(text, i),
            None,
            f"line {_line_of(text, i)} contains {what} (character {i + 1} of the file); "
            "a table holds only printable text — remove it",
        )
    return problems


def _looks_binary(text: str) -> bool:
    """True when decoded text is full of control characters (binary data that happened to decode)."""
    sample = text[:20000]
    if not sample:
        return False
    if "\x00" in sample:
        return True
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\x0c")
    return control > max(2, len(sample) // 200)


# ----------------------------------------------------------------------------------------------
# delimiter detection and CSV parsing


def _split_sample(lines: Sequence[str], delimiter: str) -> list[int]:
    """Cell counts (trailing blanks trimmed) of the non-blank sample lines split by ``delimiter``."""
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    try:
        return [len(_trim(row)) for row in reader if any(c.strip() for c in row)]
    except csv.Error:
        return []


def detect_delimiter(text: str) -> str | None:
    """Pick the delimiter (comma, tab or semicolon) that splits the first lines most consistently.

    Parameters
    ----------
    text : str

    Returns
    -------
    str or None
        The delimiter, or None when no candidate splits lines into more than one cell.
    """
    lines = _first_lines(text, 50)
    best, best_score = None, (0, 0)
    for delim in DELIMITERS:
        counts = [c for c in _split_sample(lines, delim) if c > 1]
        if not counts:
            continue
        width = max(set(counts), key=counts.count)
        score = (counts.count(width), width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _first_lines(text: str, n: int) -> list[str]:
    """``[ln for ln in text.splitlines() if ln.strip()][:n]``, reading only as much of ``text`` as needed."""
    size = 1 << 16
    while size < len(text):
        lines = text[:size].splitlines()[:-1]  # the last may be cut: not counted
        kept = [ln for ln in lines if ln.strip()]
        if len(kept) >= n:
            return kept[:n]
        size *= 4
    return [ln for ln in text.splitlines() if ln.strip()][:n]


def _trim(row: Sequence[str]) -> list[str]:
    """Drop trailing blank cells."""
    row = list(row)
    while row and not str(row[-1]).strip():
        row.pop()
    return row


def _parse_csv(text: str, delimiter: str) -> list[list[str]]:
    """Parse CSV text into rows; row ``i`` of the result is the user's row ``i + 1``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [list(r) for r in reader]


# ----------------------------------------------------------------------------------------------
# XLSX


def _cell_text(value) -> str:
    """Render an openpyxl cell value as the text the user sees (without changing numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, _dt.datetime):
        return value.isoformat(sep=" ") if value.time() != _dt.time(0) else value.date().isoformat()
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


@dataclass
class _Sheet:
    """One worksheet as text.

    ``rows[i]`` is Excel row ``i + 1`` (bounded to the used range), ``notes`` the problems found while reading
    it (stray cells, formulas without results).
    """

    name: str
    rows: list[list[str]]
    notes: Problems = field(default_factory=Problems)


def _blocks(positions: np.ndarray, counts: np.ndarray, gap: int) -> tuple[int, int]:
    """First and last position of the block holding the most cells.

    Blocks are runs separated by more than ``gap`` empty positions; ties go to the first block.
    """
    cuts = np.flatnonzero(np.diff(positions) > gap + 1)
    starts = np.concatenate([[0], cuts + 1])
    ends = np.concatenate([cuts, [len(positions) - 1]])
    sums = np.add.reduceat(counts, starts)
    k = int(np.argmax(sums))
    return int(positions[starts[k]]), int(positions[ends[k]])


def _bounded_rows(
    path: str, sheet: str, cells: dict[tuple[int, int], str], notes: Problems
) -> list[list[str]]:
    """Lay out non-empty cells ``{(row, col): text}`` (1-based) as rows of text.

    Only the block of rows and columns that holds the table is kept; cells far outside it are reported.
    """
    if not cells:
        return []
    keys = np.array(list(cells), dtype=np.int64)
    r_pos, r_cnt = np.unique(keys[:, 0], return_counts=True)
    r0, r1 = _blocks(r_pos, r_cnt, MAX_EMPTY_ROW_GAP)
    in_rows = (keys[:, 0] >= r0) & (keys[:, 0] <= r1)
    c_pos, c_cnt = np.unique(keys[in_rows, 1], return_counts=True)
    c0, c1 = _blocks(c_pos, c_cnt, MAX_EMPTY_COLUMN_GAP)
    inside = in_rows & (keys[:, 1] >= c0) & (keys[:, 1] <= c1)
    if not inside.all():
        outside = sorted(map(tuple, keys[~inside].tolist()))
        shown = ", ".join(f"{_column_name(c - 1)}{r} ({cells[(r, c)][:20]!r})" for r, c in outside[:5])
        more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
        r, c = outside[0]
        notes.warning(
            path,
            r,
            _column_name(c - 1),
            f"sheet {sheet!r}: {len(outside)} cell(s) lie far outside the table (more than "
            f"{MAX_EMPTY_ROW_GAP:,} empty rows below it or {MAX_EMPTY_COLUMN_GAP} empty columns "
            f"beside it) and are not read: {shown}{more}; delete them if they are stray",
        )
    if c1 > MAX_COLUMNS:
        raise InputError.single(
            path,
            f"sheet {sheet!r} has {c1:,} columns; the planner reads tables of at most {MAX_COLUMNS:,} columns",
        )
    if r1 * c1 > MAX_CELLS:
        raise InputError.single(
            path,
            f"sheet {sheet!r} spans {r1:,} rows × {c1:,} columns; the planner reads at most "
            f"{MAX_CELLS:,} cells per sheet (split the list)",
        )
    rows: list[list[str]] = [[] for _ in range(r1)]
    for (r, c), text in cells.items():
        if r0 <= r <= r1 and c0 <= c <= c1:
            row = rows[r - 1]
            if len(row) < c:
                row.extend([""] * (c - len(row)))
            row[c - 1] = text
    return rows


def _fill_merged(rows: list[list[str]], ranges) -> None:
    """Fill every cell of a merged range with its top-left value, as the user sees it.

    A group label spans the columns it was merged across, a county merged over several enterprise rows belongs
    to each of them.  Ranges are clipped to the rows and columns of the table.
    """
    width = max((len(r) for r in rows), default=0)
    for rng in ranges:
        if rng.min_row > len(rows) or rng.min_col > width:
            continue
        top_row = rows[rng.min_row - 1]
        top = top_row[rng.min_col - 1] if rng.min_col <= len(top_row) else ""
        last_col = min(rng.max_col, width)
        for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
            row = rows[r - 1]
            if len(row) < last_col:
                row.extend([""] * (last_col - len(row)))
            for c in range(rng.min_col, last_col + 1):
                row[c - 1] = top


def _sheet_cells_full(ws) -> dict[tuple[int, int], str]:
    """Non-empty cells of a fully loaded worksheet.

    Only the cells the file holds: iterating ``ws.iter_rows`` would walk the whole declared range, all of it
    for one cell at XFD1048576.
    """
    out: dict[tuple[int, int], str] = {}
    for key, cell in ws._cells.items():  # openpyxl's sparse cell store
        text = _cell_text(cell.value)
        if text != "":
            out[key] = text
    return out


def _sheet_cells_streamed(ws) -> dict[tuple[int, int], str]:
    """Non-empty cells of a read-only worksheet, ignoring its declared dimensions."""
    ws.reset_dimensions()  # a declared range A1:XFD1048576 would pad every row to 16,384 cells
    out: dict[tuple[int, int], str] = {}
    for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                text = _cell_text(value)
                if text != "":
                    out[(r, c)] = text
    return out


def _check_zip(path: str, data: bytes) -> None:
    """Refuse a workbook whose parts unpack to more than :data:`MAX_UNPACKED_BYTES`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise InputError.single(
            path, f"the file cannot be opened as an Excel workbook (.xlsx): {exc}"
        ) from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        raise InputError.single(
            path,
            f"the workbook unpacks to {total / 2**30:,.1f} GiB; the planner reads workbooks of at most "
            f"{MAX_UNPACKED_BYTES / 2**30:,.0f} GiB unpacked (remove unused sheets or save as CSV)",
        )


#: A formula element directly followed by the end of its cell or an empty value: a formula
#: without a saved result (Excel and WPS always write ``<f>…</f><v>…</v>``).
_FORMULA_WITHOUT_VALUE = re.compile(
    rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*(?:</(?:\w+:)?c>|<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)"
)


def _has_formulas_without_results(data: bytes) -> bool:
    """True when some worksheet part of the workbook holds a formula without a saved value.

    A cheap scan of the XML; :func:`_formula_notes` then names the cells.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                with zf.open(info) as part:
                    tail = b""
                    while chunk := part.read(1 << 20):
                        if _FORMULA_WITHOUT_VALUE.search(tail + chunk):
                            return True
                        tail = chunk[-256:]
    return False


def _formula_notes(path: str, data: bytes, sheets: list[_Sheet]) -> None:
    """Warn about formula cells that have no saved result (they read as blank).

    A workbook written by a program that does not calculate (a script, some exporters) stores
    ``=SUM(…)`` without its value; such a cell would silently become blank.
    """
    import openpyxl

    if not _has_formulas_without_results(data):
        return
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        by_name = {sh.name: sh for sh in sheets}
        for ws in wb.worksheets:
            sheet = by_name.get(ws.title)
            if sheet is None or not hasattr(ws, "iter_rows"):
                continue
            ws.reset_dimensions()
            missing: list[tuple[int, int, str]] = []
            for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if r > len(sheet.rows):
                    break
                for c, value in enumerate(values, start=1):
                    if isinstance(value, str) and value.startswith("="):
                        row = sheet.rows[r - 1]
                        if c > len(row) or row[c - 1] == "":
                            missing.append((r, c, value))
            if missing:
                shown = ", ".join(f"{_column_name(c - 1)}{r} ({f[:30]})" for r, c, f in missing[:5])
                more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                r, c, _ = missing[0]
                sheet.notes.warning(
                    path,
                    r,
                    _column_name(c - 1),
                    f"sheet {ws.title!r}: {len(missing)} formula cell(s) have no saved result and "
                    f"read as blank: {shown}{more}; open the file in Excel or WPS and save it "
                    "again (which calculates them), or type the values",
                )
    finally:
        wb.close()


def _read_xlsx(path: str, data: bytes) -> list[_Sheet]:
    """Every worksheet of a workbook as text, bounded to its table."""
    import openpyxl

    _check_zip(path, data)
    read_only = len(data) > XLSX_FULL_LOAD_LIMIT
    try:
        # A file object, so that openpyxl does not judge the format by the extension.
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError.single(
            path, f"the file cannot be opened as an Excel workbook (.xlsx): {exc}"
        ) from None
    except Exception as exc:  # openpyxl raises assorted errors on damaged workbooks
        raise InputError.single(
            path, f"the file cannot be opened as an Excel workbook (.xlsx): {type(exc).__name__}: {exc}"
        ) from None
    sheets: list[_Sheet] = []
    try:
        for ws in wb.worksheets:
            if not hasattr(ws, "iter_rows"):  # chart sheets
                continue
            notes = Problems()
            cells = _sheet_cells_streamed(ws) if read_only else _sheet_cells_full(ws)
            rows = _bounded_rows(path, ws.title, cells, notes)
            if not read_only:
                _fill_merged(rows, ws.merged_cells.ranges)
            sheets.append(_Sheet(ws.title, rows, notes))
    finally:
        wb.close()
    with contextlib.suppress(Exception):  # the check is advisory; the values were read already
        _formula_notes(path, data, sheets)
    return sheets


# ----------------------------------------------------------------------------------------------
# header detection


def _default_score(parts: HeaderParts) -> float:
    """Header score without a schema.

    1 for a row with at least two non-empty, non-numeric cells (so the first such row is the header, skipping
    a one-cell title row), else 0.
    """
    text_cells = sum(1 for p in parts if p and not any(_NUMBER.match(x) for x in p))
    return 1.0 if text_cells >= 2 else 0.0


def _combine_header(rows: Sequence[Sequence[str]]) -> HeaderParts:
    """Combine one or two header rows into per-column parts.

    In a two-row header a group label in the top row spans the empty top cells to its right for as
    long as the bottom row continues the group (CSV has no merge information).
    """
    width = max(len(r) for r in rows)
    grid = [[(r[i].strip() if i < len(r) else "") for i in range(width)] for r in rows]
    if len(grid) == 2:
        top, bottom = grid
        for i in range(1, width):
            if not top[i] and bottom[i] and bottom[i - 1] and top[i - 1]:
                top[i] = top[i - 1]
    parts: HeaderParts = []
    for i in range(width):
        col: list[str] = []
        for g in grid:
            if g[i] and g[i] not in col:
                col.append(g[i])
        parts.append(tuple(col))
    return parts


def _header_candidates(rows: Sequence[Sequence[str]], two_rows: bool):
    """Yield (header row indices, parts) for the first non-empty rows."""
    nonempty: list[int] = []
    for i, r in enumerate(rows):
        if len(nonempty) >= HEADER_SEARCH_ROWS:
            break
        if "".join(r).strip():
            nonempty.append(i)
    for i in nonempty:
        yield [i], _combine_header([rows[i]])
        if two_rows and i + 1 < len(rows) and _may_be_subheader(rows[i + 1]):
            yield [i, i + 1], _combine_header([rows[i], rows[i + 1]])


def _may_be_subheader(row: Sequence[str]) -> bool:
    """A second header row has some text and no numbers (data rows always carry numbers)."""
    cells = [c.strip() for c in row if c.strip()]
    return bool(cells) and not any(_NUMBER.match(c) for c in cells)


def find_header(
    rows: Sequence[Sequence[str]], scorer: HeaderScorer | None = None
) -> tuple[float, list[int], HeaderParts]:
    """Choose the header row(s) of a table.

    Every non-empty row among the first :data:`HEADER_SEARCH_ROWS` is tried as a one-row header
    and, with a scorer, together with the next row as a two-row header.  The best score wins; ties
    go to the earlier row and to the one-row header.

    Parameters
    ----------
    rows : sequence of sequence of str
    scorer : callable, optional
        Scores per-column header parts (e.g. how many schema fields they name).

    Returns
    -------
    (float, list of int, HeaderParts)
        Score, 0-based indices of the header rows in ``rows``, and the header parts.
    """
    score_fn = scorer or _default_score
    best: tuple[float, list[int], HeaderParts] | None = None
    for idx, parts in _header_candidates(rows, two_rows=scorer is not None):
        score = score_fn(parts)
        if best is None or score > best[0] or (score == best[0] and len(idx) < len(best[1])):
            best = (score, idx, parts)
    if best is None:
        return 0.0, [], []
    return best


# ----------------------------------------------------------------------------------------------
# assembling the table


def _column_name(i: int) -> str:
    """Excel-style column letter for position ``i`` (0-based)."""
    name = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        name = chr(65 + rem) + name
    return name


def _build(path: str, rows: list[list[str]], header_idx: list[int], parts: HeaderParts, **meta) -> RawTable:
    """Assemble a :class:`RawTable` from all rows given the chosen header rows."""
    width = len(parts)
    while width and not parts[width - 1]:
        width -= 1
    parts = parts[:width]
    problems = Problems()
    data: list[list[str]] = []
    numbers: list[int] = []
    header_idx = list(header_idx)
    following = header_idx[-1] + 1
    if following < len(rows) and _is_column_numbering(rows[following], width):
        header_idx.append(following)
    header_texts = _header_texts(rows, header_idx, width)
    for i in range(header_idx[-1] + 1, len(rows)):
        row = rows[i]
        if not "".join(row).strip():
            continue
        if tuple(c.strip() for c in row[:width]) + ("",) * (width - len(row)) in header_texts and not any(
            c.strip() for c in row[width:]
        ):
            problems.warning(path, i + 1, None, _REPEATED_HEADER)
            continue
        if len(row) == width:
            data.append(row)
        elif len(row) < width:
            data.append(row + [""] * (width - len(row)))
        else:
            extra = [c for c in row[width:] if c.strip()]
            if extra:
                last = width + max(j for j, c in enumerate(row[width:]) if c.strip())
                problems.error(
                    path,
                    i + 1,
                    _column_name(last),
                    f"the row has {len(_trim(row))} cells but the header has only {width} "
                    f"columns; the value {extra[0]!r} has no column",
                )
            data.append(row[:width])
        numbers.append(i + 1)
    frame = (
        pd.DataFrame(data, columns=range(width), dtype="str")
        if data
        else pd.DataFrame({i: pd.Series([], dtype="str") for i in range(width)})
    )
    frame.index = pd.Index(numbers, dtype="int64", name="row")
    headers = ["/".join(p) for p in parts]
    return RawTable(
        path=path,
        frame=frame,
        headers=headers,
        header_parts=list(parts),
        header_rows=[i + 1 for i in header_idx],
        problems=problems,
        **meta,
    )


_REPEATED_HEADER = (
    "this row repeats the header (lists pasted together or printed pages); it is not read as data"
)


def _header_texts(
    rows: Sequence[Sequence[str]], header_idx: Sequence[int], width: int
) -> set[tuple[str, ...]]:
    """The stripped cells of each header row with at least two cells.

    Rows are padded to ``width``; used to recognise the header repeated further down.
    """
    out = set()
    for i in header_idx:
        cells = tuple((rows[i][j].strip() if j < len(rows[i]) else "") for j in range(width))
        if sum(1 for c in cells if c) >= 2 and not _is_column_numbering(rows[i], width):
            out.add(cells)
    return out


def _is_column_numbering(row: Sequence[str], width: int) -> bool:
    """True for a row that only numbers the columns ("1, 2, 3, …" or "(1), (2), …") under a header."""
    cells = [c.strip().strip("()（）") for c in row[:width] if c.strip()]
    if width < 5 or len(cells) < 0.8 * width or not all(c.isdigit() for c in cells):
        return False
    values = [int(c) for c in cells]
    return values[0] == 1 and all(b == a + 1 for a, b in itertools.pairwise(values))


def _decode_text(path: str, data: bytes) -> tuple[str, dict]:
    """Decode a text file and detect its delimiter; refuse binary data, blank text and prose."""
    decoded = _decode_strict(data)
    if decoded is None:
        near = bad_byte_problems(path, data)
        if near is not None:
            raise InputError(near)
        decoded = decode_bytes(data)
    if decoded is not None and _looks_binary(decoded[0]):
        named = _control_character_problems(path, decoded[0])
        if named is not None:
            raise InputError(named)
        decoded = None
    if decoded is None:
        raise InputError.single(
            path,
            "the file is not a table: its bytes are not text in UTF-8, GBK/GB18030 or another "
            "known encoding (expected a CSV or XLSX file)",
        )
    text, encoding = decoded
    if not text.strip():
        raise InputError.single(path, "the file is empty (only blank lines)")
    delimiter = detect_delimiter(text)
    if delimiter is None:
        raise InputError.single(
            path, "the file is not a table: no line splits into columns by comma, tab or semicolon"
        )
    return text, {"encoding": encoding, "delimiter": delimiter}


def _widest_line(text: str, delimiter: str) -> tuple[int, int]:
    """(cells, 1-based line number) of the line with the most delimiters.

    Quotes are ignored: the count is an upper bound of the cells.
    """
    lines = text.split("\n")
    counts = [line.count(delimiter) for line in lines]
    i = int(np.argmax(counts)) if counts else 0
    return (counts[i] + 1 if counts else 0), i + 1


def _bound_text_width(path: str, text: str, delimiter: str) -> str:
    """Refuse a text table wider than :data:`MAX_COLUMNS`.

    Runs of trailing delimiters (a sheet with a stray far-right cell saved as CSV pads every row with
    thousands of commas) are dropped first.
    """
    cells, line = _widest_line(text, delimiter)
    if cells <= MAX_COLUMNS:
        return text
    text = re.sub(rf"(?:{re.escape(delimiter)}[ \t]*)+(?=\r?$)", "", text, flags=re.MULTILINE)
    cells, line = _widest_line(text, delimiter)
    if cells > MAX_COLUMNS:
        raise InputError.single(
            path,
            f"line {line} has {cells:,} cells; the planner reads tables of at most {MAX_COLUMNS:,} columns",
            row=line,
        )
    return text


def _decode_strict(data: bytes) -> tuple[str, str] | None:
    """:func:`decode_bytes` without the last-resort guess: BOMs, strict UTF-8, strict GB18030."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_bytes(data)
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            pass
    return None


def _text_rows(path: str, text: str, delimiter: str) -> list[list[str]]:
    """Split CSV text into rows with the csv module (any shape of file)."""
    try:
        return _parse_csv(text, delimiter)
    except csv.Error as exc:
        raise InputError.single(path, f"the file is not a readable CSV table: {exc}") from None


def _arrow_frame(text: str, delimiter: str) -> pd.DataFrame | None:
    """:func:`_pandas_frame`'s frame parsed by pyarrow's multithreaded CSV reader.

    Several times faster on large lists.  None when pyarrow refuses the text (not rectangular, ...) or it has
    a single column (where a blank line would be a row of pyarrow but not of pandas).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                # a line end can only be inside a quoted value: without quotes, Arrow splits the
                # text into blocks by line ends alone (parallel, about twice as fast)
                newlines_in_values='"' in text,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(_first_row_width(text, delimiter))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError):
        return None
    if table.num_columns < 2 or any(table.column(i).type != pa.string() for i in range(table.num_columns)):
        return None
    dtype = pd.StringDtype(storage="pyarrow", na_value=np.nan)
    return pd.DataFrame({i: pd.array(table.column(i), dtype=dtype) for i in range(table.num_columns)})


def _first_row_width(text: str, delimiter: str) -> int:
    """Cells of the first row (the csv module on the text's start; at least 1)."""
    try:
        return max(1, len(next(csv.reader(io.StringIO(text[: 1 << 16]), delimiter=delimiter), [])))
    except csv.Error:
        return 1


def _fast_frame(text: str, delimiter: str) -> pd.DataFrame | None:
    """Parse a rectangular CSV into a frame of texts.

    Row ``i`` is the user's row ``i + 1``.  Parsed by pyarrow (:func:`_arrow_frame`), else by pandas' C
    parser.

    Returns None when the C parser refuses the file (e.g. a title row with fewer cells than the
    rows below it, or a row with more cells than the first); the caller then uses the csv module.
    """
    frame = _arrow_frame(text, delimiter) if len(text) > ARROW_MIN_CHARS else None
    return frame if frame is not None else _pandas_frame(text, delimiter)


#: Texts shorter than this are parsed by pandas alone (pyarrow's start-up is not worth it).
ARROW_MIN_CHARS = 1 << 20


def _pandas_frame(text: str, delimiter: str) -> pd.DataFrame | None:
    """:func:`_fast_frame` by pandas' C parser."""
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            engine="c",
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            quotechar='"',
            doublequote=True,
        )
    except (pd.errors.ParserError, ValueError, csv.Error):
        return None
    if frame.isna().any().any():
        return None
    return frame


def _build_from_frame(path: str, frame: pd.DataFrame, scorer: HeaderScorer | None, **meta) -> RawTable:
    """Like :func:`_build` for a frame from :func:`_fast_frame` (vectorised, for large files)."""
    head = frame.iloc[: 2 * HEADER_SEARCH_ROWS + 2].to_numpy(dtype=object).tolist()
    _, header_idx, parts = find_header(head, scorer)
    if not header_idx:
        raise InputError.single(path, "the file is empty (only blank lines)")
    width = len(parts)
    while width and not parts[width - 1]:
        width -= 1
    parts = parts[:width]
    header_idx = list(header_idx)
    following = header_idx[-1] + 1
    if following < len(head) and _is_column_numbering(head[following], width):
        header_idx.append(following)
    body = frame.iloc[header_idx[-1] + 1 :]
    body.index = pd.Index(
        np.arange(header_idx[-1] + 2, header_idx[-1] + 2 + len(body)), dtype="int64", name="row"
    )
    filled = np.zeros((len(body), body.shape[1]), dtype=bool)
    stripped_all = [body.iloc[:, j].str.strip() for j in range(body.shape[1])]  # once per column
    for j, col in enumerate(stripped_all):
        filled[:, j] = (col != "").to_numpy(dtype=bool)
    keep = filled.any(axis=1)
    problems = Problems()
    headers_seen = _header_texts(head, header_idx, width)
    if headers_seen and len(body):
        stripped = stripped_all[:width]
        repeated = np.zeros(len(body), dtype=bool)
        for texts in headers_seen:
            same = np.ones(len(body), dtype=bool)
            for j, col in enumerate(stripped):
                same &= (col == texts[j]).to_numpy(dtype=bool) if j < len(texts) else True
            repeated |= same
        repeated &= ~filled[:, width:].any(axis=1)
        for i in np.flatnonzero(repeated):
            problems.warning(path, int(body.index[i]), None, _REPEATED_HEADER)
        keep &= ~repeated
    extra = filled[:, width:]
    for i in np.flatnonzero(keep & extra.any(axis=1)):
        row = body.iloc[i].tolist()
        last = width + int(np.flatnonzero(extra[i])[-1])
        first_extra = row[width + int(np.flatnonzero(extra[i])[0])]
        problems.error(
            path,
            int(body.index[i]),
            _column_name(last),
            f"the row has {len(_trim(row))} cells but the header has only {width} "
            f"columns; the value {first_extra!r} has no column",
        )
    data = body.loc[keep, body.columns[:width]]
    data.columns = range(width)
    return RawTable(
        path=path,
        frame=data,
        headers=["/".join(p) for p in parts],
        header_parts=list(parts),
        header_rows=[i + 1 for i in header_idx],
        problems=problems,
        **meta,
    )


def _check_shape(path: str, table: RawTable) -> None:
    """Refuse a text file whose rows mostly do not fit the header (prose, ragged text)."""
    if table.frame.empty or len(table.headers) < 2:
        if len(table.headers) < 2:
            raise InputError.single(path, "the file is not a table: the header has fewer than two columns")
        return
    filled = (table.frame != "").sum(axis=1)
    fitting = int((filled >= 2).sum())
    if fitting < len(table.frame) / 2:
        raise InputError.single(
            path,
            f"the file is not a table: most rows ({len(table.frame) - fitting} of "
            f"{len(table.frame)}) do not split into the header's {len(table.headers)} columns",
        )


def read_table(path: str | Path, scorer: HeaderScorer | None = None) -> RawTable:
    """Read a CSV or XLSX file into a :class:`RawTable` of raw strings.

    Parameters
    ----------
    path : str or Path
    scorer : callable, optional
        Scores candidate headers (per-column tuples of header texts); enables two-row headers
        and picks the worksheet whose header scores best (ties: the first sheet).

    Returns
    -------
    RawTable

    Raises
    ------
    InputError
        With a single problem when the file is missing, empty, not a table (binary, PDF, prose or
        ragged text) or an unreadable workbook.
    """
    name = str(path)
    p = Path(path)
    if not p.exists():
        raise InputError.single(name, "the file does not exist")
    if p.is_dir():
        raise InputError.single(name, "this is a folder, not a file")
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError.single(
                name,
                f"the file is {size / 2**20:,.0f} MiB; the planner reads tables of at most "
                f"{MAX_FILE_BYTES / 2**20:,.0f} MiB (split the list, or remove unused sheets and columns)",
            )
        data = p.read_bytes()
    except OSError as exc:
        raise InputError.single(name, f"the file cannot be read: {exc.strerror or exc}") from None
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise InputError.single(name, "the file is empty")
    kind = _sniff_format(data)
    if kind == "xlsx":
        return _read_xlsx_table(name, data, scorer)
    if kind != "text":
        raise InputError.single(
            name, f"the file is not a table: it looks like {kind} (expected a CSV or XLSX file)"
        )
    text, meta = _decode_text(name, data)
    text = _bound_text_width(name, text, meta["delimiter"])
    frame = _fast_frame(text, meta["delimiter"])
    if frame is not None:
        table = _build_from_frame(name, frame, scorer, **meta)
    else:
        rows = _text_rows(name, text, meta["delimiter"])
        _, header_idx, parts = find_header(rows, scorer)
        if not header_idx:
            raise InputError.single(name, "the file is empty (only blank lines)")
        table = _build(name, rows, header_idx, parts, **meta)
    _check_shape(name, table)
    return table


def _same_header(a: HeaderParts, b: HeaderParts) -> bool:
    """True when two headers name the same columns in the same order (white space ignored)."""

    def norm(parts: HeaderParts) -> list[tuple[str, ...]]:
        out = [tuple(re.sub(r"\s+", "", x) for x in p) for p in parts]
        while out and not out[-1]:
            out.pop()
        return out

    return norm(a) == norm(b)


#: A sheet whose header scores at least this (with a scorer: fields named) looks like a table.
_TABLE_SCORE = 3.0


def _read_xlsx_table(name: str, data: bytes, scorer: HeaderScorer | None) -> RawTable:
    """Read the best-matching worksheet of a workbook.

    It is continued by any later sheet with the same header (a long list split over "Sheet1", "Sheet2" …).
    """
    sheets = _read_xlsx(name, data)
    found = []
    for sheet in sheets:
        score, header_idx, parts = find_header(sheet.rows, scorer)
        if header_idx:
            found.append((score, sheet, header_idx, parts))
    if not found:
        raise InputError.single(name, "the workbook is empty (no sheet has any cells)")
    best = max(found, key=lambda f: f[0])  # first sheet among equals
    _, sheet, header_idx, parts = best
    table = _build(name, sheet.rows, header_idx, parts, sheet=sheet.name)
    if len(table.headers) < 2:
        raise InputError.single(
            name, f"sheet {sheet.name!r} is not a table: the header has fewer than two columns"
        )
    table.problems.extend(sheet.notes)
    continued = [
        f
        for f in found
        if f[1] is not sheet and sheets.index(f[1]) > sheets.index(sheet) and _same_header(f[3], parts)
    ]
    others = [f for f in found if f[1] is not sheet and f not in continued and f[0] >= _TABLE_SCORE]
    for score, other, idx, _ in others:
        table.problems.warning(
            name,
            idx[-1] + 1,
            None,
            f"sheet {other.name!r} also looks like a table ({score:g} header points) but its header "
            f"differs from sheet {sheet.name!r}, which is the one read; sheet {other.name!r} is not "
            "read (give every sheet of a list the same header, or put the list on one sheet)",
        )
    parts_list = [table]
    for _, other, idx, other_parts in continued:
        part = _build(f"{name} [{other.name}]", other.rows, idx, other_parts, sheet=other.name)
        if len(part.frame) == 0:  # the header alone (an empty template sheet): nothing to add
            continue
        part.problems.extend(other.notes)
        parts_list.append(part)
    if len(parts_list) == 1:
        return table
    return _concat_sheets(name, parts_list)


def _concat_sheets(name: str, tables: list[RawTable]) -> RawTable:
    """One table from sheets sharing a header.

    Rows keep their sheet's row numbers and are labelled ``"file [sheet]"`` in :attr:`RawTable.row_files`.
    """
    width = len(tables[0].headers)
    frames, labels = [], []
    problems = Problems()
    for t in tables:
        frame = t.frame.reindex(columns=range(width), fill_value="")
        frames.append(frame)
        labels.append(np.full(len(frame), f"{name} [{t.sheet}]", dtype=object))
        for p in t.problems:
            file = p.file if p.file != name else f"{name} [{t.sheet}]"
            problems.add(file, p.row, p.column, p.message, p.severity)
    first = tables[0]
    sheets = ", ".join(repr(t.sheet) for t in tables)
    problems.warning(
        f"{name} [{first.sheet}]",
        first.header_rows[-1] if first.header_rows else None,
        None,
        f"the list continues over {len(tables)} sheets with the same header ({sheets}); "
        f"all {sum(len(f) for f in frames)} rows are read",
    )
    return dataclasses.replace(
        first,
        path=name,
        frame=pd.concat(frames),
        problems=problems,
        row_files=np.concatenate(labels).astype(str),
    )
