"""``PlanInputs``: the optimisation model's only input, checked, derived and generated.

A ``PlanInputs`` is an :class:`xarray.Dataset` with dims ``enterprise`` (E), ``slot`` (S) and
``pollutant`` (P = 4); its variables are listed in ``docs/ARCHITECTURE.md``.  This module holds

- :func:`check_plan_inputs` – dims, shapes, NaNs, ranges, ``floor <= ceiling`` (raises
  :class:`planner.problems.InputError` listing every problem),
- the derived structures both model backends use: :func:`chain_pairs` (which slot pairs are linked
  by the non-decreasing chain and for which firms), :func:`effective_bounds` (floor/ceiling after
  propagating the chain), :func:`grade_participation` (which firms take part in grade
  monotonicity), :func:`line_columns` (whole-line columns for the discrete mode),
- :func:`random_plan_inputs` – a synthetic generator for tests and benchmarks.

The verifier (:mod:`planner.optimize.verify`) deliberately does *not* use these helpers; it recomputes what
it needs on its own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from planner import POLLUTANTS
from planner.problems import InputError, Problems

#: Variables of a PlanInputs dataset and their dims.
PLAN_INPUT_VARS: dict[str, tuple[str, ...]] = {
    "floor": ("enterprise", "slot"),
    "ceiling": ("enterprise", "slot"),
    "loss_at_full": ("enterprise", "slot"),
    "reducible": ("enterprise", "slot", "pollutant"),
    "target": ("slot", "pollutant"),
    "credited": ("slot", "pollutant"),
    "credited_loss": ("slot",),
    "lines": ("enterprise",),
    "county": ("enterprise",),
    "industry": ("enterprise",),
    "grade_rank": ("enterprise",),
    "level": ("slot",),
    "days": ("slot",),
    "order": ("slot",),
    "chain": ("slot",),
    "toggle_allowed": ("enterprise",),
}
#: Optional variables (absent in hand-made inputs): ``self_directed`` (E,) marks A/A+/引领性 firms,
#: whose zero cut is self-directed reduction (reason "self_directed"), not an exemption.
#: ``whole_lines`` (E, S) marks cells whose measure stops whole lines (以生产线计): only those become
#: integer in the discrete mode; a load cut stays continuous (without the variable every cell may).
#: Non-industrial measures the optimiser may choose (dim ``measure``): ``ni_reduction`` t/d removed
#: per slot when fully on, ``ni_cost`` 万元 for the whole slot when fully on, ``ni_integer`` on/off
#: (True) or a share (False).  Measures switched on for certain are in ``credited`` instead.
#: Decision units (lines and processes, issue 10): the rows of a PlanInputs are units; ``owner`` (E)
#: names the enterprise of each unit (everything per firm groups by it), ``line_id`` ('' for a whole
#: enterprise), ``process`` and ``output_share`` (the unit's share of its firm's output: a firm's
#: curtailment is the share-weighted sum of its units').  ``line_group`` (E, S) puts a line under a
#: line stop into a group (−1 none) whose ``group_count`` (group) lines must stop in that slot.
#: The reduction offset: ``floor_reduction`` (E, S, P) t/d removed at the floor and
#: ``extra_reducible`` (E, S, P) t/d per unit of curtailment above it; with both, a cell removes
#: ``floor_reduction + extra_reducible · (x − floor)`` (:func:`reduction_cells`,
#: :func:`removed_tonnes`), else ``reducible · x``; ``reducible`` is the tonnes at a full stop.
OPTIONAL_VARS: dict[str, tuple[str, ...]] = {
    "self_directed": ("enterprise",),
    "whole_lines": ("enterprise", "slot"),
    "owner": ("enterprise",),
    "line_id": ("enterprise",),
    "process": ("enterprise",),
    "output_share": ("enterprise",),
    "line_group": ("enterprise", "slot"),
    "group_count": ("group",),
    "floor_reduction": ("enterprise", "slot", "pollutant"),
    "extra_reducible": ("enterprise", "slot", "pollutant"),
    "ni_reduction": ("measure", "slot", "pollutant"),
    "ni_cost": ("measure", "slot"),
    "ni_integer": ("measure",),
    # episode restarts (planner.optimize.restarts) and response delays (planner.scenario.episode)
    "min_down_days": ("enterprise", "slot"),
    "restart_cost": ("enterprise", "slot"),
    "day": ("slot",),
    "effect_share": ("enterprise", "slot"),
    # ensemble chance constraint (planner.optimize.chance)
    "member_target": ("slot", "member", "pollutant"),
    "chance_required": ("slot",),
}


def non_industrial_arrays(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """``(reduction (M, S, P), cost (M, S), integer (M,), names)`` of the optional non-industrial measures.

    M = 0 when the inputs carry none.
    """
    S, P = ds.sizes["slot"], ds.sizes["pollutant"]
    if "ni_reduction" not in ds:
        return np.zeros((0, S, P)), np.zeros((0, S)), np.zeros(0, bool), []
    red = np.asarray(ds["ni_reduction"].transpose("measure", "slot", "pollutant").values, float)
    cost = np.asarray(ds["ni_cost"].transpose("measure", "slot").values, float)
    integer = np.asarray(ds["ni_integer"].values, bool) if "ni_integer" in ds else np.zeros(len(red), bool)
    return red, cost, integer, [str(m) for m in ds["measure"].values]


def reduction_cells(ds: xr.Dataset, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The t/d every cell removes as ``coef · x + const``: ``(coef (E, S, P), const (E, S, P))``.

    With ``floor_reduction`` and ``extra_reducible`` a cell removes ``floor_reduction +
    extra_reducible · (x − floor)`` t/d (the floor measures at their own factors, a cut above the
    floor as a general load cut): ``coef = extra_reducible`` and ``const = floor_reduction −
    extra_reducible · floor``.  Without them ``coef = reducible`` and ``const = 0``.  ``reducible``
    stays the tonnes at a full stop (``x = 1``).  Below the floor (not a feasible plan) the formula
    is extrapolated, as the model and the verifier read it.

    Parameters
    ----------
    ds : xarray.Dataset
        PlanInputs.
    exclude : numpy.ndarray (E,) of bool, optional
        Rows that contribute nothing (menu firms: they remove their chosen option's tonnes,
        :mod:`planner.optimize.menus`).

    Returns
    -------
    tuple of numpy.ndarray
        ``coef`` and ``const``, both (E, S, P), t/d.
    """
    if "floor_reduction" in ds and "extra_reducible" in ds:
        coef = np.asarray(ds["extra_reducible"].transpose("enterprise", "slot", "pollutant").values, float)
        fr = np.asarray(ds["floor_reduction"].transpose("enterprise", "slot", "pollutant").values, float)
        floor = np.asarray(ds["floor"].transpose("enterprise", "slot").values, float)
        const = fr - coef * floor[:, :, None]
    else:
        coef = np.asarray(ds["reducible"].transpose("enterprise", "slot", "pollutant").values, float)
        const = np.zeros(coef.shape)
    if exclude is not None and np.asarray(exclude).any():
        ex = np.asarray(exclude, bool)[:, None, None]
        coef = np.where(ex, 0.0, coef)
        const = np.where(ex, 0.0, const)
    return coef, const


