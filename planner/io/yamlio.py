"""The one YAML reader of the project: safe, strict about duplicate keys, and bounded.

Every YAML file the planner reads (scenarios, policy files under ``data/policy``, ``city.yaml``,
saved revisions, the UI texts) goes through :func:`read_yaml` (a file) or :func:`parse_yaml`
(text already read).  Compared with ``yaml.safe_load`` it

- rejects a key written twice in one mapping (``duplicate key 'B' at grades.B``, with both lines)
  instead of silently keeping the last one; keys brought in by a ``<<:`` merge may be overridden;
- refuses files larger than :data:`MAX_BYTES` before reading them;
- bounds what anchors and aliases (``&name`` / ``*name``) may expand to (:data:`MAX_ALIAS_NODES`
  values beyond the written ones), so that a "billion laughs" document fails at once with a
  message instead of exhausting memory, while ordinary anchors (``orange: *cement_d``) keep working;
- bounds nesting depth (:data:`MAX_DEPTH`), so a 20,000-deep document gives a message rather than
  a ``RecursionError``;
- reads ``1e3`` as the number 1000 (YAML 1.2), not as text;
- returns plain Python data (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``,
  dates), with no object shared between two places of the document (an alias is a copy);
- reports every failure as :class:`planner.problems.InputError` naming the file and line.

The returned :class:`YamlDoc` also knows the line of every key, so that a schema error found later
(:mod:`planner.io.schema_errors`) can name the line as well as the key path.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from planner.problems import InputError

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "Dumper",
    "MapKey",
    "YamlDoc",
    "dump_yaml",
    "format_loc",
    "parse_yaml",
    "read_yaml",
    "read_yaml_text",
]

#: Largest YAML file read (bytes).  Policy and scenario files are a few kB.
MAX_BYTES: int = 5 * 1024 * 1024
#: Deepest nesting of mappings/lists (counting through aliases).
MAX_DEPTH: int = 64
#: Values that aliases may add beyond those written in the file.
MAX_ALIAS_NODES: int = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"

Loc = tuple[Hashable, ...]


class MapKey(int):
    """A mapping key that is a number (``12345:``), told apart from a list index in key paths."""

    __slots__ = ()


def format_loc(loc: Loc) -> str:
    """A key path as messages write it: ``enterprises.E0001.lock.purple``, ``non_industrial[0].name``.

    Examples
    --------
    >>> format_loc(("grades", "B", "orange", 0, "value"))
    'grades.B.orange[0].value'
    >>> format_loc(("enterprises", MapKey(12345), "lock"))
    'enterprises.12345.lock'
    >>> format_loc(())
    ''
    """
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool | MapKey):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document.

    Attributes
    ----------
    data : object
        The document as plain Python data (``None`` for an empty file).
    file : str
        The name of the file used in messages.
    lines : dict
        1-based line of each key path, e.g. ``{("options",): 12, ("options", "discrete"): 13}``;
        a list item's path ends in its index.
    """

    data: Any
    file: str
    lines: dict[Loc, int] = field(default_factory=dict, repr=False)

    def line(self, loc: Loc) -> int | None:
        """Line of ``loc`` or of its nearest ancestor that is written in the file (None at top level)."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return None


class _Problem(Exception):
    """A problem found while loading (message and 1-based line)."""

    def __init__(self, message: str, line: int | None = None, column: str | None = None):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _line(node_or_mark) -> int | None:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return mark.line + 1 if mark is not None and getattr(mark, "line", None) is not None else None


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` composing at most ``max_depth`` levels deep."""

    def __init__(self, stream: str, max_depth: int):
        super().__init__(stream)
        self._depth = 0
        self._max_depth = max_depth

    def compose_node(self, parent, index):  # PyYAML hook
        self._depth += 1
        try:
            if self._depth > self._max_depth:
                raise _Problem(
                    f"the YAML is nested more than {self._max_depth} levels deep; "
                    "policy and scenario files need only a few levels",
                    _line(self.peek_event()),
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node, deep=False):  # PyYAML hook
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:  # e.g. an integer of more than 4300 digits
            shown = str(getattr(node, "value", ""))
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            reason = "it has too many digits" if "digits" in str(exc) else str(exc)
            raise _Problem(f"the value {shown!r} cannot be read: {reason}", _line(node)) from None


