"""企业查询 Enterprise portal: an enterprise sees only its own obligations.

Login by unified social credit code + the access code the bureau issued (``planner access``; only
hashes are stored, outside the list).  The portal shows only the *published* revision of the
portal scenario (``planner publish`` or the editor's publish button); a draft is never shown.  The
page never lists, searches or shows another enterprise: after login every table is filtered to the
logged-in enterprise id before anything is drawn.  When the published plan cannot be built (input
errors, an unreadable code file) firms see only that the portal is unavailable; officials see
what is wrong.
"""

from __future__ import annotations

import dataclasses
import importlib.util

import pandas as pd
import streamlit as st

from planner import ALERT_LEVELS
from planner.app.access import CodeFileError, codes_path, load_codes, portal_login
from planner.app.common import (
    fmt_money,
    guarded,
    industry_name,
    lang,
    lvl,
    pct,
    portal_scenario_file,
    scenario_result,
    session_client,
    solve_scenario,
    tr,
)
from planner.problems import InputError
from planner.reports.app_tables import UPGRADE, obligations, scenario_key, upgrade_effect


@st.cache_data(max_entries=4, show_spinner=False)
def _credit_codes(key: str, path: str) -> pd.DataFrame:
    """Credit codes of the published inventory (to map a login to the firm's row)."""
    from planner.inventory.table import read_inventory

    table = read_inventory(path).table
    out = pd.DataFrame(index=table.index.astype(str))
    out["credit_code"] = table["credit_code"].astype(str).to_numpy()
    return out


class Unavailable(Exception):
    """The published plan cannot be shown: ``key`` is the officials' message (i18n key)."""

    def __init__(self, key: str, **args):
        super().__init__(key)
        self.key, self.args_ = key, args


def scenario():
    """The published revision of the portal scenario (raises :class:`Unavailable`)."""
    from planner.scenario import revisions
    from planner.scenario.files import load_scenario

    source = portal_scenario_file()
    if not source.is_file():
        raise Unavailable("portal.off_missing", file=source.name)
    published = revisions.published_file(source)
    if published is None:
        raise Unavailable("portal.off_unpublished", file=source.name)
    try:
        return load_scenario(published)
    except InputError as err:
        raise Unavailable("portal.off_errors", n=len(err.problems.errors), file=source.name) from None


def _codes():
    try:
        return load_codes(codes_path(portal_scenario_file()))
    except CodeFileError:
        raise Unavailable("portal.off_codes") from None


def login_form(sc) -> None:
    """Ask for the credit code and access code and log the firm in on success.

    Failures are throttled per credit code and per client (:func:`planner.app.access.portal_login`).
    """
    st.write(tr("portal.intro"))
    with st.form("portal_login"):
        credit = st.text_input(tr("portal.credit_code"), key="portal_credit", max_chars=30)
        code = st.text_input(tr("portal.access_code"), type="password", key="portal_code", max_chars=64)
        submitted = st.form_submit_button(tr("portal.submit"), type="primary")
    if not submitted:
        return
    try:
        table = _credit_codes(scenario_key(sc), str(sc.inventory))
    except InputError:
        raise Unavailable("portal.off_errors", n=1, file=sc.file.name) from None
    answer = portal_login(_codes(), table, credit, code, session_client())
    if answer.status == "ok":
        st.session_state["portal_eid"] = answer.enterprise_id
        st.rerun()
    elif answer.status == "wait":
        st.error(tr("portal.wait", seconds=int(answer.wait + 0.999)))
    else:
        st.error(tr("portal.denied"))


