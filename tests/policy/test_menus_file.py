"""The menus file: format, lines-derived shares, and every error naming file, key path and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.policy.menus import FirmMenu, MenuOption, check_menus_against, load_menus, monotone_choice
from planner.problems import InputError

LINES = """enterprise_id,line_id,process,capacity,capacity_unit,output_share,SO2_share,NOx_share,PM_share,VOCs_share
F1,1#窑,clinker_kiln,5000,t/d,0.4,0.4,0.4,0.4,0.1
F1,2#窑,clinker_kiln,2500,t/d,0.2,0.2,0.2,0.2,0.1
F1,1#涂装线,voc_process,1,条,0.4,0.4,0.4,0.4,0.8
"""

GOOD = """
source: test
lines: lines.csv
firms:
  F1:
    extra_load_cut: 0.2
    options:
      - {id: none, output_share: 0, removal: 0}
      - {id: cut30, output_share: 0.3}
      - {id: kiln2, lines: [2#窑]}
      - {id: voc, text_zh: 停涂装, processes: [voc_process]}
      - {id: all, lines: [1#窑, 2#窑, 1#涂装线]}
    levels:
      yellow: [none, cut30]
      orange: [cut30, kiln2, voc]
      red: [voc, all]
"""


def _write(tmp_path: Path, text: str, lines: bool = True) -> Path:
    if lines:
        (tmp_path / "lines.csv").write_text(LINES, encoding="utf-8")
    p = tmp_path / "menus.yaml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def _errors(tmp_path, text, lines=True):
    with pytest.raises(InputError) as exc:
        load_menus(_write(tmp_path, text, lines))
    return exc.value.problems.errors


def test_a_menu_reads_and_options_naming_lines_take_their_shares(tmp_path):
    menus = load_menus(_write(tmp_path, GOOD))
    m = menus.firms["F1"]
    assert [o.id for o in m.options] == ["none", "cut30", "kiln2", "voc", "all"]
    kiln2, voc, all_ = m.option("kiln2"), m.option("voc"), m.option("all")
    assert kiln2.output_share == pytest.approx(0.2) and kiln2.removal == pytest.approx((0.2, 0.2, 0.2, 0.1))
    assert kiln2.lines == ("2#窑",) and kiln2.text_zh == "停2#窑"
    assert voc.text_zh == "停涂装" and voc.removal[3] == pytest.approx(0.8)
    assert all_.output_share == pytest.approx(1.0)
    assert m.option("cut30").removal == (0.3,) * 4  # a pollutant not given goes with output
    assert m.levels["orange"] == (1, 2, 3) and m.extra_load_cut == 0.2


@pytest.mark.parametrize(
    ("bad", "where", "words"),
    [
        (GOOD.replace("extra_load_cut: 0.2", "extra_load_cut: 1.5"), "firms.F1.extra_load_cut", "0 to 1"),
        (GOOD.replace("output_share: 0.3", "output_share: 30"), "firms.F1.options[1].output_share", "0 to 1"),
        (
            GOOD.replace("removal: 0}", "removal: {NOX: 0}}"),
            "firms.F1.options[0].removal.NOX",
            "did you mean 'NOx'",
        ),
        (GOOD.replace("source: test", "source: test\nsorce: x"), "sorce", "unknown"),
        (GOOD.replace("      red: [voc, all]\n", ""), "firms.F1.levels", "missing: red"),
        (
            GOOD.replace("{id: kiln2, lines: [2#窑]}", "{id: kiln2, lines: [2#窑], output_share: 0.2}"),
            "firms.F1.options[2]",
            "not both",
        ),
        (
            GOOD.replace("{id: cut30, output_share: 0.3}", "{id: cut30}"),
            "firms.F1.options[1]",
            "output_share",
        ),
    ],
)
def test_schema_errors_name_the_key_path(tmp_path, bad, where, words):
    errs = _errors(tmp_path, bad)
    assert any(e.column == where and words in e.message for e in errs), [str(e) for e in errs]
    assert all(e.file.endswith("menus.yaml") for e in errs)


def test_a_duplicate_key_is_an_error(tmp_path):
    errs = _errors(
        tmp_path,
        GOOD.replace("    extra_load_cut: 0.2\n", "    extra_load_cut: 0.2\n    extra_load_cut: 0.1\n"),
    )
    assert any("extra_load_cut" in str(e) for e in errs)


def test_meaning_errors_name_the_key_path_and_line(tmp_path):
    errs = _errors(tmp_path, GOOD.replace("lines: [2#窑]}", "lines: [3#窑]}"))
    assert errs[0].column == "firms.F1.options[2].lines[0]" and "3#窑" in errs[0].message and errs[0].row
    errs = _errors(tmp_path, GOOD.replace("processes: [voc_process]", "processes: [sinter]"))
    assert errs[0].column == "firms.F1.options[3].processes[0]"
    errs = _errors(tmp_path, GOOD.replace("red: [voc, all]", "red: [voc, alll]"))
    assert errs[0].column == "firms.F1.levels.red[1]" and "alll" in errs[0].message
    errs = _errors(tmp_path, GOOD.replace("{id: voc,", "{id: cut30,"))
    assert any("given twice" in e.message for e in errs)
    errs = _errors(tmp_path, GOOD.replace("lines: lines.csv\n", ""), lines=False)
    assert "no lines table" in errs[0].message
    errs = _errors(tmp_path, GOOD.replace("lines: lines.csv", "lines: ../../../../etc/lines.csv"))
    assert errs[0].column == "lines" and "outside" in errs[0].message


def test_a_menu_without_a_monotone_choice_is_an_error(tmp_path):
    # red allows only 'none' (nothing) while yellow's every option cuts something
    text = GOOD.replace("yellow: [none, cut30]", "yellow: [cut30]").replace("red: [voc, all]", "red: [none]")
    errs = _errors(tmp_path, text)
    assert errs[0].column == "firms.F1.levels" and "monotone" in errs[0].message


def test_a_load_cut_can_make_a_menu_monotone():
    # orange's only option removes less NOx than yellow's; a 30 % load cut on it catches up
    a = MenuOption("a", "", "", 0.3, (0.5, 0.5, 0.5, 0.5))
    b = MenuOption("b", "", "", 0.3, (0.2, 0.2, 0.2, 0.2))
    levels = {"yellow": (0,), "orange": (1,), "red": (1,)}
    assert monotone_choice(FirmMenu("x", (a, b), levels, 0.0)) is None
    assert monotone_choice(FirmMenu("x", (a, b), levels, 0.2)) is None  # needs 0.2625
    path = monotone_choice(FirmMenu("x", (a, b), levels, 0.3))
    assert path is not None and path[1][1] == pytest.approx(0.2625)


def test_enterprises_are_checked_against_the_inventory(tmp_path):
    menus = load_menus(_write(tmp_path, GOOD.replace("  F1:", "  F1:").replace("firms:\n", "firms:\n")))
    table = pd.DataFrame({"SO2": [1.0]}, index=["F2"])
    with pytest.raises(InputError) as exc:
        check_menus_against(menus, table)
    e = exc.value.problems.errors[0]
    assert e.column == "firms.F1" and "not in the inventory" in e.message and e.row
    table = pd.DataFrame({"SO2": [1.0], "self_directed": [True]}, index=["F1"])
    with pytest.raises(InputError, match="self-directed"):
        check_menus_against(menus, table)
    import xarray as xr

    bounds = xr.Dataset(
        {"control_class": (("enterprise",), np.array(["never_cut"]))}, coords={"enterprise": ["F1"]}
    )
    with pytest.raises(InputError, match="never cut"):
        check_menus_against(menus, table.assign(self_directed=False), bounds)
    with pytest.raises(InputError, match="plants file"):
        check_menus_against(menus, table.assign(self_directed=False), plant_ids=["F1"])
