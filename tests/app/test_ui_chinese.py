"""Issue 14, item 6: the app in Chinese everywhere — no raw code, ``None`` or English word on a
Chinese page; dates in Beijing time; numbers with separators; plan messages translated; the
forecast upload asks; officials download any firm's sheet and all of them as one archive."""

from __future__ import annotations

import pytest
from app_helpers import goto, new_app, page_text

from planner.app.i18n import code_words, raw_terms, t

PAGES = ["overview", "editor", "compare", "analysis", "map", "codes", "portal"]


def _allow(scenario_dir) -> set[str]:
    return {p.stem for p in scenario_dir.glob("*.yaml")}


def test_checker_finds_the_raw_words_the_issue_lists():
    text = "措施 stop_lines_share 黄色 yellow 1.2 t/d None True grade lock Dec 11 600k 万元"
    found = raw_terms(text, "zh")
    for w in ("stop_lines_share", "yellow", "t/d", "None", "True", "grade", "lock", "Dec"):
        assert w in found
    # data and the names a bureau uses are not flagged
    assert raw_terms("SO₂ NOx PM2.5 VOCs AQI E0001 91150000MA0 demo_list.yaml 见 data/ CSV/XLSX", "zh") == []
    assert raw_terms("Measure None", "en") == ["None"]
    assert {"cement", "stop_lines_share", "heating_boiler", "rules_only"} <= code_words()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_in_chinese_has_no_raw_word(scenario_dir, lang):
    at = new_app(lang, official=True)
    for page in PAGES:
        goto(at, page)
        assert not at.exception, page
        found = raw_terms(page_text(at, editable=True), lang, _allow(scenario_dir))
        assert not found, f"{page}: {found}"


def test_plan_messages_in_chinese(scenario_dir):
    at = new_app("zh", official=True)
    goto(at, "overview")
    at.selectbox(key="scenario_pick").set_value(scenario_dir / "demo_strict_orange40.yaml").run()
    text = page_text(at, editable=True)
    assert "target not reachable" not in text
    assert "橙色预警 氮氧化物" in text or "橙色预警 NOx" in text
    assert "吨/日" in text and not raw_terms(text, "zh", _allow(scenario_dir))


def test_absent_values_show_a_dash_with_a_reason(monkeypatch):
    from planner.app import common

    monkeypatch.setattr(common, "lang", lambda: "zh")
    assert common.fmt_num(None, none=common.tr("common.dash_no_dual")).startswith("—（")
    assert common.override_value("lock", None).startswith("—（")
    assert common.override_value("exempt", True) == "是"
    assert common.override_value("grade", "ungraded") == "未分级"
    assert common.override_value("lock", {"yellow": 0.3, "red": 0.5}) == "黄色 30.0%，红色 50.0%"
    assert common.measure_type_name("stop_lines_share") != "stop_lines_share"
    assert common.measure_type_name(None) == "—"
    assert common.fmt_num(1234567.891, 1, "万元") == "1,234,567.9 万元"


def test_dates_in_beijing_time_and_chinese_format(monkeypatch):
    from planner.app import common

    monkeypatch.setattr(common, "lang", lambda: "zh")
    assert common.local_time("2026-12-10T23:30:00Z") == "2026年12月11日 07:30"
    assert common.local_time("2026-12-10T23:30:00") == "2026年12月11日 07:30"  # naive = UTC
    assert common.local_time(None) == "—"
    assert common.fmt_date("2026-12-11") == "12月11日"
    assert common.slot_name("2026-12-11", "orange") == "12月11日 橙色"
    assert common.slot_name("red") == "红色预警"
    monkeypatch.setattr(common, "lang", lambda: "en")
    assert common.local_time("2026-12-10T23:30:00Z") == "2026-12-11 07:30"


def test_money_axes_show_full_numbers(monkeypatch):
    import plotly.graph_objects as go

    from planner.app import common

    drawn = {}
    monkeypatch.setattr(common, "lang", lambda: "zh")
    monkeypatch.setattr(common.st, "plotly_chart", lambda fig, **kw: drawn.update(fig=fig, **kw))
    fig = go.Figure(go.Bar(x=["a"], y=[600_000]))
    fig.update_layout(legend={"orientation": "h"})
    common.show_chart(fig, key="k", money_axis="y")
    f = drawn["fig"]
    assert f.layout.yaxis.tickformat == ",.0f" and f.layout.yaxis.exponentformat == "none"  # not 600k
    assert f.layout.yaxis.automargin and f.layout.xaxis.automargin  # labels never clipped
    assert f.layout.legend.y < 0  # the legend below the plot, not over the bars
    assert drawn["config"]["displayModeBar"] is False  # no English toolbar tooltips


