"""Baselines the optimised plan is compared with, on the same PlanInputs.

(a) :func:`rules_only` – every firm at its rule floor (chain-consistent);
(b) :func:`uniform` – 一刀切: the floors plus the same extra share ``δ_ℓ`` for every firm that can
    be cut (clipped at its ceiling), one ``δ`` per alert level, each the smallest meeting that
    level's targets (bisection, levels from yellow to red);
(c) :func:`same_share` – 平均主义 "the same % for every firm": every firm that can be cut cuts the
    same share ``σ_ℓ`` of its output (at least its floor, at most its ceiling), one per level;
(d) :func:`equal_tonnes` – every firm that can be cut removes the same tonnes ``τ_ℓ`` (summed over
    the four pollutants; within its floor and ceiling), one per level;
(e) :func:`greedy` – least cost in the manner of CoST: firm-slot increments ranked by output loss
    per weighted tonne of the targets still unmet, filled until every target is met.

All are vectorised numpy and ignore the fairness options and whole lines, so with those off the
optimised loss can never exceed any of them (each baseline plan is feasible for the LP).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import xarray as xr

from planner.optimize.inputs import chain_pairs, owner_codes, reduction_terms, rule_floor
from planner.optimize.inputs import effective_bounds as _effective_bounds
from planner.optimize.result import Plan


@dataclass
class Baseline:
    """A baseline plan.

    Attributes
    ----------
    name : str
    loss : float
        Total output loss (万元), ``Σ loss_at_full·x + Σ credited_loss``.
    curtailment : numpy.ndarray (E, S)
    achieved : numpy.ndarray (S, P)
        ``credited + Σ_e reducible·x``.
    meets_targets : bool
    extra_share : float or None
        The per-level baselines' largest parameter (``δ`` of the uniform cut).
    level_parameter : dict or None
        Each level's parameter (``δ_ℓ``, ``σ_ℓ`` or ``τ_ℓ``) of a per-level baseline.
    """

    name: str
    loss: float
    curtailment: np.ndarray
    achieved: np.ndarray
    meets_targets: bool
    extra_share: float | None = None
    level_parameter: dict | None = None


#: Arrays shared by the baselines of one :func:`all_baselines` call (the same PlanInputs object).
_SHARED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("baseline_arrays", default=None)


def _shared(inputs: xr.Dataset, key: str, make):
    """``make()``, computed once per :func:`all_baselines` call for these very ``inputs``."""
    memo = _SHARED.get()
    if memo is None or memo["inputs"] is not inputs:
        return make()
    if key not in memo:
        memo[key] = make()
    return memo[key]


def effective_bounds(inputs: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The bounds every baseline starts from.

    The chain-propagated bounds, with each line stop's lines of least loss stopped
    (:func:`planner.optimize.inputs.rule_floor`).
    """
    lo, hi = _shared(inputs, "bounds", lambda: _bounds(inputs))
    return lo.copy(), hi.copy()


def _bounds(inputs: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = _effective_bounds(inputs)
    return rule_floor(inputs, lo, hi), hi


def _chain_carry(inputs: xr.Dataset, hi: np.ndarray):
    """``carry(x)``: every raise carried forward to the later slots of its chain (in place).

    ``x[f, b] = min(max(x[f, b], x[f, a]), hi[f, b])`` for the chain's consecutive slots a → b.
    """
    cp = chain_pairs(inputs)
    f = slice(None) if np.all(cp.firms) else np.flatnonzero(cp.firms)
    pairs = list(cp.pairs)
    hb = {b: hi[f, b] for _, b in pairs}

    def carry(x: np.ndarray) -> np.ndarray:
        for a, b in pairs:
            if isinstance(f, slice):  # every firm: in place, no temporaries
                col = x[:, b]
                np.maximum(col, x[:, a], out=col)
                np.minimum(col, hb[b], out=col)
            else:
                x[f, b] = np.minimum(np.maximum(x[f, b], x[f, a]), hb[b])
        return x

    return carry


_Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]


def _arrays(inputs: xr.Dataset) -> _Arrays:
    return _shared(inputs, "arrays", lambda: _make_arrays(inputs))


def _make_arrays(inputs: xr.Dataset) -> _Arrays:
    # reductions are affine (floor offset): Σ red·x + const; const is counted with the credited tonnes
    red, red_const = reduction_terms(inputs)
    target = inputs["target"].values.astype(float)
    credited = inputs["credited"].values.astype(float) + red_const
    loss = inputs["loss_at_full"].values.astype(float)
    const = float(inputs["credited_loss"].values.sum())
    return red, target, credited, loss, const


def _tol(target: np.ndarray) -> np.ndarray:
    return 1e-9 * np.maximum(1.0, target)


