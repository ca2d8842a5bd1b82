"""Exports (planner.reports.export): the emergency list workbook read back with openpyxl, 一厂一策 HTML."""

from __future__ import annotations

import html.parser

import openpyxl
import pandas as pd
import pytest
from tiny_city import PICKS, TINY_SHARES, solve_tiny  # noqa: F401 - shared with other suites

from planner.reports.export import (
    LIST_HEADERS,
    emergency_list_workbook,
    enterprise_sheet_html,
    enterprise_sheets,
    level_obligations,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, repo):
    return solve_tiny(tmp_path_factory.mktemp("tiny"), repo, extra=TINY_SHARES)


def test_tiny_plan_solves(tiny):
    assert tiny.status == "optimal"


def test_workbook_headers_measures_and_shares(tiny, tmp_path):
    path = emergency_list_workbook(tiny, tmp_path / "list.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["应急减排清单", "减排比例汇总"]
    ws = wb["应急减排清单"]
    assert "应急减排清单" in ws.cell(1, 1).value
    row2 = [ws.cell(2, c).value for c in range(1, len(LIST_HEADERS) + 1)]
    row3 = [ws.cell(3, c).value for c in range(1, len(LIST_HEADERS) + 1)]
    for h in (
        "序号",
        "企业名称",
        "统一社会信用代码",
        "区县",
        "行业类别",
        "绩效等级",
        "管控类型",
        "减排基数（核定产能最小值）",
    ):
        assert h in row2
    assert "生产线" in row2 and "数量（条）" in row3
    assert "应急减排措施" in row2 and "年排放量（吨/年）" in row2 and "橙色预警减排量（吨/日）" in row2
    assert row3[row2.index("应急减排措施") : row2.index("应急减排措施") + 3] == [
        "黄色预警",
        "橙色预警",
        "红色预警",
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A2:A3" in merged  # 序号 spans both header rows
    n = len(tiny.prepared.table)
    data = [[ws.cell(r, c).value for c in range(1, len(LIST_HEADERS) + 1)] for r in range(4, 4 + n)]
    assert [d[0] for d in data] == list(range(1, n + 1))
    assert ws.cell(4 + n, 1).value is None
    col = {k: i for i, (_, _, k) in enumerate(LIST_HEADERS)}
    by_code = {d[col["credit_code"]]: d for d in data}
    table = tiny.prepared.table
    # cement B at orange: 20 % of the min-of-three base, in the bureau's wording
    cement_b = table[(table["industry"].astype(str) == "cement") & (table["grade"].astype(str) == "B")].iloc[
        0
    ]
    d = by_code[cement_b["credit_code"]]
    assert d[col["measure_orange"]].startswith("橙色预警：限产20%（以核定产能最小值计）")
    assert d[col["grade_zh"]] == "B级" and d[col["industry_zh"]] == "水泥"
    # cement C stops at orange and red
    cement_c = table[(table["industry"].astype(str) == "cement") & (table["grade"].astype(str) == "C")].iloc[
        0
    ]
    assert "停产" in by_code[cement_c["credit_code"]][col["measure_red"]]
    # reductions per level equal the schedule's
    sched = tiny.schedule.set_index(["enterprise_id", "slot"])
    eid = str(cement_c.name)
    assert by_code[cement_c["credit_code"]][col["reduction_red_NOx"]] == pytest.approx(
        sched.loc[(eid, "red"), "reduction_NOx"]
    )
    # annual emissions back in t/a
    assert by_code[cement_c["credit_code"]][col["annual_NOx"]] == pytest.approx(
        float(cement_c["NOx"]) * float(cement_c["operating_days"])
    )
    # never an access code
    codes = set(table["access_code"].astype(str)) if "access_code" in table else set()
    cells = {str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None}
    assert not (codes & cells)
    assert not any("查询码" in c or "access" in c for c in cells)

    ss = wb["减排比例汇总"]
    rows = list(ss.iter_rows(values_only=True))
    head_i = next(i for i, r in enumerate(rows) if r[0] == "预警级别")
    head = rows[head_i]
    body = [dict(zip(head, r, strict=True)) for r in rows[head_i + 1 :] if r[0]]
    assert len(body) == 3 * 4
    orange_nox = next(r for r in body if r["预警级别"] == "橙色预警" and r["污染物"] == "氮氧化物")
    assert orange_nox["要求减排比例"] == pytest.approx(0.25)
    assert orange_nox["实现减排比例"] >= 0.25 - 1e-6
    assert orange_nox["是否达标"] == "达标"
    slot = next(s for s in tiny.summary["slots"] if s["slot"] == "orange")
    assert orange_nox["合计减排量（吨/日）"] == pytest.approx(slot["achieved"]["NOx"])


def test_level_obligations_floor_plus_extra(tiny):
    ob = level_obligations(tiny)
    assert (ob["curtailment"] >= ob["floor"] - 1e-9).all()
    assert ob["extra"].ge(0).all()
    extra = ob[ob["extra"] > 1e-6]
    assert len(extra) >= 1
    assert all("追加减产" in t for t in extra["measure_text"])
    assert ob["loss_season"].sum() == pytest.approx(tiny.schedule["output_loss"].sum())


class _Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_enterprise_sheet_html(tiny, tmp_path):
    table = tiny.prepared.table
    eid = str(
        table[(table["industry"].astype(str) == "cement") & (table["grade"].astype(str) == "C")].index[0]
    )
    page = enterprise_sheet_html(tiny, eid)
    p = _Collector()
    p.feed(page)
    text = "".join(p.text)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert str(table.loc[eid, "name"]) in text and str(table.loc[eid, "credit_code"]) in text
    assert "橙色预警" in text and "红色预警" in text and "规则下限" in text and "优化追加" in text
    assert "绩效等级提升后的变化" in text and "B级" in text  # C -> B
    # self-contained: no scripts, no external resources
    assert not any(t == "script" for t, _ in p.tags)
    assert not any(("src" in a or "href" in a) for _, a in p.tags)
    if "access_code" in table:
        assert str(table.loc[eid, "access_code"]) not in text
    with pytest.raises(KeyError):
        enterprise_sheet_html(tiny, "NOPE")
    paths = enterprise_sheets(tiny, tmp_path / "sheets", [eid])
    assert paths[0].name == f"{eid}.html" and paths[-1].name == "index.html"


def test_enterprise_sheet_self_directed_has_no_upgrade(tiny):
    table = tiny.prepared.table
    eid = str(table[table["grade"].astype(str) == "A"].index[0])
    text = enterprise_sheet_html(tiny, eid)
    assert "无更高一级" in text


def test_export_command(tiny, tmp_path, capsys):
    from planner.cli.main import main

    out = tmp_path / "exp"
    assert main(["export", str(tiny.scenario.file), "--out", str(out), "--sheets", "all"]) == 0
    assert (out / "应急减排清单.xlsx").is_file()
    sheets = sorted(p.name for p in (out / "一厂一策").glob("*.html"))
    assert len(sheets) == len(tiny.prepared.table) + 1 and "index.html" in sheets
    assert main(["export", str(tiny.scenario.file), "--out", str(out), "--sheets", "NOPE"]) == 2


def test_yes_no_is_na_safe():
    from planner.reports.export import _yes_no

    assert [_yes_no(v) for v in (True, False, pd.NA, None, float("nan"), "是", "no", 1, 0)] == [
        "是",
        "否",
        "",
        "",
        "",
        "是",
        "否",
        "是",
        "否",
    ]


def test_sheet_and_list_with_blank_optional_fields(tiny, tmp_path):
    import dataclasses

    table = tiny.prepared.table.copy()
    eid = str(table.index[0])
    for col in ("town", "park", "line_description", "capacity_unit", "permit_no"):
        if col in table:
            table[col] = table[col].astype(object)
            table.loc[eid, col] = None
    if "power_submetering" in table:
        table["power_submetering"] = table["power_submetering"].astype("boolean")
        table.loc[eid, "power_submetering"] = pd.NA
    prepared = dataclasses.replace(tiny.prepared, table=table)
    result = dataclasses.replace(tiny, prepared=prepared)
    page = enterprise_sheet_html(result, eid)
    assert "nan" not in page and "None" not in page and "&lt;NA&gt;" not in page
    path = emergency_list_workbook(result, tmp_path / "l.xlsx")
    ws = openpyxl.load_workbook(path)["应急减排清单"]
    assert ws.cell(4, 1).value == 1


def test_enterprise_sheet_pdf(tiny, tmp_path):
    """PDF only with the optional reportlab package; otherwise a clear error naming the HTML sheet."""
    from planner.reports.export import enterprise_sheet_pdf

    eid = str(tiny.prepared.table.index[2])
    try:
        import reportlab  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="reportlab"):
            enterprise_sheet_pdf(tiny, eid)
        return
    pdf = enterprise_sheet_pdf(tiny, eid, tmp_path / "s.pdf")
    assert pdf.startswith(b"%PDF") and (tmp_path / "s.pdf").read_bytes() == pdf
    assert b"STSong-Light" in pdf and b"UniGB-UCS2-H" in pdf
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1


def test_sheet_data_has_no_access_code(tiny):
    from planner.reports.export import enterprise_sheet_data

    table = tiny.prepared.table
    for eid in table.index.astype(str):
        d = enterprise_sheet_data(tiny, eid)
        text = repr(d)
        if "access_code" in table:
            assert str(table.loc[eid, "access_code"]) not in text
        assert d["levels"] and d["info"][0] == ("企业名称", str(table.loc[eid, "name"]))
