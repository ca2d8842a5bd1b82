"""Officials' login (the bureau's pages sit behind one shared, hashed password)."""

from __future__ import annotations

import streamlit as st

from planner.app.access import DEMO_PASSWORD, Throttle, check_officials_password, officials_config
from planner.app.common import guarded, tr


def main() -> None:
    st.title(tr("login.title"))
    st.write(tr("login.intro"))
    config = officials_config()
    if config.is_demo:
        st.info(tr("login.demo", password=DEMO_PASSWORD))
    throttle: Throttle = st.session_state.setdefault("login_throttle", Throttle())
    with st.form("login"):
        password = st.text_input(tr("login.password"), type="password", key="password")
        submitted = st.form_submit_button(tr("login.submit"), type="primary")
    if submitted:
        wait = throttle.wait("officials")
        if wait > 0:
            st.error(tr("login.wait", seconds=int(wait + 0.999)))
        elif check_officials_password(password, config):
            throttle.succeed("officials")
            st.session_state["official"] = True
            st.rerun()
        else:
            throttle.fail("officials")
            st.error(tr("login.wrong"))
    st.caption(tr("login.portal_hint"))


with guarded():
    main()
