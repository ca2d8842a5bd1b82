"""Reading an inventory into the canonical table: header aliases, units, derived columns, formats."""

from __future__ import annotations

import codecs
import csv

import numpy as np
import openpyxl
import pandas as pd
import pytest

from planner import POLLUTANTS
from planner.inventory.creditcode import make_credit_code
from planner.inventory.table import (
    DERIVED_COLUMNS,
    Inventory,
    load_schema,
    match_header,
    read_inventory,
)
from planner.problems import InputError

CODES = [make_credit_code(f"913501{i:02d}MA00100Y4") for i in range(10)]

ZH_HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "区县",
    "行业类别",
    "绩效等级",
    "管控类型",
    "保障负荷",
    "生产线数量",
    "环评产能",
    "许可产能",
    "上年产量",
    "产能单位",
    "年产值（万元）",
    "二氧化硫（吨/年）",
    "氮氧化物（吨/年）",
    "颗粒物（吨/年）",
    "VOCs排放量（吨/年）",
    "年生产天数",
    "纬度",
    "经度",
]
ZH_ROWS = [
    [
        "1",
        "甲水泥有限公司",
        CODES[0],
        "莲池区",
        "水泥",
        "B级",
        "重点",
        "",
        "2",
        "100",
        "90",
        "80",
        "万t/a",
        "36500",
        "365",
        "730",
        "36.5",
        "3.65",
        "",
        "38.87",
        "115.46",
    ],
    [
        "2",
        "乙热电",
        CODES[1],
        "满城区",
        "热电",
        "未分级",
        "保障类",
        "80%",
        "1",
        "",
        "",
        "",
        "",
        "300",
        "30",
        "60",
        "6",
        "0",
        "300",
        "38.95",
        "115.32",
    ],
    [
        "3",
        "丙家具",
        CODES[2],
        "满城区",
        "家具",
        "A",
        "一般",
        "",
        "3",
        "12",
        "10",
        "5",
        "万件/a",
        "1,200",
        "0",
        "0",
        "0.5",
        "7.3",
        "",
        "38.90",
        "115.40",
    ],
]


