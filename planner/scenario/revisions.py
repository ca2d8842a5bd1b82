"""Revisions of scenario files: atomic saves, a readable history, and conflict detection.

Officials revise scenarios (from the app or ``planner save``) and several people may revise the
same one.  This module makes every save

* **atomic and durable** – every file is written to a temporary file in its own folder
  (``.<name>.save-<random>.tmp``), fsync-ed, moved into place with :func:`os.replace` and its
  folder fsync-ed.  The history entry is written *first* and is the commit point; the scenario
  follows.  A process killed in between leaves a committed entry whose text the next save (or
  :func:`recover`) puts in place; killed earlier, nothing changed.  Temporary files left by a
  crash are removed by the next save; the file's permission bits are kept;
* **comment-preserving** – a mapping saved over an existing file is written by updating that
  file's text with :mod:`ruamel.yaml` (round trip), so comments and layout of untouched keys stay
  (:func:`update_text`; a plain dump only when that cannot reproduce the mapping exactly);
* **checked** – the new content must be a valid scenario (it is loaded with
  :func:`planner.scenario.files.load_scenario` from the temporary file, so relative paths resolve as
  they will after the save); nothing is written otherwise;
* **never silent** – replacing an existing scenario requires the revision id the editor started
  from (``expected_revision``).  A save whose expected revision is not the current one raises
  :class:`ConflictError` and writes nothing: the second person sees the conflict, the first
  person's work is kept, and the error suggests a free file name to save the second version as
  a new scenario instead;
* **logged** – each save adds one file ``<folder>/.history/<stem>/NNNN-<revision>.yaml`` with
  who, when, why, the revision ids (parent and new), the list of changed keys (a diff of the
  overrides: ``enterprises.E00012.grade: C -> B``), a unified text diff and the full saved text,
  so any revision can be read back or restored.

Draft → approve → publish
-------------------------
A saved revision is a **draft**.  An official with the approver role publishes one
(:func:`publish`, ``planner publish``): the publication is recorded in
``.history/<stem>/published/NNNN-<revision>.yaml`` (who, when, why, what changed since the
previous publication, SHA-256 of the input files) and the scenario, its ``base:`` chain merged, is
written to ``.<stem>.published.yaml`` next to it (:func:`published_file`) — the only file the
enterprise portal reads.  :func:`audit_log` lists saves and publications in time order.

The **revision id** of a scenario is the first 12 hex digits of the SHA-256 of its file's bytes
(:func:`revision_of`); an edit of any byte, comments included, is a new revision.

A save is serialised by a lock on ``<file>.lock``: an ``flock`` where available (released by the
kernel when its holder dies, so a lock file left by a killed process never blocks), else a file
created with ``O_EXCL`` that is broken when its process is gone or it is too old.  A save that
cannot get the lock raises :class:`LockBusyError` (a clear message, nothing written).

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
import io
import os
import re
import secrets
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from planner.io.yamlio import parse_yaml, read_yaml
from planner.problems import InputError

try:  # POSIX: the save lock is an flock, released by the kernel when its holder dies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = [
    "STALE_LOCK_SECONDS",
    "ConflictError",
    "LockBusyError",
    "Revision",
    "atomic_write",
    "audit_log",
    "base_revision_comment",
    "changed_inputs",
    "checkout",
    "current_revision",
    "diff_mappings",
    "file_lock",
    "format_changes",
    "free_path",
    "history",
    "publications",
    "publish",
    "published",
    "published_file",
    "read_revision",
    "rebase_paths",
    "recover",
    "revision_of",
    "revision_states",
    "save_revision",
    "snapshot_path",
    "update_text",
]

#: Without ``flock``: a lock file whose holder cannot be checked is stale after this (seconds).
STALE_LOCK_SECONDS = 30.0
#: Without ``flock``: a lock file of a live process on this host is stale after this (seconds).
MAX_LOCK_SECONDS = 600.0
#: How long a save waits for another save's lock (seconds).
LOCK_TIMEOUT_SECONDS = 10.0
#: Use ``flock`` where available (tests switch it off to exercise the lock-file fallback).
_USE_FLOCK = True
HISTORY_DIR = ".history"
PUBLISH_DIR = "published"
#: Scenario keys holding paths (resolved relative to the scenario file).
PATH_KEYS = ("inventory", "city", "forecast", "measures", "plants", "lines", "base")
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


_ENTRY_NAME = re.compile(r"^(\d{4,})-([0-9a-f]{6,64})\.yaml$")


def _index(path: Path) -> list[dict]:
    """History entries from their file names only (``number, revision, file``).

    Oldest first: what a save needs without parsing every entry.
    """
    out = []
    folder = _history_dir(path)
    for f in folder.glob("[0-9][0-9][0-9][0-9]*.yaml"):
        m = _ENTRY_NAME.match(f.name)
        if m:
            out.append({"number": int(m.group(1)), "revision": m.group(2), "file": f})
    return sorted(out, key=lambda e: e["number"])


def history(path: str | Path) -> list[dict]:
    """The saved revisions of a scenario, oldest first (metadata and changes, no full text).

    Each entry has ``number, revision, parent, author, time, message, changes, file`` where
    ``file`` is the history file holding that revision.
    """
    folder = _history_dir(Path(path).resolve())
    out = []
    for f in sorted(folder.glob("[0-9][0-9][0-9][0-9]*.yaml")):
        try:
            data = _read_entry(f)
        except InputError:
            continue
        if not isinstance(data, dict):
            continue
        entry = {
            k: data.get(k)
            for k in ("number", "revision", "parent", "author", "time", "message", "changes", "kind")
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
            return _read_entry(entry["file"])["content"]
    raise KeyError(f"no saved revision {revision!r} of {Path(path).name}")


def _entry_for(path: Path, revision: str | None) -> dict | None:
    if revision is None:
        return None
    for entry in reversed(history(path)):
        if entry["revision"] == revision:
            return entry
    return None


def free_path(path: str | Path, tag: str = "") -> Path:
    """A file name next to ``path`` that does not exist yet.

    ``<stem>.<tag>.yaml``, else ``<stem>.<tag>-2.yaml``, ``<stem>.<tag>-3.yaml`` … (up to 999).
    """
    path = Path(path)
    tag = re.sub(r"[^\w\-]+", "_", tag).strip("_") or "revised"
    for i in range(1, 1000):
        cand = path.with_name(f"{path.stem}.{tag}{'' if i == 1 else f'-{i}'}{path.suffix or '.yaml'}")
        if not cand.exists():
            return cand
    raise FileExistsError(f"no free name for {path}")  # pragma: no cover


# --------------------------------------------------------------------------- low-level I/O
def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (not supported on every platform / filesystem)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temp_glob(target_name: str) -> str:
    return f".{target_name}.save-*.tmp"


def _write_temp(folder: Path, target_name: str, text: str, mode: int | None = None) -> Path:
    """Write ``text`` to a new temporary file next to ``folder / target_name``, fsync-ed.

    The file is ``.<target_name>.save-<random>.tmp`` (so that leftovers of a crashed save can be
    recognised and removed), created with the process umask, or with ``mode`` when given.
    """
    name = folder / f".{target_name}.save-{secrets.token_hex(6)}.tmp"
    fd = os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    try:
        try:
            if mode is not None:
                os.chmod(name, mode)
            view = memoryview(text.encode("utf-8"))
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return name


def _file_mode(path: Path) -> int | None:
    """Permission bits of an existing file (kept by a save), None when it does not exist."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def _atomic_write(target: Path, text: str, mode: int | None = None) -> None:
    """Replace ``target`` by ``text`` atomically and durably (temp file, fsync, rename, fsync dir)."""
    tmp = _write_temp(target.parent, target.name, text, mode)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _clean_temps(folder: Path, target_name: str) -> int:
    """Remove temporary files left by crashed saves of ``target_name`` (call under its lock)."""
    n = 0
    for leftover in folder.glob(_temp_glob(target_name)):
        with contextlib.suppress(OSError):
            leftover.unlink()
            n += 1
    return n


