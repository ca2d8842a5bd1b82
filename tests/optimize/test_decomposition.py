"""The decomposition solver (planner.optimize.decomposition) against the direct HiGHS model.

Small random instances only (the sizes live in benchmarks/bench_decomposition.py): the objective
agrees to 1e-6, the plan passes the verifier, the certificate (primal = Lagrangian bound at the
plan's duals) holds, both solvers' duals are optimal duals (their Lagrangian bounds equal the
optimum), duals agree where the LP pins them down, unsupported models fall back with a reason,
and a warm start gives the same answer.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.optimize import decomposition as dec
from planner.optimize.blocks import build_model
from planner.optimize.inputs import effective_bounds, random_plan_inputs
from planner.optimize.linear import LinearModel
from planner.optimize.model import solve
from planner.optimize.options import SolveOptions
from planner.optimize.verify import verify_plan

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------ the oracle
def _brute_chain(c, lo, hi):
    """min Σ c·x over lo <= x <= hi, x non-decreasing: DP over the bound values (LP vertices)."""
    vals = np.unique(np.r_[lo, hi])
    f = np.where((vals >= lo[0] - 1e-12) & (vals <= hi[0] + 1e-12), c[0] * vals, np.inf)
    for t in range(1, len(c)):
        best = np.minimum.accumulate(f)
        ok = (vals >= lo[t] - 1e-12) & (vals <= hi[t] + 1e-12)
        f = np.where(ok, best + c[t] * vals, np.inf)
    return float(f.min())


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 6),
    L=st.integers(2, 6),
    seed=st.integers(0, 100_000),
    grid=st.booleans(),
)
def test_oracle_is_exact_on_chains(n, L, seed, grid):
    rng = np.random.default_rng(seed)
    # values on a coarse grid make equal breakpoints (ties) frequent
    draw = (lambda size: rng.integers(0, 5, size) / 4) if grid else (lambda size: rng.random(size))
    a, b = draw((n, L)), draw((n, L))
    lo = np.maximum.accumulate(np.minimum(a, b), axis=1)
    hi = np.maximum(np.maximum.accumulate(np.maximum(a, b)[:, ::-1], axis=1)[:, ::-1], lo)
    hi = np.maximum.accumulate(hi, axis=1)
    c = rng.normal(size=(n, L)) * (rng.random((n, L)) > 0.2)
    o = dec.Oracle(lo, hi, [np.arange(L)], np.ones(n, bool))
    best, value, _, _ = o.price(c)
    x = o.x_of(best)
    assert (x >= lo - 1e-12).all() and (x <= hi + 1e-12).all()
    assert (np.diff(x, axis=1) >= -1e-12).all()
    assert float((c * x).sum()) == pytest.approx(value, abs=1e-9)
    assert value == pytest.approx(sum(_brute_chain(c[i], lo[i], hi[i]) for i in range(n)), abs=1e-9)


# ------------------------------------------------------------------------------ against HiGHS
@st.composite
def instances(draw):
    mode = draw(st.sampled_from(["episode", "list"]))
    S = draw(st.integers(1, 3 if mode == "list" else 5))
    E = draw(st.integers(3, 40))
    seed = draw(st.integers(0, 10_000))
    scale = draw(st.sampled_from([0.5, 1.0, 1.5, 3.0]))  # 3.0 is mostly out of reach (shortfall)
    ds = random_plan_inputs(E, S, seed=seed, mode=mode, target_scale=scale)
    kind = draw(st.sampled_from(["plain", "identical_firms", "identical_days"]))
    if kind == "identical_firms":  # every firm a copy of a few: ties everywhere
        src = np.arange(E) % draw(st.integers(1, 3))
        for v in ("floor", "ceiling", "loss_at_full", "reducible", "toggle_allowed"):
            ds[v].values[...] = ds[v].values[src]
    elif kind == "identical_days" and S > 1:  # every slot alike: a degenerate dual along the chain
        for v in ("floor", "ceiling", "loss_at_full", "reducible"):
            ds[v].values[...] = ds[v].values[:, :1]
        for v in ("target", "credited"):
            ds[v].values[...] = ds[v].values[:1]
    return ds, kind


def _chain_groups(ds):
    chain = np.asarray(ds["chain"].values, int)
    groups = [np.flatnonzero(chain == c) for c in np.unique(chain[chain >= 0])]
    return groups + [np.array([s]) for s in np.flatnonzero(chain < 0)]


@SETTINGS
@given(case=instances())
def test_decomposition_matches_the_direct_model(case):
    ds, kind = case
    a = solve(ds, decomposition="off")
    b = solve(ds, decomposition="on")
    assert a.solver_path["method"] == "direct"
    assert b.solver_path["method"] == "decomposition", b.solver_path
    assert b.solver == "highs-decomposition"
    assert a.status == b.status
    assert b.objective == pytest.approx(a.objective, rel=1e-6, abs=1e-6)
    assert verify_plan(ds, b) == [] and b.violations == []
    # the certificate: the plan's objective equals the Lagrangian bound at its duals
    cert = b.solver_path
    assert abs(cert["certificate_gap"]) <= 1e-7
    assert cert["dual_bound"] == pytest.approx(cert["primal"], rel=1e-7, abs=1e-6)
    opts = SolveOptions()
    credited_loss = float(ds["credited_loss"].sum())
    # (with shortfall the LP's objective also holds the penalty, which the plan's does not)
    assert dec.dual_bound(ds, opts, b.multipliers) == pytest.approx(cert["primal"], rel=1e-6, abs=1e-5)
    if a.status == "optimal":
        assert cert["primal"] + credited_loss == pytest.approx(b.objective, rel=1e-9, abs=1e-6)
        # the direct model's duals are optimal duals too: the same dual bound
        assert dec.dual_bound(ds, opts, a.multipliers) + credited_loss == pytest.approx(
            a.objective, rel=1e-6, abs=1e-5
        )
        if kind == "plain":
            # per chain (a price may move between the days of a chain) and per unchained slot
            for g in _chain_groups(ds):
                np.testing.assert_allclose(
                    a.multipliers[g].sum(axis=0), b.multipliers[g].sum(axis=0), rtol=1e-5, atol=1e-6
                )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), mode=st.sampled_from(["episode", "list"]))
def test_warm_start_gives_the_same_answer(seed, mode):
    S = 3 if mode == "list" else 5
    ds = random_plan_inputs(60, S, seed=seed, mode=mode)
    first = solve(ds, decomposition="on")
    again = solve(ds, decomposition="on", warm_start=first)
    assert again.solver_path["multipliers_from"] == "warm start"
    assert again.objective == pytest.approx(first.objective, rel=1e-9)
    # an edit (one firm's loss halved) re-solved from the old plan
    edited = ds.copy(deep=True)
    edited["loss_at_full"].values[seed % 60] *= 0.5
    warm = solve(edited, decomposition="on", warm_start=first)
    direct = solve(edited, decomposition="off")
    assert warm.status == direct.status
    assert warm.objective == pytest.approx(direct.objective, rel=1e-6)
    # a warm start far off (all zero) still ends at the optimum
    zero = solve(edited, decomposition="on", warm_start=np.zeros((S, 4)))
    assert zero.objective == pytest.approx(direct.objective, rel=1e-6)


def test_hard_targets_out_of_reach_are_infeasible_like_the_direct_model():
    ds = random_plan_inputs(30, 3, seed=4, target_scale=5.0)
    a = solve(ds, decomposition="off", allow_shortfall=False)
    b = solve(ds, decomposition="on", allow_shortfall=False)
    assert a.status == b.status == "infeasible"
    assert math.isnan(b.objective)


def test_non_industrial_measures_are_solved_by_the_decomposition():
    ds = random_plan_inputs(40, 3, seed=2)
    S = ds.sizes["slot"]
    rng = np.random.default_rng(0)
    ds = ds.assign_coords(measure=["m0", "m1"])
    ds["ni_reduction"] = (
        ("measure", "slot", "pollutant"),
        rng.random((2, S, 4)) * float(ds["target"].max()) * 0.2,
    )
    ds["ni_cost"] = (("measure", "slot"), rng.random((2, S)) * 50)
    ds["ni_integer"] = (("measure",), np.array([False, False]))
    a = solve(ds, decomposition="off")
    b = solve(ds, decomposition="on")
    assert b.solver_path["method"] == "decomposition"
    assert b.objective == pytest.approx(a.objective, rel=1e-6)
    np.testing.assert_allclose(
        (b.non_industrial.values * ds["ni_cost"].values).sum(),
        (a.non_industrial.values * ds["ni_cost"].values).sum(),
        rtol=1e-5,
        atol=1e-6,
    )
    # an on/off measure makes a MILP: the direct model, with the reason
    ds["ni_integer"].values[0] = True
    c = solve(ds, decomposition="on")
    assert c.solver_path["method"] == "direct"
    assert "integer" in c.solver_path["reason"]


# ------------------------------------------------------------------------------ fallbacks
@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("grade_monotonicity", True),
        ("county_loss_cap", 0.5),
        ("firm_loss_cap", 0.5),
        ("equity_weight", 0.1),
        ("discrete", True),
    ],
)
def test_unsupported_options_fall_back_with_their_name(option, value):
    ds = random_plan_inputs(30, 3, seed=1)
    plan = solve(ds, decomposition="on", **{option: value})
    assert plan.solver_path["method"] == "direct"
    assert option in plan.solver_path["reason"]
    assert plan.solver != "highs-decomposition"


def test_pulp_backend_and_off_and_small_auto_are_direct():
    ds = random_plan_inputs(30, 3, seed=1)
    assert "backend" in solve(ds, decomposition="on", backend="pulp").solver_path["reason"]
    assert solve(ds, decomposition="off").solver_path == {"method": "direct", "reason": "decomposition: off"}
    auto = solve(ds).solver_path
    assert auto["method"] == "direct" and "below" in auto["reason"]
    big = random_plan_inputs(6000, 7, seed=1)
    cold = dec.choose(big, SolveOptions())  # auto, cold, fewer free cells than the threshold
    assert cold["method"] == "direct" and f"{dec.free_cells(big):,} free cells" in cold["reason"]
    assert dec.choose(big, SolveOptions(), warm=True)["method"] == "decomposition"
    warm = solve(ds, decomposition="on")
    assert solve(ds, warm_start=warm).solver_path["method"] == "direct"  # auto: below the size


def test_auto_takes_the_cold_decomposition_from_the_free_cell_threshold(monkeypatch):
    ds = random_plan_inputs(300, 7, seed=2)
    free = dec.free_cells(ds)
    assert 0 < free < ds.sizes["enterprise"] * ds.sizes["slot"]
    assert free == int(((ds["ceiling"] - ds["floor"]) > 0).sum())
    monkeypatch.setattr(dec, "AUTO_MIN_CELLS", 0)
    monkeypatch.setattr(dec, "AUTO_COLD_MIN_FREE_CELLS", free + 1)
    assert dec.choose(ds, SolveOptions())["method"] == "direct"
    monkeypatch.setattr(dec, "AUTO_COLD_MIN_FREE_CELLS", free)
    plan = solve(ds)
    assert plan.solver_path["method"] == "decomposition"
    assert plan.solver_path["multipliers_from"].startswith("cold start")
    direct = solve(ds, decomposition="off")
    assert plan.status == direct.status == "optimal"
    assert plan.objective == pytest.approx(direct.objective, rel=1e-6)


def test_a_new_block_falls_back_until_it_is_declared_supported(monkeypatch):
    def with_new_block(inputs, options, **kw):
        m, d = build_model(inputs, options, **kw)
        m.add_constraints("Some-new-block", {}, 0.0, 1.0, [0], [0], [1.0])
        return m, d

    monkeypatch.setattr(dec, "build_model", with_new_block)
    ds = random_plan_inputs(30, 3, seed=1)
    path = dec.choose(ds, SolveOptions(decomposition="on"))
    assert path["method"] == "direct"
    assert "Some-new-block" in path["reason"]
    monkeypatch.setattr(dec, "SUPPORTED_BLOCKS", dec.SUPPORTED_BLOCKS | {"Some-new-block"})
    assert dec.choose(ds, SolveOptions(decomposition="on"))["method"] == "decomposition"


def test_a_failing_decomposition_falls_back_to_the_direct_model(monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(dec, "solve_decomposed", broken)
    ds = random_plan_inputs(30, 3, seed=1)
    plan = solve(ds, decomposition="on")
    assert plan.status == "optimal"
    assert plan.solver_path["method"] == "direct"
    assert "boom" in plan.solver_path["reason"]


def test_option_values_are_checked():
    with pytest.raises(ValueError, match="decomposition"):
        SolveOptions.from_any(decomposition="sometimes")
    assert SolveOptions.from_any(decomposition=True).decomposition == "on"
    assert SolveOptions.from_any(decomposition=False).decomposition == "off"


def test_probe_sees_every_block_of_a_small_model():
    ds = random_plan_inputs(50, 3, seed=1, mode="list")
    m, _ = build_model(ds, SolveOptions())
    assert isinstance(m, LinearModel)
    assert dec.probe_inputs(ds) is ds
    lo, hi = effective_bounds(ds)
    assert dec.unsupported_blocks(ds, SolveOptions()) == []
    assert (hi >= lo).all()


# ------------------------------------------------------------------------------ cold start
def _sampled_case(kind, seed=5):
    ds = random_plan_inputs(4800, 4, seed=seed)  # movable firms above three first samples
    if kind == "identical_firms":  # a handful of firm types: a degenerate dual, ties everywhere
        src = np.arange(ds.sizes["enterprise"]) % 7
        for v in ("floor", "ceiling", "loss_at_full", "reducible", "toggle_allowed"):
            ds[v].values[...] = ds[v].values[src]
    return ds


@pytest.mark.parametrize("kind", ["plain", "identical_firms"])
def test_cold_start_from_sampled_multipliers_is_certified_optimal(kind):
    ds = _sampled_case(kind)
    a = solve(ds, decomposition="off")
    b = solve(ds, decomposition="on")
    path = b.solver_path
    assert path["method"] == "decomposition", path
    assert f"sample LPs of {dec._levels(10**9)[0]}" in path["multipliers_from"]  # the sample levels ran
    assert b.objective == pytest.approx(a.objective, rel=1e-6)
    assert abs(path["certificate_gap"]) <= 1e-7
    assert verify_plan(ds, b) == []
    # (with shortfall the LP's objective holds the penalty too: compare with the certified primal)
    assert dec.dual_bound(ds, SolveOptions(), b.multipliers) == pytest.approx(path["primal"], rel=1e-6)


@pytest.mark.parametrize("factor", [0.2, 5.0])
def test_the_box_recentres_from_multipliers_far_off(factor):
    """BoxStep from multipliers off by a factor: the box must move (and widen) before the
    certificate, and the answer is the direct model's."""
    ds = random_plan_inputs(300, 4, seed=8)
    opts = SolveOptions(decomposition="on")
    exact = solve(ds, decomposition="off")
    pb = dec.problem(ds, opts)
    lam = np.asarray(exact.multipliers, float).ravel() * factor + 1.0
    r = dec._sift(pb, opts, lam, 1e-3, max(pb.penalty, 1e3), None, box=0.01)
    assert r.state == "optimal"
    assert r.stats["box_moves"] > 0
    assert not r.lp.box_used(r.col)
    credited_loss = float(ds["credited_loss"].sum())
    assert r.value + float(r.lam @ pb.rhs) + credited_loss == pytest.approx(exact.objective, rel=1e-7)
    assert float((pb.loss * r.x).sum()) + credited_loss == pytest.approx(exact.objective, rel=1e-7)


