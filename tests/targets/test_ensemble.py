"""Ensemble members' levels and targets (planner.targets.ensemble), recomputed independently."""

from __future__ import annotations

import ensemble_toy as T
import numpy as np
import pandas as pd
import pytest

from planner import ALERT_LEVELS, POLLUTANTS
from planner.policy.alerts import evaluate_alerts
from planner.targets.ensemble import ensemble_report, member_ensemble, met_members, required_members
from planner.targets.forecast import city_daily_aqi, read_forecast
from planner.targets.reductions import load_shares

TOTALS = {"SO2": 3650.0, "NOx": 7300.0, "PM": 1825.0, "VOCs": 365.0}


@pytest.fixture
def forecast(tmp_path):
    path = tmp_path / "forecast.csv"
    T.write_forecast(path)
    return read_forecast(path)


def test_each_member_is_planned_exactly_as_a_single_forecast(forecast):
    shares = load_shares()
    ens = member_ensemble(forecast, "2024", "2026", shares, TOTALS)
    assert ens.members == T.MEMBERS and len(ens.dates) == len(T.DATES)
    for k, name in enumerate(ens.members):
        single = forecast.sel(member=name).drop_vars("member")  # one member = one forecast
        days = evaluate_alerts(city_daily_aqi(single, "2026"), "2024").days
        assert ens.levels[:, k].tolist() == days["level"].tolist()
        for d, level in enumerate(days["level"]):
            want = (
                [0.0] * 4
                if level == "none"
                else [shares.sel(level=level, pollutant=p).item() * TOTALS[p] / 365 for p in POLLUTANTS]
            )
            np.testing.assert_allclose(ens.targets[d, k], want)
    # the toy spans several levels on one day (member factors 0.55 … 1.6)
    assert len(set(ens.levels[1])) >= 3


def test_no_members_gives_no_ensemble(tmp_path):
    path = tmp_path / "single.csv"
    T.write_forecast(path, members=False)
    assert member_ensemble(read_forecast(path), "2024", "2026", load_shares(), TOTALS) is None


@pytest.mark.parametrize(("share", "n"), [(0.8, 4), (0.9, 5), (0.6, 3), (1.0, 5), (0.2, 1), (0.61, 4)])
def test_required_members(share, n):
    assert required_members(share, 5) == n


def test_met_members_by_hand():
    targets = np.array([[[1.0, 0, 0, 0], [2.0, 0, 0, 0], [1.0, 3.0, 0, 0]]])
    met = met_members(np.array([[2.0, 2.0, 0.0, 0.0]]), targets)
    assert met.tolist() == [[True, True, False]]
    assert met_members(np.full((1, 4), np.nan), targets).tolist() == [[False, False, False]]
    # within the relative tolerance 1e-6 of the target
    assert met_members(np.array([[2.0 - 1e-7, 2, 0, 0]]), targets)[0, 1]


def _summary(slots_achieved):
    return {
        "slots": [
            {"slot": s, "level": lv, "achieved": dict(zip(POLLUTANTS, a, strict=True))}
            for s, lv, a in slots_achieved
        ],
        "messages": [],
    }


def test_report_counts_days_without_measures_and_names_unreachable_days(forecast):
    ens = member_ensemble(forecast, "2024", "2026", load_shares(), TOTALS)
    t = ens.targets
    # plan: day 0 and 1 covered at the highest member target, day 2 at nothing
    top = t.max(axis=1)
    summary = _summary([(ens.dates[0], "red", top[0]), (ens.dates[1], "red", top[1] * 0)])
    day_slot = np.array([0, 1, -1, -1])
    reach = np.vstack([top[0], top[1] * 0])  # slot 1 cannot reach anything
    notes = ensemble_report(ens, summary, day_slot=day_slot, reach=reach, chance=0.8)
    need = (t > 0).any(axis=2)
    doc = summary["ensemble"]
    by_day = {d["date"]: d for d in doc["days"]}
    assert by_day[ens.dates[0]]["members_met"] == 5
    assert by_day[ens.dates[1]]["members_met"] == int((~need[1]).sum())
    if need[2].any():
        assert by_day[ens.dates[2]]["slot"] is None
        assert by_day[ens.dates[2]]["members_met"] == int((~need[2]).sum())
    assert summary["slots"][0]["members_met_share"] == 1.0
    assert summary["slots"][1]["members_total"] == 5
    overall = int((~need[1:]).all(axis=0).sum())  # day 0 meets everyone
    assert doc["members_met_all_days"] == overall
    out = set(doc["chance_out_of_reach"])
    assert ens.dates[1] in out and ens.dates[0] not in out
    assert any(ens.dates[1] in n and "ceilings" in n for n in notes)
    for d in doc["days"]:
        assert d["members_required"] == 4
        assert d["member_levels"].keys() == {"none", *ALERT_LEVELS}
        assert sum(d["member_levels"].values()) == 5
    assert pd.Index(doc["days"][i]["date"] for i in range(len(doc["days"]))).is_monotonic_increasing
