"""Shared pytest fixtures.

``realdata`` points at ``../shared/realdata`` next to the repository (public data the project
does not ship); tests that use it are skipped cleanly when the folder is absent, as it is in a
user's fresh clone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("PLANNER_REALDATA", REPO.parent / "shared" / "realdata"))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real public data not available at {REALDATA}")
    return REALDATA
