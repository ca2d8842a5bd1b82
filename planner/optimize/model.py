"""The curtailment LP/MILP: enterprise × slot shares at minimum output loss.

The model is assembled in small blocks, in the manner of linopy/PyPSA (``define_*`` functions
each adding one named block of variables or constraints to a PuLP problem):

=============================  ===================================================================
block                          rows / columns
=============================  ===================================================================
define_curtailment_variables   ``Curtailment[e, s]`` in ``[floor, ceiling]`` (chain-propagated);
                               in discrete mode the column is the number of stopped lines
define_shortfall_variables     ``Shortfall[s, p] >= 0`` (penalised) on targets the bounds cannot
                               reach (all targets in the fallback re-solve, see ModelData)
define_target_constraints      ``Target-<slot>-<pollutant>``:
                               ``Σ_e reducible·x + shortfall >= target - credited``
define_chain_constraints       ``Chain-<e>-<s>-<s'>``: ``x[e, s] <= x[e, s']``
define_grade_monotonicity      ``Grade-below-…`` / ``Grade-above-…`` with one threshold per
                               (industry, slot, grade boundary)
define_loss_share_caps         ``Loss-total``, ``County-loss-cap-<c>``, ``Firm-loss-cap-<e>``
define_discrete_lines          integrality of line columns (MILP)
define_equity_term             optional ``Equity-<e>-<s>``: ``x[e, s] <= MaxShare[s]``
define_objective               ``Σ loss_at_full·x + penalty·Σ shortfall (+ equity term)``
=============================  ===================================================================

:func:`solve` runs either this PuLP model (``backend="pulp"``; solver HiGHS in-process or CBC)
or the same model assembled straight from arrays into highspy (``backend="highs"``,
:mod:`planner.optimize.highs_backend`), then builds a :class:`Plan` and checks it with the independent
verifier (:func:`planner.optimize.verify.verify_plan`).

PuLP sanitises names (``-`` becomes ``_``), so the PuLP rows read ``Target_<slot>_<pollutant>``.
Columns whose bounds coincide stay in the model as fixed columns; chain rows that the
propagated bounds already imply are left out.

Units: curtailment is a share of normal output; ``loss_at_full`` is 万元 for the whole slot;
targets and reductions are tonnes per day.  ``Plan.duals`` are 万元 per tonne removed
(``∂ objective / ∂ target[s, p]`` divided by ``days[s]``).
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pulp
import xarray as xr

from planner import POLLUTANTS
from planner.optimize.inputs import (
    BOUND_TOL,
    ChainPairs,
    GradeBoundaries,
    LineColumns,
    chain_pairs,
    check_plan_inputs,
    effective_bounds,
    grade_boundaries,
    line_columns,
)

STATUSES = ("optimal", "infeasible", "time_limit", "error")
#: Option keys that belong to the scenario (they shape the inputs), accepted and ignored here.
_INPUT_LEVEL_KEYS = {"allow_volunteer", "toggle_allowed"}


@dataclass
class SolveOptions:
    """Options of :func:`solve`.

    Parameters
    ----------
    backend : {"highs", "pulp"}
        ``"highs"``: arrays straight into highspy (fast); ``"pulp"``: the PuLP model.
    solver : {"highs", "cbc"}
        Solver of the PuLP backend (HiGHS in-process, or CBC); the direct backend is always HiGHS.
    discrete : bool
        Whole production lines (MILP).
    mip_gap : float
        Relative MIP gap at which the MILP stops.
    time_limit : float or None
        Seconds.
    presolve : bool or "auto"
        HiGHS/CBC presolve.  ``"auto"`` (default) follows the measurements of
        ``benchmarks/bench_model.py`` (see :func:`use_presolve`): on this shape (few dense target
        rows, many columns) presolve costs more than it saves for LPs (20,000 × 1: 0.02 s off vs
        0.19 s on; 100,000 × 1: 0.12 s vs 4.1 s) except very large chained LPs (100,000 × 7:
        40 s off vs 25 s on); for MILPs it pays with 1–3 slots (20,000 × 3 list: 1.06 s vs
        0.27 s) and is ruinous on 7-day episodes (20,000 × 7: 5.4 s vs 74 s).
    grade_monotonicity : bool
        Inside an industry, at each slot, a worse grade's share ≥ every better grade's.
    county_loss_cap, firm_loss_cap : float or None
        Cap on any county's / any firm's share of the total enterprise loss.
    allow_shortfall : bool
        Keep the penalised shortfall variables (True) so an unreachable target still gives a plan
        (status "infeasible" with shortfalls); False makes unreachable targets a hard infeasibility.
    shortfall_penalty : float or None
        万元 per tonne of shortfall; None = automatic (100 × the largest loss per tonne of any
        cuttable firm, clipped to [1e3, 1e9]).  Only targets the bounds cannot reach carry a
        shortfall column (see :class:`ModelData`), so the penalty only decides how hard an
        unreachable target is pushed towards its maximum.
    equity_weight : float
        Optional secondary term: ``equity_weight × Σ_s (Σ_e loss_at_full[e, s]) × m_s`` where
        ``m_s`` is the largest share cut in slot ``s`` among firms that can be cut; a small value
        spreads the extra cuts.  0 (off) by default; never part of the reported objective.
    shortfall_tol : float
        Shortfall (tonnes, relative to ``max(1, target)``) above which the plan is infeasible.
    threads : int or None
    verify : bool
        Run the independent verifier after the solve (default True).
    msg : bool
        Solver log to stdout.
    """

    backend: str = "highs"
    solver: str = "highs"
    discrete: bool = False
    mip_gap: float = 0.005
    time_limit: float | None = 120.0
    presolve: bool | str = "auto"
    grade_monotonicity: bool = False
    county_loss_cap: float | None = None
    firm_loss_cap: float | None = None
    allow_shortfall: bool = True
    shortfall_penalty: float | None = None
    equity_weight: float = 0.0
    shortfall_tol: float = 1e-6
    threads: int | None = None
    verify: bool = True
    msg: bool = False

    @classmethod
    def from_any(cls, options: SolveOptions | dict | None = None, **kw) -> SolveOptions:
        """Options from a SolveOptions, a dict (scenario ``options`` + ``solver``) and keywords."""
        if options is None:
            base = cls()
        elif isinstance(options, SolveOptions):
            base = options
        else:
            base = cls()
            kw = {**dict(options), **kw}
        known = {f.name for f in fields(cls)}
        unknown = set(kw) - known - _INPUT_LEVEL_KEYS
        if unknown:
            raise ValueError(f"unknown solve option(s): {', '.join(sorted(unknown))}")
        opts = replace(base, **{k: v for k, v in kw.items() if k in known})
        if opts.backend not in ("highs", "pulp"):
            raise ValueError("backend must be 'highs' (direct arrays) or 'pulp'")
        if opts.presolve not in (True, False, "auto"):
            raise ValueError("presolve must be true, false or 'auto'")
        if opts.solver not in ("highs", "cbc"):
            raise ValueError("solver must be 'highs' or 'cbc'")
        for name in ("county_loss_cap", "firm_loss_cap"):
            v = getattr(opts, name)
            if v is not None and not 0 < v <= 1:
                raise ValueError(f"{name} must be in (0, 1]")
        return opts


@dataclass
class Plan:
    """The result of :func:`solve`.

    Attributes
    ----------
    curtailment : xarray.DataArray (enterprise, slot)
        Share of normal output removed; NaN when no solution was found.
    status : {"optimal", "infeasible", "time_limit", "error"}
        "infeasible" whenever any shortfall exceeds the tolerance (or the solver proves the
        constraints themselves infeasible); never "optimal" in that case.
    objective : float
        Total output loss (万元): ``Σ loss_at_full·x + Σ credited_loss``; no penalty, no
        secondary terms.  NaN without a solution.
    shortfall : xarray.DataArray (slot, pollutant)
        Tonnes/day by which ``achieved`` falls short of ``target`` (0 where met).
    achieved : xarray.DataArray (slot, pollutant)
        ``credited + Σ_e reducible·x`` (tonnes/day).
    target : xarray.DataArray (slot, pollutant)
    max_achievable_share : xarray.DataArray (slot, pollutant)
        ``(credited + Σ_e reducible·ceiling) / target`` with chain-propagated ceilings (rounded down
        to whole lines in discrete mode): the most that bounds alone allow (fairness constraints may allow less); inf where target is 0.
    duals : xarray.DataArray (slot, pollutant)
        Marginal loss per tonne (万元/t) of each target: the target row's dual divided by the
        slot's ``days``; for a MILP from the LP with the integer columns fixed; NaN where the
        target is not met (the shortfall penalty would be reported instead) or unavailable.
    gap : float
        Relative MIP gap (0 for an LP; NaN when the solver does not report it, e.g. CBC).
    solver : str
        e.g. ``"highs-direct"``, ``"pulp+highs"``, ``"pulp+cbc"``.
    timings : dict
        ``{"build", "solve", "verify"}`` seconds.
    reason : xarray.DataArray (enterprise, slot) of str
        ``"exempt"`` (ceiling 0), ``"floor"`` (at the rule floor – carried forward along the chain
        for firms that cannot toggle), ``"optimizer"`` (above it).
    messages : list of str
        Solver and status explanations.
    violations : list of str
        What the verifier found (empty when the plan passed).
    options : SolveOptions
    """

    curtailment: xr.DataArray
    status: str
    objective: float
    shortfall: xr.DataArray
    achieved: xr.DataArray
    target: xr.DataArray
    max_achievable_share: xr.DataArray
    duals: xr.DataArray
    gap: float
    solver: str
    timings: dict[str, float]
    reason: xr.DataArray
    messages: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    options: SolveOptions | None = None

    @property
    def ok(self) -> bool:
        """True when the status is "optimal"."""
        return self.status == "optimal"

    def to_dataset(self) -> xr.Dataset:
        """The array results as one dataset."""
        return xr.Dataset(
            {
                "curtailment": self.curtailment,
                "reason": self.reason,
                "shortfall": self.shortfall,
                "achieved": self.achieved,
                "target": self.target,
                "duals": self.duals,
                "max_achievable_share": self.max_achievable_share,
            },
            attrs={
                "status": self.status,
                "objective": self.objective,
                "gap": self.gap,
                "solver": self.solver,
            },
        )


# ----------------------------------------------------------------------------------------------
# model data shared by both backends
# ----------------------------------------------------------------------------------------------
@dataclass
class ModelData:
    """Arrays the model is assembled from (both backends use the same ones).

    Attributes
    ----------
    lo, hi : numpy.ndarray (E, S)
        Chain-propagated bounds on the share.
    cols : LineColumns
        Column scaling/bounds/integrality (``x = scale · column``).
    loss : numpy.ndarray (E, S)
    reducible : numpy.ndarray (E, S, P)
    rhs : numpy.ndarray (S, P)
        ``target - credited``.
    chain : ChainPairs
    grades : GradeBoundaries or None
    county : numpy.ndarray (E,) of int codes; county_names list
    penalty : float
    short_rows : numpy.ndarray of bool (S, P)
        Target rows that get a shortfall column.  Only rows the bounds cannot reach
        (``Σ reducible·ceiling < target - credited``) get one at first: a reachable row stays a
        hard constraint, so neither a MIP gap nor a finite penalty can trade a little shortfall
        for less loss.  If the solver then proves the model infeasible (fairness caps, whole
        lines), :func:`solve` re-solves with shortfall columns on every row.
    """

    lo: np.ndarray
    hi: np.ndarray
    cols: LineColumns
    loss: np.ndarray
    reducible: np.ndarray
    rhs: np.ndarray
    chain: ChainPairs
    grades: GradeBoundaries | None
    county: np.ndarray
    county_names: list[str]
    penalty: float
    options: SolveOptions
    short_rows: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.lo.shape

    def chain_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(firm, slot_a, slot_b) of the chain rows that bounds do not already imply."""
        firms, sa, sb = [], [], []
        f = np.flatnonzero(self.chain.firms)
        for a, b in self.chain.pairs:
            need = f[self.hi[f, a] > self.lo[f, b] + BOUND_TOL]
            firms.append(need)
            sa.append(np.full(len(need), a))
            sb.append(np.full(len(need), b))
        if not firms:
            z = np.zeros(0, dtype=int)
            return z, z, z
        return np.concatenate(firms), np.concatenate(sa), np.concatenate(sb)

    def equity_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """(firm, slot) cells bounded by the slot's max share ``m_s`` (cuttable cells)."""
        return np.nonzero(self.hi > self.lo + BOUND_TOL)


