"""Measure menus in the model: one discrete option per firm and slot, monotone, with a load cut.

A menu firm (:mod:`planner.policy.menus`) does not use its ordinary curtailment column (the model
fixes it at 0); instead, for every slot it chooses exactly one of the options allowed at the
slot's level, and may add a continuous load cut:

=====================================  ============================================================
block                                  meaning
=====================================  ============================================================
``Option-Slot-choice``                 ``z[o, s] ∈ {0, 1}``, 0 where option ``o`` is not allowed at
                                       slot ``s``; cost ``loss_at_full · c_o``
``Option-Slot-loadcut``                ``y[o, s] ∈ [0, min(u, 1 − c_o)]`` load cut on top of ``o``
                                       (share of normal output); cost ``loss_at_full``
``Enterprise-Slot-menu``               ``Σ_o z[o, s] = 1`` for every menu firm and slot
``Option-Slot-loadcut-link``           ``y[o, s] ≤ max_o · z[o, s]``
``Enterprise-menu-monotone``           along a pair of slots ``(a, b)``: curtailment
                                       ``Σ c·z + Σ y`` and tonnes of every pollutant the firm emits
                                       ``Σ R·z + Σ K·y`` at ``b`` ≥ at ``a``
=====================================  ============================================================

The firm's tonnes ``Σ_o R[o, p]·z + K[o, p]·y`` enter the ``Slot-Pollutant-target`` rows and its
loss ``loss_at_full · (Σ c·z + Σ y)`` the objective and the loss-cap rows.

Pairs of slots: in list mode (and in episode mode for firms that may not toggle) consecutive
slots of a chain (yellow → orange → red; consecutive days of one episode); in episode mode, for
firms that may toggle, every two days of one episode whose levels differ (the day at the higher
level ≥ the day at the lower).  A firm that may not toggle keeps, on a later day of an episode,
the options of the highest level reached so far in it (it cannot restart what it stopped).

PlanInputs variables (dim ``menu_option``, all optional; :data:`MENU_VARS`) are added by
:func:`with_menus`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from planner import ALERT_LEVELS, POLLUTANTS
from planner.optimize.linear import INF, LinearModel

#: Block names.
MENU_CHOICE = "Option-Slot-choice"
MENU_LOAD = "Option-Slot-loadcut"
MENU_ONE = "Enterprise-Slot-menu"
MENU_LINK = "Option-Slot-loadcut-link"
MENU_MONO = "Enterprise-menu-monotone"
MENU_BLOCKS = (MENU_CHOICE, MENU_LOAD, MENU_ONE, MENU_LINK, MENU_MONO)

#: Optional PlanInputs variables of the menus and their dims.
MENU_VARS: dict[str, tuple[str, ...]] = {
    "menu_enterprise": ("menu_option",),
    "menu_option_id": ("menu_option",),
    "menu_output": ("menu_option",),
    "menu_reduction": ("menu_option", "pollutant"),
    "menu_load_max": ("menu_option",),
    "menu_load_reduction": ("menu_option", "pollutant"),
    "menu_allowed": ("menu_option", "slot"),
    "menu_text_zh": ("menu_option",),
    "menu_text_en": ("menu_option",),
}


@dataclass(frozen=True)
class MenuArrays:
    """The menus of a PlanInputs dataset as plain arrays (O options, S slots, P pollutants).

    Attributes
    ----------
    firm : numpy.ndarray (O,) of int
        Enterprise index of each option.
    ids : list of str
        Option ids.
    output : numpy.ndarray (O,)
        Output share ``c`` of each option.
    reduction : numpy.ndarray (O, P)
        Tonnes/day removed when the option is chosen.
    load_max : numpy.ndarray (O,)
        Largest load cut on top of the option.
    load_reduction : numpy.ndarray (O, P)
        Tonnes/day removed per unit of load cut.
    allowed : numpy.ndarray (O, S) of bool
    firms : numpy.ndarray (F,) of int
        The menu firms (enterprise indices, sorted).
    """

    firm: np.ndarray
    ids: list[str]
    output: np.ndarray
    reduction: np.ndarray
    load_max: np.ndarray
    load_reduction: np.ndarray
    allowed: np.ndarray
    firms: np.ndarray

    @property
    def n(self) -> int:
        """Number of menu options (columns)."""
        return len(self.firm)

    def labels(self, enterprise: list[str]) -> list[str]:
        """``<enterprise id>:<option id>`` of every option, given the enterprise ids."""
        return [f"{enterprise[f]}:{o}" for f, o in zip(self.firm.tolist(), self.ids, strict=True)]


def has_menus(ds: xr.Dataset) -> bool:
    """True when the PlanInputs carry at least one menu option."""
    return "menu_enterprise" in ds and ds.sizes.get("menu_option", 0) > 0


def menu_arrays(ds: xr.Dataset) -> MenuArrays | None:
    """The menus of ``ds`` (None without any)."""
    if not has_menus(ds):
        return None
    firm = np.asarray(ds["menu_enterprise"].values, dtype=np.int64)
    return MenuArrays(
        firm,
        [str(v) for v in ds["menu_option_id"].values],
        np.asarray(ds["menu_output"].values, float),
        np.asarray(ds["menu_reduction"].transpose("menu_option", "pollutant").values, float),
        np.asarray(ds["menu_load_max"].values, float),
        np.asarray(ds["menu_load_reduction"].transpose("menu_option", "pollutant").values, float),
        np.asarray(ds["menu_allowed"].transpose("menu_option", "slot").values, bool),
        np.unique(firm),
    )


def menu_firm_mask(ds: xr.Dataset) -> np.ndarray:
    """(E,) True for the firms that plan by a menu."""
    mask = np.zeros(ds.sizes["enterprise"], bool)
    if has_menus(ds):
        mask[np.asarray(ds["menu_enterprise"].values, dtype=np.int64)] = True
    return mask


def menu_reach(ds: xr.Dataset) -> np.ndarray:
    """(S, P) the most tonnes the menu firms can remove in each slot (each at its best option)."""
    S, P = ds.sizes["slot"], ds.sizes["pollutant"]
    a = menu_arrays(ds)
    if a is None:
        return np.zeros((S, P))
    best = a.reduction[:, None, :] + a.load_reduction[:, None, :] * a.load_max[:, None, None]
    best = np.where(a.allowed[:, :, None], best, 0.0)  # (O, S, P)
    F = len(a.firms)
    pos = np.searchsorted(a.firms, a.firm)
    out = np.zeros((F, S, P))
    np.maximum.at(out, pos, best)
    return out.sum(axis=0)


# --------------------------------------------------------------------------- pairs
def level_rank(levels) -> np.ndarray:
    """Rank of each alert level (yellow 0, orange 1, red 2; anything else -1)."""
    order = {lv: i for i, lv in enumerate(ALERT_LEVELS)}
    return np.array([order.get(str(v), -1) for v in np.asarray(levels)], dtype=int)


def _chained(ds: xr.Dataset) -> np.ndarray:
    if ds.attrs.get("mode") == "list":
        return np.ones(ds.sizes["enterprise"], bool)
    return ~np.asarray(ds["toggle_allowed"].values, dtype=bool)


def _chain_order(ds: xr.Dataset) -> list[np.ndarray]:
    """Slot indices of every chain (id ≥ 0), in ``order``."""
    chain = np.asarray(ds["chain"].values).astype(int)
    order = np.asarray(ds["order"].values).astype(float)
    out = []
    for c in np.unique(chain[chain >= 0]):
        idx = np.flatnonzero(chain == c)
        out.append(idx[np.argsort(order[idx], kind="stable")])
    return out


def slot_pairs(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Monotonicity pairs of slots: ``(a, b, chained)`` and the effective level rank per slot.

    Returns
    -------
    a, b : numpy.ndarray of int
        Slot pairs with ``value[b] >= value[a]``.
    for_chained : numpy.ndarray of bool
        True: the pair binds the firms that may not toggle (consecutive slots of a chain);
        False: it binds the firms that may (two days of one episode at different levels).
    effective : numpy.ndarray (S,) of int
        Level rank whose options a non-toggling firm may choose on each slot: the highest level
        reached so far in its chain.
    """
    rank = level_rank(ds["level"].values)
    eff = rank.copy()
    pa, pb, pc = [], [], []
    episode = ds.attrs.get("mode") != "list"
    for idx in _chain_order(ds):
        eff[idx] = np.maximum.accumulate(rank[idx])
        pa.extend(idx[:-1].tolist())
        pb.extend(idx[1:].tolist())
        pc.extend([True] * (len(idx) - 1))
        if episode:
            r = rank[idx]
            i, j = np.nonzero(r[:, None] < r[None, :])
            pa.extend(idx[i].tolist())
            pb.extend(idx[j].tolist())
            pc.extend([False] * len(i))
    return (np.asarray(pa, int), np.asarray(pb, int), np.asarray(pc, bool), eff)


