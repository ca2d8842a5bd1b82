"""Scenario files: strict keys with suggestions, inheritance, resolved paths, value checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.problems import InputError
from planner.scenario.files import load_scenario


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "inv.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "city.yaml").write_text("name: x\n", encoding="utf-8")
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


BASE = "inventory: inv.csv\ncity: city.yaml\n"


def messages(exc: pytest.ExceptionInfo) -> list[str]:
    return [f"{p.column}: {p.message}" for p in exc.value.problems.errors]


def test_paths_resolve_relative_to_the_file(folder):
    s = load_scenario(write(folder, "a.yaml", BASE + "name: a\n"))
    assert s.inventory == (folder / "inv.csv").resolve()
    assert s.city == (folder / "city.yaml").resolve()
    assert s.mode == "list" and s.alert_days == {"yellow": 8, "orange": 5, "red": 3}


def test_unknown_top_key_names_closest_valid_key(folder):
    with pytest.raises(InputError) as exc:
        load_scenario(write(folder, "a.yaml", BASE + "sharez: {orange: 0.4}\n"))
    (msg,) = messages(exc)
    assert "sharez" in msg and "did you mean 'shares'" in msg
    assert exc.value.problems.errors[0].file.endswith("a.yaml")


def test_unknown_option_and_enterprise_keys(folder):
    text = BASE + "options: {discrete: true, grade_monotonicty: true}\nenterprises: {E1: {grde: B}}\n"
    with pytest.raises(InputError) as exc:
        load_scenario(write(folder, "a.yaml", text))
    msgs = messages(exc)
    assert any("options.grade_monotonicty" in m and "grade_monotonicity" in m for m in msgs)
    assert any("enterprises.E1.grde" in m and "'grade'" in m for m in msgs)


def test_inheritance_merges_mappings_and_overrides(folder):
    write(folder, "base.yaml", BASE + "name: base\nshares: {orange: {NOx: 0.3}}\noptions: {discrete: true}\n")
    child = write(folder, "child.yaml", "base: base.yaml\nname: child\nshares: {orange: {SO2: 0.25}}\n")
    s = load_scenario(child)
    assert s.name == "child"
    assert s.shares == {"orange": {"NOx": 0.3, "SO2": 0.25}}
    assert s.options["discrete"] is True
    assert [p.name for p in s.chain] == ["base.yaml", "child.yaml"]


def test_inheritance_cycle_and_missing_base(folder):
    write(folder, "a.yaml", BASE + "base: b.yaml\n")
    write(folder, "b.yaml", BASE + "base: a.yaml\n")
    with pytest.raises(InputError, match="cycle"):
        load_scenario(folder / "a.yaml")
    with pytest.raises(InputError, match="does not exist"):
        load_scenario(write(folder, "c.yaml", BASE + "base: nowhere.yaml\n"))


@pytest.mark.parametrize(
    "extra, fragment",
    [
        ("mode: forecast\n", "mode must be one of"),
        ("mode: episode\n", "'forecast' is required"),
        ("shares: {orange: 40}\n", "fractions between 0 and 1"),
        ("shares: {purple: 0.1}\n", "unknown level 'purple'"),
        ("shares: {orange: {NO2: 0.1}}\n", "unknown pollutant 'NO2'"),
        ("enterprises: {E1: {lock: 1.5}}\n", "lock must be a share"),
        ("percentile: 150\n", "percentile must be"),
        ("solver: {backend: gurobi}\n", "backend must be"),
        ("inventory: missing.csv\n", "does not exist"),
    ],
)
def test_bad_values_are_reported(folder, extra, fragment):
    text = (BASE + extra) if not extra.startswith("inventory") else ("city: city.yaml\n" + extra)
    with pytest.raises(InputError) as exc:
        load_scenario(write(folder, "a.yaml", text))
    assert any(fragment in m for m in messages(exc)), messages(exc)


def test_invalid_yaml_names_the_line(folder):
    with pytest.raises(InputError) as exc:
        load_scenario(write(folder, "a.yaml", BASE + "shares: [unclosed\n"))
    assert exc.value.problems.errors[0].row is not None


def test_all_problems_reported_together(folder):
    text = BASE + "mode: nope\nsharez: 1\n"
    with pytest.raises(InputError) as exc:
        load_scenario(write(folder, "a.yaml", text))
    msgs = messages(exc)
    assert any("sharez" in m for m in msgs) and any("mode must be one of" in m for m in msgs)
