"""Alert rule sets (2024 default, 2017) at their edges: per process, per day, timeline; rule files."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import LEVELS
from planner.policy.alerts import (
    RULES_DIR,
    alert_levels,
    alert_processes,
    alert_timeline,
    evaluate_alerts,
    load_rules,
)
from planner.problems import InputError

RANK = {lv: i for i, lv in enumerate(LEVELS)}


def daily(aqis, primary="PM2.5", start="2026-12-01"):
    return pd.DataFrame(
        {"date": pd.date_range(start, periods=len(aqis), freq="D"), "aqi": aqis, "primary_pollutant": primary}
    )


def hourly(aqis, primary="PM2.5", start="2026-12-01"):
    return pd.DataFrame(
        {"time": pd.date_range(start, periods=len(aqis), freq="h"), "aqi": aqis, "primary_pollutant": primary}
    )


def levels(aqis, rules="2024", **kw):
    return list(alert_levels(daily(aqis, **kw), rules)["level"])


def variant(tmp_path, name="2024", **replace):
    """A copy of a shipped rule file with ``key: old`` lines replaced (``key=new``)."""
    text = (RULES_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    for key, value in replace.items():
        lines = [ln for ln in text.splitlines() if ln.startswith(f"{key}:")]
        assert len(lines) == 1, key
        text = text.replace(lines[0], f"{key}: {value}")
    p = tmp_path / f"{name}-{'-'.join(f'{k}{v}' for k, v in replace.items())}.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_rule_sets_load():
    r24, r17 = load_rules("2024"), load_rules("2017")
    assert load_rules().name == r24.name
    assert set(r24.levels) == set(r17.levels) == {"yellow", "orange", "red"}
    assert r24.exclude_primary == ("O3",) and r17.exclude_primary == ()
    assert r24.lift_below_hours == 36
    assert r24.day_levels == r17.day_levels == "process"
    assert r24.lowest_trigger == 150 and r17.lowest_trigger == 200


# --------------------------------------------------------------------------- 2024 rules, per process
def test_issue_example_210_210_310_is_red_from_the_first_day():
    assert levels([210, 210, 310]) == ["red"] * 3
    (proc,) = alert_processes(daily([210, 210, 310])).to_dict("records")
    assert proc["level"] == "red" and proc["hours"] == 72
    assert proc["condition"] == "AQI>200 for ≥72 h and >300 for ≥24 h"
    assert proc["observed"] == "AQI>200 for 72 h, >300 for 24 h"
    assert proc["start"] == pd.Timestamp("2026-12-01") and proc["end"] == pd.Timestamp("2026-12-03")


def test_2024_exactly_200_is_not_above_200():
    # AQI 200 is only > 150 for 24 h, which meets no condition: the process has no level
    assert levels([100, 200, 100]) == ["none", "none", "none"]
    assert levels([100, 201, 100]) == ["none", "yellow", "none"]  # AQI>200 on a day


def test_2024_exactly_150_never_counts():
    assert levels([150, 150, 150]) == ["none"] * 3
    assert levels([151, 151, 100]) == ["yellow", "yellow", "none"]  # >150 for 48 h
    assert levels([151, 151, 151]) == ["orange"] * 3  # >150 for 72 h
    assert levels([151, 150, 151]) == ["none"] * 3  # 150 breaks the run: two 24-h runs


def test_2024_above_200_for_48_hours_is_orange_for_the_whole_process():
    assert levels([100, 201, 201, 100]) == ["none", "orange", "orange", "none"]
    # the 160 day belongs to the process (> 150): it carries the process level
    assert levels([160, 201, 201, 100]) == ["orange"] * 3 + ["none"]


def test_2024_red_needs_300_strictly():
    assert levels([250, 300, 250]) == ["orange"] * 3  # exactly 300 is not > 300
    assert levels([250, 301, 250]) == ["red"] * 3
    assert levels([100, 350, 350, 100]) == ["none", "orange", "orange", "none"]  # only 48 h > 200
    assert levels([200, 301, 301]) == ["orange"] * 3  # 200 does not extend the > 200 run


def test_all_of_met_by_different_runs_of_one_process():
    # > 300 on day 1, > 200 for 72 h on days 3-5, a one-day dip (24 h <= 36 h) between: one process
    assert levels([310, 100, 210, 210, 210]) == ["red"] * 5


def test_hourly_edges_47_48_72_hours():
    def lv(series):
        return alert_levels(hourly([100] * 5 + series + [100] * 5), "2024")["level"].iloc[5:-5]

    assert set(lv([160] * 47)) == {"none"}
    assert set(lv([160] * 48)) == {"yellow"}
    assert set(lv([160] * 71)) == {"yellow"}
    assert set(lv([160] * 72)) == {"orange"}
    assert set(lv([210] * 23)) == {"none"}  # "AQI > 200 on a day" is 24 h
    assert set(lv([210] * 24)) == {"yellow"}
    assert set(lv([210] * 47)) == {"yellow"}
    assert set(lv([210] * 48)) == {"orange"}
    # 72 h above 200 with 24 h above 300 inside: red for all 72 hours; 23 h above 300: orange
    assert set(lv([210] * 24 + [310] * 24 + [210] * 24)) == {"red"}
    assert set(lv([210] * 25 + [310] * 23 + [210] * 24)) == {"orange"}
    assert set(lv([210] * 24 + [310] * 24 + [210] * 23)) == {"orange"}  # 71 h above 200
    assert set(lv([210] * 48 + [300] * 24)) == {"orange"}  # exactly 300
    got = alert_levels(hourly([100] * 5 + [160] * 48 + [100] * 5), "2024")
    assert list(got["level"]) == ["none"] * 5 + ["yellow"] * 48 + ["none"] * 5


def test_lift_needs_more_than_36_hours_below_the_trigger():
    # two 48-h runs above 200 (orange) separated by 36 h below 150: the alert stays in force
    held = alert_levels(hourly([210] * 48 + [100] * 36 + [210] * 48))
    assert set(held["level"]) == {"orange"} and set(held["episode"]) == {1}
    # 37 h below: lifted in between (one process, merged: gap < merge_gap_hours 48)
    lifted = alert_levels(hourly([210] * 48 + [100] * 37 + [210] * 48))
    assert set(lifted["level"].iloc[48:85]) == {"none"} and set(lifted["episode"]) == {1}
    # 48 h below: two processes
    apart = alert_levels(hourly([210] * 48 + [100] * 48 + [210] * 48))
    assert list(apart["episode"].iloc[[0, 47, 96, 143]]) == [1, 1, 2, 2]
    assert apart["episode"].iloc[48:96].isna().all()


def test_merged_episodes():
    out = alert_levels(daily([201, 100, 201, 50, 50, 201]), "2024")
    # a one-day gap (24 h < merge_gap_hours 48) merges; the dip (24 h <= 36 h) keeps the alert;
    # the process has > 200 on single days only: yellow
    assert list(out["level"]) == ["yellow", "yellow", "yellow", "none", "none", "yellow"]
    assert list(out["episode"].astype("float").fillna(0)) == [1, 1, 1, 0, 0, 2]


def test_long_gap_merged_but_lifted(tmp_path):
    p = variant(tmp_path, merge_gap_hours=72)
    out = alert_levels(daily([201, 100, 100, 201, 201]), p)
    # a 48-h gap is shorter than 72 h: one process, whose level (orange: > 200 for 48 h) covers
    # both parts; but 48 h > lift_below_hours: the alert is lifted in between
    assert list(out["level"]) == ["orange", "none", "none", "orange", "orange"]
    assert list(out["episode"]) == [1, 1, 1, 1, 1]


def test_alternating_levels_one_process_level():
    # > 200 for 5 days with > 300 on days 2 and 4: red throughout
    assert levels([250, 310, 250, 310, 250]) == ["red"] * 5
    assert levels([151, 151, 120, 201, 201]) == ["orange"] * 5


def test_day_levels_daily_keeps_the_day_by_day_reading(tmp_path):
    p = variant(tmp_path, day_levels="daily")
    assert load_rules(p).day_levels == "daily"
    assert levels([210, 210, 310], rules=p) == ["orange", "orange", "red"]
    assert levels([250, 301, 250], rules=p) == ["orange", "red", "orange"]
    # alternating: the one-day dip between the two red days (24 h <= 36 h) stays red
    assert levels([250, 310, 250, 310, 250], rules=p) == ["orange", "red", "red", "red", "orange"]
    # yellow, dip, orange: the dip is held at yellow (the lower of the two sides)
    assert levels([151, 151, 120, 201, 201], rules=p) == ["yellow", "yellow", "yellow", "orange", "orange"]
    # the process still reports its (highest) level and the condition met
    (proc,) = alert_processes(daily([210, 210, 310]), p).to_dict("records")
    assert proc["level"] == "red"
    nohold = variant(tmp_path, day_levels="daily", higher_level_wins="false")
    assert levels([250, 310, 250, 310, 250], rules=nohold) == ["orange", "red", "orange", "red", "orange"]


def test_o3_only_days_are_advisories_in_2024():
    out = alert_levels(daily([210, 220, 230], primary="O3"), "2024")
    assert set(out["level"]) == {"none"} and out["advisory"].all()
    assert alert_processes(daily([210, 220, 230], primary="O3")).empty
    # a tie with PM2.5 counts
    assert levels([210, 220], primary="O3,PM2.5") == ["orange", "orange"]
    # the 2017 rules had no O3 exception
    assert levels([210, 220], rules="2017", primary="O3") == ["yellow", "yellow"]


def test_dust_flag_excludes():
    d = daily([260, 260, 260])
    d["dust"] = [True, False, False]
    out = alert_levels(d, "2024")
    assert list(out["level"]) == ["none", "orange", "orange"] and bool(out["advisory"].iloc[0])


def test_missing_aqi_and_date_gaps_break_runs():
    # a missing day is a 24-h gap: the alert stays in force, but the > 150 runs are 24 h each
    assert levels([151, None, 151]) == ["none"] * 3
    d = daily([151, 151, 151])
    d.loc[2, "date"] = pd.Timestamp("2026-12-05")  # not consecutive: 48 h without data
    assert list(alert_levels(d, "2024")["level"]) == ["yellow", "yellow", "none"]


# --------------------------------------------------------------------------- 2017 rules
def test_2017_yellow_two_days_above_200():
    assert levels([201], rules="2017") == ["none"]  # the blue level is not kept
    assert levels([200, 200], rules="2017") == ["none", "none"]
    assert levels([201, 201], rules="2017") == ["yellow", "yellow"]


def test_2017_orange_edges():
    assert levels([201, 201, 300], rules="2017") == ["yellow"] * 3  # exactly 300 not > 300
    assert levels([201, 201, 301], rules="2017") == ["orange"] * 3
    assert levels([201, 301], rules="2017") == ["yellow", "yellow"]  # only 48 h above 200
    assert levels([160, 201, 201, 301], rules="2017") == ["none", "orange", "orange", "orange"]


def test_2017_red_edges():
    # > 200 for 4 days and > 300 for 2 days
    assert levels([250, 301, 301, 250], rules="2017") == ["red"] * 4
    # > 300 only 1 day: orange
    assert levels([250, 301, 250, 250], rules="2017") == ["orange"] * 4
    # > 300 on two days that are not consecutive: orange
    assert levels([250, 301, 250, 301], rules="2017") == ["orange"] * 4
    # AQI reaching 500 on one day: red by itself; 499 is not
    assert levels([100, 500, 100], rules="2017") == ["none", "red", "none"]
    assert levels([100, 499, 100], rules="2017") == ["none", "none", "none"]
    (proc,) = alert_processes(daily([250, 500]), "2017").to_dict("records")
    assert proc["level"] == "red" and proc["condition"] == "AQI≥500 for ≥24 h"


def test_2017_hourly_edges():
    def lv(series):
        return set(alert_levels(hourly([100] * 3 + series + [100] * 3), "2017")["level"].iloc[3:-3])

    assert lv([210] * 47) == {"none"} and lv([210] * 48) == {"yellow"}
    assert lv([210] * 48 + [310] * 24) == {"orange"}  # 72 h > 200 with 24 h > 300
    assert lv([210] * 48 + [310] * 23) == {"yellow"}  # 71 h
    assert lv([210] * 48 + [310] * 48) == {"red"}  # 96 h > 200 with 48 h > 300
    assert lv([210] * 48 + [310] * 47) == {"orange"}


def test_empty_and_keeps_columns():
    out = alert_levels(daily([]), "2024")
    assert {"level", "episode", "advisory", "condition"} <= set(out.columns) and len(out) == 0
    assert alert_processes(daily([])).empty
    d = daily([201])
    d["aqi_p90"] = 250
    assert "aqi_p90" in alert_levels(d).columns


# --------------------------------------------------------------------------- brute force
def _reference_levels(aqis, rules):
    """Process levels written the slow, obvious way (daily series, no exclusions)."""
    n = len(aqis)
    conds = [c for alts in rules.levels.values() for g in alts for c in g]
    trig = [a is not None and any(c.exceeds(a) for c in conds) for a in aqis]
    idx = [i for i in range(n) if trig[i]]
    groups = []
    for i in idx:
        if groups and (i - groups[-1][-1] - 1) * 24 < rules.merge_gap_hours:
            groups[-1].append(i)
        else:
            groups.append([i])
    out = ["none"] * n
    for g in groups:
        a, b = g[0], g[-1]

        def longest(c, a=a, b=b):
            best = cur = 0
            for i in range(a, b + 1):
                cur = cur + 1 if aqis[i] is not None and c.exceeds(aqis[i]) else 0
                best = max(best, cur)
            return best * 24

        level = "none"
        for lv in LEVELS[1:]:
            if any(all(longest(c) >= c.hours for c in grp) for grp in rules.levels.get(lv, [])):
                level = lv
        for j in range(len(g) - 1):
            lifted = (g[j + 1] - g[j] - 1) * 24 > rules.lift_below_hours
            for i in range(g[j], g[j + 1] + 1):
                if not lifted or i in (g[j], g[j + 1]):
                    out[i] = level
        out[a] = out[b] = level
    return out


SHIPPED = {name: load_rules(name) for name in ("2024", "2017")}
# a merge gap longer than the lift condition: 2-day gaps merge but lift the alert in between
SHIPPED["2024-merge72"] = dataclasses.replace(SHIPPED["2024"], merge_gap_hours=72.0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([None, 100, 150, 151, 200, 201, 300, 301, 499, 500]), min_size=1, max_size=9),
    st.sampled_from(["2024", "2017", "2024-merge72"]),
)
def test_process_levels_match_brute_force(aqis, name):
    rules = SHIPPED[name]
    assert levels(aqis, rules=rules) == _reference_levels(aqis, rules)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(100, 320), min_size=1, max_size=8))
def test_process_level_at_least_every_day_level(aqis):
    by_day = alert_levels(daily(aqis), dataclasses.replace(SHIPPED["2024"], day_levels="daily"))
    by_process = alert_levels(daily(aqis), SHIPPED["2024"])
    assert by_day["episode"].equals(by_process["episode"])
    for _, group in by_process.groupby("episode"):
        assert group["level"].nunique() == 1 or "none" in set(group["level"])
        top = max(RANK[v] for v in by_day.loc[group.index, "level"])
        assert RANK[group["level"].iloc[0]] >= top


# --------------------------------------------------------------------------- timeline
DEMO_AQI = [166, 185, 140, 235, 330, 261, 80]  # the demo episode's ensemble-mean AQI


def test_timeline_default_issue_time_covers_every_alert_day():
    t = alert_timeline(evaluate_alerts(daily(DEMO_AQI, start="2026-12-10")))
    assert list(t["covered"]) == [True] * 6 + [False]
    assert t["coverage"].iloc[0] == "process 1 red: AQI>200 for ≥72 h and >300 for ≥24 h"
    assert t["coverage_zh"].iloc[0] == "过程1 红色：AQI>200 持续≥72 小时且>300 持续≥24 小时"
    assert t["coverage"].iloc[-1] == "no alert"
    assert t.attrs["timeline"]["issue_time"] == "2026-12-09T00:00:00"
    assert t.attrs["timeline"]["issue_time_assumed"] is True
    assert t.attrs["timeline"]["alert_from"] == "2026-12-10T00:00:00"


def test_timeline_issue_time_and_lead():
    alerts = evaluate_alerts(daily(DEMO_AQI, start="2026-12-10"))
    t = alert_timeline(alerts, "2026-12-10 08:00", lead_hours=24)
    # in force from 12-11 08:00: 12-10 (before the issue) and 12-11 (part-way) are not covered
    assert list(t["covered"]) == [False, False, True, True, True, True, False]
    assert t["coverage"].iloc[1].endswith("before the alert can take effect (issued 12-10 08:00 + 24 h)")
    assert "before the forecast was issued (12-10 08:00)" in t["coverage"].iloc[0]
    assert "预警尚未生效" in t["coverage_zh"].iloc[1]
    assert set(t["process_level"].iloc[:6]) == {"red"}
    # an alert in force exactly at midnight covers that day
    t = alert_timeline(alerts, "2026-12-10 00:00", lead_hours=48)
    assert list(t["covered"]) == [False, False, True, True, True, True, False]
    # in force from 12-10 23:00: 12-10 is not covered
    t = alert_timeline(alerts, "2026-12-09 23:00", lead_hours=24)
    assert list(t["covered"]) == [False, True, True, True, True, True, False]


def test_timeline_early_start():
    alerts = evaluate_alerts(daily(DEMO_AQI, start="2026-12-10"))
    t = alert_timeline(alerts, "2026-12-09 08:00", lead_hours=48, early_start_days=1)
    assert list(t["covered"]) == [False, True, True, True, True, True, False]
    assert "early start" in t["coverage"].iloc[1] and "提前启动" in t["coverage_zh"].iloc[1]
    # never before the forecast was issued, however many days are asked for
    t = alert_timeline(alerts, "2026-12-10 08:00", lead_hours=24, early_start_days=5)
    assert list(t["covered"]) == [False, True, True, True, True, True, False]


def test_timeline_lifted_gap_and_advisory(tmp_path):
    d = daily([201, 201, 100, 100, 201, 201, 250], start="2026-12-10")
    t = alert_timeline(evaluate_alerts(d, variant(tmp_path, merge_gap_hours=72)))
    assert list(t["covered"]) == [True, True, False, False, True, True, True]
    assert "alert lifted" in t["coverage"].iloc[2]
    o3 = alert_timeline(evaluate_alerts(daily([210, 220], primary="O3")))
    assert not o3["covered"].any() and o3["coverage"].iloc[0].startswith("advisory only")


def test_timeline_daily_day_levels_say_so(tmp_path):
    t = alert_timeline(evaluate_alerts(daily([210, 210, 310]), variant(tmp_path, day_levels="daily")))
    assert list(t["level"]) == ["orange", "orange", "red"] and set(t["process_level"]) == {"red"}
    assert t["coverage"].iloc[0].endswith("this day orange (day levels judged day by day)")


def test_timeline_rejects_hourly_and_negative():
    with pytest.raises(ValueError, match="daily"):
        alert_timeline(evaluate_alerts(hourly([210] * 30)))
    with pytest.raises(ValueError, match=">= 0"):
        alert_timeline(evaluate_alerts(daily([210])), lead_hours=-1)


# --------------------------------------------------------------------------- custom and invalid files
def test_custom_rule_file_by_path(tmp_path):
    p = tmp_path / "mycity.yaml"
    p.write_text(
        """
