"""Output writing (planner.io.writing): streamed rows, inert text, safe names, staged folders."""

from __future__ import annotations

import math
import re
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.io.writing import (
    SheetWriter,
    formula_like,
    neutralise_text,
    new_workbook,
    safe_filename,
    staged_output,
)

TRICKY = [
    "plain",
    "=1+1",
    "+x",
    "-x",
    "-12.5",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "  leading and trailing  ",
    "a & b < c > d \" '",
    "ctrl\x01\x02char",
    "_x0041_ literal escape",
    "换行\n第二行",
    "",
    None,
    "x" * 40_000,
    "emoji 😀 and 中文",
]


def _write(path, frame: pd.DataFrame, fast: bool, first_row: int = 2):
    wb = new_workbook(path)
    ws = wb.add_worksheet("s")
    w = SheetWriter(wb, ws)
    w.text(0, 0, "title", w.format(bold=True))
    fmts = [w.format(border=1), None, w.format(num_format="0.000"), w.format(text_wrap=True)][
        : len(frame.columns)
    ]
    fmts += [None] * (len(frame.columns) - len(fmts))
    if fast:
        w.frame(frame, first_row, fmts)
    else:
        w.frame_cells(frame, first_row, fmts)
    w.text(first_row + len(frame) + 1, 0, "after", None)
    wb.close()
    return path


def _cells(path):
    """Every cell as (value, type, quote prefix, number format, border); floats to 15 digits
    (xlsxwriter's own API writes 16 significant digits, the streamed rows the exact shortest repr)."""
    ws = openpyxl.load_workbook(path)["s"]

    def value(v):
        return float(f"{v:.15g}") if isinstance(v, float) else v

    return [
        [
            (value(c.value), c.data_type, bool(c.quotePrefix), c.number_format, c.border.left.style)
            for c in row
        ]
        for row in ws.iter_rows()
    ]


