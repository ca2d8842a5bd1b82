"""The result of a solve: :class:`Plan` (curtailment per enterprise × slot, status, duals …)."""

from __future__ import annotations

from dataclasses import dataclass, field

import xarray as xr

from planner.optimize.options import SolveOptions


@dataclass
class Plan:
    """The result of :func:`solve`.

    Attributes
    ----------
    curtailment : xarray.DataArray (enterprise, slot)
        Share of normal output removed; NaN when no solution was found.
    status : {"optimal", "infeasible", "time_limit", "error"}
        "infeasible" whenever any shortfall exceeds the tolerance (or the solver proves the
        constraints themselves infeasible); never "optimal" in that case.
    objective : float
        Total output loss (万元): ``Σ loss_at_full·x + Σ credited_loss``; no penalty, no
        secondary terms.  NaN without a solution.
    shortfall : xarray.DataArray (slot, pollutant)
        Tonnes/day by which ``achieved`` falls short of ``target`` (0 where met).
    achieved : xarray.DataArray (slot, pollutant)
        ``credited + Σ_e reducible·x`` (tonnes/day).
    target : xarray.DataArray (slot, pollutant)
    max_achievable_share : xarray.DataArray (slot, pollutant)
        ``(credited + Σ_e reducible·ceiling) / target`` with chain-propagated ceilings (rounded down
        to whole lines in discrete mode): the most that bounds alone allow (fairness constraints may allow less); inf where target is 0.
    duals : xarray.DataArray (slot, pollutant)
        Marginal loss per tonne (万元/t) of each target: the target row's dual divided by the
        slot's ``days``; for a MILP from the LP with the integer columns fixed; NaN where the
        target is not met (the shortfall penalty would be reported instead) or unavailable.
    gap : float
        Relative MIP gap (0 for an LP; NaN when the solver does not report it, e.g. CBC).
    solver : str
        e.g. ``"highs-direct"``, ``"pulp+highs"``, ``"pulp+cbc"``.
    timings : dict
        ``{"build", "solve", "verify"}`` seconds.
    reason : xarray.DataArray (enterprise, slot) of str
        ``"exempt"`` (ceiling 0), ``"floor"`` (at the rule floor – carried forward along the chain
        for firms that cannot toggle), ``"optimizer"`` (above it).
    messages : list of str
        Solver and status explanations.
    violations : list of str
        What the verifier found (empty when the plan passed).
    options : SolveOptions
    blocks : list of str
        Names of the model's blocks (:mod:`planner.optimize.blocks`); the verifier checks each.
    non_industrial : xarray.DataArray (measure, slot) or None
        Activation (0–1) of each optional non-industrial measure the optimiser chose.
    menu : xarray.Dataset or None
        Menu firms (:mod:`planner.optimize.menus`): ``choice`` (menu_option, slot) 1 for the
        option chosen, ``load_cut`` (menu_option, slot) its extra load cut; their curtailment is
        ``output share + load cut`` and their reason ``"menu"``.
    solver_path : dict
        Which path solved the model and why: ``method`` (``"direct"`` or ``"decomposition"``),
        ``reason``, and for the decomposition its certificate (``certificate_gap``,
        ``dual_bound``, ``rounds``, ``restricted_decisions`` …); see
        :mod:`planner.optimize.decomposition`.
    multipliers : numpy.ndarray (slot, pollutant) or None
        Target-row duals ``∂ objective / ∂ (target - credited)`` as the solver gave them (not
        divided by ``days``): the warm start of a re-solve (``solve(..., warm_start=plan)``).
    air_goal : xarray.Dataset (aq_receptor, slot) or None
        With a concentration goal (:mod:`planner.optimize.airgoal`): ``goal``, ``achieved``,
        ``shortfall``, ``reachable`` (µg/m³) and ``marginal_loss_per_ugm3`` (万元 per µg/m³).
    """

    curtailment: xr.DataArray
    status: str
    objective: float
    shortfall: xr.DataArray
    achieved: xr.DataArray
    target: xr.DataArray
    max_achievable_share: xr.DataArray
    duals: xr.DataArray
    gap: float
    solver: str
    timings: dict[str, float]
    reason: xr.DataArray
    messages: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    options: SolveOptions | None = None
    blocks: list[str] = field(default_factory=list)
    non_industrial: xr.DataArray | None = None
    menu: xr.Dataset | None = None
    #: 万元 of restarts (episode restarts, :mod:`planner.optimize.restarts`); not in ``objective``.
    restart_cost: float = 0.0
    solver_path: dict = field(default_factory=dict)
    multipliers: object = None
    air_goal: xr.Dataset | None = None

    @property
    def ok(self) -> bool:
        """True when the status is "optimal"."""
        return self.status == "optimal"

    def to_dataset(self) -> xr.Dataset:
        """The array results as one dataset."""
        return xr.Dataset(
            {
                "curtailment": self.curtailment,
                "reason": self.reason,
                "shortfall": self.shortfall,
                "achieved": self.achieved,
                "target": self.target,
                "duals": self.duals,
                "max_achievable_share": self.max_achievable_share,
            },
            attrs={
                "status": self.status,
                "objective": self.objective,
                "gap": self.gap,
                "solver": self.solver,
            },
        )
