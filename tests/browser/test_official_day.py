"""An official's whole day in a real browser (issue 14, item 7), in Chinese and in English:

log in → upload the bureau's own list → lock a firm below its mandatory floor (a warning and a
reason) → re-solve (the save form stays open) → save a draft → approve and publish → issue the
firm's portal code (the printable letter) → the firm logs in and sees its published obligations →
export the emergency list and every 一厂一策 sheet as one archive.

Every step takes a screenshot (``test-artifacts/day-<lang>-NN-*.png``) and checks the page's
visible text with :func:`planner.app.i18n.raw_terms`: no raw code, ``None`` or English word in
the Chinese UI, no raw value in either, and no error box.  That text includes what Streamlit's
select boxes announce to screen readers (off screen, in English unless the app translates it).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from test_app_browser import MEDIUM, ROW, SMALL, charts, wait_idle

from planner.app.access import DEMO_PASSWORD
from planner.app.i18n import raw_terms, t

pytestmark = pytest.mark.browser
# the shared 2-core machine: a first solve of the demo city can take half a minute
expect.set_options(timeout=60_000)


@pytest.fixture(scope="module")
def walk_lists(scenario_dir, tmp_path_factory) -> dict:
    """Per language, the bureau's "own" list to upload: the demo list with a firm that has a
    mandatory floor at every level moved to the first row (a different firm per language),
    written as a GB18030 CSV (zh) or UTF-8 CSV with a BOM (en), as bureaus' files come."""
    from planner.scenario.files import load_scenario
    from planner.scenario.run import run

    sc = load_scenario(scenario_dir / "demo_list.yaml")
    result = run(sc)
    floor = result.prepared.bounds["floor"].transpose("enterprise", "level").to_pandas()
    floor.index = floor.index.astype(str)
    firms = list(floor.index[(floor.min(axis=1) >= 0.2).to_numpy()][:2])
    assert len(firms) == 2, "the demo city has firms with a floor of 20 % or more at every level"
    raw = pd.read_csv(sc.inventory, dtype=str, keep_default_na=False)
    out = tmp_path_factory.mktemp("own-lists")
    lists = {}
    for lang, eid, enc in (("zh", firms[0], "gb18030"), ("en", firms[1], "utf-8-sig")):
        df = pd.concat([raw[raw["enterprise_id"] == eid], raw[raw["enterprise_id"] != eid]])
        path = out / f"本局清单-{lang}.csv"
        df.to_csv(path, index=False, encoding=enc)
        row = raw.set_index("enterprise_id").loc[eid]
        lists[lang] = {
            "path": path,
            "id": eid,
            "name": row["name"],
            "credit_code": row["credit_code"],
            "floor": float(floor.loc[eid].min()),
        }
    return lists


#: Elements whose text is not read as words: Material icons (drawn from ligatures such as
#: ``lock``); Streamlit's screen-reader texts, off screen: the "Skip to main content" link and
#: the uploader's "add icon" button label (Streamlit offers no parameter for either).
NOT_WORDS = '[data-testid="stIconMaterial"], a[href="#stMain"], button[aria-label="Add files"]'


def visible_text(page: Page) -> str:
    """The text a reader sees (``innerText`` skips hidden elements), main area and sidebar."""
    return page.evaluate(
        """(sel) => {
            const hidden = [...document.querySelectorAll(sel)];
            const before = hidden.map(e => e.style.display);
            hidden.forEach(e => { e.style.display = "none"; });
            const text = document.body.innerText;
            hidden.forEach((e, i) => { e.style.display = before[i]; });
            return text;
        }""",
        NOT_WORDS,
    )


def check_text(page: Page, lang: str, where: str, allow: set[str]) -> None:
    """No raw or untranslated word on the page, and no error box (a page that failed)."""
    wait_idle(page)  # the status widget of a running script is Streamlit's (its label drawn in Chinese)
    found = raw_terms(visible_text(page), lang, allow)
    assert not found, f"{where} ({lang}): untranslated or raw words on the page: {found}"
    failed = page.get_by_test_id("stAlertContentError").all_inner_texts()
    assert not failed, f"{where} ({lang}): error on the page: {failed}"


def shot(page: Page, artifacts: Path, lang: str, n: int, name: str) -> None:
    wait_idle(page)
    page.screenshot(path=str(artifacts / f"day-{lang}-{n:02d}-{name}.png"), full_page=True)


