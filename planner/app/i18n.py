"""User-interface text in Chinese (default) and English.

The text lives in ``data/i18n/<lang>.yaml`` as flat ``key: text`` pairs (keys are English
identifiers, dotted by page, e.g. ``overview.title``).  Text may hold ``{name}`` placeholders
filled by :func:`t`.  Both files must have the same keys (a test checks it).
"""

from __future__ import annotations

import contextlib
import re
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
        with contextlib.suppress(KeyError, IndexError, ValueError):
            text = text.format(**fmt)
    return text


def level_name(level: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Display name of an alert level (``yellow`` → 黄色 / Yellow)."""
    return t(f"level.{level}", lang)


# --------------------------------------------------------------------------- untranslated text
#: Words a Chinese page may show although they are ASCII: pollutant and index names, units and
#: file formats a bureau uses as they are.
ASCII_ALLOWED: frozenset[str] = frozenset(
    {
        *("SO2", "SO₂", "NOx", "NO2", "PM", "PM2.5", "PM10", "VOCs", "CO", "O3", "AQI", "IAQI"),
        *("CSV", "csv", "XLSX", "xlsx", "Excel", "HTML", "html", "PDF", "pdf", "ZIP", "zip", "netCDF"),
        *("nc", "yaml", "YAML", "toml", "HiGHS", "CBC", "MB", "KB", "GB", "µg", "m³", "mg"),
        # the language switch names itself in both languages, so that a reader of either finds it
        *("Language", "English"),
        "README",
    }
)
#: Raw values a page must never show in either language.
RAW_VALUES: frozenset[str] = frozenset({"None", "nan", "NaN", "NaT", "True", "False", "null", "<NA>"})


@cache
def code_words() -> frozenset[str]:
    """Return every code of the project's vocabularies that a Chinese page must show by its label.

    Levels, grades spelt as words, control types, industries, measure types, processes, control
    classes, statuses, baselines, schedule reasons and columns, units written as codes.
    """
    from planner import LEVELS
    from planner.optimize.options import STATUSES
    from planner.policy import registry
    from planner.policy.classes import control_classes
    from planner.policy.vocabulary import grade_codes, industry_codes

    words: set[str] = set(LEVELS) | set(STATUSES)
    words |= {g for g in grade_codes() if g.isalpha() and len(g) > 1}  # leading, ungraded …
    words |= set(industry_codes())
    words |= set(registry.measure_types()) | set(registry.process_codes()) | set(registry.CLASS_TYPE_LABELS)
    words |= set(control_classes().control_types)
    words |= {
        "optimizer_extra",
        "rules_only",
        "uniform",
        "greedy",
        "same_share",
        "equal_tonnes",
        "floor",
        "optimizer",
    }
    words |= {"self_directed", "curtailment", "output_loss", "loss_at_full", "enterprise_id", "slot"}
    words |= {"grade", "lock", "ceiling", "exempt", "reason", "level", "target", "shortfall", "t/d", "t/a"}
    return frozenset(w for w in words if w)


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_+\-/.]*[A-Za-z0-9_+]|[A-Za-z]|<NA>")


def raw_terms(
    text: str, lang: str = DEFAULT_LANGUAGE, allow: frozenset[str] | set[str] = frozenset()
) -> list[str]:
    """Untranslated words in a page's text, in order of first appearance.

    In both languages: raw values (``None``, ``True``, ``nan`` …).  In Chinese also every code
    of :func:`code_words` (``stop_lines_share``, ``yellow``, ``t/d`` …) and every other English
    word of three letters or more (``Press``, ``Download``), except :data:`ASCII_ALLOWED` and
    ``allow`` (data shown as it is, e.g. scenario file names).  Words with a digit (ids, credit
    codes, ``E0001``) are data, not text.
    """
    found: dict[str, None] = {}
    for tok in _FILE.sub(" ", text or "").split():
        for word in _TOKEN.findall(tok):
            _classify(word.strip(".-/"), lang, allow, found)
    return list(found)


_FILE = re.compile(r"[\w.\-]+\.(?:yaml|csv|xlsx|nc|html|pdf|zip|toml|json|parquet)\b|\b[\w\-]+/(?=\s|$)")


def _classify(word: str, lang: str, allow, found: dict) -> None:
    """Add ``word`` to ``found`` when it is a raw value, a code or an English word (see raw_terms)."""
    if not word or word in allow or word in ASCII_ALLOWED:
        return
    if word in RAW_VALUES:
        found[word] = None
    elif lang == "zh" and not any(ch.isdigit() for ch in word):
        if word in ("t/d", "t/a") or word in code_words() or word.lower() in code_words():
            found[word] = None
        elif "_" in word:
            found[word] = None  # snake_case: a code
        elif "/" in word:  # CSV/XLSX: judge each part
            for part in word.split("/"):
                _classify(part, lang, allow, found)
        elif len(word) >= 3:
            found[word] = None
