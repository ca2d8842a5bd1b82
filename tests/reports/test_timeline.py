"""Episode timeline views: stop table, Gantt bars, tonnes per day, workbook sheets."""

from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook

from planner.reports.timeline import day_tonnes, gantt_frame, stop_timeline


def _schedule():
    days = ["2026-12-10", "2026-12-11", "2026-12-12", "2026-12-14"]
    levels = ["red", "red", "orange", "orange"]
    x = {"E1": [1, 1, 0.5, 0.5], "E2": [0.3, 0.3, 0.3, 0], "E3": [0, 0, 0, 0]}
    rows = [
        {"enterprise_id": e, "name": f"厂{e}", "line_id": "all", "slot": d, "level": lv, "curtailment": v}
        for e, xs in x.items()
        for d, lv, v in zip(days, levels, xs, strict=True)
    ]
    return pd.DataFrame(rows)


def test_stop_timeline_keeps_cut_firms_with_their_days():
    tl = stop_timeline(_schedule())
    assert list(tl["enterprise_id"]) == ["E1", "E2"]  # E3 is never cut
    assert list(tl["days_stopped"]) == [2, 0] and list(tl["days_cut"]) == [4, 3]
    assert tl.attrs["levels"]["2026-12-12"] == "orange"


def test_gantt_bars_break_at_state_level_and_date_gaps():
    bars = gantt_frame(_schedule())
    e1 = bars[bars["enterprise_id"] == "E1"].sort_values("start")
    assert list(e1["state"]) == ["stop", "cut", "cut"]
    assert list(e1["finish"].dt.strftime("%m-%d")) == ["12-12", "12-13", "12-15"]  # 12-13 missing: gap
    e2 = bars[bars["enterprise_id"] == "E2"].sort_values("start")
    assert list(e2["level"]) == ["red", "orange"]  # the level changes on 12-12


def test_gantt_labels_firm_rows_by_name_only():
    """schedule.csv's ``line_id`` ``lines`` (a firm's lines summed in one row) is no line: the
    bar is labelled with the firm's name, never with the code."""
    sc = _schedule()
    sc.loc[sc["enterprise_id"] == "E1", "line_id"] = "lines"
    labels = set(gantt_frame(sc)["label"])
    assert labels == {"厂E1", "厂E2"}
    sc.loc[sc["enterprise_id"] == "E2", "line_id"] = "L2"  # a real line keeps its id
    assert "厂E2 L2" in set(gantt_frame(sc)["label"])


def test_day_tonnes_and_workbook_sheets(tmp_path):
    from planner.io.writing import new_workbook
    from planner.reports.timeline import write_timeline_sheets

    summary = {
        "slots": [
            {
                "slot": "2026-12-10",
                "level": "red",
                "targets": {"SO2": 1, "NOx": 2, "PM": 3, "VOCs": 4},
                "achieved": {"SO2": 1, "NOx": 2, "PM": 2.5, "VOCs": 4},
                "shortfall": {"SO2": 0, "NOx": 0, "PM": 0.5, "VOCs": 0},
            }
        ]
    }
    dt = day_tonnes(summary)
    assert dt.loc[dt["pollutant"] == "PM", ["required", "achieved", "shortfall"]].values.tolist() == [
        [3, 2.5, 0.5]
    ]
    path = tmp_path / "t.xlsx"
    wb = new_workbook(path)
    write_timeline_sheets(wb, _schedule(), summary, {"bold": True})
    wb.close()
    book = load_workbook(path)
    ws = book["停限产时间表"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["企业编号", "企业名称", "停限产天数"] and "2026-12-10\n红色" in header
    assert ws.cell(2, header.index("2026-12-10\n红色") + 1).value == 1
    assert ws.conditional_formatting  # cells coloured by level
    assert book["逐日减排"].cell(2, 4).value == 1
