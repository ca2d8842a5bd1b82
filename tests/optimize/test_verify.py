"""The independent verifier catches every violation type on doctored plans."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from planner.optimize.inputs import plan_inputs_from_arrays, random_plan_inputs
from planner.optimize.model import solve
from planner.optimize.verify import verify_plan


def doctor(plan, **changes):
    p = copy.deepcopy(plan)
    for k, v in changes.items():
        setattr(p, k, v)
    return p


def with_x(plan, x, inputs, keep_reports=False):
    """A copy of ``plan`` with curtailment ``x`` (and, unless keep_reports, consistent reports)."""
    p = copy.deepcopy(plan)
    p.curtailment.values[:] = x
    if not keep_reports:
        red = inputs["reducible"].values
        ach = inputs["credited"].values + np.einsum("es,esp->sp", x, red)
        p.achieved.values[:] = ach
        p.shortfall.values[:] = np.maximum(inputs["target"].values - ach, 0)
        p.objective = float((inputs["loss_at_full"].values * x).sum() + inputs["credited_loss"].values.sum())
        floor = inputs["floor"].values
        p.reason.values[:] = np.where(
            inputs["ceiling"].values <= 0, "exempt", np.where(x > floor + 1e-9, "optimizer", "floor")
        )
    return p


@pytest.fixture(scope="module")
def case():
    ds = random_plan_inputs(120, 3, seed=3, mode="list")
    plan = solve(ds, grade_monotonicity=True, county_loss_cap=0.5, firm_loss_cap=0.3, discrete=False)
    assert plan.status == "optimal" and plan.violations == []
    return ds, plan


def test_clean_plan_passes(case):
    ds, plan = case
    assert verify_plan(ds, plan) == []


def test_floor_violation(case):
    ds, plan = case
    x = plan.curtailment.values.copy()
    e = int(np.argmax(ds["floor"].values[:, 0]))
    x[e, :] = 0.0
    msgs = verify_plan(ds, with_x(plan, x, ds))
    assert any(m.startswith("floor violated") for m in msgs)


def test_ceiling_violation(case):
    ds, plan = case
    x = plan.curtailment.values.copy()
    e = int(np.flatnonzero(ds["ceiling"].values[:, 2] == 0)[0])
    x[e, :] = 0.4
    msgs = verify_plan(ds, with_x(plan, x, ds))
    assert any(m.startswith("ceiling violated") for m in msgs)


def test_chain_violation(case):
    ds, plan = case
    x = plan.curtailment.values.copy()
    e = int(np.flatnonzero((ds["ceiling"].values[:, 0] == 1) & (ds["floor"].values[:, 2] < 0.5))[0])
    x[e] = [1.0, 1.0, 0.6]
    msgs = verify_plan(ds, with_x(plan, x, ds))
    assert any("chain monotonicity violated" in m for m in msgs)


def test_target_missed_in_optimal_plan(case):
    ds, plan = case
    x = np.minimum(plan.curtailment.values, ds["floor"].values)  # back to floors: targets missed
    p = with_x(plan, x, ds)
    msgs = verify_plan(ds, p)
    assert any("in a plan marked optimal" in m for m in msgs)
    p.status = "infeasible"
    assert not any("marked optimal" in m for m in verify_plan(ds, p))
    p.shortfall.values[:] = 0.0  # now the reported shortfall is wrong
    assert any("shortfall" in m and "reported" in m for m in verify_plan(ds, p))


def test_wrong_objective_and_achieved(case):
    ds, plan = case
    assert any(
        m.startswith("objective") for m in verify_plan(ds, doctor(plan, objective=plan.objective * 0.9))
    )
    p = copy.deepcopy(plan)
    p.achieved.values[0, 0] += 1.0
    assert any(m.startswith("reported reduction") for m in verify_plan(ds, p))


def test_grade_violation():
    ds = plan_inputs_from_arrays(
        [[0.0], [0.0]], [[1.0], [1.0]], [[1.0], [2.0]], [[[1.0]], [[1.0]]], [[1.0]], grade_rank=[3, 6]
    )
    plan = solve(ds, grade_monotonicity=True)
    assert verify_plan(ds, plan) == []
    bad = with_x(plan, np.array([[1.0], [0.0]]), ds)
    assert any("grade monotonicity violated" in m for m in verify_plan(ds, bad))
    plan_off = solve(ds)  # without the option the same cut is fine
    assert verify_plan(ds, with_x(plan_off, np.array([[1.0], [0.0]]), ds)) == []


def test_loss_cap_violations():
    ds = plan_inputs_from_arrays(
        [[0.0], [0.0]], [[1.0], [1.0]], [[1.0], [2.0]], [[[1.0]], [[1.0]]], [[1.0]], county=["a", "b"]
    )
    plan = solve(ds, county_loss_cap=0.6, firm_loss_cap=0.6)
    assert verify_plan(ds, plan) == []
    bad = with_x(plan, np.array([[1.0], [0.0]]), ds)
    msgs = verify_plan(ds, bad)
    assert any(m.startswith("firm loss cap") for m in msgs)
    assert any(m.startswith("county loss cap") for m in msgs)


def test_whole_lines_violation():
    ds = plan_inputs_from_arrays([[0.0]], [[1.0]], [[1.0]], [[[1.0]]], [[0.3]], lines=[4])
    plan = solve(ds, discrete=True)
    assert verify_plan(ds, plan) == []
    bad = with_x(plan, np.array([[0.3]]), ds)
    assert any("whole production lines" in m for m in verify_plan(ds, bad))


def test_reason_violation(case):
    ds, plan = case
    p = copy.deepcopy(plan)
    r = p.reason.values
    r[r == "exempt"] = "floor"
    assert any("reason 'exempt'" in m for m in verify_plan(ds, p))
    p = copy.deepcopy(plan)
    r = p.reason.values
    r[r == "optimizer"] = "floor"
    assert any("reason 'optimizer'" in m for m in verify_plan(ds, p))


def test_shape_and_nan(case):
    ds, plan = case
    p = copy.deepcopy(plan)
    p.curtailment.values[0, 0] = np.nan
    assert "missing" in verify_plan(ds, p)[0]


def test_failed_verification_marks_plan_error(monkeypatch):
    import planner.optimize.verify as v

    monkeypatch.setattr(v, "verify_plan", lambda inputs, plan, tol=1e-6: ["doctored"])
    ds = plan_inputs_from_arrays([[0.0]], [[1.0]], [[1.0]], [[[1.0]]], [[0.3]])
    plan = solve(ds)
    assert plan.status == "error" and plan.violations == ["doctored"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stop_rows_equal_the_per_group_scan(seed):
    """The line-stop rows (grouped by one sort per slot) are the per-group scan's, in its order."""
    import xarray as xr

    from planner.optimize.verify import _stop_rows

    rng = np.random.default_rng(seed)
    E, S, G = 200, 4, 25
    g = np.where(rng.uniform(size=(E, S)) < 0.4, rng.integers(0, G, size=(E, S)), -1)
    ds = xr.Dataset(
        {
            "line_group": (("enterprise", "slot"), g),
            "group_count": (("group",), rng.integers(1, 3, size=G).astype(float)),
        }
    )
    want = []
    for s in range(S):
        for k in sorted(set(g[:, s].tolist()) - {-1}):
            want.append((f"group {k}", s, np.flatnonzero(g[:, s] == k), float(ds["group_count"].values[k])))
    got = _stop_rows(ds)
    assert [(a, s, c) for a, s, _, c in got] == [(a, s, c) for a, s, _, c in want]
    for (_, _, m1, _), (_, _, m2, _) in zip(got, want, strict=True):
        np.testing.assert_array_equal(m1, m2)