def own_sheet(sc, eid: str) -> None:
    """Show the logged-in firm its own data and obligations per level or day, the upgrade view and files."""
    result = solve_scenario(sc)
    table = result["table"]
    if eid not in table.index:
        st.session_state.pop("portal_eid", None)
        st.error(tr("portal.denied"))
        return
    me = table.loc[eid]
    st.subheader(str(me["name"]))
    st.markdown(f"{tr('col.credit_code')}：`{me['credit_code']}`")
    c = st.columns(3)
    c[0].metric(tr("col.grade"), tr(f"grade.{me['grade']}"))
    c[1].metric(tr("col.industry"), industry_name(me["industry"]))
    c[2].metric(tr("col.line_count"), int(me["line_count"]))
    if str(me.get("line_description", "") or "") not in ("", "nan", "None"):
        st.caption(f"{tr('col.line_description')}: {me['line_description']}")
    ob = obligations(result["schedule"], table, eid)
    st.markdown(f"#### {tr('portal.obligations')}")
    view = pd.DataFrame(
        {
            tr("col.level"): ob["level"].map(lvl),
            tr("col.slot"): ob["slot"],
            tr("col.measure"): ob["measure_en"] if lang() == "en" and "measure_en" in ob else ob["measure"],
            tr("col.cut"): ob["cut"].map(pct),
            tr("col.floor"): ob["floor"].map(pct),
            tr("col.lines_affected"): [
                f"{x:.1f} / {n}" for x, n in zip(ob["lines_affected"], ob["line_count"], strict=True)
            ],
            tr("col.output_loss"): ob["output_loss"].map(fmt_money),
        }
    )
    if result["mode"] == "list":
        view = view.drop(columns=[tr("col.slot")])
    st.dataframe(view, hide_index=True, key="own_obligations")
    if (ob["menu_option"].astype(str) != "").any():  # the measure column holds the chosen option's text
        st.caption(tr("portal.menu_note"))
    st.caption(tr("portal.loss_note"))
    own_lines(result, eid)
    upgrade_section(sc, eid, str(me["grade"]), ob)
    downloads(sc, eid, ob)


def _process_names() -> dict[str, str]:
    """Process code → name in the UI language (data/policy/processes.csv)."""
    from planner.inventory.lines import PROCESSES_FILE

    df = pd.read_csv(PROCESSES_FILE, dtype=str, keep_default_na=False, comment="#")
    col = "name_en" if lang() == "en" and "name_en" in df else "name_zh"
    return dict(zip(df["code"], df[col], strict=True))


def own_lines(result: dict, eid: str) -> None:
    """The firm's lines and what the plan asks of each per level (only for firms with a lines table)."""
    sl = result.get("schedule_lines")
    if sl is None or not len(sl):
        return
    mine = sl[sl["enterprise_id"].astype(str) == eid]
    if not len(mine):
        return
    names = _process_names()
    top = mine.sort_values(["level", "curtailment"], ascending=[True, False]).drop_duplicates(
        ["line_id", "level"]
    )

    def what(x: float) -> str:
        if x >= 1 - 1e-9:
            return tr("line.stopped")
        return tr("line.cut", share=pct(x)) if x > 1e-6 else tr("line.running")

    wide = top.pivot(index="line_id", columns="level", values="curtailment")
    first = mine.drop_duplicates("line_id").set_index("line_id")
    view = pd.DataFrame(
        {
            tr("col.line_id"): first.index.astype(str),
            tr("col.process"): [names.get(p, p) for p in first["process"].astype(str)],
            tr("col.output_share"): first["output_share"].map(pct).to_numpy(),
            **{
                lvl(lv): [what(float(wide.loc[i, lv])) for i in first.index]
                for lv in ALERT_LEVELS
                if lv in wide.columns
            },
        }
    )
    st.markdown(f"#### {tr('portal.lines')}")
    st.dataframe(view, hide_index=True, key="own_lines")
    st.caption(tr("portal.lines_note"))


