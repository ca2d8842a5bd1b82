"""Writing output files safely and fast: streaming workbooks, inert text, safe names, staged folders.

Every file the planner writes for people (``plan.xlsx``, the emergency list, ``compare.xlsx``,
``schedule.csv``, the 一厂一策 sheets) goes through this module:

- :func:`new_workbook` opens an :mod:`xlsxwriter` workbook in *constant-memory* mode (rows stream
  to disk as they are written; nothing turns a string into a formula or a link), and
  :class:`SheetWriter` writes a header and a frame into one sheet, column by column in type
  (numbers stay numbers, missing values are blank, text is always a text cell);
- **formula injection** (CSV/spreadsheet injection) is neutralised: a text starting with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return is a text cell with Excel's quote prefix in a
  workbook and is prefixed with ``'`` in a CSV file (:func:`neutralise_text`,
  :func:`neutralise_frame`) — a text that is a plain number (``-12.5``) is left as it is, and
  numeric columns are never touched;
- :func:`safe_filename` turns an enterprise id into a file name that stays inside its folder;
- :func:`staged_output` writes a command's outputs into a temporary folder beside the target and
  moves them into place only when every file was written, so a failed export leaves nothing
  half-written;
- :func:`write_schedule` writes the schedule as CSV or Parquet.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import functools
import hashlib
import math
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "EXCEL_MAX_ROWS",
    "FORMULA_TRIGGERS",
    "SCHEDULE_FORMATS",
    "SheetWriter",
    "formula_like",
    "neutralise_frame",
    "neutralise_text",
    "new_workbook",
    "safe_filename",
    "staged_output",
    "write_csv",
    "write_schedule",
]

#: Rows of one Excel sheet (1,048,576) less the header row.
EXCEL_MAX_ROWS = 1_048_575
#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: ``planner plan --schedule-format`` choices.
SCHEDULE_FORMATS = ("csv", "parquet")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TRIGGER_START = r"^[=+\-@\t\r]"
_NUMBER_FULL = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


# --------------------------------------------------------------------------- formula injection
def formula_like(text) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (a plain number, e.g. ``-3.5``, is not)."""
    return (
        isinstance(text, str)
        and text[:1] in FORMULA_TRIGGERS
        and not (text[:1] in "+-" and _NUMBER.fullmatch(text))
    )


def neutralise_text(text):
    """``text`` prefixed with ``'`` when a spreadsheet would read it as a formula; anything else unchanged."""
    return "'" + text if formula_like(text) else text


def _risky(values) -> np.ndarray:
    """Boolean mask of the formula-like texts of a text column (vectorised; missing values are not)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = values if isinstance(values, pa.Array) else _as_text(values)
    starts = pc.fill_null(pc.match_substring_regex(arr, _TRIGGER_START), False)
    if not pc.any(starts).as_py():
        return np.zeros(len(arr), dtype=bool)
    number = pc.fill_null(pc.match_substring_regex(arr, _NUMBER_FULL), False)
    return pc.and_(starts, pc.invert(number)).to_numpy(zero_copy_only=False)


def _as_text(values: pd.Series):
    """A text column as a pyarrow string array (missing values null)."""
    import pyarrow as pa

    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        with contextlib.suppress(TypeError, pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array(values.array)  # Arrow-backed: its own buffers, no Python strings
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
                return arr.cast(pa.string())
    obj = values.to_numpy(dtype=object, na_value=None)
    try:
        return pa.array(obj, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array(
            [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in obj.tolist()],
            type=pa.string(),
        )


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose formula-like texts are prefixed with ``'`` (for CSV files).

    Only text (object, string or categorical) columns are looked at; numbers stay numbers.
    """
    out = None
    for col in df.columns:
        s = df[col]
        if not (
            pd.api.types.is_object_dtype(s)
            or pd.api.types.is_string_dtype(s)
            or isinstance(s.dtype, pd.CategoricalDtype)
        ):
            continue
        mask = _risky(s)
        if mask.any():
            if out is None:
                out = df.copy()
            fixed = s.astype(object).copy()
            fixed[mask] = ["'" + str(v) for v in s[mask]]
            out[col] = fixed
    return df if out is None else out


# --------------------------------------------------------------------------- file names
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


