"""Adapter: a :class:`planner.optimize.linear.LinearModel` compiled to a PuLP ``LpProblem``.

PuLP is the public modelling layer of the design card: the same blocks, compiled here into
named PuLP variables (``Enterprise_Slot_curtailment_<e>_<s>``) and rows
(``Slot_Pollutant_target_<s>_<p>``), solved with HiGHS in-process or CBC, and read back per
block.  It also writes any model as an ``.lp`` or ``.mps`` file (:func:`write_model`).  A
two-sided row becomes two PuLP rows (``…_lo`` and ``…_hi``) and its dual is their sum.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pulp

from planner.optimize.highs_backend import new_highs, not_run, split, threads_note
from planner.optimize.linear import LinearModel, Solution


def _bound(v: float):
    return None if not np.isfinite(v) else float(v)


def to_pulp(m: LinearModel) -> tuple[pulp.LpProblem, list, list[list]]:
    """Build the PuLP problem of ``m``.

    Returns
    -------
    prob : pulp.LpProblem
    columns : list of pulp.LpVariable
        One per model column, in column order.
    rows : list of list of pulp.LpConstraint
        The PuLP rows of each model row (one, or two for a two-sided row).
    """
    prob = pulp.LpProblem(m.name, pulp.LpMinimize)
    cost, lower, upper, integer = m.column_arrays()
    add = prob.add_variable
    cont, intg = pulp.LpContinuous, pulp.LpInteger
    columns = [
        add(name, _bound(a), _bound(b), intg if k else cont)
        for name, a, b, k in zip(
            m.column_names(), lower.tolist(), upper.tolist(), integer.tolist(), strict=True
        )
    ]
    nz = np.flatnonzero(cost)
    prob.setObjective(
        pulp.LpAffineExpression([(columns[j], float(cost[j])) for j in nz.tolist()]) + m.constant
    )
    rlo, rhi, r, c, v = m.row_arrays()
    order = np.argsort(r, kind="stable")
    r, c, v = r[order], c[order], v[order]
    bounds = np.searchsorted(r, np.arange(m.n_row + 1))
    rows: list[list] = []
    for i, name in enumerate(m.row_names()):
        a, b = bounds[i], bounds[i + 1]
        terms = [(columns[j], w) for j, w in zip(c[a:b].tolist(), v[a:b].tolist(), strict=True)]
        lo, hi = rlo[i], rhi[i]
        made = []
        if np.isfinite(lo) and np.isfinite(hi) and lo == hi:
            made.append(
                pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, name, float(lo))
            )
        else:
            two = np.isfinite(lo) and np.isfinite(hi)
            if np.isfinite(lo):
                made.append(
                    pulp.LpConstraint(
                        pulp.LpAffineExpression(terms),
                        pulp.LpConstraintGE,
                        name + ("_lo" if two else ""),
                        float(lo),
                    )
                )
            if np.isfinite(hi):
                made.append(
                    pulp.LpConstraint(
                        pulp.LpAffineExpression(terms),
                        pulp.LpConstraintLE,
                        name + ("_hi" if two else ""),
                        float(hi),
                    )
                )
        for con in made:
            prob.addConstraint(con)
        rows.append(made)
    return prob, columns, rows


def write_model(m: LinearModel, path: str | Path) -> Path:
    """Write ``m`` as an ``.lp`` (CPLEX LP) or ``.mps`` file through PuLP."""
    path = Path(path)
    prob, _, _ = to_pulp(m)
    if path.suffix.lower() == ".mps":
        prob.writeMPS(str(path))
    else:
        prob.writeLP(str(path))
    return path


def _cbc(mip: bool, msg: bool, time_limit, presolve: bool, threads, mip_gap):
    path = shutil.which("cbc")
    if path is None:
        from pulp.apis import coin_api

        bundled = getattr(coin_api, "pulp_cbc_path", None)
        if bundled is not None and os.path.exists(bundled):
            path = bundled
    if path is None:
        raise RuntimeError("CBC is not installed (no 'cbc' on PATH and no bundled binary)")
    kw = dict(path=path, mip=mip, msg=msg, timeLimit=time_limit, presolve=presolve, threads=threads)
    if mip:
        kw["gapRel"] = mip_gap
    return pulp.COIN_CMD(**kw)


def _highs(mip: bool, msg: bool, time_limit, presolve: bool, threads, mip_gap):
    new_highs()  # the one-off start-up banner goes to stderr
    return pulp.HiGHS(
        mip=mip,
        msg=msg,
        gapRel=mip_gap if mip else None,
        timeLimit=time_limit,
        threads=threads,
        presolve="on" if presolve else "off",
    )


def _state(prob: pulp.LpProblem, solver: str, mip: bool) -> tuple[str, float, list[str], bool]:
    """(state, gap, messages, whether the variables hold a usable solution)."""
    msgs: list[str] = []
    gap = 0.0 if not mip else float("nan")
    if solver == "highs" and getattr(prob, "solverModel", None) is not None:
        import highspy

        h = prob.solverModel
        ms = h.getModelStatus()
        S = highspy.HighsModelStatus
        has_sol = h.getInfo().primal_solution_status == 2
        if mip and has_sol:
            gap = float(h.getInfo().mip_gap)
        if ms == S.kOptimal:
            return "optimal", (gap if mip else 0.0), msgs, has_sol
        if ms in (S.kInfeasible, S.kUnboundedOrInfeasible):
            return "infeasible", gap, ["the constraints cannot all hold (solver: infeasible)"], False
        if ms in (S.kTimeLimit, S.kIterationLimit, S.kInterrupt, S.kSolutionLimit):
            msgs.append(f"solver stopped: {h.modelStatusToString(ms)}")
            return (
                "time_limit",
                gap,
                msgs + ([] if has_sol else ["no solution found in the time limit"]),
                has_sol,
            )
        return "error", gap, [f"solver status: {h.modelStatusToString(ms)}"], False
    st, sol = prob.status, prob.sol_status
    if st == pulp.LpStatusOptimal and sol == pulp.LpSolutionOptimal:
        return "optimal", (float("nan") if mip else 0.0), msgs, True
    if st == pulp.LpStatusOptimal and sol == pulp.LpSolutionIntegerFeasible:
        # a MILP incumbent is feasible; an LP stopped early (CLP) is not a usable solution
        return "time_limit", gap, ["solver stopped before proving optimality"], mip
    if st == pulp.LpStatusInfeasible:
        return "infeasible", gap, ["the constraints cannot all hold (solver: infeasible)"], False
    if st == pulp.LpStatusNotSolved:
        return "time_limit", gap, ["solver stopped without a solution (time limit)"], False
    return "error", gap, [f"solver status: {pulp.LpStatus.get(st, st)}"], False


def solve(
    m: LinearModel,
    *,
    solver: str = "highs",
    msg: bool = False,
    presolve: bool = False,
    time_limit: float | None = None,
    threads: int | None = None,
    mip_gap: float = 0.005,
    duals: bool = True,
) -> Solution:
    """Compile ``m`` to PuLP and solve it with HiGHS (in-process) or CBC.

    Parameters
    ----------
    m : LinearModel
    solver : {"highs", "cbc"}
    msg, presolve, time_limit, threads, mip_gap
        Solver options.
    duals : bool
        For a MILP, re-solve the LP with the integer columns fixed to report row duals.

    Returns
    -------
    Solution
    """
    prob, columns, rows = to_pulp(m)
    _, _, _, integer = m.column_arrays()
    mip = bool(integer.any())
    make = _cbc if solver == "cbc" else _highs
    t1 = time.perf_counter()
    prob.solve(make(mip, msg, time_limit, presolve, threads, mip_gap))
    notes = []
    if solver == "highs" and threads is not None and not_run(getattr(prob, "solverModel", None)):
        notes = [threads_note(threads)]  # see highs_backend.run_highs
        threads = None
        prob.solve(make(mip, msg, time_limit, presolve, threads, mip_gap))
    state, gap, msgs, has_solution = _state(prob, solver, mip)
    msgs = notes + msgs
    col = row = None
    if state in ("optimal", "time_limit") and has_solution:
        vals = np.array([v.varValue if v.varValue is not None else np.nan for v in columns], dtype=float)
        if np.isnan(vals).any():
            state = "error" if state == "optimal" else "time_limit"
            msgs.append("solver returned no values")
        else:
            col = vals
    if col is not None and duals:
        if mip:  # fix the integer columns at their values and re-solve the LP for duals
            for j in np.flatnonzero(integer).tolist():
                v = columns[j]
                val = float(round(v.varValue))
                v.lowBound = val
                v.upBound = val
                v.cat = pulp.LpContinuous
            try:
                prob.solve(make(False, msg, time_limit, presolve, threads, mip_gap))
            except Exception as exc:
                msgs.append(f"duals unavailable: {exc}")
        row = np.array(
            [sum(float(c.pi) for c in made if c.pi is not None) if made else np.nan for made in rows],
            dtype=float,
        )
        none = np.array([all(c.pi is None for c in made) for made in rows], dtype=bool)
        row[none] = np.nan
    values, row_duals = split(m, col, row)
    return Solution(state, values, row_duals, gap, f"pulp+{solver}", msgs, time.perf_counter() - t1)
