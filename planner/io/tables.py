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
import csv
import datetime as _dt
import io
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
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
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


def _sheet_rows(ws, merged: bool) -> list[list[str]]:
    """All rows of a worksheet as text; row ``i`` of the result is Excel row ``i + 1``."""
    rows = [[_cell_text(v) for v in r] for r in ws.iter_rows(min_row=1, values_only=True)]
    if merged:
        # Fill every cell of a merged range with its top-left value, as the user sees it: a group
        # label spans the columns it was merged across, a county merged over several enterprise
        # rows belongs to each of them.
        for rng in ws.merged_cells.ranges:
            top = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(rows) else ""
            for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
                row = rows[r - 1]
                row.extend([""] * (rng.max_col - len(row)))
                for c in range(rng.min_col, rng.max_col + 1):
                    row[c - 1] = top
    return rows


def _read_xlsx(path: str, data: bytes) -> list[tuple[str, list[list[str]]]]:
    """Every worksheet of a workbook as (name, rows of text)."""
    import openpyxl

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
    try:
        return [
            (ws.title, _sheet_rows(ws, merged=not read_only))
            for ws in wb.worksheets
            if hasattr(ws, "iter_rows")
        ]
    finally:
        wb.close()


# ----------------------------------------------------------------------------------------------
# header detection


def _default_score(parts: HeaderParts) -> float:
    """Without a schema: 1 for a row with at least two non-empty, non-numeric cells (so the first
    such row is the header, skipping a one-cell title row), else 0."""
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
    for i in range(header_idx[-1] + 1, len(rows)):
        row = rows[i]
        if not "".join(row).strip():
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


def _is_column_numbering(row: Sequence[str], width: int) -> bool:
    """True for a row that only numbers the columns ("1, 2, 3, …" or "(1), (2), …") under a header."""
    cells = [c.strip().strip("()（）") for c in row[:width] if c.strip()]
    if width < 5 or len(cells) < 0.8 * width or not all(c.isdigit() for c in cells):
        return False
    values = [int(c) for c in cells]
    return values[0] == 1 and all(b == a + 1 for a, b in zip(values, values[1:], strict=False))


def _decode_text(path: str, data: bytes) -> tuple[str, dict]:
    """Decode a text file and detect its delimiter; refuse binary data, blank text and prose."""
    decoded = decode_bytes(data)
    if decoded is None or _looks_binary(decoded[0]):
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


def _text_rows(path: str, text: str, delimiter: str) -> list[list[str]]:
    """Split CSV text into rows with the csv module (any shape of file)."""
    try:
        return _parse_csv(text, delimiter)
    except csv.Error as exc:
        raise InputError.single(path, f"the file is not a readable CSV table: {exc}") from None


def _fast_frame(text: str, delimiter: str) -> pd.DataFrame | None:
    """Parse a rectangular CSV with pandas' C parser (row ``i`` is the user's row ``i + 1``).

    Returns None when the C parser refuses the file (e.g. a title row with fewer cells than the
    rows below it, or a row with more cells than the first); the caller then uses the csv module.
    """
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
    for j, col in enumerate(body.columns):
        filled[:, j] = (body[col].str.strip() != "").to_numpy(dtype=bool)
    keep = filled.any(axis=1)
    problems = Problems()
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


def _read_xlsx_table(name: str, data: bytes, scorer: HeaderScorer | None) -> RawTable:
    """Read the best-matching worksheet of a workbook."""
    sheets = _read_xlsx(name, data)
    best = None
    for sheet, rows in sheets:
        score, header_idx, parts = find_header(rows, scorer)
        if header_idx and (best is None or score > best[0]):
            best = (score, sheet, rows, header_idx, parts)
    if best is None:
        raise InputError.single(name, "the workbook is empty (no sheet has any cells)")
    _, sheet, rows, header_idx, parts = best
    table = _build(name, rows, header_idx, parts, sheet=sheet)
    if len(table.headers) < 2:
        raise InputError.single(
            name, f"sheet {sheet!r} is not a table: the header has fewer than two columns"
        )
    return table
