"""Independent verification of a plan against its PlanInputs.

A separate code path from the model: plain numpy on the inputs and the plan's curtailment (only
the block *names* come from :mod:`planner.optimize.blocks`), no use of :mod:`planner.optimize.model`, :mod:`planner.optimize.highs_backend` or the derived structures in
:mod:`planner.optimize.inputs`.  Everything is recomputed here: reductions per slot and pollutant,
shortfalls, the objective, chain and grade monotonicity, loss caps and whole lines.

:func:`verify_plan` returns a list of plain sentences (empty = the plan passed).  It runs after
every solve (a failing plan gets status "error") and in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from planner.optimize import blocks as B


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
    m = _chained_firms(inputs)
    for members in _chains(inputs):
        run = np.zeros(m.sum())
        for s in members:
            run = np.maximum(run, lo[m, s])
            lo[m, s] = run
        run = np.ones(m.sum())
        for s in reversed(members):
            run = np.minimum(run, hi[m, s])
            hi[m, s] = run
    return lo, np.maximum(hi, lo)


@dataclass
class _Ctx:
    """What every block check reads: the plan's shares and the inputs, as plain arrays."""

    inputs: xr.Dataset
    plan: object
    x: np.ndarray
    tol: float
    ent: list[str]
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


def check_bounds(c: _Ctx) -> None:
    """``Enterprise-Slot-curtailment`` (and the rewrite's bound rows): floor <= x <= ceiling;
    whole lines where the bounds admit a whole number of lines (discrete mode)."""
    floor, ceiling = c.arr("floor"), c.arr("ceiling")
    if (c.x < floor - c.tol).any():
        c.first(c.x < floor - c.tol, "floor")
    if (c.x > ceiling + c.tol).any():
        c.first(c.x > ceiling + c.tol, "ceiling")
    if _opt(c.plan, "discrete", False):
        S = c.x.shape[1]
        lines = c.arr("lines")[:, None] * np.ones((1, S))
        lo, hi = _effective(c.inputs)
        whole_possible = (np.ceil(lo * lines - 1e-7) <= np.floor(hi * lines + 1e-7)) & (hi > lo + 1e-9)
        whole_possible &= _whole_line_cells(c.inputs)
        n = c.x * lines
        bad = whole_possible & (np.abs(n - np.round(n)) > 1e-5)
        if bad.any():
            c.first(bad, "whole production lines")


def _whole_line_cells(inputs: xr.Dataset) -> np.ndarray | bool:
    """Cells whose measure stops whole lines (every cell when the inputs do not say)."""
    return np.asarray(inputs["whole_lines"].values, dtype=bool) if "whole_lines" in inputs else True


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
        for a, b in zip(members[:-1], members[1:], strict=True):
            bad = m & (x[:, a] > x[:, b] + c.tol)
            if bad.any():
                e = int(np.flatnonzero(bad)[0])
                c.out.append(
                    f"chain monotonicity violated for {int(bad.sum())} enterprise(s) between "
                    f"{c.slots[a]} and {c.slots[b]}, e.g. {c.ent[e]}: {x[e, a]:.6g} > {x[e, b]:.6g}"
                )


def check_targets(c: _Ctx) -> None:
    """``Slot-Pollutant-target`` and ``Slot-Pollutant-shortfall``: achieved = credited + Σ reducible·x;
    a plan marked optimal meets every target; reported shortfall and achieved are the recomputed ones."""
    red, target, credited = c.arr("reducible"), c.arr("target"), c.arr("credited")
    achieved = credited + (c.x[:, :, None] * red).sum(axis=0)
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
    """The reported objective is the output loss ``Σ loss·x + credited loss`` (no penalty, no
    secondary terms such as ``Slot-max-share``)."""
    a, _, ni_cost = _non_industrial(c)
    obj = float((c.arr("loss_at_full") * c.x).sum() + c.arr("credited_loss").sum() + (a * ni_cost).sum())
    o = c.plan.objective
    if not np.isfinite(o) or abs(o - obj) > c.tol * max(1.0, abs(obj)):
        c.out.append(f"objective {o!r} differs from the recomputed output loss {obj:.10g}")


def _firm_loss(c: _Ctx) -> tuple[np.ndarray, float]:
    firm_loss = (c.arr("loss_at_full") * c.x).sum(axis=1)
    return firm_loss, float(firm_loss.sum())


def check_firm_cap(c: _Ctx) -> None:
    """``Enterprise-loss-cap``: no firm carries more than ``firm_loss_cap`` of the total loss."""
    cap = _opt(c.plan, "firm_loss_cap")
    if cap is None:
        return
    firm_loss, total = _firm_loss(c)
    bad = firm_loss > cap * total + c.tol * max(1.0, total)
    if bad.any():
        e = int(np.flatnonzero(bad)[0])
        c.out.append(
            f"firm loss cap {cap:g} violated by {int(bad.sum())} firm(s), e.g. {c.ent[e]}: "
            f"{firm_loss[e]:.6g} of {total:.6g}"
        )


def check_county_cap(c: _Ctx) -> None:
    """``County-loss-cap``: no county carries more than ``county_loss_cap`` of the total loss."""
    cap = _opt(c.plan, "county_loss_cap")
    if cap is None:
        return
    firm_loss, total = _firm_loss(c)
    county = np.asarray(c.inputs["county"].values).astype(str)
    for k in np.unique(county):
        cl = firm_loss[county == k].sum()
        if cl > cap * total + c.tol * max(1.0, total):
            c.out.append(f"county loss cap {cap:g} violated by {k}: {cl:.6g} of {total:.6g}")


