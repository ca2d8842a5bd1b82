"""An exact decomposition solver for the plain curtailment LP (issue 13).

The model of :mod:`planner.optimize.blocks` couples the enterprises only through the ``S·P``
target rows ``Σ_e reducible[e, s, p]·x[e, s] + u[s, p] >= rhs[s, p]``; everything else (bounds,
the non-decreasing chain) belongs to one enterprise.  For multipliers ``λ >= 0`` on the target
rows the Lagrangian splits into one small problem per enterprise,

    min  Σ_s (loss[e, s] - Σ_p λ[s, p]·reducible[e, s, p]) · x[e, s]
    s.t. lo <= x <= hi,  x[e, s] <= x[e, s'] along a chain,

which :class:`Oracle` solves exactly for every enterprise at once (vectorised numpy, see below).
The solve (:func:`solve_decomposed`) is *sifting with a Lagrangian oracle*:

1. **Multipliers.**  ``λ`` comes from a warm start (a previous plan, a sweep) or, cold, from
   the same sifting on stratified samples of 1,000, 4,000, 16,000 … enterprises (×4 while below a
   third of the movable ones; the heaviest as they are, the rest drawn at random and weighted
   up), each level started from the previous one's ``λ``.  The sample estimate is still rough
   (its error shrinks like one over the square root of the sample): the full level's restricted
   LP then grows to thousands of decisions (``benchmarks/bench_decomposition.py``); with a warm
   start it holds a few hundred.
2. **Restricted LP.** Every decision (a free cell outside a chain, an interval of a chain, see
   below) starts at its Lagrangian argmin under ``λ``; the decisions within a relative band ``δ``
   of a tie become columns of a HiGHS LP written as deviations from that fixed choice (a cell
   moves to its other bound, an interval to another first position: one column per first
   position within the band, and ``Σ w <= 1`` once an interval holds two), with the shortfall,
   non-industrial and elastic columns of the model.
3. **Pricing.**  With the restricted LP's duals ``λ'`` every decision is priced: its violation
   ``v = min c(λ')·x`` over the options it holds (the fixed choice, for an interval also the
   first positions in the LP) ``- min c(λ')·x`` over all of them, ``>= 0``.  The most violated
   (at most 1,500 a round) join the restricted LP with their argmin (HiGHS keeps its basis:
   every new column starts at 0, the fixed choice); repeat until ``Σ v`` vanishes.  Holding only
   the priced first positions keeps the restricted LP at the target rows and a few more (a row
   per interval of width three or more, ~1,000 at 20,000 × 7, tripled its simplex time).
   **BoxStep stabilisation:** from a given ``λ`` the restricted LP may buy tonnes at
   ``λ(1 + β)`` and sell surplus at ``λ(1 - β)`` per row, so its duals stay in that box instead
   of jumping (the dual is degenerate: a price may move between the days of a chain, and a few
   near ties cannot pin 28 prices); when nothing violates but the
   box still binds it is recentred on ``λ'`` and doubled, and only an idle box (its columns at 0)
   ends the loop, where the box constraints are inactive and ``λ'`` is the restricted LP's own
   optimal dual.
   **Candidates and restarts** (:func:`_sift_near`, :func:`_sift_restarts`): on the full level
   the rounds price only the enterprises within :data:`CANDIDATE_BAND` of a tie under the
   starting ``λ`` (the others held at their argmin, their tonnes off the targets), and the
   duals reached are then priced over every enterprise (wrong ones join, and it starts again,
   warm); in the first such round, every :data:`RESTART_ROUNDS` rounds (at most
   :data:`MAX_RESTARTS` times) the restricted LP is rebuilt around its own duals, since one grown
   from rough multipliers slows down (random 300,000 × 7, when every interval had a row: 5.0 s of
   sifting against 1.9 s, ``benchmarks/bench_decomposition.py``).
4. **Certificate.** Then ``λ'`` prices every column of the full LP correctly, so it is an optimal
   dual: the Lagrangian bound ``L(λ') = λ'·rhs + Σ_e min c_e(λ')·x + (shortfall and
   non-industrial terms)`` is computed over every enterprise and must equal the primal objective
   of the assembled plan (relative gap reported, ``<= 1e-9`` by construction; a larger gap is an
   error and the caller falls back to the direct model).

The per-enterprise oracle.  Without a chain each cell sits at ``lo`` or ``hi`` by the sign of its
reduced cost.  Along a chain (``lo``, ``hi`` non-decreasing after propagation) write
``x[t] = ∫_0^1 [k(v) <= t] dv`` where ``k(v)`` is the first chain position whose share is at
least ``v``: the bounds allow ``k(v)`` in ``[#{hi < v}, #{lo < v}]`` and the cost is
``∫ C_{k(v)} dv`` with ``C_k = Σ_{t >= k} c_t`` (suffix sums).  Between consecutive breakpoints
(the sorted values of ``lo`` and ``hi``) the allowed range is constant, so each such *interval*
picks the argmin of ``C`` over its range: an exact solution of the chain problem in ``O(S²)``
vectorised operations per call, with the breakpoints computed once.

What it supports: the curtailment columns, targets and shortfall, the chain, continuous
non-industrial measures (:data:`SUPPORTED_BLOCKS`).  Any other block of the model built by
:func:`planner.optimize.blocks.build_model` (grade monotonicity, loss caps, equity, whole lines,
and whatever block is added later), an option it does not know at a non-default value, or the
PuLP backend makes :func:`choose` pick the direct model and say why
(``Plan.solver_path``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields

import highspy
import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from planner.optimize.blocks import (
    CHAIN,
    CURTAILMENT,
    NON_INDUSTRIAL,
    SHORTFALL,
    TARGET,
    build_model,
    shortfall_penalty,
)
from planner.optimize.highs_backend import new_highs, run_highs
from planner.optimize.inputs import (
    BOUND_TOL,
    chain_pairs,
    effective_bounds,
    non_industrial_arrays,
    reduction_terms,
)
from planner.optimize.options import SolveOptions

#: Blocks the decomposition solves exactly; a model with any other block goes to the direct solver.
SUPPORTED_BLOCKS = frozenset({CURTAILMENT, SHORTFALL, TARGET, CHAIN, NON_INDUSTRIAL})
#: Options that do not change the model (or that the decomposition honours itself).
NEUTRAL_OPTIONS = frozenset(
    {
        "backend",
        "solver",
        "mip_gap",
        "time_limit",
        "presolve",
        "allow_shortfall",
        "shortfall_penalty",
        "shortfall_tol",
        "threads",
        "verify",
        "msg",
        "decomposition",
    }
)
#: ``decomposition: auto`` uses the decomposition (with a warm start) from this many enterprise ×
#: slot cells on; below ~5,000 firms the direct model takes a few hundredths of a second.
AUTO_MIN_CELLS = 35_000
#: ``decomposition: auto`` uses the decomposition from a cold start from this many free cells
#: (ceiling above floor) on.  Measured on random episode LPs (``model.solve``, decomposition off /
#: on, medians of 3 seeds, 2026-12-03): 5,000 firms (~24,900 free cells) 0.085 s direct / 0.108 s
#: decomposed, 10,000 firms (~49,700) 0.19 / 0.14 s, 20,000 firms 0.49 / 0.23 s, 30,000 firms
#: 0.90 / 0.25 s.
AUTO_COLD_MIN_FREE_CELLS = 40_000
#: Relative gap between the primal objective and the Lagrangian bound accepted as a certificate.
CERTIFICATE_TOL = 1e-9
#: Near-tie band (relative) of the first restricted LP after a warm start, after the cold levels,
#: and on the sample levels.
WARM_BAND = 1e-3
COLD_BAND = 3e-3
SAMPLE_BAND = 0.01
#: BoxStep half-width (relative) of the duals on the sample levels and on the full level.  A
#: sample's multipliers are an estimate: a wide box (0.2 against 0.03 before) lets them move
#: in fewer box moves (random episode LPs, medians over seeds, interleaved, 2026-12-03:
#: 20,000 × 7 0.186 → 0.179 s, 100,000 × 7 0.76 → 0.66 s, 300,000 × 7 1.95 → 1.57 s).
BOX = 0.2
FULL_BOX = 0.1
#: Most decisions added to a restricted LP per pricing round (the most violated first).
PRICING_CAP = 1500
#: The full level's sifting starts afresh from its duals after this many rounds (at most
#: ``MAX_RESTARTS`` times): a restricted LP grown from rough multipliers gets slow to re-solve.
RESTART_ROUNDS = 3
MAX_RESTARTS = 2
#: The full level's sifting prices only the enterprises within this band (relative) of a tie under
#: the starting multipliers, until its duals are priced over every enterprise (:func:`_sift_near`).
CANDIDATE_BAND = 0.2
#: HiGHS options a restricted LP's run is resumed with, in turn, while it ends "Unknown" (see
#: :meth:`_Restricted.run`): no scaling of the simplex, then the interior point method.
RESCALE = (("simplex_scale_strategy", 0), ("solver", "ipm"))
#: Enterprises in the probe model used to read the block names (see :func:`unsupported_blocks`).
PROBE_FIRMS = 400


# ----------------------------------------------------------------------------------------------
# choice of the solver path
# ----------------------------------------------------------------------------------------------
def unsupported_options(options: SolveOptions) -> list[str]:
    """Options at a non-default value that change the model in a way the decomposition does not solve."""
    default = SolveOptions()
    out = []
    for f in fields(SolveOptions):
        if f.name in NEUTRAL_OPTIONS:
            continue
        v = getattr(options, f.name)
        if v != getattr(default, f.name):
            out.append(f"{f.name}={v!r}")
    return out


def free_cells(inputs: xr.Dataset) -> int:
    """Enterprise × slot cells whose ceiling is above their floor (the cells the optimizer moves)."""
    return int(np.count_nonzero(inputs["ceiling"].values > inputs["floor"].values))


def probe_inputs(inputs: xr.Dataset, n: int = PROBE_FIRMS) -> xr.Dataset:
    """A few hundred enterprises spread over the list (every one when the list is short)."""
    E = inputs.sizes["enterprise"]
    if n >= E:
        return inputs
    return inputs.isel(enterprise=np.unique(np.linspace(0, E - 1, n).astype(int)))


def unsupported_blocks(inputs: xr.Dataset, options: SolveOptions) -> list[str]:
    """List what the decomposition cannot solve in this model.

    Blocks of the model (built on a probe of the enterprises) outside :data:`SUPPORTED_BLOCKS`, and
    integer columns (whole lines or on/off non-industrial measures make a MILP).
    """
    m, _ = build_model(probe_inputs(inputs), options)
    out = [b for b in m.blocks if b not in SUPPORTED_BLOCKS]
    for b in m.variables.values():
        if b.integer.any():
            out.append(f"{b.name} (integer columns: a MILP)")
    return out


def choose(inputs: xr.Dataset, options: SolveOptions, warm: bool = False) -> dict:
    """Pick the solver path for ``inputs`` under ``options``.

    ``decomposition: auto`` takes the decomposition for a supported model of at least
    :data:`AUTO_MIN_CELLS` cells with a warm start (re-solves after an edit, sweeps: a restricted
    LP of a few hundred decisions), and from a cold start once the model has
    :data:`AUTO_COLD_MIN_FREE_CELLS` free cells (ceiling above floor): below that the direct model
    is faster without good multipliers.

    Parameters
    ----------
    inputs : xarray.Dataset
    options : SolveOptions
    warm : bool
        A warm start (multipliers of a previous plan) is available.

    Returns
    -------
    dict
        ``{"method": "decomposition" | "direct", "reason": str}``; with ``decomposition: on`` and
        an unsupported model the reason says what is not supported (the direct model is used).
    """
    mode = getattr(options, "decomposition", "auto")
    E, S = inputs.sizes["enterprise"], inputs.sizes["slot"]
    if mode == "off":
        return {"method": "direct", "reason": "decomposition: off"}
    if mode == "auto" and E * S < AUTO_MIN_CELLS:
        return {
            "method": "direct",
            "reason": f"{E} × {S} cells below the decomposition's size ({AUTO_MIN_CELLS:,} cells)",
        }
    if mode == "auto" and not warm:
        free = free_cells(inputs)
        if free < AUTO_COLD_MIN_FREE_CELLS:
            return {
                "method": "direct",
                "reason": f"decomposition: auto without a warm start and {free:,} free cells below "
                f"{AUTO_COLD_MIN_FREE_CELLS:,} (the direct model is faster there from a cold start)",
            }
    why = []
    if options.backend != "highs":
        why.append(f"backend {options.backend!r} (the decomposition runs HiGHS)")
    why += [f"option {o}" for o in unsupported_options(options)]
    if not why:
        why += [f"block {b}" for b in unsupported_blocks(inputs, options)]
    if why:
        return {"method": "direct", "reason": "not supported by the decomposition: " + "; ".join(why)}
    return {
        "method": "decomposition",
        "reason": f"decomposition: {mode}, {E} × {S} cells" + (", warm start" if warm else ""),
    }


# ----------------------------------------------------------------------------------------------
# the per-enterprise oracle
# ----------------------------------------------------------------------------------------------
@dataclass
class _Range:
    """Chain intervals whose allowed first position is ``nb … na`` (one per enterprise at most)."""

    nb: int
    na: int
    pos: np.ndarray  # positions of the enterprises in the group
    ln: np.ndarray  # interval lengths (share)

    @property
    def width(self) -> int:
        return self.na - self.nb + 1


@dataclass
class _Group:
    """One chain and the chained enterprises that can move along it."""

    slots: np.ndarray  # (L,) slot numbers in chain order
    firms: np.ndarray  # (n,) enterprise numbers
    base: np.ndarray  # (n, L) share given by the intervals without a choice
    ranges: list[_Range] = field(default_factory=list)


@dataclass
class _Choice:
    """One option per decision.

    ``a`` (E, S) cell at its ceiling; ``b[g][r]`` first position of each chain interval (the
    interval's length is added from that position on).
    """

    a: np.ndarray
    b: list[list[np.ndarray]]


class Oracle:
    """Exact minimiser of ``Σ c·x`` over every enterprise's bounds and chain, for any ``c`` (E, S).

    The enterprises' problems are written as independent *decisions*: a cell outside any chain
    (share ``lo`` or ``hi``), or one interval of a chain (its first position, module docstring).

    Parameters
    ----------
    lo, hi : numpy.ndarray (E, S)
        Chain-propagated bounds (:func:`planner.optimize.inputs.effective_bounds`).
    chains : list of numpy.ndarray
        Slot numbers of each chain, in chain order.
    chained : numpy.ndarray of bool (E,)
        Enterprises the chains bind.
    """

    def __init__(self, lo: np.ndarray, hi: np.ndarray, chains: list[np.ndarray], chained: np.ndarray):
        self.lo, self.hi = lo, hi
        self.span = hi - lo
        free = self.span > BOUND_TOL
        self.free_firm = free.any(axis=1)
        self.indep = free.copy()
        self.base = lo.copy()
        self.groups: list[_Group] = []
        rows = np.flatnonzero(chained)
        for slots in chains:
            if len(slots) < 2:
                continue
            firms = np.flatnonzero(chained & free[:, slots].any(axis=1))
            self.indep[_at(rows, slots)] = False
            if len(firms):
                g = self._group(slots, firms)
                self.groups.append(g)
                self.base[_at(firms, slots)] = g.base
        self.span_indep = np.where(self.indep, self.span, 0.0)

    def _group(self, slots: np.ndarray, firms: np.ndarray) -> _Group:
        L = len(slots)
        lo = self.lo[_at(firms, slots)]
        hi = self.hi[_at(firms, slots)]
        v = np.concatenate([lo, hi], axis=1)
        order = np.argsort(v, axis=1, kind="stable")
        b = np.take_along_axis(v, order, axis=1)
        # floors among the i + 1 smallest values: for an interval of positive length (b[i] <
        # b[i + 1]) these are the values <= b[i], so #{lo <= b[i]} and #{hi <= b[i]} = i + 1 - that
        n_lo = np.cumsum(order < L, axis=1, dtype=np.int16)
        base = np.repeat(b[:, :1], L, axis=1)
        buckets: dict[tuple[int, int], list[tuple[np.ndarray, np.ndarray]]] = {}
        for i in range(2 * L - 1):
            length = b[:, i + 1] - b[:, i]
            na = n_lo[:, i]
            nb = i + 1 - na
            live = length > 0
            fpos = np.flatnonzero(live & (na == nb))  # no choice: the length from position nb on
            if len(fpos):
                base[fpos] += length[fpos, None] * (np.arange(L)[None, :] >= nb[fpos, None])
            pick = np.flatnonzero(live & (na > nb))
            if not len(pick):
                continue
            key = nb[pick] * (L + 1) + na[pick]
            for k in np.unique(key):
                sel = pick[key == k]
                buckets.setdefault((int(k // (L + 1)), int(k % (L + 1))), []).append((sel, length[sel]))
        g = _Group(slots, firms, base)
        for (nb_, na_), parts in sorted(buckets.items()):
            g.ranges.append(
                _Range(nb_, na_, np.concatenate([p for p, _ in parts]), np.concatenate([v for _, v in parts]))
            )
        return g

    @property
    def n_decisions(self) -> int:
        """The number of decisions: independent cells plus the chain intervals of every range."""
        return int(self.indep.sum()) + sum(len(r.pos) for g in self.groups for r in g.ranges)

    def empty_mask(self) -> _Choice:
        """A boolean flag per decision, all False (same layout as a :class:`_Choice`)."""
        return _Choice(
            np.zeros_like(self.indep), [[np.zeros(len(r.pos), bool) for r in g.ranges] for g in self.groups]
        )

    def price(
        self,
        c: np.ndarray,
        current: _Choice | None = None,
        rho: np.ndarray | None = None,
        among: list[list[tuple[np.ndarray, np.ndarray] | None]] | None = None,
    ):
        """Lagrangian argmin under reduced costs ``c`` and what comes with it.

        ``among[g][r]``, optional with ``current``: ``(idx, mask)``, chain intervals ``idx`` of
        range ``r`` of group ``g`` whose violation is taken against the best of the first
        positions ``mask`` (len(idx), width) allows instead of their ``current`` one (the options a
        restricted LP holds for them, see :meth:`_Restricted.add_options`).

        Returns
        -------
        best : _Choice
            Argmin of every decision (ties: the smaller share).
        value : float
            ``Σ_e min c_e·x`` over every enterprise.
        viol : _Choice of float arrays or None
            ``c·x(current) - min`` per decision (>= 0), with ``current`` (with ``among``: the
            least ``c·x`` of the allowed options for those intervals).
        margin : _Choice of float arrays or None
            With ``rho`` (λ-value of each cell): the relative margin of each decision, (second
            best − best) / λ-value of the cells it moves.
        """
        a = self.indep & (c < 0)
        neg = np.minimum(c, 0.0)
        neg *= self.span_indep  # 0 outside the independent cells
        value = float(np.vdot(c, self.base) + neg.sum())
        viol = margin = None
        if current is not None:
            # ``current.a`` and ``neg`` are 0 outside the independent cells, and so is the violation
            viol = _Choice(np.where(current.a, self.span_indep * c, 0.0) - neg, [])
        if rho is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                margin = _Choice(np.where(self.indep, np.abs(c) / np.maximum(rho, 1e-300), np.inf), [])
        b = []
        for gi, g in enumerate(self.groups):
            L = len(g.slots)
            rsuf = _suffix(c[_at(g.firms, g.slots)], reverse=True)  # column i: first position L - i
            scale = np.maximum(rho[_at(g.firms, g.slots)].sum(axis=1), 1e-300) if rho is not None else None
            ks, vs, ms = [], [], []
            for ri, r in enumerate(g.ranges):
                rows = np.take(rsuf, r.pos, axis=0)  # a row gather, then the range's columns
                sub = rows[:, L - r.na : L - r.nb + 1]  # column j: first position na - j
                j = np.argmin(sub, axis=1)  # the first minimum: the last position, the smaller share
                at = np.arange(len(j))
                best = sub[at, j]
                value += float(r.ln @ best)
                ks.append((r.na - j).astype(np.int8))
                if current is not None:
                    vs.append(r.ln * (rows[at, L - current.b[gi][ri]] - best))
                    held = among[gi][ri] if among is not None else None
                    if held is not None:
                        idx, mask = held  # mask: positions nb … na
                        least = np.where(mask[:, ::-1], sub[idx], np.inf).min(axis=1)
                        vs[-1][idx] = r.ln[idx] * (least - best[idx])
                if scale is not None:
                    two = np.partition(sub, 1, axis=1)[:, :2]
                    ms.append((two[:, 1] - two[:, 0]) / scale[r.pos])
            b.append(ks)
            if viol is not None:
                viol.b.append(vs)
            if margin is not None:
                margin.b.append(ms)
        return _Choice(a, b), value, viol, margin

    def near_options(
        self, c: np.ndarray, rho: np.ndarray, gi: int, ri: int, idx: np.ndarray, band: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """First positions within ``band`` of the best one for chain intervals ``idx`` of a range.

        As the margin of :meth:`price` (relative to the λ-value of the enterprise's chain cells).

        Returns
        -------
        tuple of numpy.ndarray
            ``(interval, position)`` pairs, the argmin included.
        """
        g = self.groups[gi]
        r = g.ranges[ri]
        firms = g.firms[r.pos[idx]]
        sub = _suffix(c[_at(firms, g.slots)])[:, r.nb : r.na + 1]
        scale = np.maximum(rho[_at(firms, g.slots)].sum(axis=1), 1e-300)
        ii, jj = np.nonzero(sub - sub.min(axis=1)[:, None] < band * scale[:, None])
        return idx[ii], r.nb + jj

    def x_of(self, ch: _Choice) -> np.ndarray:
        """Shares (E, S) of a choice."""
        x = self.base + np.where(ch.a, self.span, 0.0)
        for g, ks in zip(self.groups, ch.b, strict=True):
            L = len(g.slots)
            d = np.zeros((len(g.firms), L + 1))
            for r, k in zip(g.ranges, ks, strict=True):
                d[r.pos, k] += r.ln  # an enterprise meets a (nb, na) range in one interval at most
            x[_at(g.firms, g.slots)] += np.cumsum(d, axis=1)[:, :L]
        return x


def _leads(idx: np.ndarray) -> np.ndarray:
    """Flag the first of each run of equal values of the sorted ``idx``."""
    out = np.ones(len(idx), bool)
    out[1:] = idx[1:] != idx[:-1]
    return out


def _every_option(r: _Range) -> tuple[np.ndarray, np.ndarray]:
    """Every (interval, first position) pair of a range."""
    n = len(r.pos)
    return np.repeat(np.arange(n), r.width), np.tile(np.arange(r.nb, r.na + 1), n)


def _at(rows: np.ndarray, slots: np.ndarray) -> tuple:
    """Index of the block ``rows × slots`` (a slice for consecutive slots: a faster gather than ``np.ix_``)."""
    if len(slots) and (np.diff(slots) == 1).all():
        return rows, slice(int(slots[0]), int(slots[-1]) + 1)
    return np.ix_(rows, slots)


def _suffix(c: np.ndarray, reverse: bool = False) -> np.ndarray:
    """Suffix sums ``C_k = Σ_{t >= k} c_t`` with ``C_L = 0`` (n, L + 1).

    With ``reverse`` column ``i`` is ``C_{L-i}``.

    One matrix product with the 0/1 matrix ``[t >= k]`` (a tenth of a reversed ``cumsum``'s time).
    """
    L = c.shape[1]
    k = np.arange(L + 1)
    return c @ (np.arange(L)[:, None] >= (L - k if reverse else k)[None, :]).astype(float)


# ----------------------------------------------------------------------------------------------
# the problem's arrays
# ----------------------------------------------------------------------------------------------
@dataclass
class _Problem:
    """The LP's arrays: bounds, losses and tonnes (possibly of a weighted sample), target rows."""

    lo: np.ndarray
    hi: np.ndarray
    loss: np.ndarray
    red: np.ndarray  # (E, S, P)
    rhs: np.ndarray  # (K,)
    short: np.ndarray  # (K,) bool: the row has a shortfall column
    penalty: float
    ni_red: np.ndarray  # (M, S, P)
    ni_cost: np.ndarray  # (M, S)
    chains: list[np.ndarray]
    chained: np.ndarray
    oracle: Oracle = field(init=False)
    #: movable firms by the tonnes they can move, heaviest first (set by :func:`_sample`)
    heavy_first: np.ndarray | None = field(default=None, init=False)

    def __post_init__(self):
        self.oracle = Oracle(self.lo, self.hi, self.chains, self.chained)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.red.shape

    def rho(self, lam: np.ndarray) -> np.ndarray:
        """``Σ_p λ[s, p]·reducible[e, s, p]`` (E, S).

        One matrix product of the (E, S·P) tonnes with the block-diagonal (S·P, S) multipliers
        (BLAS: a third of an ``einsum``'s time at 300,000 × 7 × 4).
        """
        E, S, P = self.red.shape
        blocks = np.zeros((S * P, S))
        blocks[np.arange(S * P), np.repeat(np.arange(S), P)] = lam.ravel()
        return self.red.reshape(E, S * P) @ blocks

    def tonnes(self, x: np.ndarray) -> np.ndarray:
        """``Σ_e reducible·x`` per target row (K,), one matrix-vector product per slot."""
        S = self.red.shape[1]
        return np.stack([x[:, s] @ self.red[:, s, :] for s in range(S)]).ravel()

    def subset(self, firms: np.ndarray, weight: np.ndarray) -> _Problem:
        """Return the problem over the enterprises ``firms`` with losses and tonnes multiplied by ``weight``.

        Every other enterprise is left out (the caller adjusts ``rhs``).
        """
        w = weight[:, None]
        return _Problem(
            self.lo[firms],
            self.hi[firms],
            self.loss[firms] * w,
            self.red[firms] * w[:, :, None],
            self.rhs.copy(),
            self.short,
            self.penalty,
            self.ni_red,
            self.ni_cost,
            self.chains,
            self.chained[firms],
        )


def _chains(inputs: xr.Dataset) -> tuple[list[np.ndarray], np.ndarray]:
    """Slots of each chain in order, and the enterprises the chains bind."""
    cp = chain_pairs(inputs)
    nxt = dict(cp.pairs)
    later = {b for _, b in cp.pairs}
    chains = []
    for h in dict.fromkeys(a for a, _ in cp.pairs if a not in later):
        run = [h]
        while run[-1] in nxt:
            run.append(nxt[run[-1]])
        chains.append(np.array(run, dtype=int))
    return chains, np.asarray(cp.firms, bool)


def problem(inputs: xr.Dataset, options: SolveOptions, shortfall_everywhere: bool = False) -> _Problem:
    """Return the arrays of the model :func:`planner.optimize.blocks.build_model` would build.

    Same bounds, shortfall rows and penalty, without building the model.
    """
    lo, hi = effective_bounds(inputs)
    loss = np.asarray(inputs["loss_at_full"].values, float)
    coef, const = reduction_terms(inputs)  # the floor offset of lines/process items, as model_data
    red = np.ascontiguousarray(coef, float)
    rhs = (inputs["target"].values.astype(float) - inputs["credited"].values.astype(float) - const).ravel()
    ni_red, ni_cost, _, _ = non_industrial_arrays(inputs)
    chains, chained = _chains(inputs)
    if not options.allow_shortfall:
        short = np.zeros(rhs.shape, bool)
    elif shortfall_everywhere:
        short = np.ones(rhs.shape, bool)
    else:
        reach = np.einsum("es,esp->sp", hi, red).ravel() + ni_red.sum(axis=0).ravel()
        short = reach < rhs - 1e-9 * np.maximum(1.0, np.abs(rhs))
    penalty = shortfall_penalty(options, loss, red, lo, hi)
    return _Problem(lo, hi, loss, red, rhs, short, penalty, ni_red, ni_cost, chains, chained)


# ----------------------------------------------------------------------------------------------
# the restricted LP
# ----------------------------------------------------------------------------------------------
class _Restricted:
    """A HiGHS LP over the target rows, written as *deviations* from a fixed Lagrangian choice.

    It holds the shortfall, non-industrial and elastic columns, and the decisions added so far:
    a free cell is a column in [0, 1] moving it from its fixed bound to the other one; a chain
    interval one column per other first position with ``Σ w <= 1``.  Every column at 0 is the
    fixed choice, so the basis of the previous solve stays primal feasible when decisions are
    added (HiGHS warm-starts) and a good fixed choice needs few iterations.
    """

    def __init__(
        self, pb: _Problem, fixed: _Choice, rhs: np.ndarray, msg: bool, threads, elastic_cost: float
    ):
        self.pb = pb
        self.fixed = fixed
        _E, S, P = pb.shape
        self.K = K = S * P
        h = new_highs(msg)
        h.setOptionValue("presolve", "off")
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        self.h = h
        M = pb.ni_cost.shape[0]
        short = np.flatnonzero(pb.short)
        hard = np.flatnonzero(~pb.short)
        cost = np.r_[np.full(len(short), pb.penalty), np.full(len(hard), elastic_cost), pb.ni_cost.ravel()]
        upper = np.r_[np.maximum(pb.rhs[short], 0.0), np.full(len(hard), np.inf), np.ones(M * S)]
        nired = pb.ni_red.reshape(M, K)
        m_i, k_i = np.nonzero(nired > 0)
        cols = np.r_[np.arange(len(short) + len(hard)), len(short) + len(hard) + m_i * S + k_i // P]
        rows = np.r_[short, hard, k_i]
        vals = np.r_[np.ones(len(short) + len(hard)), nired[m_i, k_i]]
        order = np.lexsort((rows, cols))
        n = len(cost)
        start = np.zeros(n + 1, np.int32)
        np.cumsum(np.bincount(cols.astype(np.int64), minlength=n), out=start[1:])
        h.passModel(
            int(n),
            int(K),
            len(vals),
            1,
            1,
            0.0,
            cost,
            np.zeros(n),
            upper,
            np.asarray(rhs, float),
            np.full(K, np.inf),
            start[:-1],
            rows[order].astype(np.int32),
            vals[order],
            np.zeros(n, np.int32),
        )
        self.n_short, self.n_hard = len(short), len(hard)
        self.short_rows = short
        self.n_static = n
        # the box (see :meth:`set_box`): a "buy" column (+1) and a "sell" column (-1) per row,
        # fixed at 0 until a box is set
        self.box0 = h.getNumCol()
        kk = np.arange(K, dtype=np.int32)
        h.addCols(K, np.zeros(K), np.zeros(K), np.zeros(K), K, kk, kk, np.ones(K))
        h.addCols(K, np.zeros(K), np.zeros(K), np.zeros(K), K, kk, kk, -np.ones(K))
        self.box_cap = np.maximum(pb.tonnes(pb.hi) + pb.ni_red.sum(axis=0).ravel(), 1.0)
        self.box_tol = 1e-9 * np.maximum(1.0, np.abs(pb.rhs))
        self.boxed = False
        self.notes: list[str] = []  # what HiGHS could not do as asked (see run_highs)
        self.batches: list[tuple] = []  # ("a", e, s, col0) or ("b", gi, ri, idx, col0, positions)
        self.n_added = 0
        # per (group, range) with columns: the options each interval holds (its fixed one
        # included), the row of its Σ w <= 1 (-1: none yet), its first column (-1: none)
        self.held_opts: dict[tuple[int, int], np.ndarray] = {}
        self.row_of: dict[tuple[int, int], np.ndarray] = {}
        self.col1: dict[tuple[int, int], np.ndarray] = {}

    def add_cells(self, e: np.ndarray, s: np.ndarray) -> None:
        """Columns for free cells outside a chain (from the fixed bound towards the other)."""
        pb = self.pb
        n = len(e)
        if not n:
            return
        _S, P = pb.shape[1:]
        sign = np.where(self.fixed.a[e, s], -1.0, 1.0) * pb.oracle.span[e, s]
        red = pb.red[e, s] * sign[:, None]  # (n, P)
        nz = red != 0
        start = np.zeros(n + 1, np.int32)
        np.cumsum(nz.sum(axis=1), out=start[1:])
        i, p = np.nonzero(nz)
        col0 = self.h.getNumCol()
        self.h.addCols(
            n,
            pb.loss[e, s] * sign,
            np.zeros(n),
            np.ones(n),
            len(i),
            start[:-1],
            (s[i] * P + p).astype(np.int32),
            red[i, p],
        )
        self.batches.append(("a", e, s, col0))
        self.n_added += n

    def add_options(self, gi: int, ri: int, idx: np.ndarray, opt: np.ndarray) -> int:
        """Add a column per chain interval ``idx`` of range ``ri`` of group ``gi`` and first position ``opt``.

        ``idx`` (sorted) and ``opt`` pair up (an interval may come with several positions).  A
        column moves its interval's share from the fixed first position to ``opt``; an interval holds the
        options it has been given (its fixed one always), so pricing weighs it against the best
        of them (:meth:`held`).  An interval with one column needs no row (the column's bound
        ``[0, 1]`` is its ``Σ w <= 1``); the row is added with its second column.  Holding the
        priced options only (a near tie is mostly between two first positions) keeps the LP at
        the target rows and a few more instead of a row per interval of width three or more.

        Returns
        -------
        int
            The number of columns added.
        """
        pb = self.pb
        g = pb.oracle.groups[gi]
        r = g.ranges[ri]
        key = (gi, ri)
        if key not in self.held_opts:
            self.held_opts[key] = np.zeros((len(r.pos), r.width), bool)
            self.row_of[key] = np.full(len(r.pos), -1, np.int64)
            self.col1[key] = np.full(len(r.pos), -1, np.int64)
        incl, row_of, col1 = self.held_opts[key], self.row_of[key], self.col1[key]
        kf_all = self.fixed.b[gi][ri]
        lead = _leads(idx)
        fresh = idx[lead & ~incl[idx].any(axis=1)]
        self.n_added += len(fresh)
        incl[fresh, kf_all[fresh].astype(int) - r.nb] = True
        keep = ~incl[idx, opt - r.nb]
        idx, opt = idx[keep], opt[keep]
        m = len(idx)
        if not m:
            return 0
        # intervals' columns before and after (the fixed option counted out)
        first = np.flatnonzero(_leads(idx))
        u = idx[first]
        count = np.diff(np.append(first, m))
        before = incl[u].sum(axis=1) - 1
        need = u[(before + count >= 2) & (row_of[u] < 0)]
        if len(need):  # a row Σ w <= 1 for each, over its column so far (one at most)
            had = col1[need] >= 0
            r0 = self.h.getNumRow()
            nnz = had.astype(np.int32)
            start = np.zeros(len(need), np.int32)
            np.cumsum(nnz[:-1], out=start[1:])
            self.h.addRows(
                len(need),
                np.full(len(need), -np.inf),
                np.ones(len(need)),
                int(nnz.sum()),
                start,
                col1[need][had].astype(np.int32),
                np.ones(int(nnz.sum())),
            )
            row_of[need] = r0 + np.arange(len(need))
        _S, P = pb.shape[1:]
        L = len(g.slots)
        firms = g.firms[r.pos[idx]]
        ln = r.ln[idx]
        kf = kf_all[idx].astype(int)
        lsuf = _suffix(pb.loss[_at(firms, g.slots)])
        rows_m = np.arange(m)
        cost = (lsuf[rows_m, opt] - lsuf[rows_m, kf]) * ln
        t = np.arange(L)[None, :]
        # option minus the fixed option: +1 on positions opt..kf-1, -1 on kf..opt-1
        sgn = ((t >= opt[:, None]) & (t < kf[:, None])).astype(float)
        sgn -= (t >= kf[:, None]) & (t < opt[:, None])
        red = pb.red[firms][:, g.slots, :]  # (m, L, P)
        cc = (sgn[:, :, None] * red * ln[:, None, None]).reshape(m, L * P)
        j, q = np.nonzero(cc)
        vals = cc[j, q]
        rows = (g.slots[q // P] * P + q % P).astype(np.int64)
        rj = row_of[idx]
        on_row = np.flatnonzero(rj >= 0)
        if len(on_row):  # the interval's row, after the target rows
            j = np.concatenate([j, on_row])
            rows = np.concatenate([rows, rj[on_row]])
            vals = np.concatenate([vals, np.ones(len(on_row))])
            order = np.argsort(j, kind="stable")
            rows, vals = rows[order], vals[order]
        start = np.zeros(m + 1, np.int32)
        np.cumsum(np.bincount(j, minlength=m), out=start[1:])
        col0 = self.h.getNumCol()
        self.h.addCols(m, cost, np.zeros(m), np.ones(m), len(vals), start[:-1], rows.astype(np.int32), vals)
        lone = (before == 0) & (count == 1)  # the interval's one column: its row if a second comes
        col1[u[lone]] = col0 + first[lone]
        incl[idx, opt - r.nb] = True
        self.batches.append(("b", gi, ri, idx, col0, opt))
        return m

    def held(self, inlp: list[list[np.ndarray]]) -> list[list[tuple[np.ndarray, np.ndarray] | None]]:
        """The ``among`` argument of :meth:`Oracle.price`.

        For each range: its intervals in the LP and the options they hold.
        """
        out: list[list[tuple[np.ndarray, np.ndarray] | None]] = []
        for gi, rows in enumerate(inlp):
            out.append([])
            for ri, sel in enumerate(rows):
                incl = self.held_opts.get((gi, ri))
                if incl is None:
                    out[-1].append(None)
                    continue
                idx = np.flatnonzero(sel)
                out[-1].append((idx, incl[idx]))
        return out

    def set_box(self, center: np.ndarray | None, width: np.ndarray | None = None) -> None:
        """Keep the row duals near ``center`` (BoxStep stabilisation).

        Row ``k`` may buy tonnes at ``center + width`` and sell surplus at ``center - width`` (when
        positive), so its dual stays in ``[center - width, center + width]`` while the sell column is
        below its cap.  ``center=None`` removes the box (its columns fixed at 0).
        """
        K = self.K
        idx = (self.box0 + np.arange(2 * K)).astype(np.int32)
        if center is None:
            self.h.changeColsBounds(2 * K, idx, np.zeros(2 * K), np.zeros(2 * K))
            self.boxed = False
            return
        up = center + width
        down = np.maximum(center - width, 0.0)
        cost = np.r_[up, -down]
        upper = np.r_[np.full(K, np.inf), np.where(down > 0, self.box_cap, 0.0)]
        self.h.changeColsCost(2 * K, idx, cost)
        self.h.changeColsBounds(2 * K, idx, np.zeros(2 * K), upper)
        self.boxed = True

    def box_used(self, col: np.ndarray) -> bool:
        """A box column is away from 0: the restricted LP's duals sit on the box."""
        if not self.boxed:
            return False
        K = self.K
        v = col[self.box0 : self.box0 + 2 * K].reshape(2, K)
        return bool((v > self.box_tol[None, :]).any())

    def run(self) -> tuple[str, np.ndarray | None, np.ndarray | None]:
        """Solve; ``(status text, λ (K,), column values)``.

        A run that ends without a verdict (HiGHS's "Unknown": the scaled LP solved, the unscaled
        one left with a dual infeasibility it cannot clean up, seen when the shortfall penalty is
        10⁶ times the other costs) is resumed from its basis with another scaling
        (:data:`RESCALE`), then by the interior point method.
        """
        self.notes += run_highs(self.h)
        for option, value in RESCALE:
            if self.h.getModelStatus() != highspy.HighsModelStatus.kUnknown:
                break
            self.h.setOptionValue(option, value)
            self.notes += run_highs(self.h)
            if option == "solver":  # the later runs warm-start the simplex from its basis
                self.h.setOptionValue("solver", "choose")
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return self.h.modelStatusToString(self.h.getModelStatus()), None, None
        sol = self.h.getSolution()
        lam = np.maximum(np.asarray(sol.row_dual, float)[: self.K], 0.0)
        return "optimal", lam, np.asarray(sol.col_value, float)

    def elastic_used(self, col: np.ndarray) -> bool:
        return bool(col[self.n_short : self.n_short + self.n_hard].max(initial=0.0) > 1e-9)

    def shares(self, col: np.ndarray) -> np.ndarray:
        """Shares (E, S): the fixed choice moved by the LP's columns."""
        o = self.pb.oracle
        x = o.x_of(self.fixed)
        for bt in self.batches:
            if bt[0] == "a":
                _, e, s, c0 = bt
                z = np.clip(col[c0 : c0 + len(e)], 0.0, 1.0)
                x[e, s] += np.where(self.fixed.a[e, s], -1.0, 1.0) * o.span[e, s] * z
            else:
                _, gi, ri, idx, c0, opt = bt
                g = o.groups[gi]
                r = g.ranges[ri]
                L, m = len(g.slots), len(idx)
                w = np.clip(col[c0 : c0 + m], 0.0, 1.0)
                d = np.zeros((m, L + 1))
                d[np.arange(m), opt] += w
                d[np.arange(m), self.fixed.b[gi][ri][idx]] -= w
                delta = np.cumsum(d, axis=1)[:, :L] * r.ln[idx, None]
                np.add.at(x, (g.firms[r.pos[idx]][:, None], g.slots[None, :]), delta)
        return np.clip(x, o.lo, o.hi)


@dataclass
class _Sifted:
    state: str
    lam: np.ndarray | None
    x: np.ndarray | None
    col: np.ndarray | None
    lp: _Restricted | None
    value: float  # Σ min c·x at λ
    stats: dict
    messages: list[str] = field(default_factory=list)


def _sift(
    pb: _Problem,
    options: SolveOptions,
    lam0: np.ndarray | None,
    band: float,
    elastic: float,
    deadline: float | None,
    box: float | None = None,
    max_rounds: int | None = None,
) -> _Sifted:
    """Solve the LP by sifting: a restricted LP over the near ties, priced and grown until exact.

    The restricted LP is over the decisions within ``band`` of a tie under ``lam0`` (all of them
    without ``lam0``), the others fixed at their Lagrangian argmin; price, add violators, repeat.

    With ``box`` (and ``lam0``) the restricted LP's duals are kept within ``box`` (relative) of
    ``lam0`` (:meth:`_Restricted.set_box`): a restricted LP of the near ties alone would otherwise
    jump to duals far from ``lam0`` and pricing would add thousands of decisions.  When pricing
    finds nothing to add but the box still binds, the box is recentred on the duals and doubled;
    the answer is certified only once the box columns are at 0 (then the box constraints are
    inactive and the duals are those of the restricted LP without it).
    """
    o = pb.oracle
    _E, S, P = pb.shape
    K = S * P
    lam_start = np.zeros(K) if lam0 is None else lam0
    rho0 = pb.rho(lam_start)
    c = pb.loss - rho0
    fixed, _, _, margin = o.price(c, None, rho0 if lam0 is not None else None)
    inlp = o.empty_mask()
    x_fixed = o.x_of(fixed)
    lp = _Restricted(pb, fixed, pb.rhs - pb.tonnes(x_fixed), options.msg, options.threads, elastic)

    def add(pick_a: np.ndarray, pick_b: list[list[tuple[np.ndarray, np.ndarray]]]) -> int:
        """Add cells ``pick_a`` and (interval, first position) pairs ``pick_b``; the columns added."""
        n = 0
        e, s = np.nonzero(pick_a & o.indep & ~inlp.a)
        if len(e):
            inlp.a[e, s] = True
            lp.add_cells(e, s)
            n += len(e)
        for gi, rows in enumerate(pick_b):
            for ri, (idx, opt) in enumerate(rows):
                if len(idx):
                    inlp.b[gi][ri][idx] = True
                    n += lp.add_options(gi, ri, idx, opt)
        return n

    if lam0 is None:
        add(o.indep, [[_every_option(r) for r in g.ranges] for g in o.groups])
    else:
        near = [
            [o.near_options(c, rho0, gi, ri, np.flatnonzero(m < band), band) for ri, m in enumerate(ms)]
            for gi, ms in enumerate(margin.b)
        ]
        add(margin.a < band, near)
    first = lp.n_added  # decisions in the first restricted LP
    n_box = 0
    if box is not None and lam0 is not None:
        pos = lam_start[lam_start > 0]
        width = box * (lam_start + (pos.mean() if len(pos) else 1.0))
        lp.set_box(lam_start, width)
    rounds, t_lp, t_price = 0, 0.0, 0.0
    trace: list[tuple[int, int, float]] = []  # (decisions in the LP, simplex iterations, seconds)
    state, messages = "optimal", []
    scale = max(1.0, abs(float((pb.loss * x_fixed).sum())))
    while True:
        rounds += 1
        t = time.perf_counter()
        st, lam, col = lp.run()
        t_lp += time.perf_counter() - t
        trace.append(
            (lp.n_added, int(lp.h.getInfo().simplex_iteration_count), round(time.perf_counter() - t, 3))
        )
        if lam is None:
            return _Sifted("error", None, None, None, lp, float("nan"), {}, [f"restricted LP: {st}"])
        assert col is not None  # run() gives the columns with the duals
        t = time.perf_counter()
        c = pb.loss - pb.rho(lam)
        best, value, viol, _ = o.price(c, fixed, among=lp.held(inlp.b))
        va = np.where(inlp.a, 0.0, viol.a)
        vb = viol.b  # an interval in the LP: against the best of the options it holds
        total_v = float(va.sum() + sum(v.sum() for vs in vb for v in vs))
        elastic_used = lp.elastic_used(col)
        t_price += time.perf_counter() - t
        done = total_v <= 0.1 * CERTIFICATE_TOL * scale and not elastic_used
        if done and not lp.box_used(col):
            break
        if deadline is not None and time.perf_counter() > deadline:
            state = "time_limit"
            messages.append("the decomposition stopped at the time limit before its certificate")
            break
        if max_rounds is not None and rounds >= max_rounds:
            state = "unfinished"  # the caller restarts from these duals
            break
        if done:  # nothing to add but the box binds: recentre on the duals, widen
            n_box += 1
            width = width * 2.0
            if n_box > 40:
                lp.set_box(None)
            else:
                lp.set_box(lam, width)
            continue
        allv = np.concatenate([va.ravel(), *[v for vs in vb for v in vs]])
        thr = max(1e-14 * scale, 0.0)
        n_bad = int((allv > thr).sum())
        if n_bad == 0:
            thr = 0.0
            n_bad = int((allv > 0).sum())
        limit = PRICING_CAP  # the most violated first: a restricted LP grown slowly stays small
        above: np.ufunc = np.greater
        if n_bad > limit:  # the limit-th largest violation (partitioned among the violators only)
            bad_v = allv[allv > thr]
            thr = max(thr, float(np.partition(bad_v, len(bad_v) - limit)[len(bad_v) - limit]))
            # from the limit-th on (> 0): with identical firms thousands of violations are equal,
            # and "above the limit-th" would be none of them
            above = np.greater_equal
        picks = []  # each violated interval with its argmin
        for ks, vs in zip(best.b, vb, strict=True):
            idxs = [np.flatnonzero(above(v, thr)) for v in vs]
            picks.append([(idx, k[idx].astype(int)) for k, idx in zip(ks, idxs, strict=True)])
        if not add(above(va, thr), picks):
            if lp.box_used(col):
                n_box += 1
                width = width * 2.0
                lp.set_box(lam if n_box <= 40 else None, width)
                continue
            break  # nothing left to add: only round-off remains
    x = lp.shares(col)
    stats = {
        "rounds": rounds,
        "box_moves": n_box,
        "initial_decisions": int(first),
        "restricted_decisions": int(lp.n_added),
        "decisions": o.n_decisions,
        "restricted_lp_seconds": t_lp,
        "pricing_seconds": t_price,
        "trace": trace,
    }
    messages += list(dict.fromkeys(lp.notes))
    return _Sifted(state, lam, x, col, lp, value, stats, messages)


def _sift_restarts(
    pb: _Problem,
    options: SolveOptions,
    lam: np.ndarray | None,
    band: float,
    elastic: float,
    deadline: float | None,
    box: float | None,
) -> _Sifted:
    """:func:`_sift`, started afresh from its own duals every :data:`RESTART_ROUNDS` rounds.

    A restricted LP grown from rough multipliers holds thousands of decisions far from the final
    ties, and its re-solves slow down (random 300,000 × 7: 1,000–2,000 simplex iterations a round
    after six rounds); a new one around the duals reached so far needs a few hundred.  At most
    :data:`MAX_RESTARTS` restarts, then the sifting runs to its end.
    """
    restarts = 0
    spent = dict.fromkeys(("rounds", "restricted_lp_seconds", "pricing_seconds"), 0)
    while True:
        rounds = RESTART_ROUNDS if lam is not None and restarts < MAX_RESTARTS else None
        r = _sift(pb, options, lam, band, elastic, deadline, box=box, max_rounds=rounds)
        for k in spent:
            spent[k] += r.stats.get(k, 0)
        if r.state != "unfinished":
            r.stats.update(spent, restarts=restarts)
            return r
        restarts += 1
        lam = r.lam


def _firm_violation(pb: _Problem, lam: np.ndarray, fixed: _Choice) -> tuple[np.ndarray, float]:
    """Return how far each enterprise's choice ``fixed`` is above its Lagrangian argmin under ``lam``.

    Returns the violation per enterprise (E,), summed over its decisions (>= 0), and the oracle's
    ``Σ_e min c_e·x`` (as :meth:`Oracle.price`).
    """
    o = pb.oracle
    _, value, viol, _ = o.price(pb.loss - pb.rho(lam), fixed)
    per = viol.a.sum(axis=1)
    for g, vs in zip(o.groups, viol.b, strict=True):
        for r, v in zip(g.ranges, vs, strict=True):
            per += np.bincount(g.firms[r.pos], weights=v, minlength=len(per))
    return per, value


def _sift_near(
    pb: _Problem,
    options: SolveOptions,
    lam0: np.ndarray,
    band: float,
    elastic: float,
    deadline: float | None,
    box: float,
    near_band: float,
) -> _Sifted:
    """Sift over the enterprises near a tie under ``lam0``, the others fixed at their argmin.

    The same answer as :func:`_sift` over every enterprise, at a fraction of its pricing: each
    round of the sifting prices only the *candidates* (enterprises with a decision within
    ``near_band`` of a tie under ``lam0``, :func:`_near_firms`), the rest held at their Lagrangian
    argmin under ``lam0`` (their tonnes taken off the targets).  The sifting's duals are then priced
    over every enterprise: an enterprise outside whose fixed choice is no longer an argmin joins
    the candidates and the sifting starts again from those duals (a warm start: no restarts, the
    band :data:`WARM_BAND`).  When none is left, the fixed enterprises are complementary to the
    duals, so the certificate holds for the whole LP.  Without a gain (candidates above half the
    enterprises) it is :func:`_sift` itself.
    """
    E = pb.shape[0]
    cand, fixed = _near_firms(pb, lam0, near_band)
    x_fixed = pb.oracle.x_of(fixed)
    scale = max(1.0, abs(float((pb.loss * x_fixed).sum())))
    lam, outer = lam0, 0
    spent = dict.fromkeys(("rounds", "restricted_lp_seconds", "pricing_seconds", "restarts"), 0)

    def total(st: dict) -> dict:  # the statistics of every candidate round so far
        for k in spent:
            spent[k] += st.get(k, 0)
        return {**st, **spent}

    while True:
        fl = np.flatnonzero(cand)
        if 2 * len(fl) > E:  # no gain: every enterprise
            r = _sift_restarts(pb, options, lam, band, elastic, deadline, box)
            r.stats = {**total(r.stats), "candidates": E, "candidate_rounds": outer + 1}
            return r
        outer += 1
        sub = pb.subset(fl, np.ones(len(fl)))
        rest = x_fixed.copy()
        rest[fl] = 0.0
        sub.rhs = pb.rhs - pb.tonnes(rest)
        if outer == 1:
            r = _sift_restarts(sub, options, lam, band, elastic, deadline, box)
        else:  # from the duals of the candidates so far: a warm start, few decisions to add
            r = _sift(sub, options, lam, WARM_BAND, elastic, deadline, box=box)
        if r.lam is None or r.x is None:
            return r
        per, value = _firm_violation(pb, r.lam, fixed)
        per[fl] = 0.0
        stats = {**total(r.stats), "candidates": len(fl), "candidate_rounds": outer}
        if r.state != "optimal" or float(per.sum()) <= 0.1 * CERTIFICATE_TOL * scale:
            x = x_fixed
            x[fl] = r.x
            return _Sifted(r.state, r.lam, x, r.col, r.lp, value, stats, r.messages)
        cand |= _joining(per, cand, scale)
        lam = r.lam


def _joining(per: np.ndarray, cand: np.ndarray, scale: float) -> np.ndarray:
    """Enterprises outside ``cand`` that join the candidates for their violation ``per`` (E,).

    Those above round-off (``1e-14·scale``); when none is, every one with a positive violation:
    many tiny violations can add up above the certificate's tolerance, and a round that adds no
    enterprise would repeat itself forever.
    """
    new = (per > 1e-14 * scale) & ~cand
    if not new.any():
        new = (per > 0) & ~cand
    return new


# ----------------------------------------------------------------------------------------------
# the solve
# ----------------------------------------------------------------------------------------------
@dataclass
class Decomposed:
    """What :func:`solve_decomposed` hands back.

    Attributes
    ----------
    state : {"optimal", "infeasible", "time_limit", "error"}
    x : numpy.ndarray (E, S) or None
    ni : numpy.ndarray (M, S) or None
    lam : numpy.ndarray (S, P)
        Target-row duals ``∂ objective / ∂ (target - credited)`` (the restricted LP's, certified).
    stats : dict
        ``rounds``, ``restricted_decisions``, ``primal``, ``dual_bound``, ``certificate_gap``
        (relative), ``multipliers_from``, ``levels`` and ``timings``.
    messages : list of str
    """

    state: str
    x: np.ndarray | None
    ni: np.ndarray | None
    lam: np.ndarray
    stats: dict
    messages: list[str] = field(default_factory=list)


def _levels(n_movable: int, first: int = 1000, factor: int = 4) -> list[int]:
    """Sample sizes of the coarse levels: 1,000, 4,000, 16,000, … while below a third of the movable firms.

    From 1,000 rather than 500 (random episode LPs, medians over seeds, interleaved, 2026-12-03):
    20,000 × 7 0.216 → 0.19 s, 100,000 × 7 0.76 → 0.74 s, 300,000 × 7 2.41 → 2.12 s; the
    multipliers of a finer first level cost more rounds on the next than they save.
    """
    out = []
    n = first
    while n * 3 <= n_movable:
        out.append(n)
        n *= factor
    return out


def _sample(pb: _Problem, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Draw a stratified sample of ``n`` movable enterprises.

    The ``n/4`` heaviest (by tonnes they can move relative to the targets) as they are, the rest
    drawn at random and weighted up.
    """
    if pb.heavy_first is None:  # the movable firms, heaviest first (once per problem)
        _E, S, P = pb.shape
        movable = np.flatnonzero(pb.oracle.free_firm)
        scale = np.maximum(np.abs(pb.rhs), 1e-12).reshape(S, P)
        heavy = (pb.oracle.span * pb.rho(1.0 / scale))[movable].sum(axis=1)
        pb.heavy_first = movable[np.argsort(-heavy, kind="stable")]
    top_n = n // 4
    top, rest = pb.heavy_first[:top_n], pb.heavy_first[top_n:]
    drawn = np.sort(rng.choice(rest, size=n - top_n, replace=False))
    firms = np.r_[top, drawn]
    weight = np.r_[np.ones(len(top)), np.full(len(drawn), len(rest) / len(drawn))]
    return firms, weight


def _bound(pb: _Problem, lam: np.ndarray, value: float) -> float:
    """The Lagrangian bound ``L(λ)`` from the oracle's ``Σ_e min c_e·x`` (``value``)."""
    _E, S, P = pb.shape
    bound = float(lam @ pb.rhs) + value
    if pb.ni_cost.shape[0]:
        bound += float(
            np.minimum(0.0, pb.ni_cost - np.einsum("msp,sp->ms", pb.ni_red, lam.reshape(S, P))).sum()
        )
    bound += float((np.minimum(0.0, pb.penalty - lam) * np.maximum(pb.rhs, 0.0))[pb.short].sum())
    return bound


def _near_firms(pb: _Problem, lam: np.ndarray, band: float) -> tuple[np.ndarray, _Choice]:
    """Return the enterprises near a tie under ``lam`` and the Lagrangian argmin.

    The enterprises, as an (E,) bool mask, are those with a decision within ``band`` (relative) of a
    tie.
    """
    o = pb.oracle
    rho = pb.rho(lam)
    best, _, _, margin = o.price(pb.loss - rho, None, rho)
    near = (margin.a < band).any(axis=1)
    for g, ms in zip(o.groups, margin.b, strict=True):
        for r, m in zip(g.ranges, ms, strict=True):
            near[g.firms[r.pos[m < band]]] = True
    return near, best


def solve_decomposed(
    inputs: xr.Dataset,
    options: SolveOptions,
    warm_start=None,
    shortfall_everywhere: bool = False,
    *,
    band: float | None = None,
) -> Decomposed:
    """Solve the plain curtailment LP exactly by Lagrangian sifting (module docstring).

    Parameters
    ----------
    inputs : xarray.Dataset
        PlanInputs of a model :func:`choose` accepts.
    options : SolveOptions
    warm_start : numpy.ndarray (S, P), optional
        Multipliers to start from (:func:`warm_multipliers` of a previous plan).
    shortfall_everywhere : bool
        As in :func:`planner.optimize.blocks.model_data`.
    band : float, optional
        Relative near-tie band of the first restricted LP (default :data:`COLD_BAND` after
        the sample levels, :data:`WARM_BAND` after a warm start).

    Returns
    -------
    Decomposed

    Notes
    -----
    BLAS runs on one thread here: its calls are small matrix products (E × S·P by S·P × S) repeated
    a hundred times, and a multi-threaded BLAS call waits for its slowest thread: with one of two
    cores busy, random 300,000 × 7 took 10.8 s with the default threads and 6.6 s with one
    (medians of 3, alternating in one process).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _solve_decomposed(inputs, options, warm_start, shortfall_everywhere, band)


def _solve_decomposed(
    inputs: xr.Dataset, options: SolveOptions, warm_start, shortfall_everywhere: bool, band: float | None
) -> Decomposed:
    t0 = time.perf_counter()
    pb = problem(inputs, options, shortfall_everywhere)
    _E, S, P = pb.shape
    K = S * P
    timings = {"setup": time.perf_counter() - t0}
    M = pb.ni_cost.shape[0]
    # the blocks the direct model would have (the verifier checks each)
    blocks = [CURTAILMENT] + ([NON_INDUSTRIAL] if M else [])
    blocks += ([SHORTFALL] if pb.short.any() else []) + [TARGET]
    blocks += [CHAIN] if any(len(g.ranges) for g in pb.oracle.groups) else []
    deadline = None if options.time_limit is None else t0 + float(options.time_limit)
    elastic = max(pb.penalty, 1e3)  # 100 × the dearest tonne: never paid when the rows can be met
    reach = pb.tonnes(pb.hi) + pb.ni_red.sum(axis=0).ravel()
    if (~pb.short & (reach < pb.rhs - 1e-9 * np.maximum(1.0, np.abs(pb.rhs)))).any():
        return Decomposed(
            "infeasible",
            None,
            None,
            np.full((S, P), np.nan),
            {"timings": timings, "blocks": blocks},
            ["the constraints cannot all hold (solver: infeasible)"],
        )
    t1 = time.perf_counter()
    levels: list[dict] = []
    if warm_start is not None:
        lam = np.nan_to_num(np.asarray(warm_start, float).reshape(K), nan=0.0).clip(0.0, None)
        source = "warm start"
        band = WARM_BAND if band is None else band
    else:
        lam = None
        rng = np.random.default_rng(0)
        still = ~pb.oracle.free_firm
        fixed_t = pb.tonnes(np.where(still[:, None], pb.lo, 0.0))
        for n in _levels(int(pb.oracle.free_firm.sum())):
            firms, weight = _sample(pb, n, rng)
            sub = pb.subset(firms, weight)
            sub.rhs = pb.rhs - fixed_t
            r = _sift(sub, options, lam, SAMPLE_BAND, elastic, deadline, box=BOX)
            if r.lam is None or r.state != "optimal":
                break
            lam = r.lam
            levels.append({"firms": n, **{k: r.stats[k] for k in ("rounds", "restricted_decisions")}})
        source = "cold start" + (
            f" (sample LPs of {', '.join(str(v['firms']) for v in levels)} firms)" if levels else ""
        )
        band = COLD_BAND if band is None else band
    timings["multipliers"] = time.perf_counter() - t1
    assert band is not None  # each start above picks its band
    t1 = time.perf_counter()
    if lam is None:
        r = _sift(pb, options, lam, band, elastic, deadline, box=FULL_BOX)
    else:
        r = _sift_near(pb, options, lam, band, elastic, deadline, FULL_BOX, CANDIDATE_BAND)
    timings["sifting"] = time.perf_counter() - t1
    if r.lam is None:
        return Decomposed(
            "error", None, None, np.full((S, P), np.nan), {"timings": timings, "blocks": blocks}, r.messages
        )
    lp, col, lam, x = r.lp, r.col, r.lam, r.x
    assert lp is not None  # _sift sets lp, col and x with lam
    assert col is not None
    assert x is not None
    ni = np.clip(col[lp.n_short + lp.n_hard : lp.n_static].reshape(M, S), 0.0, 1.0) if M else None
    u = np.zeros(K)
    u[lp.short_rows] = col[: lp.n_short]
    # the certificate: the plan's objective against the Lagrangian bound at the LP's duals
    primal = float((pb.loss * x).sum() + (pb.ni_cost * ni).sum() if M else (pb.loss * x).sum())
    primal += pb.penalty * float(u.sum())
    bound = _bound(pb, lam, r.value)
    gap = (primal - bound) / max(1.0, abs(primal))
    state, messages = r.state, list(r.messages)
    if state == "optimal" and abs(gap) > 1e-7:
        state = "error"
        messages.append(
            f"decomposition certificate failed: relative gap {gap:.3g} between the plan and its dual bound"
        )
    timings["total"] = time.perf_counter() - t0
    stats = {
        "blocks": blocks,
        **r.stats,
        "primal": primal,
        "dual_bound": bound,
        "certificate_gap": gap,
        "multipliers_from": source,
        "levels": levels,
        "band": band,
        "timings": timings,
    }
    return Decomposed(state, x, ni, lam.reshape(S, P), stats, messages)


def warm_multipliers(warm) -> np.ndarray | None:
    """Return the multipliers (S, P) of a warm start, or None.

    From a :class:`planner.optimize.result.Plan` (its ``multipliers``), an array or DataArray, or
    None.
    """
    if warm is None:
        return None
    lam = getattr(warm, "multipliers", warm)
    if lam is None:
        return None
    lam = np.asarray(getattr(lam, "values", lam), float)
    return None if not np.isfinite(lam).any() else np.nan_to_num(lam, nan=0.0)


def path_stats(r: Decomposed) -> dict:
    """The JSON-safe part of a decomposition's statistics for ``Plan.solver_path``."""
    s = r.stats
    keys = (
        "rounds",
        "decisions",
        "initial_decisions",
        "restricted_decisions",
        "primal",
        "dual_bound",
        "certificate_gap",
        "multipliers_from",
    )
    out = {k: s[k] for k in keys if k in s}
    out["timings"] = {k: float(v) for k, v in s.get("timings", {}).items()}
    return out


def dual_bound(inputs: xr.Dataset, options: SolveOptions, lam, shortfall_everywhere: bool = False) -> float:
    """The Lagrangian bound ``L(λ)`` of the plain LP for multipliers ``lam`` (S, P) >= 0.

    Every ``λ >= 0`` gives a lower bound on the LP's optimum (without ``credited_loss``); it equals
    the optimum exactly when ``λ`` is an optimal dual, which is how a plan's duals are certified.
    """
    pb = problem(inputs, options, shortfall_everywhere)
    _E, S, P = pb.shape
    lam = np.clip(np.nan_to_num(np.asarray(lam, float).reshape(S * P), nan=0.0), 0.0, None)
    _, value, _, _ = pb.oracle.price(pb.loss - pb.rho(lam))
    return _bound(pb, lam, value)
