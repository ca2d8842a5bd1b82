"""总览 Overview: pick a scenario (or upload data), see the forecast, targets vs achieved, the loss."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from planner import ALERT_LEVELS, POLLUTANTS
from planner.app.common import (
    LEVEL_COLORS,
    base_scenario,
    bound,
    current_file,
    default_shares,
    fmt_money,
    fmt_num,
    guarded,
    localise_columns,
    lvl,
    number_table,
    pct,
    plan_messages,
    problems_table,
    require_official,
    save_upload,
    scenario_files,
    scenario_result,
    set_shares,
    show_chart,
    show_problems,
    slot_name,
    solve_scenario,
    status_text,
    tr,
    uploads,
    working_scenario,
)
from planner.io.writing import safe_filename
from planner.problems import InputError
from planner.reports.app_tables import (
    effective_shares,
    ensemble_frame,
    forecast_frame,
    loss_metrics,
    savings_frame,
    scenario_key,
    share_overrides,
    shortfalls,
    split_frame,
    targets_frame,
)


def pick_scenario():
    """Let the user choose the scenario file and remember it for the other pages.

    Returns
    -------
    Path
        The chosen file (the page stops with a warning when there is none).
    """
    files = scenario_files()
    if not files:
        st.warning(tr("common.no_scenarios"))
        st.stop()
    cur = current_file()
    choice = st.selectbox(
        tr("overview.scenario"),
        files,
        index=files.index(cur),
        format_func=lambda p: p.stem,
        key="scenario_pick",
    )
    if str(choice) != st.session_state.get("scenario_file"):
        st.session_state["scenario_file"] = str(choice)
    return choice


def upload_section() -> None:
    """Offer uploads of an enterprise list and a forecast for the session, each validated before use."""
    with st.expander(tr("overview.upload"), expanded=bool(uploads())):
        st.caption(tr("overview.upload_help"))
        c1, c2 = st.columns(2)
        inv = c1.file_uploader(tr("overview.upload_inventory"), type=["csv", "xlsx"], key="up_inventory")
        fc = c2.file_uploader(tr("overview.upload_forecast"), type=["nc", "csv"], key="up_forecast")
        up = uploads()
        if inv is not None:
            path = save_upload("inventory", inv)
            from planner.inventory.table import validate_inventory

            problems = validate_inventory(path)
            if not problems.ok:
                up.pop("inventory", None)
                st.error(tr("overview.inventory_invalid", name=inv.name, n=len(problems.errors)))
                problems_table(problems)
                st.stop()
            if problems.warnings:
                st.warning(tr("overview.inventory_warnings", n=len(problems.warnings)))
                problems_table(problems)
        elif up.get("inventory"):
            keep_upload(c1, "inventory")
        if fc is not None:
            path = save_upload("forecast", fc)
            from planner.targets.forecast import read_forecast

            try:
                read_forecast(path)
            except InputError as err:
                up.pop("forecast", None)
                show_problems(err)
                st.stop()
        elif up.get("forecast"):
            keep_upload(c2, "forecast")
        if up.get("forecast") and base_scenario(current_file()).mode == "list":
            choice = c2.radio(
                tr("overview.forecast_use"),
                ["list", "episode"],
                index=1 if up.get("forecast_mode") == "episode" else 0,
                format_func=bound(lambda m: tr(f"overview.forecast_use.{m}")),
                key="forecast_mode_pick",
            )
            up["forecast_mode"] = choice
            c2.caption(tr(f"overview.forecast_use_help.{choice}"))


def keep_upload(col, kind: str) -> None:
    """An earlier upload stays in use (the uploader forgets it when the page changes) until removed."""
    from pathlib import Path

    col.caption(tr("overview.using_upload", name=Path(uploads()[kind]).name.split("-", 1)[-1]))
    if col.button(tr("overview.remove_upload"), key=f"remove_{kind}"):
        uploads().pop(kind, None)
        st.rerun()


def shares_section(path) -> None:
    """Let the user change the reduction share per level and pollutant for the scenario ``path``."""
    base = base_scenario(path)
    defaults = effective_shares(default_shares(), base.shares)
    with st.expander(tr("overview.shares")):
        st.caption(tr("overview.shares_help"))
        values: dict[str, dict[str, float]] = {}
        cols = st.columns(len(POLLUTANTS) + 1)
        cols[0].markdown(f"**{tr('overview.level')}**")
        for j, p in enumerate(POLLUTANTS):
            cols[j + 1].markdown(f"**{tr(f'pollutant.{p}')}**")
        for lv in ALERT_LEVELS:
            cols = st.columns(len(POLLUTANTS) + 1)
            cols[0].markdown(lvl(lv))
            values[lv] = {}
            for j, p in enumerate(POLLUTANTS):
                v = cols[j + 1].number_input(
                    f"{lv} {p} %",
                    min_value=0.0,
                    max_value=100.0,
                    step=5.0,
                    value=round(100 * defaults[lv][p], 2),
                    key=f"share_{path.stem}_{lv}_{p}",
                    label_visibility="collapsed",
                )
                values[lv][p] = v / 100.0
        set_shares(path, share_overrides(values, defaults))


def forecast_chart(scenario) -> None:
    """Chart the scenario's forecast AQI per day, with the ensemble's P10–P90 band when present."""
    if scenario.forecast is None:
        st.caption(tr("overview.no_forecast"))
        return
    df = _forecast(scenario_key(scenario), str(scenario.forecast), scenario.aqi_standard, scenario.rules)
    fig = go.Figure()
    if "aqi_p10" in df and "aqi_p90" in df and df["aqi_p90"].notna().any():
        x = list(df["date"]) + list(df["date"][::-1])
        y = list(df["aqi_p90"].astype(float)) + list(df["aqi_p10"].astype(float)[::-1])
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                fill="toself",
                fillcolor="rgba(100,100,160,0.2)",
                line={"width": 0},
                mode="lines",
                name=tr("overview.band"),
                hoverinfo="skip",
            )
        )
    if "aqi_p50" in df and df["aqi_p50"].notna().any():
        fig.add_trace(
            go.Scatter(
                x=df["date"],
                y=df["aqi_p50"].astype(float),
                mode="lines",
                line={"dash": "dot", "color": "#555"},
                name=tr("overview.median"),
            )
        )
    fig.add_trace(
        go.Bar(
            x=df["date"],
            y=df["aqi"].astype(float),
            marker_color=[LEVEL_COLORS.get(v, "#999") for v in df["level"]],
            name=tr("overview.aqi"),
            hovertext=[lvl(v) for v in df["level"]],
            opacity=0.85,
            showlegend=False,
        )
    )
    for lv in ("yellow", "orange", "red"):  # legend entries for the alert colours
        if (df["level"] == lv).any():
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    name=lvl(lv),
                    marker={"color": LEVEL_COLORS[lv], "size": 10, "symbol": "square"},
                )
            )
    for y, name in ((150, "150"), (200, "200"), (300, "300")):
        fig.add_hline(y=y, line_dash="dash", line_color="#888", annotation_text=name)
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        title=tr("overview.forecast_title"),
        yaxis_title="AQI",
        legend={"orientation": "h"},
    )
    show_chart(fig, key="forecast_chart")


@st.cache_data(max_entries=16, show_spinner=False)
def _forecast(key: str, path: str, standard: str, rules: str):
    from planner.policy.alerts import alert_levels, load_rules
    from planner.targets.forecast import city_daily_aqi, read_forecast

    ds = read_forecast(path)
    daily = city_daily_aqi(ds, standard=standard, percentiles=(10, 50, 90))
    alerts = alert_levels(daily, load_rules(rules))
    return forecast_frame(daily, alerts)


def targets_chart(summary: dict) -> None:
    """Chart each slot's achieved reduction against its target, per pollutant (100 % = met)."""
    df = targets_frame(summary)
    if df.empty:
        return
    fig = go.Figure()
    colors = {"SO2": "#4c78a8", "NOx": "#f58518", "PM": "#54a24b", "VOCs": "#b279a2"}
    labels = [slot_name(s, lv) for s, lv in zip(df["slot"], df["level"], strict=True)]
    df = df.assign(label=labels)
    for p in POLLUTANTS:
        d = df[df["pollutant"] == p]
        fig.add_trace(
            go.Bar(
                x=d["label"],
                y=100 * d["ratio"],
                name=tr(f"pollutant.{p}"),
                marker_color=colors[p],
                customdata=d[["achieved", "target"]].to_numpy(),
                hovertemplate="%{y:.0f}%<br>%{customdata[0]:,.2f} / %{customdata[1]:,.2f} "
                + tr("unit.t_per_day"),
            )
        )
    fig.add_hline(y=100, line_color="#d62728", line_dash="dash", annotation_text=tr("overview.target_line"))
    fig.update_layout(
        barmode="group",
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis_title=tr("overview.achieved_pct"),
        title=tr("overview.targets_title"),
        legend={"orientation": "h"},
    )
    show_chart(fig, key="targets_chart")
    table = df[["label", "pollutant", "target", "credited", "achieved", "shortfall"]].rename(
        columns={"label": "slot"}
    )
    table["pollutant"] = table["pollutant"].map(lambda p: tr(f"pollutant.{p}"))
    number_table(table, dict.fromkeys(("target", "credited", "achieved", "shortfall"), "%.3f"))


