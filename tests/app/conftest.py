"""Fixtures for the app tests: a private copy of the scenarios (so saving a revision never touches
the repository), a published portal scenario, portal codes issued into a private code file, a
clean access configuration, and helpers to drive ``app.py`` with AppTest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.app import access

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app.py"


@pytest.fixture(scope="session")
def demo_table(scenario_dir) -> pd.DataFrame:
    """The demo inventory (names, credit codes) as the portal sees it."""
    from planner.inventory.table import read_inventory
    from planner.scenario.files import load_scenario

    return read_inventory(load_scenario(scenario_dir / "demo_list.yaml").inventory).table


@pytest.fixture(scope="session")
def published(scenario_dir) -> dict:
    """The portal scenario (demo_list) published as it is."""
    from planner.scenario import revisions

    path = scenario_dir / "demo_list.yaml"
    return revisions.published(path) or revisions.publish(path, "current", author="测试审批人")


@pytest.fixture(scope="session")
def codes_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("access") / "codes.toml"


@pytest.fixture(scope="session")
def portal_codes(codes_file, demo_table) -> dict[str, str]:
    """Access codes issued for the first six firms of the demo list: enterprise id -> code."""
    issued = access.issue_codes(codes_file, demo_table, list(demo_table.index[:6]), author="测试")
    return {r["enterprise_id"]: r["code"] for r in issued}


@pytest.fixture(autouse=True)
def app_env(monkeypatch, scenario_dir, tmp_path, codes_file):
    """Every app test: private scenarios and code file, no configured password (demo default),
    clean throttles."""
    monkeypatch.setenv("PLANNER_SCENARIO_DIR", str(scenario_dir))
    monkeypatch.delenv("PLANNER_PORTAL_SCENARIO", raising=False)
    monkeypatch.delenv(access.ENV_HASH, raising=False)
    monkeypatch.delenv("PLANNER_TRUST_PROXY", raising=False)
    monkeypatch.setenv(access.ENV_CONFIG_DIR, str(tmp_path / "config"))
    monkeypatch.setenv(access.ENV_CODES, str(codes_file))
    access.reset_throttles()
    yield
    access.reset_throttles()
