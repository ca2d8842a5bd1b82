"""``planner validate FILE [--format text|json]``: exit codes and output."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from planner.cli.main import main
from planner.inventory.creditcode import make_credit_code

HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "区县",
    "行业类别",
    "绩效等级",
    "管控类型",
    "生产线数量",
    "年产值",
    "二氧化硫",
    "氮氧化物",
    "颗粒物",
    "VOCs",
    "纬度",
    "经度",
]
CODE = make_credit_code("91130600MA0ABCDE1")


def _row(**changes):
    row = dict(
        zip(
            HEADERS,
            ["甲", CODE, "莲池区", "水泥", "B", "重点", "2", "100", "1", "2", "3", "4", "38.8", "115.4"],
            strict=True,
        )
    )
    row.update(changes)
    return [row[h] for h in HEADERS]


def _write(tmp_path, rows, name="inv.csv"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding="gbk") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        w.writerows(rows)
    return path


def test_valid_file_exits_0(tmp_path, capsys):
    path = _write(tmp_path, [_row()])
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: valid" in out and "0 error(s), 0 warning(s)" in out


def test_warnings_only_exits_0(tmp_path, capsys):
    path = _write(tmp_path, [_row(纬度="", 经度="")])
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}, row 2, column '纬度': warning: no coordinates" in out
    assert "0 error(s), 1 warning(s)" in out


def test_errors_exit_2_with_every_problem(tmp_path, capsys):
    code2 = make_credit_code("91130600MA0ABCDE2")
    path = _write(
        tmp_path,
        [
            _row(绩效等级="Q"),
            _row(统一社会信用代码=code2[:-1] + "0", 二氧化硫="-1"),
            _row(统一社会信用代码=CODE, 生产线数量="0", 纬度=""),
        ],
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[1] == (
        f"{path}, row 2, column '绩效等级': error: unknown grade 'Q'; use A+, A, B, B-, C, D, "
        "引领性, 非引领性 or 未分级"
    )
    assert any("row 3, column '统一社会信用代码': error: invalid credit code" in line for line in err)
    assert any("row 3, column '二氧化硫': error: SO2 emission '-1' is negative" in line for line in err)
    assert any("row 4, column '生产线数量': error" in line for line in err)
    assert any("row 2, column '统一社会信用代码': error: credit code" in line for line in err)  # duplicate
    assert err[-1] == "6 error(s), 1 warning(s)"


def test_json_format_valid(tmp_path, capsys):
    path = _write(tmp_path, [_row(经度="")])
    assert main(["validate", str(path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "valid": True,
        "errors": [],
        "warnings": [
            {
                "file": str(path),
                "row": 2,
                "column": "纬度",
                "message": "no coordinates (latitude/longitude); the enterprise cannot be shown on the map",
            }
        ],
    }


def test_json_format_errors(tmp_path, capsys):
    path = _write(tmp_path, [_row(行业类别="造纸", 年产值="12万")])
    assert main(["validate", str(path), "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"valid", "errors", "warnings"}
    assert doc["valid"] is False and doc["warnings"] == []
    assert [set(e) for e in doc["errors"]] == [{"file", "row", "column", "message"}] * 2
    assert [(e["row"], e["column"]) for e in doc["errors"]] == [(2, "行业类别"), (2, "年产值")]
    assert (
        doc["errors"][1]["message"]
        == "output value '12万' is not a number (write e.g. 1234.5, without units or words)"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (
            b"%PDF-1.5\n",
            "the file is not a table: it looks like a PDF document (expected a CSV or XLSX file)",
        ),
    ],
)
def test_unusable_files_exit_2_without_traceback(tmp_path, capsys, data, message):
    path = tmp_path / "inv.csv"
    path.write_bytes(data)
    assert main(["validate", str(path), "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "valid": False,
        "errors": [{"file": str(path), "row": None, "column": None, "message": message}],
        "warnings": [],
    }


def test_missing_file_exit_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.xlsx")]) == 2
    assert "the file does not exist" in capsys.readouterr().err


def test_console_entry_point(tmp_path):
    path = _write(tmp_path, [_row(绩效等级="Q")])
    proc = subprocess.run(
        [sys.executable, "-m", "planner", "validate", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["valid"] is False