# ``1e3`` and ``2E-5`` are numbers, as in YAML 1.2 and as a bureau would mean them (PyYAML, following
# YAML 1.1, reads them as text because they have no decimal point).
_NUMBER_EXPONENT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _NUMBER_EXPONENT, list("-+0123456789"))


class Dumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that knows the loader's numbers.

    Text such as ``1e5`` or ``0E0`` (an enterprise id, a revision id) is written quoted, so that it reads back
    as text.
    """


Dumper.add_implicit_resolver("tag:yaml.org,2002:float", _NUMBER_EXPONENT, list("-+0123456789"))


def dump_yaml(data: Any, **kw) -> str:
    """YAML text of plain data that :func:`parse_yaml` reads back unchanged.

    Keys are kept in their order and Chinese readable; keyword arguments go to :func:`yaml.dump`.
    """
    opts = {"allow_unicode": True, "sort_keys": False, "default_flow_style": False, "width": 100, **kw}
    return yaml.dump(data, Dumper=Dumper, **opts)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: Node, max_depth: int, max_alias_nodes: int) -> None:
    """Reject recursive aliases, and aliases expanding past the limits, without expanding them.

    Sizes and heights are computed once per node (iteratively), so the check costs the size of
    the file as written, whatever the aliases would expand to.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    distinct = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            active.discard(key)
            distinct += 1
            if height[key] > max_depth:
                raise _Problem(
                    f"the YAML is nested more than {max_depth} levels deep (counting what its aliases "
                    "stand for)",
                    _line(node),
                )
            if size[key] - distinct > max_alias_nodes:
                raise _Problem(
                    f"the aliases (*name) of this YAML expand to more than {max_alias_nodes:,} values; "
                    "refusing to expand it (a 'billion laughs' document?)",
                    _line(node),
                )
            continue
        if key in size:
            continue
        if key in active:
            raise _Problem("a YAML alias refers to the mapping or list that contains it", _line(node))
        active.add(key)
        stack.append((node, True))
        for kid in reversed(_children(node)):
            if id(kid) not in size:
                stack.append((kid, False))
    extra = size[id(root)] - distinct
    if extra > max_alias_nodes:
        raise _Problem(
            f"the aliases (*name) of this YAML expand to more than {max_alias_nodes:,} values; "
            "refusing to expand it (a 'billion laughs' document?)",
            _line(root),
        )


def _scalar_key(loader: _Loader, node: Node) -> Hashable:
    """The Python value of a mapping key (or its text when it is not a hashable scalar)."""
    if isinstance(node, ScalarNode):
        try:
            value = loader.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError):
            return node.value
        return value if isinstance(value, Hashable) else node.value
    raise _Problem("a mapping key must be a plain value (text or number), not a mapping or list", _line(node))


def _walk_lines(loader: _Loader, node: Node, loc: Loc, lines: dict[Loc, int]) -> None:
    """Record the line of every key path and reject duplicate keys (aliases followed)."""
    if isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            lines.setdefault((*loc, i), _line(item))
            _walk_lines(loader, item, (*loc, i), lines)
    elif isinstance(node, MappingNode):
        seen: dict[Hashable, int | None] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.append(value_node)
                continue
            key = _scalar_key(loader, key_node)
            here = _line(key_node)
            if key in seen:
                path = format_loc((*loc, key))
                raise _Problem(
                    f"duplicate key {key!r} at {path}: written on line {seen[key]} and again on line "
                    f"{here}; keep one",
                    here,
                    path,
                )
            if isinstance(key, int) and not isinstance(key, bool):
                key = MapKey(key)
            seen[key] = here
            lines[(*loc, key)] = here
            _walk_lines(loader, value_node, (*loc, key), lines)
        for value_node in merged:  # keys merged in with ``<<:`` - the mapping's own keys win
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for src in sources:
                if isinstance(src, MappingNode):
                    for key_node, sub in src.value:
                        if key_node.tag == _MERGE_TAG:
                            continue
                        key = _scalar_key(loader, key_node)
                        if key not in seen:
                            seen[key] = _line(key_node)
                            lines.setdefault((*loc, key), _line(value_node))
                            _walk_lines(loader, sub, (*loc, key), lines)


