"""Scenario-based chance constraint over ensemble members (``ensemble: {chance: q}``).

The plan must meet each day's targets in at least ``n_s = ⌈q·K⌉`` of the K members (on top of
the targets of the alert actually issued, which stay hard rows): member ``k`` is met on slot
``s`` when, for every pollutant ``p``, the plan's activity
``A[s, p] = Σ_e reducible·x + Σ_m ni·a`` reaches ``r[s, k, p] = member_target − credited``.
PlanInputs carry ``member_target (slot, member, pollutant)`` and ``chance_required (slot)``
(the asked ``n_s``); :func:`define_chance` is called by
:func:`planner.optimize.blocks.build_model` and writes one of two exact formulations:

``sorted`` (default whenever it applies; an LP)
    Members of one day differ only in their right-hand sides.  When those vectors form a chain
    under the componentwise order — always the case for targets derived from the shares table,
    since shares never decrease from yellow to orange to red (checked by
    :func:`planner.targets.reductions.load_shares`), a member below alert needs 0, and the
    credited tonnes are the same for every member of a day — the members a plan meets are a
    down-set of the chain, i.e. the first ``j`` members in sorted order.  Hence
    "at least ``n`` members met" ⟺ ``A[s, ·] ≥ r_(n)[s, ·]``, the ``n``-th smallest vector: one
    row ``Slot-Pollutant-chance`` per (slot, pollutant), where it is not already implied by the
    target row.  Exact, no integer column, and the chain rewrite still applies.
``indicators`` (any right-hand sides; a MILP)
    Binary ``z[s, k]`` (``Slot-Member-indicator``), rows
    ``A[s, p] − M·z[s, k] ≥ r[s, k, p] − M`` (``Slot-Member-Pollutant-target``) with the tightest
    big-M ``M = r − A_min`` (``A_min`` the activity at the floors), and
    ``Σ_k z[s, k] ≥ n_s`` (``Slot-chance-count``).  A member every plan meets gets ``z = 1``
    fixed, one no plan can meet ``z = 0``.

``attrs["chance_formulation"]`` picks one (``auto``: sorted when every day's members form a
chain, else indicators).  Where the bounds cannot reach ``n_s`` members (ceilings and every
optional measure), ``n_s`` is lowered to the reachable count so that the model still gives the
best plan; :mod:`planner.targets.ensemble` reports those days as out of reach.  Checked by
:func:`planner.optimize.verify.check_chance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from planner.optimize.linear import INF, LinearModel

__all__ = [
    "BLOCKS",
    "CHANCE",
    "COUNT",
    "FORMULATIONS",
    "MEMBER_ROWS",
    "MEMBER_Z",
    "ChanceData",
    "chance_data",
    "define_chance",
    "has_chance",
]

#: Block names.
CHANCE = "Slot-Pollutant-chance"
MEMBER_Z = "Slot-Member-indicator"
MEMBER_ROWS = "Slot-Member-Pollutant-target"
COUNT = "Slot-chance-count"
BLOCKS = (CHANCE, MEMBER_Z, MEMBER_ROWS, COUNT)
#: ``attrs["chance_formulation"]`` values.
FORMULATIONS = ("auto", "sorted", "indicators")
_TOL = 1e-6


def has_chance(inputs: xr.Dataset) -> bool:
    """True when the PlanInputs carry a chance constraint."""
    return "member_target" in inputs and "chance_required" in inputs


@dataclass
class ChanceData:
    """What the chance blocks are built from (activities exclude the credited tonnes).

    Attributes
    ----------
    rhs : numpy.ndarray (S, K, P)
        ``member_target − credited``.
    tol : numpy.ndarray (S, K, P)
        Absolute tolerance of "met" (``1e-6 · max(1, member_target)``).
    least, most : numpy.ndarray (S, P)
        Activity at the floors and at the ceilings with every optional measure on.
    asked, reachable, required : numpy.ndarray (S,) of int
        Members asked (``⌈q·K⌉``), members the bounds can meet, ``min(asked, reachable)``.
    nested : numpy.ndarray (S,) of bool
        The day's member vectors form a chain (the sorted formulation is exact).
    order : numpy.ndarray (S, K) of int
        Members sorted by need (chain order where nested).
    formulation : {"sorted", "indicators"}
    members : list of str
    """

    rhs: np.ndarray
    tol: np.ndarray
    least: np.ndarray
    most: np.ndarray
    asked: np.ndarray
    reachable: np.ndarray
    required: np.ndarray
    nested: np.ndarray
    order: np.ndarray
    formulation: str
    members: list[str]


def chance_data(inputs: xr.Dataset, d, extra_reach=0.0) -> ChanceData:
    """Derive :class:`ChanceData` from PlanInputs and the model's :class:`ModelData` ``d``.

    ``extra_reach`` (S, P): what blocks outside the curtailment columns add at most, e.g. the measure menus.
    """
    target = inputs["member_target"].transpose("slot", "member", "pollutant").values.astype(float)
    rhs = target - d.credited[:, None, :]
    tol = _TOL * np.maximum(1.0, target)
    sc = d.cols.scale
    least = np.einsum("es,esp->sp", d.cols.col_lo * sc, d.reducible)
    most = np.einsum("es,esp->sp", d.cols.col_hi * sc, d.reducible) + d.ni_reduction.sum(axis=0) + extra_reach
    can = (rhs <= most[:, None, :] + tol).all(axis=2)
    asked = np.asarray(inputs["chance_required"].values, dtype=int)
    reachable = can.sum(axis=1)
    required = np.minimum(asked, reachable)
    need = (rhs / np.maximum(1.0, np.abs(target))).sum(axis=2)
    order = np.argsort(need, axis=1, kind="stable")
    ranked = np.take_along_axis(rhs, order[:, :, None], axis=1)
    nested = np.asarray(
        (np.diff(ranked, axis=1) >= -np.take_along_axis(tol, order[:, :, None], axis=1)[:, 1:]).all(
            axis=(1, 2)
        )
    )
    asked_form = str(inputs.attrs.get("chance_formulation", "auto"))
    if asked_form not in FORMULATIONS:
        raise ValueError(f"chance_formulation must be one of {', '.join(FORMULATIONS)}, got {asked_form!r}")
    formulation = asked_form
    if asked_form == "auto" or (asked_form == "sorted" and not nested.all()):
        formulation = "sorted" if nested.all() else "indicators"
    return ChanceData(
        rhs,
        tol,
        least,
        most,
        asked,
        reachable,
        required,
        nested,
        order,
        formulation,
        [str(k) for k in inputs["member"].values],
    )


def _activity(target, shortfall) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(slot·P + pollutant, column, coefficient)`` of every term of ``A[s, p]``.

    Sorted by row: the entries of the complete target rows (firms, non-industrial measures, menu options …)
    without the shortfall columns, so that a chance row counts exactly what a target row counts.
    """
    keep = np.ones(len(target.cols), bool)
    if shortfall is not None:
        keep &= (target.cols < shortfall.start) | (target.cols >= shortfall.start + shortfall.size)
    sp, cols, vals = target.rows[keep], target.cols[keep], target.vals[keep]
    o = np.argsort(sp, kind="stable")
    return sp[o], cols[o], vals[o]