def _make(name, inputs, x, delta=None) -> Baseline:
    red, target, credited, loss, const = _arrays(inputs)
    achieved = credited + np.einsum("es,esp->sp", x, red)
    return Baseline(
        name,
        float((loss * x).sum() + const),
        x,
        achieved,
        bool((achieved >= target - 1e-7 * np.maximum(1.0, target)).all()),
        delta,
    )


def rules_only(inputs: xr.Dataset) -> Baseline:
    """Every firm at its rule floor (carried forward along the chain).

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs.

    Returns
    -------
    Baseline
        ``meets_targets`` says whether the floors alone reach every target.
    """
    lo, _ = effective_bounds(inputs)
    return _make("rules_only", inputs, lo)


def _per_level(inputs: xr.Dataset, name: str, rule, top: float, tol: float = 1e-9) -> Baseline | None:
    """A baseline with one parameter per alert level.

    ``x = rule(v)`` column-wise, where ``v`` (E, S) holds each slot's level parameter; the smallest parameter
    meeting each level's targets is found by bisection, levels from yellow to red.

    Every plan is carried along the chains (a firm never cuts less on a later slot of a chain), so a
    later level's parameter only adds reductions to earlier slots and their targets stay met.

    Parameters
    ----------
    rule : callable
        ``rule(v) -> x`` (E, S) within the chain-propagated bounds, non-decreasing in ``v``.
    top : float
        Parameter at which every firm is at its ceiling.

    Returns
    -------
    Baseline or None
        None when even ``top`` misses a target.
    """
    lo, hi = effective_bounds(inputs)
    red, target, credited, _, _ = _arrays(inputs)
    need = target - credited - 1e-9 * np.maximum(1.0, target)
    carry = _chain_carry(inputs, hi)
    levels = np.asarray(inputs["level"].values).astype(str)
    param = np.zeros(len(levels))

    def plan(p: np.ndarray) -> np.ndarray:
        return carry(rule(np.broadcast_to(p[None, :], lo.shape)))

    def ok(p: np.ndarray, slots: np.ndarray) -> bool:
        x = plan(p)
        # only the slots checked (the same sums as over every slot, a third of the work in list mode)
        cols = slice(int(slots[0]), int(slots[0]) + 1) if len(slots) == 1 else slots
        got = np.einsum("es,esp->sp", x[:, cols], red[:, cols])
        return bool((got >= need[slots]).all())

    order = ("yellow", "orange", "red")
    for lv in sorted(set(levels.tolist()), key=lambda v: order.index(v) if v in order else len(order)):
        slots = np.flatnonzero(levels == lv)
        trial = param.copy()
        trial[slots] = 0.0
        if ok(trial, slots):
            param = trial
            continue
        trial[slots] = top
        if not ok(trial, slots):
            return None
        a, b = 0.0, top
        while b - a > tol * top:
            mid = 0.5 * (a + b)
            trial[slots] = mid
            if ok(trial, slots):
                b = mid
            else:
                a = mid
        param[slots] = b
    x = plan(param)
    base = _make(name, inputs, x, float(param.max()) if len(param) else 0.0)
    base.level_parameter = {str(lv): float(param[levels == lv].max()) for lv in set(levels.tolist())}
    return base


def uniform(inputs: xr.Dataset, tol: float = 1e-9) -> Baseline | None:
    """一刀切: floors plus one extra share ``δ_ℓ`` per alert level for every firm with a ceiling above zero.

    ``x = min(floor + δ_ℓ, ceiling)`` on chain-propagated bounds; each level's ``δ_ℓ`` is the
    smallest meeting that level's targets (one ``δ`` for all levels would make the yellow list as
    strict as the red one and overstate the optimiser's saving).  ``extra_share`` is the largest
    ``δ``; ``level_parameter`` gives each level's.

    Parameters
    ----------
    inputs : xarray.Dataset
    tol : float
        Bisection tolerance on ``δ``.

    Returns
    -------
    Baseline or None
        None when even ``δ = 1`` (every firm at its ceiling) misses a target.
    """
    lo, hi = effective_bounds(inputs)
    return _per_level(inputs, "uniform", lambda v: np.minimum(lo + v, hi), 1.0, tol)


def same_share(inputs: xr.Dataset, tol: float = 1e-9) -> Baseline | None:
    """平均主义: every firm that can be cut cuts the same share ``σ_ℓ`` per level: ``clip(σ_ℓ, floor, ceiling)``.

    Returns
    -------
    Baseline or None
        None when even ``σ = 1`` misses a target.
    """
    lo, hi = effective_bounds(inputs)
    return _per_level(inputs, "same_share", lambda v: np.clip(v, lo, hi), 1.0, tol)


