"""UI text: both languages have the same keys and placeholders; lookups fall back safely."""

from __future__ import annotations

import re

from planner.app.i18n import LANGUAGES, catalog, level_name, t


def test_languages_have_the_same_keys_and_placeholders():
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en)
    for key in zh:
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_lookup_format_and_fallback():
    assert LANGUAGES[0] == "zh"
    assert t("nav.overview") == "总览" and t("nav.overview", "en") == "Overview"
    assert t("editor.rows", "en", n=3, total=10) == "Showing 3 of 10 enterprises"
    assert t("no.such.key", "en") == "no.such.key"
    assert t("nav.overview", "fr") == "总览"
    assert level_name("red", "en") == "Red alert"


def test_every_key_used_by_the_pages_exists():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    src = "\n".join(
        p.read_text(encoding="utf-8")
        for p in [root / "app.py", *sorted((root / "planner" / "app" / "pages").glob("*.py"))]
    )
    keys = set(re.findall(r"""tr\(["']([a-z_]+\.[A-Za-z_+\-]+)["']""", src))
    missing = sorted(k for k in keys if k not in catalog("zh"))
    assert not missing