def atomic_write(target: str | Path, text: str, mode: int | None = None) -> None:
    """Replace ``target`` by ``text`` atomically and durably.

    Used for every file this module and :mod:`planner.app.access` write; ``mode`` sets the permission bits
    (default: kept when the file exists, else the umask's).
    """
    target = Path(target)
    _atomic_write(target, text, _file_mode(target) if mode is None else mode)


# --------------------------------------------------------------------------- locking
class LockBusyError(RuntimeError):
    """Another save of the same scenario is running (a live process holds its lock).

    Attributes
    ----------
    path : Path
        The scenario file.
    holder : dict
        What the lock file says about its holder (``pid``, ``host``, ``time``), when readable.
    """

    def __init__(self, path: Path, holder: dict):
        self.path = Path(path)
        self.holder = holder
        who = ""
        if holder.get("pid"):
            who = (
                f" (process {holder['pid']} on {holder.get('host') or '?'} since {holder.get('time') or '?'})"
            )
        super().__init__(
            f"{self.path.name} is being saved by someone else{who}; nothing was written, try again "
            f"in a moment"
        )


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _lock_info(lock: Path) -> dict:
    try:
        text = lock.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key in ("pid", "host", "time"):
            out[key] = value.strip()
    if not out and text.strip().isdigit():  # a lock file of an older version: just the pid
        out["pid"] = text.strip()
    return out


