"""``planner save SCENARIO --from REVISED.yaml [--author NAME] [--message MSG]``.

Saves a revised scenario as a new revision of SCENARIO: atomically, after checking it is a valid
scenario, with a history entry (who, when, why, the changed keys) under
``<folder>/.history/<stem>/``, and only if SCENARIO is still at the revision the edit started
from (see :mod:`planner.scenario.revisions`).

Typical round trip::

    planner save scenarios/demo_list.yaml --checkout my_copy.yaml   # copy marked with its revision
    # edit my_copy.yaml
    planner save scenarios/demo_list.yaml --from my_copy.yaml --author 王工 --message "E00012 升B"

The starting revision comes from ``--expected-revision`` or from the ``# base-revision:`` line of
the copy.  If someone else saved in between, nothing is written and the command says so (exit 3);
``--as NEW.yaml`` saves the revised version as a new scenario instead.  ``--log`` prints the
history (saves and publications).  A saved revision is a *draft*; ``planner publish`` makes one the
revision the enterprise portal shows.  Comments of the copy are kept.

Exit codes (as every command, :mod:`planner.cli.main`): 0 saved (or printed), 3 conflict (nothing
written), 2 bad input, 4 could not write (another save holds the lock, or an I/O error such as a
full disk or a read-only folder; nothing was written).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from planner.io.yamlio import parse_yaml, read_yaml
from planner.problems import InputError
from planner.scenario import revisions
from planner.scenario.files import read_text


def add_arguments(parser):
    """Add the arguments of ``planner save`` to ``parser``."""
    parser.add_argument("scenario", help="the scenario file to revise (created if it does not exist)")
    parser.add_argument("--from", dest="source", metavar="REVISED.yaml", help="the revised scenario")
    parser.add_argument("--author", help="who saves (default: the login name)")
    parser.add_argument("--message", "-m", default="", help="why (kept in the history)")
    parser.add_argument(
        "--expected-revision",
        metavar="REV",
        help="revision id the edit started from (default: the copy's '# base-revision:' line)",
    )
    parser.add_argument(
        "--as",
        dest="save_as",
        metavar="NEW.yaml",
        help="save the revised scenario as a new file instead (e.g. after a conflict)",
    )
    parser.add_argument(
        "--checkout", metavar="COPY.yaml", help="write an editable copy marked with the current revision"
    )
    parser.add_argument("--log", action="store_true", help="print the scenario's revision history")


def _default_author() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no login name in some containers
        return "unknown"


def _print_log(path: Path) -> int:
    rev = revisions.current_revision(path)
    pub = revisions.published(path)
    print(f"{path}: current revision {rev or '(file does not exist)'}")
    print(f"published revision: {pub['revision'] + ' (' + str(pub['time']) + ')' if pub else '(none)'}")
    states = revisions.revision_states(path)
    for e in revisions.audit_log(path):
        if e["event"] == "save":
            state = states.get(e["revision"], "draft")
            head = f"#{e['number']:04d} {e['revision']} [{state}]"
        else:
            head = f"PUBLISH #{e['number']:04d} {e['revision']}"
        print(f"{head} {e['time']} {e['author'] or '-'}: {e['message'] or ''}")
        changes = revisions.format_changes(e.get("changes") or [])
        for line in changes.splitlines():
            print(f"      {line}")
    return 0


def write_failed(path: Path, exc: BaseException) -> int:
    """Report a save that could not be written (lock busy, I/O error): exit 4 (EXIT_SYSTEM)."""
    if isinstance(exc, revisions.LockBusyError):
        print(f"error: {exc}", file=sys.stderr)
    else:
        reason = getattr(exc, "strerror", None) or str(exc)
        print(f"error: could not write {path}: {reason}; nothing was changed", file=sys.stderr)
    return 4


def run(args) -> int:
    """Run ``planner save`` with the parsed ``args``; return the exit code."""
    target = Path(args.scenario)
    if args.log:
        return _print_log(target)
    if args.checkout:
        if not target.is_file():
            raise InputError.single(str(target), "scenario file not found")
        rev = revisions.checkout(target, args.checkout)
        print(
            f"wrote {args.checkout} (copy of {target.name} at revision {rev}); "
            f"save it back with: planner save {target} --from {args.checkout}"
        )
        return 0
    if not args.source:
        raise InputError.single(
            str(target), "nothing to save: give --from REVISED.yaml (or --checkout / --log)"
        )
    source = Path(args.source)
    text = read_text(source, "revised scenario file")
    expected = args.expected_revision or revisions.base_revision_comment(text)
    text = revisions.strip_base_revision_comment(text)
    data = parse_yaml(text, str(source)).data if text.strip() else {}
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InputError.single(str(source), "a scenario must be a mapping of keys to values")

    dest = Path(args.save_as) if args.save_as else target
    if args.save_as:
        expected = None  # a new file
    original = None
    if target.is_file():
        try:
            original = read_yaml(target, what="scenario file").data
        except InputError:
            original = None
    moved = revisions.rebase_paths(
        data,
        source.resolve().parent,
        dest.resolve().parent,
        original if isinstance(original, dict) else None,
        target.resolve().parent,
    )
    write_text = text if moved == data else None
    author = _default_author() if args.author is None else args.author.strip()
    if not author:
        raise InputError.single("--author", "the author is blank: give who saves (a name or login)")
    try:
        rev = revisions.save_revision(
            dest,
            moved,
            author=author,
            message=args.message,
            expected_revision=expected,
            text=write_text,
            template=None if write_text is not None else text,
        )
    except (revisions.LockBusyError, OSError) as exc:
        return write_failed(dest, exc)
    except revisions.ConflictError as exc:
        print(f"CONFLICT: {exc}", file=sys.stderr)
        print(
            f"  to keep your version as a new scenario: planner save {exc.suggestion} --from {source} "
            f"--author {author}",
            file=sys.stderr,
        )
        if exc.current is not None and exc.expected is None:
            print(f"  to replace it on purpose: add --expected-revision {exc.current}", file=sys.stderr)
        return 3  # EXIT_CONFLICT of planner.cli.main
    print(f"saved {rev.path} revision {rev.revision} (parent {rev.parent or '-'}, history #{rev.number:04d})")
    print(revisions.format_changes(rev.changes))
    return 0
