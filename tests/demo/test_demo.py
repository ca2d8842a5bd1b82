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
    make_demo_city,
    write_demo_city,
    xlsx_columns,
)
from planner.inventory.creditcode import credit_code_problems, make_credit_code
from planner.inventory.table import read_inventory
from planner.targets.reductions import read_city

DEMO_DIR = DATA_DIR / "demo_city"
FILES = ("enterprises.csv", "enterprises.xlsx", "city.yaml")
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
    assert inv.columns.tolist() == fields
    assert inv["enterprise_id"].is_unique
    assert (inv["emission_unit"] == "t/a").all()
    assert (inv["output_value_unit"] == "万元/年").all()


def test_counts_and_key_industry_share(inv, industries):
    assert len(inv) == 1200
    key = inv["industry"].map(industries["key_industry"]) == "yes"
    assert 0.20 <= key.mean() <= 0.30
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
    a = counts.get("A", 0)
    b = counts.get("B", 0) + counts.get("B-", 0)
    # Shandong 2023: A 77 vs B/B- 303; Zhengzhou 2024: A 24 vs B 58 -> few A, more B, many C/D.
    assert 10 <= a <= 40
    assert b > 2 * a
    assert counts.get("C", 0) + counts.get("D", 0) > b
    assert counts.get("A+", 0) <= 2
    assert set(inv.loc[inv["grade"] == "A+", "industry"]) <= set(A_PLUS_INDUSTRIES)
    by = inv["industry"].map(industries["graded_by"])
    leading = inv["grade"].isin(["leading", "non_leading"])
    assert leading.any()
    assert (by[leading] == "leading").all()
    assert (
        graded.loc[graded["grade"].isin(["A+", "A", "B", "B-", "C", "D"]), "industry"]
        .map(industries["graded_by"])
        .eq("ABCD")
        .all()
    )
    assert (inv.loc[by == "none", "grade"] == "ungraded").all()


def test_control_types(inv):
    share = inv["control_type"].value_counts(normalize=True)
    assert 0.03 <= share["guarantee"] <= 0.05
    assert 0.02 <= share["heating_boiler"] <= 0.04
    assert share["exempt"] > 0
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
    assert steel["line_count"].between(2, 6).all()
    assert steel["line_description"].str.contains("烧结机").all()


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
    assert inv["access_code"].str.fullmatch(r"\d{6}").all()


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
    assert "60 enterprises" in capsys.readouterr().out
    small = pd.read_csv(tmp_path / "enterprises.csv", dtype={"access_code": str, "credit_code": str})
    assert len(small) == 60
    assert main(["demo-data", "--enterprises", "0", "--out", str(tmp_path)]) == 2


def test_300k_enterprises():
    big = make_demo_city(300_000, seed=11).inventory
    assert big.shape == (300_000, 36)
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
