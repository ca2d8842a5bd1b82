"""The files of ``planner plan`` (planner.reports.outputs): plan.xlsx without the schedule above its row limit."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from tiny_city import TINY_SHARES, solve_tiny

from planner.io.writing import EXCEL_MAX_ROWS
from planner.reports import views
from planner.reports.outputs import write_outputs


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, repo):
    return solve_tiny(tmp_path_factory.mktemp("tiny"), repo, extra=TINY_SHARES)


def _note(wb) -> str | None:
    rows = [r for r in wb["概要"].iter_rows(values_only=True) if r[0] == "企业措施"]
    return rows[0][1] if rows else None


def test_schedule_sheet_limit_is_a_usable_workbook():
    assert 10_000 <= views.SCHEDULE_SHEET_MAX_ROWS <= 200_000 < EXCEL_MAX_ROWS


def test_schedule_at_the_limit_stays_in_the_workbook(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(views, "SCHEDULE_SHEET_MAX_ROWS", len(tiny.schedule))
    paths = write_outputs(tiny, tmp_path / "out")
    wb = openpyxl.load_workbook(paths["workbook"], read_only=True)
    assert wb.sheetnames == ["概要", "目标", "企业措施", "企业汇总"]
    assert wb["企业措施"].max_row == len(tiny.schedule) + 1
    assert _note(wb) is None


def test_schedule_above_the_limit_is_only_in_the_csv(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(views, "SCHEDULE_SHEET_MAX_ROWS", len(tiny.schedule) - 1)
    paths = write_outputs(tiny, tmp_path / "out", schedule_format="parquet")
    wb = openpyxl.load_workbook(paths["workbook"], read_only=True)
    assert wb.sheetnames == ["概要", "目标", "企业汇总"]
    note = _note(wb)
    assert note is not None and "schedule.csv" in note and "schedule.parquet" in note
    assert f"{len(tiny.schedule):,}" in note and f"{len(tiny.schedule) - 1:,}" in note
    totals = list(wb["企业汇总"].iter_rows(values_only=True))
    assert len(totals) - 1 == len(tiny.prepared.table)
    back = pd.read_csv(paths["schedule"], dtype={"enterprise_id": str})
    assert len(back) == len(tiny.schedule)
    assert back["output_loss"].sum() == pytest.approx(tiny.schedule["output_loss"].sum())


def test_a_limit_above_excels_is_capped(tiny, tmp_path, monkeypatch):
    import planner.io.writing as writing

    monkeypatch.setattr(writing, "EXCEL_MAX_ROWS", len(tiny.schedule) - 1)
    path = views.plan_workbook(tiny, tmp_path / "plan.xlsx", max_rows=10 * len(tiny.schedule))
    wb = openpyxl.load_workbook(path, read_only=True)
    assert "企业措施" not in wb.sheetnames and _note(wb) is not None


@pytest.mark.parametrize("failing", ["write_schedule", "plan_workbook"])
def test_a_failed_file_leaves_the_folder_as_it_was(tiny, tmp_path, monkeypatch, failing):
    """The schedule files are written in a thread beside the workbook: either failing fails the lot."""
    import planner.reports.outputs as outputs

    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")

    def boom(*args, **kwargs):
        raise RuntimeError(f"{failing} failed")

    monkeypatch.setattr(outputs, failing, boom)
    with pytest.raises(RuntimeError, match=failing):
        write_outputs(tiny, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staged folder left
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
