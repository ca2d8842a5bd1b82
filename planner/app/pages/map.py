"""地图 Map: enterprises on plain lon/lat axes, coloured by their cut at a level, sized by emissions.

No web map tiles (the app must work without internet): county names mark where each county's
enterprises are.
"""

from __future__ import annotations

import numpy as np
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
    require_official()
    st.title(tr("map.title"))
    path = current_file()
    if path is None:
        st.warning(tr("common.no_scenarios"))
        return
    result = solve_scenario(working_scenario(path))
    levels = [lv for lv in ALERT_LEVELS if lv in set(result["schedule"]["level"])] or list(ALERT_LEVELS)
    c1, c2 = st.columns(2)
    level = c1.selectbox(
        tr("map.level"), levels, index=len(levels) - 1, format_func=bound(lvl), key="map_level"
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
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=pts["lon"],
            y=pts["lat"],
            mode="markers",
            marker={
                "size": size,
                "color": 100 * pts["cut"],
                "colorscale": "YlOrRd",
                "cmin": 0,
                "cmax": 100,
                "line": {"width": 0.5, "color": "#444"},
                "colorbar": {"title": tr("map.cut_pct")},
                "opacity": 0.8,
            },
            customdata=np.stack(
                [pts["name"], pts["county"], pts["grade"], 100 * pts["cut"], pts["emissions"]], axis=1
            ),
            hovertemplate="%{customdata[0]}<br>%{customdata[1]} · %{customdata[2]}<br>"
            + tr("map.cut_pct")
            + ": %{customdata[3]:.0f}%<br>%{customdata[4]:.3f} t/d<extra></extra>",
            name="",
        )
    )
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


with guarded():
    main()
