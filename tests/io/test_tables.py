"""Generic table reading: encodings, delimiters, header detection, row numbers, non-tables."""

from __future__ import annotations

import codecs

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.inventory.table import header_score
from planner.io.tables import decode_bytes, detect_delimiter, read_table
from planner.problems import InputError

ZH_TEXT = "企业名称,区县\n甲水泥厂,莲池区\n乙焦化,满城区\n"


def _write_bytes(tmp_path, data: bytes, name="t.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _only_problem(exc_info) -> str:
    problems = exc_info.value.problems
    assert len(problems.errors) == 1
    return problems.errors[0].message


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ZH_TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + ZH_TEXT.encode("utf-8"), "utf-8-sig"),
        (ZH_TEXT.encode("gbk"), "gb18030"),
        ((ZH_TEXT + "丙𠮷企业,易县\n").encode("gb18030"), "gb18030"),
        (codecs.BOM_UTF16_LE + ZH_TEXT.encode("utf-16-le"), "utf-16"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb18030-4byte", "utf16"],
)
def test_encodings_detected_from_bytes(tmp_path, data, encoding):
    # The extension says nothing: a GBK file named .txt is read the same way.
    table = read_table(_write_bytes(tmp_path, data, "list.txt"))
    assert table.encoding == encoding
    assert table.headers == ["企业名称", "区县"]
    assert table.frame.iloc[0].tolist() == ["甲水泥厂", "莲池区"]
    assert table.frame.iloc[1].tolist() == ["乙焦化", "满城区"]


def test_decode_bytes_prefers_utf8_over_gb18030():
    text = "名称,值\n甲,1\n"
    assert decode_bytes(text.encode("utf-8")) == (text, "utf-8")
    assert decode_bytes(text.encode("gbk")) == (text, "gb18030")


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiters(tmp_path, delimiter):
    text = delimiter.join(["name", "county", "SO2"]) + "\n" + delimiter.join(["A, Ltd", "x", "1,5"]) + "\n"
    if delimiter == ",":
        text = 'name,county,SO2\n"A, Ltd",x,"1,5"\n'
    table = read_table(_write_bytes(tmp_path, text.encode()))
    assert table.delimiter == delimiter
    assert table.frame.iloc[0].tolist() == ["A, Ltd", "x", "1,5"]


def test_detect_delimiter_none_for_prose():
    assert detect_delimiter("just words\nmore words\n") is None


def test_values_are_raw_strings(tmp_path):
    table = read_table(_write_bytes(tmp_path, b"a,b,c\n007, 1.50 ,\n"))
    assert table.frame.iloc[0].tolist() == ["007", " 1.50 ", ""]


def test_row_numbers_count_header_blank_lines_and_quoted_newlines(tmp_path):
    text = 'name,note\nA,"two\nlines"\n\nB,x\n,\nC,y\n'
    table = read_table(_write_bytes(tmp_path, text.encode()))
    # Row 1 header; row 2 A (one record, even with an embedded line break); row 3 blank;
    # row 4 B; row 5 only empty cells (skipped); row 6 C.
    assert table.rows == [2, 4, 6]
    assert table.frame[0].tolist() == ["A", "B", "C"]
    assert table.header_rows == [1]


def test_title_row_above_header_is_skipped(tmp_path):
    text = "某市重污染天气应急减排清单,,,\n企业名称,区县,行业类别,绩效等级\n甲,莲池区,水泥,B\n"
    table = read_table(_write_bytes(tmp_path, text.encode("gbk")), scorer=header_score)
    assert table.header_rows == [2]
    assert table.headers == ["企业名称", "区县", "行业类别", "绩效等级"]
    assert table.rows == [3]


def test_two_row_header_in_csv(tmp_path):
    text = "企业名称,排放量（吨/年）,,,,绩效等级\n,二氧化硫,氮氧化物,颗粒物,VOCs,\n甲,1,2,3,4,B\n"
    table = read_table(_write_bytes(tmp_path, text.encode("gbk")), scorer=header_score)
    assert table.header_rows == [1, 2]
    assert table.headers == [
        "企业名称",
        "排放量（吨/年）/二氧化硫",
        "排放量（吨/年）/氮氧化物",
        "排放量（吨/年）/颗粒物",
        "排放量（吨/年）/VOCs",
        "绩效等级",
    ]
    assert table.header_parts[1] == ("排放量（吨/年）", "二氧化硫")
    assert table.rows == [3]


