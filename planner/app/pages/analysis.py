"""专家分析 Expert analysis: cost curve, upgrade values, effectiveness, percentile sensitivity.

The least-cost curve with baselines, the grade-upgrade value ranking, measure effectiveness, and
the sensitivity to the ensemble percentile.

Every analysis is :mod:`planner.reports.analysis` on the current scenario (with the session's edits);
the page caches only the resulting tables.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections import OrderedDict

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from planner import POLLUTANTS
from planner.app.common import (
    base_scenario,
    bound,
    current_file,
    fmt_money,
    fmt_num,
    guarded,
    industry_name,
    lvl,
    measure_type_name,
    require_official,
    scenario_files,
    scenario_result,
    show_chart,
    slot_name,
    solve_scenario,
    status_text,
    tr,
    working_scenario,
)
from planner.reports.app_tables import scenario_key

BASE_COLORS = {"uniform": "#d62728", "greedy": "#ff7f0e", "rules_only": "#7f7f7f"}


def _progress_bar():
    """An ``st.progress`` bar and the ``progress(done, total, label)`` callback that moves it."""
    bar = st.progress(0.0, text=tr("analysis.progress", done=0, total="…"))

    def update(done: int, total: int, label: str) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=tr("analysis.progress", done=done, total=total))

    return bar, update


#: Results of the sweeps that report progress (curve, upgrade values), newest last.  Not
#: ``st.cache_data``: a cached function may not draw on a bar created outside it (the progress).
_SWEEPS: OrderedDict = OrderedDict()
_SWEEPS_MAX = 16
_SWEEPS_LOCK = threading.Lock()


def _sweep(key: tuple, compute):
    """``compute()`` once per ``key`` (a small LRU shared by the sessions); a copy each time."""
    with _SWEEPS_LOCK:
        hit = _SWEEPS.get(key)
        if hit is not None:
            _SWEEPS.move_to_end(key)
    if hit is None:
        hit = compute()
        with _SWEEPS_LOCK:
            _SWEEPS[key] = hit
            while len(_SWEEPS) > _SWEEPS_MAX:
                _SWEEPS.popitem(last=False)
    return copy.deepcopy(hit)


def _curve(key: str, _scenario, slot: str, shares: tuple, _progress=None) -> tuple[pd.DataFrame, dict]:
    from planner.reports.analysis import least_cost_curve

    def compute():
        df = least_cost_curve(
            scenario_result(_scenario).prepared, shares=shares, slot=slot, progress=_progress
        )
        return pd.DataFrame(df), dict(df.attrs)

    return _sweep(("curve", key, slot, shares), compute)


def _upgrades(key: str, _scenario, top: int, _progress=None) -> pd.DataFrame:
    from planner.reports.analysis import upgrade_values

    return _sweep(
        ("upgrades", key, top),
        lambda: pd.DataFrame(upgrade_values(scenario_result(_scenario), top=top, progress=_progress)),
    )


@st.cache_data(max_entries=8, show_spinner=False)
def _effectiveness(key: str, _scenario) -> dict:
    from planner.reports.analysis import measure_effectiveness

    return {k: pd.DataFrame(v) for k, v in measure_effectiveness(scenario_result(_scenario)).items()}


@st.cache_data(max_entries=8, show_spinner=False)
def _percentiles(key: str, _scenario, qs: tuple) -> pd.DataFrame:
    from planner.problems import InputError

    rows = []
    for q in qs:
        sc = dataclasses.replace(_scenario, percentile=None if q is None else float(q))
        try:
            r = scenario_result(sc)
        except InputError as err:
            rows.append(
                {
                    "percentile": q,
                    "status": "no_alert",
                    "objective": None,
                    "alert_days": 0,
                    "levels": "",
                    "message": str(err),
                }
            )
            continue
        levels = [s["level"] for s in r.summary["slots"]]
        rows.append(
            {
                "percentile": q,
                "status": r.summary["status"],
                "objective": r.summary.get("objective"),
                "alert_days": len(levels),
                "levels": " ".join(levels),
                "message": "",
            }
        )
    return pd.DataFrame(rows)


def curve_tab(scenario, result: dict) -> None:
    """Draw the least-cost curve of one slot over a range of reduction shares, with the baselines.

    Parameters
    ----------
    scenario : Scenario
        The working scenario.
    result : dict
        Its solved plan (:func:`planner.app.common.solve_scenario`), for the slots offered.
    """
    st.caption(tr("analysis.curve_help"))
    slots = list(result["summary"]["slots"])
    names = [s["slot"] for s in slots]
    levels = {s["slot"]: s["level"] for s in slots}
    default = next((i for i, s in enumerate(names) if levels[s] == "orange"), 0)
    c1, c2 = st.columns(2)
    slot = c1.selectbox(
        tr("analysis.slot"),
        names,
        index=default,
        key="curve_slot",
        format_func=bound(lambda s: slot_name(s, levels[s])),
    )
    lo, hi = c2.slider(tr("analysis.share_range"), 0, 60, (5, 50), step=5, key="curve_range")
    shares = tuple(round(x / 100, 2) for x in range(max(lo, 1), hi + 1, 5)) or (0.05,)
    bar, progress = _progress_bar()
    with st.spinner(tr("common.solving")):
        df, attrs = _curve(scenario_key(scenario), scenario, slot, shares, progress)
    bar.empty()
    fig = go.Figure()
    ok = df["status"] == "optimal"
    fig.add_trace(
        go.Scatter(
            x=100 * df.loc[ok, "share"],
            y=df.loc[ok, "loss"],
            mode="lines+markers",
            name=tr("analysis.optimal"),
            line={"width": 3, "color": "#1f77b4"},
        )
    )
    for b, color in BASE_COLORS.items():
        if b in df and df[b].notna().any():
            fig.add_trace(
                go.Scatter(
                    x=100 * df["share"],
                    y=df[b],
                    mode="lines+markers",
                    name=tr(f"compare.method.{b}"),
                    line={"dash": "dash", "color": color},
                )
            )
    mfs = attrs.get("max_feasible_share")
    if mfs is not None and np.isfinite(mfs):
        fig.add_vline(
            x=100 * mfs,
            line_dash="dot",
            line_color="#d62728",
            annotation_text=tr("analysis.max_share", share=f"{100 * mfs:.1f}%"),
        )
    fig.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title=tr("analysis.share_axis"),
        yaxis_title=tr("analysis.loss_axis"),
        legend={"orientation": "h"},
    )
    show_chart(fig, key="curve_chart", money_axis="y")
    by_p = attrs.get("max_feasible_share_by_pollutant") or {}
    if by_p:
        st.caption(
            tr(
                "analysis.max_share_by",
                detail=", ".join(
                    f"{tr(f'pollutant.{p}')} {100 * v:.1f}%" for p, v in by_p.items() if v is not None
                ),
            )
        )


def upgrade_tab(scenario) -> None:
    """Rank the firms by the loss a one-grade upgrade would avoid.

    For the top ``N`` (the number input) the city's plan is re-solved to give the change of its total
    loss.
    """
    st.caption(tr("analysis.upgrade_help"))
    top = st.number_input(tr("analysis.top"), 0, 20, 5, key="upgrade_top")
    bar, progress = _progress_bar()
    with st.spinner(tr("common.solving")):
        df = _upgrades(scenario_key(scenario), scenario, int(top), progress)
    bar.empty()
    if df.empty:
        st.info(tr("analysis.no_upgrades"))
        return
    view = df.reset_index().head(50)
    view["industry"] = view["industry"].map(industry_name)
    view["grade"] = view["grade"].map(lambda g: tr(f"grade.{g}"))
    view["grade_after"] = view["grade_after"].map(lambda g: tr(f"grade.{g}"))
    cols = [
        c
        for c in (
            "enterprise_id",
            "name",
            "county",
            "industry",
            "grade",
            "grade_after",
            "firm_saving",
            "city_saving",
            "status_after",
        )
        if c in view
    ]
    view = view[cols]
    for c in ("firm_saving", "city_saving"):
        if c in view:  # absent when the upgrade was not re-solved (below the top N): say so
            view[c] = view[c].map(lambda v: fmt_num(v, 1, none=tr("analysis.not_evaluated")))
    if "status_after" in view:
        view["status_after"] = view["status_after"].map(
            lambda s: status_text(s) if isinstance(s, str) else "–"
        )
    st.dataframe(
        view.rename(columns=lambda c: tr(f"col.{c}")),
        hide_index=True,
        key="upgrade_table",
    )


def effectiveness_tab(scenario) -> None:
    """Show where each target's reductions come from and the reduction per 10k CNY of loss.

    Stacked bars of non-industrial credits, rule floors and the optimiser's additions per slot and
    pollutant; a table by industry and measure type.
    """
    st.caption(tr("analysis.effect_help"))
    with st.spinner(tr("common.solving")):
        eff = _effectiveness(scenario_key(scenario), scenario)
    src = eff.get("sources", pd.DataFrame())
    if not src.empty:
        src = src.copy()
        src["label"] = [
            f"{lvl(lv) if s == lv else s} · {tr(f'pollutant.{p}')}"
            for s, lv, p in zip(src["slot"], src["level"], src["pollutant"], strict=True)
        ]
        fig = go.Figure()
        for part, color in (
            ("credited_share", "#9467bd"),
            ("floor_share", "#7f7f7f"),
            ("optimizer_share", "#1f77b4"),
        ):
            if part in src:
                fig.add_trace(
                    go.Bar(x=src["label"], y=100 * src[part], name=tr(f"analysis.{part}"), marker_color=color)
                )
        fig.add_hline(y=100, line_dash="dash", line_color="#d62728")
        fig.update_layout(
            barmode="stack",
            height=360,
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
            yaxis_title=tr("analysis.of_target"),
            title=tr("analysis.sources_title"),
            legend={"orientation": "h"},
        )
        show_chart(fig, key="sources_chart")
    grp = eff.get("by_group", pd.DataFrame())
    if not grp.empty:
        view = grp.copy()
        view["industry"] = view["industry"].map(industry_name)
        if "measure_type" in view:
            view["measure_type"] = view["measure_type"].map(measure_type_name)
        view = view.sort_values("target_share_per_10k", ascending=False)
        cols = [
            "industry",
            "measure_type",
            "firms",
            "loss",
            *[f"t_per_10k_{p}" for p in POLLUTANTS],
            "target_share_per_10k",
        ]
        st.dataframe(
            view[[c for c in cols if c in view]].rename(columns=lambda c: tr(f"col.{c}")),
            hide_index=True,
            key="effect_table",
            column_config={
                tr("col.loss"): st.column_config.NumberColumn(format="%,.1f"),
                **{
                    tr(f"col.t_per_10k_{p}"): st.column_config.NumberColumn(format="%.4f") for p in POLLUTANTS
                },
                tr("col.target_share_per_10k"): st.column_config.NumberColumn(format="%.4g"),
            },
        )


def percentile_tab(scenario) -> None:
    """Compare plans built from the forecast's mean and its ensemble percentiles (run on request).

    Uses the current scenario in episode mode, else an episode scenario the user picks.
    """
    st.caption(tr("analysis.pct_help"))
    sc = scenario
    if sc.mode != "episode" or sc.forecast is None:
        episodes = [p for p in scenario_files() if _is_episode(p)]
        if not episodes:
            st.info(tr("analysis.no_episode"))
            return
        path = st.selectbox(tr("analysis.episode"), episodes, format_func=lambda p: p.stem, key="pct_episode")
        sc = base_scenario(path)
    qs = (None, 50, 75, 90, 95)
    key = scenario_key(sc)
    done = st.session_state.setdefault("pct_done", set())
    if key not in done:
        st.caption(tr("analysis.pct_cost", n=len(qs)))
        if not st.button(tr("analysis.pct_run"), key="pct_run"):
            return
        done.add(key)
    with st.spinner(tr("common.solving")):
        df = _percentiles(key, sc, qs)
    df = df.copy()
    df["label"] = [
        tr("analysis.mean") if q is None or (isinstance(q, float) and np.isnan(q)) else f"P{int(q)}"
        for q in df["percentile"]
    ]
    fig = go.Figure(
        go.Bar(
            x=df["label"],
            y=df["objective"].astype(float),
            text=df["alert_days"].map(lambda n: tr("analysis.days", n=int(n))),
            marker_color="#4c78a8",
        )
    )
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis_title=tr("analysis.loss_total"),
        title=tr("analysis.pct_title"),
    )
    show_chart(fig, key="pct_chart", money_axis="y")
    view = pd.DataFrame(
        {
            tr("analysis.percentile"): df["label"],
            tr("overview.status"): df["status"].map(
                lambda s: status_text(s) if s != "no_alert" else tr("analysis.no_alert")
            ),
            tr("overview.total_loss"): df["objective"].map(fmt_money),
            tr("analysis.alert_days"): df["alert_days"],
            tr("analysis.levels"): df["levels"].map(
                lambda s: " ".join(lvl(x) for x in s.split()) if s else "–"
            ),
        }
    )
    st.dataframe(view, hide_index=True, key="pct_table")


def _is_episode(path) -> bool:
    try:
        sc = base_scenario(path)
    except Exception:  # an unreadable scenario is simply not offered
        return False
    return sc.mode == "episode" and sc.forecast is not None


def main() -> None:
    """Render the expert-analysis page: one tab per analysis of the working scenario."""
    require_official()
    st.title(tr("analysis.title"))
    path = current_file()
    if path is None:
        st.warning(tr("common.no_scenarios"))
        return
    scenario = working_scenario(path)
    st.caption(tr("editor.scenario", name=path.stem))
    result = solve_scenario(scenario)
    tabs = st.tabs(
        [
            tr("analysis.tab_curve"),
            tr("analysis.tab_upgrade"),
            tr("analysis.tab_effect"),
            tr("analysis.tab_pct"),
        ]
    )
    with tabs[0], guarded():
        curve_tab(scenario, result)
    with tabs[1], guarded():
        upgrade_tab(scenario)
    with tabs[2], guarded():
        effectiveness_tab(scenario)
    with tabs[3], guarded():
        percentile_tab(scenario)


with guarded():
    main()
