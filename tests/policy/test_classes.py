"""Control classes (data/policy/control_classes.yaml), items adding up across processes, and the
floor factor / extra factor / whole-line share of the evaluated bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import ALERT_LEVELS, DATA_DIR
from planner.policy.classes import control_classes, read_control_classes
from planner.policy.measures import (
    CONTROL_TYPES,
    MeasureItem,
    aggregate_items,
    evaluate_measures,
    load_measures,
)
from planner.problems import InputError

CLASSES = DATA_DIR / "policy" / "control_classes.yaml"


@pytest.fixture(scope="module")
def book():
    return load_measures()


def firms(*rows: dict) -> pd.DataFrame:
    base = {
        "industry": "cement",
        "grade": "B",
        "control_type": "key",
        "load_cap": np.nan,
        "line_count": 1,
        "base_share": 1.0,
        "technical_max_cut": 1.0,
        "SO2": 1.0,
        "NOx": 1.0,
        "PM": 1.0,
        "VOCs": 1.0,
        "operating_days": 300.0,
    }
    table = pd.DataFrame([{**base, **r} for r in rows])
    table.index = pd.Index([f"E{i}" for i in range(len(table))], name="enterprise_id")
    table["self_directed"] = table["grade"].isin(["A+", "A", "leading"])
    return table


def at(ds, var, i, level):
    return ds[var].isel(enterprise=i).sel(level=level).item()


def classes_with(tmp_path, edit):
    doc = yaml.safe_load(CLASSES.read_text(encoding="utf-8"))
    edit(doc)
    p = tmp_path / "control_classes.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return read_control_classes(p)


# --------------------------------------------------------------------------- the classes


def test_control_types_are_declared_once_in_data():
    assert CONTROL_TYPES == ("key", "general", "guarantee", "exempt", "heating_boiler")
    c = control_classes()
    assert c.kind("exempt") == c.kind("heating_boiler") == "never_cut"
    assert all(
        c.sources[k] for k in ("graded_key", "ungraded_key", "non_key", "guarantee", "small_low_emission")
    )


def test_ungraded_key_industry_firm_takes_the_city_choice(book, tmp_path):
    t = firms({"grade": "ungraded", "line_count": 2}, {"grade": "C", "line_count": 2})
    ds = evaluate_measures(t, book)
    assert ds.control_class.values.tolist() == ["ungraded_key", "graded_key"]
    for lv in ALERT_LEVELS:  # default: as C
        assert at(ds, "floor", 0, lv) == at(ds, "floor", 1, lv)
    as_d = classes_with(tmp_path, lambda d: d["classes"]["ungraded_key"].update(as_grade="D"))
    ds = evaluate_measures(t, book, classes=as_d)
    assert at(ds, "floor", 0, "yellow") == 1.0 and at(ds, "floor", 1, "yellow") == 0.5


def test_non_key_firm_is_plant_by_plant_with_the_city_minimum(book, tmp_path):
    t = firms({"industry": "other", "grade": "ungraded", "technical_max_cut": 0.6, "line_count": 3})
    ds = evaluate_measures(t, book)
    assert [at(ds, "floor", 0, lv) for lv in ALERT_LEVELS] == [0.0, 0.0, 0.0]
    assert [at(ds, "ceiling", 0, lv) for lv in ALERT_LEVELS] == [0.6, 0.6, 0.6]
    assert "一厂一策" in at(ds, "measure_text_zh", 0, "red")
    cmin = classes_with(
        tmp_path,
        lambda d: d["classes"]["non_key"].update(city_minimum={"yellow": 0.05, "orange": 0.1, "red": 0.2}),
    )
    ds = evaluate_measures(t, book, classes=cmin)
    assert [at(ds, "floor", 0, lv) for lv in ALERT_LEVELS] == pytest.approx([0.05, 0.1, 0.2])
    assert at(ds, "floor_integer_share", 0, "red") == 0.0
    # a graded firm of a non-key industry keeps its grade's measures
    ds = evaluate_measures(firms({"industry": "other", "grade": "D"}), book)
    assert at(ds, "floor", 0, "yellow") == 1.0


def test_inventory_plant_cuts_are_the_bureaus_floor(book):
    t = firms(
        {
            "industry": "other",
            "grade": "ungraded",
            "plant_cut_yellow": 0.1,
            "plant_cut_orange": 0.25,
            "plant_cut_red": np.nan,
        },
        {
            "industry": "cement",
            "grade": "C",
            "plant_cut_yellow": np.nan,
            "plant_cut_orange": np.nan,
            "plant_cut_red": np.nan,
        },
    )
    ds = evaluate_measures(t, book)
    assert at(ds, "floor", 0, "yellow") == pytest.approx(0.1)
    assert at(ds, "floor", 0, "orange") == pytest.approx(0.25)
    assert at(ds, "floor", 0, "red") == 0.0  # not given: the class rule
    assert ds.plant_specific.isel(enterprise=0).values.tolist() == [True, True, False]
    assert at(ds, "measure_text_zh", 0, "orange") == "橙色预警（一厂一策）：限产25%"
    assert at(ds, "floor", 1, "yellow") == 1.0  # C cement, 1 line: the guide


@pytest.mark.parametrize(
    ("cuts", "words"), [((0.3, 0.2, 0.4), "smaller than the yellow"), ((0.1, 1.5, 1.5), "between 0 and 1")]
)
def test_inventory_plant_cut_errors(book, cuts, words):
    t = firms(dict(zip(("plant_cut_yellow", "plant_cut_orange", "plant_cut_red"), cuts, strict=True)))
    with pytest.raises(InputError, match=words):
        evaluate_measures(t, book)


def test_small_low_emission_firms_get_lighter_floors(book, tmp_path):
    small = classes_with(
        tmp_path, lambda d: d["classes"]["small_low_emission"].update(threshold_t_per_year=100)
    )
    # 4 pollutants × 0.01 t/d × 300 d = 12 t/a < 100; the other firm emits 1200 t/a
    t = firms({"grade": "B", "SO2": 0.01, "NOx": 0.01, "PM": 0.01, "VOCs": 0.01}, {"grade": "B"})
    ds = evaluate_measures(t, book, classes=small)
    assert at(ds, "floor", 0, "orange") == pytest.approx(0.1) and at(
        ds, "floor", 1, "orange"
    ) == pytest.approx(0.2)
    assert "低排放" in at(ds, "measure_text_zh", 0, "orange")
    assert at(ds, "floor", 0, "orange") == pytest.approx(0.5 * evaluate_measures(t, book).floor.values[0, 1])


@pytest.mark.parametrize(
    ("edit", "column", "words"),
    [
        (
            lambda d: d["classes"]["non_key"].update(city_minimun={}),
            "classes.non_key.city_minimun",
            "did you mean",
        ),
        (
            lambda d: d["classes"]["ungraded_key"].update(as_grade="CC"),
            "classes.ungraded_key.as_grade",
            "unknown grade",
        ),
        (
            lambda d: d["classes"]["guarantee"]["min_load"].update(red=0.9),
            "classes.guarantee.min_load.red",
            "above the max load",
        ),
        (
            lambda d: d["control_types"]["exempt"].update({"class": "never"}),
            "control_types.exempt.class",
            "unknown class",
        ),
        (lambda d: d["classes"]["non_key"].pop("source"), "classes.non_key", "source"),
    ],
)
def test_classes_file_errors_name_the_key(tmp_path, edit, column, words):
    with pytest.raises(InputError) as exc:
        classes_with(tmp_path, edit)
    assert any(p.column.startswith(column) and words in p.message for p in exc.value.problems.errors), (
        exc.value.problems.errors
    )


# --------------------------------------------------------------------------- items add up


def test_items_on_different_processes_add_and_on_one_process_take_the_max():
    a = MeasureItem("process_stop", value=0.3, process="sinter", factors=(1.0, 1.0, 0.5, 0.0))
    b = MeasureItem("process_stop", value=0.2, process="sinter")
    c = MeasureItem("stop_lines_share", value=0.5, process="blast_furnace")
    agg = aggregate_items((a, b, c), np.array([2.0]), np.array([1.0]))
    assert agg.floor[0] == pytest.approx(0.8)
    assert agg.integer[0] == pytest.approx(0.5)  # only the line stop is whole lines
    assert agg.factor[0].tolist() == pytest.approx([1.0, 1.0, (0.3 * 0.5 + 0.5) / 0.8, 0.5 / 0.8])
    # the total is clipped to 1, every part scaled down in proportion
    d = MeasureItem("voc_process_stop", value=0.6)
    agg = aggregate_items((a, c, d), np.array([2.0]), np.array([1.0]))
    assert agg.floor[0] == pytest.approx(1.0)
    assert agg.integer[0] == pytest.approx(0.5 / 1.4)


def test_a_b_firms_load_cut_is_continuous_and_a_c_firms_line_stop_integral(book):
    ds = evaluate_measures(
        firms({"industry": "brick", "grade": "B"}, {"industry": "brick", "grade": "C", "line_count": 4}), book
    )
    assert (
        at(ds, "floor", 0, "yellow") == pytest.approx(0.1)
        and at(ds, "floor_integer_share", 0, "yellow") == 0.0
    )
    assert at(ds, "floor_integer_share", 1, "yellow") == pytest.approx(at(ds, "floor", 1, "yellow")) == 0.5


def test_extra_cuts_are_general_load_cuts_not_the_binding_items_factor(book):
    ds = evaluate_measures(firms({"industry": "printing", "grade": "B"}), book)
    # orange: stop VOC processes (SO2 factor 0.5); an extra cut above it is a plain load cut
    assert ds.floor_factor.isel(enterprise=0).sel(level="orange", pollutant="SO2").item() == 0.5
    assert ds.extra_factor.isel(enterprise=0).sel(level="orange", pollutant="SO2").item() == 1.0


def test_time_extension_is_not_clipped_by_the_technical_maximum(book):
    t = firms(
        {"industry": "coking", "grade": "C", "technical_max_cut": 1 / 3},
        {"industry": "glass", "grade": "D"},
    )
    ds = evaluate_measures(t, book)
    # coking C orange 24 h → 48 h: curtailment 0.5 is kept; the conflict is reported
    assert at(ds, "floor", 0, "orange") == pytest.approx(0.5)
    assert at(ds, "ceiling", 0, "orange") == pytest.approx(0.5)
    assert at(ds, "floor_conflict", 0, "orange") and not at(ds, "floor_clipped", 0, "orange")
    assert "请核实" in at(ds, "measure_text_zh", 0, "orange")
    assert not at(ds, "floor_conflict", 0, "yellow")  # 36 h: 1/3, within the maximum
    # a glass furnace's stop is still lowered to the furnace's technical maximum
    assert at(ds, "floor", 1, "red") == pytest.approx(0.2) and at(ds, "floor_clipped", 1, "red")
    assert at(ds, "floor_integer_share", 1, "red") == 0.0


_items = st.lists(
    st.tuples(
        st.sampled_from(
            ["cut_pct", "stop_lines_share", "process_stop", "voc_process_stop", "truck_ban", "stop"]
        ),
        st.floats(0.0, 1.0),
        st.sampled_from(["general", "sinter", "blast_furnace", "voc_process"]),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(_items, st.integers(1, 6), st.floats(0.1, 1.0))
def test_aggregate_bounds(raw, lines, base):
    items = tuple(
        MeasureItem(
            t, value=None if t in ("truck_ban", "stop") else v, process=p, factors=(1.0, 0.5, 0.2, 0.0)
        )
        for t, v, p in raw
    )
    agg = aggregate_items(items, np.array([float(lines)]), np.array([base]))
    parts = [float(it.curtailment(np.array([float(lines)]), np.array([base]))[0]) for it in items]
    assert 0.0 <= agg.floor[0] <= 1.0 + 1e-12
    assert agg.floor[0] >= min(max(parts), 1.0) - 1e-12  # never weaker than the strongest item
    assert agg.floor[0] <= min(sum(parts), 1.0) + 1e-12  # never more than their sum
    assert -1e-12 <= agg.integer[0] <= agg.floor[0] + 1e-12
    assert agg.factor[0].tolist() == pytest.approx([1.0, 0.5, 0.2, 0.0])
