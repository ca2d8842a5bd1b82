"""Run a scenario end to end: inventory → rules → targets → model → plan.

This is the one entry point the CLI (``planner plan``) and the app call.  Each step is a small
function so that the app can re-run only what an edit touches:

1. :func:`prepare` loads the inventory, applies the scenario's enterprise overrides, evaluates
   the measures (floors, ceilings, reduction factors per enterprise × level), works out the slots
   (alert levels in list mode, forecast days in episode mode) and their targets, and assembles
   the model's :doc:`PlanInputs <ARCHITECTURE>` dataset;
2. :func:`solve_prepared` solves it, runs the independent verifier and the baselines;
3. :func:`schedule_table` and :func:`summary_dict` turn the plan into the tables of
   ``planner plan`` (written by :func:`planner.reports.outputs.write_outputs`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner import ALERT_LEVELS, DATA_DIR, POLLUTANTS
from planner.inventory.table import Inventory, read_inventory
from planner.io.labels import positions
from planner.io.numbers import finite_or_none
from planner.optimize.verify import verify_schedule
from planner.problems import InputError, Problems
from planner.scenario.files import Scenario, load_scenario


@dataclass
class Prepared:
    """Everything a solve needs, built from a scenario (no solver objects)."""

    scenario: Scenario
    inventory: Inventory
    table: pd.DataFrame  # inventory table after enterprise overrides
    bounds: xr.Dataset  # measures: floor/ceiling/factor per enterprise × level
    slots: pd.DataFrame  # slot, level, days, chain, order (+ date, aqi … in episode mode)
    inputs: xr.Dataset  # PlanInputs
    alerts: pd.DataFrame | None = None  # episode mode: per-day AQI and level
    timings: dict = field(default_factory=dict)
    shares: xr.DataArray | None = None  # required shares (level, pollutant)
    city: dict = field(default_factory=dict)  # city.yaml
    menus: object = None  # planner.policy.menus.Menus of the scenario's ``menus:`` file
    lines: object | None = None  # planner.inventory.lines.Lines (None: no firm has lines)
    units: xr.Dataset | None = None  # evaluate_units: bounds per line (dim unit); rows of the inputs
    unit_table: pd.DataFrame | None = None  # units_table: shares of each unit
    ensemble: object = None  # planner.targets.ensemble.Ensemble of the forecast's members, if any
    ensemble_day_slot: np.ndarray | None = None  # slot each forecast day is planned with (-1: none)

    @property
    def has_lines(self) -> bool:
        """True when some firm is split into lines (the inputs' rows are then units)."""
        return self.units is not None and bool((self.units["line_id"].values != "").any())


@dataclass
class PlanResult:
    """A solved scenario: the plan, its tables and the baselines beside it."""

    prepared: Prepared
    plan: object  # planner.optimize.model.Plan
    baselines: dict
    schedule: pd.DataFrame
    summary: dict
    schedule_lines: pd.DataFrame | None = None  # one row per line of firms with lines per slot

    @property
    def scenario(self) -> Scenario:
        """The scenario that was solved (that of :attr:`prepared`)."""
        return self.prepared.scenario

    @property
    def status(self) -> str:
        """The solve status reported in ``summary.json`` (``summary["status"]``, e.g. ``optimal``)."""
        return self.summary["status"]


# --------------------------------------------------------------------------- overrides
def apply_enterprise_overrides(
    table: pd.DataFrame, overrides: dict[str, dict], file: str = "scenario"
) -> pd.DataFrame:
    """Return a copy of the inventory table with the scenario's per-enterprise overrides.

    Grade and control-type changes are applied here (before measures are evaluated); ``exempt``,
    ``ceiling`` and ``lock`` act on the bounds (see :func:`apply_bound_overrides`).

    Raises
    ------
    InputError
        For an override naming an enterprise that is not in the inventory or an unknown grade.
    """
    from planner.policy.vocabulary import grades as grade_vocabulary

    problems = Problems()
    out = table.copy()
    grades = grade_vocabulary()
    for eid, ov in overrides.items():
        if eid not in out.index:
            problems.error(file, None, f"enterprises.{eid}", f"enterprise {eid!r} is not in the inventory")
            continue
        if "grade" in ov:
            g = str(ov["grade"])
            if g not in grades.index:
                problems.error(
                    file,
                    None,
                    f"enterprises.{eid}.grade",
                    f"unknown grade {g!r}; valid: {', '.join(grades.index)}",
                )
                continue
            out.loc[eid, "grade"] = g
            out.loc[eid, "self_directed"] = bool(grades.loc[g, "self_directed"])
            out.loc[eid, "grade_rank"] = int(grades.loc[g, "rank"])
        if "control_type" in ov:
            out.loc[eid, "control_type"] = str(ov["control_type"])
        if "load_cap" in ov:
            out.loc[eid, "load_cap"] = float(ov["load_cap"])
    if not problems.ok:
        raise InputError(problems)
    return out


def apply_bound_overrides(bounds: xr.Dataset, overrides: dict[str, dict]) -> xr.Dataset:
    """Apply ``exempt``, ``ceiling`` and ``lock`` overrides to evaluated measures.

    ``exempt: true`` sets floor and ceiling to 0; ``ceiling: c`` caps the ceiling (and the floor)
    at c; ``lock: x`` (a share, or a mapping level → share) fixes the curtailment at x.
    """
    floor = bounds["floor"].copy()
    ceiling = bounds["ceiling"].copy()
    for eid, ov in overrides.items():
        if eid not in floor.indexes["enterprise"]:
            continue
        if ov.get("exempt"):
            floor.loc[eid, :] = 0.0
            ceiling.loc[eid, :] = 0.0
        if ov.get("ceiling") is not None:
            ceiling.loc[eid, :] = np.minimum(ceiling.loc[eid, :], float(ov["ceiling"]))
            floor.loc[eid, :] = np.minimum(floor.loc[eid, :], ceiling.loc[eid, :])
        lock = ov.get("lock")
        if lock is not None:
            per_level = lock if isinstance(lock, dict) else {lv: lock for lv in ALERT_LEVELS}
            for lv, x in per_level.items():
                floor.loc[eid, lv] = float(x)
                ceiling.loc[eid, lv] = float(x)
    out = bounds.copy()
    out["floor"] = floor
    out["ceiling"] = ceiling
    if "itemized" in out:  # an overridden firm's lines all take its overridden bounds
        itemized = out["itemized"].copy()
        for eid, ov in overrides.items():
            if eid in itemized.indexes["enterprise"] and (
                ov.get("exempt") or ov.get("ceiling") is not None or ov.get("lock") is not None
            ):
                itemized.loc[eid, :] = False
        out["itemized"] = itemized
    return out


# --------------------------------------------------------------------------- slots
def list_slots(alert_days: dict[str, float]) -> pd.DataFrame:
    """Slots of the autumn list: one per alert level, weighted by expected alert days."""
    return pd.DataFrame(
        {
            "slot": list(ALERT_LEVELS),
            "level": list(ALERT_LEVELS),
            "days": [float(alert_days.get(lv, 0.0)) for lv in ALERT_LEVELS],
            "chain": 0,
            "order": [0, 1, 2],
            "coverage": [
                f"list: {float(alert_days.get(lv, 0.0)):g} expected {lv} alert days" for lv in ALERT_LEVELS
            ],
        }
    )


def episode_slots(alerts: pd.DataFrame) -> pd.DataFrame:
    """Slots of an episode response: one per covered forecast day, linked by process.

    A day is a slot when it is at an alert level and, with a timeline (:func:`forecast_alerts`),
    ``covered`` (the alert is in force or an early start was asked for).  ``level`` is the day's
    level (its process's level unless the rule file judges days one by one), ``process_level``
    the process's, and ``coverage`` / ``coverage_zh`` say why the day is covered at that level.
    """
    keep = alerts["level"] != "none"
    if "covered" in alerts:
        keep &= alerts["covered"].astype(bool)
    days = alerts[keep].copy()
    slots = pd.DataFrame(
        {
            "slot": pd.to_datetime(days["date"]).dt.strftime("%Y-%m-%d").to_numpy(),
            "level": days["level"].astype(str).to_numpy(),
            "days": 1.0,
            "chain": days["episode"].fillna(-1).astype(int).to_numpy() if "episode" in days else 0,
        }
    )
    slots["order"] = np.arange(len(slots))
    for col in ("aqi", "primary_pollutant", "process_level", "coverage", "coverage_zh", "issue_time"):
        if col in days:
            slots[col] = days[col].to_numpy()
    return slots


def forecast_alerts(scenario: Scenario) -> pd.DataFrame:
    """Daily city AQI, alert level and coverage of the scenario's forecast (at its percentile).

    Levels are per pollution process (:func:`planner.policy.alerts.evaluate_alerts`); the
    scenario's ``timeline`` (lead hours, early start days) and the forecast's issue time decide
    which days are covered (:func:`planner.policy.alerts.alert_timeline`; ``attrs["timeline"]``
    holds the issue time and when the alert takes effect).
    """
    from planner.policy.alerts import alert_timeline, evaluate_alerts, load_rules
    from planner.targets.forecast import (
        city_daily_aqi,
        forecast_issue_time,
        levels_at_percentile,
        read_forecast,
    )

    ds = read_forecast(scenario.forecast)
    rules = load_rules(scenario.rules)
    if scenario.percentile is not None and "member" in ds.dims:
        daily = levels_at_percentile(ds, rules, scenario.aqi_standard, scenario.percentile)
    else:
        daily = city_daily_aqi(ds, standard=scenario.aqi_standard)
    timeline = getattr(scenario, "timeline", None) or {}
    return alert_timeline(
        evaluate_alerts(daily, rules),
        forecast_issue_time(ds),
        lead_hours=float(timeline.get("lead_hours", 24.0)),
        early_start_days=int(timeline.get("early_start_days", 0)),
    )


def timeline_summary(alerts: pd.DataFrame | None) -> dict | None:
    """The ``timeline`` of ``summary.json`` (episode mode): issue time, lead, and every day's coverage."""
    if alerts is None or "coverage" not in alerts:
        return None
    days = [
        {
            "date": pd.Timestamp(r.date).strftime("%Y-%m-%d"),
            "aqi": None if pd.isna(r.aqi) else int(r.aqi),
            "level": str(r.level),
            "process": None if pd.isna(r.episode) else int(r.episode),
            "covered": bool(r.covered),
            "coverage": str(r.coverage),
            "coverage_zh": str(r.coverage_zh),
        }
        for r in alerts.itertuples(index=False)
    ]
    return {**alerts.attrs.get("timeline", {}), "days": days}


# --------------------------------------------------------------------------- inputs
def credited_reductions(
    non_industrial: list[dict], levels: list[str], city: dict | None = None, file: str = "scenario"
) -> tuple[np.ndarray, np.ndarray]:
    """Fixed non-industrial reductions credited toward the targets, and their loss.

    Inline items give ``reductions`` per level and pollutant either in tonnes per day or, when the
    item names a ``sector`` of ``city.yaml``'s ``emission_sectors`` (e.g. ``dust``, ``mobile``), as
    the share of that sector's annual emissions removed per alert day (share × t/a ÷ 365).
    ``loss`` is in 万元 per day.  Items naming a library measure (``id`` of
    ``data/policy/non_industrial.yaml``) with ``use: on`` are credited the same way (their cost is
    the loss); those with ``use: optimize`` are not credited here — they are decisions for the
    model (:func:`planner.policy.non_industrial.non_industrial_arrays`).

    Returns
    -------
    (ndarray, ndarray)
        Credited tonnes per day, shape (slot, pollutant), and loss per day per slot.
    """
    from planner.policy.non_industrial import non_industrial_arrays

    credited = np.zeros((len(levels), len(POLLUTANTS)))
    loss = np.zeros(len(levels))
    sectors = (city or {}).get("emission_sectors") or {}
    for k, item in enumerate(non_industrial):
        if "id" in item:
            continue
        red = item.get("reductions") or {}
        los = item.get("loss") or {}
        sector = item.get("sector")
        if sector is not None and sector not in sectors:
            raise InputError.single(
                file,
                f"sector {sector!r} is not in the city's emission_sectors ({', '.join(sectors) or 'none'})",
                column=f"non_industrial[{k}].sector",
            )
        for i, lv in enumerate(levels):
            for j, p in enumerate(POLLUTANTS):
                value = float((red.get(lv) or {}).get(p, 0.0))
                credited[i, j] += value * float(sectors[sector].get(p, 0.0)) / 365.0 if sector else value
            loss[i] += float(los.get(lv, 0.0))
    on = non_industrial_arrays(non_industrial, levels, city, file=file).select("on")
    credited += on.reduction.sum(axis=0)
    loss += on.cost.sum(axis=0)
    return credited, loss


#: Measure types that stop whole production lines (以生产线计): integer in the discrete mode.
LINE_MEASURES = ("stop_lines_share", "hot_idle")


def whole_line_cells(bounds: xr.Dataset, level_index: np.ndarray) -> np.ndarray:
    """(E, S) cells whose binding measure at the slot's level stops whole lines."""
    if "floor_integer_share" in bounds:
        return bounds["floor_integer_share"].to_numpy()[:, level_index] > 0
    return np.isin(bounds["measure_type"].to_numpy()[:, level_index].astype(str), LINE_MEASURES)


def _self_directed(table: pd.DataFrame) -> np.ndarray:
    if "self_directed" not in table.columns:
        return np.zeros(len(table), bool)
    return table["self_directed"].fillna(False).astype(bool).to_numpy()


def build_inputs(
    table: pd.DataFrame,
    bounds: xr.Dataset,
    slots: pd.DataFrame,
    targets: xr.DataArray,
    credited: np.ndarray,
    credited_loss: np.ndarray,
    toggle_allowed: bool = False,
    mode: str = "list",
    loss_basis: str = "output_value",
    non_industrial=None,
    units: xr.Dataset | None = None,
    unit_table: pd.DataFrame | None = None,
) -> xr.Dataset:
    """Assemble the model's PlanInputs from inventory, measures, slots and targets.

    Every array is built by indexing the per-level measure arrays with the slots' levels, so the
    cost is a handful of numpy operations whatever the number of enterprises and days.

    Besides the variables of :data:`planner.optimize.inputs.PLAN_INPUT_VARS` (unchanged meaning;
    ``loss_at_full`` on the chosen ``loss_basis``), the dataset carries:

    - ``floor_reduction`` (E, S, P): t/d removed by the floor measures (emissions × floor × floor factor);
    - ``extra_reducible`` (E, S, P): t/d removed per unit of curtailment above the floor
      (emissions × extra factor);
    - ``floor_integer`` (E, S): the part of the floor that is whole-line stops (≤ floor);
    - ``ni_reduction`` (measure, S, P) t/d, ``ni_cost`` (measure, S) 万元 per slot (per day × days)
      and ``ni_integer`` (measure: on/off) of the library measures the scenario leaves to the
      optimizer (``use: optimize``); empty along ``measure`` when there are none.

    Parameters
    ----------
    loss_basis : {"output_value", "value_added"}
        What ``loss_at_full`` measures (:func:`planner.policy.loss.loss_per_day`); kept in ``attrs``.
    non_industrial : NonIndustrialArrays, optional
        From :func:`planner.policy.non_industrial.non_industrial_arrays`; only ``optimize`` ones are used.
    units, unit_table : optional
        :func:`planner.policy.measures.evaluate_units` and :func:`planner.inventory.lines.units_table`
        (same row order).  With them the rows are decision units — each line of a firm with lines,
        each other firm whole — with ``owner``, ``line_id``, ``process``, ``output_share``: a unit's
        loss is its output share × its firm's, its emissions its pollutant shares × its firm's, its
        bounds and factors its own; ``line_group`` (E, S) and ``group_count`` (group) carry the line
        stops.  Without them the rows are the firms (``owner`` = the firm).
    """
    from planner.policy.loss import loss_per_day

    levels = slots["level"].to_numpy()
    days = slots["days"].to_numpy(dtype=float)
    firm_emissions = table[list(POLLUTANTS)].to_numpy(dtype=float)
    firm_loss = loss_per_day(table, loss_basis)
    if units is None:
        src = bounds
        idx = bounds.get_index("level").get_indexer(levels)
        own = np.arange(len(table))
        emissions = firm_emissions
        loss_day = firm_loss
        line_count = table["line_count"].to_numpy(dtype=int)
        enterprise = table.index.astype(str).to_numpy()
        line_id = np.full(len(table), "", dtype=object)
        process = np.full(len(table), "general", dtype=object)
        output_share = np.ones(len(table))
        whole = whole_line_cells(bounds, idx)
        group = np.full(floor_shape := (len(table), len(levels)), -1, dtype=np.int64)
        group_count, group_names = np.zeros(0), []
    else:
        src = units
        idx = units.get_index("level").get_indexer(levels)
        own = positions(table.index.astype(str), units["owner"].to_numpy().astype(str))
        shares = unit_table
        output_share = shares["output_share"].to_numpy(dtype=float)
        emissions = firm_emissions[own] * shares[[f"{p}_share" for p in POLLUTANTS]].to_numpy(dtype=float)
        loss_day = firm_loss[own] * output_share
        line_id = units["line_id"].to_numpy().astype(str)
        process = units["process"].to_numpy().astype(str)
        line_count = np.where(line_id != "", 1, table["line_count"].to_numpy(dtype=int)[own])
        enterprise = units["unit"].to_numpy().astype(str)
        whole = units["whole_lines"].to_numpy()[:, idx].astype(bool)
        group = units["group"].to_numpy()[:, idx].astype(np.int64)
        floor_shape = group.shape
        group_count = units["group_count"].to_numpy().astype(float)
        group_names = [
            f"{o}:{p}@{lv}"
            for o, p, lv in zip(
                units["group_owner"].values,
                units["group_process"].values,
                units["group_level"].values,
                strict=True,
            )
        ]
    floor = src["floor"].to_numpy()[:, idx]
    ceiling = src["ceiling"].to_numpy()[:, idx]
    floor_factor = (
        src["floor_factor"].transpose(src["floor"].dims[0], "level", "pollutant").to_numpy()[:, idx, :]
    )
    extra_factor = (
        src["extra_factor"].transpose(src["floor"].dims[0], "level", "pollutant").to_numpy()[:, idx, :]
        if "extra_factor" in src
        else np.ones_like(floor_factor)
    )
    if units is None and "floor_integer_share" in bounds:
        integer = np.minimum(bounds["floor_integer_share"].to_numpy()[:, idx], floor)
    else:
        integer = np.where(whole, floor, 0.0)
    assert floor.shape == floor_shape
    floor_reduction = emissions[:, None, :] * floor[:, :, None] * floor_factor
    extra_reducible = emissions[:, None, :] * extra_factor
    # t/d removed at curtailment 1: the floor measures plus the rest as a load cut
    reducible = floor_reduction + extra_reducible * (1.0 - floor)[:, :, None]
    loss_at_full = loss_day[:, None] * days[None, :]
    slot = slots["slot"].astype(str).to_numpy()
    if non_industrial is not None:
        opt = non_industrial.select("optimize")
        ni_ids, ni_red, ni_cost = opt.ids, opt.reduction, opt.cost * days[None, :]
    else:
        ni_ids, ni_red, ni_cost = [], np.zeros((0, len(slot), len(POLLUTANTS))), np.zeros((0, len(slot)))
    firm = table[["county", "industry", "grade_rank"]].iloc[own]  # the columns used, not the whole table
    ds = xr.Dataset(
        {
            "floor": (("enterprise", "slot"), floor),
            "ceiling": (("enterprise", "slot"), ceiling),
            "loss_at_full": (("enterprise", "slot"), loss_at_full),
            "reducible": (("enterprise", "slot", "pollutant"), reducible),
            "target": (("slot", "pollutant"), np.asarray(targets, dtype=float)),
            "credited": (("slot", "pollutant"), credited),
            "credited_loss": (("slot",), credited_loss),
            "lines": (("enterprise",), np.asarray(line_count, dtype=int)),
            "county": (("enterprise",), firm["county"].astype(str).to_numpy()),
            "industry": (("enterprise",), firm["industry"].astype(str).to_numpy()),
            "grade_rank": (("enterprise",), firm["grade_rank"].to_numpy(dtype=int)),
            "level": (("slot",), levels.astype(str)),
            "days": (("slot",), days),
            "order": (("slot",), slots["order"].to_numpy(dtype=int)),
            "chain": (("slot",), slots["chain"].to_numpy(dtype=int)),
            "toggle_allowed": (("enterprise",), np.full(len(own), bool(toggle_allowed))),
            "self_directed": (("enterprise",), _self_directed(table)[own]),
            "whole_lines": (("enterprise", "slot"), whole),
            "owner": (("enterprise",), table.index.astype(str).to_numpy()[own]),
            "line_id": (("enterprise",), np.asarray(line_id).astype(str)),
            "process": (("enterprise",), np.asarray(process).astype(str)),
            "output_share": (("enterprise",), output_share),
            "line_group": (("enterprise", "slot"), group),
            "group_count": (("group",), group_count),
            "floor_reduction": (("enterprise", "slot", "pollutant"), floor_reduction),
            "extra_reducible": (("enterprise", "slot", "pollutant"), extra_reducible),
            "floor_integer": (("enterprise", "slot"), integer),
            "ni_reduction": (("measure", "slot", "pollutant"), ni_red),
            "ni_cost": (("measure", "slot"), ni_cost),
            "ni_integer": (("measure",), np.ones(len(ni_ids), dtype=bool)),
        },
        coords={
            "enterprise": enterprise,
            "slot": slot,
            "pollutant": list(POLLUTANTS),
            "measure": np.asarray(ni_ids, dtype=object),
            "group": np.asarray(group_names, dtype=object).astype(str),
        },
        attrs={"mode": mode, "loss_basis": loss_basis},
    )
    return ds


def prepare(scenario: Scenario | str | Path, alerts: pd.DataFrame | None = None) -> Prepared:
    """Load every input of a scenario and assemble the PlanInputs (see module docstring).

    ``alerts`` (episode mode) replaces the days read from the scenario's forecast (a re-plan
    joins executed days and a new forecast, :mod:`planner.scenario.replan`).
    """
    from planner.policy.measures import evaluate_measures, load_measures, load_plant_measures
    from planner.policy.non_industrial import non_industrial_arrays
    from planner.policy.units import apply_basis, daily_basis
    from planner.targets.reductions import daily_targets, level_targets, load_shares, read_city

    t0 = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    inventory, lines = read_inventory_and_lines(scenario)
    t_read = time.perf_counter()
    table = apply_enterprise_overrides(inventory.table, scenario.enterprises, str(scenario.file))
    book = load_measures(scenario.measures or DATA_DIR / "policy" / "measures")
    plants = load_plant_measures(scenario.plants) if getattr(scenario, "plants", None) else None
    bounds = evaluate_measures(
        table, book, allow_volunteer=bool(scenario.options["allow_volunteer"]), plant_measures=plants
    )
    bounds = apply_bound_overrides(bounds, scenario.enterprises)
    menus = scenario_menus(scenario, table, bounds, plants)
    units = unit_table = None
    if lines is not None and len(lines.table) and menus is not None:
        # a menu firm plans by its menu's options (which name its lines): it stays one decision unit
        lines = _without_firms(lines, menus.firms)
    if lines is not None and len(lines.table):
        from planner.inventory.lines import units_table
        from planner.policy.measures import evaluate_units

        unit_table = units_table(table, lines)
        units = evaluate_units(table, unit_table, bounds, book, plants)
    t_measures = time.perf_counter()
    city = read_city(scenario.city)
    shares = load_shares(overrides=scenario.shares, overrides_label=str(scenario.file))
    # List emissions and targets on one daily basis (data/policy/daily_basis.yaml, docs/UNITS.md).
    basis = daily_basis()
    table, totals = apply_basis(table, city["total_emissions"], basis)
    city = {**city, "daily_basis": basis, "total_emissions_on_basis": totals}

    given_alerts, alerts = alerts, None
    if scenario.mode == "list":
        slots = list_slots(scenario.alert_days)
        targets = (
            level_targets(shares, totals).sel(level=slots["level"].to_list()).transpose("level", "pollutant")
        )
    else:
        alerts = forecast_alerts(scenario) if given_alerts is None else given_alerts
        slots = episode_slots(alerts)
        if slots.empty:
            alert_days = alerts[alerts["level"] != "none"]
            raise InputError.single(
                str(scenario.forecast),
                "the forecast shows no alert day: nothing to plan"
                if alert_days.empty
                else f"no alert day can be covered: {alert_days['coverage'].iloc[-1]}",
            )
        levels = pd.Series(slots["level"].to_numpy(), index=slots["slot"].to_numpy())
        targets = daily_targets(levels, shares, totals).transpose("slot", "pollutant")
    credited, credited_loss = credited_reductions(
        scenario.non_industrial, slots["level"].to_list(), city, str(scenario.file)
    )
    library_measures = non_industrial_arrays(
        scenario.non_industrial, slots["level"].to_list(), city, file=str(scenario.file)
    )
    inputs = build_inputs(
        table,
        bounds,
        slots,
        targets.to_numpy(),
        credited,
        credited_loss * slots["days"].to_numpy(),
        toggle_allowed=bool(scenario.options["toggle_allowed"]),
        mode=scenario.mode,
        loss_basis=str(scenario.options.get("loss_basis") or "output_value"),
        non_industrial=library_measures,
        units=units,
        unit_table=unit_table,
    )
    inputs.attrs["daily_basis"] = basis
    if menus is not None and len(menus):
        from planner.optimize.menus import with_menus

        inputs = with_menus(inputs, menus, table)
    if scenario.mode == "episode":
        inputs = episode_inputs(inputs, bounds, slots, alerts, scenario)
    ensemble, day_slot, inputs = prepare_ensemble(scenario, shares, totals, slots, inputs)
    t_end = time.perf_counter()
    prepared = Prepared(
        scenario,
        inventory,
        table,
        bounds,
        slots,
        inputs,
        alerts,
        {
            "prepare": t_end - t0,
            "read_inventory": t_read - t0,
            "measures": t_measures - t_read,
            "inputs": t_end - t_measures,
        },
        shares,
        city,
        menus,
        lines,
        units,
        unit_table,
        ensemble,
        day_slot,
    )
    from planner.optimize.airgoal import attach_goal, scenario_goal

    goal = scenario_goal(scenario)
    if goal:  # a concentration goal: its rows' arrays join the PlanInputs (docs/AIR_QUALITY.md)
        t1 = time.perf_counter()
        prepared.inputs = attach_goal(prepared, goal)
        prepared.timings["air_goal"] = time.perf_counter() - t1
    return prepared


def prepare_ensemble(scenario: Scenario, shares, totals, slots: pd.DataFrame, inputs: xr.Dataset):
    """The forecast's members, the slot of every forecast day and the chance PlanInputs.

    The members come with their levels and targets; with ``ensemble: {chance: q}``, the PlanInputs get
    ``member_target`` and ``chance_required``.

    Returns
    -------
    (Ensemble or None, numpy.ndarray or None, xarray.Dataset)

    Raises
    ------
    InputError
        A chance constraint on a forecast without members.
    """
    from planner.targets.ensemble import required_members, scenario_ensemble, slot_member_targets

    chance = (getattr(scenario, "ensemble", None) or {}).get("chance")
    if scenario.forecast is None:
        return None, None, inputs
    ens = scenario_ensemble(scenario, shares, totals)
    if ens is None:
        if chance is not None:
            raise InputError.single(
                str(scenario.file),
                f"ensemble.chance needs an ensemble forecast, but {scenario.forecast.name} has no "
                "'member' dimension (one forecast only); remove ensemble.chance or use an ensemble",
                column="ensemble.chance",
            )
        return None, None, inputs
    slot_names = slots["slot"].astype(str).tolist()
    if scenario.mode == "episode":
        day_slot = pd.Index(slot_names).get_indexer(ens.dates)
    else:  # list mode: each forecast day is planned with the list's slot of its issued level
        issued = forecast_alerts(scenario)
        level_of = dict(
            zip(
                pd.to_datetime(issued["date"]).dt.strftime("%Y-%m-%d"),
                issued["level"].astype(str),
                strict=True,
            )
        )
        day_slot = pd.Index(slot_names).get_indexer([level_of.get(d, "none") for d in ens.dates])
    if chance is not None:
        mt = slot_member_targets(ens, slot_names)
        inputs = inputs.assign_coords(member=np.asarray(ens.members, dtype=object)).assign(
            member_target=(("slot", "member", "pollutant"), mt),
            chance_required=(("slot",), np.full(len(slot_names), required_members(chance, ens.size))),
        )
        inputs.attrs["chance"] = float(chance)
        inputs.attrs["chance_formulation"] = str(scenario.ensemble.get("formulation") or "auto")
    return ens, np.asarray(day_slot, int), inputs


def ensemble_summary(prepared: Prepared, plan, summary: dict) -> None:
    """Add the members met (per slot, per day, overall) to ``summary``.

    Where a chance constraint is out of reach, also the days and the reachable share (status ``infeasible``).
    """
    from planner.optimize.blocks import model_data
    from planner.optimize.chance import chance_data, has_chance
    from planner.optimize.menus import menu_firm_mask, menu_reach
    from planner.optimize.options import SolveOptions
    from planner.targets.ensemble import ensemble_report

    ens = prepared.ensemble
    if ens is None:
        return
    inp = prepared.inputs
    d = model_data(inp, SolveOptions.from_any(solver_options(prepared.scenario)))
    menus = menu_reach(inp) if menu_firm_mask(inp).any() else 0.0
    reach = d.credited + np.einsum("es,esp->sp", d.cols.col_hi * d.cols.scale, d.reducible)
    reach = reach + d.ni_reduction.sum(axis=0) + menus
    chance = inp.attrs.get("chance") if has_chance(inp) else None
    formulation = chance_data(inp, d, menus).formulation if chance is not None else None
    notes = ensemble_report(
        ens, summary, day_slot=prepared.ensemble_day_slot, reach=reach, chance=chance, formulation=formulation
    )
    if notes:
        summary["messages"] = [*summary["messages"], *notes]
        if summary["status"] == "optimal":
            summary["status"] = "infeasible"
            plan.status = "infeasible"


def scenario_menus(scenario: Scenario, table: pd.DataFrame, bounds: xr.Dataset, plants=None):
    """The scenario's measure menus (``menus: FILE``), checked against the inventory, or None.

    Options naming lines are resolved against the menus file's own ``lines:`` table, else the
    scenario's lines table (``lines:``, when the scenario has one).  A menu firm may not also have
    a plants-file measure or a scenario override that fixes its cut (``exempt``, ``lock``).
    """
    path = getattr(scenario, "menus", None)
    if not path:
        return None
    from planner.policy.menus import check_menus_against, load_menus

    lines = None
    lines_path = getattr(scenario, "lines", None)
    if lines_path:
        from planner.inventory.lines import read_lines

        lines = read_lines(lines_path)
    menus = load_menus(path, lines=lines)
    check_menus_against(menus, table, bounds, plant_ids=(plants or {}).keys())
    problems = Problems()
    for eid in menus.firms:
        ov = scenario.enterprises.get(eid) or {}
        fixed = [k for k in ("exempt", "lock", "ceiling") if ov.get(k) not in (None, False)]
        if fixed:
            problems.error(
                str(scenario.file),
                None,
                f"enterprises.{eid}.{fixed[0]}",
                f"{eid} plans by its menu ({menus.file}); an override of its cut ({', '.join(fixed)}) "
                "contradicts it: remove one of the two",
            )
    if not problems.ok:
        raise InputError(problems)
    return menus


def _without_firms(lines, firms):
    """The lines table without the lines of ``firms`` (a copy; the same object when none is named)."""
    drop = lines.table["enterprise_id"].astype(str).isin([str(f) for f in firms])
    if not drop.any():
        return lines
    import dataclasses

    return dataclasses.replace(lines, table=lines.table.loc[~drop].reset_index(drop=True))


#: Sheet names of an inventory workbook that hold its lines table (a second sheet).
LINE_SHEET_WORDS = ("生产线", "工序", "line")


def read_inventory_and_lines(scenario: Scenario):
    """The scenario's inventory and its lines table (``(Inventory, Lines or None)``).

    The lines come from the scenario's ``lines:`` file (CSV, or XLSX: the sheet whose header names
    line fields), else from a sheet of the inventory workbook named like 生产线/工序/lines, else from
    the one-row-per-line layout of the inventory itself (an enterprise over several rows, one line
    per row); an inventory with none of these has no lines (every firm is one decision unit).
    """
    from planner.inventory.lines import read_inventory_with_lines, read_lines

    if getattr(scenario, "lines", None) is not None:
        return read_inventory(scenario.inventory), read_lines(scenario.lines)
    path = Path(scenario.inventory)
    try:
        inventory = read_inventory(path)
    except InputError as exc:
        try:  # the one-row-per-line layout: an enterprise repeated over its line rows
            inventory, lines = read_inventory_with_lines(path)
        except InputError:
            raise exc from None
        if not len(lines.table):
            raise
        return inventory, lines
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            names = load_workbook(path, read_only=True).sheetnames
        except Exception:  # read_inventory has read it; a failure here means no sheets
            names = []
        if len(names) > 1 and any(w in n.lower() for n in names[1:] for w in LINE_SHEET_WORDS):
            return inventory, read_lines(path)
    return inventory, None


def episode_inputs(
    inputs: xr.Dataset, bounds: xr.Dataset, slots: pd.DataFrame, alerts: pd.DataFrame | None, scenario
) -> xr.Dataset:
    """Episode PlanInputs with response delays and restart limits.

    ``effect_share`` scales the tonnes of each firm × day (:mod:`planner.scenario.episode`,
    :mod:`planner.optimize.restarts`).
    """
    from planner.scenario.episode import add_restart_inputs, effect_shares, line_timing, measure_timing

    timing = measure_timing(bounds, inputs["level"].values)
    if "owner" in inputs:  # rows are decision units (lines): each takes its firm's measure timing
        rows = bounds.get_index("enterprise").astype(str).get_indexer(inputs["owner"].values.astype(str))
        timing = {k: v[rows] for k, v in timing.items()}
        if "line_id" in inputs and "process" in inputs:  # ... within the limits of its process
            is_line = inputs["line_id"].values.astype(str) != ""
            timing = line_timing(timing, inputs["process"].values, is_line)
    timeline = getattr(scenario, "timeline", None) or {}
    issue = ((alerts.attrs.get("timeline") or {}).get("issue_time")) if alerts is not None else None
    if "issue_time" in slots:  # a re-plan: each day ordered when its forecast was issued
        issue = slots["issue_time"].to_numpy()
    if timeline.get("response_delay", True) and issue is not None:
        eff = effect_shares(slots, timing["response_hours"], issue)
    else:
        eff = np.ones(inputs["floor"].shape)
    out = inputs.copy()
    for name in ("reducible", "floor_reduction", "extra_reducible"):
        if name in out:
            out[name] = out[name] * xr.DataArray(eff, dims=("enterprise", "slot"))
    out["effect_share"] = (("enterprise", "slot"), eff)
    if scenario.options.get("restarts", True):
        out = add_restart_inputs(out, bounds, slots, timing)
    return out


# --------------------------------------------------------------------------- solve
def solver_options(scenario: Scenario) -> dict:
    """The model's options from a scenario's ``options`` and ``solver`` sections."""
    opts = dict(scenario.solver)
    for key in ("discrete", "grade_monotonicity", "county_loss_cap", "firm_loss_cap", "shortfall_penalty"):
        if scenario.options.get(key) is not None:
            opts[key] = scenario.options[key]
    return opts


def solve_prepared(prepared: Prepared, plan=None) -> PlanResult:
    """Solve prepared inputs, verify the plan independently, and run the baselines.

    With ``plan`` (e.g. a city's part of a joint region solve, :mod:`planner.scenario.region`)
    the given plan is used instead of solving; the rest (baselines, tables, verification against
    the inventory) is the same.
    """
    from planner.optimize.attribution import loss_attribution
    from planner.optimize.baselines import all_baselines, baseline_plan
    from planner.optimize.model import solve

    method = prepared.scenario.options.get("method") or "optimal"
    if plan is not None:
        pass
    elif method == "optimal":
        plan = solve(prepared.inputs, solver_options(prepared.scenario))
    else:
        plan = baseline_plan(prepared.inputs, method, prepared.scenario.name)
    t_base = time.perf_counter()
    every = all_baselines(prepared.inputs)
    baselines = {k: (b.loss if b is not None and b.meets_targets else None) for k, b in every.items()}
    x = plan.curtailment.transpose("enterprise", "slot").to_numpy()
    attribution = None
    if not np.isnan(x).any():
        discrete = bool(getattr(plan.options, "discrete", False))
        attribution = loss_attribution(prepared.inputs, x, every, discrete)
    t_tables = time.perf_counter()
    arrays = _unit_arrays(prepared, plan)  # shared by the firm and the line tables
    schedule = schedule_table(prepared, plan, arrays)
    lines = schedule_lines(prepared, plan, arrays) if prepared.has_lines and not np.isnan(x).any() else None
    summary = summary_dict(prepared, plan, baselines, attribution)
    summary["timings"]["baselines"] = t_tables - t_base
    summary["timings"]["tables"] = time.perf_counter() - t_tables
    ensemble_summary(prepared, plan, summary)
    from planner.optimize.airgoal import goal_summary, has_goal, without_goal

    if has_goal(prepared.inputs):  # the goal's price: the same plan without it (docs/AIR_QUALITY.md)
        free = (
            solve(without_goal(prepared.inputs), solver_options(prepared.scenario))
            if method == "optimal"
            else None
        )
        goal_doc = goal_summary(prepared, plan, free.objective if free is not None and free.ok else None)
        by_slot = goal_doc.pop("by_slot")
        summary["air_quality"] = goal_doc
        share_target = prepared.inputs.get("share_target")
        for i, slot in enumerate(summary["slots"]):
            if slot.get("air_quality") is not None:
                slot["air_quality"].update(by_slot.get(slot["slot"]) or {})
            if share_target is not None:  # goal instead of shares: the shares' tonnes, reported
                slot["share_targets"] = _by_pollutant(share_target.transpose("slot", "pollutant").values[i])
    t0 = time.perf_counter()
    # goal instead of shares: the shares' tonnes are reported, not required
    shares = prepared.shares * 0.0 if prepared.inputs.attrs.get("aq_instead_of_shares") else prepared.shares
    violations = verify_schedule(
        schedule,
        prepared.table,
        prepared.bounds,
        summary,
        shares,
        prepared.city.get("total_emissions_on_basis", prepared.city["total_emissions"]),
        menus=prepared.menus,
        lines=lines,
        units=prepared.units,
        unit_table=prepared.unit_table,
    )
    summary["timings"]["verify"] += time.perf_counter() - t0
    if violations and summary["status"] in ("optimal", "infeasible"):
        summary["status"] = "error"
        summary["messages"] = [
            *summary["messages"],
            "verification against the inventory failed:",
            *violations,
        ]
    return PlanResult(prepared, plan, baselines, schedule, summary, lines)


def run(scenario: Scenario | str | Path) -> PlanResult:
    """Prepare and solve a scenario."""
    return solve_prepared(prepare(scenario))


# --------------------------------------------------------------------------- tables
def _unit_arrays(prepared: Prepared, plan) -> dict[str, np.ndarray]:
    """Per-row (decision unit) arrays of a plan: shares, bounds, losses and t/d removed (E, S[, P])."""
    from planner.optimize.inputs import rule_floor

    inp = prepared.inputs
    x = plan.curtailment.transpose("enterprise", "slot").to_numpy()
    floor = inp["floor"].to_numpy().astype(float)
    if "extra_reducible" in inp and "floor_reduction" in inp:
        fr = inp["floor_reduction"].transpose("enterprise", "slot", "pollutant").to_numpy()
        ex = inp["extra_reducible"].transpose("enterprise", "slot", "pollutant").to_numpy()
        removed = fr + ex * (x - floor)[:, :, None]
    else:
        fr = np.zeros(inp["reducible"].shape)
        ex = inp["reducible"].transpose("enterprise", "slot", "pollutant").to_numpy()
        removed = x[:, :, None] * ex
    return {
        "x": x,
        "floor": floor,
        "rule_floor": np.where(np.asarray(inp["line_group"].values) >= 0, rule_floor(inp), floor)
        if "line_group" in inp
        else floor,
        "ceiling": inp["ceiling"].to_numpy().astype(float),
        "loss": inp["loss_at_full"].to_numpy().astype(float),
        "removed": removed,
        "reducible": inp["reducible"].transpose("enterprise", "slot", "pollutant").to_numpy(),
        "floor_reduction": fr,
        "extra_reducible": ex,
    }


def firm_values(inputs: xr.Dataset, values: np.ndarray, firms, weighted: bool) -> np.ndarray:
    """Per-row (decision unit) values (E, S) summed to the firms ``firms`` (F, S).

    Weighted by the units' output shares for shares (curtailment, floor), plainly for losses and tonnes.
    """
    values = np.asarray(values, dtype=float)
    ids = pd.Index(pd.Index(firms).astype(str))
    own = inputs["owner"].values if "owner" in inputs else inputs["enterprise"].values
    codes = positions(ids, np.asarray(own).astype(str))
    w = inputs["output_share"].values.astype(float) if weighted and "output_share" in inputs else None
    v = values if w is None else values * w.reshape(-1, *([1] * (values.ndim - 1)))
    ok = codes >= 0
    return _sum_rows(codes[ok], v[ok], len(ids))


def _sum_rows(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """``out[codes[i]] += values[i]`` into ``n`` zero rows, as :func:`numpy.add.at` (same order, same sums).

    One :func:`numpy.bincount` per trailing column: several times faster than ``add.at``.
    """
    values = np.asarray(values, dtype=float)
    flat = values.reshape(len(codes), int(np.prod(values.shape[1:], dtype=int)))
    out = np.empty((n, flat.shape[1]))
    for k in range(flat.shape[1]):
        out[:, k] = np.bincount(codes, weights=flat[:, k], minlength=n)
    return out.reshape(n, *values.shape[1:])


def _firm_reason(reason: np.ndarray, codes: np.ndarray, F: int) -> tuple[np.ndarray, np.ndarray]:
    """A firm's reason from its units' (``reason`` (E, S), ``codes`` the firm of each unit).

    Optimizer if any unit is, else floor if any is, else the (shared) zero reason.  Returns the
    distinct reasons and the (F, S) positions of the firms' reasons in them (for :func:`_text_column`).
    """
    S = reason.shape[1]
    by_unit, uniq = pd.factorize(reason.ravel(), use_na_sentinel=False)
    by_unit = by_unit.reshape(reason.shape)
    uniq = list(uniq)
    first = np.full(F, len(codes))
    units, at = np.unique(codes, return_index=True)  # each firm's first unit
    first[units] = at
    out = by_unit[first]
    for r in ("floor", "optimizer"):  # later wins
        if r not in uniq:
            uniq.append(r)
        k = uniq.index(r)
        for s in range(S):
            out[np.bincount(codes, weights=by_unit[:, s] == k, minlength=F) > 0, s] = k
    return np.asarray(uniq, dtype=object), out


def _text_column(uniq, index=None):
    """A text column of a table: ``uniq[index]`` (``index`` None: ``uniq`` itself, any shape, raveled).

    The column pandas makes of the same object array (its default string type, missing values
    missing), built in Arrow from the distinct texts: several times faster than converting every
    cell of a schedule of a million rows.
    """
    import pyarrow as pa

    dtype = pd.Series([""]).dtype  # pandas' default for texts ("str", or object before pandas 3)
    if (
        index is not None
        and isinstance(uniq, pd.Series | pd.Index)
        and isinstance(uniq.dtype, pd.StringDtype)
        and uniq.dtype.storage == "pyarrow"
        and not pd.api.types.is_object_dtype(dtype)
    ):  # Arrow-backed texts: taken in Arrow, no Python string per cell
        arr = pa.array(uniq.array).cast(pa.large_string())
        return pd.array(arr.take(pa.array(np.asarray(index, dtype=np.intp))), dtype=dtype)
    if index is None:
        index, uniq = pd.factorize(np.asarray(uniq, dtype=object).ravel(), use_na_sentinel=False)
    uniq = np.asarray(uniq, dtype=object)
    if (
        pd.api.types.is_object_dtype(dtype) or len(uniq) == 0
    ):  # pandas without its string type, or nothing to take from
        return pd.array(uniq[np.asarray(index, dtype=np.intp)], dtype=dtype)
    arr = pa.array(uniq, type=pa.large_string(), from_pandas=True).take(
        pa.array(np.asarray(index, dtype=np.intp))
    )
    return pd.array(arr, dtype=dtype)


def schedule_table(prepared: Prepared, plan, arrays: dict | None = None) -> pd.DataFrame:
    """One row per enterprise per slot, re-checkable from the file alone.

    ``output_loss = curtailment × loss_at_full``; ``reduction_P = floor_reduction_P + (curtailment −
    floor) × extra_reducible_P`` for a firm without lines (the floor measures at their own factors,
    a cut above the floor as a load cut); ``reducible_P`` is the t/d removed at curtailment 1.  A firm
    with lines gets the output-share-weighted sums of its lines (``curtailment``, ``floor``,
    ``ceiling``) and the sums of their tonnes and losses; its lines are in :func:`schedule_lines`.
    A menu firm's rows (reason ``menu``; a menu firm is never split into lines) name the option
    chosen in ``menu_option`` ('' elsewhere); their curtailment is its output share plus the load
    cut, ``reduction_P`` its tonnes and ``reducible_P`` those tonnes per unit of curtailment (the
    firm's emissions for an option that cuts no output), so that ``reduction = curtailment ×
    reducible`` holds for them.

    ``arrays`` is :func:`_unit_arrays` of the plan when the caller has it already (not modified).
    """
    inp = prepared.inputs
    table = prepared.table
    S = inp.sizes["slot"]
    E = len(table)
    a = _unit_arrays(prepared, plan) if arrays is None else arrays
    reason_u = plan.reason.transpose("enterprise", "slot").to_numpy()
    if "owner" in inp:
        codes = positions(table.index.astype(str), inp["owner"].to_numpy().astype(str))
        w = inp["output_share"].to_numpy().astype(float) if "output_share" in inp else np.ones(len(codes))
    else:
        codes, w = np.arange(E), np.ones(E)

    def firm_sum(v, weight=None):
        v = v if weight is None else v * (weight[:, None] if v.ndim == 2 else weight[:, None, None])
        return _sum_rows(codes, v, E)

    x = firm_sum(a["x"], w)
    loss = firm_sum(a["loss"])
    removed = firm_sum(a["removed"])
    level_of_slot = inp["level"].to_numpy()
    bounds = prepared.bounds
    lvl_idx = bounds.get_index("level").get_indexer(level_of_slot)
    text = bounds["measure_text_zh"].to_numpy()[:, lvl_idx]
    text_en = bounds["measure_text_en"].to_numpy()[:, lvl_idx]
    mtype = bounds["measure_type"].to_numpy()[:, lvl_idx]
    n_lines = (
        np.bincount(codes, weights=inp["line_id"].to_numpy().astype(str) != "", minlength=E)
        if "line_id" in inp
        else np.zeros(E)
    )
    df = pd.DataFrame(
        {
            "enterprise_id": _text_column(table.index.astype(str), np.repeat(np.arange(E), S)),
            "name": _text_column(table["name"].astype(str), np.repeat(np.arange(E), S)),
            "line_id": _text_column(np.array(["all", "lines"], dtype=object), np.repeat(n_lines > 0, S)),
            "slot": _text_column(inp["slot"].to_numpy(), np.tile(np.arange(S), E)),
            "level": _text_column(level_of_slot, np.tile(np.arange(S), E)),
            "floor": firm_sum(a["rule_floor"], w).ravel(),
            "ceiling": firm_sum(a["ceiling"], w).ravel(),
            "curtailment": x.ravel(),
            "output_loss": firm_sum(a["x"] * a["loss"]).ravel(),
            "loss_at_full": loss.ravel(),
        }
    )
    reducible = firm_sum(a["reducible"])
    from planner.optimize.menus import menu_cells

    cells = menu_cells(inp, getattr(plan, "menu", None))
    option = np.full((E, S), "", dtype=object)
    if cells is not None:  # a menu firm removes its option's tonnes (+ load cut), not the offset formula
        rows = np.flatnonzero(cells["mask"])
        mf = codes[rows]  # menu firms are one decision unit each
        removed[mf] = cells["tonnes"][rows]
        option[mf] = cells["option"][rows]
        text, text_en, mtype = text.astype(object), text_en.astype(object), mtype.astype(object)
        text[mf] = cells["text_zh"][rows]
        text_en[mf] = cells["text_en"][rows]
        mtype[mf] = "menu"
        # reducible of a menu row: the chosen option's t/d per unit of curtailment, so that
        # reduction = curtailment × reducible still holds in the file (emissions where it cuts no output)
        xm = x[mf]
        cut = xm > 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            reducible[mf] = np.where(
                cut[:, :, None], removed[mf] / np.where(cut, xm, 1.0)[:, :, None], reducible[mf]
            )
    for j, p in enumerate(POLLUTANTS):
        df[f"reduction_{p}"] = removed[:, :, j].ravel()
    for j, p in enumerate(POLLUTANTS):
        df[f"reducible_{p}"] = reducible[:, :, j].ravel()
    reasons, firm_reason = _firm_reason(reason_u.astype(object), codes, E)
    df["reason"] = _text_column(reasons, firm_reason.ravel())
    df["measure_type"] = _text_column(mtype)
    df["measure_text_zh"] = _text_column(text)
    df["measure_text_en"] = _text_column(text_en)
    df["menu_option"] = (
        _text_column(option.astype(str))
        if cells is not None
        else _text_column([""], np.zeros(E * S, dtype=np.intp))
    )
    # µg/m³ removed at the city mean by the firm's cut on the slot (all lag days; docs/AIR_QUALITY.md)
    from planner.airquality.effect import firm_delta_column

    df["delta_pm25_city"] = firm_delta_column(prepared, plan, table.index.astype(str).to_numpy())
    fr, ex = firm_sum(a["floor_reduction"]), firm_sum(a["extra_reducible"])
    for j, p in enumerate(POLLUTANTS):
        df[f"floor_reduction_{p}"] = fr[:, :, j].ravel()
    for j, p in enumerate(POLLUTANTS):
        df[f"extra_reducible_{p}"] = ex[:, :, j].ravel()
    df["lines"] = np.repeat(n_lines.astype(int), S)
    if "effect_share" in inp:  # episode timing (planner.scenario.episode, planner.optimize.restarts)
        from planner.optimize.restarts import stop_runs

        # a firm's row: the share of the day its first measure is in force (the largest of its
        # lines'; each line's own, which scales its tonnes, is in schedule_lines.csv); held when
        # any line is held
        def firm_max(v):
            out = np.zeros((E, S))
            np.maximum.at(out, codes, np.asarray(v, dtype=float))
            return out

        runs = stop_runs(inp, a["x"])
        df["effect_share"] = firm_max(inp["effect_share"].transpose("enterprise", "slot").to_numpy()).ravel()
        df["stopped_new"] = firm_sum(runs["started"], w).ravel()  # shares of the firm's output
        df["restarted_next"] = firm_sum(runs["restarted"], w).ravel()
        df["held_min_down"] = firm_max(runs["held"]).ravel() > 0
    # delta_pm25_city stays the last column (README)
    return df[[c for c in df.columns if c != "delta_pm25_city"] + ["delta_pm25_city"]]


#: Columns of ``schedule_lines.csv`` (one row per line of a firm with lines, per slot).
LINE_SCHEDULE_COLUMNS = (
    "enterprise_id",
    "line_id",
    "process",
    "slot",
    "level",
    "output_share",
    "floor",
    "ceiling",
    "curtailment",
    "stopped",
    "whole_line",
    "line_group",
    "output_loss",
    "loss_at_full",
    *(f"reduction_{p}" for p in POLLUTANTS),
    *(f"floor_reduction_{p}" for p in POLLUTANTS),
    *(f"extra_reducible_{p}" for p in POLLUTANTS),
    "reason",
)


def schedule_lines(prepared: Prepared, plan, arrays: dict | None = None) -> pd.DataFrame:
    """One row per line of each firm with lines per slot (``schedule_lines.csv``).

    ``curtailment`` is the share of the line's own output removed; ``stopped`` is 1 for a line
    stopped whole; ``whole_line`` says the line is under a line stop (0/1 in the discrete mode) and
    ``line_group`` names it; ``reduction_P = floor_reduction_P + (curtailment − floor) ×
    extra_reducible_P``.  The firm's row of ``schedule.csv`` is the output-share-weighted sum of its
    lines' curtailments and the sum of their tonnes and losses.  Episode plans add ``effect_share``
    (last column): the share of the day the line's measure is in force; the line's tonnes
    (``reduction_P``, ``floor_reduction_P``, ``extra_reducible_P``) are already scaled by it.  Empty
    without lines.  ``arrays``: as for :func:`schedule_table`.
    """
    inp = prepared.inputs
    if "line_id" not in inp:
        return pd.DataFrame(columns=list(LINE_SCHEDULE_COLUMNS))
    keep = np.flatnonzero(inp["line_id"].to_numpy().astype(str) != "")
    S = inp.sizes["slot"]
    a = _unit_arrays(prepared, plan) if arrays is None else arrays
    n = len(keep)

    def cells(v):
        return v[keep].reshape(n * S, *v.shape[2:])

    groups = np.asarray(inp["group"].values).astype(str) if "group" in inp.coords else np.array([], str)
    g = inp["line_group"].to_numpy()[keep] if "line_group" in inp else np.full((n, S), -1)
    gname = np.where(g >= 0, groups[np.maximum(g, 0)] if len(groups) else "", "")
    x = cells(a["x"])
    df = pd.DataFrame(
        {
            "enterprise_id": _text_column(
                inp["owner"].to_numpy().astype(str)[keep], np.repeat(np.arange(n), S)
            ),
            "line_id": _text_column(inp["line_id"].to_numpy().astype(str)[keep], np.repeat(np.arange(n), S)),
            "process": _text_column(inp["process"].to_numpy().astype(str)[keep], np.repeat(np.arange(n), S)),
            "slot": _text_column(inp["slot"].to_numpy().astype(str), np.tile(np.arange(S), n)),
            "level": _text_column(inp["level"].to_numpy().astype(str), np.tile(np.arange(S), n)),
            "output_share": np.repeat(inp["output_share"].to_numpy()[keep], S),
            "floor": cells(a["floor"]),
            "ceiling": cells(a["ceiling"]),
            "curtailment": x,
            "stopped": (x >= 1.0 - 1e-9).astype(int),
            "whole_line": cells(inp["whole_lines"].to_numpy()).astype(int) if "whole_lines" in inp else 0,
            "line_group": gname.ravel(),
            "output_loss": x * cells(a["loss"]),
            "loss_at_full": cells(a["loss"]),
        }
    )
    for key in ("removed", "floor_reduction", "extra_reducible"):
        v = cells(a[key])
        for j, p in enumerate(POLLUTANTS):
            df[f"{'reduction' if key == 'removed' else key}_{p}"] = v[:, j]
    df["reason"] = _text_column(cells(plan.reason.transpose("enterprise", "slot").to_numpy()))
    cols = list(LINE_SCHEDULE_COLUMNS)
    if "effect_share" in inp:  # episode: each line's own share of the day (its tonnes are scaled by it)
        df["effect_share"] = cells(inp["effect_share"].transpose("enterprise", "slot").to_numpy())
        cols.append("effect_share")
    return df[cols]


#: Per-slot keys of the loss split in summary.json.
_SPLIT_KEYS = (
    "loss",
    "loss_floor",
    "loss_optimizer",
    "cells_above_floor",
    "firms_above_floor",
    "units_above_floor",
    "lines_stopped",
    "baseline_loss",
)


def _by_pollutant(row) -> dict:
    return {p: finite_or_none(v) for p, v in zip(POLLUTANTS, np.asarray(row, dtype=float), strict=True)}


def _curtailed_firms(inp: xr.Dataset, plan) -> int:
    """Firms with some unit curtailed on some slot."""
    cut = (plan.curtailment.transpose("enterprise", "slot") > 1e-9).any("slot").to_numpy()
    owners = inp["owner"].to_numpy().astype(str) if "owner" in inp else inp["enterprise"].to_numpy()
    return len(set(np.asarray(owners)[cut].tolist()))


def _json_safe(v):
    """Plain JSON values (non-finite numbers as null) of a nested dict/list."""
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    if isinstance(v, bool | str) or v is None:
        return v
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return finite_or_none(v)
    return str(v)


def summary_dict(prepared: Prepared, plan, baselines: dict, attribution: dict | None = None) -> dict:
    """The ``summary.json`` document (see :func:`_summary_dict`).

    The episode's per-day measures are merged into ``timeline.days`` (keys ``planned`` and ``measures``).
    """
    doc = _summary_dict(prepared, plan, baselines, attribution)
    details = doc.pop("_day_details", None)
    if details is not None and "timeline" in doc:
        for day in doc["timeline"]["days"]:
            info = details.get(day["date"])
            day["planned"] = info is not None
            if info is not None:
                day["measures"] = info
    return doc


def _summary_dict(prepared: Prepared, plan, baselines: dict, attribution: dict | None = None) -> dict:
    """The ``summary.json`` document (see the README for the contract).

    With ``attribution`` (:func:`planner.optimize.attribution.loss_attribution`) every slot also
    gets ``loss``, ``loss_floor``, ``loss_optimizer``, ``cells_above_floor``,
    ``firms_above_floor`` and ``baseline_loss``, and the document ``loss_split`` and ``savings``.
    """
    inp = prepared.inputs
    slots = []
    credited = inp["credited"].to_numpy()
    duals = plan.duals.transpose("slot", "pollutant").to_numpy()
    coverage = prepared.slots.get("coverage", pd.Series([""] * len(prepared.slots))).to_numpy()
    from planner.airquality.effect import slot_air_quality

    air = slot_air_quality(prepared, plan)  # city mean ΔPM2.5 and AQI per slot (docs/AIR_QUALITY.md)
    from planner.optimize.menus import menu_cells

    menu = menu_cells(inp, getattr(plan, "menu", None))  # menu firms: the option chosen per slot
    ent = inp["enterprise"].to_numpy()
    # tonnes/day of the non-industrial measures the optimiser chose (use: optimize), per slot
    chosen = np.zeros(credited.shape)
    if getattr(plan, "non_industrial", None) is not None and "ni_reduction" in inp:
        a = plan.non_industrial.transpose("measure", "slot").to_numpy()
        red = inp["ni_reduction"].transpose("measure", "slot", "pollutant").to_numpy()
        chosen = np.nan_to_num(np.einsum("ms,msp->sp", a, red))
    for i, s in enumerate(inp["slot"].to_numpy()):
        slots.append(
            {
                "slot": str(s),
                "level": str(inp["level"].values[i]),
                "targets": _by_pollutant(inp["target"].values[i]),
                "credited": _by_pollutant(credited[i]),
                "non_industrial_chosen": _by_pollutant(chosen[i]),
                "achieved": _by_pollutant(plan.achieved.transpose("slot", "pollutant").values[i]),
                "shortfall": _by_pollutant(plan.shortfall.transpose("slot", "pollutant").values[i]),
                "duals": _by_pollutant(duals[i]),
                "coverage": str(coverage[i]),
                "air_quality": air.get(str(s)),
            }
        )
        if attribution is not None:
            a = attribution["slots"][i]
            slots[-1].update({k: a[k] for k in _SPLIT_KEYS})
        firms = np.flatnonzero(menu["mask"]) if menu is not None else np.zeros(0, int)
        slots[-1]["menu_firms"] = len(firms)  # firms planned by a menu, and the option chosen
        slots[-1]["menu_options_chosen"] = {
            str(ent[e]): str(menu["option"][e, i]) for e in firms if menu["option"][e, i]
        }
    timings = dict(prepared.timings)
    timings.update(plan.timings)
    return {
        "scenario": prepared.scenario.name,
        "mode": prepared.scenario.mode,
        "status": plan.status,
        "objective": finite_or_none(plan.objective),
        "non_industrial_loss": float(inp["credited_loss"].sum()),
        "loss_basis": str(inp.attrs.get("loss_basis", "output_value")),
        "daily_basis": str(inp.attrs.get("daily_basis", "operating_day")),
        "slots": slots,
        "baselines": {k: finite_or_none(v) for k, v in baselines.items()},
        "solver": plan.solver,
        "solver_path": _json_safe(getattr(plan, "solver_path", None) or {}),
        "gap": finite_or_none(plan.gap),
        "timings": {k: float(v) for k, v in timings.items()},
        "enterprises": len(prepared.table),
        "curtailed_enterprises": _curtailed_firms(inp, plan),
        "units": int(inp.sizes["enterprise"]),
        "lines": int((inp["line_id"].values.astype(str) != "").sum()) if "line_id" in inp else 0,
        "messages": list(plan.messages),
        "loss_split": None if attribution is None else attribution["total"],
        "savings": None if attribution is None else attribution["savings"],
        **({"timeline": tl} if (tl := timeline_summary(prepared.alerts)) is not None else {}),
        **_episode_keys(prepared, plan),
    }


def _episode_keys(prepared: Prepared, plan) -> dict:
    """Episode keys of ``summary.json`` (added by issue 11).

    ``restart_cost`` (万元, beside the output loss), ``restarts`` (on/off) and per timeline day the plan's
    measures that day (:func:`planner.scenario.episode.day_details`).
    """
    inp = prepared.inputs
    if "effect_share" not in inp:
        return {}
    from planner.scenario.episode import day_details

    x = plan.curtailment.transpose("enterprise", "slot").to_numpy()
    from planner.optimize.restarts import has_restarts, restart_cost_of

    return {
        "restart_cost": float(restart_cost_of(inp, x)) if not np.isnan(x).any() else None,
        "restarts": bool(has_restarts(inp)),
        "_day_details": day_details(inp, x),
    }
