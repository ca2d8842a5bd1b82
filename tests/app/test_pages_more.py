"""Compare, expert analysis, downloads and saving revisions, driven with AppTest."""

from __future__ import annotations

import pytest
import yaml
from app_helpers import REPO, errors, goto, new_app, page_text

from planner.app.i18n import t

pytestmark = pytest.mark.skipif(
    not (REPO / "planner" / "app" / "pages" / "compare.py").is_file(), reason="no compare page"
)


def test_compare_edited_plan_with_uniform_cut(scenario_dir):
    at = new_app("en", official=True)
    goto(at, "compare")
    assert not at.exception
    at.multiselect(key="cmp_pick").set_value(
        ["__edited__", f"{scenario_dir / 'demo_list.yaml'}@uniform"]
    ).run()
    assert not at.exception
    text = page_text(at)
    assert t("compare.changes", "en") in [s.value for s in at.subheader]
    assert "demo_list@uniform" in text
    assert any(d.value.shape[0] > 0 for d in at.dataframe)
    at.radio(key="cmp_by").set_value("county").run()
    assert not at.exception


def test_compare_needs_two():
    at = new_app("zh", official=True)
    goto(at, "compare")
    at.multiselect(key="cmp_pick").set_value(["__edited__"]).run()
    assert t("compare.need_two", "zh") in [i.value for i in at.info]


def test_analysis_tabs_and_percentile_sweep():
    at = new_app("en", official=True)
    goto(at, "analysis")
    assert not at.exception
    assert len(at.tabs) == 4
    assert t("common.unexpected", "en") not in errors(at)
    at.button(key="pct_run").click().run(timeout=300)
    assert not at.exception
    tab = at.tabs[3]
    tables = [c for c in tab.children.values() if type(c).__name__ == "Dataframe"]
    assert tables and tables[-1].value.shape[0] == 5


def test_overview_makes_the_excel_list():
    at = new_app("zh", official=True)
    goto(at, "overview")
    at.button(key="make_workbook").click().run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert t("overview.download_workbook", "zh") in labels


def test_portal_sheet_is_the_firms_own(demo_table, scenario_dir):
    from planner.reports.export import enterprise_sheet_html
    from planner.scenario.files import load_scenario
    from planner.scenario.run import run

    result = run(load_scenario(scenario_dir / "demo_list.yaml"))
    me = demo_table.index[0]
    html = enterprise_sheet_html(result, str(me))
    assert demo_table.loc[me, "name"] in html
    others = demo_table.drop(index=me)
    assert not [n for n in others["name"] if n in html and n not in demo_table.loc[me, "name"]]
    # the demo list carries no access codes any more (the bureau issues them)
    assert "access_code" not in demo_table or demo_table["access_code"].isna().all()


def _edit_and_resolve(at, exempt_rows=(0,)):
    grid = at.data_editor[0]
    at.session_state[grid.key] = {
        "edited_rows": {int(i): {"exempt": True} for i in exempt_rows},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="resolve").click().run()


def test_save_revision_then_conflict_keeps_edits(tmp_path, monkeypatch, scenario_dir):
    folder = tmp_path / "scen"
    folder.mkdir()
    for f in scenario_dir.glob("*.yaml"):
        (folder / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("PLANNER_SCENARIO_DIR", str(folder))

    first = new_app("en", official=True)
    goto(first, "editor")
    second = new_app("en", official=True)
    goto(second, "editor")  # both opened the same revision

    _edit_and_resolve(first, (0,))
    first.text_input(key="save_author").set_value("王工")
    first.text_input(key="save_message").set_value("exempt one")
    first.button(key="save_button").click().run()
    assert not first.exception
    assert any(s.value.startswith(t("editor.saved", "en").split("{")[0]) for s in first.success)
    assert any(t("editor.h_revision", "en") in d.value.columns for d in first.dataframe)  # the history
    saved = yaml.safe_load((folder / "demo_list.yaml").read_text(encoding="utf-8"))
    assert any(ov.get("exempt") for ov in saved["enterprises"].values())

    _edit_and_resolve(second, (1,))
    second.text_input(key="save_author").set_value("李工")
    second.button(key="save_button").click().run()
    assert not second.exception
    assert any(e.startswith(t("editor.conflict", "en").split("{")[0][:20]) for e in errors(second))
    # nothing lost: the first save is on disk, the second session still holds its edits
    assert yaml.safe_load((folder / "demo_list.yaml").read_text(encoding="utf-8")) == saved
    mine = next(iter(second.session_state["overrides"].values()))
    assert sum(1 for ov in mine.values() if ov.get("exempt")) == 1
    # saving as a new scenario works
    second.text_input(key="save_as").set_value("demo_list_li")
    second.button(key="save_button").click().run()
    assert (folder / "demo_list_li.yaml").is_file()
