"""Pure functions behind the app (no Streamlit): grid edits → overrides, what changed, one firm's
obligations, map points, shares, cache keys."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.reports.app_tables import (
    county_labels,
    editor_frame,
    loss_metrics,
    map_frame,
    obligations,
    overrides_diff,
    overrides_from_edits,
    scenario_key,
    share_overrides,
    shortfalls,
    targets_frame,
    upgrade_effect,
    what_changed,
)


@pytest.fixture
def table() -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "name": ["甲", "乙", "丙"],
            "credit_code": ["C1", "C2", "C3"],
            "county": ["东区", "西区", "东区"],
            "industry": ["cement", "coating", "cement"],
            "grade": ["C", "B", "A"],
            "control_type": ["key", "general", "key"],
            "line_count": [2, 1, 4],
            "SO2": [1.0, 0.0, 2.0],
            "NOx": [1.0, 0.1, 2.0],
            "PM": [0.5, 0.1, 1.0],
            "VOCs": [0.0, 1.0, 0.0],
            "lon": [114.5, 114.6, np.nan],
            "lat": [37.0, 37.1, np.nan],
        },
        index=pd.Index(["E1", "E2", "E3"], name="enterprise_id"),
    )
    return df


def schedule(cuts: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    names = {"E1": "甲", "E2": "乙", "E3": "丙"}
    for eid, xs in cuts.items():
        for lv, x in zip(("yellow", "orange", "red"), xs, strict=True):
            rows.append(
                {
                    "enterprise_id": eid,
                    "name": names[eid],
                    "slot": lv,
                    "level": lv,
                    "floor": 0.1,
                    "ceiling": 1.0,
                    "curtailment": x,
                    "output_loss": 100 * x,
                    "loss_at_full": 100.0,
                    "reduction_SO2": x,
                    "reduction_NOx": x,
                    "reduction_PM": x,
                    "reduction_VOCs": 0.0,
                    "measure_text_zh": f"{lv}：限产{int(100 * x)}%",
                }
            )
    return pd.DataFrame(rows)


GRADES = {"E1": "C", "E2": "B", "E3": "A"}


def test_editor_frame_columns_and_filters(table):
    sch = schedule({"E1": [0.2, 0.5, 1.0], "E2": [0, 0.1, 0.3], "E3": [0, 0, 0]})
    df = editor_frame(table, {"E2": {"lock": 0.3, "exempt": True}}, sch)
    assert list(df.index) == ["E1", "E2", "E3"]
    assert df.loc["E1", "cut_red"] == 1.0
    assert df.loc["E2", "lock"] == 0.3 and bool(df.loc["E2", "exempt"])
    assert math.isnan(df.loc["E1", "lock"]) and math.isnan(df.loc["E1", "ceiling"])
    assert df.loc["E1", "emissions"] == pytest.approx(2.5)
    assert list(editor_frame(table, {}, sch, county=["东区"]).index) == ["E1", "E3"]
    assert list(editor_frame(table, {}, sch, county=["东区"], grade=["A"]).index) == ["E3"]


def test_overrides_from_edits_grade_lock_exempt_ceiling(table):
    before = editor_frame(table, {}, None)
    after = before.copy()
    after.loc["E1", "grade"] = "B"
    after.loc["E2", "lock"] = 0.4
    after.loc["E3", "exempt"] = True
    after.loc["E3", "ceiling"] = 1.7  # clipped to 1
    original = {"E9": {"grade": "D"}}
    out = overrides_from_edits(before, after, original, GRADES)
    assert out == {
        "E9": {"grade": "D"},
        "E1": {"grade": "B"},
        "E2": {"lock": 0.4},
        "E3": {"exempt": True, "ceiling": 1.0},
    }
    assert original == {"E9": {"grade": "D"}}  # not modified


def test_overrides_from_edits_back_to_inventory_values_removes(table):
    ov = {"E1": {"grade": "B", "lock": 0.2}, "E2": {"exempt": True, "control_type": "key"}}
    before = editor_frame(table.assign(grade=["B", "B", "A"]), ov, None)
    after = before.copy()
    after.loc["E1", "grade"] = "C"  # the inventory's own grade
    after.loc["E1", "lock"] = np.nan
    after.loc["E2", "exempt"] = False
    out = overrides_from_edits(before, after, ov, GRADES)
    assert out == {"E2": {"control_type": "key"}}


def test_overrides_from_edits_ignores_untouched_and_handles_subsets(table):
    before = editor_frame(table, {"E1": {"lock": 0.5}}, None)
    assert overrides_from_edits(before, before.copy(), {"E1": {"lock": 0.5}}, GRADES) == {"E1": {"lock": 0.5}}
    sub = before.loc[["E2"]].copy()
    sub.loc["E2", "grade"] = "C"
    assert overrides_from_edits(before, sub, {}, GRADES) == {"E2": {"grade": "C"}}


def test_overrides_diff():
    d = overrides_diff({"E1": {"grade": "B"}}, {"E1": {"grade": "A"}, "E2": {"exempt": True}})
    assert d.to_dict("records") == [
        {"enterprise_id": "E1", "key": "grade", "before": "B", "after": "A"},
        {"enterprise_id": "E2", "key": "exempt", "before": None, "after": True},
    ]
    assert overrides_diff({}, {}).empty


def test_what_changed_lists_only_changed_rows():
    a = schedule({"E1": [0.2, 0.5, 1.0], "E2": [0, 0.1, 0.3]})
    b = schedule({"E1": [0.2, 0.6, 1.0], "E2": [0, 0.1, 0.0]})
    ch = what_changed(a, b)
    assert set(zip(ch["enterprise_id"], ch["slot"], strict=True)) == {("E1", "orange"), ("E2", "red")}
    row = ch[ch["enterprise_id"] == "E2"].iloc[0]
    assert row["cut_before"] == 0.3 and row["cut_after"] == 0.0 and row["loss_change"] == pytest.approx(-30)
    assert ch.iloc[0]["enterprise_id"] == "E2"  # largest change first
    assert what_changed(a, a).empty


def test_obligations_only_own_rows(table):
    sch = schedule({"E1": [0.5, 0.5, 1.0], "E2": [0, 0.1, 0.3]})
    ob = obligations(sch, table, "E1")
    assert list(ob["level"]) == ["yellow", "orange", "red"]
    assert list(ob["lines_affected"]) == [1.0, 1.0, 2.0]
    assert ob["extra"].tolist() == pytest.approx([0.4, 0.4, 0.9])
    assert "乙" not in ob.to_csv()
    assert obligations(sch, table, "NOPE").empty


def test_upgrade_effect(table):
    sch = schedule({"E1": [0.5, 0.5, 1.0]})
    up = schedule({"E1": [0.0, 0.2, 0.5]})
    eff = upgrade_effect(obligations(sch, table, "E1"), obligations(up, table, "E1"))
    assert eff["loss_avoided"].tolist() == pytest.approx([50, 30, 50])


def test_map_frame_and_labels(table):
    sch = schedule({"E1": [0.2, 0.5, 1.0], "E2": [0, 0.1, 0.3], "E3": [0, 0, 0]})
    pts = map_frame(table, sch, "orange")
    assert list(pts["enterprise_id"]) == ["E1", "E2"]  # E3 has no coordinates
    assert pts["cut"].tolist() == [0.5, 0.1]
    assert map_frame(table, sch, "orange", "VOCs")["emissions"].tolist() == [0.0, 1.0]
    labels = county_labels(pts)
    assert set(labels["county"]) == {"东区", "西区"}


def test_share_overrides():
    defaults = {"yellow": {"SO2": 0.1, "NOx": 0.1}, "orange": {"SO2": 0.2, "NOx": 0.2}}
    values = {"yellow": {"SO2": 0.1, "NOx": 0.1}, "orange": {"SO2": 0.2, "NOx": 0.4}}
    assert share_overrides(values, defaults) == {"orange": {"NOx": 0.4}}
    assert share_overrides(defaults, defaults) == {}


SUMMARY = {
    "status": "infeasible",
    "objective": 80.0,
    "baselines": {"uniform": 100.0, "greedy": 90.0, "rules_only": None},
    "slots": [
        {
            "slot": "red",
            "level": "red",
            "targets": {"SO2": 2.0, "NOx": 1.0, "PM": 1.0, "VOCs": 1.0},
            "credited": {},
            "achieved": {"SO2": 1.5, "NOx": 1.0, "PM": 1.0, "VOCs": 1.0},
            "shortfall": {"SO2": 0.5, "NOx": 0.0, "PM": 0.0, "VOCs": 0.0},
            "duals": {"SO2": 12.0},
        }
    ],
}


def test_targets_shortfalls_and_losses():
    df = targets_frame(SUMMARY)
    assert len(df) == 4 and df.loc[df["pollutant"] == "SO2", "ratio"].item() == 0.75
    sf = shortfalls(SUMMARY)
    assert sf["pollutant"].tolist() == ["SO2"] and sf["dual"].item() == 12.0
    m = loss_metrics(SUMMARY)
    assert m["saving_vs_uniform"] == 20.0 and m["saving_pct_vs_greedy"] == pytest.approx(10 / 90)
    assert m["saving_vs_rules_only"] is None


def test_scenario_key_follows_content(tmp_path):
    @dataclasses.dataclass
    class Sc:
        name: str
        inventory: object
        enterprises: dict
        raw: dict = dataclasses.field(default_factory=dict)
        chain: list = dataclasses.field(default_factory=list)

    f = tmp_path / "inv.csv"
    f.write_text("a\n1\n")
    a = Sc("s", f, {"E1": {"grade": "B"}})
    assert scenario_key(a) == scenario_key(Sc("s", f, {"E1": {"grade": "B"}}, raw={"x": 1}))
    assert scenario_key(a) != scenario_key(Sc("s", f, {"E1": {"grade": "A"}}))
    b = Sc("s", f, {"E1": {"grade": "B"}})
    key_b = scenario_key(b)
    f.write_text("a\n1\n2\n3\n")
    assert scenario_key(b) != key_b


def test_apply_edit_state_positions_and_types(table):
    from planner.reports.app_tables import apply_edit_state

    shown = editor_frame(table, {"E3": {"lock": 0.2}}, None, county=["东区"])  # rows E1, E3
    state = {
        "edited_rows": {
            "0": {"grade": "B", "exempt": True},
            1: {"lock": None, "ceiling": 0.5},
            7: {"grade": "A"},
        },
        "added_rows": [],
        "deleted_rows": [],
    }
    out = apply_edit_state(shown, state)
    assert out.loc["E1", "grade"] == "B" and bool(out.loc["E1", "exempt"])
    assert math.isnan(out.loc["E3", "lock"]) and out.loc["E3", "ceiling"] == 0.5
    assert shown.loc["E1", "grade"] == "C"  # input untouched
    new = overrides_from_edits(shown, out, {"E3": {"lock": 0.2}}, GRADES)
    assert new == {"E1": {"grade": "B", "exempt": True}, "E3": {"ceiling": 0.5}}
    assert apply_edit_state(shown, None).equals(shown)


def test_share_what_if_helpers():
    from planner.reports.app_tables import effective_shares, expand_shares, merge_share_edits

    assert expand_shares({"orange": 0.4}) == {"orange": {"SO2": 0.4, "NOx": 0.4, "PM": 0.4, "VOCs": 0.4}}
    defaults = {"orange": {"SO2": 0.2, "NOx": 0.2, "PM": 0.2, "VOCs": 0.2}}
    full = effective_shares(defaults, {"orange": {"NOx": 0.35}})
    assert full["orange"] == {"SO2": 0.2, "NOx": 0.35, "PM": 0.2, "VOCs": 0.2}
    assert defaults["orange"]["NOx"] == 0.2  # defaults untouched
    merged = merge_share_edits({"orange": 0.3, "red": {"PM": 0.5}}, {"orange": {"SO2": 0.25}})
    assert merged["orange"] == {"SO2": 0.25, "NOx": 0.3, "PM": 0.3, "VOCs": 0.3}
    assert merged["red"] == {"PM": 0.5}


def test_pages_share_one_solve_per_scenario_content(monkeypatch):
    """Every page asking for the same scenario content gets the same solved result (one solve)."""
    import planner.scenario.run as run_mod
    from planner.app import common
    from planner.scenario.files import load_scenario

    calls = []
    real = run_mod.run

    def counting(scenario):
        calls.append(scenario.name)
        return real(scenario)

    monkeypatch.setattr(run_mod, "run", counting)
    common._result.clear()
    sc = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "demo_list.yaml")
    a = common.scenario_result(sc)
    b = common.scenario_result(sc)
    assert a is b and len(calls) == 1