def metrics_row(summary: dict) -> None:
    """Show the plan's total loss, its saving against the uniform and greedy cuts, and the firms curtailed."""
    m = loss_metrics(summary)
    c = st.columns(4)
    c[0].metric(tr("overview.total_loss"), fmt_money(m["objective"]))
    c[1].metric(
        tr("overview.saving_uniform"),
        fmt_money(m["saving_vs_uniform"]),
        delta=pct(m["saving_pct_vs_uniform"]) if m["saving_pct_vs_uniform"] is not None else None,
    )
    c[2].metric(
        tr("overview.saving_greedy"),
        fmt_money(m["saving_vs_greedy"]),
        delta=pct(m["saving_pct_vs_greedy"]) if m["saving_pct_vs_greedy"] is not None else None,
    )
    c[3].metric(
        tr("overview.curtailed"),
        f"{summary.get('curtailed_enterprises', 0)} / {summary.get('enterprises', 0)}",
    )


def split_section(summary: dict) -> None:
    """Where the loss comes from (rule floors vs the optimiser) and the saving against every baseline."""
    split = split_frame(summary)
    if split.empty:
        return
    st.subheader(tr("overview.split_title"))
    total = summary["loss_split"]
    st.caption(
        tr(
            "overview.split_help",
            floor=fmt_money(total["loss_floor"]),
            optimizer=fmt_money(total["loss_optimizer"]),
            cells=f"{total['cells_above_floor']:,}",
            all=f"{total['cells']:,}",
        )
    )
    split["level"] = split["level"].map(lvl)
    if summary.get("mode") == "list":  # list mode: the slot is the level
        split = split.drop(columns=["slot"])
    number_table(split, dict.fromkeys(("loss", "loss_floor", "loss_optimizer"), "%,.1f"))
    sav = savings_frame(summary)
    sav["baseline"] = sav["baseline"].map(lambda k: tr(f"compare.method.{k}"))
    sav["saving_share"] = sav["saving_share"].map(
        lambda v: pct(v) if v is not None and v == v else tr("common.dash")
    )
    st.caption(tr("overview.savings_help"))
    number_table(
        sav.rename(columns={"loss": "baseline_loss", "restart_cost": "baseline_restart_cost"}),
        dict.fromkeys(("baseline_loss", "baseline_restart_cost", "saving"), "%,.1f"),
    )


