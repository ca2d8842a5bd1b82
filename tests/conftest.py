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


@pytest.fixture(scope="session")
def scenario_dir(tmp_path_factory) -> Path:
    """``scenarios/*.yaml`` copied to a temporary folder with absolute data paths, so that tests
    which save revisions (the app, the browser) never write into the repository."""
    out = tmp_path_factory.mktemp("scenario-copy") / "scenarios"
    out.mkdir()
    for f in sorted((REPO / "scenarios").glob("*.yaml")):
        text = f.read_text(encoding="utf-8").replace("../data/", str(REPO / "data") + "/")
        (out / f.name).write_text(text, encoding="utf-8")
    return out