def firm_pairs(ds: xr.Dataset, firms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(firm, a, b) of every monotonicity row of the menu firms ``firms``."""
    a, b, for_chained, _ = slot_pairs(ds)
    chained = _chained(ds)[firms]
    take = np.where(chained[:, None], for_chained[None, :], ~for_chained[None, :])  # (F, Q)
    fi, qi = np.nonzero(take)
    return firms[fi], a[qi], b[qi]


# --------------------------------------------------------------------------- PlanInputs
def with_menus(ds: xr.Dataset, menus, table: pd.DataFrame) -> xr.Dataset:
    """PlanInputs with the menus of ``menus`` (:class:`planner.policy.menus.Menus`).

    Adds the :data:`MENU_VARS` and, for the menu firms, makes the ordinary arrays describe the
    menu for the methods that do not know menus (baselines, the loss split): ``floor`` = the
    lightest allowed option's output share, ``ceiling`` = the largest allowed output share plus
    load cut, ``reducible`` = the firm's normal emissions (t/d at a full stop), no whole lines.

    Parameters
    ----------
    ds : xarray.Dataset
        PlanInputs (from :func:`planner.scenario.run.build_inputs`).
    menus : Menus
    table : DataFrame
        The inventory table the inputs were built from (daily emissions in t/d).

    Returns
    -------
    xarray.Dataset
    """
    from planner.policy.menus import load_cut_factor

    ent = ds.get_index("enterprise").astype(str)
    S = ds.sizes["slot"]
    _, _, _, eff = slot_pairs(ds)
    rank = level_rank(ds["level"].values)
    chained = _chained(ds)
    # rows are decision units when firms have lines (``owner`` names the firm); a menu firm is one unit
    owner = ds["owner"].values.astype(str) if "owner" in ds else np.asarray(ent)
    emissions = table.loc[list(owner), list(POLLUTANTS)].to_numpy(dtype=float)
    firm, ids, out, red, lmax, lred, allowed, tzh, ten, labels = ([] for _ in range(10))
    position = {eid: k for k, eid in enumerate(ent)}
    for eid, menu in menus.firms.items():
        e = position[eid]  # menu firms are inventory ids (validated on load)
        slot_rank = eff if chained[e] else rank
        for k, opt in enumerate(menu.options):
            ok_levels = np.array([k in menu.levels[lv] for lv in ALERT_LEVELS])
            firm.append(e)
            ids.append(opt.id)
            labels.append(f"{eid}:{opt.id}")
            out.append(opt.output_share)
            red.append(emissions[e] * np.asarray(opt.removal, float))
            lmax.append(max(0.0, min(menu.extra_load_cut, 1.0 - opt.output_share)))
            lred.append(emissions[e] * load_cut_factor(opt))
            allowed.append(np.where(slot_rank >= 0, ok_levels[np.maximum(slot_rank, 0)], False))
            tzh.append(opt.text_zh)
            ten.append(opt.text_en)
    P = len(POLLUTANTS)
    firm_a = np.asarray(firm, np.int64)
    out_a = np.asarray(out, float)
    lmax_a = np.asarray(lmax, float)
    allowed_a = np.asarray(allowed, bool).reshape(len(firm), S)
    new = ds.assign(
        menu_enterprise=(("menu_option",), firm_a),
        menu_option_id=(("menu_option",), np.asarray(ids, dtype=object).astype(str)),
        menu_output=(("menu_option",), out_a),
        menu_reduction=(("menu_option", "pollutant"), np.asarray(red, float).reshape(len(firm), P)),
        menu_load_max=(("menu_option",), lmax_a),
        menu_load_reduction=(("menu_option", "pollutant"), np.asarray(lred, float).reshape(len(firm), P)),
        menu_allowed=(("menu_option", "slot"), allowed_a),
        menu_text_zh=(("menu_option",), np.asarray(tzh, dtype=object).astype(str)),
        menu_text_en=(("menu_option",), np.asarray(ten, dtype=object).astype(str)),
    ).assign_coords(menu_option=np.asarray(labels, dtype=object).astype(str))
    if not len(firm):
        return new
    # the ordinary arrays of the menu firms: the menu's range (for baselines and the loss split)
    E = ds.sizes["enterprise"]
    lo = np.full((E, S), np.inf)
    hi = np.zeros((E, S))
    np.minimum.at(lo, firm_a, np.where(allowed_a, out_a[:, None], np.inf))
    np.maximum.at(hi, firm_a, np.where(allowed_a, (out_a + lmax_a)[:, None], 0.0))
    mf = np.unique(firm_a)
    floor = new["floor"].values.copy()
    ceiling = new["ceiling"].values.copy()
    floor[mf] = np.where(np.isfinite(lo[mf]), lo[mf], 0.0)
    ceiling[mf] = np.maximum(hi[mf], floor[mf])
    red_full = new["reducible"].values.copy()
    red_full[mf] = emissions[mf][:, None, :]
    new["floor"] = (("enterprise", "slot"), floor)
    new["ceiling"] = (("enterprise", "slot"), np.maximum(ceiling, floor))
    new["reducible"] = (("enterprise", "slot", "pollutant"), red_full)
    if "whole_lines" in new:
        wl = new["whole_lines"].values.copy()
        wl[mf] = False
        new["whole_lines"] = (("enterprise", "slot"), wl)
    if "floor_reduction" in new:  # only the menu firms' rows: the others keep their floor measures
        fr = new["floor_reduction"].values.copy()
        fr[mf] = red_full[mf] * floor[mf][:, :, None]
        new["floor_reduction"] = (("enterprise", "slot", "pollutant"), fr)
    if "extra_reducible" in new:
        er = new["extra_reducible"].values.copy()
        er[mf] = emissions[mf][:, None, :]
        new["extra_reducible"] = (("enterprise", "slot", "pollutant"), er)
    if "floor_integer" in new:
        fi = new["floor_integer"].values.copy()
        fi[mf] = 0.0
        new["floor_integer"] = (("enterprise", "slot"), fi)
    return new


# --------------------------------------------------------------------------- the model block
def define_menus(
    m: LinearModel, inputs: xr.Dataset, target: str, loss_blocks: dict, county: np.ndarray
) -> None:
    """Add the menu blocks (see the module docstring) and their entries in existing rows.

    Parameters
    ----------
    m : LinearModel
        Holds the ``Enterprise-Slot-curtailment`` columns (the menu firms' are fixed at 0 by
        :func:`planner.optimize.blocks.model_data`) and the target rows.
    inputs : xarray.Dataset
    target : str
        Name of the target block (rows ``slot · P + pollutant``).
    loss_blocks : dict
        ``{"total": name, "county": name, "firm": name}`` of the loss-cap blocks (absent ones skipped).
    county : numpy.ndarray (E,) of int
        County code of each firm (rows of the county block).
    """
    a = menu_arrays(inputs)
    if a is None:
        return
    n_opt, S, P = a.n, inputs.sizes["slot"], inputs.sizes["pollutant"]
    enterprise = [str(e) for e in inputs["enterprise"].values]
    slots = [str(s) for s in inputs["slot"].values]
    loss = np.asarray(inputs["loss_at_full"].values, float)[a.firm]  # (O, S)
    labels = a.labels(enterprise)
    z = m.add_variables(
        MENU_CHOICE,
        {"option": labels, "slot": slots},
        0.0,
        a.allowed.astype(float),
        cost=(loss * a.output[:, None]),
        integer=True,
    )
    y_upper = np.where(a.allowed, a.load_max[:, None], 0.0)
    y = None
    if (y_upper > 0).any():
        y = m.add_variables(MENU_LOAD, {"option": labels, "slot": slots}, 0.0, y_upper, cost=loss)
    o_i, s_i = (g.ravel() for g in np.meshgrid(np.arange(n_opt), np.arange(S), indexing="ij"))
    # one option per firm and slot
    F = len(a.firms)
    pos = np.searchsorted(a.firms, a.firm)  # firm position of each option
    m.add_constraints(
        MENU_ONE,
        {"enterprise": [enterprise[f] for f in a.firms], "slot": slots},
        1.0,
        1.0,
        pos[o_i] * S + s_i,
        z.columns(o_i, s_i),
        np.ones(len(o_i)),
    )
    if y is not None:
        cells = np.flatnonzero(y_upper.ravel() > 0)
        n = len(cells)
        r = np.arange(n)
        m.add_constraints(
            MENU_LINK,
            {"cell": [f"{labels[c // S]}@{slots[c % S]}" for c in cells]},
            -INF,
            0.0,
            np.r_[r, r],
            np.r_[y.start + cells, z.start + cells],
            np.r_[np.ones(n), -y_upper.ravel()[cells]],
        )
    # values per option: curtailment then pollutants; rows only where the firm emits the pollutant
    zval = np.c_[a.output, a.reduction]  # (O, 1 + P)
    yval = np.c_[np.ones(n_opt), a.load_reduction]
    emits = np.zeros((F, 1 + P), bool)
    emits[:, 0] = True
    np.logical_or.at(emits, pos, np.c_[np.zeros(n_opt, bool), (a.reduction > 0) | (a.load_reduction > 0)])
    pf, pa_, pb_ = firm_pairs(inputs, a.firms)
    if len(pf):
        fpos = np.searchsorted(a.firms, pf)
        q, k = np.nonzero(emits[fpos])  # rows (pair, measure)
        n_rows = len(q)
        # options of each row's firm
        order = np.argsort(pos, kind="stable")
        starts = np.searchsorted(pos[order], np.arange(F))
        counts = np.bincount(pos, minlength=F)
        rf = fpos[q]
        reps = counts[rf]
        row = np.repeat(np.arange(n_rows), reps)
        off = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
        opt = order[np.repeat(starts[rf], reps) + off]
        kk = np.repeat(k, reps)
        sa = np.repeat(pa_[q], reps)
        sb = np.repeat(pb_[q], reps)
        rows = [row, row]
        cols = [z.columns(opt, sb), z.columns(opt, sa)]
        vals = [zval[opt, kk], -zval[opt, kk]]
        if y is not None:
            rows += [row, row]
            cols += [y.columns(opt, sb), y.columns(opt, sa)]
            vals += [yval[opt, kk], -yval[opt, kk]]
        rr, cc, vv = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        keep = vv != 0
        what = ["output", *POLLUTANTS]
        m.add_constraints(
            MENU_MONO,
            {
                "pair": [
                    f"{enterprise[pf[i]]}:{slots[pa_[i]]}<={slots[pb_[i]]}:{what[j]}"
                    for i, j in zip(q.tolist(), k.tolist(), strict=True)
                ]
            },
            0.0,
            INF,
            rr[keep],
            cc[keep],
            vv[keep],
        )
    # tonnes in the target rows
    tb = m.constraints[target]
    oo, ss, pp = np.nonzero(np.where(a.allowed[:, :, None], a.reduction[:, None, :], 0.0) > 0)
    add_r, add_c, add_v = [ss * P + pp], [z.columns(oo, ss)], [a.reduction[oo, pp]]
    if y is not None:
        oo, ss, pp = np.nonzero((y_upper[:, :, None] > 0) & (a.load_reduction[:, None, :] > 0))
        add_r.append(ss * P + pp)
        add_c.append(y.columns(oo, ss))
        add_v.append(a.load_reduction[oo, pp])
    tb.rows = np.r_[tb.rows, *add_r]
    tb.cols = np.r_[tb.cols, *add_c]
    tb.vals = np.r_[tb.vals, *add_v]
    # loss in the loss-cap rows: loss·c·z + loss·y
    wz = loss * a.output[:, None]
    entries = [(z, wz)] + ([(y, np.where(y_upper > 0, loss, 0.0))] if y is not None else [])
    for key, name in loss_blocks.items():
        blk = m.constraints.get(name)
        if blk is None:
            continue
        for var, w in entries:
            oo, ss = np.nonzero(w > 0)
            if key == "total":
                r = np.zeros(len(oo), np.int64)
            elif key == "county":
                r = county[a.firm[oo]]
            else:
                index = {lab: i for i, lab in enumerate(blk.coords["enterprise"])}
                r = np.array([index.get(enterprise[a.firm[o]], -1) for o in oo.tolist()], np.int64)
                ok = r >= 0
                oo, ss, r = oo[ok], ss[ok], r[ok]
            blk.rows = np.r_[blk.rows, r]
            blk.cols = np.r_[blk.cols, var.columns(oo, ss)]
            blk.vals = np.r_[blk.vals, w[oo, ss]]


def solution_arrays(m: LinearModel, values: dict, inputs: xr.Dataset) -> tuple[np.ndarray, np.ndarray] | None:
    """``(z, y)`` (O, S) of a solved model (z rounded to 0/1), or None without menus."""
    if MENU_CHOICE not in values:
        return None
    n_opt, S = inputs.sizes["menu_option"], inputs.sizes["slot"]
    z = np.round(np.clip(values[MENU_CHOICE].reshape(n_opt, S), 0.0, 1.0)) + 0.0
    y = values[MENU_LOAD].reshape(n_opt, S) if MENU_LOAD in values else np.zeros((n_opt, S))
    y = np.clip(y, 0.0, None) * z + 0.0
    return z, y


def menu_outcome(inputs: xr.Dataset, z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(curtailment (F, S), tonnes (S, P))`` of the menu firms for a choice ``z``, ``y``.

    Curtailment rows are in the order of :attr:`MenuArrays.firms`.
    """
    a = menu_arrays(inputs)
    S, P = inputs.sizes["slot"], inputs.sizes["pollutant"]
    if a is None:
        return np.zeros((0, S)), np.zeros((S, P))
    pos = np.searchsorted(a.firms, a.firm)
    curt = np.zeros((len(a.firms), S))
    np.add.at(curt, pos, z * a.output[:, None] + y)
    tonnes = np.einsum("os,op->sp", z, a.reduction) + np.einsum("os,op->sp", y, a.load_reduction)
    return curt, tonnes


def menu_cells(inputs: xr.Dataset, menu: xr.Dataset | None):
    """Per cell of the menu firms: chosen option id, its load cut, its tonnes and its texts.

    Parameters
    ----------
    inputs : xarray.Dataset
    menu : xarray.Dataset or None
        ``Plan.menu`` (``choice`` and ``load_cut`` over menu_option × slot).

    Returns
    -------
    dict or None
        ``option`` (E, S) str ('' outside menu firms), ``load_cut`` (E, S), ``tonnes``
        (E, S, P), ``text_zh``/``text_en`` (E, S) str and ``mask`` (E,) of the menu firms;
        None without a menu choice.
    """
    a = menu_arrays(inputs)
    if a is None or menu is None:
        return None
    E, S, P = inputs.sizes["enterprise"], inputs.sizes["slot"], inputs.sizes["pollutant"]
    z = np.asarray(menu["choice"].transpose("menu_option", "slot").values, float)
    y = np.asarray(menu["load_cut"].transpose("menu_option", "slot").values, float)
    o, s = np.nonzero(z > 0.5)
    f = a.firm[o]
    option = np.full((E, S), "", dtype=object)
    tzh = np.full((E, S), "", dtype=object)
    ten = np.full((E, S), "", dtype=object)
    load = np.zeros((E, S))
    tonnes = np.zeros((E, S, P))
    option[f, s] = np.asarray(a.ids, dtype=object)[o]
    load[f, s] = y[o, s]
    tonnes[f, s] = a.reduction[o] + a.load_reduction[o] * y[o, s][:, None]
    zh = np.asarray(inputs["menu_text_zh"].values, dtype=object)[o]
    en = np.asarray(inputs["menu_text_en"].values, dtype=object)[o]
    pct = np.char.mod("%.4g", y[o, s] * 100).astype(object)
    extra = y[o, s] > 1e-9
    tzh[f, s] = np.where(extra, zh + "，另限产" + pct + "%", zh)
    ten[f, s] = np.where(extra, en + "; plus a load cut of " + pct + " %", en)
    mask = np.zeros(E, bool)
    mask[a.firms] = True
    return {
        "option": option,
        "load_cut": load,
        "tonnes": tonnes,
        "text_zh": tzh,
        "text_en": ten,
        "mask": mask,
    }