name: My city 2025 (orange without the >300 condition, as Xinzhou)
levels:
  yellow:
    conditions:
      - {aqi_above: 200, hours: 24}
  orange:
    conditions:
      - {aqi_above: 200, hours: 72}
  red:
    conditions:
      - all_of: [{aqi_above: 200, hours: 96}, {aqi_above: 300, hours: 48}]
      - {aqi_at_least: 500, hours: 24}
merge_gap_hours: 24
exclude_primary: []
""",
        encoding="utf-8",
    )
    rules = load_rules(p)
    assert rules.name.startswith("My city")
    assert levels([201, 100, 201, 201, 201], rules=rules) == ["yellow", "none", "orange", "orange", "orange"]
    # gap of 24 h is not shorter than merge_gap_hours 24: two episodes
    assert list(alert_levels(daily([201, 100, 201]), str(p))["episode"].astype(float).fillna(0)) == [1, 0, 2]


def _bad(tmp_path, text, name="bad.yaml"):
    folder = tmp_path / "alert_rules"
    folder.mkdir(exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_rules(p)
    return exc.value.problems


def test_validation_key_path(tmp_path):
    text = (
        (RULES_DIR / "2024.yaml")
        .read_text(encoding="utf-8")
        .replace("- {aqi_above: 150, hours: 72}", "- {aqi_above: 150, hours: -72}")
    )
    problems = _bad(tmp_path, text, "2024.yaml")
    (p,) = problems.errors
    assert p.file == "alert_rules/2024.yaml" and p.column == "levels.orange.conditions[1].hours"
    assert p.row == 26  # the line of that condition
    assert "alert_rules/2024.yaml, row 26, column 'levels.orange.conditions[1].hours'" in str(p)
    assert "greater than 0" in p.message


def test_validation_many_problems(tmp_path):
    problems = _bad(
        tmp_path,
        """