def _rows_of(sp: np.ndarray, cols: np.ndarray, vals: np.ndarray, row_sp: np.ndarray, n_sp: int):
    """COO entries of rows ``i`` = the activity ``A`` of (slot, pollutant) ``row_sp[i]``."""
    counts = np.bincount(sp, minlength=n_sp)
    start = np.r_[0, np.cumsum(counts)[:-1]]
    reps = counts[row_sp]
    rows = np.repeat(np.arange(len(row_sp)), reps)
    offset = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
    pick = np.repeat(start[row_sp], reps) + offset
    return rows, cols[pick], vals[pick]


def define_chance(
    m: LinearModel, d, inputs: xr.Dataset, target, shortfall=None, extra_reach=0.0
) -> ChanceData | None:
    """The chance-constraint blocks (see the module docstring); nothing without ``member_target``.

    ``target`` is the model's complete target block (rows ``slot · P + pollutant``, every term
    written), ``shortfall`` its shortfall block (None without one) and ``extra_reach`` (S, P) what
    blocks outside the curtailment columns can add at most (measure menus); handed over by
    :func:`planner.optimize.blocks.build_model` once every block has written its target entries.
    """
    if not has_chance(inputs):
        return None
    c = chance_data(inputs, d, extra_reach)
    S, P = d.rhs.shape
    sp, cols, vals = _activity(target, shortfall)
    if c.formulation == "sorted":
        n = c.required
        ranked = np.take_along_axis(c.rhs, c.order[:, :, None], axis=1)
        pick = np.maximum(n - 1, 0)
        need = ranked[np.arange(S), pick]  # (S, P): the n-th smallest member vector
        tol = np.take_along_axis(c.tol, c.order[:, :, None], axis=1)[np.arange(S), pick]
        implied = ~d.short_rows & (need <= d.rhs + tol)
        add = (n[:, None] > 0) & (need > c.least + tol) & ~implied
        s_i, p_i = np.nonzero(add)
        row_sp = s_i * P + p_i
        r, cc, vv = _rows_of(sp, cols, vals, row_sp, S * P)
        blk = m.add_constraints(
            CHANCE,
            {"row": [f"{d.slot[s]}/{d.pollutant[p]}" for s, p in zip(s_i, p_i, strict=True)]},
            need[s_i, p_i],
            INF,
            r,
            cc,
            vv,
        )
        blk.meta["chance"] = c
        return c
    K = len(c.members)
    trivial = (c.rhs <= c.least[:, None, :] + c.tol).all(axis=2)
    can = (c.rhs <= c.most[:, None, :] + c.tol).all(axis=2)
    z = m.add_variables(
        MEMBER_Z,
        {"slot": d.slot, "member": c.members},
        trivial.astype(float).ravel(),
        can.astype(float).ravel(),
        integer=True,
    )
    live = can & ~trivial
    s_i, k_i, p_i = np.nonzero(live[:, :, None] & (c.rhs > c.least[:, None, :] + c.tol))
    big = c.rhs[s_i, k_i, p_i] - c.least[s_i, p_i]
    r, cc, vv = _rows_of(sp, cols, vals, s_i * P + p_i, S * P)
    n_rows = len(s_i)
    blk = m.add_constraints(
        MEMBER_ROWS,
        {
            "row": [
                f"{d.slot[s]}/{c.members[k]}/{d.pollutant[p]}" for s, k, p in zip(s_i, k_i, p_i, strict=True)
            ]
        },
        c.rhs[s_i, k_i, p_i] - big,
        INF,
        np.r_[r, np.arange(n_rows)],
        np.r_[cc, z.columns(s_i, k_i)],
        np.r_[vv, -big],
    )
    blk.meta["chance"] = c
    m.add_constraints(
        COUNT,
        {"slot": d.slot},
        c.required.astype(float),
        INF,
        np.repeat(np.arange(S), K),
        z.columns(),
        np.ones(S * K),
    )
    return c
