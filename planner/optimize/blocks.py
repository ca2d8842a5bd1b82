"""The curtailment model, defined once: named, vectorised blocks over the PlanInputs arrays.

Every solve, every adapter and every analysis builds its LP/MILP here.  :func:`build_model`
derives :class:`ModelData` from a PlanInputs dataset and calls the ``define_*`` functions, each
adding one or two named blocks to a :class:`planner.optimize.linear.LinearModel`:

=================================  ===================================================================
block                              meaning
=================================  ===================================================================
``Enterprise-Slot-curtailment``    columns ``x[e, s]`` in ``[floor, ceiling]`` (chain-propagated);
                                   in whole-line mode the column counts stopped lines (``scale``)
``Slot-Pollutant-shortfall``       ``u >= 0`` (penalised) on targets the bounds cannot reach
``Slot-Pollutant-target``          ``Σ_e reducible·x + Σ_m ni·a + u >= target - credited``
``NonIndustrial-Slot-activation``  optional non-industrial measures ``a[m, s]`` in [0, 1] (on/off or a
                                   share), costed at their loss
``Enterprise-chain``               ``x[e, s] <= x[e, s']`` for consecutive slots of a chain
``LineGroup-Slot-stops``           ``Σ_{u in g} x[u, s] >= count_g``: a line stop's whole lines (which
                                   ones is the optimizer's choice; 0/1 lines in the discrete mode)
``Grade-threshold``,               one threshold per (industry, slot, grade boundary):
``Grade-below``, ``Grade-above``   ``x <= t`` on the better side, ``x >= t`` on the worse side
``Total-loss``, ``Loss-total``     ``T = Σ loss·x`` (only with a loss cap)
``County-loss-cap``                ``Σ_{e in c} loss·x <= cap · T``
``Enterprise-loss-cap``            ``Σ_s loss·x[e, s] <= cap · T``
``Slot-max-share``,                optional equity term: ``x[e, s] <= m_s``, cost ``w·Σ_e loss·m_s``
``Enterprise-Slot-equity``
``Option-Slot-choice`` …            measure menus (:mod:`planner.optimize.menus`, :func:`define_menus`):
                                   one option per menu firm and slot, its load cut, monotone by level;
                                   the firm's own curtailment column is fixed at 0
``Enterprise-Slot-stop``,          episode restarts (:mod:`planner.optimize.restarts`): share newly
``Enterprise-Slot-stop-start``,    stopped ``u >= x[s] - x[s-1]``, costed at the restart cost;
``Enterprise-Slot-min-down``       ``x[t] >= Σ u`` over the stop's minimum down time
``Slot-Pollutant-chance``,         ensemble chance constraint (:mod:`planner.optimize.chance`):
``Slot-Member-indicator``,         the plan meets each day's targets in at least ⌈q·K⌉ members
``Slot-Member-Pollutant-target``,  (sorted n-th member rows, or member indicators ``z`` with
``Slot-chance-count``              big-M rows and a count row)
``Target-fraction``,               budget analysis: ``max t`` with ``Σ reducible·x >= t·target -
``Slot-Pollutant-fraction``,       credited`` and ``Σ loss·x <= budget``
``Loss-budget``
``Slot-Receptor-pm25-goal``,       concentration goal (:mod:`planner.optimize.airgoal`):
``Slot-Receptor-pm25-shortfall``   ``Σ_{e,s',lag} A·x[e, s'] + Σ N·a + v >= goal - credited`` µg/m³ on
                                   each alert day and receptor (today's cut acts today and tomorrow);
                                   ``v >= 0`` penalised, only on rows the bounds cannot reach
``Pm25-removed``,                  budget analysis in µg/m³: ``max Σ ΔPM2.5`` (or the smallest day's
``Slot-Receptor-pm25-level``       ``z``) under ``Loss-budget``
=================================  ===================================================================

Rows are decision units (a line or process of a firm, or a whole firm; ``owner`` names the firm):
the firm rules (grade monotonicity on the firm's share-weighted curtailment, the firm loss cap)
group by owner.  Reductions are affine: ``floor_reduction + extra_reducible·(x − floor)``; the
constant goes into the target's right-hand side (:func:`planner.optimize.inputs.reduction_terms`).

The objective is the output loss ``Σ loss_at_full·x`` (+ penalties and optional terms) and is
carried as the column costs of the blocks.  Each block has its check in
:mod:`planner.optimize.verify` (:data:`planner.optimize.verify.CHECKS`), so a plan is verified
block by block.  Units: curtailment is a share of normal output; ``loss_at_full`` is 万元 for the
whole slot; targets and reductions are tonnes per day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from planner.optimize.chance import define_chance
from planner.optimize.inputs import (
    BOUND_TOL,
    ChainPairs,
    FirmView,
    GradeBoundaries,
    LineColumns,
    LineGroups,
    chain_pairs,
    effective_bounds,
    expand_to_units,
    firm_view,
    grade_boundaries,
    line_columns,
    line_groups,
    non_industrial_arrays,
    owner_codes,
    reduction_terms,
)
from planner.optimize.linear import INF, LinearModel
from planner.optimize.menus import define_menus, menu_firm_mask, menu_reach
from planner.optimize.options import SolveOptions
from planner.optimize.restarts import RestartStructure, restart_structure

#: Block names (other modules refer to these constants, never to literal strings).
CURTAILMENT = "Enterprise-Slot-curtailment"
SHORTFALL = "Slot-Pollutant-shortfall"
TARGET = "Slot-Pollutant-target"
CHAIN = "Enterprise-chain"
GRADE_T = "Grade-threshold"
GRADE_BELOW = "Grade-below"
GRADE_ABOVE = "Grade-above"
TOTAL_LOSS = "Total-loss"
LOSS_TOTAL = "Loss-total"
COUNTY_CAP = "County-loss-cap"
FIRM_CAP = "Enterprise-loss-cap"
MAX_SHARE = "Slot-max-share"
EQUITY = "Enterprise-Slot-equity"
NON_INDUSTRIAL = "NonIndustrial-Slot-activation"
FRACTION = "Target-fraction"
FRACTION_ROWS = "Slot-Pollutant-fraction"
BUDGET = "Loss-budget"
#: Region mode (:mod:`planner.scenario.region`): regional targets on the sum of the cities.
REGION_TARGET = "Region-Pollutant-target"
REGION_SHORTFALL = "Region-Pollutant-shortfall"
LINE_STOPS = "LineGroup-Slot-stops"
STOP = "Enterprise-Slot-stop"
STOP_START = "Enterprise-Slot-stop-start"
MIN_DOWN = "Enterprise-Slot-min-down"
#: Concentration goal rows and their shortfall columns (planner.optimize.airgoal).
AIR_GOAL = "Slot-Receptor-pm25-goal"
AIR_SHORTFALL = "Slot-Receptor-pm25-shortfall"
#: Budget analysis in µg/m³: the smallest day's ΔPM2.5 column and its rows.
PM25_LEVEL = "Pm25-removed"
PM25_LEVEL_ROWS = "Slot-Receptor-pm25-level"
#: Rows added by the chain substitution (:func:`planner.optimize.transforms.substitute_chains`).
BOUND_ROWS = "Enterprise-Slot-curtailment-bounds"


@dataclass
class ModelData:
    """Arrays the blocks are built from.

    Attributes
    ----------
    lo, hi : numpy.ndarray (E, S)
        Chain-propagated bounds on the share.
    cols : LineColumns
        Column scaling/bounds/integrality (``x = scale · column``).
    loss : numpy.ndarray (E, S)
    reducible : numpy.ndarray (E, S, P)
    rhs : numpy.ndarray (S, P)
        ``target - credited - const`` (``const``: the constant of the affine reductions).
    credited : numpy.ndarray (S, P)
        ``credited + const`` (so that ``rhs + credited`` is the target).
    chain : ChainPairs
    grades : GradeBoundaries or None
    county : numpy.ndarray (E,) of int codes; county_names list
    penalty : float
    options : SolveOptions
    short_rows : numpy.ndarray of bool (S, P)
        Target rows that get a shortfall column.  Only rows the bounds cannot reach
        (``Σ reducible·ceiling < target - credited``) get one at first: a reachable row stays a
        hard constraint, so neither a MIP gap nor a finite penalty can trade a little shortfall
        for less loss.  If the solver then proves the model infeasible (fairness caps, whole
        lines), :func:`planner.optimize.model.solve` re-solves with shortfall on every row.
    enterprise, slot, pollutant : list of str
        Labels.
    ni_reduction, ni_cost, ni_integer, ni_names
        Optional non-industrial measures (:func:`planner.optimize.inputs.non_industrial_arrays`).
    """

    lo: np.ndarray
    hi: np.ndarray
    cols: LineColumns
    loss: np.ndarray
    reducible: np.ndarray
    rhs: np.ndarray
    credited: np.ndarray
    chain: ChainPairs
    grades: GradeBoundaries | None
    county: np.ndarray
    county_names: list[str]
    penalty: float
    options: SolveOptions
    short_rows: np.ndarray
    enterprise: list[str]
    slot: list[str]
    pollutant: list[str]
    ni_reduction: np.ndarray
    ni_cost: np.ndarray
    ni_integer: np.ndarray
    ni_names: list[str]
    groups: LineGroups | None = None
    owner: np.ndarray | None = None
    owner_names: list[str] | None = None
    firms: FirmView | None = None
    restarts: RestartStructure | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(E, S)``: enterprises × slots of the curtailment bounds."""
        return self.lo.shape

    @property
    def mip(self) -> bool:
        """True when some column is integer (whole lines)."""
        return bool(self.options.discrete and self.cols.integer.any())

    def chain_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(firm, slot_a, slot_b) of the chain rows that the bounds do not already imply."""
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
        firm, slot = np.nonzero(self.hi > self.lo + BOUND_TOL)
        return firm, slot


def model_data(
    inputs: xr.Dataset, options: SolveOptions, shortfall_everywhere: bool = False, menus: bool = True
) -> ModelData:
    """Derive the arrays the blocks are built from.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs (checked).
    options : SolveOptions
    shortfall_everywhere : bool
        Give every target row a shortfall column (the fallback after an infeasible solve).
    menus : bool
        Plan the menu firms by their menus (:mod:`planner.optimize.menus`): their ordinary
        columns are fixed at 0 (and take no part in chains, grades or equity).  False: they are
        ordinary firms within the menu's range (the budget analysis).

    Returns
    -------
    ModelData
    """
    lo, hi = effective_bounds(inputs)
    menu_firms = menu_firm_mask(inputs) if menus else np.zeros(len(lo), bool)
    if menu_firms.any():
        lo, hi = lo.copy(), hi.copy()
        lo[menu_firms] = 0.0
        hi[menu_firms] = 0.0
    cols = line_columns(inputs, lo, hi, options.discrete)
    loss = inputs["loss_at_full"].values.astype(float)
    red, const = reduction_terms(inputs, exclude=menu_firms)
    credited = inputs["credited"].values.astype(float) + const
    rhs = inputs["target"].values.astype(float) - credited
    view = firm_view(inputs, lo, hi)
    grades = None
    if options.grade_monotonicity:
        grades = (
            grade_boundaries(inputs, lo, hi)
            if view is None
            else grade_boundaries(view.inputs, view.lo, view.hi)
        )
    owner, owner_names = owner_codes(inputs)
    names, county = np.unique(np.asarray(inputs["county"].values).astype(str), return_inverse=True)
    ni_red, ni_cost, ni_int, ni_names = non_industrial_arrays(inputs)
    if not options.allow_shortfall:
        short_rows = np.zeros(rhs.shape, dtype=bool)
    elif shortfall_everywhere:
        short_rows = np.ones(rhs.shape, dtype=bool)
    else:
        reach = np.einsum("es,esp->sp", cols.col_hi * cols.scale, red) + ni_red.sum(axis=0)
        if menu_firms.any():
            reach = reach + menu_reach(inputs)
        short_rows = reach < rhs - 1e-9 * np.maximum(1.0, np.abs(rhs))
    return ModelData(
        lo,
        hi,
        cols,
        loss,
        red,
        rhs,
        credited,
        chain_pairs(inputs),
        grades,
        county.ravel().astype(int),
        [str(n) for n in names],
        shortfall_penalty(options, loss, red, lo, hi),
        options,
        short_rows,
        [str(e) for e in inputs["enterprise"].values],
        [str(s) for s in inputs["slot"].values],
        [str(p) for p in inputs["pollutant"].values],
        ni_red,
        ni_cost,
        ni_int,
        ni_names,
        line_groups(inputs),
        owner,
        [str(o) for o in owner_names],
        view,
        restart_structure(inputs, hi),
    )


def shortfall_penalty(options: SolveOptions, loss, red, lo, hi) -> float:
    """万元 per tonne of shortfall.

    The option, or 100 × the largest loss per tonne of any cuttable cell (negligible emitters ignored),
    clipped to [1e3, 1e9].
    """
    if options.shortfall_penalty is not None:
        return float(options.shortfall_penalty)
    thr = np.maximum(1e-12, 1e-6 * red.max(axis=0, initial=0.0))  # (S, P): negligible below
    # the largest loss per tonne of a cell is its loss over its smallest non-negligible tonnes
    smallest = np.full(red.shape[:2], np.inf)
    for p in range(red.shape[2]):  # one pollutant at a time: no (E, S, P) temporaries
        rp = red[:, :, p]
        np.minimum(smallest, np.where(rp > thr[:, p], rp, np.inf), out=smallest)
    free = (hi > lo + BOUND_TOL) & np.isfinite(smallest)
    top = float((loss[free] / smallest[free]).max(initial=0.0))
    return min(1e9, max(1e3, 100.0 * top))


# ----------------------------------------------------------------------------------------------
# blocks
# ----------------------------------------------------------------------------------------------
def define_curtailment(m: LinearModel, d: ModelData, cost: bool = True) -> None:
    """``Enterprise-Slot-curtailment``: one column per (enterprise, slot), costed at its output loss."""
    sc = d.cols.scale
    m.add_variables(
        CURTAILMENT,
        {"enterprise": d.enterprise, "slot": d.slot},
        d.cols.col_lo,
        d.cols.col_hi,
        cost=(d.loss * sc) if cost else 0.0,
        integer=d.cols.integer,
        scale=sc,
    )


def _x(m: LinearModel):
    return m.variables[CURTAILMENT]


def define_non_industrial(m: LinearModel, d: ModelData, cost: bool = True) -> None:
    """``NonIndustrial-Slot-activation``.

    A[m, s] in [0, 1] for each optional non-industrial measure (construction dust stop, road cleaning, truck
    restrictions …), costed at its loss; binary where the measure is all-or-nothing.  Its tonnes enter the
    target rows (:func:`define_targets`).
    """
    M = len(d.ni_names)
    if not M:
        return
    S = len(d.slot)
    m.add_variables(
        NON_INDUSTRIAL,
        {"measure": d.ni_names, "slot": d.slot},
        0.0,
        1.0,
        cost=d.ni_cost.ravel() if cost else 0.0,
        integer=np.repeat(d.ni_integer, S),
    )


def define_targets(m: LinearModel, d: ModelData) -> None:
    """``Slot-Pollutant-shortfall`` (where needed) and ``Slot-Pollutant-target`` rows."""
    _S, P = d.rhs.shape
    x = _x(m)
    coef = d.reducible * d.cols.scale[:, :, None]
    e_i, s_i, p_i = np.nonzero(coef > 0)
    rows = s_i * P + p_i
    cols = x.columns(e_i, s_i)
    vals = coef[e_i, s_i, p_i]
    if NON_INDUSTRIAL in m.variables:
        a = m.variables[NON_INDUSTRIAL]
        m_i, ms_i, mp_i = np.nonzero(d.ni_reduction > 0)
        rows = np.r_[rows, ms_i * P + mp_i]
        cols = np.r_[cols, a.columns(m_i, ms_i)]
        vals = np.r_[vals, d.ni_reduction[m_i, ms_i, mp_i]]
    short = np.flatnonzero(d.short_rows.ravel())
    if len(short):
        labels = [f"{d.slot[k // P]}/{d.pollutant[k % P]}" for k in short]
        u = m.add_variables(
            SHORTFALL, {"row": labels}, 0.0, np.maximum(d.rhs, 0.0).ravel()[short], cost=d.penalty
        )
        u.meta["rows"] = short  # the target row each shortfall column belongs to
        rows = np.r_[rows, short]
        cols = np.r_[cols, u.columns()]
        vals = np.r_[vals, np.ones(len(short))]
    m.add_constraints(
        TARGET, {"slot": d.slot, "pollutant": d.pollutant}, d.rhs.ravel(), INF, rows, cols, vals
    )


def define_chain(m: LinearModel, d: ModelData) -> None:
    """``Enterprise-chain``: ``x[e, s] <= x[e, s']`` where the propagated bounds do not imply it.

    List mode links yellow ≤ orange ≤ red for every firm; episode mode links consecutive days of
    one episode for firms with ``toggle_allowed`` False.
    """
    f, a, b = d.chain_rows()
    n = len(f)
    if not n:
        return
    x = _x(m)
    sc = d.cols.scale
    r = np.arange(n)
    block = m.add_constraints(
        CHAIN,
        {"pair": [f"{d.enterprise[e]}:{d.slot[s1]}<{d.slot[s2]}" for e, s1, s2 in zip(f, a, b, strict=True)]},
        -INF,
        0.0,
        np.r_[r, r],
        np.r_[x.columns(f, a), x.columns(f, b)],
        np.r_[sc[f, a], -sc[f, b]],
    )
    block.meta["pairs"] = (f, a, b)


def define_restarts(m: LinearModel, d: ModelData, cost: bool = True) -> None:
    """The episode-restart block: ``Enterprise-Slot-stop`` columns and their rows.

    ``Enterprise-Slot-stop`` columns, ``Enterprise-Slot-stop-start`` and ``Enterprise-Slot-min-down`` rows (episode restarts; see
    :mod:`planner.optimize.restarts`).

    ``u[e, s] - x[e, s] + x[e, s-1] >= 0`` for every cell whose measure has a restart limit,
    ``x[e, t] - Σ u[e, k] >= 0`` over the stops still inside their minimum down time on day t;
    ``u`` costs ``restart_cost × lines`` (万元).  No rows for firms without restart limits.
    """
    r = d.restarts
    if r is None or r.n == 0:
        return
    x = _x(m)
    sc = d.cols.scale
    n = r.n
    u = m.add_variables(
        STOP,
        {"cell": [f"{d.enterprise[e]}:{d.slot[s]}" for e, s in zip(r.firm, r.slot, strict=True)]},
        0.0,
        1.0,
        cost=r.cost if cost else 0.0,
    )
    ucol = u.columns()
    has_prev = r.prev >= 0
    rows = np.r_[np.arange(n), np.arange(n), np.flatnonzero(has_prev)]
    cols = np.r_[ucol, x.columns(r.firm, r.slot), x.columns(r.firm[has_prev], r.prev[has_prev])]
    vals = np.r_[np.ones(n), -sc[r.firm, r.slot], sc[r.firm[has_prev], r.prev[has_prev]]]
    blk = m.add_constraints(STOP_START, {"cell": list(range(n))}, 0.0, INF, rows, cols, vals)
    blk.meta["cells"] = (r.firm, r.slot, r.prev)
    R = len(r.down_firm)
    if R:
        rows = np.r_[np.arange(R), r.down_row]
        cols = np.r_[x.columns(r.down_firm, r.down_slot), ucol[r.down_cell]]
        vals = np.r_[sc[r.down_firm, r.down_slot], -np.ones(len(r.down_row))]
        m.add_constraints(
            MIN_DOWN,
            {
                "cell": [
                    f"{d.enterprise[e]}:{d.slot[s]}" for e, s in zip(r.down_firm, r.down_slot, strict=True)
                ]
            },
            0.0,
            INF,
            rows,
            cols,
            vals,
        )


def define_grade_monotonicity(m: LinearModel, d: ModelData) -> None:
    """``Grade-threshold`` columns and ``Grade-below``/``Grade-above`` rows (O(E·S) rows).

    Which firms take part (and how firms whose ceiling cannot follow are treated) is documented
    in :func:`planner.optimize.inputs.grade_participation`.
    """
    g = d.grades
    if g is None or g.n_thresholds == 0:
        return
    x = _x(m)
    sc = d.cols.scale
    t = m.add_variables(GRADE_T, {"threshold": list(range(g.n_thresholds))}, 0.0, 1.0)
    for name, fe, fs, ft, lo, hi in (
        (GRADE_BELOW, g.below_firm, g.below_slot, g.below_t, -INF, 0.0),
        (GRADE_ABOVE, g.above_firm, g.above_slot, g.above_t, 0.0, INF),
    ):
        n = len(fe)
        if not n:
            continue
        r = np.arange(n)
        if d.firms is None:
            rows, cols, vals = (
                np.r_[r, r],
                np.r_[x.columns(fe, fs), t.columns(ft)],
                np.r_[sc[fe, fs], -np.ones(n)],
            )
        else:  # a firm's share is the output-share-weighted sum of its units'
            pos, unit = expand_to_units(d.firms.codes, fe)
            us = fs[pos]
            rows = np.r_[pos, r]
            cols = np.r_[x.columns(unit, us), t.columns(ft)]
            vals = np.r_[d.firms.weights[unit] * sc[unit, us], -np.ones(n)]
        m.add_constraints(name, {"cell": list(range(n))}, lo, hi, rows, cols, vals)


def define_line_stops(m: LinearModel, d: ModelData) -> None:
    """``LineGroup-Slot-stops``: at least ``count`` lines stopped for each line-stop group and slot.

    ``Σ_{u in g} (x[u, s] − c_u) / (1 − c_u) >= count`` (``c_u``: the line's own floor from other items; 0
    usually, then ``Σ x >= count``).

    A line stop of share ``v`` over ``n`` lines of a firm (or of one process) stops ``ceil(v·n)``
    whole lines; which lines is the optimizer's choice (unequal lines cost unequally).
    """
    g = d.groups
    if g is None or not len(g.row):
        return
    x = _x(m)
    sc = d.cols.scale
    nz = g.coef > 0
    blk = m.add_constraints(
        LINE_STOPS,
        {"row": g.labels},
        g.rhs,
        INF,
        g.row[nz],
        x.columns(g.row_unit[nz], g.row_slot[nz]),
        (g.coef * sc[g.row_unit, g.row_slot])[nz],
    )
    blk.meta["groups"] = g


def define_loss_caps(m: LinearModel, d: ModelData) -> None:
    """``Total-loss``/``Loss-total``, ``County-loss-cap`` and ``Enterprise-loss-cap``.

    Each cap row is sparse: ``Σ_{e in group} loss·x - cap·T <= 0``.  The total is the
    enterprise (industrial) loss; credited non-industrial losses are not shared out.
    """
    o = d.options
    if o.county_loss_cap is None and o.firm_loss_cap is None:
        return
    x = _x(m)
    w = d.loss * d.cols.scale
    T = m.add_variables(TOTAL_LOSS, {}, 0.0, INF)
    tcol = int(T.columns()[0])
    nz_e, nz_s = np.nonzero(w > 0)
    n = len(nz_e)
    xc = x.columns(nz_e, nz_s)
    total = m.add_constraints(
        LOSS_TOTAL, {}, 0.0, 0.0, np.zeros(n + 1, int), np.r_[xc, tcol], np.r_[w[nz_e, nz_s], -1.0]
    )
    total.meta["same_unit_cells"] = True
    if o.county_loss_cap is not None:
        C = len(d.county_names)
        blk = m.add_constraints(
            COUNTY_CAP,
            {"county": d.county_names},
            -INF,
            0.0,
            np.r_[d.county[nz_e], np.arange(C)],
            np.r_[xc, np.full(C, tcol)],
            np.r_[w[nz_e, nz_s], np.full(C, -float(o.county_loss_cap))],
        )
        blk.meta["same_unit_cells"] = True
    if o.firm_loss_cap is not None:
        own = d.owner[nz_e] if d.owner is not None else nz_e  # a firm's units share its cap
        firms = np.unique(own)
        pos = np.searchsorted(firms, own)
        F = len(firms)
        names = d.owner_names if d.owner is not None and d.owner_names is not None else d.enterprise
        blk = m.add_constraints(
            FIRM_CAP,
            {"enterprise": [names[e] for e in firms]},
            -INF,
            0.0,
            np.r_[pos, np.arange(F)],
            np.r_[xc, np.full(F, tcol)],
            np.r_[w[nz_e, nz_s], np.full(F, -float(o.firm_loss_cap))],
        )
        blk.meta["same_unit_cells"] = True


def define_equity(m: LinearModel, d: ModelData) -> None:
    """Optional secondary term: ``Slot-max-share`` ``m_s`` with ``x[e, s] <= m_s`` on cuttable cells."""
    w = d.options.equity_weight
    if not w:
        return
    x = _x(m)
    ms = m.add_variables(MAX_SHARE, {"slot": d.slot}, 0.0, 1.0, cost=w * d.loss.sum(axis=0))
    fe, fs = d.equity_cells()
    n = len(fe)
    if n:
        r = np.arange(n)
        sc = d.cols.scale
        m.add_constraints(
            EQUITY,
            {"cell": list(range(n))},
            -INF,
            0.0,
            np.r_[r, r],
            np.r_[x.columns(fe, fs), ms.columns(fs)],
            np.r_[sc[fe, fs], -np.ones(n)],
        )


def define_budget(m: LinearModel, d: ModelData, budget: float, pollutant: int | None, days) -> None:
    """Budget analysis: ``Loss-budget`` row and either a common target fraction or one pollutant's tonnes.

    Either ``max t`` over ``Slot-Pollutant-fraction`` rows (``Σ reducible·x - t·target >= -credited``) or max
    tonnes of one pollutant.

    The objective replaces the loss costs of the curtailment columns (define the curtailment
    block with ``cost=False``).
    """
    x = _x(m)
    _E, _S = d.shape
    sc = d.cols.scale
    w = d.loss * sc
    nz_e, nz_s = np.nonzero(w != 0)
    blk = m.add_constraints(
        BUDGET, {}, -INF, float(budget), np.zeros(len(nz_e), int), x.columns(nz_e, nz_s), w[nz_e, nz_s]
    )
    blk.meta["same_unit_cells"] = True
    if pollutant is not None:
        x.cost = -(d.reducible[:, :, pollutant] * sc * np.asarray(days, float)[None, :]).ravel()
        return
    target = d.rhs + d.credited
    t = m.add_variables(FRACTION, {}, 0.0, 100.0, cost=-1.0)
    s_i, p_i = np.nonzero(target > 0)
    keep = np.zeros(target.shape, bool)
    keep[s_i, p_i] = True
    coef = d.reducible * sc[:, :, None]
    e_j, s_j, p_j = np.nonzero((coef != 0) & keep[None, :, :])
    row_of = -np.ones(target.shape, np.int64)
    row_of[s_i, p_i] = np.arange(len(s_i))
    n = len(s_i)
    m.add_constraints(
        FRACTION_ROWS,
        {"row": [f"{d.slot[s]}/{d.pollutant[p]}" for s, p in zip(s_i, p_i, strict=True)]},
        -d.credited[s_i, p_i],
        INF,
        np.r_[row_of[s_j, p_j], np.arange(n)],
        np.r_[x.columns(e_j, s_j), np.full(n, int(t.columns()[0]))],
        np.r_[coef[e_j, s_j, p_j], -target[s_i, p_i]],
    )


def region_rows(inputs: xr.Dataset) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(required (R, P) t/d, member (R, S) bool, row names)`` of the regional targets.

    Read from a joint region inputs dataset (variables ``region_target``, ``region_member``); R = 0 without.
    """
    S, P = inputs.sizes["slot"], inputs.sizes["pollutant"]
    if "region_target" not in inputs:
        return np.zeros((0, P)), np.zeros((0, S), bool), []
    req = np.asarray(inputs["region_target"].transpose("region_row", "pollutant").values, float)
    member = np.asarray(inputs["region_member"].transpose("region_row", "slot").values, bool)
    return req, member, [str(r) for r in inputs["region_row"].values]


def define_region_targets(m: LinearModel, d: ModelData, inputs: xr.Dataset) -> None:
    """``Region-Pollutant-target`` rows (and ``Region-Pollutant-shortfall`` where needed).

    A joint region solve concatenates the cities' PlanInputs along ``enterprise`` (each city's
    slots its own, :func:`planner.scenario.region.joint_inputs`); a regional row sums, over the
    slots of its group (``region_member``), the cities' reductions:
    ``Σ_{s in r} (Σ_e reducible·x + Σ_m ni·a) + u >= required - Σ_{s in r} credited``.
    As for the city rows, only a row the bounds cannot reach gets a (penalised) shortfall column.
    """
    req, member, names = region_rows(inputs)
    r_i, p_i = np.nonzero(req > 0)
    n = len(r_i)
    if not n:
        return
    R, P = req.shape
    row_of = -np.ones((R, P), np.int64)
    row_of[r_i, p_i] = np.arange(n)
    rhs = (req - member.astype(float) @ d.credited)[r_i, p_i]
    x = _x(m)
    coef = d.reducible * d.cols.scale[:, :, None]
    e_j, s_j, p_j = np.nonzero(coef > 0)
    rr, kk = np.nonzero(member[:, s_j])
    rows = row_of[rr, p_j[kk]]
    ok = rows >= 0
    kk = kk[ok]
    rows, cols, vals = rows[ok], x.columns(e_j[kk], s_j[kk]), coef[e_j[kk], s_j[kk], p_j[kk]]
    if NON_INDUSTRIAL in m.variables:
        a = m.variables[NON_INDUSTRIAL]
        m_j, ms_j, mp_j = np.nonzero(d.ni_reduction > 0)
        rr, kk = np.nonzero(member[:, ms_j])
        nrow = row_of[rr, mp_j[kk]]
        ok = nrow >= 0
        kk = kk[ok]
        rows = np.r_[rows, nrow[ok]]
        cols = np.r_[cols, a.columns(m_j[kk], ms_j[kk])]
        vals = np.r_[vals, d.ni_reduction[m_j[kk], ms_j[kk], mp_j[kk]]]
    labels = [f"{names[r]}/{d.pollutant[p]}" for r, p in zip(r_i, p_i, strict=True)]
    if d.options.allow_shortfall:
        reach_sp = np.einsum("es,esp->sp", d.cols.col_hi * d.cols.scale, d.reducible) + d.ni_reduction.sum(
            axis=0
        )
        reach = (member.astype(float) @ reach_sp)[r_i, p_i]
        short = reach < rhs - 1e-9 * np.maximum(1.0, np.abs(rhs))
        if d.short_rows.size and d.short_rows.all():  # the fallback: shortfall on every row
            short[:] = True
        k = np.flatnonzero(short)
        if len(k):
            u = m.add_variables(
                REGION_SHORTFALL,
                {"row": [labels[i] for i in k]},
                0.0,
                np.maximum(rhs[k], 0.0),
                cost=d.penalty,
            )
            u.meta["rows"] = k
            rows = np.r_[rows, k]
            cols = np.r_[cols, u.columns()]
            vals = np.r_[vals, np.ones(len(k))]
    m.add_constraints(REGION_TARGET, {"row": labels}, rhs, INF, rows, cols, vals)


def _goal_rows(m: LinearModel, d: ModelData, inputs: xr.Dataset):
    from planner.optimize.airgoal import goal_rows

    sc = d.cols.scale
    return goal_rows(inputs, d.cols.col_lo * sc, d.cols.col_hi * sc)


def _goal_entries(m: LinearModel, d: ModelData, g) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local row, global column, value) of the goal rows' curtailment and measure entries."""
    x = _x(m)
    sc = d.cols.scale
    rows, cols, vals = g.row, x.columns(g.ent, g.slot), g.val * sc[g.ent, g.slot]
    if NON_INDUSTRIAL in m.variables and len(g.ni_row):
        a = m.variables[NON_INDUSTRIAL]
        rows = np.r_[rows, g.ni_row]
        cols = np.r_[cols, a.columns(g.ni_measure, g.ni_slot)]
        vals = np.r_[vals, g.ni_val]
    return rows, cols, vals


