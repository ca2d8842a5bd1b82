"""The direct model: build the blocks, rewrite the chains, compile and solve with one backend.

:func:`run_direct` is what :func:`planner.optimize.model.solve` runs for a direct solve, and what
:mod:`planner.optimize.decomposition` runs on its sub-models (so the decomposition does not import
the module that dispatches to it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from planner.optimize import highs_backend, pulp_backend
from planner.optimize.blocks import AIR_GOAL, CURTAILMENT, NON_INDUSTRIAL, TARGET, ModelData, build_model
from planner.optimize.linear import LinearModel, Solution
from planner.optimize.menus import menu_arrays, menu_outcome, solution_arrays
from planner.optimize.options import SolveOptions
from planner.optimize.transforms import is_substituted, recover, substitute_chains

__all__ = ["RawResult", "compile_and_solve", "run_direct", "use_presolve"]


@dataclass
class RawResult:
    """What a solve hands back before the Plan is built.

    Attributes
    ----------
    x : numpy.ndarray (E, S) or None
        Shares (already ``scale · column``), None without a solution.
    state : {"optimal", "infeasible", "time_limit", "error"}
        Solver-level state (before shortfall is looked at).
    duals : numpy.ndarray (S, P)
        ``∂ objective / ∂ (target - credited)`` (≥ 0), NaN when unavailable.
    gap : float
    solver : str
    messages : list of str
    solve_seconds : float
    blocks : list of str
        The model's block names.
    ni : numpy.ndarray (M, S) or None
        Activation of the optional non-industrial measures (None when there are none or no solution).
    """

    x: np.ndarray | None
    state: str
    duals: np.ndarray
    gap: float
    solver: str
    messages: list[str] = field(default_factory=list)
    solve_seconds: float = 0.0
    blocks: list[str] = field(default_factory=list)
    ni: np.ndarray | None = None
    menu: tuple[np.ndarray, np.ndarray] | None = None
    goal_duals: np.ndarray | None = None  # Slot-Receptor-pm25-goal row duals (planner.optimize.airgoal)
    goal_reach: np.ndarray | None = None


#: An LP left as built (no chain rewrite) presolves from this many columns on.
LP_PRESOLVE_MIN_COLUMNS = 500_000


def use_presolve(options: SolveOptions, data: ModelData, m: LinearModel | None = None) -> bool:
    """Whether to presolve: the option itself, or for ``"auto"`` the measured rule.

    ``"auto"``:

    - a MILP presolves when it has at most 3 slots (list mode, short episodes: 20,000 × 3 list
      1.06 s off vs 0.27 s on) and not for longer episodes (20,000 × 7: 5.4 s off vs 74 s on;
      ``benchmarks/bench_model.py``);
    - an LP rewritten by :func:`planner.optimize.transforms.substitute_chains` never presolves
      (random episode LP, 100,000 × 7: 10.2 s off vs 13.8 s on; on this shape of few dense
      target rows and many columns presolve costs up to 30× on smaller LPs);
    - an LP left as built (line-stop rows, no chain) presolves from
      :data:`LP_PRESOLVE_MIN_COLUMNS` columns on.  Generated cities (``benchmarks/bench_pipeline.py``
      LPs): list mode 20,000 firms (70,947 columns) 0.48 s off vs 1.14 s on, 100,000 firms
      (353,337) 3.1–6.0 s vs 8.6–9.8 s, 300,000 firms (1,058,211) 22.1 s vs 12.6 s; episode mode
      20,000 firms (178,932) 2.0 s vs 2.5 s, 100,000 firms (889,830) 19.4 s vs 13.7 s.
    """
    if options.presolve != "auto":
        return bool(options.presolve)
    if data.mip:
        return data.shape[1] <= 3
    return m is not None and not is_substituted(m) and m.n_col >= LP_PRESOLVE_MIN_COLUMNS


def compile_and_solve(m: LinearModel, options: SolveOptions, presolve: bool) -> Solution:
    """Solve a built model with the backend the options name."""
    if options.backend == "pulp":
        return pulp_backend.solve(
            m,
            solver=options.solver,
            msg=options.msg,
            presolve=presolve,
            time_limit=options.time_limit,
            threads=options.threads,
            mip_gap=options.mip_gap,
        )
    return highs_backend.solve(
        m,
        msg=options.msg,
        presolve=presolve,
        time_limit=options.time_limit,
        threads=options.threads,
        mip_gap=options.mip_gap,
    )


def run_direct(
    inputs: xr.Dataset, options: SolveOptions, shortfall_everywhere: bool = False
) -> tuple[RawResult, float]:
    """Build, rewrite, compile and solve; map the per-block solution back to (E, S) and (S, P)."""
    t0 = time.perf_counter()
    m, d = build_model(inputs, options, shortfall_everywhere=shortfall_everywhere)
    blocks = m.blocks
    if options.backend == "highs":
        # the exact chain rewrite pays in HiGHS (20,000 x 7: ~7,500 -> ~800 iterations); through
        # PuLP the longer target rows cost more in PuLP's own Python than the solver saves
        substitute_chains(m)
    t_build = time.perf_counter() - t0
    sol = compile_and_solve(m, options, use_presolve(options, d, m))
    E, S = d.shape
    P = d.rhs.shape[1]
    x = ni = None
    menu = None
    if sol.values is not None:
        x = recover(m, sol.values[CURTAILMENT]).reshape(E, S) * d.cols.scale
        if NON_INDUSTRIAL in sol.values:
            ni = np.clip(sol.values[NON_INDUSTRIAL].reshape(len(d.ni_names), S), 0.0, 1.0)
        menu = solution_arrays(m, sol.values, inputs)
        arrays = menu_arrays(inputs)
        if menu is not None and arrays is not None:
            # a menu firm's curtailment is its option's output share plus its load cut
            curt, _ = menu_outcome(inputs, *menu)
            x[arrays.firms] = curt
    duals = np.abs(sol.duals[TARGET]).reshape(S, P)
    raw = RawResult(
        x, sol.state, duals, sol.gap, sol.solver, list(sol.messages), sol.seconds, blocks, ni, menu
    )
    if AIR_GOAL in m.constraints:
        raw.goal_duals = np.abs(sol.duals[AIR_GOAL])
        raw.goal_reach = m.constraints[AIR_GOAL].meta.get("reach")
    return raw, t_build
