"""Who may see what in the app: officials' logins and roles, and the enterprise portal's codes.

Officials
---------
The bureau's pages sit behind a login.  Only *hashes* of passwords are stored, configured outside
the repository, looked up in this order:

1. the environment variable ``PLANNER_OFFICIALS_PASSWORD_HASH`` (one shared password, roles
   ``editor`` and ``approver``);
2. ``officials.toml`` in ``$PLANNER_CONFIG_DIR`` (default ``~/.config/planner``), either one shared
   password or one entry per official (who saved and who published is then recorded by login)::

       password_hash = "pbkdf2_sha256$..."     # shared password (optional)
       roles = ["editor", "approver"]           # its roles (default: both)

       [users.wang]
       name = "王工"
       password_hash = "pbkdf2_sha256$..."
       roles = ["editor", "approver"]           # editor: edit and save drafts; approver: publish

3. only when *neither* exists, the documented demo password ``demo-2026`` (:data:`DEMO_PASSWORD`),
   which the login page announces.

Configuration errors **fail closed**: a set but blank environment variable, an officials.toml that
cannot be read, is empty, has an unknown key or role or a malformed hash means *no* login, with a
message saying what to fix (:attr:`OfficialsConfig.error`) — never the demo password.  Failed
logins are throttled server-wide (:data:`OFFICIALS_THROTTLE`, per login, per client, and a global
budget).  Make a hash with ``python -m planner.app.access`` (``--stdin`` without a terminal).

Enterprise portal
-----------------
An enterprise logs in with its unified social credit code and an access code issued by the
bureau (``planner access issue``, or the app's 查询码 page).  Codes have :data:`CODE_LENGTH`
characters from an alphabet without look-alikes (:data:`CODE_ALPHABET`), are shown once (and in a
printable letter), and are stored only as salted hashes in a file *outside* the enterprise list
(:func:`codes_path`: ``<scenario folder>/.access/codes.toml`` or ``$PLANNER_ACCESS_CODES``),
keyed by credit code.  A revoked code never logs in.  Failed attempts are throttled per credit
code and per client, shared by all sessions of the server; a successful login of one firm does not
reset the counter of a client or of another firm.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import functools
import getpass
import hashlib
import hmac
import html
import json
import os
import secrets
import sys
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: Environment variable holding the officials' shared password hash.
ENV_HASH = "PLANNER_OFFICIALS_PASSWORD_HASH"
#: Environment variable naming the folder of ``officials.toml`` (default ``~/.config/planner``).
ENV_CONFIG_DIR = "PLANNER_CONFIG_DIR"
#: Environment variable naming the access-code file (default ``<scenario folder>/.access/codes.toml``).
ENV_CODES = "PLANNER_ACCESS_CODES"
#: The documented demo password, used only when nothing is configured.
DEMO_PASSWORD = "demo-2026"
#: Roles an official may have.
ROLES = ("editor", "approver")

PBKDF2_ITERATIONS = 200_000
#: PBKDF2 iterations for access-code hashes.  Codes are random (31^12 ≈ 2^59), not chosen by
#: people, so a modest work factor already makes an offline search of a stolen code file hopeless
#: (≈ 2^70 SHA-256 steps per code) while issuing codes for a city's whole list takes seconds.
CODE_ITERATIONS = 2_000
_DEMO_SALT = b"planner-demo-salt"
#: Access-code characters: digits and capitals without 0/O, 1/I/L (read aloud and typed safely).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: Characters of an access code (31^12 ≈ 7.9e17 codes), shown in groups of four.
CODE_LENGTH = 12


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"))


def hash_password(
    password: str,
    *,
    method: str = "pbkdf2_sha256",
    salt: bytes | None = None,
    iterations: int = PBKDF2_ITERATIONS,
) -> str:
    """Hash a password for storage.

    Parameters
    ----------
    password : str
    method : {"pbkdf2_sha256", "scrypt"}
    salt : bytes, optional
        Random 16 bytes when not given.
    iterations : int
        PBKDF2 iterations.

    Returns
    -------
    str
        ``pbkdf2_sha256$<iterations>$<salt>$<hash>`` or ``scrypt$<n>$<r>$<p>$<salt>$<hash>``.
    """
    salt = secrets.token_bytes(16) if salt is None else salt
    pw = password.encode("utf-8")
    if method == "pbkdf2_sha256":
        digest = hashlib.pbkdf2_hmac("sha256", pw, salt, iterations)
        return f"pbkdf2_sha256${iterations}${_b64(salt)}${_b64(digest)}"
    if method == "scrypt":
        n, r, p = 2**14, 8, 1
        digest = hashlib.scrypt(pw, salt=salt, n=n, r=r, p=p, dklen=32)
        return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"
    raise ValueError(f"unknown hash method {method!r}")


def verify_password(password: str, stored: str) -> bool:
    """Check a password against a stored hash in constant time; False for a malformed hash."""
    try:
        parts = stored.strip().split("$")
        pw = password.encode("utf-8")
        if parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            iterations, salt, want = int(parts[1]), _unb64(parts[2]), _unb64(parts[3])
            got = hashlib.pbkdf2_hmac("sha256", pw, salt, iterations)
        elif parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            salt, want = _unb64(parts[4]), _unb64(parts[5])
            got = hashlib.scrypt(pw, salt=salt, n=n, r=r, p=p, dklen=len(want))
        else:
            return False
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# --------------------------------------------------------------------------- officials
@dataclass(frozen=True)
class Official:
    """One official who may log in: login, display name, roles and password hash."""

    login: str
    name: str
    roles: frozenset
    password_hash: str = field(repr=False)

    @property
    def can_approve(self) -> bool:
        """Whether the official may approve and publish revisions (has the ``approver`` role)."""
        return "approver" in self.roles


@dataclass(frozen=True)
class OfficialsConfig:
    """The officials' login configuration.

    Attributes
    ----------
    source : {"env", "file", "demo"}
    path : Path or None
        The ``officials.toml`` read (``source == "file"``).
    shared : Official or None
        The shared-password identity (env var, demo, or ``password_hash`` in the file).
    users : dict
        Login -> :class:`Official` (``[users.<login>]`` tables).
    error : str or None
        Why no official can log in (configuration present but unusable); fail closed.
    error_key, error_args
        The same as an i18n key (``login.cfg_*``) and its arguments, for the app.
    """

    source: str
    path: Path | None = None
    shared: Official | None = None
    users: dict = field(default_factory=dict)
    error: str | None = None
    error_key: str | None = None
    error_args: dict = field(default_factory=dict)

    @property
    def is_demo(self) -> bool:
        """Whether the demo password is in use (no configuration found, and no error)."""
        return self.source == "demo" and self.error is None

    @property
    def ok(self) -> bool:
        """Whether anyone can log in: no error, and a shared password or per-user entries."""
        return self.error is None and (self.shared is not None or bool(self.users))

    @property
    def has_users(self) -> bool:
        """Whether the configuration has per-user entries."""
        return bool(self.users)

    @property
    def password_hash(self) -> str:
        """The shared password's hash ("" when there is none)."""
        return self.shared.password_hash if self.shared else ""