def write_csv(path, headers, rows, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(headers)
        w.writerows(rows)
    return path


@pytest.fixture
def zh_inventory(tmp_path) -> Inventory:
    return read_inventory(write_csv(tmp_path / "list.csv", ZH_HEADERS, ZH_ROWS, encoding="gbk"))


def test_canonical_columns_and_index(zh_inventory):
    table = zh_inventory.table
    schema = load_schema()
    expected = [f for f in schema.index if f != "enterprise_id"] + list(DERIVED_COLUMNS)
    assert list(table.columns) == expected
    # No enterprise_id column in the file: the credit code serves as id.
    assert table.index.name == "enterprise_id"
    assert list(table.index) == CODES[:3]
    assert table["row"].tolist() == [2, 3, 4]
    assert zh_inventory.source.endswith("list.csv")


def test_values_mapped_through_aliases(zh_inventory):
    t = zh_inventory.table
    assert t["industry"].tolist() == ["cement", "power", "furniture"]
    assert t["grade"].tolist() == ["B", "ungraded", "A"]
    assert t["control_type"].tolist() == ["key", "guarantee", "general"]
    assert isinstance(t["grade"].dtype, pd.CategoricalDtype)
    assert t["self_directed"].tolist() == [False, False, True]
    assert t["grade_rank"].tolist() == [2, 4, 1]
    assert t["line_count"].tolist() == [2, 1, 3] and t["line_count"].dtype == np.int64
    assert t["name"].tolist() == ["甲水泥有限公司", "乙热电", "丙家具"]


def test_emissions_become_tonnes_per_day(zh_inventory):
    t = zh_inventory.table
    # 365 t/a over 365 days = 1 t/d; the second firm runs 300 days: 30 t/a -> 0.1 t/d.
    assert t.loc[CODES[0], "SO2"] == pytest.approx(1.0)
    assert t.loc[CODES[0], "NOx"] == pytest.approx(2.0)
    assert t.loc[CODES[0], "PM"] == pytest.approx(0.1)
    assert t.loc[CODES[1], "SO2"] == pytest.approx(0.1)
    assert t.loc[CODES[2], "VOCs"] == pytest.approx(0.02)
    assert set(t["emission_unit"]) == {"t/d"}
    assert t["operating_days"].tolist() == [365.0, 300.0, 365.0]


def test_output_value_annual_and_daily(zh_inventory):
    t = zh_inventory.table
    assert t["output_value"].tolist() == [36500.0, 300.0, 1200.0]  # "1,200" accepted explicitly
    assert t.loc[CODES[0], "output_value_daily"] == pytest.approx(100.0)
    assert t.loc[CODES[1], "output_value_daily"] == pytest.approx(1.0)
    assert set(t["output_value_unit"]) == {"万元/年"}


def test_cut_base_and_base_share(zh_inventory):
    t = zh_inventory.table
    # min-of-three: min(100, 90, 80) = 80, share 80/80 = 1
    assert t.loc[CODES[0], "cut_base"] == 80 and t.loc[CODES[0], "base_share"] == 1.0
    # no capacity data: cut base unknown, share 1
    assert np.isnan(t.loc[CODES[1], "cut_base"]) and t.loc[CODES[1], "base_share"] == 1.0
    # min(12, 10, 5) = 5 -> 5/5 = 1
    assert t.loc[CODES[2], "cut_base"] == 5


def test_base_share_below_one(tmp_path):
    headers = [
        "企业名称",
        "统一社会信用代码",
        "区县",
        "行业类别",
        "绩效等级",
        "管控类型",
        "生产线数量",
        "产值",
        "二氧化硫",
        "氮氧化物",
        "颗粒物",
        "VOCs",
        "环评产能",
        "许可产能",
        "上年产量",
        "纬度",
        "经度",
    ]
    row = [
        "甲",
        CODES[0],
        "县",
        "水泥",
        "B",
        "重点",
        "1",
        "10",
        "1",
        "1",
        "1",
        "1",
        "100",
        "60",
        "80",
        "38",
        "115",
    ]
    t = read_inventory(write_csv(tmp_path / "a.csv", headers, [row])).table
    assert t["cut_base"].iloc[0] == 60
    assert t["base_share"].iloc[0] == pytest.approx(0.75)


def test_shares_and_defaults(zh_inventory):
    t = zh_inventory.table
    assert t.loc[CODES[1], "load_cap"] == pytest.approx(0.8)  # "80%"
    assert np.isnan(t.loc[CODES[0], "load_cap"])
    assert t["technical_max_cut"].tolist() == [1.0, 1.0, 1.0]
    assert t["capacity_unit"].tolist()[0] == "万t/a"


def test_warnings_kept(tmp_path):
    rows = [r[:] for r in ZH_ROWS]
    rows[1][-2:] = ["", ""]
    inv = read_inventory(write_csv(tmp_path / "w.csv", ZH_HEADERS, rows))
    assert inv.problems.ok
    assert [(p.row, p.column) for p in inv.problems.warnings] == [(3, "纬度")]


def test_errors_raise_with_every_problem(tmp_path):
    rows = [r[:] for r in ZH_ROWS]
    rows[0][5] = "Q"
    rows[2][14] = "-1"
    rows[1][-2:] = ["", ""]
    with pytest.raises(InputError) as exc_info:
        read_inventory(write_csv(tmp_path / "e.csv", ZH_HEADERS, rows))
    problems = exc_info.value.problems
    assert [(p.row, p.column) for p in problems.errors] == [(2, "绩效等级"), (4, "二氧化硫（吨/年）")]
    assert len(problems.warnings) == 1
    assert "and 1 more error" in str(exc_info.value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_same_table_from_every_encoding(tmp_path, zh_inventory, encoding):
    inv = read_inventory(write_csv(tmp_path / "x.csv", ZH_HEADERS, ZH_ROWS, encoding=encoding))
    pd.testing.assert_frame_equal(inv.table, zh_inventory.table)


def test_utf8_bom_with_tabs(tmp_path, zh_inventory):
    text = "\n".join("\t".join(r) for r in [ZH_HEADERS, *ZH_ROWS]) + "\n"
    path = tmp_path / "tabs.txt"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    pd.testing.assert_frame_equal(read_inventory(path).table, zh_inventory.table)


# ---------------------------------------------------------------------------------------------
# headers


@pytest.mark.parametrize(
    ("parts", "field", "unit"),
    [
        (("企业名称",), "name", None),
        (("  Enterprise_Name ",), "name", None),
        (("统一社会信用代码",), "credit_code", None),
        (("USCC",), "credit_code", None),
        (("二氧化硫（吨/年）",), "SO2", "吨/年"),
        (("SO2 (t/a)",), "SO2", "t/a"),
        (("ＳＯ２（ｔ／ｄ）",), "SO2", "t/d"),
        (("SO₂",), "SO2", None),
        (("VOCs排放量【千克/日】",), "VOCs", "千克/日"),
        (("排放量（吨/年）", "二氧化硫"), "SO2", "吨/年"),
        (("颗粒物", "（kg/a）"), "PM", "kg/a"),
        (("环评", "产能"), "capacity_eia", None),
        (("年产值（万元）",), "output_value", "万元"),
        (("区（县）",), "county", None),
        (("绩效等级*",), "grade", None),
        (("备注",), None, None),
    ],
)
def test_match_header(parts, field, unit):
    assert match_header(parts) == (field, unit)


def test_english_aliases_and_header_units(tmp_path):
    headers = [
        "id",
        "Enterprise_Name",
        "USCC",
        "District",
        "Sector",
        "Performance_Grade",
        "control_type",
        "lines",
        "Output value (万元/日)",
        "SO2 (kg/d)",
        "NOx (t/d)",
        "PM (t/a)",
        "VOCs (kg/a)",
        "Electricity (kWh)",
        "Latitude",
        "Longitude",
    ]
    row = [
        "X1",
        "Acme",
        CODES[0],
        "Lianchi",
        "coking",
        "B-",
        "general",
        "4",
        "2",
        "500",
        "1",
        "365",
        "3650",
        "20000",
        "38.8",
        "115.4",
    ]
    t = read_inventory(write_csv(tmp_path / "en.csv", headers, [row])).table
    r = t.loc["X1"]
    assert r["industry"] == "coking" and r["grade"] == "B-" and r["line_count"] == 4
    assert r["SO2"] == pytest.approx(0.5)  # 500 kg/d
    assert r["NOx"] == pytest.approx(1.0)  # t/d as is
    assert r["PM"] == pytest.approx(1.0)  # 365 t/a / 365 d
    assert r["VOCs"] == pytest.approx(0.01)  # 3650 kg/a = 3.65 t/a / 365
    assert r["output_value_daily"] == pytest.approx(2.0)
    assert r["output_value"] == pytest.approx(730.0)
    assert r["electricity"] == pytest.approx(2.0)  # 20000 kWh = 2 万kWh


def test_row_unit_columns(tmp_path):
    headers = [
        "企业名称",
        "统一社会信用代码",
        "区县",
        "行业类别",
        "绩效等级",
        "管控类型",
        "生产线数量",
        "产值",
        "产值单位",
        "二氧化硫",
        "氮氧化物",
        "颗粒物",
        "VOCs",
        "排放量单位",
        "纬度",
        "经度",
    ]
    rows = [
        [
            "甲",
            CODES[0],
            "县",
            "其他",
            "未分级",
            "一般",
            "1",
            "1",
            "亿元/年",
            "1",
            "1",
            "1",
            "1",
            "吨/日",
            "38",
            "115",
        ],
        [
            "乙",
            CODES[1],
            "县",
            "其他",
            "未分级",
            "一般",
            "1",
            "3650000",
            "元/年",
            "730",
            "0",
            "0",
            "0",
            "千克/年",
            "38",
            "115",
        ],
    ]
    t = read_inventory(write_csv(tmp_path / "u.csv", headers, rows)).table
    assert t.loc[CODES[0], "output_value"] == pytest.approx(10000.0)
    assert t.loc[CODES[0], "SO2"] == pytest.approx(1.0)
    assert t.loc[CODES[1], "output_value"] == pytest.approx(365.0)
    assert t.loc[CODES[1], "SO2"] == pytest.approx(0.002)


def test_xlsx_with_chinese_two_row_header(tmp_path, zh_inventory):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "应急减排清单"
    ws.append(["保定市2025年重污染天气应急减排清单"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(ZH_HEADERS))
    emission_cols = [ZH_HEADERS.index(h) for h in ZH_HEADERS if "（吨/年）" in h and "产值" not in h]
    top = [None if i in emission_cols else h for i, h in enumerate(ZH_HEADERS)]
    top[emission_cols[0]] = "排放量（吨/年）"
    bottom = [None] * len(ZH_HEADERS)
    for i, name in zip(emission_cols, ["二氧化硫", "氮氧化物", "颗粒物", "VOCs"], strict=True):
        bottom[i] = name
    ws.append(top)
    ws.append(bottom)
    for i in range(len(ZH_HEADERS)):
        if i not in emission_cols:
            ws.merge_cells(start_row=2, start_column=i + 1, end_row=3, end_column=i + 1)
    ws.merge_cells(
        start_row=2, start_column=emission_cols[0] + 1, end_row=2, end_column=emission_cols[-1] + 1
    )
    for r in ZH_ROWS:
        ws.append(
            [
                float(c.replace(",", ""))
                if c.replace(",", "").replace(".", "").isdigit() and i not in (2,)
                else c
                for i, c in enumerate(r)
            ]
        )
    wb.save(tmp_path / "list.xlsx")
    inv = read_inventory(tmp_path / "list.xlsx")
    assert inv.table["row"].tolist() == [4, 5, 6]
    expected = zh_inventory.table.assign(row=[4, 5, 6])
    pd.testing.assert_frame_equal(inv.table, expected)
    assert inv.table[list(POLLUTANTS)].iloc[0].tolist() == pytest.approx([1.0, 2.0, 0.1, 0.01])


def test_totals_row_not_read_as_enterprise(tmp_path, zh_inventory):
    totals = [
        "合  计",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "38000",
        "395",
        "790",
        "43",
        "11",
        "",
        "",
        "",
    ]
    inv = read_inventory(write_csv(tmp_path / "t.csv", ZH_HEADERS, [*ZH_ROWS, totals]))
    pd.testing.assert_frame_equal(inv.table, zh_inventory.table)
    assert [(p.row, p.message) for p in inv.problems.warnings] == [
        (5, "this row looks like a totals row (合计); it is not read as an enterprise")
    ]


def test_load_schema():
    schema = load_schema()
    assert {"name", "credit_code", "SO2", "line_count"} <= set(schema.index[schema["required"]])
    assert "统一社会信用代码" in schema.at["credit_code", "aliases"]
    schema.loc["name", "required"] = False  # a copy: the next call is unaffected
    assert load_schema().at["name", "required"]


def _group_header_csv(path, group_label):
    """ZH_ROWS under a two-row header whose emission columns share the group label given."""
    emission = [i for i, h in enumerate(ZH_HEADERS) if h.endswith("（吨/年）") and "产值" not in h]
    top = ["" if i in emission else h for i, h in enumerate(ZH_HEADERS)]
    top[emission[0]] = group_label
    bottom = ["" for _ in ZH_HEADERS]
    for i, name in zip(emission, ["二氧化硫", "氮氧化物", "颗粒物", "VOCs"], strict=True):
        bottom[i] = name
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerows([top, bottom, *ZH_ROWS])
    return path, [ZH_HEADERS[i] for i in emission]


def test_group_header_mass_without_period_is_rejected_not_read_as_tonnes(tmp_path):
    # issue 14: "排放量（公斤）" over the pollutant columns was ignored: kilograms read as t/a.
    path, _ = _group_header_csv(tmp_path / "kg.csv", "排放量（公斤）")
    with pytest.raises(InputError) as exc:
        read_inventory(path)
    errors = [(p.row, p.column) for p in exc.value.problems.errors]
    assert errors == [
        (2, "排放量（公斤）/二氧化硫"),
        (2, "排放量（公斤）/氮氧化物"),
        (2, "排放量（公斤）/颗粒物"),
        (2, "排放量（公斤）/VOCs"),
    ]
    assert "'公斤' in the header is a mass without a period" in exc.value.problems.errors[0].message


def test_group_header_unit_with_period_is_converted(tmp_path, zh_inventory):
    path, _ = _group_header_csv(tmp_path / "kg_a.csv", "排放量（公斤/年）")
    t = read_inventory(path).table
    expected = zh_inventory.table[list(POLLUTANTS)].to_numpy() / 1000.0
    np.testing.assert_allclose(t[list(POLLUTANTS)].to_numpy(), expected)


@pytest.mark.parametrize("label", ["排放量（千克/月）", "排放量（万元）"])
def test_group_header_unit_not_fitting_the_field_is_rejected(tmp_path, label):
    path, _ = _group_header_csv(tmp_path / "odd.csv", label)
    with pytest.raises(InputError) as exc:
        read_inventory(path)
    assert {p.column for p in exc.value.problems.errors} == {
        f"{label}/{n}" for n in ("二氧化硫", "氮氧化物", "颗粒物", "VOCs")
    }
    assert all("not a known emission unit" in p.message for p in exc.value.problems.errors)