def _plain(value: Any) -> Any:
    """A copy of constructed data in which no dict or list is shared between two places."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):  # !!omap / !!pairs
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(value, key=repr)
    if isinstance(value, bytes):
        return value
    return value


def _yaml_problem(exc: yaml.YAMLError, text: str) -> _Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        row = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = exc.character
        code = ord(char) if isinstance(char, str) else char
        shown = f"#x{code:04x}" if isinstance(code, int) else repr(code)
        return _Problem(f"not valid YAML: the character {shown} is not allowed in a YAML file", row)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if context and what:
        what = f"{what} ({context})"
    return _Problem(f"not valid YAML: {what}", _line(mark))


def parse_yaml(
    text: str,
    file: str,
    *,
    max_depth: int = MAX_DEPTH,
    max_alias_nodes: int = MAX_ALIAS_NODES,
    max_bytes: int | None = MAX_BYTES,
) -> YamlDoc:
    """Parse YAML text into plain Python data, strictly and within limits.

    Parameters
    ----------
    text : str
        The YAML document (one document; a stream of several is an error).
    file : str
        Name of the file for messages.
    max_depth, max_alias_nodes, max_bytes : int
        Limits, see :data:`MAX_DEPTH`, :data:`MAX_ALIAS_NODES`, :data:`MAX_BYTES`
        (``max_bytes=None``: no size limit on text already in memory).

    Returns
    -------
    YamlDoc

    Raises
    ------
    InputError
        Invalid YAML, a duplicate key, a document over a limit, or a value that cannot be read
        (e.g. an integer of thousands of digits), naming ``file`` and the line.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if max_bytes is not None and len(text) > max_bytes:
        raise InputError.single(file, f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    loader = None
    try:
        try:
            loader = _Loader(text, max_depth)
            root = loader.get_single_node()
            if root is None:
                return YamlDoc(None, file, {})
            _check_expansion(root, max_depth, max_alias_nodes)
            lines: dict[Loc, int] = {}
            _walk_lines(loader, root, (), lines)
            data = loader.construct_document(root)
        except yaml.YAMLError as exc:
            raise _yaml_problem(exc, text) from None
        except RecursionError:
            raise _Problem(f"the YAML is nested more than {max_depth} levels deep") from None
        finally:
            if loader is not None:
                loader.dispose()
    except _Problem as p:
        raise InputError.single(file, p.message, row=p.line, column=p.column) from None
    return YamlDoc(_plain(data), file, lines)


def read_yaml_text(
    path: str | Path, file: str | None = None, what: str = "file", max_bytes: int = MAX_BYTES
) -> str:
    """The UTF-8 text of a YAML file, refusing missing, oversized and undecodable files.

    Parameters
    ----------
    path : str or Path
    file : str, optional
        Name of the file for messages (default: ``path`` as given).
    what : str
        What the file is, for messages (``"scenario file"``, ``"measures file"`` ...).
    max_bytes : int

    Raises
    ------
    InputError
        ``{what} not found``, ``{what} is larger than 5 MB``, ``{what} is not UTF-8 text``, or
        the operating system's reason when it cannot be read.
    """
    file = str(path) if file is None else file
    p = Path(path)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise InputError.single(file, f"{what} is not a file")
        if size > max_bytes:
            raise InputError.single(
                file,
                f"{what} is larger than {max_bytes // (1024 * 1024)} MB ({size:,} bytes); refusing to read it",
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError.single(file, f"{what} not found") from None
    except (OSError, ValueError) as exc:  # permission, a NUL byte in the path, too long a name ...
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError.single(file, f"{what} cannot be read: {reason}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw.count(b"\n", 0, exc.start) + 1
        raise InputError.single(file, f"{what} is not UTF-8 text ({exc.reason})", row=row) from None


def read_yaml(path: str | Path, file: str | None = None, what: str = "file", **limits) -> YamlDoc:
    """Read and parse a YAML file (see :func:`parse_yaml` for what is checked).

    Parameters
    ----------
    path : str or Path
    file : str, optional
        Name of the file for messages (default: ``path`` as given).
    what : str
        What the file is, for messages.
    **limits
        ``max_bytes``, ``max_depth``, ``max_alias_nodes``.

    Returns
    -------
    YamlDoc

    Raises
    ------
    InputError
    """
    file = str(path) if file is None else file
    text = read_yaml_text(path, file, what, limits.pop("max_bytes", MAX_BYTES))
    return parse_yaml(text, file, max_bytes=None, **limits)