def config_dir() -> Path:
    """Folder of ``officials.toml`` (``$PLANNER_CONFIG_DIR`` or ``~/.config/planner``)."""
    env = os.environ.get(ENV_CONFIG_DIR)
    return Path(env) if env else Path.home() / ".config" / "planner"


def _hash_ok(h) -> bool:
    if not isinstance(h, str):
        return False
    parts = h.strip().split("$")
    try:
        if parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            return int(parts[1]) > 0 and bool(_unb64(parts[2])) and bool(_unb64(parts[3]))
        if parts[0] == "scrypt" and len(parts) == 6:
            return all(int(x) > 0 for x in parts[1:4]) and bool(_unb64(parts[5]))
    except (ValueError, TypeError):
        return False
    return False


def _fail(source: str, path: Path | None, code: str, message: str, **args) -> OfficialsConfig:
    where = f"{path}: " if path else ""
    return OfficialsConfig(
        source, path, error=f"{where}{message}", error_key=f"login.{code}", error_args=args
    )


def _roles(value, where: str, path: Path) -> frozenset | str:
    if value is None:
        return frozenset(ROLES)
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        return f'{where}roles must be a list such as ["editor", "approver"]'
    bad = [r for r in value if r not in ROLES]
    if bad:
        return f"{where}roles: unknown role {bad[0]!r} (roles: {', '.join(ROLES)})"
    return frozenset(value)