def diagnosis(summary: dict) -> None:
    """Say whether every target is met; otherwise show the plan's messages and the shortfalls.

    The shortfall table gives per slot, level and pollutant the target, the achieved and missing
    tonnes, and the target's dual price.
    """
    short = shortfalls(summary)
    status = summary.get("status")
    if status == "optimal" and short.empty:
        st.success(tr("overview.all_met", status=status_text(status)))
        return
    st.error(tr("overview.not_met", status=status_text(status)))
    msgs = plan_messages(summary)
    if msgs:
        st.caption("\n\n".join(msgs))
    if not short.empty:
        st.write(tr("overview.shortfall_help"))
        view = short[["slot", "level", "pollutant", "target", "achieved", "shortfall", "dual"]].copy()
        if (view["slot"] == view["level"]).all():  # list mode: the slot is the level
            view = view.drop(columns=["slot"])
        else:
            view["slot"] = [slot_name(x) for x in view["slot"]]
        view["level"] = view["level"].map(lvl)
        view["pollutant"] = view["pollutant"].map(lambda p: tr(f"pollutant.{p}"))
        # a dual is absent when the solver gives none (time limit, infeasible MILP): say so
        view["dual"] = view["dual"].map(lambda v: fmt_num(v, 2, none=tr("common.dash_no_dual")))
        st.dataframe(
            view.rename(columns=lambda c: tr(f"col.{c}")),
            hide_index=True,
            column_config={
                tr(f"col.{c}"): st.column_config.NumberColumn(format="%,.3f")
                for c in ("target", "achieved", "shortfall")
            },
        )