def safe_filename(name, max_bytes: int = 120) -> str:
    """A file name for ``name`` (e.g. an enterprise id) that stays inside its folder on any system.

    Path separators, control and reserved characters become ``_``; leading dots and spaces
    (``..``, hidden files) and trailing dots and spaces are dropped; Windows device names get a
    ``_`` prefix; the name is cut to ``max_bytes`` UTF-8 bytes.  When anything had to change, a
    short hash of the original is appended so that two ids never share a file.

    Examples
    --------
    >>> safe_filename("E0001")
    'E0001'
    >>> safe_filename("../../escaped_E0001")
    '_.._escaped_E0001-53dd69f7'
    """
    text = str(name)
    clean = _UNSAFE.sub("_", unicodedata.normalize("NFC", text)).strip(" ").lstrip(".").rstrip(". ")
    if _RESERVED.match(clean):
        clean = "_" + clean
    if clean and clean == text and len(text.encode("utf-8")) <= max_bytes:
        return text
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    cut = clean.encode("utf-8")[: max_bytes - 9].decode("utf-8", errors="ignore").rstrip(". ")
    return f"{cut or '_'}-{digest}"


# --------------------------------------------------------------------------- staged folders
@contextlib.contextmanager
def staged_output(target: str | Path) -> Iterator[Path]:
    """Write into a temporary folder beside ``target``; move its entries into ``target`` on success.

    Parameters
    ----------
    target : str or Path
        The output folder (created when missing).  Entries written into the staged folder replace
        the entries of the same name in ``target`` (a sub-folder as a whole); other files there are
        left alone.

    Yields
    ------
    Path
        The staged folder to write into.  If the block raises, the staged folder is removed and
        ``target`` is untouched.
    """
    target = Path(target).absolute()
    if target.exists():
        target = target.resolve()  # stage beside the real folder (a link may point to another disk)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name or 'out'}.", suffix=".partial", dir=target.parent))
    try:
        yield stage
        if not target.exists():
            os.replace(stage, target)
            os.chmod(target, 0o777 & ~_umask())
            return
        if not target.is_dir():
            raise NotADirectoryError(f"{target} exists and is not a folder")
        for entry in sorted(stage.iterdir()):
            _move_into(entry, target / entry.name)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _move_into(src: Path, dst: Path) -> None:
    """Replace ``dst`` by ``src`` (same file system): atomically for a file, swap-then-delete for a folder."""
    if src.is_dir() and dst.exists():
        old = dst.with_name(f".{dst.name}.old-{os.getpid()}")
        os.replace(dst, old)
        try:
            os.replace(src, dst)
        except OSError:
            os.replace(old, dst)
            raise
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
    else:
        if dst.is_dir() and not src.is_dir():
            shutil.rmtree(dst)
        os.replace(src, dst)


# --------------------------------------------------------------------------- schedule
def write_schedule(schedule: pd.DataFrame, path: str | Path, fmt: str = "csv") -> Path:
    """Write the schedule as CSV (UTF-8, formula-like texts prefixed with ``'``) or Parquet.

    Parquet keeps the columns' types and the texts as they are (it is not read by spreadsheets).
    """
    path = Path(path)
    if fmt == "csv":
        write_csv(schedule, path, neutralise=True)
    elif fmt == "parquet":
        schedule.to_parquet(path, index=False)
    else:
        raise ValueError(f"unknown schedule format {fmt!r}; one of {', '.join(SCHEDULE_FORMATS)}")
    return path


#: Characters that make the csv module quote a field (delimiter, quote, line ends).
_CSV_SPECIAL = r'[,"\r\n]'
#: Rows formatted and written at a time by :func:`write_csv`.
_CSV_CHUNK = 50_000
#: Threads formatting chunks of :func:`write_csv` (at most; one per CPU).
_CSV_THREADS = min(4, os.cpu_count() or 1)
#: Magnitudes whose shortest round-trip text Arrow writes as Python's ``repr`` does (positional,
#: the same digits; an integral value without its ``.0``); other floats are formatted by ``repr``.
_ARROW_PLAIN = (1e-4, 1e10)


def _csv_texts(texts: list[str], neutralise: bool = False) -> list[str]:
    """Texts as CSV fields: quoted by the csv module itself (``QUOTE_MINIMAL``) where they need it.

    With ``neutralise``, formula-like texts are first prefixed with ``'`` (:func:`neutralise_text`).
    """
    import csv
    import io

    import pyarrow as pa
    import pyarrow.compute as pc

    out = list(texts)
    arr = pa.array(out, type=pa.string())
    if neutralise:
        for i in np.flatnonzero(_risky(arr)):
            out[i] = "'" + out[i]
    special = pc.match_substring_regex(arr, _CSV_SPECIAL).to_numpy(zero_copy_only=False)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=os.linesep)  # pandas' line end: it decides the quoting
    end = 1 + len(os.linesep)
    for i in np.flatnonzero(special):
        buf.seek(0)
        buf.truncate()
        writer.writerow([out[i], ""])  # two fields: a lone empty field would be quoted
        out[i] = buf.getvalue()[:-end]
    return out


