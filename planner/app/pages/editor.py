"""方案编辑 Plan editor: change grades, lock cuts, exempt, cap; re-solve; see what changed; save."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from planner import ALERT_LEVELS
from planner.app.common import (
    base_scenario,
    bound,
    current_file,
    fmt_money,
    guarded,
    industry_name,
    lvl,
    require_official,
    set_overrides,
    show_problems,
    solve_scenario,
    status_text,
    tr,
    uploads,
    working_overrides,
    working_scenario,
    working_shares,
)
from planner.io.yamlio import read_yaml
from planner.problems import InputError
from planner.reports.app_tables import (
    apply_edit_state,
    editor_frame,
    overrides_diff,
    overrides_from_edits,
    summary_delta,
    what_changed,
)


def grade_options() -> list[str]:
    from planner.policy.vocabulary import grade_codes

    return grade_codes()


def _grid_key(path: Path, filters: tuple) -> str:
    n = st.session_state.get("grid_version", 0)
    h = hashlib.sha1(repr((str(path), filters)).encode()).hexdigest()[:8]
    return f"grid_{h}_{n}"


def results_row(summary: dict, before: dict | None) -> None:
    d = summary_delta(before["summary"] if before else None, summary)
    c = st.columns(3)
    delta = None if d["loss_change"] is None or before is None else f"{d['loss_change']:+,.1f}"
    c[0].metric(
        tr("overview.total_loss"), fmt_money(summary.get("objective")), delta=delta, delta_color="inverse"
    )
    cd = None
    if before is not None and d["curtailed_before"] is not None:
        cd = f"{(d['curtailed_after'] or 0) - d['curtailed_before']:+d}"
    c[1].metric(
        tr("overview.curtailed"), f"{summary.get('curtailed_enterprises', 0)}", delta=cd, delta_color="off"
    )
    ok = summary.get("status") == "optimal"
    (c[2].success if ok else c[2].warning)(
        tr("common.status_line", status=status_text(summary.get("status")))
    )


def grid(result: dict, path: Path, overrides: dict):
    table = result["table"]
    f1, f2, f3 = st.columns(3)
    county = f1.multiselect(
        tr("editor.county"),
        sorted(table["county"].astype(str).unique()),
        key="f_county",
        placeholder=tr("editor.all"),
    )
    industry = f2.multiselect(
        tr("editor.industry"),
        sorted(table["industry"].astype(str).unique()),
        key="f_industry",
        placeholder=tr("editor.all"),
        format_func=bound(industry_name),
    )
    grade = f3.multiselect(
        tr("editor.grade"),
        sorted(table["grade"].astype(str).unique()),
        key="f_grade",
        placeholder=tr("editor.all"),
        format_func=bound(lambda g: tr(f"grade.{g}")),
    )
    shown = editor_frame(table, overrides, result["schedule"], county=county, industry=industry, grade=grade)
    st.caption(tr("editor.rows", n=len(shown), total=len(table)))
    # Editable columns first, fixed widths (the browser test clicks cells by position).
    cfg = {
        "_index": st.column_config.TextColumn(tr("col.enterprise_id"), width="small"),
        "name": st.column_config.TextColumn(tr("col.name"), disabled=True, width="medium"),
        "county": st.column_config.TextColumn(tr("col.county"), disabled=True),
        "industry": st.column_config.TextColumn(tr("col.industry"), disabled=True),
        "control_type": st.column_config.TextColumn(tr("col.control_type"), disabled=True),
        "emissions": st.column_config.NumberColumn(tr("col.emissions"), format="%.3f", disabled=True),
        "grade": st.column_config.SelectboxColumn(
            tr("editor.grade_short"),
            options=grade_options(),
            required=True,
            format_func=lambda g: tr(f"grade.{g}"),
            width="small",
        ),
        "lock": st.column_config.NumberColumn(
            tr("col.lock"),
            min_value=0.0,
            max_value=1.0,
            step=0.05,
            format="%.2f",
            help=tr("editor.lock_help"),
            width="small",
        ),
        "exempt": st.column_config.CheckboxColumn(
            tr("col.exempt"), help=tr("editor.exempt_help"), width="small"
        ),
        "ceiling": st.column_config.NumberColumn(
            tr("col.ceiling"),
            min_value=0.0,
            max_value=1.0,
            step=0.05,
            format="%.2f",
            help=tr("editor.ceiling_help"),
            width="small",
        ),
    }
    for lv in ALERT_LEVELS:
        cfg[f"cut_{lv}"] = st.column_config.ProgressColumn(
            tr("editor.cut_at", level=tr(f"level_short.{lv}")),
            min_value=0.0,
            max_value=1.0,
            format="percent",
            width="small",
        )
    # display names only; neither column is editable, so the edit diff is unaffected
    shown = shown.assign(
        industry=shown["industry"].map(industry_name),
        control_type=shown["control_type"].map(lambda c: tr(f"control.{c}")),
    )
    disabled = [c for c in shown.columns if c not in ("grade", "lock", "exempt", "ceiling")]
    order = [
        "name",
        "grade",
        "lock",
        "exempt",
        "ceiling",
        *[f"cut_{lv}" for lv in ALERT_LEVELS],
        "county",
        "industry",
        "control_type",
        "emissions",
    ]
    key = _grid_key(path, (tuple(county), tuple(industry), tuple(grade)))
    edited = st.data_editor(
        shown,
        column_config=cfg,
        disabled=disabled,
        num_rows="fixed",
        height=420,
        column_order=[c for c in order if c in shown.columns],
        row_height=35,
        placeholder="",
        key=key,
    )
    return shown, edited, key


def _remember_before(path: Path, overrides: dict, result: dict) -> None:
    st.session_state["before"] = {
        "path": str(path),
        "summary": result["summary"],
        "schedule": result["schedule"],
        "overrides": {k: dict(v) for k, v in overrides.items()},
    }
    st.session_state["resolve_started"] = time.perf_counter()
    st.session_state["grid_version"] = st.session_state.get("grid_version", 0) + 1


def apply_edits(path_str: str, grid_key: str, result: dict) -> None:
    """Button callback: apply the grid's edit state to the overrides before the script reruns,
    so the re-solved numbers come back in a single run."""
    path = Path(path_str)
    shown = st.session_state.get("editor_shown")
    if shown is None:
        return
    overrides = working_overrides(path, base_scenario(path))
    edited = apply_edit_state(shown, st.session_state.get(grid_key))
    new = overrides_from_edits(shown, edited, overrides, result["inventory_grades"])
    if new == overrides:
        return
    _remember_before(path, overrides, result)
    set_overrides(path, new)


def reset_edits(path_str: str, result: dict) -> None:
    """Button callback: back to the scenario file's own overrides."""
    path = Path(path_str)
    base = base_scenario(path)
    overrides = working_overrides(path, base)
    _remember_before(path, overrides, result)
    set_overrides(path, {k: dict(v) for k, v in base.enterprises.items()})


