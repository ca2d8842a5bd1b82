r"""The library's input messages in the user's language (the app layer; the library stays English).

Validators (:mod:`planner.inventory`, :mod:`planner.scenario.files`, :mod:`planner.targets`,
:mod:`planner.policy`, :mod:`planner.io` …) report :class:`planner.problems.Problem` records whose
``message`` is an English sentence, for the command line and the logs.  The app shows them in
Chinese through the catalogue ``data/i18n/messages.yaml``: each entry is an English regular
expression with named groups and a Chinese template using those groups, e.g.

.. code-block:: yaml

    inventory.not_a_number:
      source: planner.inventory.table
      pattern: "^(?P<what>.+) '(?P<value>.*)' is not a number \\(write e\\.g\\. (?P<example>\\S+), without units or words\\)$"
      zh: "{what}“{value}”不是数字（请写成如 {example} 的数字，不带单位或文字）"
      values: {what: phrase}

``values`` says how a group is shown: as written (the default, for what the user wrote), by its
label (``level``, ``pollutant``, ``grade``, ``control_type``, ``industry``, ``process`` and their
lists ``levels`` …), as a phrase of the catalogue's ``phrases`` section (``phrase``: a field's
name, a value's description), or as a whole message (``message``: a message quoting another).

A message no entry matches is shown in Chinese as a generic sentence naming file, row and column;
its English text only in an expander labelled in Chinese (:func:`untranslated`), and it is logged.
The catalogue is checked on load (unknown or duplicate keys, patterns that do not compile or lack
``^…$``, templates naming groups the pattern does not have); ``tests/app/test_message_catalogue.py``
checks that every message of a corpus of bad inputs is matched.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import re
import string
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from planner.app.i18n import DEFAULT_LANGUAGE, I18N_DIR, t
from planner.problems import InputError, Problem, Problems

log = logging.getLogger("planner.app.messages")

CATALOGUE_FILE = I18N_DIR / "messages.yaml"
_TOP_KEYS = ("source", "notes", "phrases", "messages")
_ENTRY_KEYS = ("source", "pattern", "zh", "values")
#: Lists of codes shown by their labels ("yellow, orange or red" -> 黄色、橙色、红色) ...
LIST_KINDS = {
    "levels": "level",
    "pollutants": "pollutant",
    "grades": "grade",
    "control_types": "control_type",
    "industries": "industry",
    "processes": "process",
}
#: ... and lists of codes the user must write in a file, each with its label: 黄色（yellow）.
CODE_KINDS = {"level_codes": "level", "control_type_codes": "control_type", "grade_codes": "grade"}
#: How a group's text is shown (see the module docstring).
KINDS = (
    "text",
    "level",
    "pollutant",
    "grade",
    "control_type",
    "industry",
    "process",
    *LIST_KINDS,
    *CODE_KINDS,
    "field",
    "choices",
    "phrase",
    "phrases",
    "message",
)


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: an English pattern and its Chinese template."""

    key: str
    pattern: re.Pattern
    zh: str
    source: str
    values: dict[str, str | dict[str, str]]
    #: The longest literal text every match contains (a cheap test before the regex).
    needle: str = ""


@dataclass(frozen=True)
class Catalogue:
    """The message catalogue: whole messages and the phrases they quote."""

    messages: tuple[Entry, ...]
    phrases: tuple[Entry, ...]

    def __len__(self) -> int:
        return len(self.messages)


