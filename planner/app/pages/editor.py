"""方案编辑 Plan editor: change grades, lock cuts, exempt, cap; re-solve; see what changed; save."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from planner import ALERT_LEVELS
from planner.app.common import (
    DASH,
    base_scenario,
    bound,
    current_file,
    fmt_money,
    guarded,
    industry_name,
    local_time,
    lvl,
    message_text,
    override_key_name,
    override_value,
    require_official,
    set_overrides,
    show_problems,
    slot_name,
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
    """The grade codes an enterprise can be given, in the vocabulary's order."""
    from planner.policy.vocabulary import grade_codes

    return grade_codes()


def _grid_key(path: Path, filters: tuple) -> str:
    n = st.session_state.get("grid_version", 0)
    h = hashlib.sha1(repr((str(path), filters)).encode()).hexdigest()[:8]
    return f"grid_{h}_{n}"


def results_row(summary: dict, before: dict | None) -> None:
    """Show the plan's total loss, the firms curtailed and the status, with the change since the last edit."""
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
    """Show the enterprises (filtered by county, industry and grade) in an editable grid.

    Returns
    -------
    tuple
        The rows shown, the grid's edited frame and the grid's widget key.
    """
    table = result["table"]
    f1, f2, f3 = st.columns(3)
    county = f1.multiselect(
        tr("editor.county"),
        sorted(table["county"].astype(str).unique()),
        key="f_county",
        placeholder=tr("editor.all"),
        select_all=False,  # Streamlit's "Select all" entry has no Chinese text
    )
    industry = f2.multiselect(
        tr("editor.industry"),
        sorted(table["industry"].astype(str).unique()),
        key="f_industry",
        placeholder=tr("editor.all"),
        select_all=False,  # Streamlit's "Select all" entry has no Chinese text
        format_func=bound(industry_name),
    )
    grade = f3.multiselect(
        tr("editor.grade"),
        sorted(table["grade"].astype(str).unique()),
        key="f_grade",
        placeholder=tr("editor.all"),
        select_all=False,  # Streamlit's "Select all" entry has no Chinese text
        format_func=bound(lambda g: tr(f"grade.{g}")),
    )
    shown = editor_frame(table, overrides, result["schedule"], county=county, industry=industry, grade=grade)
    st.caption(tr("editor.rows", n=len(shown), total=len(table)))
    # Editable columns first, fixed widths (the browser test clicks cells by position).
    cfg = {
        "_index": st.column_config.TextColumn(
            tr("col.enterprise_id_short"), help=tr("col.enterprise_id"), width="small"
        ),
        "name": st.column_config.TextColumn(tr("col.name"), disabled=True, width="medium"),
        "county": st.column_config.TextColumn(tr("col.county"), disabled=True),
        "industry": st.column_config.TextColumn(tr("col.industry"), disabled=True, width="medium"),
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


@st.cache_data(max_entries=8, show_spinner=False)
def _rule_floors(key: str, _scenario) -> pd.DataFrame:
    """Return the mandatory floor (share) of every enterprise × alert level under the rules.

    With the scenario's grade, exempt and ceiling overrides but without its locks.
    """
    from planner import DATA_DIR
    from planner.inventory.table import read_inventory
    from planner.policy.measures import evaluate_measures, load_measures
    from planner.scenario.run import apply_bound_overrides, apply_enterprise_overrides

    sc = _scenario
    ov = {
        k: {kk: vv for kk, vv in v.items() if kk not in ("lock", "reason")} for k, v in sc.enterprises.items()
    }
    table = apply_enterprise_overrides(read_inventory(sc.inventory).table, ov, str(sc.file))
    book = load_measures(sc.measures or DATA_DIR / "policy" / "measures")
    bounds = evaluate_measures(table, book, allow_volunteer=bool(sc.options["allow_volunteer"]))
    floor = apply_bound_overrides(bounds, ov)["floor"].transpose("enterprise", "level").to_pandas()
    floor.index = floor.index.astype(str)
    return floor


def rule_floors(scenario) -> pd.DataFrame:
    """The rule floors (enterprise × level) of the scenario without its locks, cached by content."""
    from planner.reports.app_tables import scenario_key

    plain = dataclasses.replace(
        scenario,
        enterprises={
            k: {kk: vv for kk, vv in v.items() if kk not in ("lock", "reason")}
            for k, v in scenario.enterprises.items()
        },
    )
    return _rule_floors(scenario_key(plain), plain)


def locks_below_floor(overrides: dict, floors: pd.DataFrame) -> list[dict]:
    """Locks under the rule floor: ``enterprise_id, lock, floor, level, reason`` (highest gap).

    A lock is a share for every level or a mapping level → share; it is below the floor when any
    level's lock is below that level's mandatory floor.
    """
    out = []
    for eid, ov in overrides.items():
        lock = ov.get("lock")
        if lock is None or eid not in floors.index:
            continue
        per = lock if isinstance(lock, dict) else {lv: lock for lv in floors.columns}
        gaps = [
            (float(floors.at[eid, lv]) - float(x), lv, float(x))
            for lv, x in per.items()
            if lv in floors.columns and float(x) < float(floors.at[eid, lv]) - 1e-9
        ]
        if gaps:
            _gap, lv, x = max(gaps)
            out.append(
                {
                    "enterprise_id": eid,
                    "lock": x,
                    "floor": float(floors.at[eid, lv]),
                    "level": lv,
                    "reason": str(ov.get("reason") or "").strip(),
                }
            )
    return out


def with_reasons(overrides: dict, floors: pd.DataFrame, reason: str) -> dict:
    """Return the overrides with ``reason`` given to every lock below its floor that has none yet.

    A reason already in the scenario is kept as it is.
    """
    out = {k: dict(v) for k, v in overrides.items()}
    if not reason.strip():
        return out
    for b in locks_below_floor(out, floors):
        ov = out[b["enterprise_id"]]
        if not str(ov.get("reason") or "").strip():
            ov["reason"] = reason.strip()
    return out


def apply_edits(path_str: str, grid_key: str, result: dict) -> None:
    """Apply the grid's edit state to the overrides (a button callback).

    It runs before the script reruns, so the re-solved numbers come back in a single run.
    """
    path = Path(path_str)
    shown = st.session_state.get("editor_shown")
    if shown is None:
        return
    overrides = working_overrides(path, base_scenario(path))
    edited = apply_edit_state(shown, st.session_state.get(grid_key))
    new = overrides_from_edits(shown, edited, overrides, result["inventory_grades"])
    with contextlib.suppress(InputError):
        new = with_reasons(new, rule_floors(working_scenario(path)), st.session_state.get("lock_reason", ""))
    if new == overrides:
        return
    _remember_before(path, overrides, result)
    set_overrides(path, new)
    st.session_state["lock_reason"] = ""


def reset_edits(path_str: str, result: dict) -> None:
    """Button callback: back to the scenario file's own overrides."""
    path = Path(path_str)
    base = base_scenario(path)
    overrides = working_overrides(path, base)
    _remember_before(path, overrides, result)
    set_overrides(path, {k: dict(v) for k, v in base.enterprises.items()})


def changes_section(before: dict, result: dict, overrides: dict) -> None:
    """Show what the last edit changed: the overrides before and after, then the plan's changed rows."""
    st.subheader(tr("editor.what_changed"))
    od = overrides_diff(before["overrides"], overrides)
    if not od.empty:
        od = od.assign(
            before=[override_value(k, v) for k, v in zip(od["key"], od["before"], strict=True)],
            after=[override_value(k, v) for k, v in zip(od["key"], od["after"], strict=True)],
            key=od["key"].map(override_key_name),
        )
        st.dataframe(od.rename(columns=lambda c: tr(f"col.{c}")), hide_index=True, key="override_diff")
    ch = what_changed(before["schedule"], result["schedule"])
    if ch.empty:
        st.info(tr("editor.no_plan_change"))
        return
    if (ch["slot"] == ch["level"]).all():  # list mode: the slot is the level
        ch = ch.drop(columns=["slot"])
    else:
        ch["slot"] = [slot_name(s) for s in ch["slot"]]
    ch["level"] = ch["level"].map(lvl)
    st.caption(tr("editor.changed_rows", n=len(ch)))
    st.dataframe(
        ch.rename(columns=lambda c: tr(f"col.{c}")),
        hide_index=True,
        key="changes_table",
        column_config={
            **{
                tr(f"col.{c}"): st.column_config.NumberColumn(format="percent")
                for c in ("cut_before", "cut_after")
            },
            **{
                tr(f"col.{c}"): st.column_config.NumberColumn(format="%,.1f")
                for c in ("loss_before", "loss_after", "loss_change")
            },
        },
    )


def lock_warning(scenario, overrides: dict, table: pd.DataFrame) -> bool:
    """Warn about locks below the mandatory floor; True while one of them still needs a reason."""
    try:
        below = locks_below_floor(overrides, rule_floors(scenario))
    except InputError:
        return False
    if not below:
        return False
    names = table["name"] if "name" in table else pd.Series(dtype=str)
    lines = [
        tr(
            "editor.below_floor_item",
            name=str(names.get(b["enterprise_id"], b["enterprise_id"])),
            level=lvl(b["level"]),
            lock=f"{100 * b['lock']:.0f}%",
            floor=f"{100 * b['floor']:.0f}%",
        )
        + (tr("editor.below_floor_reason", reason=b["reason"]) if b["reason"] else "")
        for b in below
    ]
    st.warning(tr("editor.below_floor", n=len(below)) + "\n\n" + "\n".join(f"- {x}" for x in lines))
    missing = [b for b in below if not b["reason"]]
    if not missing:
        return False
    reason = st.text_input(tr("editor.lock_reason"), key="lock_reason", help=tr("editor.lock_reason_help"))
    if not reason.strip():
        st.caption(tr("editor.lock_reason_needed"))
        return True
    return False


def official_author() -> str:
    """The logged-in official's name when officials log in per user, else ""."""
    return str(st.session_state.get("official_name") or st.session_state.get("official_login") or "")


def official_roles() -> set[str]:
    """Return the roles of the session's official.

    A session without recorded roles has both in demo mode, ``editor`` otherwise.
    """
    roles = st.session_state.get("official_roles")
    if roles is None:
        from planner.app.access import ROLES, officials_config

        return set(ROLES) if officials_config().is_demo else {"editor"}
    return set(roles)


#: Folder beside the scenario files where uploaded lists and forecasts are kept when a scenario
#: using them is saved.
INPUTS_DIR = "inputs"


def kept_uploads(path: Path, up: dict) -> dict:
    """Copy the session's uploaded files next to the scenario and return the keys naming them.

    The copies are ``inputs/<kind>-<sha8>.<ext>`` (the same content always the same name); the keys
    are ``inventory``, ``forecast`` and, when the official chose an episode plan, ``mode``.
    """
    import os
    import shutil

    out: dict = {}
    folder = path.parent / INPUTS_DIR
    for kind, src in up.items():
        src = Path(src)
        digest = hashlib.sha256(src.read_bytes()).hexdigest()[:8]
        name = src.name.split("-", 1)[-1] if "-" in src.name else src.name
        dest = folder / f"{Path(name).stem}-{digest}{src.suffix.lower()}"
        if not dest.is_file():
            folder.mkdir(exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        out[kind] = Path(os.path.relpath(dest, path.parent)).as_posix()
    if "forecast" in up and uploads().get("forecast_mode") == "episode":
        out["mode"] = "episode"
    return out


def save_section(path: Path, overrides: dict) -> None:
    """Save the edits as a new revision (or a new scenario), list the history and offer publishing."""
    try:
        from planner.scenario import revisions
    except ImportError:
        return
    loaded = st.session_state.setdefault("loaded_rev", {})
    if str(path) not in loaded:
        loaded[str(path)] = revisions.current_revision(path)
    with st.expander(tr("editor.save"), key="save_form"):
        up = {k: v for k, v in uploads().items() if k in ("inventory", "forecast") and v}
        if up:
            st.info(tr("editor.save_uploads_kept", folder=f"{INPUTS_DIR}/"))
        fixed = official_author()
        if fixed:
            st.caption(tr("editor.author_fixed", name=fixed))
            author = fixed
        else:
            author = st.text_input(tr("editor.author"), key="save_author")
        message = st.text_input(tr("editor.message"), key="save_message")
        as_new = st.text_input(tr("editor.save_as"), key="save_as", help=tr("editor.save_as_help"))
        if st.button(tr("editor.save_button"), key="save_button"):
            if not author.strip():
                st.error(tr("editor.author_needed"))
                return
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
            try:
                data.update(kept_uploads(path, up))
            except OSError as err:
                st.error(
                    tr("editor.write_failed", reason=message_text(getattr(err, "strerror", None) or err))
                )
                return
            if as_new.strip():
                stem = Path(as_new.strip()).stem
                target, expected = path.parent / f"{stem}.yaml", None
                data["name"] = stem
            try:
                rev = revisions.save_revision(
                    target, data, author=author.strip(), message=message, expected_revision=expected
                )
            except revisions.LockBusyError:
                st.error(tr("editor.busy"))
                return
            except OSError as err:
                st.error(
                    tr("editor.write_failed", reason=message_text(getattr(err, "strerror", None) or err))
                )
                return
            except revisions.ConflictError as err:
                st.error(tr("editor.conflict", suggestion=err.suggestion.name))
                st.caption(message_text(err))
                return
            except InputError as err:
                show_problems(err)
                return
            except ValueError as err:
                st.error(message_text(err))
                return
            if target == path:
                loaded[str(path)] = rev.revision
                # the approver's choice below starts on the draft just saved, not on the one
                # picked before the save
                st.session_state["publish_rev"] = rev.revision
            for k in (*up, "forecast_mode"):  # the scenario itself now names the uploaded files
                uploads().pop(k, None)
            st.success(tr("editor.saved", file=target.name, revision=rev.revision, n=len(rev.changes)))
        entries = revisions.history(path)
        states = revisions.revision_states(path)
        if entries:
            st.caption(tr("editor.history"))
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            tr("editor.h_number"): e.get("number"),
                            tr("editor.h_revision"): e.get("revision"),
                            tr("editor.author"): e.get("author")
                            or (tr("editor.h_on_disk_author") if e.get("kind") == "found_on_disk" else DASH),
                            tr("editor.h_time"): local_time(e.get("time")),
                            tr("editor.message"): (
                                tr("editor.h_found_on_disk")
                                if e.get("kind") == "found_on_disk"
                                else e.get("message") or ""
                            ),
                            tr("editor.h_changes"): len(e.get("changes") or []),
                            tr("editor.h_state"): state_name(states.get(e["revision"], "draft")),
                        }
                        for e in reversed(entries[-10:])
                    ]
                ),
                hide_index=True,
                key="history_table",
            )
    publish_section(path, revisions)


