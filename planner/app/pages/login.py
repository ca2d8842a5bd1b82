"""Officials' login: per-user logins with roles, or one shared password (hashes only).

A configuration that is present but unusable fails closed (no login, a message saying what to
fix); failed attempts are throttled server-wide (:mod:`planner.app.access`).
"""

from __future__ import annotations

import streamlit as st

from planner.app.access import DEMO_PASSWORD, officials_config, officials_login
from planner.app.common import guarded, session_client, tr


def _localised(args: dict) -> dict:
    """Return a configuration error's arguments with the reason in the session's language.

    The reason is the TOML reader's or the operating system's English words.
    """
    from planner.app.common import message_text

    return {k: message_text(v) if k == "reason" else v for k, v in args.items()}


def main() -> None:
    """Render the officials' login page: the login form, or why login is closed."""
    st.title(tr("login.title"))
    st.write(tr("login.intro"))
    config = officials_config()
    if config.error:
        st.error(
            tr(config.error_key or "login.cfg_unreadable", **_localised(config.error_args))
            if config.error_key
            else config.error
        )
        st.caption(tr("login.closed"))
        st.caption(tr("login.portal_hint"))
        return
    if config.is_demo:
        st.info(tr("login.demo", password=DEMO_PASSWORD))
    with st.form("login"):
        login = st.text_input(tr("login.user"), key="login_user") if config.has_users else ""
        password = st.text_input(tr("login.password"), type="password", key="password")
        submitted = st.form_submit_button(tr("login.submit"), type="primary")
    if submitted:
        answer = officials_login(login, password, session_client(), config)
        if answer.status == "wait":
            st.error(tr("login.wait", seconds=int(answer.wait + 0.999)))
        elif answer.status == "ok":
            who = answer.official
            st.session_state["official"] = True
            st.session_state["official_login"] = (
                who.login if config.has_users and who.login in config.users else ""
            )
            st.session_state["official_name"] = who.name
            st.session_state["official_roles"] = sorted(who.roles)
            st.rerun()
        elif answer.status == "closed":
            st.error(tr("login.closed"))
        else:
            st.error(tr("login.wrong"))
    st.caption(tr("login.portal_hint"))


with guarded():
    main()