def _lock_text() -> str:
    return f"pid {os.getpid()}\nhost {socket.gethostname()}\ntime {_now_iso()}\n"


def _pid_alive(pid: int) -> bool:
    """Whether a process exists on this host (POSIX only; elsewhere: assume it does)."""
    if os.name != "posix" or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_is_stale(lock: Path) -> bool:
    """A lock file (no-``flock`` mode) left by a dead process on this host, or too old."""
    try:
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return False
    info = _lock_info(lock)
    same_host = info.get("host") in (None, socket.gethostname())
    pid = info.get("pid", "")
    if same_host and pid.isdigit() and not _pid_alive(int(pid)):
        return True
    limit = STALE_LOCK_SECONDS if not (same_host and pid.isdigit()) else MAX_LOCK_SECONDS
    return age > limit


@contextlib.contextmanager
def _locked(path: Path, timeout: float | None = None):
    """Hold the save lock of ``path`` (``<file>.lock``) while the block runs.

    With :mod:`fcntl` (Linux, macOS) the lock is an ``flock`` on the lock file: the kernel
    releases it when the holder dies, so a lock file left behind by a killed process never blocks
    a later save.  Elsewhere the lock file is created with ``O_EXCL`` and broken when its process
    is gone (same host) or it is older than :data:`STALE_LOCK_SECONDS`.

    Raises
    ------
    LockBusyError
        If a live process holds the lock for longer than ``timeout`` seconds.
    """
    timeout = LOCK_TIMEOUT_SECONDS if timeout is None else timeout
    lock = _lock_path(path)
    deadline = time.monotonic() + timeout
    if fcntl is not None and _USE_FLOCK:
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # held by a live process
                os.close(fd)
                if time.monotonic() > deadline:
                    raise LockBusyError(path, _lock_info(lock)) from None
                time.sleep(0.05)
                continue
            try:  # the file may have been unlinked by the previous holder: lock the one on disk
                mine, there = os.fstat(fd), os.stat(lock)
                same = (mine.st_ino, mine.st_dev) == (there.st_ino, there.st_dev)
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        try:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, _lock_text().encode(), 0)
            yield
        finally:
            try:
                with contextlib.suppress(OSError):
                    os.unlink(lock)
            finally:
                os.close(fd)  # releases the flock whatever happened
        return
    while True:  # no flock: O_EXCL lock file with pid, host and time
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            if _lock_is_stale(lock):
                grave = lock.with_name(f"{lock.name}.stale-{secrets.token_hex(4)}")
                with contextlib.suppress(OSError):
                    os.replace(lock, grave)
                    os.unlink(grave)
                continue
            if time.monotonic() > deadline:
                raise LockBusyError(path, _lock_info(lock)) from None
            time.sleep(0.05)
            continue
        try:
            with contextlib.suppress(OSError):
                os.write(fd, _lock_text().encode())
        finally:
            os.close(fd)
        break
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def file_lock(path: str | Path, timeout: float | None = None):
    """The save lock of a file (``<file>.lock``) as a context manager (see :func:`_locked`)."""
    return _locked(Path(path), timeout)


