"""Measure files: the shipped set loads clean, and every validation rule names file and key path."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from planner import ALERT_LEVELS, DATA_DIR
from planner.policy.measures import load_measures
from planner.policy.vocabulary import grade_codes, industry_codes
from planner.problems import InputError

SHIPPED = DATA_DIR / "policy" / "measures"

GOOD_CEMENT = """\
industry: cement
scope: national
source: test
grades:
  A: self_directed
  B:
    yellow: [truck_ban]
    orange:
      - {type: cut_pct, value: 0.2}
      - truck_ban
    red: [stop]
"""


def _dir(tmp_path: Path, **files: str) -> Path:
    """A measures folder with the shipped default.yaml plus the given files."""
    d = tmp_path / "measures"
    d.mkdir()
    shutil.copy(SHIPPED / "default.yaml", d / "default.yaml")
    for name, text in files.items():
        (d / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return d


def _errors(path: Path) -> list:
    with pytest.raises(InputError) as exc:
        load_measures(path)
    return exc.value.problems.errors


def _has(errors, file: str, column: str | None, *words: str) -> bool:
    return any(e.file == file and e.column == column and all(w in e.message for w in words) for e in errors)


# --------------------------------------------------------------------------- shipped files


def test_shipped_measures_load_clean():
    book = load_measures()
    assert book.default is not None and book.default.file == "measures/default.yaml"
    assert {r.file for r in book.rules} >= {
        "measures/cement.yaml",
        "measures/steel_long.yaml",
        "measures/coking.yaml",
        "measures/glass.yaml",
        "measures/lime_ceramics.yaml",
        "measures/foundry.yaml",
        "measures/default.yaml",
    }


def test_shipped_every_industry_and_grade_resolves():
    book = load_measures()
    frame = book.to_frame()
    assert len(frame) == len(industry_codes()) * len(grade_codes()) * len(ALERT_LEVELS)


def test_shipped_scope_and_sources():
    book = load_measures()
    assert book.rule_for("cement").scope == "national"
    assert "2020" in book.rule_for("cement").source
    steel = book.rule_for("steel_long")
    assert steel.scope == "local" and "唐山" in steel.source and "2019" in steel.source
    for rule in book.rules:
        assert rule.source
        if rule.file != "measures/cement.yaml":
            assert rule.scope == "local", rule.file


def test_shipped_cement_is_the_national_table():
    book = load_measures()
    types = {(g, lv): [i.type for i in book.items("cement", g, lv)] for g in "ABCD" for lv in ALERT_LEVELS}
    assert types["A", "red"] == ["self_directed"]
    assert types["B", "yellow"] == ["truck_ban"]
    assert types["B", "orange"] == ["cut_pct", "truck_ban"]
    assert book.items("cement", "B", "orange")[0].value == 0.2
    assert types["B", "red"] == ["stop", "truck_ban"]
    assert types["C", "yellow"] == ["stop_lines_share", "truck_ban"]
    assert book.items("cement", "C", "yellow")[0].value == 0.5
    assert types["C", "orange"] == types["C", "red"] == ["stop", "truck_ban"]
    assert types["D", "yellow"] == types["D", "orange"] == types["D", "red"] == ["stop", "truck_ban"]
    assert "停止公路运输" in book.items("cement", "D", "yellow")[1].text_zh


def test_grade_fallbacks_of_default():
    book = load_measures()
    assert book.resolve("brick", "ungraded")[1] == "C"
    assert book.resolve("brick", "non_leading")[1] == "C"
    assert book.resolve("cement", "B-") == (book.rule_for("cement"), "B")
    assert book.resolve("cement", "leading")[1] == "A"


def test_a_single_good_file_with_default(tmp_path):
    book = load_measures(_dir(tmp_path, cement=GOOD_CEMENT))
    assert book.rule_for("cement").file == "measures/cement.yaml"
    # C is not listed in the file: it comes from the default rule
    assert book.resolve("cement", "C")[0].file == "measures/default.yaml"


# --------------------------------------------------------------------------- validation rules

F = "measures/cement.yaml"


def test_unknown_grade_with_suggestion(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT.replace("  B:\n", "  BB:\n")))
    assert _has(errs, F, "grades.BB", "unknown grade", "did you mean 'B'")


def test_unknown_industry_with_suggestion(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT.replace("industry: cement", "industry: cemnt")))
    assert _has(errs, F, "industry", "unknown industry", "'cement'")


def test_unknown_industry_in_list(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT.replace("industry: cement", "industry: [cement, glas]")))
    assert _has(errs, F, "industry[1]", "unknown industry", "'glass'")


def test_unknown_level_with_suggestion(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT.replace("    orange:", "    orang:")))
    assert _has(errs, F, "grades.B.orang", "unknown level", "did you mean 'orange'")
    assert _has(errs, F, "grades.B.orange", "missing")


def test_unknown_measure_type_with_suggestion(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT.replace("type: cut_pct", "type: cut_pc")))
    assert _has(errs, F, "grades.B.orange[0].type", "unknown measure type", "'cut_pct'")


def test_value_outside_unit_interval(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT.replace("value: 0.2", "value: 20")))
    assert _has(errs, F, "grades.B.orange[0].value", "outside [0, 1]", "0.2")
    (tmp_path / "n").mkdir()
    errs = _errors(_dir(tmp_path / "n", cement=GOOD_CEMENT.replace("value: 0.2", "value: -0.1")))
    assert _has(errs, F, "grades.B.orange[0].value", "outside [0, 1]")


def test_value_not_a_number(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT.replace("value: 0.2", "value: twenty")))
    assert _has(errs, F, "grades.B.orange[0].value", "expected a number")


def test_missing_value(tmp_path):
    errs = _errors(
        _dir(tmp_path, cement=GOOD_CEMENT.replace("{type: cut_pct, value: 0.2}", "{type: cut_pct}"))
    )
    assert _has(errs, F, "grades.B.orange[0].value", "needs 'value'")


def test_unknown_item_key_with_suggestion(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT.replace("value: 0.2", "value: 0.2, vaule: 0.3")))
    assert _has(errs, F, "grades.B.orange[0].vaule", "unknown key", "'value'")


def test_level_weaker_than_level_below(tmp_path):
    text = GOOD_CEMENT.replace("red: [stop]", "red: [{type: cut_pct, value: 0.1}]")
    errs = _errors(_dir(tmp_path, cement=text))
    assert _has(errs, F, "grades.B.red", "weaker than the orange", "nominal 4-line")


def test_level_weaker_compares_whole_lines(tmp_path):
    # on a 4-line firm stopping 30 % of lines is ceil(1.2) = 2 lines = 0.5 > a 40 % cut
    text = GOOD_CEMENT.replace(
        "yellow: [truck_ban]", "yellow: [{type: stop_lines_share, value: 0.3}]"
    ).replace("value: 0.2}", "value: 0.4}")
    errs = _errors(_dir(tmp_path, cement=text))
    assert _has(errs, F, "grades.B.orange", "weaker than the yellow", "0.4", "0.5")


def test_industry_covered_twice(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT, zz_cement2=GOOD_CEMENT))
    assert _has(
        errs, "measures/zz_cement2.yaml", "industry", "'cement'", "already covered by measures/cement.yaml"
    )


def test_missing_default(tmp_path):
    d = _dir(tmp_path, cement=GOOD_CEMENT)
    (d / "default.yaml").unlink()
    errs = _errors(d)
    assert any("missing default rule" in e.message for e in errs)


def test_default_missing_a_grade(tmp_path):
    d = _dir(tmp_path, cement=GOOD_CEMENT)
    text = (d / "default.yaml").read_text(encoding="utf-8").replace("  ungraded: C\n", "")
    (d / "default.yaml").write_text(text, encoding="utf-8")
    errs = _errors(d)
    assert _has(errs, "measures/default.yaml", "grades.ungraded", "no measures for grade 'ungraded'")


def test_self_directed_grade_cannot_carry_a_cut(tmp_path):
    text = GOOD_CEMENT.replace(
        "  A: self_directed\n",
        "  A:\n    yellow: [self_directed]\n    orange: [{type: cut_pct, value: 0.2}]\n"
        "    red: [self_directed]\n",
    )
    errs = _errors(_dir(tmp_path, cement=text))
    assert _has(errs, F, "grades.A.orange[0].type", "self-directed")


def test_hot_idle_needs_factors(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT.replace("red: [stop]", "red: [hot_idle]")))
    assert _has(errs, F, "grades.B.red[0].factors", "needs 'factors'")


def test_factor_unknown_pollutant_and_range(tmp_path):
    text = GOOD_CEMENT.replace("red: [stop]", "red: [{type: stop, factors: {NO2: 0.5, PM: 1.5}}]")
    errs = _errors(_dir(tmp_path, cement=text))
    assert _has(errs, F, "grades.B.red[0].factors.NO2", "unknown pollutant", "did you mean")
    assert _has(errs, F, "grades.B.red[0].factors.PM", "outside [0, 1]")


def test_time_extension_t1_shorter_than_t0(tmp_path):
    text = GOOD_CEMENT.replace("red: [stop]", "red: [stop, {type: time_extension, t0: 36, t1: 24}]")
    errs = _errors(_dir(tmp_path, cement=text))
    assert _has(errs, F, "grades.B.red[1].t1", "shorter than normal time")


def test_parameter_not_taken_by_type(tmp_path):
    errs = _errors(
        _dir(tmp_path, cement=GOOD_CEMENT.replace("red: [stop]", "red: [{type: stop, value: 0.5}]"))
    )
    assert _has(errs, F, "grades.B.red[0].value", "takes no 'value'")


def test_scope_and_source_checked(tmp_path):
    text = GOOD_CEMENT.replace("scope: national", "scope: nationl").replace("source: test\n", "")
    errs = _errors(_dir(tmp_path, cement=text))
    assert _has(errs, F, "scope", "'national'")
    assert _has(errs, F, "source", "missing")


def test_unknown_top_level_key(tmp_path):
    errs = _errors(_dir(tmp_path, cement=GOOD_CEMENT.replace("scope:", "scop: x\nscope:")))
    assert _has(errs, F, "scop", "unknown key", "'scope'")


def test_invalid_yaml_reports_line(tmp_path):
    errs = _errors(_dir(tmp_path, cement="industry: cement\ngrades: [unclosed\n"))
    assert any(e.file == F and e.row is not None and "not valid YAML" in e.message for e in errs)


def test_empty_file(tmp_path):
    errs = _errors(_dir(tmp_path, cement=""))
    assert _has(errs, F, None, "empty")


def test_all_problems_reported_at_once(tmp_path):
    text = GOOD_CEMENT.replace("  B:\n", "  BB:\n").replace("scope: national", "scope: x")
    errs = _errors(
        _dir(
            tmp_path,
            cement=text,
            glass=GOOD_CEMENT.replace("cement", "glass").replace("value: 0.2", "value: 2"),
        )
    )
    files = {e.file for e in errs}
    assert files == {"measures/cement.yaml", "measures/glass.yaml"}
    assert len(errs) >= 3


def test_str_of_problem_names_file_and_path(tmp_path):
    with pytest.raises(InputError) as exc:
        load_measures(_dir(tmp_path, cement=GOOD_CEMENT.replace("value: 0.2", "value: 1.5")))
    assert "measures/cement.yaml" in str(exc.value) and "grades.B.orange[0].value" in str(exc.value)