@pytest.mark.parametrize(
    ("kind", "scale", "mode"),
    [
        ("plain", 1.0, "episode"),
        ("identical_firms", 1.0, "episode"),
        ("plain", 1.5, "episode"),
        ("plain", 1.0, "list"),
    ],
)
def test_cold_start_through_the_candidates_is_certified_optimal(kind, scale, mode):
    """A cold start from the sample levels, then the full level over the near-tie candidates:
    certified optimal (degenerate and shortfall instances included)."""
    S = 5 if mode == "episode" else 3
    ds = random_plan_inputs(4800, S, seed=11, mode=mode, target_scale=scale)
    if kind == "identical_firms":
        src = np.arange(ds.sizes["enterprise"]) % 9
        for v in ("floor", "ceiling", "loss_at_full", "reducible", "toggle_allowed"):
            ds[v].values[...] = ds[v].values[src]
    a = solve(ds, decomposition="off")
    b = solve(ds, decomposition="on")
    path = b.solver_path
    assert path["method"] == "decomposition", path
    assert path["multipliers_from"].startswith(f"cold start (sample LPs of {dec._levels(10**9)[0]}")
    assert a.status == b.status
    assert b.objective == pytest.approx(a.objective, rel=1e-6)
    assert abs(path["certificate_gap"]) <= 1e-7
    assert verify_plan(ds, b) == []
    assert dec.dual_bound(ds, SolveOptions(), b.multipliers) == pytest.approx(path["primal"], rel=1e-6)