def changes_section(before: dict, result: dict, overrides: dict) -> None:
    st.subheader(tr("editor.what_changed"))
    od = overrides_diff(before["overrides"], overrides)
    if not od.empty:
        od = od.map(lambda v: "–" if v is None else str(v))
        st.dataframe(od.rename(columns=lambda c: tr(f"col.{c}")), hide_index=True, key="override_diff")
    ch = what_changed(before["schedule"], result["schedule"])
    if ch.empty:
        st.info(tr("editor.no_plan_change"))
        return
    if (ch["slot"] == ch["level"]).all():  # list mode: the slot is the level
        ch = ch.drop(columns=["slot"])
    ch["level"] = ch["level"].map(lvl)
    st.caption(tr("editor.changed_rows", n=len(ch)))
    st.dataframe(
        ch.rename(columns=lambda c: tr(f"col.{c}")),
        hide_index=True,
        key="changes_table",
        column_config={
            tr(f"col.{c}"): st.column_config.NumberColumn(format="%.3f")
            for c in ("cut_before", "cut_after", "loss_before", "loss_after", "loss_change")
        },
    )


def save_section(path: Path, overrides: dict) -> None:
    try:
        from planner.scenario import revisions
    except ImportError:
        return
    loaded = st.session_state.setdefault("loaded_rev", {})
    if str(path) not in loaded:
        loaded[str(path)] = revisions.current_revision(path)
    with st.expander(tr("editor.save")):
        if uploads():
            st.info(tr("editor.save_uploads"))
            return
        author = st.text_input(tr("editor.author"), key="save_author")
        message = st.text_input(tr("editor.message"), key="save_message")
        as_new = st.text_input(tr("editor.save_as"), key="save_as", help=tr("editor.save_as_help"))
        if st.button(tr("editor.save_button"), key="save_button"):
            data = read_yaml(path, what="scenario file").data or {}
            if overrides:
                data["enterprises"] = {k: dict(v) for k, v in overrides.items()}
            else:
                data.pop("enterprises", None)
            shares = working_shares(path)
            if shares:
                merged = dict(data.get("shares") or {})
                for lv, per in shares.items():
                    cur = merged.get(lv)
                    cur = dict(cur) if isinstance(cur, dict) else {}
                    cur.update(per)
                    merged[lv] = cur
                data["shares"] = merged
            target, expected = path, loaded[str(path)]
            if as_new.strip():
                stem = Path(as_new.strip()).stem
                target, expected = path.parent / f"{stem}.yaml", None
                data["name"] = stem
            try:
                rev = revisions.save_revision(
                    target, data, author=author.strip() or "app", message=message, expected_revision=expected
                )
            except revisions.ConflictError as err:
                st.error(tr("editor.conflict", suggestion=err.suggestion.name))
                st.caption(str(err))
                return
            except InputError as err:
                show_problems(err)
                return
            except ValueError as err:
                st.error(str(err))
                return
            if target == path:
                loaded[str(path)] = rev.revision
            st.success(tr("editor.saved", file=target.name, revision=rev.revision, n=len(rev.changes)))
        entries = revisions.history(path)
        if entries:
            st.caption(tr("editor.history"))
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            tr("editor.h_number"): e.get("number"),
                            tr("editor.h_revision"): e.get("revision"),
                            tr("editor.author"): e.get("author") or "–",
                            tr("editor.h_time"): e.get("time"),
                            tr("editor.message"): e.get("message") or "",
                            tr("editor.h_changes"): len(e.get("changes") or []),
                        }
                        for e in reversed(entries[-10:])
                    ]
                ),
                hide_index=True,
                key="history_table",
            )