def officials_config() -> OfficialsConfig:
    """The configured officials (env var, then ``officials.toml``, then the demo default).

    Never raises: a configuration that is present but unusable gives a config whose
    :attr:`~OfficialsConfig.error` says why, and nobody can log in.
    """
    if ENV_HASH in os.environ:
        env = os.environ[ENV_HASH].strip()
        if not env:
            return _fail("env", None, "cfg_env_blank", f"{ENV_HASH} is set but empty", var=ENV_HASH)
        if not _hash_ok(env):
            return _fail(
                "env",
                None,
                "cfg_env_bad",
                f"{ENV_HASH} is not a password hash (make one with python -m planner.app.access)",
                var=ENV_HASH,
            )
        return OfficialsConfig("env", shared=Official("officials", "", frozenset(ROLES), env))
    path = config_dir() / "officials.toml"
    if path.exists() or path.is_symlink():
        return _read_officials_file(path)
    demo = hash_password(DEMO_PASSWORD, salt=_DEMO_SALT, iterations=50_000)
    return OfficialsConfig("demo", shared=Official("demo", "", frozenset(ROLES), demo))


def _read_officials_file(path: Path) -> OfficialsConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        return _fail(
            "file", path, "cfg_unreadable", f"not valid TOML: {exc}", file=str(path), reason=str(exc)
        )
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return _fail(
            "file", path, "cfg_unreadable", f"cannot be read: {reason}", file=str(path), reason=reason
        )
    unknown = [k for k in data if k not in ("password_hash", "roles", "users")]
    if unknown:
        return _fail(
            "file",
            path,
            "cfg_unknown",
            f"unknown key {unknown[0]!r} (keys: password_hash, roles, users)",
            file=str(path),
            key=unknown[0],
        )
    shared = None
    if "password_hash" in data:
        h = data["password_hash"]
        if not _hash_ok(h):
            return _fail(
                "file",
                path,
                "cfg_bad_hash",
                "password_hash is not a password hash",
                file=str(path),
                key="password_hash",
            )
        roles = _roles(data.get("roles"), "", path)
        if isinstance(roles, str):
            return _fail("file", path, "cfg_bad_roles", roles, file=str(path), key="roles")
        shared = Official("officials", "", roles, h.strip())
    elif "roles" in data:
        return _fail("file", path, "cfg_unknown", "roles without password_hash", file=str(path), key="roles")
    users = {}
    raw_users = data.get("users", {})
    if not isinstance(raw_users, dict):
        return _fail(
            "file", path, "cfg_unknown", "users must be tables [users.<login>]", file=str(path), key="users"
        )
    for login, u in raw_users.items():
        where = f"users.{login}."
        if not isinstance(u, dict):
            return _fail(
                "file",
                path,
                "cfg_unknown",
                f"users.{login} must be a table",
                file=str(path),
                key=f"users.{login}",
            )
        bad = [k for k in u if k not in ("name", "password_hash", "roles")]
        if bad:
            return _fail(
                "file",
                path,
                "cfg_unknown",
                f"unknown key {where}{bad[0]} (keys: name, password_hash, roles)",
                file=str(path),
                key=f"{where}{bad[0]}",
            )
        if not _hash_ok(u.get("password_hash")):
            return _fail(
                "file",
                path,
                "cfg_bad_hash",
                f"{where}password_hash is missing or not a password hash",
                file=str(path),
                key=f"{where}password_hash",
            )
        roles = _roles(u.get("roles", ["editor"]), where, path)
        if isinstance(roles, str):
            return _fail("file", path, "cfg_bad_roles", roles, file=str(path), key=f"{where}roles")
        name = str(u.get("name") or login).strip() or str(login)
        users[str(login)] = Official(str(login), name, roles, str(u["password_hash"]).strip())
    if shared is None and not users:
        return _fail(
            "file", path, "cfg_empty", "no password_hash and no [users.<login>] entry", file=str(path)
        )
    return OfficialsConfig("file", path, shared=shared, users=users)


@functools.cache
def _dummy_hash(iterations: int) -> str:
    """A hash to verify against when the login or code is unknown (same cost as a real one)."""
    return hash_password("\0no-such-user\0", iterations=iterations)


