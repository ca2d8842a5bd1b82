"""Options of a solve (:class:`SolveOptions`): backend, solver, whole lines, fairness, limits."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

STATUSES = ("optimal", "infeasible", "time_limit", "error")
#: Option keys that belong to the scenario (they shape the inputs), accepted and ignored here.
_INPUT_LEVEL_KEYS = {"allow_volunteer", "toggle_allowed"}


@dataclass
class SolveOptions:
    """Options of :func:`solve`.

    Parameters
    ----------
    backend : {"highs", "pulp"}
        ``"highs"``: arrays straight into highspy (fast); ``"pulp"``: the PuLP model.
    solver : {"highs", "cbc"}
        Solver of the PuLP backend (HiGHS in-process, or CBC); the direct backend is always HiGHS.
    discrete : bool
        Whole production lines (MILP).
    mip_gap : float
        Relative MIP gap at which the MILP stops.
    time_limit : float or None
        Seconds.
    presolve : bool or "auto"
        HiGHS/CBC presolve.  ``"auto"`` (default) follows measurements (see :func:`use_presolve`
        for the figures): a MILP presolves with 1–3 slots and not on 7-day episodes; an LP whose
        chain rows were rewritten (:func:`planner.optimize.transforms.substitute_chains`) does
        not presolve (on this shape, few dense target rows and many columns, presolve costs more
        than it saves); an LP left as built (line-stop rows, no chain) presolves from
        ``LP_PRESOLVE_MIN_COLUMNS`` (500,000) columns on.
    grade_monotonicity : bool
        Inside an industry, at each slot, a worse grade's share ≥ every better grade's.
    county_loss_cap, firm_loss_cap : float or None
        Cap on any county's / any firm's share of the total enterprise loss.
    allow_shortfall : bool
        Keep the penalised shortfall variables (True) so an unreachable target still gives a plan
        (status "infeasible" with shortfalls); False makes unreachable targets a hard infeasibility.
    shortfall_penalty : float or None
        万元 per tonne of shortfall; None = automatic (100 × the largest loss per tonne of any
        cuttable firm, clipped to [1e3, 1e9]).  Only targets the bounds cannot reach carry a
        shortfall column (see :class:`ModelData`), so the penalty only decides how hard an
        unreachable target is pushed towards its maximum.
    equity_weight : float
        Optional secondary term: ``equity_weight × Σ_s (Σ_e loss_at_full[e, s]) × m_s`` where
        ``m_s`` is the largest share cut in slot ``s`` among firms that can be cut; a small value
        spreads the extra cuts.  0 (off) by default; never part of the reported objective.
    shortfall_tol : float
        Shortfall (tonnes, relative to ``max(1, target)``) above which the plan is infeasible.
    threads : int or None
    verify : bool
        Run the independent verifier after the solve (default True).
    msg : bool
        Solver log to stdout.
    decomposition : {"auto", "on", "off"}
        The exact decomposition solver (:mod:`planner.optimize.decomposition`) for plain LPs:
        ``"auto"`` (default) uses it from ``AUTO_MIN_CELLS`` enterprise × slot cells on when a
        warm start is given and from ``AUTO_COLD_MIN_FREE_CELLS`` free cells on without one
        (:func:`planner.optimize.decomposition.choose`), ``"on"`` whenever the model is
        supported, ``"off"`` never.  An unsupported model (fairness, whole
        lines, other blocks) is solved directly and ``Plan.solver_path`` says why.
    """

    backend: str = "highs"
    solver: str = "highs"
    discrete: bool = False
    mip_gap: float = 0.005
    time_limit: float | None = 120.0
    presolve: bool | str = "auto"
    grade_monotonicity: bool = False
    county_loss_cap: float | None = None
    firm_loss_cap: float | None = None
    allow_shortfall: bool = True
    shortfall_penalty: float | None = None
    equity_weight: float = 0.0
    shortfall_tol: float = 1e-6
    threads: int | None = None
    verify: bool = True
    msg: bool = False
    decomposition: str = "auto"

    @classmethod
    def from_any(cls, options: SolveOptions | dict | None = None, **kw) -> SolveOptions:
        """Options from a SolveOptions, a dict (scenario ``options`` + ``solver``) and keywords."""
        if options is None:
            base = cls()
        elif isinstance(options, SolveOptions):
            base = options
        else:
            base = cls()
            kw = {**dict(options), **kw}
        known = {f.name for f in fields(cls)}
        unknown = set(kw) - known - _INPUT_LEVEL_KEYS
        if unknown:
            raise ValueError(f"unknown solve option(s): {', '.join(sorted(unknown))}")
        opts = replace(base, **{k: v for k, v in kw.items() if k in known})
        if opts.backend not in ("highs", "pulp"):
            raise ValueError("backend must be 'highs' (direct arrays) or 'pulp'")
        if opts.presolve not in (True, False, "auto"):
            raise ValueError("presolve must be true, false or 'auto'")
        if isinstance(opts.decomposition, bool):  # YAML ``on``/``off`` read as booleans
            opts = replace(opts, decomposition="on" if opts.decomposition else "off")
        if opts.decomposition not in ("auto", "on", "off"):
            raise ValueError("decomposition must be 'auto', 'on' or 'off'")
        if opts.solver not in ("highs", "cbc"):
            raise ValueError("solver must be 'highs' or 'cbc'")
        for name in ("county_loss_cap", "firm_loss_cap"):
            v = getattr(opts, name)
            if v is not None and not 0 < v <= 1:
                raise ValueError(f"{name} must be in (0, 1]")
        return opts
