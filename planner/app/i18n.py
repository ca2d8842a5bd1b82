"""User-interface text in Chinese (default) and English.

The text lives in ``data/i18n/<lang>.yaml`` as flat ``key: text`` pairs (keys are English
identifiers, dotted by page, e.g. ``overview.title``).  Text may hold ``{name}`` placeholders
filled by :func:`t`.  Both files must have the same keys (a test checks it).
"""

from __future__ import annotations

from functools import cache

from planner import DATA_DIR
from planner.io.yamlio import read_yaml

#: Supported languages, the first being the default.
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
I18N_DIR = DATA_DIR / "i18n"


@cache
def catalog(lang: str) -> dict[str, str]:
    """All UI texts of a language (``zh`` or ``en``), read once."""
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    data = read_yaml(I18N_DIR / f"{lang}.yaml", f"i18n/{lang}.yaml", what="text catalogue").data or {}
    return {str(k): str(v) for k, v in data.items()}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **fmt) -> str:
    """Text for ``key`` in ``lang``, with ``{placeholders}`` filled from ``fmt``.

    A key missing from the language falls back to the other language, then to the key itself,
    so a missing translation never breaks a page.
    """
    text = catalog(lang).get(key)
    if text is None:
        for other in LANGUAGES:
            text = catalog(other).get(key)
            if text is not None:
                break
    if text is None:
        text = key
    if fmt:
        try:
            text = text.format(**fmt)
        except (KeyError, IndexError, ValueError):
            pass
    return text


def level_name(level: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Display name of an alert level (``yellow`` → 黄色 / Yellow)."""
    return t(f"level.{level}", lang)
