"""The overview's ensemble-risk table: members met per day, in Chinese by default."""

from __future__ import annotations

import pytest

from planner.app.i18n import t
from tests.app.app_helpers import goto, new_app, page_text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_shows_members_met_per_day(lang):
    at = new_app(lang, official=True)
    goto(at, "overview")
    pick = at.selectbox(key="scenario_pick")
    target = next(o for o in pick.options if str(o).endswith("demo_episode_chance_2017"))
    pick.select(target)
    at.run()
    assert not at.exception
    text = page_text(at)
    assert t("overview.ensemble_title", lang) in text
    tables = [d.value for d in at.dataframe if t("ensemble_col.members_met_share", lang) in d.value.columns]
    assert tables, text
    table = tables[0]
    assert len(table) == 6
    assert table[t("ensemble_col.members_met", lang)].min() >= 18
    assert set(table[t("ensemble_col.chance_met", lang)]) == {t("overview.ensemble_yes", lang)}
    if lang == "zh":
        assert "None" not in table.to_csv() and "orange" not in table.to_csv()
        assert "橙色" in table.to_csv() or "橙" in table.to_csv()
