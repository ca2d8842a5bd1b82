"""Officials' logins (fail closed, roles, server-wide throttle) and the portal's access codes
(issued by the bureau, hashed outside the list, throttled per code and per client)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pandas as pd
import pytest

from planner.app import access


def test_hash_and_verify_both_methods():
    for method in ("pbkdf2_sha256", "scrypt"):
        h = access.hash_password("天气-2026", method=method)
        assert h.startswith(method + "$")
        assert access.verify_password("天气-2026", h)
        assert not access.verify_password("天气-2025", h)
    assert access.hash_password("x") != access.hash_password("x")  # salted


@pytest.mark.parametrize("bad", ["", "plain", "pbkdf2_sha256$x$y$z", "md5$1$2$3", "scrypt$1$2"])
def test_malformed_hash_never_verifies(bad):
    assert not access.verify_password("anything", bad)


@pytest.fixture
def cfg_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(access.ENV_HASH, raising=False)
    monkeypatch.setenv(access.ENV_CONFIG_DIR, str(tmp_path))
    return tmp_path


def test_config_precedence_env_file_demo(monkeypatch, cfg_dir):
    cfg = access.officials_config()
    assert cfg.is_demo and access.check_officials_password(access.DEMO_PASSWORD, cfg)
    file_hash = access.hash_password("from-file", iterations=1000)
    (cfg_dir / "officials.toml").write_text(f'password_hash = "{file_hash}"\n', encoding="utf-8")
    cfg = access.officials_config()
    assert cfg.source == "file" and cfg.path == cfg_dir / "officials.toml" and not cfg.is_demo
    assert access.check_officials_password("from-file", cfg)
    assert not access.check_officials_password(access.DEMO_PASSWORD, cfg)
    monkeypatch.setenv(access.ENV_HASH, access.hash_password("from-env", iterations=1000))
    cfg = access.officials_config()
    assert cfg.source == "env" and access.check_officials_password("from-env")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("password_hash = [unclosed", "login.cfg_unreadable"),
        ("", "login.cfg_empty"),
        ("# nothing yet\n", "login.cfg_empty"),
        ('password_hash = ""\n', "login.cfg_bad_hash"),
        ('password_hash = "plain-text-password"\n', "login.cfg_bad_hash"),
        ('pasword_hash = "x"\n', "login.cfg_unknown"),
        ('[users.wang]\nname = "王工"\n', "login.cfg_bad_hash"),
        ('[users.wang]\npassword_hash = "{h}"\nroles = ["boss"]\n', "login.cfg_bad_roles"),
        ('[users.wang]\npassword_hash = "{h}"\nrole = ["editor"]\n', "login.cfg_unknown"),
        (b"\xff\xfe bad bytes", "login.cfg_unreadable"),
    ],
)
def test_broken_or_empty_config_fails_closed(cfg_dir, text, key):
    h = access.hash_password("secret-1", iterations=1000)
    f = cfg_dir / "officials.toml"
    if isinstance(text, bytes):
        f.write_bytes(text)
    else:
        f.write_text(text.replace("{h}", h), encoding="utf-8")
    cfg = access.officials_config()
    assert cfg.error and not cfg.ok and not cfg.is_demo
    assert cfg.error_key == key and str(f) in cfg.error
    for pw in (access.DEMO_PASSWORD, "secret-1", ""):
        assert access.authenticate("wang", pw, cfg) is None
        assert not access.check_officials_password(pw, cfg)
    assert access.officials_login("wang", access.DEMO_PASSWORD, "c", cfg).status == "closed"


@pytest.mark.parametrize("value", ["", "   ", "not-a-hash"])
def test_blank_or_bad_env_var_fails_closed(monkeypatch, cfg_dir, value):
    monkeypatch.setenv(access.ENV_HASH, value)
    cfg = access.officials_config()
    assert cfg.error and access.ENV_HASH in cfg.error and not cfg.is_demo
    assert access.authenticate("", access.DEMO_PASSWORD, cfg) is None


def test_users_and_roles(cfg_dir):
    hw, hl = (
        access.hash_password("wang-pass", iterations=1000),
        access.hash_password("li-pass", iterations=1000),
    )
    (cfg_dir / "officials.toml").write_text(
        f'[users.wang]\nname = "王工"\npassword_hash = "{hw}"\nroles = ["editor", "approver"]\n'
        f'[users.li]\npassword_hash = "{hl}"\n',
        encoding="utf-8",
    )
    cfg = access.officials_config()
    assert cfg.ok and cfg.has_users and cfg.shared is None
    wang = access.authenticate("wang", "wang-pass", cfg)
    assert wang.name == "王工" and wang.can_approve
    li = access.authenticate("li", "li-pass", cfg)
    assert li.roles == frozenset({"editor"}) and not li.can_approve and li.name == "li"
    assert access.authenticate("li", "wang-pass", cfg) is None
    assert access.authenticate("nobody", "wang-pass", cfg) is None
    assert access.authenticate("", "wang-pass", cfg) is None


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_throttle_is_exponential_and_resets():
    clock = Clock()
    th = access.Throttle(free=2, base=2.0, cap=20.0, clock=clock)
    assert [th.fail("k") for _ in range(7)] == [0.0, 0.0, 2.0, 4.0, 8.0, 16.0, 20.0]
    assert th.wait("k") == 20.0
    clock.now += 5
    assert th.wait("k") == 15.0
    assert th.wait("other") == 0.0
    th.succeed("k")
    assert th.wait("k") == 0.0 and th.failures("k") == 0


def test_throttle_forgets_after_window():
    clock = Clock()
    th = access.Throttle(free=1, window=100.0, clock=clock)
    th.fail("k"), th.fail("k")
    assert th.failures("k") == 2
    clock.now += 50
    assert th.failures("k") == 2
    clock.now += 200
    assert th.failures("k") == 0 and th.fail("k") == 0.0


def test_officials_throttle_is_server_wide(cfg_dir):
    access.reset_throttles()
    cfg = access.officials_config()  # demo
    n = access.OFFICIALS_THROTTLE.free
    for i in range(n + 1):  # a new "session" (client key) each time, same login
        access.officials_login("", "wrong", f"session:{i}", cfg)
    ans = access.officials_login("", access.DEMO_PASSWORD, "session:new", cfg)
    assert ans.status == "wait" and ans.wait > 0
    access.reset_throttles()
    assert access.officials_login("", access.DEMO_PASSWORD, "session:new", cfg).status == "ok"


def test_officials_global_budget(cfg_dir):
    access.reset_throttles()
    cfg = access.officials_config()
    for i in range(access.OFFICIALS_GLOBAL.free + 1):  # many logins and clients
        access.officials_login(f"user{i}", "wrong", f"ip:{i}", cfg)
    assert access.officials_login("other", "x", "ip:fresh", cfg).status == "wait"
    access.reset_throttles()


def test_client_key(monkeypatch):
    monkeypatch.delenv("PLANNER_TRUST_PROXY", raising=False)
    hdr = {"X-Forwarded-For": "203.0.113.7, 10.0.0.1"}
    assert access.client_key("10.0.0.1", hdr, "s1") == "ip:10.0.0.1"  # proxy header not trusted
    assert access.client_key(None, None, "s1") == "session:s1"
    monkeypatch.setenv("PLANNER_TRUST_PROXY", "1")
    assert access.client_key("10.0.0.1", hdr, "s1") == "ip:203.0.113.7"


# --------------------------------------------------------------------------- codes
@pytest.fixture
def firms() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "credit_code": ["91110000AAAAAAAA1X", "91110000BBBBBBBB2Y", "91110000CCCCCCCC3Z"],
            "name": ["甲厂", "乙厂", "丙厂"],
        },
        index=pd.Index(["E1", "E2", "E3"], name="enterprise_id"),
    )


def test_new_codes_are_long_unambiguous_and_distinct():
    codes = {access.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for c in list(codes)[:200]:
        assert len(c) == access.CODE_LENGTH >= 10
        assert set(c) <= set(access.CODE_ALPHABET)
    assert not set("01OIL") & set(access.CODE_ALPHABET)
    assert access.format_code("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"
    assert access.normalise_access_code(" abcd-efgh jkmn ") == "ABCDEFGHJKMN"


def test_issue_stores_only_salted_hashes_outside_the_list(firms, tmp_path):
    store = tmp_path / ".access" / "codes.toml"
    issued = access.issue_codes(store, firms, author="王工")
    assert [r["enterprise_id"] for r in issued] == ["E1", "E2", "E3"]
    text = store.read_text(encoding="utf-8")
    for r in issued:
        assert r["code"] not in text and access.normalise_access_code(r["code"]) not in text
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.parent.stat().st_mode) == 0o700
    entries = access.load_codes(store)
    assert len({e.hash for e in entries.values()}) == 3 and all(
        e.issued_by == "王工" for e in entries.values()
    )
    codes = {r["credit_code"]: r["code"] for r in issued}
    assert (
        access.find_enterprise(entries, "91110000aaaaaaaa1x ", codes["91110000AAAAAAAA1X"].lower())
        == "91110000AAAAAAAA1X"
    )
    assert access.find_enterprise(entries, "91110000AAAAAAAA1X", codes["91110000BBBBBBBB2Y"]) is None
    assert access.find_enterprise(entries, "91110000ZZZZZZZZ9Z", codes["91110000AAAAAAAA1X"]) is None
    assert access.find_enterprise(entries, "", "") is None
    # re-issue replaces the old code; --missing skips firms with an active code
    again = access.issue_codes(store, firms, ["E1"], author="王工")
    entries = access.load_codes(store)
    assert access.find_enterprise(entries, "91110000AAAAAAAA1X", codes["91110000AAAAAAAA1X"]) is None
    assert access.find_enterprise(entries, "91110000AAAAAAAA1X", again[0]["code"])
    assert access.issue_codes(store, firms, author="x", only_missing=True) == []


def test_revoke_and_status(firms, tmp_path):
    store = tmp_path / "codes.toml"
    issued = access.issue_codes(store, firms, ["E1", "E2"], author="王工")
    assert access.revoke_codes(store, firms, ["E1"], author="李工") == ["91110000AAAAAAAA1X"]
    entries = access.load_codes(store)
    assert access.find_enterprise(entries, "91110000AAAAAAAA1X", issued[0]["code"]) is None
    status = access.code_status(store, firms).set_index("enterprise_id")["status"].to_dict()
    assert status == {"E1": "revoked", "E2": "active", "E3": "none"}
    with pytest.raises(ValueError, match="no code issued"):
        access.revoke_codes(store, firms, ["E3"], author="x")


def test_issue_refuses_bad_lists(firms, tmp_path):
    with pytest.raises(ValueError, match="not in the enterprise list"):
        access.issue_codes(tmp_path / "c.toml", firms, ["E9"], author="x")
    dup = firms.assign(credit_code=["91110000AAAAAAAA1X"] * 3)
    with pytest.raises(ValueError, match="several enterprises"):
        access.issue_codes(tmp_path / "c.toml", dup, author="x")
    with pytest.raises(ValueError, match="author"):
        access.issue_codes(tmp_path / "c.toml", firms, author="  ")


def test_broken_code_file_is_an_error(tmp_path):
    f = tmp_path / "codes.toml"
    f.write_text("[codes.X]\nhash = 5\nsecret = 1\n", encoding="utf-8")
    with pytest.raises(access.CodeFileError, match=r"codes\.toml"):
        access.load_codes(f)


def test_portal_throttle_per_code_and_per_client_not_reset_by_other_login(firms, tmp_path):
    store = tmp_path / "codes.toml"
    issued = {r["enterprise_id"]: r["code"] for r in access.issue_codes(store, firms, author="x")}
    entries = access.load_codes(store)
    clock = Clock()
    per_code, per_client = access.Throttle(free=3, clock=clock), access.Throttle(free=5, clock=clock)

    def login(credit, code, client):
        return access.portal_login(
            entries, firms, credit, code, client, code_throttle=per_code, client_throttle=per_client
        )

    # an attacker rotating over credit codes from one client: the client counter stops it
    for i in range(6):
        assert login(f"9111000000000000{i}X", "WRONGCODE234", "ip:6.6.6.6").status == "denied"
    # ... and logging in with a code it knows does not reset that counter
    assert login("91110000BBBBBBBB2Y", issued["E2"], "ip:6.6.6.6").status == "wait"
    clock.now += 10_000  # after the window the client may try again
    assert login("91110000BBBBBBBB2Y", issued["E2"], "ip:6.6.6.6").enterprise_id == "E2"
    # guessing one firm's code from many clients: the per-code counter stops it
    for i in range(4):
        login("91110000AAAAAAAA1X", "WRONGCODE234", f"ip:10.0.0.{i}")
    ans = login("91110000AAAAAAAA1X", issued["E1"], "ip:10.0.0.99")
    assert ans.status == "wait"
    # another firm's successful login does not reset E1's counter
    assert login("91110000CCCCCCCC3Z", issued["E3"], "ip:10.0.0.98").status == "ok"
    assert login("91110000AAAAAAAA1X", issued["E1"], "ip:10.0.0.97").status == "wait"
    clock.now += ans.wait + 1
    ok = login("91110000AAAAAAAA1X", issued["E1"], "ip:10.0.0.97")
    assert ok.status == "ok" and ok.enterprise_id == "E1"


def test_portal_login_needs_the_firm_in_the_published_list(firms, tmp_path):
    store = tmp_path / "codes.toml"
    issued = {r["enterprise_id"]: r["code"] for r in access.issue_codes(store, firms, author="x")}
    entries = access.load_codes(store)
    ans = access.portal_login(
        entries,
        firms.drop(index="E1"),
        "91110000AAAAAAAA1X",
        issued["E1"],
        "c",
        code_throttle=access.Throttle(),
        client_throttle=access.Throttle(),
    )
    assert ans.status == "denied"


def test_letters_show_each_firm_its_code(firms, tmp_path):
    issued = access.issue_codes(tmp_path / "c.toml", firms, author="x")
    html = access.letters_html(issued, bureau="某市生态环境局", url="https://example.org/portal")
    for r in issued:
        assert r["code"] in html and r["name"] in html and r["credit_code"] in html
    assert html.count('class="letter"') == 3 and "page-break-after" in html and "某市生态环境局" in html


def _run_access(*args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "planner.app.access", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PLANNER_CONFIG_DIR": "/nonexistent"},
    )


def test_hash_tool_never_prompts_without_terminal():
    out = _run_access("--help")
    assert out.returncode == 0 and "--stdin" in out.stdout and "password:" not in out.stdout + out.stderr
    out = _run_access()
    assert out.returncode == 2 and "--stdin" in out.stderr and "Traceback" not in out.stderr
    out = _run_access("--stdin", stdin="bureau-secret-2026\n")
    h = out.stdout.strip().splitlines()[0]
    assert out.returncode == 0 and access.verify_password("bureau-secret-2026", h)
    out = _run_access(
        "--stdin", "--user", "wang", "--name", "王工", "--roles", "editor,approver", stdin="pw-12345678\n"
    )
    assert out.returncode == 0 and "[users.wang]" in out.stdout and '"approver"' in out.stdout
    assert _run_access("--stdin", stdin="short\n").returncode == 2
