"""The episode page: coverage, Gantt, tonnes per day and the re-plan control, in both languages."""

from __future__ import annotations

import pytest
from app_helpers import REPO, errors, goto, new_app, page_text

from planner.app.i18n import t


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_episode_page_renders_and_replans(lang, monkeypatch, scenario_dir):
    monkeypatch.setenv("PLANNER_SCENARIO_DIR", str(scenario_dir))
    at = new_app(lang, official=True)
    goto(at, "episode")
    assert not at.exception, at.exception
    assert at.title[0].value == t("episode.title", lang)
    text = page_text(at)
    assert t("episode.gantt", lang) in text and t("episode.tonnes", lang) in text
    assert len(at.get("plotly_chart")) >= 2
    if lang == "zh":
        assert "过程1 红色" in text and "None" not in text
    # re-plan with the first successive demo forecast on 12-11
    pick = at.selectbox(key="replan_pick")
    assert any("forecast_2026-12-11" in str(o) for o in pick.options)
    pick.set_value(next(o for o in pick.options if "forecast_2026-12-11" in str(o)))
    import datetime

    at.date_input(key="replan_today").set_value(datetime.date(2026, 12, 11))
    at.button(key="replan_run").click().run()
    assert not at.exception, at.exception
    assert t("common.unexpected", lang) not in errors(at)
    doc = at.session_state["replan_doc"]
    assert doc["fixed_days"] == ["2026-12-10", "2026-12-11"] and doc["changes"]
    assert t("episode.col_after", lang) in page_text(at)
    assert REPO.is_dir()
