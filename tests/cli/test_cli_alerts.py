"""The `planner alerts` contract: text and JSON output, exit 2 on bad input, the demo episode."""

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


def run_json(capsys, *args):
    code = main(["alerts", *map(str, args), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def test_json_contract_ensemble(capsys, demo_nc):
    records = run_json(capsys, demo_nc)
    assert len(records) == 7
    for rec in records:
        assert set(rec) == {"date", "aqi", "primary_pollutant", "level", "aqi_p50", "aqi_p90"}
        assert (
            isinstance(rec["aqi"], int)
            and isinstance(rec["aqi_p50"], int)
            and isinstance(rec["aqi_p90"], int)
        )
        assert rec["level"] in LEVEL_RANK
        pd.Timestamp(rec["date"])  # parses
        assert len(rec["date"]) == 10
    assert records[0]["date"] == "2026-12-10"


def test_demo_episode_rises_yellow_orange_red_then_clears(capsys, demo_nc):
    levels = [r["level"] for r in run_json(capsys, demo_nc)]
    assert levels == ["yellow", "yellow", "yellow", "orange", "red", "orange", "none"]
    first = {lv: levels.index(lv) for lv in ("yellow", "orange", "red")}
    assert first["yellow"] < first["orange"] < first["red"]
    assert levels[-1] == "none"


def test_committed_demo_forecast_shows_the_episode(capsys, repo):
    nc = repo / "data" / "demo_city" / "forecast.nc"
    if not nc.exists():
        pytest.skip("demo forecast not generated")
    levels = [r["level"] for r in run_json(capsys, nc)]
    assert {"yellow", "orange", "red"} <= set(levels) and levels[-1] == "none"
    csv_levels = [r["level"] for r in run_json(capsys, nc.with_suffix(".csv"))]
    assert csv_levels == levels


def test_text_output(capsys, demo_nc):
    assert main(["alerts", str(demo_nc)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("#") and "2024" in out[0] and "ensemble of 20 members" in out[0]
    assert out[1].split()[:4] == ["date", "AQI", "primary", "level"]
    day = out[2].split()
    assert day[0] == "2026-12-10" and day[2] == "PM2.5" and day[3] == "yellow"
    assert len(out) == 2 + 7


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
    assert [set(r) for r in recs] == [{"date", "aqi", "primary_pollutant", "level"}] * 4
    # PM2.5 30 -> 43 (AQI <= 50: no primary); 160 -> 210; 260 -> 310
    assert [r["aqi"] for r in recs] == [43, 210, 310, 43]
    assert [r["primary_pollutant"] for r in recs] == ["", "PM2.5", "PM2.5", ""]
    assert [r["level"] for r in recs] == ["none", "orange", "orange", "none"]


def test_custom_rules_file(capsys, demo_nc, tmp_path):
    p = tmp_path / "strict.yaml"
    p.write_text("levels:\n  red:\n    conditions:\n      - {aqi_above: 100, hours: 24}\n", encoding="utf-8")
    recs = run_json(capsys, demo_nc, "--rules", p)
    assert [r["level"] for r in recs] == ["red"] * 6 + ["none"]


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        (None, ".nc", "file not found"),
        ("garbage", ".nc", "cannot read as netCDF"),
        ("time,station,PM2.5\n2026-01-01,A,10\n", ".csv", "missing column"),
        ("time,station,PM2.5,PM10,SO2,NO2,CO,O3\n2026-01-01,A,10,20,5,20,900,30\n", ".csv", "CO looks like"),
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
