"""Who may see what in the app: the officials' password and the enterprise portal's codes.

Officials' password
-------------------
The bureau's pages sit behind one shared password.  Only a *hash* of it is stored, configured
outside the repository, looked up in this order:

1. the environment variable ``PLANNER_OFFICIALS_PASSWORD_HASH``;
2. ``~/.config/planner/officials.toml`` (or ``$PLANNER_CONFIG_DIR/officials.toml``) with a line
   ``password_hash = "<hash>"``;
3. otherwise the documented demo default, the password ``demo-2026`` (:data:`DEMO_PASSWORD`).
   The login page says so while the default is in use: never deploy without configuring one.

Make a hash with ``python -m planner.app.access`` (asks for the password twice) and put it in one of
the two places above.  Hashes are ``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`` or
``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` (both from :mod:`hashlib`).

Enterprise portal
-----------------
An enterprise logs in with its unified social credit code and the access code the bureau gave it
(inventory column ``access_code``).  Codes are compared in constant time; a wrong access code and
an unknown credit code give the same answer; repeated failures slow down exponentially, counted
per session and per credit code (:class:`Throttle`).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os
import secrets
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: Environment variable holding the officials' password hash.
ENV_HASH = "PLANNER_OFFICIALS_PASSWORD_HASH"
#: Environment variable naming the folder of ``officials.toml`` (default ``~/.config/planner``).
ENV_CONFIG_DIR = "PLANNER_CONFIG_DIR"
#: The documented demo password, used only when no hash is configured.
DEMO_PASSWORD = "demo-2026"

PBKDF2_ITERATIONS = 200_000
_DEMO_SALT = b"planner-demo-salt"


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


@dataclass(frozen=True)
class OfficialsConfig:
    """Where the officials' password hash came from.

    Attributes
    ----------
    password_hash : str
    source : {"env", "file", "demo"}
    path : Path or None
        The ``officials.toml`` read, when ``source == "file"``.
    """

    password_hash: str
    source: str
    path: Path | None = None

    @property
    def is_demo(self) -> bool:
        return self.source == "demo"


def config_dir() -> Path:
    """Folder of ``officials.toml`` (``$PLANNER_CONFIG_DIR`` or ``~/.config/planner``)."""
    env = os.environ.get(ENV_CONFIG_DIR)
    return Path(env) if env else Path.home() / ".config" / "planner"


def officials_config() -> OfficialsConfig:
    """The configured officials' password hash (env var, then file, then the demo default)."""
    env = os.environ.get(ENV_HASH, "").strip()
    if env:
        return OfficialsConfig(env, "env")
    path = config_dir() / "officials.toml"
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        h = str(data.get("password_hash", "")).strip()
        if h:
            return OfficialsConfig(h, "file", path)
    return OfficialsConfig(hash_password(DEMO_PASSWORD, salt=_DEMO_SALT, iterations=50_000), "demo")


def check_officials_password(password: str, config: OfficialsConfig | None = None) -> bool:
    """True when ``password`` matches the configured officials' password."""
    config = config or officials_config()
    return verify_password(password or "", config.password_hash)


# --------------------------------------------------------------------------- throttling
@dataclass
class Throttle:
    """Exponential slow-down after repeated failures, per key.

    After ``free`` failures for a key, each further failure makes the key wait
    ``base × 2^(failures − free)`` seconds (at most ``cap``) before the next attempt is even
    checked.  A success clears the key.  Thread-safe: one instance may be shared by all sessions.

    Parameters
    ----------
    free : int
        Failures allowed without waiting.
    base, cap : float
        First wait and longest wait, seconds.
    clock : callable
        Time source (tests pass a fake one).
    """

    free: int = 3
    base: float = 2.0
    cap: float = 300.0
    clock: object = time.monotonic
    _state: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait(self, key: str) -> float:
        """Seconds ``key`` must still wait before its next attempt (0 = may try now)."""
        with self._lock:
            fails, until = self._state.get(key, (0, 0.0))
        return max(0.0, until - self.clock())

    def failures(self, key: str) -> int:
        with self._lock:
            return self._state.get(key, (0, 0.0))[0]

    def fail(self, key: str) -> float:
        """Record a failure; return the wait it imposes."""
        with self._lock:
            fails, _ = self._state.get(key, (0, 0.0))
            fails += 1
            delay = 0.0 if fails <= self.free else min(self.cap, self.base * 2 ** (fails - self.free - 1))
            self._state[key] = (fails, self.clock() + delay)
            return delay

    def succeed(self, key: str) -> None:
        with self._lock:
            self._state.pop(key, None)


