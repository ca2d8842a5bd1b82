"""IAQI/AQI against values computed by hand from HJ 633 (2012 and 2026).

IAQI = (IAQI_hi - IAQI_lo) / (BP_hi - BP_lo) * (C - BP_lo) + IAQI_lo, rounded UP (HJ 633 6.2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.policy.aqi import aqi_table, iaqi, load_breakpoints, normalise_edition, primary_pollutant
from planner.problems import InputError

# (pollutant, averaging, edition, concentration, expected IAQI) with the arithmetic.
HAND = [
    # SO2 24h: 0-50-150-475-800-1600-2100-2620
    ("SO2", "24h", "2012", 0, 0),
    ("SO2", "24h", "2012", 50, 50),  # breakpoint
    ("SO2", "24h", "2012", 100, 75),  # 50 + 50/100*(100-50) = 75
    ("SO2", "24h", "2026", 151, 101),  # 100 + 50/325*1 = 100.15 -> 101
    ("SO2", "24h", "2012", 1000, 225),  # 200 + 100/800*200 = 225
    ("SO2", "24h", "2012", 2620, 500),  # top breakpoint
    # NO2 24h: 0-40-80-180-280-565-750-940
    ("NO2", "24h", "2012", 40, 50),
    ("NO2", "24h", "2012", 60, 75),  # 50 + 50/40*20 = 75
    ("NO2", "24h", "2026", 100, 110),  # 100 + 50/100*20 = 110
    ("NO2", "24h", "2012", 300, 208),  # 200 + 100/285*20 = 207.02 -> 208
    # PM10 24h 2012: 0-50-150-250-350-420-500-600
    ("PM10", "24h", "2012", 150, 100),
    ("PM10", "24h", "2012", 151, 101),  # 100 + 50/100*1 = 100.5 -> 101
    ("PM10", "24h", "2012", 400, 272),  # 200 + 100/70*50 = 271.43 -> 272
    # PM10 24h 2026: IAQI-100 breakpoint 150 -> 120
    ("PM10", "24h", "2026", 120, 100),
    ("PM10", "24h", "2026", 150, 112),  # 100 + 50/130*30 = 111.54 -> 112
    ("PM10", "24h", "2026", 100, 86),  # 50 + 50/70*50 = 85.71 -> 86
    # CO 24h (mg/m3): 0-2-4-14-24-36-48-60
    ("CO", "24h", "2012", 2, 50),
    ("CO", "24h", "2012", 3, 75),  # 50 + 50/2*1 = 75
    ("CO", "24h", "2026", 4.1, 101),  # 100 + 50/10*0.1 = 100.5 -> 101
    ("CO", "24h", "2012", 60, 500),
    # O3 8h: 0-100-160-215-265-800
    ("O3", "8h", "2012", 100, 50),
    ("O3", "8h", "2012", 160, 100),
    ("O3", "8h", "2026", 200, 137),  # 100 + 50/55*40 = 136.36 -> 137
    ("O3", "8h", "2012", 265, 200),
    ("O3", "8h", "2012", 800, 300),  # top of the 8-h table
    # O3 1h: 0-160-200-300-400-800-1000-1200
    ("O3", "1h", "2012", 160, 50),
    ("O3", "1h", "2012", 250, 125),  # 100 + 50/100*50 = 125
    ("O3", "1h", "2026", 900, 350),  # 300 + 100/200*100 = 350
    # PM2.5 24h 2012: 0-35-75-115-150-250-350-500
    ("PM2.5", "24h", "2012", 10, 15),  # 50/35*10 = 14.29 -> 15 (rounded up)
    ("PM2.5", "24h", "2012", 35, 50),
    ("PM2.5", "24h", "2012", 75, 100),
    ("PM2.5", "24h", "2012", 75.1, 101),  # 100 + 50/40*0.1 = 100.125 -> 101
    ("PM2.5", "24h", "2012", 115, 150),
    ("PM2.5", "24h", "2012", 150, 200),
    ("PM2.5", "24h", "2012", 250, 300),
    ("PM2.5", "24h", "2012", 300, 350),  # 300 + 100/100*50
    ("PM2.5", "24h", "2012", 500, 500),
    # PM2.5 24h 2026: IAQI-100 breakpoint 75 -> 60
    ("PM2.5", "24h", "2026", 35.1, 51),  # 50 + 50/25*0.1 = 50.2 -> 51
    ("PM2.5", "24h", "2026", 60, 100),
    ("PM2.5", "24h", "2026", 75, 114),  # 100 + 50/55*15 = 113.64 -> 114
    ("PM2.5", "24h", "2026", 150, 200),  # unchanged above 115
    # 1-h tables of SO2, NO2 and CO (real-time reports)
    ("SO2", "1h", "2012", 500, 100),
    ("NO2", "1h", "2012", 1200, 200),
    ("CO", "1h", "2026", 7.5, 75),  # 50 + 50/5*2.5 = 75
]


@pytest.mark.parametrize(("pollutant", "averaging", "edition", "conc", "expected"), HAND)
def test_iaqi_by_hand(pollutant, averaging, edition, conc, expected):
    got = iaqi([conc], pollutant, averaging, edition)
    assert got[0] == expected


def test_vectorised_and_nan():
    got = iaqi(np.array([[0, 35], [np.nan, 75]]), "PM2.5", "24h", "2012")
    assert got.shape == (2, 2)
    assert got[0, 0] == 0 and got[0, 1] == 50 and np.isnan(got[1, 0]) and got[1, 1] == 100
    assert not np.signbit(got[0, 0])  # 0, not -0


def test_segment_edges_agree_on_both_sides():
    # just below and on each breakpoint: never jumps past the breakpoint's IAQI
    for c, i in [(74.999, 100), (75, 100), (114.99, 150), (115, 150), (349.99, 400), (350, 400)]:
        assert iaqi([c], "PM2.5", "24h", "2012")[0] == i


def test_above_top_breakpoint_capped_and_flagged():
    # PM2.5 600 > 500 (top): the standard defines no IAQI above 500 -> reported 500, flagged
    val, flag = iaqi([500, 600], "PM2.5", "24h", "2026", return_flag=True)
    assert list(val) == [500, 500] and list(flag) == [False, True]
    # SO2 1h above 800: 2012 not computed (use 24h), 2026 counted as 200
    v12, f12 = iaqi([801], "SO2", "1h", "2012", return_flag=True)
    assert np.isnan(v12[0]) and f12[0]
    assert iaqi([801], "SO2", "1h", "2026")[0] == 200
    # O3 8h above 800: 2012 not computed (1-h IAQI used), 2026 counted as 300
    assert np.isnan(iaqi([801], "O3", "8h", "2012")[0])
    assert iaqi([801], "O3", "8h", "2026")[0] == 300


def test_negative_rejected():
    with pytest.raises(ValueError, match="negative"):
        iaqi([-1], "PM2.5")


def test_aqi_and_primary_pollutant():
    conc = pd.DataFrame(
        {
            # 2012: PM2.5 75 -> 100, PM10 150 -> 100: tie -> both primary
            "PM2.5": [75, 20, 35, 150, 50],
            "PM10": [150, 30, 40, 100, 60],
            "SO2": [10, 10, 10, 10, 10],
            "NO2": [40, 100, 20, 40, 40],  # row 1: NO2 100 -> 110 is the max
            "CO": [1, 1, 1, 1, 1],
            "O3": [50, 50, 50, 50, 300],  # row 4: O3 8h 300 -> 200 + 100/535*35 = 206.5 -> 207
        }
    )
    t = aqi_table(conc, "2012")
    assert list(t["aqi"]) == [100, 110, 50, 200, 207]
    assert list(t["primary_pollutant"]) == ["PM10,PM2.5", "NO2", "", "PM2.5", "O3"]
    # AQI exactly 50 -> no primary pollutant (only when AQI > 50)
    assert t["primary_pollutant"].iloc[2] == ""
    assert str(t["aqi"].dtype) == "Int64"


def test_2026_lowers_pm_breakpoints():
    t12 = aqi_table({"PM2.5": [75.0], "PM10": [150.0]}, "2012")
    t26 = aqi_table({"PM2.5": [75.0], "PM10": [150.0]}, "2026")
    assert t12["aqi"].iloc[0] == 100
    assert t26["aqi"].iloc[0] == 114  # PM2.5: 100 + 50/55*15 = 113.6 -> 114 > PM10 112
    assert t26["primary_pollutant"].iloc[0] == "PM2.5"


def test_o3_1h_enters_daily_aqi_and_counts_once_as_primary():
    # O3 8h 160 -> 100; O3 1h 200 -> 100: tie within O3 reported once
    t = aqi_table({"O3": [160.0], "O3_1h": [200.0], "PM2.5": [10.0]}, "2012")
    assert t["aqi"].iloc[0] == 100 and t["primary_pollutant"].iloc[0] == "O3"
    # 2012: O3 8h above 800 is not computed; the 1-h IAQI stands (900 -> 350)
    t = aqi_table({"O3": [900.0], "O3_1h": [900.0]}, "2012")
    assert t["aqi"].iloc[0] == 350 and bool(t["beyond_scale"].iloc[0])


def test_beyond_scale_day():
    t = aqi_table({"PM2.5": [650.0], "PM10": [700.0]}, "2026")
    assert t["aqi"].iloc[0] == 500 and bool(t["beyond_scale"].iloc[0])
    assert t["primary_pollutant"].iloc[0] == "PM10,PM2.5"


def test_missing_values_skip_pollutant():
    t = aqi_table({"PM2.5": [np.nan, np.nan], "PM10": [200.0, np.nan]}, "2012")
    assert t["aqi"].iloc[0] == 125  # 100 + 50/100*50
    assert pd.isna(t["aqi"].iloc[1]) and t["primary_pollutant"].iloc[1] == ""


def test_primary_pollutant_helper():
    out = primary_pollutant(
        {"PM2.5": np.array([60.0, 40.0]), "PM10": np.array([60.0, 30.0])}, np.array([60.0, 40.0])
    )
    assert list(out) == ["PM2.5,PM10", ""]


def test_editions():
    assert normalise_edition(2026) == "2026" and normalise_edition("HJ 633-2012") == "2012"
    with pytest.raises(ValueError, match="unknown AQI standard '2020'"):
        normalise_edition("2020")


def test_shipped_table_complete():
    bp = load_breakpoints()
    for ed in ("2012", "2026"):
        for pol, avg in [
            ("SO2", "24h"),
            ("SO2", "1h"),
            ("NO2", "24h"),
            ("NO2", "1h"),
            ("PM10", "24h"),
            ("CO", "24h"),
            ("CO", "1h"),
            ("O3", "1h"),
            ("O3", "8h"),
            ("PM2.5", "24h"),
        ]:
            lo, hi, ilo, _ihi, _ = bp.segments(ed, pol, avg)
            assert lo[0] == 0 and np.all(lo[1:] == hi[:-1]) and np.all(np.diff(ilo) > 0)


def _write(tmp_path, rows):
    p = tmp_path / "aqi_breakpoints.csv"
    with open(load_breakpoints.__globals__["BREAKPOINTS_FILE"], encoding="utf-8") as fh:
        text = fh.read().splitlines()
    p.write_text("\n".join(rows(text)) + "\n", encoding="utf-8")
    return p


def test_validation_missing_breakpoint(tmp_path):
    # drop the 2026 PM2.5 segment 100-150 (60-115): the next segment no longer joins
    p = _write(
        tmp_path, lambda lines: [ln for ln in lines if not ln.startswith("2026,PM2.5,24h,ug/m3,100,150")]
    )
    with pytest.raises(InputError) as exc:
        load_breakpoints(p)
    text = exc.value.problems.to_text()
    assert "PM2.5 24h (HJ 633-2026)" in text and "not monotone" in text


def test_validation_non_monotone(tmp_path):
    # NO2 24h segment 100-150 written as 80 -> 70: bp_hi < bp_lo
    p = _write(
        tmp_path,
        lambda lines: [
            ln.replace("2012,NO2,24h,ug/m3,100,150,80,180", "2012,NO2,24h,ug/m3,100,150,80,70")
            for ln in lines
        ],
    )
    with pytest.raises(InputError) as exc:
        load_breakpoints(p)
    (problem,) = exc.value.problems.errors
    assert problem.file.endswith("aqi_breakpoints.csv")
    assert (
        problem.column == "bp_hi"
        and "NO2 24h (HJ 633-2012)" in problem.message
        and "increase" in problem.message
    )
    assert problem.row is not None and problem.row > 1


def test_validation_non_numeric(tmp_path):
    p = _write(
        tmp_path,
        lambda lines: [
            ln.replace("2012,CO,24h,mg/m3,0,50,0,2,", "2012,CO,24h,mg/m3,0,50,0,two,") for ln in lines
        ],
    )
    with pytest.raises(InputError) as exc:
        load_breakpoints(p)
    (problem,) = exc.value.problems.errors
    assert problem.column == "bp_hi" and "non-numeric breakpoint 'two'" in problem.message


def test_validation_missing_table(tmp_path):
    p = _write(tmp_path, lambda lines: [ln for ln in lines if not ln.startswith("2012,O3,8h")])
    with pytest.raises(InputError, match="missing breakpoints for O3 8h in HJ 633-2012"):
        load_breakpoints(p)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [("PM2.5", "24h"), ("PM10", "24h"), ("SO2", "24h"), ("NO2", "24h"), ("CO", "24h"), ("O3", "1h")]
    ),
    st.sampled_from(["2012", "2026"]),
    st.floats(0, 3000, allow_nan=False),
    st.floats(0, 3000, allow_nan=False),
)
def test_iaqi_monotone_integer_and_bounded(table, edition, a, b):
    pol, avg = table
    lo, hi = sorted((a, b))
    ia, ib = iaqi([lo, hi], pol, avg, edition)
    assert 0 <= ia <= ib <= 500
    assert ia == int(ia) and ib == int(ib)


# issue 14: an infinite concentration is broken input, not a day beyond the scale
@pytest.mark.parametrize("pollutant", ["PM10", "PM2.5", "CO"])
def test_infinite_concentration_rejected_not_500(pollutant):
    with pytest.raises(ValueError, match=f"infinite {pollutant} concentration"):
        iaqi([np.inf], pollutant)
    with pytest.raises(ValueError, match="infinite"):
        aqi_table({pollutant: [50.0, np.inf]})


def test_validation_infinite_breakpoint(tmp_path):
    p = _write(
        tmp_path,
        lambda lines: [
            ln.replace("2012,CO,24h,mg/m3,0,50,0,2,", "2012,CO,24h,mg/m3,0,50,0,inf,") for ln in lines
        ],
    )
    with pytest.raises(InputError) as exc:
        load_breakpoints(p)
    (problem,) = exc.value.problems.errors
    assert problem.column == "bp_hi" and "non-numeric breakpoint 'inf'" in problem.message


def test_unreadable_breakpoint_file(tmp_path):
    p = tmp_path / "bp.csv"
    p.write_bytes(b"edition,pollutant\n\xff\xfe\x00bad\n")
    with pytest.raises(InputError, match="cannot read the breakpoint table"):
        load_breakpoints(p)