def main() -> None:
    require_official()
    st.title(tr("editor.title"))
    path = current_file()
    if path is None:
        st.warning(tr("common.no_scenarios"))
        return
    base = base_scenario(path)
    overrides = working_overrides(path, base)
    st.caption(tr("editor.scenario", name=path.stem))
    scenario = working_scenario(path)
    result = solve_scenario(scenario)
    before = st.session_state.get("before")
    if before and before.get("path") != str(path):
        before = None
    started = st.session_state.pop("resolve_started", None)
    results_row(result["summary"], before)
    if started is not None:
        st.caption(tr("editor.resolve_time", seconds=f"{time.perf_counter() - started:.2f}"))
    shown, edited, grid_key = grid(result, path, overrides)
    st.session_state["editor_shown"] = shown
    new = overrides_from_edits(shown, edited, overrides, result["inventory_grades"])
    pending = overrides_diff(overrides, new)
    c1, c2 = st.columns([1, 3])
    c1.button(
        tr("editor.resolve"),
        type="primary",
        key="resolve",
        disabled=pending.empty,
        on_click=apply_edits,
        args=(str(path), grid_key, result),
    )
    c2.caption(tr("editor.pending", n=len(pending)) if not pending.empty else tr("editor.no_pending"))
    c1.button(tr("editor.reset"), key="reset", on_click=reset_edits, args=(str(path), result))
    if before:
        changes_section(before, result, overrides)
    save_section(path, overrides)


with guarded():
    main()