def model_data(inputs: xr.Dataset, options: SolveOptions, shortfall_everywhere: bool = False) -> ModelData:
    """Derive the arrays the model is assembled from.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs (checked).
    options : SolveOptions
    shortfall_everywhere : bool
        Give every target row a shortfall column (the fallback after an infeasible solve).

    Returns
    -------
    ModelData
    """
    lo, hi = effective_bounds(inputs)
    cols = line_columns(inputs, lo, hi, options.discrete)
    loss = inputs["loss_at_full"].values.astype(float)
    red = inputs["reducible"].values.astype(float)
    rhs = inputs["target"].values.astype(float) - inputs["credited"].values.astype(float)
    grades = grade_boundaries(inputs, lo, hi) if options.grade_monotonicity else None
    names, county = np.unique(np.asarray(inputs["county"].values).astype(str), return_inverse=True)
    if options.shortfall_penalty is not None:
        penalty = float(options.shortfall_penalty)
    else:
        # loss per tonne of every cuttable cell; negligible emitters (below 1e-6 of the largest in
        # their slot and pollutant) are ignored so that the penalty stays numerically sane
        big = red > np.maximum(1e-12, 1e-6 * red.max(axis=0, initial=0.0))[None, :, :]
        free = (hi > lo + BOUND_TOL)[:, :, None] & big
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(free, loss[:, :, None] / np.where(red > 0, red, 1.0), 0.0)
        top = float(ratio.max()) if ratio.size else 0.0
        penalty = min(1e9, max(1e3, 100.0 * top))
    if not options.allow_shortfall:
        short_rows = np.zeros(rhs.shape, dtype=bool)
    elif shortfall_everywhere:
        short_rows = np.ones(rhs.shape, dtype=bool)
    else:
        reach = np.einsum("es,esp->sp", cols.col_hi * cols.scale, red)
        short_rows = reach < rhs - 1e-9 * np.maximum(1.0, np.abs(rhs))
    return ModelData(
        lo,
        hi,
        cols,
        loss,
        red,
        rhs,
        chain_pairs(inputs),
        grades,
        county.ravel().astype(int),
        [str(n) for n in names],
        penalty,
        options,
        short_rows,
    )