def reduction_terms(ds: xr.Dataset, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The reduction of a plan as ``Σ_e coef · x + const``: ``(coef (E, S, P), const (S, P))``.

    :func:`reduction_cells` with ``const`` summed over the rows; rows where ``exclude`` (E,) is
    True contribute nothing (menu firms).
    """
    coef, const = reduction_cells(ds, exclude)
    return coef, const.sum(axis=0)


def removed_tonnes(ds: xr.Dataset, x: np.ndarray, menu: xr.Dataset | None = None) -> np.ndarray:
    """t/d removed per cell and pollutant (E, S, P) by curtailment ``x`` (E, S).

    ``coef · x + const`` of :func:`reduction_cells` (what the model counts) wherever ``x`` is at or
    above the floor.  A what-if below the floor (``x`` not a feasible plan, e.g. no cut at all)
    removes ``floor_reduction · x / floor`` (the floor measures in proportion, 0 at ``x = 0``)
    instead of the affine extrapolation.  With ``menu`` (``Plan.menu``, the options chosen) the
    menu firms' rows are their chosen option's tonnes plus its load cut
    (:func:`planner.optimize.menus.menu_cells`).

    Parameters
    ----------
    ds : xarray.Dataset
        PlanInputs.
    x : numpy.ndarray (E, S)
        Curtailment shares.
    menu : xarray.Dataset, optional
        ``Plan.menu`` of the plan.

    Returns
    -------
    numpy.ndarray (E, S, P)
        t/d removed.
    """
    coef, const = reduction_cells(ds)
    x = np.asarray(x, float)
    out = coef * x[:, :, None] + const
    if "floor_reduction" in ds and "extra_reducible" in ds:
        floor = np.asarray(ds["floor"].transpose("enterprise", "slot").values, float)
        below = x < floor
        if below.any():
            fr = coef * floor[:, :, None] + const  # = floor_reduction
            with np.errstate(divide="ignore", invalid="ignore"):
                part = fr * (x / np.where(floor > 0, floor, 1.0))[:, :, None]
            out = np.where(below[:, :, None], part, out)
    if menu is not None:
        from planner.optimize.menus import menu_cells

        cells = menu_cells(ds, menu)
        if cells is not None:
            out = np.where(cells["mask"][:, None, None], cells["tonnes"], out)
    return out


def owner_codes(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """``(codes (E,), owners)``: each unit's firm as a code 0..F-1 (first-appearance order) and the firm ids.

    Every unit its own firm when the inputs carry no ``owner``.
    """
    E = ds.sizes["enterprise"]
    whole = "owner" not in ds or ("line_id" in ds and not (np.asarray(ds["line_id"].values) != "").any())
    if whole:  # every row a whole firm (the common case): no hashing of 10^5 ids
        own = ds["owner"].values if "owner" in ds else ds["enterprise"].values
        return np.arange(E, dtype=np.int64), np.asarray(own, dtype=object)
    codes, uniq = pd.factorize(np.asarray(ds["owner"].values, dtype=object))
    return codes.astype(np.int64), np.asarray(uniq, dtype=object)


def unit_weights(ds: xr.Dataset) -> np.ndarray:
    """Each unit's share of its firm's output (1 without ``output_share``)."""
    if "output_share" in ds:
        return np.asarray(ds["output_share"].values, float)
    return np.ones(ds.sizes["enterprise"])


@dataclass(frozen=True)
class LineGroups:
    """Line-stop rows ``Σ_{u in group} x[u, s] >= count`` (one per group and slot).

    Attributes
    ----------
    row_unit, row_slot, row : numpy.ndarray
        Member cells and the row each belongs to.
    coef : numpy.ndarray
        Coefficient of each member: ``1 / (1 − c)`` with ``c`` the line's own floor (other items on
        it), so that a line counts 1 when stopped and 0 at its floor; a line whose floor is 1 counts
        as stopped (coefficient 0, taken off the right-hand side).
    count : numpy.ndarray (R,)
        Lines that must stop in each row.
    rhs : numpy.ndarray (R,)
        ``count + Σ c / (1 − c)`` over the members (and − 1 per member already stopped).
    labels : list of str
        ``owner/process@slot`` of each row.
    """

    row_unit: np.ndarray
    row_slot: np.ndarray
    row: np.ndarray
    coef: np.ndarray
    count: np.ndarray
    rhs: np.ndarray
    labels: list[str]


def line_groups(ds: xr.Dataset) -> LineGroups:
    """The line-stop rows of the inputs (empty without ``line_group``)."""
    z = np.zeros(0, dtype=np.int64)
    if "line_group" not in ds or "group_count" not in ds:
        return LineGroups(z, z, z, np.zeros(0), np.zeros(0), np.zeros(0), [])
    g = np.asarray(ds["line_group"].transpose("enterprise", "slot").values, dtype=np.int64)
    u, s = np.nonzero(g >= 0)
    S = g.shape[1]
    key = g[u, s] * S + s
    uniq, row = np.unique(key, return_inverse=True)
    count = np.asarray(ds["group_count"].values, float)[uniq // S]
    slots = [str(v) for v in ds["slot"].values]
    names = np.asarray(ds["group"].values).astype(str) if "group" in ds.coords else np.arange(len(count))
    labels = [f"{names[k // S]}@{slots[k % S]}" for k in uniq]
    c = np.clip(np.asarray(ds["floor"].transpose("enterprise", "slot").values, float)[u, s], 0.0, 1.0)
    done = c >= 1.0 - 1e-12
    coef = np.where(done, 0.0, 1.0 / np.where(done, 1.0, 1.0 - c))
    # Σ coef·x − Σ c·coef >= count, a line already stopped counting 1
    offset = np.where(done, -1.0, c * coef)
    rhs = count + np.bincount(row.ravel(), weights=offset, minlength=len(count))
    return LineGroups(u, s, row.astype(np.int64), coef, count, rhs, labels)


def rule_floor(ds: xr.Dataset, lo: np.ndarray | None = None, hi: np.ndarray | None = None) -> np.ndarray:
    """The rule floor of every cell (E, S) as the baselines use it.

    The chain-propagated floor plus, for each line-stop group, its ``count`` lines of least loss beyond their
    own floor (ties: unit order) stopped (at their ceiling), carried along the chain again.  The model itself
    lets the optimizer choose the lines.
    """
    if lo is None or hi is None:
        lo, hi = effective_bounds(ds)
    lg = line_groups(ds)
    if not len(lg.row):
        return lo
    loss = np.asarray(ds["loss_at_full"].transpose("enterprise", "slot").values, float)
    c = np.clip(np.asarray(ds["floor"].transpose("enterprise", "slot").values, float), 0.0, 1.0)
    cost = (loss * (1.0 - c))[lg.row_unit, lg.row_slot]  # loss of stopping the line beyond its floor
    order = np.lexsort((lg.row_unit, cost, lg.row))
    r = lg.row[order]
    first = np.r_[0, np.flatnonzero(r[1:] != r[:-1]) + 1]
    rank = np.arange(len(r)) - np.repeat(first, np.diff(np.r_[first, len(r)]))
    take = rank < np.ceil(lg.count[r] - 1e-9)
    out = lo.copy()
    uu, ss = lg.row_unit[order][take], lg.row_slot[order][take]
    out[uu, ss] = np.maximum(out[uu, ss], hi[uu, ss])
    f, _ = _propagate(out, hi, chain_pairs(ds))
    return np.minimum(f, hi)


_NUMERIC = (
    "floor",
    "ceiling",
    "loss_at_full",
    "reducible",
    "target",
    "credited",
    "credited_loss",
    "lines",
    "grade_rank",
    "days",
    "order",
    "chain",
)
#: Tolerance used when comparing bounds.
BOUND_TOL = 1e-9
_WHERE = "PlanInputs"


def check_plan_inputs(ds: xr.Dataset) -> None:
    """Check a PlanInputs dataset; raise :class:`InputError` with every problem found.

    Parameters
    ----------
    ds : xarray.Dataset
        The PlanInputs dataset.

    Raises
    ------
    InputError
        Missing variables, wrong dims, NaNs, negative emissions or losses, bounds outside
        ``[0, 1]``, ``floor > ceiling``, line counts below 1, a pollutant axis other than
        ``SO2, NOx, PM, VOCs``, or a chain whose propagated floor exceeds a ceiling.
    """
    p = Problems()
    for name, dims in PLAN_INPUT_VARS.items():
        if name not in ds:
            p.error(_WHERE, None, name, f"variable {name!r} is missing")
        elif tuple(ds[name].dims) != dims:
            p.error(_WHERE, None, name, f"{name!r} has dims {tuple(ds[name].dims)}, expected {dims}")
    if not p.ok:
        raise InputError(p)
    if "pollutant" in ds.coords and tuple(str(v) for v in ds["pollutant"].values) != POLLUTANTS:
        p.error(_WHERE, None, "pollutant", f"pollutant axis must be {', '.join(POLLUTANTS)}")
    for name in _NUMERIC:
        a = np.asarray(ds[name].values)
        if not np.issubdtype(a.dtype, np.number) and a.dtype != bool:
            p.error(_WHERE, None, name, f"{name!r} must be numeric, got dtype {a.dtype}")
            continue
        # a float sum is NaN with any NaN in it (or with both infinities): count only then
        n_nan = int(np.isnan(a).sum()) if a.dtype.kind == "f" and not np.isfinite(a.sum()) else 0
        if n_nan:
            p.error(_WHERE, None, name, f"{name!r} has {n_nan} missing (NaN) value(s)")
    if not p.ok:
        raise InputError(p)
    floor = np.asarray(ds["floor"].values, float)  # no copy when already float
    ceiling = np.asarray(ds["ceiling"].values, float)
    for name, a in (("floor", floor), ("ceiling", ceiling)):
        bad = (a < -BOUND_TOL) | (a > 1 + BOUND_TOL)
        if bad.any():
            p.error(_WHERE, None, name, f"{name!r} must lie in [0, 1]; {int(bad.sum())} value(s) do not")
    over = floor > ceiling + BOUND_TOL
    if over.any():
        e, s = np.argwhere(over)[0]
        p.error(
            _WHERE,
            None,
            "floor",
            f"floor exceeds ceiling for {int(over.sum())} enterprise-slot pair(s), e.g. enterprise "
            f"{ds['enterprise'].values[e]!s} slot {ds['slot'].values[s]!s}: "
            f"{floor[e, s]:g} > {ceiling[e, s]:g}",
        )
    for name in ("loss_at_full", "reducible", "target", "credited", "credited_loss", "days"):
        a = np.asarray(ds[name].values, float)
        if (a < 0).any():
            p.error(_WHERE, None, name, f"{name!r} must not be negative")
    lines = np.asarray(ds["lines"].values, float)
    if ((lines < 1) | (lines != np.round(lines))).any():
        p.error(_WHERE, None, "lines", "'lines' must be whole numbers >= 1")
    if "line_group" in ds:
        g = np.asarray(ds["line_group"].values)
        n = ds.sizes.get("group", 0)
        if "group_count" not in ds or ((g < -1) | (g >= n)).any():
            p.error(_WHERE, None, "line_group", "'line_group' must be -1 or an index of 'group_count'")
        elif (np.asarray(ds["group_count"].values, float) < 0).any():
            p.error(_WHERE, None, "group_count", "'group_count' must not be negative")
    if "output_share" in ds:
        w = np.asarray(ds["output_share"].values, float)
        if ((w < 0) | (w > 1 + BOUND_TOL)).any():
            p.error(_WHERE, None, "output_share", "'output_share' must lie in [0, 1]")
    if p.ok:
        lo, hi = _propagate(floor, ceiling, chain_pairs(ds))
        bad = lo > hi + BOUND_TOL
        if bad.any():
            e, s = np.argwhere(bad)[0]
            p.error(
                _WHERE,
                None,
                "chain",
                f"the non-decreasing chain makes {int(bad.sum())} enterprise-slot pair(s) infeasible "
                f"(an earlier slot's floor exceeds a later slot's ceiling), e.g. enterprise "
                f"{ds['enterprise'].values[e]!s} slot {ds['slot'].values[s]!s}",
            )
    if not p.ok:
        raise InputError(p)


# ----------------------------------------------------------------------------------------------
# derived structures shared by the two model backends
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainPairs:
    """Slot pairs linked by the non-decreasing chain.

    Attributes
    ----------
    pairs : list of (int, int)
        ``(s, s_next)``: consecutive slots of one chain in ``order``; ``x[e, s] <= x[e, s_next]``.
    firms : numpy.ndarray of bool, shape (E,)
        Enterprises the chain applies to: every firm in list mode (``ds.attrs["mode"] == "list"``),
        the firms with ``toggle_allowed`` False otherwise.
    """

    pairs: list[tuple[int, int]]
    firms: np.ndarray


def chain_pairs(ds: xr.Dataset) -> ChainPairs:
    """Consecutive slot pairs of every chain, and the firms the chain binds.

    Parameters
    ----------
    ds : xarray.Dataset
        PlanInputs.

    Returns
    -------
    ChainPairs
    """
    chain = np.asarray(ds["chain"].values).astype(int)
    order = np.asarray(ds["order"].values).astype(float)
    pairs: list[tuple[int, int]] = []
    for c in np.unique(chain[chain >= 0]):
        idx = np.flatnonzero(chain == c)
        idx = idx[np.argsort(order[idx], kind="stable")]
        pairs.extend((int(a), int(b)) for a, b in itertools.pairwise(idx))
    if ds.attrs.get("mode") == "list":
        firms = np.ones(ds.sizes["enterprise"], dtype=bool)
    else:
        firms = ~np.asarray(ds["toggle_allowed"].values).astype(bool)
    return ChainPairs(pairs, firms)


def _propagate(floor: np.ndarray, ceiling: np.ndarray, cp: ChainPairs) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array(floor, dtype=float)  # one copy each (they are updated in place)
    hi = np.array(ceiling, dtype=float)
    if not cp.pairs:
        return lo, hi
    f = np.flatnonzero(cp.firms)
    sub_lo, sub_hi = lo[f], hi[f]  # the bound firms' rows, once (a column update per pair)
    for a, b in cp.pairs:  # pairs are in chain order: forward pass raises floors
        np.maximum(sub_lo[:, b], sub_lo[:, a], out=sub_lo[:, b])
    for a, b in reversed(cp.pairs):  # backward pass lowers ceilings
        np.minimum(sub_hi[:, a], sub_hi[:, b], out=sub_hi[:, a])
    lo[f], hi[f] = sub_lo, sub_hi
    return lo, hi


def effective_bounds(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Floor and ceiling (E, S) after propagating the chain.

    A chained firm's floor carries forward (``x[s'] >= x[s] >= floor[s]``) and its ceiling carries
    backward; the model uses these tighter, equivalent bounds.

    Parameters
    ----------
    ds : xarray.Dataset

    Returns
    -------
    lo, hi : numpy.ndarray, shape (E, S)
    """
    floor = np.clip(ds["floor"].values.astype(float), 0.0, 1.0)
    ceiling = np.clip(ds["ceiling"].values.astype(float), 0.0, 1.0)
    lo, hi = _propagate(floor, ceiling, chain_pairs(ds))
    return lo, np.maximum(hi, lo)