def test_one_row_header_not_mistaken_for_two(tmp_path):
    text = "企业名称,二氧化硫,绩效等级\n甲,1,B\n乙,2,C\n"
    table = read_table(_write_bytes(tmp_path, text.encode()), scorer=header_score)
    assert table.header_rows == [1]
    assert table.rows == [2, 3]


def _chinese_workbook(path):
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes["A1"] = "请按要求填写"
    ws = wb.create_sheet("应急减排清单")
    ws.append(["某市2025年重污染天气应急减排清单"])
    ws.merge_cells("A1:H1")
    ws.append(["序号", "企业名称", "统一社会信用代码", "排放量（吨/年）", None, None, None, "绩效等级"])
    ws.append([None, None, None, "二氧化硫", "氮氧化物", "颗粒物", "VOCs", None])
    for col in "ABCH":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("D2:G2")
    ws.append([1, "甲水泥", "91350100M000100Y43", 12.5, 30, 0, 1, "B"])
    ws.append([])
    ws.append([2, "乙焦化", "911101080000000007", 1, 2, 3, 4, "A"])
    wb.save(path)
    return path


def test_xlsx_merged_two_row_header_and_excel_row_numbers(tmp_path):
    table = read_table(_chinese_workbook(tmp_path / "list.xlsx"), scorer=header_score)
    assert table.sheet == "应急减排清单"  # the sheet whose header names the most fields
    assert table.header_rows == [2, 3]
    assert table.headers[3:7] == [
        "排放量（吨/年）/二氧化硫",
        "排放量（吨/年）/氮氧化物",
        "排放量（吨/年）/颗粒物",
        "排放量（吨/年）/VOCs",
    ]
    assert table.headers[1] == "企业名称"  # vertically merged cell: one part
    assert table.rows == [4, 6]
    assert table.frame.loc[4].tolist() == ["1", "甲水泥", "91350100M000100Y43", "12.5", "30", "0", "1", "B"]


def test_xlsx_detected_by_content_not_extension(tmp_path):
    src = _chinese_workbook(tmp_path / "list.xlsx")
    renamed = tmp_path / "list.csv"
    renamed.write_bytes(src.read_bytes())
    assert read_table(renamed, scorer=header_score).sheet == "应急减排清单"


def test_xlsx_without_scorer_uses_first_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    wb.active.append([1, 2.5])
    wb.save(tmp_path / "x.xlsx")
    table = read_table(tmp_path / "x.xlsx")
    assert table.frame.iloc[0].tolist() == ["1", "2.5"]


def test_extra_cells_beyond_header_are_reported(tmp_path):
    table = read_table(_write_bytes(tmp_path, b"a,b\n1,2\n3,4,5\n"))
    [problem] = table.problems.errors
    assert (problem.row, problem.column) == (3, "C")
    assert "has only 2 columns" in problem.message and "'5'" in problem.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty"),
        (b"  \r\n\n ", "the file is empty"),
        (codecs.BOM_UTF8, "the file is empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "the file is not a table: it looks like a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "the file is not a table: it looks like a PNG image"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
            "the file is not a table: it looks like an old binary Excel (.xls) or Word file",
        ),
    ],
    ids=["zero-bytes", "blank-lines", "bom-only", "pdf", "png", "xls"],
)
def test_not_tables_have_clear_messages(tmp_path, data, expected):
    with pytest.raises(InputError) as exc_info:
        read_table(_write_bytes(tmp_path, data))
    assert _only_problem(exc_info).startswith(expected)


def test_binary_garbage(tmp_path):
    data = bytes(range(256)) * 8
    with pytest.raises(InputError) as exc_info:
        read_table(_write_bytes(tmp_path, data))
    assert _only_problem(exc_info).startswith("the file is not a table: its bytes are not text")


