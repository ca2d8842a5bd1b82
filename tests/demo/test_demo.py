"""The synthetic demo city: determinism, plausibility, file layout and the committed files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from planner import DATA_DIR, POLLUTANTS
from planner.cli.main import main
from planner.demo.city import (
    A_PLUS_INDUSTRIES,
    COUNTIES,
    EXTENT,
    LIST_SHARE_RANGES,
    DemoCity,
    describe_city,
    make_demo_city,
    write_demo_city,
    xlsx_columns,
)
from planner.demo.composition import (
    CD_SHARE,
    CHIFENG_2024,
    LEADING_PER_AB,
    PLANT_CUT_MENUS,
    PLANT_CUT_SHARE,
    split_counts,
    weighted_pick,
)
from planner.inventory.creditcode import credit_code_problems, make_credit_code
from planner.inventory.table import read_inventory
from planner.targets.reductions import read_city

DEMO_DIR = DATA_DIR / "demo_city"
FILES = ("enterprises.csv", "enterprises.xlsx", "lines.csv", "city.yaml")
VOC_INDUSTRIES = ("printing", "furniture", "industrial_coating", "coating_mfg", "ink", "footwear")


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return make_demo_city()


@pytest.fixture(scope="module")
def inv(city) -> pd.DataFrame:
    return city.inventory


@pytest.fixture(scope="module")
def industries() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "policy" / "industries.csv", dtype=str).set_index("industry")


@pytest.fixture(scope="module")
def written(city, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    write_demo_city(city, out)
    return out


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_frame_and_bytes(city, written, tmp_path):
    again = make_demo_city()
    pd.testing.assert_frame_equal(city.inventory, again.inventory)
    assert city.city == again.city
    write_demo_city(again, tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (written / name).read_bytes(), name


def test_other_seed_other_city(inv):
    other = make_demo_city(seed=7).inventory
    assert len(other) == len(inv)
    assert not other["SO2"].equals(inv["SO2"])
    assert set(other["credit_code"]).isdisjoint(set(inv["credit_code"]))


def test_committed_files_equal_fresh_generation(written):
    for name in FILES:
        committed = DEMO_DIR / name
        assert committed.is_file(), f"{committed} missing: run `planner demo-data`"
        assert committed.read_bytes() == (written / name).read_bytes(), (
            f"{committed} drifted from the generator: run `planner demo-data` and commit"
        )


# --- shape and schema ----------------------------------------------------------------------------


def test_columns_are_the_schema_fields(inv):
    fields = pd.read_csv(DATA_DIR / "schema" / "inventory_fields.csv", dtype=str)["field"].tolist()
    assert inv.columns.tolist() == [f for f in fields if f != "access_code"]
    assert inv["enterprise_id"].is_unique
    assert (inv["emission_unit"] == "t/a").all()
    assert (inv["output_value_unit"] == "万元/年").all()


def test_counts_follow_the_chifeng_list(inv, industries):
    """Chifeng 2024 (POLICY §7): 1,254 industrial enterprises, 292 in key industries, 248 exempt."""
    assert len(inv) == CHIFENG_2024["enterprises"] == 1254
    key = inv["industry"].map(industries["key_industry"]) == "yes"
    assert key.sum() == CHIFENG_2024["key_industry"] == 292
    assert (inv["control_type"] == "exempt").sum() == CHIFENG_2024["exempt"] == 248
    assert not key[inv["control_type"] == "exempt"].any()


@pytest.mark.parametrize("n", [300, 5000])
def test_other_sizes_keep_the_chifeng_proportions(n, industries):
    inv = make_demo_city(n, seed=5).inventory
    key = inv["industry"].map(industries["key_industry"]) == "yes"
    assert key.sum() == round(n * 292 / 1254)
    assert (inv["control_type"] == "exempt").sum() == round(n * 248 / 1254)


def test_industries_present(inv, industries):
    assert set(inv["industry"]) <= set(industries.index)
    for code in (
        "steel_long",
        "coking",
        "cement",
        "glass",
        "lime",
        "ceramics",
        "brick",
        "foundry",
        "carbon",
        "alumina",
        "industrial_coating",
        "printing",
        "furniture",
        "pharma",
        "chemicals",
        "power",
    ):
        assert (inv["industry"] == code).sum() >= 1, code
    assert (inv["industry"] == "other").mean() > 0.5


def test_grade_mix_like_published_counts(inv, industries):
    counts = inv["grade"].value_counts()
    graded = inv[inv["grade"] != "ungraded"]
    a = counts.get("A", 0) + counts.get("A+", 0)
    b = counts.get("B", 0) + counts.get("B-", 0)
    # Shandong 2023: A 77 vs B/B- 303; Zhengzhou 2024: A 24 vs B 58 -> pooled A : B/B- = 101 : 361.
    assert a / b == pytest.approx(101 / 361, abs=0.03)
    key_abcd = inv["grade"].isin(["A+", "A", "B", "B-", "C", "D"])
    assert (a + b) / key_abcd.sum() == pytest.approx(1 - CD_SHARE, abs=0.01)
    assert counts.get("C", 0) + counts.get("D", 0) > b
    assert counts.get("A+", 0) <= 2
    # Shandong 2023: 219 引领性 beside its 380 A and B/B- firms
    assert abs(counts.get("leading", 0) - LEADING_PER_AB * (a + b)) <= 1
    assert set(inv.loc[inv["grade"] == "A+", "industry"]) <= set(A_PLUS_INDUSTRIES)
    by = inv["industry"].map(industries["graded_by"])
    leading = inv["grade"].isin(["leading", "non_leading"])
    assert leading.any()
    # 引领性/非引领性: industries graded only on the leading bar; 引领性 also in other industries
    assert by[leading].isin(["leading", "none"]).all()
    assert (by[inv["grade"] == "non_leading"] == "leading").all()
    assert (
        graded.loc[graded["grade"].isin(["A+", "A", "B", "B-", "C", "D"]), "industry"]
        .map(industries["graded_by"])
        .eq("ABCD")
        .all()
    )
    # other industries: ungraded (plant by plant) or 引领性 by a provincial bar; never a letter grade
    assert set(inv.loc[by == "none", "grade"]) == {"ungraded", "leading"}
    leading_other = (by == "none") & (inv["grade"] == "leading")
    assert (inv.loc[leading_other, "control_type"] == "general").all()


def test_control_types(inv):
    share = inv["control_type"].value_counts(normalize=True)
    assert 0.03 <= share["guarantee"] <= 0.05
    assert 0.02 <= share["heating_boiler"] <= 0.04
    assert share["exempt"] == pytest.approx(248 / 1254, abs=1e-3)
    guarantee = inv["control_type"] == "guarantee"
    assert inv.loc[guarantee, "load_cap"].between(0.5, 0.9).all()
    assert inv.loc[~guarantee, "load_cap"].isna().all()
    assert (inv.loc[inv["control_type"] == "heating_boiler", "industry"] == "power").all()
    assert (inv.loc[inv["control_type"] == "exempt", "grade"] == "ungraded").all()


# --- emissions -----------------------------------------------------------------------------------


def _top_share(s: pd.Series, k: int) -> float:
    return float(s.nlargest(k).sum() / s.sum())


def test_big_plants_hold_most_so2_and_nox(inv):
    for pol in ("SO2", "NOx"):
        assert _top_share(inv[pol], 10) > 0.5, pol
    top = inv.nlargest(10, "NOx")["industry"]
    assert top.isin(["steel_long", "coking", "cement", "glass", "power", "alumina"]).sum() >= 8


def test_vocs_mostly_from_many_small_firms(inv):
    voc = inv["VOCs"]
    assert _top_share(voc, 10) < 0.4
    small = voc < 0.01 * voc.sum()
    assert voc[small].sum() / voc.sum() > 0.5
    firms = inv[inv["industry"].isin(VOC_INDUSTRIES)]
    assert len(firms) >= 80
    mostly_voc = firms["VOCs"] / firms[list(POLLUTANTS)].sum(axis=1)
    assert (mostly_voc > 0.7).mean() > 0.9


def test_steel_emits_so2_nox_pm(inv):
    steel = inv[inv["industry"] == "steel_long"]
    assert 2 <= len(steel) <= 8
    assert (steel[["SO2", "NOx", "PM"]].min(axis=1) > 100).all()
    assert steel["line_count"].between(4, 12).all()  # sinter, coke, blast furnace, converter lines
    for word in ("烧结机", "焦炉", "高炉", "转炉"):
        assert steel["line_description"].str.contains(word).all(), word


def test_emissions_non_negative_and_rounded(inv):
    e = inv[list(POLLUTANTS)].to_numpy()
    assert (e >= 0).all()
    assert np.allclose(e, np.round(e, 3))


# --- other fields ----------------------------------------------------------------------------------


def test_credit_codes_valid_unique_and_in_county(inv):
    codes = inv["credit_code"].tolist()
    assert all(p is None for p in credit_code_problems(codes))
    assert len(set(codes)) == len(codes)
    assert all(make_credit_code(c[:17]) == c for c in codes)
    county_code = {c["name"]: c["code"] for c in COUNTIES}
    assert (inv["credit_code"].str[2:8] == inv["county"].map(county_code)).all()
    assert (inv["permit_no"].str[:18] == inv["credit_code"]).all()
    # portal codes are issued by the bureau (planner access issue), never in the list
    assert "access_code" not in inv.columns


def test_capacity_fields_consistent(inv):
    eia, permit, last = inv["capacity_eia"], inv["capacity_permit"], inv["output_last_year"]
    assert (eia >= permit).all() and (permit >= last).all() and (last > 0).all()
    util = last / permit
    assert util.between(0.6, 1.0).mean() > 0.85
    assert inv["capacity_unit"].notna().all()


def test_technical_max_cut_and_days(inv):
    tmc = inv.groupby("industry", observed=True)["technical_max_cut"].first()
    assert tmc["glass"] == 0.2 and tmc["coking"] == 0.33
    assert set(inv["technical_max_cut"]) <= {0.2, 0.3, 0.33, 1.0}
    assert inv["operating_days"].between(100, 365).all()
    boilers = inv[inv["control_type"] == "heating_boiler"]
    assert boilers["operating_days"].max() <= 150


def test_locations_inside_extent_and_clustered(inv):
    assert inv["lat"].between(EXTENT["lat_min"], EXTENT["lat_max"]).all()
    assert inv["lon"].between(EXTENT["lon_min"], EXTENT["lon_max"]).all()
    assert 5 <= inv["county"].nunique() <= 7
    assert 2 <= inv["park"].nunique() <= 6
    assert inv["town"].notna().all()
    # clustered: firms sit within ~0.25 deg of their county centre
    centre = {c["name"]: (c["lat"], c["lon"]) for c in COUNTIES}
    dlat = inv["lat"] - inv["county"].map(lambda c: centre[c][0])
    dlon = inv["lon"] - inv["county"].map(lambda c: centre[c][1])
    assert (np.hypot(dlat, dlon) < 0.25).all()


# --- city ------------------------------------------------------------------------------------------


def test_city_totals_exceed_list_sums(city, inv):
    totals = city.city["total_emissions"]
    for pol in POLLUTANTS:
        share = inv[pol].sum() / totals[pol]
        lo, hi = LIST_SHARE_RANGES[pol]
        assert lo - 0.01 <= share <= hi + 0.01, (pol, share)
        assert totals[pol] > inv[pol].sum()


def test_city_yaml_reads_and_has_stations(written):
    doc = read_city(written / "city.yaml")
    assert doc["name_zh"] == "示范市"
    assert len(doc["stations"]) == 5
    ext = doc["extent"]
    for s in doc["stations"]:
        assert ext["lat_min"] < s["lat"] < ext["lat_max"] and ext["lon_min"] < s["lon"] < ext["lon_max"]
        assert {"id", "name", "lat", "lon"} <= set(s)
    assert len(doc["counties"]) == len(COUNTIES)
    raw = yaml.safe_load((written / "city.yaml").read_text(encoding="utf-8"))
    assert set(raw["total_emissions"]) == set(POLLUTANTS)


# --- files -----------------------------------------------------------------------------------------


def test_xlsx_chinese_layout(written, inv):
    wb = load_workbook(written / "enterprises.xlsx")
    assert wb.sheetnames == ["应急减排清单"]
    ws = wb["应急减排清单"]
    layout = xlsx_columns()
    assert "应急减排清单" in ws.cell(1, 1).value
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert any(r.startswith("A1:") for r in merged)
    assert ws.cell(2, 1).value == "基本信息"
    assert "排放量（吨/年）" in [ws.cell(2, c).value for c in range(1, len(layout) + 1)]
    headers = [ws.cell(3, c).value for c in range(1, len(layout) + 1)]
    for needed in (
        "序号",
        "企业名称",
        "统一社会信用代码",
        "区县",
        "乡镇",
        "园区",
        "行业类别",
        "绩效等级",
        "管控类型",
        "二氧化硫",
        "氮氧化物",
        "颗粒物",
        "挥发性有机物",
    ):
        assert needed in headers
    assert ws.max_row == 3 + len(inv)
    col = {h: i + 1 for i, h in enumerate(headers)}
    values = {ws.cell(r, col["管控类型"]).value for r in range(4, ws.max_row + 1)}
    assert values == {"重点", "一般", "保障类", "豁免", "供暖锅炉"}
    industries_zh = {ws.cell(r, col["行业类别"]).value for r in range(4, ws.max_row + 1)}
    assert {"长流程联合钢铁", "焦化", "其他行业"} <= industries_zh
    grades_zh = {ws.cell(r, col["绩效等级"]).value for r in range(4, ws.max_row + 1)}
    assert {"A", "B", "C", "D", "引领性", "非引领性"} <= grades_zh


@pytest.mark.parametrize("name", ["enterprises.csv", "enterprises.xlsx"])
def test_committed_inventory_reads_back_without_problems(name, inv):
    result = read_inventory(DEMO_DIR / name)
    assert len(result.problems) == 0, result.problems.to_text()
    table = result.table
    assert table.index.tolist() == inv["enterprise_id"].tolist()
    assert table["credit_code"].tolist() == inv["credit_code"].tolist()
    assert table["grade"].astype(str).tolist() == inv["grade"].tolist()
    assert table["control_type"].astype(str).tolist() == inv["control_type"].tolist()
    assert table["industry"].astype(str).tolist() == inv["industry"].tolist()
    for pol in POLLUTANTS:  # canonical table holds t/d
        expected = inv[pol].to_numpy() / inv["operating_days"].to_numpy()
        np.testing.assert_allclose(table[pol].to_numpy(), expected, rtol=1e-12)


def test_cli_writes_a_small_city(tmp_path, capsys):
    assert main(["demo-data", "--enterprises", "60", "--seed", "3", "--out", str(tmp_path)]) == 0
    for name in (*FILES, "forecast.nc"):
        assert (tmp_path / name).is_file(), name
    out = capsys.readouterr().out
    assert "60 enterprises" in out and "wrote" in out and "lines.csv" in out
    small = pd.read_csv(tmp_path / "enterprises.csv", dtype={"credit_code": str})
    assert len(small) == 60
    assert main(["demo-data", "--enterprises", "0", "--out", str(tmp_path)]) == 2


def test_300k_enterprises():
    big = make_demo_city(300_000, seed=11).inventory
    assert big.shape == (300_000, 35)
    assert big["credit_code"].is_unique
    assert big["enterprise_id"].is_unique
    assert big["lat"].between(EXTENT["lat_min"], EXTENT["lat_max"]).all()


@pytest.mark.parametrize("n", [1, 2, 37])
def test_tiny_cities_are_valid(n, tmp_path):
    small = make_demo_city(n, seed=n)
    assert len(small.inventory) == n
    assert all(v > 0 for v in small.city["total_emissions"].values())
    write_demo_city(small, tmp_path)
    assert read_city(tmp_path / "city.yaml")["total_emissions"]["SO2"] > 0
    assert len(read_inventory(tmp_path / "enterprises.csv").table) == n


def test_rejects_non_positive_size():
    with pytest.raises(ValueError, match="at least 1"):
        make_demo_city(0)


# --- lines, plant-by-plant measures, composition helpers ------------------------------------------


@pytest.fixture(scope="module")
def lines(city) -> pd.DataFrame:
    return city.lines


def test_lines_belong_to_firms_and_match_line_count(inv, lines):
    assert lines.columns.tolist() == pd.read_csv(DATA_DIR / "schema" / "line_fields.csv")["field"].tolist()
    assert set(lines["enterprise_id"]) <= set(inv["enterprise_id"])
    per_firm = lines.groupby("enterprise_id").size()
    line_count = inv.set_index("enterprise_id")["line_count"]
    assert (line_count[per_firm.index] == per_firm).all()
    assert not lines.duplicated(["enterprise_id", "line_id"]).any()
    # firms of every process industry with a recipe have lines; small firms do not
    ind = inv.set_index("enterprise_id")["industry"]
    with_lines = set(ind[per_firm.index])
    assert {"steel_long", "coking", "cement", "glass", "lime", "power"} <= with_lines
    assert "other" not in with_lines and "printing" not in with_lines


def test_line_shares_sum_to_one_per_firm(lines):
    sums = lines.groupby("enterprise_id")[
        ["output_share", "SO2_share", "NOx_share", "PM_share", "VOCs_share"]
    ].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)
    assert (lines[["output_share", "SO2_share", "NOx_share", "PM_share", "VOCs_share"]] >= 0).all().all()


def test_big_plants_have_unequal_lines(inv, lines):
    """Issue 10's example: a cement plant with 2 x 5,000 t/d + 1 x 2,500 t/d clinker kilns; a
    long-process steel works with sinter, pellet, coke-oven, blast-furnace and converter lines."""
    kilns = lines[lines["process"] == "clinker_kiln"].groupby("enterprise_id")["capacity"].apply(sorted)
    assert [2500.0, 5000.0, 5000.0] in kilns.tolist()
    big_cement = kilns[kilns.map(lambda c: c == [2500.0, 5000.0, 5000.0])].index
    k = lines[lines["enterprise_id"].isin(big_cement) & (lines["process"] == "clinker_kiln")]
    # a 5,000 t/d kiln carries twice the output share of the 2,500 t/d kiln of the same plant
    first = k[k["enterprise_id"] == big_cement[0]].sort_values("capacity")
    assert first["output_share"].iloc[2] == pytest.approx(2 * first["output_share"].iloc[0], abs=1e-3)
    steel = inv.loc[inv["industry"] == "steel_long", "enterprise_id"]
    processes = lines[lines["enterprise_id"].isin(steel)].groupby("enterprise_id")["process"].agg(set)
    assert {"sinter", "coke_oven", "blast_furnace", "converter"} <= set.intersection(*processes)
    assert any({"sinter", "pellet", "coke_oven", "blast_furnace", "converter"} <= p for p in processes)
    # sinter carries most of a steel works' SO2, the blast furnace and converter most of its output
    s = lines[lines["enterprise_id"].isin(steel)].groupby("process")[["SO2_share", "output_share"]].sum()
    assert s.loc["sinter", "SO2_share"] > s.loc["blast_furnace", "SO2_share"]
    assert s.loc["blast_furnace", "output_share"] > s.loc["sinter", "output_share"]


def test_committed_lines_read_back_and_give_units(inv):
    from planner.inventory.lines import read_lines, units_table

    lines = read_lines(DEMO_DIR / "lines.csv")
    assert len(lines.problems) == 0, lines.problems.to_text()
    table = read_inventory(DEMO_DIR / "enterprises.csv").table
    units = units_table(table, lines)
    n_with = lines.table["enterprise_id"].nunique()
    assert len(units) == len(table) - n_with + len(lines.table)
    assert (units.loc[units["line_id"] == "", "process"] == "general").all()


def test_plant_cuts_only_for_ungraded_general_other_firms(inv, industries):
    cut = inv[["plant_cut_yellow", "plant_cut_orange", "plant_cut_red"]]
    has = cut.notna().all(axis=1)
    assert (cut.notna().any(axis=1) == has).all()  # all three levels or none
    key = inv["industry"].map(industries["key_industry"]) == "yes"
    candidates = ~key & (inv["grade"] == "ungraded") & (inv["control_type"] == "general")
    assert not has[~candidates].any()
    assert has[candidates].mean() == pytest.approx(PLANT_CUT_SHARE, abs=0.01)
    c = cut[has].to_numpy()
    assert (c[:, 0] <= c[:, 1]).all() and (c[:, 1] <= c[:, 2]).all()
    menus = {m for tier in PLANT_CUT_MENUS.values() for m in tier}
    assert {tuple(r) for r in c} <= menus
    # 多排多限: firms emitting more per unit of output get deeper cuts
    firms = inv[has]
    intensity = firms[list(POLLUTANTS)].sum(axis=1) / firms["output_value"]
    deep = firms["plant_cut_red"] >= 0.5
    assert intensity[deep].median() > intensity[~deep].median()


def test_describe_city_reports_the_composition(city):
    text = "\n".join(describe_city(city))
    assert "1254 enterprises, 292 in key industries, 248 exempt" in text
    assert "lines table:" in text and "top-10" in text


def test_xlsx_skipped_above_the_limit_and_stale_copy_removed(tmp_path, monkeypatch):
    import planner.demo.city as city_mod

    small = make_demo_city(40, seed=2)
    paths = write_demo_city(small, tmp_path)
    assert paths["xlsx"].is_file()
    monkeypatch.setattr(city_mod, "XLSX_MAX_ENTERPRISES", 39)
    paths = write_demo_city(small, tmp_path)
    assert "xlsx" not in paths and not (tmp_path / "enterprises.xlsx").exists()
    assert read_inventory(tmp_path / "enterprises.csv").table.shape[0] == 40


def test_xlsx_carries_the_plant_cuts(written, inv):
    table = read_inventory(written / "enterprises.xlsx").table
    for level in ("yellow", "orange", "red"):
        np.testing.assert_allclose(
            table[f"plant_cut_{level}"].to_numpy(dtype=float), inv[f"plant_cut_{level}"].to_numpy(dtype=float)
        )


def test_split_counts_and_weighted_pick():
    assert split_counts(np.array([1.0, 1.0, 1.0]), 10).tolist() == [4, 3, 3]
    assert split_counts(np.array([0.0, 0.0]), 5).tolist() == [0, 0]
    rng = np.random.default_rng(0)
    cand = np.array([True, True, False, True, True])
    pick = weighted_pick(rng, cand, np.array([1.0, 0.0, 5.0, 1.0, 1.0]), 2)
    assert pick.sum() == 2 and not pick[1] and not pick[2]
    assert (weighted_pick(rng, cand, np.ones(5), 10) == cand).all()  # at most all the candidates