@dataclass(frozen=True)
class GradeBoundaries:
    """Grade-monotonicity structure: one threshold per (industry, slot, grade boundary).

    Attributes
    ----------
    n_thresholds : int
        Number of threshold variables ``t``.
    below_firm, below_slot, below_t : numpy.ndarray
        Rows ``x[firm, slot] <= t`` (the better-grade side of a boundary).
    above_firm, above_slot, above_t : numpy.ndarray
        Rows ``x[firm, slot] >= t`` (the worse-grade side).
    participates : numpy.ndarray of bool, shape (E, S)
    """

    n_thresholds: int
    below_firm: np.ndarray
    below_slot: np.ndarray
    below_t: np.ndarray
    above_firm: np.ndarray
    above_slot: np.ndarray
    above_t: np.ndarray
    participates: np.ndarray


def grade_participation(ds: xr.Dataset, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Which (enterprise, slot) pairs take part in grade monotonicity.

    Rule (documented policy choice): inside one industry and slot, a firm takes part when its
    ceiling is above zero (exempt and non-volunteering self-directed firms are out) **and** its
    ceiling is at least the largest floor of the participating firms of strictly better grade.
    A worse-grade firm whose technical maximum is below what a better-grade firm must already cut
    (e.g. a C glass furnace capped at 30 % next to a B firm with a 50 % floor) cannot satisfy the
    rule; it is left out (its cut is still bounded by its own floor and ceiling) rather than making
    the whole plan infeasible.  Groups are processed from the best grade to the worst, so the
    participating set is well defined.

    Parameters
    ----------
    ds : xarray.Dataset
    lo, hi : numpy.ndarray, shape (E, S)
        Effective bounds (:func:`effective_bounds`).

    Returns
    -------
    numpy.ndarray of bool, shape (E, S)
    """
    E, S = lo.shape
    industry = _codes(ds["industry"].values)
    rank = np.asarray(ds["grade_rank"].values).astype(int)
    part = hi > BOUND_TOL
    n_ind = int(industry.max()) + 1 if E else 0
    running = np.full((n_ind, S), -np.inf)  # max floor of participants of better grades
    for r in np.unique(rank):
        g = rank == r
        ok = part[g] & (hi[g] >= running[industry[g]] - BOUND_TOL)
        part[g] = ok
        contrib = np.where(ok, lo[g], -np.inf)
        np.maximum.at(running, industry[g], contrib)
    return part


def grade_boundaries(ds: xr.Dataset, lo: np.ndarray, hi: np.ndarray) -> GradeBoundaries:
    """Threshold structure for grade monotonicity (O(E·S) rows).

    For each industry and slot, the participating firms (:func:`grade_participation`) are grouped
    by ``grade_rank`` (0 best); between consecutive present groups ``k`` and ``k+1`` there is one
    threshold ``t_k`` with ``x <= t_k`` for firms of group ``k`` and ``x >= t_k`` for firms of
    group ``k+1``.  Because each group lies between its two thresholds, the thresholds are
    non-decreasing and every worse-grade firm's share is at least every better-grade firm's.

    Parameters
    ----------
    ds : xarray.Dataset
    lo, hi : numpy.ndarray, shape (E, S)

    Returns
    -------
    GradeBoundaries
    """
    _E, S = lo.shape
    part = grade_participation(ds, lo, hi)
    industry = _codes(ds["industry"].values)
    rank = np.asarray(ds["grade_rank"].values).astype(int)
    firm, slot = np.nonzero(part)
    ind = industry[firm]
    rk = rank[firm]
    # position of the firm's rank among the distinct ranks present in (industry, slot)
    key = ind.astype(np.int64) * S + slot
    order = np.lexsort((rk, key))
    firm, slot, ind, rk, key = firm[order], slot[order], ind[order], rk[order], key[order]
    new_key = np.r_[True, key[1:] != key[:-1]]
    new_rank = new_key | np.r_[True, rk[1:] != rk[:-1]]
    group_id = np.cumsum(new_rank) - 1  # global group number
    # number of groups per key and first group of the key
    key_first_group = np.maximum.accumulate(np.where(new_key, group_id, 0))
    pos = group_id - key_first_group  # 0 for the best group of this (industry, slot)
    n_groups_key = np.zeros(len(key), dtype=int)
    if len(key):
        starts = np.flatnonzero(new_key)
        ends = np.r_[starts[1:], len(key)]
        counts = group_id[ends - 1] - group_id[starts] + 1
        n_groups_key = np.repeat(counts, ends - starts)
    # threshold index: boundary between group pos and pos+1 of a key; a key with G groups has G-1
    key_first_t = np.zeros(len(key), dtype=int)
    if len(key):
        t_per_key = counts - 1
        t_start = np.r_[0, np.cumsum(t_per_key)[:-1]]
        key_first_t = np.repeat(t_start, ends - starts)
        n_t = int(t_per_key.sum())
    else:
        n_t = 0
    has_below = pos < n_groups_key - 1  # not the worst group: x <= t_pos
    has_above = pos > 0  # not the best group: x >= t_{pos-1}
    return GradeBoundaries(
        n_thresholds=n_t,
        below_firm=firm[has_below],
        below_slot=slot[has_below],
        below_t=(key_first_t + pos)[has_below],
        above_firm=firm[has_above],
        above_slot=slot[has_above],
        above_t=(key_first_t + pos - 1)[has_above],
        participates=part,
    )


@dataclass(frozen=True)
class FirmView:
    """Units grouped by firm for the per-firm rules (grade monotonicity on a firm's share).

    Attributes
    ----------
    codes : numpy.ndarray (E,)
        Firm code of each unit.
    weights : numpy.ndarray (E,)
        Output share of each unit in its firm.
    inputs : xarray.Dataset
        ``industry`` and ``grade_rank`` per firm (dim ``enterprise`` = firms).
    lo, hi : numpy.ndarray (F, S)
        Firm bounds: share-weighted sums of the units'.
    """

    codes: np.ndarray
    weights: np.ndarray
    inputs: xr.Dataset
    lo: np.ndarray
    hi: np.ndarray


def firm_view(ds: xr.Dataset, lo: np.ndarray, hi: np.ndarray) -> FirmView | None:
    """The firm-level view of unit inputs, None when every unit is a whole firm."""
    codes, owners = owner_codes(ds)
    E, S = lo.shape
    if len(owners) == E:
        return None
    w = unit_weights(ds)
    F = len(owners)
    lo_f = np.zeros((F, S))
    hi_f = np.zeros((F, S))
    np.add.at(lo_f, codes, w[:, None] * lo)
    np.add.at(hi_f, codes, w[:, None] * hi)
    first = np.full(F, E)
    np.minimum.at(first, codes, np.arange(E))
    view = xr.Dataset(
        {
            "industry": (("enterprise",), np.asarray(ds["industry"].values)[first]),
            "grade_rank": (("enterprise",), np.asarray(ds["grade_rank"].values)[first]),
        },
        coords={"enterprise": owners.astype(str)},
    )
    return FirmView(codes, w, view, lo_f, hi_f)


def expand_to_units(codes: np.ndarray, firm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(pos, unit)``: the units of each firm code in ``firm``.

    For each entry ``i`` of ``firm`` (firm codes), its units, as flat arrays (``pos`` indexes ``firm``).
    """
    order = np.argsort(codes, kind="stable")
    F = int(codes.max()) + 1 if len(codes) else 0
    counts = np.bincount(codes, minlength=F)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    n = counts[firm]
    pos = np.repeat(np.arange(len(firm)), n)
    within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return pos, order[starts[firm][pos] + within]


@dataclass(frozen=True)
class LineColumns:
    """Whole-line columns for the discrete mode.

    Attributes
    ----------
    integer : numpy.ndarray of bool, shape (E, S)
        Column is an integer number of stopped lines.  False where the firm's bounds admit no
        whole line count (e.g. floor 0.3, ceiling 0.4 with 2 lines) – such a column stays a
        continuous share (a load limit) so that neither the floor nor the ceiling is broken.
    scale : numpy.ndarray, shape (E, S)
        ``x = scale * column``: ``1 / lines`` for integer columns, 1 otherwise.
    col_lo, col_hi : numpy.ndarray, shape (E, S)
        Column bounds: ``ceil(lo * lines)`` and ``floor(hi * lines)`` for integer columns.
    """

    integer: np.ndarray
    scale: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray


def line_columns(ds: xr.Dataset, lo: np.ndarray, hi: np.ndarray, discrete: bool) -> LineColumns:
    """Column scaling and bounds for the continuous or the whole-line (MILP) mode.

    Floors are rounded **up** to whole lines and ceilings **down**.  Only cells whose measure
    stops whole lines (``whole_lines``, when the inputs carry it) become integer: a load cut
    (e.g. a B firm's 10 % cut) stays a continuous share in the discrete mode too.

    Parameters
    ----------
    ds : xarray.Dataset
    lo, hi : numpy.ndarray, shape (E, S)
    discrete : bool

    Returns
    -------
    LineColumns
    """
    if not discrete:
        one = np.ones_like(lo)
        return LineColumns(np.zeros(lo.shape, dtype=bool), one, lo, hi)
    lines = np.asarray(ds["lines"].values).astype(float)[:, None] * np.ones_like(lo)
    n_lo = np.ceil(lo * lines - 1e-7)
    n_hi = np.floor(hi * lines + 1e-7)
    integer = (n_lo <= n_hi) & (hi > lo + BOUND_TOL)
    if "whole_lines" in ds:
        integer &= np.asarray(ds["whole_lines"].values, dtype=bool)
    if "line_id" in ds:  # a line of a firm is 0/1 only where nothing else cuts it (x in {0, 1})
        is_line = (np.asarray(ds["line_id"].values).astype(str) != "")[:, None]
        integer &= ~is_line | (lo <= BOUND_TOL)
    scale = np.where(integer, 1.0 / lines, 1.0)
    return LineColumns(integer, scale, np.where(integer, n_lo, lo), np.where(integer, n_hi, hi))


def _codes(values) -> np.ndarray:
    """Integer codes 0..K-1 for any labels."""
    _, inv = np.unique(np.asarray(values).astype(str), return_inverse=True)
    return inv.astype(int).ravel()


# ----------------------------------------------------------------------------------------------
# synthetic inputs
# ----------------------------------------------------------------------------------------------
_LEVEL_SHARE = {"yellow": 0.10, "orange": 0.20, "red": 0.30}
_LIST_DAYS = {"yellow": 8.0, "orange": 5.0, "red": 3.0}
# floors by grade rank (A+, A, leading, B, B-, non_leading, C, D, ungraded) and level
_FLOOR = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
        [0.0, 0.2, 0.3],
        [0.1, 0.2, 0.4],
        [0.1, 0.3, 0.5],
        [0.3, 0.5, 1.0],
        [1.0, 1.0, 1.0],
        [0.1, 0.2, 0.3],
    ]
)
_GRADE_P = np.array([0.02, 0.05, 0.03, 0.25, 0.10, 0.05, 0.25, 0.05, 0.20])


