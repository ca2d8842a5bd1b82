"""Revisions of scenario files: atomic saves, a readable history, and conflict detection.

Officials revise scenarios (from the app or ``planner save``) and several people may revise the
same one.  This module makes every save

* **atomic** – the new text is written to a temporary file in the scenario's own folder, flushed
  and ``fsync``-ed, then moved over the old file with :func:`os.replace`; if anything fails before
  that rename the old file is untouched and the temporary file is removed;
* **checked** – the new content must be a valid scenario (it is loaded with
  :func:`planner.scenario.files.load_scenario` from the temporary file, so relative paths resolve as
  they will after the save); nothing is written otherwise;
* **never silent** – replacing an existing scenario requires the revision id the editor started
  from (``expected_revision``).  A save whose expected revision is not the current one raises
  :class:`ConflictError` and writes nothing: the second person sees the conflict, the first
  person's work is kept, and the error suggests a free file name to save the second version as
  a new scenario instead;
* **logged** – each save adds one file ``<folder>/.history/<stem>/NNNN.yaml`` with who, when,
  why, the revision ids (parent and new), the list of changed keys (a diff of the overrides:
  ``enterprises.E00012.grade: C -> B``), a unified text diff and the full saved text, so any
  revision can be read back or restored.

The **revision id** of a scenario is the first 12 hex digits of the SHA-256 of its file's bytes
(:func:`revision_of`); an edit of any byte, comments included, is a new revision.

A save is serialised by a lock file ``<file>.lock`` created with ``O_EXCL`` (a lock older than
:data:`STALE_LOCK_SECONDS` is treated as left behind by a crashed process and broken).

Typical use (the app)::

    rev = current_revision(path)            # remember when the editor opens the scenario
    ...                                     # user edits
    save_revision(path, new_data, author="王工", message="E00012 升B", expected_revision=rev)

``planner save SCENARIO --from REVISED.yaml`` does the same from the command line; the revision the
edit started from is given with ``--expected-revision`` or read from a ``# base-revision: <id>``
comment that ``planner save SCENARIO --checkout COPY.yaml`` writes at the top of the copy.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import difflib
import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from planner.io.yamlio import parse_yaml, read_yaml
from planner.problems import InputError

__all__ = [
    "ConflictError",
    "Revision",
    "revision_of",
    "current_revision",
    "save_revision",
    "history",
    "read_revision",
    "diff_mappings",
    "format_changes",
    "checkout",
    "base_revision_comment",
    "free_path",
    "rebase_paths",
    "STALE_LOCK_SECONDS",
]

#: A lock file older than this (seconds) is considered stale and broken.
STALE_LOCK_SECONDS = 30.0
#: How long a save waits for another save's lock (seconds).
LOCK_TIMEOUT_SECONDS = 10.0
HISTORY_DIR = ".history"
#: Scenario keys holding paths (resolved relative to the scenario file).
PATH_KEYS = ("inventory", "city", "forecast", "measures", "base")
_BASE_RE = re.compile(r"^#\s*base-revision:\s*([0-9a-fA-F]{6,64})\s*$", re.MULTILINE)


class ConflictError(Exception):
    """The scenario changed since the editor loaded it; nothing was written.

    Attributes
    ----------
    path : Path
        The scenario file.
    expected : str or None
        The revision the editor started from (None: the editor thought it was a new file).
    current : str or None
        The revision on disk now (None: the file does not exist any more).
    current_entry : dict or None
        History metadata of the current revision (author, time, message), when known.
    suggestion : Path
        A free file name next to the scenario to save the edited version as a new scenario.
    """

    def __init__(
        self,
        path: Path,
        expected: str | None,
        current: str | None,
        current_entry: dict | None,
        suggestion: Path,
    ):
        self.path = Path(path)
        self.expected = expected
        self.current = current
        self.current_entry = current_entry
        self.suggestion = Path(suggestion)
        if current is None:
            what = f"{self.path.name} no longer exists (it was at revision {expected} when you loaded it)"
        elif expected is None:
            what = (
                f"{self.path.name} already exists (revision {current}); saving over it needs the revision "
                f"you started from"
            )
        else:
            who = ""
            if current_entry:
                who = f" by {current_entry.get('author') or 'someone'} at {current_entry.get('time')}"
                if current_entry.get("message"):
                    who += f" ({current_entry['message']})"
            what = (
                f"{self.path.name} was changed{who} since you loaded it: you started from revision "
                f"{expected}, it is now at revision {current}"
            )
        super().__init__(
            f"{what}. Your changes were NOT saved and nothing was overwritten. Save them as a new "
            f"scenario (e.g. {self.suggestion.name}) or reload the current version and re-apply them."
        )


@dataclass(frozen=True)
class Revision:
    """The outcome of a save (and one history entry)."""

    path: Path
    revision: str
    parent: str | None
    number: int
    history_file: Path | None
    changes: list[dict]


# --------------------------------------------------------------------------- ids
def revision_of(content: str | bytes) -> str:
    """Revision id of a scenario's content: first 12 hex digits of its SHA-256.

    Parameters
    ----------
    content : str or bytes
        The file's text (UTF-8) or bytes.
    """
    if isinstance(content, str):
        content = content.encode("utf-8")
    return hashlib.sha256(content).hexdigest()[:12]


def current_revision(path: str | Path) -> str | None:
    """Revision id of the file as it is on disk now, or None if it does not exist."""
    try:
        return revision_of(Path(path).read_bytes())
    except FileNotFoundError:
        return None


# --------------------------------------------------------------------------- diffs
def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        if not value and prefix:
            out[prefix] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def diff_mappings(old: dict | None, new: dict | None) -> list[dict]:
    """Key-by-key differences between two scenario mappings.

    Nested mappings are compared leaf by leaf (``enterprises.E00012.grade``); lists and scalars as
    wholes.  Keys keep the order of ``old`` then the new keys of ``new``.

    Returns
    -------
    list of dict
        ``{"key": dotted path, "change": "added" | "removed" | "changed", "before", "after"}``.
    """
    a, b = _flatten(old or {}), _flatten(new or {})
    out = []
    for key in [*a, *(k for k in b if k not in a)]:
        if key not in b:
            out.append({"key": key, "change": "removed", "before": a[key], "after": None})
        elif key not in a:
            out.append({"key": key, "change": "added", "before": None, "after": b[key]})
        elif a[key] != b[key]:
            out.append({"key": key, "change": "changed", "before": a[key], "after": b[key]})
    return out


def format_changes(changes: list[dict]) -> str:
    """One line per change: ``enterprises.E00012.grade: 'C' -> 'B'``."""
    lines = []
    for c in changes:
        if c["change"] == "added":
            lines.append(f"+ {c['key']}: {c['after']!r}")
        elif c["change"] == "removed":
            lines.append(f"- {c['key']}: {c['before']!r}")
        else:
            lines.append(f"~ {c['key']}: {c['before']!r} -> {c['after']!r}")
    return "\n".join(lines) if lines else "(no change of content)"


# --------------------------------------------------------------------------- history
def _history_dir(path: Path) -> Path:
    return path.parent / HISTORY_DIR / path.stem


def history(path: str | Path) -> list[dict]:
    """The saved revisions of a scenario, oldest first (metadata and changes, no full text).

    Each entry has ``number, revision, parent, author, time, message, changes, file`` where
    ``file`` is the history file holding that revision.
    """
    folder = _history_dir(Path(path).resolve())
    out = []
    for f in sorted(folder.glob("[0-9][0-9][0-9][0-9]*.yaml")):
        try:
            data = read_yaml(f, what="history entry").data or {}
        except InputError:
            continue
        if not isinstance(data, dict):
            continue
        entry = {
            k: data.get(k) for k in ("number", "revision", "parent", "author", "time", "message", "changes")
        }
        entry["file"] = f
        out.append(entry)
    return out


def read_revision(path: str | Path, revision: str) -> str:
    """The full text of one saved revision of a scenario (for viewing or restoring).

    Raises
    ------
    KeyError
        If no history entry has that revision id (a unique prefix is enough).
    """
    for entry in reversed(history(path)):
        if str(entry["revision"]).startswith(revision):
            data = read_yaml(entry["file"], what="history entry").data
            return data["content"]
    raise KeyError(f"no saved revision {revision!r} of {Path(path).name}")


def _entry_for(path: Path, revision: str | None) -> dict | None:
    if revision is None:
        return None
    for entry in reversed(history(path)):
        if entry["revision"] == revision:
            return entry
    return None


def free_path(path: str | Path, tag: str = "") -> Path:
    """A file name next to ``path`` that does not exist yet: ``<stem>.<tag>.yaml``, ``<stem>.<tag>-2.yaml`` …"""
    path = Path(path)
    tag = re.sub(r"[^\w\-]+", "_", tag).strip("_") or "revised"
    for i in range(1, 1000):
        cand = path.with_name(f"{path.stem}.{tag}{'' if i == 1 else f'-{i}'}{path.suffix or '.yaml'}")
        if not cand.exists():
            return cand
    raise FileExistsError(f"no free name for {path}")  # pragma: no cover


# --------------------------------------------------------------------------- low-level I/O
def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not supported on every platform / filesystem
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_temp(folder: Path, stem: str, text: str) -> Path:
    """Write ``text`` to a new temporary file in ``folder``, flushed and fsync-ed."""
    fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


@contextlib.contextmanager
def _locked(path: Path, timeout: float = LOCK_TIMEOUT_SECONDS):
    lock = path.with_name(path.name + ".lock")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.write(fd, f"{os.getpid()}\n".encode())
            os.close(fd)
            break
        except FileExistsError:
            try:
                age = time.time() - lock.stat().st_mtime
            except FileNotFoundError:
                continue
            if age > STALE_LOCK_SECONDS:
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                continue
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{path.name} is being saved by someone else (lock {lock.name}); try again"
                ) from None
            time.sleep(0.05)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def dump_yaml(data: dict) -> str:
    """YAML text of a scenario mapping: keys in their order, Chinese kept readable."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)


