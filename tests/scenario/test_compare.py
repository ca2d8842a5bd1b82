"""Scenario comparison (planner.scenario.compare) on hand-built results with known differences."""

from __future__ import annotations

import json
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from planner import POLLUTANTS
from planner.scenario.compare import compare_results, obligation_changes, to_json, to_text, write_outputs

TABLE = pd.DataFrame(
    {
        "name": ["甲水泥", "乙焦化", "丙玻璃"],
        "industry": ["cement", "coking", "glass"],
        "county": ["东区", "西区", "东区"],
        "grade": ["B", "C", "A"],
    },
    index=pd.Index(["E1", "E2", "E3"], name="enterprise_id"),
)


def fake_result(name, x, floors, texts, grades=None, status="optimal", targets=1.0):
    """x, floors, texts: {(eid, slot): value} over slots yellow/orange; loss_at_full = 10 per firm-slot."""
    table = TABLE.copy()
    if grades:
        table["grade"] = [grades.get(e, g) for e, g in zip(table.index, table["grade"], strict=True)]
    rows = []
    for eid in table.index:
        for slot in ("yellow", "orange"):
            xv = x.get((eid, slot), 0.0)
            rows.append(
                {
                    "enterprise_id": eid,
                    "name": table.loc[eid, "name"],
                    "line_id": "all",
                    "slot": slot,
                    "level": slot,
                    "floor": floors.get((eid, slot), 0.0),
                    "ceiling": 1.0,
                    "curtailment": xv,
                    "output_loss": 10.0 * xv,
                    "loss_at_full": 10.0,
                    **{f"reduction_{p}": xv for p in POLLUTANTS},
                    "reason": "floor",
                    "measure_type": "cut_pct",
                    "measure_text_zh": texts.get((eid, slot), ""),
                }
            )
    schedule = pd.DataFrame(rows)
    slots = []
    for slot in ("yellow", "orange"):
        ach = float(schedule.loc[schedule["slot"] == slot, "curtailment"].sum())
        slots.append(
            {
                "slot": slot,
                "level": slot,
                "targets": dict.fromkeys(POLLUTANTS, targets),
                "credited": dict.fromkeys(POLLUTANTS, 0.0),
                "achieved": dict.fromkeys(POLLUTANTS, ach),
                "shortfall": dict.fromkeys(POLLUTANTS, max(0.0, targets - ach)),
                "duals": None,
            }
        )
    summary = {
        "scenario": name,
        "mode": "list",
        "status": status,
        "objective": float(schedule["output_loss"].sum()),
        "slots": slots,
        "baselines": {"rules_only": None, "uniform": 12.0, "greedy": 11.0},
        "enterprises": 3,
        "curtailed_enterprises": int(schedule.groupby("enterprise_id")["curtailment"].max().gt(0).sum()),
    }
    scen = SimpleNamespace(name=name, file=f"/x/{name}.yaml", mode="list")
    return SimpleNamespace(
        summary=summary, schedule=schedule, prepared=SimpleNamespace(table=table), scenario=scen
    )


@pytest.fixture
def pair():
    texts = {
        ("E1", "yellow"): "黄色预警：限产20%",
        ("E1", "orange"): "橙色预警：限产30%",
        ("E2", "yellow"): "黄色预警：停产",
        ("E2", "orange"): "橙色预警：停产",
    }
    base = fake_result(
        "base",
        {("E1", "yellow"): 0.2, ("E1", "orange"): 0.5, ("E2", "yellow"): 1.0, ("E2", "orange"): 1.0},
        {("E1", "yellow"): 0.2, ("E1", "orange"): 0.3, ("E2", "yellow"): 1.0, ("E2", "orange"): 1.0},
        texts,
    )
    # E2 upgraded C -> B: its measure becomes a 30 % cut; E1 must cut more at orange to compensate
    texts2 = dict(texts)
    texts2[("E2", "yellow")] = "黄色预警：限产30%"
    texts2[("E2", "orange")] = "橙色预警：限产30%"
    up = fake_result(
        "upgrade",
        {("E1", "yellow"): 0.2, ("E1", "orange"): 0.9, ("E2", "yellow"): 0.3, ("E2", "orange"): 0.3},
        {("E1", "yellow"): 0.2, ("E1", "orange"): 0.3, ("E2", "yellow"): 0.3, ("E2", "orange"): 0.3},
        texts2,
        grades={"E2": "B"},
        status="infeasible",
    )
    return base, up