def define_air_goal(
    m: LinearModel, d: ModelData, inputs: xr.Dataset, shortfall_everywhere: bool = False
) -> None:
    """``Slot-Receptor-pm25-goal``: ΔPM2.5 ≥ the goal on every alert day and goal receptor.

    Rows over (aq_receptor, slot): ``Σ_{e, s', lag: day(s', lag) = s} A[r, lag, e, s']·x[e, s']
    (+ Σ N·a for optional non-industrial measures) ≥ goal[r, s] - credited[r, s]``, the arrays of
    :func:`planner.optimize.airgoal.attach_goal`.  A row holds several slots of one firm (a cut
    acts today and tomorrow), hence ``same_unit_cells``.  Rows the bounds cannot reach get a
    penalised ``Slot-Receptor-pm25-shortfall`` column (every row after an infeasible solve), so an
    unreachable goal gives a plan pushed to the most the bounds allow and a diagnosis.
    """
    if "aq_goal" not in inputs:
        return
    from planner.optimize.airgoal import goal_penalty

    g = _goal_rows(m, d, inputs)
    rows, cols, vals = _goal_entries(m, d, g)
    need = g.reach < g.goal - 1e-9 * np.maximum(1.0, np.abs(g.goal))
    if d.options.allow_shortfall and shortfall_everywhere:
        need = np.ones(g.size, bool)
    elif not d.options.allow_shortfall:
        need = np.zeros(g.size, bool)
    short = np.flatnonzero(need)
    if len(short):
        sc = d.cols.scale
        pen = goal_penalty(g, d.loss * sc, d.cols.col_lo * sc, d.cols.col_hi * sc)
        labels = g.labels
        v = m.add_variables(
            AIR_SHORTFALL, {"row": [labels[k] for k in short]}, 0.0, np.maximum(g.rhs[short], 0.0), cost=pen
        )
        v.meta["rows"] = short
        rows = np.r_[rows, short]
        cols = np.r_[cols, v.columns()]
        vals = np.r_[vals, np.ones(len(short))]
    blk = m.add_constraints(
        AIR_GOAL, {"aq_receptor": g.receptors, "slot": g.slots}, g.rhs, INF, rows, cols, vals
    )
    blk.meta["same_unit_cells"] = True
    blk.meta["reach"] = g.reach