def test_prose_text_file(tmp_path):
    with pytest.raises(InputError) as exc_info:
        read_table(_write_bytes(tmp_path, "这是一份说明文字\n没有任何表格\n".encode()))
    assert _only_problem(exc_info) == (
        "the file is not a table: no line splits into columns by comma, tab or semicolon"
    )


def test_ragged_text_file(tmp_path):
    text = (
        "Dear colleagues, please find the list attached.\n"
        "It was compiled last week\nby the county offices\nand checked twice\n"
        "Regards\n"
    )
    with pytest.raises(InputError) as exc_info:
        read_table(_write_bytes(tmp_path, text.encode()))
    assert "the file is not a table" in _only_problem(exc_info)


def test_unreadable_xlsx(tmp_path):
    with pytest.raises(InputError) as exc_info:
        read_table(_write_bytes(tmp_path, b"PK\x03\x04" + b"\x00garbage" * 20, "broken.xlsx"))
    assert _only_problem(exc_info).startswith("the file cannot be opened as an Excel workbook (.xlsx)")


def test_empty_workbook(tmp_path):
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(InputError) as exc_info:
        read_table(tmp_path / "empty.xlsx")
    assert _only_problem(exc_info) == "the workbook is empty (no sheet has any cells)"


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError) as exc_info:
        read_table(tmp_path / "nope.csv")
    assert _only_problem(exc_info) == "the file does not exist"
    with pytest.raises(InputError) as exc_info:
        read_table(tmp_path)
    assert _only_problem(exc_info) == "this is a folder, not a file"


def test_header_only(tmp_path):
    table = read_table(_write_bytes(tmp_path, b"a,b,c\n"))
    assert table.frame.empty and table.headers == ["a", "b", "c"]


def test_column_numbering_row_is_part_of_the_header(tmp_path):
    text = "企业名称,区县,绩效等级,二氧化硫,氮氧化物\n(1),(2),(3),(4),(5)\n甲,莲池区,B,1,2\n"
    table = read_table(_write_bytes(tmp_path, text.encode()), scorer=header_score)
    assert table.header_rows == [1, 2]
    assert table.rows == [3]
    assert table.headers == ["企业名称", "区县", "绩效等级", "二氧化硫", "氮氧化物"]


@pytest.mark.parametrize("text", [b"a,b,c,d,e\n1,2,3,5,6\n", b"a,b,c\n1,2,3\n", b"a,b,c,d,e\n2,3,4,5,6\n"])
def test_a_data_row_is_not_mistaken_for_numbering(tmp_path, text):
    table = read_table(_write_bytes(tmp_path, text))
    assert table.rows == [2]


def test_xlsx_cells_merged_over_data_rows_belong_to_each_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["区县", "企业名称"])
    ws.append(["莲池区", "甲"])
    ws.append([None, "乙"])
    ws.merge_cells("A2:A3")
    wb.save(tmp_path / "m.xlsx")
    table = read_table(tmp_path / "m.xlsx")
    assert table.frame[0].tolist() == ["莲池区", "莲池区"]


def test_charset_normalizer_is_the_last_resort(tmp_path):
    # Neither UTF-8 nor GB18030 (0xE9 followed by "," is not a GB18030 pair).
    data = "name,county\nCafé Müller,Köln\nBäckerei Süß,München\n".encode("cp1252")
    table = read_table(_write_bytes(tmp_path, data))
    assert table.encoding not in ("utf-8", "gb18030")
    assert table.frame[0].tolist() == ["Café Müller", "Bäckerei Süß"]


EQUIVALENCE_CASES = {
    "plain": "name,county,SO2\nA,x,1\nB,y,2\n",
    "blank-rows-and-quotes": 'name,note,SO2\nA,"two\nlines",1\n\n,,\nB,"x, y",2\n',
    "trailing-empty-header": "name,county,\nA,x,\nB,y,surplus\n",
    "two-row-header": "企业名称,排放量（吨/年）,,\n,二氧化硫,氮氧化物,\n甲,1,2,\n",
    "numbering-row": "企业名称,区县,绩效等级,二氧化硫,氮氧化物\n1,2,3,4,5\n甲,莲池区,B,1,2\n",
    "semicolon": "name;county;SO2\nA;x;1,5\n",
}


