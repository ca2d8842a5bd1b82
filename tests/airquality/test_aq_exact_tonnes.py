"""ΔPM2.5 and the air-quality goal count the tonnes the model counts (issue 10/12).

A hand-made city of three firms whose floor measures work at a different factor than a cut above
the floor (``floor_reduction + extra_reducible · (x − floor)``, not ``reducible · x``), with a
hand-made source–receptor matrix, so every µg/m³ is checked against ``Σ SR × tonnes`` by hand.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from planner import POLLUTANTS
from planner.airquality.effect import CITY, plan_effect
from planner.airquality.sr import write_sr
from planner.optimize.airgoal import attach_goal, goal_outcome
from planner.optimize.inputs import plan_inputs_from_arrays
from planner.optimize.model import solve
from planner.optimize.verify import verify_plan

NOX, PM = POLLUTANTS.index("NOx"), POLLUTANTS.index("PM")
IDS = ["F1", "F2", "F3"]
SLOTS = ["yellow", "orange"]
EMIS = np.zeros((3, 4))
EMIS[:, NOX] = [10.0, 6.0, 4.0]
EMIS[:, PM] = [2.0, 4.0, 1.0]
FLOOR = np.array([[0.3, 0.3], [0.5, 0.5], [0.0, 0.0]])
#: the floor measures remove less per unit of output than a cut above the floor (a stop)
FLOOR_FACTOR = np.array([0.4, 0.2, 0.7])
EXTRA_FACTOR = np.array([0.9, 0.8, 0.7])
#: µg/m³ at the city mean per t/d (lag, source, pollutant): lag 1 half of lag 0
SR0 = np.zeros((3, 4))
SR0[:, NOX] = [0.02, 0.05, 0.01]
SR0[:, PM] = [0.10, 0.08, 0.20]
SR = np.stack([SR0, 0.5 * SR0])  # (lag, source, pollutant)


def _inputs(target_nox: float = 0.0) -> xr.Dataset:
    fr = EMIS[:, None, :] * FLOOR[:, :, None] * FLOOR_FACTOR[:, None, None]
    extra = EMIS[:, None, :] * EXTRA_FACTOR[:, None, None] * np.ones((1, 2, 1))
    reducible = fr + extra * (1.0 - FLOOR)[:, :, None]  # tonnes at a full stop
    target = np.zeros((2, 4))
    target[:, NOX] = target_nox
    ds = plan_inputs_from_arrays(
        FLOOR,
        np.ones((3, 2)),
        np.array([[100.0, 100.0], [60.0, 60.0], [30.0, 30.0]]),
        reducible,
        target,
        level=SLOTS,
        days=[3.0, 2.0],
        mode="list",
        enterprise=IDS,
        slot=SLOTS,
    )
    ds["floor_reduction"] = (("enterprise", "slot", "pollutant"), fr)
    ds["extra_reducible"] = (("enterprise", "slot", "pollutant"), extra)
    return ds


def _hand_tonnes(x: np.ndarray) -> np.ndarray:
    """t/d removed (E, S, P), written out: floor measures at their factor, the rest at the extra one."""
    return EMIS[:, None, :] * (
        (FLOOR * FLOOR_FACTOR[:, None])[:, :, None] + (EXTRA_FACTOR[:, None] * (x - FLOOR))[:, :, None]
    )


@pytest.fixture
def city(tmp_path):
    sr = xr.DataArray(
        SR.transpose(0, 2, 1)[None],  # (receptor, lag, pollutant, source)
        dims=("receptor", "lag", "pollutant", "source"),
        coords={"receptor": [CITY], "lag": [0, 1], "pollutant": list(POLLUTANTS), "source": IDS},
        attrs={"units": "ug m-3 per t d-1", "source_type": "enterprise"},
    )
    path = write_sr(sr, tmp_path / "hand_sr.nc")
    table = pd.DataFrame(
        {
            "name": IDS,
            "county": "c0",
            "industry": "i0",
            "grade": "B",
            "lon": [116.0, 116.1, 116.2],
            "lat": [36.0, 36.1, 36.2],
            **{p: EMIS[:, j] for j, p in enumerate(POLLUTANTS)},
        },
        index=pd.Index(IDS, name="enterprise_id"),
    )
    scenario = SimpleNamespace(
        mode="list",
        forecast=None,
        non_industrial=[],
        file=str(tmp_path / "scenario.yaml"),
        air_quality={"source_receptor": str(path)},
    )

    def prepared(inputs):
        return SimpleNamespace(
            inputs=inputs,
            table=table,
            city={"stations": []},
            slots=pd.DataFrame({"slot": SLOTS, "level": SLOTS}),
            scenario=scenario,
            timings={},
        )

    return prepared


def test_plan_delta_is_sr_times_removed_tonnes(city):
    """(a) ΔPM2.5 of a plan = Σ SR × the tonnes removed (floor measures at their own factor)."""
    prep = city(_inputs())
    x = np.array([[0.3, 0.6], [0.5, 1.0], [0.2, 0.0]])
    eff = plan_effect(
        prep, xr.DataArray(x, dims=("enterprise", "slot"), coords={"enterprise": IDS, "slot": SLOTS})
    )
    tonnes = _hand_tonnes(x)
    # list mode: a slot's ΔPM2.5 is the sustained cut, every lag summed
    want = np.einsum("lep,esp->s", SR, tonnes)
    got = eff.days.set_index("slot").loc[SLOTS, "delta_pm25_industry"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(eff.firm_delta.values, np.einsum("lep,esp->es", SR, tonnes), rtol=1e-12)
    np.testing.assert_allclose(
        eff.by_pollutant.to_numpy(), np.einsum("lep,esp->sp", SR, tonnes), rtol=1e-12, atol=1e-15
    )
    # reducible · x would state something else here (F1 and F2 at their floors)
    old = np.einsum("lep,esp->s", SR, x[:, :, None] * prep.inputs["reducible"].values)
    assert np.abs(old - want).max() > 0.01


def test_plan_delta_of_a_menu_firm_is_its_options_tonnes(city):
    """(a) A menu firm removes its chosen option's tonnes (plus its load cut), not emissions × x."""
    ds = _inputs()
    red = np.zeros((2, 4))
    red[0, NOX], red[1, NOX] = 3.0, 5.0  # option tonnes: not proportional to the output share
    load = np.zeros((2, 4))
    load[:, NOX] = 4.0
    ds = ds.assign(
        menu_enterprise=(("menu_option",), np.array([2, 2])),
        menu_option_id=(("menu_option",), np.array(["low", "high"])),
        menu_output=(("menu_option",), np.array([0.1, 0.3])),
        menu_reduction=(("menu_option", "pollutant"), red),
        menu_load_max=(("menu_option",), np.array([0.2, 0.2])),
        menu_load_reduction=(("menu_option", "pollutant"), load),
        menu_allowed=(("menu_option", "slot"), np.ones((2, 2), bool)),
        menu_text_zh=(("menu_option",), np.array(["低", "高"])),
        menu_text_en=(("menu_option",), np.array(["low", "high"])),
    )
    menu = xr.Dataset(
        {
            "choice": (("menu_option", "slot"), np.array([[1.0, 0.0], [0.0, 1.0]])),
            "load_cut": (("menu_option", "slot"), np.array([[0.0, 0.0], [0.0, 0.1]])),
        }
    )
    x = np.array([[0.3, 0.3], [0.5, 0.5], [0.1, 0.4]])
    curt = xr.DataArray(x, dims=("enterprise", "slot"), coords={"enterprise": IDS, "slot": SLOTS})
    eff = plan_effect(city(ds), curt, menu=menu)
    tonnes = _hand_tonnes(x)
    tonnes[2] = 0.0
    tonnes[2, 0, NOX] = 3.0  # option "low"
    tonnes[2, 1, NOX] = 5.0 + 4.0 * 0.1  # option "high" and a 10 % load cut
    want = np.einsum("lep,esp->s", SR, tonnes)
    got = eff.days.set_index("slot").loc[SLOTS, "delta_pm25_industry"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_air_goal_rows_are_exact(city):
    """(b) The goal rows count the floor measures' constant part: the solved plan meets the goal
    when its ΔPM2.5 is recomputed from the tonnes it removes (``reducible · x`` overstates it)."""
    prep = city(_inputs())
    goal = 0.9
    ds = attach_goal(prep, {"delta_pm25_city": goal})
    plan = solve(ds)
    assert plan.status == "optimal"
    assert verify_plan(ds, plan) == []
    x = plan.curtailment.transpose("enterprise", "slot").values
    true = np.einsum("lep,esp->s", SR, _hand_tonnes(x))  # list mode: every lag on the slot itself
    assert (true >= goal - 1e-6).all()
    assert true.min() == pytest.approx(goal, abs=1e-6)  # the goal binds on some slot
    # the outcome reported for the plan is the recomputed one
    np.testing.assert_allclose(goal_outcome(ds, x)["achieved"].values[0], true, rtol=1e-9)
    # the old coefficients (SR · reducible per unit, nothing constant) claim more than the plan gives
    old = np.einsum("lep,esp->s", SR, x[:, :, None] * prep.inputs["reducible"].values)
    assert (old > true + 0.01).any()
