"""The ``planner`` entry point: one command's module imported per run, the same help and errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from planner.cli.main import COMMANDS, build_parser


def _modules_after(argv: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from planner.cli.main import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('planner.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_a_command_imports_only_its_own_module():
    mods = _modules_after(["alerts", "--help"])
    assert "planner.cli.alerts" in mods
    others = {f"planner.cli.{m}" for n, (m, _) in COMMANDS.items() if n != "alerts"}
    assert not (mods & others), sorted(mods & others)
    assert "planner.inventory.table" not in mods  # the validate command's reader


def test_top_level_help_imports_no_command():
    mods = _modules_after(["--help"])
    assert not any(m.startswith("planner.cli.") and m != "planner.cli.main" for m in mods)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_parses_the_same_when_built_alone(command):
    def pick(parser):
        return next(a for a in parser._actions if a.dest == "command").choices[command]

    alone = build_parser(command)
    every = build_parser()
    assert pick(alone).format_help() == pick(every).format_help()
    assert every.format_help() == alone.format_help()
