"""应急过程 Episode: the days covered, who stops when, tonnes per day, and re-planning.

Which days are covered and why, who stops on which day (Gantt), required vs achieved tonnes per
day, and re-planning for a new forecast (planner.scenario.replan).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from planner import POLLUTANTS
from planner.app.common import (
    base_scenario,
    current_file,
    fmt_money,
    guarded,
    lvl,
    require_official,
    save_upload,
    scenario_files,
    scenario_result,
    show_chart,
    status_text,
    tr,
)
from planner.problems import InputError
from planner.reports.timeline import LEVEL_COLOURS, day_tonnes, gantt_frame


def _episodes() -> list:
    out = []
    for p in scenario_files():
        try:
            sc = base_scenario(p)
        except Exception:  # an unreadable scenario is simply not offered
            continue
        if sc.mode == "episode" and sc.forecast is not None:
            out.append(p)
    return out


def coverage_section(summary: dict) -> None:
    """Tabulate the episode's days: forecast AQI, level, whether covered and why, firms cut and held."""
    st.subheader(tr("episode.coverage"))
    tl = summary.get("timeline") or {}
    days = tl.get("days") or []
    if tl.get("issue_time"):
        st.caption(
            tr(
                "episode.issued",
                issue=str(tl["issue_time"]).replace("T", " ")[:16],
                lead=f"{tl.get('lead_hours', 24):g}",
                assumed=tr("episode.assumed") if tl.get("issue_time_assumed") else "",
            )
        )
    zh = st.session_state.get("lang", "zh") == "zh"
    rows = [
        {
            tr("episode.date"): d["date"],
            "AQI": d["aqi"],
            tr("episode.level"): lvl(d["level"]),
            tr("episode.covered"): tr("episode.yes") if d["covered"] else tr("episode.no"),
            tr("episode.why"): d["coverage_zh"] if zh else d["coverage"],
            tr("episode.firms_cut"): (d.get("measures") or {}).get("firms_cut", 0),
            tr("episode.firms_held"): (d.get("measures") or {}).get("firms_held_min_down", 0),
        }
        for d in days
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="episode_coverage")
    st.caption(tr("episode.restart_cost", cost=fmt_money(summary.get("restart_cost") or 0.0)))


def gantt_section(schedule: pd.DataFrame) -> None:
    """Draw who stops on which day as a Gantt chart of the most curtailed firms (count chosen by a slider)."""
    st.subheader(tr("episode.gantt"))
    top = st.slider(tr("episode.top"), 10, 200, 40, 10, key="episode_top")
    bars = gantt_frame(schedule, top=top)
    if bars.empty:
        st.info(tr("episode.no_cuts"))
        return
    fig = go.Figure()
    for (level, state), g in bars.groupby(["level", "state"], sort=False):
        dur = (g["finish"] - g["start"]).dt.total_seconds() * 1000.0
        fig.add_trace(
            go.Bar(
                base=g["start"],
                x=dur,
                y=g["label"],
                orientation="h",
                name=f"{lvl(level)} · {tr('episode.' + state)}",
                marker_color=LEVEL_COLOURS.get(level, LEVEL_COLOURS["none"]),
                marker_pattern_shape="" if state == "stop" else "/",
                customdata=(g["share"] * 100).round(0),
                hovertemplate="%{y}<br>%{base|%m-%d} … <br>"
                + tr("episode.share")
                + " %{customdata}%<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="overlay",
        height=max(320, 18 * bars["label"].nunique() + 120),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"type": "date", "title": tr("episode.date")},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h"},
    )
    show_chart(fig, key="episode_gantt")


def tonnes_section(summary: dict) -> None:
    """Chart the required against the achieved tonnes per day for the chosen pollutant."""
    st.subheader(tr("episode.tonnes"))
    dt = day_tonnes(summary)
    if dt.empty:
        return
    pol = st.selectbox(tr("episode.pollutant"), list(POLLUTANTS), key="episode_pollutant")
    d = dt[dt["pollutant"] == pol]
    fig = go.Figure(
        [
            go.Bar(x=d["slot"], y=d["required"], name=tr("episode.required"), marker_color="#999999"),
            go.Bar(
                x=d["slot"],
                y=d["achieved"],
                name=tr("episode.achieved"),
                marker_color=[LEVEL_COLOURS.get(v, "#4c78a8") for v in d["level"]],
            ),
        ]
    )
    fig.update_layout(
        barmode="group",
        height=300,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"type": "date"},  # drawn as 12月10日 in Chinese (show_chart), never "Dec 10"
        yaxis_title=tr("episode.tpd"),
    )
    show_chart(fig, key="episode_tonnes")