def authenticate(login: str, password: str, config: OfficialsConfig | None = None) -> Official | None:
    """Return the official whose login and password match, else None.

    None also when the configuration is unusable.  With per-user entries the login names the user;
    a shared password ignores it.
    """
    config = config or officials_config()
    if not config.ok:
        return None
    login = str(login or "").strip()
    user = config.users.get(login) if login else None
    if user is not None:
        return user if verify_password(password or "", user.password_hash) else None
    if config.shared is not None:
        if verify_password(password or "", config.shared.password_hash):
            return config.shared
        return None
    verify_password(password or "", _dummy_hash(PBKDF2_ITERATIONS))  # unknown login: same cost
    return None


def check_officials_password(password: str, config: OfficialsConfig | None = None) -> bool:
    """True when ``password`` matches the shared officials' password (fails closed)."""
    config = config or officials_config()
    return (
        config.ok
        and config.shared is not None
        and verify_password(password or "", config.shared.password_hash)
    )


# --------------------------------------------------------------------------- throttling
@dataclass
class Throttle:
    """Exponential slow-down after repeated failures, per key.

    After ``free`` failures for a key, each further failure makes the key wait
    ``base × 2^(failures − free − 1)`` seconds (at most ``cap``) before the next attempt is even
    checked.  Failures are forgotten ``window`` seconds after the last one; :meth:`succeed`
    clears one key only.  Thread-safe: one instance is shared by all sessions of the server.

    Parameters
    ----------
    free : int
        Failures allowed without waiting.
    base, cap : float
        First wait and longest wait, seconds.
    window : float
        Seconds without a failure after which a key starts afresh.
    clock : callable
        Time source (tests pass a fake one).
    """

    free: int = 3
    base: float = 2.0
    cap: float = 300.0
    window: float = 900.0
    clock: object = time.monotonic
    _state: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _get(self, key: str) -> tuple[int, float, float]:
        fails, until, last = self._state.get(key, (0, 0.0, 0.0))
        if fails and self.clock() - last > max(self.window, until - last):
            self._state.pop(key, None)
            return 0, 0.0, 0.0
        return fails, until, last

    def wait(self, key: str) -> float:
        """Seconds ``key`` must still wait before its next attempt (0 = may try now)."""
        with self._lock:
            _, until, _ = self._get(key)
        return max(0.0, until - self.clock())

    def failures(self, key: str) -> int:
        """The number of failures ``key`` has had that are not yet forgotten."""
        with self._lock:
            return self._get(key)[0]

    def fail(self, key: str) -> float:
        """Record a failure; return the wait it imposes."""
        with self._lock:
            fails, _, _ = self._get(key)
            fails += 1
            delay = 0.0 if fails <= self.free else min(self.cap, self.base * 2 ** (fails - self.free - 1))
            now = self.clock()
            self._state[key] = (fails, now + delay, now)
            return delay

    def succeed(self, key: str) -> None:
        """Forget the failures of ``key`` (a successful attempt)."""
        with self._lock:
            self._state.pop(key, None)

    def clear(self) -> None:
        """Forget every key's failures."""
        with self._lock:
            self._state.clear()


#: Portal failures per credit code, shared by every session of the server.
CODE_THROTTLE = Throttle(free=3)
#: Portal failures per client (address, else session), shared by every session; never reset by a
#: success, so rotating over credit codes or logging in with one's own code does not help.
CLIENT_THROTTLE = Throttle(free=5)
#: Officials' login failures, server-wide: keys ``user:<login>``, ``client:<id>`` and ``*``.
OFFICIALS_THROTTLE = Throttle(free=5)
#: Server-wide budget of officials' login failures (all logins and clients together).
OFFICIALS_GLOBAL = Throttle(free=30, cap=60.0)


def reset_throttles() -> None:
    """Forget every failure (tests, or an administrator after an incident)."""
    for t in (CODE_THROTTLE, CLIENT_THROTTLE, OFFICIALS_THROTTLE, OFFICIALS_GLOBAL):
        t.clear()


def client_key(ip: str | None, headers: dict | None, session: str) -> str:
    """Return who is trying, for throttling.

    The client's address; behind a reverse proxy the first ``X-Forwarded-For`` address when
    ``PLANNER_TRUST_PROXY=1``; else the session id.
    """
    if os.environ.get("PLANNER_TRUST_PROXY", "").strip() == "1" and headers:
        fwd = next((v for k, v in headers.items() if k.lower() == "x-forwarded-for"), "")
        first = str(fwd).split(",")[0].strip()
        if first:
            return f"ip:{first}"
    if ip:
        return f"ip:{ip}"
    return f"session:{session}"