class _Column:
    """How :func:`write_csv` formats one column: each distinct text once, numbers per chunk.

    ``kind`` is ``"text"`` (``codes`` into the field texts ``cells``, a missing value the last,
    blank), ``"int"``, ``"bool"`` or ``"float"`` (formatted from ``values``).
    """

    def __init__(self, kind: str, values: np.ndarray, cells=None):
        self.kind, self.values, self.cells = kind, values, cells

    @classmethod
    def of(cls, s: pd.Series, neutralise: bool = False) -> _Column | None:
        """The column's formatter, or None for a column type this writer leaves to pandas.

        With ``neutralise``, formula-like texts get the ``'`` prefix of :func:`neutralise_frame`.
        """
        import pyarrow as pa

        dtype = s.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "iu":
            return cls("int", s.to_numpy())
        if isinstance(dtype, np.dtype) and dtype.kind == "b":
            return cls("text", s.to_numpy().astype(np.intp), pa.array(["False", "True"], type=pa.string()))
        if isinstance(dtype, np.dtype) and dtype == np.float64:
            return cls("float", s.to_numpy())
        if not (pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)):
            return None
        try:
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
        except TypeError:  # unhashable objects
            return None
        uniq = np.asarray(uniques, dtype=object)
        if pd.api.types.infer_dtype(uniq, skipna=True) not in ("string", "empty"):
            return None
        try:
            cells = pa.array([*_csv_texts([str(v) for v in uniq.tolist()], neutralise), ""], type=pa.string())
        except (pa.ArrowInvalid, UnicodeError):  # e.g. lone surrogates: pandas decides
            return None
        codes = np.where(codes < 0, len(uniq), codes)
        return cls("text", codes, cells)

    def chunk(self, start: int, stop: int) -> list:
        """The fields of rows ``start:stop``: pyarrow string arrays to concatenate (nulls blank)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        v = self.values[start:stop]
        if self.kind == "text":
            return [self.cells.take(pa.array(v))]
        if self.kind == "int":
            return [pc.cast(pa.array(v), pa.string())]
        return _float_cells(v)


def _float_cells(v: np.ndarray) -> list:
    """Floats as ``repr`` writes them (pandas' ``astype(str)``), missing values blank.

    Returns the texts in two parts whose concatenation is the field: Arrow's text of the
    magnitudes in :data:`_ARROW_PLAIN` and of zeros (null elsewhere), and a tail (``.0`` after an
    integral value, else blank); zeros aside, tiny, huge and non-finite values are ``repr``-ed
    once per distinct value into the tail.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    with np.errstate(invalid="ignore"):
        a = np.abs(v)
        arrow = ((a >= _ARROW_PLAIN[0]) & (a < _ARROW_PLAIN[1])) | (v == 0)  # Arrow: "0", "-0"
        whole = arrow & (v == np.trunc(v))
    odd = ~arrow
    head = pc.cast(pa.array(v, mask=odd if odd.any() else None), pa.string())
    if not whole.any() and not odd.any():
        return [head]
    tails = ["", ".0"]
    code = whole.astype(np.int32)
    if odd.any():
        codes, uniq = pd.factorize(v[odd], use_na_sentinel=True)
        tails += [repr(x) for x in uniq.tolist()]
        code[odd] = np.where(codes < 0, 0, codes + 2)
    return [head, pa.array(tails, type=pa.string()).take(pa.array(code))]


def write_csv(frame: pd.DataFrame, path: str | Path, neutralise: bool = False) -> Path:
    """Write ``frame`` as UTF-8 CSV, byte for byte what ``frame.to_csv(path, index=False)`` writes.

    Texts are formatted once per distinct value, numbers in Arrow (floats in shortest round-trip
    form, as ``repr``), and the rows are joined by Arrow in chunks: many times faster than pandas
    on schedules of millions of rows.  A frame with a column type this writer does not format
    (dates, categoricals, mixed objects) or fewer than two columns is handed to pandas.  With
    ``neutralise``, the file is that of ``neutralise_frame(frame)`` (formula-like texts prefixed
    with ``'``), each distinct text checked once.
    """
    import pyarrow.compute as pc

    path = Path(path)
    columns = (
        [_Column.of(frame[name], neutralise) for name in frame.columns]
        if frame.shape[1] >= 2 and frame.columns.is_unique
        else [None]
    )
    if any(c is None for c in columns):
        (neutralise_frame(frame) if neutralise else frame).to_csv(path, index=False, encoding="utf-8")
        return path
    header = _csv_texts([str(c) for c in frame.columns])

    def rows_of(start: int) -> memoryview:
        stop = min(start + _CSV_CHUNK, len(frame))
        parts: list = []
        for k, c in enumerate(columns):
            if k:
                parts.append(",")
            parts.extend(c.chunk(start, stop))
        # each row and its line end; a null part (a float formatted in its tail) is blank
        return _joined(pc.binary_join_element_wise(*parts, os.linesep, "", null_handling="replace"))

    starts = range(0, len(frame), _CSV_CHUNK)
    workers = min(_CSV_THREADS, len(starts))
    with open(path, "wb") as fh:
        fh.write((",".join(header) + os.linesep).encode("utf-8"))
        if workers <= 1:
            for start in starts:
                fh.write(rows_of(start))
            return path
        # Arrow and numpy release the GIL: chunks are formatted in threads, written in order
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            pending: collections.deque = collections.deque()
            for start in starts:
                pending.append(pool.submit(rows_of, start))
                if len(pending) > workers:
                    fh.write(pending.popleft().result())
            while pending:
                fh.write(pending.popleft().result())
    return path


# --------------------------------------------------------------------------- workbooks
#: Deflate level of the workbooks :func:`new_workbook` writes (1: several times faster than
#: zlib's default 6 on sheets of a million rows, files about a fifth larger).
WORKBOOK_COMPRESSLEVEL = 1
_ZIP_LOCK = threading.Lock()


@functools.cache
def _workbook_class():
    import xlsxwriter
    import xlsxwriter.workbook as xw
    from xlsxwriter.worksheet import Worksheet

    class RowBytesWorksheet(Worksheet):
        """A worksheet whose constant-memory row file is copied into the sheet as bytes.

        :meth:`SheetWriter.frame` writes its rows' UTF-8 XML straight into the row file's binary
        buffer; xlsxwriter's own assembly would read it back as text and encode it again.
        """

        def _write_optimized_sheet_data(self) -> None:
            if self.dim_rowmin is None or not hasattr(self.fh, "buffer"):
                super()._write_optimized_sheet_data()
                return
            self._xml_start_tag("sheetData")
            self.row_data_fh.close()
            self.fh.flush()
            with open(self.row_data_filename, "rb") as rows:
                shutil.copyfileobj(rows, self.fh.buffer, 1 << 20)
            os.unlink(self.row_data_filename)
            self._xml_end_tag("sheetData")

    class Workbook(xlsxwriter.Workbook):
        """An xlsxwriter workbook whose package is deflated at :data:`WORKBOOK_COMPRESSLEVEL`."""

        worksheet_class = RowBytesWorksheet

        def _store_workbook(self) -> None:
            # xlsxwriter opens its ZipFile without a compression level: give it one while it stores
            with _ZIP_LOCK:
                zip_file = xw.ZipFile
                xw.ZipFile = functools.partial(zip_file, compresslevel=WORKBOOK_COMPRESSLEVEL)
                try:
                    super()._store_workbook()
                finally:
                    xw.ZipFile = zip_file

    return Workbook


def new_workbook(path: str | Path):
    """An :class:`xlsxwriter.Workbook` in constant-memory mode that never makes formulas or links of text."""
    return _workbook_class()(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )


class SheetWriter:
    """Writes rows into one constant-memory worksheet, in order, with one format per column.

    Parameters
    ----------
    workbook : xlsxwriter.Workbook
        From :func:`new_workbook`.
    ws : xlsxwriter.worksheet.Worksheet
    """

    def __init__(self, workbook, ws):
        self.wb = workbook
        self.ws = ws
        self._props: dict[int, dict] = {}
        self._cache: dict[tuple, object] = {}

    def format(self, **props):
        """An xlsxwriter format with ``props`` (one object per distinct set of properties)."""
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            fmt = self.wb.add_format(props)
            self._cache[key] = fmt
            self._props[id(fmt)] = props
        return self._cache[key]

    def quoted(self, fmt):
        """The format ``fmt`` with Excel's quote prefix (the cell stays text even when edited)."""
        props = dict(self._props.get(id(fmt), {})) if fmt is not None else {}
        props["quote_prefix"] = True
        return self.format(**props)

    def text(self, row: int, col: int, value, fmt=None) -> None:
        """One text cell (a formula-like text gets the quote prefix; None or blank → blank cell)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if fmt is not None:
                self.ws.write_blank(row, col, None, fmt)
            return
        value = str(value)
        self.ws.write_string(row, col, value, self.quoted(fmt) if formula_like(value) else fmt)

    def value(self, row: int, col: int, value, fmt=None) -> None:
        """One cell of any plain type: a finite number as a number, anything else as text."""
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, bool):
            self.ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, (int, float)):
            if math.isfinite(value):
                self.ws.write_number(row, col, value, fmt)
            elif fmt is not None:
                self.ws.write_blank(row, col, None, fmt)
        else:
            self.text(row, col, value, fmt)

    def row(self, row: int, values, fmt=None) -> None:
        """A row of plain values from column 0, all in ``fmt``."""
        for c, v in enumerate(values):
            self.value(row, c, v, fmt)

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Merge a range whose cells were already written (row by row, as constant memory needs).

        ``Worksheet.merge_range`` writes the range's cells itself, which in constant-memory mode
        fails for a range over two rows once the first is written; the cells are written with
        :meth:`text` (first cell) and blank formatted cells instead, and only the range is recorded.
        """
        self.ws.merge.append([first_row, first_col, last_row, last_col])

    def frame(
        self, df: pd.DataFrame, first_row: int, formats=None, header_format=None, chunk: int = 50_000
    ) -> int:
        """Write ``df`` (its header when ``header_format`` is given, then its rows) from ``first_row``.

        Numeric columns are written as numbers (NaN and infinity blank), every other column as
        text (formula-like texts with the quote prefix).  ``formats`` is one format per column (or
        None).  Returns the next free row.

        The rows' XML is built column by column with vectorised string operations, ``chunk`` rows
        at a time, and streamed into the worksheet's constant-memory row file: the same cells
        :meth:`frame_cells` writes through the cell-by-cell API, ten times faster.
        """
        ws = self.ws
        ncol = len(df.columns)
        formats = list(formats) if formats is not None else [None] * ncol
        row = first_row
        if header_format is not None:
            for c, name in enumerate(df.columns):
                self.text(row, c, str(name), header_format)
            row += 1
        n = len(df)
        if n == 0:
            return row
        if not ws.constant_memory:
            return self.frame_cells(df, row, formats)
        if row < ws.previous_row or (row == ws.previous_row and ws.table.get(row)):
            raise ValueError(f"rows from row {row + 1} on are already written: write a sheet in row order")
        last = row + n - 1
        if ws._check_dimensions(last, ncol - 1) or ws._check_dimensions(row, 0):
            raise ValueError(f"{n:,} rows from row {row + 1} do not fit in an Excel sheet")
        ws._write_single_row(row)  # flush the rows written so far through the API
        import pyarrow as pa
        import pyarrow.compute as pc

        letters = [_col_letter(c) for c in range(ncol)]
        for start in range(0, n, chunk):
            part = df.iloc[start : start + chunk]
            numbers = pc.cast(pa.array(np.arange(row + start + 1, row + start + len(part) + 1)), pa.string())
            cells = [_cells_xml(part.iloc[:, c], letters[c], numbers, formats[c], self) for c in range(ncol)]
            xml = pc.binary_join_element_wise('<row r="', numbers, '">', *cells, "</row>", "")
            ws.fh.flush()  # the text written through the API so far, then this chunk's bytes
            ws.fh.buffer.write(_joined(xml))
        ws.previous_row = last
        return last + 1

    def frame_cells(self, df: pd.DataFrame, first_row: int, formats=None) -> int:
        """Write the rows of ``df`` from ``first_row`` through xlsxwriter's cell-by-cell API (slow, reference)."""
        ncol = len(df.columns)
        formats = list(formats) if formats is not None else [None] * ncol
        for i, values in enumerate(df.itertuples(index=False, name=None)):
            for c, v in enumerate(values):
                if v is None or v is pd.NA or v == "" or (isinstance(v, float) and math.isnan(v)):
                    if formats[c] is not None:
                        self.ws.write_blank(first_row + i, c, None, formats[c])
                elif isinstance(v, (bool, np.bool_)):
                    self.ws.write_boolean(first_row + i, c, bool(v), formats[c])
                elif not isinstance(v, (int, float, np.number)):
                    self.text(first_row + i, c, v, formats[c])
                else:
                    self.value(first_row + i, c, v, formats[c])
        return first_row + len(df)


_CONTROL = r"[\x00-\x08\x0b-\x1f\x{FFFE}\x{FFFF}]|_x[0-9a-fA-F]{4}_"
#: Excel's limit of characters in one cell.
_MAX_CELL_TEXT = 32767


def _col_letter(col: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(col)


def _joined(arr) -> memoryview:
    """The UTF-8 bytes of a null-free pyarrow string array, concatenated (a view of its data buffer)."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    return memoryview(arr.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def _cells_xml(s: pd.Series, letter: str, numbers, fmt, writer: SheetWriter):
    """The ``<c>`` elements of one column, as xlsxwriter writes them in constant-memory mode.

    Returns a pyarrow string array (one element per row; "" for a blank cell without format).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    style = "" if fmt is None else f' s="{fmt._get_xf_index()}"'
    head = f'<c r="{letter}'  # then the row number: the cell's reference

    def or_blank(present, cells):
        """``cells`` where ``present``, else a blank cell (with the format) or nothing."""
        if present.all():
            return cells
        blank = "" if fmt is None else pc.binary_join_element_wise(head, numbers, f'"{style}/>', "")
        return pc.if_else(pa.array(present), cells, blank)

    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        v = pa.array(np.where(s.to_numpy(dtype=bool), "1", "0"))
        return pc.binary_join_element_wise(head, numbers, f'"{style} t="b"><v>', v, "</v></c>", "")
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        a = s.to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(a)
        text = pc.cast(pa.array(np.where(ok, a, 0.0)), pa.string())
        cells = pc.binary_join_element_wise(head, numbers, f'"{style}><v>', text, "</v></c>", "")
        return or_blank(ok, cells)
    if s.dtype == object:
        values = s.tolist()
        is_number = np.array(
            [isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) for v in values],
            dtype=bool,
        )
        if is_number.any():  # a mixed column (e.g. a summary's values): numbers stay numbers
            numeric = pd.Series(
                [v if k else np.nan for v, k in zip(values, is_number, strict=True)], dtype=float
            )
            text = pd.Series([None if k else v for v, k in zip(values, is_number, strict=True)], dtype=object)
            as_number = _cells_xml(numeric, letter, numbers, fmt, writer)
            as_text = _cells_xml(text, letter, numbers, fmt, writer)
            return pc.if_else(pa.array(is_number), as_number, as_text)
    t = _as_text(s)
    if len(t) > 0:
        t = pc.utf8_slice_codeunits(t, 0, _MAX_CELL_TEXT)
    present = pc.fill_null(pc.greater(pc.utf8_length(t), 0), False).to_numpy(zero_copy_only=False)
    if not present.any():
        return or_blank(present, pa.array([""] * len(s), type=pa.string()))
    t = pc.fill_null(t, "")
    risky = _risky(t)
    control = pc.match_substring_regex(t, _CONTROL).to_numpy(zero_copy_only=False)
    if control.any():
        from xlsxwriter.xmlwriter import XMLwriter

        values = t.to_pylist()
        for i in np.flatnonzero(control):
            values[i] = XMLwriter._escape_control_characters(values[i])
        t = pa.array(values, type=pa.string())
    t = pc.replace_substring(t, "&", "&amp;")
    t = pc.replace_substring(t, "<", "&lt;")
    t = pc.replace_substring(t, ">", "&gt;")
    preserve = pc.match_substring_regex(t, r"^\s|\s$")
    opening = pc.if_else(preserve, '<t xml:space="preserve">', "<t>") if pc.any(preserve).as_py() else "<t>"
    if risky.any():
        quoted = f' s="{writer.quoted(fmt)._get_xf_index()}"'
        parts = ['"', pa.array(np.where(risky, quoted, style)), ' t="inlineStr"><is>']
    else:
        parts = [f'"{style} t="inlineStr"><is>']
    cells = pc.binary_join_element_wise(head, numbers, *parts, opening, t, "</t></is></c>", "")
    return or_blank(present, cells)
