"""The mapper from pydantic validation errors to file / key path / line problems."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, field_validator

from planner.io.schema_errors import describe_value, validate
from planner.io.yamlio import parse_yaml
from planner.problems import InputError

Level = Literal["yellow", "orange", "red"]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Firm(_Strict):
    exempt: bool = False
    lock: Share | dict[Level, Share] | None = None
    control_type: Literal["key", "general", "guarantee"] | None = None


class Cut(_Strict):
    type: Literal["cut_pct"]
    value: Share


class Stop(_Strict):
    type: Literal["stop"]


class Doc(_Strict):
    presolve: float | Literal["auto"] = "auto"
    enterprises: dict[str, Firm] = {}
    measures: list[Annotated[Cut | Stop, Field(discriminator="type")]] = []
    penalty: float | None = Field(None, ge=0)
    share: float = 0.0

    @field_validator("share")
    @classmethod
    def _fraction(cls, v):
        if v > 1:
            raise ValueError("shares are fractions between 0 and 1 (0.4 = 40 %)")
        return v


def _problems(text: str) -> dict[str, tuple[int | None, str]]:
    doc = parse_yaml(text, "doc.yaml")
    with pytest.raises(InputError) as exc:
        validate(Doc, doc.data, "doc.yaml", doc=doc)
    out = {}
    for p in exc.value.problems.errors:
        assert p.file == "doc.yaml"
        assert "Input should" not in p.message and "unable to interpret" not in p.message
        out[p.column] = (p.row, p.message)
    return out


def test_misspelt_key_suggests_the_closest_with_line():
    got = _problems("presolve: auto\nenterprises:\n  E0001:\n    exmpt: true\n")
    row, msg = got["enterprises.E0001.exmpt"]
    assert row == 4 and "unknown key 'exmpt'" in msg and "did you mean 'exempt'" in msg


def test_unknown_level_key_inside_a_union_is_named_with_its_path():
    got = _problems("enterprises:\n  E0001: {lock: {purple: 0.5}}\n")
    row, msg = got["enterprises.E0001.lock.purple"]
    assert row == 2 and "unknown key 'purple'" in msg and "yellow, orange, red" in msg
    assert len(got) == 1  # the float alternative of the union adds no noise


def test_strings_for_booleans_are_errors_in_plain_words():
    _, msg = _problems("enterprises:\n  E1: {exempt: 'no'}\n")["enterprises.E1.exempt"]
    assert msg == "expected true or false, got the text 'no' (write true or false without quotes)"


def test_union_alternatives_merged_in_one_message():
    _, msg = _problems("presolve: maybe\n")["presolve"]
    assert msg == "expected a number or 'auto', got the text 'maybe'"


def test_literal_and_ranges():
    got = _problems("enterprises:\n  E1: {control_type: banana, lock: 1.5}\npenalty: -1\n")
    assert "one of 'key', 'general', 'guarantee'" in got["enterprises.E1.control_type"][1]
    assert got["enterprises.E1.lock"][1] == "must be at most 1, got 1.5"
    assert got["penalty"][1] == "must be at least 0, got -1"


def test_percent_text_hint_and_infinity():
    got = _problems("enterprises:\n  E1: {lock: '25%'}\nshare: .inf\n")
    assert "write the number without quotes or %" in got["enterprises.E1.lock"][1]
    assert "must be" not in got["enterprises.E1.lock"][1]


def test_discriminated_union_tags_and_members():
    got = _problems(
        "measures:\n  - {type: cut_pct, value: x}\n  - {type: cutpct}\n  - {type: stop, valu: 1}\n  - {}\n"
    )
    assert got["measures[0].value"] == (2, "expected a number, got the text 'x'")
    assert "unknown type 'cutpct' (did you mean 'cut_pct'?)" in got["measures[1]"][1]
    assert got["measures[2].valu"][0] == 4 and "unknown key 'valu'" in got["measures[2].valu"][1]
    assert "required key 'type' is missing" in got["measures[3]"][1]


def test_validator_sentence_used_as_is():
    assert _problems("share: 40\n")["share"][1] == "shares are fractions between 0 and 1 (0.4 = 40 %)"


def test_missing_key_and_prefix():
    class Need(_Strict):
        name: str

    with pytest.raises(InputError) as exc:
        validate(Need, {}, "x.yaml", prefix=("options",))
    (p,) = exc.value.problems.errors
    assert p.column == "options.name" and p.message == "required key 'name' is missing"


def test_annotation_not_a_model():
    with pytest.raises(InputError) as exc:
        validate(dict[Level, float], {"orang": 1.0}, "x.yaml")
    (p,) = exc.value.problems.errors
    assert p.column == "orang" and "did you mean 'orange'" in p.message


def test_describe_value():
    assert describe_value(10**400) == "a number too large to use"
    assert describe_value(float("-inf")) == "minus infinity"
    assert describe_value({"a": 1}) == "a mapping"


def test_number_keys_are_keys_not_list_indices():
    class Firms(_Strict):
        enterprises: dict[str, Firm] = {}

    doc = parse_yaml("enterprises:\n  12345:\n    exempt: 1\n", "f.yaml")
    data = {"enterprises": {str(k): v for k, v in doc.data["enterprises"].items()}}
    with pytest.raises(InputError) as exc:
        validate(Firms, doc.data, "f.yaml", doc=doc)
    got = [(p.column, p.row) for p in exc.value.problems.errors]
    assert got == [
        ("enterprises.12345", 2),
        ("enterprises.12345.exempt", 3),
    ]  # a number key where text is needed
    with pytest.raises(InputError) as exc:
        validate(Firms, data, "f.yaml")
    assert exc.value.problems.errors[0].column == "enterprises.12345.exempt"
    with pytest.raises(InputError) as exc:
        validate(Doc, {1: 2}, "f.yaml")
    assert exc.value.problems.errors[0].message.startswith("unknown key 1; expected one of presolve")


def test_word_and_field_message():
    from planner.io.schema_errors import Word, field_message

    Lv = Annotated[Literal["yellow", "orange", "red"], Word("level")]

    class Days(_Strict):
        days: dict[Lv, float] = Field({}, **field_message("days per level, numbers"))

    with pytest.raises(InputError) as exc:
        validate(Days, {"days": {"orang": 1.0}}, "f.yaml")
    assert exc.value.problems.errors[0].message.startswith("unknown level 'orang' (did you mean 'orange'?)")
    with pytest.raises(InputError) as exc:
        validate(Days, {"days": [1]}, "f.yaml")
    assert exc.value.problems.errors[0].message == "days per level, numbers; got a list"
