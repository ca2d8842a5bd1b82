"""Every inventory validation rule, each with its specific message, row and column."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.inventory.creditcode import make_credit_code
from planner.inventory.table import validate_inventory

HEADERS = [
    "enterprise_id",
    "name",
    "credit_code",
    "county",
    "industry",
    "grade",
    "control_type",
    "line_count",
    "output_value",
    "SO2",
    "NOx",
    "PM",
    "VOCs",
    "lat",
    "lon",
]
CODES = [make_credit_code(f"913501{i:02d}MA00100Y4") for i in range(10)]


def ent(i: int = 0, **changes) -> dict:
    """A valid enterprise row; keyword arguments change or add cells."""
    row = {
        "enterprise_id": f"E{i}",
        "name": f"Works {i}",
        "credit_code": CODES[i],
        "county": "莲池区",
        "industry": "cement",
        "grade": "B",
        "control_type": "key",
        "line_count": "2",
        "output_value": "1000",
        "SO2": "10",
        "NOx": "20",
        "PM": "5",
        "VOCs": "1",
        "lat": "38.87",
        "lon": "115.46",
    }
    row.update(changes)
    return row


def write(tmp_path, rows, headers=None, encoding="utf-8", name="inv.csv"):
    headers = list(headers or HEADERS)
    for r in rows:
        headers += [k for k in r if k not in headers]
    path = tmp_path / name
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(headers)
        for r in rows:
            w.writerow([r.get(h, "") for h in headers])
    return path


def check(tmp_path, *rows, headers=None):
    return validate_inventory(write(tmp_path, rows, headers))


def found(problems, severity="error"):
    items = problems.errors if severity == "error" else problems.warnings
    return [(p.row, p.column, p.message) for p in items]


def test_valid_file_has_no_problems(tmp_path):
    problems = check(tmp_path, ent(0), ent(1))
    assert problems.ok and len(problems) == 0


# ---------------------------------------------------------------------------------------------
# file-level


def test_missing_required_columns_all_reported(tmp_path):
    headers = [h for h in HEADERS if h not in ("credit_code", "grade", "SO2")]
    rows = [{k: v for k, v in ent(0).items() if k in headers}]
    problems = check(tmp_path, *rows, headers=headers)
    assert found(problems) == [
        (
            1,
            "credit_code",
            "required column 'credit_code' (Chinese header e.g. '统一社会信用代码') is missing",
        ),
        (1, "grade", "required column 'grade' (Chinese header e.g. '绩效等级') is missing"),
        (1, "SO2", "required column 'SO2' (Chinese header e.g. '二氧化硫') is missing"),
    ]


def test_empty_file(tmp_path):
    path = tmp_path / "inv.csv"
    path.write_bytes(b"")
    assert found(validate_inventory(path)) == [(None, None, "the file is empty")]


def test_not_a_table(tmp_path):
    path = tmp_path / "inv.csv"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n")
    [(_row, _column, message)] = found(validate_inventory(path))
    assert message == "the file is not a table: it looks like a PDF document (expected a CSV or XLSX file)"


def test_header_without_rows(tmp_path):
    assert found(check(tmp_path)) == [(1, None, "the file has a header but no enterprise rows below it")]


def test_two_columns_for_one_field(tmp_path):
    problems = check(tmp_path, ent(0, 企业名称="Works"))
    assert (1, "企业名称", "this column and column 'name' both give 'name'; keep only one") in found(problems)


def test_unrecognised_and_headerless_columns_warn(tmp_path):
    path = tmp_path / "inv.csv"
    lines = [",".join([*HEADERS, "", "备注"]), ",".join([*list(ent(0).values()), "x", "note"])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = validate_inventory(path)
    assert problems.ok
    assert found(problems, "warning") == [
        (1, "column 16", "this column has values but no header; its values are not used"),
        (1, "备注", "column not recognised (not a field of the inventory schema); its values are not used"),
    ]


def test_serial_number_column_is_skipped_quietly(tmp_path):
    problems = check(tmp_path, {"序号": "1", **ent(0)}, headers=["序号", *HEADERS])
    assert len(problems) == 0


def test_cells_beyond_the_header(tmp_path):
    path = write(tmp_path, [ent(0)])
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + ",surplus\n", encoding="utf-8")
    [(row, column, message)] = found(validate_inventory(path))
    assert (row, column) == (2, "P")
    assert (
        message
        == "the row has 16 cells but the header has only 15 columns; the value 'surplus' has no column"
    )


# ---------------------------------------------------------------------------------------------
# identity


def test_required_cell_empty(tmp_path):
    problems = check(tmp_path, ent(0, name="", county=" "))
    assert found(problems) == [
        (2, "name", "name is empty (required)"),
        (2, "county", "county is empty (required)"),
    ]


def test_duplicate_enterprise_id(tmp_path):
    problems = check(tmp_path, ent(0), ent(1), ent(2, enterprise_id="E0"))
    message = "enterprise id 'E0' appears more than once (rows 2, 4)"
    assert found(problems) == [(2, "enterprise_id", message), (4, "enterprise_id", message)]


def test_duplicate_credit_code(tmp_path):
    problems = check(tmp_path, ent(0), ent(1, credit_code=CODES[0]))
    message = f"credit code '{CODES[0]}' appears more than once (rows 2, 3)"
    assert found(problems) == [(2, "credit_code", message), (3, "credit_code", message)]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "91350100M000100Y4",
            "invalid credit code '91350100M000100Y4': credit code must have 18 characters, not 17",
        ),
        (
            "91350100M0001O0Y43",
            "invalid credit code '91350100M0001O0Y43': character 14 'O' is not allowed "
            "(credit codes never use I, O, Z, S or V)",
        ),
        (
            "91350100M000100Y44",
            "invalid credit code '91350100M000100Y44': check character should be 3, not 4",
        ),
    ],
    ids=["length", "charset", "check-character"],
)
def test_invalid_credit_code(tmp_path, code, message):
    assert found(check(tmp_path, ent(0, credit_code=code))) == [(2, "credit_code", message)]


# ---------------------------------------------------------------------------------------------
# vocabularies


def test_unknown_grade_industry_control_type(tmp_path):
    problems = check(tmp_path, ent(0, grade="E", industry="造纸", control_type="重要"))
    assert found(problems) == [
        (
            2,
            "industry",
            "unknown industry '造纸'; use a code or Chinese name from data/policy/industries.csv, "
            "e.g. cement / 水泥, or other / 其他行业",
        ),
        (2, "grade", "unknown grade 'E'; use A+, A, B, B-, C, D, 引领性, 非引领性 or 未分级"),
        (
            2,
            "control_type",
            "unknown control type '重要'; use 重点 (key), 一般 (general), 保障类 (guarantee), "
            "豁免 (exempt) or 供暖锅炉 (heating_boiler)",
        ),
    ]


@pytest.mark.parametrize(
    "grade", ["A+", "Ａ＋", "A＋", "a", "B级", "B－", "引领性", "非引领", "未分级", "ungraded"]
)
def test_grade_aliases_accepted(tmp_path, grade):
    industry = "玻璃钢" if "引领" in grade else "水泥"
    assert check(tmp_path, ent(0, grade=grade, industry=industry)).ok


@pytest.mark.parametrize("control", ["重点", "一般", "豁免", "供暖锅炉", "key", "heating_boiler", "Exempt"])
def test_control_type_aliases_accepted(tmp_path, control):
    assert check(tmp_path, ent(0, control_type=control)).ok


def test_grade_scheme_mismatch_warns(tmp_path):
    problems = check(tmp_path, ent(0, industry="玻璃钢", grade="B"), ent(1, industry="水泥", grade="引领性"))
    assert problems.ok
    assert found(problems, "warning") == [
        (
            2,
            "grade",
            "grade 'B' is a letter grade but this industry is graded only 引领性 / 非引领性 "
            "(leading / non-leading)",
        ),
        (3, "grade", "grade '引领性' is 引领性/非引领性 but this industry is graded A/B/C/D"),
    ]


# ---------------------------------------------------------------------------------------------
# guarantee (保障类) and shares


def test_guarantee_needs_load_cap(tmp_path):
    problems = check(tmp_path, ent(0, control_type="保障类", load_cap=""), ent(1, load_cap="0.5"))
    assert found(problems) == [
        (
            2,
            "load_cap",
            "a 保障类 (guarantee) enterprise needs a load cap (share of normal output it runs at, 0-1)",
        )
    ]
    assert found(problems, "warning") == [
        (3, "load_cap", "load cap is only used for 保障类 (guarantee) enterprises; it is ignored here")
    ]


def test_guarantee_without_load_cap_column(tmp_path):
    problems = check(tmp_path, ent(0, control_type="保障类"))
    assert found(problems) == [
        (
            2,
            "control_type",
            "a 保障类 (guarantee) enterprise needs a load cap, but the "
            "file has no load_cap (保障负荷) column",
        )
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("load_cap", "1.5"),
        ("load_cap", "-0.1"),
        ("load_cap", "120%"),
        ("technical_max_cut", "1.2"),
        ("technical_max_cut", "-1"),
    ],
)
def test_shares_outside_0_1(tmp_path, field, value):
    cells = {"control_type": "保障类", "load_cap": "0.5", field: value}
    problems = check(tmp_path, ent(0, **cells))
    what = field.replace("_", " ")
    assert found(problems) == [(2, field, f"{what} {value!r} is outside 0-1 (write e.g. 0.8 or 80%)")]


def test_share_not_a_number(tmp_path):
    problems = check(tmp_path, ent(0, technical_max_cut="most"))
    assert found(problems) == [
        (
            2,
            "technical_max_cut",
            "technical max cut 'most' is not a number (write e.g. 0.8 or 80%, without units or words)",
        )
    ]


def test_share_percent_header(tmp_path):
    assert check(tmp_path, ent(0, **{"最大减产比例(%)": "80"})).ok
    problems = check(tmp_path, ent(0, **{"最大减产比例(%)": "150"}))
    assert found(problems) == [
        (2, "最大减产比例(%)", "technical max cut '150' is outside 0-1 (write e.g. 0.8 or 80%)")
    ]


# ---------------------------------------------------------------------------------------------
# numbers and units


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("SO2", "-1", "SO2 emission '-1' is negative"),
        ("NOx", "12t", "NOx emission '12t' is not a number (write e.g. 1234.5, without units or words)"),
        ("PM", "n/a", "PM emission 'n/a' is not a number (write e.g. 1234.5, without units or words)"),
        ("VOCs", "", "VOCs emission is empty (write 0 if it is zero)"),
        ("SO2", "1,23", "SO2 emission '1,23' is not a number (write e.g. 1234.5, without units or words)"),
        ("SO2", "inf", "SO2 emission 'inf' is not a number (write e.g. 1234.5, without units or words)"),
        (
            "output_value",
            "abc",
            "output value 'abc' is not a number (write e.g. 1234.5, without units or words)",
        ),
        ("output_value", "-5", "output value '-5' is negative"),
        ("output_value", "", "output value is empty (write 0 if it is zero)"),
        ("electricity", "-3", "electricity use '-3' is negative"),
        (
            "capacity_eia",
            "大",
            "capacity eia '大' is not a number (write e.g. 1234.5, without units or words)",
        ),
        ("operating_days", "0", "operating days '0' must be more than 0 and at most 366"),
        ("operating_days", "400", "operating days '400' must be more than 0 and at most 366"),
        ("cems_count", "1.5", "CEMS count '1.5' must be a whole number (0 or more)"),
        ("power_submetering", "maybe", "sub-metering 'maybe' must be yes/no (是/否)"),
    ],
)
def test_bad_numbers(tmp_path, field, value, message):
    assert found(check(tmp_path, ent(0, **{field: value}))) == [(2, field, message)]


def test_thousands_separator_accepted_explicitly(tmp_path):
    assert check(tmp_path, ent(0, output_value="1,234,567.5", SO2="1,000")).ok


def test_output_value_zero_warns(tmp_path):
    problems = check(tmp_path, ent(0, output_value="0"))
    assert found(problems, "warning") == [
        (2, "output_value", "output value is 0; cutting this enterprise would look free to the optimiser")
    ]


def test_all_emissions_zero_warns(tmp_path):
    problems = check(tmp_path, ent(0, SO2="0", NOx="0", PM="0.0", VOCs="0"))
    assert problems.ok
    assert found(problems, "warning") == [
        (
            2,
            "SO2",
            "all four emissions (SO2, NOx, PM, VOCs) are zero; the "
            "enterprise contributes nothing to reductions",
        )
    ]


def test_unknown_unit_cells(tmp_path):
    problems = check(
        tmp_path,
        ent(0, emission_unit="lb/a", output_value_unit="美元"),
        ent(1, emission_unit="千克/日", output_value_unit="亿元/年"),
    )
    assert found(problems) == [
        (
            2,
            "emission_unit",
            "unknown emission unit 'lb/a' (use t/a, t/d, kg/a, kg/d, 吨/年, 吨/日, 千克/年 or 千克/日)",
        ),
        (2, "output_value_unit", "unknown output value unit '美元' (use 万元/年, 万元/日, 元/年, 亿元/年 …)"),
    ]


def test_unknown_unit_in_header(tmp_path):
    headers = [h if h != "SO2" else "二氧化硫（磅/年）" for h in HEADERS]
    row = ent(0)
    row["二氧化硫（磅/年）"] = row.pop("SO2")
    problems = check(tmp_path, row, headers=headers)
    assert found(problems) == [
        (
            1,
            "二氧化硫（磅/年）",
            "unit '磅/年' in the header is not a known emission unit "
            "(use t/a, t/d, kg/a, kg/d, 吨/年, 吨/日, 千克/年 or 千克/日)",
        )
    ]


def test_unknown_output_value_unit_in_header(tmp_path):
    headers = [h if h != "output_value" else "产值(美元)" for h in HEADERS]
    row = ent(0)
    row["产值(美元)"] = row.pop("output_value")
    assert found(check(tmp_path, row, headers=headers)) == [
        (
            1,
            "产值(美元)",
            "unit '美元' in the header is not a known output value unit (use 万元/年, 万元/日, "
            "元/年, 亿元/年 …)",
        )
    ]


# ---------------------------------------------------------------------------------------------
# lines and capacity


@pytest.mark.parametrize("value", ["0", "2.5", "two", "-1"])
def test_line_count_positive_integer(tmp_path, value):
    assert found(check(tmp_path, ent(0, line_count=value))) == [
        (2, "line_count", f"line count {value!r} must be a whole number of at least 1")
    ]


def test_line_count_empty(tmp_path):
    assert found(check(tmp_path, ent(0, line_count=""))) == [
        (2, "line_count", "line count is empty (required)")
    ]


def test_permit_above_eia_is_error(tmp_path):
    problems = check(tmp_path, ent(0, capacity_eia="100", capacity_permit="120", output_last_year="90"))
    assert found(problems) == [
        (
            2,
            "capacity_permit",
            "permitted capacity '120' is larger than the EIA-approved "
            "capacity; a permit cannot exceed the EIA approval",
        )
    ]


def test_output_above_capacity_warns_beyond_10_percent(tmp_path):
    problems = check(
        tmp_path,
        ent(0, capacity_eia="100", capacity_permit="100", output_last_year="111"),
        ent(1, capacity_eia="100", capacity_permit="100", output_last_year="110"),
        ent(2, capacity_permit="50", output_last_year="60"),
    )
    assert problems.ok
    message = "last year's output {!r} is more than 10% above the permitted/EIA capacity"
    assert found(problems, "warning") == [
        (2, "output_last_year", message.format("111")),
        (4, "output_last_year", message.format("60")),
    ]


def test_capacity_headers_with_different_units(tmp_path):
    problems = check(tmp_path, ent(0, **{"环评产能(万t/a)": "100", "许可产能(t/a)": "90"}))
    [(row, column, message)] = found(problems)
    assert (row, column) == (1, "环评产能(万t/a)")
    assert message.startswith("the capacity columns use different units (t/a, 万t/a)")


# ---------------------------------------------------------------------------------------------
# location


def test_missing_coordinates_warn(tmp_path):
    problems = check(tmp_path, ent(0, lat="", lon=""), ent(1, lon=""))
    assert problems.ok
    message = "no coordinates (latitude/longitude); the enterprise cannot be shown on the map"
    assert found(problems, "warning") == [(2, "lat", message), (3, "lat", message)]


def test_no_coordinate_columns_warns_once(tmp_path):
    headers = HEADERS[:-2]
    problems = check(
        tmp_path, *[{k: v for k, v in ent(i).items() if k in headers} for i in range(3)], headers=headers
    )
    assert found(problems, "warning") == [
        (
            1,
            None,
            "the file has no latitude/longitude (纬度/经度) columns; enterprises cannot be shown on the map",
        )
    ]


def test_coordinates_outside_china(tmp_path):
    problems = check(
        tmp_path,
        ent(0, lat="60", lon="115"),
        ent(1, lat="38", lon="-115"),
        ent(2, lat="115.46", lon="38.87"),
        ent(3, lat="north"),
    )
    assert found(problems) == [
        (2, "lat", "latitude '60' is outside China (3.5-53.6 N)"),
        (3, "lon", "longitude '-115' is outside China (73.4-135.1 E)"),
        (
            4,
            "lat",
            "latitude and longitude look swapped (latitude must be 3.5-53.6, longitude 73.4-135.1 for China)",
        ),
        (5, "lat", "latitude 'north' is not a number (write e.g. 1234.5, without units or words)"),
    ]


# ---------------------------------------------------------------------------------------------
# reporting


def test_all_problems_collected_and_ordered_by_row(tmp_path):
    problems = check(
        tmp_path,
        ent(0, grade="Z", SO2="x"),
        ent(1),
        ent(2, line_count="0", lat="99"),
        ent(3, credit_code="123"),
    )
    rows = [p.row for p in problems.errors]
    assert rows == sorted(rows) == [2, 2, 4, 4, 5]


def test_columns_named_as_written_and_rows_as_numbered(tmp_path):
    path = tmp_path / "inv.csv"
    text = (
        "某市应急减排清单,,,,,,,,,,,,\n"
        "企业名称,统一社会信用代码,区县,行业类别,绩效等级,管控类型,生产线数量,年产值,二氧化硫,氮氧化物,颗粒物,"
        "VOCs,纬度\n"
        f"甲,{CODES[0]},莲池区,水泥,B,重点,2,100,1,1,1,1,38\n"
        "\n"
        f"乙,{CODES[1]},莲池区,焦化,Q,重点,2,100,1,-1,1,1,38\n"
    )
    path.write_bytes(text.encode("gbk"))
    problems = validate_inventory(path)
    assert found(problems) == [
        (5, "绩效等级", "unknown grade 'Q'; use A+, A, B, B-, C, D, 引领性, 非引领性 or 未分级"),
        (5, "氮氧化物", "NOx emission '-1' is negative"),
    ]
    assert all(p.file == str(path) for p in problems)


def test_problem_rows_in_xlsx_are_excel_rows(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["清单"])
    ws.append(HEADERS)
    ws.append(list(ent(0).values()))
    ws.append([])
    ws.append(list(ent(1, grade="X").values()))
    wb.save(tmp_path / "inv.xlsx")
    assert found(validate_inventory(tmp_path / "inv.xlsx")) == [
        (5, "grade", "unknown grade 'X'; use A+, A, B, B-, C, D, 引领性, 非引领性 or 未分级")
    ]


def test_credit_code_turned_into_a_number_by_excel(tmp_path):
    problems = check(tmp_path, ent(0, credit_code="9.1110108E+17"))
    assert found(problems) == [
        (
            2,
            "credit_code",
            "invalid credit code '9.1110108E+17': credit code must have 18 "
            "characters, not 13 (it looks like a spreadsheet turned the "
            "code into a number; format the column as text)",
        )
    ]


def test_unit_cell_contradicting_header_unit(tmp_path):
    def renamed(row):
        row["二氧化硫(t/a)"] = row.pop("SO2")
        row["产值(万元/日)"] = row.pop("output_value")
        return row

    headers = [h for h in HEADERS if h not in ("SO2", "output_value")]
    problems = check(
        tmp_path,
        renamed(ent(0, emission_unit="kg/d", output_value_unit="万元/年")),
        renamed(ent(1, emission_unit="t/a", output_value_unit="万元/日")),
        headers=headers,
    )
    assert found(problems) == [
        (
            2,
            "emission_unit",
            "unit 'kg/d' contradicts the unit 't/a' in the header of column '二氧化硫(t/a)'",
        ),
        (
            2,
            "output_value_unit",
            "unit '万元/年' contradicts the unit '万元/日' in the header of column '产值(万元/日)'",
        ),
    ]


def test_totals_and_note_rows_are_set_aside_with_a_warning(tmp_path):
    path = write(tmp_path, [ent(0), ent(1)])
    text = path.read_text(encoding="utf-8")
    text += "合计,,,,,,,,2000,20,40,10,2,,\n注：排放量为2024年数据\n"
    path.write_text(text, encoding="utf-8")
    problems = validate_inventory(path)
    assert problems.ok
    assert found(problems, "warning") == [
        (4, None, "this row looks like a totals row (合计); it is not read as an enterprise"),
        (5, None, "this row holds a note, not an enterprise; it is not read"),
    ]


def test_single_cell_enterprise_row_is_still_an_error(tmp_path):
    path = write(tmp_path, [ent(0)])
    path.write_text(path.read_text(encoding="utf-8") + "E9,Lonely Works\n", encoding="utf-8")
    assert any(p.row == 3 for p in validate_inventory(path).errors)


# ---------------------------------------------------------------------------------------------
# issue 14: malformed number cells


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("SO2", "１２.５", 12.5),  # full-width digits, ASCII point
        ("SO2", "１２．５", 12.5),  # full-width digits and point
        ("NOx", "٣٤٫٥", 34.5),  # Arabic-Indic digits and decimal separator
        ("PM", "۱۲", 12.0),  # Extended Arabic-Indic (Persian) digits
        ("output_value", "１，２３４．５", 1234.5),  # full-width thousands separator
        ("technical_max_cut", "８０％", 0.8),  # full-width percent sign
        ("line_count", "３", 3),
    ],
)
def test_non_ascii_digits_are_read_as_numbers(tmp_path, field, value, expected):
    from planner.inventory.table import read_inventory

    inv = read_inventory(write(tmp_path, [ent(0, **{field: value}), ent(1)]))
    got = inv.table.loc["E0", field]
    if field in ("SO2", "NOx", "PM"):
        got = got * 365  # t/a written, t/d stored
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("value", ["１２.５abc", "12.5٫5", "１２ ５"])
def test_non_ascii_junk_is_named_not_a_traceback(tmp_path, value):
    problems = check(tmp_path, ent(0, SO2=value), ent(1))
    assert found(problems) == [
        (2, "SO2", f"SO2 emission {value!r} is not a number (write e.g. 1234.5, without units or words)")
    ]


@pytest.mark.parametrize("value", ["1e309", "-1e400", "1E999"])
def test_overflowing_number_is_an_error_not_infinity(tmp_path, value):
    problems = check(tmp_path, ent(0, NOx=value), ent(1))
    assert (
        2,
        "NOx",
        f"NOx emission {value!r} is too large to be a real value (not a finite number)",
    ) in found(problems)


def test_huge_line_count_is_an_error(tmp_path):
    problems = check(tmp_path, ent(0, line_count="99999999999999999999999"), ent(1))
    assert [(r, c) for r, c, _ in found(problems)] == [(2, "line_count")]
    assert "implausibly large" in found(problems)[0][2]


def test_list_over_two_sheets_is_read_whole_and_problems_name_the_sheet(tmp_path):
    import openpyxl

    from planner.inventory.table import read_inventory

    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "Sheet1"
    second = wb.create_sheet("Sheet2")
    for ws, rows in ((first, [ent(0), ent(1)]), (second, [ent(2), ent(3)])):
        ws.append(HEADERS)
        for r in rows:
            ws.append([r[h] for h in HEADERS])
    wb.save(tmp_path / "two.xlsx")
    inv = read_inventory(tmp_path / "two.xlsx")
    assert inv.table.index.tolist() == ["E0", "E1", "E2", "E3"]
    assert inv.table["row"].tolist() == [2, 3, 2, 3]
    assert [w.message for w in inv.problems.warnings] == [
        "the list continues over 2 sheets with the same header ('Sheet1', 'Sheet2'); all 4 rows are read"
    ]
    # problems in the second sheet name it; duplicates across sheets name both places
    second.cell(row=3, column=HEADERS.index("SO2") + 1, value="abc")
    second.cell(row=2, column=1, value="E0")
    wb.save(tmp_path / "two.xlsx")
    problems = validate_inventory(tmp_path / "two.xlsx")
    path = str(tmp_path / "two.xlsx")
    assert [(p.file, p.row, p.column) for p in problems.errors] == [
        (f"{path} [Sheet1]", 2, "enterprise_id"),
        (f"{path} [Sheet2]", 2, "enterprise_id"),
        (f"{path} [Sheet2]", 3, "SO2"),
    ]
    assert (
        problems.errors[0].message
        == "enterprise id 'E0' appears more than once (rows 2 [Sheet1], 2 [Sheet2])"
    )


_FULL_WIDTH = str.maketrans("0123456789.,-+%eE", "０１２３４５６７８９．，－＋％ｅＥ")
_ARABIC_INDIC = str.maketrans("0123456789.,", "٠١٢٣٤٥٦٧٨٩٫٬")


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.sampled_from([_FULL_WIDTH, _ARABIC_INDIC]),
    st.sampled_from(["{:.6g}", "{:.3f}", "{:,.2f}", "{:e}"]),
)
def test_number_in_other_digits_reads_as_its_ascii_spelling(value, table, fmt):
    import pandas as pd

    from planner.inventory.table import _parse_numbers, ascii_number_text

    ascii_text = fmt.format(value)
    if table is _ARABIC_INDIC and "e" in ascii_text:
        return  # no exponent letter in Arabic-Indic digits
    cells = pd.Series([ascii_text, ascii_text.translate(table)], dtype="str")
    values, bad = _parse_numbers(ascii_number_text(cells))
    assert not bad.any()
    assert values[0] == values[1] == pytest.approx(float(ascii_text.replace(",", "")))
