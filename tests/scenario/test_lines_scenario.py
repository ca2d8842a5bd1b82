"""The scenario key ``lines:`` and the lines in a plan: errors name file, row and column; the demo
plans its big plants line by line and writes ``schedule_lines.csv``."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planner.cli.main import main
from planner.problems import InputError
from planner.scenario.files import load_scenario
from planner.scenario.run import prepare, run

DEMO_LINES = "data/demo_city/lines.csv"


def scenario(repo, tmp_path, lines_value: str, name: str = "s.yaml"):
    p = tmp_path / name
    p.write_text(
        f"base: {repo / 'scenarios' / 'demo_list.yaml'}\nname: lines_test\nlines: {lines_value}\n",
        encoding="utf-8",
    )
    return p


def problems_of(exc: InputError) -> list:
    return list(exc.problems)


def test_a_missing_lines_file_is_named(repo, tmp_path):
    with pytest.raises(InputError) as e:
        load_scenario(scenario(repo, tmp_path, str(tmp_path / "nowhere.csv")))
    (p,) = [p for p in problems_of(e.value) if p.column == "lines"]
    assert "does not exist" in p.message


def test_a_lines_path_outside_the_project_is_refused(repo, tmp_path):
    s = tmp_path / "sub"
    s.mkdir()
    with pytest.raises(InputError) as e:
        load_scenario(scenario(repo, s, "../../../../../../etc/passwd"))
    assert any(p.column == "lines" for p in problems_of(e.value))


def test_lines_must_be_a_path(repo, tmp_path):
    with pytest.raises(InputError) as e:
        load_scenario(scenario(repo, tmp_path, "{a: 1}"))
    assert any("lines" in (p.column or "") for p in problems_of(e.value))


def bad_lines(repo, tmp_path, edit) -> pd.DataFrame:
    df = pd.read_csv(repo / DEMO_LINES, dtype=str, keep_default_na=False)
    edit(df)
    path = tmp_path / "lines.csv"
    df.to_csv(path, index=False)
    return path


def test_an_unknown_process_names_file_row_and_column(repo, tmp_path):
    def edit(df):
        df.loc[2, "process"] = "teleporter"

    path = bad_lines(repo, tmp_path, edit)
    with pytest.raises(InputError) as e:
        prepare(scenario(repo, tmp_path, str(path)))
    (p,) = [p for p in problems_of(e.value) if p.severity == "error"]
    assert p.file == str(path) and p.row == 4 and p.column == "process"
    assert "teleporter" in p.message


def test_a_line_of_an_unknown_enterprise_is_an_error(repo, tmp_path):
    def edit(df):
        df.loc[df["enterprise_id"] == "E0001", "enterprise_id"] = "E9999"

    path = bad_lines(repo, tmp_path, edit)
    with pytest.raises(InputError) as e:
        prepare(scenario(repo, tmp_path, str(path)))
    errs = [p for p in problems_of(e.value) if p.severity == "error"]
    assert any(p.row == 2 and p.column == "enterprise_id" and "E9999" in p.message for p in errs)


def test_shares_that_do_not_add_up_are_an_error(repo, tmp_path):
    def edit(df):
        df.loc[0, "output_share"] = "0.9"

    path = bad_lines(repo, tmp_path, edit)
    with pytest.raises(InputError) as e:
        prepare(scenario(repo, tmp_path, str(path)))
    assert any(p.column == "output_share" and p.row is not None for p in problems_of(e.value))


def test_cli_exits_2_on_bad_lines(repo, tmp_path, capsys):
    def edit(df):
        df.loc[2, "process"] = "teleporter"

    path = bad_lines(repo, tmp_path, edit)
    code = main(
        ["plan", str(scenario(repo, tmp_path, str(path))), "--out", str(tmp_path / "o"), "--format", "json"]
    )
    assert code == 2
    assert "teleporter" in capsys.readouterr().err


@pytest.fixture(scope="module")
def demo(repo):
    return run(repo / "scenarios" / "demo_list.yaml")


def test_the_demo_plans_its_big_plants_line_by_line(demo, repo):
    lines = pd.read_csv(repo / DEMO_LINES)
    inp = demo.prepared.inputs
    assert int((inp["line_id"].values != "").sum()) == len(lines)
    assert demo.summary["lines"] == len(lines) and demo.summary["enterprises"] == len(demo.prepared.table)
    assert demo.summary["units"] == inp.sizes["enterprise"]
    # one schedule row per firm and slot, as before
    assert len(demo.schedule) == len(demo.prepared.table) * 3
    assert demo.status == "optimal", demo.summary["messages"]
    for s in demo.summary["slots"]:
        assert {"lines_stopped", "units_above_floor"} <= set(s)
    assert demo.summary["loss_split"]["lines_stopped"] == sum(
        s["lines_stopped"] for s in demo.summary["slots"]
    )
    per_slot = demo.schedule_lines.groupby("slot")["stopped"].sum()
    for s in demo.summary["slots"]:
        assert per_slot[s["slot"]] == s["lines_stopped"]


def test_cement_c_stops_half_of_its_clinker_kilns_not_its_mills(demo):
    sl = demo.schedule_lines
    t = demo.prepared.table
    c = [
        e for e in t.index[(t["industry"] == "cement") & (t["grade"] == "C")] if e in set(sl["enterprise_id"])
    ]
    assert c
    for eid in c:
        y = sl[(sl["enterprise_id"] == eid) & (sl["slot"] == "yellow")]
        kilns = y[y["process"] == "clinker_kiln"]
        need = -(-len(kilns) // 2)  # ceil(n / 2)
        assert kilns["stopped"].sum() >= need
        assert (kilns["line_group"].str.contains("clinker_kiln")).all()
        assert (y[y["process"] == "cement_mill"]["line_group"].fillna("") == "").all()


def test_schedule_lines_are_written(repo, tmp_path, capsys):
    assert (
        main(["plan", str(repo / "scenarios" / "demo_list.yaml"), "--out", str(tmp_path), "--format", "json"])
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    df = pd.read_csv(tmp_path / "schedule_lines.csv", keep_default_na=False)
    assert {"enterprise_id", "line_id", "process", "slot", "curtailment", "stopped"} <= set(df.columns)
    assert int(df["stopped"].sum()) == summary["loss_split"]["lines_stopped"]