# ----------------------------------------------------------------------------------------------
# PuLP blocks
# ----------------------------------------------------------------------------------------------
@dataclass
class ModelParts:
    """A PuLP model and handles to its blocks.

    Attributes
    ----------
    prob : pulp.LpProblem
    data : ModelData
    x : numpy.ndarray of object (E, S)
        Curtailment columns (``x = data.cols.scale · column``).
    shortfall : numpy.ndarray of object (S, P) or None
    thresholds : numpy.ndarray of object or None
    total_loss : pulp.LpVariable or None
    target_rows : dict of (int, int) -> pulp.LpConstraint
        The target row of each (slot, pollutant) (PuLP turns ``-`` in names into ``_``).
    objective_terms : list of (variable, coefficient)
    """

    prob: pulp.LpProblem
    data: ModelData
    x: np.ndarray
    shortfall: np.ndarray | None = None
    thresholds: np.ndarray | None = None
    total_loss: Any = None
    target_rows: dict = field(default_factory=dict)
    objective_terms: list = field(default_factory=list)
    n_integer: int = 0


def define_curtailment_variables(prob: pulp.LpProblem, data: ModelData) -> np.ndarray:
    """``Curtailment`` columns, one per (enterprise, slot), built in one pass.

    Bounds are the chain-propagated floor/ceiling (in line units for integer columns).

    Returns
    -------
    numpy.ndarray of object (E, S)
    """
    E, S = data.shape
    lo = data.cols.col_lo.ravel().tolist()
    hi = data.cols.col_hi.ravel().tolist()
    integer = data.cols.integer.ravel().tolist()
    add = prob.add_variable
    cont, intg = pulp.LpContinuous, pulp.LpInteger
    xs = [
        add(f"Curtailment_{i}", a, b, intg if k else cont)
        for i, (a, b, k) in enumerate(zip(lo, hi, integer, strict=True))
    ]
    arr = np.empty(E * S, dtype=object)
    arr[:] = xs
    return arr.reshape(E, S)