def _safe_load(text: str) -> dict:
    data = parse_yaml(text, "scenario").data if text.strip() else {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- save
def save_revision(
    path: str | Path,
    new_data: dict,
    author: str,
    message: str = "",
    expected_revision: str | None = None,
    *,
    text: str | None = None,
    validate: bool = True,
) -> Revision:
    """Save a revised scenario atomically, with history and a conflict check.

    Parameters
    ----------
    path : str or Path
        The scenario file to write (created if it does not exist).
    new_data : dict
        The revised scenario mapping (as in the YAML file, ``base:`` and relative paths included).
    author : str
        Who saves (name or login), recorded in the history.
    message : str, optional
        Why (recorded in the history).
    expected_revision : str or None
        The revision id the edit started from (:func:`current_revision` when the scenario was
        loaded).  ``None`` means "this is a new file": saving then fails if the file exists.
    text : str, optional
        The exact text to write (keeps comments, e.g. from ``planner save --from``); it must parse
        to ``new_data``.  By default ``new_data`` is dumped as YAML.
    validate : bool, default True
        Load the new content with :func:`planner.scenario.files.load_scenario` before replacing the
        file (from a temporary file in the same folder, so relative paths resolve the same way).

    Returns
    -------
    Revision
        The new revision id, its parent, its history number and file, and the list of changes.

    Raises
    ------
    ConflictError
        If the file's current revision is not ``expected_revision`` (nothing is written).
    planner.problems.InputError
        If the new content is not a valid scenario (nothing is written).
    ValueError
        If ``new_data`` is not a mapping or ``text`` does not match it.
    """
    from planner.scenario.files import load_scenario

    path = Path(path).resolve()
    if isinstance(expected_revision, str):
        expected_revision = expected_revision.strip().lower() or None
    if not isinstance(new_data, dict):
        raise ValueError("a scenario must be a mapping of keys to values")
    if text is None:
        text = dump_yaml(new_data)
    elif _safe_load(text) != new_data:
        raise ValueError("text does not parse to new_data")
    if not text.endswith("\n"):
        text += "\n"
    if not author or not str(author).strip():
        raise ValueError("author is required (who saves the revision)")
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    new_rev = revision_of(text)

    with _locked(path):
        try:
            old_bytes = path.read_bytes()
        except FileNotFoundError:
            old_bytes = None
        current = None if old_bytes is None else revision_of(old_bytes)
        if current != expected_revision:
            raise ConflictError(
                path, expected_revision, current, _entry_for(path, current), free_path(path, str(author))
            )

        tmp = _write_temp(folder, path.stem, text)
        hist_tmp = None
        try:
            if validate:
                load_scenario(tmp)
            old_text = old_bytes.decode("utf-8", errors="replace") if old_bytes is not None else None
            entries = history(path)
            hdir = _history_dir(path)
            hdir.mkdir(parents=True, exist_ok=True)
            if old_text is not None and not any(e["revision"] == current for e in entries):
                # the file existed before it had a history: keep its text as revision 0
                _write_entry(
                    hdir,
                    0 if not entries else entries[-1]["number"] + 1,
                    {
                        "number": 0 if not entries else entries[-1]["number"] + 1,
                        "revision": current,
                        "parent": None,
                        "author": None,
                        "time": _mtime_iso(path),
                        "message": "revision found on disk (saved outside planner save)",
                        "changes": [],
                        "diff": "",
                        "content": old_text,
                    },
                )
                entries = history(path)
            number = (entries[-1]["number"] + 1) if entries else 0
            changes = diff_mappings(_safe_load(old_text or ""), new_data)
            udiff = "".join(
                difflib.unified_diff(
                    (old_text or "").splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{path.name}@{current}",
                    tofile=f"{path.name}@{new_rev}",
                )
            )
            entry = {
                "number": number,
                "revision": new_rev,
                "parent": current,
                "author": str(author),
                "time": _now_iso(),
                "message": message or "",
                "file": path.name,
                "changes": changes,
                "diff": udiff,
                "content": text,
            }
            hist_tmp = _write_temp(hdir, f"{number:04d}", _dump_entry(entry))
            hist_file = hdir / f"{number:04d}-{new_rev}.yaml"
            os.replace(tmp, path)  # the commit point
            tmp = None
            _fsync_dir(folder)
            os.replace(hist_tmp, hist_file)
            hist_tmp = None
            _fsync_dir(hdir)
        finally:
            for leftover in (tmp, hist_tmp):
                if leftover is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(leftover)
    return Revision(path, new_rev, current, number, hist_file, changes)


def _write_entry(hdir: Path, number: int, entry: dict) -> Path:
    target = hdir / f"{number:04d}-{entry['revision']}.yaml"
    tmp = _write_temp(hdir, f"{number:04d}", _dump_entry(entry))
    os.replace(tmp, target)
    return target


class _Literal(str):
    pass


def _literal_representer(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


class _HistoryDumper(yaml.SafeDumper):
    pass


_HistoryDumper.add_representer(_Literal, _literal_representer)


def _dump_entry(entry: dict) -> str:
    e = dict(entry)
    for key in ("diff", "content"):
        if e.get(key):
            # block style keeps the history file readable; trailing spaces would force quoting
            e[key] = _Literal("\n".join(line.rstrip() for line in str(e[key]).splitlines()) + "\n")
    return yaml.dump(e, Dumper=_HistoryDumper, allow_unicode=True, sort_keys=False, width=100)


def _now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _mtime_iso(path: Path) -> str:
    t = _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.UTC).replace(microsecond=0)
    return t.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- checkout
def base_revision_comment(text: str) -> str | None:
    """The revision id in a ``# base-revision: <id>`` comment of an edited copy, if any."""
    m = _BASE_RE.search(text)
    return m.group(1).lower() if m else None


def strip_base_revision_comment(text: str) -> str:
    """The text without its ``# base-revision:`` line."""
    return _BASE_RE.sub("", text, count=1).lstrip("\n")


def checkout(path: str | Path, copy: str | Path) -> str:
    """Write an editable copy of a scenario, marked with the revision it starts from.

    The copy's first line is ``# base-revision: <id>``; ``planner save SCENARIO --from COPY``
    reads it back as the expected revision, so two people editing copies of the same revision
    cannot overwrite each other's saves.  When the copy lives in another folder its relative paths
    (inventory, city, forecast, measures, base) are written as absolute paths so that the copy
    loads as it is; saving it back restores the scenario's own relative paths.

    Returns
    -------
    str
        The revision id of the scenario.
    """
    path = Path(path).resolve()
    copy = Path(copy).resolve()
    raw = path.read_bytes()
    rev = revision_of(raw)
    text = raw.decode("utf-8")
    if copy.parent != path.parent:
        from planner.scenario.files import scenario_path_keys

        data = _safe_load(text)
        for key in scenario_path_keys(data):
            v = data.get(key)
            if isinstance(v, str) and v and not Path(v).is_absolute():
                data[key] = str((path.parent / v).resolve())
        text = dump_yaml(data)
    copy.write_text(f"# base-revision: {rev}\n" + text, encoding="utf-8")
    return rev


def rebase_paths(
    data: dict,
    from_folder: Path,
    to_folder: Path,
    original: dict | None = None,
    original_folder: Path | None = None,
) -> dict:
    """Rewrite the path keys of a scenario mapping written in ``from_folder`` for ``to_folder``.

    A path naming the same file as the ``original`` scenario's relative value (a scenario in
    ``original_folder``, default ``to_folder``) becomes relative again; other relative paths are
    made relative to ``to_folder``; other absolute paths stay absolute.
    """
    from_folder, to_folder = Path(from_folder).resolve(), Path(to_folder).resolve()
    original_folder = Path(original_folder).resolve() if original_folder is not None else to_folder
    from planner.scenario.files import scenario_path_keys

    out = dict(data)
    for key in scenario_path_keys(data):
        v = out.get(key)
        if not isinstance(v, str) or not v:
            continue
        target = Path(v) if Path(v).is_absolute() else (from_folder / v).resolve()
        o = (original or {}).get(key)
        if (
            isinstance(o, str)
            and o
            and not Path(o).is_absolute()
            and (original_folder / o).resolve() == target
        ):
            out[key] = o if original_folder == to_folder else os.path.relpath(target, to_folder)
        elif not Path(v).is_absolute() and from_folder != to_folder:
            out[key] = os.path.relpath(target, to_folder)
    return out