def state_name(state: str) -> str:
    """草稿 / 已发布 / 曾发布."""
    return {"draft": tr("editor.state_draft"), "published": tr("editor.state_published")}.get(
        state, tr("editor.state_superseded")
    )


def publish_section(path: Path, revisions) -> None:
    """Approvers publish a saved draft: from then on the enterprise portal shows it."""
    entries = revisions.history(path)
    pub = revisions.published(path)
    with st.expander(tr("editor.publish"), key="publish_form"):
        if pub:
            st.caption(
                tr(
                    "editor.published_now",
                    revision=pub["revision"],
                    author=pub.get("author") or "–",
                    time=local_time(pub.get("time")),
                )
            )
        else:
            st.caption(tr("editor.published_none"))
        pubs = revisions.publications(path)
        if pubs:
            st.caption(tr("editor.publications"))
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            tr("editor.h_revision"): p.get("revision"),
                            tr("editor.p_author"): p.get("author") or "–",
                            tr("editor.h_time"): local_time(p.get("time")),
                            tr("editor.message"): p.get("message") or "",
                            tr("editor.h_changes"): len(p.get("changes") or []),
                        }
                        for p in reversed(pubs[-10:])
                    ]
                ),
                hide_index=True,
                key="publications_table",
            )
        if "approver" not in official_roles():
            st.info(tr("editor.publish_needs_role"))
            return
        if not entries:
            st.info(tr("editor.publish_nothing"))
            return
        states = revisions.revision_states(path)
        options = [e["revision"] for e in reversed(entries)]
        meta = {e["revision"]: e for e in entries}
        choice = st.selectbox(
            tr("editor.publish_pick"),
            options,
            key="publish_rev",
            format_func=bound(
                lambda r: (
                    f"{r} · {state_name(states.get(r, 'draft'))} · "
                    f"{meta[r].get('author') or tr('editor.h_on_disk_author')} · {local_time(meta[r].get('time'))}"
                )
            ),
        )
        note = st.text_input(tr("editor.publish_message"), key="publish_message")
        if st.button(
            tr("editor.publish_button"),
            key="publish_button",
            type="primary",
            disabled=states.get(choice) == "published",
        ):
            who = official_author() or tr("editor.publish_shared")
            try:
                out = revisions.publish(path, choice, author=who, message=note)
            except InputError as err:
                show_problems(err)
                return
            except revisions.LockBusyError:
                st.error(tr("editor.busy"))
                return
            except (OSError, KeyError, ValueError) as err:
                st.error(tr("editor.write_failed", reason=message_text(err)))
                return
            # run again so that "shown now", the states and the record above include it
            st.session_state["publish_done"] = tr(
                "editor.published", revision=out["revision"], n=len(out["changes"])
            )
            st.rerun()
        done = st.session_state.pop("publish_done", None)
        if done:
            st.success(done)


def main() -> None:
    """Render the plan editor: results, the editable grid, re-solve and reset, what changed, save."""
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
    needs_reason = lock_warning(scenario, new, result["table"])
    c1, c2 = st.columns([1, 3])
    c1.button(
        tr("editor.resolve"),
        type="primary",
        key="resolve",
        disabled=pending.empty or needs_reason,
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