def define_shortfall_variables(m: ModelParts) -> None:
    """``Shortfall[s, p] >= 0`` on the rows in ``data.short_rows`` (upper bound: ``target - credited``)."""
    S, P = m.data.rhs.shape
    ub = np.maximum(m.data.rhs, 0.0)
    arr = np.empty((S, P), dtype=object)
    for s, p in zip(*np.nonzero(m.data.short_rows), strict=True):
        arr[s, p] = m.prob.add_variable(f"Shortfall_{s}_{p}", 0.0, float(ub[s, p]))
    m.shortfall = arr


def define_target_constraints(m: ModelParts, slots, pollutants=POLLUTANTS) -> None:
    """``Target-<slot>-<pollutant>``: ``Σ_e reducible·x (+ shortfall) >= target - credited``."""
    d = m.data
    S, P = d.rhs.shape
    coef_all = d.reducible * d.cols.scale[:, :, None]
    for s in range(S):
        for p in range(P):
            idx = np.flatnonzero(coef_all[:, s, p] > 0)
            terms = list(zip(m.x[idx, s].tolist(), coef_all[idx, s, p].tolist(), strict=True))
            if m.shortfall is not None and m.shortfall[s, p] is not None:
                terms.append((m.shortfall[s, p], 1.0))
            name = f"Target-{_safe(slots[s])}-{_safe(pollutants[p])}"
            row = pulp.LpConstraint(
                pulp.LpAffineExpression(terms), pulp.LpConstraintGE, name, float(d.rhs[s, p])
            )
            m.prob.addConstraint(row)
            m.target_rows[(s, p)] = row


def define_chain_constraints(m: ModelParts) -> None:
    """``Chain-<e>-<s>-<s'>``: ``x[e, s] <= x[e, s']`` for consecutive slots of a chain.

    List mode links yellow ≤ orange ≤ red for every firm; episode mode links consecutive days of
    one episode for firms with ``toggle_allowed`` False.  Rows already implied by the
    (propagated) bounds are left out.
    """
    d = m.data
    f, a, b = d.chain_rows()
    sc = d.cols.scale
    for e, s1, s2, c1, c2 in zip(
        f.tolist(), a.tolist(), b.tolist(), sc[f, a].tolist(), sc[f, b].tolist(), strict=True
    ):
        expr = pulp.LpAffineExpression([(m.x[e, s1], c1), (m.x[e, s2], -c2)])
        m.prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"Chain-{e}-{s1}-{s2}", 0.0))


