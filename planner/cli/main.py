"""Command-line entry point: ``planner <command> ...`` (also ``python -m planner``).

Each command lives in its own module under :mod:`planner.cli` with two functions,
``add_arguments(parser)`` and ``run(args) -> int``.

Exit codes (the same for every command)
---------------------------------------
===  ==========================================================================================
0    success
1    a result that is not usable as is (e.g. infeasible targets, a time limit); files are
     still written and the reason is printed
2    bad input: a file, scenario value or argument is wrong (every problem is printed, with
     file, row and column or key path)
3    conflict on save: someone saved the scenario since the edit started (nothing written)
4    I/O or system error: an output cannot be written (read-only folder, full disk, file size
     limit), a file cannot be read for lack of permission, or memory ran out
===  ==========================================================================================

No command ends in a traceback for these cases.  With ``--format json`` standard output carries
only JSON: the command's document on success, and on exit 2 or 4 an error document
``{"valid": false, "exit_code": 2|4, "errors": [{"file", "row", "column", "message"}],
"warnings": [...]}`` (the human-readable text goes to standard error) — also when the command
line itself is wrong (an unknown option, a missing argument: exit 2, argparse's usage on
standard error).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import io
import json
import os
import sys
from typing import NoReturn

from planner.problems import InputError, Problems

#: Exit codes (see the module docs).
EXIT_OK = 0
EXIT_NOT_USABLE = 1
EXIT_BAD_INPUT = 2
EXIT_CONFLICT = 3
EXIT_SYSTEM = 4

#: command name -> (module under planner.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check an enterprise inventory file (CSV/XLSX) and list every problem"),
    "demo-data": ("demo_data", "generate the synthetic demo city (inventory, city totals, forecast)"),
    "alerts": ("alerts", "daily city AQI, primary pollutant and alert level per day and per process"),
    "plan": ("plan", "solve a scenario and write schedule.csv, summary.json and plan.xlsx"),
    "replan": ("replan", "re-plan an episode for a new forecast: past days fixed, what changes for whom"),
    "compare": ("compare", "compare scenarios side by side (loss, reductions, changed obligations)"),
    "save": ("save", "save a revised scenario as a new revision, with history and conflict check"),
    "publish": ("publish", "approve a saved revision: the enterprise portal shows it from now on"),
    "access": ("access", "issue, revoke and list the enterprise portal's access codes"),
    "analyze": ("analyze", "expert report: least-cost curve, infeasibility share, upgrade values, measures"),
    "export": ("export", "the emergency list workbook (Chinese layout) and 一厂一策 sheets"),
}

EPILOG = (
    "exit codes: 0 success; 1 result not usable as is (e.g. infeasible); 2 bad input; "
    "3 conflict on save; 4 I/O or system error (cannot write outputs, no permission, no memory)"
)

#: errno -> what to do about it, for the I/O error message.
_ADVICE = {
    errno.ENOSPC: "free some disk space or choose another --out folder",
    errno.EDQUOT: "free some space in your quota or choose another --out folder",
    errno.EFBIG: "the file exceeds the size limit of this system or shell (ulimit -f)",
    errno.EROFS: "the folder is on a read-only file system; choose another --out folder",
    errno.EACCES: "you have no permission here; choose another folder or ask for access",
    errno.EPERM: "the operation is not permitted here; choose another folder",
}


class UsageError(Exception):
    """A command line argparse rejects: ``message`` and the usage line of the (sub-)command."""

    def __init__(self, message: str, usage: str, prog: str):
        super().__init__(message)
        self.message, self.usage, self.prog = message, usage, prog


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors reach :func:`main` (which prints them as the format asks)."""

    def error(self, message: str) -> NoReturn:  # raises instead of exiting
        raise UsageError(message, self.format_usage(), self.prog)


