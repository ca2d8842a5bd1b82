"""Exit codes and faults (issue 14): I/O errors on outputs, JSON-only stdout, distinct codes."""

from __future__ import annotations

import builtins
import errno
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli.main import EXIT_BAD_INPUT, EXIT_CONFLICT, EXIT_NOT_USABLE, EXIT_OK, EXIT_SYSTEM, main

REPO = Path(__file__).resolve().parents[2]


def _planner(*args, preexec_fn=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "planner", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        preexec_fn=preexec_fn,
        timeout=timeout,
    )


def test_exit_codes_are_distinct_and_documented():
    codes = [EXIT_OK, EXIT_NOT_USABLE, EXIT_BAD_INPUT, EXIT_CONFLICT, EXIT_SYSTEM]
    assert codes == [0, 1, 2, 3, 4]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code, words in zip(codes, ["success", "not usable", "bad input", "conflict", "I/O"], strict=True):
        assert f"| {code} | " in readme and words in readme
    help_text = _planner("--help").stdout
    assert "3 conflict on save; 4 I/O or system error" in help_text


def test_full_disk_exits_4_without_traceback(tmp_path, capsys):
    # /dev/full answers every write with ENOSPC, as a full disk does.
    out = tmp_path / "out"
    out.mkdir()
    (out / "enterprises.csv").symlink_to("/dev/full")
    assert main(["demo-data", "--enterprises", "5", "--out", str(out)]) == EXIT_SYSTEM
    err = capsys.readouterr().err
    assert "No space left on device" in err and "free some disk space" in err
    assert "Traceback" not in err


def test_read_only_output_folder_exits_4(tmp_path, capsys, monkeypatch):
    # A read-only mount cannot be made without privileges; refuse writes below `out` as one does.
    out = tmp_path / "ro"
    real_open = builtins.open

    def read_only_open(file, mode="r", *args, **kwargs):
        if str(file).startswith(str(out)) and any(m in mode for m in "wax+"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only_open)
    monkeypatch.setattr(Path, "write_bytes", lambda self, data: read_only_open(self, "wb"))
    assert main(["demo-data", "--enterprises", "5", "--out", str(out)]) == EXIT_SYSTEM
    err = capsys.readouterr().err
    assert f"cannot access {out}" in err and "read-only file system" in err.lower()


def _limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


@pytest.mark.slow
def test_ulimit_f_on_plan_outputs_exits_4(tmp_path):
    proc = _planner(
        "plan", "scenarios/demo_list.yaml", "--out", tmp_path / "out", preexec_fn=_limit_file_size
    )
    assert proc.returncode == EXIT_SYSTEM, proc.stderr
    assert "File too large" in proc.stderr and "ulimit -f" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_output_parent_is_bad_input(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["demo-data", "--enterprises", "5", "--out", str(blocker / "sub")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "error: cannot access" in err and "Traceback" not in err


# --------------------------------------------------------------------------- JSON on stdout


def _json_error(capsys, argv, code):
    assert main(argv) == code
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert doc["valid"] is False and doc["exit_code"] == code and doc["errors"]
    assert out.err.strip()  # the human-readable text is on stderr
    return doc


def test_alerts_json_bad_forecast_prints_a_json_error(tmp_path, capsys):
    bad = tmp_path / "f.csv"
    bad.write_text("time,station,PM2.5\n2026-01-01,A,10\n", encoding="utf-8")
    doc = _json_error(capsys, ["alerts", str(bad), "--format", "json"], EXIT_BAD_INPUT)
    assert doc["errors"][0]["file"] == "f.csv" and "missing column" in doc["errors"][0]["message"]


@pytest.mark.parametrize("command", ["analyze", "compare"])
def test_analyze_and_compare_json_bad_scenario_print_a_json_error(tmp_path, capsys, command):
    scen = tmp_path / "s.yaml"
    scen.write_text("name: s\ninventory: missing.csv\ncity: missing.yaml\nmode: list\n", encoding="utf-8")
    doc = _json_error(capsys, [command, str(scen), "--format", "json"], EXIT_BAD_INPUT)
    assert any("missing" in e["message"] or "not" in e["message"] for e in doc["errors"])


def test_validate_json_of_a_non_table_is_json(tmp_path, capsys):
    bad = tmp_path / "x.csv"
    bad.write_bytes("企业名称,区县\n甲,莲\x00池区\n".encode())
    assert main(["validate", str(bad), "--format", "json"]) == EXIT_BAD_INPUT
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is False and doc["errors"][0]["row"] == 2


@pytest.mark.slow
def test_plan_json_stdout_is_only_json_even_with_solver_banner(tmp_path):
    # The solver library writes its banner to the stdout file descriptor; --format json keeps
    # stdout for the document (the banner goes to stderr).
    proc = _planner("plan", "scenarios/demo_list.yaml", "--out", tmp_path / "out", "--format", "json")
    assert proc.returncode == EXIT_OK, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "optimal"
    assert (tmp_path / "out" / "summary.json").is_file()


def test_plan_without_out_prints_the_summary_and_writes_nothing(tmp_path, capsys, monkeypatch, repo):
    from planner.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["plan", str(repo / "scenarios" / "demo_list.yaml"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "optimal"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["plan", "scenarios/demo_list.yaml", "--format", "json", "--bogus"],
            "unrecognized arguments: --bogus",
        ),
        (["plan", "--format=json"], "the following arguments are required: scenario"),
        (
            ["alerts", "data/demo_city/forecast.nc", "--aqi-standard", "2020", "--format", "json"],
            "invalid choice",
        ),
        (["compare", "--format", "json"], "required"),
    ],
)
def test_a_wrong_command_line_under_json_prints_a_json_error(argv, says, capsys):
    assert main(argv) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["valid"] is False and doc["exit_code"] == EXIT_BAD_INPUT
    assert says in doc["errors"][0]["message"]
    assert "usage: planner " in err and "error:" in err


def test_a_wrong_command_line_without_json_prints_usage_only(capsys):
    assert main(["plan", "scenarios/demo_list.yaml", "--bogus"]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == "" and "usage: planner" in err and "unrecognized arguments: --bogus" in err