def define_pm25_budget(
    m: LinearModel, d: ModelData, inputs: xr.Dataset, budget: float, objective: str = "total"
) -> None:
    """Budget analysis in µg/m³: ``Loss-budget`` and the most PM2.5 removed.

    ``objective="total"``: maximise ``Σ_{r, s} days[s]·ΔPM2.5[r, s]`` over the goal receptors
    (µg/m³·days; credited measures are a constant).  ``"each_day"``: maximise ``z`` with
    ``ΔPM2.5[r, s] >= z`` on every row (``Slot-Receptor-pm25-level``): the largest goal the budget
    can buy on every alert day.  Define the curtailment block with ``cost=False`` (and the
    optional measures: their cost counts against the budget).
    """
    x = _x(m)
    sc = d.cols.scale
    w = d.loss * sc
    nz_e, nz_s = np.nonzero(w != 0)
    rows_b, cols_b, vals_b = np.zeros(len(nz_e), int), x.columns(nz_e, nz_s), w[nz_e, nz_s]
    if NON_INDUSTRIAL in m.variables:
        a = m.variables[NON_INDUSTRIAL]
        mi, ms = np.nonzero(d.ni_cost != 0)
        rows_b = np.r_[rows_b, np.zeros(len(mi), int)]
        cols_b = np.r_[cols_b, a.columns(mi, ms)]
        vals_b = np.r_[vals_b, d.ni_cost[mi, ms]]
        a.cost = np.zeros(a.size)
    blk = m.add_constraints(BUDGET, {}, -INF, float(budget), rows_b, cols_b, vals_b)
    blk.meta["same_unit_cells"] = True
    g = _goal_rows(m, d, inputs)
    rows, cols, vals = _goal_entries(m, d, g)
    if objective == "total":
        days = np.asarray(inputs["days"].values, float)
        S = len(d.slot)
        weight = days[np.arange(g.size) % S]
        cost = np.zeros(m.n_col)
        np.add.at(cost, cols, -vals * weight[rows])
        for b in m.variables.values():
            b.cost = b.cost + cost[b.start : b.start + b.size]
        return
    if objective != "each_day":
        raise ValueError("objective must be 'total' or 'each_day'")
    z = m.add_variables(PM25_LEVEL, {}, -INF, INF, cost=-1.0)
    zc = int(z.columns()[0])
    lv = m.add_constraints(
        PM25_LEVEL_ROWS,
        {"aq_receptor": g.receptors, "slot": g.slots},
        -g.credited,
        INF,
        np.r_[rows, np.arange(g.size)],
        np.r_[cols, np.full(g.size, zc)],
        np.r_[vals, -np.ones(g.size)],
    )
    lv.meta["same_unit_cells"] = True