@dataclass(frozen=True)
class LoginAnswer:
    """Result of an officials' login attempt (``status``: ok, denied, wait, closed)."""

    official: Official | None
    status: str
    wait: float = 0.0


def officials_login(
    login: str, password: str, client: str, config: OfficialsConfig | None = None
) -> LoginAnswer:
    """One officials' login attempt, throttled server-wide per login, per client and overall."""
    config = config or officials_config()
    if not config.ok:
        return LoginAnswer(None, "closed")
    user_key = f"user:{str(login or '').strip() or '<shared>'}"
    keys = (user_key, f"client:{client}")
    wait = max(*(OFFICIALS_THROTTLE.wait(k) for k in keys), OFFICIALS_GLOBAL.wait("*"))
    if wait > 0:
        return LoginAnswer(None, "wait", wait)
    who = authenticate(login, password, config)
    if who is None:
        w = max(*(OFFICIALS_THROTTLE.fail(k) for k in keys), OFFICIALS_GLOBAL.fail("*"))
        return LoginAnswer(None, "denied", w)
    OFFICIALS_THROTTLE.succeed(user_key)
    return LoginAnswer(who, "ok")


# --------------------------------------------------------------------------- portal codes
def normalise_credit_code(code: str) -> str:
    """Upper-case, strip blanks (users paste codes with spaces)."""
    return "".join(str(code or "").split()).upper()


def normalise_access_code(code: str) -> str:
    """Upper-case without blanks and hyphens (codes are printed as ``ABCD-EFGH-JKMN``)."""
    return "".join(ch for ch in str(code or "").upper() if ch not in " \t\r\n-_–—")


def new_code() -> str:
    """A fresh access code: :data:`CODE_LENGTH` random characters of :data:`CODE_ALPHABET`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``ABCDEFGHJKMN`` -> ``ABCD-EFGH-JKMN``."""
    c = normalise_access_code(code)
    return "-".join(c[i : i + 4] for i in range(0, len(c), 4))


def codes_path(scenario_file: str | Path | None = None) -> Path:
    """Return the path of the access-code file.

    ``$PLANNER_ACCESS_CODES``, else ``.access/codes.toml`` in the scenario's folder (never inside the
    enterprise list).
    """
    env = os.environ.get(ENV_CODES, "").strip()
    if env:
        return Path(env)
    if scenario_file is None:
        raise ValueError("no scenario given and PLANNER_ACCESS_CODES is not set")
    return Path(scenario_file).resolve().parent / ".access" / "codes.toml"


@dataclass(frozen=True)
class CodeEntry:
    """One firm's entry in the code file (only the hash of its code)."""

    credit_code: str
    enterprise_id: str
    name: str
    hash: str = field(repr=False)
    issued: str = ""
    issued_by: str = ""
    revoked: str = ""
    revoked_by: str = ""

    @property
    def active(self) -> bool:
        """Whether the code can be used: it has a hash and is not revoked."""
        return bool(self.hash) and not self.revoked


class CodeFileError(Exception):
    """The access-code file exists but cannot be used (the portal then lets nobody in)."""


_ENTRY_KEYS = ("enterprise_id", "name", "hash", "issued", "issued_by", "revoked", "revoked_by")