# --------------------------------------------------------------------------- loading
def load_catalogue(path: str | Path = CATALOGUE_FILE) -> Catalogue:
    """Read and check a message catalogue.

    Parameters
    ----------
    path : str or Path
        A YAML file with ``source``, optional ``notes``, ``phrases`` and ``messages``; the last two
        map an entry key to ``source`` (the module giving the message), ``pattern``, ``zh`` and
        optional ``values``.

    Returns
    -------
    Catalogue

    Raises
    ------
    InputError
        Every problem found (file, line, key path), e.g. an unknown key, a pattern that does not
        compile, a ``zh`` placeholder that is not a group of the pattern, a pattern given twice.
    """
    from planner.io.yamlio import read_yaml
    from planner.policy.vocabulary import check_keys

    path = Path(path)
    label = path.name
    doc = read_yaml(path, label, what="message catalogue")
    data = doc.data
    problems = Problems()
    if not isinstance(data, dict):
        raise InputError.single(
            label, "a message catalogue must be a mapping with source, phrases and messages"
        )
    check_keys(data, _TOP_KEYS, problems, label, required=("source", "messages"))
    sections: dict[str, list[Entry]] = {"phrases": [], "messages": []}
    seen: dict[str, str] = {}
    for section in sections:
        items = data.get(section) or {}
        if not isinstance(items, dict):
            problems.error(label, doc.line((section,)), section, f"{section} must be a mapping of entry keys")
            continue
        for key, raw in items.items():
            where = f"{section}.{key}"
            row = doc.line((section, key))
            entry = _entry(str(key), raw, label, where, row, problems, section == "messages")
            if entry is None:
                continue
            if entry.pattern.pattern in seen:
                problems.error(
                    label, row, f"{where}.pattern", f"the same pattern as {seen[entry.pattern.pattern]}"
                )
                continue
            seen[entry.pattern.pattern] = where
            sections[section].append(entry)
    if not problems.ok:
        raise InputError(problems)
    return Catalogue(tuple(sections["messages"]), tuple(sections["phrases"]))


def _entry(key: str, raw, label: str, where: str, row, problems: Problems, whole: bool) -> Entry | None:
    from planner.policy.vocabulary import check_keys

    if not isinstance(raw, dict):
        problems.error(label, row, where, "an entry must be a mapping with source, pattern and zh")
        return None
    if not check_keys(raw, _ENTRY_KEYS, problems, label, where, required=("source", "pattern", "zh")):
        return None
    source, pattern, zh = (raw.get(k) for k in ("source", "pattern", "zh"))
    values = raw.get("values") or {}
    ok = True
    for name, value in (("source", source), ("pattern", pattern), ("zh", zh)):
        if not isinstance(value, str) or not value.strip():
            problems.error(label, row, f"{where}.{name}", f"{name} must be a non-empty text")
            ok = False
    if not ok:
        return None
    if not re.fullmatch(r"planner(\.\w+)+", source) or importlib.util.find_spec(source) is None:
        problems.error(label, row, f"{where}.source", f"source {source!r} is not a module of the planner")
    if not (pattern.startswith("^") and pattern.endswith("$")):
        problems.error(label, row, f"{where}.pattern", "a pattern must match the whole message (^ … $)")
        return None
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        problems.error(label, row, f"{where}.pattern", f"the pattern does not compile: {exc}")
        return None
    groups = set(compiled.groupindex)
    if compiled.groups != len(groups):
        problems.error(label, row, f"{where}.pattern", "every group must be named ((?P<name>…) or (?:…))")
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(zh) if f is not None}
    except ValueError as exc:
        problems.error(label, row, f"{where}.zh", f"the template is not valid: {exc}")
        return None
    for name in sorted(names - groups):
        problems.error(label, row, f"{where}.zh", f"placeholder {{{name}}} is not a group of the pattern")
    if whole and not re.search(r"[\u4e00-\u9fff]", zh):  # a phrase may be a number or a code
        problems.error(label, row, f"{where}.zh", "the Chinese template has no Chinese text")
    if not isinstance(values, dict):
        problems.error(label, row, f"{where}.values", "values must map group names to kinds")
        return None
    for name, kind in values.items():
        if name not in groups:
            problems.error(label, row, f"{where}.values", f"{name!r} is not a group of the pattern")
        if isinstance(kind, dict):  # a closed vocabulary: English text -> Chinese
            if not kind or not all(isinstance(k, str) and isinstance(v, str) for k, v in kind.items()):
                problems.error(
                    label, row, f"{where}.values.{name}", "a vocabulary maps English texts to Chinese texts"
                )
        elif kind not in KINDS:
            problems.error(
                label, row, f"{where}.values.{name}", f"unknown kind {kind!r}; use {', '.join(KINDS)}"
            )
    return Entry(
        key,
        compiled,
        zh,
        source,
        {str(k): v if isinstance(v, dict) else str(v) for k, v in values.items()},
        _needle(pattern),
    )