def test_scenario_report_losses(pair):
    doc = compare_results(list(pair))
    s0, s1 = doc["scenarios"]
    assert [s0["name"], s1["name"]] == ["base", "upgrade"]
    assert s0["objective"] == pytest.approx(27.0)
    assert s1["objective"] == pytest.approx(17.0)
    assert s0["loss_by_industry"] == {"coking": 20.0, "cement": 7.0}
    assert s0["loss_by_county"] == {"西区": 20.0, "东区": 7.0}
    assert s1["loss_by_grade"] == {"B": pytest.approx(17.0)}  # E2's grade after the override
    assert s0["loss_by_slot"] == {"yellow": pytest.approx(12.0), "orange": pytest.approx(15.0)}
    assert s0["curtailed_enterprises"] == 2 and s0["above_floor_enterprises"] == 1
    assert s1["slots"][0]["achieved_share"]["NOx"] == pytest.approx(0.5)
    assert s1["status"] == "infeasible"


def test_changes_before_after(pair):
    base, up = pair
    ch = obligation_changes(base, up, "base", "upgrade")
    keys = {(c["enterprise_id"], c["slot"]) for c in ch}
    assert keys == {("E1", "orange"), ("E2", "yellow"), ("E2", "orange")}
    first = ch[0]  # sorted by |Δloss|: E2 loses 7 万元 less per slot
    assert first["enterprise_id"] == "E2" and first["delta_loss"] == pytest.approx(-7.0)
    assert first["before"]["measure_text_zh"].endswith("停产") and first["after"][
        "curtailment"
    ] == pytest.approx(0.3)
    e1 = next(c for c in ch if c["enterprise_id"] == "E1")
    assert e1["before"]["curtailment"] == pytest.approx(0.5) and e1["after"]["curtailment"] == pytest.approx(
        0.9
    )
    assert e1["before"]["measure_text_zh"] == e1["after"]["measure_text_zh"] == "橙色预警：限产30%"


def test_identical_scenarios_have_no_changes(pair):
    base, _ = pair
    doc = compare_results([base, base])
    assert doc["changes"] == [] and doc["changes_by_pair"][0]["delta_objective"] == 0.0


def test_three_scenarios_order_and_json(pair, tmp_path):
    base, up = pair
    doc = compare_results([up, base, up], files=["u.yaml", "b.yaml", "u.yaml"])
    assert [s["file"] for s in doc["scenarios"]] == ["u.yaml", "b.yaml", "u.yaml"]
    assert {c["to_index"] for c in doc["changes"]} == {1}
    text = to_json(doc)
    back = json.loads(text)
    assert list(back) == ["scenarios", "changes", "changes_by_pair"]
    assert set(back["scenarios"][0]) >= {"name", "file", "status", "objective", "loss_by_industry", "slots"}
    assert "NaN" not in text
    paths = write_outputs(doc, tmp_path / "cmp")
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert wb.sheetnames == ["对比", "按行业", "按区县", "按绩效等级", "目标达成", "变化企业"]
    ws = wb["对比"]
    assert [c.value for c in ws[1]] == ["项目 item", "upgrade", "base", "upgrade"]
    assert "限产30%" in paths["text"].read_text(encoding="utf-8")


def test_text_report(pair):
    txt = to_text(compare_results(list(pair)))
    assert "total output loss" in txt and "infeasible" in txt
    assert "E2" in txt and "→" in txt


def test_split_method():
    from planner.scenario.compare import split_method

    assert split_method("a/b.yaml@uniform") == ("a/b.yaml", "uniform")
    assert split_method("a/b.yaml") == ("a/b.yaml", None)
    assert split_method("a@b/c.yaml") == ("a@b/c.yaml", None)


