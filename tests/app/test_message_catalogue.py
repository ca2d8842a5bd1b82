"""The message catalogue (data/i18n/messages.yaml, planner.app.messages): checked on load, every
message of a corpus of bad inputs translated, and the app shows input problems in the user's
language (Chinese without English words; English as the library wrote it)."""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from pathlib import Path

import pytest
from app_helpers import goto, new_app, page_text
from message_corpus import build_corpus, problems_of

from planner.app import messages
from planner.app.i18n import ASCII_ALLOWED, raw_terms, t
from planner.problems import InputError, Problem


# --------------------------------------------------------------------------- the catalogue file
def test_shipped_catalogue_loads_and_is_large():
    cat = messages.load_catalogue()
    assert len(cat.messages) >= 100
    assert len(cat.phrases) >= 50
    assert cat.messages[-1].key == "schema.field_got", "the catch-all entry comes last"


def _catalogue(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "messages.yaml"
    path.write_text("source: test\nmessages:\n" + body, encoding="utf-8")
    return path


GOOD = "  a.b: {source: planner.io.tables, pattern: '^the file is empty$', zh: '文件是空的'}\n"


@pytest.mark.parametrize(
    ("body", "column", "words"),
    [
        (
            GOOD + "  a.c: {source: planner.io.tables, pattern: '^x$', zh: '叉', colour: red}\n",
            "messages.a.c.colour",
            "unknown key",
        ),
        (GOOD + GOOD, "messages.a.b", "duplicate key"),
        ("  a.b: {source: planner.io.tables, pattern: '^x$'}\n", "messages.a.b.zh", "required key"),
        (
            "  a.b: {source: planner.io.tables, pattern: '^(?P<v>x$', zh: '叉'}\n",
            "messages.a.b.pattern",
            "does not compile",
        ),
        (
            "  a.b: {source: planner.io.tables, pattern: 'x', zh: '叉'}\n",
            "messages.a.b.pattern",
            "whole message",
        ),
        ("  a.b: {source: planner.io.tables, pattern: '^(x)$', zh: '叉'}\n", "messages.a.b.pattern", "named"),
        (
            "  a.b: {source: planner.io.tables, pattern: '^(?P<v>x)$', zh: '叉{w}'}\n",
            "messages.a.b.zh",
            "{w}",
        ),
        (
            "  a.b: {source: planner.io.tables, pattern: '^x$', zh: 'cross'}\n",
            "messages.a.b.zh",
            "no Chinese",
        ),
        (
            "  a.b: {source: planner.nowhere, pattern: '^x$', zh: '叉'}\n",
            "messages.a.b.source",
            "not a module",
        ),
        (
            "  a.b: {source: planner.io.tables, pattern: '^(?P<v>x)$', zh: '叉{v}', values: {v: colour}}\n",
            "messages.a.b.values.v",
            "unknown kind",
        ),
        (
            GOOD + "  a.c: {source: planner.io.tables, pattern: '^the file is empty$', zh: '空'}\n",
            "messages.a.c.pattern",
            "same pattern",
        ),
    ],
)
def test_catalogue_errors_name_the_entry(tmp_path, body, column, words):
    with pytest.raises(InputError) as exc:
        messages.load_catalogue(_catalogue(tmp_path, body))
    hits = [p for p in exc.value.problems.errors if p.column == column or (p.column or "").startswith(column)]
    assert hits, exc.value.problems.to_text()
    assert any(words in p.message for p in hits), exc.value.problems.to_text()
    assert all(p.file == "messages.yaml" for p in exc.value.problems)


def test_catalogue_needs_source_and_messages(tmp_path):
    path = tmp_path / "messages.yaml"
    path.write_text("phrases: {}\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        messages.load_catalogue(path)
    assert {p.column for p in exc.value.problems} >= {"source", "messages"}


# --------------------------------------------------------------------------- translating
@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "required column 'SO2' (Chinese header e.g. '二氧化硫') is missing",
            "缺少必需的列“二氧化硫”（SO2）",
        ),
        (
            "SO2 emission 'abc' is not a number (write e.g. 1234.5, without units or words)",
            "SO₂排放量“abc”不是数字",
        ),
        ("PM emission '-1' is negative", "颗粒物排放量“-1”为负数"),
        (
            "unknown level 'purple'; expected one of yellow, orange, red",
            "黄色（yellow）、橙色（orange）、红色（red）",
        ),
        (
            "the orange lock 0.2 is lower than the yellow lock 0.5: in a list a firm's cut may not fall "
            "from yellow to orange to red",
            "橙色预警的锁定比例 0.2 低于黄色预警的锁定比例 0.5",
        ),
        (
            "invalid credit code '91139902844056602Q': check character should be P, not Q",
            "校验位应为 P，而不是 Q",
        ),
        (
            "expected true or false, got the text 'no' (write true or false without quotes)",
            "应为true 或 false，实际为文本 'no'（true 或 false 请不加引号）",
        ),
        ("expected a finite number, got infinity", "应为有限的数字，实际为无穷大"),
        (
            "credit code '9113' appears more than once (rows 2, 3, 4, 5, 6, 7 and 4 more)",
            "第 2, 3, 4, 5, 6, 7 行等，另有 4 行",
        ),
        ("mode must be one of list, episode; got the text 'weekly'", "mode 只能是 list 或 episode 之一"),
        (
            "unknown key 'sharez' (did you mean 'shares'?); expected one of name, shares",
            "未知的键 'sharez'（是否应为 'shares'？）",
        ),
    ],
)
def test_messages_in_chinese(english, chinese):
    zh = messages.translate_message(english, "zh")
    assert chinese in zh
    assert messages.translate_message(english, "en") == english