def define_grade_monotonicity(m: ModelParts) -> None:
    """Grade monotonicity with one threshold per (industry, slot, grade boundary).

    ``Grade-below-<e>-<s>``: ``x[e, s] <= t`` for the better side of a boundary and
    ``Grade-above-<e>-<s>``: ``x[e, s] >= t`` for the worse side; each firm is in at most two
    rows (O(E·S)).  Which firms take part (and how firms whose ceiling cannot follow are
    treated) is documented in :func:`planner.optimize.inputs.grade_participation`.
    """
    g = m.data.grades
    if g is None or g.n_thresholds == 0:
        return
    t = np.empty(g.n_thresholds, dtype=object)
    t[:] = [m.prob.add_variable(f"GradeThreshold_{k}", 0.0, 1.0) for k in range(g.n_thresholds)]
    m.thresholds = t
    sc = m.data.cols.scale
    for e, s, k in zip(g.below_firm.tolist(), g.below_slot.tolist(), g.below_t.tolist(), strict=True):
        expr = pulp.LpAffineExpression([(m.x[e, s], float(sc[e, s])), (t[k], -1.0)])
        m.prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"Grade-below-{e}-{s}", 0.0))
    for e, s, k in zip(g.above_firm.tolist(), g.above_slot.tolist(), g.above_t.tolist(), strict=True):
        expr = pulp.LpAffineExpression([(m.x[e, s], float(sc[e, s])), (t[k], -1.0)])
        m.prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintGE, f"Grade-above-{e}-{s}", 0.0))


def define_loss_share_caps(m: ModelParts) -> None:
    """``County-loss-cap-<c>`` / ``Firm-loss-cap-<e>``: a county's / firm's loss ≤ cap × total.

    A ``TotalLoss`` column equals the enterprise loss ``Σ loss_at_full·x`` (row ``Loss-total``);
    each cap row is then sparse: ``Σ_{e in group} loss·x - cap·TotalLoss <= 0``.  The total is
    the enterprise (industrial) loss; credited non-industrial losses are not shared out.
    """
    d, o = m.data, m.data.options
    if o.county_loss_cap is None and o.firm_loss_cap is None:
        return
    w = d.loss * d.cols.scale
    T = m.prob.add_variable("TotalLoss", 0.0, None)
    m.total_loss = T
    nz_e, nz_s = np.nonzero(w > 0)
    terms = list(zip(m.x[nz_e, nz_s].tolist(), w[nz_e, nz_s].tolist(), strict=True)) + [(T, -1.0)]
    m.prob.addConstraint(
        pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, "Loss-total", 0.0)
    )
    if o.county_loss_cap is not None:
        cty = d.county[nz_e]
        for c, name in enumerate(d.county_names):
            sel = cty == c
            terms = list(
                zip(m.x[nz_e[sel], nz_s[sel]].tolist(), w[nz_e[sel], nz_s[sel]].tolist(), strict=True)
            ) + [(T, -float(o.county_loss_cap))]
            m.prob.addConstraint(
                pulp.LpConstraint(
                    pulp.LpAffineExpression(terms), pulp.LpConstraintLE, f"County-loss-cap-{_safe(name)}", 0.0
                )
            )
    if o.firm_loss_cap is not None:
        cap = -float(o.firm_loss_cap)
        starts = np.flatnonzero(np.r_[True, nz_e[1:] != nz_e[:-1]]) if len(nz_e) else np.zeros(0, int)
        ends = np.r_[starts[1:], len(nz_e)]
        for i, j in zip(starts.tolist(), ends.tolist(), strict=True):
            e = int(nz_e[i])
            terms = list(zip(m.x[e, nz_s[i:j]].tolist(), w[e, nz_s[i:j]].tolist(), strict=True)) + [(T, cap)]
            m.prob.addConstraint(
                pulp.LpConstraint(
                    pulp.LpAffineExpression(terms), pulp.LpConstraintLE, f"Firm-loss-cap-{e}", 0.0
                )
            )


def define_discrete_lines(m: ModelParts) -> None:
    """Whole lines (MILP).

    Integer columns are created as such by :func:`define_curtailment_variables` (the column is
    the number of stopped lines ``n ∈ [ceil(floor·lines), floor(ceiling·lines)]`` and every row
    uses ``x = n / lines``).  This block only records the count, for symmetry with the other
    blocks; firms whose bounds admit no whole line count stay continuous (see
    :func:`planner.optimize.inputs.line_columns`).
    """
    m.n_integer = int(m.data.cols.integer.sum())