def random_plan_inputs(
    n_enterprises: int, n_slots: int, seed: int = 0, mode: str = "episode", target_scale: float = 1.0
) -> xr.Dataset:
    """A synthetic PlanInputs dataset (for tests and benchmarks).

    Emissions and output values are log-normal (heavy-tailed); about 8 % of firms are exempt
    (ceiling 0), grades follow a plausible mix (A+/A/leading self-directed with ceiling 0 except a
    few volunteers), about a third of the firms have technical maxima below 1, floors follow the
    grade × level pattern of the 2020 guide, and targets are the 10/20/30 % shares of a city
    total of which the list holds about 75 %.

    Parameters
    ----------
    n_enterprises : int
    n_slots : int
        Days of the episode (``mode="episode"``), or levels (``mode="list"``, at most 3: yellow,
        orange, red).
    seed : int
    mode : {"episode", "list"}
    target_scale : float
        Multiplies every target (large values make the instance infeasible).

    Returns
    -------
    xarray.Dataset
    """
    if mode not in ("episode", "list"):
        raise ValueError("mode must be 'episode' or 'list'")
    rng = np.random.default_rng(seed)
    E = int(n_enterprises)
    if mode == "list":
        if not 1 <= n_slots <= 3:
            raise ValueError("list mode has 1 to 3 slots (yellow, orange, red)")
        levels = ["yellow", "orange", "red"][3 - n_slots :]
        slots = list(levels)
        days = np.array([_LIST_DAYS[lv] for lv in levels])
    else:
        pattern = ["yellow", "orange", "red", "red", "orange", "yellow", "yellow"]
        levels = [pattern[i % len(pattern)] for i in range(n_slots)]
        slots = [f"2026-01-{i + 1:02d}" for i in range(n_slots)]
        days = np.ones(n_slots)
    S = len(slots)
    lvl_idx = np.array([["yellow", "orange", "red"].index(lv) for lv in levels])

    rank = rng.choice(len(_GRADE_P), size=E, p=_GRADE_P)
    n_ind = max(1, min(40, E // 25))
    industry = np.array([f"ind{i:02d}" for i in rng.integers(0, n_ind, size=E)])
    county = np.array([f"county{i}" for i in rng.integers(0, 8, size=E)])
    size = rng.lognormal(0.0, 1.4, size=E)
    emis = size[:, None] * rng.lognormal(0.0, 0.8, size=(E, 4)) * np.array([0.05, 0.08, 0.03, 0.04])
    emis *= rng.random((E, 4)) > 0.15  # some pollutants not emitted
    output = size * rng.lognormal(2.0, 0.9, size=E)  # 万元 per day
    ceiling1 = np.where(rng.random(E) < 0.65, 1.0, np.round(rng.uniform(0.2, 0.9, size=E), 2))
    exempt = rng.random(E) < 0.08
    self_directed = rank <= 2
    volunteer = self_directed & (rng.random(E) < 0.2)
    ceiling1 = np.where(exempt | (self_directed & ~volunteer), 0.0, ceiling1)
    ceiling = np.repeat(ceiling1[:, None], S, axis=1)
    floor = np.minimum(_FLOOR[rank][:, lvl_idx], ceiling)
    floor = np.where(exempt[:, None], 0.0, floor)
    factor = rng.uniform(0.6, 1.0, size=(E, 1, 4))
    reducible = emis[:, None, :] * factor * np.ones((1, S, 1))
    lines = rng.integers(1, 7, size=E)
    loss = output[:, None] * days[None, :]
    city_total = emis.sum(axis=0) / 0.75
    share = np.array([_LEVEL_SHARE[lv] for lv in levels])
    target = share[:, None] * city_total[None, :] * target_scale
    credited = 0.05 * target * (rng.random((S, 4)) < 0.7)
    credited_loss = np.where(credited.sum(axis=1) > 0, 1.0, 0.0) * days
    toggle = (rng.random(E) < 0.3) if mode == "episode" else np.zeros(E, dtype=bool)

    ds = xr.Dataset(
        {
            "floor": (("enterprise", "slot"), floor),
            "ceiling": (("enterprise", "slot"), ceiling),
            "loss_at_full": (("enterprise", "slot"), loss),
            "reducible": (("enterprise", "slot", "pollutant"), reducible),
            "target": (("slot", "pollutant"), target),
            "credited": (("slot", "pollutant"), credited),
            "credited_loss": (("slot",), credited_loss),
            "lines": (("enterprise",), lines),
            "county": (("enterprise",), county),
            "industry": (("enterprise",), industry),
            "grade_rank": (("enterprise",), rank),
            "level": (("slot",), np.array(levels)),
            "days": (("slot",), days),
            "order": (("slot",), np.arange(S)),
            "chain": (("slot",), np.zeros(S, dtype=int)),
            "toggle_allowed": (("enterprise",), toggle),
        },
        coords={
            "enterprise": [f"E{i:06d}" for i in range(E)],
            "slot": slots,
            "pollutant": list(POLLUTANTS),
        },
        attrs={"mode": mode},
    )
    return ds


def plan_inputs_from_arrays(
    floor,
    ceiling,
    loss_at_full,
    reducible,
    target,
    *,
    credited=None,
    credited_loss=None,
    lines=None,
    county=None,
    industry=None,
    grade_rank=None,
    level=None,
    days=None,
    order=None,
    chain=None,
    toggle_allowed=None,
    mode: str = "episode",
    enterprise=None,
    slot=None,
) -> xr.Dataset:
    """Build a PlanInputs dataset from plain arrays (small hand-made cases, tests, scripts).

    Parameters
    ----------
    floor, ceiling, loss_at_full : array_like (E, S)
    reducible : array_like (E, S, P) or (E, S, k) with k < 4 (missing pollutants are 0)
    target : array_like (S, P) or (S, k)
    credited : array_like (S, P), optional (default 0)
    credited_loss : array_like (S,), optional (default 0)
    lines, county, industry, grade_rank, toggle_allowed : array_like (E,), optional
        Defaults: 1 line, one county ``"c0"``, one industry ``"i0"``, rank 3 (B), False.
    level, days, order, chain : array_like (S,), optional
        Defaults: ``"red"``, 1 day, 0..S-1, every slot unchained (-1).
    mode : {"episode", "list"}
    enterprise, slot : sequence of str, optional

    Returns
    -------
    xarray.Dataset
    """
    floor = np.atleast_2d(np.asarray(floor, dtype=float))
    E, S = floor.shape
    P = len(POLLUTANTS)

    def pad(a, shape):
        a = np.asarray(a, dtype=float)
        out = np.zeros(shape)
        out[..., : a.shape[-1]] = a
        return out

    red = pad(np.asarray(reducible, dtype=float).reshape(E, S, -1), (E, S, P))
    tgt = pad(np.asarray(target, dtype=float).reshape(S, -1), (S, P))
    cred = np.zeros((S, P)) if credited is None else pad(np.asarray(credited, float).reshape(S, -1), (S, P))

    def vec(a, default, n, dtype=None):
        return (
            np.asarray(default if a is None else a, dtype=dtype) * np.ones(n, dtype=dtype)
            if np.ndim(default if a is None else a) == 0
            else np.asarray(a, dtype=dtype)
        )

    return xr.Dataset(
        {
            "floor": (("enterprise", "slot"), floor),
            "ceiling": (("enterprise", "slot"), np.asarray(ceiling, dtype=float).reshape(E, S)),
            "loss_at_full": (("enterprise", "slot"), np.asarray(loss_at_full, dtype=float).reshape(E, S)),
            "reducible": (("enterprise", "slot", "pollutant"), red),
            "target": (("slot", "pollutant"), tgt),
            "credited": (("slot", "pollutant"), cred),
            "credited_loss": (("slot",), vec(credited_loss, 0.0, S, float)),
            "lines": (("enterprise",), vec(lines, 1, E, int)),
            "county": (
                ("enterprise",),
                np.array(["c0"] * E if county is None else list(county), dtype=object).astype(str),
            ),
            "industry": (
                ("enterprise",),
                np.array(["i0"] * E if industry is None else list(industry)).astype(str),
            ),
            "grade_rank": (("enterprise",), vec(grade_rank, 3, E, int)),
            "level": (("slot",), np.array(["red"] * S if level is None else list(level)).astype(str)),
            "days": (("slot",), vec(days, 1.0, S, float)),
            "order": (("slot",), np.arange(S) if order is None else np.asarray(order)),
            "chain": (("slot",), vec(chain, -1, S, int)),
            "toggle_allowed": (("enterprise",), vec(toggle_allowed, False, E, bool)),
        },
        coords={
            "enterprise": [f"e{i}" for i in range(E)] if enterprise is None else list(enterprise),
            "slot": [f"s{i}" for i in range(S)] if slot is None else list(slot),
            "pollutant": list(POLLUTANTS),
        },
        attrs={"mode": mode},
    )
