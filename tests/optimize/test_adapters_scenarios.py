"""The two adapters of the one model give identical objectives and duals on every shipped scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.optimize.model import solve
from planner.scenario.run import prepare, solver_options

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_highs_and_pulp_adapters_agree(path):
    prepared = prepare(path)
    opts = {**solver_options(prepared.scenario), "mip_gap": 1e-9}
    a = solve(prepared.inputs, {**opts, "backend": "highs"})
    b = solve(prepared.inputs, {**opts, "backend": "pulp", "solver": "highs"})
    assert a.status == b.status
    if a.status in ("optimal", "infeasible"):
        assert a.objective == pytest.approx(b.objective, rel=1e-7)
        ok = np.isfinite(a.duals.values) & np.isfinite(b.duals.values)
        assert (np.isfinite(a.duals.values) == np.isfinite(b.duals.values)).all()
        np.testing.assert_allclose(a.duals.values[ok], b.duals.values[ok], rtol=1e-5, atol=1e-6)