def ensemble_section(summary: dict) -> None:
    """Ensemble risk: per day, the share of forecast members whose targets the plan meets."""
    ens = summary.get("ensemble")
    if not ens:
        return
    st.subheader(tr("overview.ensemble_title"))
    text = tr("overview.ensemble_help", met=ens["members_met_all_days"], total=ens["members"])
    if ens.get("chance") is not None:
        text += tr("overview.ensemble_chance", share=pct(ens["chance"]), n=ens["members_required"])
    st.caption(text)
    df = ensemble_frame(summary)
    if df.empty:
        return
    df["level"] = df["level"].map(lvl)
    for c in ("members_met_share", "reachable_share"):
        df[c] = df[c].map(lambda v: tr("common.dash") if v is None else pct(v))
    if ens.get("chance") is None:
        df = df.drop(columns=["chance_met"])
    else:
        df["chance_met"] = df["chance_met"].map(
            lambda v: tr("overview.ensemble_yes" if v else "overview.ensemble_no")
        )
    st.dataframe(localise_columns(df, "ensemble_col"), hide_index=True)


def _slot_label(slot: str, level: str) -> str:
    return (
        lvl(level)
        if slot == level
        else f"{slot[5:] if len(slot) == 10 else slot} {tr(f'level_short.{level}')}"
    )


def _pm25_line(labels: list[str], y, name: str, mode: str, line: dict) -> go.Scatter:
    """A PM2.5 line (µg/m³) over the slots, on the chart's right axis (``y2``)."""
    return go.Scatter(x=labels, y=y, name=name, mode=mode, yaxis="y2", line=line)