@pytest.mark.parametrize(
    ("near_band", "factor", "restart_rounds"),
    [(0.1, 1.3, 3), (1e-4, 1.3, 1), (0.05, 2.0, 100), (0.1, 0.5, 3)],
)
def test_sifting_over_the_candidates_is_the_sifting_over_every_firm(
    monkeypatch, near_band, factor, restart_rounds
):
    """The full level prices only the firms near a tie; firms outside that the final duals price
    as wrong join and the sifting starts again (a tiny band forces such rounds; restarts every
    round force the restarts): the answer is the direct model's, certified over every firm."""
    monkeypatch.setattr(dec, "RESTART_ROUNDS", restart_rounds)
    ds = random_plan_inputs(3000, 5, seed=21)
    opts = SolveOptions(decomposition="on")
    exact = solve(ds, decomposition="off")
    pb = dec.problem(ds, opts)
    lam = np.asarray(exact.multipliers, float).ravel() * factor
    r = dec._sift_near(pb, opts, lam, 3e-3, max(pb.penalty, 1e3), None, 0.1, near_band)
    assert r.state == "optimal"
    if factor > 1:  # the candidates' path, and firms outside joined
        assert r.stats["candidates"] < pb.shape[0] / 2
        assert r.stats["candidate_rounds"] > 1
    else:  # most firms near a tie: the sifting over every firm
        assert r.stats["candidates"] == pb.shape[0]
    if restart_rounds == 1:
        assert r.stats["restarts"] > 0
    credited_loss = float(ds["credited_loss"].sum())
    primal = float((pb.loss * r.x).sum()) + credited_loss
    assert primal == pytest.approx(exact.objective, rel=1e-7)
    # the bound over every firm at the duals: the certificate of the whole LP
    assert dec._bound(pb, r.lam, r.value) + credited_loss == pytest.approx(exact.objective, rel=1e-7)
    lo, hi = effective_bounds(ds)
    assert (r.x >= lo - 1e-9).all() and (r.x <= hi + 1e-9).all()


