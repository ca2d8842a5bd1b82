"""The curtailment model assembled straight from arrays into highspy (the fast backend).

Same model as :mod:`planner.optimize.model` (same :class:`planner.optimize.model.ModelData`, same blocks, same
column scaling), but every block is a set of COO triplets built with numpy; the whole matrix is
converted once to CSC and handed to HiGHS with ``Highs.passModel`` (its numpy-array overload).  No Python object
per column, so a 20,000 × 7 episode builds in milliseconds.

Column layout: ``x`` (E·S, row-major ``e·S + s``), then ``shortfall`` (S·P), grade thresholds,
``TotalLoss`` (when a loss cap is on), ``MaxShare`` (S, when the equity term is on).

In an LP (no line columns) the chain rows are substituted out (:func:`_substitute_chains`):
along a run of chain cells with the same floor, each column after the first is the increment
``x[s] - x[s-1] >= 0``; only a rising floor keeps its chain row.  Same feasible set, objective
and target-row duals, and far fewer simplex iterations; ``x`` is recovered by cumulative sums.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
import xarray as xr

from planner.optimize.model import ModelData, RawResult, SolveOptions, model_data, use_presolve

INF = highspy.kHighsInf


class _Builder:
    """Accumulates columns and COO rows."""

    def __init__(self) -> None:
        self.n_col = 0
        self.cost: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.integ: list[np.ndarray] = []
        self.n_row = 0
        self.rlo: list[np.ndarray] = []
        self.rhi: list[np.ndarray] = []
        self.ri: list[np.ndarray] = []
        self.ci: list[np.ndarray] = []
        self.vv: list[np.ndarray] = []

    def add_cols(self, cost, lower, upper, integer=None) -> int:
        n = len(cost)
        start = self.n_col
        self.cost.append(np.asarray(cost, float))
        self.lower.append(np.asarray(lower, float))
        self.upper.append(np.asarray(upper, float))
        self.integ.append(np.zeros(n, bool) if integer is None else np.asarray(integer, bool))
        self.n_col += n
        return start

    def add_rows(self, n: int, lower, upper, rows, cols, vals) -> int:
        start = self.n_row
        self.rlo.append(np.broadcast_to(np.asarray(lower, float), (n,)))
        self.rhi.append(np.broadcast_to(np.asarray(upper, float), (n,)))
        self.ri.append(np.asarray(rows, np.int64) + start)
        self.ci.append(np.asarray(cols, np.int64))
        self.vv.append(np.asarray(vals, float))
        self.n_row += n
        return start

    def pass_to(self, h: highspy.Highs) -> np.ndarray:
        """Hand the model to ``h`` as numpy arrays (the array overload of ``Highs.passModel``).

        Returns
        -------
        numpy.ndarray of bool
            Integrality of each column.
        """
        cat = lambda xs: np.concatenate(xs) if xs else np.zeros(0)  # noqa: E731
        start, index, value = _to_csc(cat(self.ri), cat(self.ci), cat(self.vv), self.n_row, self.n_col)
        integ = np.concatenate(self.integ)
        st = h.passModel(
            int(self.n_col),
            int(self.n_row),
            int(len(value)),
            1,
            1,
            0.0,  # column-wise, minimise
            np.concatenate(self.cost),
            np.concatenate(self.lower),
            np.concatenate(self.upper),
            np.ascontiguousarray(cat(self.rlo), dtype=float),
            np.ascontiguousarray(cat(self.rhi), dtype=float),
            start[:-1],
            index,
            value,
            integ.astype(np.int32),
        )
        if st == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the model (passModel)")
        return integ


def _to_csc(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_row: int, n_col: int):
    """COO triplets (no duplicates) to CSC arrays (start, index, value), with numpy only."""
    key = cols.astype(np.int64) * max(n_row, 1) + rows.astype(np.int64)
    order = np.argsort(key, kind="stable")
    counts = np.bincount(cols, minlength=n_col)
    start = np.zeros(n_col + 1, dtype=np.int32)
    np.cumsum(counts, out=start[1:])
    return start, rows[order].astype(np.int32), vals[order].astype(float)


def build_arrays(d: ModelData) -> tuple[_Builder, dict]:
    """Assemble every block of the model as arrays.

    Parameters
    ----------
    d : ModelData

    Returns
    -------
    builder : _Builder
    index : dict
        Column/row offsets: ``x``, ``shortfall``, ``target`` (first target row, S·P rows in
        (slot, pollutant) row-major order).
    """
    o = d.options
    E, S = d.shape
    P = d.rhs.shape[1]
    b = _Builder()
    sc = d.cols.scale
    w = d.loss * sc
    # curtailment columns (objective: loss)
    x0 = b.add_cols(w.ravel(), d.cols.col_lo.ravel(), d.cols.col_hi.ravel(), d.cols.integer.ravel())
    xcol = lambda e, s: x0 + np.asarray(e) * S + np.asarray(s)  # noqa: E731
    idx: dict = {"x": x0}
    # shortfall
    short = np.flatnonzero(d.short_rows.ravel())
    if len(short):
        u0 = b.add_cols(
            np.full(len(short), d.penalty), np.zeros(len(short)), np.maximum(d.rhs, 0.0).ravel()[short]
        )
        idx["shortfall"] = u0
    # targets: rows s*P + p
    coef = d.reducible * sc[:, :, None]
    e_i, s_i, p_i = np.nonzero(coef > 0)
    rows = s_i * P + p_i
    cols = xcol(e_i, s_i)
    vals = coef[e_i, s_i, p_i]
    if len(short):
        rows = np.r_[rows, short]
        cols = np.r_[cols, u0 + np.arange(len(short))]
        vals = np.r_[vals, np.ones(len(short))]
    idx["target"] = b.add_rows(S * P, d.rhs.ravel(), INF, rows, cols, vals)
    # chain
    f, sa, sb = d.chain_rows()
    n = len(f)
    subst = bool(n) and not d.cols.integer.any() and bool(np.all(sc == 1.0))
    if subst:  # runs of a constant floor become increments; a rising floor keeps its chain row
        rise = d.cols.col_lo[f, sb] > d.cols.col_lo[f, sa]
        fr, sr, tr = f[rise], sa[rise], sb[rise]
        nxt_full = np.full(E * S, -1, np.int64)
        nxt_full[f * S + sa] = f * S + sb
        f, sa, sb = f[~rise], sa[~rise], sb[~rise]
        n = len(fr)
        if n:
            r = np.arange(n)
            b.add_rows(
                n, -INF, 0.0, np.r_[r, r], np.r_[xcol(fr, sr), xcol(fr, tr)], np.r_[np.ones(n), -np.ones(n)]
            )
    elif n:
        r = np.arange(n)
        b.add_rows(n, -INF, 0.0, np.r_[r, r], np.r_[xcol(f, sa), xcol(f, sb)], np.r_[sc[f, sa], -sc[f, sb]])
    # grade monotonicity
    g = d.grades
    if g is not None and g.n_thresholds:
        t0 = b.add_cols(np.zeros(g.n_thresholds), np.zeros(g.n_thresholds), np.ones(g.n_thresholds))
        for fe, fs, ft, lo, hi in (
            (g.below_firm, g.below_slot, g.below_t, -INF, 0.0),
            (g.above_firm, g.above_slot, g.above_t, 0.0, INF),
        ):
            n = len(fe)
            if n:
                r = np.arange(n)
                b.add_rows(
                    n, lo, hi, np.r_[r, r], np.r_[xcol(fe, fs), t0 + ft], np.r_[sc[fe, fs], -np.ones(n)]
                )
    # loss caps
    if o.county_loss_cap is not None or o.firm_loss_cap is not None:
        T = b.add_cols([0.0], [0.0], [INF])
        nz_e, nz_s = np.nonzero(w > 0)
        n = len(nz_e)
        b.add_rows(1, 0.0, 0.0, np.zeros(n + 1, int), np.r_[xcol(nz_e, nz_s), T], np.r_[w[nz_e, nz_s], -1.0])
        if o.county_loss_cap is not None:
            C = len(d.county_names)
            rows = np.r_[d.county[nz_e], np.arange(C)]
            b.add_rows(
                C,
                -INF,
                0.0,
                rows,
                np.r_[xcol(nz_e, nz_s), np.full(C, T)],
                np.r_[w[nz_e, nz_s], np.full(C, -float(o.county_loss_cap))],
            )
        if o.firm_loss_cap is not None:
            firms = np.unique(nz_e)
            pos = np.searchsorted(firms, nz_e)
            F = len(firms)
            b.add_rows(
                F,
                -INF,
                0.0,
                np.r_[pos, np.arange(F)],
                np.r_[xcol(nz_e, nz_s), np.full(F, T)],
                np.r_[w[nz_e, nz_s], np.full(F, -float(o.firm_loss_cap))],
            )
    # equity term
    if o.equity_weight:
        m0 = b.add_cols(o.equity_weight * d.loss.sum(axis=0), np.zeros(S), np.ones(S))
        fe, fs = d.equity_cells()
        n = len(fe)
        if n:
            r = np.arange(n)
            b.add_rows(
                n, -INF, 0.0, np.r_[r, r], np.r_[xcol(fe, fs), m0 + fs], np.r_[sc[fe, fs], -np.ones(n)]
            )
    if subst:
        idx["subst"] = _substitute_chains(
            b,
            d,
            x0,
            f * S + sa,
            f * S + sb,
            nxt_full,
            o.county_loss_cap is not None or o.firm_loss_cap is not None,
        )
    return b, idx


def _substitute_chains(
    b: _Builder, d: ModelData, x0: int, ca: np.ndarray, cb: np.ndarray, nxt_full: np.ndarray, dedupe: bool
):
    """Replace the chain rows ``x[a] <= x[b]`` by increments (LP only, unit column scale).

    Along every run of linked cells the column of the first cell keeps ``x`` and each later
    column becomes the increment ``x[b] - x[a] >= 0``, so ``x`` of a cell is the sum of the
    columns of its ancestors in the run.  The bounds ``lo <= x <= hi`` of later cells are rows,
    kept only where the chain does not already imply them (a floor that rises, a ceiling below
    the next one's, the last cell's ceiling).  Every row in ``x`` is rewritten exactly.

    Returns
    -------
    (cell, ancestor) : numpy.ndarray pair
        ``x[cell] = Σ column[ancestor]`` (offsets from ``x0``).
    """
    E, S = d.shape
    N = E * S
    prev = np.full(N, -1, np.int64)
    prev[cb] = ca
    cells = np.arange(N)
    cur = cells
    levels = []
    cnt = np.zeros(N, np.int64)
    while len(cells):  # level t: every cell with at least t ancestors, and its t-th ancestor
        levels.append((cells, cur))
        cnt[cells] += 1
        p = prev[cur]
        k = p >= 0
        cells, cur = cells[k], p[k]
    first = np.zeros(N + 1, np.int64)
    np.cumsum(cnt, out=first[1:])
    ta = np.empty(int(first[-1]), np.int64)
    for t, (cells, cur) in enumerate(levels):
        ta[first[cells] + t] = cur
    tc = np.repeat(np.arange(N), cnt)

    def expand(cell):
        reps = cnt[cell]
        tot = int(reps.sum())
        base = np.repeat(first[cell] - (np.cumsum(reps) - reps), reps)
        return reps, ta[base + np.arange(tot)]

    # rows: rewrite the x entries
    ri, ci, vv = np.concatenate(b.ri), np.concatenate(b.ci), np.concatenate(b.vv)
    isx = (ci >= x0) & (ci < x0 + N)
    if not dedupe:  # a cell without ancestors keeps its entry as it is
        isx[isx] = cnt[ci[isx] - x0] > 1
    reps, anc = expand(ci[isx] - x0)
    r2 = np.repeat(ri[isx], reps)
    v2 = np.repeat(vv[isx], reps)
    if dedupe:  # a row with several cells of one firm (loss caps) meets shared ancestors
        key = anc * max(b.n_row, 1) + r2
        uk, inv = np.unique(key, return_inverse=True)
        v2 = np.bincount(inv.ravel(), weights=v2, minlength=len(uk))
        r2, anc = uk % max(b.n_row, 1), uk // max(b.n_row, 1)
    b.ri = [ri[~isx], r2]
    b.ci = [ci[~isx], x0 + anc]
    b.vv = [vv[~isx], v2]
    # objective and bounds
    c = b.cost[0]
    b.cost[0] = np.bincount(ta, weights=c[tc], minlength=N)
    lo, hi = b.lower[0], b.upper[0]  # the column bounds of x
    inc = prev >= 0
    pi = prev[inc]
    lower, upper = b.lower[0].copy(), b.upper[0].copy()
    lower[inc] = 0.0
    upper[inc] = np.maximum(hi[inc] - lo[pi], 0.0)
    b.lower[0], b.upper[0] = lower, upper
    # floors that rise, ceilings that are not implied by the next cell's
    fl = np.flatnonzero(inc & (lo > lo[np.maximum(prev, 0)]))
    ce = np.flatnonzero(inc & ((nxt_full < 0) | (hi < hi[np.maximum(nxt_full, 0)])))
    for cl, rlo, rhi in ((fl, lo[fl], INF), (ce, -INF, hi[ce])):
        if len(cl):
            reps, anc = expand(cl)
            b.add_rows(len(cl), rlo, rhi, np.repeat(np.arange(len(cl)), reps), x0 + anc, np.ones(len(anc)))
    return tc, ta


def _status(h: highspy.Highs, mip: bool) -> tuple[str, list[str]]:
    S = highspy.HighsModelStatus
    ms = h.getModelStatus()
    text = h.modelStatusToString(ms)
    if ms == S.kOptimal:
        return "optimal", []
    if ms in (S.kInfeasible, S.kUnboundedOrInfeasible):
        return "infeasible", ["the constraints cannot all hold (solver: infeasible)"]
    if ms in (S.kTimeLimit, S.kIterationLimit, S.kInterrupt, S.kSolutionLimit):
        has = h.getInfo().primal_solution_status == 2
        return "time_limit", [f"solver stopped: {text}"] + (
            [] if has else ["no solution found in the time limit"]
        )
    return "error", [f"solver status: {text}"]


def solve_direct(
    inputs: xr.Dataset, options: SolveOptions, shortfall_everywhere: bool = False
) -> tuple[RawResult, float]:
    """Build and solve the model with highspy directly.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs (already checked).
    options : SolveOptions
    shortfall_everywhere : bool
        See :func:`planner.optimize.model.model_data`.

    Returns
    -------
    RawResult, build_seconds
    """
    t0 = time.perf_counter()
    d = model_data(inputs, options, shortfall_everywhere)
    b, idx = build_arrays(d)
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(options.msg))
    # the measured "auto" rule is for chain rows; with increments (LP) presolve only costs time
    pre = use_presolve(options, d) and not (options.presolve == "auto" and "subst" in idx)
    h.setOptionValue("presolve", "on" if pre else "off")
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    mip = bool(options.discrete and d.cols.integer.any())
    if mip:
        h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    integ = b.pass_to(h)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    h.run()
    state, msgs = _status(h, mip)
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2
    gap = (float(info.mip_gap) if mip else 0.0) if has_sol else float("nan")
    E, S = d.shape
    P = d.rhs.shape[1]
    x = None
    duals = np.full((S, P), np.nan)
    if state in ("optimal", "time_limit") and info.primal_solution_status == 2:
        sol = h.getSolution()
        col = np.asarray(sol.col_value)
        x = col[idx["x"] : idx["x"] + E * S]
        if "subst" in idx:
            tc, ta = idx["subst"]
            x = np.bincount(tc, weights=x[ta], minlength=E * S)
        x = x.reshape(E, S) * d.cols.scale
        if mip:
            ii = np.flatnonzero(integ)
            fixed = np.round(col[ii])
            h.changeColsIntegrality(
                len(ii), ii.astype(np.int32), np.full(len(ii), highspy.HighsVarType.kContinuous)
            )
            h.changeColsBounds(len(ii), ii.astype(np.int32), fixed, fixed)
            h.run()
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                sol = h.getSolution()
            else:
                sol = None
                msgs.append("duals unavailable: the LP with fixed lines did not solve")
        if sol is not None and sol.dual_valid:
            rd = np.asarray(sol.row_dual)[idx["target"] : idx["target"] + S * P]
            duals = np.abs(rd).reshape(S, P)
    elif state in ("optimal", "time_limit"):
        state = "time_limit" if state == "time_limit" else "error"
    return RawResult(x, state, duals, gap, "highs-direct", msgs, time.perf_counter() - t1), t_build