def _forecast_choices(scenario) -> list:
    folder = scenario.forecast.parent
    return sorted(p for p in folder.glob("forecast*.nc") if p.resolve() != scenario.forecast.resolve())


def replan_section(path, scenario) -> None:
    """Re-plan the rest of the episode for a new forecast and show what changes.

    The forecast is uploaded or picked from the scenario's folder; the plan is re-solved from the
    chosen day on (:func:`planner.scenario.replan.replan`) and the changed firms listed.
    """
    st.subheader(tr("episode.replan"))
    st.caption(tr("episode.replan_help"))
    choices = _forecast_choices(scenario)
    c1, c2, c3 = st.columns(3)
    upload = c1.file_uploader(tr("episode.upload_forecast"), type=["nc", "csv"], key="replan_upload")
    pick = (
        c2.selectbox(tr("episode.new_forecast"), choices, format_func=lambda p: p.name, key="replan_pick")
        if choices
        else None
    )
    first = pd.Timestamp(scenario_result(scenario).schedule["slot"].min())
    today = c3.date_input(
        tr("episode.today"), value=(first + pd.Timedelta(days=1)).date(), key="replan_today"
    )
    if not st.button(tr("episode.run_replan"), key="replan_run"):
        return
    forecast = save_upload("replan_forecast", upload) if upload is not None else pick
    if forecast is None:
        st.warning(tr("episode.need_forecast"))
        return
    from planner.scenario.replan import replan

    try:
        with st.spinner(tr("common.solving")):
            rp = replan(scenario, forecast, pd.Timestamp(today))
    except InputError as err:
        from planner.app.common import show_problems

        show_problems(err)
        return
    doc = rp.to_json()
    st.session_state["replan_doc"] = doc
    m1, m2, m3 = st.columns(3)
    m1.metric(tr("overview.status"), status_text(doc["status"]))
    m2.metric(tr("overview.total_loss"), fmt_money(doc["objective"]))
    m3.metric(tr("episode.firms_changed"), doc["firms_changed"])
    st.write(
        tr("episode.levels_from_tomorrow")
        + "　".join(f"{d}：{lvl(v['before'])} → {lvl(v['after'])}" for d, v in doc["levels"].items())
    )
    ch = rp.changes.copy()
    if ch.empty:
        st.info(tr("episode.no_changes"))
        return
    ch["level_before"] = ch["level_before"].map(lvl)
    ch["level_after"] = ch["level_after"].map(lvl)
    for c in ("before", "after"):
        ch[c] = (ch[c] * 100).round(1)
    view = ch.rename(columns={c: tr(f"episode.col_{c}") for c in ch.columns})
    st.dataframe(view, hide_index=True, key="replan_changes")
    from planner.io.writing import neutralise_frame

    st.download_button(
        tr("episode.download_changes"),
        neutralise_frame(rp.changes).to_csv(index=False).encode("utf-8-sig"),
        file_name=f"{scenario.name}-changes-{pd.Timestamp(today):%Y%m%d}.csv",
        mime="text/csv",
        key="dl_changes",
    )


def main() -> None:
    """Render the episode page for the chosen episode scenario: coverage, Gantt, tonnes and re-planning."""
    require_official()
    st.title(tr("episode.title"))
    files = _episodes()
    if not files:
        st.info(tr("episode.none"))
        return
    cur = current_file()
    path = st.selectbox(
        tr("episode.scenario"),
        files,
        index=files.index(cur) if cur in files else 0,
        format_func=lambda p: p.stem,
        key="episode_pick",
    )
    scenario = base_scenario(path)
    with st.spinner(tr("common.solving")):
        result = scenario_result(scenario)
    summary = result.summary
    st.caption(
        tr("episode.status", status=status_text(summary["status"]), loss=fmt_money(summary["objective"]))
    )
    coverage_section(summary)
    gantt_section(result.schedule)
    tonnes_section(summary)
    replan_section(path, scenario)


with guarded():
    main()