def test_cli_compare_with_uniform_baseline(tmp_path, repo, capsys):
    """A real (tiny) scenario against its uniform-cut plan, through ``planner compare``."""
    from tiny_city import TINY_SHARES, solve_tiny

    from planner.cli.main import main

    first = solve_tiny(tmp_path / "city", repo, extra=TINY_SHARES)
    path = str(first.scenario.file)
    code = main(["compare", path, path + "@uniform", "--format", "json", "--out", str(tmp_path / "out")])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    opt, uni = doc["scenarios"]
    assert opt["name"] == "tiny" and uni["name"] == "tiny@uniform"
    assert uni["file"] == path + "@uniform"
    assert opt["objective"] == pytest.approx(first.summary["objective"])
    assert uni["objective"] == pytest.approx(first.summary["baselines"]["uniform"])
    assert uni["objective"] >= opt["objective"] - 1e-6
    assert doc["changes"], "the uniform cut treats some firm differently"
    assert all(c["to"] == "tiny@uniform" for c in doc["changes"])
    assert (tmp_path / "out" / "compare.xlsx").is_file()
    # text output
    assert main(["compare", path, path + "@uniform"]) == 0
    assert "tiny@uniform" in capsys.readouterr().out


def test_same_measure_at_another_level_is_no_change(pair):
    base, _ = pair
    other = fake_result("relabelled", {}, {}, {})
    other.schedule = base.schedule.copy()
    other.summary = dict(base.summary, scenario="relabelled")
    other.schedule["measure_text_zh"] = other.schedule["measure_text_zh"].str.replace(
        "黄色预警：", "橙色预警："
    )
    assert obligation_changes(base, other, "base", "relabelled") == []
    other.schedule.loc[0, "measure_text_zh"] = "黄色预警：限产25%"
    (c,) = obligation_changes(base, other, "base", "relabelled")
    assert c["enterprise_id"] == "E1" and c["delta_curtailment"] == 0.0


def test_compare_xlsx_keeps_formula_like_text_and_numbers(pair, tmp_path):
    """A firm named like a formula stays text in compare.xlsx; losses stay numbers."""
    doc = compare_results(list(pair))
    evil = '=HYPERLINK("http://evil.example","x")'
    doc["changes"][0]["name"] = evil
    doc["scenarios"][1]["loss_by_county"] = {"@SUM(1)": 5.0, **doc["scenarios"][1]["loss_by_county"]}
    paths = write_outputs(doc, tmp_path / "cmp")
    wb = openpyxl.load_workbook(paths["xlsx"])
    cells = [c for row in wb["变化企业"].iter_rows(min_row=2) for c in row if c.value == evil]
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].quotePrefix
    county = {r[0].value: r for r in wb["按区县"].iter_rows(min_row=2)}
    assert county["@SUM(1)"][0].quotePrefix and county["@SUM(1)"][2].value == 5.0
    side = {r[0]: r[1:] for r in wb["对比"].iter_rows(min_row=2, values_only=True)}
    assert side["产值损失（万元） output loss"] == (
        doc["scenarios"][0]["objective"],
        doc["scenarios"][1]["objective"],
    )
    assert side["状态 status"] == ("optimal", "infeasible")
    import zipfile

    with zipfile.ZipFile(paths["xlsx"]) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_compare_out_is_all_or_nothing(pair, tmp_path, monkeypatch):
    """A failure while writing compare.xlsx leaves --out as it was (no compare.json alone)."""
    from planner.scenario import compare

    doc = compare_results(list(pair))
    out = tmp_path / "cmp"
    compare.write_outputs(doc, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(doc, path):
        path.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(compare, "write_xlsx", broken)
    doc["changes"] = []
    with pytest.raises(OSError, match="No space left on device"):
        compare.write_outputs(doc, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    with pytest.raises(OSError, match="No space left on device"):
        compare.write_outputs(doc, tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]
