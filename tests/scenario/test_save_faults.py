"""Saves under faults: an error or a kill -9 at every step loses neither the scenario nor a
committed history entry; leftovers (temp files, the lock file) never block the next save; file
modes and comments are kept."""

from __future__ import annotations

import itertools
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from planner.scenario import revisions
from planner.scenario.revisions import current_revision, history, save_revision

REPO = Path(__file__).resolve().parents[2]
STEP_CALLS = ("open", "write", "fsync", "replace", "unlink")


@pytest.fixture
def scen(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "enterprises.csv").write_text("x\n", encoding="utf-8")
    (data / "city.yaml").write_text("name: x\n", encoding="utf-8")
    folder = tmp_path / "scenarios"
    folder.mkdir()
    path = folder / "s.yaml"
    path.write_text(
        "# the autumn list\nname: s\ninventory: ../data/enterprises.csv  # 2025 list\n"
        "city: ../data/city.yaml\nenterprises:\n  E1: {grade: C}  # checked on site\n",
        encoding="utf-8",
    )
    return path


def _data(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _leftovers(path: Path) -> list[Path]:
    hdir = path.parent / ".history" / path.stem
    found = list(path.parent.glob(".*.tmp"))
    if hdir.exists():
        found += list(hdir.rglob("*.tmp"))
    return found


def _check_consistent(path: Path, old: dict, new: dict, history_before: list[str]) -> str:
    """After a crash and recovery: the scenario is old or new, the history has every committed
    entry and ends at the file's revision; no temp files. Returns which version is on disk."""
    revisions.recover(path)
    on_disk = _data(path)
    assert on_disk in (old, new)
    log = history(path)
    revs = [e["revision"] for e in log]
    assert revs[: len(history_before)] == history_before  # nothing committed was lost
    if revs:
        assert revs[-1] == current_revision(path)
    else:  # no save ever got through: the file is as it was, without history
        assert on_disk == old and not history_before
    for e in log:  # every entry is whole and its text is the revision it names
        assert revisions.revision_of(revisions.read_revision(path, e["revision"])) == e["revision"]
    assert not _leftovers(path)
    return "new" if on_disk == new else "old"


class Boom(OSError):
    pass


def _count_calls(monkeypatch, fail_at: int, exc=Boom):
    """Make the ``fail_at``-th call of os.open/write/fsync/replace/unlink (from here on) raise."""
    count = {"n": 0}
    for name in STEP_CALLS:
        real = getattr(os, name)

        def wrapped(*a, _real=real, _name=name, **kw):
            count["n"] += 1
            if count["n"] == fail_at:
                raise exc(f"injected failure at step {fail_at} ({_name})")
            return _real(*a, **kw)

        monkeypatch.setattr(revisions.os, name, wrapped)
    return count


@pytest.mark.parametrize("exc", [Boom, KeyboardInterrupt])
def test_error_at_every_step_leaves_old_or_new_and_history_complete(scen, monkeypatch, exc):
    old = _data(scen)
    new = {**old, "description": "revised"}
    # how many steps a save takes (first save: on-disk entry + new entry + scenario)
    counter = _count_calls(monkeypatch, fail_at=-1)
    probe = scen.with_name("probe.yaml")
    probe.write_bytes(scen.read_bytes())
    save_revision(probe, new, author="x", expected_revision=current_revision(probe))
    steps = counter["n"]
    monkeypatch.undo()
    assert steps >= 10
    outcomes = set()
    for k in range(1, steps + 1):
        rev0 = current_revision(scen)
        before = [e["revision"] for e in history(scen)]
        _count_calls(monkeypatch, fail_at=k, exc=exc)
        try:
            save_revision(scen, new, author="x", expected_revision=rev0)
            saved = True
        except (Boom, KeyboardInterrupt):
            saved = False
        monkeypatch.undo()
        got = _check_consistent(scen, old, new, before)
        outcomes.add(got)
        if saved:
            assert got == "new"
        assert not scen.with_name("s.yaml.lock").exists()
        if got == "new":  # start the next trial from the old text again, through a save
            save_revision(scen, old, author="reset", expected_revision=current_revision(scen))
    assert outcomes == {"old", "new"}


_CHILD = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from planner.scenario import revisions
    path, fail_at = Path(sys.argv[1]), int(sys.argv[2])
    n = 0
    for name in {calls!r}:
        real = getattr(os, name)
        def wrapped(*a, _real=real, **kw):
            global n
            n += 1
            if n == fail_at:
                os._exit(137)  # like kill -9: no cleanup, no finally
            return _real(*a, **kw)
        setattr(revisions.os, name, wrapped)
    import yaml
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["description"] = "revised"
    revisions.save_revision(path, data, author="child", expected_revision=revisions.current_revision(path))
    print(n)
    """
)


def _child(scen: Path, fail_at: int, calls) -> subprocess.CompletedProcess:
    script = _CHILD.format(repo=str(REPO), calls=tuple(calls))
    return subprocess.run(
        [sys.executable, "-c", script, str(scen), str(fail_at)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("seed_history", "calls"), [(False, ("fsync", "replace")), (True, ("replace",))])
def test_killed_at_every_boundary_loses_nothing(scen, seed_history, calls):
    """A process dying (os._exit, like kill -9: no cleanup) before each fsync / rename of a save;
    the first save of a file without history writes two entries, a later save one."""
    old = _data(scen)
    new = {**old, "description": "revised"}
    original = scen.read_bytes()
    full, k, seen = None, 1, set()
    while full is None or k <= full:
        scen.write_bytes(original)
        if seed_history and not history(scen):
            save_revision(scen, old, author="seed", expected_revision=current_revision(scen))
        before = [e["revision"] for e in history(scen)]
        proc = _child(scen, k, calls)
        if proc.returncode == 0:
            full = int(proc.stdout.strip())
        else:
            assert proc.returncode == 137, proc.stderr
        got = _check_consistent(scen, old, new, before)
        seen.add(got)
        if proc.returncode == 0:
            assert got == "new"
        # the next save works at once (the lock file left behind does not block)
        t0 = time.monotonic()
        save_revision(scen, old, author="next", expected_revision=current_revision(scen))
        assert time.monotonic() - t0 < 5
        k += 1
    assert full >= (5 if not seed_history else 2) and seen == {"old", "new"}


_LOOP = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from planner.scenario import revisions
    import yaml
    path = Path(sys.argv[1])
    i = 0
    while True:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["description"] = f"save {{i}}"
        revisions.save_revision(path, data, author="loop", expected_revision=revisions.current_revision(path))
        print(i, flush=True)
        i += 1
    """
)


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.07, 0.15, 0.3])
def test_sigkill_during_repeated_saves(scen, delay):
    """A real SIGKILL at some point of a loop of saves (after the first one went through)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _LOOP.format(repo=str(REPO)), str(scen)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "0"  # the first save is done; kill during later ones
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.stdout.close()
    proc.wait(timeout=30)
    before = [e["revision"] for e in history(scen)]
    revisions.recover(scen)
    data = _data(scen)
    assert data["name"] == "s" and str(data.get("description", "")).startswith("save ")
    log = history(scen)
    assert [e["revision"] for e in log][: len(before)] == before
    assert log[-1]["revision"] == current_revision(scen)
    assert not _leftovers(scen)
    # parents chain: each entry's parent is the previous entry's revision
    assert all(b["parent"] == a["revision"] for a, b in itertools.pairwise(log))
    t0 = time.monotonic()
    save_revision(
        scen, {**data, "description": "after"}, author="x", expected_revision=current_revision(scen)
    )
    assert time.monotonic() - t0 < 5


def test_lock_file_of_dead_process_does_not_block(scen):
    lock = scen.with_name(scen.name + ".lock")
    lock.write_text("pid 999999\nhost x\ntime 2026-01-01T00:00:00Z\n")
    t0 = time.monotonic()
    save_revision(
        scen, {**_data(scen), "description": "a"}, author="x", expected_revision=current_revision(scen)
    )
    assert time.monotonic() - t0 < 2
    assert not lock.exists()


def test_lock_fallback_breaks_lock_of_dead_pid_and_keeps_live_one(scen, monkeypatch):
    import socket

    monkeypatch.setattr(revisions, "_USE_FLOCK", False)
    monkeypatch.setattr(revisions, "LOCK_TIMEOUT_SECONDS", 0.3)
    lock = scen.with_name(scen.name + ".lock")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    lock.write_text(f"pid {dead.stdout.strip()}\nhost {socket.gethostname()}\ntime x\n")
    save_revision(
        scen, {**_data(scen), "description": "a"}, author="x", expected_revision=current_revision(scen)
    )
    assert not lock.exists()
    # a fresh lock of a live process (this one) is respected: a clear error, nothing written
    lock.write_text(f"pid {os.getpid()}\nhost {socket.gethostname()}\ntime now\n")
    before = scen.read_bytes()
    with pytest.raises(revisions.LockBusyError, match="being saved by someone else"):
        save_revision(
            scen, {**_data(scen), "description": "b"}, author="x", expected_revision=current_revision(scen)
        )
    assert scen.read_bytes() == before
    # an old lock whose holder cannot be checked (another host) is broken by age
    lock.write_text("pid 1\nhost elsewhere\ntime old\n")
    old = time.time() - revisions.STALE_LOCK_SECONDS - 5
    os.utime(lock, (old, old))
    save_revision(
        scen, {**_data(scen), "description": "c"}, author="x", expected_revision=current_revision(scen)
    )
    assert _data(scen)["description"] == "c"


def test_lock_held_by_live_process_gives_clear_error_and_cli_exit_4(scen, monkeypatch, capsys):
    from planner.cli.main import main

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "os.write(fd, f'pid {os.getpid()}\\nhost h\\ntime t\\n'.encode())\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
            str(scen.with_name(scen.name + ".lock")),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(revisions, "LOCK_TIMEOUT_SECONDS", 0.3)
        before = scen.read_bytes()
        with pytest.raises(revisions.LockBusyError, match=f"process {holder.pid}"):
            save_revision(
                scen,
                {**_data(scen), "description": "b"},
                author="x",
                expected_revision=current_revision(scen),
            )
        revised = scen.with_name("copy.yaml")
        revised.write_text(scen.read_text(encoding="utf-8") + "description: b\n", encoding="utf-8")
        code = main(
            [
                "save",
                str(scen),
                "--from",
                str(revised),
                "--author",
                "a",
                "--expected-revision",
                current_revision(scen),
            ]
        )
        assert code == 4  # EXIT_SYSTEM: could not write (busy); 3 is a conflict
        err = capsys.readouterr().err
        assert "being saved by someone else" in err and "Traceback" not in err
        assert scen.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
    # the holder died: the next save goes through
    save_revision(
        scen, {**_data(scen), "description": "c"}, author="x", expected_revision=current_revision(scen)
    )


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o664])
def test_save_keeps_file_mode(scen, mode):
    os.chmod(scen, mode)
    out = save_revision(
        scen, {**_data(scen), "description": "m"}, author="x", expected_revision=current_revision(scen)
    )
    assert stat.S_IMODE(scen.stat().st_mode) == mode
    assert stat.S_IMODE(out.history_file.stat().st_mode) == mode


def test_new_file_gets_umask_mode(scen):
    old = os.umask(0o022)
    try:
        out = save_revision(scen.with_name("new.yaml"), _data(scen), author="x", expected_revision=None)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.path.stat().st_mode) == 0o644


def test_mapping_save_keeps_comments(scen):
    data = _data(scen)
    data["enterprises"]["E1"]["grade"] = "B"
    data["enterprises"]["E2"] = {"exempt": True, "lock": 0.5}
    data["description"] = "秋冬季清单"
    save_revision(scen, data, author="x", expected_revision=current_revision(scen))
    text = scen.read_text(encoding="utf-8")
    assert text.startswith("# the autumn list\n")
    assert "# 2025 list" in text and "# checked on site" in text
    assert _data(scen) == data
    # removing a key keeps the other comments
    del data["enterprises"]["E2"]
    save_revision(scen, data, author="x", expected_revision=current_revision(scen))
    assert "# 2025 list" in scen.read_text(encoding="utf-8") and _data(scen) == data


@pytest.mark.parametrize(
    "value", ["no", "yes", "on", "010", "1e3", "2026-01-01", "~", "null", "a: b", "#x", "", " x ", "1_000"]
)
def test_round_trip_never_changes_meaning(scen, value):
    """Strings that YAML 1.1 would read as something else survive the comment-keeping save."""
    data = _data(scen)
    data["description"] = value
    save_revision(scen, data, author="x", expected_revision=current_revision(scen))
    assert _data(scen) == data


def test_history_entry_content_is_exact_even_with_trailing_spaces(scen):
    text = "name: s   \ninventory: ../data/enterprises.csv\ncity: ../data/city.yaml\n\n\n"
    data = yaml.safe_load(text)
    out = save_revision(scen, data, author="x", expected_revision=current_revision(scen), text=text)
    assert revisions.read_revision(scen, out.revision) == text
    assert revisions.revision_of(text) == out.revision


def test_blank_author_is_refused(scen):
    with pytest.raises(ValueError, match="author"):
        save_revision(scen, _data(scen), author="   ", expected_revision=current_revision(scen))
