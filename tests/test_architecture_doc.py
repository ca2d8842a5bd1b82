"""docs/ARCHITECTURE.md lists every module of the package (issue 9: a newcomer reads it top to bottom)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> set[str]:
    out = set()
    for f in (ROOT / "planner").rglob("*.py"):
        parts = f.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.add(".".join(parts))
    return out


def _index() -> set[str]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Module index", 1)
    assert len(section) == 2, "docs/ARCHITECTURE.md has no '## Module index' section"
    return set(re.findall(r"^\| `(planner[\w.]*)` \|", section[1], flags=re.M))


def test_every_module_is_in_the_index():
    missing = sorted(_modules() - _index())
    assert not missing, f"modules missing from docs/ARCHITECTURE.md's module index: {missing}"


def test_index_names_no_module_that_does_not_exist():
    stale = sorted(_index() - _modules())
    assert not stale, f"docs/ARCHITECTURE.md's module index names modules that do not exist: {stale}"
