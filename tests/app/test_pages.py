"""Every page of the app, driven with AppTest: renders in both languages, widgets drive results,
broken uploads show their problems, the portal keeps firms apart."""

from __future__ import annotations

import pandas as pd
import pytest
from app_helpers import PAGES, REPO, errors, goto, metric, new_app, page_text

from planner.app import access
from planner.app.i18n import t

BUREAU_PAGES = ["overview", "editor", "map", "codes"] + [
    p for p in ("compare", "analysis") if (REPO / PAGES[p]).is_file()
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_login_page_renders_and_shows_demo_password(lang):
    at = new_app(lang)
    assert not at.exception
    assert at.title[0].value == t("login.title", lang)
    assert any(access.DEMO_PASSWORD in str(i.value) for i in at.info)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", [*BUREAU_PAGES, "portal"])
def test_every_page_renders(lang, page):
    at = new_app(lang, official=True)
    goto(at, page)
    assert not at.exception, at.exception
    assert at.title[0].value == t(f"{page}.title", lang)
    assert t("common.unexpected", lang) not in errors(at)


def test_bureau_pages_need_login():
    at = new_app("zh")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        goto(at, "overview")  # not even registered before login


def test_wrong_password_refused_demo_password_accepted():
    at = new_app("en")
    at.text_input(key="password").set_value("nope")
    at.button[0].click().run()
    assert t("login.wrong", "en") in errors(at)
    assert not at.session_state["official"] if "official" in at.session_state else True
    at.text_input(key="password").set_value(access.DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["official"] is True
    assert at.title[0].value == t("overview.title", "en")


def test_configured_hash_replaces_demo_password(monkeypatch):
    monkeypatch.setenv(access.ENV_HASH, access.hash_password("bureau-secret", iterations=1000))
    at = new_app("en")
    assert not any(access.DEMO_PASSWORD in str(i.value) for i in at.info)
    at.text_input(key="password").set_value(access.DEMO_PASSWORD)
    at.button[0].click().run()
    assert t("login.wrong", "en") in errors(at)
    at.text_input(key="password").set_value("bureau-secret")
    at.button[0].click().run()
    assert at.session_state["official"] is True


def test_language_switch_changes_text():
    at = new_app("zh", official=True)
    goto(at, "overview")
    assert at.title[0].value == "总览"
    at.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "Overview"


def test_raising_a_share_raises_the_loss():
    at = new_app("en", official=True)
    goto(at, "overview")
    before = metric(at, "overview.total_loss", "en")
    key = "share_demo_list_yellow_NOx"
    at.number_input(key=key).set_value(at.number_input(key=key).value + 5).run()
    assert not at.exception
    after = metric(at, "overview.total_loss", "en")
    assert after > before


def _broken_csv(table: pd.DataFrame) -> bytes:
    """Two rows; row 3 of the file has an unknown grade and a negative SO2."""
    return (
        "enterprise_id,name,credit_code,county,industry,grade,control_type,line_count,output_value,SO2,NOx,PM,VOCs\n"
        "X1,甲厂,911399020156898755,城关区,foundry,C,key,2,1000,1,1,1,1\n"
        "X2,乙厂,9113990265882222XB,城关区,foundry,Z,key,2,1000,-1,1,1,1\n"
    ).encode()


def test_broken_inventory_upload_shows_problems_table(demo_table):
    at = new_app("en", official=True)
    goto(at, "overview")
    at.file_uploader(key="up_inventory").set_value(("broken.csv", _broken_csv(demo_table), "text/csv")).run()
    assert not at.exception
    assert errors(at), "an error message is shown"
    table = at.dataframe[0].value
    assert {t("problems.row", "en"), t("problems.column", "en"), t("problems.message", "en")} <= set(
        table.columns
    )
    rows = set(table[t("problems.row", "en")].dropna().astype(int))
    assert 3 in rows  # the bad grade and the negative SO2 are on file row 3


def test_portal_refuses_wrong_and_unknown_codes_alike(demo_table, published, portal_codes):
    at = new_app("en")
    goto(at, "portal")
    firm = demo_table.iloc[0]
    at.text_input(key="portal_credit").set_value(firm["credit_code"])
    at.text_input(key="portal_code").set_value("wrong-code")
    at.button[0].click().run()
    wrong = errors(at)
    at.text_input(key="portal_credit").set_value("91000000000000000X")
    at.text_input(key="portal_code").set_value("wrong-code")
    at.button[0].click().run()
    unknown = errors(at)
    assert wrong == unknown == [t("portal.denied", "en")]
    text = page_text(at)
    for name in demo_table["name"].head(50):
        assert name not in text


def test_portal_slows_down_after_repeated_failures(demo_table, published, portal_codes):
    at = new_app("en")
    goto(at, "portal")
    firm = demo_table.iloc[1]
    for _ in range(access.CODE_THROTTLE.free + 1):
        at.text_input(key="portal_credit").set_value(firm["credit_code"])
        at.text_input(key="portal_code").set_value("wrong")
        at.button[0].click().run()
    # now even the right code must wait
    at.text_input(key="portal_code").set_value(portal_codes[str(firm.name)])
    at.button[0].click().run()
    assert "portal_eid" not in at.session_state
    assert any(e.startswith(t("portal.wait", "en").split("{")[0]) for e in errors(at))


def test_portal_shows_own_firm_only(demo_table, published, portal_codes):
    firm = demo_table.loc[next(iter(portal_codes))]
    at = new_app("zh")
    goto(at, "portal")
    at.text_input(key="portal_credit").set_value(firm["credit_code"])
    at.text_input(key="portal_code").set_value(portal_codes[str(firm.name)])
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["portal_eid"] == str(firm.name)
    text = page_text(at)
    assert firm["name"] in text
    others = demo_table.drop(index=firm.name)
    leaked = [n for n in others["name"] if n in text and n not in firm["name"]]
    assert not leaked
    for code in others["credit_code"].head(200):
        assert code not in text
    # a firm with a lines table sees its lines, with Chinese process names (E0001: a foundry)
    lines = pd.read_csv(REPO / "data" / "demo_city" / "lines.csv", dtype=str)
    if str(firm.name) in set(lines["enterprise_id"]):
        assert t("portal.lines", "zh") in text
        assert "涉VOCs工序" in text or "铸造涉气工序" in text
        assert "voc_process" not in text and "casting" not in text
    # the upgrade view still shows only this firm
    if at.toggle:
        at.toggle(key="portal_upgrade").set_value(True).run()
        assert not at.exception
        text = page_text(at)
        assert not [n for n in others["name"] if n in text and n not in firm["name"]]


def test_editor_edit_resolve_shows_what_changed(demo_table):
    at = new_app("en", official=True)
    goto(at, "editor")
    assert not at.exception
    grid = at.data_editor[0]
    shown = grid.value
    before = metric(at, "overview.total_loss", "en")
    # exempt the three enterprises with the largest cut at the top level: the plan must change
    cut_cols = [c for c in shown.columns if str(c).startswith("cut_")]
    order = shown[cut_cols[-1]].fillna(0).to_numpy().argsort()[::-1][:3] if cut_cols else range(3)
    at.session_state[grid.key] = {
        "edited_rows": {int(i): {"exempt": True} for i in order},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="resolve").click().run()
    assert not at.exception
    after = metric(at, "overview.total_loss", "en")
    assert after != before
    text = page_text(at)
    assert t("editor.what_changed", "en") in text
    overrides = at.session_state["overrides"]
    assert sum(1 for ov in next(iter(overrides.values())).values() if ov.get("exempt")) >= 3


def test_map_level_switch():
    at = new_app("zh", official=True)
    goto(at, "map")
    assert not at.exception
    at.selectbox(key="map_level").set_value("yellow").run()
    assert not at.exception
    assert at.title[0].value == "地图"


def test_valid_upload_is_used_until_removed(scenario_dir):
    from planner.scenario.files import load_scenario

    inv = load_scenario(scenario_dir / "demo_list.yaml").inventory
    at = new_app("en", official=True)
    goto(at, "overview")
    at.file_uploader(key="up_inventory").set_value(("my_list.csv", inv.read_bytes(), "text/csv")).run()
    assert not at.exception and not [e for e in errors(at) if "error" in e.lower()]
    assert at.session_state["uploads"].get("inventory", "").endswith("my_list.csv")
    goto(at, "editor")
    goto(at, "overview")  # the uploader forgot the file; the session still uses it
    assert any("my_list.csv" in c.value for c in at.caption)
    at.button(key="remove_inventory").click().run()
    assert not at.session_state["uploads"].get("inventory")


def test_infeasible_targets_show_the_shortfall_diagnosis():
    at = new_app("en", official=True)
    goto(at, "overview")
    for p in ("SO2", "NOx", "PM", "VOCs"):
        at.number_input(key=f"share_demo_list_red_{p}").set_value(95.0)
    at.run()
    assert not at.exception
    head = t("overview.not_met", "en").split("{")[0]
    assert any(e.startswith(head) for e in errors(at))
    short = [d.value for d in at.dataframe if t("col.shortfall", "en") in d.value.columns]
    assert short and (short[0][t("col.shortfall", "en")] > 0).all()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_explains_the_loss_split_and_the_savings(lang):
    from tests.app.app_helpers import page_text

    at = new_app(lang, official=True)
    goto(at, "overview")
    assert not at.exception
    text = page_text(at)
    assert t("overview.split_title", lang) in text
    assert t("compare.method.same_share", lang) in text and t("compare.method.equal_tonnes", lang) in text
    if lang == "zh":
        assert "规则下限" in text and "None" not in text
