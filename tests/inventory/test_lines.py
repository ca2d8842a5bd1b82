"""The lines table (planner.inventory.lines): reading, validation, decision units, the one-row-per-line layout."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner.inventory.lines as lines_mod
from planner import POLLUTANTS
from planner.inventory.creditcode import make_credit_code
from planner.inventory.lines import (
    DEFAULT_PROCESSES,
    LINE_COLUMNS,
    SHARE_COLUMNS,
    UNIT_COLUMNS,
    load_line_schema,
    read_inventory_with_lines,
    read_lines,
    units_table,
    validate_lines,
)
from planner.inventory.table import read_inventory
from planner.problems import InputError

CODES = [make_credit_code(f"913501{i:02d}MA00100Y4") for i in range(6)]
INV_HEADER = "企业编号,企业名称,统一社会信用代码,区县,行业类别,绩效等级,管控类型,生产线数量,年产值（万元）,二氧化硫,氮氧化物,颗粒物,挥发性有机物"


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def inventory_csv(tmp_path):
    rows = [
        f"C1,甲水泥有限公司,{CODES[0]},东区,水泥,B,重点,3,60000,100,900,150,0",
        f"S1,乙钢铁有限公司,{CODES[1]},东区,钢铁,C,重点,2,900000,1500,3000,1500,100",
        f"P1,丙印刷有限公司,{CODES[2]},西区,包装印刷,C,重点,1,4000,0,0,0.3,12",
    ]
    return write(tmp_path / "inv.csv", INV_HEADER + "\n" + "\n".join(rows) + "\n")


def errors(exc) -> list[tuple]:
    return [(e.file, e.row, e.column, e.message) for e in exc.value.problems.errors]


# --- schema ---------------------------------------------------------------------------------------


def test_schema_is_data_with_chinese_aliases():
    schema = load_line_schema()
    assert tuple(schema.index) == LINE_COLUMNS
    assert set(schema.index[schema["required"]]) == {"enterprise_id", "line_id", "process"}
    for field in schema.index:
        assert any("\u4e00" <= ch <= "\u9fff" for a in schema.at[field, "aliases"] for ch in a), field
    assert set(DEFAULT_PROCESSES) >= {
        "sinter",
        "pellet",
        "blast_furnace",
        "coke_oven",
        "clinker_kiln",
        "voc_process",
    }


# --- read_lines ----------------------------------------------------------------------------------


def test_read_lines_chinese_headers_percent_and_aliases(tmp_path):
    p = write(
        tmp_path / "lines.csv",
        "企业编号,生产线编号,工序,产能,产能单位,产值占比,二氧化硫占比,氮氧化物占比,颗粒物占比,挥发性有机物占比\n"
        "S1,1#,烧结机,265,m²,20%,70%,60%,40%,10%\n"
        "S1,2#,高炉,1080,m³,80%,30%,40%,60%,90%\n",
    )
    lines = read_lines(p)
    t = lines.table
    assert t.columns.tolist() == [*LINE_COLUMNS, "row"]
    assert t["process"].tolist() == ["sinter", "blast_furnace"]
    assert t["output_share"].tolist() == pytest.approx([0.2, 0.8])
    assert t["SO2_share"].tolist() == pytest.approx([0.7, 0.3])
    assert t["row"].tolist() == [2, 3]
    assert lines.headers["process"] == "工序"


def test_blank_shares_follow_capacity_else_equal(tmp_path):
    p = write(
        tmp_path / "lines.csv",
        "enterprise_id,line_id,process,capacity,capacity_unit\n"
        "C1,1,clinker_kiln,5000,t/d\nC1,2,clinker_kiln,5000,t/d\nC1,3,clinker_kiln,2500,t/d\n"
        "S1,a,sinter,265,m²\nS1,b,blast_furnace,1080,m³\n",
    )
    t = read_lines(p).table.set_index("line_id")
    assert t.loc[["1", "2", "3"], "output_share"].tolist() == pytest.approx([0.4, 0.4, 0.2])
    # two units: no common measure of capacity -> equal shares
    assert t.loc[["a", "b"], "output_share"].tolist() == pytest.approx([0.5, 0.5])
    for p_ in POLLUTANTS:  # pollutant shares default to the output shares
        assert t[f"{p_}_share"].tolist() == pytest.approx(t["output_share"].tolist())


def test_shares_within_tolerance_are_rescaled_else_an_error(tmp_path):
    ok = write(
        tmp_path / "ok.csv",
        "enterprise_id,line_id,process,output_share\nC1,1,clinker_kiln,0.33\nC1,2,clinker_kiln,0.33\nC1,3,cement_mill,0.33\n",
    )
    t = read_lines(ok).table
    assert t["output_share"].sum() == pytest.approx(1.0)
    assert t["output_share"].tolist() == pytest.approx([1 / 3] * 3)
    bad = write(
        tmp_path / "bad.csv",
        "enterprise_id,line_id,process,output_share,SO2_share\n"
        "C1,1,clinker_kiln,0.6,0.5\nC1,2,clinker_kiln,0.6,0.5\nS1,1,sinter,1,0\n",
    )
    with pytest.raises(InputError) as exc:
        read_lines(bad)
    (e,) = errors(exc)
    assert e[0].endswith("bad.csv") and e[1] == 2 and e[2] == "output_share"
    assert "sum to 1.2, not 1" in e[3] and "rows 2, 3" in e[3]
    # a pollutant's shares may all be 0 (S1 emits no SO2 from its lines)


def test_unknown_process_duplicate_line_partial_blank_out_of_range(tmp_path):
    p = write(
        tmp_path / "lines.csv",
        "企业编号,生产线编号,工序,产值占比\n"
        "C1,1,熟料生产线,0.5\nC1,1,水泥窑,0.5\nC2,1,炼丹炉,\nC3,1,sinter,0.5\nC3,2,pellet,\nC4,1,boiler,1.5\n",
    )
    with pytest.raises(InputError) as exc:
        read_lines(p)
    msgs = {(r, c): m for _f, r, c, m in errors(exc)}
    assert "appears more than once (rows 2, 3)" in msgs[(2, "生产线编号")]
    assert "unknown process '炼丹炉'" in msgs[(4, "工序")] and "sinter" in msgs[(4, "工序")]
    assert "give it for every line of the enterprise or for none" in msgs[(6, "产值占比")]
    assert "outside 0-1" in msgs[(7, "产值占比")]
    assert validate_lines(p).errors  # same checks without building


def test_missing_required_column_and_empty_cells(tmp_path):
    p = write(tmp_path / "lines.csv", "企业编号,产值占比\nC1,1\n")
    with pytest.raises(InputError) as exc:
        read_lines(p)
    text = " ".join(m for *_x, m in errors(exc))
    assert "'line_id'" in text and "'process'" in text and "生产线编号" in text
    p = write(tmp_path / "l2.csv", "enterprise_id,line_id,process\nC1,,sinter\n,2,sinter\n")
    with pytest.raises(InputError) as exc:
        read_lines(p)
    got = {(r, c) for _f, r, c, _m in errors(exc)}
    assert (2, "line_id") in got and (3, "enterprise_id") in got


def test_lines_sheet_of_the_inventory_workbook(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "应急减排清单"
    for r in INV_HEADER.split("\n"):
        ws.append(r.split(","))
    ws.append(["C1", "甲水泥有限公司", CODES[0], "东区", "水泥", "B", "重点", 3, 60000, 100, 900, 150, 0])
    lines = wb.create_sheet("生产线")
    lines.append(["生产线明细"])
    lines.append(["企业编号", "生产线编号", "工序", "产能", "产能单位"])
    lines.append(["C1", "1#", "熟料窑", 5000, "t/d"])
    lines.append(["C1", "2#", "熟料窑", 2500, "t/d"])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    t = read_lines(path).table
    assert t["output_share"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert t["row"].tolist() == [3, 4]
    assert read_inventory(path).table.index.tolist() == ["C1"]


def test_processes_file_when_present(tmp_path, monkeypatch):
    procs = write(tmp_path / "processes.csv", "process,name_zh,aliases\nsinter,烧结,烧结机\nkiln_x,某窑,\n")
    monkeypatch.setattr(lines_mod, "PROCESSES_FILE", procs)
    p = write(tmp_path / "lines.csv", "enterprise_id,line_id,process\nC1,1,某窑\nC2,1,blast_furnace\n")
    with pytest.raises(InputError) as exc:
        read_lines(p)
    (e,) = errors(exc)
    assert e[1] == 3 and "processes.csv" in e[3] and "kiln_x" in e[3]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(0.05, 10.0), min_size=1, max_size=5), min_size=1, max_size=5))
def test_capacity_shares_sum_to_one(tmp_path_factory, firms):
    folder = tmp_path_factory.mktemp("h")
    rows = [f"F{f},{i},general,{c!r},t/d" for f, caps in enumerate(firms) for i, c in enumerate(caps)]
    p = write(
        folder / "lines.csv",
        "enterprise_id,line_id,process,capacity,capacity_unit\n" + "\n".join(rows) + "\n",
    )
    t = read_lines(p).table
    sums = t.groupby("enterprise_id")[list(SHARE_COLUMNS)].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    caps = np.array([c for caps in firms for c in caps])
    totals = np.array([sum(caps_) for caps_ in firms for _ in caps_])
    np.testing.assert_allclose(t["output_share"].to_numpy(), caps / totals)


# --- units_table ---------------------------------------------------------------------------------


def test_units_table_one_row_per_line_or_whole_firm(tmp_path):
    inv = read_inventory(inventory_csv(tmp_path)).table
    lines = read_lines(
        write(
            tmp_path / "lines.csv",
            "enterprise_id,line_id,process,capacity,capacity_unit,output_share,SO2_share,NOx_share,PM_share,VOCs_share\n"
            "S1,2#,blast_furnace,1080,m³,0.8,0.3,0.4,0.6,0.9\n"
            "S1,1#,sinter,265,m²,0.2,0.7,0.6,0.4,0.1\n"
            "C1,1#,clinker_kiln,5000,t/d,0.4,0.4,0.4,0.3,0\n"
            "C1,2#,clinker_kiln,5000,t/d,0.4,0.4,0.4,0.3,0\n"
            "C1,3#,clinker_kiln,2500,t/d,0.2,0.2,0.2,0.4,0\n",
        )
    )
    u = units_table(inv, lines)
    assert u.columns.tolist() == list(UNIT_COLUMNS)
    assert u["enterprise_id"].tolist() == ["C1", "C1", "C1", "S1", "S1", "P1"]  # inventory order
    assert u["line_id"].tolist() == ["1#", "2#", "3#", "2#", "1#", ""]  # file order within a firm
    whole = u.iloc[-1]
    assert whole["process"] == "general" and whole["output_share"] == 1.0
    # P1 emits no SO2: its share is 0, as a line's would be
    assert whole["SO2_share"] == 0.0 and whole["VOCs_share"] == 1.0
    sums = u.groupby("enterprise_id")[["output_share", "SO2_share"]].sum()
    assert sums.loc[["C1", "S1"]].to_numpy() == pytest.approx(1.0)
    assert units_table(inv, None)["line_id"].tolist() == ["", "", ""]


def test_units_table_errors_name_the_lines_file(tmp_path):
    inv = read_inventory(inventory_csv(tmp_path)).table
    stray = read_lines(write(tmp_path / "l.csv", "企业编号,生产线编号,工序\nC1,1,熟料窑\nX9,1,sinter\n"))
    with pytest.raises(InputError) as exc:
        units_table(inv, stray)
    (e,) = errors(exc)
    assert (
        e[0].endswith("l.csv") and e[1] == 3 and e[2] == "企业编号" and "'X9' is not in the inventory" in e[3]
    )
    zero = read_lines(
        write(
            tmp_path / "z.csv",
            "enterprise_id,line_id,process,NOx_share\nC1,1,clinker_kiln,0\nC1,2,clinker_kiln,0\n",
        )
    )
    with pytest.raises(InputError) as exc:
        units_table(inv, zero)
    (e,) = errors(exc)
    assert e[1] == 2 and e[2] == "NOx_share" and "no share of its NOx" in e[3]


# --- the one-row-per-line layout -------------------------------------------------------------------


def test_repeated_name_layout_splits_into_inventory_and_lines(tmp_path):
    head = INV_HEADER.replace(",生产线数量", "") + ",工序,产能,产能单位,产值占比"
    firm_c = f"C1,甲水泥有限公司,{CODES[0]},东区,水泥,B,重点,60000,100,900,150,0"
    firm_p = f"P1,丙印刷有限公司,{CODES[2]},西区,包装印刷,C,重点,4000,0,0,0.3,12"
    p = write(
        tmp_path / "list.csv",
        head + "\n"
        f"{firm_c},熟料生产线,5000,t/d,40%\n"
        f"{firm_c},熟料生产线,5000,t/d,40%\n"
        + ",,,,,,,,,,,"
        + ",水泥磨,100,万t/a,20%\n"  # continuation row: the enterprise's cells left blank
        f"{firm_p},,,,\n",
    )
    inv, lines = read_inventory_with_lines(p)
    t = inv.table
    assert t.index.tolist() == ["C1", "P1"]
    assert t.loc["C1", "line_count"] == 3 and t.loc["P1", "line_count"] == 1
    assert t.loc["C1", "row"] == 2 and t.loc["P1", "row"] == 5
    assert t.loc["C1", "NOx"] == pytest.approx(900 / 365)  # the enterprise's total, not 3 x
    lt = lines.table
    assert lt["enterprise_id"].tolist() == ["C1"] * 3
    assert lt["line_id"].tolist() == ["1", "2", "3"]
    assert lt["process"].tolist() == ["clinker_kiln", "clinker_kiln", "cement_mill"]
    assert lt["row"].tolist() == [2, 3, 4]
    assert units_table(t, lines)["line_id"].tolist() == ["1", "2", "3", ""]


def test_line_block_in_a_merged_xlsx_header(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    inv_cols = INV_HEADER.split(",")
    line_cols = ["编号", "工序", "产能", "产能单位", "产值占比", "二氧化硫占比"]
    ws.append(["示范市应急减排清单"])
    ws.append(["基本信息"] + [""] * (len(inv_cols) - 1) + ["生产线"] + [""] * (len(line_cols) - 1))
    ws.append(inv_cols + line_cols)
    ws.merge_cells(
        start_row=2, start_column=len(inv_cols) + 1, end_row=2, end_column=len(inv_cols) + len(line_cols)
    )
    firm = ["S1", "乙钢铁有限公司", CODES[1], "东区", "钢铁", "C", "重点", 2, 900000, 1500, 3000, 1500, 100]
    ws.append([*firm, "1#烧结机", "烧结", 265, "m²", 0.3, 0.7])
    ws.append([*firm, "1#高炉", "高炉", 1080, "m³", 0.7, 0.3])
    for c in range(1, len(inv_cols) + 1):  # enterprise cells merged over its two rows
        ws.merge_cells(start_row=4, start_column=c, end_row=5, end_column=c)
    path = tmp_path / "list.xlsx"
    wb.save(path)
    inv, lines = read_inventory_with_lines(path)
    assert inv.table.index.tolist() == ["S1"] and inv.table.loc["S1", "line_count"] == 2
    assert lines.table["line_id"].tolist() == ["1#烧结机", "1#高炉"]
    assert lines.table["process"].tolist() == ["sinter", "blast_furnace"]
    assert lines.table["SO2_share"].tolist() == pytest.approx([0.7, 0.3])
    assert lines.table["row"].tolist() == [4, 5]


def test_layout_errors_conflicting_fields_and_scattered_rows(tmp_path):
    head = INV_HEADER + ",工序"
    a = f"C1,甲水泥有限公司,{CODES[0]},东区,水泥,B,重点,2,60000,100,900,150,0"
    a2 = f"C1,甲水泥有限公司,{CODES[0]},东区,水泥,B,重点,2,60000,100,950,150,0"
    b = f"P1,丙印刷有限公司,{CODES[2]},西区,包装印刷,C,重点,1,4000,0,0,0.3,12"
    p = write(tmp_path / "l.csv", head + f"\n{a},熟料窑\n{a2},熟料窑\n{b},voc_process\n{a},水泥磨\n")
    with pytest.raises(InputError) as exc:
        read_inventory_with_lines(p)
    msgs = {}
    for _f, r, c, m in errors(exc):
        msgs.setdefault((r, c), []).append(m)
    assert any("differs from '900' on row 2" in m for m in msgs[(3, "氮氧化物")])
    assert any(
        "appears again here after other enterprises (first at row 2)" in m for m in msgs[(5, "企业编号")]
    )


def test_layout_line_count_mismatch_is_a_warning(tmp_path):
    head = INV_HEADER + ",工序"
    a = f"C1,甲水泥有限公司,{CODES[0]},东区,水泥,B,重点,3,60000,100,900,150,0"
    p = write(tmp_path / "l.csv", head + f"\n{a},熟料窑\n{a},熟料窑\n")
    inv, lines = read_inventory_with_lines(p)
    assert len(lines.table) == 2
    assert any("line count 3 but the enterprise has 2 line rows" in w.message for w in inv.problems.warnings)


def test_plain_inventory_has_no_lines(tmp_path):
    inv, lines = read_inventory_with_lines(inventory_csv(tmp_path))
    assert len(inv.table) == 3 and lines.table.empty
    assert list(lines.table.columns) == [*LINE_COLUMNS, "row"]


def test_demo_list_reads_as_a_layout_without_lines():
    from planner import DATA_DIR

    inv, lines = read_inventory_with_lines(DATA_DIR / "demo_city" / "enterprises.xlsx")
    assert (
        len(inv.table) == len(pd.read_csv(DATA_DIR / "demo_city" / "enterprises.csv")) and lines.table.empty
    )