def equal_tonnes(inputs: xr.Dataset, tol: float = 1e-9) -> Baseline | None:
    """Equal tonnes per firm.

    Each firm that can be cut removes ``τ_ℓ`` t/d (its four pollutants summed), i.e.
    ``x = clip(τ_ℓ / Σ_p reducible, floor, ceiling)``, one ``τ`` per level.

    Returns
    -------
    Baseline or None
        None when even the largest firm at its ceiling leaves a target unmet.
    """
    lo, hi = effective_bounds(inputs)
    red = _arrays(inputs)[0]  # reduction_terms(inputs)[0]
    tonnes = red.sum(axis=2)  # (E, S) tonnes per unit share
    codes, owners = owner_codes(inputs)
    if len(owners) < len(codes):  # lines: a firm's tonnes per unit of its share (all its units)
        firm = np.zeros((len(owners), tonnes.shape[1]))
        np.add.at(firm, codes, tonnes)
        tonnes = firm[codes]
    inv = np.where(tonnes > 0, 1.0 / np.where(tonnes > 0, tonnes, 1.0), np.inf)
    top = float(tonnes.max()) if tonnes.size else 0.0

    def rule(v):
        with np.errstate(invalid="ignore"):
            share = np.where(tonnes > 0, v * inv, 0.0)
        return np.clip(share, lo, hi)

    return _per_level(inputs, "equal_tonnes", rule, max(top, 1e-12), tol)


def greedy(inputs: xr.Dataset, max_rounds: int | None = None) -> Baseline | None:
    """Least cost by loss per weighted tonne (CoST-style), vectorised.

    Each round weights every still-unmet (slot, pollutant) target by ``1 / need`` (0 once met),
    scores every firm-slot cell that can still rise by ``loss_at_full / Σ_p weight·reducible``,
    and raises cells to their ceilings in score order until the first target is reached (the
    crossing cell only as far as needed).  Chains are respected by carrying every raise forward
    to the later slots of the chain (which only adds reductions).  Rounds end when all targets
    are met.

    Parameters
    ----------
    inputs : xarray.Dataset
    max_rounds : int, optional
        Safety limit (default ``4 × S × P + 10``).

    Returns
    -------
    Baseline or None
        None when the targets cannot be met.
    """
    lo, hi = effective_bounds(inputs)
    red, target, credited, loss, _ = _arrays(inputs)
    _E, S = lo.shape
    P = target.shape[1]
    carry = _chain_carry(inputs, hi)
    x = lo.copy()
    tol = 1e-9 * np.maximum(1.0, target)
    rounds = max_rounds or 4 * S * P + 10

    for _ in range(rounds):
        need = target - credited - np.einsum("es,esp->sp", x, red)
        unmet = need > tol
        if not unmet.any():
            return _make("greedy", inputs, x)
        w = np.where(unmet, 1.0 / np.where(unmet, need, 1.0), 0.0)  # (S, P)
        room = hi - x
        wt = np.einsum("esp,sp->es", red, w)  # weighted tonnes per unit share
        cand = (room > 1e-12) & (wt > 0)
        if not cand.any():
            return None
        e_i, s_i = np.nonzero(cand)
        score = loss[e_i, s_i] / wt[e_i, s_i]
        order = np.argsort(score, kind="stable")
        e_i, s_i = e_i[order], s_i[order]
        gain = red[e_i, s_i, :] * room[e_i, s_i][:, None]  # (K, P) tonnes if raised to the ceiling
        # cumulative tonnes per (slot, pollutant) along the ranking
        cross_k = len(e_i)
        cross = None
        for s in np.unique(s_i):
            sel = np.flatnonzero(s_i == s)
            cum = np.cumsum(gain[sel], axis=0)  # (n_s, P)
            for p in np.flatnonzero(unmet[s]):
                hit = np.searchsorted(cum[:, p], need[s, p] - tol[s, p])
                if hit < len(sel) and sel[hit] < cross_k:
                    cross_k = int(sel[hit])
                    before = cum[hit - 1, p] if hit > 0 else 0.0
                    cross = (s, p, need[s, p] - before)
        full = np.arange(cross_k)
        x[e_i[full], s_i[full]] = hi[e_i[full], s_i[full]]
        if cross is not None:
            e, s = e_i[cross_k], s_i[cross_k]
            r = red[e, s, cross[1]]
            x[e, s] = min(hi[e, s], x[e, s] + max(cross[2], 0.0) / r * (1 + 1e-12) + 1e-15)
        x = carry(x)
    return None