# --------------------------------------------------------------------------- YAML text
def dump_yaml(data: dict) -> str:
    """YAML text of a scenario mapping: keys in their order, Chinese kept readable."""
    from planner.io.yamlio import dump_yaml as _dump

    return _dump(data)


def _safe_load(text: str) -> dict:
    data = parse_yaml(text, "scenario").data if text.strip() else {}
    return data if isinstance(data, dict) else {}


#: History and publication entries hold a scenario's full text (and a diff): allow them more
#: bytes than an input file, with the same checks otherwise.
_ENTRY_MAX_BYTES = 256 * 1024 * 1024


def _read_entry(f: Path) -> dict:
    """One history or publication entry (raises InputError when unreadable or not YAML)."""
    data = read_yaml(f, what="history entry", max_bytes=_ENTRY_MAX_BYTES).data
    return data if isinstance(data, dict) else {}


def _rt_update(node, new: dict) -> None:
    """Make the round-trip mapping ``node`` equal to ``new``.

    Untouched keys are kept as they are (with their comments and flow/block style).
    """
    from ruamel.yaml.comments import CommentedMap

    for key in [k for k in node if k not in new]:
        del node[key]
    for key, value in new.items():
        cur = node.get(key, _MISSING) if key in node else _MISSING
        if isinstance(value, dict) and isinstance(cur, CommentedMap):
            _rt_update(cur, value)
        elif cur is _MISSING or type(cur) is not type(value) or cur != value:
            node[key] = value


_MISSING = object()


def update_text(template: str, new_data: dict) -> str | None:
    """``template`` (YAML text) changed to say ``new_data``, keeping its comments and layout.

    Uses :mod:`ruamel.yaml` round-trip mode (YAML 1.1 like the scenario reader).  The result is
    parsed back with the scenario reader's parser and returned only when it gives exactly
    ``new_data``; otherwise (or when the template is not a mapping) None, and the caller dumps
    the mapping plainly.
    """
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.comments import CommentedMap
    except ImportError:  # pragma: no cover - declared dependency
        return None
    rt = YAML(typ="rt")
    rt.version = (1, 1)
    rt.width = 100
    rt.preserve_quotes = True
    try:
        doc = rt.load(template)
        if not isinstance(doc, CommentedMap):
            return None
        _rt_update(doc, new_data)
        buf = io.StringIO()
        rt.dump(doc, buf)
    except Exception:
        return None
    text = buf.getvalue()
    for head in ("%YAML 1.1\n---\n", "%YAML 1.1\n--- "):
        if text.startswith(head):
            text = text[len(head) :]
    try:
        ok = _safe_load(text) == new_data
    except InputError:
        ok = False
    return text if ok else None


# --------------------------------------------------------------------------- recovery
def _recover(path: Path) -> None:
    """Finish or clean up after a save that was interrupted (call under the lock).

    The history entry is the commit point of a save: when the last entry's revision is not on
    disk but its parent is, the process died between the two renames and the scenario is rolled
    forward to the committed text.  Temporary files of crashed saves are removed.
    """
    hdir = _history_dir(path)
    _clean_temps(path.parent, path.name)
    if hdir.is_dir():
        _clean_temps(hdir, "entry")
        _clean_temps(hdir / PUBLISH_DIR, "entry")
    entries = _index(path)
    if not entries:
        return
    last = entries[-1]
    current = current_revision(path)
    if last["revision"] == current:
        return
    try:
        data = _read_entry(last["file"])
        parent, content = data.get("parent"), data["content"]
    except (InputError, KeyError, TypeError):
        return
    if parent != current or revision_of(content) != last["revision"]:
        return
    _atomic_write(path, content, _file_mode(path))


