"""A backend-neutral linear model: named blocks of variables and constraints over labelled arrays.

This is the one definition of the optimisation model (in the manner of linopy and PyPSA): the
``define_*`` functions of :mod:`planner.optimize.blocks` add named, vectorised blocks to a
:class:`LinearModel`; the adapters compile it — :mod:`planner.optimize.highs_backend` to highspy
(arrays → ``Highs.passModel``) and :mod:`planner.optimize.pulp_backend` to a PuLP ``LpProblem`` —
and hand back a :class:`Solution` keyed by the same block names.

A block has dimensions with labels (e.g. ``("enterprise", "slot")``); its entries are numbered
row-major over those dimensions.  A variable block holds bounds, objective costs and integrality
per entry; a constraint block holds ``lower <= Σ coef · column <= upper`` rows given as COO
triplets whose columns are *global* column numbers (``block.start + entry``).  Nothing here knows
about enterprises or pollutants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: Infinite bound (the value HiGHS uses).
INF = float("inf")


@dataclass
class VariableBlock:
    """Columns of one kind, e.g. ``Enterprise-Slot-curtailment``.

    Attributes
    ----------
    name : str
    dims : tuple of str
    coords : dict of str -> sequence
        Labels per dimension (for names in LP files and for results).
    start : int
        Global number of the block's first column.
    lower, upper, cost : numpy.ndarray (size,)
    integer : numpy.ndarray of bool (size,)
    scale : numpy.ndarray (size,)
        Value the caller reads = ``scale · column`` (e.g. a whole-line column counts lines, the
        share is ``lines⁻¹ · column``).  The model itself is written in columns.
    meta : dict
        Structure a transform or a result needs (e.g. which target row a shortfall column serves).
    """

    name: str
    dims: tuple[str, ...]
    coords: dict[str, Sequence]
    start: int
    lower: np.ndarray
    upper: np.ndarray
    cost: np.ndarray
    integer: np.ndarray
    scale: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        """Length of each dimension, in ``dims`` order."""
        return tuple(len(self.coords[d]) for d in self.dims)

    @property
    def size(self) -> int:
        """Number of entries of the block."""
        return len(self.lower)

    def columns(self, *index) -> np.ndarray:
        """Global column numbers of the entries at ``index`` (one array per dimension)."""
        if not index:
            return self.start + np.arange(self.size)
        flat = np.ravel_multi_index(tuple(np.asarray(i) for i in index), self.shape)
        return self.start + flat


@dataclass
class ConstraintBlock:
    """Rows of one kind, e.g. ``Slot-Pollutant-target``: ``lower <= A · columns <= upper``.

    Attributes
    ----------
    name : str
    dims : tuple of str
    coords : dict of str -> sequence
    start : int
        Global number of the block's first row.
    lower, upper : numpy.ndarray (size,)
    rows, cols, vals : numpy.ndarray
        COO triplets: local row (0 … size-1), global column, coefficient.
    meta : dict
        Structure a transform needs: ``pairs`` of a chain block, ``same_unit_cells`` when a row
        holds several cells of one enterprise (loss rows).
    """

    name: str
    dims: tuple[str, ...]
    coords: dict[str, Sequence]
    start: int
    lower: np.ndarray
    upper: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of entries of the block."""
        return len(self.lower)


