"""查询码 Access codes: officials issue, revoke and list the enterprise portal's codes.

Codes are shown once, with printable letters to download; only salted hashes are kept, in the
code file outside the enterprise list (:func:`planner.app.access.codes_path`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.app import access
from planner.app.common import (
    DASH,
    guarded,
    local_time,
    message_text,
    missing,
    portal_scenario_file,
    require_official,
    tr,
)


def _table():
    from planner.inventory.table import read_inventory
    from planner.scenario.files import load_scenario

    return read_inventory(load_scenario(portal_scenario_file()).inventory).table


def main() -> None:
    """Render the access-code page: counts by status, issue or revoke codes, and the codes just issued."""
    require_official()
    st.title(tr("codes.title"))
    source = portal_scenario_file()
    store = access.codes_path(source)
    st.caption(tr("codes.intro", file=source.name))
    table = _table()
    try:
        status = access.code_status(store, table)
    except access.CodeFileError as err:
        st.error(tr("codes.bad_file", reason=message_text(err)))
        return
    counts = status["status"].value_counts()
    c = st.columns(3)
    c[0].metric(tr("codes.active"), int(counts.get("active", 0)))
    c[1].metric(tr("codes.revoked"), int(counts.get("revoked", 0)))
    c[2].metric(tr("codes.none"), int(counts.get("none", 0)))
    label = {r.enterprise_id: f"{r.enterprise_id} {r.name}" for r in status.itertuples()}
    picked = st.multiselect(
        tr("codes.pick"),
        list(label),
        key="codes_pick",
        format_func=label.get,
        placeholder=tr("codes.pick_all"),
        select_all=False,  # Streamlit's "Select all" entry has no Chinese text
    )
    author = str(st.session_state.get("official_name") or "") or st.text_input(
        tr("codes.author"), key="codes_author"
    )
    b1, b2, b3 = st.columns(3)
    issue = b1.button(tr("codes.issue"), key="codes_issue", type="primary", disabled=not picked)
    for_missing = b2.button(tr("codes.issue_missing"), key="codes_issue_missing")
    revoke = b3.button(tr("codes.revoke"), key="codes_revoke", disabled=not picked)
    if (issue or for_missing or revoke) and not str(author).strip():
        st.error(tr("codes.author_needed"))
    elif issue or for_missing:
        issued = access.issue_codes(
            store, table, picked if issue else None, author=author, only_missing=for_missing
        )
        st.session_state["codes_issued"] = issued
        st.rerun()
    elif revoke:
        access.revoke_codes(store, table, picked, author=author)
        st.success(tr("codes.revoked_n", n=len(picked)))
    issued = st.session_state.get("codes_issued")
    if issued:
        st.warning(tr("codes.once", n=len(issued)))
        st.dataframe(
            pd.DataFrame(issued).rename(columns=lambda k: tr(f"codes.col_{k}")),
            hide_index=True,
            key="codes_new",
        )
        st.download_button(
            tr("codes.letters"),
            access.letters_html(issued, bureau=tr("codes.bureau")).encode("utf-8"),
            file_name="查询码通知书.html",
            mime="text/html",
            key="codes_letters",
        )
        if st.button(tr("codes.done"), key="codes_done"):
            st.session_state.pop("codes_issued", None)
            st.rerun()
    view = status.assign(
        status=status["status"].map(lambda s: tr(f"codes.{s}")),
        issued=status["issued"].map(local_time),
        issued_by=status["issued_by"].map(lambda v: v if v and not missing(v) else DASH),
        revoked_by=status["revoked_by"].map(lambda v: v if v and not missing(v) else DASH),
    )
    st.dataframe(
        view[["enterprise_id", "name", "credit_code", "status", "issued", "issued_by", "revoked_by"]].rename(
            columns=lambda k: tr(f"codes.col_{k}")
        ),
        hide_index=True,
        key="codes_table",
    )


with guarded():
    main()