def load_codes(path: str | Path) -> dict[str, CodeEntry]:
    """The code file's entries by credit code ({} when the file does not exist).

    Raises
    ------
    CodeFileError
        If the file exists but is not valid (the message names the file and the entry).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise CodeFileError(f"{path}: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CodeFileError(f"{path}: not valid TOML: {exc}") from None
    codes = data.get("codes", {})
    if not isinstance(codes, dict):
        raise CodeFileError(f"{path}: 'codes' must be tables [codes.\"<credit code>\"]")
    out = {}
    for credit, e in codes.items():
        if not isinstance(e, dict) or any(k not in _ENTRY_KEYS for k in e):
            raise CodeFileError(
                f"{path}: entry codes.{credit} has unknown keys (keys: {', '.join(_ENTRY_KEYS)})"
            )
        h = str(e.get("hash", ""))
        if h and not _hash_ok(h):
            raise CodeFileError(f"{path}: codes.{credit}.hash is not a hash")
        c = normalise_credit_code(credit)
        out[c] = CodeEntry(c, **{k: str(e.get(k, "")) for k in _ENTRY_KEYS})
    return out


def _toml_str(v: str) -> str:
    return json.dumps(str(v), ensure_ascii=False)


def write_codes(path: str | Path, entries: dict[str, CodeEntry]) -> None:
    """Write the code file atomically, readable by its owner only (0600, folder 0700)."""
    from planner.scenario.revisions import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _suppress_oserror():
        os.chmod(path.parent, 0o700)
    lines = [
        "# Enterprise portal access codes: salted hashes only (the codes themselves were shown once).",
        "# Written by `planner access` and the app's 查询码 page; do not edit by hand.",
        "version = 1",
        "",
    ]
    for credit in sorted(entries):
        e = entries[credit]
        lines.append(f"[codes.{_toml_str(credit)}]")
        for k in _ENTRY_KEYS:
            v = getattr(e, k)
            if v or k in ("enterprise_id", "hash"):
                lines.append(f"{k} = {_toml_str(v)}")
        lines.append("")
    atomic_write(path, "\n".join(lines), 0o600)


class _suppress_oserror:
    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        return kind is not None and issubclass(kind, OSError)


def _now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _firms(table: pd.DataFrame, ids) -> pd.DataFrame:
    """Rows of ``table`` for enterprise ids (all when None); unknown ids are a ValueError."""
    idx = table.index.astype(str)
    t = table.set_axis(idx)
    if ids is None:
        return t
    ids = [str(i) for i in ids]
    missing = [i for i in ids if i not in t.index]
    if missing:
        raise ValueError(f"not in the enterprise list: {', '.join(missing[:10])}")
    return t.loc[ids]


def issue_codes(
    path: str | Path, table: pd.DataFrame, ids=None, *, author: str, only_missing: bool = False
) -> list[dict]:
    """Issue new access codes (replacing any previous code of the same firms).

    Parameters
    ----------
    path : str or Path
        The code file (:func:`codes_path`).
    table : DataFrame
        The enterprise list (index enterprise id; ``credit_code`` and ``name`` columns).
    ids : list of str, optional
        Enterprises to issue for (default: all).
    author : str
        Who issues (recorded).
    only_missing : bool
        Skip firms that already have an active code.

    Returns
    -------
    list of dict
        ``enterprise_id, name, credit_code, code`` per firm issued — the only time the codes exist
        in clear.

    Raises
    ------
    ValueError
        Unknown enterprise ids, firms without a credit code, duplicated credit codes, blank author.
    CodeFileError
        If the existing code file is not valid.
    """
    from planner.scenario.revisions import file_lock

    if not str(author or "").strip():
        raise ValueError("author is required (who issues the codes)")
    firms = _firms(table, ids)
    credits = firms["credit_code"].map(normalise_credit_code) if "credit_code" in firms else None
    if credits is None or (credits == "").any() or credits.isin(["NAN", "NONE"]).any():
        bad = [] if credits is None else list(firms.index[(credits == "") | credits.isin(["NAN", "NONE"])])
        raise ValueError(f"enterprises without a credit code cannot get a code: {', '.join(bad[:10])}")
    dup = credits[credits.duplicated(keep=False)]
    if len(dup):
        raise ValueError(
            f"credit code used by several enterprises: {dup.iloc[0]} ({', '.join(dup.index[:5])})"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with file_lock(path):
        entries = load_codes(path)
        now = _now_iso()
        for eid, credit in credits.items():
            if only_missing and credit in entries and entries[credit].active:
                continue
            code = new_code()
            name = str(firms.at[eid, "name"]) if "name" in firms else ""
            entries[credit] = CodeEntry(
                credit,
                str(eid),
                name,
                hash_password(code, iterations=CODE_ITERATIONS),
                now,
                str(author).strip(),
            )
            out.append(
                {"enterprise_id": str(eid), "name": name, "credit_code": credit, "code": format_code(code)}
            )
        write_codes(path, entries)
    return out


def revoke_codes(path: str | Path, table: pd.DataFrame | None, ids, *, author: str) -> list[str]:
    """Revoke the codes of enterprises (by id or credit code); returns the credit codes revoked."""
    from planner.scenario.revisions import file_lock

    if not str(author or "").strip():
        raise ValueError("author is required (who revokes the codes)")
    path = Path(path)
    with file_lock(path):
        entries = load_codes(path)
        by_id = {e.enterprise_id: c for c, e in entries.items()}
        if table is not None and "credit_code" in table:
            by_id.update({str(i): normalise_credit_code(c) for i, c in table["credit_code"].items()})
        done, missing = [], []
        for x in ids:
            credit = by_id.get(str(x)) or normalise_credit_code(x)
            if credit not in entries:
                missing.append(str(x))
                continue
            e = entries[credit]
            entries[credit] = CodeEntry(
                credit,
                e.enterprise_id,
                e.name,
                e.hash,
                e.issued,
                e.issued_by,
                _now_iso(),
                str(author).strip(),
            )
            done.append(credit)
        if missing:
            raise ValueError(f"no code issued for: {', '.join(missing[:10])}")
        write_codes(path, entries)
    return done


def code_status(path: str | Path, table: pd.DataFrame) -> pd.DataFrame:
    """Tabulate the access codes of the list's enterprises, one row per enterprise.

    Columns ``enterprise_id, name, credit_code, status`` (``active`` | ``revoked`` | ``none``),
    ``issued``, ``issued_by``, ``revoked``, ``revoked_by``.
    """
    entries = load_codes(path)
    rows = []
    for eid, r in table.iterrows():
        credit = normalise_credit_code(r.get("credit_code", ""))
        e = entries.get(credit)
        rows.append(
            {
                "enterprise_id": str(eid),
                "name": str(r.get("name", "")),
                "credit_code": credit,
                "status": "none" if e is None else ("active" if e.active else "revoked"),
                "issued": e.issued if e else "",
                "issued_by": e.issued_by if e else "",
                "revoked": e.revoked if e else "",
                "revoked_by": e.revoked_by if e else "",
            }
        )
    return pd.DataFrame(rows)


def find_enterprise(codes: dict[str, CodeEntry], credit_code: str, access_code: str) -> str | None:
    """The normalised credit code whose active code matches, else None.

    An unknown credit code, a revoked code and a wrong code cost the same (one hash check) and
    give the same answer.
    """
    credit = normalise_credit_code(credit_code)
    given = normalise_access_code(access_code)
    entry = codes.get(credit) if credit else None
    if entry is None or not entry.active:
        verify_password(given, _dummy_hash(CODE_ITERATIONS))
        return None
    return credit if verify_password(given, entry.hash) else None


@dataclass(frozen=True)
class PortalAnswer:
    """Result of a portal login attempt.

    Attributes
    ----------
    enterprise_id : str or None
        Set only on success.
    status : {"ok", "denied", "wait"}
        ``denied`` for a wrong access code *and* for an unknown credit code (same answer).
    wait : float
        Seconds to wait before the next attempt.
    """

    enterprise_id: str | None
    status: str
    wait: float = 0.0


def portal_login(
    codes: dict[str, CodeEntry],
    table: pd.DataFrame,
    credit_code: str,
    access_code: str,
    client: str,
    *,
    code_throttle: Throttle | None = None,
    client_throttle: Throttle | None = None,
) -> PortalAnswer:
    """One portal login attempt, throttled per credit code and per client (server-wide).

    Parameters
    ----------
    codes : dict
        :func:`load_codes` of the code file.
    table : DataFrame
        The published enterprise list (index enterprise id, column ``credit_code``): a login
        succeeds only for a firm in it, and returns its id there.
    credit_code, access_code : str
    client : str
        :func:`client_key` of the attempt.
    """
    code_t = CODE_THROTTLE if code_throttle is None else code_throttle
    client_t = CLIENT_THROTTLE if client_throttle is None else client_throttle
    credit = normalise_credit_code(credit_code) or "<empty>"
    wait = max(code_t.wait(credit), client_t.wait(client))
    if wait > 0:
        return PortalAnswer(None, "wait", wait)
    found = find_enterprise(codes, credit_code, access_code)
    eid = None
    if found is not None and "credit_code" in table:
        hits = table.index[table["credit_code"].map(normalise_credit_code) == found]
        eid = str(hits[0]) if len(hits) == 1 else None
    if eid is None:
        w = max(code_t.fail(credit), client_t.fail(client))
        return PortalAnswer(None, "denied", w)
    code_t.succeed(credit)  # the firm proved its code; the client's count stays
    return PortalAnswer(eid, "ok", 0.0)


# --------------------------------------------------------------------------- letters
def letters_html(issued: list[dict], *, bureau: str = "", url: str = "", date: str | None = None) -> str:
    """Printable letters (one page per firm) telling each firm its access code.

    Parameters
    ----------
    issued : list of dict
        :func:`issue_codes` output.
    bureau : str
        Issuing authority (e.g. ``某市生态环境局``).
    url : str
        Address of the portal.
    """
    date = date or _dt.datetime.now(_dt.timezone(_dt.timedelta(hours=8))).strftime("%Y年%m月%d日")
    e = html.escape
    pages = []
    for r in issued:
        pages.append(
            f"""<section class="letter">
