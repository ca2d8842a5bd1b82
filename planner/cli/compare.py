"""``planner compare S1 S2 [S3 …] [--format text|json|xlsx] [--out DIR]``.

Solves each scenario and shows them side by side: status, total output loss, loss by slot,
grade, county and industry, reductions against targets per pollutant and slot, firms curtailed,
and the enterprises whose obligations changed against the first scenario.  The JSON document is
described in :mod:`planner.scenario.compare`.  ``S.yaml@uniform`` (or ``@greedy``, ``@rules_only``) stands
for that baseline's plan of scenario S, e.g. ``planner compare s.yaml s.yaml@uniform`` lists the
firms the uniform cut (一刀切) treats differently from the optimised list.

``--out DIR`` writes ``compare.json``, ``compare.txt`` and ``compare.xlsx`` there (through a
temporary folder beside DIR, moved into place once all three are complete); ``--format
xlsx`` needs ``--out`` (default: the current folder).  Exit codes: 0 every scenario optimal, 1 some
scenario not optimal (the comparison is still printed/written), 2 bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner.scenario import compare


def add_arguments(parser):
    """Add the arguments of ``planner compare`` to ``parser``."""
    parser.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="scenario YAML files (optionally FILE@uniform|@greedy|@rules_only); the first is the reference",
    )
    parser.add_argument("--format", choices=("text", "json", "xlsx"), default="text")
    parser.add_argument("--out", metavar="DIR", help="folder for compare.json, compare.txt, compare.xlsx")
    parser.add_argument(
        "--max-changes", type=int, default=40, help="changed firm×slot rows shown in text (default 40)"
    )


def run(args) -> int:
    """Run ``planner compare`` with the parsed ``args``; return the exit code."""
    doc, _ = compare.compare_files(args.scenarios)
    out = args.out or ("." if args.format == "xlsx" else None)
    try:
        paths = compare.write_outputs(doc, out) if out else {}
    except OSError as exc:  # exit 4 (planner.cli.main), naming --out rather than the staged folder
        raise OSError(
            exc.errno,
            f"cannot write the comparison: {exc.strerror or exc}; nothing was changed there",
            str(out),
        ) from None
    if args.format == "json":
        print(compare.to_json(doc))
    elif args.format == "text":
        print(compare.to_text(doc, max_changes=args.max_changes))
    if paths:
        msg = "wrote " + ", ".join(str(Path(p)) for p in paths.values())
        print(msg, file=sys.stderr if args.format == "json" else sys.stdout, flush=True)
    return 0 if all(s["status"] == "optimal" for s in doc["scenarios"]) else 1