def test_a_quoted_message_the_catalogue_lacks_leaves_the_whole_unmatched():
    assert messages.match_message("invalid credit code 'x': the moon is made of cheese") is None


def test_unmatched_message_is_a_chinese_sentence_naming_the_place_and_is_logged(caplog):
    p = Problem("/tmp/u/清单.csv", 7, "SO2", "the flux capacitor is misaligned")
    with caplog.at_level(logging.WARNING, logger="planner.app.messages"):
        zh = messages.translate_problem(p, "zh")
    assert "flux" not in zh.message
    assert "清单.csv" in zh.message and "第 7 行" in zh.message and "“SO2”列" in zh.message
    assert (zh.file, zh.row, zh.column, zh.severity) == (p.file, p.row, p.column, p.severity)
    assert messages.untranslated([p], "zh") == [p]
    assert messages.untranslated([p], "en") == []
    assert messages.translate_problem(p, "en") == p
    assert any("flux capacitor" in r.getMessage() for r in caplog.records)
    assert not raw_terms(messages.translate_message(p.message, "zh"), "zh")


def test_error_text_replaces_str_of_an_input_error():
    err = InputError(
        [Problem("a.csv", 3, "grade", "unknown grade 'Z'; use A, B or C"), Problem("a.csv", 4, "x", "y")]
    )
    assert messages.error_text(err, "zh").startswith("文件 a.csv，第 3 行，“grade”列：未知的绩效等级“Z”")
    assert "另有 1 处错误" in messages.error_text(err, "zh")
    assert messages.error_text(err, "en").startswith("a.csv, row 3, column 'grade': unknown grade 'Z'")


# --------------------------------------------------------------------------- coverage of a corpus
@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[str, list[Problem]]]:
    cases = build_corpus(tmp_path_factory.mktemp("corpus"))
    return [(c.name, problems_of(c)) for c in cases]


def test_corpus_is_large_and_every_case_is_reported(corpus):
    assert len(corpus) >= 60
    kinds = {name.split(":")[0] for name, _ in corpus}
    assert kinds >= {"inventory", "lines", "city", "scenario", "forecast", "menus", "measures", "plants"}
    silent = [name for name, problems in corpus if not problems]
    assert not silent, f"bad inputs accepted without a problem: {silent}"


def test_every_corpus_message_has_a_chinese_translation(corpus):
    missing: dict[str, list[str]] = defaultdict(list)
    for name, problems in corpus:
        for p in problems:
            if messages.match_message(p.message) is None:
                missing[p.message].append(name)
    lines = [f"  {m!r}  (from {', '.join(sorted(set(c)))})" for m, c in missing.items()]
    assert not missing, "messages without an entry in data/i18n/messages.yaml:\n" + "\n".join(lines)


def test_corpus_translations_hold_no_english_text(corpus):
    """A translation may quote what the user wrote and keys the user must write, never English
    words of the message itself."""
    bad: dict[str, str] = {}
    for _, problems in corpus:
        for p in problems:
            zh = messages.translate_message(p.message, "zh")
            for word in set(_english_words(p.message)) & set(_english_words(zh)):
                if word.lower() in _user_words(p.message):
                    continue
                bad[p.message] = f"{word!r} in {zh!r}"
    assert not bad, "\n".join(f"{m!r}: {w}" for m, w in bad.items())