@dataclass
class LinearModel:
    """An LP/MILP as named blocks (minimisation).

    Attributes
    ----------
    name : str
    variables, constraints : dict
        Blocks in the order they were added (column and row numbers follow that order).
    constant : float
        Constant term of the objective.
    """

    name: str = "model"
    variables: dict[str, VariableBlock] = field(default_factory=dict)
    constraints: dict[str, ConstraintBlock] = field(default_factory=dict)
    constant: float = 0.0

    @property
    def n_col(self) -> int:
        """Number of columns (entries of every variable block)."""
        return sum(b.size for b in self.variables.values())

    @property
    def n_row(self) -> int:
        """Number of rows (entries of every constraint block)."""
        return sum(b.size for b in self.constraints.values())

    @property
    def blocks(self) -> list[str]:
        """Names of every block, variables first."""
        return [*self.variables, *self.constraints]

    def add_variables(
        self,
        name: str,
        coords: dict[str, Sequence],
        lower,
        upper,
        cost=0.0,
        integer=False,
        scale=1.0,
    ) -> VariableBlock:
        """Add a block of columns; scalars broadcast over the block's entries.

        Parameters
        ----------
        name : str
            Unique block name.
        coords : dict of str -> sequence
            Dimension labels, in row-major order of the entries.
        lower, upper, cost, integer, scale : scalar or array_like
            Per entry (flattened row-major).

        Returns
        -------
        VariableBlock
        """
        n = self._entries(name, coords)
        block = VariableBlock(
            name,
            tuple(coords),
            dict(coords),
            self.n_col,
            _vec(lower, n, float),
            _vec(upper, n, float),
            _vec(cost, n, float),
            _vec(integer, n, bool),
            _vec(scale, n, float),
        )
        self.variables[name] = block
        return block

    def add_constraints(
        self,
        name: str,
        coords: dict[str, Sequence],
        lower,
        upper,
        rows,
        cols,
        vals,
    ) -> ConstraintBlock:
        """Add a block of rows given as COO triplets.

        Parameters
        ----------
        name : str
        coords : dict of str -> sequence
            Row labels; the block has ``prod(len(labels))`` rows.
        lower, upper : scalar or array_like
            Row bounds (``-INF``/``INF`` for one-sided rows).
        rows, cols, vals : array_like
            Local row numbers, global column numbers and coefficients (no duplicate pairs).

        Returns
        -------
        ConstraintBlock
        """
        n = self._entries(name, coords)
        block = ConstraintBlock(
            name,
            tuple(coords),
            dict(coords),
            self.n_row,
            _vec(lower, n, float),
            _vec(upper, n, float),
            np.asarray(rows, np.int64),
            np.asarray(cols, np.int64),
            np.asarray(vals, float),
        )
        if len(block.rows) and (block.rows.min() < 0 or block.rows.max() >= n):
            raise ValueError(f"block {name!r}: row number outside 0..{n - 1}")
        if len(block.cols) and (block.cols.min() < 0 or block.cols.max() >= self.n_col):
            raise ValueError(f"block {name!r}: column number outside the model's columns")
        self.constraints[name] = block
        return block

    def _entries(self, name: str, coords: dict[str, Sequence]) -> int:
        """Number of entries of a new block (a unique name is checked)."""
        if name in self.variables or name in self.constraints:
            raise ValueError(f"block {name!r} already exists")
        return int(np.prod([len(v) for v in coords.values()])) if coords else 1

    def renumber(self) -> None:
        """Recompute every constraint block's ``start`` after a transform removed or added rows."""
        k = 0
        for c in self.constraints.values():
            c.start = k
            k += c.size

    # ------------------------------------------------------------------ assembled arrays
    def column_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(cost, lower, upper, integer)`` over every column."""
        vs = list(self.variables.values())
        if not vs:
            z = np.zeros(0)
            return z, z, z, np.zeros(0, bool)
        return (
            np.concatenate([b.cost for b in vs]),
            np.concatenate([b.lower for b in vs]),
            np.concatenate([b.upper for b in vs]),
            np.concatenate([b.integer for b in vs]),
        )

    def row_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(lower, upper, rows, cols, vals)`` over every row, rows numbered globally."""
        cs = list(self.constraints.values())
        if not cs:
            z = np.zeros(0)
            zi = np.zeros(0, np.int64)
            return z, z, zi, zi, z
        return (
            np.concatenate([c.lower for c in cs]),
            np.concatenate([c.upper for c in cs]),
            np.concatenate([c.rows + c.start for c in cs]),
            np.concatenate([c.cols for c in cs]),
            np.concatenate([c.vals for c in cs]),
        )

    def csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The constraint matrix in CSC form ``(start, index, value)`` (``start`` has n_col + 1 entries)."""
        _, _, r, c, v = self.row_arrays()
        return to_csc(r, c, v, self.n_row, self.n_col)

    def column_names(self) -> list[str]:
        """``Block[i,j]``-style names (entry numbers per dimension), for LP files."""
        names: list[str] = []
        for b in self.variables.values():
            names.extend(_entry_names(b.name, b.dims, b.coords, b.size))
        return names

    def row_names(self) -> list[str]:
        """``Block[i,j]``-style names of the rows (entry numbers per dimension), for LP files."""
        names: list[str] = []
        for c in self.constraints.values():
            names.extend(_entry_names(c.name, c.dims, c.coords, c.size))
        return names


@dataclass
class Solution:
    """What a backend hands back, keyed by block name.

    Attributes
    ----------
    state : {"optimal", "infeasible", "time_limit", "error"}
        Solver-level state (before shortfall is looked at).
    values : dict of str -> numpy.ndarray or None
        Column values per variable block (``None`` without a solution).
    duals : dict of str -> numpy.ndarray
        Row duals per constraint block (NaN where unavailable), sign as the solver reports them.
    gap : float
    solver : str
    messages : list of str
    seconds : float
        Solve time (excluding the build).
    """

    state: str
    values: dict[str, np.ndarray] | None
    duals: dict[str, np.ndarray]
    gap: float
    solver: str
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def has_values(self) -> bool:
        """True when the solver returned column values."""
        return self.values is not None


def to_csc(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_row: int, n_col: int):
    """COO triplets (no duplicates) to CSC arrays ``(start, index, value)`` with numpy only."""
    rows = np.asarray(rows, np.int64)
    cols = np.asarray(cols, np.int64)
    order = np.lexsort((rows, cols))
    counts = np.bincount(cols, minlength=n_col) if len(cols) else np.zeros(n_col, np.int64)
    start = np.zeros(n_col + 1, dtype=np.int32)
    np.cumsum(counts, out=start[1:])
    return start, rows[order].astype(np.int32), np.asarray(vals, float)[order]


def _vec(value, n: int, dtype) -> np.ndarray:
    a = np.asarray(value, dtype=dtype)
    if a.ndim == 0:
        return np.full(n, a.item(), dtype=dtype)
    a = a.ravel()
    if len(a) != n:
        raise ValueError(f"expected {n} entries, got {len(a)}")
    return a


def _entry_names(name: str, dims, coords, size: int) -> list[str]:
    base = "".join(ch if ch.isalnum() else "_" for ch in name)
    if not dims:
        return [base]
    shape = tuple(len(coords[d]) for d in dims)
    idx = np.unravel_index(np.arange(size), shape)
    parts = [base] + [np.char.mod("%d", i) for i in idx]
    out = parts[1]
    for p in parts[2:]:
        out = np.char.add(np.char.add(out, "_"), p)
    return np.char.add(base + "_", out).tolist()