#: Every baseline, by the name summary.json and ``options.method`` use.
BASELINES: dict[str, Callable[[xr.Dataset], Baseline | None]] = {
    "rules_only": rules_only,
    "uniform": uniform,
    "same_share": same_share,
    "equal_tonnes": equal_tonnes,
    "greedy": greedy,
}


def all_baselines(inputs: xr.Dataset) -> dict[str, Baseline | None]:
    """Every baseline of :data:`BASELINES`.

    None where it cannot meet the targets (rules_only is always returned; see its ``meets_targets``).
    """
    token = _SHARED.set({"inputs": inputs})  # the bounds and arrays are computed once for all
    try:
        return {name: make(inputs) for name, make in BASELINES.items()}
    finally:
        _SHARED.reset(token)


def run_baselines(inputs: xr.Dataset) -> dict[str, float | None]:
    """Total loss of each baseline, None where it cannot meet the targets.

    The ``baselines`` entry of ``summary.json``: ``{"rules_only", "uniform", "same_share",
    "equal_tonnes", "greedy"}``.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs.

    Returns
    -------
    dict of str -> float or None
    """
    out: dict[str, float | None] = {}
    for name, b in all_baselines(inputs).items():
        out[name] = None if b is None or not b.meets_targets else b.loss
    return out


#: Methods a scenario's ``options.method`` may name besides "optimal".
METHODS: tuple[str, ...] = tuple(BASELINES)


class _Layout(TypedDict):
    """Keyword arguments of :class:`xarray.DataArray` for one result array: its dims and coords."""

    dims: tuple[str, str]
    coords: Mapping[Hashable, np.ndarray]


def baseline_plan(inputs: xr.Dataset, method: str, label: str = "") -> Plan:
    """A baseline as a :class:`planner.optimize.model.Plan`, so it can be written and compared like a plan.

    When the baseline cannot meet the targets (uniform/greedy give up, or the floors alone fall
    short), the plan is every firm at its chain-consistent ceiling (uniform, greedy) or floor
    (rules_only), its status is ``"infeasible"`` and the shortfall says by how much.  A baseline
    that meets every target gets status ``"optimal"`` in the sense of the summary contract (a
    usable plan), and ``solver`` says ``baseline:<method>``: it is not a minimum-loss plan.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs.
    method : one of :data:`METHODS`
    label : str
        Name used in the plan's message (e.g. the scenario's).
    """
    if method not in METHODS:
        raise ValueError(f"unknown baseline {method!r}; one of {', '.join(METHODS)}")
    b = BASELINES[method](inputs)
    lo, hi = effective_bounds(inputs)
    red, target, credited, loss, const = _arrays(inputs)
    if b is None:
        x = hi
        achieved = credited + np.einsum("es,esp->sp", x, red)
        ok = False
    else:
        x, achieved, ok = b.curtailment, b.achieved, b.meets_targets
    with np.errstate(divide="ignore", invalid="ignore"):
        max_share = np.where(
            target > 0,
            (credited + np.einsum("es,esp->sp", hi, red)) / np.where(target > 0, target, 1),
            np.inf,
        )
    short = np.maximum(target - achieved, 0.0)
    short = np.where(short > 1e-7 * np.maximum(1.0, target), short, 0.0)
    es: _Layout = {
        "dims": ("enterprise", "slot"),
        "coords": {"enterprise": inputs["enterprise"].values, "slot": inputs["slot"].values},
    }
    sp: _Layout = {
        "dims": ("slot", "pollutant"),
        "coords": {"slot": inputs["slot"].values, "pollutant": inputs["pollutant"].values},
    }
    sd = (
        np.asarray(inputs["self_directed"].values, bool)
        if "self_directed" in inputs
        else np.zeros(len(x), bool)
    )
    zero = np.where(sd, "self_directed", "exempt")[:, None]
    reason = np.where(hi <= 1e-9, zero, np.where(x <= lo + 1e-7, "floor", method))
    return Plan(
        curtailment=xr.DataArray(x, **es),
        status="optimal" if ok else "infeasible",
        objective=float((loss * x).sum() + const),
        shortfall=xr.DataArray(short, **sp),
        achieved=xr.DataArray(achieved, **sp),
        target=xr.DataArray(target, **sp),
        max_achievable_share=xr.DataArray(max_share, **sp),
        duals=xr.DataArray(np.full_like(target, np.nan), **sp),
        gap=0.0,
        solver=f"baseline:{method}",
        timings={"build": 0.0, "solve": 0.0, "verify": 0.0},
        reason=xr.DataArray(reason, **es),
        messages=[
            f"{method} baseline{' of ' + label if label else ''}"
            + ("" if ok else " (cannot meet every target)")
        ],
    )
