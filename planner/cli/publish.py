"""``planner publish SCENARIO --revision ID --author NAME``: approve a draft for the portal.

A saved revision (``planner save``, the app's editor) is a draft.  Publishing one makes it the
revision the enterprise portal shows; the publication is recorded with who, when, why and what
changed since the previously published revision (``planner save SCENARIO --log`` lists saves and
publications).  When officials are configured per user (``officials.toml`` ``[users.*]``), the
author must be a login with the ``approver`` role.

``--revision current`` publishes the file as it is (recording it in the history first);
``--list`` shows the revisions and which one is published.

Exit codes: 0 published (or listed), 2 bad input (unknown revision, invalid scenario, author not
an approver), 3 could not write.
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner.problems import InputError
from planner.scenario import revisions


def add_arguments(parser):
    """Add the arguments of ``planner publish`` to ``parser``."""
    parser.add_argument("scenario", help="the scenario file")
    parser.add_argument(
        "--revision", metavar="ID", help="the saved revision to publish (a unique prefix, or 'current')"
    )
    parser.add_argument("--author", help="who approves and publishes")
    parser.add_argument("--message", "-m", default="", help="why (kept in the audit log)")
    parser.add_argument("--list", action="store_true", help="list the revisions and the published one")


def _check_approver(author: str) -> None:
    from planner.app.access import officials_config

    cfg = officials_config()
    if cfg.has_users:
        user = cfg.users.get(author)
        if user is None or not user.can_approve:
            raise InputError.single(
                "--author",
                f"{author!r} is not an official with the approver role in {cfg.path} "
                f"(approvers: {', '.join(u for u, o in cfg.users.items() if o.can_approve) or 'none'})",
            )


def run(args) -> int:
    """Run ``planner publish`` with the parsed ``args``; return the exit code."""
    path = Path(args.scenario)
    if not path.is_file():
        raise InputError.single(str(path), "scenario file not found")
    if args.list:
        states = revisions.revision_states(path)
        pub = revisions.published(path)
        print(f"{path}: published revision {pub['revision'] if pub else '(none)'}")
        for e in revisions.history(path):
            print(
                f"#{e['number']:04d} {e['revision']} [{states.get(e['revision'])}] {e['time']} "
                f"{e['author'] or '-'}: {e['message'] or ''}"
            )
        return 0
    if not args.revision:
        raise InputError.single(str(path), "give --revision ID (see --list) or --revision current")
    author = (args.author or "").strip()
    if not author:
        raise InputError.single("--author", "give who approves and publishes (--author NAME)")
    _check_approver(author)
    try:
        pub = revisions.publish(path, args.revision, author=author, message=args.message)
    except KeyError as exc:
        raise InputError.single(str(path), str(exc.args[0]), column="--revision") from None
    except (revisions.LockBusyError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        print(f"error: {getattr(exc, 'strerror', None) or exc}; nothing was published", file=sys.stderr)
        return 4  # EXIT_SYSTEM of planner.cli.main
    prev = pub["previous"] or "-"
    print(
        f"published {path.name} revision {pub['revision']} (previously {prev}), publication #{pub['number']:04d}"
    )
    print(revisions.format_changes(pub["changes"]))
    return 0