def air_section(summary: dict) -> None:
    """ΔPM2.5 and the AQI with and without the measures per day, and the concentration goal."""
    from planner.reports.air_tables import air_slots_frame, goal_info

    df = air_slots_frame(summary)
    if df.empty:
        return
    st.subheader(tr("air.title"))
    method = next((s["air_quality"]["method"] for s in summary["slots"] if s.get("air_quality")), "")
    st.caption(tr("air.method_screening") if method == "screening" else tr("air.method_sr", file=method))
    goal = goal_info(summary)
    if goal is not None:
        c = st.columns(4)
        parts = []
        if goal["city"] is not None:
            parts.append(tr("air.goal_city", x=f"{goal['city']:g}"))
        if goal["station"] is not None:
            parts.append(tr("air.goal_station", x=f"{goal['station']:g}"))
        c[0].metric(tr("air.goal"), "；".join(parts))
        c[1].metric(tr("air.goal_met"), tr("air.yes") if goal["met"] else tr("air.no"))
        instead = goal["instead_of_shares"]
        c[2].metric(
            tr("air.loss_shares_only") if instead else tr("air.loss_without_goal"),
            fmt_money(goal["loss_without_goal"]),
        )
        c[3].metric(
            tr("air.loss_difference") if instead else tr("air.goal_cost"), fmt_money(goal["goal_cost"])
        )
        st.caption(tr("air.instead_of_shares") if goal["instead_of_shares"] else tr("air.with_shares"))
        if goal["met"] is False:
            st.warning(tr("air.goal_not_met"))
    labels = [_slot_label(s, lv) for s, lv in zip(df["slot"], df["level"], strict=True)]
    fig = go.Figure()
    if df["aqi_forecast"].notna().any():
        fig.add_trace(
            go.Bar(x=labels, y=df["aqi_forecast"], name=tr("air.aqi_forecast"), marker_color="#9e9e9e")
        )
        fig.add_trace(
            go.Bar(
                x=labels, y=df["aqi_with_measures"], name=tr("air.aqi_with_measures"), marker_color="#1f77b4"
            )
        )
    fig.add_trace(
        _pm25_line(labels, df["delta_pm25"], tr("air.delta_pm25"), "lines+markers", {"color": "#2ca02c"})
    )
    if df["goal_delta_pm25"].notna().any():
        fig.add_trace(
            _pm25_line(
                labels,
                df["goal_delta_pm25"],
                tr("air.goal_line"),
                "lines",
                {"color": "#d62728", "dash": "dash"},
            )
        )
    fig.update_layout(
        barmode="group",
        height=340,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis={"title": "AQI"},
        yaxis2={"title": tr("air.delta_axis"), "overlaying": "y", "side": "right", "rangemode": "tozero"},
        title=tr("air.chart_title"),
        legend={"orientation": "h"},
    )
    st.plotly_chart(fig, key="air_chart")
    view = df.assign(slot=labels).drop(columns=["level"])
    if view["goal_delta_pm25"].isna().all():
        view = view.drop(columns=["goal_delta_pm25", "goal_met", "marginal_loss_per_ugm3"])
    else:
        view["goal_met"] = view["goal_met"].map(lambda v: tr("air.yes") if v else tr("air.no"))
    if view["pm25_forecast"].isna().all():  # list mode: no forecast, only ΔPM2.5 on a typical alert day
        view = view.drop(columns=["pm25_forecast", "pm25_with_measures", "aqi_forecast", "aqi_with_measures"])
        st.caption(tr("air.list_mode"))
    formats = dict.fromkeys(("pm25_forecast", "delta_pm25", "pm25_with_measures", "goal_delta_pm25"), "%.2f")
    number_table(view, formats | {"marginal_loss_per_ugm3": "%,.0f"}, prefix="air.col")


def main() -> None:
    """Render the overview page: scenario choice, uploads, shares, the plan's metrics, charts and files."""
    require_official()
    st.title(tr("overview.title"))
    path = pick_scenario()
    upload_section()
    shares_section(path)
    scenario = working_scenario(path)
    if scenario.description:
        st.caption(scenario.description)
    result = solve_scenario(scenario)
    summary = result["summary"]
    st.session_state["last_result_key"] = result["key"]
    metrics_row(summary)
    diagnosis(summary)
    ensemble_section(summary)
    split_section(summary)
    air_section(summary)
    left, right = st.columns(2)
    with left:
        targets_chart(summary)
    with right:
        forecast_chart(scenario)
    downloads(scenario, result)
    try:
        import planner.reports.export  # noqa: F401
    except ImportError:
        return
    sheets_section(scenario, result)


