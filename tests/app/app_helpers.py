"""Helpers to drive ``app.py`` with Streamlit's AppTest."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from planner.app.i18n import t

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app.py"
PAGES = {
    "overview": "planner/app/pages/overview.py",
    "editor": "planner/app/pages/editor.py",
    "compare": "planner/app/pages/compare.py",
    "analysis": "planner/app/pages/analysis.py",
    "map": "planner/app/pages/map.py",
    "portal": "planner/app/pages/portal.py",
    "login": "planner/app/pages/login.py",
    "codes": "planner/app/pages/codes.py",
    "episode": "planner/app/pages/episode.py",
}


def new_app(lang: str = "zh", official: bool = False) -> AppTest:
    """A fresh app session (first run done), optionally already logged in as an official."""
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.session_state["lang"] = lang
    if official:
        at.session_state["official"] = True
    return at.run()


def goto(at: AppTest, page: str) -> AppTest:
    return at.switch_page(PAGES[page]).run()


def page_text(at: AppTest, editable: bool = False) -> str:
    """Everything visible on the page as one string (titles, texts, metrics, tables; with
    ``editable`` the raw values of data editors are left out: their cells are shown through the
    column's labels and formats)."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "info",
        "warning",
        "error",
        "success",
    ):
        parts += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        parts += [str(m.label), str(m.value)]
    for d in at.dataframe:
        if editable and d.editing_mode != "read_only":  # a data editor's cells show through its column labels
            continue
        parts.append(d.value.to_csv())
    for w in (*at.selectbox, *at.multiselect, *at.radio):
        parts.append(str(w.label))
        parts += [str(o) for o in w.options]
    return "\n".join(parts)


def metric(at: AppTest, key: str, lang: str = "zh") -> float:
    """The number shown by the metric labelled ``t(key)``."""
    label = t(key, lang)
    for m in at.metric:
        if m.label == label:
            return float(re.sub(r"[^0-9.\-]", "", str(m.value)))
    raise KeyError(label)


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]