def wants_json(argv: list[str]) -> bool:
    """Whether a command line asks for ``--format json`` (read before argparse has accepted it)."""
    return any(
        a == "--format=json" or (a == "--format" and i + 1 < len(argv) and argv[i + 1] == "json")
        for i, a in enumerate(argv)
    )


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``planner`` argument parser with one sub-command per command module.

    Parameters
    ----------
    command : str, optional
        Import only this command's module and add only its arguments (the others keep their name
        and help, so ``planner --help`` and an unknown command read the same); every command's
        when None.  A command module imports what it needs (the inventory reader alone ~1 s), so
        ``planner`` starts in a fraction of that.
    """
    parser = _Parser(
        prog="planner",
        description="Emergency emission-reduction planner for heavy-pollution weather.",
        epilog=EPILOG,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
        if command is None or name == command:
            mod = importlib.import_module(f"planner.cli.{module}")
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    return parser


def os_error_message(exc: OSError) -> str:
    """A one-line account of an I/O error: what failed on which file, and what to do.

    Parameters
    ----------
    exc : OSError

    Returns
    -------
    str
    """
    what = exc.strerror or str(exc) or type(exc).__name__
    where = f" {exc.filename}" if exc.filename else ""
    if exc.filename2:
        where += f" -> {exc.filename2}"
    advice = _ADVICE.get(exc.errno)
    return f"cannot access{where}: {what}" + (f" ({advice})" if advice else "")


def _fail(args, code: int, problems: Problems, text: str) -> int:
    """Print a failure (text on stderr; with ``--format json`` also a JSON document on stdout)."""
    print(text, file=sys.stderr)
    if getattr(args, "format", None) == "json":
        doc = {**problems.to_json_dict(), "valid": False, "exit_code": code}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    return code


@contextlib.contextmanager
def json_only_stdout():
    """Keep stdout for the JSON document while a ``--format json`` command runs.

    Send anything written to the stdout *file descriptor* (a C library's banner or progress lines) to stderr,
    and only what Python code prints (the JSON document) to the real stdout.  A no-op when stdout is not a
    file descriptor (e.g. captured by a test).
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    os.dup2(2, fd)
    original = sys.stdout
    sys.stdout = io.TextIOWrapper(
        io.FileIO(saved, "w", closefd=False), encoding=getattr(original, "encoding", None) or "utf-8"
    )
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
        finally:
            sys.stdout = original
            os.dup2(saved, fd)
            os.close(saved)


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code (see the module docs)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # the command is the first word (the top level has no option taking a value)
    parser = build_parser(next((a for a in argv if not a.startswith("-")), ""))
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:  # a wrong argument: bad input, as JSON too when JSON was asked for
        problems = Problems()
        problems.error("", None, None, f"command line: {exc.message}")
        text = f"{exc.usage}{exc.prog}: error: {exc.message}"
        fmt = argparse.Namespace(format="json" if wants_json(argv) else "text")
        return _fail(fmt, EXIT_BAD_INPUT, problems, text)
    if not getattr(args, "_run", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    guard = json_only_stdout() if getattr(args, "format", None) == "json" else contextlib.nullcontext()
    with guard:
        return _run(args)


def _run(args) -> int:
    """Run the command, turning every expected failure into its exit code and message."""
    try:
        return int(args._run(args) or 0)
    except InputError as exc:
        return _fail(args, EXIT_BAD_INPUT, exc.problems, exc.problems.to_text())
    except BrokenPipeError:  # e.g. `planner alerts … | head`
        sys.stderr.close()
        return EXIT_OK
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        # a path given on the command line or in a scenario that does not fit: bad input
        problems = Problems()
        problems.error(exc.filename or "", None, None, os_error_message(exc))
        return _fail(args, EXIT_BAD_INPUT, problems, f"error: {os_error_message(exc)}")
    except OSError as exc:
        problems = Problems()
        problems.error(exc.filename or "", None, None, os_error_message(exc))
        return _fail(args, EXIT_SYSTEM, problems, f"error: {os_error_message(exc)}")
    except MemoryError:
        problems = Problems()
        message = "not enough memory to finish; close other programs or use a smaller input"
        problems.error("", None, None, message)
        return _fail(args, EXIT_SYSTEM, problems, f"error: {message}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