def _line_stop_case(seed):
    import xarray as xr

    rng = np.random.default_rng(seed)
    E, S, G = 150, 3, 20
    g = np.where(rng.uniform(size=(E, S)) < 0.5, rng.integers(0, G, size=(E, S)), -1)
    floor = np.where(rng.uniform(size=(E, S)) < 0.2, 1.0, rng.uniform(0, 0.6, size=(E, S)))
    loss = rng.choice([1.0, 2.0, 3.0], size=(E, S))  # ties: broken by unit order
    ds = xr.Dataset(
        {
            "line_group": (("enterprise", "slot"), g),
            "group_count": (("group",), rng.integers(1, 4, size=G).astype(float)),
            "loss_at_full": (("enterprise", "slot"), loss),
            "floor": (("enterprise", "slot"), floor),
            "chain": (("slot",), np.array([0, 0, 0])),
            "order": (("slot",), np.arange(S)),
            "toggle_allowed": (("enterprise",), np.zeros(E, bool)),
        },
        attrs={"mode": "list"},
    )
    return ds, rng


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_with_line_stops_equals_the_per_group_ranking(seed):
    """The rule floor with line stops (one sort over every group) equals the per-group ranking."""
    from planner.optimize.verify import _chained_firms, _chains, _stop_rows, _with_line_stops

    ds, rng = _line_stop_case(seed)
    lo = np.clip(ds["floor"].values, 0, 1)
    hi = np.minimum(lo + rng.uniform(0, 0.5, size=lo.shape), 1.0)
    want = lo.copy()
    loss, c = ds["loss_at_full"].values, np.clip(ds["floor"].values, 0, 1)
    for _, s, members, count in _stop_rows(ds):
        ranked = sorted(members.tolist(), key=lambda u: (loss[u, s] * (1 - c[u, s]), u))
        for u in ranked[: int(np.ceil(count - 1e-9))]:
            want[u, s] = max(want[u, s], hi[u, s])
    m = _chained_firms(ds)
    for members in _chains(ds):
        run = np.zeros(m.sum())
        for s in members:
            run = np.maximum(run, want[m, s])
            want[m, s] = np.minimum(run, hi[m, s])
    np.testing.assert_array_equal(_with_line_stops(ds, lo, hi), want)


