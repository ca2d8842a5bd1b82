"""Independent verification of a plan against its PlanInputs.

A separate code path from the model: plain numpy on the inputs and the plan's curtailment (only
the block *names* come from :mod:`planner.optimize.blocks`), no use of :mod:`planner.optimize.model`, :mod:`planner.optimize.highs_backend` or the derived structures in
:mod:`planner.optimize.inputs`.  Everything is recomputed here: reductions per slot and pollutant,
shortfalls, the objective, chain and grade monotonicity, loss caps and whole lines.

:func:`verify_plan` returns a list of plain sentences (empty = the plan passed).  It runs after
every solve (a failing plan gets status "error") and in the tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from planner.io.labels import factorize_texts, lookup
from planner.optimize import blocks as B
from planner.optimize import menus as MN
from planner.optimize.chance import BLOCKS

if TYPE_CHECKING:
    from planner.optimize.result import Plan


def _opt(plan, name, default=None):
    o = getattr(plan, "options", None)
    return getattr(o, name, default) if o is not None else default


def _chained_firms(inputs: xr.Dataset) -> np.ndarray:
    if inputs.attrs.get("mode") == "list":
        return np.ones(inputs.sizes["enterprise"], dtype=bool)
    return ~np.asarray(inputs["toggle_allowed"].values, dtype=bool)


def _chains(inputs: xr.Dataset) -> list[list[int]]:
    """Slot index lists of every chain, in order."""
    chain = np.asarray(inputs["chain"].values, dtype=int)
    order = np.asarray(inputs["order"].values, dtype=float)
    out = []
    for c in sorted(set(chain.tolist()) - {-1}):
        if c < 0:
            continue
        members = [s for s in range(len(chain)) if chain[s] == c]
        members.sort(key=lambda s: (order[s], s))
        out.append(members)
    return out


def _effective(inputs: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Chain-implied bounds, computed here independently (one chain at a time, per firm mask)."""
    lo = np.clip(np.asarray(inputs["floor"].values, dtype=float), 0, 1)
    hi = np.clip(np.asarray(inputs["ceiling"].values, dtype=float), 0, 1)
    m = np.flatnonzero(_chained_firms(inputs))
    chains = _chains(inputs)
    if len(m) and chains:
        sub_lo, sub_hi = lo[m], hi[m]  # the chained firms' rows, gathered once
        for members in chains:
            # running maximum of the floors along the chain, running minimum of the ceilings back
            sub_lo[:, members] = np.maximum.accumulate(sub_lo[:, members], axis=1)
            back = members[::-1]
            sub_hi[:, back] = np.minimum.accumulate(sub_hi[:, back], axis=1)
        lo[m], hi[m] = sub_lo, sub_hi
    return lo, np.maximum(hi, lo)


@dataclass
class _Ctx:
    """What every block check reads: the plan's shares and the inputs, as plain arrays."""

    inputs: xr.Dataset
    plan: Plan
    x: np.ndarray
    tol: float
    ent: _Names
    slots: list[str]
    pols: list[str]
    out: list[str]

    def first(self, mask, what):
        bad = np.argwhere(mask)
        e, s = bad[0]
        self.out.append(
            f"{what} violated for {len(bad)} enterprise-slot pair(s), e.g. {self.ent[e]} at {self.slots[s]}"
        )

    def arr(self, name) -> np.ndarray:
        return np.asarray(self.inputs[name].values, dtype=float)

    @property
    def menu(self) -> np.ndarray:
        """(E,) firms planned by a menu in this plan (none for a plan without menu choices)."""
        E = self.x.shape[0]
        if getattr(self.plan, "menu", None) is None or "menu_enterprise" not in self.inputs:
            return np.zeros(E, bool)
        mask = np.zeros(E, bool)
        mask[np.asarray(self.inputs["menu_enterprise"].values, dtype=int)] = True
        return mask


def check_bounds(c: _Ctx) -> None:
    """``Enterprise-Slot-curtailment`` (and the rewrite's bound rows): floor <= x <= ceiling.

    Whole lines where the bounds admit a whole number of lines (discrete mode).
    """
    floor, ceiling = c.arr("floor"), c.arr("ceiling")
    menu = c.menu[:, None]  # a menu firm's bounds are its options (check_menus)
    if (~menu & (c.x < floor - c.tol)).any():
        c.first(~menu & (c.x < floor - c.tol), "floor")
    if (~menu & (c.x > ceiling + c.tol)).any():
        c.first(~menu & (c.x > ceiling + c.tol), "ceiling")
    if _opt(c.plan, "discrete", False):
        S = c.x.shape[1]
        lines = c.arr("lines")[:, None] * np.ones((1, S))
        lo, hi = _effective(c.inputs)
        whole_possible = (np.ceil(lo * lines - 1e-7) <= np.floor(hi * lines + 1e-7)) & (hi > lo + 1e-9)
        whole_possible &= _whole_line_cells(c.inputs) & _zero_one_lines(c.inputs, lo)
        n = c.x * lines
        bad = whole_possible & ~menu & (np.abs(n - np.round(n)) > 1e-5)
        if bad.any():
            c.first(bad, "whole production lines")


def _whole_line_cells(inputs: xr.Dataset) -> np.ndarray | bool:
    """Cells whose measure stops whole lines (every cell when the inputs do not say)."""
    return np.asarray(inputs["whole_lines"].values, dtype=bool) if "whole_lines" in inputs else True


def _zero_one_lines(inputs: xr.Dataset, lo: np.ndarray) -> np.ndarray | bool:
    """A line of a firm is whole (0/1) only where its floor is 0; a whole firm's lines as before."""
    if "line_id" not in inputs:
        return True
    is_line = (np.asarray(inputs["line_id"].values).astype(str) != "")[:, None]
    return ~is_line | (lo <= 1e-9)