def define_equity_term(m: ModelParts) -> None:
    """Optional secondary term: ``Equity-<e>-<s>``: ``x[e, s] <= MaxShare_s`` (cuttable cells)."""
    d = m.data
    w = d.options.equity_weight
    if not w:
        return
    S = d.shape[1]
    ms = [m.prob.add_variable(f"MaxShare_{s}", 0.0, 1.0) for s in range(S)]
    fe, fs = d.equity_cells()
    sc = d.cols.scale
    for e, s in zip(fe.tolist(), fs.tolist(), strict=True):
        expr = pulp.LpAffineExpression([(m.x[e, s], float(sc[e, s])), (ms[s], -1.0)])
        m.prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"Equity-{e}-{s}", 0.0))
    wsum = d.loss.sum(axis=0)
    m.objective_terms.extend((ms[s], float(w * wsum[s])) for s in range(S))


def define_objective(m: ModelParts) -> None:
    """``Σ loss_at_full·x + penalty·Σ shortfall`` (+ optional secondary terms)."""
    d = m.data
    w = d.loss * d.cols.scale
    nz_e, nz_s = np.nonzero(w != 0)
    terms = list(zip(m.x[nz_e, nz_s].tolist(), w[nz_e, nz_s].tolist(), strict=True))
    if m.shortfall is not None:
        terms.extend((v, d.penalty) for v in m.shortfall.ravel().tolist() if v is not None)
    terms.extend(m.objective_terms)
    m.prob.setObjective(pulp.LpAffineExpression(terms))


def build_model(
    inputs: xr.Dataset, options: SolveOptions | dict | None = None, shortfall_everywhere: bool = False
) -> ModelParts:
    """Assemble the PuLP model from a PlanInputs dataset.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs (checked with :func:`planner.optimize.inputs.check_plan_inputs`).
    options : SolveOptions or dict, optional
    shortfall_everywhere : bool
        See :func:`model_data`.

    Returns
    -------
    ModelParts
    """
    options = SolveOptions.from_any(options)
    check_plan_inputs(inputs)
    data = model_data(inputs, options, shortfall_everywhere)
    prob = pulp.LpProblem("curtailment", pulp.LpMinimize)
    x = define_curtailment_variables(prob, data)
    m = ModelParts(prob, data, x)
    if data.short_rows.any():
        define_shortfall_variables(m)
    slots = [str(s) for s in inputs["slot"].values]
    define_target_constraints(m, slots)
    define_chain_constraints(m)
    if options.grade_monotonicity:
        define_grade_monotonicity(m)
    define_loss_share_caps(m)
    if options.discrete:
        define_discrete_lines(m)
    define_equity_term(m)
    define_objective(m)
    return m


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_." else "_" for ch in str(name))


# ----------------------------------------------------------------------------------------------
# solving
# ----------------------------------------------------------------------------------------------
@dataclass
class RawResult:
    """What a backend hands back before the Plan is built.

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
    """

    x: np.ndarray | None
    state: str
    duals: np.ndarray
    gap: float
    solver: str
    messages: list[str] = field(default_factory=list)
    solve_seconds: float = 0.0


def _cbc_solver(mip: bool, options: SolveOptions):
    path = shutil.which("cbc")
    if path is None:
        from pulp.apis import coin_api

        bundled = getattr(coin_api, "pulp_cbc_path", None)
        if bundled is not None:
            import os

            if os.path.exists(bundled):
                path = bundled
    if path is None:
        raise RuntimeError("CBC is not installed (no 'cbc' on PATH and no bundled binary)")
    kw = dict(
        path=path,
        mip=mip,
        msg=options.msg,
        timeLimit=options.time_limit,
        presolve=bool(options.presolve),
        threads=options.threads,
    )  # resolved by use_presolve
    if mip:
        kw["gapRel"] = options.mip_gap
    return pulp.COIN_CMD(**kw)


def _highs_pulp_solver(mip: bool, options: SolveOptions):
    return pulp.HiGHS(
        mip=mip,
        msg=options.msg,
        gapRel=options.mip_gap if mip else None,
        timeLimit=options.time_limit,
        threads=options.threads,
        presolve="on" if options.presolve else "off",
    )


def use_presolve(options: SolveOptions, data: ModelData) -> bool:
    """Whether to presolve: the option itself, or for ``"auto"`` the measured rule.

    ``"auto"``: an LP presolves only when it has more than 100,000 chain rows; a MILP presolves
    when it has at most 3 slots (list mode, short episodes).
    """
    if options.presolve != "auto":
        return bool(options.presolve)
    mip = bool(options.discrete and data.cols.integer.any())
    if mip:
        return data.shape[1] <= 3
    return len(data.chain_rows()[0]) > 100_000