@pytest.mark.parametrize("seed", [0, 1])
def test_check_line_stops_counts_as_the_plain_sum(seed):
    """check_line_stops counts stopped lines exactly as the per-line sum did (message included)."""
    from planner.optimize.verify import _stop_rows, check_line_stops

    ds, rng = _line_stop_case(seed)
    x = np.clip(ds["floor"].values + rng.uniform(0, 0.4, size=ds["floor"].shape), 0, 1)
    floor = np.clip(ds["floor"].values, 0, 1)

    class Ctx:
        inputs, tol, out, slots = ds, 1e-9, [], [f"s{k}" for k in range(3)]

        def arr(self, name):
            return ds[name].values

    ctx = Ctx()
    ctx.x = x
    check_line_stops(ctx)
    want = []
    for label, s, members, count in _stop_rows(ds):
        f = floor[members, s]
        got = float(
            sum(
                1.0 if fu >= 1 - 1e-12 else (xu - fu) / (1 - fu)
                for xu, fu in zip(x[members, s], f, strict=True)
            )
        )
        if got < count - 1e-9 * max(1.0, count):
            want.append(f"line stop {label} at s{s}: {got:.6g} lines stopped, the rule asks {count:g}")
    assert want and ctx.out == want


@pytest.mark.parametrize("seed", range(6))
def test_verifier_chain_bounds_equal_the_models(seed):
    """The verifier's own chain-carried bounds (running max/min along each chain) equal the model's."""
    from planner.optimize.inputs import effective_bounds
    from planner.optimize.verify import _effective

    ds = random_plan_inputs(200, 3 + seed % 4, seed=seed)
    rng = np.random.default_rng(seed)
    ds["floor"].values[:] = np.where(
        rng.random(ds["floor"].shape) < 0.3, rng.random(ds["floor"].shape) * 0.5, 0
    )
    ds["ceiling"].values[:] = np.maximum(ds["floor"].values, rng.random(ds["ceiling"].shape))
    lo, hi = effective_bounds(ds)
    vlo, vhi = _effective(ds)
    assert (ds["chain"].values >= 0).any()
    np.testing.assert_array_equal(vlo, lo)
    np.testing.assert_array_equal(vhi, hi)
    assert (lo != np.clip(ds["floor"].values, 0, 1)).any()  # the chain carried some floor forward
