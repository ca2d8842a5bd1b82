"""地图 Map: enterprises on plain lon/lat axes, coloured by their cut at a level, sized by emissions.

No web map tiles (the app must work without internet): county names mark where each county's
enterprises are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from planner import ALERT_LEVELS, POLLUTANTS
from planner.app.common import (
    bound,
    current_file,
    guarded,
    lvl,
    require_official,
    show_chart,
    solve_scenario,
    tr,
    working_scenario,
)
from planner.reports.app_tables import county_labels, map_frame


def main() -> None:
    """Render the map of the working plan: firms coloured by their cut at the chosen level."""
    require_official()
    st.title(tr("map.title"))
    path = current_file()
    if path is None:
        st.warning(tr("common.no_scenarios"))
        return
    result = solve_scenario(working_scenario(path))
    levels = [lv for lv in ALERT_LEVELS if lv in set(result["schedule"]["level"])] or list(ALERT_LEVELS)
    has_air = "delta_pm25_city" in result["schedule"] and result["schedule"]["delta_pm25_city"].notna().any()
    c1, c2, c3 = st.columns(3)
    level = c1.selectbox(
        tr("map.level"), levels, index=len(levels) - 1, format_func=bound(lvl), key="map_level"
    )
    colour = c3.selectbox(
        tr("map.color_by"),
        ["cut", "impact"] if has_air else ["cut"],
        format_func=bound(lambda k: tr(f"map.color_{k}")),
        key="map_colour",
    )
    pol = c2.selectbox(
        tr("map.size_by"),
        ["all", *POLLUTANTS],
        key="map_pollutant",
        format_func=bound(lambda p: tr("map.all_pollutants") if p == "all" else tr(f"pollutant.{p}")),
    )
    pts = map_frame(result["table"], result["schedule"], level, None if pol == "all" else pol)
    if pts.empty:
        st.info(tr("map.no_coordinates"))
        return
    size = 6 + 30 * np.sqrt(pts["emissions"] / max(pts["emissions"].max(), 1e-12))
    from planner.reports.air_tables import firm_impact

    impact = pts["enterprise_id"].map(firm_impact(result["schedule"], level)).fillna(0.0).to_numpy()
    if colour == "impact":
        marker_colour, cmax, bar = impact, max(float(impact.max()), 1e-9), tr("map.impact")
    else:
        marker_colour, cmax, bar = 100 * pts["cut"], 100, tr("map.cut_pct")
    fig = go.Figure()
    fig.add_trace(
        _lonlat_trace(
            pts,
            "markers",
            {
                "size": size,
                "color": marker_colour,
                "colorscale": "YlOrRd",
                "cmin": 0,
                "cmax": cmax,
                "line": {"width": 0.5, "color": "#444"},
                "colorbar": {"title": bar, "x": 1.0},
                "opacity": 0.8,
            },
            customdata=np.stack(
                [pts["name"], pts["county"], pts["grade"], 100 * pts["cut"], pts["emissions"], impact], axis=1
            ),
            hovertemplate="%{customdata[0]}<br>%{customdata[1]} · %{customdata[2]}<br>"
            + tr("map.cut_pct")
            + ": %{customdata[3]:.0f}%<br>%{customdata[4]:.3f} t/d"
            + ("<br>" + tr("map.impact") + ": %{customdata[5]:.4f}" if has_air else "")
            + "<extra></extra>",
            name="",
        )
    )
    _stations_trace(fig, result, level)
    labels = county_labels(pts)
    fig.add_trace(
        go.Scatter(
            x=labels["lon"],
            y=labels["lat"],
            mode="text",
            text=labels["county"],
            textfont={"size": 14, "color": "#1f3b73"},
            hoverinfo="skip",
            name="",
        )
    )
    fig.update_layout(
        height=620,
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title=tr("map.lon"),
        yaxis_title=tr("map.lat"),
        title=tr("map.chart_title", level=lvl(level)),
    )
    fig.update_yaxes(scaleanchor="x", scaleratio=1 / max(np.cos(np.radians(pts["lat"].mean())), 0.1))
    show_chart(fig, key="map_chart")
    st.caption(tr("map.caption", n=len(pts), cut=int((pts["cut"] > 1e-6).sum())))


def _lonlat_trace(pts: pd.DataFrame, mode: str, marker: dict, **trace) -> go.Scatter:
    """The points of ``pts`` (firms or stations) at their ``lon`` / ``lat``, drawn as ``marker`` says."""
    return go.Scatter(x=pts["lon"], y=pts["lat"], mode=mode, marker=marker, **trace)


def _stations_trace(fig, result: dict, level: str) -> None:
    """Monitoring stations as triangles coloured by their PM2.5 reduction on one slot of ``level``."""
    from planner.app.common import lang
    from planner.reports.air_tables import station_points

    stations = result.get("stations") or []
    if not stations or result.get("air_days") is None:
        return
    slots = [
        str(s) for s, lv in zip(result["slots"]["slot"], result["slots"]["level"], strict=True) if lv == level
    ]
    if not slots:
        return
    slot = (
        slots[0] if len(slots) == 1 else st.selectbox(tr("map.station_slot"), slots, key="map_station_slot")
    )
    pts = station_points(result["air_days"], stations, slot)
    if pts.empty:
        return

    def num(v, spec):
        return "–" if v is None or v != v else format(v, spec)

    names = pts["name"] if lang() == "zh" else pts["name_en"]
    hover = [
        f"{n}<br>"
        + tr(
            "map.station_hover",
            pm=num(r.pm25_forecast, ".1f"),
            d=num(r.delta_pm25, ".2f"),
            a0=num(r.aqi_forecast, ".0f"),
            a1=num(r.aqi_with_measures, ".0f"),
        )
        for n, r in zip(names, pts.itertuples(index=False), strict=True)
    ]
    fig.add_trace(
        _lonlat_trace(
            pts,
            "markers+text",
            {
                "symbol": "triangle-up",
                "size": 16,
                "color": pts["delta_pm25"].fillna(0.0),
                "colorscale": "Greens",
                "cmin": 0,
                "line": {"width": 1, "color": "#000"},
                "colorbar": {"title": tr("air.delta_pm25"), "x": 1.12},
            },
            text=names,
            textposition="top center",
            hovertext=hover,
            hoverinfo="text",
            name=tr("map.stations"),
        )
    )
    st.caption(tr("map.station_caption"))


with guarded():
    main()
