"""The `planner alerts` contract: text and JSON output (days and processes), issue times, exit 2
on bad input, the demo episode."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planner.cli.main import main
from planner.demo.forecast import write_demo_forecast

LEVEL_RANK = {"none": 0, "yellow": 1, "orange": 2, "red": 3}


@pytest.fixture(scope="module")
def demo_nc(tmp_path_factory):
    return write_demo_forecast(None, tmp_path_factory.mktemp("demo"))


PROCESS_KEYS = {
    "process_start",
    "process_end",
    "process_level",
    "condition",
    "condition_zh",
    "observed",
    "max_aqi",
}


def run_doc(capsys, *args):
    """Run ``planner alerts --format json`` (a list of days, the issue-3 contract) and regroup
    the per-day process keys into processes for the assertions."""
    code = main(["alerts", *map(str, args), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    days = json.loads(out)
    assert isinstance(days, list)
    processes = {}
    for d in days:
        assert {"process", "rules", "issue_time"} <= set(d)
        if d["process"] is None:
            assert not PROCESS_KEYS & set(d)
            continue
        p = processes.setdefault(
            d["process"],
            {
                "process": d["process"],
                "start": d["process_start"],
                "end": d["process_end"],
                "days": 0,
                **{k: d[k] for k in ("process_level", "condition", "condition_zh", "observed", "max_aqi")},
            },
        )
        p["days"] += 1
    procs = []
    for p in processes.values():
        p["level"] = p.pop("process_level")
        procs.append(
            {
                k: p[k]
                for k in (
                    "process",
                    "start",
                    "end",
                    "days",
                    "level",
                    "condition",
                    "condition_zh",
                    "observed",
                    "max_aqi",
                )
            }
        )
    rules = days[0]["rules"] if days else None
    issue = days[0]["issue_time"] if days else None
    return {"rules": rules, "issue_time": issue, "days": days, "processes": procs}


def run_json(capsys, *args):
    return run_doc(capsys, *args)["days"]


def test_json_contract_ensemble(capsys, demo_nc):
    records = run_json(capsys, demo_nc)
    assert len(records) == 7
    for rec in records:
        base = {
            "date",
            "aqi",
            "primary_pollutant",
            "level",
            "aqi_p50",
            "aqi_p90",
            "process",
            "rules",
            "issue_time",
        }
        assert set(rec) in (base, base | PROCESS_KEYS)
        assert (
            isinstance(rec["aqi"], int)
            and isinstance(rec["aqi_p50"], int)
            and isinstance(rec["aqi_p90"], int)
        )
        assert rec["level"] in LEVEL_RANK
        pd.Timestamp(rec["date"])  # parses
        assert len(rec["date"]) == 10
    assert records[0]["date"] == "2026-12-10"


def test_demo_episode_is_one_red_process(capsys, demo_nc):
    # AQI 166, 185, 140, 235, 330, 261, 80: one process (the 140 dip is 24 h <= 36 h) that is
    # > 200 for 72 h and > 300 for 24 h: red from its first day (day by day it read
    # yellow, yellow, yellow, orange, red, orange — the bug of issue 11)
    doc = run_doc(capsys, demo_nc)
    assert [r["level"] for r in doc["days"]] == ["red"] * 6 + ["none"]
    (proc,) = doc["processes"]
    assert proc == {
        "process": 1,
        "start": "2026-12-10",
        "end": "2026-12-15",
        "days": 6,
        "level": "red",
        "condition": "AQI>200 for ≥72 h and >300 for ≥24 h",
        "condition_zh": "AQI>200 持续≥72 小时且>300 持续≥24 小时",
        "observed": "AQI>200 for 72 h, >300 for 24 h",
        "max_aqi": 330,
    }
    assert doc["issue_time"] is None and doc["rules"].startswith("2024")
    # the 2017 rules: trigger AQI > 200, so the process is 12-13..12-15, > 300 on one day: orange
    doc = run_doc(capsys, demo_nc, "--rules", "2017")
    assert [r["level"] for r in doc["days"]] == ["none"] * 3 + ["orange"] * 3 + ["none"]
    assert [(p["start"], p["end"], p["level"]) for p in doc["processes"]] == [
        ("2026-12-13", "2026-12-15", "orange")
    ]


def test_committed_demo_forecast_shows_the_episode(capsys, repo):
    nc = repo / "data" / "demo_city" / "forecast.nc"
    if not nc.exists():
        pytest.skip("demo forecast not generated")
    levels = [r["level"] for r in run_json(capsys, nc)]
    assert "red" in set(levels) and levels[-1] == "none"
    csv_levels = [r["level"] for r in run_json(capsys, nc.with_suffix(".csv"))]
    assert csv_levels == levels


def test_text_output(capsys, demo_nc):
    assert main(["alerts", str(demo_nc)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("#") and "2024" in out[0] and "ensemble of 20 members" in out[0]
    assert out[1].split()[:4] == ["date", "AQI", "primary", "level"]
    day = out[2].split()
    assert day[0] == "2026-12-10" and day[2] == "PM2.5" and day[3] == "red" and day[-1] == "1"
    assert out[9] == ""
    assert out[10].split()[:5] == ["process", "start", "end", "days", "level"]
    proc = out[11].split()
    assert proc[:5] == ["1", "2026-12-10", "2026-12-15", "6", "red"]
    assert "AQI>200 for ≥72 h and >300 for ≥24 h" in out[11]
    assert len(out) == 2 + 7 + 3


def test_rules_and_standard_options(capsys, demo_nc):
    r17 = run_json(capsys, demo_nc, "--rules", "2017")
    r24 = run_json(capsys, demo_nc, "--rules", "2024")
    assert [r["aqi"] for r in r17] == [r["aqi"] for r in r24]
    assert max(LEVEL_RANK[r["level"]] for r in r17) < max(LEVEL_RANK[r["level"]] for r in r24)
    old = run_json(capsys, demo_nc, "--aqi-standard", "2012")
    # 2012 has the higher PM2.5 IAQI-100 breakpoint: the last (clean) day's AQI is lower
    assert old[-1]["aqi"] < r24[-1]["aqi"]


def test_deterministic_single_member_csv(capsys, tmp_path):
    rows = []
    for i, t in enumerate(pd.date_range("2026-01-01", periods=4, freq="D")):
        for s in ("A", "B"):
            rows.append(
                {
                    "time": t.date(),
                    "station": s,
                    "PM2.5": [30, 160, 260, 30][i],
                    "PM10": 40,
                    "SO2": 8,
                    "NO2": 30,
                    "CO": 0.8,
                    "O3": 50,
                }
            )
    p = tmp_path / "det.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    recs = run_json(capsys, p, "--aqi-standard", "2012")
    assert all(
        {"date", "aqi", "primary_pollutant", "level", "process", "rules", "issue_time"} <= set(r)
        for r in recs
    )
    assert not any({"aqi_p50", "aqi_p90"} & set(r) for r in recs)  # no ensemble, no percentiles
    # PM2.5 30 -> 43 (AQI <= 50: no primary); 160 -> 210; 260 -> 310
    assert [r["aqi"] for r in recs] == [43, 210, 310, 43]
    assert [r["primary_pollutant"] for r in recs] == ["", "PM2.5", "PM2.5", ""]
    assert [r["level"] for r in recs] == ["none", "orange", "orange", "none"]
    # one day above 300 needs 72 h above 200 for red; the text output says which condition
    assert main(["alerts", str(p), "--aqi-standard", "2012"]) == 0
    assert "AQI>200 for ≥48 h (AQI>200 for 48 h)" in capsys.readouterr().out


def _det_rows(pm25, **extra):
    rows = []
    for i, t in enumerate(pd.date_range("2026-01-01", periods=len(pm25), freq="D")):
        for s in ("A", "B"):
            rows.append(
                {"time": t.date(), "station": s, "PM2.5": pm25[i], "PM10": 40, "SO2": 8, "NO2": 30}
                | {"CO": 0.8, "O3": 50}
                | extra
            )
    return pd.DataFrame(rows)


def test_issue_example_210_210_310_is_red(capsys, tmp_path):
    p = tmp_path / "ex.csv"
    _det_rows([30, 160, 160, 260, 30]).to_csv(p, index=False)  # AQI 43, 210, 210, 310, 43 (2012)
    doc = run_doc(capsys, p, "--aqi-standard", "2012")
    assert [r["aqi"] for r in doc["days"]] == [43, 210, 210, 310, 43]
    assert [r["level"] for r in doc["days"]] == ["none", "red", "red", "red", "none"]
    assert doc["processes"][0]["observed"] == "AQI>200 for 72 h, >300 for 24 h"


def test_issue_time_from_csv_column_header_and_netcdf(capsys, tmp_path, demo_nc):
    col = tmp_path / "col.csv"
    _det_rows([160, 160], issue_time="2025-12-31 08:00").to_csv(col, index=False)
    assert run_doc(capsys, col)["issue_time"] == "2025-12-31T08:00:00"
    head = tmp_path / "head.csv"
    head.write_text("# issue_time: 2025-12-31T00:00:00Z\n" + _det_rows([160, 160]).to_csv(index=False))
    assert run_doc(capsys, head)["issue_time"] == "2025-12-31T08:00:00"  # UTC -> UTC+8
    assert main(["alerts", str(head)]) == 0
    assert "issued 2025-12-31 08:00" in capsys.readouterr().out.splitlines()[0]
    import xarray as xr

    ds = xr.open_dataset(demo_nc, engine="h5netcdf").load()
    ds.attrs["issue_time"] = "2026-12-09 16:00"
    nc = tmp_path / "issued.nc"
    ds.to_netcdf(nc, engine="h5netcdf")
    assert run_doc(capsys, nc)["issue_time"] == "2026-12-09T16:00:00"


@pytest.mark.parametrize(
    ("issue", "message", "row"),
    [
        ("yesterday", "cannot read issue_time 'yesterday'", 2),
        (["2025-12-31 08:00", "2025-12-31 08:00", "2025-12-31 20:00", "x"], "one value", 4),
    ],
)
def test_bad_issue_time_exits_2(capsys, tmp_path, issue, message, row):
    df = _det_rows([160, 160])
    df["issue_time"] = issue
    p = tmp_path / "bad.csv"
    df.to_csv(p, index=False)
    assert main(["alerts", str(p)]) == 2
    err = capsys.readouterr().err
    assert message in err and f"row {row}" in err and "issue_time" in err


def test_header_lines_keep_row_numbers(capsys, tmp_path):
    df = _det_rows([160, 160])
    df["PM2.5"] = df["PM2.5"].astype(object)
    df.loc[2, "PM2.5"] = "lots"
    p = tmp_path / "h.csv"
    p.write_text("# issue_time: 2025-12-31 08:00\n# by: the forecaster\n" + df.to_csv(index=False))
    assert main(["alerts", str(p)]) == 2
    err = capsys.readouterr().err
    assert "row 6" in err and "not a number: 'lots'" in err  # 2 header lines + column names + 3rd row


def test_custom_rules_file(capsys, demo_nc, tmp_path):
    p = tmp_path / "strict.yaml"
    p.write_text("levels:\n  red:\n    conditions:\n      - {aqi_above: 100, hours: 24}\n", encoding="utf-8")
    recs = run_json(capsys, demo_nc, "--rules", p)
    assert [r["level"] for r in recs] == ["red"] * 6 + ["none"]
    p.write_text(p.read_text(encoding="utf-8") + "day_levels: dayly\n", encoding="utf-8")
    assert main(["alerts", str(demo_nc), "--rules", str(p)]) == 2
    err = capsys.readouterr().err
    assert "day_levels" in err and "'process', 'daily'" in err


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        (None, ".nc", "file not found"),
        ("garbage", ".nc", "cannot read as netCDF"),
        ("time,station,PM2.5\n2026-01-01,A,10\n", ".csv", "missing column"),
        ("time,station,PM2.5,PM10,SO2,NO2,CO,O3\n2026-01-01,A,10,20,5,20,900,30\n", ".csv", "CO looks like"),
        # issue 14: an infinite PM10 gave AQI 500 and exit 0
        ("time,station,PM2.5,PM10,SO2,NO2,CO,O3\n2026-01-01,A,10,inf,5,20,1,30\n", ".csv", "not a finite"),
        ("time,station,PM2.5,PM10,SO2,NO2,CO,O3\n2026-01-01,,10,20,5,20,1,30\n", ".csv", "station is empty"),
    ],
)
def test_bad_forecast_exits_2(capsys, tmp_path, content, suffix, message):
    p = tmp_path / f"bad{suffix}"
    if content is not None:
        p.write_text(content, encoding="utf-8")
    assert main(["alerts", str(p)]) == 2
    err = capsys.readouterr().err
    assert message in err and "error" in err


def test_bad_rules_exit_2(capsys, demo_nc, tmp_path):
    p = tmp_path / "rules.yaml"
    p.write_text("levels:\n  red:\n    conditions:\n      - {aqi_above: 100, hours: -1}\n", encoding="utf-8")
    assert main(["alerts", str(demo_nc), "--rules", str(p)]) == 2
    assert "levels.red.conditions[0].hours" in capsys.readouterr().err
    assert main(["alerts", str(demo_nc), "--rules", "2031"]) == 2
    assert "unknown rule set" in capsys.readouterr().err
