"""Alert rule sets (2024 default, 2017) at their edges, custom rule files and validation."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.policy.alerts import RULES_DIR, alert_levels, load_rules
from planner.problems import InputError


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


# --------------------------------------------------------------------------- 2024 rules
def test_shipped_rule_sets_load():
    r24, r17 = load_rules("2024"), load_rules("2017")
    assert load_rules().name == r24.name
    assert set(r24.levels) == set(r17.levels) == {"yellow", "orange", "red"}
    assert r24.exclude_primary == ("O3",) and r17.exclude_primary == ()
    assert r24.lift_below_hours == 36


def test_2024_exactly_200_is_not_above_200():
    assert levels([100, 200, 100]) == ["none", "none", "none"]
    assert levels([100, 201, 100]) == ["none", "yellow", "none"]  # AQI>200 on a day


def test_2024_above_150_for_48_and_72_hours():
    assert levels([150, 150, 150]) == ["none"] * 3  # exactly 150 never counts
    assert levels([151, 151, 100]) == ["yellow", "yellow", "none"]  # >150 for 48 h
    assert levels([151, 151, 151]) == ["orange"] * 3  # >150 for 72 h


def test_2024_above_200_for_48_hours_is_orange():
    assert levels([100, 201, 201, 100]) == ["none", "orange", "orange", "none"]


def test_2024_red_needs_300_strictly():
    # >200 for 72 h with a day at exactly 300: not red
    assert levels([250, 300, 250]) == ["orange"] * 3
    # with 301: the >300 day is red (it lies in a >200 run of 72 h and a >300 run of 24 h)
    assert levels([250, 301, 250]) == ["orange", "red", "orange"]
    # only 48 h above 200: never red, even with a >300 day
    assert levels([100, 350, 350, 100]) == ["none", "orange", "orange", "none"]


def test_hourly_47_vs_48_hours():
    # 47 hours of AQI 160 (> 150) do not make the 48-h condition; 48 hours do.
    got47 = alert_levels(hourly([100] * 5 + [160] * 47 + [100] * 5), "2024")
    got48 = alert_levels(hourly([100] * 5 + [160] * 48 + [100] * 5), "2024")
    assert set(got47["level"]) == {"none"}
    assert list(got48["level"][5:53]) == ["yellow"] * 48 and got48["level"][53] == "none"
    # the 2024 "AQI > 200 on a day" = 24 h: 23 hours are not enough
    assert set(alert_levels(hourly([100] + [210] * 23 + [100]), "2024")["level"]) == {"none"}
    assert (alert_levels(hourly([100] + [210] * 24 + [100]), "2024")["level"] == "yellow").sum() == 24


def test_alternating_levels_higher_wins():
    # >200 for 5 days with >300 on days 2 and 4: raw orange/red/orange/red/orange;
    # the one-day dip between the two red days (24 h <= 36 h) stays red
    assert levels([250, 310, 250, 310, 250]) == ["orange", "red", "red", "red", "orange"]


def test_alternating_levels_without_higher_level_wins(tmp_path):
    text = (
        (RULES_DIR / "2024.yaml")
        .read_text(encoding="utf-8")
        .replace("higher_level_wins: true", "higher_level_wins: false")
    )
    p = tmp_path / "nohold.yaml"
    p.write_text(text, encoding="utf-8")
    assert levels([250, 310, 250, 310, 250], rules=p) == ["orange", "red", "orange", "red", "orange"]


def test_merged_episodes():
    out = alert_levels(daily([201, 100, 201, 50, 50, 201]), "2024")
    # a one-day gap (24 h < merge_gap_hours 48) merges; the dip (24 h <= 36 h) keeps yellow
    assert list(out["level"]) == ["yellow", "yellow", "yellow", "none", "none", "yellow"]
    assert list(out["episode"].astype("float").fillna(0)) == [1, 1, 1, 0, 0, 2]


def test_long_gap_merged_but_lifted(tmp_path):
    text = (
        (RULES_DIR / "2024.yaml")
        .read_text(encoding="utf-8")
        .replace("merge_gap_hours: 48", "merge_gap_hours: 72")
    )
    p = tmp_path / "merge72.yaml"
    p.write_text(text, encoding="utf-8")
    out = alert_levels(daily([201, 100, 100, 201]), p)
    # a 48-h gap is shorter than 72 h: one episode; but 48 h > lift_below_hours: the alert lifts
    assert list(out["level"]) == ["yellow", "none", "none", "yellow"]
    assert list(out["episode"]) == [1, 1, 1, 1]


def test_dip_held_at_lower_neighbour():
    # yellow, dip, orange: the dip is held at yellow (the lower of the two sides)
    assert levels([151, 151, 120, 201, 201]) == ["yellow", "yellow", "yellow", "orange", "orange"]


def test_o3_only_days_are_advisories_in_2024():
    out = alert_levels(daily([210, 220, 230], primary="O3"), "2024")
    assert set(out["level"]) == {"none"} and out["advisory"].all()
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
    assert levels([151, None, 151]) == ["none"] * 3
    d = daily([151, 151, 151])
    d.loc[2, "date"] = pd.Timestamp("2026-12-05")  # not consecutive
    assert list(alert_levels(d, "2024")["level"]) == ["yellow", "yellow", "none"]


# --------------------------------------------------------------------------- 2017 rules
def test_2017_yellow_two_days_above_200():
    assert levels([201], rules="2017") == ["none"]  # the blue level is not kept
    assert levels([200, 200], rules="2017") == ["none", "none"]
    assert levels([201, 201], rules="2017") == ["yellow", "yellow"]


def test_2017_orange_edges():
    assert levels([201, 201, 300], rules="2017") == ["yellow"] * 3  # exactly 300 not > 300
    assert levels([201, 201, 301], rules="2017") == ["yellow", "yellow", "orange"]
    assert levels([201, 301], rules="2017") == ["yellow", "yellow"]  # only 48 h above 200


def test_2017_red_edges():
    # >200 for 4 days and >300 for 2 days
    assert levels([250, 301, 301, 250], rules="2017") == ["yellow", "red", "red", "yellow"]
    # >300 only 1 day: orange
    assert levels([250, 301, 250, 250], rules="2017") == ["yellow", "orange", "yellow", "yellow"]
    # AQI reaching 500 on one day: red by itself; 499 is not
    assert levels([100, 500, 100], rules="2017") == ["none", "red", "none"]
    assert levels([100, 499, 100], rules="2017") == ["none", "none", "none"]


def test_empty_and_keeps_columns():
    out = alert_levels(daily([]), "2024")
    assert list(out.columns[-3:]) == ["level", "episode", "advisory"] and len(out) == 0
    d = daily([201])
    d["aqi_p90"] = 250
    assert "aqi_p90" in alert_levels(d).columns


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
    assert "alert_rules/2024.yaml, column 'levels.orange.conditions[1].hours'" in str(p)


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
higher_level_wins: yes please
merge_gap_hours: -1
exclude_primary: [O3, dust]
""",
    )
    cols = {p.column: p.message for p in problems.errors}
    assert "did you mean 'yellow'" in cols["levels.yelow"]
    assert "exactly one of" in cols["levels.orange.conditions[0]"]
    assert "expected a number" in cols["levels.orange.conditions[1].aqi_above"]
    assert "whole hours" in cols["levels.red.conditions[0].all_of[1].hours"]
    assert "'hours' is missing" in cols["levels.red.conditions[1].hours"]
    assert "true or false" in cols["higher_level_wins"]
    assert "outside" in cols["merge_gap_hours"]
    assert "unknown pollutant 'dust'" in cols["exclude_primary[1]"]
    assert all(p.file == "alert_rules/bad.yaml" for p in problems.errors)


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
