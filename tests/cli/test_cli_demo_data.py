"""``planner demo-data``: the Excel copy is skipped above the size limit, with a line saying so."""

from __future__ import annotations

import pandas as pd
import pytest

import planner.demo.city as city_mod
from planner.cli.main import build_parser, main
from planner.inventory.table import read_inventory


def _demo_data(tmp_path, n: int) -> None:
    assert main(["demo-data", "--enterprises", str(n), "--seed", "5", "--out", str(tmp_path)]) == 0


def test_xlsx_written_at_and_below_the_limit(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(city_mod, "XLSX_MAX_ENTERPRISES", 30)
    _demo_data(tmp_path, 30)
    out = capsys.readouterr().out
    assert (tmp_path / "enterprises.xlsx").is_file()
    assert f"wrote {tmp_path / 'enterprises.xlsx'}" in out
    assert not [line for line in out.splitlines() if line.strip().startswith("skipped ")]
    assert len(read_inventory(tmp_path / "enterprises.xlsx").table) == 30


def test_xlsx_skipped_above_the_limit_with_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(city_mod, "XLSX_MAX_ENTERPRISES", 30)
    _demo_data(tmp_path, 30)  # an Excel copy of a smaller city, left over in the folder
    capsys.readouterr()
    _demo_data(tmp_path, 31)
    out = capsys.readouterr().out
    assert not (tmp_path / "enterprises.xlsx").exists()  # the stale copy is removed too
    lines = [line.strip() for line in out.splitlines()]
    wrote = [line for line in lines if line.startswith("wrote ")]
    assert f"wrote {tmp_path / 'enterprises.csv'}" in wrote
    assert not [line for line in wrote if line.endswith(".xlsx")]
    skipped = [line for line in lines if line.startswith("skipped ")]
    assert skipped == [
        "skipped enterprises.xlsx: 31 enterprises is more than the 30 the Excel copy is written for "
        "(a workbook that size takes minutes to write and to open); "
        f"use {tmp_path / 'enterprises.csv'}, which holds the same list"
    ]
    assert len(pd.read_csv(tmp_path / "enterprises.csv")) == 31


def test_help_documents_the_limit(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo-data", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"above {city_mod.XLSX_MAX_ENTERPRISES:,} the Excel copy enterprises.xlsx is not written" in text