def build_model(
    inputs: xr.Dataset,
    options: SolveOptions,
    *,
    shortfall_everywhere: bool = False,
    budget: float | None = None,
    pollutant: int | None = None,
) -> tuple[LinearModel, ModelData]:
    """The model of a PlanInputs dataset: minimum loss, or (with ``budget``) the budget analysis.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs (checked with :func:`planner.optimize.inputs.check_plan_inputs`).
    options : SolveOptions
    shortfall_everywhere : bool
        See :func:`model_data`.
    budget : float, optional
        Loss budget (万元, enterprise losses only): builds ``max t`` (or max tonnes of
        ``pollutant``) under ``Loss-budget`` instead of minimum loss under the targets.
    pollutant : int, optional
        Pollutant index for the budget analysis.

    Returns
    -------
    (LinearModel, ModelData)
    """
    d = model_data(inputs, options, shortfall_everywhere, menus=budget is None)
    m = LinearModel("curtailment" if budget is None else "max_reduction_under_budget")
    define_curtailment(m, d, cost=budget is None)
    if budget is None:
        define_non_industrial(m, d)
        define_targets(m, d)
        define_region_targets(m, d, inputs)
    define_chain(m, d)
    define_line_stops(m, d)
    define_restarts(m, d, cost=budget is None)
    if budget is None:
        define_grade_monotonicity(m, d)
        define_loss_caps(m, d)
        define_equity(m, d)
        define_menus(
            m, inputs, TARGET, {"total": LOSS_TOTAL, "county": COUNTY_CAP, "firm": FIRM_CAP}, d.county
        )
        if not shortfall_everywhere:  # the fallback re-solve leaves the ensemble share out
            reach = menu_reach(inputs) if menu_firm_mask(inputs).any() else 0.0
            define_chance(m, d, inputs, m.constraints[TARGET], m.variables.get(SHORTFALL), reach)
        define_air_goal(m, d, inputs, shortfall_everywhere)
    else:
        define_budget(m, d, budget, pollutant, inputs["days"].values)
    return m, d


def build_pm25_budget_model(
    inputs: xr.Dataset, options: SolveOptions, budget: float, objective: str = "total"
) -> tuple[LinearModel, ModelData]:
    """The budget analysis in µg/m³ (:func:`define_pm25_budget`) for PlanInputs with goal arrays.

    Goal arrays as :func:`planner.optimize.airgoal.attach_goal` attaches them; the goal values themselves are
    not imposed.
    """
    d = model_data(inputs, options)
    m = LinearModel("max_pm25_under_budget")
    define_curtailment(m, d, cost=False)
    define_non_industrial(m, d, cost=False)
    define_chain(m, d)
    define_pm25_budget(m, d, inputs, budget, objective)
    return m, d