@pytest.mark.parametrize("case", sorted(EQUIVALENCE_CASES))
def test_fast_and_csv_module_paths_agree(tmp_path, monkeypatch, case):
    import planner.io.tables as tables

    path = _write_bytes(tmp_path, EQUIVALENCE_CASES[case].encode("utf-8"))
    fast = read_table(path, scorer=header_score)
    assert tables._fast_frame(EQUIVALENCE_CASES[case], fast.delimiter) is not None  # the fast path ran
    monkeypatch.setattr(tables, "_fast_frame", lambda text, delimiter: None)
    slow = read_table(path, scorer=header_score)
    assert (fast.headers, fast.header_parts, fast.header_rows) == (
        slow.headers,
        slow.header_parts,
        slow.header_rows,
    )
    assert fast.rows == slow.rows
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert list(fast.problems) == list(slow.problems)


def test_trailing_headerless_cells_reported_on_fast_path(tmp_path):
    table = read_table(_write_bytes(tmp_path, b"name,county,\nA,x,\nB,y,surplus\n"))
    assert [(p.row, p.column, p.message) for p in table.problems] == [
        (3, "C", "the row has 3 cells but the header has only 2 columns; the value 'surplus' has no column")
    ]


def test_large_workbooks_read_only_mode_gives_the_same_table(tmp_path, monkeypatch):
    import planner.io.tables as tables

    path = _chinese_workbook(tmp_path / "list.xlsx")
    full = read_table(path, scorer=header_score)
    monkeypatch.setattr(tables, "XLSX_FULL_LOAD_LIMIT", 0)  # no merged-cell information
    lean = read_table(path, scorer=header_score)
    assert (lean.sheet, lean.header_rows, lean.headers) == (full.sheet, full.header_rows, full.headers)
    pd.testing.assert_frame_equal(lean.frame, full.frame)


# ---------------------------------------------------------------------------------------------
# issue 14: hangs, silent losses and vague messages


def _list_workbook(path, *, stray=None, extra_sheets=(), formulas=False):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "清单"
    ws.append(["企业名称", "区县", "二氧化硫", "氮氧化物"])
    ws.append(["甲", "莲池区", 1, 2])
    ws.append(["乙", "满城区", 3, "=C2+C3" if formulas else 4])
    if stray:
        ws[stray] = "x"
    for title, rows in extra_sheets:
        other = wb.create_sheet(title)
        for r in rows:
            other.append(r)
    wb.save(path)
    return path


@pytest.mark.parametrize("read_only", [False, True], ids=["full-load", "read-only"])
def test_stray_cell_at_xfd1048576_is_bounded_with_a_warning(tmp_path, monkeypatch, read_only):
    import time

    import planner.io.tables as tables

    if read_only:
        monkeypatch.setattr(tables, "XLSX_FULL_LOAD_LIMIT", 0)
    path = _list_workbook(tmp_path / "stray.xlsx", stray="XFD1048576")
    start = time.perf_counter()
    table = read_table(path, scorer=header_score)
    elapsed = time.perf_counter() - start
    assert elapsed < 15  # was > 60 s and 4 GiB: the whole declared range was walked
    assert table.rows == [2, 3] and table.headers == ["企业名称", "区县", "二氧化硫", "氮氧化物"]
    [warning] = table.problems.warnings
    assert (warning.row, warning.column) == (1048576, "XFD")
    assert "lie far outside the table" in warning.message and "XFD1048576 ('x')" in warning.message
    assert table.problems.ok


def test_stray_cell_beside_the_table_is_bounded(tmp_path):
    table = read_table(_list_workbook(tmp_path / "side.xlsx", stray="ZZ2"), scorer=header_score)
    assert len(table.headers) == 4 and table.rows == [2, 3]
    assert [(w.row, w.column) for w in table.problems.warnings] == [(2, "ZZ")]