def nav(page: Page, key: str, lang: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(t(f"nav.{key}", lang), exact=True).click()
    expect(page.get_by_role("heading", name=t(f"{key}.title", lang))).to_be_visible()
    wait_idle(page)


def expander(page: Page, key: str, lang: str):
    """An expander by its label, opened."""
    exp = page.get_by_test_id("stExpander").filter(has_text=t(key, lang)).first
    summary = exp.locator("summary").first
    if exp.locator("details").first.get_attribute("open") is None:
        summary.click()
        wait_idle(page)
    return exp


def prefix(key: str, lang: str, **fmt) -> str:
    """The fixed start of a message whose later placeholders are not known in advance."""
    return t(key, lang, **{k: "\x00" for k in ("revision", "n")}, **fmt).split("\x00")[0]


def success(page: Page, text: str) -> None:
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=text).first).to_be_visible(
        timeout=120_000
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_officials_day(page: Page, artifacts, scenario_dir, walk_lists, lang):
    own = walk_lists[lang]
    # data shown as it is: scenario names, the fixtures' author names
    allow = {p.stem for p in scenario_dir.glob("*.yaml")} | {"demo", "browser-test", "Wang"}
    n = 0

    # --- log in ------------------------------------------------------------------------------
    if lang == "en":
        page.get_by_test_id("stSidebar").get_by_text("English").click()
    expect(page.get_by_role("heading", name=t("login.title", lang))).to_be_visible()
    wait_idle(page)
    n += 1
    shot(page, artifacts, lang, n, "login")
    check_text(page, lang, "login", allow)
    page.get_by_label(t("login.password", lang), exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=t("login.submit", lang), exact=True).click()
    expect(page.get_by_role("heading", name=t("overview.title", lang))).to_be_visible()
    charts(page)

    # --- upload the bureau's own list ----------------------------------------------------------
    expander(page, "overview.upload", lang)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text=t("overview.upload_inventory", lang))
    n += 1
    shot(page, artifacts, lang, n, "upload-open")
    check_text(page, lang, "upload form", allow)
    uploader.locator("input[type=file]").set_input_files(str(own["path"]))
    expect(page.get_by_text(own["path"].name).first).to_be_visible()
    wait_idle(page, 120)
    charts(page)
    n += 1
    shot(page, artifacts, lang, n, "overview-own-list")
    check_text(page, lang, "overview with the uploaded list", allow | {own["path"].stem})
    expect(page.get_by_test_id("stMetric").first).to_be_visible()

    # --- editor: lock the first firm below its mandatory floor ---------------------------------
    nav(page, "editor", lang)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(500)
    check_text(page, lang, "editor", allow)
    # first data row, column "lock": index (small) + name (medium) + grade (small) + half a small
    warning = page.get_by_test_id("stAlertContentWarning").filter(has_text=own["name"]).first
    for _ in range(3):  # the canvas grid may miss keys while the page is still settling
        grid.click(position={"x": SMALL + MEDIUM + SMALL + SMALL / 2, "y": ROW + ROW / 2})
        page.wait_for_timeout(400)
        page.keyboard.press("Enter")
        page.wait_for_timeout(400)
        page.keyboard.type("0.05")
        page.wait_for_timeout(200)
        page.keyboard.press("Enter")
        page.wait_for_timeout(400)
        page.keyboard.press("Escape")
        wait_idle(page)
        try:
            expect(warning).to_be_visible(timeout=15_000)
            break
        except AssertionError:
            continue
    expect(warning).to_be_visible(timeout=30_000)
    assert "5%" in warning.inner_text()
    resolve = page.get_by_role("button", name=t("editor.resolve", lang), exact=True)
    expect(resolve).to_be_disabled()  # a reason is needed first
    n += 1
    shot(page, artifacts, lang, n, "editor-below-floor")
    check_text(page, lang, "editor, lock below the floor", allow | {own["name"]})
    reason = "经局务会研究同意（民生保障）" if lang == "zh" else "approved by the bureau (essential supply)"
    page.get_by_role("textbox", name=t("editor.lock_reason", lang)).fill(reason)
    page.get_by_role("textbox", name=t("editor.lock_reason", lang)).press("Enter")
    wait_idle(page)

    # the save form is opened and filled in before the re-solve: it must stay as it is
    save = expander(page, "editor.save", lang)
    author = "王工" if lang == "zh" else "Wang"
    save.get_by_role("textbox", name=t("editor.author", lang)).fill(author)
    save.get_by_role("textbox", name=t("editor.message", lang), exact=True).fill(
        "锁定低于下限" if lang == "zh" else "lock below floor"
    )
    save.get_by_role("textbox", name=t("editor.message", lang), exact=True).press("Enter")
    wait_idle(page)
    expect(resolve).to_be_enabled()
    resolve.click()
    expect(page.get_by_text(t("editor.what_changed", lang))).to_be_visible(timeout=120_000)
    charts(page)
    save = page.get_by_test_id("stExpander").filter(has_text=t("editor.save", lang)).first
    expect(save.get_by_role("textbox", name=t("editor.author", lang))).to_be_visible()  # still open
    expect(save.get_by_role("textbox", name=t("editor.author", lang))).to_have_value(author)
    n += 1
    shot(page, artifacts, lang, n, "editor-resolved")
    check_text(page, lang, "editor after the re-solve", allow | {own["name"]})

    # --- save a draft ----------------------------------------------------------------------------
    save.get_by_role("button", name=t("editor.save_button", lang), exact=True).click()
    success(page, prefix("editor.saved", lang, file="demo_list.yaml"))
    n += 1
    shot(page, artifacts, lang, n, "saved-draft")
    check_text(page, lang, "saved draft", allow | {own["name"]})
    text = (scenario_dir / "demo_list.yaml").read_text(encoding="utf-8")
    assert own["id"] in text and reason in text and "inputs/" in text  # the upload is kept

    # --- approve and publish ------------------------------------------------------------------
    pub = expander(page, "editor.publish", lang)
    pub.get_by_role("textbox", name=t("editor.publish_message", lang)).fill(
        "审批通过" if lang == "zh" else "approved"
    )
    pub.get_by_role("button", name=t("editor.publish_button", lang), exact=True).click()
    success(page, prefix("editor.published", lang))
    n += 1
    shot(page, artifacts, lang, n, "published")
    check_text(page, lang, "published", allow | {own["name"]})

    # --- issue the firm's portal code: the printable letter ---------------------------------------
    nav(page, "codes", lang)
    picker = page.get_by_test_id("stMultiSelect").filter(has_text=t("codes.pick", lang))
    # the open list's own texts (its screen-reader count, the empty list) are in the UI language
    picker.locator("input").fill("没有这家企业" if lang == "zh" else "no such firm")
    expect(page.get_by_test_id("stMultiSelectDropdown")).to_contain_text(t("common.no_results", lang))
    check_text(page, lang, "codes picker, nothing found", allow)
    picker.locator("input").fill(own["id"])
    option = page.get_by_role("option", name=re.compile(rf"^{own['id']}\b")).first
    expect(option).to_be_visible()
    announced = t("common.sr_options", lang, n=1) if lang == "zh" else "1 option available."
    expect(page.locator("[data-live-announcer]")).to_contain_text(announced)
    check_text(page, lang, "codes picker, one firm found", allow | {own["name"]})
    option.click()
    page.keyboard.press("Escape")
    wait_idle(page)
    if page.get_by_role("textbox", name=t("codes.author", lang)).count():
        page.get_by_role("textbox", name=t("codes.author", lang)).fill(author)
        page.get_by_role("textbox", name=t("codes.author", lang)).press("Enter")
        wait_idle(page)
    page.get_by_role("button", name=t("codes.issue", lang), exact=True).click()
    wait_idle(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name=t("codes.letters", lang), exact=True).click()
    letter = Path(dl.value.path()).read_text(encoding="utf-8")
    codes = re.findall(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", letter)
    assert len(set(codes)) == 1, "the letter shows the firm's one code"
    n += 1
    shot(page, artifacts, lang, n, "codes-issued")
    check_text(page, lang, "codes page", allow | {own["name"], codes[0]})

    # --- the firm logs in to the portal ---------------------------------------------------------
    nav(page, "portal", lang)
    page.get_by_label(t("portal.credit_code", lang), exact=True).fill(own["credit_code"])
    page.get_by_label(t("portal.access_code", lang), exact=True).fill(codes[0])
    page.get_by_role("button", name=t("portal.submit", lang), exact=True).click()
    expect(page.get_by_role("heading", name=own["name"])).to_be_visible(timeout=120_000)
    charts(page)
    n += 1
    shot(page, artifacts, lang, n, "portal")
    check_text(page, lang, "portal", allow | {own["name"]})
    with page.expect_download() as dl:
        page.get_by_role("button", name=t("portal.download_sheet", lang), exact=True).click()
    sheet = Path(dl.value.path()).read_text(encoding="utf-8")
    assert own["name"] in sheet and reason in sheet  # the published plan, with the override stated

    # --- export: the emergency list and all 一厂一策 sheets --------------------------------------
    nav(page, "overview", lang)
    page.get_by_role("button", name=t("overview.make_workbook", lang), exact=True).click()
    with page.expect_download(timeout=180_000) as dl:
        page.get_by_role("button", name=t("overview.download_workbook", lang), exact=True).click(
            timeout=180_000
        )
    assert dl.value.suggested_filename.endswith("应急减排清单.xlsx")
    assert Path(dl.value.path()).read_bytes()[:2] == b"PK"
    page.get_by_role("button", name=t("overview.make_sheets", lang), exact=True).click()
    with page.expect_download(timeout=300_000) as dl:
        page.get_by_role("button", name=t("overview.download_sheets", lang), exact=True).click(
            timeout=300_000
        )
    with zipfile.ZipFile(io.BytesIO(Path(dl.value.path()).read_bytes())) as z:
        names = z.namelist()
        mine = z.read(f"一厂一策/{own['id']}.html").decode("utf-8")
    assert "一厂一策/index.html" in names and len(names) > 1000
    assert reason in mine
    n += 1
    shot(page, artifacts, lang, n, "exported")
    check_text(page, lang, "overview after the exports", allow)