def upgrade_section(sc, eid: str, grade: str, ob: pd.DataFrame) -> None:
    """Show, on request, how the firm's obligations would change one grade up.

    The published scenario is re-solved with the firm at the next grade; nothing is shown for the
    top grade.
    """
    up = UPGRADE.get(grade)
    st.markdown(f"#### {tr('portal.upgrade')}")
    if up is None:
        st.caption(tr("portal.top_grade"))
        return
    if not st.toggle(tr("portal.upgrade_show", grade=tr(f"grade.{up}")), key="portal_upgrade"):
        return
    ov = {k: dict(v) for k, v in sc.enterprises.items()}
    ov.setdefault(eid, {})["grade"] = up
    up_result = solve_scenario(dataclasses.replace(sc, enterprises=ov))
    upgraded = obligations(up_result["schedule"], up_result["table"], eid)
    eff = upgrade_effect(ob, upgraded)
    view = pd.DataFrame(
        {
            tr("col.level"): eff["level"].map(lvl),
            tr("col.cut"): eff["cut"].map(pct),
            tr("portal.cut_upgraded"): eff["cut_upgraded"].map(pct),
            tr("col.output_loss"): eff["output_loss"].map(fmt_money),
            tr("portal.loss_upgraded"): eff["loss_upgraded"].map(fmt_money),
            tr("portal.loss_avoided"): eff["loss_avoided"].map(fmt_money),
        }
    )
    st.dataframe(view, hide_index=True, key="own_upgrade")


@st.cache_data(max_entries=64, show_spinner=False)
def _sheet(key: str, _scenario, eid: str) -> str:
    """The enterprise's own 一厂一策 sheet (HTML) from :mod:`planner.reports.export`."""
    from planner.reports.export import enterprise_sheet_html

    return enterprise_sheet_html(scenario_result(_scenario), eid)


def downloads(sc, eid: str, ob: pd.DataFrame) -> None:
    """Offer the firm its obligations as CSV and its 一厂一策 sheet as HTML (when the sheet can be made)."""
    c1, c2 = st.columns(2)
    c1.download_button(
        tr("portal.download_csv"),
        ob.to_csv(index=False).encode("utf-8-sig"),
        file_name=f"{eid}-obligations.csv",
        mime="text/csv",
        key="dl_own_csv",
    )
    if importlib.util.find_spec("planner.reports.export") is None:
        return
    try:
        with st.spinner(tr("common.solving")):
            html = _sheet(scenario_key(sc), sc, eid)
    except Exception:  # a missing sheet must not break the portal
        return
    c2.download_button(
        tr("portal.download_sheet"),
        html.encode("utf-8"),
        file_name=f"{eid}-一厂一策.html",
        mime="text/html",
        key="dl_own_sheet",
    )


def body() -> None:
    """Build the published plan, then show the login form or the logged-in firm's sheet.

    Officials are also warned when the scenario's inputs changed since publication.
    """
    sc = scenario()
    try:  # the published plan must build before anyone may log in (cached for every session)
        solve_scenario(sc)
    except InputError as err:
        raise Unavailable(
            "portal.off_errors", n=len(err.problems.errors), file=portal_scenario_file().name
        ) from None
    if st.session_state.get("official"):
        from planner.scenario import revisions

        changed = revisions.changed_inputs(portal_scenario_file())
        if changed:
            st.warning(tr("portal.inputs_changed", keys="、".join(tr(f"portal.input_{k}") for k in changed)))
    eid = st.session_state.get("portal_eid")
    if not eid:
        login_form(sc)
        return
    if st.button(tr("portal.logout"), key="portal_logout"):
        st.session_state.pop("portal_eid", None)
        st.rerun()
    own_sheet(sc, str(eid))


def main() -> None:
    """Render the enterprise portal, or say that it is unavailable."""
    st.title(tr("portal.title"))
    try:
        body()
    except Unavailable as off:
        _unavailable(off.key, off.args_)
    except InputError:
        _unavailable("portal.off_errors", {"n": 1, "file": portal_scenario_file().name})


def _unavailable(key: str, args: dict) -> None:
    """Say that the portal is unavailable.

    Firms learn only that; officials learn what is wrong (never a table of the list's problems here,
    which would name other firms).
    """
    st.session_state.pop("portal_eid", None)
    if st.session_state.get("official"):
        st.error(tr(key, **args))
    else:
        st.info(tr("portal.unavailable"))


with guarded():
    main()
