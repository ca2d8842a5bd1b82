"""De-escalation and restarts in an episode: stop columns, minimum down time and restart costs.

An episode plan lets every firm's cut fall when the alert level falls (降级) — except where the
measure that stopped a production line says otherwise.  Restart limits belong to measure types
(``data/policy/measure_types.yaml``: ``min_down_days``, ``restart_cost_wan``); the scenario
pipeline turns them into three optional PlanInputs variables:

=================  ===========  ===============================================================
variable           dims         meaning
=================  ===========  ===============================================================
``min_down_days``  (E, S)       days a line stopped on slot *s* stays stopped (0/1: no limit)
``restart_cost``   (E, S)       万元 per production line restarted after a stop begun on slot *s*
``day``            (S,)         calendar day number of the slot (consecutive days form a run)
=================  ===========  ===============================================================

Model (blocks defined in :func:`planner.optimize.blocks.define_restarts`)
------------------------------------------------------------------------
Slots of one chain (one pollution process) on consecutive calendar days form a **run**; the
day before a run's first day and the day after its last are free of measures (``x = 0``).  For
every cell whose measure has a restart limit (``min_down_days ≥ 2`` or ``restart_cost > 0``):

- ``Enterprise-Slot-stop`` ``u[e, s] ≥ 0``: the share of the firm's output newly stopped on
  slot *s* (in whole-line mode a whole number of lines ÷ ``lines``), with the row
  ``Enterprise-Slot-stop-start``: ``u[e, s] ≥ x[e, s] − x[e, s−1]`` (``x[e, s−1] = 0`` at a
  run's start);
- ``Enterprise-Slot-min-down`` (a day whose ceiling is below the stop day's — a
  bureau's per-level lock — wins and ends the down time): ``x[e, t] ≥ Σ u[e, k]`` over the slots *k* < *t* of the run
  with ``day[t] − day[k] < min_down_days[e, k]``: everything stopped within the last
  ``min_down_days`` days is still stopped on day *t* (the aggregated form of the unit-commitment
  minimum down time; exact for identical lines, and for a one-line firm the binary stop/start
  rule);
- cost ``restart_cost[e, s] × lines[e] × u[e, s]``: every stop is restarted once — inside the
  run, or after the episode — so charging the restart when the stop begins counts every
  restart exactly once.

Firms whose measures carry no restart limit get no rows at all: their cut follows the level day
by day.  Without these variables the old ``Enterprise-chain`` (``toggle_allowed``) applies.

:func:`restart_cost_of` is the restart cost of a plan (also checked, independently, by
:func:`planner.optimize.verify.check_restarts`); :func:`stop_runs` lists the stops of a plan
for the timeline views.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from planner.optimize.inputs import BOUND_TOL

__all__ = [
    "RESTART_VARS",
    "RestartStructure",
    "has_restarts",
    "restart_cost_of",
    "restart_structure",
    "run_previous",
    "stop_runs",
]

#: Optional PlanInputs variables of the restart model and their dims.
RESTART_VARS: dict[str, tuple[str, ...]] = {
    "min_down_days": ("enterprise", "slot"),
    "restart_cost": ("enterprise", "slot"),
    "day": ("slot",),
}


def has_restarts(ds: xr.Dataset) -> bool:
    """True when the inputs carry the restart variables (episode plans from the pipeline)."""
    return all(v in ds for v in RESTART_VARS)


def run_previous(ds: xr.Dataset) -> np.ndarray:
    """For each slot the index of the slot of the previous calendar day in its run (-1 at a run's start).

    Same ``chain`` (≥ 0) and ``day`` one less.
    """
    chain = np.asarray(ds["chain"].values, dtype=int)
    day = np.asarray(ds["day"].values, dtype=int)
    S = len(day)
    prev = np.full(S, -1, dtype=int)
    key = {(int(c), int(d)): s for s, (c, d) in enumerate(zip(chain, day, strict=True)) if c >= 0}
    for s in range(S):
        if chain[s] >= 0:
            prev[s] = key.get((int(chain[s]), int(day[s]) - 1), -1)
    return prev


@dataclass(frozen=True)
class RestartStructure:
    """Cells with a stop column and the rows that bind them (see the module notes).

    Attributes
    ----------
    firm, slot : numpy.ndarray (n,)
        Cells with a stop column ``u``.
    prev : numpy.ndarray (n,)
        Slot of the previous day of the cell's run, -1 at a run's start.
    cost : numpy.ndarray (n,)
        万元 per unit of ``u`` (``restart_cost × lines``).
    down_firm, down_slot : numpy.ndarray (R,)
        The cell ``x[e, t]`` of each min-down row.
    down_row, down_cell : numpy.ndarray
        Entries: row ``down_row[i]`` holds ``-u[cell down_cell[i]]``.
    """

    firm: np.ndarray
    slot: np.ndarray
    prev: np.ndarray
    cost: np.ndarray
    down_firm: np.ndarray
    down_slot: np.ndarray
    down_row: np.ndarray
    down_cell: np.ndarray

    @property
    def n(self) -> int:
        """Number of stop cells."""
        return len(self.firm)


def restart_structure(ds: xr.Dataset, hi: np.ndarray | None = None) -> RestartStructure | None:
    """The stop cells and min-down windows of a PlanInputs dataset (None without restart data).

    Parameters
    ----------
    ds : xarray.Dataset
        PlanInputs with :data:`RESTART_VARS`.
    hi : numpy.ndarray (E, S), optional
        Effective ceilings: a cell that cannot be cut gets no stop column.
    """
    if not has_restarts(ds):
        return None
    down = np.floor(np.asarray(ds["min_down_days"].values, dtype=float) + 1e-9).astype(int)
    cost_line = np.asarray(ds["restart_cost"].values, dtype=float)
    lines = np.asarray(ds["lines"].values, dtype=float)
    chain = np.asarray(ds["chain"].values, dtype=int)
    E, S = down.shape
    top = np.clip(np.asarray(ds["ceiling"].values, dtype=float), 0, 1) if hi is None else hi
    can = top > BOUND_TOL
    mask = ((down >= 2) | (cost_line > 0)) & can & (chain >= 0)[None, :]
    firm, slot = np.nonzero(mask)
    prev_slot = run_previous(ds)
    cell_of = -np.ones((E, S), dtype=np.int64)
    cell_of[firm, slot] = np.arange(len(firm))
    # next slot of the run for each slot, to walk min-down windows forward
    nxt = np.full(S, -1, dtype=int)
    for s in range(S):
        if prev_slot[s] >= 0:
            nxt[prev_slot[s]] = s
    rows_e, rows_t, ent_cell = [], [], []
    dmax = int(down.max(initial=0))
    for k in range(S):
        t = k
        alive = mask[:, k].copy()
        for j in range(1, dmax):
            t = nxt[t] if t >= 0 else -1
            if t < 0:
                break
            # a later ceiling below the earlier one (a bureau's lock) wins over the min down time
            # and ends it: the line restarted that day
            alive &= top[:, t] >= top[:, k] - BOUND_TOL
            sel = alive & (down[:, k] > j)
            f = np.flatnonzero(sel)
            rows_e.append(f)
            rows_t.append(np.full(len(f), t))
            ent_cell.append(cell_of[f, k])
    if rows_e:
        re_, rt_, rc_ = np.concatenate(rows_e), np.concatenate(rows_t), np.concatenate(ent_cell)
    else:
        re_ = rt_ = rc_ = np.zeros(0, dtype=np.int64)
    # one row per distinct (firm, t)
    key = re_.astype(np.int64) * S + rt_
    uniq, inv = np.unique(key, return_inverse=True)
    return RestartStructure(
        firm=firm,
        slot=slot,
        prev=prev_slot[slot],
        cost=cost_line[firm, slot] * lines[firm],
        down_firm=(uniq // S).astype(int),
        down_slot=(uniq % S).astype(int),
        down_row=inv.astype(int).ravel(),
        down_cell=rc_.astype(int),
    )


def _increments(ds: xr.Dataset, x: np.ndarray) -> np.ndarray:
    """``max(0, x[e, s] − x[e, s−1])`` along runs (x before a run's start = 0), (E, S)."""
    prev = run_previous(ds)
    before = np.where(prev[None, :] >= 0, x[:, np.maximum(prev, 0)], 0.0)
    return np.maximum(x - before, 0.0)


def restart_cost_of(ds: xr.Dataset, x: np.ndarray) -> float:
    """Restart cost (万元) of curtailment ``x`` (E, S).

    Every line stopped on a slot with a restart cost is charged once (0 without restart data).
    """
    if not has_restarts(ds):
        return 0.0
    x = np.nan_to_num(np.asarray(x, dtype=float))
    inc = _increments(ds, x)
    chain = np.asarray(ds["chain"].values, dtype=int)
    cost = np.asarray(ds["restart_cost"].values, float) * np.asarray(ds["lines"].values, float)[:, None]
    inc = np.where(chain[None, :] >= 0, inc, 0.0)
    return float((np.where(inc > 1e-9, inc, 0.0) * cost).sum())


def stop_runs(ds: xr.Dataset, x: np.ndarray, tol: float = 1e-6) -> dict[str, np.ndarray]:
    """Per cell: the share newly stopped, restarted the next day, and whether a min-down limit holds.

    The share newly stopped (``started``) and restarted the next day (``restarted``), and whether a min-down limit holds the firm that day (``held``), as (E, S) arrays.
    """
    x = np.nan_to_num(np.asarray(x, dtype=float))
    E, S = x.shape
    if not has_restarts(ds):
        z = np.zeros((E, S))
        return {"started": z, "restarted": z, "held": np.zeros((E, S), bool)}
    inc = _increments(ds, x)
    prev = run_previous(ds)
    nxt = np.full(S, -1, dtype=int)
    for s in range(S):
        if prev[s] >= 0:
            nxt[prev[s]] = s
    after = np.where(nxt[None, :] >= 0, x[:, np.maximum(nxt, 0)], 0.0)
    restarted = np.maximum(x - after, 0.0)
    st = restart_structure(ds)
    held = np.zeros((E, S), bool)
    if st is not None and len(st.down_row):
        u = inc[st.firm, st.slot]
        need = np.bincount(st.down_row, weights=u[st.down_cell], minlength=len(st.down_firm))
        on = need > tol
        held[st.down_firm[on], st.down_slot[on]] = True
    return {
        "started": np.where(inc > tol, inc, 0.0),
        "restarted": np.where(restarted > tol, restarted, 0.0),
        "held": held,
    }
