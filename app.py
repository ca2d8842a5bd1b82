"""The planner's web app: ``streamlit run app.py``.

Pages (``planner/app/pages/``) for the bureau — overview, plan editor, comparison, expert analysis,
map — sit behind the officials' password (:mod:`planner.app.access`); the enterprise portal is open
to every enterprise with its credit code and access code.  Chinese by default, English from the
sidebar.  The app only calls the library; its text lives in ``data/i18n/``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import streamlit as st

from planner.app.common import localise_widgets, tr
from planner.app.i18n import LANGUAGES

st.set_page_config(page_title="重污染天气应急减排 · Emergency planner", page_icon="🌫️", layout="wide")

PAGES = Path(__file__).resolve().parent / "planner" / "app" / "pages"
LANG_NAMES = {"zh": "中文", "en": "English"}
with st.sidebar:
    st.radio("语言 / Language", LANGUAGES, format_func=LANG_NAMES.get, key="lang", horizontal=True)
localise_widgets()


def _page(file: str, key: str, icon: str, default: bool = False):
    return st.Page(
        f"planner/app/pages/{file}", title=tr(f"nav.{key}"), icon=icon, url_path=key, default=default
    )


def _has(module: str, page: str) -> bool:
    """A page that needs a library module is offered only when both exist."""
    return importlib.util.find_spec(module) is not None and (PAGES / page).is_file()


portal = _page("portal.py", "portal", ":material/badge:")
if st.session_state.get("official"):
    bureau = [
        _page("overview.py", "overview", ":material/dashboard:", default=True),
        _page("editor.py", "editor", ":material/edit_note:"),
    ]
    if _has("planner.scenario.compare", "compare.py"):
        bureau.append(_page("compare.py", "compare", ":material/compare:"))
    if _has("planner.reports.analysis", "analysis.py"):
        bureau.append(_page("analysis.py", "analysis", ":material/query_stats:"))
    if _has("planner.scenario.replan", "episode.py"):
        bureau.append(_page("episode.py", "episode", ":material/timeline:"))
    bureau.append(_page("map.py", "map", ":material/map:"))
    bureau.append(_page("codes.py", "codes", ":material/key:"))
    with st.sidebar:
        if st.button(tr("login.logout"), key="logout"):
            st.session_state["official"] = False
            for k in ("official_login", "official_name", "official_roles", "codes_issued"):
                st.session_state.pop(k, None)
            st.rerun()
else:
    bureau = [_page("login.py", "login", ":material/lock:", default=True)]

pg = st.navigation({tr("nav.bureau"): bureau, tr("nav.enterprises"): [portal]})
st.sidebar.caption(tr("app.footer"))
pg.run()
