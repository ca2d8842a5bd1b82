"""Scenario files: strict keys with suggestions, inheritance, resolved paths, value checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    ("extra", "fragment"),
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


# --------------------------------------------------------------------------- issue 14: values of the wrong type
REPO = Path(__file__).resolve().parents[2]
DEMO_LIST = (REPO / "scenarios" / "demo_list.yaml").as_posix()

#: (scenario lines on top of the demo list, key path named, words of the message)
WRONG_VALUES = [
    ("inventory: 5", "inventory", "inventory is the path of the enterprise list"),
    ("options: [discrete, true]", "options", "expected a mapping"),
    ("solver: {presolve: maybe}", "solver.presolve", "presolve must be true, false or auto"),
    ("aqi_standard: '2020'", "aqi_standard", "aqi_standard must be '2012'"),
    (
        "enterprises: {E00012: {lock: {purple: 0.5}}}",
        "enterprises.E00012.lock.purple",
        "unknown level 'purple'",
    ),
    (
        "enterprises: {E00012: {control_type: banana}}",
        "enterprises.E00012.control_type",
        "control_type must be",
    ),
    ("options: {county_loss_cap: 1.5}", "options.county_loss_cap", "(0, 1]"),
    ("options: {firm_loss_cap: '25%'}", "options.firm_loss_cap", "got the text '25%'"),
    ("alert_days: {yellow: " + "1" + "0" * 400 + "}", "alert_days.yellow", "too large"),
    ("alert_days: {yellow: .inf}", "alert_days.yellow", "finite"),
    ("alert_days: {yellow: 1e309}", "alert_days.yellow", "expected a finite number, got infinity"),
    ("alert_days: {yellow: 1.0e+309}", "alert_days.yellow", "finite"),
    ('inventory: "enterprises\\0.csv"', "inventory", "NUL byte"),
    ("enterprises: {E00012: {exempt: 'no'}}", "enterprises.E00012.exempt", "true or false"),
    ("options: {discrete: 'no'}", "options.discrete", "true or false"),
    ("percentile: true", "percentile", "percentile must be a number between 0 and 100"),
    ("options: {shortfall_penalty: -5}", "options.shortfall_penalty", "positive number"),
    ("options: {shortfall_penalty: 0}", "options.shortfall_penalty", "positive number"),
    ("enterprises: {E00012: {grade: BB}}", "enterprises.E00012.grade", "did you mean 'B'"),
    ("enterprises: {E00012: {load_cap: -0.1}}", "enterprises.E00012.load_cap", "load_cap must be a share"),
    ("solver: {time_limit: '60s'}", "solver.time_limit", "time_limit is in seconds"),
    ("solver: {mip_gap: 2}", "solver.mip_gap", "mip_gap"),
    ("options: {method: best}", "options.method", "method must be one of"),
    ("mode: 1", "mode", "mode must be one of"),
    ("alert_days: {yellow: -1}", "alert_days.yellow", "must be at least 0, got -1"),
    (
        "non_industrial: [{name: x, reductions: {red: {PM: -1}}}]",
        "non_industrial[0].reductions.red.PM",
        "at least 0",
    ),
    (
        "non_industrial: [{name: x, sector: dust, reductions: {red: {PM: 5}}}]",
        "non_industrial[0].reductions.red.PM",
        "shares",
    ),
    ("non_industrial: {name: x}", "non_industrial", "expected a list"),
    ("shares: {orange: '40%'}", "shares.orange", "got the text '40%'"),
    ("enterprises: [E00012]", "enterprises", "expected a mapping"),
]


def _child_of_demo(tmp_path: Path, extra: str) -> Path:
    p = tmp_path / "case.yaml"
    p.write_text(f"base: {DEMO_LIST}\n{extra}\n", encoding="utf-8")
    return p


@pytest.mark.parametrize(("extra", "column", "words"), WRONG_VALUES, ids=[c for _, c, _ in WRONG_VALUES])
def test_wrong_values_are_errors_naming_key_and_line(tmp_path, extra, column, words):
    with pytest.raises(InputError) as exc:
        load_scenario(_child_of_demo(tmp_path, extra))
    errs = exc.value.problems.errors
    assert [e.column for e in errs] == [column], [str(e) for e in errs]
    (err,) = errs
    assert words in err.message, err.message
    assert err.file.endswith("case.yaml") and err.row == 2
    for jargon in (
        "Input should",
        "unable to interpret",
        "PlanInputs",
        "overrides",
        "pydantic",
        "Value error",
    ):
        assert jargon not in err.message


@pytest.mark.parametrize(
    ("extra", "column"), [(e, c) for e, c, _ in WRONG_VALUES[:18]], ids=[c for _, c, _ in WRONG_VALUES[:18]]
)
def test_planner_plan_exits_2_with_the_key(tmp_path, capsys, extra, column):
    from planner.cli.main import main

    rc = main(["plan", str(_child_of_demo(tmp_path, extra)), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"column {column!r}" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "schedule.csv").exists()


def test_exempt_no_does_not_exempt(tmp_path):
    """``exempt: 'no'`` used to exempt the firm (a non-empty text is true); now it is an error,
    and ``exempt: false`` keeps the firm in the plan."""
    with pytest.raises(InputError, match="true or false"):
        load_scenario(_child_of_demo(tmp_path, "enterprises: {E00012: {exempt: 'no'}}"))
    s = load_scenario(_child_of_demo(tmp_path, "enterprises: {E00012: {exempt: false}}"))
    assert s.enterprises == {"E00012": {"exempt": False}}


def test_values_kept_as_written(tmp_path):
    s = load_scenario(
        _child_of_demo(
            tmp_path,
            "aqi_standard: 2012\npercentile: 90\nrules: 2017\n"
            "options: {discrete: true, county_loss_cap: 0.25}\nsolver: {presolve: false, time_limit: null}\n"
            "enterprises: {E00012: {lock: {red: 1}, grade: C}, 12345: {ceiling: 0.5}}",
        )
    )
    assert s.aqi_standard == "2012" and s.percentile == 90 and s.rules == "2017"
    assert s.options["discrete"] is True and s.options["county_loss_cap"] == 0.25
    assert s.options["grade_monotonicity"] is False  # default filled in
    assert s.solver["presolve"] is False and s.solver["time_limit"] is None and s.solver["backend"] == "highs"
    assert s.enterprises == {"E00012": {"lock": {"red": 1.0}, "grade": "C"}, "12345": {"ceiling": 0.5}}


def test_problems_in_base_and_child_named_in_their_own_file(folder):
    write(folder, "base.yaml", BASE + "options: {discrete: 'yes'}\n")
    child = write(folder, "child.yaml", "base: base.yaml\nsolver:\n  presolve: maybe\n")
    with pytest.raises(InputError) as exc:
        load_scenario(child)
    where = {(Path(e.file).name, e.column, e.row) for e in exc.value.problems.errors}
    assert where == {("base.yaml", "options.discrete", 3), ("child.yaml", "solver.presolve", 3)}


# --------------------------------------------------------------------------- duplicate keys
def test_duplicate_key_in_a_scenario(folder):
    with pytest.raises(InputError) as exc:
        load_scenario(write(folder, "a.yaml", BASE + "options:\n  discrete: false\n  discrete: true\n"))
    (err,) = exc.value.problems.errors
    assert "duplicate" in err.message and err.column == "options.discrete" and err.row == 5


def test_duplicate_top_key_in_a_scenario(folder):
    with pytest.raises(InputError, match="duplicate key 'inventory'"):
        load_scenario(write(folder, "a.yaml", BASE + "inventory: inv.csv\n"))


# --------------------------------------------------------------------------- paths
def _project(tmp_path: Path) -> Path:
    """tmp/proj/{scenarios,data} with an inventory, a city and a rule file; returns scenarios/."""
    scen = tmp_path / "proj" / "scenarios"
    data = tmp_path / "proj" / "data"
    scen.mkdir(parents=True)
    data.mkdir()
    (data / "inv.csv").write_text("x\n", encoding="utf-8")
    (data / "city.yaml").write_text("name: x\n", encoding="utf-8")
    (data / "my_rules.yaml").write_text(
        (REPO / "data" / "policy" / "alert_rules" / "2024.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return scen


PROJECT_BASE = "inventory: ../data/inv.csv\ncity: ../data/city.yaml\n"


def test_rules_path_resolved_from_the_scenario_file_not_the_cwd(tmp_path, monkeypatch):
    from planner.policy.alerts import load_rules

    scen = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    s = load_scenario(write(scen, "s.yaml", PROJECT_BASE + "rules: ../data/my_rules.yaml\n"))
    assert s.rules == str((scen.parent / "data" / "my_rules.yaml").resolve())
    assert load_rules(s.rules).levels  # the same rule set as 2024
    s = load_scenario(write(scen, "t.yaml", PROJECT_BASE + "rules: '2024'\n"))
    assert s.rules == "2024"


def test_rules_path_outside_the_project_is_rejected_unread(tmp_path, monkeypatch):
    import planner.io.yamlio as yamlio

    scen = _project(tmp_path)
    (tmp_path / "outside.yaml").write_text("levels: {}\n", encoding="utf-8")
    read: list[str] = []
    real = yamlio.read_yaml_text
    monkeypatch.setattr(yamlio, "read_yaml_text", lambda p, *a, **k: read.append(str(p)) or real(p, *a, **k))
    with pytest.raises(InputError) as exc:
        load_scenario(write(scen, "s.yaml", PROJECT_BASE + "rules: ../../outside.yaml\n"))
    (err,) = exc.value.problems.errors
    assert err.column == "rules" and "outside" in err.message and err.row == 3
    assert not any("outside.yaml" in p for p in read)
    with pytest.raises(InputError) as exc:
        load_scenario(write(scen, "p.yaml", PROJECT_BASE + "rules: ../../etc/passwd\n"))
    assert exc.value.problems.errors[0].column == "rules"
    with pytest.raises(InputError, match="does not exist"):
        load_scenario(write(scen, "m.yaml", PROJECT_BASE + "rules: ../data/missing.yaml\n"))


def test_base_outside_the_project_is_rejected_before_reading_it(tmp_path, monkeypatch):
    import planner.scenario.files as files

    scen = _project(tmp_path)
    (tmp_path / "evil.yaml").write_text("name: evil\n", encoding="utf-8")
    read: list[str] = []
    real = files.read_text
    monkeypatch.setattr(files, "read_text", lambda p, *a, **k: read.append(Path(p).name) or real(p, *a, **k))
    with pytest.raises(InputError) as exc:
        load_scenario(write(scen, "s.yaml", PROJECT_BASE + "base: ../../evil.yaml\n"))
    (err,) = exc.value.problems.errors
    assert err.column == "base" and "outside" in err.message
    assert read == ["s.yaml"]


def test_every_path_key_is_contained(tmp_path):
    scen = _project(tmp_path)
    (tmp_path / "x.nc").write_text("x", encoding="utf-8")
    for key in ("inventory", "city", "forecast", "measures"):
        text = PROJECT_BASE.replace(f"{key}: ", f"{key}_was: ") + f"{key}: ../../x.nc\n"
        text = "\n".join(line for line in text.splitlines() if not line.startswith(f"{key}_was")) + "\n"
        with pytest.raises(InputError) as exc:
            load_scenario(write(scen, f"{key}.yaml", text))
        assert [e.column for e in exc.value.problems.errors] == [key]


# --------------------------------------------------------------------------- share overrides
def test_share_override_breaking_the_order_names_the_scenario_key(folder):
    with pytest.raises(InputError) as exc:
        load_scenario(write(folder, "a.yaml", BASE + "shares: {orange: 0.4}\n"))
    (err,) = exc.value.problems.errors
    assert err.file.endswith("a.yaml") and err.column == "shares.orange"
    assert "SO2, NOx, PM, VOCs" in err.message and "raise it too" in err.message
    assert "with overrides" not in err.message


# --------------------------------------------------------------------------- any value: a scenario or a clear error
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**420)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["no", "yes", "25%", "maybe", "2020", "../../etc/passwd", "a\x00b", "", " ", "1e309"])
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["red", "x", "NOx"]), inner, max_size=2)
    ),
    max_leaves=6,
)
_where = st.sampled_from(
    [
        ("inventory",),
        ("mode",),
        ("rules",),
        ("aqi_standard",),
        ("percentile",),
        ("alert_days", "red"),
        ("shares", "orange"),
        ("shares", "red", "NOx"),
        ("options", "discrete"),
        ("options", "county_loss_cap"),
        ("options", "shortfall_penalty"),
        ("solver", "presolve"),
        ("solver", "time_limit"),
        ("enterprises", "E00012", "exempt"),
        ("enterprises", "E00012", "lock"),
        ("enterprises", "E00012", "control_type"),
        ("non_industrial",),
        ("options",),
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=_where, value=_values)
def test_any_value_gives_a_scenario_or_an_input_error(tmp_path, where, value):
    import yaml

    doc: dict = {"base": DEMO_LIST}
    cur = doc
    for key in where[:-1]:
        cur = cur.setdefault(key, {})
    cur[where[-1]] = value
    p = tmp_path / "fuzz.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        s = load_scenario(p)
    except InputError as exc:
        errors = exc.problems.errors
    else:
        errors = None
    if errors is not None:
        assert errors
        for e in errors:
            assert e.column and "Input should" not in e.message
        return
    # accepted: then the value is one the planner means, never a surprise
    assert s.options["discrete"] in (True, False)
    assert s.percentile is None or 0 <= s.percentile <= 100
    assert all(0 <= v <= 366 for v in s.alert_days.values())


def test_a_lock_falling_from_level_to_level_is_an_error(tmp_path):
    with pytest.raises(InputError) as exc:
        load_scenario(_child_of_demo(tmp_path, "enterprises: {E0012: {lock: {orange: 0.9, red: 0.1}}}"))
    (err,) = exc.value.problems.errors
    assert err.column == "enterprises.E0012.lock.red" and "lower than the orange lock 0.9" in err.message
    s = load_scenario(_child_of_demo(tmp_path, "enterprises: {E0012: {lock: {yellow: 0.2, red: 0.9}}}"))
    assert s.enterprises["E0012"]["lock"] == {"yellow": 0.2, "red": 0.9}


def test_yaml_paths_must_name_yaml_files(tmp_path):
    for text, key, row in (
        ("base: /etc/passwd\n", "base", 1),
        (f"base: {DEMO_LIST}\ncity: /etc/passwd\n", "city", 2),
    ):
        p = tmp_path / "case.yaml"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as exc:
            load_scenario(p)
        (err,) = exc.value.problems.errors
        assert err.column == key and "(.yaml)" in err.message and err.row == row
