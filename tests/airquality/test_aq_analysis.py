"""Expert analyses in µg/m³: firm ranking per 万元, loss–ΔPM2.5 curve beside tonnes, who delivers."""

from __future__ import annotations

import numpy as np
import pytest

from planner.airquality.analysis import delta_shares, firm_ranking, loss_delta_curve
from planner.airquality.effect import CITY, curtailment_coefficients
from planner.scenario.run import run


@pytest.fixture(scope="module")
def listed(repo):
    return run(repo / "scenarios" / "demo_list.yaml")


def test_firm_ranking(listed):
    rank = firm_ranking(listed)
    assert len(rank) == len(listed.prepared.table)  # one row per firm (a firm's lines summed)
    pot = rank["potential_ug_per_wanyuan"].dropna().to_numpy()
    assert (np.diff(pot) <= 1e-15).all()  # best first
    # the ratio is ΔPM2.5 at full cut ÷ loss at full cut, day-weighted, checked for the top firm
    eid = rank.index[0]
    prep = listed.prepared
    rows = prep.inputs["enterprise"].values[prep.inputs["owner"].values == eid]
    A = (
        curtailment_coefficients(prep)
        .sel(receptor=CITY)
        .sum("lag")
        .sel(enterprise=rows)
        .sum("enterprise")
        .values
    )
    days = prep.inputs["days"].values
    loss = prep.inputs["loss_at_full"].sel(enterprise=rows).sum("enterprise").values
    assert rank.loc[eid, "potential_ug_per_wanyuan"] == pytest.approx((A * days).sum() / loss.sum())
    # the plan's columns agree with the schedule
    sched = listed.schedule.set_index(["enterprise_id", "slot"])
    d = (sched["delta_pm25_city"].unstack()[list(prep.slots["slot"])] * days).sum(axis=1)
    np.testing.assert_allclose(rank["plan_delta_pm25"].sort_index(), d.sort_index(), rtol=1e-9)
    cut = rank["plan_loss"] > 0
    assert rank.loc[~cut, "plan_ug_per_wanyuan"].isna().all()
    assert len(firm_ranking(listed, top=5)) == 5


def test_loss_delta_curve_beside_tonnes(listed):
    curve = loss_delta_curve(listed.prepared, shares=[0.1, 0.2, 0.3, 0.6], level="orange")
    ok = curve[curve["status"] == "optimal"]
    assert len(ok) == 3 and curve.iloc[-1]["status"] != "optimal"
    assert (np.diff(ok["loss"]) >= -1e-6).all()
    assert (np.diff(ok["tonnes_total"]) >= -1e-6).all()
    assert (ok["delta_pm25"] > ok["delta_pm25_firms"]).all()  # credited measures add their part
    assert curve.attrs["method"] == "screening"
    # the orange list plan sits on the curve at 20 %: same ΔPM2.5 as its own effect (one day, all lags)
    aq = next(s for s in listed.summary["slots"] if s["slot"] == "orange")["air_quality"]
    at20 = ok.loc[ok["share"] == 0.2, "delta_pm25"].iloc[0]
    assert at20 == pytest.approx(aq["delta_pm25"], rel=0.05)


def test_delta_shares(listed):
    shares = delta_shares(listed, goal=2.0)
    for by in ("county", "industry"):
        df = shares[by]
        assert df["share"].sum() == pytest.approx(1.0)
        assert "non_industrial" in df.index
        assert (df["share_of_goal"] == df["delta_pm25_per_day"] / 2.0).all()
    counties = {c["name"] for c in listed.prepared.city["counties"]}
    assert set(shares["county"].index) - {"non_industrial"} <= counties
    # totals agree with the schedule
    days = listed.prepared.inputs["days"].values
    sched = listed.schedule.set_index(["enterprise_id", "slot"])["delta_pm25_city"].unstack()
    firms = float((sched[list(listed.prepared.slots["slot"])] * days).to_numpy().sum())
    tot = shares["county"]["delta_pm25"]
    assert tot.drop("non_industrial").sum() == pytest.approx(firms)
