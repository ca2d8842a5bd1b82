"""Draft → approve → publish in the app, the portal showing only the published revision, the
officials' login failing closed, and the lock-below-floor reason, driven with AppTest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from app_helpers import errors, goto, new_app, page_text

from planner.app import access
from planner.app.i18n import t
from planner.scenario import revisions


@pytest.fixture
def folder(tmp_path, monkeypatch, scenario_dir):
    """A private scenario folder (saves and publications of one test only)."""
    out = tmp_path / "scen"
    out.mkdir()
    for f in scenario_dir.glob("*.yaml"):
        if not f.name.startswith("."):
            shutil.copy(f, out / f.name)
    monkeypatch.setenv("PLANNER_SCENARIO_DIR", str(out))
    return out


def test_blank_env_var_closes_login_with_a_message(monkeypatch):
    monkeypatch.setenv(access.ENV_HASH, "  ")
    at = new_app("zh")
    assert not at.exception
    assert t("login.cfg_env_blank", "zh", var=access.ENV_HASH) in errors(at)
    assert not any(access.DEMO_PASSWORD in str(i.value) for i in at.info)
    assert not at.text_input  # no form at all


def test_empty_officials_file_closes_login(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "officials.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv(access.ENV_CONFIG_DIR, str(cfg))
    at = new_app("en")
    assert t("login.cfg_empty", "en", file=str(cfg / "officials.toml")) in errors(at)


def _users(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg"
    cfg.mkdir(exist_ok=True)
    hw = access.hash_password("wang-pass-1", iterations=1000)
    hl = access.hash_password("li-pass-1", iterations=1000)
    (cfg / "officials.toml").write_text(
        f'[users.wang]\nname = "王工"\npassword_hash = "{hw}"\nroles = ["editor", "approver"]\n'
        f'[users.li]\nname = "李工"\npassword_hash = "{hl}"\nroles = ["editor"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(access.ENV_CONFIG_DIR, str(cfg))


def _login(at, user, pw):
    at.text_input(key="login_user").set_value(user)
    at.text_input(key="password").set_value(pw)
    at.button[0].click().run()
    return at


def _edit_and_resolve(at, rows=(0,)):
    grid = at.data_editor[0]
    at.session_state[grid.key] = {
        "edited_rows": {int(i): {"exempt": True} for i in rows},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="resolve").click().run()


def test_draft_approve_publish_portal(folder, tmp_path, monkeypatch, demo_table, codes_file, portal_codes):
    _users(tmp_path, monkeypatch)
    path = folder / "demo_list.yaml"
    # nothing published: firms see only that the portal is unavailable
    firm = demo_table.loc[next(iter(portal_codes))]
    at = new_app("zh")
    goto(at, "portal")
    assert [i.value for i in at.info] == [t("portal.unavailable", "zh")] and not at.text_input

    # an editor saves a draft; the author is the logged-in official
    li = _login(new_app("zh"), "li", "li-pass-1")
    assert li.session_state["official_name"] == "李工"
    goto(li, "editor")
    _edit_and_resolve(li)
    li.button(key="save_button").click().run()
    assert not li.exception
    draft = revisions.history(path)[-1]
    assert draft["author"] == "李工"
    assert revisions.revision_states(path)[draft["revision"]] == "draft"
    assert t("editor.publish_needs_role", "zh") in [i.value for i in li.info]  # no approver role

    # still nothing for firms: a draft is never shown
    at = new_app("zh")
    goto(at, "portal")
    assert not at.text_input

    # the approver publishes it
    wang = _login(new_app("zh"), "wang", "wang-pass-1")
    goto(wang, "editor")
    wang.selectbox(key="publish_rev").set_value(draft["revision"]).run()
    wang.text_input(key="publish_message").set_value("局务会通过")
    wang.button(key="publish_button").click().run()
    assert not wang.exception
    pub = revisions.published(path)
    assert pub["revision"] == draft["revision"] and pub["author"] == "王工" and pub["message"] == "局务会通过"
    assert any(c["key"].endswith(".exempt") for c in pub["changes"])
    log = revisions.audit_log(path)
    assert [e["event"] for e in log][-2:] == ["save", "publish"]

    # a later draft does not change what the portal shows
    _edit_and_resolve(li, (1,))
    li.button(key="save_button").click().run()
    snap = yaml.safe_load(revisions.published_file(path).read_text(encoding="utf-8"))
    assert (
        snap["enterprises"] == yaml.safe_load(revisions.read_revision(path, pub["revision"]))["enterprises"]
    )

    # the firm logs in and sees its own sheet
    at = new_app("zh")
    goto(at, "portal")
    at.text_input(key="portal_credit").set_value(firm["credit_code"])
    at.text_input(key="portal_code").set_value(portal_codes[str(firm.name)])
    at.button[0].click().run()
    assert not at.exception and at.session_state["portal_eid"] == str(firm.name)
    assert firm["name"] in page_text(at)


def test_published_plan_with_input_errors_shows_officials_a_message_and_firms_nothing(folder, demo_table):
    path = folder / "demo_list.yaml"
    inv = tmp_inv = folder / "broken.csv"
    src = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = Path(src["inventory"]).read_text(encoding="utf-8").splitlines()
    header, rows = text[0], text[1:]
    cols = header.split(",")
    bad = rows[0].split(",")
    bad[cols.index("grade")] = "Z"
    tmp_inv.write_text("\n".join([header, ",".join(bad), *rows[1:20]]) + "\n", encoding="utf-8")
    data = {**src, "inventory": str(inv)}
    revisions.save_revision(
        path, data, author="x", expected_revision=revisions.current_revision(path), validate=False
    )
    revisions.publish(path, "current", author="x")
    firm_view = new_app("en")
    goto(firm_view, "portal")
    assert not firm_view.exception
    assert [i.value for i in firm_view.info] == [t("portal.unavailable", "en")]
    assert not firm_view.dataframe and not firm_view.error
    text = page_text(firm_view)
    assert not [c for c in demo_table["credit_code"].head(20) if c in text]
    official = new_app("en", official=True)
    goto(official, "portal")
    assert any(e.startswith(t("portal.off_errors", "en").split("(")[0]) for e in errors(official))
    assert not official.dataframe


def test_lock_below_floor_needs_a_reason_kept_in_scenario_and_sheet(folder):
    at = new_app("en", official=True)
    goto(at, "editor")
    grid = at.data_editor[0]
    shown = grid.value
    cut_cols = [c for c in shown.columns if str(c).startswith("cut_")]
    # a firm with a mandatory cut at the top level: lock it at 0
    pos = int(shown[cut_cols[-1]].fillna(0).to_numpy().argmax())
    at.session_state[grid.key] = {"edited_rows": {pos: {"lock": 0.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert any(w.value.startswith(t("editor.below_floor", "en", n=1).split(":")[0]) for w in at.warning)
    assert at.button(key="resolve").disabled
    at.text_input(key="lock_reason").set_value("民生保障，局务会同意").run()
    assert not at.button(key="resolve").disabled
    at.button(key="resolve").click().run()
    assert not at.exception
    overrides = next(iter(at.session_state["overrides"].values()))
    eid = str(shown.index[pos])
    assert overrides[eid]["lock"] == 0.0 and overrides[eid]["reason"] == "民生保障，局务会同意"
    at.text_input(key="save_author").set_value("王工")
    at.button(key="save_button").click().run()
    saved = yaml.safe_load((folder / "demo_list.yaml").read_text(encoding="utf-8"))
    assert saved["enterprises"][eid]["reason"] == "民生保障，局务会同意"
    from planner.reports.export import enterprise_sheet_data
    from planner.scenario.run import run

    sheet = enterprise_sheet_data(run(folder / "demo_list.yaml"), eid, upgrade=False)
    assert any("民生保障，局务会同意" in n and "锁定" in n for n in sheet["notes"])


def test_codes_page_issues_once_and_revokes(folder, tmp_path, monkeypatch, demo_table):
    store = tmp_path / "codes.toml"
    monkeypatch.setenv(access.ENV_CODES, str(store))
    at = new_app("zh", official=True)
    goto(at, "codes")
    assert not at.exception
    ids = list(demo_table.index[:2].astype(str))
    at.multiselect(key="codes_pick").set_value(ids).run()
    at.text_input(key="codes_author").set_value("王工")
    at.button(key="codes_issue").click().run()
    assert not at.exception and not errors(at)
    # the status table lists every firm, the two new codes with who issued them
    by = t("codes.col_issued_by", "zh")
    table = next(d.value for d in at.dataframe if by in d.value.columns)
    assert len(table) == len(demo_table) and list(table[by]).count("王工") == 2
    col = t("codes.col_code", "zh")
    shown = next(d.value for d in at.dataframe if col in d.value.columns)
    codes = list(shown[col])
    assert len(codes) == 2 and all(len(access.normalise_access_code(c)) == access.CODE_LENGTH for c in codes)
    assert not [c for c in codes if access.normalise_access_code(c) in store.read_text(encoding="utf-8")]
    at.button(key="codes_done").click().run()
    assert "codes_issued" not in at.session_state
    assert not [c for c in codes if c in page_text(at)]  # shown once
    at.multiselect(key="codes_pick").set_value(ids[:1]).run()
    at.text_input(key="codes_author").set_value("王工")
    at.button(key="codes_revoke").click().run()
    assert not errors(at)
    status = access.code_status(store, demo_table.head(3)).set_index("enterprise_id")["status"]
    assert status[ids[0]] == "revoked" and status[ids[1]] == "active"