def _solve_pulp(
    inputs: xr.Dataset, options: SolveOptions, shortfall_everywhere: bool = False
) -> tuple[RawResult, float]:
    t0 = time.perf_counter()
    m = build_model(inputs, options, shortfall_everywhere)
    t_build = time.perf_counter() - t0
    d = m.data
    options = replace(options, presolve=use_presolve(options, d))
    mip = bool(options.discrete and d.cols.integer.any())
    name = f"pulp+{options.solver}"
    t1 = time.perf_counter()
    make = _cbc_solver if options.solver == "cbc" else _highs_pulp_solver
    solver = make(mip, options)
    m.prob.solve(solver)
    state, gap, msgs, has_solution = _pulp_state(m.prob, options.solver, mip)
    x = None
    if state in ("optimal", "time_limit") and has_solution:
        vals = np.array(
            [v.varValue if v.varValue is not None else np.nan for v in m.x.ravel().tolist()], dtype=float
        ).reshape(d.shape)
        if np.isnan(vals).any():
            state, msgs = (
                ("error" if state == "optimal" else "time_limit"),
                msgs + ["solver returned no values"],
            )
        else:
            x = vals * d.cols.scale
    duals = np.full(d.rhs.shape, np.nan)
    if x is not None:
        if mip:
            # fix integer columns at their values and re-solve the LP for duals
            cols = m.x[d.cols.integer].tolist()
            for v in cols:
                val = float(round(v.varValue))
                v.lowBound = val
                v.upBound = val
                v.cat = pulp.LpContinuous
            try:
                m.prob.solve(make(False, replace(options, time_limit=options.time_limit)))
            except Exception as exc:  # noqa: BLE001 - duals are best effort
                msgs.append(f"duals unavailable: {exc}")
        for (s, p), c in m.target_rows.items():
            if c.pi is not None:
                duals[s, p] = abs(float(c.pi))
    return RawResult(x, state, duals, gap, name, msgs, time.perf_counter() - t1), t_build


def _pulp_state(prob: pulp.LpProblem, solver: str, mip: bool) -> tuple[str, float, list[str], bool]:
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


def solve(inputs: xr.Dataset, options: SolveOptions | dict | None = None, **kw) -> Plan:
    """Optimise curtailment at minimum output loss and return a verified :class:`Plan`.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs.
    options : SolveOptions or dict, optional
        See :class:`SolveOptions`; keywords override.

    Returns
    -------
    Plan
        Never raises for solver trouble: time limits and solver failures become statuses
        "time_limit" / "error" with ``messages``.  Bad inputs raise
        :class:`planner.problems.InputError`.
    """
    options = SolveOptions.from_any(options, **kw)
    check_plan_inputs(inputs)
    t0 = time.perf_counter()
    try:
        if options.backend == "pulp":
            run = _solve_pulp
        else:
            from planner.optimize.highs_backend import solve_direct as run
        raw, t_build = run(inputs, options)
        if raw.state == "infeasible" and options.allow_shortfall:
            # a reachable-by-bounds target is out of reach under the other constraints
            raw2, t2 = run(inputs, options, shortfall_everywhere=True)
            raw2.messages = [
                "targets reachable by the bounds alone are out of reach under the fairness "
                "or whole-line constraints; re-solved with shortfall on every target"
            ] + raw2.messages
            raw2.solve_seconds += raw.solve_seconds
            if raw2.state == "infeasible":
                raw2.messages.append(
                    "even with shortfall on every target the constraints contradict each "
                    "other: the floors, chains, grade monotonicity or loss caps cannot all "
                    "hold (e.g. a firm's floor loss above its loss cap)"
                )
            raw, t_build = raw2, t_build + t2
        if raw.x is None and raw.state == "time_limit":
            _greedy_fallback(inputs, options, raw)
    except Exception as exc:  # noqa: BLE001 - solver failures become a status
        S = inputs.sizes["slot"]
        raw = RawResult(
            None,
            "error",
            np.full((S, len(POLLUTANTS)), np.nan),
            float("nan"),
            f"{options.backend}",
            [f"solver failed: {type(exc).__name__}: {exc}"],
            time.perf_counter() - t0,
        )
        t_build = 0.0
    return finish_plan(inputs, options, raw, t_build)


def _greedy_fallback(inputs: xr.Dataset, options: SolveOptions, raw: RawResult) -> None:
    """After a time limit without any solution, hand back the greedy baseline's plan.

    Only where that plan is feasible for the model: continuous shares and no fairness option.
    The status stays "time_limit"; a message says the plan is the greedy baseline.
    """
    if (
        options.discrete
        or options.grade_monotonicity
        or options.county_loss_cap is not None
        or options.firm_loss_cap is not None
    ):
        return
    from planner.optimize.baselines import greedy

    g = greedy(inputs)
    if g is not None and g.meets_targets:
        raw.x = g.curtailment
        raw.messages.append(
            "no solver solution within the time limit: the plan is the greedy "
            "(least loss per tonne) baseline, feasible but not optimal"
        )


