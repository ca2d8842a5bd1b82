"""Adapter: a :class:`planner.optimize.linear.LinearModel` compiled to highspy (the default backend).

The blocks' arrays are concatenated, converted once to CSC and handed to HiGHS with
``Highs.passModel`` (its numpy-array overload): no Python object per column, so a 20,000 × 7
episode builds in milliseconds.  Results come back per block (:class:`Solution`).  For a MILP the
duals come from the LP with the integer columns fixed at their values.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

import highspy
import numpy as np

from planner.optimize.linear import LinearModel, Solution

_BANNER_DONE = False


@contextlib.contextmanager
def _stdout_to_stderr():
    """Send what C code prints on file descriptor 1 to 2 (HiGHS prints its banner on stdout)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. a captured or closed stream
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        os.dup2(sys.stderr.fileno() if _has_fileno(sys.stderr) else os.open(os.devnull, os.O_WRONLY), fd)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)


def _has_fileno(stream) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def new_highs(msg: bool = False) -> highspy.Highs:
    """A ``Highs`` instance whose one-off start-up banner goes to stderr, never to stdout.

    ``--format json`` must print JSON and nothing else on stdout; HiGHS prints a copyright
    banner the first time a ``Highs`` is created in a process, whatever ``output_flag`` says.
    """
    global _BANNER_DONE
    if _BANNER_DONE:
        h = highspy.Highs()
    else:
        with _stdout_to_stderr():
            h = highspy.Highs()
        _BANNER_DONE = True
    h.setOptionValue("output_flag", bool(msg))
    return h


def run_highs(h: highspy.Highs) -> list[str]:
    """``h.run()``, again on HiGHS's own thread count if the ``threads`` asked for cannot be had.

    HiGHS fixes the thread count of its process-wide scheduler at the first run; an instance asking
    for another count later fails without solving (model status "Not Set").  In a long-lived
    process (the app, a Dask worker, a sweep) an earlier solve with other options is enough.  The
    scheduler is not reset (other solves may be running in other threads): the instance runs on the
    scheduler's threads and the returned message says so.

    Returns
    -------
    list of str
        Empty, or the message that the ``threads`` option was not applied.
    """
    status = h.run()
    _, threads = h.getOptionValue("threads")
    if status == highspy.HighsStatus.kError and not_run(h) and threads != 0:
        h.setOptionValue("threads", 0)
        h.run()
        return [threads_note(int(threads))]
    return []


def not_run(h: highspy.Highs | None) -> bool:
    """``h`` refused to run (model status "Not Set"), e.g. for a ``threads`` count it cannot have."""
    return h is not None and h.getModelStatus() == highspy.HighsModelStatus.kNotset


def threads_note(threads: int) -> str:
    """The message of a ``threads`` option HiGHS could not apply (see :func:`run_highs`)."""
    return (
        f"solver option threads={threads} not applied: HiGHS already runs with another thread "
        "count in this process (it is fixed at the first solve)"
    )


def compile_model(m: LinearModel, h: highspy.Highs) -> np.ndarray:
    """Pass ``m`` to ``h`` as numpy arrays; return the integrality of each column."""
    cost, lower, upper, integer = m.column_arrays()
    rlo, rhi, _, _, _ = m.row_arrays()
    start, index, value = m.csc()
    st = h.passModel(
        int(m.n_col),
        int(m.n_row),
        len(value),
        1,  # column-wise
        1,  # minimise
        float(m.constant),
        cost,
        lower,
        upper,
        np.ascontiguousarray(rlo, dtype=float),
        np.ascontiguousarray(rhi, dtype=float),
        start[:-1],
        index,
        value,
        integer.astype(np.int32),
    )
    if st == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model (passModel)")
    return integer


def solve_plain(m: LinearModel, time_limit: float) -> tuple[float, float, str]:
    """Solve ``m`` with a plain ``highspy.Highs`` (presolve on, none of the project's options).

    The reference the benchmarks time the project against.

    Parameters
    ----------
    m : LinearModel
    time_limit : float
        Seconds.

    Returns
    -------
    tuple of (float, float, str)
        Seconds of ``run()`` alone, the objective ``cost · x`` and HiGHS' model status text.
    """
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "on")
    h.setOptionValue("time_limit", float(time_limit))
    compile_model(m, h)
    t0 = time.perf_counter()
    h.run()
    sec = time.perf_counter() - t0
    cost, _, _, _ = m.column_arrays()
    col = np.asarray(h.getSolution().col_value)
    return sec, float(cost @ col), h.modelStatusToString(h.getModelStatus())


def _state(h: highspy.Highs) -> tuple[str, list[str]]:
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


def split(m: LinearModel, col: np.ndarray | None, row: np.ndarray | None):
    """Per-block views of global column values and row duals."""
    values = None
    if col is not None:
        values = {b.name: col[b.start : b.start + b.size] for b in m.variables.values()}
    duals = {}
    for c in m.constraints.values():
        duals[c.name] = row[c.start : c.start + c.size] if row is not None else np.full(c.size, np.nan)
    return values, duals


def solve(
    m: LinearModel,
    *,
    msg: bool = False,
    presolve: bool = False,
    time_limit: float | None = None,
    threads: int | None = None,
    mip_gap: float = 0.005,
    duals: bool = True,
) -> Solution:
    """Compile and solve ``m`` with HiGHS.

    Parameters
    ----------
    m : LinearModel
    msg : bool
        Solver log (on stderr-safe output; never needed for results).
    presolve, time_limit, threads, mip_gap
        HiGHS options.
    duals : bool
        For a MILP, re-solve the LP with the integer columns fixed to report row duals.

    Returns
    -------
    Solution
    """
    h = new_highs(msg)
    h.setOptionValue("presolve", "on" if presolve else "off")
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    integer = compile_model(m, h)
    mip = bool(integer.any())
    if mip:
        h.setOptionValue("mip_rel_gap", float(mip_gap))
    t1 = time.perf_counter()
    notes = run_highs(h)
    state, msgs = _state(h)
    msgs = notes + msgs
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2
    gap = (float(info.mip_gap) if mip else 0.0) if has_sol else float("nan")
    col = row = None
    sol: highspy.HighsSolution | None
    if state in ("optimal", "time_limit") and has_sol:
        sol = h.getSolution()
        col = np.array(sol.col_value, dtype=float)
        if mip and duals:
            ii = np.flatnonzero(integer)
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
        elif mip:
            sol = None
        if sol is not None and sol.dual_valid:
            row = np.array(sol.row_dual, dtype=float)
    elif state in ("optimal", "time_limit"):
        state = "time_limit" if state == "time_limit" else "error"
    values, row_duals = split(m, col, row)
    return Solution(state, values, row_duals, gap, "highs-direct", msgs, time.perf_counter() - t1)
