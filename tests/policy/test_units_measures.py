"""Measures per line (evaluate_units): items act on the lines of their process, add up across
processes, line stops count whole lines of their group, process-time extensions are never clipped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner import POLLUTANTS
from planner.inventory.lines import LINE_COLUMNS, units_table
from planner.policy.measures import evaluate_measures, evaluate_units, load_measures, load_plant_measures

PLANTS = """source: 一厂一策（测试）
plants:
  S1: &steel
    yellow: [{type: cut_pct, value: 0.1}]
    orange:
      - {type: process_stop, value: 0.4, process: sinter, factors: {SO2: 1.0, NOx: 1.0, PM: 0.8, VOCs: 0.5}}
      - {type: cut_pct, value: 0.1}
    red:
      - {type: process_stop, value: 0.4, process: sinter, factors: {SO2: 1.0, NOx: 1.0, PM: 0.8, VOCs: 0.5}}
      - {type: time_extension, t0: 24, t1: 36, process: coke_oven, process_share: 0.15}
      - {type: stop_lines_share, value: 0.5, process: blast_furnace, process_share: 0.5}
      - {type: cut_pct, value: 0.1}
  S2: *steel
"""


def table() -> pd.DataFrame:
    t = pd.DataFrame(
        {
            "industry": "steel_long",
            "grade": "B",
            "control_type": "key",
            "load_cap": np.nan,
            "line_count": 5,
            "base_share": 1.0,
            "technical_max_cut": [1.0, 0.1],
            "SO2": 1.0,
            "NOx": 1.0,
            "PM": 1.0,
            "VOCs": 1.0,
            "operating_days": 330.0,
        },
        index=pd.Index(["S1", "S2", "P3"][:2], name="enterprise_id"),
    )
    t["self_directed"] = False
    return t


def lines() -> pd.DataFrame:
    rows = []
    for eid in ("S1", "S2"):
        for lid, proc, share in (
            ("1#烧结机", "sinter", 0.3),
            ("1#焦炉", "coke_oven", 0.2),
            ("1#高炉", "blast_furnace", 0.2),
            ("2#高炉", "blast_furnace", 0.2),
            ("1#转炉", "converter", 0.1),
        ):
            rows.append(
                {
                    "enterprise_id": eid,
                    "line_id": lid,
                    "process": proc,
                    "capacity": np.nan,
                    "capacity_unit": "",
                    "output_share": share,
                    **{f"{p}_share": share for p in POLLUTANTS},
                }
            )
    df = pd.DataFrame(rows)[list(LINE_COLUMNS)]
    df["row"] = np.arange(len(df)) + 2
    return df


@pytest.fixture(scope="module")
def units(tmp_path_factory):
    d = tmp_path_factory.mktemp("plants")
    (d / "plants.yaml").write_text(PLANTS, encoding="utf-8")
    plants = load_plant_measures(d / "plants.yaml")
    book = load_measures()
    t = table()
    bounds = evaluate_measures(t, book, plant_measures=plants)
    return evaluate_units(t, units_table(t, lines()), bounds, book, plants)


def cell(u, var, unit, level):
    return float(u[var].sel(unit=unit, level=level))


def test_a_general_item_acts_on_every_line(units):
    for lid in ("1#烧结机", "1#焦炉", "1#高炉", "2#高炉", "1#转炉"):
        assert cell(units, "floor", f"S1/{lid}", "yellow") == pytest.approx(0.1)
    assert (units["group"].sel(level="yellow").values == -1).all()


def test_a_process_item_acts_only_on_its_process_and_items_add_up(units):
    # orange: the sinter stop (1) plus the general 10 % cut, clipped to 1; other lines only the cut
    assert cell(units, "floor", "S1/1#烧结机", "orange") == pytest.approx(1.0)
    for lid in ("1#焦炉", "1#高炉", "2#高炉", "1#转炉"):
        assert cell(units, "floor", f"S1/{lid}", "orange") == pytest.approx(0.1)
    # red: coke oven 1 − 24/36 plus the cut (added, not the max of the two)
    assert cell(units, "floor", "S1/1#焦炉", "red") == pytest.approx(1 / 3 + 0.1)
    # the sinter stop's factors weigh in the sinter line's floor factor (scaled with the clip)
    so2 = units["floor_factor"].sel(unit="S1/1#烧结机", level="orange", pollutant="PM").item()
    assert so2 == pytest.approx((1.0 * 0.8 + 0.1 * 1.0) / 1.1)
    assert cell(units, "floor", "S1/1#转炉", "red") == pytest.approx(0.1)


def test_a_line_stop_counts_whole_lines_of_its_process(units):
    g = units["group"].sel(level="red")
    bf = [f"S1/{lid}" for lid in ("1#高炉", "2#高炉")]
    ids = g.sel(unit=bf).values
    assert ids[0] == ids[1] >= 0
    assert units["group_count"].values[ids[0]] == 1.0  # ceil(0.5 × 2 furnaces)
    assert units["group_process"].values[ids[0]] == "blast_furnace"
    assert units["whole_lines"].sel(unit=bf, level="red").values.all()
    assert (
        not units["whole_lines"].sel(unit="S1/1#焦炉", level="red").item()
    )  # a time extension is continuous
    assert g.sel(unit="S1/1#转炉").item() == -1


def test_a_time_extension_is_never_clipped_by_the_technical_maximum(units):
    # S2 may cut at most 10 %: the coke oven keeps 1 − 24/36 (ceiling raised, conflict reported);
    # the sinter stop is clipped to 10 %; no furnace can stop, so no line-stop group
    assert cell(units, "floor", "S2/1#焦炉", "red") == pytest.approx(1 / 3)
    assert cell(units, "ceiling", "S2/1#焦炉", "red") == pytest.approx(1 / 3)
    assert bool(units["floor_conflict"].sel(unit="S2/1#焦炉", level="red"))
    assert cell(units, "floor", "S2/1#烧结机", "red") == pytest.approx(0.1)
    assert bool(units["floor_clipped"].sel(unit="S2/1#烧结机", level="red"))
    assert (
        units["group"].sel(unit=[u for u in units["unit"].values if u.startswith("S2")]).values == -1
    ).all()


def test_floors_never_fall_from_one_level_to_the_next(units):
    f = units["floor"].values
    assert (np.diff(f, axis=1) >= -1e-12).all()


def test_a_line_that_cannot_stop_is_cut_at_most_its_max_cut(units):
    # coke ovens cannot stop (processes.csv can_stop: no, max_cut 0.5 = coking time 24 h → 48 h)
    for level in ("yellow", "orange", "red"):
        assert cell(units, "ceiling", "S1/1#焦炉", level) == pytest.approx(0.5)
        assert cell(units, "ceiling", "S1/1#烧结机", level) == pytest.approx(1.0)
        assert not bool(units["whole_lines"].sel(unit="S1/1#焦炉", level=level))


GENERAL_STOP = """source: 一厂一策（测试）
plants:
  S1: &all
    yellow: [{type: cut_pct, value: 0.1}]
    orange: [{type: cut_pct, value: 0.2}]
    red:
      - {type: stop_lines_share, value: 1.0}
      - {type: time_extension, t0: 24, t1: 72, process: coke_oven, process_share: 0.2}
  S2: *all