def finish_plan(inputs: xr.Dataset, options: SolveOptions, raw: RawResult, t_build: float) -> Plan:
    """Turn a backend's raw result into a :class:`Plan` (shortfall, status, reasons, verification)."""
    E, S = inputs.sizes["enterprise"], inputs.sizes["slot"]
    ent, slot, pol = inputs["enterprise"], inputs["slot"], inputs["pollutant"]
    target = inputs["target"].values.astype(float)
    credited = inputs["credited"].values.astype(float)
    red = inputs["reducible"].values.astype(float)
    floor = inputs["floor"].values.astype(float)
    ceiling = inputs["ceiling"].values.astype(float)
    lo_e, hi = effective_bounds(inputs)
    if options.discrete:  # whole lines: the largest reachable share is the ceiling rounded down
        cols = line_columns(inputs, lo_e, hi, True)
        hi = np.where(cols.integer, cols.col_hi * cols.scale, hi)
        lo_e = np.where(cols.integer, cols.col_lo * cols.scale, lo_e)  # floors rounded up to lines
    with np.errstate(divide="ignore", invalid="ignore"):
        max_share = np.where(
            target > 0,
            (credited + np.einsum("es,esp->sp", hi, red)) / np.where(target > 0, target, 1.0),
            np.inf,
        )
    status = raw.state
    messages = list(raw.messages)
    if raw.x is not None:
        x = np.clip(raw.x, 0.0, 1.0)
        # snap solver round-off onto the bounds it came from
        x = np.where(np.abs(x - floor) < 1e-9, floor, x)
        x = np.where(np.abs(x - ceiling) < 1e-9, ceiling, x)
        achieved = credited + np.einsum("es,esp->sp", x, red)
        tol = options.shortfall_tol * np.maximum(1.0, target)
        short = np.maximum(target - achieved, 0.0)
        short = np.where(short > tol, short, 0.0)
        objective = float((inputs["loss_at_full"].values * x).sum() + inputs["credited_loss"].values.sum())
        if (short > 0).any() and status in ("optimal", "time_limit"):
            if status == "optimal":
                status = "infeasible"
            what = (
                "target not reachable" if status == "infeasible" else "target not met (solver stopped early)"
            )
            for s, p in zip(*np.nonzero(short), strict=True):
                messages.append(
                    f"{what}: slot {slot.values[s]!s} {pol.values[p]!s}: short by "
                    f"{short[s, p]:.6g} t (max achievable share {max_share[s, p]:.4g} of the target)"
                )
        # "floor": at the rule floor, carried forward along the chain where the firm cannot toggle
        reason = np.where(ceiling <= BOUND_TOL, "exempt", np.where(x <= lo_e + 1e-7, "floor", "optimizer"))
    else:
        x = np.full((E, S), np.nan)
        achieved = np.full(target.shape, np.nan)
        short = np.full(target.shape, np.nan)
        objective = float("nan")
        reason = np.where(ceiling <= BOUND_TOL, "exempt", "")
        if status == "optimal":
            status = "error"
    duals = raw.duals.copy()
    days = inputs["days"].values.astype(float)
    duals = duals / np.where(days > 0, days, 1.0)[:, None]
    if raw.x is not None:
        duals = np.where(short > 0, np.nan, duals)
    timings = {"build": t_build, "solve": raw.solve_seconds, "verify": 0.0}
    plan = Plan(
        curtailment=xr.DataArray(
            x, coords={"enterprise": ent, "slot": slot}, dims=("enterprise", "slot"), name="curtailment"
        ),
        status=status,
        objective=objective,
        shortfall=xr.DataArray(short, coords={"slot": slot, "pollutant": pol}, dims=("slot", "pollutant")),
        achieved=xr.DataArray(achieved, coords={"slot": slot, "pollutant": pol}, dims=("slot", "pollutant")),
        target=xr.DataArray(target, coords={"slot": slot, "pollutant": pol}, dims=("slot", "pollutant")),
        max_achievable_share=xr.DataArray(
            max_share, coords={"slot": slot, "pollutant": pol}, dims=("slot", "pollutant")
        ),
        duals=xr.DataArray(duals, coords={"slot": slot, "pollutant": pol}, dims=("slot", "pollutant")),
        gap=raw.gap,
        solver=raw.solver,
        timings=timings,
        reason=xr.DataArray(reason, coords={"enterprise": ent, "slot": slot}, dims=("enterprise", "slot")),
        messages=messages,
        options=options,
    )
    if options.verify and raw.x is not None:
        from planner.optimize.verify import verify_plan

        t2 = time.perf_counter()
        try:
            plan.violations = verify_plan(inputs, plan)
        except Exception as exc:  # noqa: BLE001
            plan.violations = [f"verifier failed: {type(exc).__name__}: {exc}"]
        timings["verify"] = time.perf_counter() - t2
        if plan.violations:
            plan.status = "error"
            plan.messages.append(
                f"verification failed ({len(plan.violations)} problem(s)): " + "; ".join(plan.violations[:5])
            )
    if math.isnan(plan.gap) and status == "optimal" and not options.discrete:
        plan.gap = 0.0
    return plan
