"""The lint, format and type checks CI enforces (``ruff check``, ``ruff format --check``, ``mypy``).

Each runs the tool installed next to the interpreter running the tests (the venv's ``bin``), so the
versions are the ones pinned by the ``test`` extra; a tool that is not installed is skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    exe = BIN / name
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def _run(*cmd: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_ruff_check_is_clean():
    r = _run(_tool("ruff"), "check", "--no-cache", ".", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_is_applied():
    r = _run(_tool("ruff"), "format", "--check", "--no-cache", ".", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_optimize_and_policy():
    # files and options come from [tool.mypy] in pyproject.toml; the cache keeps reruns quick
    r = _run(_tool("mypy"), timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success" in r.stdout
