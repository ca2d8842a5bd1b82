"""Fixtures for the app tests: a private copy of the scenarios (so saving a revision never touches
the repository), a clean access configuration, and helpers to drive ``app.py`` with AppTest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner import access

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app.py"
DEMO = REPO / "data" / "demo_city"


def _demo_city(tmp: Path) -> Path:
    """The bundled demo city, or one generated into ``tmp`` while it is not yet committed."""
    if (DEMO / "enterprises.csv").is_file() and (DEMO / "city.yaml").is_file():
        return DEMO
    from planner.demo import make_demo_city, write_demo_city

    out = tmp / "demo_city"
    write_demo_city(make_demo_city(), out)
    try:
        import yaml

        from planner.demo_forecast import write_demo_forecast

        write_demo_forecast(yaml.safe_load((out / "city.yaml").read_text(encoding="utf-8")), out)
    except Exception:  # noqa: BLE001 - the episode scenario then shows its problem, which is fine
        pass
    return out


@pytest.fixture(scope="session")
def scenario_dir(tmp_path_factory) -> Path:
    """``scenarios/*.yaml`` copied to a temporary folder, data paths made absolute."""
    tmp = tmp_path_factory.mktemp("app")
    demo = _demo_city(tmp)
    out = tmp / "scenarios"
    out.mkdir()
    for f in sorted((REPO / "scenarios").glob("*.yaml")):
        text = f.read_text(encoding="utf-8").replace("../data/demo_city", str(demo)).replace("../data/", str(REPO / "data") + "/")
        (out / f.name).write_text(text, encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def demo_table(scenario_dir) -> pd.DataFrame:
    """The demo inventory (names, credit codes, access codes) as the portal sees it."""
    from planner.inventory import read_inventory
    from planner.scenario import load_scenario

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
