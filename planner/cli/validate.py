"""``planner validate FILE [--format text|json]``: check an enterprise inventory file.

Exit code 0 when the file can be used (warnings allowed), 2 when it has errors; every problem is
listed either way.  ``--format json`` prints
``{"valid": bool, "errors": [{"file", "row", "column", "message"}], "warnings": [...]}``.
"""

from __future__ import annotations

import sys

from planner.inventory.table import validate_inventory


def add_arguments(parser) -> None:
    """Declare the command's arguments on its sub-parser."""
    parser.add_argument("file", metavar="FILE", help="inventory file (CSV in UTF-8/GBK, or XLSX)")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )


def run(args) -> int:
    """Validate ``args.file``, print the problems, return 0 (valid) or 2 (errors)."""
    problems = validate_inventory(args.file)
    if args.format == "json":
        print(problems.to_json())
    else:
        if problems.ok:
            print(f"{args.file}: valid")
        print(problems.to_text(), file=sys.stdout if problems.ok else sys.stderr)
    return 0 if problems.ok else 2