@st.cache_data(max_entries=8, show_spinner=False)
def _workbook(key: str, _scenario) -> bytes:
    """The emergency list workbook (bureau layout) of a scenario, as bytes."""
    import tempfile
    from pathlib import Path

    from planner.reports.export import emergency_list_workbook

    with tempfile.TemporaryDirectory() as folder:
        return emergency_list_workbook(scenario_result(_scenario), Path(folder) / "list.xlsx").read_bytes()


@st.cache_data(max_entries=64, show_spinner=False)
def _sheet(key: str, _scenario, eid: str) -> str:
    """One firm's 一厂一策 sheet (HTML), as the firm sees it in the portal."""
    from planner.reports.export import enterprise_sheet_html

    return enterprise_sheet_html(scenario_result(_scenario), eid)


@st.cache_data(max_entries=4, show_spinner=False)
def _sheets_zip(key: str, _scenario) -> bytes:
    """Every firm's 一厂一策 sheet and the index page in one ZIP archive."""
    import io
    import tempfile
    import zipfile
    from pathlib import Path

    from planner.reports.export import enterprise_sheets

    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        paths = enterprise_sheets(scenario_result(_scenario), Path(folder) / "sheets")
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for p in paths:
                z.write(p, arcname=f"一厂一策/{p.name}")
    return buf.getvalue()


def sheets_section(scenario, result: dict) -> None:
    """Officials download any firm's 一厂一策 sheet, or all of them as one archive."""
    table = result["table"]
    st.subheader(tr("overview.sheets_title"))
    c1, c2 = st.columns(2)
    names = table["name"].astype(str) if "name" in table else None
    ids = list(table.index.astype(str))
    eid = c1.selectbox(
        tr("overview.sheet_pick"),
        ids,
        index=None,
        placeholder=tr("overview.sheet_pick_placeholder"),
        format_func=bound(lambda i: f"{i} · {names[i]}" if names is not None else i),
        key="sheet_pick",
    )
    if eid:
        html = _sheet(result["key"], scenario, eid)
        c1.download_button(
            tr("overview.download_sheet"),
            html.encode("utf-8"),
            file_name=f"{safe_filename(eid)}-一厂一策.html",
            mime="text/html",
            key="dl_sheet",
        )
    ready = st.session_state.setdefault("sheets_ready", set())
    if result["key"] not in ready:
        c2.caption(tr("overview.sheets_all_help", n=f"{len(ids):,}"))
        if c2.button(tr("overview.make_sheets"), key="make_sheets"):
            ready.add(result["key"])
            st.rerun()
        return
    with st.spinner(tr("overview.making_sheets")):
        data = _sheets_zip(result["key"], scenario)
    c2.download_button(
        tr("overview.download_sheets"),
        data,
        file_name=f"{scenario.name}-一厂一策.zip",
        mime="application/zip",
        key="dl_sheets",
    )


def downloads(scenario, result: dict) -> None:
    """Offer the schedule CSV and, once made on request, the emergency list workbook for download."""
    from planner.io.writing import neutralise_frame

    c1, c2 = st.columns(2)
    c1.download_button(
        tr("overview.download_schedule"),
        neutralise_frame(result["schedule"]).to_csv(index=False).encode("utf-8-sig"),
        file_name=f"{scenario.name}-schedule.csv",
        mime="text/csv",
        key="dl_schedule",
    )
    try:
        import planner.reports.export  # noqa: F401
    except ImportError:
        return
    ready = st.session_state.setdefault("workbook_ready", set())
    key = result["key"]
    if key not in ready:
        if c2.button(tr("overview.make_workbook"), key="make_workbook"):
            ready.add(key)
            st.rerun()
        return
    with st.spinner(tr("overview.making_workbook")):
        data = _workbook(key, scenario)
    c2.download_button(
        tr("overview.download_workbook"),
        data,
        file_name=f"{scenario.name}-应急减排清单.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="dl_workbook",
    )


with guarded():
    main()
