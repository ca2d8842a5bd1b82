"""The measures' new arrays reach the PlanInputs; scenario keys plants, loss_basis, library measures."""

from __future__ import annotations

import numpy as np
import pytest

from planner import POLLUTANTS
from planner.policy.loss import value_added_rates
from planner.policy.units import city_daily_totals
from planner.scenario.run import prepare, solve_prepared


@pytest.fixture(scope="module")
def demo(repo):
    return prepare(repo / "scenarios" / "demo_list.yaml")


@pytest.fixture(scope="module")
def custom(repo, tmp_path_factory):
    d = tmp_path_factory.mktemp("measures-scenario")
    prepared = prepare(repo / "scenarios" / "demo_list.yaml")
    table = prepared.table
    eid = str(
        table.index[
            (table["industry"] == "other").to_numpy()
            & (table["control_type"] == "general").to_numpy()
            & (table["grade"] == "ungraded").to_numpy()  # not a 引领性 (self-directed) firm
        ][0]
    )
    (d / "plants.yaml").write_text(
        "source: 一厂一策（测试）\n"
        f"plants:\n  {eid}:\n"
        "    yellow: [{type: cut_pct, value: 0.15}]\n"
        "    orange: [{type: cut_pct, value: 0.3}]\n"
        "    red: [stop]\n",
        encoding="utf-8",
    )
    (d / "s.yaml").write_text(
        f"base: {repo / 'scenarios' / 'demo_list.yaml'}\n"
        "name: measures_custom\n"
        f"plants: {d / 'plants.yaml'}\n"
        "options: {loss_basis: value_added}\n"
        "non_industrial:\n"
        "  - {id: construction_dust, use: on}\n"
        "  - {id: heavy_truck_ban, use: optimize}\n"
        "  - {id: road_cleaning, use: optimize}\n",
        encoding="utf-8",
    )
    return prepare(d / "s.yaml"), eid


def test_new_arrays_keep_the_old_variables_meaning(demo):
    inp, b = demo.inputs, demo.bounds
    whole = inp["line_id"].values == ""  # firms without lines are one row each, as before
    assert whole.sum() + (~whole).sum() == inp.sizes["enterprise"] and (~whole).any()
    rows = demo.table.index.get_indexer(inp["owner"].values[whole])
    emis = demo.table[list(POLLUTANTS)].to_numpy()[rows]
    idx = b.get_index("level").get_indexer(inp["level"].values)
    factor = b["factor"].transpose("enterprise", "level", "pollutant").to_numpy()[rows][:, idx, :]
    extra = b["extra_factor"].transpose("enterprise", "level", "pollutant").to_numpy()[rows][:, idx, :]
    floor = inp["floor"].values[whole]
    np.testing.assert_allclose(
        inp["floor_reduction"].values[whole], emis[:, None, :] * floor[:, :, None] * factor
    )
    np.testing.assert_allclose(inp["extra_reducible"].values[whole], emis[:, None, :] * extra)
    # reducible: t/d removed at curtailment 1 (the floor measures, the rest as a load cut)
    np.testing.assert_allclose(
        inp["reducible"].values[whole],
        emis[:, None, :] * (floor[:, :, None] * factor + (1 - floor)[:, :, None] * extra),
    )
    assert (inp["floor_integer"].values <= inp["floor"].values + 1e-12).all()
    assert inp.attrs["loss_basis"] == "output_value"
    assert inp.sizes["measure"] == 0


def test_line_rows_carry_their_shares_of_the_firm(demo):
    inp, units = demo.inputs, demo.unit_table
    line = inp["line_id"].values != ""
    rows = demo.table.index.get_indexer(inp["owner"].values)
    out = demo.table["output_value_daily"].to_numpy()[rows]
    np.testing.assert_allclose(
        inp["loss_at_full"].values[:, 0], out * units["output_share"].to_numpy() * inp["days"].values[0]
    )
    emis = (
        demo.table[list(POLLUTANTS)].to_numpy()[rows] * units[[f"{p}_share" for p in POLLUTANTS]].to_numpy()
    )
    np.testing.assert_allclose(
        inp["extra_reducible"].values[line][:, 0, :],
        emis[line] * demo.units["extra_factor"].transpose("unit", "level", "pollutant").values[line][:, 0, :],
    )
    # a firm's rows add up to the firm
    assert np.bincount(rows, weights=inp["output_share"].values) == pytest.approx(np.ones(len(demo.table)))


def test_targets_and_list_on_one_daily_basis(demo):
    daily = city_daily_totals(demo.city["total_emissions"], demo.table, "operating_day")
    shares = demo.shares
    for s, lv in enumerate(demo.inputs["level"].values):
        for j, p in enumerate(POLLUTANTS):
            want = float(shares.sel(level=lv, pollutant=p)) * daily[p]
            assert demo.inputs["target"].values[s, j] == pytest.approx(want)


def test_non_key_firms_are_the_optimizers_choice_in_the_demo(demo):
    b = demo.bounds
    non_key = b["control_class"].values == "non_key"
    assert non_key.sum() > 100
    # the demo list gives part of them a plant-by-plant cut (plant_cut_*); the rest are the optimizer's
    own = demo.table["plant_cut_red"].notna().to_numpy()
    free = non_key & ~own
    assert free.sum() > 100
    assert (b["floor"].values[free] == 0).all()
    assert (b["ceiling"].values[free] > 0).any()


def test_scenario_plants_value_added_and_library_measures(custom, demo):
    prepared, eid = custom
    inp = prepared.inputs
    assert inp.attrs["loss_basis"] == "value_added"
    rates = value_added_rates().reindex(inp["industry"].values.astype(str)).to_numpy()
    np.testing.assert_allclose(
        inp["loss_at_full"].values, demo.inputs["loss_at_full"].values * rates[:, None]
    )
    b = prepared.bounds
    assert b["floor"].sel(enterprise=eid).values.tolist() == pytest.approx([0.15, 0.3, 1.0])
    assert b["plant_specific"].sel(enterprise=eid).all()
    assert inp["measure"].values.tolist() == ["heavy_truck_ban", "road_cleaning"]
    assert inp["ni_reduction"].dims == ("measure", "slot", "pollutant")
    assert (inp["ni_cost"].values > 0).all()
    # construction_dust is on: credited on top of the base scenario's inline items
    assert (
        inp["credited"].values[:, POLLUTANTS.index("PM")]
        > demo.inputs["credited"].values[:, POLLUTANTS.index("PM")]
    ).all()
    result = solve_prepared(prepared)
    assert result.summary["loss_basis"] == "value_added"
    assert result.summary["status"] == "optimal", result.summary["messages"]