def test_uploaded_forecast_keeps_a_list_scenario_a_list(scenario_dir, monkeypatch):
    """An uploaded forecast used to turn a list scenario into an episode plan silently; now the
    plan stays a list until the official chooses the episode plan (overview page)."""
    from planner import DATA_DIR
    from planner.app import common

    up = {"forecast": str(DATA_DIR / "demo_city" / "forecast.nc")}
    monkeypatch.setattr(common, "uploads", lambda: up)
    monkeypatch.setattr(common, "working_overrides", lambda path, base: {})
    monkeypatch.setattr(common, "working_shares", lambda path: {})
    path = scenario_dir / "demo_list.yaml"
    sc = common.working_scenario(path)
    assert sc.mode == "list" and sc.forecast is not None
    up["forecast_mode"] = "episode"
    assert common.working_scenario(path).mode == "episode"
    # the page offers the choice
    monkeypatch.undo()
    at = new_app("zh", official=True)
    at.session_state["uploads"] = {"forecast": up["forecast"]}
    goto(at, "overview")
    radio = at.radio(key="forecast_mode_pick")
    assert radio.value == "list" and t("overview.forecast_use.episode", "zh") in radio.options


def test_officials_download_any_sheet_and_all_as_zip(demo_table):
    at = new_app("zh", official=True)
    goto(at, "overview")
    eid = str(demo_table.index[3])
    at.selectbox(key="sheet_pick").set_value(eid).run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert t("overview.download_sheet", "zh") in labels
    at.button(key="make_sheets").click().run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert t("overview.download_sheets", "zh") in labels
    # (the archive's content is checked in the browser walk: tests/browser/test_official_day.py)


# --------------------------------------------------------------------------- Streamlit's own texts
#: What Streamlit's select boxes write in English (react-aria, locale en-US): the screen-reader
#: announcements and the empty list's texts, one sample of each rule of WIDGET_TEXTS.
STREAMLIT_SAMPLES = {
    "1,254 options available.": "共有 1254 个选项。",
    "1 option available.": "共有 1 个选项。",
    "E0001 泰宇铸造有限公司, selected": "已选择：E0001 泰宇铸造有限公司",
    "No results": "没有匹配的选项",
    "You can only select up to 4 options. Remove an option first.": "最多只能选择 4 项，请先移除一项。",
}


def _translate(rules, text: str) -> str:
    """What the browser script does with one text (the same patterns, Python's ``re``)."""
    import re

    for pattern, template, names in rules:
        m = re.match(pattern, text, re.S)
        if m:
            args = {n: (m[i + 1].replace(",", "") if n == "n" else m[i + 1]) for i, n in enumerate(names)}
            return re.sub(r"\{(\w+)\}", lambda k, args=args: args[k[1]], template)
    return text


def test_streamlit_widget_texts_are_translated_in_chinese_only():
    import json
    import re

    from planner.app.common import WIDGET_TEXTS, widget_texts_script

    script = widget_texts_script("zh")
    rules = json.loads(re.search(r"window\.plannerWidgetTexts = (.*);\n", script)[1])
    assert len(rules) == len(WIDGET_TEXTS)
    for english, chinese in STREAMLIT_SAMPLES.items():
        assert _translate(rules, english) == chinese
        assert raw_terms(chinese, "zh") == []
    assert _translate(rules, "北河昌晟陶瓷有限公司") == "北河昌晟陶瓷有限公司"  # data is left alone
    assert script.count("</script>") == 1 and "<\\/" not in script
    assert "window.plannerWidgetTexts = null;" in widget_texts_script("en")  # Streamlit's English stays
    for _, key, names in WIDGET_TEXTS:
        for lang in ("zh", "en"):
            assert t(key, lang) != key and all("{" + n + "}" in t(key, lang) for n in names)


def test_the_installed_streamlit_still_writes_those_texts():
    """An upgrade of Streamlit that changes its English texts must fail here, not silently show
    English again in the Chinese UI."""
    from pathlib import Path

    import streamlit

    js = "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (Path(streamlit.__file__).parent / "static" / "static" / "js").glob("*.js")
    )
    assert "} options`})} available.`" in js  # react-aria's count announcement
    assert "selectedAnnouncement:e=>`${e.optionText}, selected`" in js
    assert "`No results`" in js and "Remove an option first.`" in js
    assert "locale:`en-US`" in js  # why: Streamlit fixes the locale of its select boxes


def test_the_threads_note_is_shown_in_chinese(monkeypatch):
    from planner.app import common

    monkeypatch.setattr(common, "lang", lambda: "zh")
    note = (
        "solver option threads=3 not applied: HiGHS already runs with another thread count in "
        "this process (it is fixed at the first solve)"
    )
    shown = common.plan_messages({"messages": [note]})
    assert shown == [common.tr("msg.threads_ignored")]
    assert "线程" in shown[0] and "threads" not in shown[0]
