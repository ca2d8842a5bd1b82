"""情景对比 Compare: 2–4 scenarios side by side — metrics, charts, firms whose obligations changed.

The comparison itself is :func:`planner.scenario.compare.compare_results`; this page chooses what to
compare (scenario files, the session's edited plan, a baseline such as the uniform cut) and
caches the comparison *document* (plain dicts) by the scenarios' content.
"""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from planner import POLLUTANTS
from planner.app.common import (
    base_scenario,
    bound,
    current_file,
    fmt_money,
    guarded,
    industry_name,
    lvl,
    require_official,
    scenario_files,
    scenario_result,
    show_chart,
    slot_name,
    status_text,
    tr,
    working_scenario,
)
from planner.reports.app_tables import scenario_key

EDITED = "__edited__"
METHODS = ("uniform", "greedy", "rules_only")


@st.cache_data(max_entries=8, show_spinner=False)
def _compare(keys: tuple, _items: list) -> dict:
    """Solve each item and compare; only the plain comparison document is kept."""
    from planner.scenario.compare import baseline_result, compare_results

    solved: dict[str, object] = {}
    results, names = [], []
    for label, scenario, method in _items:
        k = scenario_key(scenario)
        if k not in solved:
            solved[k] = scenario_result(scenario)
        res = solved[k]
        results.append(baseline_result(res, method) if method else res)
        names.append(label)
    return compare_results(results, names)


def choices() -> list[str]:
    """The comparable items: the edited plan, each scenario file, and each file under each baseline."""
    opts = [str(p) for p in scenario_files()]
    return [EDITED, *opts, *[f"{p}@{m}" for p in opts for m in METHODS]]


def label_of(choice: str) -> str:
    """A choice's label for the picker: the file's stem with the baseline's name, or the edited plan."""
    if choice == EDITED:
        return tr("compare.edited")
    path, _, method = choice.partition("@")
    stem = path.rsplit("/", 1)[-1].removesuffix(".yaml")
    return f"{stem} · {tr(f'compare.method.{method}')}" if method else stem


def item_for(choice: str):
    """Return the ``(label, scenario, baseline method or None)`` a choice compares.

    The edited plan is the session's working scenario, its name marked with ``*``.
    """
    if choice == EDITED:
        sc = working_scenario(current_file())
        sc = dataclasses.replace(sc, name=f"{sc.name}*")
        return (sc.name, sc, None)
    path, _, method = choice.partition("@")
    sc = base_scenario(path)
    return (f"{sc.name}@{method}" if method else sc.name, sc, method or None)


def side_by_side(doc: dict) -> None:
    """Show the scenarios' status, loss and curtailed firms as a table and their losses as bars."""
    rows = []
    for s in doc["scenarios"]:
        rows.append(
            {
                tr("compare.scenario"): s["name"],
                tr("overview.status"): status_text(s["status"]),
                tr("overview.total_loss"): fmt_money(s.get("objective")),
                tr("overview.curtailed"): s.get("curtailed_enterprises"),
                tr("compare.above_floor"): s.get("above_floor_enterprises"),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="cmp_table")
    fig = go.Figure(
        go.Bar(
            x=[s["name"] for s in doc["scenarios"]],
            y=[s.get("objective") or 0 for s in doc["scenarios"]],
            marker_color="#4c78a8",
            text=[fmt_money(s.get("objective")) for s in doc["scenarios"]],
        )
    )
    fig.update_layout(
        height=300, margin={"l": 10, "r": 10, "t": 30, "b": 10}, title=tr("overview.total_loss")
    )
    show_chart(fig, key="cmp_loss", money_axis="y")


def loss_breakdown(doc: dict) -> None:
    """Chart each scenario's loss by industry, county, grade or slot (the 15 largest, as chosen)."""
    by = st.radio(
        tr("compare.breakdown"),
        ["industry", "county", "grade", "slot"],
        horizontal=True,
        format_func=bound(lambda b: tr(f"compare.by.{b}")),
        key="cmp_by",
    )
    fig = go.Figure()
    totals: dict[str, float] = {}
    for s in doc["scenarios"]:
        for k, v in (s.get(f"loss_by_{by}") or {}).items():
            totals[k] = totals.get(k, 0.0) + (v or 0.0)
    keys = [k for k, _ in sorted(totals.items(), key=lambda kv: -kv[1])[:15]]

    def name(k):
        return (
            industry_name(k)
            if by == "industry"
            else (tr(f"grade.{k}") if by == "grade" else (slot_name(k) if by == "slot" else k))
        )

    for s in doc["scenarios"]:
        d = s.get(f"loss_by_{by}") or {}
        fig.add_trace(go.Bar(x=[name(k) for k in keys], y=[d.get(k, 0.0) for k in keys], name=s["name"]))
    fig.update_layout(
        barmode="group",
        height=340,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis_title=tr("compare.loss_axis"),
        legend={"orientation": "h"},
    )
    show_chart(fig, key="cmp_breakdown", money_axis="y")


def targets(doc: dict) -> None:
    """Tabulate each scenario's achieved reduction share per slot and pollutant."""
    rows = []
    for s in doc["scenarios"]:
        for sl in s.get("slots", []):
            row = {
                tr("compare.scenario"): s["name"],
                tr("col.slot"): slot_name(sl["slot"]),
                tr("col.level"): lvl(sl["level"]),
            }
            for p in POLLUTANTS:
                share = (sl.get("achieved_share") or {}).get(p)
                row[tr(f"pollutant.{p}")] = "–" if share is None else f"{100 * share:.0f}%"
            rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="cmp_targets")