def _needle(pattern: str) -> str:
    """Return the longest run of literal characters at the top level of a regular expression.

    Every match of the expression contains it.
    """
    from re import _parser as sre_parse  # the standard library's own regex parser (3.11+)

    best, run = "", []
    for op, arg in sre_parse.parse(pattern):
        if op is sre_parse.LITERAL:
            run.append(chr(arg))
            continue
        best = max(best, "".join(run), key=len)
        run = []
    return max(best, "".join(run), key=len)


@cache
def catalogue() -> Catalogue:
    """Return the shipped catalogue, read once.

    An unusable catalogue is logged and treated as empty, so a broken file never breaks a page (its
    test fails instead).
    """
    try:
        return load_catalogue()
    except InputError as err:
        log.error("message catalogue unusable: %s", err.problems.to_text())
        return Catalogue((), ())


# --------------------------------------------------------------------------- matching
def _match(entries: tuple[Entry, ...], text: str) -> str | None:
    for entry in entries:
        if entry.needle not in text:
            continue
        hit = entry.pattern.fullmatch(text)
        if hit is None:
            continue
        fields: dict[str, str] = {}
        for name, value in hit.groupdict().items():
            shown = _show(entry.values.get(name, "text"), value)
            if shown is None:  # a quoted phrase or message the catalogue does not know
                break
            fields[name] = shown
        else:
            return entry.zh.format(**fields)
    return None


def _split(value: str) -> list[str]:
    return [v for v in re.split(r",\s*|\s+or\s+|\s+and\s+", value.strip()) if v]


def _show(kind, value: str | None) -> str | None:
    """The Chinese text of one group (None when a phrase or quoted message is not in the catalogue)."""
    if value is None:  # an optional part absent from the message
        return ""
    if isinstance(kind, dict):
        return kind.get(value)
    if kind == "text":
        return value
    if kind == "phrase":
        return _match(catalogue().phrases, value)
    if kind == "phrases":  # "a number or a list", "true, false or auto"
        whole = _match(catalogue().phrases, value)
        if whole is not None:
            return whole
        parts = [_match(catalogue().phrases, v) for v in _split(value)]
        return None if any(p is None for p in parts) else "或".join(parts)
    if kind == "field":
        return _field_label(value)
    if kind == "choices":  # "A, B or C" as written, joined the Chinese way: "A、B 或 C"
        parts = _split(value)
        return "、".join(parts[:-1]) + f" 或 {parts[-1]}" if len(parts) > 1 else value
    if kind == "message":
        return match_message(value)
    if kind in LIST_KINDS:
        return "、".join(_label(LIST_KINDS[kind], v) for v in _split(value))
    if kind in CODE_KINDS:
        parts = []
        for v in _split(value):
            label = _label(CODE_KINDS[kind], v)
            parts.append(v if label == v.strip("'\"") else f"{label}（{v}）")
        return "、".join(parts)
    return _label(kind, value)


def _label(kind: str, value: str) -> str:
    """A code's label (the code itself when it has none: it is then what the user wrote)."""
    v = value.strip().strip("'\"")
    key = {
        "level": f"level_short.{v}",
        "pollutant": f"pollutant.{v}",
        "grade": f"grade.{v}",
        "control_type": f"control.{v}",
    }.get(kind)
    if key is not None:
        text = t(key, "zh")
        return v if text == key else text
    try:
        if kind == "industry":
            from planner.policy.vocabulary import industries

            return str(industries()["name_zh"].get(v, v))
        if kind == "process":
            from planner.policy.registry import processes

            table = processes()
            return str(table["name_zh"].get(v, v)) if "name_zh" in table else v
    except Exception:  # a label must never break a page
        log.exception("no label for %s %r", kind, v)
    return v