levels:
  yelow:
    conditions: [{aqi_above: 200, hours: 24}]
  orange:
    conditions:
      - {aqi_above: 200, aqi_at_least: 200, hours: 48}
      - {aqi_above: "high", hours: 72}
  red:
    conditions:
      - all_of: [{aqi_above: 200, hours: 72}, {aqi_above: 300, hours: 1.5}]
      - {aqi_above: 300}
      - {aqi_abve: 300, hours: 24}
      - all_of: []
      - {aqi_above: 501, hours: 24}
higher_level_wins: yes please
merge_gap_hours: -1
exclude_primary: [O3, dust]
day_levels: proces
lift_below_hour: 3
""",
    )
    cols = {p.column: p.message for p in problems.errors}
    rows = {p.column: p.row for p in problems.errors}
    assert "did you mean 'yellow'" in cols["levels.yelow"] and rows["levels.yelow"] == 3
    assert "exactly one of" in cols["levels.orange.conditions[0]"]
    assert "expected a number" in cols["levels.orange.conditions[1].aqi_above"]
    assert "whole hours" in cols["levels.red.conditions[0].all_of[1].hours"]
    assert "'hours' is missing" in cols["levels.red.conditions[1].hours"]
    assert "did you mean 'aqi_above'" in cols["levels.red.conditions[2].aqi_abve"]
    assert "at least 1" in cols["levels.red.conditions[3].all_of"]
    assert "500" in cols["levels.red.conditions[4].aqi_above"]
    assert "true or false" in cols["higher_level_wins"]
    assert "at least 0" in cols["merge_gap_hours"]
    assert "'dust'" in cols["exclude_primary[1]"] and "'O3'" in cols["exclude_primary[1]"]
    assert "'process', 'daily'" in cols["day_levels"]
    assert "did you mean 'lift_below_hours'" in cols["lift_below_hour"]
    assert len(problems.errors) == 13
    assert all(p.file == "alert_rules/bad.yaml" for p in problems.errors)


def test_duplicate_keys_are_errors(tmp_path):
    problems = _bad(
        tmp_path,
        "levels:\n  red:\n    conditions: [{aqi_above: 300, hours: 24}]\n  red:\n"
        "    conditions: [{aqi_above: 200, hours: 24}]\n",
    )
    (p,) = problems.errors
    assert "duplicate key 'red'" in p.message and p.row == 4


def test_validation_yaml_syntax_and_shape(tmp_path):
    problems = _bad(tmp_path, "levels:\n  yellow: [\n", "syntax.yaml")
    assert "not valid YAML" in problems.errors[0].message
    problems = _bad(tmp_path, "- just a list\n", "list.yaml")
    assert "mapping" in problems.errors[0].message
    problems = _bad(tmp_path, "name: x\n", "nolevels.yaml")
    assert problems.errors[0].column == "levels"


def test_unknown_rule_set_name():
    with pytest.raises(InputError, match="unknown rule set '2030'"):
        load_rules("2030")
    with pytest.raises(InputError, match="file not found"):
        load_rules("/nonexistent/rules.yaml")
