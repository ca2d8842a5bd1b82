"""The shipped menus scenario end to end, its files' contract, the verifier on the written schedule,
the scenario key's errors and the demo generator's menus file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from planner import POLLUTANTS
from planner.demo.menus import make_menus
from planner.optimize.verify import verify_schedule
from planner.problems import InputError
from planner.reports.outputs import write_outputs
from planner.scenario.run import prepare, run


@pytest.fixture(scope="module")
def result(repo):
    return run(repo / "scenarios" / "demo_menus.yaml")


def test_the_menus_scenario_is_optimal_verified_and_reports_the_menus(result):
    s = result.summary
    assert s["status"] == "optimal", s["messages"]
    assert result.plan.violations == []
    menus = result.prepared.menus
    assert 10 <= len(menus) <= 20
    for slot in s["slots"]:
        assert slot["menu_firms"] == len(menus)
        chosen = slot["menu_options_chosen"]
        assert set(chosen) == set(menus.firms)
        for eid, oid in chosen.items():
            m = menus.firms[eid]
            assert oid in [o.id for o in m.options]
    # one firm's options name lines of lines.csv
    assert any(o.lines for m in menus.firms.values() for o in m.options)


def test_menu_rows_of_the_schedule(result):
    df = result.schedule
    assert "menu_option" in df.columns
    menu = df[df["reason"] == "menu"]
    assert set(menu["enterprise_id"]) == set(result.prepared.menus.firms)
    assert (df.loc[df["reason"] != "menu", "menu_option"] == "").all()
    for r in menu.itertuples():
        m = result.prepared.menus.firms[r.enterprise_id]
        opt = m.option(r.menu_option)
        assert r.curtailment >= opt.output_share - 1e-9
        assert r.curtailment <= opt.output_share + m.extra_load_cut + 1e-9
        assert opt.text_zh in r.measure_text_zh
    # the file identities hold for menu rows too (a menu firm stays one unit: no lines)
    assert (menu["lines"] == 0).all()
    whole = df["lines"] == 0
    np.testing.assert_allclose(
        df["output_loss"][whole], (df["curtailment"] * df["loss_at_full"])[whole], rtol=1e-9
    )
    plain = whole & (df["reason"] != "menu")  # floor measures at their factors, the rest a load cut
    for p in POLLUTANTS:
        np.testing.assert_allclose(
            df[f"reduction_{p}"][plain],
            (df[f"floor_reduction_{p}"] + (df["curtailment"] - df["floor"]) * df[f"extra_reducible_{p}"])[
                plain
            ],
            rtol=1e-9,
            atol=1e-12,
        )
    # monotone by level
    wide = menu.pivot(index="enterprise_id", columns="level", values="curtailment")
    assert (wide["yellow"] <= wide["orange"] + 1e-9).all() and (wide["orange"] <= wide["red"] + 1e-9).all()
    for p in POLLUTANTS:
        w = menu.pivot(index="enterprise_id", columns="level", values=f"reduction_{p}")
        assert (w["yellow"] <= w["orange"] + 1e-9).all() and (w["orange"] <= w["red"] + 1e-9).all()


def _verify(result, schedule, lines=None):
    pr = result.prepared
    return verify_schedule(
        schedule,
        pr.table,
        pr.bounds,
        result.summary,
        pr.shares,
        pr.city.get("total_emissions_on_basis", pr.city["total_emissions"]),
        menus=pr.menus,
        lines=result.schedule_lines if lines is None else lines,
        units=pr.units,
        unit_table=pr.unit_table,
    )


def test_the_written_schedule_is_rechecked_against_the_menus_file(result, tmp_path):
    paths = write_outputs(result, tmp_path / "out")
    sched = pd.read_csv(
        paths["schedule"], dtype={"menu_option": str, "enterprise_id": str}, keep_default_na=False
    )
    lines = pd.read_csv(
        paths["schedule_lines"], dtype={"enterprise_id": str, "line_id": str}, keep_default_na=False
    )
    assert _verify(result, sched, lines) == []
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert all("menu_firms" in s and "menu_options_chosen" in s for s in summary["slots"])
    bad = sched.copy()
    i = bad.index[(bad["reason"] == "menu") & (bad["level"] == "red")][0]
    bad.loc[i, "menu_option"] = "no_such_option"
    assert any("not supported by the menus file" in v for v in _verify(result, bad))
    bad = sched.copy()
    bad.loc[i, "reduction_NOx"] = bad.loc[i, "reduction_NOx"] * 2 + 1
    assert any("NOx reductions" in v for v in _verify(result, bad))
    # without the menus file the menu rows cannot be checked
    pr = result.prepared
    v = verify_schedule(
        sched, pr.table, pr.bounds, result.summary, pr.shares, pr.city["total_emissions_on_basis"]
    )
    assert any("no menus file" in x for x in v)


def test_the_firm_sheet_names_the_chosen_option(result):
    from planner.reports.export import level_obligations

    ob = level_obligations(result)
    eid = next(e for e, m in result.prepared.menus.firms.items() if any(o.lines for o in m.options))
    text = ob.loc[(eid, "red"), "measure_text"]
    assert text.startswith("措施菜单选定：") and "#" in text


def test_without_menus_the_same_list_loses_about_as_much(repo, result):
    base = run(repo / "scenarios" / "demo_list.yaml")
    assert base.summary["status"] == "optimal"
    assert all(s["menu_firms"] == 0 and s["menu_options_chosen"] == {} for s in base.summary["slots"])
    # menus restrict 16 firms to discrete options but also offer VOC-process stops: within 1 %
    assert result.summary["objective"] == pytest.approx(base.summary["objective"], rel=0.01)


def _scenario(tmp_path, repo, extra: str) -> str:
    p = tmp_path / "s.yaml"
    p.write_text(
        f"name: s\ndescription: t\nbase: {repo / 'scenarios' / 'demo_list.yaml'}\n{extra}", encoding="utf-8"
    )
    return p


def test_scenario_menu_errors(tmp_path, repo):
    menus = repo / "data" / "demo_city" / "menus.yaml"
    doc = yaml.safe_load(menus.read_text(encoding="utf-8"))
    eid = next(iter(doc["firms"]))
    p = _scenario(tmp_path, repo, f"menus: {menus}\nenterprises:\n  {eid}: {{lock: 0.5}}\n")
    with pytest.raises(InputError) as exc:
        prepare(p)
    assert exc.value.problems.errors[0].column == f"enterprises.{eid}.lock"
    # an enterprise that is not in the inventory
    doc["lines"] = str(repo / "data" / "demo_city" / "lines.csv")
    doc["firms"]["E9999"] = doc["firms"][eid]
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        prepare(_scenario(tmp_path, repo, "menus: m.yaml\n"))
    e = exc.value.problems.errors[0]
    assert e.column == "firms.E9999" and "not in the inventory" in e.message and e.file.endswith("m.yaml")
    with pytest.raises(InputError, match="does not exist"):
        prepare(_scenario(tmp_path, repo, "menus: nothing.yaml\n"))


def test_the_demo_menus_file_is_what_the_generator_writes(repo):
    inv = pd.read_csv(repo / "data" / "demo_city" / "enterprises.csv", dtype={"enterprise_id": str})
    lines = pd.read_csv(repo / "data" / "demo_city" / "lines.csv", dtype=str)
    doc = make_menus(inv, lines)
    assert doc == make_menus(inv, lines)
    shipped = yaml.safe_load((repo / "data" / "demo_city" / "menus.yaml").read_text(encoding="utf-8"))
    assert shipped == doc
    assert 10 <= len(doc["firms"]) <= 20
