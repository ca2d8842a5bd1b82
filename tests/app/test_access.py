"""Officials' password hashing and configuration; the portal's code check and slow-down."""

from __future__ import annotations

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


def test_config_precedence_env_file_demo(monkeypatch, tmp_path):
    monkeypatch.delenv(access.ENV_HASH, raising=False)
    monkeypatch.setenv(access.ENV_CONFIG_DIR, str(tmp_path))
    cfg = access.officials_config()
    assert cfg.is_demo and access.check_officials_password(access.DEMO_PASSWORD, cfg)
    file_hash = access.hash_password("from-file", iterations=1000)
    (tmp_path / "officials.toml").write_text(f'password_hash = "{file_hash}"\n', encoding="utf-8")
    cfg = access.officials_config()
    assert cfg.source == "file" and cfg.path == tmp_path / "officials.toml"
    assert access.check_officials_password("from-file", cfg)
    assert not access.check_officials_password(access.DEMO_PASSWORD, cfg)
    monkeypatch.setenv(access.ENV_HASH, access.hash_password("from-env", iterations=1000))
    cfg = access.officials_config()
    assert cfg.source == "env" and access.check_officials_password("from-env")


def test_broken_config_file_falls_back_to_demo(monkeypatch, tmp_path):
    monkeypatch.delenv(access.ENV_HASH, raising=False)
    monkeypatch.setenv(access.ENV_CONFIG_DIR, str(tmp_path))
    (tmp_path / "officials.toml").write_text("password_hash = [unclosed", encoding="utf-8")
    assert access.officials_config().is_demo


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


@pytest.fixture
def codes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "credit_code": ["91110000AAAAAAAA1X", "91110000BBBBBBBB2Y", "91110000CCCCCCCC3Z"],
            "access_code": ["123456", "654321", None],
        },
        index=pd.Index(["E1", "E2", "E3"], name="enterprise_id"),
    )


def test_find_enterprise(codes):
    assert access.find_enterprise(codes, "91110000aaaaaaaa1x ", "123456") == "E1"
    assert access.find_enterprise(codes, "91110000AAAAAAAA1X", "654321") is None  # another firm's code
    assert access.find_enterprise(codes, "91110000ZZZZZZZZ9Z", "123456") is None
    assert access.find_enterprise(codes, "91110000CCCCCCCC3Z", "") is None  # no code issued: no login
    assert access.find_enterprise(codes, "", "") is None


def test_portal_login_same_answer_for_wrong_and_unknown(codes):
    clock = Clock()
    session, shared = access.Throttle(clock=clock), access.Throttle(clock=clock)
    a = access.portal_login(codes, "91110000AAAAAAAA1X", "bad", session, shared)
    b = access.portal_login(codes, "91110000ZZZZZZZZ9Z", "bad", access.Throttle(clock=clock), shared)
    assert a.status == b.status == "denied" and a.enterprise_id is None and b.enterprise_id is None


def test_portal_login_slows_down_per_code_across_sessions(codes):
    clock = Clock()
    shared = access.Throttle(free=3, clock=clock)
    for _ in range(4):  # each attempt from a fresh session: only the per-code counter sees them
        access.portal_login(codes, "91110000AAAAAAAA1X", "bad", access.Throttle(clock=clock), shared)
    ans = access.portal_login(codes, "91110000AAAAAAAA1X", "123456", access.Throttle(clock=clock), shared)
    assert ans.status == "wait" and ans.wait > 0
    clock.now += ans.wait
    ok = access.portal_login(codes, "91110000AAAAAAAA1X", "123456", access.Throttle(clock=clock), shared)
    assert ok.status == "ok" and ok.enterprise_id == "E1"
    assert shared.failures("91110000AAAAAAAA1X") == 0


def test_portal_login_slows_down_per_session_across_codes(codes):
    clock = Clock()
    session = access.Throttle(free=3, clock=clock)
    for i in range(4):
        access.portal_login(codes, f"9111000000000000{i}X", "bad", session, access.Throttle(clock=clock))
    ans = access.portal_login(codes, "91110000AAAAAAAA1X", "123456", session, access.Throttle(clock=clock))
    assert ans.status == "wait"