def recover(path: str | Path) -> None:
    """Complete an interrupted save of a scenario and remove temporary files left behind.

    The save is rolled forward to its committed revision.  Every save does this first; call it to repair a
    scenario without saving.
    """
    path = Path(path).resolve()
    with _locked(path):
        _recover(path)


# --------------------------------------------------------------------------- save
def save_revision(
    path: str | Path,
    new_data: dict,
    author: str,
    message: str = "",
    expected_revision: str | None = None,
    *,
    text: str | None = None,
    template: str | None = None,
    validate: bool = True,
) -> Revision:
    """Save a revised scenario atomically, as a draft revision with a history entry.

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
        The exact text to write (e.g. from ``planner save --from``); it must parse to
        ``new_data``.
    template : str, optional
        Without ``text``: YAML text whose comments and layout to keep (default: the file's
        current text); the new text is ``template`` updated to ``new_data``
        (:func:`update_text`), or a plain dump when that is not possible.
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
    LockBusyError
        If another save of the same file is running (nothing is written).
    planner.problems.InputError
        If the new content is not a valid scenario (nothing is written).
    ValueError
        If ``new_data`` is not a mapping, ``text`` does not match it, or the author is blank.

    Notes
    -----
    Order of the steps (each file is written to a temporary file, fsync-ed, renamed, and its
    folder fsync-ed): the history entry first — the commit point — then the scenario.  A process
    killed in between leaves a committed entry whose text the next save (or :func:`recover`)
    puts in place; killed earlier, nothing changed.  The file's permission bits are kept.
    """
    from planner.scenario.files import load_scenario

    path = Path(path).resolve()
    if isinstance(expected_revision, str):
        expected_revision = expected_revision.strip().lower() or None
    if not isinstance(new_data, dict):
        raise ValueError("a scenario must be a mapping of keys to values")
    if author is None or not str(author).strip():
        raise ValueError("author is required (who saves the revision)")
    author = str(author).strip()
    if text is not None and _safe_load(text) != new_data:
        raise ValueError("text does not parse to new_data")
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)

    with _locked(path):
        _recover(path)
        try:
            old_bytes = path.read_bytes()
        except FileNotFoundError:
            old_bytes = None
        current = None if old_bytes is None else revision_of(old_bytes)
        if current != expected_revision:
            raise ConflictError(
                path, expected_revision, current, _entry_for(path, current), free_path(path, author)
            )
        old_text = old_bytes.decode("utf-8", errors="replace") if old_bytes is not None else None
        if text is None:
            base_text = template if template is not None else old_text
            text = (update_text(base_text, new_data) if base_text else None) or dump_yaml(new_data)
        if not text.endswith("\n"):
            text += "\n"
        new_rev = revision_of(text)
        mode = _file_mode(path)

        tmp = _write_temp(folder, path.name, text, mode)
        hist_file = None
        committed = False
        try:
            if validate:
                load_scenario(tmp)
            entries = _index(path)
            hdir = _history_dir(path)
            hdir.mkdir(parents=True, exist_ok=True)
            if old_text is not None and not any(e["revision"] == current for e in entries):
                # the file existed before it had a history: keep its text as a revision first
                _write_entry(hdir, _found_on_disk_entry(path, entries, current, old_text), mode)
                entries = _index(path)
            number = (entries[-1]["number"] + 1) if entries else 0
            changes = diff_mappings(_safe_load(old_text or ""), _safe_load(text))
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
                "author": author,
                "time": _now_iso(),
                "message": message or "",
                "file": path.name,
                "state": "draft",
                "changes": changes,
                "diff": udiff,
                "content": text,
            }
            hist_file = _write_entry(hdir, entry, mode)  # the commit point
            committed = True
            os.replace(tmp, path)
            tmp = None
            _fsync_dir(folder)
        except BaseException:
            if committed and tmp is not None and hist_file is not None:
                # the scenario could not be replaced: take the entry back (best effort; if this
                # fails too, the next save rolls forward to the committed text)
                with contextlib.suppress(OSError):
                    os.unlink(hist_file)
                    _fsync_dir(hist_file.parent)
            raise
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
    return Revision(path, new_rev, current, number, hist_file, changes)


