"""The air-quality display: ΔPM2.5 and the AQI with and without the measures per day and the goal
on the overview; station values and firm impact on the map (Chinese by default, no raw codes)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from planner.app.i18n import t
from tests.app.app_helpers import goto, new_app, page_text


def _values(v) -> np.ndarray:
    """A plotly array as numbers (plotly's JSON packs numeric arrays as base64 ``bdata``)."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, float)


def _pick(at, scenario_dir, name: str):
    at.selectbox(key="scenario_pick").set_value(scenario_dir / f"{name}.yaml").run()
    assert not at.exception
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_shows_the_goal_and_the_aqi_with_and_without_measures(lang, scenario_dir):
    at = new_app(lang, official=True)
    goto(at, "overview")
    _pick(at, scenario_dir, "demo_episode_air_goal")
    text = page_text(at)
    assert t("air.title", lang) in text
    assert t("air.goal_city", lang, x="2.3") in text
    assert t("air.method_screening", lang) in text
    table = next(d.value for d in at.dataframe if t("air.col.delta_pm25", lang) in d.value.columns)
    assert len(table) == 6
    assert (table[t("air.col.delta_pm25", lang)] >= 2.3 - 1e-3).all()
    assert (table[t("air.col.aqi_with_measures", lang)] <= table[t("air.col.aqi_forecast", lang)]).all()
    assert set(table[t("air.col.goal_met", lang)]) == {t("air.yes", lang)}
    assert table[t("air.col.marginal_loss_per_ugm3", lang)].iloc[0] > 0
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    air = next(c for c in charts if c["layout"]["title"]["text"] == t("air.chart_title", lang))
    names = [d["name"] for d in air["data"]]
    assert t("air.aqi_forecast", lang) in names and t("air.goal_line", lang) in names
    if lang == "zh":
        for raw in ("None", "screening", "nan", "True", "False"):
            assert raw not in text, raw


def test_overview_list_mode_shows_delta_without_a_forecast(scenario_dir):
    at = new_app("zh", official=True)
    goto(at, "overview")
    _pick(at, scenario_dir, "demo_list")
    text = page_text(at)
    assert t("air.title") in text and t("air.list_mode") in text
    assert t("air.goal") not in text  # no goal in the list scenario
    table = next(d.value for d in at.dataframe if t("air.col.delta_pm25") in d.value.columns)
    assert t("air.col.aqi_forecast") not in table.columns and len(table) == 3


def test_map_shows_stations_and_firm_impact(scenario_dir):
    at = new_app("zh", official=True)
    goto(at, "overview")
    _pick(at, scenario_dir, "demo_episode_air_goal")
    goto(at, "map")
    assert not at.exception
    assert t("map.station_caption") in page_text(at)
    at.selectbox(key="map_colour").set_value("impact").run()
    assert not at.exception
    opts = at.selectbox(key="map_colour").options
    assert opts == [t("map.color_cut"), t("map.color_impact")]
    if len(at.selectbox(key="map_station_slot").options) > 1:
        at.selectbox(key="map_station_slot").set_value("2026-12-14").run()
        assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    stations = [d for d in spec["data"] if d.get("marker", {}).get("symbol") == "triangle-up"]
    assert len(stations) == 1 and len(stations[0]["hovertext"]) == 5
    assert all("µg/m³" in h and "None" not in h for h in stations[0]["hovertext"])
    firms = spec["data"][0]
    assert firms["marker"]["colorbar"]["title"]["text"] == t("map.impact")
    assert _values(firms["marker"]["color"]).max() > 0