def check_loss_caps(c: _Ctx) -> None:
    """``Total-loss`` / ``Loss-total``: the caps are measured against the recomputed total."""
    check_firm_cap(c)
    check_county_cap(c)


def check_grades(c: _Ctx) -> None:
    """``Grade-threshold``, ``Grade-below``, ``Grade-above``: worse grade ≥ better grade."""
    if _opt(c.plan, "grade_monotonicity", False):
        c.out.extend(_check_grades(c.inputs, c.x, c.tol, c.ent, c.slots))


def check_reasons(c: _Ctx) -> None:
    """Reasons: "exempt" (or "self_directed" for A/A+/引领性 firms) exactly where the ceiling is 0,
    "optimizer" wherever the cut is above
    the (chain-carried, whole-line-rounded) floor."""
    reason = getattr(c.plan, "reason", None)
    if reason is None:
        return
    r = np.asarray(reason.transpose("enterprise", "slot").values).astype(str)
    exempt = c.arr("ceiling") <= 1e-9
    E = c.x.shape[0]
    inp = c.inputs
    sd = (np.asarray(inp["self_directed"].values, bool) if "self_directed" in inp else np.zeros(E, bool))[
        :, None
    ]
    want = np.where(sd, "self_directed", "exempt")
    if (exempt & (r != want)).any():
        c.first(exempt & (r != want), "reason 'exempt' / 'self_directed' (ceiling 0)")
    lo_eff, hi_eff = _effective(c.inputs)
    if _opt(c.plan, "discrete", False):  # the floor rounded up to whole lines is still the floor
        ln = c.arr("lines")[:, None]
        up, down = np.ceil(lo_eff * ln - 1e-7), np.floor(hi_eff * ln + 1e-7)
        whole = (up <= down) & (hi_eff > lo_eff + 1e-9) & _whole_line_cells(c.inputs)
        lo_eff = np.where(whole, up / ln, lo_eff)
    above = ~exempt & (c.x > lo_eff + 1e-5)
    if (above & (r != "optimizer")).any():
        c.first(above & (r != "optimizer"), "reason 'optimizer' (cut above the floor)")


def check_restarts(c: _Ctx) -> None:
    """``Enterprise-Slot-stop``, ``-stop-start``, ``-min-down``: recomputed from the plan's shares
    alone — a line stopped on day k with ``min_down_days`` D is still stopped on days k+1 … k+D−1
    of its run (where that day's ceiling allows), and the reported restart cost is Σ restart cost ×
    lines × share newly stopped."""
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
    B.STOP: check_restarts,
    B.STOP_START: check_restarts,
    B.MIN_DOWN: check_restarts,
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
    ent = [str(e) for e in inputs["enterprise"].values]
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


def _check_grades(inputs: xr.Dataset, x: np.ndarray, tol: float, ent, slots) -> list[str]:
    """Worse grade ≥ better grade inside each industry and slot, among participating firms.

    Participation (same rule as documented in the model, recomputed here): ceiling > 0 and
    ceiling ≥ the largest floor of participating firms of strictly better grade (ranks taken
    from best to worst), on chain-implied bounds.
    """
    out = []
    lo, hi = _effective(inputs)
    industry = np.asarray(inputs["industry"].values).astype(str)
    rank = np.asarray(inputs["grade_rank"].values, dtype=int)
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


def verify_schedule(
    schedule,
    table,
    bounds: xr.Dataset,
    summary: dict,
    shares: xr.DataArray,
    city_totals: dict,
    tol: float = 1e-6,
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

    Returns
    -------
    list of str
        Plain sentences, empty when the plan passes.
    """
    from planner import POLLUTANTS

    problems: list[str] = []
    eids = schedule["enterprise_id"].astype(str).to_numpy()
    levels = schedule["level"].astype(str).to_numpy()
    x = schedule["curtailment"].to_numpy(dtype=float)
    e_idx = table.index.astype(str).get_indexer(eids)
    if (e_idx < 0).any():
        problems.append(f"{int((e_idx < 0).sum())} schedule rows name enterprises not in the inventory")
        return problems
    b_e = bounds.get_index("enterprise").astype(str).get_indexer(eids)
    b_l = bounds.get_index("level").get_indexer(levels)
    floor = bounds["floor"].to_numpy()[b_e, b_l]
    ceiling = bounds["ceiling"].to_numpy()[b_e, b_l]
    if (x < floor - tol).any():
        problems.append(f"{int((x < floor - tol).sum())} rows cut less than the rule floor")
    if (x > ceiling + tol).any():
        problems.append(f"{int((x > ceiling + tol).sum())} rows cut more than the ceiling")
    factor = bounds["factor"].transpose("enterprise", "level", "pollutant").to_numpy()[b_e, b_l, :]
    emissions = table[list(POLLUTANTS)].to_numpy(dtype=float)[e_idx]
    recomputed = x[:, None] * emissions * factor
    if "effect_share" in schedule:  # response delay: the share of the day the measure is in force
        recomputed = recomputed * schedule["effect_share"].to_numpy(dtype=float)[:, None]
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
            if not np.isclose(got, float(s["achieved"][p]), rtol=1e-6, atol=1e-7):
                problems.append(
                    f"slot {s['slot']}: {p} achieved is reported as {s['achieved'][p]:.4f} t/d "
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