def _write_entry(hdir: Path, entry: dict, mode: int | None = None) -> Path:
    """Write one history (or publication) entry ``NNNN-<revision>.yaml`` durably."""
    target = hdir / f"{entry['number']:04d}-{entry['revision']}.yaml"
    tmp = _write_temp(hdir, "entry", _dump_entry(entry), mode)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(hdir)
    return target


class _Literal(str):
    pass


def _literal_representer(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


class _HistoryDumper(yaml.SafeDumper):
    pass


#: Text PyYAML writes bare but the project's YAML 1.2 loader reads as a number (``1e5``): a
#: revision id such as ``8e1234…`` must stay text.
_NUMBER_LIKE = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _str_representer(dumper, value: str):
    style = "'" if _NUMBER_LIKE.fullmatch(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_HistoryDumper.add_representer(str, _str_representer)
_HistoryDumper.add_representer(_Literal, _literal_representer)


def _dump_entry(entry: dict) -> str:
    e = dict(entry)
    for key in ("diff",):
        if e.get(key):
            # block style keeps the history file readable; trailing spaces would force quoting
            e[key] = _Literal("\n".join(line.rstrip() for line in str(e[key]).splitlines()) + "\n")
    for key in ("content", "snapshot"):
        v = e.get(key)
        if v and all(line == line.rstrip() for line in str(v).splitlines()) and "\t" not in str(v):
            e[key] = _Literal(v)  # exact text (the revision id is its hash): literal only if lossless
    text = yaml.dump(e, Dumper=_HistoryDumper, allow_unicode=True, sort_keys=False, width=100)
    back = parse_yaml(text, "history entry", max_bytes=None).data
    for key in ("content", "snapshot"):
        if entry.get(key) is not None and back.get(key) != entry[key]:
            e[key] = str(entry[key])  # plain (quoted) string: always exact
            text = yaml.dump(e, Dumper=_HistoryDumper, allow_unicode=True, sort_keys=False, width=100)
    return text


def _now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _mtime_iso(path: Path) -> str:
    t = _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.UTC).replace(microsecond=0)
    return t.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- publish
def _publish_dir(path: Path) -> Path:
    return _history_dir(path) / PUBLISH_DIR


def snapshot_path(path: str | Path) -> Path:
    """The file the portal reads.

    The published revision of ``path``, base chain merged (``.<stem>.published.yaml`` next to the scenario;
    hidden, not offered as a scenario).
    """
    path = Path(path).resolve()
    return path.with_name(f".{path.stem}.published.yaml")


def publications(path: str | Path) -> list[dict]:
    """Every publication of a scenario.

    Oldest first (``number, revision, previous, author, time, message, changes, inputs, file``).
    """
    folder = _publish_dir(Path(path).resolve())
    out = []
    for f in sorted(folder.glob("[0-9][0-9][0-9][0-9]-*.yaml")):
        try:
            data = _read_entry(f)
        except InputError:
            continue
        if "revision" not in data:
            continue
        entry = {
            k: data.get(k)
            for k in ("number", "revision", "previous", "author", "time", "message", "changes", "inputs")
        }
        entry["file"] = f
        out.append(entry)
    return out


def published(path: str | Path) -> dict | None:
    """The current publication of a scenario (the last one), None when never published."""
    pubs = publications(path)
    return pubs[-1] if pubs else None


def revision_states(path: str | Path) -> dict[str, str]:
    """State of each saved revision.

    ``published`` (the one the portal shows), ``superseded`` (published before) or ``draft``.
    """
    pubs = publications(path)
    out = {e["revision"]: "draft" for e in history(path)}
    for p in pubs:
        out[p["revision"]] = "superseded"
    if pubs:
        out[pubs[-1]["revision"]] = "published"
    return out


def _entry_text(entry: dict) -> str:
    return _read_entry(entry["file"])["content"]


def _find_revision(path: Path, revision: str) -> dict:
    revision = str(revision or "").strip().lower()
    entries = history(path)
    hits = [e for e in entries if revision and str(e["revision"]).startswith(revision)]
    if not hits:
        known = ", ".join(str(e["revision"]) for e in entries[-5:]) or "none yet"
        raise KeyError(f"no saved revision {revision!r} of {path.name} (latest: {known})")
    if len({e["revision"] for e in hits}) > 1:
        raise KeyError(f"revision {revision!r} of {path.name} is ambiguous: give more digits")
    return hits[-1]


def _snapshot_text(path: Path, content: str) -> tuple[str, dict]:
    """The published text: ``content`` with its base chain merged and paths relative to the scenario's folder.

    Plus the SHA-256 of every input file it names.
    """
    from planner.scenario.files import load_raw, load_scenario

    tmp = _write_temp(path.parent, path.name, content)
    try:
        merged, _chain = load_raw(tmp)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    data = dict(merged)
    data.setdefault("name", path.stem)
    if not data.get("name"):
        data["name"] = path.stem
    own = _safe_load(content)
    inputs = {}
    for key in PATH_KEYS:
        v = data.get(key)
        if isinstance(v, str) and v:
            p = Path(v)
            rel = os.path.relpath(p, path.parent)
            mine = own.get(key)
            if isinstance(mine, str) and mine and not Path(mine).is_absolute():
                data[key] = mine  # the scenario's own relative path (same folder: same file)
            elif not rel.startswith(".."):
                data[key] = rel
            else:
                data[key] = str(p)  # inherited from a base elsewhere: absolute, on purpose
            with contextlib.suppress(OSError):
                inputs[key] = {"path": str(p), "sha256": _sha256_file(p)}
    text = dump_yaml(data)
    tmp = _write_temp(path.parent, path.name, text)
    try:
        load_scenario(tmp)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return text, inputs


def _sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def publish(path: str | Path, revision: str, author: str, message: str = "") -> dict:
    """Publish a saved (draft) revision: from now on the enterprise portal shows it.

    The publication is recorded in ``.history/<stem>/published/NNNN-<revision>.yaml`` with who,
    when, why, what changed since the previously published revision (key by key) and the
    SHA-256 of the inventory and other input files, then the portal's file
    (:func:`snapshot_path`) is written.  Role checks (only approvers publish) are the caller's.

    Parameters
    ----------
    path : str or Path
        The scenario file.
    revision : str
        A saved revision id (a unique prefix is enough); ``"current"`` for the file as it is.
    author : str
        Who approves and publishes.
    message : str, optional

    Returns
    -------
    dict
        The publication entry (as :func:`publications` lists it).

    Raises
    ------
    KeyError
        If the revision is not in the history.
    planner.problems.InputError
        If the revision is not a valid scenario any more (e.g. a data file it names is gone).
    ValueError
        If the author is blank.
    """
    path = Path(path).resolve()
    if author is None or not str(author).strip():
        raise ValueError("author is required (who publishes the revision)")
    author = str(author).strip()
    with _locked(path):
        _recover(path)
        if str(revision).strip().lower() == "current":
            current = current_revision(path)
            if current is None:
                raise KeyError(f"{path.name} does not exist")
            if not any(e["revision"] == current for e in _index(path)):
                _record_on_disk(path, current)
            revision = current
        entry = _find_revision(path, revision)
        content = _entry_text(entry)
        snapshot, inputs = _snapshot_text(path, content)
        prev = published(path)
        prev_data = {}
        if prev is not None:
            with contextlib.suppress(InputError, KeyError, TypeError):
                prev_data = _safe_load(_read_entry(prev["file"])["snapshot"])
        pdir = _publish_dir(path)
        pdir.mkdir(parents=True, exist_ok=True)
        pubs = publications(path)
        record = {
            "number": (pubs[-1]["number"] + 1) if pubs else 0,
            "revision": entry["revision"],
            "previous": prev["revision"] if prev else None,
            "author": author,
            "time": _now_iso(),
            "message": message or "",
            "file": path.name,
            "history": entry["file"].name,
            "changes": diff_mappings(prev_data, _safe_load(snapshot)),
            "inputs": inputs,
            "snapshot": snapshot,
        }
        f = _write_entry(pdir, record, _file_mode(path))  # the commit point
        _write_snapshot(path, snapshot)
    out = {k: record.get(k) for k in ("number", "revision", "previous", "author", "time", "message")}
    out.update(changes=record["changes"], inputs=inputs, file=f)
    return out


def _found_on_disk_entry(path: Path, entries: list[dict], current: str, content: str) -> dict:
    """The history entry of a revision found on disk (the file was saved outside ``planner save``)."""
    return {
        "number": entries[-1]["number"] + 1 if entries else 0,
        "revision": current,
        "parent": entries[-1]["revision"] if entries else None,
        "author": None,
        "time": _mtime_iso(path),
        "message": "revision found on disk (saved outside planner save)",
        "kind": "found_on_disk",
        "file": path.name,
        "changes": [],
        "diff": "",
        "content": content,
    }


def _record_on_disk(path: Path, current: str) -> None:
    entries = _index(path)
    hdir = _history_dir(path)
    hdir.mkdir(parents=True, exist_ok=True)
    _write_entry(
        hdir, _found_on_disk_entry(path, entries, current, path.read_text(encoding="utf-8")), _file_mode(path)
    )


def _write_snapshot(path: Path, snapshot: str) -> None:
    _atomic_write(snapshot_path(path), snapshot, _file_mode(path))


def published_file(path: str | Path) -> Path | None:
    """The portal's file of the published revision of ``path``, None when never published.

    The file is checked against the last publication entry and rewritten from it when it is
    missing or differs (e.g. after a crash between the two writes, or a hand edit).
    """
    path = Path(path).resolve()
    pub = published(path)
    if pub is None:
        return None
    try:
        snapshot = _read_entry(pub["file"])["snapshot"]
    except (InputError, KeyError, TypeError):
        return None
    snap = snapshot_path(path)
    try:
        ok = snap.read_text(encoding="utf-8") == snapshot
    except (OSError, UnicodeDecodeError):
        ok = False
    if not ok:
        with _locked(path):
            _write_snapshot(path, snapshot)
    return snap


def changed_inputs(path: str | Path) -> list[str]:
    """Input files (``inventory``, ``city`` …) that changed since the current publication."""
    pub = published(path)
    if pub is None:
        return []
    folder = Path(path).resolve().parent
    out = []
    for key, info in (pub.get("inputs") or {}).items():
        try:
            now = _sha256_file(folder / info["path"])  # an absolute path stays itself
        except (OSError, KeyError, TypeError):
            now = None
        if now != (info or {}).get("sha256"):
            out.append(key)
    return out


def audit_log(path: str | Path) -> list[dict]:
    """Saves and publications of a scenario in time order.

    ``event`` (``save`` | ``publish``), ``number``, ``revision``, ``author``, ``time``, ``message``,
    ``changes``.
    """
    out = [{"event": "save", **{k: v for k, v in e.items() if k != "file"}} for e in history(path)]
    out += [
        {"event": "publish", **{k: v for k, v in p.items() if k not in ("file", "inputs")}}
        for p in publications(path)
    ]
    return sorted(out, key=lambda e: (str(e.get("time") or ""), e["event"] == "publish"))


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
