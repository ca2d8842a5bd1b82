"""The two adapters of the one model give identical objectives and duals on every shipped scenario.

Both compile the *same* LinearModel (built and rewritten once), so any difference is the
adapters'.  The plans of the two backends (each with its own default formulation) agree on the
objective.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.optimize import highs_backend, pulp_backend
from planner.optimize.blocks import TARGET, build_model
from planner.optimize.model import solve
from planner.optimize.options import SolveOptions
from planner.optimize.transforms import substitute_chains
from planner.scenario.region import is_region_file
from planner.scenario.run import prepare, solver_options

SCENARIOS = sorted(
    p for p in (Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml") if not is_region_file(p)
)


def _objective(m, sol) -> float:
    cost, _, _, _ = m.column_arrays()
    return float(cost @ np.concatenate([sol.values[b] for b in m.variables]))


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_highs_and_pulp_adapters_agree(path):
    prepared = prepare(path)
    opts = SolveOptions.from_any({**solver_options(prepared.scenario), "mip_gap": 1e-9})
    m, _ = build_model(prepared.inputs, opts)
    substitute_chains(m)
    a = highs_backend.solve(m, mip_gap=1e-9)
    b = pulp_backend.solve(m, solver="highs", mip_gap=1e-9)
    assert a.state == b.state
    if a.values is not None:
        assert _objective(m, a) == pytest.approx(_objective(m, b), rel=1e-7, abs=1e-6)
        S, P = prepared.inputs.sizes["slot"], prepared.inputs.sizes["pollutant"]
        da, db = np.abs(a.duals[TARGET]).reshape(S, P), np.abs(b.duals[TARGET]).reshape(S, P)
        assert (np.isfinite(da) == np.isfinite(db)).all()
        # identical chained days make the LP dual-degenerate: a target's price may move between the
        # days of a chain, so the duals are compared per chain (summed over its days) and, for
        # unchained slots, one by one
        chain = np.asarray(prepared.inputs["chain"].values, int)
        groups = [np.flatnonzero(chain == c) for c in np.unique(chain[chain >= 0])]
        groups += [np.array([s]) for s in np.flatnonzero(chain < 0)]
        for g in groups:
            sa, sb = np.nansum(da[g], axis=0), np.nansum(db[g], axis=0)
            np.testing.assert_allclose(sa, sb, rtol=1e-5, atol=1e-6)
    pa = solve(prepared.inputs, {**solver_options(prepared.scenario), "mip_gap": 1e-9, "backend": "highs"})
    pb = solve(prepared.inputs, {**solver_options(prepared.scenario), "mip_gap": 1e-9, "backend": "pulp"})
    assert pa.status == pb.status
    if pa.status in ("optimal", "infeasible"):
        assert pa.objective == pytest.approx(pb.objective, rel=1e-7)
