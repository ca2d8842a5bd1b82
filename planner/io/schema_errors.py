"""From a pydantic validation error to the project's problems: file, key path, line, plain words.

The schemas of the files a bureau edits (scenarios, shares, city, measures, alert rules) are
pydantic models.  Their errors are written for programmers (``Input should be a valid boolean,
unable to interpret input`` at ``('enterprises', 'E0001', 'exempt')``); this module turns each into a
:class:`planner.problems.Problem` whose

- ``file`` is the file's name for messages,
- ``column`` is the key path as the user wrote it (``enterprises.E0001.lock.purple``,
  ``non_industrial[0].name``), without pydantic's internal union labels,
- ``row`` is the line of that key in the file (when a :class:`~planner.io.yamlio.YamlDoc` is given),
- ``message`` says in plain words what was expected and what was found, suggesting the closest
  valid key for a misspelt one (``unknown key 'sharez' (did you mean 'shares'?); expected one of ...``).

A validator that raises ``ValueError("...")`` has its sentence used as is, so schemas can give
domain messages ("shares are fractions between 0 and 1 (0.4 = 40 %)").

Use :func:`validate` to validate and raise :class:`~planner.problems.InputError` in one step, or
:func:`validation_problems` to add the problems to a collection.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from planner.io.yamlio import MapKey, YamlDoc, format_loc
from planner.problems import InputError, Problems

__all__ = ["Word", "describe_value", "field_message", "suggest_key", "validate", "validation_problems"]

M = TypeVar("M")

_KEY = "[key]"


# --- words ---------------------------------------------------------------------------------------
def suggest_key(name: object, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """A `` (did you mean 'x'?)`` suffix for a misspelt key, or an empty string (case ignored)."""
    choices = [str(c) for c in choices]
    lower = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(str(name).lower(), list(lower), n=1, cutoff=cutoff)
    return f" (did you mean {lower[hits[0]]!r}?)" if hits else ""


def describe_value(value: Any) -> str:
    """The value as a user would recognise it from the YAML file.

    Examples
    --------
    >>> describe_value("no")
    "the text 'no'"
    >>> describe_value(True)
    'true'
    >>> describe_value(None)
    'nothing (null)'
    """
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return repr(value) if abs(value) < 10**15 else "a number too large to use"
    if isinstance(value, float):
        if math.isnan(value):
            return "not-a-number (.nan)"
        if math.isinf(value):
            return "infinity" if value > 0 else "minus infinity"
        return repr(value)
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the text {shown!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return repr(value)[:60]


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


#: pydantic error type -> what was expected (a noun phrase); used in "expected X, got Y".
_EXPECTED = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "decimal_type": "a number",
    "string_type": "text",
    "str_type": "text",
    "dict_type": "a mapping (key: value lines)",
    "mapping_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "dataclass_type": "a mapping (key: value lines)",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "sequence_str": "a list",
    "none_required": "nothing (null)",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "datetime_type": "a date and time",
    "datetime_parsing": "a date and time",
}

_BOUNDS = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
    "multiple_of": ("multiple_of", "a multiple of"),
}


def _expected(err: dict) -> str | None:
    """What the schema expected, as a noun phrase, for type-like errors (None otherwise)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind in ("literal_error", "enum"):
        choices = str(ctx.get("expected", "")).replace("' or '", "', '")
        return f"one of {choices}" if "', '" in choices else choices
    return None


