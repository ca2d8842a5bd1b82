"""Region mode: several cities in one scenario, planned per city and for the region.

A region scenario (:class:`planner.scenario.schema.RegionFile`) lists ``cities`` (each with the
keys of a scenario file: its own inventory, city totals, targets, forecast, overrides, or a
``base:`` scenario) and optional regional targets ``region.targets`` - a share per level and
pollutant of the *sum* of the cities' total emissions (全社会排放总量 on the plan's daily basis)::

    name: demo_region
    mode: list
    alert_days: {yellow: 8, orange: 5, red: 3}   # defaults of every city
    cities:
      north: {inventory: ../data/demo_region/north/enterprises.csv, city: ../data/demo_region/north/city.yaml}
      south: {inventory: ..., city: ..., shares: {orange: {NOx: 0.25}}}
    region:
      targets: {orange: {NOx: 0.22}}

Solving (:func:`solve_region`):

- **without regional targets** the cities are independent: each is prepared and solved exactly as
  ``planner plan`` would solve it alone, as tasks of a :mod:`planner.scale.runner` (in parallel on
  Dask with ``--workers``/``--scheduler``);
- **with regional targets** the cities are prepared (as tasks) and solved in **one joint model**:
  :func:`joint_inputs` concatenates their PlanInputs along ``enterprise`` (each city keeps its own
  slots, labelled ``<city>/<slot>``, so every city's own target rows, chains and bounds stay as they
  are) and adds the regional rows (``region_target``, ``region_member``), which
  :func:`planner.optimize.blocks.define_region_targets` turns into the ``Region-Pollutant-target``
  block.  The joint plan is split back into one plan per city, each checked against its own inputs
  and sources like any plan; the regional rows are re-checked from the cities' schedules.

Fairness caps in a joint solve (``county_loss_cap``, ``firm_loss_cap``) are shares of the
*region's* total loss; every city must then use the same model options.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner import ALERT_LEVELS, POLLUTANTS
from planner.io.numbers import finite_or_none
from planner.io.schema_errors import validate
from planner.io.yamlio import parse_yaml
from planner.problems import InputError, Problems
from planner.scenario.files import (
    Scenario,
    _merge,
    _resolve_path,
    load_raw,
    read_text,
    scenario_from_data,
    scenario_path_keys,
)
from planner.scenario.run import PlanResult, Prepared, prepare, run, solve_prepared, solver_options
from planner.scenario.schema import REGION_COMMON_KEYS, RegionFile

__all__ = [
    "RegionResult",
    "RegionScenario",
    "is_region_file",
    "joint_inputs",
    "load_region",
    "region_schedule",
    "region_summary",
    "solve_region",
]

_STATUS_RANK = {"optimal": 0, "infeasible": 1, "time_limit": 2, "error": 3}


@dataclass
class RegionScenario:
    """A resolved region scenario.

    One :class:`Scenario` per city (in file order) and the regional targets (level → pollutant → share of the
    cities' summed totals; empty: none).
    """

    name: str
    file: Path
    mode: str
    cities: dict[str, Scenario]
    targets: dict[str, dict[str, float]] = field(default_factory=dict)
    description: str = ""


@dataclass
class RegionResult:
    """A solved region: one :class:`PlanResult` per city, the region's schedule and summary."""

    region: RegionScenario
    cities: dict[str, PlanResult]
    schedule: pd.DataFrame
    summary: dict
    joint: bool

    @property
    def status(self) -> str:
        """The joint plan's solver status (``summary["status"]``)."""
        return self.summary["status"]


# --------------------------------------------------------------------------- loading
class _SubDoc:
    """A view of a parsed YAML document below a key path (for line numbers of a city's keys)."""

    def __init__(self, doc, prefix: tuple) -> None:
        self.doc, self.prefix = doc, tuple(prefix)

    def line(self, loc) -> int | None:
        return self.doc.line(self.prefix + tuple(loc))


def _prefixed(problems: Problems, prefix: str, into: Problems) -> None:
    for p in problems.items:
        column = f"{prefix}{p.column}" if p.column else prefix.rstrip(".")
        into.add(p.file, p.row, column, p.message, p.severity)


def is_region_file(path: str | Path) -> bool:
    """True when the YAML file at ``path`` is a region scenario (it has a top-level ``cities``)."""
    p = Path(path)
    if not p.is_file() or p.suffix.lower() not in (".yaml", ".yml"):
        return False
    doc = parse_yaml(read_text(p.resolve()), str(p.resolve()))
    return isinstance(doc.data, dict) and "cities" in doc.data


def _resolve_paths(data: dict, path: Path, doc, prefix: tuple, problems: Problems) -> dict:
    out = dict(data)
    for key in scenario_path_keys(out):
        if key in out and isinstance(out[key], str):
            resolved = _resolve_path(key, out[key], path.parent, str(path), _SubDoc(doc, prefix), problems)
            if resolved is None:
                out.pop(key)
            else:
                out[key] = resolved
    return out


def load_region(path: str | Path) -> RegionScenario:
    """Load and validate a region scenario; build every city's :class:`Scenario`.

    Every problem names the region file and the key path (``cities.north.options.discrete``,
    ``region.targets.orange.NOx``), with the line where it is written.

    Raises
    ------
    InputError
        Unknown keys, bad values, missing files, cities planned in different modes.
    """
    path = Path(path).resolve()
    file = str(path)
    doc = parse_yaml(read_text(path), file)
    raw = {} if doc.data is None else doc.data
    if not isinstance(raw, dict):
        raise InputError.single(file, "a region scenario must be a mapping of keys to values")
    model = validate(RegionFile, raw, file, doc=doc)
    problems = Problems()
    common = {k: raw[k] for k in REGION_COMMON_KEYS if raw.get(k) is not None}
    common = _resolve_paths(common, path, doc, (), problems)
    cities: dict[str, Scenario] = {}
    for cid, entry in raw["cities"].items():
        cid = str(cid)
        sub = Problems()
        own = {k: v for k, v in (entry or {}).items() if v is not None}
        own = _resolve_paths(own, path, doc, ("cities", cid), sub)
        base = own.pop("base", None)
        chain = [path]
        if base is not None:
            if not Path(base).is_file():
                sub.error(
                    file, doc.line(("cities", cid, "base")), "base", f"base scenario {base} does not exist"
                )
            else:
                base_data, base_chain = load_raw(base, problems)
                own = _merge(base_data, own)
                chain = [*base_chain, path]
        _prefixed(sub, f"cities.{cid}.", problems)
        if not sub.ok:
            continue
        data = _merge(common, own)
        try:
            cities[cid] = scenario_from_data(data, chain, path, name=str((entry or {}).get("name") or cid))
        except InputError as exc:
            _prefixed(exc.problems, f"cities.{cid}.", problems)
    modes = {cid: s.mode for cid, s in cities.items()}
    if len(set(modes.values())) > 1:
        first = next(iter(modes.values()))
        for cid, mode in modes.items():
            if mode != first:
                problems.error(
                    file,
                    doc.line(("cities", cid, "mode")),
                    f"cities.{cid}.mode",
                    f"every city of a region is planned in one mode; {cid} is {mode}, the first city {first}",
                )
    if not problems.ok:
        raise InputError(problems)
    targets = {}
    if model.region is not None:
        targets = {
            lv: {p: float(v) for p, v in per.items() if v > 0}
            for lv, per in model.region.targets.items()
            if any(v > 0 for v in per.values())
        }
    return RegionScenario(
        name=str(model.name or path.stem),
        file=path,
        mode=next(iter(modes.values())) if modes else "list",
        cities=cities,
        targets=targets,
        description=str(model.description or ""),
    )


# --------------------------------------------------------------------------- tasks
def _run_city(_shared, scenario: Scenario) -> PlanResult:
    """Prepare and solve one city (a task; the worker reads the city's files)."""
    return run(scenario)


def _prepare_city(_shared, scenario: Scenario) -> Prepared:
    """Prepare one city (a task)."""
    return prepare(scenario)


def _daily_totals(prepared: Prepared) -> np.ndarray:
    """City total emissions per pollutant, t/d.

    In t/d on the plan's daily basis (as the city's targets: 全社会排放总量 put on the list's daily basis by
    :func:`prepare`, ÷ 365).
    """
    totals = prepared.city.get("total_emissions_on_basis") or prepared.city["total_emissions"]
    return np.array([float(totals[p]) / 365.0 for p in POLLUTANTS])


# --------------------------------------------------------------------------- joint model
_STACKED = ("enterprise", "slot", "measure", "group")


def joint_inputs(
    cities: dict[str, Prepared], targets: dict[str, dict[str, float]]
) -> tuple[xr.Dataset, dict[str, dict[str, slice]]]:
    """One PlanInputs for all cities plus the regional target rows.

    Variables are concatenated along ``enterprise`` (ids ``<city>/<id>``), ``slot`` (``<city>/<slot>``)
    and ``measure``; a variable over enterprise × slot is block-diagonal (a city's firms have
    floor = ceiling = 0, no loss and no reduction in another city's slots), chains are renumbered
    per city and counties prefixed with the city.  The regional rows group, for each slot label and
    level with a regional share, the cities' slots of that label at that level:
    ``region_target[row, P] = share[level, P] × Σ_{cities of the row} total[P] / 365`` (t/d) and
    ``region_member[row, slot]``.

    Returns
    -------
    (xarray.Dataset, dict)
        The joint inputs and, per city, the ``enterprise``, ``slot`` and ``measure`` slices.
    """
    ids = list(cities)
    inputs = [cities[c].inputs for c in ids]
    names = set(inputs[0].data_vars)
    for c, ds in zip(ids, inputs, strict=True):
        if set(ds.data_vars) != names:
            diff = sorted(names.symmetric_difference(ds.data_vars))
            raise InputError.single(
                str(cities[c].scenario.file),
                f"the cities' inputs differ in {', '.join(diff)}: they cannot be solved jointly",
                column=f"cities.{c}",
            )
    off = {d: np.cumsum([0] + [ds.sizes.get(d, 0) for ds in inputs]) for d in _STACKED}
    layout = {c: {d: slice(int(off[d][k]), int(off[d][k + 1])) for d in _STACKED} for k, c in enumerate(ids)}
    total = {d: int(off[d][-1]) for d in _STACKED}
    data = {}
    for name in inputs[0].data_vars:
        dims = inputs[0][name].dims
        if not any(d in _STACKED for d in dims):
            first = inputs[0][name]
            if any(not ds[name].equals(first) for ds in inputs[1:]):
                raise InputError.single(
                    str(cities[ids[1]].scenario.file),
                    f"variable {name!r} differs between cities and has no enterprise, slot or measure axis",
                )
            data[name] = (dims, first.values)
            continue
        values = [np.asarray(ds[name].transpose(*dims).values) for ds in inputs]
        dtype = np.result_type(*[v.dtype for v in values])
        shape = tuple(total[d] if d in _STACKED else inputs[0].sizes[d] for d in dims)
        arr = np.full(shape, "", dtype=object) if dtype.kind == "O" else np.zeros(shape, dtype=dtype)
        if name == "line_group":  # a city's units belong to no line stop in another city's slots
            arr[...] = -1
        for k, c in enumerate(ids):
            v = values[k]
            if name in ("county", "owner"):
                v = np.array([f"{c}/{x}" for x in v], dtype=object)
            elif name == "line_group":  # group indices shifted to the city's block of groups
                v = np.where(v >= 0, v + int(off["group"][k]), -1)
            idx = tuple(layout[c][d] if d in _STACKED else slice(None) for d in dims)
            arr[idx] = v
        data[name] = (dims, arr)
    # chains: renumbered so that no chain spans two cities
    chain = np.asarray(data["chain"][1]).astype(int).copy()
    shift = 0
    for c in ids:
        sl = layout[c]["slot"]
        part = chain[sl]
        chain[sl] = np.where(part >= 0, part + shift, -1)
        shift = int(max(shift, chain[sl].max(initial=-1) + 1))
    data["chain"] = (("slot",), chain)
    for name in ("county", "owner"):
        if name in data:
            data[name] = (("enterprise",), np.asarray(data[name][1]).astype(str))
    if "level" in data:
        data["level"] = (("slot",), np.asarray(data["level"][1]).astype(str))
    coords = {
        "enterprise": [
            f"{c}/{e}" for c, ds in zip(ids, inputs, strict=True) for e in ds["enterprise"].values
        ],
        "slot": [f"{c}/{s}" for c, ds in zip(ids, inputs, strict=True) for s in ds["slot"].values],
        "pollutant": list(POLLUTANTS),
        "measure": np.asarray(
            [f"{c}/{m}" for c, ds in zip(ids, inputs, strict=True) for m in ds["measure"].values],
            dtype=object,
        ),
    }
    ds = xr.Dataset(data, coords=coords, attrs=dict(inputs[0].attrs))
    rows, req, member = region_rows_for(cities, layout, targets, total["slot"])
    if rows:
        ds["region_target"] = (("region_row", "pollutant"), req)
        ds["region_member"] = (("region_row", "slot"), member)
        ds = ds.assign_coords(region_row=[r["row"] for r in rows])
        ds.attrs["region_rows"] = json.dumps(rows, ensure_ascii=False)
    return ds, layout


def region_rows_for(cities, layout, targets, n_slots) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """The regional rows: one per slot label and level that has a regional share (see :func:`joint_inputs`).

    ``(rows, required (R, P) t/d, member (R, S) bool)``.
    """
    groups: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for c, prepared in cities.items():
        inp = prepared.inputs
        for k, (slot, level) in enumerate(zip(inp["slot"].values, inp["level"].values, strict=True)):
            if str(level) in targets:
                groups.setdefault((str(slot), str(level)), []).append((c, layout[c]["slot"].start + k))
    rows, req, member = [], [], []
    totals = {c: _daily_totals(p) for c, p in cities.items()}
    for (slot, level), members in groups.items():
        share = np.array([targets[level].get(p, 0.0) for p in POLLUTANTS])
        summed = np.sum([totals[c] for c, _ in members], axis=0)
        rows.append(
            {
                "row": slot if slot == level else f"{slot}:{level}",
                "slot": slot,
                "level": level,
                "cities": [c for c, _ in members],
                "share": {p: float(share[j]) for j, p in enumerate(POLLUTANTS)},
                "city_totals_daily": {p: float(summed[j]) for j, p in enumerate(POLLUTANTS)},
            }
        )
        req.append(share * summed)
        m = np.zeros(n_slots, bool)
        m[[s for _, s in members]] = True
        member.append(m)
    P = len(POLLUTANTS)
    return rows, np.array(req).reshape(-1, P), np.array(member, dtype=bool).reshape(-1, n_slots)


def _joint_options(cities: dict[str, Prepared]) -> dict:
    opts = {c: solver_options(p.scenario) for c, p in cities.items()}
    first_id, first = next(iter(opts.items()))
    for c, o in opts.items():
        if o != first:
            keys = sorted(k for k in set(o) | set(first) if o.get(k) != first.get(k))
            raise InputError.single(
                str(cities[c].scenario.file),
                f"with regional targets every city is solved in one model and must use the same options; "
                f"{c} differs from {first_id} in {', '.join(keys)}",
                column=f"cities.{c}",
            )
    return dict(first)


def city_plan(plan, layout: dict[str, slice], prepared: Prepared, city: str):
    """The part of a joint plan that belongs to one city, labelled and costed as the city's own."""
    from planner.optimize import blocks as B

    inp = prepared.inputs
    es, ss, ms = layout["enterprise"], layout["slot"], layout["measure"]
    ent, slot = inp["enterprise"].values, inp["slot"].values

    def by_slot(a):
        return a.isel(slot=ss).assign_coords(slot=slot)

    x = plan.curtailment.isel(enterprise=es, slot=ss).assign_coords(enterprise=ent, slot=slot)
    ni = None
    if plan.non_industrial is not None and inp.sizes.get("measure", 0):
        ni = plan.non_industrial.isel(measure=ms, slot=ss).assign_coords(
            measure=inp["measure"].values, slot=slot
        )
    short = by_slot(plan.shortfall)
    xv = x.transpose("enterprise", "slot").values
    objective = float("nan")
    if not np.isnan(xv).any():
        objective = float((inp["loss_at_full"].values * xv).sum() + inp["credited_loss"].values.sum())
        if ni is not None:
            objective += float((ni.values * inp["ni_cost"].transpose("measure", "slot").values).sum())
    status = plan.status
    if np.nan_to_num(short.values).max(initial=0.0) > 0:
        status = "infeasible"
    elif status == "infeasible":
        status = "optimal"  # the city's own targets are met; the region's status says the rest
    prefix = f"{city}/"
    return replace(
        plan,
        curtailment=x,
        status=status,
        objective=objective,
        shortfall=short,
        achieved=by_slot(plan.achieved),
        target=by_slot(plan.target),
        max_achievable_share=by_slot(plan.max_achievable_share),
        duals=by_slot(plan.duals),
        reason=plan.reason.isel(enterprise=es, slot=ss).assign_coords(enterprise=ent, slot=slot),
        messages=[m.replace(prefix, "") for m in plan.messages if prefix in m],
        violations=[],
        blocks=[b for b in plan.blocks if b not in (B.REGION_TARGET, B.REGION_SHORTFALL)],
        non_industrial=ni,
        timings=dict(plan.timings),
    )


def _region_check(joint: xr.Dataset, plan) -> tuple[list[dict], list[str]]:
    """Achieved and shortfall of every regional row (from the joint plan's achieved per slot)."""
    if "region_target" not in joint:
        return [], []
    rows = json.loads(joint.attrs["region_rows"])
    req = joint["region_target"].values
    member = joint["region_member"].values.astype(float)
    achieved = member @ plan.achieved.transpose("slot", "pollutant").values
    out, messages = [], []
    for r, row in enumerate(rows):
        for j, p in enumerate(POLLUTANTS):
            if req[r, j] <= 0:
                continue
            short = max(float(req[r, j] - achieved[r, j]), 0.0)
            met = short <= 1e-6 * max(1.0, float(req[r, j]))
            out.append(
                {
                    "row": row["row"],
                    "slot": row["slot"],
                    "level": row["level"],
                    "pollutant": p,
                    "share": row["share"][p],
                    "cities": row["cities"],
                    "city_totals_daily": row["city_totals_daily"][p],
                    "required": float(req[r, j]),
                    "achieved": finite_or_none(achieved[r, j]),
                    "shortfall": 0.0 if met else short,
                    "met": bool(met),
                }
            )
            if not met:
                messages.append(
                    f"regional target {row['row']} {p} not reachable: short by {short:.6g} t/d "
                    f"(required {req[r, j]:.6g} t/d = {row['share'][p]:g} of the cities' summed totals)"
                )
    return out, messages


# --------------------------------------------------------------------------- solve
def solve_region(region: RegionScenario | str | Path, runner=None, progress=None) -> RegionResult:
    """Plan every city of a region, independently or (with regional targets) jointly.

    Parameters
    ----------
    region : RegionScenario or path
    runner : planner.scale.runner.SerialRunner or DaskRunner, optional
        Runs the cities' independent work as tasks (default serially).  Results do not depend on it.
    progress : callable, optional
        ``progress(done, total, label)`` after each city.

    Returns
    -------
    RegionResult
    """
    from planner.optimize.model import solve
    from planner.scale.runner import SerialRunner

    if not isinstance(region, RegionScenario):
        region = load_region(region)
    runner = runner or SerialRunner()
    ids = list(region.cities)
    scenarios = [region.cities[c] for c in ids]
    joint = bool(region.targets)
    region_rows: list[dict] = []
    region_messages: list[str] = []
    solver = None
    if not joint:
        results = dict(
            zip(ids, runner.map(_run_city, scenarios, label="cities", progress=progress), strict=True)
        )
    else:
        prepared = dict(
            zip(ids, runner.map(_prepare_city, scenarios, label="cities", progress=progress), strict=True)
        )
        ds, layout = joint_inputs(prepared, region.targets)
        plan = solve(ds, _joint_options(prepared))
        solver = plan.solver
        region_rows, region_messages = _region_check(ds, plan)
        region_messages = [*plan.messages, *region_messages]
        results = {
            c: solve_prepared(prepared[c], plan=city_plan(plan, layout[c], prepared[c], c)) for c in ids
        }
        if plan.status == "error":
            region_messages.append(
                "the joint solve failed: " + "; ".join(plan.violations[:5] or plan.messages[:3])
            )
    schedule = region_schedule(results)
    summary = region_summary(region, results, region_rows, region_messages, joint, solver)
    return RegionResult(region, results, schedule, summary, joint)


def region_schedule(results: dict[str, PlanResult]) -> pd.DataFrame:
    """The cities' schedules one after the other, with a first column ``city``."""
    frames = []
    for c, r in results.items():
        f = r.schedule.copy()
        f.insert(0, "city", c)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _sum(values):
    values = list(values)
    if any(v is None for v in values):
        return None
    return float(sum(values))


def region_summary(
    region: RegionScenario,
    results: dict[str, PlanResult],
    region_rows: list[dict],
    region_messages: list[str],
    joint: bool,
    solver: str | None = None,
) -> dict:
    """The region's ``summary.json``.

    The keys of a city's summary, summed over the cities, plus ``region`` (per-city summaries, totals and the
    regional targets).
    """
    summaries = {c: r.summary for c, r in results.items()}
    status = max((s["status"] for s in summaries.values()), key=lambda v: _STATUS_RANK.get(v, 3))
    if any(not row["met"] for row in region_rows) and _STATUS_RANK.get(status, 3) < 1:
        status = "infeasible"
    rank = {lv: i for i, lv in enumerate(ALERT_LEVELS)}
    groups: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    for c, s in summaries.items():
        for slot in s["slots"]:
            groups.setdefault((slot["slot"], slot["level"]), []).append((c, slot))
    if region.mode == "list":
        order = sorted(groups, key=lambda k: (rank.get(k[1], 9), k[0]))
    else:
        order = sorted(groups, key=lambda k: (k[0], rank.get(k[1], 9)))
    totals = {c: _daily_totals(r.prepared) for c, r in results.items()}
    slots = []
    for key in order:
        members = groups[key]
        summed = np.sum([totals[c] for c, _ in members], axis=0)
        entry = {"slot": key[0], "level": key[1], "cities": [c for c, _ in members]}
        for part in ("targets", "credited", "non_industrial_chosen", "achieved", "shortfall"):
            entry[part] = {p: _sum(s.get(part, {}).get(p, 0.0) for _, s in members) for p in POLLUTANTS}
        entry["duals"] = {p: None for p in POLLUTANTS}
        entry["coverage"] = f"region: {len(members)} of {len(results)} cities"
        entry["air_quality"] = None
        entry["city_totals_daily"] = {p: float(summed[j]) for j, p in enumerate(POLLUTANTS)}
        entry["achieved_share_of_region_total"] = {
            p: (
                entry["achieved"][p] / summed[j]
                if entry["achieved"][p] is not None and summed[j] > 0
                else None
            )
            for j, p in enumerate(POLLUTANTS)
        }
        slots.append(entry)
    baselines = {}
    for s in summaries.values():
        for k in s["baselines"]:
            baselines.setdefault(k, None)
    baselines = {k: _sum(s["baselines"].get(k) for s in summaries.values()) for k in baselines}
    city_baselines = dict(baselines)
    if joint:  # a baseline meets each city's own targets, not the regional ones: not comparable
        baselines = dict.fromkeys(baselines)
    timings: dict[str, float] = {}
    for s in summaries.values():
        for k, v in s["timings"].items():
            timings[k] = timings.get(k, 0.0) + float(v)
    gaps = [s["gap"] for s in summaries.values() if s["gap"] is not None]
    first = next(iter(summaries.values()))
    messages = [f"[{c}] {m}" for c, s in summaries.items() for m in s["messages"]] + list(region_messages)
    objective = _sum(s["objective"] for s in summaries.values())
    return {
        "scenario": region.name,
        "mode": region.mode,
        "status": status,
        "objective": objective,
        "non_industrial_loss": float(sum(s["non_industrial_loss"] for s in summaries.values())),
        "loss_basis": first["loss_basis"],
        "daily_basis": first["daily_basis"],
        "slots": slots,
        "baselines": baselines,
        "solver": solver or ", ".join(sorted({s["solver"] for s in summaries.values()})),
        "gap": max(gaps) if gaps else None,
        "timings": timings,
        "enterprises": int(sum(s["enterprises"] for s in summaries.values())),
        "curtailed_enterprises": int(sum(s["curtailed_enterprises"] for s in summaries.values())),
        "messages": messages,
        "loss_split": None,
        "savings": None,
        "region": {
            "solve": "joint" if joint else "independent",
            "cities": summaries,
            "totals": {
                "status": status,
                "objective": objective,
                "non_industrial_loss": float(sum(s["non_industrial_loss"] for s in summaries.values())),
                "enterprises": int(sum(s["enterprises"] for s in summaries.values())),
                "curtailed_enterprises": int(sum(s["curtailed_enterprises"] for s in summaries.values())),
                "city_totals_daily": {
                    p: float(sum(t[j] for t in totals.values())) for j, p in enumerate(POLLUTANTS)
                },
                "loss_by_city": {c: s["objective"] for c, s in summaries.items()},
                # the cities' baselines summed (each meets its city's targets only)
                "baselines_sum_of_cities": city_baselines,
            },
            "targets": region_rows,
        },
    }