def _unescape(text: str) -> str:
    """Excel's reading of ``_xHHHH_`` escapes (what Excel shows for a stored text)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _frame(texts):
    n = len(texts)
    return pd.DataFrame(
        {
            "text": pd.Series(texts, dtype=object),
            "num": np.linspace(-2.5, 3.0, n),
            "float": pd.Series([math.nan, math.inf, -1.0, 1e20, 0.1 + 0.2, 7.0] * n)[:n].to_numpy(),
            "mixed": pd.Series([1, "a", 2.5, None, "=x", -3] * n, dtype=object)[:n],
            "int": np.arange(n, dtype=np.int64) - 3,
            "bool": np.arange(n) % 2 == 0,
        }
    )


def test_streamed_rows_equal_the_cell_by_cell_api(tmp_path):
    frame = _frame(TRICKY)
    fast = _cells(_write(tmp_path / "fast.xlsx", frame, True))
    slow = _cells(_write(tmp_path / "slow.xlsx", frame, False))
    assert fast == slow
    body = fast[2 : 2 + len(TRICKY)]
    by_text = {row[0][0]: row[0] for row in body}
    # control characters are stored as Excel's _xHHHH_ escapes (openpyxl shows them raw)
    assert {"_x000D_=1", "ctrl_x0001__x0002_char", "_x005F_x0041_ literal escape"} <= set(by_text)
    for text in ("=1+1", "+x", "-x", "@SUM(A1)", "\t=1", "_x000D_=1"):
        assert by_text[text][1] == "s" and by_text[text][2], text  # text with the quote prefix
    assert not by_text["-12.5"][2] and not by_text["plain"][2]
    assert _unescape("ctrl_x0001__x0002_char") == "ctrl\x01\x02char"
    assert _unescape("_x005F_x0041_ literal escape") == "_x0041_ literal escape"
    assert by_text["  leading and trailing  "][0] == "  leading and trailing  "
    assert len(by_text["x" * 32767][0]) == 32767  # Excel's cell limit
    assert [row[1][0] for row in body][:2] == [-2.5, pytest.approx(-2.5 + 5.5 / 16)]
    floats = [row[2][0] for row in body[:6]]
    assert floats[0] is None and floats[1] is None and floats[2:] == [-1, 1e20, pytest.approx(0.1 + 0.2), 7]
    assert [row[3][0] for row in body[:6]] == [1, "a", 2.5, None, "=x", -3]
    assert body[4][3][2]  # "=x" in a mixed column is quoted too
    assert [row[4][0] for row in body[:4]] == [-3, -2, -1, 0]
    assert [row[5][0] for row in body[:2]] == [True, False]
    with zipfile.ZipFile(tmp_path / "fast.xlsx") as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=8))
def test_streamed_text_round_trips(tmp_path, texts):
    path = _write(tmp_path / "h.xlsx", pd.DataFrame({"t": pd.Series(texts, dtype=object)}), True, first_row=1)
    ws = openpyxl.load_workbook(path)["s"]
    got = [ws.cell(2 + i, 1) for i in range(len(texts))]
    for text, cell in zip(texts, got, strict=True):
        if text in (None, ""):
            assert cell.value is None
            continue
        assert _unescape(cell.value) == text
        assert cell.data_type == "s" and bool(cell.quotePrefix) == formula_like(text)


def test_frame_refuses_rows_already_written(tmp_path):
    wb = new_workbook(tmp_path / "x.xlsx")
    ws = wb.add_worksheet("s")
    w = SheetWriter(wb, ws)
    w.text(5, 0, "row 6")
    w.text(6, 0, "row 7")
    with pytest.raises(ValueError, match="row order"):
        w.frame(pd.DataFrame({"a": [1, 2]}), 3)
    wb.close()


def test_neutralise_text_and_formula_like():
    assert [neutralise_text(t) for t in ("=1", "+a", "-a", "@a", "\ta", "\ra", "-1", "+2.5e3", "a")] == [
        "'=1",
        "'+a",
        "'-a",
        "'@a",
        "'\ta",
        "'\ra",
        "-1",
        "+2.5e3",
        "a",
    ]
    assert neutralise_text(None) is None and neutralise_text(-2.0) == -2.0


@given(st.text(min_size=0, max_size=400))
def test_safe_filename_stays_inside(tmp_path_factory, name):
    base = tmp_path_factory.getbasetemp()
    safe = safe_filename(name)
    assert safe and safe not in (".", "..") and not safe.startswith(".")
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert len(safe.encode("utf-8")) <= 120
    assert (base / safe).resolve().parent == base.resolve()
    if safe == name:
        assert name and not name.startswith(".")
    else:
        assert safe != safe_filename(name + "x") or len(name.encode()) > 200


def test_safe_filename_examples():
    assert safe_filename("E0001") == "E0001"
    assert safe_filename("../../escaped_E0001").startswith("_.._escaped_E0001-")
    assert safe_filename("a/b") != safe_filename("a_b") == "a_b"
    assert safe_filename("CON").startswith("_CON-") and safe_filename("nul.txt").startswith("_nul.txt-")
    long = safe_filename("E" * 300)
    assert len(long) <= 120 and long != safe_filename("E" * 301)
    assert safe_filename("企业" * 100).encode("utf-8").__len__() <= 120


def _fail_while_staging(target):
    with staged_output(target) as stage:
        (stage / "a.txt").write_text("3")
        raise RuntimeError("boom")


def test_staged_output_moves_on_success_and_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out"
    with staged_output(target) as stage:
        (stage / "a.txt").write_text("1")
        (stage / "sub").mkdir()
        (stage / "sub" / "old.txt").write_text("x")
    assert (target / "a.txt").read_text() == "1" and (target / "sub" / "old.txt").is_file()
    (target / "mine.txt").write_text("keep")
    with staged_output(target) as stage:
        (stage / "a.txt").write_text("2")
        (stage / "sub").mkdir()
        (stage / "sub" / "new.txt").write_text("y")
    assert (target / "a.txt").read_text() == "2" and (target / "mine.txt").read_text() == "keep"
    assert sorted(p.name for p in (target / "sub").iterdir()) == ["new.txt"]  # a folder is replaced whole
    with pytest.raises(RuntimeError, match="boom"):
        _fail_while_staging(target)
    assert (target / "a.txt").read_text() == "2"
    with pytest.raises(RuntimeError, match="boom"):
        _fail_while_staging(tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --------------------------------------------------------------------------- write_csv
_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 0.1, 1e16, 1e-5, 1e15, 9999999999999998.0, 5e-324, 2.5e-7]),
    st.sampled_from([1e-4, -1e-4, 0.00010000000000000002, 9.999999999999999e-05, 184.0, -3.0]),
    st.sampled_from([9999999999.0, 9999999999.999998, 1e10, 1e10 + 0.5, 123456.789, 1.5e-6]),
    st.floats(min_value=-1e11, max_value=1e11),
)
_TEXTS = st.one_of(
    st.none(), st.sampled_from([*TRICKY[:-1], "a,b", '"q"', "x\r\ny", "", " ", "编号,名称"]), st.text()
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(_FLOATS, st.integers(-(2**62), 2**62), st.booleans(), _TEXTS), max_size=25),
    chunk=st.integers(1, 7),
)
def test_write_csv_is_byte_for_byte_pandas(tmp_path, monkeypatch, rows, chunk):
    """write_csv writes exactly what DataFrame.to_csv(index=False) writes, over chunk boundaries."""
    import planner.io.writing as writing

    monkeypatch.setattr(writing, "_CSV_CHUNK", chunk)
    f, i, b, t = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [], [])
    df = pd.DataFrame(
        {
            "x": np.array(f, dtype=float),
            "n": np.array(i, dtype=np.int64),
            "flag": np.array(b, dtype=bool),
            "text": pd.Series(t, dtype=object),
            "name, 中文": pd.Series([None if v is None else str(v) for v in t], dtype="str"),
        }
    )
    ours, theirs = tmp_path / "ours.csv", tmp_path / "pandas.csv"
    writing.write_csv(df, ours)
    df.to_csv(theirs, index=False, encoding="utf-8")
    assert ours.read_bytes() == theirs.read_bytes()


def test_write_csv_hands_other_column_types_to_pandas(tmp_path):
    """Dates, categoricals, float32 and mixed objects: the file is still pandas' own."""
    df = pd.DataFrame(
        {
            "when": pd.to_datetime(["2026-12-01", None, "2026-12-03"]),
            "kind": pd.Categorical(["a", "b", "a"]),
            "f32": np.array([0.1, 2.5, np.nan], dtype=np.float32),
            "mixed": pd.Series([1, "x", 2.5], dtype=object),
        }
    )
    for cols in (["when", "kind"], ["f32", "kind"], ["mixed", "kind"]):
        ours, theirs = tmp_path / "ours.csv", tmp_path / "pandas.csv"
        from planner.io.writing import write_csv

        write_csv(df[cols], ours)
        df[cols].to_csv(theirs, index=False, encoding="utf-8")
        assert ours.read_bytes() == theirs.read_bytes()


def test_workbooks_are_deflated_at_the_fast_level(tmp_path):
    """new_workbook stores its package deflated (level WORKBOOK_COMPRESSLEVEL) and it reads back."""
    import zlib

    from planner.io.writing import WORKBOOK_COMPRESSLEVEL

    path = tmp_path / "big.xlsx"
    wb = new_workbook(path)
    ws = wb.add_worksheet("s")
    w = SheetWriter(wb, ws)
    df = pd.DataFrame({"v": np.arange(20000) * 0.37, "t": [f"firm {k}" for k in range(20000)]})
    w.frame(df, 0, header_format=w.format(bold=True))
    wb.close()
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        raw = z.read(info)
        assert info.compress_type == zipfile.ZIP_DEFLATED
    c = zlib.compressobj(WORKBOOK_COMPRESSLEVEL, zlib.DEFLATED, -15)
    assert info.compress_size == len(c.compress(raw) + c.flush())
    got = openpyxl.load_workbook(path, read_only=True)["s"]
    rows = list(got.iter_rows(values_only=True))
    assert rows[0] == ("v", "t") and rows[-1] == (19999 * 0.37, "firm 19999") and len(rows) == 20001