def _message(err: dict, path: str, allowed: list[str] | None, word: str = "key") -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    shown = describe_value(value)
    key = path.rsplit(".", 1)[-1] if path else ""
    if kind == "missing":
        return f"required key {key!r} is missing"
    if kind in ("extra_forbidden", "invalid_key") or (kind == "literal_error" and err.get("_is_key")):
        name = err["loc"][-2] if err.get("_is_key") else err["loc"][-1]
        hint = suggest_key(name, allowed or [])
        tail = f"; expected one of {', '.join(allowed)}" if allowed else ""
        return f"unknown {word} {name!r}{hint}{tail}"
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        disc = str(ctx.get("discriminator", "type")).strip("'")
        return (
            f"unknown {disc} {ctx.get('tag')!r}{suggest_key(ctx.get('tag'), tags)}; "
            f"expected one of {', '.join(tags)}"
        )
    if kind == "union_tag_not_found":
        disc = str(ctx.get("discriminator", "type")).strip("'")
        return f"required key {disc!r} is missing"
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        if isinstance(value, float) and math.isnan(value):
            return f"expected a number {words} {_num(ctx.get(name))}, got {shown}"
        return f"must be {words} {_num(ctx.get(name))}, got {shown}"
    if kind in ("too_short", "too_long"):
        field = ctx.get("field_type", "value").lower()
        if kind == "too_short":
            return (
                f"this {field} needs at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
            )
        return (
            f"this {field} may have at most {ctx.get('max_length')} item(s), got {ctx.get('actual_length')}"
        )
    if kind == "string_too_short":
        return (
            "may not be empty"
            if ctx.get("min_length") == 1
            else f"needs at least {ctx.get('min_length')} characters"
        )
    if kind == "string_too_long":
        return f"may have at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return f"{shown} is not of the expected form"
    if kind in ("value_error", "assertion_error"):
        msg = str(err.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
        return msg
    expected = _expected(err)
    if expected:
        return _expected_message([expected], value)
    return str(err.get("msg", "invalid value")).replace("Input should be", "expected")


def _expected_message(expected: list[str], value: Any) -> str:
    uniq = list(dict.fromkeys(expected))
    shown = describe_value(value)
    text = uniq[0] if len(uniq) == 1 else ", ".join(uniq[:-1]) + " or " + uniq[-1]
    msg = f"expected {text}, got {shown}"
    if "true or false" in uniq and isinstance(value, str):
        msg += " (write true or false without quotes)"
    elif isinstance(value, str) and any(e.startswith(("a number", "a whole", "a finite")) for e in uniq):
        stripped = value.strip().rstrip("%").strip()
        try:
            float(stripped)
        except ValueError:
            pass
        else:
            msg += " (write the number without quotes" + (
                " or %, as a fraction: 0.25 = 25 %)" if "%" in value else ")"
            )
    return msg


# --- locating: loc -> the user's key path, and the keys valid there ---------------------------------
def _clean_loc(loc: tuple, data: Any, kind: str) -> tuple[tuple, bool, frozenset]:
    """The key path in the user's data for a pydantic ``loc`` (union labels dropped).

    Also returns whether the error is about a mapping key, and the positions in ``loc`` of the union labels
    dropped.
    """
    out: list[Hashable] = []
    labels: set[int] = set()
    cur = data
    is_key = False
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if part == _KEY and last:
            is_key = True
            continue
        if isinstance(cur, Mapping) and _in_mapping(part, cur):
            out.append(MapKey(part) if isinstance(part, int) and not isinstance(part, bool) else part)
            cur = cur[part]
        elif isinstance(cur, list | tuple) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
        elif last and kind in ("missing", "extra_forbidden", "invalid_key"):
            out.append(part)
        else:  # pydantic's label of a union member (``float``, ``literal['auto']``, a tag)
            labels.add(i)
    return tuple(out), is_key, frozenset(labels)


def _in_mapping(part: Any, mapping: Mapping) -> bool:
    try:
        return part in mapping
    except TypeError:
        return False


def _strip(ann: Any) -> Any:
    while get_origin(ann) is typing.Annotated:
        ann = get_args(ann)[0]
    return ann


def _metadata(ann: Any) -> list[Any]:
    out: list[Any] = []
    while get_origin(ann) is typing.Annotated:
        out += list(ann.__metadata__)
        ann = get_args(ann)[0]
    return out


def _members(ann: Any) -> list[Any]:
    """The members of a union (each possibly ``Annotated``), or ``[ann]``."""
    bare = _strip(ann)
    if get_origin(bare) in (typing.Union, types.UnionType):
        return [m for a in get_args(bare) for m in _members(a)]
    return [ann]


def _is_model(ann: Any) -> bool:
    ann = _strip(ann)
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _field_for(model: type[BaseModel], part: Any) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if part in (name, info.alias, info.validation_alias):
            return info
    return None


def _tags(model: type[BaseModel]) -> set[str]:
    """Literal values of a model's fields (a discriminated union labels its members by them)."""
    out: set[str] = {model.__name__}
    for info in model.model_fields.values():
        ann = _strip(info.annotation)
        if get_origin(ann) is Literal:
            out.update(str(a) for a in get_args(ann))
    return out


def _resolve(ann: Any, loc: tuple, labels: frozenset = frozenset(), info: FieldInfo | None = None):
    """The annotations found at ``loc`` (a raw pydantic loc) below annotation ``ann``.

    ``labels`` are the positions of ``loc`` that are pydantic's names of union members rather than
    the user's keys (see :func:`_clean_loc`).  Returns ``(annotation, field)`` pairs, ``field`` being
    the model field whose value sits at ``loc`` (None for a dict value or list item).
    """
    if not loc:
        return [(m, info) for m in _members(ann)]
    part, rest = loc[0], loc[1:]
    members = [_strip(m) for m in _members(ann)]
    shifted = frozenset(i - 1 for i in labels if i > 0)
    if 0 in labels:  # a union member's label: follow the member it names (a tag), else all of them
        tagged = [m for m in members if _is_model(m) and str(part) in _tags(m)]
        if tagged:
            return [r for m in tagged for r in _resolve(m, rest, shifted, info)]
        return _resolve(ann, rest, shifted, info)
    found: list = []
    for m in members:
        origin = get_origin(m)
        if _is_model(m):
            sub = _field_for(m, part)
            if sub is not None:
                found += _resolve(sub.annotation, rest, shifted, sub)
        elif origin in (dict, Mapping, typing.Mapping):
            args = get_args(m)
            if part == _KEY:
                found += [(k, None) for k in _members(args[0])] if args else []
            elif len(args) == 2:
                found += _resolve(args[1], rest, shifted, None)
        elif origin in (list, tuple, typing.Sequence) and isinstance(part, int):
            args = get_args(m)
            found += _resolve(args[0], rest, shifted, None) if args else []
    return found


def _allowed_keys(model: Any, loc: tuple, labels: frozenset) -> tuple[list[str], str]:
    """Keys valid in the mapping at ``loc``, and the word naming them.

    The keys are the model fields by alias, or a ``dict[Literal[...], ...]``'s keys; the word is "key", or a
    :class:`Word` such as "level".
    """
    out: list[str] = []
    word = "key"
    for ann, _ in _resolve(model, loc, labels):
        bare = _strip(ann)
        if _is_model(bare):
            out += [info.alias or name for name, info in bare.model_fields.items()]
        elif get_origin(bare) in (dict, Mapping, typing.Mapping):
            args = get_args(bare)
            for key in _members(args[0]) if args else []:
                word = next((w.noun for w in _metadata(key) if isinstance(w, Word)), word)
                if get_origin(_strip(key)) is Literal:
                    out += [str(a) for a in get_args(_strip(key))]
    return list(dict.fromkeys(out)), word


def _field_message(model: Any, loc: tuple, labels: frozenset) -> str | None:
    """The ``message`` a schema gives for the field at ``loc`` (``Field(json_schema_extra=...)``)."""
    for _, info in _resolve(model, loc, labels):
        extra = info.json_schema_extra if info is not None else None
        if isinstance(extra, dict) and extra.get("message"):
            return str(extra["message"])
    return None


class Word:
    """Names what the keys of a ``dict[Literal[...], ...]`` are, for messages.

    ``dict[Annotated[Literal["yellow", "orange", "red"], Word("level")], float]`` makes a misspelt
    key read ``unknown level 'orang' (did you mean 'orange'?)`` instead of ``unknown key``.
    """

    def __init__(self, noun: str):
        self.noun = noun

    def __repr__(self) -> str:
        return f"Word({self.noun!r})"


def field_message(message: str) -> dict:
    """``Field(**field_message("..."))``: the sentence used for any bad value of this field.

    The value found is appended (``...; got the text 'maybe'``).  Errors inside the value (a key
    of a mapping, an item of a list) keep their own messages.
    """
    return {"json_schema_extra": {"message": message}}


# --- the mapper -------------------------------------------------------------------------------------
def validation_problems(
    exc: ValidationError,
    data: Any,
    file: str,
    *,
    model: Any = None,
    doc: YamlDoc | None = None,
    prefix: tuple = (),
    problems: Problems | None = None,
) -> Problems:
    """Turn a pydantic :class:`~pydantic.ValidationError` into problems naming file, key path and line.

    Parameters
    ----------
    exc : pydantic.ValidationError
    data : object
        The input that was validated (to tell the user's keys from pydantic's union labels).
    file : str
        File name for messages.
    model : type, optional
        The model (or annotation) validated; gives the valid keys suggested for a misspelt one.
    doc : YamlDoc, optional
        The parsed file; gives the line of each key path.
    prefix : tuple
        Key path of ``data`` inside the file, when only a part of it was validated.
    problems : Problems, optional
        Collection to add to (a new one by default).

    Returns
    -------
    Problems
    """
    problems = Problems() if problems is None else problems
    entries: list[tuple[tuple, dict]] = []
    for err in exc.errors(include_url=False):
        loc, is_key, labels = _clean_loc(tuple(err["loc"]), data, err["type"])
        err = dict(err, _is_key=is_key, _labels=labels)
        entries.append((loc, err))

    # union alternatives: a type error at a path is noise when another member got further (deeper)
    deeper = {loc[:i] for loc, _ in entries for i in range(len(loc))}
    grouped: dict[tuple, list[dict]] = {}
    for loc, err in entries:
        if _expected(err) and not err["_is_key"] and loc in deeper:
            continue
        grouped.setdefault(loc, []).append(err)

    for loc, errs in grouped.items():
        full = (*prefix, *loc)
        path = format_loc(full)
        row = doc.line(full) if doc is not None else None
        typed = [e for e in errs if _expected(e) and not e["_is_key"]]
        others = [e for e in errs if e not in typed]
        seen: set[str] = set()
        if typed:
            custom = _field_message(model, tuple(typed[0]["loc"]), typed[0]["_labels"]) if model else None
            value = typed[0]["input"]
            msg = (
                f"{custom}; got {describe_value(value)}"
                if custom
                else _expected_message([_expected(e) for e in typed], value)
            )
            seen.add(msg)
            problems.error(file, row, path or None, msg)
        for err in others:
            allowed, word = None, "key"
            raw = tuple(err["loc"])
            if err["type"] in ("extra_forbidden", "invalid_key") or err["_is_key"]:
                parent = raw[:-2] if err["_is_key"] else raw[:-1]
                allowed, word = (
                    _allowed_keys(model, parent, err["_labels"]) if model is not None else ([], "key")
                )
                msg = _message(err, path, allowed, word)
            elif (
                err["type"] not in ("missing", "value_error", "assertion_error")
                and model is not None
                and _field_message(model, raw, err["_labels"])
            ):
                msg = f"{_field_message(model, raw, err['_labels'])}; got {describe_value(err['input'])}"
            else:
                msg = _message(err, path, allowed)
            if msg not in seen:
                seen.add(msg)
                problems.error(file, row, path or None, msg)
    return problems


_ADAPTERS: dict[Any, TypeAdapter] = {}


def _adapter(annotation: Any) -> TypeAdapter:
    """A (cached) TypeAdapter for an annotation that is not a model."""
    try:
        found = _ADAPTERS.get(annotation)
    except TypeError:  # unhashable annotation
        return TypeAdapter(annotation)
    if found is None:
        found = _ADAPTERS[annotation] = TypeAdapter(annotation)
    return found


def validate(
    model: type[M] | Any,
    data: Any,
    file: str,
    *,
    doc: YamlDoc | None = None,
    prefix: tuple = (),
    context: dict | None = None,
) -> M:
    """Validate ``data`` against a pydantic model (or any annotation); raise the problems found.

    Parameters
    ----------
    model : type
        A :class:`pydantic.BaseModel` subclass, or an annotation such as ``dict[str, Measure]``.
    data : object
    file : str
        File name for messages.
    doc : YamlDoc, optional
        The parsed file, for line numbers.
    prefix : tuple
        Key path of ``data`` inside the file.
    context : dict, optional
        Passed to the validators (``info.context``).

    Returns
    -------
    The validated model instance (or value).

    Raises
    ------
    InputError
        Every problem found, each with file, key path and line.
    """
    try:
        if _is_model(model):
            return model.model_validate(data, context=context)
        return _adapter(model).validate_python(data, context=context)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, data, file, model=model, doc=doc, prefix=prefix)) from None
