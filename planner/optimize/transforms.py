"""Exact rewrites of a :class:`planner.optimize.linear.LinearModel` before it is compiled.

:func:`substitute_chains` folds the ``Enterprise-chain`` rows of an LP into the columns: along a
run of chain cells with the same floor, each column after the first becomes the increment
``x[s] - x[s-1] >= 0``; only a rising floor keeps its chain row.  Same feasible set, objective
and target-row duals, and far fewer simplex iterations (20,000 × 7: ~7,500 → ~800).  The caller
gets ``x`` back with :func:`recover`.  Both adapters compile the rewritten model, so the rewrite
is written once.
"""

from __future__ import annotations

import numpy as np

from planner.optimize.blocks import BOUND_ROWS, CHAIN, CURTAILMENT, LINE_STOPS
from planner.optimize.linear import INF, LinearModel


def can_substitute(m: LinearModel) -> bool:
    """True for an LP with chain rows and unit column scale (no whole-line columns)."""
    x = m.variables.get(CURTAILMENT)
    return (
        x is not None
        and CHAIN in m.constraints
        and not any(b.integer.any() for b in m.variables.values())
        and bool(np.all(x.scale == 1.0))
    )


def substitution_pays(m: LinearModel) -> bool:
    """Whether the rewrite saves simplex iterations: not with line-stop rows.

    ``LineGroup-Slot-stops`` rows sum a line group's cells; rewritten, each cell becomes the sum
    of its ancestors' increments and the rows grow.  Measured on generated cities in list mode
    (``benchmarks/bench_pipeline.py`` LPs, HiGHS, presolve off): 20,000 firms 2,784 iterations
    with the rewrite against 1,041 without (2.0 s against 0.48 s), 100,000 firms 19,040 against
    4,261 (33 s against 11 s), 300,000 firms 36,893 against 15,917.  Without line stops (the random
    episode LP) the rewrite stays: 20,000 × 7 ~7,500 → ~800 iterations, 100,000 × 7 10.2 s with it
    against 20.9 s for the model as built with presolve.
    """
    return LINE_STOPS not in m.constraints


def is_substituted(m: LinearModel) -> bool:
    """True when :func:`substitute_chains` rewrote ``m``."""
    x = m.variables.get(CURTAILMENT)
    return x is not None and x.meta.get("recover") is not None


def substitute_chains(m: LinearModel) -> LinearModel:
    """Replace non-rising chain rows by increment columns (in place; see the module docstring).

    A model the rewrite cannot take (:func:`can_substitute`) or would slow down
    (:func:`substitution_pays`) is returned as it is.

    Along every run of linked cells the column of the first cell keeps ``x`` and each later
    column becomes the increment ``x[b] - x[a] >= 0``, so ``x`` of a cell is the sum of the
    columns of its ancestors in the run.  The bounds ``lo <= x <= hi`` of later cells become rows
    of ``Enterprise-Slot-curtailment-bounds``, kept only where the chain does not already imply
    them (a floor that rises, a ceiling below the next one's, the last cell's ceiling).  Every
    row in ``x`` is rewritten exactly.  ``m.variables[CURTAILMENT].meta["recover"]`` holds
    ``(cell, ancestor)`` pairs: ``x[cell] = Σ column[ancestor]``.

    Parameters
    ----------
    m : LinearModel

    Returns
    -------
    LinearModel
        ``m`` itself.
    """
    if not (can_substitute(m) and substitution_pays(m)):
        return m
    xb = m.variables[CURTAILMENT]
    chain = m.constraints[CHAIN]
    x0, N = xb.start, xb.size
    S = len(xb.coords[xb.dims[1]])
    f, sa, sb = chain.meta["pairs"]
    lo, hi = xb.lower.copy(), xb.upper.copy()
    ca_all, cb_all = f * S + sa, f * S + sb
    nxt = np.full(N, -1, np.int64)
    nxt[ca_all] = cb_all
    rise = lo[cb_all] > lo[ca_all]
    ca, cb = ca_all[~rise], cb_all[~rise]
    # the chain block keeps the rows of rising floors only
    keep_rows = np.flatnonzero(rise)
    _keep_rows(chain, keep_rows)
    chain.meta["pairs"] = (f[rise], sa[rise], sb[rise])

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

    for block in m.constraints.values():
        isx = (block.cols >= x0) & (block.cols < x0 + N)
        dedupe = bool(block.meta.get("same_unit_cells"))
        if not dedupe:  # a cell without ancestors keeps its entry as it is
            isx[isx] = cnt[block.cols[isx] - x0] > 1
        if not isx.any():
            continue
        reps, anc = expand(block.cols[isx] - x0)
        r2 = np.repeat(block.rows[isx], reps)
        v2 = np.repeat(block.vals[isx], reps)
        if dedupe:  # a row with several cells of one firm (loss rows) meets shared ancestors
            n = max(block.size, 1)
            key = anc * n + r2
            uk, inv = np.unique(key, return_inverse=True)
            v2 = np.bincount(inv.ravel(), weights=v2, minlength=len(uk))
            r2, anc = uk % n, uk // n
        block.rows = np.r_[block.rows[~isx], r2]
        block.cols = np.r_[block.cols[~isx], x0 + anc]
        block.vals = np.r_[block.vals[~isx], v2]
    # objective and column bounds
    xb.cost = np.bincount(ta, weights=xb.cost[tc], minlength=N)
    inc = prev >= 0
    lower, upper = lo.copy(), hi.copy()
    lower[inc] = 0.0
    upper[inc] = np.maximum(hi[inc] - lo[prev[inc]], 0.0)
    xb.lower, xb.upper = lower, upper
    # floors that rise, ceilings that are not implied by the next cell's
    fl = np.flatnonzero(inc & (lo > lo[np.maximum(prev, 0)]))
    ce = np.flatnonzero(inc & ((nxt < 0) | (hi < hi[np.maximum(nxt, 0)])))
    cl = np.r_[fl, ce]
    if len(cl):
        reps, anc = expand(cl)
        m.add_constraints(
            BOUND_ROWS,
            {"cell": list(range(len(cl)))},
            np.r_[lo[fl], np.full(len(ce), -INF)],
            np.r_[np.full(len(fl), INF), hi[ce]],
            np.repeat(np.arange(len(cl)), reps),
            x0 + anc,
            np.ones(len(anc)),
        )
    xb.meta["recover"] = (tc, ta)
    m.renumber()
    return m


def recover(m: LinearModel, values: np.ndarray) -> np.ndarray:
    """Curtailment columns of the original model from the solved columns (identity without a rewrite)."""
    rec = m.variables[CURTAILMENT].meta.get("recover")
    if rec is None:
        return values
    tc, ta = rec
    return np.bincount(tc, weights=values[ta], minlength=len(values))


def _keep_rows(block, keep: np.ndarray) -> None:
    """Keep only rows ``keep`` of a constraint block (renumbered 0..len(keep)-1)."""
    new = -np.ones(block.size, np.int64)
    new[keep] = np.arange(len(keep))
    sel = new[block.rows] >= 0
    block.rows, block.cols, block.vals = new[block.rows[sel]], block.cols[sel], block.vals[sel]
    block.lower, block.upper = block.lower[keep], block.upper[keep]
    for d in block.dims:
        labels = list(block.coords[d])
        block.coords[d] = [labels[i] for i in keep]