#: Shared by every session of the server: failures per credit code.
CODE_THROTTLE = Throttle()


# --------------------------------------------------------------------------- portal
def _digest(s: str) -> bytes:
    return hashlib.sha256(s.encode("utf-8")).digest()


def normalise_credit_code(code: str) -> str:
    """Upper-case, strip blanks (users paste codes with spaces)."""
    return "".join(str(code or "").split()).upper()


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
        Seconds to wait before the next attempt (``status == "wait"`` or after a failure).
    """

    enterprise_id: str | None
    status: str
    wait: float = 0.0


def find_enterprise(table: pd.DataFrame, credit_code: str, access_code: str) -> str | None:
    """Return the enterprise id whose credit code *and* access code match, else None.

    The access code is compared in constant time, and a dummy comparison is made for an unknown
    credit code so that both cases cost the same.  Enterprises without an access code can never
    log in.
    """
    code = normalise_credit_code(credit_code)
    given = _digest(str(access_code or "").strip())
    match = None
    if "credit_code" in table.columns and "access_code" in table.columns and code:
        rows = table.index[table["credit_code"].astype(str).str.upper() == code]
        if len(rows) == 1:
            match = rows[0]
    if match is None:
        hmac.compare_digest(given, _digest("\0no-such-enterprise\0"))
        return None
    stored = table.at[match, "access_code"]
    stored = "" if stored is None or (isinstance(stored, float) and stored != stored) else str(stored).strip()
    ok = hmac.compare_digest(given, _digest(stored if stored else "\0no-code\0"))
    return str(match) if ok and stored else None


def portal_login(
    table: pd.DataFrame,
    credit_code: str,
    access_code: str,
    session: Throttle,
    codes: Throttle | None = None,
    session_key: str = "session",
) -> PortalAnswer:
    """One portal login attempt, throttled per session and per credit code.

    Parameters
    ----------
    table : DataFrame
        Inventory table (index enterprise id, columns ``credit_code`` and ``access_code``).
    credit_code, access_code : str
    session : Throttle
        The session's own throttle.
    codes : Throttle, optional
        Throttle shared across sessions, keyed by credit code (default :data:`CODE_THROTTLE`).
    session_key : str
        Key of this session in ``session``.
    """
    codes = CODE_THROTTLE if codes is None else codes
    code_key = normalise_credit_code(credit_code) or "<empty>"
    wait = max(session.wait(session_key), codes.wait(code_key))
    if wait > 0:
        return PortalAnswer(None, "wait", wait)
    eid = find_enterprise(table, credit_code, access_code)
    if eid is None:
        w = max(session.fail(session_key), codes.fail(code_key))
        return PortalAnswer(None, "denied", w)
    session.succeed(session_key)
    codes.succeed(code_key)
    return PortalAnswer(eid, "ok", 0.0)


def main() -> None:  # pragma: no cover - interactive
    """Print a hash for a password typed twice (``python -m planner.app.access``)."""
    pw = getpass.getpass("officials' password: ")
    if pw != getpass.getpass("again: "):
        raise SystemExit("the two passwords differ")
    h = hash_password(pw)
    print(h)
    print(
        f"\nexport {ENV_HASH}='{h}'\n# or put  password_hash = \"{h}\"  in {config_dir() / 'officials.toml'}"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