"""


def test_a_line_stop_leaves_out_lines_that_cannot_stop(tmp_path):
    """ "Stop every line" stops the four lines that can stop; the coke oven keeps its time extension
    (1 − 24/72, above its max_cut: the floor stays and is the ceiling) and is in no stop group."""
    (tmp_path / "plants.yaml").write_text(GENERAL_STOP, encoding="utf-8")
    plants = load_plant_measures(tmp_path / "plants.yaml")
    book = load_measures()
    t = table()
    u = evaluate_units(
        t, units_table(t, lines()), evaluate_measures(t, book, plant_measures=plants), book, plants
    )
    g = u["group"].sel(level="red")
    assert g.sel(unit="S1/1#焦炉").item() == -1
    stoppable = [f"S1/{lid}" for lid in ("1#烧结机", "1#高炉", "2#高炉", "1#转炉")]
    gid = g.sel(unit=stoppable).values
    assert (gid == gid[0]).all() and gid[0] >= 0
    assert u["group_count"].values[gid[0]] == 4.0
    assert cell(u, "floor", "S1/1#焦炉", "red") == pytest.approx(2 / 3)
    assert cell(u, "ceiling", "S1/1#焦炉", "red") == pytest.approx(2 / 3)
    assert cell(u, "ceiling", "S1/1#焦炉", "orange") == pytest.approx(0.5)
