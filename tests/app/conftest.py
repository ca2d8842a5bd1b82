"""Fixtures for the app tests: a private copy of the scenarios (so saving a revision never touches
the repository), a clean access configuration, and helpers to drive ``app.py`` with AppTest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.app import access

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app.py"


@pytest.fixture(scope="session")
def demo_table(scenario_dir) -> pd.DataFrame:
    """The demo inventory (names, credit codes, access codes) as the portal sees it."""
    from planner.inventory.table import read_inventory
    from planner.scenario.files import load_scenario

    return read_inventory(load_scenario(scenario_dir / "demo_list.yaml").inventory).table


@pytest.fixture(autouse=True)
def app_env(monkeypatch, scenario_dir, tmp_path):
    """Every app test: private scenarios, no configured password (demo default), clean throttles."""
    monkeypatch.setenv("PLANNER_SCENARIO_DIR", str(scenario_dir))
    monkeypatch.delenv("PLANNER_PORTAL_SCENARIO", raising=False)
    monkeypatch.delenv(access.ENV_HASH, raising=False)
    monkeypatch.setenv(access.ENV_CONFIG_DIR, str(tmp_path / "config"))
    access.CODE_THROTTLE._state.clear()
    yield
    access.CODE_THROTTLE._state.clear()