def changes(doc: dict) -> None:
    """Show the firms whose obligations changed between the scenarios, with a filter by id or name."""
    ch = doc.get("changes") or []
    pairs = doc.get("changes_by_pair") or []
    for p in pairs:
        st.caption(
            tr(
                "compare.pair",
                a=p["from"],
                b=p["to"],
                n=p["enterprises"],
                d=fmt_money(p.get("delta_objective")),
            )
        )
    if not ch:
        st.info(tr("compare.no_changes"))
        return
    df = pd.DataFrame(
        [
            {
                "to": c["to"],
                "enterprise_id": c["enterprise_id"],
                "name": c["name"],
                "slot": slot_name(c["slot"]),
                "level": lvl(c["level"]),
                "cut_before": (c.get("before") or {}).get("curtailment"),
                "cut_after": (c.get("after") or {}).get("curtailment"),
                "loss_change": c.get("delta_loss"),
                "measure_after": (c.get("after") or {}).get("measure_text_zh"),
            }
            for c in ch
        ]
    )
    q = st.text_input(tr("compare.filter"), key="cmp_filter")
    if q.strip():
        df = df[
            df["enterprise_id"].str.contains(q.strip(), case=False)
            | df["name"].str.contains(q.strip(), case=False)
        ]
    st.caption(tr("compare.changes_n", n=len(df)))
    st.dataframe(
        df.head(500).rename(columns=lambda c: tr(f"col.{c}")),
        hide_index=True,
        key="cmp_changes",
        column_config={
            tr("col.cut_before"): st.column_config.NumberColumn(format="percent"),
            tr("col.cut_after"): st.column_config.NumberColumn(format="percent"),
            tr("col.loss_change"): st.column_config.NumberColumn(format="%,.1f"),
        },
    )


def main() -> None:
    """Render the comparison page: pick 2–4 items, then compare them side by side."""
    require_official()
    st.title(tr("compare.title"))
    opts = choices()
    cur = current_file()
    default = [EDITED]
    strict = [o for o in opts if o.endswith("demo_strict_orange40.yaml")]
    default += strict[:1] or ([f"{cur}@uniform"] if cur else [])
    picked = st.multiselect(
        tr("compare.pick"),
        opts,
        default=[d for d in default if d in opts],
        max_selections=4,
        format_func=bound(label_of),
        key="cmp_pick",
        placeholder=tr("compare.pick"),
        select_all=False,  # Streamlit's "Select all" entry has no Chinese text
    )
    if len(picked) < 2:
        st.info(tr("compare.need_two"))
        return
    items = [item_for(c) for c in picked]
    keys = tuple((label, scenario_key(sc), m) for label, sc, m in items)
    with st.spinner(tr("common.solving")):
        doc = _compare(keys, items)
    side_by_side(doc)
    loss_breakdown(doc)
    st.subheader(tr("compare.targets"))
    targets(doc)
    st.subheader(tr("compare.changes"))
    changes(doc)
    st.download_button(
        tr("compare.download"),
        json.dumps(doc, ensure_ascii=False, indent=1, default=str).encode("utf-8"),
        file_name="comparison.json",
        mime="application/json",
        key="cmp_dl",
    )


with guarded():
    main()