def test_rho_and_tonnes_are_the_einsums():
    pb = dec.problem(random_plan_inputs(500, 6, seed=3), SolveOptions())
    _E, S, P = pb.shape
    lam = np.random.default_rng(0).random(S * P)
    x = np.random.default_rng(1).random(pb.lo.shape)
    assert np.allclose(pb.rho(lam), np.einsum("esp,sp->es", pb.red, lam.reshape(S, P)), rtol=1e-12)
    assert np.allclose(pb.tonnes(x), np.einsum("esp,es->sp", pb.red, x).ravel(), rtol=1e-12)


def test_the_solver_runs_blas_on_one_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []
    real = dec.problem

    def spy(*a, **k):
        seen.append([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"])
        return real(*a, **k)

    monkeypatch.setattr(dec, "problem", spy)
    r = dec.solve_decomposed(random_plan_inputs(60, 3, seed=4), SolveOptions(decomposition="on"))
    assert r.state == "optimal"
    assert seen and all(n == 1 for n in seen[0])


# ------------------------------------------------------------------------------ the restricted LP
def _wide_range(pb):
    """A range of a chain group whose intervals have three first positions or more."""
    for gi, g in enumerate(pb.oracle.groups):
        for ri, r in enumerate(g.ranges):
            if r.width >= 3 and len(r.pos) >= 2:
                return gi, ri
    raise AssertionError("no wide range")


def _row_entries(h, row):
    lp = h.getLp()
    start, index = np.asarray(lp.a_matrix_.start_), np.asarray(lp.a_matrix_.index_)
    return sorted(int(j) for j in range(h.getNumCol()) if row in index[start[j] : start[j + 1]])


def test_an_interval_holds_its_priced_options_and_gets_its_row_with_the_second():
    pb = dec.problem(random_plan_inputs(300, 5, seed=8), SolveOptions())
    o = pb.oracle
    fixed, _, _, _ = o.price(pb.loss)
    lp = dec._Restricted(pb, fixed, pb.rhs - pb.tonnes(o.x_of(fixed)), False, None, 1e3)
    gi, ri = _wide_range(pb)
    r = o.groups[gi].ranges[ri]
    kf = int(fixed.b[gi][ri][0])
    o1, o2 = [k for k in range(r.nb, r.na + 1) if k != kf][:2]
    rows, cols = lp.h.getNumRow(), lp.h.getNumCol()
    # the first option: a column bounded by 1 stands for Σ w <= 1
    assert lp.add_options(gi, ri, np.array([0]), np.array([o1])) == 1
    assert (lp.h.getNumRow(), lp.h.getNumCol()) == (rows, cols + 1)
    # the same option again adds nothing, nor does the fixed one
    assert lp.add_options(gi, ri, np.array([0, 0]), np.array([o1, kf])) == 0
    # the second: the row over both columns
    assert lp.add_options(gi, ri, np.array([0]), np.array([o2])) == 1
    assert lp.h.getNumRow() == rows + 1
    assert _row_entries(lp.h, rows) == [cols, cols + 1]
    # two options at once for a new interval: its row over both
    kf1 = int(fixed.b[gi][ri][1])
    p1, p2 = [k for k in range(r.nb, r.na + 1) if k != kf1][:2]
    assert lp.add_options(gi, ri, np.array([1, 1]), np.array([p1, p2])) == 2
    assert _row_entries(lp.h, rows + 1) == [cols + 2, cols + 3]
    assert lp.n_added == 2
    # the shares of column values: the interval's share moved from its fixed first position
    col = np.zeros(lp.h.getNumCol())
    col[[cols, cols + 1]] = 0.25, 0.5
    x = lp.shares(col)
    g = o.groups[gi]
    L = len(g.slots)
    step = lambda k: (np.arange(L) >= k).astype(float)  # noqa: E731
    want = o.x_of(fixed)
    want[g.firms[r.pos[0]], g.slots] += r.ln[0] * (0.25 * (step(o1) - step(kf)) + 0.5 * (step(o2) - step(kf)))
    np.testing.assert_allclose(x, np.clip(want, o.lo, o.hi), atol=1e-12)
    # pricing: an interval is weighed against the best option it holds
    c = pb.loss - pb.rho(np.random.default_rng(0).random(pb.rhs.shape))
    _, _, plain, _ = o.price(c, fixed)
    inlp = o.empty_mask().b
    inlp[gi][ri][[0, 1]] = True
    _, _, held, _ = o.price(c, fixed, among=lp.held(inlp))
    suf = dec._suffix(c[np.ix_(g.firms[r.pos[:2]], g.slots)])
    best = suf[:, r.nb : r.na + 1].min(axis=1)
    assert held.b[gi][ri][0] == pytest.approx(r.ln[0] * (suf[0, [kf, o1, o2]].min() - best[0]), abs=1e-12)
    assert held.b[gi][ri][1] == pytest.approx(r.ln[1] * (suf[1, [kf1, p1, p2]].min() - best[1]), abs=1e-12)
    assert held.b[gi][ri][1] <= plain.b[gi][ri][1]
    others = np.ones(len(r.pos), bool)
    others[:2] = False
    np.testing.assert_array_equal(held.b[gi][ri][others], plain.b[gi][ri][others])


class _Unknown:
    """A Highs whose runs end "Unknown" until the ``cure`` option is set (what numerical trouble looks like)."""

    def __init__(self, h, cure):
        self._h, self._cure, self.set = h, cure, []

    def setOptionValue(self, name, value):
        self.set.append((name, value))
        return self._h.setOptionValue(name, value)

    def getModelStatus(self):
        if self._cure not in [n for n, _ in self.set]:
            return dec.highspy.HighsModelStatus.kUnknown
        return self._h.getModelStatus()

    def __getattr__(self, name):
        return getattr(self._h, name)


@pytest.mark.parametrize("cure", ["simplex_scale_strategy", "solver", "never"])
def test_a_run_ending_unknown_is_resumed_with_another_scaling_then_ipm(cure):
    pb = dec.problem(random_plan_inputs(200, 4, seed=5), SolveOptions())
    fixed, _, _, _ = pb.oracle.price(pb.loss)
    lp = dec._Restricted(pb, fixed, pb.rhs - pb.tonnes(pb.oracle.x_of(fixed)), False, None, 1e3)
    lp.add_cells(*np.nonzero(pb.oracle.indep))
    lp.h = _Unknown(lp.h, cure)
    status, lam, col = lp.run()
    every = [("simplex_scale_strategy", 0), ("solver", "ipm"), ("solver", "choose")]  # then simplex again
    if cure == "never":  # no verdict after every remedy: the caller falls back to the direct model
        assert (status, lam, col) == ("Unknown", None, None)
        assert lp.h.set == every
        return
    assert status == "optimal" and lam is not None and col is not None
    assert lp.h.set == (every[:1] if cure == "simplex_scale_strategy" else every)


def test_thousands_of_equal_violations_above_the_pricing_cap_still_join():
    """Two firm types and multipliers 0: thousands of decisions violate by the same amount, more
    than ``PRICING_CAP``; the capped round must add them (not "none above the cap-th") and the
    decomposition certify the direct model's optimum instead of failing and falling back."""
    E = 5000
    ds = random_plan_inputs(E, 3, seed=5, mode="list", target_scale=0.5)
    src = np.arange(E) % 2
    for v in ("floor", "ceiling", "loss_at_full", "reducible", "toggle_allowed"):
        ds[v].values[...] = ds[v].values[src]
    a = solve(ds, decomposition="off")
    b = solve(ds, decomposition="on", warm_start=np.zeros((3, 4)))
    assert b.solver_path["method"] == "decomposition", b.solver_path
    assert abs(b.solver_path["certificate_gap"]) <= 1e-7
    assert b.objective == pytest.approx(a.objective, rel=1e-6)


def test_candidates_always_grow_when_the_violation_is_above_tolerance():
    """Violations each below round-off but many (their sum above the tolerance): they join, so a
    candidate round never repeats itself; above round-off only those above join."""
    cand = np.array([True, False, False, False, False])
    tiny = np.array([0.0, 1e-15, 0.0, 2e-15, 0.0])
    np.testing.assert_array_equal(dec._joining(tiny, cand, 1.0), [False, True, False, True, False])
    mixed = np.array([0.0, 1e-15, 1e-3, 2e-15, 0.0])
    np.testing.assert_array_equal(dec._joining(mixed, cand, 1.0), [False, False, True, False, False])
    assert not dec._joining(np.zeros(5), cand, 1.0).any()