def _english_words(text: str) -> list[str]:
    """Words of three letters or more that are not codes (no digit, not an acronym such as CEMS
    or GBK) nor allowed as they are (SO2, CSV, …), outside quotes, braces and paths."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"|“[^”]*”|\{[^}]*\}|\S*/\S*|\S+\.(?:csv|xlsx|yaml|nc)\b", " ", text)
    return [
        w
        for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", text)
        if len(w) >= 3
        and w not in ASCII_ALLOWED
        and not w.isupper()
        and "_" not in w  # a code (an id, a key path), not English prose
        and "." not in w
        and not any(c.isdigit() for c in w)
    ]


def _user_words(message: str) -> set[str]:
    """Words the user wrote or must write: quoted values, key names (snake_case, YAML keys of
    "X must be …" sentences) and the listed choices of a message."""
    quoted = " ".join(re.findall(r"'([^']*)'", message))
    words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", quoted)}
    head = re.match(r"^([a-z_]+) (?:must|is|are|gives|maps)\b", message)
    if head:
        words.add(head.group(1))
    # names the user wrote or must write: listed in brackets, after "library:" or "dimension(s)",
    # YAML keys before a colon ("mode: episode") and key paths ("options[0]", "ensemble.chance")
    for listed in re.findall(r"\(([^()]*)\)|\[([^\[\]]*)\]", message):
        words |= {w.lower() for part in listed for w in re.findall(r"[A-Za-z][A-Za-z0-9_.]*", part)}
    for key in re.findall(r"([A-Za-z_][\w.]*)(?=:\s|\[|\.\w)|(?:library:|dimension\(s\)) ([^;]+)", message):
        words |= {w.lower() for part in key for w in re.findall(r"[A-Za-z][A-Za-z0-9_.]*", part)}
    for tail in re.findall(r"(?:one of|expected|use|columns?|dims) \(?([^;()]+)", message):
        words |= {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9_.]*", tail)}
    words |= {"true", "false", "null", "auto", "list", "episode", "highs", "pulp", "cbc", "key", "general"}
    return words


# --------------------------------------------------------------------------- the app
_HEADER = "enterprise_id,name,credit_code,county,industry,grade,control_type,line_count,output_value,SO2,NOx,PM,VOCs"


def _bad_list() -> bytes:
    """A list with a bad grade, a negative SO2, a bad check character, a duplicate id, a number
    with a unit written in full-width digits and a line count of zero (rows 2-4 of the file)."""
    return (
        _HEADER + "\n"
        "X1,甲厂,911399020156898755,城关区,foundry,Z,key,2,1000,-1,1,1,1\n"
        "X1,乙厂,91139902844056602Q,城关区,foundry,C,key,0,1000,1,1,１２.５吨,1\n"
        "X3,丙厂,91139902MA9UT39206,城关区,foundry,C,key,2,1000,1,1,1,1\n"
    ).encode()


def _upload(lang: str):
    at = new_app(lang, official=True)
    goto(at, "overview")
    at.file_uploader(key="up_inventory").set_value(("坏清单.csv", _bad_list(), "text/csv")).run()
    assert not at.exception
    table = at.dataframe[0].value
    return at, table


def test_bad_list_upload_in_chinese_shows_no_english(tmp_path, scenario_dir):
    at, table = _upload("zh")
    col = t("problems.message", "zh")
    shown = list(table[col])
    assert len(shown) >= 5
    headers = set(_HEADER.split(","))
    from planner.inventory.table import validate_inventory

    path = tmp_path / "坏清单.csv"
    path.write_bytes(_bad_list())
    english = [p.message for p in validate_inventory(path)]
    assert len(english) == len(shown)
    for en, zh in zip(english, shown, strict=True):
        tokens = set(re.findall(r"[A-Za-z0-9₂_.+\-]+", zh))
        words = {w for w in tokens if re.search(r"[A-Za-z]{2}", w)} - headers - ASCII_ALLOWED
        assert not words, f"English {words} in {zh!r} (from {en!r})"
        assert zh == messages.translate_message(en, "zh")
    text = page_text(at)
    allow = headers | {p.stem for p in scenario_dir.glob("*.yaml")}  # data: the scenario picker's names
    assert not raw_terms(text, "zh", allow=allow), raw_terms(text, "zh", allow=allow)
    assert not at.expander or all(t("problems.original", "zh", n=0)[:4] not in e.label for e in at.expander)
    assert not at.code, "every message of this list has a translation: no English original shown"


def test_bad_list_upload_in_english_shows_the_library_text(tmp_path):
    _at, table = _upload("en")
    from planner.inventory.table import validate_inventory

    path = tmp_path / "bad.csv"
    path.write_bytes(_bad_list())
    english = [p.message for p in validate_inventory(path)]
    assert list(table[t("problems.message", "en")]) == english
    assert any("is negative" in m for m in english)


def test_unmatched_message_in_the_app_shows_english_only_in_an_expander(monkeypatch):
    """A message the catalogue lacks: the table has a Chinese sentence naming the place; the
    English text is inside an expander labelled in Chinese."""
    from planner.inventory import table as inventory_table
    from planner.problems import Problems

    def fake(path):
        out = Problems()
        out.error(str(path), 3, "SO2", "the flux capacitor is misaligned")
        return out

    monkeypatch.setattr(inventory_table, "validate_inventory", fake)
    at, table = _upload("zh")
    shown = list(table[t("problems.message", "zh")])
    assert len(shown) == 1
    assert "flux" not in shown[0] and "坏清单.csv" in shown[0] and "第 3 行" in shown[0]
    assert [e.label for e in at.expander if e.label.startswith("英文原文")]
    assert any("flux capacitor" in c.value for c in at.code)
