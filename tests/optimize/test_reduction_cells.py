"""``reduction_cells`` / ``removed_tonnes``: the tonnes per cell the model counts (issue 10/12)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.optimize.inputs import plan_inputs_from_arrays, reduction_cells, reduction_terms, removed_tonnes
from planner.optimize.model import solve
from planner.optimize.verify import verify_plan


def _case(floor, floor_factor, extra_factor, emis):
    floor = np.asarray(floor, float).reshape(-1, 1)
    E = len(floor)
    emis = np.asarray(emis, float).reshape(E, 1, 1) * np.ones((1, 1, 4))
    fr = emis * floor[:, :, None] * np.asarray(floor_factor, float).reshape(E, 1, 1)
    extra = emis * np.asarray(extra_factor, float).reshape(E, 1, 1)
    red = fr + extra * (1.0 - floor)[:, :, None]
    ds = plan_inputs_from_arrays(floor, np.ones((E, 1)), np.full((E, 1), 10.0), red, np.zeros((1, 4)))
    ds["floor_reduction"] = (("enterprise", "slot", "pollutant"), fr)
    ds["extra_reducible"] = (("enterprise", "slot", "pollutant"), extra)
    return ds


def test_cells_by_hand():
    """Floor 0.5 at factor 0.2, extra factor 0.8, 10 t/d: coef 8, const 1 − 4 = −3; at x = 0.75:
    1 + 8·0.25 = 3 t/d; at a full stop the ``reducible`` (5 t/d); 0 at no cut."""
    ds = _case([0.5, 0.0], [0.2, 0.0], [0.8, 0.6], [10.0, 5.0])
    coef, const = reduction_cells(ds)
    assert coef[:, 0, 0] == pytest.approx([8.0, 3.0])
    assert const[:, 0, 0] == pytest.approx([-3.0, 0.0])
    _, total = reduction_terms(ds)
    assert total[0, 0] == pytest.approx(-3.0)
    t = removed_tonnes(ds, np.array([[0.75], [0.5]]))
    assert t[:, 0, 0] == pytest.approx([3.0, 1.5])
    np.testing.assert_allclose(removed_tonnes(ds, np.ones((2, 1))), ds["reducible"].values)
    # below the floor (a what-if, not a plan): the floor measures in proportion, nothing at 0
    assert removed_tonnes(ds, np.array([[0.25], [0.0]]))[:, 0, 0] == pytest.approx([0.5, 0.0])
    assert removed_tonnes(ds, np.zeros((2, 1))) == pytest.approx(np.zeros((2, 1, 4)))
    # rows excluded (menu firms) contribute nothing
    coef, const = reduction_cells(ds, exclude=np.array([True, False]))
    assert (coef[0] == 0).all() and (const[0] == 0).all() and coef[1, 0, 0] == pytest.approx(3.0)


def test_without_offset_it_is_reducible_times_x():
    ds = _case([0.5], [0.2], [0.8], [10.0]).drop_vars(["floor_reduction", "extra_reducible"])
    x = np.array([[0.3]])
    np.testing.assert_allclose(removed_tonnes(ds, x), 0.3 * ds["reducible"].values)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 0.9),
            st.floats(0.05, 1.0),
            st.floats(0.05, 1.0),
            st.floats(0.1, 20.0),
            st.floats(0.0, 1.0),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_model_achieved_equals_removed_tonnes(rows):
    """What the model reports as achieved is credited + Σ removed_tonnes of its plan, and the plan
    verifies, for any mix of floor and extra factors."""
    floor, ff, ef, emis, share = (np.array(c) for c in zip(*rows, strict=True))
    ds = _case(floor, ff, ef, emis)
    reach = removed_tonnes(ds, np.ones((len(floor), 1))).sum(axis=0)
    base = removed_tonnes(ds, floor.reshape(-1, 1)).sum(axis=0)
    ds["target"] = xr.DataArray(base + share.mean() * (reach - base), dims=("slot", "pollutant"))
    plan = solve(ds)
    assert plan.status == "optimal"
    x = plan.curtailment.transpose("enterprise", "slot").values
    np.testing.assert_allclose(
        plan.achieved.values, ds["credited"].values + removed_tonnes(ds, x).sum(axis=0), rtol=1e-9, atol=1e-9
    )
    assert verify_plan(ds, plan) == []