<h1>重污染天气应急减排 企业查询码通知书</h1>
<p>{e(r["name"])}：</p>
<p>贵单位可凭统一社会信用代码和下列查询码登录“企业查询”页面，查看本单位在重污染天气预警期间
应执行的减排措施（“一厂一策”）。查询码仅发放一次，请妥善保管，勿告知他人；如遗失或泄露，请联系我局重新发放，
原查询码随即作废。</p>
<table>
<tr><th>企业编号</th><td>{e(r["enterprise_id"])}</td></tr>
<tr><th>统一社会信用代码</th><td>{e(r["credit_code"])}</td></tr>
<tr><th>查询码</th><td class="code">{e(r["code"])}</td></tr>
{f"<tr><th>查询网址</th><td>{e(url)}</td></tr>" if url else ""}
</table>
<p class="note">查询码由数字和大写字母组成（不含易混淆的 0、O、1、I、L），输入时可省略连字符。</p>
<p class="sign">{e(bureau)}<br>{e(date)}</p>
</section>"""
        )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>企业查询码通知书</title>'
        "<style>body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:0}"
        ".letter{padding:2.5cm 2cm;page-break-after:always;break-after:page}"
        "h1{font-size:20pt;text-align:center}table{border-collapse:collapse;margin:1em 0}"
        "th,td{border:1px solid #444;padding:.4em .8em;text-align:left}"
        ".code{font-family:monospace;font-size:18pt;letter-spacing:.1em}.sign{text-align:right;margin-top:3em}"
        ".note{font-size:10pt;color:#444}</style></head><body>" + "\n".join(pages) + "</body></html>"
    )


# --------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    """Print a password hash for officials.toml or the environment (``python -m planner.app.access``).

    Asks for the password twice on a terminal; ``--stdin`` reads it from standard input (one
    line) instead.  Without a terminal and without ``--stdin`` it stops with a message.
    """
    parser = argparse.ArgumentParser(
        prog="python -m planner.app.access",
        description="Make a password hash for the officials' login (officials.toml or "
        f"{ENV_HASH}).  Only the hash is stored.",
    )
    parser.add_argument("--stdin", action="store_true", help="read the password from standard input")
    parser.add_argument("--user", metavar="LOGIN", help="print a [users.LOGIN] entry for officials.toml")
    parser.add_argument("--name", default="", help="display name of the user (with --user)")
    parser.add_argument(
        "--roles", default="editor", help="comma-separated roles of the user: editor, approver (with --user)"
    )
    args = parser.parse_args(argv)
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    bad = [r for r in roles if r not in ROLES]
    if bad:
        print(f"error: unknown role {bad[0]!r} (roles: {', '.join(ROLES)})", file=sys.stderr)
        return 2
    if args.stdin:
        pw = sys.stdin.readline().rstrip("\r\n")
    else:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            print("error: no terminal to ask for the password; pipe it with --stdin", file=sys.stderr)
            return 2
        pw = getpass.getpass("officials' password: ")
        if pw != getpass.getpass("again: "):
            print("error: the two passwords differ", file=sys.stderr)
            return 2
    if len(pw) < 8:
        print("error: the password must have at least 8 characters", file=sys.stderr)
        return 2
    h = hash_password(pw)
    if args.user:
        print(f"[users.{args.user}]")
        print(f"name = {_toml_str(args.name or args.user)}")
        print(f"password_hash = {_toml_str(h)}")
        print(f"roles = {json.dumps(roles)}")
        print(f"\n# add these lines to {config_dir() / 'officials.toml'}", file=sys.stderr)
        return 0
    print(h)
    print(
        f"\n# export {ENV_HASH}='{h}'\n# or put  password_hash = \"{h}\"  in {config_dir() / 'officials.toml'}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
