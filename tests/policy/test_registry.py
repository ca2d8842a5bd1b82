"""The measure-type registry and the processes table (data/policy/measure_types.yaml, processes.csv)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from planner import DATA_DIR
from planner.policy import measures as measures_mod
from planner.policy import schema as schema_mod
from planner.policy.measures import MEASURE_TYPES, load_measures
from planner.policy.registry import (
    FORMULA_KINDS,
    default_texts,
    measure_types,
    process_codes,
    read_measure_types,
    read_processes,
)
from planner.problems import InputError

TYPES_FILE = DATA_DIR / "policy" / "measure_types.yaml"
REQUIRED_PROCESSES = [
    "sinter",
    "pellet",
    "blast_furnace",
    "converter",
    "electric_furnace",
    "coke_oven",
    "clinker_kiln",
    "cement_mill",
    "glass_furnace",
    "lime_kiln",
    "ceramic_kiln",
    "boiler",
    "voc_process",
    "casting",
    "general",
]


def test_every_type_is_declared_once_with_a_known_formula():
    types = measure_types()
    assert set(MEASURE_TYPES) == set(types)
    assert {t.curtailment for t in types.values()} <= set(FORMULA_KINDS)
    assert types["stop_lines_share"].integer and types["stop"].integer
    assert not types["cut_pct"].integer and not types["load_cap"].integer
    assert not types["time_extension"].clip_to_technical_max
    assert types["voc_process_stop"].factors == (0.0, 0.0, 0.0, 1.0)
    assert types["voc_process_stop"].process == "voc_process"


def test_texts_from_templates():
    t = measure_types()
    assert default_texts(t["cut_pct"], 0.2, None, None)[0] == "限产20%（以核定产能最小值计）"
    assert default_texts(t["time_extension"], None, 24.0, 36.0)[1] == "extend process time from 24 h to 36 h"
    assert default_texts(t["hot_idle"], None, None, None)[0] == "停产保窑（保温热备）"
    assert "50%" in default_texts(t["hot_idle"], 0.5, None, None)[0]


def test_processes_table_has_the_listed_codes_and_sources():
    df = read_processes()
    assert set(REQUIRED_PROCESSES) <= set(process_codes())
    assert df.loc["glass_furnace", "can_stop"] == False  # noqa: E712 - numpy bool
    assert df.loc["coke_oven", "hot_idle_only"] == True  # noqa: E712
    assert (df["source"].str.len() > 0).all()


def test_processes_table_errors_name_row_and_column(tmp_path):
    text = (DATA_DIR / "policy" / "processes.csv").read_text(encoding="utf-8")
    p = tmp_path / "processes.csv"
    p.write_text(text.replace("sinter,烧结,sintering,yes", "sinter,烧结,sintering,maybe"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_processes(p)
    (prob,) = exc.value.problems.errors
    assert (prob.row, prob.column) == (2, "can_stop")


@pytest.mark.parametrize(
    ("old", "new", "row", "words"),
    [
        (
            "coke_oven,焦炉,coke oven,no,yes,12,48,0,0.5,",
            "coke_oven,焦炉,coke oven,no,yes,12,48,0,,",
            7,
            "cannot stop",
        ),
        (
            "glass_furnace,玻璃熔窑,glass furnace,no,no,24,0,0,0.2,",
            "glass_furnace,玻璃熔窑,glass furnace,no,no,24,0,0,1.5,",
            10,
            "from 0 to 1",
        ),
        (
            "sinter,烧结,sintering,yes,no,4,24,5,,",
            "sinter,烧结,sintering,yes,no,4,24,5,0.3,",
            2,
            "can_stop: no",
        ),
    ],
)
def test_max_cut_belongs_to_processes_that_cannot_stop(tmp_path, old, new, row, words):
    text = (DATA_DIR / "policy" / "processes.csv").read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "processes.csv"
    p.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_processes(p)
    (prob,) = exc.value.problems.errors
    assert (prob.row, prob.column) == (row, "max_cut") and words in prob.message
    assert read_processes()["max_cut"].to_dict()["coke_oven"] == 0.5


def _write_types(tmp_path, mutate):
    doc = yaml.safe_load(TYPES_FILE.read_text(encoding="utf-8"))
    mutate(doc["types"])
    p = tmp_path / "measure_types.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("mutate", "column", "words"),
    [
        (
            lambda t: t["cut_pct"].update(curtailment="base_shar"),
            "types.cut_pct.curtailment",
            "did you mean 'base_share'",
        ),
        (lambda t: t["stop"].pop("text_zh"), "types.stop.text_zh", "missing"),
        (lambda t: t["stop"].update(text_en="stop {valu}"), "types.stop.text_en", "placeholder"),
        (
            lambda t: t["voc_process_stop"].update(process="voc"),
            "types.voc_process_stop.process",
            "unknown process",
        ),
        (lambda t: t["cut_pct"].update(params={}), "types.cut_pct.params", "needs param 'value'"),
        (lambda t: t["stop"].update(integr=True), "types.stop.integr", "did you mean 'integer'"),
    ],
)
def test_registry_errors_name_the_key(tmp_path, mutate, column, words):
    with pytest.raises(InputError) as exc:
        read_measure_types(_write_types(tmp_path, mutate))
    assert any(p.column == column and words in p.message for p in exc.value.problems.errors), (
        exc.value.problems.errors
    )


def test_adding_a_type_is_one_entry(tmp_path, monkeypatch):
    """A new type declared only in the registry file is read, evaluated and written in the list."""

    def add(types):
        types["night_stop"] = {
            "params": {"value": {"kind": "share", "required": True}},
            "curtailment": "fixed",
            "integer": False,
            "factors": {"SO2": 1.0, "NOx": 1.0, "PM": 0.5, "VOCs": 1.0},
            "text_zh": "夜间停产（约{value}产能）",
            "text_en": "stop at night (about {value} of output)",
        }

    registry = read_measure_types(_write_types(tmp_path, add))
    monkeypatch.setattr(measures_mod, "measure_types", lambda: registry)
    monkeypatch.setattr(schema_mod, "measure_types", lambda: registry)
    schema_mod.item_schema.cache_clear()
    schema_mod._models.cache_clear()
    try:
        folder = tmp_path / "measures"
        folder.mkdir()
        default = (DATA_DIR / "policy" / "measures" / "default.yaml").read_text(encoding="utf-8")
        default = default.replace(
            "yellow: [{type: cut_pct, value: 0.1}]", "yellow: [{type: night_stop, value: 0.1}]"
        )
        (folder / "default.yaml").write_text(default, encoding="utf-8")
        book = load_measures(folder)
        (item,) = book.items("other", "B", "yellow")
        assert item.text_zh == "夜间停产（约10%产能）"
        assert item.factors[2] == 0.5
        assert item.curtailment(np.array([1.0, 3.0]), np.array([1.0, 0.5])).tolist() == [0.1, 0.1]
    finally:
        schema_mod.item_schema.cache_clear()
        schema_mod._models.cache_clear()


def _measures_dir(tmp_path, text):
    folder = tmp_path / "m"
    folder.mkdir()
    default = (DATA_DIR / "policy" / "measures" / "default.yaml").read_text(encoding="utf-8")
    (folder / "default.yaml").write_text(text(default), encoding="utf-8")
    return folder


def test_schema_catches_what_the_domain_checks_do_not(tmp_path):
    folder = _measures_dir(
        tmp_path, lambda t: t.replace("industry: default\n", "industry: default\nname_zh: [1, 2]\n")
    )
    with pytest.raises(InputError) as exc:
        load_measures(folder)
    (prob,) = exc.value.problems.errors
    assert prob.file == "m/default.yaml" and prob.column == "name_zh" and prob.row is not None


def test_duplicate_grade_block_is_an_error(tmp_path):
    folder = _measures_dir(
        tmp_path,
        lambda t: t.replace(
            "grades:\n", "grades:\n  B:\n    yellow: [stop]\n    orange: [stop]\n    red: [stop]\n", 1
        ),
    )
    with pytest.raises(InputError, match="duplicate"):
        load_measures(folder)


def test_item_schema_is_a_union_on_type():
    from pydantic import TypeAdapter, ValidationError

    adapter = TypeAdapter(schema_mod.item_schema())
    assert adapter.validate_python({"type": "cut_pct", "value": 0.2}).value == 0.2
    with pytest.raises(ValidationError, match=r"union_tag_invalid|does not match any of the expected tags"):
        adapter.validate_python({"type": "cut_pc", "value": 0.2})
    with pytest.raises(ValidationError):
        adapter.validate_python({"type": "stop", "value": 0.2})  # stop takes no value


def test_every_measure_type_value_has_a_chinese_label():
    from planner.policy.registry import measure_type_label

    ds = measures_mod.evaluate_measures(
        __import__("pandas").DataFrame(
            {
                "industry": ["cement", "other", "cement", "cement", "cement", "other"],
                "grade": ["B", "ungraded", "C", "A", "C", "ungraded"],
                "control_type": ["key", "general", "guarantee", "key", "exempt", "heating_boiler"],
                "load_cap": [np.nan, np.nan, 0.6, np.nan, np.nan, np.nan],
                "plant_cut_red": [np.nan, 0.2, np.nan, np.nan, np.nan, np.nan],
            },
            index=[f"E{i}" for i in range(6)],
        )
    )
    for code in np.unique(ds.measure_type.values):
        label = measure_type_label(str(code))
        assert label != code and not label.isascii(), code
        assert measure_type_label(str(code), "en").isascii()