def _non_industrial(c: _Ctx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(activation (M, S), reduction (M, S, P), cost (M, S)) of the optional non-industrial measures."""
    inp = c.inputs
    S, P = c.x.shape[1], len(c.pols)
    if "ni_reduction" not in inp:
        return np.zeros((0, S)), np.zeros((0, S, P)), np.zeros((0, S))
    red = np.asarray(inp["ni_reduction"].transpose("measure", "slot", "pollutant").values, float)
    cost = np.asarray(inp["ni_cost"].transpose("measure", "slot").values, float)
    got = getattr(c.plan, "non_industrial", None)
    a = np.zeros(cost.shape) if got is None else np.asarray(got.transpose("measure", "slot").values, float)
    return a, red, cost


def check_non_industrial(c: _Ctx) -> None:
    """``NonIndustrial-Slot-activation``: activations in [0, 1], whole where the measure is on/off."""
    a, _, _ = _non_industrial(c)
    if ((a < -c.tol) | (a > 1 + c.tol)).any():
        c.out.append("a non-industrial measure's activation lies outside [0, 1]")
    if "ni_integer" in c.inputs and len(a):
        whole = np.asarray(c.inputs["ni_integer"].values, bool)[:, None] & (np.abs(a - np.round(a)) > 1e-6)
        if whole.any():
            c.out.append("an on/off non-industrial measure is chosen partly")


def check_chain(c: _Ctx) -> None:
    """``Enterprise-chain``: x never falls along a chain for the firms it binds."""
    m = _chained_firms(c.inputs)
    x = c.x
    for members in _chains(c.inputs):
        for a, b in itertools.pairwise(members):
            bad = m & (x[:, a] > x[:, b] + c.tol)
            if bad.any():
                e = int(np.flatnonzero(bad)[0])
                c.out.append(
                    f"chain monotonicity violated for {int(bad.sum())} enterprise(s) between "
                    f"{c.slots[a]} and {c.slots[b]}, e.g. {c.ent[e]}: {x[e, a]:.6g} > {x[e, b]:.6g}"
                )


def _removed_total(inputs: xr.Dataset, x: np.ndarray, skip: np.ndarray | None = None) -> np.ndarray:
    """t/d removed per slot and pollutant (S, P), recomputed here, summed over the rows not in ``skip``.

    ``floor_reduction + extra_reducible · (x − floor)`` with the offset variables, else
    ``reducible · x``; one matrix-vector product per slot, without the (E, S, P) array.
    """
    keep = np.ones(x.shape[0]) if skip is None else (~np.asarray(skip, bool)).astype(float)
    if "floor_reduction" in inputs and "extra_reducible" in inputs:
        fr = np.asarray(inputs["floor_reduction"].values, dtype=float)
        ex = np.asarray(inputs["extra_reducible"].values, dtype=float)
        w = (x - np.asarray(inputs["floor"].values, dtype=float)) * keep[:, None]
        return np.stack([keep @ fr[:, s, :] + w[:, s] @ ex[:, s, :] for s in range(x.shape[1])])
    red = np.asarray(inputs["reducible"].values, dtype=float)
    w = x * keep[:, None]
    return np.stack([w[:, s] @ red[:, s, :] for s in range(x.shape[1])])


class _Names:
    """Labels of the enterprises as text, converted only for the messages that name one."""

    def __init__(self, values: np.ndarray):
        self.values = values

    def __getitem__(self, i) -> str:
        return str(self.values[i])

    def __len__(self) -> int:
        return len(self.values)


def _owners(inputs: xr.Dataset) -> np.ndarray:
    """The firm of every row (the row itself without ``owner``)."""
    return np.asarray((inputs["owner"] if "owner" in inputs else inputs["enterprise"]).values).astype(str)


def check_targets(c: _Ctx) -> None:
    """``Slot-Pollutant-target`` and ``Slot-Pollutant-shortfall``.

    Achieved = credited + Σ removed (affine with the offset variables; menu firms remove their option's
    tonnes); a plan marked optimal meets every target; reported shortfall and achieved are the recomputed
    ones.
    """
    target, credited = c.arr("target"), c.arr("credited")
    achieved = credited + _removed_total(c.inputs, c.x, c.menu) + _menu_recomputed(c)[1]
    a, ni_red, _ = _non_industrial(c)
    achieved = achieved + (a[:, :, None] * ni_red).sum(axis=0)
    short_true = np.maximum(target - achieved, 0.0)
    scale = np.maximum(1.0, np.abs(target))
    plan, tol = c.plan, c.tol
    reported_short = np.asarray(plan.shortfall.values, dtype=float) if plan.shortfall is not None else None
    for s, p in zip(*np.nonzero(short_true > tol * scale), strict=True):
        gap = short_true[s, p]
        if plan.status == "optimal":
            c.out.append(f"target {c.slots[s]} {c.pols[p]} missed by {gap:.6g} t in a plan marked optimal")
        if (
            reported_short is None
            or not np.isfinite(reported_short[s, p])
            or abs(reported_short[s, p] - gap) > tol * scale[s, p] + 1e-9 * gap
        ):
            rep = None if reported_short is None else reported_short[s, p]
            c.out.append(f"target {c.slots[s]} {c.pols[p]}: shortfall {gap:.6g} t, reported {rep}")
    if reported_short is not None:
        ok = np.isfinite(reported_short)
        over = ok & (reported_short > short_true + tol * scale)
        if over.any():
            s, p = np.argwhere(over)[0]
            c.out.append(
                f"reported shortfall {c.slots[s]} {c.pols[p]} {reported_short[s, p]:.6g} t exceeds the "
                f"recomputed {short_true[s, p]:.6g} t"
            )
    if getattr(plan, "achieved", None) is not None:
        rep = np.asarray(plan.achieved.values, dtype=float)
        bad = np.abs(rep - achieved) > tol * np.maximum(1.0, np.abs(achieved))
        if bad.any():
            s, p = np.argwhere(bad)[0]
            c.out.append(
                f"reported reduction {c.slots[s]} {c.pols[p]} {rep[s, p]:.6g} t differs from the "
                f"recomputed {achieved[s, p]:.6g} t"
            )


def check_objective(c: _Ctx) -> None:
    """The reported objective is the output loss ``Σ loss·x + credited loss``.

    No penalty, no secondary terms such as ``Slot-max-share``.
    """
    a, _, ni_cost = _non_industrial(c)
    obj = float((c.arr("loss_at_full") * c.x).sum() + c.arr("credited_loss").sum() + (a * ni_cost).sum())
    o = c.plan.objective
    if not np.isfinite(o) or abs(o - obj) > c.tol * max(1.0, abs(obj)):
        c.out.append(f"objective {o!r} differs from the recomputed output loss {obj:.10g}")


def _firm_loss(c: _Ctx) -> tuple[np.ndarray, float, np.ndarray]:
    """Loss per firm (units summed by owner), the total, and the firm names."""
    unit_loss = (c.arr("loss_at_full") * c.x).sum(axis=1)
    names, inv = np.unique(_owners(c.inputs), return_inverse=True)
    firm_loss = np.bincount(inv.ravel(), weights=unit_loss, minlength=len(names))
    return firm_loss, float(firm_loss.sum()), names


def check_firm_cap(c: _Ctx) -> None:
    """``Enterprise-loss-cap``: no firm carries more than ``firm_loss_cap`` of the total loss."""
    cap = _opt(c.plan, "firm_loss_cap")
    if cap is None:
        return
    firm_loss, total, names = _firm_loss(c)
    bad = firm_loss > cap * total + c.tol * max(1.0, total)
    if bad.any():
        e = int(np.flatnonzero(bad)[0])
        c.out.append(
            f"firm loss cap {cap:g} violated by {int(bad.sum())} firm(s), e.g. {names[e]}: "
            f"{firm_loss[e]:.6g} of {total:.6g}"
        )


def check_county_cap(c: _Ctx) -> None:
    """``County-loss-cap``: no county carries more than ``county_loss_cap`` of the total loss."""
    cap = _opt(c.plan, "county_loss_cap")
    if cap is None:
        return
    unit_loss = (c.arr("loss_at_full") * c.x).sum(axis=1)
    total = float(unit_loss.sum())
    county = np.asarray(c.inputs["county"].values).astype(str)
    for k in np.unique(county):
        cl = unit_loss[county == k].sum()
        if cl > cap * total + c.tol * max(1.0, total):
            c.out.append(f"county loss cap {cap:g} violated by {k}: {cl:.6g} of {total:.6g}")


def check_loss_caps(c: _Ctx) -> None:
    """``Total-loss`` / ``Loss-total``: the caps are measured against the recomputed total."""
    check_firm_cap(c)
    check_county_cap(c)


def check_grades(c: _Ctx) -> None:
    """``Grade-threshold``, ``Grade-below``, ``Grade-above``: worse grade ≥ better grade."""
    if not _opt(c.plan, "grade_monotonicity", False):
        return
    owners = _owners(c.inputs)
    if len(set(owners.tolist())) == len(owners):
        c.out.extend(_check_grades(c.inputs, c.x, c.tol, c.ent, c.slots, exclude=c.menu))
        return
    # units: a firm's share is the output-share-weighted sum of its units' (recomputed here)
    names, first, inv = np.unique(owners, return_index=True, return_inverse=True)
    inv = inv.ravel()
    w = (
        np.asarray(c.inputs["output_share"].values, float)
        if "output_share" in c.inputs
        else np.ones(len(owners))
    )
    lo, hi = _effective(c.inputs)
    if c.menu.any():  # menu firms take no part (they choose options)
        lo, hi = np.where(c.menu[:, None], 0.0, lo), np.where(c.menu[:, None], 0.0, hi)

    def agg(a):
        return np.stack(
            [np.bincount(inv, weights=w * a[:, s], minlength=len(names)) for s in range(a.shape[1])], 1
        )

    c.out.extend(
        _check_grades_arrays(
            agg(lo),
            agg(hi),
            np.asarray(c.inputs["industry"].values).astype(str)[first],
            np.asarray(c.inputs["grade_rank"].values, dtype=int)[first],
            agg(c.x),
            c.tol,
            list(names),
            c.slots,
        )
    )


def check_reasons(c: _Ctx) -> None:
    """Reasons: "exempt", "self_directed" or "optimizer" exactly where they apply.

    "exempt" (or "self_directed" for A/A+/引领性 firms) exactly where the ceiling is 0, "optimizer" wherever the
    cut is above the (chain-carried, whole-line-rounded) floor.
    """
    reason = getattr(c.plan, "reason", None)
    if reason is None:
        return
    r = np.asarray(reason.transpose("enterprise", "slot").values)
    if r.dtype.kind != "U":  # texts compare as they are; anything else is read as text
        r = r.astype(str)
    exempt = c.arr("ceiling") <= 1e-9
    E = c.x.shape[0]
    inp = c.inputs
    sd = (np.asarray(inp["self_directed"].values, bool) if "self_directed" in inp else np.zeros(E, bool))[
        :, None
    ]
    want = np.where(sd, "self_directed", "exempt")
    menu = c.menu[:, None]
    if (menu & (r != "menu")).any():
        c.first(menu & (r != "menu"), "reason 'menu' (a menu firm)")
    exempt = exempt & ~menu
    if (exempt & (r != want)).any():
        c.first(exempt & (r != want), "reason 'exempt' / 'self_directed' (ceiling 0)")
    lo_eff, hi_eff = _effective(c.inputs)
    lo_eff = _with_line_stops(c.inputs, lo_eff, hi_eff)
    if _opt(c.plan, "discrete", False):  # the floor rounded up to whole lines is still the floor
        ln = c.arr("lines")[:, None]
        up, down = np.ceil(lo_eff * ln - 1e-7), np.floor(hi_eff * ln + 1e-7)
        whole = (
            (up <= down)
            & (hi_eff > lo_eff + 1e-9)
            & _whole_line_cells(c.inputs)
            & _zero_one_lines(c.inputs, lo_eff)
        )
        lo_eff = np.where(whole, up / ln, lo_eff)
    above = ~exempt & ~menu & (c.x > lo_eff + 1e-5)
    if (above & (r != "optimizer")).any():
        c.first(above & (r != "optimizer"), "reason 'optimizer' (cut above the floor)")


def check_region_targets(c: _Ctx) -> None:
    """``Region-Pollutant-target`` and ``Region-Pollutant-shortfall``.

    Every regional row the bounds can reach is met (recomputed from the shares: credited + Σ reducible·x +
    non-industrial over the row's slots); an unreachable row may fall short (the plan is then not optimal).
    """
    req, member, names = B.region_rows(c.inputs)
    if not len(names):
        return
    credited = c.arr("credited")
    a, ni_red, _ = _non_industrial(c)
    removed = _removed_total(c.inputs, c.x, c.menu) + _menu_recomputed(c)[1]
    achieved_sp = credited + removed + (a[:, :, None] * ni_red).sum(axis=0)
    _, hi = _effective(c.inputs)
    reach_sp = credited + _removed_total(c.inputs, hi) + ni_red.sum(axis=0)
    mem = member.astype(float)
    achieved, reach = mem @ achieved_sp, mem @ reach_sp
    scale = np.maximum(1.0, np.abs(req))
    for r, p in zip(*np.nonzero((req > 0) & (achieved < req - c.tol * scale)), strict=True):
        if reach[r, p] >= req[r, p] - c.tol * scale[r, p]:
            c.out.append(
                f"regional target {names[r]} {c.pols[p]} missed by {req[r, p] - achieved[r, p]:.6g} t "
                "although the bounds reach it"
            )


def _menu_recomputed(c: _Ctx) -> tuple[np.ndarray, np.ndarray]:
    """(curtailment (E, S) of the menu firms, tonnes (S, P)) recomputed from the plan's choices."""
    E, S = c.x.shape
    P = len(c.pols)
    if not c.menu.any():
        return np.zeros((E, S)), np.zeros((S, P))
    inp = c.inputs
    menu = c.plan.menu
    assert menu is not None  # only called with menu firms, which c.menu finds in plan.menu
    z = np.asarray(menu["choice"].transpose("menu_option", "slot").values, float)
    y = np.asarray(menu["load_cut"].transpose("menu_option", "slot").values, float)
    firm = np.asarray(inp["menu_enterprise"].values, int)
    out = np.asarray(inp["menu_output"].values, float)
    red = np.asarray(inp["menu_reduction"].transpose("menu_option", "pollutant").values, float)
    lred = np.asarray(inp["menu_load_reduction"].transpose("menu_option", "pollutant").values, float)
    curt = np.zeros((E, S))
    tonnes = np.zeros((E, S, P))
    for o in range(len(firm)):  # options are few (a menu per plant-by-plant firm)
        curt[firm[o]] += z[o] * out[o] + y[o]
        tonnes[firm[o]] += z[o][:, None] * red[o][None, :] + y[o][:, None] * lred[o][None, :]
    return curt, tonnes.sum(axis=0)


def _menu_firm_tonnes(c: _Ctx) -> np.ndarray:
    """(E, S, P) tonnes of each menu firm, recomputed."""
    E, S = c.x.shape
    inp = c.inputs
    menu = c.plan.menu
    assert menu is not None  # only called with menu firms, which c.menu finds in plan.menu
    z = np.asarray(menu["choice"].transpose("menu_option", "slot").values, float)
    y = np.asarray(menu["load_cut"].transpose("menu_option", "slot").values, float)
    firm = np.asarray(inp["menu_enterprise"].values, int)
    red = np.asarray(inp["menu_reduction"].transpose("menu_option", "pollutant").values, float)
    lred = np.asarray(inp["menu_load_reduction"].transpose("menu_option", "pollutant").values, float)
    tonnes = np.zeros((E, S, red.shape[1]))
    for o in range(len(firm)):
        tonnes[firm[o]] += z[o][:, None] * red[o][None, :] + y[o][:, None] * lred[o][None, :]
    return tonnes


def _menu_pairs(inputs: xr.Dataset, chained: bool) -> list[tuple[int, int]]:
    """Slot pairs (a, b) a menu firm must not fall along, recomputed from the chains and levels.

    Chained firms (list mode; episode firms that may not toggle): consecutive slots of a chain.
    Episode firms that may toggle: any two slots of one chain whose levels differ (higher ≥ lower).
    """
    rank = {"yellow": 0, "orange": 1, "red": 2}
    levels = [rank.get(str(v), -1) for v in inputs["level"].values]
    out: list[tuple[int, int]] = []
    for members in _chains(inputs):
        if chained:
            out.extend(itertools.pairwise(members))
        else:
            out.extend((a, b) for a in members for b in members if levels[a] < levels[b])
    return out


def check_menus(c: _Ctx) -> None:
    """Menu blocks (``Option-Slot-choice`` …).

    Exactly one allowed option per menu firm and slot, load cuts within their bounds and only on the chosen
    option, the firm's curtailment = output share + load cut, monotone along its slot pairs (curtailment and
    the tonnes of every pollutant; recomputed here), and the plan's menu choice present.
    """
    if not c.menu.any():
        if set(getattr(c.plan, "blocks", None) or []) & set(MN.MENU_BLOCKS):
            c.out.append("the model has menu blocks but the plan carries no menu choice")
        return
    inp = c.inputs
    menu = c.plan.menu
    assert menu is not None  # only called with menu firms, which c.menu finds in plan.menu
    z = np.asarray(menu["choice"].transpose("menu_option", "slot").values, float)
    y = np.asarray(menu["load_cut"].transpose("menu_option", "slot").values, float)
    firm = np.asarray(inp["menu_enterprise"].values, int)
    ids = [str(v) for v in inp["menu_option_id"].values]
    allowed = np.asarray(inp["menu_allowed"].transpose("menu_option", "slot").values, bool)
    lmax = np.asarray(inp["menu_load_max"].values, float)
    if (np.abs(z - np.round(z)) > 1e-6).any():
        c.out.append("a menu option is chosen partly (choices must be 0 or 1)")
    if ((z > 0.5) & ~allowed).any():
        o, s = np.argwhere((z > 0.5) & ~allowed)[0]
        c.out.append(f"{c.ent[firm[o]]} at {c.slots[s]}: option {ids[o]!r} is not on the menu of that level")
    for f in np.unique(firm):
        n = z[firm == f].sum(axis=0)
        if (np.abs(n - 1) > 1e-6).any():
            s = int(np.flatnonzero(np.abs(n - 1) > 1e-6)[0])
            c.out.append(f"{c.ent[f]} at {c.slots[s]}: {n[s]:g} menu options chosen, expected exactly one")
    if ((y < -c.tol) | (y > lmax[:, None] * z + c.tol)).any():
        o, s = np.argwhere((y < -c.tol) | (y > lmax[:, None] * z + c.tol))[0]
        c.out.append(
            f"{c.ent[firm[o]]} at {c.slots[s]}: load cut {y[o, s]:.6g} outside [0, {lmax[o]:g}] of the chosen option"
        )
    curt, _ = _menu_recomputed(c)
    mf = c.menu
    bad = mf[:, None] & (np.abs(curt - c.x) > c.tol)
    if bad.any():
        c.first(bad, "menu curtailment (output share + load cut)")
    tonnes = _menu_firm_tonnes(c)
    chained = _chained_firms(c.inputs)
    values = np.concatenate([curt[:, :, None], tonnes], axis=2)  # (E, S, 1 + P)
    for is_chained in (True, False):
        firms = np.flatnonzero(mf & (chained == is_chained))
        if not len(firms):
            continue
        for a, b in _menu_pairs(c.inputs, is_chained):
            drop = values[firms, a, :] > values[firms, b, :] + c.tol * np.maximum(1.0, values[firms, a, :])
            if drop.any():
                i, k = np.argwhere(drop)[0]
                what = ["curtailment", *c.pols][k]
                c.out.append(
                    f"menu monotonicity violated for {c.ent[firms[i]]}: {what} at {c.slots[b]} below "
                    f"{c.slots[a]}"
                )


def _stop_rows(inputs: xr.Dataset) -> list[tuple[str, int, np.ndarray, float]]:
    """(label, slot, member units, count) of every line-stop row, recomputed from ``line_group``."""
    if "line_group" not in inputs or "group_count" not in inputs:
        return []
    g = np.asarray(inputs["line_group"].transpose("enterprise", "slot").values, dtype=int)
    count = np.asarray(inputs["group_count"].values, dtype=float)
    out: list = []
    for s in range(g.shape[1]):
        rows = np.flatnonzero(g[:, s] != -1)
        if not len(rows):
            continue
        rows = rows[np.argsort(g[rows, s], kind="stable")]  # by group, units ascending within one
        keys = g[rows, s]
        cut = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        for members in np.split(rows, cut):
            k = int(g[members[0], s])
            out.append((f"group {k}", s, members, float(count[k])))
    return out


def _with_line_stops(inputs: xr.Dataset, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The rule floor with each line stop's lines of least loss stopped (the rule's cheapest lines)."""
    rows = _stop_rows(inputs)
    if not rows:
        return lo
    lo = lo.copy()
    loss = np.asarray(inputs["loss_at_full"].values, dtype=float)
    c = np.clip(np.asarray(inputs["floor"].values, dtype=float), 0, 1)
    # every row's members ranked by (loss beyond the floor, unit) in one sort; its first `count` stop
    row = np.concatenate([np.full(len(m), i) for i, (_, _, m, _) in enumerate(rows)])
    unit = np.concatenate([m for _, _, m, _ in rows])
    slot = np.concatenate([np.full(len(m), s) for _, s, m, _ in rows])
    need = np.ceil(np.array([count for *_, count in rows]) - 1e-9)
    order = np.lexsort((unit, loss[unit, slot] * (1 - c[unit, slot]), row))
    row, unit, slot = row[order], unit[order], slot[order]
    first = np.r_[0, np.flatnonzero(row[1:] != row[:-1]) + 1]
    rank = np.arange(len(row)) - np.repeat(first, np.diff(np.r_[first, len(row)]))
    take = rank < need[row]
    u, s = unit[take], slot[take]
    lo[u, s] = np.maximum(lo[u, s], hi[u, s])
    m = _chained_firms(inputs)
    for members in _chains(inputs):
        run = np.zeros(m.sum())
        for s in members:
            run = np.maximum(run, lo[m, s])
            lo[m, s] = np.minimum(run, hi[m, s])
    return lo


def check_line_stops(c: _Ctx) -> None:
    """``LineGroup-Slot-stops``: at least ``count`` whole lines of every line-stop group stop."""
    floor = np.clip(c.arr("floor"), 0, 1)
    for label, s, members, count in _stop_rows(c.inputs):
        f = floor[members, s]
        # a line counts 1 when stopped, 0 at its own floor (other items on it), in between linearly
        stopped = f >= 1 - 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(stopped, 1.0, (c.x[members, s] - f) / np.where(stopped, 1.0, 1 - f))
        got = float(sum(share.tolist()))  # summed in member order, as a plain sum
        if got < count - c.tol * max(1.0, count):
            c.out.append(
                f"line stop {label} at {c.slots[s]}: {got:.6g} lines stopped, the rule asks {count:g}"
            )


def check_restarts(c: _Ctx) -> None:
    """``Enterprise-Slot-stop``, ``-stop-start``, ``-min-down``: recomputed from the plan's shares alone.

    A line stopped on day k with ``min_down_days`` D is still stopped on days k+1 … k+D−1 of its run (where
    that day's ceiling allows), and the reported restart cost is Σ restart cost × lines × share newly stopped.
    """
    inp = c.inputs
    if not all(v in inp for v in ("min_down_days", "restart_cost", "day")):
        return
    chain = np.asarray(inp["chain"].values, dtype=int)
    day = np.asarray(inp["day"].values, dtype=int)
    S = len(day)
    prev = [-1] * S
    for t in range(S):
        for k in range(S):
            if chain[t] >= 0 and chain[k] == chain[t] and day[k] == day[t] - 1:
                prev[t] = k
    x = c.x
    newly = np.zeros_like(x)
    for s in range(S):
        before = x[:, prev[s]] if prev[s] >= 0 else 0.0
        newly[:, s] = np.maximum(x[:, s] - before, 0.0) if chain[s] >= 0 else 0.0
    down = np.asarray(inp["min_down_days"].values, dtype=float)
    cap = np.clip(c.arr("ceiling"), 0, 1)
    for t in range(S):
        # walk back along the run from t, summing the stops still within their down time
        need = np.zeros(x.shape[0])
        k, j = prev[t], 1
        lowest = cap[:, t].copy()  # lowest ceiling of the days after k up to t
        while k >= 0:
            holds = (down[:, k] > j + 1e-9) & (lowest >= cap[:, k] - 1e-9)
            need += np.where(holds, newly[:, k], 0.0)
            lowest = np.minimum(lowest, cap[:, k])
            k, j = prev[k], j + 1
        bad = x[:, t] < need - c.tol
        if bad.any():
            e = int(np.flatnonzero(bad)[0])
            c.out.append(
                f"minimum down time violated for {int(bad.sum())} enterprise(s) on {c.slots[t]}, "
                f"e.g. {c.ent[e]}: {x[e, t]:.6g} < {need[e]:.6g} stopped within its minimum down time"
            )
    per_line = np.asarray(inp["restart_cost"].values, dtype=float) * c.arr("lines")[:, None]
    cost = float((np.where(newly > 1e-9, newly, 0.0) * per_line).sum())
    rep = float(getattr(c.plan, "restart_cost", 0.0) or 0.0)
    if abs(rep - cost) > c.tol * max(1.0, cost) + 1e-6:
        c.out.append(f"restart cost reported as {rep:.6g} 万元, recomputed {cost:.6g}")


def check_chance(c: _Ctx) -> None:
    """Ensemble chance blocks (:mod:`planner.optimize.chance`).

    On every slot the plan meets at least ``min(chance_required, members the bounds can meet)`` members, each
    member's targets (``member_target``) met for every pollutant; recomputed from the plan's shares.
    """
    inp = c.inputs
    if "member_target" not in inp or "chance_required" not in inp:
        c.out.append("chance blocks in the model but no member_target/chance_required in the inputs")
        return
    mt = np.asarray(inp["member_target"].transpose("slot", "member", "pollutant").values, float)
    credited = c.arr("credited")
    a, ni_red, _ = _non_industrial(c)
    achieved = (
        credited
        + _removed_total(inp, c.x, c.menu)
        + _menu_recomputed(c)[1]
        + (a[:, :, None] * ni_red).sum(axis=0)
    )
    lo, hi = _effective(inp)
    if _opt(c.plan, "discrete", False):  # whole lines: the largest share is the ceiling rounded down
        ln = c.arr("lines")[:, None] * np.ones((1, hi.shape[1]))
        down, up = np.floor(hi * ln + 1e-7), np.ceil(lo * ln - 1e-7)
        whole = (up <= down) & (hi > lo + 1e-9) & _whole_line_cells(inp)
        hi = np.where(whole, down / np.where(ln > 0, ln, 1.0), hi)
    most = credited + _removed_total(inp, hi, c.menu) + ni_red.sum(axis=0) + MN.menu_reach(inp)
    slack = c.tol * np.maximum(1.0, mt)
    met = (achieved[:, None, :] >= mt - slack).all(axis=2).sum(axis=1)
    can = (most[:, None, :] >= mt - slack).all(axis=2).sum(axis=1)
    need = np.minimum(np.asarray(inp["chance_required"].values, int), can)
    for s in np.flatnonzero(met < need):
        c.out.append(
            f"ensemble chance: slot {c.slots[s]} meets {int(met[s])} members' targets, "
            f"{int(need[s])} required"
        )


def check_air_goal(c: _Ctx) -> None:
    """``Slot-Receptor-pm25-goal`` / ``-shortfall``.

    ΔPM2.5 recomputed here from ``aq_coef``, ``aq_ni_coef``, ``aq_day`` and ``aq_credited`` (lag by lag); a
    plan marked optimal meets the goal on every alert day and receptor; the reported achieved ΔPM2.5 is the
    recomputed one.
    """
    inp = c.inputs
    if "aq_goal" not in inp:
        return
    A = np.asarray(inp["aq_coef"].transpose("aq_receptor", "lag", "enterprise", "slot").values, float)
    day = np.asarray(inp["aq_day"].transpose("lag", "slot").values, int)
    goal = np.asarray(inp["aq_goal"].transpose("aq_receptor", "slot").values, float)
    got = np.asarray(inp["aq_credited"].transpose("aq_receptor", "slot").values, float).copy()
    a, _, _ = _non_industrial(c)
    N = (
        np.asarray(inp["aq_ni_coef"].transpose("aq_receptor", "lag", "measure", "slot").values, float)
        if "aq_ni_coef" in inp and len(a)
        else None
    )
    _R, L, _, S = A.shape
    for lag in range(L):
        for s in range(S):
            t = day[lag, s]
            if t < 0:
                continue
            got[:, t] += A[:, lag, :, s] @ c.x[:, s]
            if N is not None:
                got[:, t] += N[:, lag, :, s] @ a[:, s]
    rec = [str(r) for r in inp["aq_receptor"].values]
    scale = np.maximum(1.0, np.abs(goal))
    miss = goal - got > c.tol * scale
    if c.plan.status == "optimal" and miss.any():
        r, s = np.argwhere(miss)[0]
        c.out.append(
            f"PM2.5 goal {c.slots[s]} at {rec[r]} missed by {goal[r, s] - got[r, s]:.6g} µg/m³ in a plan "
            "marked optimal"
        )
    rep = getattr(c.plan, "air_goal", None)
    if rep is not None:
        achieved = np.asarray(rep["achieved"].transpose("aq_receptor", "slot").values, float)
        bad = np.abs(achieved - got) > c.tol * np.maximum(1.0, np.abs(got))
        if bad.any():
            r, s = np.argwhere(bad)[0]
            c.out.append(
                f"reported ΔPM2.5 {c.slots[s]} at {rec[r]} {achieved[r, s]:.6g} µg/m³ differs from the "
                f"recomputed {got[r, s]:.6g}"
            )


#: The check of every model block (:mod:`planner.optimize.blocks`), by block name.  A test
#: makes sure each block the model can contain has one.
CHECKS = {
    B.CURTAILMENT: check_bounds,
    B.BOUND_ROWS: check_bounds,
    B.SHORTFALL: check_targets,
    B.TARGET: check_targets,
    B.CHAIN: check_chain,
    B.GRADE_T: check_grades,
    B.GRADE_BELOW: check_grades,
    B.GRADE_ABOVE: check_grades,
    B.TOTAL_LOSS: check_loss_caps,
    B.LOSS_TOTAL: check_loss_caps,
    B.COUNTY_CAP: check_county_cap,
    B.FIRM_CAP: check_firm_cap,
    B.MAX_SHARE: check_objective,
    B.NON_INDUSTRIAL: check_non_industrial,
    B.EQUITY: check_objective,
    B.REGION_TARGET: check_region_targets,
    B.REGION_SHORTFALL: check_region_targets,
    **{name: check_menus for name in MN.MENU_BLOCKS},
    B.LINE_STOPS: check_line_stops,
    B.STOP: check_restarts,
    B.STOP_START: check_restarts,
    B.MIN_DOWN: check_restarts,
    **{name: check_chance for name in BLOCKS},
    B.AIR_GOAL: check_air_goal,
    B.AIR_SHORTFALL: check_air_goal,
}
#: Checks run for every plan, whatever its blocks (a baseline's plan has none).
ALWAYS = (
    check_bounds,
    check_chain,
    check_targets,
    check_objective,
    check_loss_caps,
    check_grades,
    check_reasons,
    check_menus,
    check_line_stops,
)


def verify_plan(inputs: xr.Dataset, plan, tol: float = 1e-6) -> list[str]:
    """Check a plan against its inputs, block by block; return what is wrong.

    Every block of the plan's model (``plan.blocks``) has a check in :data:`CHECKS`; the checks
    in :data:`ALWAYS` (bounds, chains, targets, objective, loss caps, grades, reasons) also run
    for plans that did not come from the model (baselines).  An unknown block is itself a
    violation, so a new block cannot pass unverified.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs.
    plan : planner.optimize.result.Plan
        Uses ``curtailment``, ``status``, ``objective``, ``shortfall``, ``achieved``,
        ``options`` (grade monotonicity, loss caps, discrete lines) and ``blocks``.
    tol : float
        Tolerance on shares; tonnes and losses are checked relative to ``max(1, |value|)``.

    Returns
    -------
    list of str
        One sentence per violated check (empty when the plan passes).
    """
    ent = _Names(inputs["enterprise"].values)
    slots = [str(s) for s in inputs["slot"].values]
    pols = [str(p) for p in inputs["pollutant"].values]
    x = np.asarray(plan.curtailment.transpose("enterprise", "slot").values, dtype=float)
    E, S = len(ent), len(slots)
    if x.shape != (E, S):
        return [f"curtailment has shape {x.shape}, expected {(E, S)}"]
    if np.isnan(x).any():
        return [f"curtailment has {int(np.isnan(x).sum())} missing value(s)"]
    c = _Ctx(inputs, plan, x, tol, ent, slots, pols, [])
    checks = list(ALWAYS)
    for name in getattr(plan, "blocks", None) or []:
        check = CHECKS.get(name)
        if check is None:
            c.out.append(f"model block {name!r} has no check in the verifier")
        elif check not in checks:
            checks.append(check)
    for check in checks:
        check(c)
    return c.out


def _check_grades(inputs: xr.Dataset, x: np.ndarray, tol: float, ent, slots, exclude=None) -> list[str]:
    """Worse grade ≥ better grade inside each industry and slot, among participating firms.

    Participation (same rule as documented in the model, recomputed here): ceiling > 0 and
    ceiling ≥ the largest floor of participating firms of strictly better grade (ranks taken
    from best to worst), on chain-implied bounds.
    """
    lo, hi = _effective(inputs)
    if exclude is not None and exclude.any():  # menu firms take no part (they choose options)
        lo, hi = lo.copy(), hi.copy()
        lo[exclude] = 0.0
        hi[exclude] = 0.0
    industry = np.asarray(inputs["industry"].values).astype(str)
    rank = np.asarray(inputs["grade_rank"].values, dtype=int)
    return _check_grades_arrays(lo, hi, industry, rank, x, tol, ent, slots)


def _check_grades_arrays(lo, hi, industry, rank, x, tol, ent, slots) -> list[str]:
    out = []
    for ind in np.unique(industry):
        members = np.flatnonzero(industry == ind)
        ranks = sorted(set(rank[members].tolist()))
        for s in range(len(slots)):
            best_floor = -np.inf
            best_share = -np.inf
            best_firm = None
            for r in ranks:
                g = members[rank[members] == r]
                part = g[(hi[g, s] > 1e-9) & (hi[g, s] >= best_floor - 1e-9)]
                if len(part) == 0:
                    continue
                low = x[part, s].min()
                if low < best_share - tol:
                    e = int(part[np.argmin(x[part, s])])
                    out.append(
                        f"grade monotonicity violated in {ind} at {slots[s]}: {ent[e]} (rank {r}) "
                        f"cut {low:.6g} < {best_share:.6g} of better-grade {ent[best_firm]}"
                    )
                top = int(part[np.argmax(x[part, s])])
                if x[top, s] > best_share:
                    best_share, best_firm = x[top, s], top
                best_floor = max(best_floor, lo[part, s].max())
    return out


def _menu_rows(schedule, is_menu, menus, emissions, x, levels, tol, problems) -> np.ndarray:
    """Tonnes of the menu rows recomputed from the menus file; problems for rows it does not support."""
    from planner import ALERT_LEVELS, POLLUTANTS
    from planner.policy.menus import load_cut_factor

    rows = np.flatnonzero(is_menu)
    out = np.zeros((len(rows), len(POLLUTANTS)))
    eids = schedule["enterprise_id"].astype(str).to_numpy()
    opts = schedule["menu_option"].astype(str).to_numpy() if "menu_option" in schedule else None
    bad = []
    for k, i in enumerate(rows):  # a menu row per menu firm and slot (a few dozen firms)
        menu = menus.firms.get(eids[i])
        oid = None if opts is None else opts[i]
        idx = None if menu is None else next((j for j, o in enumerate(menu.options) if o.id == oid), None)
        if idx is None:
            bad.append(f"{eids[i]}: option {oid!r} is not on its menu")
            continue
        lv = ALERT_LEVELS.index(levels[i]) if levels[i] in ALERT_LEVELS else 0
        if not any(idx in menu.levels[h] for h in ALERT_LEVELS[lv:]):
            bad.append(f"{eids[i]}: option {oid!r} is not on its menu at {levels[i]} or above")
        opt = menu.options[idx]
        y = x[i] - opt.output_share
        if y < -tol or y > min(menu.extra_load_cut, 1 - opt.output_share) + tol:
            bad.append(f"{eids[i]}: curtailment {x[i]:.6g} is not option {oid!r} plus an allowed load cut")
        y = max(y, 0.0)
        out[k] = emissions[i] * (np.asarray(opt.removal, float) + y * load_cut_factor(opt))
    if bad:
        problems.append(f"{len(bad)} menu rows are not supported by the menus file, e.g. {bad[0]}")
    return out


def verify_schedule(
    schedule,
    table,
    bounds: xr.Dataset,
    summary: dict,
    shares: xr.DataArray,
    city_totals: dict,
    tol: float = 1e-6,
    menus=None,
    lines=None,
    units: xr.Dataset | None = None,
    unit_table=None,
) -> list[str]:
    """Check a written plan against the inventory and the rules, bypassing the PlanInputs.

    Everything is recomputed from the sources a bureau would check by hand: each row's tonnes from
    the inventory's daily emissions × the measure's reduction factor at the row's level; bounds
    from the evaluated measures; targets from the shares × city-wide totals ÷ 365; and each slot's
    achieved reduction from the schedule rows plus the credited non-industrial measures.

    Parameters
    ----------
    schedule : DataFrame
        ``schedule.csv`` as a frame (enterprise_id, slot, level, curtailment, reduction_<P>, …).
    table : DataFrame
        The inventory table (after the scenario's overrides), indexed by enterprise id.
    bounds : Dataset
        The evaluated measures (floor, ceiling, factor per enterprise × level), after overrides.
    summary : dict
        The plan's summary (slots with credited, achieved and shortfall).
    shares : DataArray
        Required shares (level, pollutant).
    city_totals : dict
        City-wide totals in t/a per pollutant.
    menus : planner.policy.menus.Menus, optional
        The scenario's menus: rows with reason ``menu`` are checked against them instead of the
        rule bounds (the option named in ``menu_option`` is on the firm's menu at the row's level
        or a higher one, the load cut ``curtailment − output share`` within its bound, the tonnes
        recomputed from the option's shares × the inventory's emissions).
    lines, units, unit_table : optional
        ``schedule_lines.csv`` as a frame, :func:`planner.policy.measures.evaluate_units` and
        :func:`planner.inventory.lines.units_table`: a firm with lines is checked line by line
        (bounds, line stops, tonnes from the inventory × the line's pollutant shares × its own
        ``effect_share`` in episode plans) and its ``schedule.csv`` row against the sum of its
        lines (the firm row's ``effect_share`` is not applied again).

    Returns
    -------
    list of str
        Plain sentences, empty when the plan passes.
    """
    from planner import POLLUTANTS

    problems: list[str] = []
    if len(schedule) and schedule["curtailment"].isna().all():
        # no solver values (e.g. whole lines and time_limit 0, issue 14): nothing to re-check;
        # the plan's status (time_limit / error) already says it is not usable
        return problems
    e_codes, e_ids = factorize_texts(schedule["enterprise_id"])
    levels = schedule["level"].astype(str).to_numpy()
    x = schedule["curtailment"].to_numpy(dtype=float)
    e_idx = lookup(table.index.astype(str), e_codes, e_ids)
    if (e_idx < 0).any():
        problems.append(f"{int((e_idx < 0).sum())} schedule rows name enterprises not in the inventory")
        return problems
    b_e = lookup(bounds.get_index("enterprise").astype(str), e_codes, e_ids)
    b_l = bounds.get_index("level").get_indexer(levels)
    floor = bounds["floor"].to_numpy()[b_e, b_l]
    ceiling = bounds["ceiling"].to_numpy()[b_e, b_l]
    is_menu = (
        schedule["reason"].astype(str).to_numpy() == "menu"
        if "reason" in schedule
        else np.zeros(len(x), bool)
    )
    if is_menu.any() and menus is None:
        problems.append(
            f"{int(is_menu.sum())} rows are planned by a menu, but no menus file is given to check them"
        )
        return problems
    ffac_name = "floor_factor" if "floor_factor" in bounds else "factor"
    ffac = bounds[ffac_name].transpose("enterprise", "level", "pollutant").to_numpy()[b_e, b_l, :]
    efac = (
        bounds["extra_factor"].transpose("enterprise", "level", "pollutant").to_numpy()[b_e, b_l, :]
        if "extra_factor" in bounds
        else ffac
    )
    emissions = table[list(POLLUTANTS)].to_numpy(dtype=float)[e_idx]
    # the floor measures at their own factors, a cut above the floor as a load cut
    recomputed = emissions * (floor[:, None] * ffac + (x - floor)[:, None] * efac)
    if is_menu.any():
        recomputed[is_menu] = _menu_rows(schedule, is_menu, menus, emissions, x, levels, tol, problems)
    lined = np.zeros(len(x), dtype=bool)
    if lines is not None and units is not None and unit_table is not None and len(lines):
        lined, from_lines = _verify_lines(schedule, lines, table, units, unit_table, tol, problems)
        lined = lined & ~is_menu
        recomputed = np.where(lined[:, None], from_lines, recomputed)
    if "effect_share" in schedule:  # response delay: the share of the day the measure is in force
        # (a firm with lines: each line's own share, applied in _verify_lines; its row is their sum)
        eff = schedule["effect_share"].to_numpy(dtype=float)
        recomputed = np.where((is_menu | lined)[:, None], recomputed, recomputed * eff[:, None])
    free = ~lined & ~is_menu  # rows checked against the firm's rule bounds
    if (x[free] < floor[free] - tol).any():
        problems.append(f"{int((x[free] < floor[free] - tol).sum())} rows cut less than the rule floor")
    if (x[free] > ceiling[free] + tol).any():
        problems.append(f"{int((x[free] > ceiling[free] + tol).sum())} rows cut more than the ceiling")
    for j, p in enumerate(POLLUTANTS):
        written = schedule[f"reduction_{p}"].to_numpy(dtype=float)
        bad = ~np.isclose(written, recomputed[:, j], rtol=1e-7, atol=1e-9)
        if bad.any():
            problems.append(f"{int(bad.sum())} rows give {p} reductions that the inventory does not support")
    slots = schedule["slot"].astype(str).to_numpy()
    for s in summary["slots"]:
        rows = slots == s["slot"]
        level = s["level"]
        for j, p in enumerate(POLLUTANTS):
            target = float(shares.sel(level=level, pollutant=p)) * float(city_totals[p]) / 365.0
            chosen = float((s.get("non_industrial_chosen") or {}).get(p) or 0.0)  # optimizer-chosen measures
            got = recomputed[rows, j].sum() + float(s["credited"][p]) + chosen
            short = float(s["shortfall"][p] or 0.0)
            if got + short < target - max(tol, 1e-7 * target):
                problems.append(
                    f"slot {s['slot']}: {p} reductions {got:.4f} t/d (+ declared shortfall {short:.4f}) "
                    f"fall below the target {target:.4f} t/d"
                )
            reported = s["achieved"][p]
            if reported is None:
                problems.append(
                    f"slot {s['slot']}: {p} achieved is not reported (the schedule gives {got:.4f} t/d)"
                )
            elif not np.isclose(got, float(reported), rtol=1e-6, atol=1e-7):
                problems.append(
                    f"slot {s['slot']}: {p} achieved is reported as {reported:.4f} t/d "
                    f"but the schedule gives {got:.4f}"
                )
    if summary.get("mode") == "list":
        wide = schedule.pivot(index="enterprise_id", columns="level", values="curtailment")
        for lo, hi in (("yellow", "orange"), ("orange", "red")):
            if lo in wide and hi in wide and (wide[lo] > wide[hi] + tol).any():
                problems.append(
                    f"{int((wide[lo] > wide[hi] + tol).sum())} enterprises cut less at {hi} than at {lo}"
                )
    return problems


def _line_effect(lines, schedule) -> np.ndarray:
    """Each ``schedule_lines`` row's share of the day its measure is in force (response delay).

    Its own ``effect_share``, else its firm row's (a firm's lines share its timing), else 1.
    """
    if "effect_share" in lines:
        return lines["effect_share"].to_numpy(dtype=float)
    if "effect_share" not in schedule:
        return np.ones(len(lines))
    firm = pd.MultiIndex.from_arrays(
        [schedule["enterprise_id"].astype(str).to_numpy(), schedule["slot"].astype(str).to_numpy()]
    )
    pos = firm.get_indexer(
        pd.MultiIndex.from_arrays(
            [lines["enterprise_id"].astype(str).to_numpy(), lines["slot"].astype(str).to_numpy()]
        )
    )
    eff = schedule["effect_share"].to_numpy(dtype=float)
    return np.where(pos >= 0, eff[np.maximum(pos, 0)], 1.0)


def _verify_lines(schedule, lines, table, units: xr.Dataset, unit_table, tol: float, problems: list[str]):
    """Check ``schedule_lines`` against the lines' own bounds and the inventory.

    Returns which schedule rows belong to firms with lines and their tonnes recomputed from the lines.
    """
    from planner import POLLUTANTS

    uid = np.where(
        units["line_id"].values.astype(str) != "",
        units["owner"].values.astype(str) + "/" + units["line_id"].values.astype(str),
        units["owner"].values.astype(str),
    )
    le_codes, le_ids = factorize_texts(lines["enterprise_id"])
    ll_codes, ll_ids = factorize_texts(lines["line_id"])
    # each distinct (firm, line) of the rows looked up once, as the text "firm/line"
    pair_codes, pairs = pd.factorize(le_codes.astype(np.int64) * (len(ll_ids) + 1) + ll_codes)
    pe, pl = np.divmod(pairs, len(ll_ids) + 1)
    ok = (pe >= 0) & (pl < len(ll_ids))  # a missing firm or line id names no line
    key = np.where(
        ok,
        np.asarray(le_ids, dtype=object)[np.where(ok, pe, 0)]
        + "/"
        + np.asarray(ll_ids, dtype=object)[np.where(ok, pl, 0)],
        None,
    )
    u = np.append(pd.Index(uid).get_indexer(pd.Index(key)), -1)[pair_codes]
    if (u < 0).any():
        problems.append(
            f"{int((u < 0).sum())} schedule_lines rows name lines that are not in the lines table"
        )
        return np.zeros(len(schedule), bool), np.zeros((len(schedule), len(POLLUTANTS)))
    lv = units.get_index("level").get_indexer(lines["level"].astype(str).to_numpy())
    x = lines["curtailment"].to_numpy(dtype=float)
    fl = units["floor"].values[u, lv]
    ce = units["ceiling"].values[u, lv]
    if (x < fl - tol).any():
        problems.append(f"{int((x < fl - tol).sum())} line rows cut less than the line's rule floor")
    if (x > ce + tol).any():
        problems.append(f"{int((x > ce + tol).sum())} line rows cut more than the line's ceiling")
    # line stops: at least `count` whole lines of each group stop on each slot
    g = units["group"].values[u, lv]
    if (g >= 0).any():
        frame = pd.DataFrame({"g": g, "slot": lines["slot"].astype(str).to_numpy(), "x": x})[g >= 0]
        got = frame.groupby(["g", "slot"])["x"].sum()
        need = units["group_count"].values[got.index.get_level_values(0).to_numpy()]
        short = got.to_numpy() < need - tol
        if short.any():
            problems.append(f"{int(short.sum())} line stops stop fewer whole lines than the rule asks")
    t_idx = lookup(table.index.astype(str), *factorize_texts(lines["enterprise_id"]))
    shares = unit_table[[f"{p}_share" for p in POLLUTANTS]].to_numpy(dtype=float)[u]
    em = table[list(POLLUTANTS)].to_numpy(dtype=float)[t_idx] * shares
    ff = units["floor_factor"].transpose("unit", "level", "pollutant").values[u, lv]
    ef = units["extra_factor"].transpose("unit", "level", "pollutant").values[u, lv]
    removed = em * (fl[:, None] * ff + (x - fl)[:, None] * ef) * _line_effect(lines, schedule)[:, None]
    for j, p in enumerate(POLLUTANTS):
        bad = ~np.isclose(lines[f"reduction_{p}"].to_numpy(dtype=float), removed[:, j], rtol=1e-7, atol=1e-9)
        if bad.any():
            problems.append(
                f"{int(bad.sum())} line rows give {p} reductions that the inventory does not support"
            )
    # the firm's schedule.csv row is the sum of its lines
    w = unit_table["output_share"].to_numpy(dtype=float)[u]
    # grouped by (firm, slot) as integer keys of the schedule's own firm and slot texts
    se_codes, se_ids = factorize_texts(schedule["enterprise_id"])
    ss_codes, ss_ids = factorize_texts(schedule["slot"])
    n_slots = len(ss_ids) + 1
    le = lookup(se_ids, le_codes, le_ids)
    ls = lookup(ss_ids, *factorize_texts(lines["slot"]))
    key_l = np.where((le >= 0) & (ls >= 0), le.astype(np.int64) * n_slots + ls, -1)
    key_s = np.where((se_codes >= 0) & (ss_codes >= 0), se_codes.astype(np.int64) * n_slots + ss_codes, -2)
    mine = key_l >= 0
    agg = (
        pd.DataFrame(
            {
                "key": key_l[mine],
                "wx": (w * x)[mine],
                **{p: removed[mine, j] for j, p in enumerate(POLLUTANTS)},
            }
        )
        .groupby("key")
        .sum()
    )
    pos = agg.index.get_indexer(pd.Index(key_s))
    lined = pos >= 0
    xs = schedule["curtailment"].to_numpy(dtype=float)
    if (np.abs(xs[lined] - agg["wx"].to_numpy()[pos[lined]]) > tol).any():
        problems.append(
            "the curtailment of a firm with lines is not the output-share-weighted sum of its lines'"
        )
    tonnes = np.zeros((len(schedule), len(POLLUTANTS)))
    tonnes[lined] = agg[list(POLLUTANTS)].to_numpy()[pos[lined]]
    return lined, tonnes