def test_wide_sheet_and_large_file_limits(tmp_path, monkeypatch):
    import planner.io.tables as tables

    wb = openpyxl.Workbook()
    wb.active.append([f"c{i}" for i in range(60)])
    wb.active.append(list(range(60)))
    wb.save(tmp_path / "wide.xlsx")
    monkeypatch.setattr(tables, "MAX_COLUMNS", 50)
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "wide.xlsx")
    assert (
        _only_problem(exc) == "sheet 'Sheet' has 60 columns; the planner reads tables of at most 50 columns"
    )
    monkeypatch.setattr(tables, "MAX_FILE_BYTES", 100)
    with pytest.raises(InputError) as exc:
        read_table(_write_bytes(tmp_path, b"a,b\n" + b"1,2\n" * 100))
    assert _only_problem(exc).startswith("the file is 0 MiB; the planner reads tables of at most 0 MiB")


def test_zip_bomb_workbook_is_refused(tmp_path, monkeypatch):
    import planner.io.tables as tables

    path = _list_workbook(tmp_path / "list.xlsx")
    monkeypatch.setattr(tables, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(InputError) as exc:
        read_table(path)
    assert "the workbook unpacks to" in _only_problem(exc)


def test_formulas_without_saved_results_warn_with_their_cells(tmp_path):
    # openpyxl writes formulas without results, as scripts and some exporters do.
    table = read_table(_list_workbook(tmp_path / "f.xlsx", formulas=True), scorer=header_score)
    assert table.frame.loc[3].tolist() == ["乙", "满城区", "3", ""]
    [warning] = table.problems.warnings
    assert (warning.row, warning.column) == (3, "D")
    assert "1 formula cell(s) have no saved result and read as blank: D3 (=C2+C3)" in warning.message


def test_list_continued_on_a_second_sheet_with_the_same_header_is_read_whole(tmp_path):
    header = ["企业名称", "区县", "二氧化硫", "氮氧化物"]
    path = _list_workbook(tmp_path / "two.xlsx", extra_sheets=[("清单2", [header, ["丙", "易县", 5, 6]])])
    table = read_table(path, scorer=header_score)
    assert table.frame[0].tolist() == ["甲", "乙", "丙"]
    assert table.rows == [2, 3, 2]
    assert table.row_files.tolist() == [f"{path} [清单]", f"{path} [清单]", f"{path} [清单2]"]
    [note] = table.problems.warnings
    assert (
        "continues over 2 sheets with the same header ('清单', '清单2'); all 3 rows are read" in note.message
    )


def test_second_sheet_with_a_different_table_is_named_not_dropped_silently(tmp_path):
    other = [["企业名称", "区县", "二氧化硫", "颗粒物"], ["丙", "易县", 5, 6]]
    path = _list_workbook(tmp_path / "other.xlsx", extra_sheets=[("补充", other)])
    table = read_table(path, scorer=header_score)
    assert table.sheet == "清单" and table.rows == [2, 3]
    [warning] = table.problems.warnings
    assert "sheet '补充' also looks like a table" in warning.message and "is not read" in warning.message


@pytest.mark.parametrize("fast", [True, False], ids=["pandas", "csv-module"])
def test_repeated_header_row_is_skipped_with_a_warning(tmp_path, monkeypatch, fast):
    import planner.io.tables as tables

    if not fast:
        monkeypatch.setattr(tables, "_fast_frame", lambda text, delimiter: None)
    text = "name,county,SO2\nA,x,1\nname,county,SO2\nB,y,2\n"
    table = read_table(_write_bytes(tmp_path, text.encode()))
    assert table.frame[0].tolist() == ["A", "B"] and table.rows == [2, 4]
    assert [(w.row, w.message) for w in table.problems.warnings] == [
        (3, "this row repeats the header (lists pasted together or printed pages); it is not read as data")
    ]


def test_single_bad_byte_is_named_by_line_and_offset(tmp_path):
    good = "企业名称,区县\n甲水泥厂,莲池区\n乙焦化,满城区\n丙化工,易县\n".encode()
    offset = good.index("乙".encode()) + 1  # break the middle byte of a character on line 3
    data = good[:offset] + b"\xff" + good[offset + 1 :]
    with pytest.raises(InputError) as exc:
        read_table(_write_bytes(tmp_path, data))
    [problem] = exc.value.problems.errors
    assert problem.row == 3
    # the broken character 乙 (E4 B9 99): its lead byte, the 0xFF and its last byte
    assert problem.message.startswith(
        f"bytes E4 FF 99 at byte offset {offset - 1} (line 3) are not valid UTF-8"
    )


def test_bad_byte_in_a_gbk_file_is_named(tmp_path):
    good = "企业名称,区县\n甲水泥厂,莲池区\n乙焦化,满城区\n".encode("gbk")
    data = good.replace("焦".encode("gbk"), b"\xff\xff")
    with pytest.raises(InputError) as exc:
        read_table(_write_bytes(tmp_path, data))
    assert {p.row for p in exc.value.problems.errors} == {3}
    assert (
        "FF FF at byte offset 32 (line 3) are not valid GBK/GB18030" in exc.value.problems.errors[0].message
    )


def test_nul_character_is_named_by_line(tmp_path):
    data = "企业名称,区县\n甲水泥厂,莲池区\n乙焦化,满\x00城区\n".encode()
    with pytest.raises(InputError) as exc:
        read_table(_write_bytes(tmp_path, data))
    [problem] = exc.value.problems.errors
    assert problem.row == 3 and problem.message.startswith("line 3 contains a NUL character")


def test_formulas_with_saved_results_read_their_values_without_warning(tmp_path):
    import zipfile

    src = _list_workbook(tmp_path / "f.xlsx", formulas=True)
    out = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.startswith("xl/worksheets/"):
                assert b"<f>C2+C3</f><v />" in data
                data = data.replace(b"<f>C2+C3</f><v />", b"<f>C2+C3</f><v>4</v>")  # as Excel saves it
            zout.writestr(item, data)
    table = read_table(out, scorer=header_score)
    assert table.frame.loc[3].tolist() == ["乙", "满城区", "3", "4"]
    assert len(table.problems) == 0


def test_csv_padded_with_thousands_of_trailing_commas_reads_quickly(tmp_path):
    # A sheet with a stray cell at XFD1 saved as CSV: every row ends in 16,383 commas.
    pad = "," * 16383
    text = f"name,county,SO2{pad[3:]}\nA,x,1{pad[3:]}\nB,y,2{pad[3:]}\n"
    table = read_table(_write_bytes(tmp_path, text.encode()))
    assert table.headers == ["name", "county", "SO2"] and table.frame[2].tolist() == ["1", "2"]


def test_csv_wider_than_the_column_limit_names_the_line(tmp_path):
    wide = ",".join(str(i) for i in range(3000))
    with pytest.raises(InputError) as exc:
        read_table(_write_bytes(tmp_path, f"name,county\nA,x\n{wide}\n".encode()))
    [problem] = exc.value.problems.errors
    assert problem.row == 3 and problem.message.startswith("line 3 has 3,000 cells")


_CELLS = st.one_of(
    st.sampled_from(
        ["", " ", "a", "1", "01", "NA", "null", "-", "企业,名称", 'say "hi"', "x\ny", "x\r\ny", "  pad  "]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=6),
)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.lists(_CELLS, min_size=2, max_size=4), min_size=1, max_size=8),
    ragged=st.booleans(),
    end=st.sampled_from(["\n", "\r\n", ""]),
)
def test_arrow_parser_gives_the_pandas_frame(rows, ragged, end):
    """Where pyarrow parses a text (large lists), it gives exactly the frame pandas' C parser gives."""
    import csv
    import io

    from planner.io.tables import _arrow_frame, _pandas_frame

    width = len(rows[0])
    if not ragged:
        rows = [(r + [""] * width)[:width] for r in rows]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    text = buf.getvalue().replace("\n", end) if end != "\n" else buf.getvalue()
    ours = _arrow_frame(text, ",")
    if ours is None:
        return  # pyarrow refused: the pandas parser (or the csv module) reads it as before
    theirs = _pandas_frame(text, ",")
    assert theirs is not None
    pd.testing.assert_frame_equal(ours, theirs)
