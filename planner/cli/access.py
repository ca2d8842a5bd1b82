"""``planner access issue|revoke|list SCENARIO``: the enterprise portal's access codes.

The bureau issues each firm of a scenario's enterprise list a code (12 characters without
look-alikes, e.g. ``7KQM-R3XP-HW2D``) to log in to the portal with its unified social credit code.
Codes are shown once — printed, or written as printable letters with ``--letters`` — and only
their salted hashes are kept, in ``<scenario folder>/.access/codes.toml`` (``--codes`` or
``$PLANNER_ACCESS_CODES`` to keep them elsewhere), never in the list.  Re-issuing replaces a
firm's code; ``revoke`` stops a code at once.

Examples::

    planner access issue scenarios/demo_list.yaml --all --author 王工 --letters letters/
    planner access issue scenarios/demo_list.yaml E00012 --author 王工        # prints the code once
    planner access revoke scenarios/demo_list.yaml E00012 --author 王工
    planner access list scenarios/demo_list.yaml

Exit codes: 0 done, 2 bad input (unknown enterprise, no credit code, invalid code file),
3 could not write.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from planner.app import access
from planner.problems import InputError


def add_arguments(parser):
    """Add the arguments of ``planner access`` to ``parser``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    common = []
    issue = sub.add_parser("issue", help="issue new codes (shown once) for some or all enterprises")
    revoke = sub.add_parser("revoke", help="revoke enterprises' codes")
    listing = sub.add_parser("list", help="which enterprises have a code (never the codes)")
    for p in (issue, revoke, listing):
        p.add_argument("scenario", help="the scenario whose enterprise list the codes are for")
        p.add_argument(
            "--codes", metavar="FILE", help="the code file (default: <scenario folder>/.access/codes.toml)"
        )
        common.append(p)
    issue.add_argument(
        "ids", nargs="*", metavar="ENTERPRISE_ID", help="enterprises (default with --all: every one)"
    )
    issue.add_argument("--all", action="store_true", help="every enterprise of the list")
    issue.add_argument("--missing", action="store_true", help="only enterprises without an active code")
    issue.add_argument(
        "--letters", metavar="FILE.html", help="write printable letters (one page per firm) here"
    )
    issue.add_argument("--bureau", default="", help="issuing authority printed on the letters")
    issue.add_argument("--url", default="", help="portal address printed on the letters")
    revoke.add_argument("ids", nargs="+", metavar="ENTERPRISE_ID", help="enterprise ids or credit codes")
    for p in (issue, revoke):
        p.add_argument("--author", required=True, help="who issues / revokes (recorded in the code file)")
    for p in (issue, listing):
        p.add_argument("--format", choices=("text", "json"), default="text")


def _table(scenario: str):
    from planner.inventory.table import read_inventory
    from planner.scenario.files import load_scenario

    return read_inventory(load_scenario(scenario).inventory).table


def run(args) -> int:
    """Run ``planner access`` with the parsed ``args``; return the exit code."""
    store = Path(args.codes) if args.codes else access.codes_path(args.scenario)
    try:
        table = _table(args.scenario)
        if args.action == "list":
            return _list(store, table, args)
        if args.action == "revoke":
            done = access.revoke_codes(store, table, args.ids, author=args.author)
            print(f"revoked {len(done)} code(s) in {store}: {', '.join(done)}")
            return 0
        return _issue(store, table, args)
    except access.CodeFileError as exc:
        raise InputError.single(str(store), str(exc)) from None
    except ValueError as exc:
        raise InputError.single(args.scenario, str(exc)) from None
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        print(f"error: could not write {store}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 4  # EXIT_SYSTEM of planner.cli.main


def _issue(store: Path, table, args) -> int:
    if not args.ids and not args.all and not args.missing:
        raise InputError.single(args.scenario, "name the enterprises, or give --all or --missing")
    if args.ids and (args.all or args.missing):
        raise InputError.single(args.scenario, "give enterprise ids or --all/--missing, not both")
    issued = access.issue_codes(store, table, args.ids or None, author=args.author, only_missing=args.missing)
    if args.letters:
        from planner.scenario.revisions import atomic_write

        letters = Path(args.letters)
        letters.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(letters, access.letters_html(issued, bureau=args.bureau, url=args.url), 0o600)
    if args.format == "json":
        rows = [dict(r) for r in issued]
        if args.letters:
            rows = [{k: v for k, v in r.items() if k != "code"} for r in rows]
        print(
            json.dumps(
                {"codes_file": str(store), "letters": args.letters, "issued": rows}, ensure_ascii=False
            )
        )
        return 0
    print(f"issued {len(issued)} code(s); hashes in {store}")
    if args.letters:
        print(f"letters (the only copy of the codes): {args.letters}")
        return 0
    print("the codes are shown only now:")
    for r in issued:
        print(f"{r['enterprise_id']}\t{r['credit_code']}\t{r['code']}\t{r['name']}")
    return 0


def _list(store: Path, table, args) -> int:
    status = access.code_status(store, table)
    if args.format == "json":
        print(
            json.dumps(
                {"codes_file": str(store), "enterprises": status.to_dict("records")}, ensure_ascii=False
            )
        )
        return 0
    counts = status["status"].value_counts()
    print(
        f"{store}: {int(counts.get('active', 0))} active, {int(counts.get('revoked', 0))} revoked, "
        f"{int(counts.get('none', 0))} without a code"
    )
    for r in status.itertuples():
        when = r.revoked if r.status == "revoked" else r.issued
        print(f"{r.enterprise_id}\t{r.status}\t{when or '-'}\t{r.issued_by or '-'}\t{r.name}")
    return 0
