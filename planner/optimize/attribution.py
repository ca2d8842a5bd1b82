"""Where a plan's loss comes from.

Rule floors versus the optimiser's choices, and savings against every baseline, per slot (alert level or day).

The split answers the question a bureau asks of an optimised list: how much of the loss do the
rules fix, how much did the optimiser choose, how many cells and firms did it move above their
floor, and what would each simpler method (一刀切 uniform cut, the same share for every firm,
equal tonnes per firm, greedy) have cost for the same targets.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from planner.io.numbers import finite_or_none
from planner.optimize.baselines import Baseline
from planner.optimize.inputs import effective_bounds, line_columns, owner_codes, rule_floor
from planner.optimize.restarts import restart_cost_of

#: Tolerance (share) above which a cell counts as moved above its floor.
ABOVE_FLOOR_TOL = 1e-6


def floor_shares(inputs: xr.Dataset, discrete: bool = False) -> np.ndarray:
    """The rule floor of every cell (E, S).

    Chain-carried and, with whole lines, rounded up to lines; a line stop's lines of least loss count as its
    floor (:func:`planner.optimize.inputs.rule_floor`).
    """
    lo, hi = effective_bounds(inputs)
    if discrete:
        cols = line_columns(inputs, lo, hi, True)
        lo = np.where(cols.integer, cols.col_lo * cols.scale, lo)
    return rule_floor(inputs, lo, hi)


def loss_attribution(
    inputs: xr.Dataset,
    x: np.ndarray,
    baselines: dict[str, Baseline | None],
    discrete: bool = False,
) -> dict:
    """Split the plan's loss per slot into rule floors and optimiser choices, with baseline savings.

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs.
    x : numpy.ndarray (E, S)
        The plan's curtailment.
    baselines : dict
        :func:`planner.optimize.baselines.all_baselines` of the same inputs.
    discrete : bool
        Whole-line mode (floors rounded up to lines count as floor).

    Returns
    -------
    dict
        ``slots``: per slot ``{slot, level, loss, loss_floor, loss_optimizer, non_industrial_loss,
        cells_above_floor, firms_above_floor, units_above_floor, lines_stopped, baseline_loss:
        {name: 万元 or None}}`` (a cell is a firm × slot; a unit a line or a whole firm);
        ``total``: the same summed (firms counted once) and ``restart_cost``; ``savings``: per
        baseline ``{loss, restart_cost, saving, saving_share}`` (None where the baseline cannot
        meet the targets).  An episode with restart costs charges every schedule for its own
        restarts (:func:`planner.optimize.restarts.restart_cost_of`): the saving is the
        baseline's loss and restarts less the plan's, its share relative to the baseline's.
        Losses in 万元; a cell is "above floor" when its cut exceeds the floor by more than
        :data:`ABOVE_FLOOR_TOL`.
    """
    loss = inputs["loss_at_full"].values.astype(float)
    credited_loss = inputs["credited_loss"].values.astype(float)
    slots = [str(s) for s in inputs["slot"].values]
    levels = [str(v) for v in inputs["level"].values]
    rule = floor_shares(inputs, discrete)
    if "line_group" in inputs:  # a line stop's floor is the cost of its cheapest lines, whichever stop
        grouped = np.asarray(inputs["line_group"].values) >= 0
        lo = np.where(grouped, rule, np.minimum(rule, x))
    else:
        lo = np.minimum(rule, x)
    above = x > lo + ABOVE_FLOOR_TOL
    codes, owners = owner_codes(inputs)
    firm_above = np.zeros((len(owners), x.shape[1]), dtype=bool)
    np.logical_or.at(firm_above, codes, above)
    is_line = (
        np.asarray(inputs["line_id"].values).astype(str) != ""
        if "line_id" in inputs
        else np.zeros(x.shape[0], bool)
    )
    stopped = is_line[:, None] & (x >= 1.0 - 1e-9)  # whole lines of firms with lines stopped
    slot_loss = (loss * x).sum(axis=0) + credited_loss
    slot_floor = (loss * lo).sum(axis=0)
    ok = {k: b for k, b in baselines.items() if b is not None and b.meets_targets}
    base_slot = {k: (loss * b.curtailment).sum(axis=0) + credited_loss for k, b in ok.items()}
    rows = []
    for s, name in enumerate(slots):
        rows.append(
            {
                "slot": name,
                "level": levels[s],
                "loss": float(slot_loss[s]),
                "loss_floor": float(slot_floor[s]),
                "loss_optimizer": float(slot_loss[s] - slot_floor[s] - credited_loss[s]),
                "non_industrial_loss": float(credited_loss[s]),
                "cells_above_floor": int(firm_above[:, s].sum()),
                "firms_above_floor": int(firm_above[:, s].sum()),
                "units_above_floor": int(above[:, s].sum()),
                "lines_stopped": int((stopped[:, s]).sum()),
                "baseline_loss": {k: (float(base_slot[k][s]) if k in base_slot else None) for k in baselines},
            }
        )
    total_loss = float(slot_loss.sum())
    plan_restart = restart_cost_of(inputs, x)  # 0 without restart data
    savings = {}
    for k in baselines:
        if k in base_slot:
            b = float(base_slot[k].sum())
            rb = restart_cost_of(inputs, ok[k].curtailment)
            saving = (b + rb) - (total_loss + plan_restart)
            savings[k] = {
                "loss": b,
                "restart_cost": rb,
                "saving": saving,
                "saving_share": finite_or_none(saving / (b + rb)) if b + rb > 0 else None,
            }
        else:
            savings[k] = {"loss": None, "restart_cost": None, "saving": None, "saving_share": None}
    total = {
        "loss": total_loss,
        "loss_floor": float(slot_floor.sum()),
        "loss_optimizer": float(slot_loss.sum() - slot_floor.sum() - credited_loss.sum()),
        "non_industrial_loss": float(credited_loss.sum()),
        "restart_cost": plan_restart,
        "cells": int(firm_above.size),
        "cells_above_floor": int(firm_above.sum()),
        "firms_above_floor": int(firm_above.any(axis=1).sum()),
        "units": int(x.shape[0]),
        "units_above_floor": int(above.sum()),
        "lines_stopped": int(stopped.sum()),
    }
    return {"slots": rows, "total": total, "savings": savings}


def split_lines(summary: dict) -> list[str]:
    """Lines for ``planner plan``'s text output from a summary.json document.

    The loss split per slot and the savings against each baseline (empty without a split).
    """
    t = summary.get("loss_split")
    if not t:
        return []
    out = [
        f"loss {t['loss']:,.1f} 万元: rule floors {t['loss_floor']:,.1f}, optimizer's choices "
        f"{t['loss_optimizer']:,.1f}, non-industrial {t['non_industrial_loss']:,.1f}; "
        f"{t['cells_above_floor']:,} of {t['cells']:,} cells ({t['firms_above_floor']:,} firms) above their floor"
    ]
    for r in summary["slots"]:
        out.append(
            f"  {r['slot']:<10} {r['level']:<6} loss {r['loss']:>12,.1f}  floors {r['loss_floor']:>12,.1f}  "
            f"optimizer {r['loss_optimizer']:>10,.1f}  cells above floor {r['cells_above_floor']:>5,}"
        )
    out.append("savings of this plan against each baseline (same targets, same floors and ceilings):")
    for k, v in (summary.get("savings") or {}).items():
        if v["loss"] is None:
            out.append(f"  {k:<13} cannot meet the targets")
        else:
            share = v["saving_share"]
            restart = v.get("restart_cost") or 0.0
            out.append(
                f"  {k:<13} {v['loss']:>12,.1f} 万元"
                + (f" + restarts {restart:,.1f}" if restart else "")
                + f"  saving {v['saving']:>10,.1f}"
                + (f" ({share * 100:.2f} %)" if share is not None else "")
            )
    return out
