"""Non-industrial library, the daily basis of emissions and targets, and the loss basis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from planner import DATA_DIR, POLLUTANTS
from planner.policy.loss import loss_per_day, read_value_added, value_added_rates
from planner.policy.non_industrial import non_industrial_arrays, non_industrial_library, read_non_industrial
from planner.policy.units import apply_basis, city_daily_totals, read_daily_basis
from planner.policy.vocabulary import industry_codes
from planner.problems import InputError
from planner.scenario.run import credited_reductions

CITY = {
    "emission_sectors": {
        "dust": {"SO2": 0.0, "NOx": 0.0, "PM": 3650.0, "VOCs": 0.0},
        "mobile": {"SO2": 365.0, "NOx": 7300.0, "PM": 730.0, "VOCs": 1825.0},
    }
}
LEVELS = ["yellow", "orange", "red", "red"]


# --------------------------------------------------------------------------- non-industrial library


def test_library_is_sourced_and_validated():
    lib = non_industrial_library()
    assert {"construction_dust", "road_cleaning", "heavy_truck_ban"} <= set(lib)
    assert all(m.source for m in lib.values())


def test_arrays_give_tonnes_per_day_and_cost_per_slot():
    uses = [
        {"id": "construction_dust", "use": "on"},
        {"id": "heavy_truck_ban", "use": "optimize"},
        {"name": "x"},
    ]
    arr = non_industrial_arrays(uses, LEVELS, CITY)
    assert arr.ids == ["construction_dust", "heavy_truck_ban"]
    assert arr.mode.tolist() == ["on", "optimize"]
    assert arr.reduction.shape == (2, 4, 4)
    pm = POLLUTANTS.index("PM")
    lib = non_industrial_library()
    assert arr.reduction[0, :, pm].tolist() == pytest.approx(
        [lib["construction_dust"].reductions[lv]["PM"] * 3650.0 / 365.0 for lv in LEVELS]
    )
    assert arr.reduction[1, 2, POLLUTANTS.index("NOx")] == pytest.approx(
        lib["heavy_truck_ban"].reductions["red"]["NOx"] * 20.0
    )
    assert arr.cost[0].tolist() == [lib["construction_dust"].cost[lv] for lv in LEVELS]


def test_on_is_credited_and_optimize_is_not():
    inline = {"name": "fixed", "reductions": {"yellow": {"PM": 1.0}}, "loss": {"yellow": 5.0}}
    on = [inline, {"id": "construction_dust", "use": "on"}]
    both = [*on, {"id": "road_cleaning", "use": "optimize"}]
    c_on, l_on = credited_reductions(on, LEVELS, CITY)
    c_both, l_both = credited_reductions(both, LEVELS, CITY)
    np.testing.assert_allclose(c_on, c_both)
    np.testing.assert_allclose(l_on, l_both)
    dust = non_industrial_library()["construction_dust"]
    assert c_on[0, POLLUTANTS.index("PM")] == pytest.approx(1.0 + dust.reductions["yellow"]["PM"] * 10.0)
    assert l_on[0] == pytest.approx(5.0 + dust.cost["yellow"])


@pytest.mark.parametrize(
    ("uses", "column", "words"),
    [
        ([{"id": "construction_dus"}], "non_industrial[0].id", "did you mean 'construction_dust'"),
        ([{"id": "road_cleaning"}, {"id": "road_cleaning"}], "non_industrial[1].id", "twice"),
        ([{"id": "open_burning_ban"}], "non_industrial[0].id", "residential"),
        ([{"id": "road_cleaning", "use": "maybe"}], "non_industrial[0].use", "use must be"),
    ],
)
def test_arrays_errors_name_the_item(uses, column, words):
    with pytest.raises(InputError) as exc:
        non_industrial_arrays(uses, LEVELS, CITY, file="s.yaml")
    assert any(p.column == column and words in p.message for p in exc.value.problems.errors)


def test_library_file_errors(tmp_path):
    doc = yaml.safe_load((DATA_DIR / "policy" / "non_industrial.yaml").read_text(encoding="utf-8"))
    doc["measures"]["road_cleaning"]["reductions"]["red"]["PM"] = 0.01  # below orange
    doc["measures"]["construction_dust"]["reductions"]["yellow"]["PN"] = 0.1
    del doc["measures"]["heavy_truck_ban"]["source"]
    p = tmp_path / "non_industrial.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_non_industrial(p)
    cols = {e.column for e in exc.value.problems.errors}
    assert "measures.road_cleaning.reductions.red.PM" in cols
    assert "measures.construction_dust.reductions.yellow.PN" in cols
    assert any(c.startswith("measures.heavy_truck_ban") for c in cols)


# --------------------------------------------------------------------------- daily basis


def _table():
    return pd.DataFrame(
        {p: [1.0, 2.0] for p in POLLUTANTS} | {"operating_days": [300.0, 365.0]}, index=["E0", "E1"]
    )


def test_operating_day_basis_counts_the_city_on_the_lists_day():
    totals = dict.fromkeys(POLLUTANTS, 3650.0)
    daily = city_daily_totals(totals, _table(), "operating_day")
    # list annual = 1×300 + 2×365 = 1030 t/a; the rest (2620 t/a) ÷ 365, plus the list's 3 t/d
    assert daily["SO2"] == pytest.approx((3650.0 - 1030.0) / 365.0 + 3.0)
    assert city_daily_totals(totals, _table(), "calendar_day")["NOx"] == pytest.approx(10.0)


def test_apply_basis_keeps_both_sides_on_one_day():
    totals = dict.fromkeys(POLLUTANTS, 3650.0)
    for basis in ("operating_day", "calendar_day"):
        table, annual_eq = apply_basis(_table(), totals, basis)
        share_of_list = table["SO2"].sum() / (annual_eq["SO2"] / 365.0)
        # the list's share of the city's day equals its share of the year on either basis
        year_share = (1.0 * 300 + 2.0 * 365) / 3650.0
        if basis == "calendar_day":
            assert share_of_list == pytest.approx(year_share)
            assert table["SO2"].tolist() == pytest.approx([300 / 365, 2.0])
        else:
            assert table["SO2"].tolist() == [1.0, 2.0]
            assert (
                share_of_list > year_share
            )  # the listed firms run < 365 days: a larger share of a working day


def test_daily_basis_file_is_checked(tmp_path):
    assert read_daily_basis() == "operating_day"
    p = tmp_path / "daily_basis.yaml"
    p.write_text("basis: operating_days\nsource: x\n", encoding="utf-8")
    with pytest.raises(InputError, match="did you mean 'operating_day'"):
        read_daily_basis(p)


# --------------------------------------------------------------------------- loss basis


def test_value_added_rates_cover_every_industry_with_a_source():
    rates = value_added_rates()
    assert set(rates.index) == set(industry_codes())
    assert ((rates > 0) & (rates <= 1)).all()


def test_loss_per_day_on_either_basis():
    t = pd.DataFrame({"output_value_daily": [10.0, 20.0], "industry": ["cement", "pharma"]})
    assert loss_per_day(t).tolist() == [10.0, 20.0]
    r = value_added_rates()
    assert loss_per_day(t, "value_added").tolist() == pytest.approx([10.0 * r["cement"], 20.0 * r["pharma"]])
    with pytest.raises(ValueError, match="loss basis"):
        loss_per_day(t, "profit")


def test_value_added_file_errors(tmp_path):
    text = (DATA_DIR / "policy" / "value_added.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    bad = [lines[0], lines[1].replace(",0.21,", ",1.7,"), *lines[3:]]  # drop steel_short
    p = tmp_path / "value_added.csv"
    p.write_text("\n".join(bad) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_value_added(p)
    msgs = [(e.row, e.column, e.message) for e in exc.value.problems.errors]
    assert any(r == 2 and c == "value_added_rate" for r, c, _ in msgs)
    assert any("steel_short" in m for _, _, m in msgs)
