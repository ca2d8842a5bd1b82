"""The benchmark helpers run (tiny sizes; the figures themselves come from the benchmarks)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _has_git_head() -> bool:
    r = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, check=False)
    return r.returncode == 0


@pytest.mark.skipif(not _has_git_head(), reason="needs a git checkout")
def test_ab_decomposition_compares_a_revision_with_the_working_tree(capsys):
    ab = _load("ab_decomposition")
    assert (
        ab.main(
            ["--revs", "HEAD,WORKTREE", "--sizes", "400", "--slots", "4", "--seeds", "0-1", "--rounds", "1"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "400 × 4, seeds 0-1, 1 rounds; objectives equal: True" in out
    assert "HEAD" in out
    assert "WORKTREE" in out
    assert "highspy (seed 0)" in out
    assert ab.seeds_of("2-4") == [2, 3, 4]
    assert ab.seeds_of("1,5") == [1, 5]


@pytest.mark.skipif(not _has_git_head(), reason="needs a git checkout")
def test_ab_decomposition_names_an_unknown_revision(capsys):
    ab = _load("ab_decomposition")
    assert ab.main(["--revs", "no-such-revision", "--sizes", "100", "--seeds", "0", "--rounds", "1"]) == 2
    err = capsys.readouterr().err
    assert "no planner/optimize/decomposition.py at revision 'no-such-revision'" in err
