"""Real-browser fixtures: ``streamlit run app.py`` on a free loopback port and Debian's Chromium
driven by Playwright (sync API).  Skipped, with the reason, when /usr/bin/chromium is absent.

No network except loopback: the browser aborts every request to another host.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("PLANNER_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def portal_access(scenario_dir, tmp_path_factory) -> dict:
    """The portal scenario published and access codes issued for its first three firms:
    ``{"codes_file": Path, "codes": {enterprise_id: code}}``."""
    from planner.app import access
    from planner.inventory.table import read_inventory
    from planner.scenario import revisions
    from planner.scenario.files import load_scenario

    path = scenario_dir / "demo_list.yaml"
    if revisions.published(path) is None:
        revisions.publish(path, "current", author="browser-test")
    table = read_inventory(load_scenario(path).inventory).table
    codes_file = tmp_path_factory.mktemp("access") / "codes.toml"
    issued = access.issue_codes(codes_file, table, list(table.index[:3]), author="browser-test")
    return {"codes_file": codes_file, "codes": {r["enterprise_id"]: r["code"] for r in issued}}


@pytest.fixture(scope="session")
def app_url(scenario_dir, tmp_path_factory, portal_access):
    """Start ``streamlit run app.py`` on a free port of 127.0.0.1 and wait for its health check."""
    if not CHROMIUM.exists():
        pytest.skip(f"real-browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    port = _free_port()
    env = dict(os.environ)
    env.update(
        {
            "PLANNER_SCENARIO_DIR": str(scenario_dir),
            "PLANNER_CONFIG_DIR": str(tmp_path_factory.mktemp("config")),
            "PLANNER_ACCESS_CODES": str(portal_access["codes_file"]),
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        }
    )
    env.pop("PLANNER_OFFICIALS_PASSWORD_HASH", None)
    env.pop("PLANNER_PORTAL_SCENARIO", None)
    log = (tmp_path_factory.mktemp("log") / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy in 90 s; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"real-browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()
    pw.stop()


def _loopback_only(route):
    host = urlparse(route.request.url).hostname or ""
    if host in LOOPBACK or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
    context.route("**/*", _loopback_only)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(app_url)
    yield pg
    context.close()
