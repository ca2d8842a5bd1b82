"""Region mode: several cities per scenario, independent or joint solves, regional targets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from planner import DATA_DIR, POLLUTANTS
from planner.cli.main import EXIT_BAD_INPUT, EXIT_NOT_USABLE, EXIT_OK, main
from planner.inventory.table import read_inventory
from planner.optimize import blocks as B
from planner.optimize.verify import CHECKS, verify_plan
from planner.policy.units import apply_basis, daily_basis
from planner.problems import InputError
from planner.reports.region import write_region_outputs
from planner.scenario.region import (
    is_region_file,
    joint_inputs,
    load_region,
    solve_region,
)
from planner.scenario.run import prepare, run
from planner.targets.reductions import read_city

REPO = Path(__file__).resolve().parents[2]
REGION = REPO / "scenarios" / "demo_region.yaml"
CITIES = REPO / "scenarios" / "demo_region_cities.yaml"


@pytest.fixture(scope="module")
def independent():
    return solve_region(CITIES)


@pytest.fixture(scope="module")
def joint():
    return solve_region(REGION)


def _region_file(tmp_path: Path, targets: dict | None = None, **city_keys) -> Path:
    doc = yaml.safe_load(REGION.read_text(encoding="utf-8"))
    for entry in doc["cities"].values():
        for key in ("inventory", "city"):
            entry[key] = str((REGION.parent / entry[key]).resolve())
    for cid, extra in city_keys.items():
        doc["cities"][cid].update(extra)
    if targets is None:
        doc.pop("region")
    else:
        doc["region"] = {"targets": targets}
    path = tmp_path / "region.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _city_file(tmp_path: Path, cid: str) -> Path:
    """The city of the region as a single-city scenario file of its own."""
    doc = yaml.safe_load(CITIES.read_text(encoding="utf-8"))
    entry = doc["cities"][cid]
    single = {
        "name": entry["name"],
        "inventory": str((CITIES.parent / entry["inventory"]).resolve()),
        "city": str((CITIES.parent / entry["city"]).resolve()),
        "mode": doc["mode"],
        "alert_days": entry.get("alert_days", doc["alert_days"]),
        "rules": doc["rules"],
        "options": doc["options"],
        "solver": doc["solver"],
    }
    path = tmp_path / f"{cid}.yaml"
    path.write_text(yaml.safe_dump(single, allow_unicode=True), encoding="utf-8")
    return path


def _without_timings(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "timings"}


def test_region_files_are_told_apart():
    assert is_region_file(REGION) and is_region_file(CITIES)
    assert not is_region_file(REPO / "scenarios" / "demo_list.yaml")


def test_independent_region_equals_each_city_planned_alone(independent, tmp_path):
    assert independent.summary["region"]["solve"] == "independent"
    assert list(independent.cities) == ["north", "south", "east"]
    for cid, part in independent.cities.items():
        alone = run(_city_file(tmp_path, cid))
        assert alone.status == "optimal"
        assert _without_timings(part.summary) == _without_timings(alone.summary)
        pd.testing.assert_frame_equal(part.schedule, alone.schedule)
        assert "city" not in alone.schedule.columns
    # the region's schedule: the cities' schedules with a first column `city`, every column kept
    sched = independent.schedule
    assert list(sched.columns) == ["city", *alone.schedule.columns]
    assert sched["city"].tolist() == [
        c for c, r in independent.cities.items() for _ in range(len(r.schedule))
    ]
    objective = sum(r.summary["objective"] for r in independent.cities.values())
    assert independent.summary["objective"] == pytest.approx(objective)
    assert independent.summary["region"]["targets"] == []


def _daily_totals_from_sources(entry: dict, folder: Path) -> np.ndarray:
    """City totals (t/d on the plan's daily basis) from city.yaml and the inventory alone."""
    city = read_city(folder / entry["city"])
    table = read_inventory(folder / entry["inventory"]).table
    _, totals = apply_basis(table, city["total_emissions"], daily_basis())
    return np.array([totals[p] / 365.0 for p in POLLUTANTS])


def test_regional_targets_hold_by_recomputation_from_the_written_files(joint, tmp_path):
    assert joint.summary["region"]["solve"] == "joint"
    assert joint.status == "optimal"
    paths = write_region_outputs(joint, tmp_path / "out")
    sched = pd.read_csv(paths["schedule"], dtype={"enterprise_id": str})
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    doc = yaml.safe_load(REGION.read_text(encoding="utf-8"))
    totals = sum(_daily_totals_from_sources(e, REGION.parent) for e in doc["cities"].values())
    rows = {(r["row"], r["pollutant"]): r for r in summary["region"]["targets"]}
    assert set(rows) == {("orange", "NOx"), ("red", "NOx")}
    for level, per in doc["region"]["targets"].items():
        for p, share in per.items():
            j = POLLUTANTS.index(p)
            credited = sum(
                s["credited"][p] + s["non_industrial_chosen"][p]
                for c in summary["region"]["cities"].values()
                for s in c["slots"]
                if s["level"] == level
            )
            achieved = sched.loc[sched["level"] == level, f"reduction_{p}"].sum() + credited
            required = share * totals[j]
            assert rows[(level, p)]["required"] == pytest.approx(required, rel=1e-9)
            assert achieved >= required * (1 - 1e-6)
            assert rows[(level, p)]["achieved"] == pytest.approx(achieved, rel=1e-6)
            assert rows[(level, p)]["met"]
    # orange NOx binds: the region asks for more than the cities' own targets add up to
    own = sum(
        s["targets"]["NOx"]
        for c in summary["region"]["cities"].values()
        for s in c["slots"]
        if s["level"] == "orange"
    )
    assert rows[("orange", "NOx")]["required"] > own
    assert rows[("orange", "NOx")]["achieved"] == pytest.approx(rows[("orange", "NOx")]["required"], rel=1e-6)
    # each city's own files are written too, and every city still meets its own targets
    for cid in doc["cities"]:
        city_summary = json.loads(
            (tmp_path / "out" / "cities" / cid / "summary.json").read_text(encoding="utf-8")
        )
        assert city_summary["status"] == "optimal"
        assert all(v == 0 for s in city_summary["slots"] for v in s["shortfall"].values())
    assert (tmp_path / "out" / "plan.xlsx").is_file()


def test_joint_costs_at_least_the_independent_plans_and_equals_them_when_not_binding(
    joint, independent, tmp_path
):
    # doc-level alert days are the same in both shipped files, so the cities are the same
    assert joint.summary["objective"] >= independent.summary["objective"] - 1e-6
    loose = solve_region(_region_file(tmp_path, {"orange": {"NOx": 0.05}}))
    assert loose.summary["region"]["solve"] == "joint"
    for cid, part in loose.cities.items():
        assert part.summary["objective"] == pytest.approx(
            independent.cities[cid].summary["objective"], rel=1e-7
        )


def test_unreachable_regional_target_is_infeasible_with_its_shortfall(tmp_path, capsys):
    path = _region_file(tmp_path, {"red": {"NOx": 0.9}})
    code = main(["plan", str(path), "--out", str(tmp_path / "out"), "--format", "json"])
    assert code == EXIT_NOT_USABLE
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "infeasible"
    row = summary["region"]["targets"][0]
    assert not row["met"] and row["shortfall"] > 0
    assert row["achieved"] + row["shortfall"] == pytest.approx(row["required"])
    assert any("regional target red NOx not reachable" in m for m in summary["messages"])


def test_region_block_has_a_check_and_it_catches_a_missed_row(joint):
    assert CHECKS[B.REGION_TARGET] and CHECKS[B.REGION_SHORTFALL]
    prepared = {c: r.prepared for c, r in joint.cities.items()}
    ds, _layout = joint_inputs(prepared, load_region(REGION).targets)
    from planner.optimize.model import solve

    plan = solve(ds, {})
    assert B.REGION_TARGET in plan.blocks
    assert verify_plan(ds, plan) == []
    x = plan.curtailment.copy()
    x[:] = np.minimum(x.values, ds["floor"].values)  # only the rule floors: orange NOx falls short
    plan.curtailment = x
    assert any("regional target orange NOx missed" in v for v in verify_plan(ds, plan))


def test_joint_inputs_keep_each_city_apart(joint):
    prepared = {c: r.prepared for c, r in joint.cities.items()}
    ds, layout = joint_inputs(prepared, {"orange": {"NOx": 0.25}})
    north, south = layout["north"], layout["south"]
    assert ds.sizes["enterprise"] == sum(p.inputs.sizes["enterprise"] for p in prepared.values())
    assert ds["ceiling"].values[north["enterprise"], south["slot"]].max() == 0
    assert ds["reducible"].values[north["enterprise"], south["slot"]].max() == 0
    assert str(ds["slot"].values[south["slot"]][0]) == "south/yellow"
    chains = ds["chain"].values
    assert set(chains[north["slot"]]).isdisjoint(chains[south["slot"]])
    assert ds["region_member"].sel(region_row="orange").values.sum() == 3


def test_schema_errors_name_the_key_path(tmp_path, capsys):
    path = _region_file(
        tmp_path,
        {"orange": {"NOX": 0.2}, "purple": {"NOx": 0.1}},
        north={"optionz": {"discrete": True}},
        south={"inventory": str(tmp_path / "missing.csv")},
    )
    with pytest.raises(InputError) as err:
        load_region(path)
    columns = {p.column for p in err.value.problems.items}
    assert "cities.north.optionz" in columns
    assert any(c.startswith("region.targets.orange.NOX") for c in columns)
    assert any(c.startswith("region.targets.purple") for c in columns)
    code = main(["plan", str(path), "--out", str(tmp_path / "o"), "--format", "json"])
    assert code == EXIT_BAD_INPUT
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is False and doc["errors"][0]["file"] == str(path)
    text = "\n".join(e["message"] for e in doc["errors"])
    assert "options" in text  # the closest valid key is suggested

    fixed = _region_file(tmp_path, None, south={"inventory": str(tmp_path / "missing.csv")})
    with pytest.raises(InputError) as err:
        load_region(fixed)
    assert [p.column for p in err.value.problems.items] == ["cities.south.inventory"]


def test_cities_must_share_one_mode_and_ids_are_checked(tmp_path):
    path = _region_file(
        tmp_path, None, east={"mode": "episode", "forecast": str(DATA_DIR / "demo_city" / "forecast.nc")}
    )
    with pytest.raises(InputError) as err:
        load_region(path)
    assert [p.column for p in err.value.problems.items] == ["cities.east.mode"]
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["cities"]["bad id"] = doc["cities"].pop("east")
    doc["cities"]["bad id"].pop("mode")
    doc["cities"]["bad id"].pop("forecast")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_region(path)
    assert any((p.column or "").startswith("cities") for p in err.value.problems.items)


def test_a_city_may_start_from_a_base_scenario(tmp_path):
    base = _city_file(tmp_path, "north")
    doc = {"name": "one", "cities": {"north": {"base": str(base)}}}
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    region = load_region(path)
    assert region.cities["north"].inventory == prepare(base).scenario.inventory
    assert region.cities["north"].chain[0] == base.resolve()


def test_region_plan_cli_text_and_exit(tmp_path, capsys):
    code = main(["plan", str(CITIES), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "region demo_region_cities: 3 cities, independent solve" in out
    assert "city north" in out and "city east" in out


def test_demo_region_data_is_regenerated_byte_for_byte(tmp_path):
    from planner.demo.region import DEMO_REGION_CITIES, write_demo_region

    write_demo_region(tmp_path)
    for cid in DEMO_REGION_CITIES:
        for name in ("enterprises.csv", "lines.csv", "city.yaml"):
            assert (tmp_path / cid / name).read_bytes() == (
                DATA_DIR / "demo_region" / cid / name
            ).read_bytes()