@cache
def _field_headers() -> dict[str, str]:
    """Field code (lower case) -> its Chinese header in the inventory and lines schemas."""
    import pandas as pd

    from planner import DATA_DIR

    out: dict[str, str] = {}
    for name in ("line_fields.csv", "inventory_fields.csv"):
        table = pd.read_csv(DATA_DIR / "schema" / name, dtype=str, keep_default_na=False)
        for field, aliases in zip(table["field"], table["aliases"], strict=True):
            zh = [a for a in aliases.split("|") if re.search(r"[\u4e00-\u9fff]", a)]
            if zh:
                out[field.lower()] = zh[0]
    return out


def _field_label(value: str) -> str | None:
    """Return the Chinese label of a field named in words (``capacity eia``, ``SO2 share``).

    Its Chinese header, else the catalogue's phrases; None when neither knows it.
    """
    code = re.sub(r"[\s\-]+", "_", value.strip()).lower()
    found = _field_headers().get(code)
    return found if found is not None else _match(catalogue().phrases, value)


@lru_cache(maxsize=4096)
def match_message(message: str) -> str | None:
    """The Chinese text of an English library message, or None when no catalogue entry matches."""
    return _match(catalogue().messages, str(message).strip())


def translate_message(message: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return a library message in ``lang``.

    The English text itself in English; in Chinese its translation, or a generic Chinese sentence
    when the catalogue has none (logged).
    """
    if lang != "zh":
        return str(message)
    found = match_message(message)
    if found is None:
        _log_unmatched(str(message))
        return t("messages.unmatched", "zh")
    return found


def translate_problem(problem: Problem, lang: str = DEFAULT_LANGUAGE) -> Problem:
    """Return the problem with its message in ``lang``.

    In Chinese an unmatched message becomes a generic sentence naming the file, the row and the
    column (the English text is then only shown by :func:`untranslated`).
    """
    if lang != "zh":
        return problem
    found = match_message(problem.message)
    if found is None:
        _log_unmatched(problem.message)
        found = t(
            "messages.unmatched_at",
            "zh",
            where=where(problem, "zh"),
        )
    return dataclasses.replace(problem, message=found)


def where(problem: Problem, lang: str = DEFAULT_LANGUAGE) -> str:
    """``文件 x.csv 第 3 行 “SO2” 列`` (``x.csv, row 3, column 'SO2'``): the problem's place."""
    name = Path(str(problem.file)).name or str(problem.file)
    parts = [t("messages.where_file", lang, file=name)]
    if problem.row is not None:
        parts.append(t("messages.where_row", lang, row=f"{int(problem.row):,}"))
    if problem.column:
        parts.append(t("messages.where_column", lang, column=problem.column))
    return t("messages.where_sep", lang).join(parts)


def problem_text(problem: Problem, lang: str = DEFAULT_LANGUAGE) -> str:
    """One line for a message box: the place, then the message in ``lang``."""
    return t(
        "messages.line", lang, where=where(problem, lang), message=translate_problem(problem, lang).message
    )


def error_text(err: InputError, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return an InputError as one line in ``lang``, in place of ``str(err)``.

    Its first error, and how many more.
    """
    errors = err.problems.errors or list(err.problems)
    if not errors:
        return t("common.unexpected", lang)
    text = problem_text(errors[0], lang)
    if len(errors) > 1:
        text += t("messages.more", lang, n=len(errors) - 1)
    return text


def untranslated(problems, lang: str = DEFAULT_LANGUAGE) -> list[Problem]:
    """The problems whose message the catalogue cannot translate into ``lang`` (none in English)."""
    if lang != "zh":
        return []
    return [p for p in problems if match_message(p.message) is None]


_LOGGED: set[str] = set()


def _log_unmatched(message: str) -> None:
    if message not in _LOGGED and len(_LOGGED) < 10_000:
        _LOGGED.add(message)
        log.warning("no Chinese text for the message %r (add it to data/i18n/messages.yaml)", message)
