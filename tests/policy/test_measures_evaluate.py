"""evaluate_measures: measures → floor, ceiling, factor and text per enterprise and level."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import ALERT_LEVELS, DATA_DIR, POLLUTANTS
from planner.policy.measures import evaluate_measures, load_measures
from planner.policy.vocabulary import grade_codes, industry_codes
from planner.problems import InputError

DATA = DATA_DIR / "policy"


@pytest.fixture(scope="module")
def book():
    return load_measures()


def firms(*rows: dict) -> pd.DataFrame:
    """Small canonical tables: defaults for every column not given."""
    base = {
        "industry": "cement",
        "grade": "B",
        "control_type": "key",
        "load_cap": np.nan,
        "line_count": 1,
        "base_share": 1.0,
        "technical_max_cut": 1.0,
    }
    table = pd.DataFrame([{**base, **r} for r in rows])
    table.index = pd.Index([f"E{i}" for i in range(len(table))], name="enterprise_id")
    table["self_directed"] = table["grade"].isin(["A+", "A", "leading"])
    return table


def at(ds, var, i, level):
    return ds[var].isel(enterprise=i).sel(level=level).item()


# --------------------------------------------------------------------------- structure


def test_dims_and_coords(book):
    ds = evaluate_measures(firms({}, {"grade": "C"}), book)
    assert ds.floor.dims == ("enterprise", "level")
    assert ds.factor.dims == ("enterprise", "level", "pollutant")
    assert list(ds.level.values) == list(ALERT_LEVELS)
    assert list(ds.pollutant.values) == list(POLLUTANTS)
    assert list(ds.enterprise.values) == ["E0", "E1"]
    for v in (
        "floor",
        "ceiling",
        "factor",
        "measure_type",
        "measure_text_zh",
        "measure_text_en",
        "floor_clipped",
    ):
        assert v in ds


# --------------------------------------------------------------------------- the cement table


@pytest.mark.parametrize(("lines", "expected"), [(1, 1.0), (2, 0.5), (3, 2 / 3), (4, 0.5), (5, 0.6)])
def test_cement_c_yellow_stops_half_the_lines_rounded_up(book, lines, expected):
    ds = evaluate_measures(firms({"grade": "C", "line_count": lines}), book)
    assert at(ds, "floor", 0, "yellow") == pytest.approx(expected)
    assert at(ds, "measure_type", 0, "yellow") == "stop_lines_share"
    assert at(ds, "floor", 0, "orange") == at(ds, "floor", 0, "red") == 1.0


def test_cement_b(book):
    ds = evaluate_measures(firms({"grade": "B", "base_share": 0.8}), book)
    assert at(ds, "floor", 0, "yellow") == 0.0
    assert at(ds, "measure_type", 0, "yellow") == "truck_ban"
    assert at(ds, "floor", 0, "orange") == pytest.approx(0.2 * 0.8)
    assert at(ds, "measure_type", 0, "orange") == "cut_pct"
    assert at(ds, "floor", 0, "red") == 1.0
    assert at(ds, "ceiling", 0, "red") == 1.0
    assert at(ds, "measure_text_zh", 0, "orange") == (
        "橙色预警：限产20%（以核定产能最小值计）；禁止国四及以下重型载货车辆运输"
    )
    assert "cut output by 20%" in at(ds, "measure_text_en", 0, "orange")


def test_cement_c_and_d_text(book):
    ds = evaluate_measures(firms({"grade": "C", "line_count": 3}, {"grade": "D"}), book)
    assert "停产50%生产线（以生产线计）" in at(ds, "measure_text_zh", 0, "yellow")
    assert at(ds, "measure_text_zh", 0, "yellow").startswith("黄色预警：")
    for level in ALERT_LEVELS:
        assert at(ds, "floor", 1, level) == 1.0
        assert at(ds, "measure_type", 1, level) == "stop"
        assert "停止公路运输" in at(ds, "measure_text_zh", 1, level)


def test_self_directed_grades(book):
    ds = evaluate_measures(
        firms({"grade": "A", "technical_max_cut": 0.7}, {"grade": "A+"}, {"grade": "leading"}), book
    )
    assert (ds.floor == 0).all() and (ds.ceiling == 0).all()
    assert (ds.measure_type == "self_directed").all()
    assert at(ds, "measure_text_zh", 0, "red") == "红色预警：自主减排"


def test_volunteer_ceiling(book):
    ds = evaluate_measures(firms({"grade": "A", "technical_max_cut": 0.7}), book, allow_volunteer=True)
    assert at(ds, "floor", 0, "red") == 0.0
    assert at(ds, "ceiling", 0, "red") == pytest.approx(0.7)


def test_guarantee_runs_between_load_cap_and_livelihood_minimum(book):
    # load_cap 0.6 = max load (floor 0.4); class min load 0.5 → ceiling 0.5: a bound, not a fixed cut
    ds = evaluate_measures(firms({"grade": "D", "control_type": "guarantee", "load_cap": 0.6}), book)
    for level in ALERT_LEVELS:
        assert at(ds, "floor", 0, level) == pytest.approx(0.4)
        assert at(ds, "ceiling", 0, level) == pytest.approx(0.5)
        assert at(ds, "measure_type", 0, level) == "load_cap"
    text = at(ds, "measure_text_zh", 0, "red")
    assert "保障类" in text and "60%" in text and "50%" in text
    # a cap below the livelihood minimum: the minimum follows the cap (fixed cut)
    ds = evaluate_measures(firms({"control_type": "guarantee", "load_cap": 0.3}), book)
    assert at(ds, "floor", 0, "red") == pytest.approx(0.7) == at(ds, "ceiling", 0, "red")


def test_guarantee_without_load_cap_takes_the_class_levels(book):
    ds = evaluate_measures(firms({"control_type": "guarantee"}), book)
    assert [at(ds, "floor", 0, lv) for lv in ALERT_LEVELS] == pytest.approx([0.1, 0.2, 0.3])
    assert [at(ds, "ceiling", 0, lv) for lv in ALERT_LEVELS] == pytest.approx([0.5, 0.5, 0.5])


def test_guarantee_needs_load_cap_when_the_class_has_none(book, tmp_path):
    from planner.policy.classes import read_control_classes

    text = (DATA / "control_classes.yaml").read_text(encoding="utf-8")
    text = text.replace("    max_load: {yellow: 0.9, orange: 0.8, red: 0.7}\n", "")
    p = tmp_path / "control_classes.yaml"
    p.write_text(text, encoding="utf-8")
    classes = read_control_classes(p)
    with pytest.raises(InputError, match="load_cap"):
        evaluate_measures(firms({"control_type": "guarantee"}), book, classes=classes)


def test_heating_boiler_and_exempt(book):
    ds = evaluate_measures(
        firms({"grade": "D", "control_type": "heating_boiler"}, {"grade": "C", "control_type": "exempt"}),
        book,
    )
    assert (ds.floor == 0).all() and (ds.ceiling == 0).all()
    assert at(ds, "measure_type", 0, "red") == "heating_boiler"
    assert at(ds, "measure_type", 1, "red") == "exempt"


def test_general_control_type_takes_the_measures(book):
    ds = evaluate_measures(firms({"grade": "D", "control_type": "general"}), book)
    assert at(ds, "floor", 0, "yellow") == 1.0


# --------------------------------------------------------------------------- ceilings and clipping


def test_glass_furnace_cannot_stop(book):
    ds = evaluate_measures(
        firms({"industry": "glass", "grade": "C"}, {"industry": "glass", "grade": "B"}), book
    )
    assert at(ds, "ceiling", 0, "red") == pytest.approx(0.2)
    assert at(ds, "floor", 0, "red") == pytest.approx(0.2)
    assert bool(at(ds, "floor_clipped", 0, "red"))
    assert not bool(at(ds, "floor_clipped", 0, "yellow"))
    assert "无法停产" in at(ds, "measure_text_zh", 0, "red")
    assert "cannot stop" in at(ds, "measure_text_en", 0, "red")
    assert at(ds, "floor", 1, "yellow") == pytest.approx(0.1)
    assert at(ds, "floor", 1, "red") == pytest.approx(0.2)


def test_inventory_technical_max_cut_clips(book):
    ds = evaluate_measures(firms({"grade": "D", "technical_max_cut": 0.5}), book)
    assert at(ds, "floor", 0, "yellow") == 0.5
    assert bool(at(ds, "floor_clipped", 0, "yellow"))
    assert "50%" in at(ds, "measure_text_zh", 0, "yellow")


# --------------------------------------------------------------------------- other types and factors


def test_hot_idle_factors(book):
    ds = evaluate_measures(firms({"industry": "lime", "grade": "C", "line_count": 2}), book)
    assert at(ds, "floor", 0, "orange") == 1.0
    assert at(ds, "measure_type", 0, "orange") == "hot_idle"
    f = ds.factor.isel(enterprise=0).sel(level="orange")
    assert f.sel(pollutant="PM").item() == pytest.approx(0.8)
    assert f.sel(pollutant="NOx").item() == pytest.approx(0.6)
    assert f.sel(pollutant="SO2").item() == pytest.approx(0.7)
    assert at(ds, "floor", 0, "yellow") == pytest.approx(0.5)


def test_voc_process_stop(book):
    ds = evaluate_measures(firms({"industry": "furniture", "grade": "B"}), book)
    assert at(ds, "measure_type", 0, "orange") == "voc_process_stop"
    assert at(ds, "floor", 0, "orange") == pytest.approx(0.8)
    f = ds.factor.isel(enterprise=0).sel(level="orange")
    assert f.sel(pollutant="VOCs").item() == 1.0
    assert f.sel(pollutant="SO2").item() == 0.5
    assert at(ds, "floor", 0, "yellow") == pytest.approx(0.2)


def test_time_extension_coking(book):
    ds = evaluate_measures(
        firms({"industry": "coking", "grade": "B"}, {"industry": "coking", "grade": "C"}), book
    )
    assert at(ds, "floor", 0, "orange") == pytest.approx(1 - 24 / 36)
    assert at(ds, "measure_type", 0, "orange") == "time_extension"
    assert at(ds, "floor", 1, "red") == pytest.approx(0.5)


def test_steel_items_add_up_across_processes(book):
    ds = evaluate_measures(
        firms(
            {"industry": "steel_long", "grade": "C", "line_count": 2},
            {"industry": "steel_long", "grade": "B", "line_count": 2},
        ),
        book,
    )
    coke = 0.15 * (1 - 24 / 28)
    # C orange: sinter etc. stop (0.4) + half of the blast furnaces (1 of 2, process share 0.5) + coke
    assert at(ds, "floor", 0, "orange") == pytest.approx(0.4 + 0.5 * 0.5 + coke)
    assert at(ds, "measure_type", 0, "orange") == "process_stop"
    assert at(ds, "floor_integer_share", 0, "orange") == pytest.approx(0.25)
    # the floor factor is the curtailment-weighted mix of the items' factors
    pm = (0.4 * 0.8 + 0.25 * 1.0 + coke * 1.0) / (0.4 + 0.25 + coke)
    assert ds.floor_factor.isel(enterprise=0).sel(level="orange", pollutant="PM").item() == pytest.approx(pm)
    assert (ds.factor == ds.floor_factor).all()
    # an extra cut above the floor is a general load cut (factor 1), not the binding item's factor
    assert (ds.extra_factor.isel(enterprise=0) == 1.0).all()
    # B orange: the process stop and the coke-time extension add
    assert at(ds, "floor", 1, "orange") == pytest.approx(0.4 + coke)
    assert at(ds, "measure_type", 1, "orange") == "process_stop"
    assert "烧结机" in at(ds, "measure_text_zh", 1, "orange")


def test_default_rule_and_grade_fallbacks(book):
    ds = evaluate_measures(
        firms(
            {"industry": "brick", "grade": "B", "base_share": 0.5},
            {"industry": "other", "grade": "ungraded", "line_count": 4},
            {"industry": "brick", "grade": "non_leading", "line_count": 4},
            {"industry": "cement", "grade": "B-", "base_share": 1.0},
        ),
        book,
    )
    assert at(ds, "floor", 0, "yellow") == pytest.approx(0.05)
    assert at(ds, "floor", 0, "red") == pytest.approx(0.15)
    # an ungraded firm of a non-key industry (其他行业): plant by plant, city minimum 0, up to the max
    assert at(ds, "floor", 1, "yellow") == 0.0 == at(ds, "floor", 1, "red")
    assert at(ds, "ceiling", 1, "red") == 1.0
    assert ds.control_class.values[1] == "non_key"
    assert at(ds, "floor", 2, "orange") == pytest.approx(0.5)
    assert at(ds, "floor", 3, "orange") == pytest.approx(0.2)


def test_unknown_codes_raise(book):
    with pytest.raises(InputError, match="unknown grade 'E'"):
        evaluate_measures(firms({"grade": "E"}), book)
    with pytest.raises(InputError, match="did you mean 'cement'"):
        evaluate_measures(firms({"industry": "cemnt"}), book)
    with pytest.raises(InputError, match="control_type"):
        evaluate_measures(firms({"control_type": "vip"}), book)


def test_categorical_and_string_dtypes(book):
    t = firms({"grade": "C", "line_count": 3}, {"grade": "B"})
    t2 = t.copy()
    for col in ("industry", "grade", "control_type"):
        t2[col] = t2[col].astype("category")
    a = evaluate_measures(t, book)
    b = evaluate_measures(t2, book)
    assert np.array_equal(a.floor.values, b.floor.values)


def test_missing_optional_columns_use_defaults(book):
    t = pd.DataFrame({"industry": ["cement"], "grade": ["A"], "control_type": ["key"]}, index=["X"])
    ds = evaluate_measures(t, book)
    assert at(ds, "measure_type", 0, "red") == "self_directed"


# --------------------------------------------------------------------------- properties and speed


firm_rows = st.fixed_dictionaries(
    {
        "industry": st.sampled_from(industry_codes()),
        "grade": st.sampled_from(grade_codes()),
        "control_type": st.sampled_from(["key", "general", "guarantee", "exempt", "heating_boiler"]),
        "load_cap": st.floats(0, 1),
        "line_count": st.integers(1, 12),
        "base_share": st.floats(0, 1),
        "technical_max_cut": st.floats(0, 1),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(firm_rows, min_size=1, max_size=40), st.booleans())
def test_floors_monotone_and_bounded(rows, volunteer):
    book = load_measures()
    ds = evaluate_measures(firms(*rows), book, allow_volunteer=volunteer)
    f = ds.floor.values
    c = ds.ceiling.values
    assert np.all(f[:, 0] <= f[:, 1] + 1e-12) and np.all(f[:, 1] <= f[:, 2] + 1e-12)
    assert np.all(f >= 0) and np.all(f <= c + 1e-12) and np.all(c <= 1)
    assert np.all((ds.factor.values >= 0) & (ds.factor.values <= 1))
    # tonnes removed per tonne of normal emissions do not decrease either (shipped measures), as long
    # as no floor had to be lowered to a technical maximum (then the binding item may change)
    unclipped = ~ds.floor_clipped.values.any(axis=1)
    removed = (ds.floor * ds.factor).values[unclipped]
    assert np.all(removed[:, 0] <= removed[:, 1] + 1e-12) and np.all(removed[:, 1] <= removed[:, 2] + 1e-12)


def test_300k_enterprises_evaluate_consistently(book):
    rng = np.random.default_rng(1)
    n = 300_000
    t = pd.DataFrame(
        {
            "industry": rng.choice(industry_codes(), n),
            "grade": rng.choice(grade_codes(), n),
            "control_type": rng.choice(["key", "general", "guarantee", "exempt", "heating_boiler"], n),
            "line_count": rng.integers(1, 8, n),
            "base_share": rng.uniform(0.5, 1, n),
            "technical_max_cut": rng.choice([1.0, 0.3], n),
        },
        index=pd.Index([f"E{i}" for i in range(n)], name="enterprise_id"),
    )
    t["load_cap"] = 0.7
    ds = evaluate_measures(t, book)
    assert ds.sizes["enterprise"] == n
    # the vectorised evaluation agrees with a per-firm evaluation on a sample
    sample = t.iloc[rng.choice(n, 50, replace=False)]
    one_by_one = [evaluate_measures(sample.iloc[[i]], book) for i in range(len(sample))]
    for i, single in enumerate(one_by_one):
        eid = sample.index[i]
        np.testing.assert_allclose(
            ds.floor.sel(enterprise=eid).values, single.floor.isel(enterprise=0).values
        )
        np.testing.assert_allclose(
            ds.ceiling.sel(enterprise=eid).values, single.ceiling.isel(enterprise=0).values
        )


# --------------------------------------------------------------------------- plant-specific measures (一厂一策)


def test_plant_measures_replace_the_default_for_an_ungraded_firm(book, tmp_path):
    from planner.policy.measures import load_plant_measures

    p = tmp_path / "plants.yaml"
    p.write_text(
        "source: 一厂一策 2026\n"
        "plants:\n"
        "  E0:\n"
        "    yellow: [{type: cut_pct, value: 0.1}]\n"
        "    orange: [{type: cut_pct, value: 0.2}, truck_ban]\n"
        "    red: [{type: voc_process_stop, value: 0.6}]\n",
        encoding="utf-8",
    )
    plants = load_plant_measures(p)
    t = firms(
        {"industry": "other", "grade": "ungraded", "line_count": 4},
        {"industry": "other", "grade": "ungraded", "line_count": 4},
    )
    ds = evaluate_measures(t, book, plant_measures=plants)
    assert at(ds, "floor", 0, "yellow") == pytest.approx(0.1)
    assert at(ds, "floor", 0, "red") == pytest.approx(0.6)
    assert at(ds, "measure_type", 0, "red") == "voc_process_stop"
    assert ds.factor.isel(enterprise=0).sel(level="red", pollutant="SO2").item() == 0.0
    assert "一厂一策" in at(ds, "measure_text_zh", 0, "orange")
    assert ds.plant_specific.isel(enterprise=0).all()
    # the other firm keeps the non-key class: city minimum (0) as floor, optimizer up to the maximum
    assert at(ds, "floor", 1, "yellow") == 0.0
    assert not ds.plant_specific.isel(enterprise=1).any()


def test_plant_measures_validation(tmp_path):
    from planner.policy.measures import load_plant_measures

    p = tmp_path / "plants.yaml"
    p.write_text(
        "plants:\n  E0:\n    yellow: [stop]\n    orange: [{type: cut_pct, value: 0.2}]\n    red: [stop]\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        load_plant_measures(p)
    assert any(
        e.file == "plants.yaml" and e.column == "plants.E0.orange" and "weaker" in e.message
        for e in exc.value.problems.errors
    )
