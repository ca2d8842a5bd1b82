"""The app in a real browser: log in, switch pages, edit a grade in the grid, re-solve, see the
numbers change; the enterprise portal never shows another firm.  Screenshots go to test-artifacts/."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from planner.app.access import DEMO_PASSWORD
from planner.app.i18n import t

pytestmark = pytest.mark.browser

# st.data_editor geometry (glide-data-grid): header + rows of 35 px; column widths by the
# column_config width names the editor page sets ("small" 75 px, "medium" 200 px).
ROW = 35
SMALL, MEDIUM = 75, 200


def wait_idle(page: Page, timeout: float = 60) -> None:
    """Wait until the app has finished its script run (the status widget disappears)."""
    page.wait_for_timeout(300)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.get_by_test_id("stStatusWidget").count() == 0:
            return
        page.wait_for_timeout(100)


def login(page: Page) -> None:
    expect(page.get_by_role("heading", name=t("login.title", "zh"))).to_be_visible()
    page.get_by_label(t("login.password", "zh")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=t("login.submit", "zh")).click()
    expect(page.get_by_role("heading", name=t("overview.title", "zh"))).to_be_visible()
    wait_idle(page)


def nav(page: Page, key: str, lang: str = "zh") -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(t(f"nav.{key}", lang), exact=True).click()
    expect(page.get_by_role("heading", name=t(f"{key}.title", lang))).to_be_visible()
    wait_idle(page)


def charts(page: Page) -> None:
    """Wait until the page's lazy parts (plotly charts, data grids) have drawn."""
    wait_idle(page)
    deadline = time.monotonic() + 15
    while page.get_by_test_id("stSkeleton").count() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    for chart in page.get_by_test_id("stPlotlyChart").all():
        if chart.is_visible():  # charts in hidden tabs draw when their tab opens
            expect(chart.locator(".main-svg").first).to_be_visible()
    for grid in page.get_by_test_id("stDataFrame").all():
        if grid.is_visible():
            expect(grid.locator("canvas").first).to_be_attached()
    page.wait_for_timeout(500)


def metric_value(page: Page, label: str) -> str:
    m = page.get_by_test_id("stMetric").filter(has_text=label).first
    return m.get_by_test_id("stMetricValue").inner_text()


def test_login_and_switch_pages(page: Page, artifacts):
    page.screenshot(path=str(artifacts / "01-login.png"), full_page=True)
    login(page)
    expect(page.get_by_text(t("overview.total_loss", "zh"))).to_be_visible()
    charts(page)
    page.screenshot(path=str(artifacts / "02-overview.png"), full_page=True)
    # the episode scenario: forecast AQI with alert colours and the ensemble band
    page.get_by_test_id("stSelectbox").filter(has_text=t("overview.scenario", "zh")).locator("input").click()
    page.get_by_role("option", name="demo_episode", exact=True).click()
    wait_idle(page)
    charts(page)
    page.screenshot(path=str(artifacts / "02b-overview-episode.png"), full_page=True)
    nav(page, "map")
    charts(page)
    page.screenshot(path=str(artifacts / "03-map.png"), full_page=True)
    if page.get_by_test_id("stSidebarNav").get_by_text(t("nav.compare", "zh"), exact=True).count():
        nav(page, "compare")
        charts(page)
        page.screenshot(path=str(artifacts / "03b-compare.png"), full_page=True)
    if page.get_by_test_id("stSidebarNav").get_by_text(t("nav.analysis", "zh"), exact=True).count():
        nav(page, "analysis")
        charts(page)
        page.screenshot(path=str(artifacts / "03c-analysis.png"), full_page=True)
    # English
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    expect(
        page.get_by_role("heading", name=t("analysis.title", "en")).or_(
            page.get_by_role("heading", name=t("map.title", "en"))
        )
    ).to_be_visible()
    nav(page, "overview", "en")
    charts(page)
    page.screenshot(path=str(artifacts / "04-overview-en.png"), full_page=True)
    assert "Traceback" not in page.content()


def test_edit_grade_resolve_numbers_change(page: Page, artifacts):
    login(page)
    nav(page, "editor")
    label = t("overview.total_loss", "zh")
    before = metric_value(page, label)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(500)
    # first data row, column "grade": index (small) + name (medium) + half a small column
    x, y = SMALL + MEDIUM + SMALL / 2, ROW + ROW / 2
    grid.click(position={"x": x, "y": y})
    page.wait_for_timeout(200)
    page.keyboard.press("Enter")  # open the cell editor
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "05-editor-cell-open.png"))
    page.keyboard.type("B-")  # the only grade matching "B-" (typing filters the options)
    page.wait_for_timeout(200)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    page.keyboard.press("Escape")
    wait_idle(page)
    page.screenshot(path=str(artifacts / "06-editor-edited.png"), full_page=True)
    expect(page.get_by_text(t("editor.pending", "zh", n=1))).to_be_visible(timeout=10_000)
    button = page.get_by_role("button", name=t("editor.resolve", "zh"))
    t0 = time.perf_counter()
    button.click()
    expect(page.get_by_text(t("editor.what_changed", "zh"))).to_be_visible()
    deadline = time.monotonic() + 30
    while metric_value(page, label) == before and time.monotonic() < deadline:
        page.wait_for_timeout(20)
    elapsed = time.perf_counter() - t0
    after = metric_value(page, label)
    print(f"\nedit -> re-solved numbers round trip: {elapsed:.2f} s (total loss {before} -> {after})")
    charts(page)
    page.screenshot(path=str(artifacts / "07-editor-resolved.png"), full_page=True)
    page.get_by_text(t("editor.what_changed", "zh")).scroll_into_view_if_needed()
    charts(page)
    page.screenshot(path=str(artifacts / "07b-editor-what-changed.png"))
    assert after != before


def test_portal_shows_only_own_firm(page: Page, artifacts, scenario_dir, portal_access):
    from planner.inventory.table import read_inventory
    from planner.scenario.files import load_scenario

    table = read_inventory(load_scenario(scenario_dir / "demo_list.yaml").inventory).table
    codes = portal_access["codes"]
    me, other = table.loc[next(iter(codes))], table.loc[list(codes)[1]]
    nav(page, "portal")
    page.get_by_label(t("portal.credit_code", "zh")).fill(str(me["credit_code"]))
    page.get_by_label(t("portal.access_code", "zh")).fill("WRONG-CODE-2345")
    page.get_by_role("button", name=t("portal.submit", "zh")).click()
    expect(page.get_by_text(t("portal.denied", "zh"))).to_be_visible()
    page.get_by_label(t("portal.access_code", "zh")).fill(codes[str(me.name)])
    page.get_by_role("button", name=t("portal.submit", "zh")).click()
    expect(page.get_by_role("heading", name=str(me["name"]))).to_be_visible()
    charts(page)
    page.screenshot(path=str(artifacts / "08-portal.png"), full_page=True)
    html = page.content()
    assert str(other["name"]) not in html
    assert str(other["credit_code"]) not in html
    leaked = [n for n in table["name"] if n in html and n not in str(me["name"])]
    assert not leaked
