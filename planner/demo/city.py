"""Synthetic demo city (示范市): a realistic, deterministic emergency emission-reduction list.

:func:`make_demo_city` builds an enterprise inventory with the canonical columns of
``data/schema/inventory_fields.csv`` and a city description (totals, stations, extent, counties);
:func:`write_demo_city` writes it as the files a bureau would hand over:

- ``enterprises.csv`` – canonical English headers, UTF-8, emissions in t/a;
- ``enterprises.xlsx`` – the Chinese list layout (sheet 应急减排清单, title row, two-row header with
  merged group cells, Chinese industry/grade/control-type names);
- ``city.yaml`` – 全社会排放总量 per pollutant (t/a), national control stations, extent, counties.

The city is not uniform noise.  Enterprises are drawn from *archetypes* (a long-process steel
plant, a lime kiln, a small printing shop, a food factory with a boiler, a residential heating
boiler …), each with an industry, a typical pollutant profile, a heavy-tailed (lognormal) size,
line counts and descriptions, capacity and output value, a grade mix and a home county.  Counts per
archetype are fixed proportions of ``n_enterprises`` (largest-remainder rounding), so the default
city always has the same handful of big steel, coke, cement, glass and power plants that hold most
of the SO2 and NOx, and several hundred small firms that hold most of the VOCs.

Everything is vectorised with numpy; ``make_demo_city(300_000)`` runs in a few seconds and serves
the benchmarks.  The same seed gives the same frame and the same file bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from planner import DATA_DIR, POLLUTANTS
from planner.demo.composition import (
    CHIFENG_2024,
    KEY_GRADE_SHARES,
    LEADING_PER_AB,
    PROFILE_OFFSET,
    composition_counts,
    make_lines,
    plant_cuts,
    rank01,
    weighted_pick,
)
from planner.inventory.creditcode import CHARSET, LENGTH, check_indices
from planner.policy.vocabulary import grade_codes, industries, industry_codes

__all__ = [
    "DEFAULT_N_ENTERPRISES",
    "DEFAULT_SEED",
    "DemoCity",
    "make_demo_city",
    "write_demo_city",
    "xlsx_columns",
]

DEFAULT_N_ENTERPRISES: int = CHIFENG_2024["enterprises"]
DEFAULT_SEED: int = 20261123
#: Inventory fields the demo list leaves out: portal access codes are issued by the bureau
#: (``planner access issue``) and kept as salted hashes outside the list.
NOT_GENERATED: tuple[str, ...] = ("access_code",)

SCHEMA_PATH: Path = DATA_DIR / "schema" / "inventory_fields.csv"

# ---------------------------------------------------------------------------------------------
# Geography (fixed, independent of the seed): a prefecture on the north China plain.
# ---------------------------------------------------------------------------------------------
EXTENT: dict[str, float] = {"lat_min": 36.5, "lat_max": 37.5, "lon_min": 114.0, "lon_max": 115.5}
CITY_CODE = "139900"

#: name, English name, administrative division code, centre lat, lon, weight for general firms,
#: towns, park (name, town index, lat/lon offset from the centre) or None.
COUNTIES: list[dict] = [
    {
        "name": "城关区",
        "name_en": "Chengguan District",
        "code": "139902",
        "lat": 37.065,
        "lon": 114.505,
        "weight": 0.12,
        "towns": ["东关街道", "西关街道", "南湖街道", "北园街道"],
        "park": None,
    },
    {
        "name": "北河区",
        "name_en": "Beihe District",
        "code": "139903",
        "lat": 37.215,
        "lon": 114.640,
        "weight": 0.20,
        "towns": ["北河镇", "沙河营镇", "李村镇", "柳林镇", "大营镇"],
        "park": ("示范经济技术开发区", 1, 0.030, 0.045),
    },
    {
        "name": "东丰县",
        "name_en": "Dongfeng County",
        "code": "139921",
        "lat": 37.010,
        "lon": 115.060,
        "weight": 0.18,
        "towns": ["东丰镇", "王庄镇", "马头镇", "刘集乡", "新店镇"],
        "park": ("东丰化工产业园", 2, -0.040, 0.050),
    },
    {
        "name": "西岭县",
        "name_en": "Xiling County",
        "code": "139922",
        "lat": 36.820,
        "lon": 114.300,
        "weight": 0.16,
        "towns": ["西岭镇", "石门镇", "矿山镇", "峪口乡"],
        "park": ("西岭建材产业园", 2, 0.035, -0.060),
    },
    {
        "name": "南峪县",
        "name_en": "Nanyu County",
        "code": "139923",
        "lat": 36.700,
        "lon": 114.820,
        "weight": 0.16,
        "towns": ["南峪镇", "铁厂镇", "固城镇", "河口乡", "杨庄乡"],
        "park": ("南峪冶金产业园", 1, -0.030, 0.040),
    },
    {
        "name": "临河市",
        "name_en": "Linhe City",
        "code": "139981",
        "lat": 37.300,
        "lon": 115.150,
        "weight": 0.18,
        "towns": ["临河街道", "孙庄镇", "白塔镇", "高村乡", "桥头镇"],
        "park": ("临河家具产业园", 3, 0.035, -0.040),
    },
]
_COUNTY = {c["name"]: i for i, c in enumerate(COUNTIES)}

#: National control stations (国控站点), all in the built-up area.
STATIONS: list[dict] = [
    {
        "id": "9901A",
        "name": "市监测站",
        "name_en": "City Monitoring Station",
        "lat": 37.0712,
        "lon": 114.5063,
    },
    {"id": "9902A", "name": "市政府", "name_en": "City Hall", "lat": 37.0585, "lon": 114.4882},
    {"id": "9903A", "name": "职教中心", "name_en": "Vocational Centre", "lat": 37.0433, "lon": 114.5247},
    {"id": "9904A", "name": "高新区", "name_en": "High-tech Zone", "lat": 37.1018, "lon": 114.5365},
    {"id": "9905A", "name": "北河公园", "name_en": "Beihe Park", "lat": 37.1596, "lon": 114.5911},
]

# ---------------------------------------------------------------------------------------------
# Archetypes.  One row per kind of enterprise:
#   code, industry, count per 1,200 enterprises, name words, main product,
#   (min, max) lines, line description template ({n} lines, {s} size), sizes for {s},
#   capacity unit, median permitted capacity, median emissions (SO2, NOx, PM, VOCs) t/a,
#   lognormal sigma of size, median output value 万元/a, electricity 万kWh per 万元,
#   (min, max) operating days, grade profile, home county (or None), share in a park,
#   CEMS per line, technical max cut, base control type, P(保障类), P(exempt)
# ---------------------------------------------------------------------------------------------
_A = [
    # --- key industries: heavy, SO2/NOx/PM ---------------------------------------------------
    (
        "steel_long",
        "steel_long",
        4,
        ["钢铁有限公司", "钢铁集团有限公司", "特钢有限公司"],
        "钢材",
        (2, 6),
        "{n}×{s}m²烧结机",
        [180, 230, 265, 360],
        "万t/a",
        300.0,
        (1600, 3500, 1600, 120),
        0.45,
        1_200_000,
        0.4,
        (355, 365),
        "heavy",
        "南峪县",
        0.9,
        3.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "steel_short",
        "steel_short",
        2,
        ["特钢有限公司", "钢铁有限公司"],
        "钢坯",
        (1, 2),
        "{n}×{s}t电弧炉",
        [50, 75, 100],
        "万t/a",
        80.0,
        (20, 120, 150, 20),
        0.5,
        250_000,
        0.6,
        (330, 360),
        "metal",
        "南峪县",
        0.8,
        1.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "ferroalloy",
        "ferroalloy",
        2,
        ["铁合金有限公司", "冶金有限公司"],
        "硅铁",
        (2, 4),
        "{n}×{s}kVA矿热炉",
        [12500, 25000],
        "t/a",
        40000.0,
        (60, 80, 120, 0),
        0.6,
        30_000,
        1.5,
        (330, 360),
        "metal",
        "南峪县",
        0.7,
        1.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "coking",
        "coking",
        5,
        ["焦化有限公司", "煤化工有限公司", "焦化集团有限公司"],
        "焦炭",
        (2, 4),
        "{n}×{s}焦炉",
        ["55孔5.5m", "60孔6m", "65孔6.78m"],
        "万t/a",
        100.0,
        (550, 1500, 420, 160),
        0.6,
        250_000,
        0.15,
        (360, 365),
        "heavy",
        "南峪县",
        0.8,
        2.0,
        0.33,
        "key",
        0.0,
        0.0,
    ),
    (
        "lime",
        "lime",
        14,
        ["石灰有限公司", "钙业有限公司", "石灰厂"],
        "石灰",
        (2, 8),
        "{n}×{s}t/d石灰窑",
        [150, 300, 500],
        "万t/a",
        10.0,
        (15, 50, 35, 0),
        0.7,
        6_000,
        0.15,
        (300, 340),
        "building",
        "西岭县",
        0.5,
        0.5,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "foundry",
        "foundry",
        36,
        ["铸造有限公司", "铸业有限公司", "机械铸造有限公司"],
        "铸件",
        (1, 3),
        "{n}×{s}t中频感应电炉",
        [3, 5, 10],
        "t/a",
        20000.0,
        (2, 4, 8, 3),
        0.9,
        8_000,
        0.3,
        (280, 330),
        "building",
        None,
        0.3,
        0.2,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "alumina",
        "alumina",
        2,
        ["氧化铝有限公司", "铝业有限公司"],
        "氧化铝",
        (2, 4),
        "{n}×{s}万t/a氧化铝生产线",
        None,
        "万t/a",
        100.0,
        (350, 450, 300, 0),
        0.4,
        300_000,
        0.3,
        (355, 365),
        "heavy",
        "南峪县",
        0.9,
        2.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "aluminium",
        "aluminium",
        1,
        ["铝业有限公司", "电解铝有限公司"],
        "电解铝",
        (1, 2),
        "{n}×{s}kA电解槽系列",
        [240, 400],
        "万t/a",
        20.0,
        (150, 20, 60, 0),
        0.4,
        200_000,
        1.3,
        (360, 365),
        "metal",
        "南峪县",
        0.9,
        1.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "carbon",
        "carbon",
        7,
        ["炭素有限公司", "碳素制品有限公司", "炭素新材料有限公司"],
        "预焙阳极",
        (2, 6),
        "{n}×{s}室环式焙烧炉",
        [36, 48, 54],
        "万t/a",
        15.0,
        (80, 60, 60, 50),
        0.8,
        40_000,
        0.2,
        (330, 360),
        "heavy",
        "南峪县",
        0.7,
        1.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "copper",
        "copper",
        1,
        ["铜业有限公司"],
        "阴极铜",
        (1, 2),
        "{n}×{s}万t/a铜冶炼系统",
        None,
        "万t/a",
        10.0,
        (300, 60, 60, 0),
        0.4,
        500_000,
        0.1,
        (340, 360),
        "metal",
        "南峪县",
        0.9,
        2.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "lead_zinc",
        "lead_zinc",
        1,
        ["锌业有限公司"],
        "锌锭",
        (1, 2),
        "{n}×{s}万t/a锌冶炼系统",
        None,
        "万t/a",
        5.0,
        (150, 30, 40, 0),
        0.5,
        100_000,
        0.3,
        (330, 360),
        "metal",
        "南峪县",
        0.9,
        2.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "secondary_metals",
        "secondary_metals",
        3,
        ["再生资源有限公司", "再生铝业有限公司"],
        "再生铝锭",
        (1, 3),
        "{n}×{s}t熔炼炉",
        [8, 10, 20],
        "t/a",
        30000.0,
        (5, 15, 10, 3),
        0.8,
        20_000,
        0.1,
        (300, 340),
        "metal",
        None,
        0.4,
        0.5,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "nonferrous_rolling",
        "nonferrous_rolling",
        3,
        ["铝材有限公司", "铜材有限公司"],
        "铝型材",
        (1, 3),
        "{n}×{s}t熔铸炉",
        [20, 30],
        "t/a",
        30000.0,
        (2, 10, 4, 5),
        0.7,
        25_000,
        0.1,
        (300, 340),
        "metal",
        None,
        0.4,
        0.5,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "cement",
        "cement",
        7,
        ["水泥有限公司", "水泥集团有限公司", "建材有限公司"],
        "水泥熟料",
        (1, 3),
        "{n}×{s}t/d熟料生产线",
        [2500, 4500, 5000],
        "万t/a",
        150.0,
        (110, 950, 180, 0),
        0.6,
        60_000,
        0.6,
        (230, 270),
        "heavy",
        "西岭县",
        0.6,
        2.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "cement_mill",
        "cement",
        6,
        ["水泥粉磨有限公司", "建材有限公司"],
        "水泥",
        (1, 2),
        "{n}×Φ{s}m水泥磨",
        ["3.2×13", "4.2×13"],
        "万t/a",
        60.0,
        (0, 0, 15, 0),
        0.6,
        15_000,
        0.2,
        (230, 280),
        "building",
        "西岭县",
        0.4,
        0.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "brick",
        "brick",
        24,
        ["新型建材有限公司", "砖厂", "墙体材料有限公司"],
        "烧结砖",
        (1, 2),
        "{n}×{s}m隧道窑",
        [90, 110, 130],
        "万块/年",
        6000.0,
        (10, 25, 18, 0),
        0.7,
        2_500,
        0.2,
        (250, 300),
        "building",
        "西岭县",
        0.2,
        0.5,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "ceramics",
        "ceramics",
        14,
        ["陶瓷有限公司", "瓷业有限公司"],
        "建筑陶瓷砖",
        (1, 4),
        "{n}×{s}m辊道窑",
        [100, 150, 200],
        "万m²/a",
        800.0,
        (15, 40, 25, 2),
        0.7,
        8_000,
        0.3,
        (300, 340),
        "building",
        "西岭县",
        0.5,
        0.5,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "refractory",
        "refractory",
        10,
        ["耐火材料有限公司", "耐材有限公司"],
        "耐火砖",
        (1, 3),
        "{n}×{s}m隧道窑",
        [60, 100],
        "万t/a",
        5.0,
        (10, 20, 15, 0),
        0.7,
        6_000,
        0.3,
        (300, 340),
        "building",
        "西岭县",
        0.4,
        0.5,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "glass",
        "glass",
        5,
        ["玻璃有限公司", "玻璃集团有限公司"],
        "浮法玻璃",
        (1, 3),
        "{n}×{s}t/d浮法玻璃生产线",
        [500, 600, 900],
        "万重量箱/年",
        500.0,
        (260, 720, 80, 0),
        0.5,
        60_000,
        0.3,
        (360, 365),
        "heavy",
        "西岭县",
        0.8,
        2.0,
        0.2,
        "key",
        0.0,
        0.0,
    ),
    (
        "rock_wool",
        "rock_wool",
        2,
        ["岩棉有限公司", "保温材料有限公司"],
        "岩棉",
        (1, 2),
        "{n}×{s}万t/a岩棉生产线",
        None,
        "万t/a",
        5.0,
        (30, 20, 25, 5),
        0.6,
        10_000,
        0.3,
        (300, 340),
        "building",
        None,
        0.5,
        1.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "frp",
        "frp",
        5,
        ["玻璃钢有限公司", "复合材料有限公司"],
        "玻璃钢制品",
        (1, 3),
        "{n}条玻璃钢生产线（{s}t/a）",
        None,
        "t/a",
        3000.0,
        (0, 0, 1, 8),
        0.8,
        3_000,
        0.05,
        (280, 320),
        "leading",
        None,
        0.3,
        0.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "waterproof",
        "waterproof",
        3,
        ["防水材料有限公司", "防水建材有限公司"],
        "改性沥青防水卷材",
        (1, 2),
        "{n}条防水卷材生产线（{s}万m²/a）",
        None,
        "万m²/a",
        1500.0,
        (1, 2, 2, 12),
        0.7,
        8_000,
        0.1,
        (280, 320),
        "building",
        None,
        0.4,
        0.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "refining",
        "refining",
        1,
        ["石化有限公司", "炼化有限公司"],
        "汽油、柴油",
        (1, 2),
        "{n}×{s}万t/a常减压装置",
        None,
        "万t/a",
        350.0,
        (250, 450, 80, 700),
        0.3,
        800_000,
        0.05,
        (355, 365),
        "heavy",
        "东丰县",
        1.0,
        3.0,
        0.3,
        "key",
        0.0,
        0.0,
    ),
    # --- key industries: VOCs ------------------------------------------------------------------
    (
        "carbon_black",
        "carbon_black",
        1.5,
        ["炭黑有限公司", "炭黑化工有限公司"],
        "炭黑",
        (1, 3),
        "{n}×{s}万t/a炭黑生产线",
        None,
        "万t/a",
        6.0,
        (150, 160, 40, 40),
        0.5,
        30_000,
        0.3,
        (330, 360),
        "voc",
        "东丰县",
        0.9,
        1.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "coal_nitrogen",
        "coal_nitrogen",
        1,
        ["化肥有限公司", "化工集团有限公司"],
        "尿素",
        (1, 2),
        "{n}×{s}万t/a合成氨装置",
        None,
        "万t/a",
        40.0,
        (120, 200, 60, 30),
        0.4,
        100_000,
        0.4,
        (330, 360),
        "voc",
        "东丰县",
        0.9,
        2.0,
        1.0,
        "key",
        0.5,
        0.0,
    ),
    (
        "pharma",
        "pharma",
        10,
        ["制药有限公司", "药业有限公司", "生物制药有限公司"],
        "原料药",
        (1, 4),
        "{n}×{s}t/a原料药车间",
        None,
        "t/a",
        800.0,
        (3, 6, 2, 40),
        1.0,
        30_000,
        0.1,
        (300, 340),
        "voc",
        "东丰县",
        0.6,
        0.5,
        1.0,
        "key",
        0.2,
        0.0,
    ),
    (
        "pesticide",
        "pesticide",
        3,
        ["农药有限公司", "农化有限公司"],
        "农药原药",
        (1, 3),
        "{n}×{s}t/a原药生产线",
        None,
        "t/a",
        1500.0,
        (2, 4, 2, 35),
        0.9,
        15_000,
        0.15,
        (300, 340),
        "voc",
        "东丰县",
        0.9,
        0.5,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "coating_mfg",
        "coating_mfg",
        5,
        ["涂料有限公司", "化工涂料有限公司"],
        "工业涂料",
        (1, 3),
        "{n}×{s}t/a涂料生产线",
        None,
        "t/a",
        10000.0,
        (0, 0, 1, 18),
        0.9,
        8_000,
        0.05,
        (300, 330),
        "voc",
        "东丰县",
        0.8,
        0.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "ink",
        "ink",
        2,
        ["油墨有限公司"],
        "印刷油墨",
        (1, 2),
        "{n}×{s}t/a油墨生产线",
        None,
        "t/a",
        3000.0,
        (0, 0, 0.5, 8),
        0.8,
        5_000,
        0.05,
        (300, 330),
        "voc",
        "东丰县",
        0.8,
        0.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "cellulose_ether",
        "cellulose_ether",
        1.5,
        ["纤维素有限公司", "纤维素醚有限公司"],
        "纤维素醚",
        (1, 3),
        "{n}×{s}t/a纤维素醚生产线",
        None,
        "t/a",
        6000.0,
        (5, 8, 3, 60),
        0.6,
        15_000,
        0.15,
        (300, 340),
        "voc",
        "东丰县",
        0.9,
        0.5,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "printing",
        "printing",
        24,
        ["包装印刷有限公司", "彩印有限公司", "印务有限公司"],
        "包装印刷品",
        (1, 3),
        "{n}×{s}色凹版印刷机",
        [4, 6, 8],
        "t/a",
        2000.0,
        (0, 0, 0.3, 12),
        1.0,
        4_000,
        0.05,
        (280, 320),
        "voc",
        "临河市",
        0.3,
        0.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "wood_panel",
        "wood_panel",
        8,
        ["木业有限公司", "人造板有限公司"],
        "刨花板",
        (1, 2),
        "{n}×{s}万m³/a人造板生产线",
        None,
        "万m³/a",
        10.0,
        (3, 8, 15, 30),
        0.8,
        10_000,
        0.2,
        (300, 340),
        "voc",
        "临河市",
        0.5,
        1.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "synthetic_leather",
        "synthetic_leather",
        2,
        ["人造革有限公司", "合成革有限公司"],
        "合成革",
        (1, 3),
        "{n}条干法生产线（{s}万m/a）",
        None,
        "万m/a",
        2000.0,
        (1, 2, 1, 80),
        0.7,
        15_000,
        0.1,
        (300, 330),
        "voc",
        None,
        0.5,
        0.5,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "rubber",
        "rubber",
        6,
        ["橡胶制品有限公司", "轮胎有限公司", "胶管有限公司"],
        "橡胶制品",
        (1, 3),
        "{n}条炼胶生产线（{s}t/a）",
        None,
        "t/a",
        8000.0,
        (1, 2, 2, 10),
        1.0,
        10_000,
        0.15,
        (300, 330),
        "voc",
        None,
        0.4,
        0.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "footwear",
        "footwear",
        3,
        ["鞋业有限公司"],
        "鞋",
        (1, 3),
        "{n}条制鞋生产线（{s}万双/年）",
        None,
        "万双/年",
        200.0,
        (0, 0, 0.2, 6),
        0.8,
        5_000,
        0.03,
        (280, 320),
        "voc",
        None,
        0.3,
        0.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "furniture",
        "furniture",
        30,
        ["家具有限公司", "家居有限公司", "木业家具有限公司"],
        "木质家具",
        (1, 2),
        "{n}条家具喷涂线（{s}万件/年）",
        None,
        "万件/年",
        5.0,
        (0, 0, 0.8, 10),
        1.0,
        3_000,
        0.05,
        (280, 320),
        "voc",
        "临河市",
        0.5,
        0.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "automobile",
        "automobile",
        1,
        ["汽车制造有限公司", "汽车有限公司"],
        "整车",
        (1, 2),
        "{n}条涂装线（{s}万辆/年）",
        None,
        "万辆/年",
        10.0,
        (1, 15, 5, 300),
        0.4,
        500_000,
        0.05,
        (300, 330),
        "voc",
        "北河区",
        1.0,
        1.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "machinery",
        "machinery",
        2,
        ["重工机械有限公司", "工程机械有限公司"],
        "工程机械",
        (1, 2),
        "{n}条整机涂装线（{s}台/年）",
        None,
        "台/年",
        2000.0,
        (0.5, 2, 3, 60),
        0.6,
        60_000,
        0.05,
        (300, 330),
        "voc",
        "北河区",
        1.0,
        0.5,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    (
        "industrial_coating",
        "industrial_coating",
        36,
        ["金属制品有限公司", "钢结构有限公司", "汽车零部件有限公司", "五金制品有限公司"],
        "金属制品（涂装）",
        (1, 3),
        "{n}条喷涂线（{s}t/a）",
        None,
        "t/a",
        5000.0,
        (0.2, 0.5, 1.5, 9),
        1.0,
        5_000,
        0.08,
        (280, 330),
        "voc",
        "北河区",
        0.3,
        0.0,
        1.0,
        "key",
        0.0,
        0.0,
    ),
    # --- other industries --------------------------------------------------------------------
    (
        "chemicals",
        "chemicals",
        55,
        ["化工有限公司", "化工科技有限公司", "精细化工有限公司", "新材料有限公司"],
        "化工产品",
        (1, 4),
        "{n}套化工生产装置（{s}t/a）",
        None,
        "t/a",
        10000.0,
        (6, 10, 5, 35),
        1.1,
        15_000,
        0.15,
        (320, 350),
        "ungraded",
        "东丰县",
        0.6,
        0.5,
        1.0,
        "general",
        0.05,
        0.0,
    ),
    (
        "power_chp",
        "power",
        4,
        ["热电有限公司", "发电有限公司", "热电联产有限公司"],
        "电力、热力",
        (1, 3),
        "{n}×{s}MW燃煤热电联产机组",
        [150, 300, 350],
        "万kWh/a",
        200000.0,
        (300, 600, 70, 10),
        0.5,
        150_000,
        0.08,
        (330, 365),
        "ungraded",
        None,
        0.3,
        1.0,
        1.0,
        "guarantee",
        1.0,
        0.0,
    ),
    (
        "power_other",
        "power",
        6,
        ["环保能源有限公司", "生物质发电有限公司", "再生能源有限公司"],
        "电力",
        (1, 3),
        "{n}×{s}MW生物质/垃圾焚烧发电机组",
        [15, 30],
        "万kWh/a",
        15000.0,
        (15, 60, 5, 1),
        0.5,
        15_000,
        0.1,
        (330, 360),
        "ungraded",
        None,
        0.2,
        1.0,
        1.0,
        "general",
        0.5,
        0.0,
    ),
    (
        "heating_boiler",
        "power",
        36,
        ["热力有限公司", "供热有限公司", "供热站"],
        "热力",
        (1, 4),
        "{n}×{s}MW供暖热水锅炉",
        [7, 14, 29, 46],
        "万GJ/a",
        60.0,
        (0.5, 10, 0.8, 0.2),
        0.8,
        1_500,
        0.1,
        (120, 150),
        "ungraded",
        None,
        0.0,
        0.5,
        1.0,
        "heating_boiler",
        0.0,
        0.0,
    ),
    (
        "food",
        "other",
        120,
        ["食品有限公司", "食品科技有限公司", "面业有限公司", "乳业有限公司"],
        "食品",
        (1, 3),
        "{n}条食品加工生产线（{s}t/a）",
        None,
        "t/a",
        8000.0,
        (1.0, 2.5, 1, 0.5),
        0.9,
        6_000,
        0.05,
        (300, 340),
        "ungraded",
        None,
        0.15,
        0.0,
        1.0,
        "general",
        0.12,
        0.05,
    ),
    (
        "textile",
        "other",
        90,
        ["纺织有限公司", "棉业有限公司", "服饰有限公司"],
        "纱线",
        (1, 3),
        "{n}条纺纱生产线（{s}万锭）",
        [1, 2, 5],
        "t/a",
        5000.0,
        (0.5, 1.2, 0.5, 0.3),
        0.9,
        5_000,
        0.1,
        (300, 340),
        "ungraded",
        None,
        0.15,
        0.0,
        1.0,
        "general",
        0.0,
        0.1,
    ),
    (
        "plastic",
        "other",
        110,
        ["塑料制品有限公司", "塑业有限公司", "包装材料有限公司"],
        "塑料制品",
        (1, 2),
        "{n}条注塑/挤出生产线（{s}t/a）",
        None,
        "t/a",
        2000.0,
        (0.05, 0.1, 0.3, 3.5),
        1.0,
        2_500,
        0.1,
        (280, 330),
        "ungraded",
        None,
        0.15,
        0.0,
        1.0,
        "general",
        0.0,
        0.03,
    ),
    (
        "machining",
        "other",
        120,
        ["机械有限公司", "机械配件有限公司", "轴承有限公司", "五金有限公司"],
        "机械零部件",
        (1, 2),
        "{n}条机加工生产线（{s}t/a）",
        None,
        "t/a",
        1500.0,
        (0.1, 0.3, 1.2, 1.2),
        0.9,
        3_000,
        0.08,
        (280, 330),
        "ungraded",
        "北河区",
        0.2,
        0.0,
        1.0,
        "general",
        0.0,
        0.1,
    ),
    (
        "paper",
        "other",
        30,
        ["纸业有限公司", "纸制品有限公司"],
        "纸制品",
        (1, 2),
        "{n}条造纸生产线（{s}万t/a）",
        None,
        "万t/a",
        3.0,
        (2, 5, 2, 1),
        0.8,
        8_000,
        0.15,
        (300, 340),
        "ungraded",
        None,
        0.2,
        0.5,
        1.0,
        "general",
        0.0,
        0.0,
    ),
    (
        "feed",
        "other",
        50,
        ["饲料有限公司", "农牧科技有限公司"],
        "饲料",
        (1, 2),
        "{n}条饲料生产线（{s}万t/a）",
        None,
        "万t/a",
        10.0,
        (0.5, 1, 1.5, 0.1),
        0.8,
        6_000,
        0.05,
        (300, 340),
        "ungraded",
        None,
        0.1,
        0.0,
        1.0,
        "general",
        0.15,
        0.0,
    ),
    (
        "building_materials",
        "other",
        80,
        ["商品混凝土有限公司", "石材有限公司", "建材制品有限公司"],
        "商品混凝土",
        (1, 3),
        "{n}条搅拌生产线（{s}万m³/a）",
        None,
        "万m³/a",
        30.0,
        (0, 0, 3, 0),
        0.8,
        5_000,
        0.05,
        (250, 300),
        "ungraded",
        None,
        0.15,
        0.0,
        1.0,
        "general",
        0.0,
        0.05,
    ),
    (
        "electronics",
        "other",
        50,
        ["电子科技有限公司", "电器有限公司", "光电科技有限公司"],
        "电子元器件",
        (1, 2),
        "{n}条电子组装生产线（{s}万件/年）",
        None,
        "万件/年",
        100.0,
        (0, 0, 0.1, 0.8),
        0.9,
        8_000,
        0.08,
        (280, 330),
        "ungraded",
        "北河区",
        0.3,
        0.0,
        1.0,
        "general",
        0.0,
        0.3,
    ),
    (
        "asphalt",
        "other",
        25,
        ["沥青混凝土有限公司", "路桥材料有限公司"],
        "沥青混凝土",
        (1, 2),
        "{n}套沥青搅拌站（{s}t/h）",
        [160, 240, 320],
        "万t/a",
        20.0,
        (2, 3, 3, 2),
        0.7,
        4_000,
        0.05,
        (200, 260),
        "ungraded",
        None,
        0.1,
        0.0,
        1.0,
        "general",
        0.0,
        0.0,
    ),
    (
        "grain",
        "other",
        30,
        ["粮油有限公司", "粮食烘干有限公司"],
        "粮食、食用油",
        (1, 2),
        "{n}套粮食烘干设备（{s}t/d）",
        [100, 300, 500],
        "t/a",
        20000.0,
        (1, 2, 2, 0.1),
        0.7,
        4_000,
        0.05,
        (150, 250),
        "ungraded",
        None,
        0.0,
        0.0,
        1.0,
        "general",
        0.3,
        0.0,
    ),
    (
        "misc",
        "other",
        95,
        ["科技有限公司", "实业有限公司", "制品有限公司"],
        "其他工业产品",
        (1, 2),
        "{n}条生产线（{s}t/a）",
        None,
        "t/a",
        800.0,
        (0.3, 0.6, 0.6, 0.8),
        1.0,
        3_000,
        0.08,
        (280, 330),
        "ungraded",
        None,
        0.1,
        0.0,
        1.0,
        "general",
        0.0,
        0.08,
    ),
]

_FIELDS = [
    "code",
    "industry",
    "weight",
    "words",
    "product",
    "lines",
    "tpl",
    "sizes",
    "cap_unit",
    "cap",
    "emis",
    "sigma",
    "ov",
    "elec",
    "days",
    "profile",
    "home",
    "p_park",
    "cems",
    "tmc",
    "control",
    "p_guarantee",
    "p_exempt",
]
ARCHETYPES: list[dict] = [dict(zip(_FIELDS, row, strict=True)) for row in _A]

#: Grade mixes (cumulative order as listed).  Draws are ranked by a latent that favours big firms.
GRADE_PROFILES: dict[str, list[tuple[str, float]]] = {
    "heavy": [("A", 0.25), ("B", 0.38), ("B-", 0.10), ("C", 0.20), ("D", 0.07)],
    "metal": [("A", 0.10), ("B", 0.30), ("B-", 0.12), ("C", 0.38), ("D", 0.10)],
    "building": [("A", 0.03), ("B", 0.15), ("B-", 0.15), ("C", 0.45), ("D", 0.22)],
    "voc": [("A", 0.05), ("B", 0.20), ("B-", 0.15), ("C", 0.42), ("D", 0.18)],
    "leading": [("leading", 0.25), ("non_leading", 0.75)],
    "ungraded": [("ungraded", 1.0)],
}
#: Industries where an A firm may be chosen as A+ (its latent rank in the best 8 %).
A_PLUS_INDUSTRIES = ("steel_long", "coking", "cement")
A_PLUS_RANK = 0.08

#: Share of the city total (全社会排放总量) held by the list, drawn uniformly from these ranges.
LIST_SHARE_RANGES: dict[str, tuple[float, float]] = {
    "SO2": (0.62, 0.72),
    "NOx": (0.50, 0.58),
    "PM": (0.40, 0.48),
    "VOCs": (0.45, 0.55),
}
#: How the emissions outside the list split over other sectors (informative, in city.yaml notes).
OTHER_SECTORS: dict[str, dict[str, float]] = {
    "mobile": {"SO2": 0.08, "NOx": 0.72, "PM": 0.08, "VOCs": 0.35},
    "dust": {"SO2": 0.0, "NOx": 0.0, "PM": 0.62, "VOCs": 0.0},
    "residential": {"SO2": 0.57, "NOx": 0.10, "PM": 0.22, "VOCs": 0.12},
    "other": {"SO2": 0.35, "NOx": 0.18, "PM": 0.08, "VOCs": 0.53},
}

#: Control types, in the order of docs/ARCHITECTURE.md.
CONTROL_TYPES: tuple[str, ...] = ("key", "general", "guarantee", "exempt", "heating_boiler")
#: Grades, in the order of data/policy/grades.csv.
GRADES: tuple[str, ...] = tuple(grade_codes())
CONTROL_ZH: dict[str, str] = {
    "key": "重点",
    "general": "一般",
    "guarantee": "保障类",
    "exempt": "豁免",
    "heating_boiler": "供暖锅炉",
}
_NAME_FIRST = list("宏鑫华恒金德盛泰瑞永兴祥昌丰隆源达顺通鼎新天东中远博嘉宇汇润晟旭冀海宝凯荣益信诚")
_NAME_SECOND = list("达源泰通盛丰华昌宇晟鑫利辉广润发安兴成阳邦越驰创联正腾祥和力")
_CITY_NAME = "示范市"
_CITY_NAME_EN = "Demo City"


@dataclass
class DemoCity:
    """A generated demo city.

    Attributes
    ----------
    inventory : pandas.DataFrame
        One row per enterprise, columns exactly the field names of
        ``data/schema/inventory_fields.csv`` in schema order; emissions in t/a
        (``emission_unit`` = ``"t/a"``), output value in 万元/年.
    city : dict
        The ``city.yaml`` document: name, total_emissions (t/a), stations, extent, counties, ...
    seed : int
        Seed the city was generated from.
    lines : pandas.DataFrame or None
        The lines table (``lines.csv``): one row per line of the big process plants, columns of
        ``data/schema/line_fields.csv`` (:mod:`planner.inventory.lines`); firms without a row
        there have identical lines (``line_count`` of them).
    """

    inventory: pd.DataFrame
    city: dict
    seed: int
    lines: pd.DataFrame | None = None


def _schema() -> pd.DataFrame:
    return pd.read_csv(SCHEMA_PATH, dtype=str, keep_default_na=False)


def _counts(weights: np.ndarray, n: int) -> np.ndarray:
    """Split ``n`` over archetypes in proportion to ``weights`` (largest remainder)."""
    exact = weights / weights.sum() * n
    counts = np.floor(exact).astype(np.int64)
    short = n - counts.sum()
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def _group_rank(groups: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Rank of ``score`` within each group, scaled to (0, 1): ``(rank + 0.5) / group size``."""
    order = np.lexsort((score, groups))
    g_sorted = groups[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g_sorted)) + 1]
    sizes = np.diff(np.r_[starts, len(groups)])
    start_of = np.repeat(starts, sizes)
    rank = np.empty(len(groups), dtype=float)
    rank[order] = (np.arange(len(groups)) - start_of + 0.5) / np.repeat(sizes, sizes)
    return rank


def _org_code_values(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique 9-character organisation codes (GB 11714) as :data:`CHARSET` indices, shape (n, 9).

    Half are legacy all-digit codes, half post-2015 ``MA…`` codes; the 9th character is the GB 11714
    check character (0-9 or X).  All characters are in the credit-code charset.
    """
    # GB 11714 values: digits 0-9, letters A=10 … Z=35.
    gb_value = np.array([int(c, 36) for c in CHARSET])
    weights = np.array([3, 7, 9, 10, 5, 8, 4, 2])
    body = np.empty((n, 8), dtype=np.int64)
    todo = np.arange(n)
    while len(todo):
        m = len(todo)
        new = rng.integers(0, 10, size=(m, 8))
        modern = rng.random(m) < 0.5
        letters = rng.integers(0, len(CHARSET), size=(m, 6))
        new[modern, 2:] = letters[modern]
        new[modern, 0] = CHARSET.index("M")
        new[modern, 1] = CHARSET.index("A")
        body[todo] = new
        key = (body * (len(CHARSET) ** np.arange(8))).sum(axis=1)
        _, first = np.unique(key, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        todo = np.flatnonzero(dup)
    check = 11 - (gb_value[body] @ weights) % 11
    check_idx = np.where(check == 10, CHARSET.index("X"), np.where(check == 11, 0, check))
    return np.column_stack([body, check_idx])


def _credit_codes(region_codes: np.ndarray, org_values: np.ndarray) -> np.ndarray:
    """Credit codes ``91`` + region (6 digits) + organisation code + check character, vectorised.

    The check character comes from :func:`planner.inventory.creditcode.check_indices`, the array form of
    :func:`~planner.inventory.creditcode.make_credit_code` (per row would take ~6 s for 300,000 firms).
    """
    n = len(org_values)
    region = np.frombuffer("".join(region_codes).encode("ascii"), dtype=np.uint8).reshape(n, 6) - ord("0")
    head = np.broadcast_to(np.array([CHARSET.index("9"), CHARSET.index("1")]), (n, 2))
    values = np.column_stack([head, region.astype(np.int64), org_values])
    check = check_indices(values)
    ascii_table = np.frombuffer(CHARSET.encode("ascii"), dtype=np.uint8)
    raw = ascii_table[np.column_stack([values, check])]
    return np.ascontiguousarray(raw).view(f"S{LENGTH}").ravel().astype(str)


def _sig2(x: np.ndarray) -> np.ndarray:
    """Format positive numbers with two significant digits, as people write capacities (6.3, 2500)."""
    x = np.asarray(x, dtype=float)
    exp = np.floor(np.log10(np.maximum(x, 1e-9))) - 1
    rounded = np.round(x / 10.0**exp) * 10.0**exp
    out = np.empty(len(rounded), dtype=object)
    big, mid = rounded >= 10, (rounded >= 1) & (rounded < 10)
    small = ~big & ~mid
    out[big] = np.round(rounded[big]).astype(np.int64).astype(str)
    out[mid] = np.char.mod("%.1f", rounded[mid])
    out[small] = np.char.mod("%.2f", rounded[small])
    return out


def make_demo_city(n_enterprises: int = DEFAULT_N_ENTERPRISES, seed: int = DEFAULT_SEED) -> DemoCity:
    """Generate the synthetic demo city.

    Parameters
    ----------
    n_enterprises : int, default 1200
        Number of enterprises on the list (a prefecture-level list has ~1,000–1,300).
    seed : int, default 20261123
        Random seed; the same seed gives the same frame and, via :func:`write_demo_city`, the
        same file bytes.

    Returns
    -------
    DemoCity
        ``inventory`` (canonical columns, emissions in t/a) and ``city`` (the ``city.yaml`` dict).

    Raises
    ------
    ValueError
        If ``n_enterprises`` is smaller than 1.
    """
    n = int(n_enterprises)
    if n < 1:
        raise ValueError(f"n_enterprises must be at least 1, got {n_enterprises!r}")
    rng = np.random.default_rng(seed)
    arch = ARCHETYPES
    n_arch = len(arch)
    ind_table = industries()
    is_key = np.array([ind_table.at[a["industry"], "key_industry"] == "yes" for a in arch])
    counts = composition_counts(np.array([a["weight"] for a in arch], dtype=float), is_key, n)
    a_idx = np.repeat(np.arange(n_arch), counts)
    key_firm = is_key[a_idx]

    def per(key, dtype=float):
        return np.array([a[key] for a in arch], dtype=dtype)[a_idx]

    # --- size, emissions --------------------------------------------------------------------
    sigma = per("sigma")
    z = np.clip(rng.standard_normal(n), -2.5, 2.5)
    size = np.exp(sigma * z)
    emis_median = np.array([a["emis"] for a in arch], dtype=float)[a_idx]
    emis = emis_median * size[:, None] * np.exp(0.25 * rng.standard_normal((n, 4)))
    emis = np.round(emis, 3)

    # --- lines ------------------------------------------------------------------------------
    lines_lo = np.array([a["lines"][0] for a in arch])[a_idx]
    lines_hi = np.array([a["lines"][1] for a in arch])[a_idx]
    t = np.clip(0.5 + 0.3 * z + 0.2 * rng.standard_normal(n), 0.0, 0.999)
    line_count = (lines_lo + np.floor(t * (lines_hi - lines_lo + 1))).astype(np.int64)
    size_pick = np.clip(0.5 + 0.3 * z + 0.2 * rng.standard_normal(n), 0.0, 0.999)
    lines, n_lines, lines_desc = make_lines(rng, [a["code"] for a in arch], a_idx, z)
    has_lines = n_lines > 0
    line_count = np.where(has_lines, n_lines, line_count)

    # --- capacity, output value, electricity, days ------------------------------------------
    big_unit = np.array([a["cap_unit"].startswith("万") for a in arch])[a_idx]
    decimals_scale = np.where(big_unit, 10.0, 1.0)
    permit = per("cap") * size**0.9 * np.exp(0.15 * rng.standard_normal(n))
    permit = np.maximum(np.round(permit * decimals_scale) / decimals_scale, 1.0)
    eia_factor = np.where(rng.random(n) < 0.5, 1.0, rng.uniform(1.0, 1.3, n))
    eia = np.maximum(np.round(permit * eia_factor * decimals_scale) / decimals_scale, permit)
    util = np.clip(rng.normal(0.85, 0.1, n), 0.45, 1.0)
    output = np.minimum(np.round(permit * util * decimals_scale) / decimals_scale, permit)
    output_value = np.round(per("ov") * size**0.9 * np.exp(0.3 * rng.standard_normal(n)), 1)
    electricity = np.round(output_value * per("elec") * np.exp(0.2 * rng.standard_normal(n)), 1)
    d_lo = np.array([a["days"][0] for a in arch])[a_idx]
    d_hi = np.array([a["days"][1] for a in arch])[a_idx]
    operating_days = rng.integers(d_lo, d_hi + 1).astype(float)
    cems = np.floor(line_count * per("cems") + rng.random(n)).astype(np.int64)

    # --- control type, load cap ---------------------------------------------------------------
    key_c, general_c, guarantee_c, exempt_c, boiler_c = range(len(CONTROL_TYPES))
    control = np.array([CONTROL_TYPES.index(a["control"]) for a in arch])[a_idx]
    u_ctrl = rng.random(n)
    p_g, p_e = per("p_guarantee"), per("p_exempt")
    can_change = (control == key_c) | (control == general_c)
    control = np.where(can_change & (u_ctrl < p_g), guarantee_c, control)
    # exempt (豁免): the Chifeng share, drawn among non-key general firms, small ones first
    n_exempt = round(n * CHIFENG_2024["exempt"] / CHIFENG_2024["enterprises"])
    exempt = weighted_pick(
        rng, (control == general_c) & ~key_firm & ~has_lines, p_e * np.exp(-0.5 * z), n_exempt
    )
    control = np.where(exempt, exempt_c, control)
    load_cap = np.where(control == guarantee_c, rng.integers(10, 19, n) * 0.05, np.nan).round(2)
    submeter_p = np.where(control == key_c, 0.85, np.where(control == boiler_c, 0.2, 0.35))
    submetering = rng.random(n) < submeter_p

    # --- grades ------------------------------------------------------------------------------
    # Key firms graded A-D share one rank (latent favours big firms, plus the profile's offset);
    # the shares of KEY_GRADE_SHARES are cut off that rank (planner.demo.composition).
    latent = -0.25 * z + np.sqrt(1 - 0.25**2) * rng.standard_normal(n)
    profiles = [a["profile"] for a in arch]
    offset = np.array([PROFILE_OFFSET.get(p, 0.0) for p in profiles])[a_idx]
    abcd = np.array([p in PROFILE_OFFSET for p in profiles])[a_idx] & (control != exempt_c)
    grade = np.full(n, GRADES.index("ungraded"))
    score_rank = rank01(latent + offset, abcd)
    labels = np.array([GRADES.index(g) for g in KEY_GRADE_SHARES])
    cum = np.cumsum(list(KEY_GRADE_SHARES.values()))
    grade[abcd] = labels[np.minimum(np.searchsorted(cum, score_rank[abcd]), len(labels) - 1)]
    rank = _group_rank(a_idx, latent)
    industry_names = industry_codes()
    industry = np.array([industry_names.index(a["industry"]) for a in arch])[a_idx]
    a_plus_ok = np.array([a["industry"] in A_PLUS_INDUSTRIES for a in arch])[a_idx]
    grade[(grade == GRADES.index("A")) & a_plus_ok & (rank < A_PLUS_RANK)] = GRADES.index("A+")
    # 引领性: industries graded only on the leading bar (one in four leading), then firms of other
    # industries up to LEADING_PER_AB × (A + B/B-) leading firms in all, the cleaner ones first.
    lead_only = np.array([p == "leading" for p in profiles])[a_idx]
    lead_rank = rank01(latent, lead_only)
    grade[lead_only] = np.where(
        lead_rank[lead_only] < 0.25, GRADES.index("leading"), GRADES.index("non_leading")
    )
    n_ab = int(np.isin(grade, [GRADES.index(g) for g in ("A+", "A", "B", "B-")]).sum())
    n_lead = round(LEADING_PER_AB * n_ab) - int((grade == GRADES.index("leading")).sum())
    other_general = ~key_firm & (control == general_c)
    intensity = emis.sum(axis=1) / np.maximum(output_value, 1e-9)
    clean = 1.0 - np.nan_to_num(rank01(intensity, other_general))
    grade[weighted_pick(rng, other_general, 0.2 + clean, n_lead)] = GRADES.index("leading")
    grade[control == exempt_c] = GRADES.index("ungraded")

    # --- plant-by-plant measures (一厂一策) of ungraded firms of other industries ---------------
    plant = plant_cuts(rng, other_general & (grade == GRADES.index("ungraded")), emis, output_value)

    # --- geography ------------------------------------------------------------------------------
    n_c = len(COUNTIES)
    weights = np.array([c["weight"] for c in COUNTIES])
    county = rng.choice(n_c, size=n, p=weights / weights.sum())
    home = np.array([_COUNTY[a["home"]] if a["home"] else -1 for a in arch])[a_idx]
    at_home = (home >= 0) & (rng.random(n) < 0.75)
    county = np.where(at_home, home, county)
    has_park = np.array([c["park"] is not None for c in COUNTIES])
    in_park = has_park[county] & (rng.random(n) < per("p_park")) & (at_home | (rng.random(n) < 0.5))
    town_pick = rng.random(n)
    n_towns = np.array([len(c["towns"]) for c in COUNTIES])
    town_idx = np.floor(town_pick * n_towns[county]).astype(np.int64)
    park_town = np.array([c["park"][1] if c["park"] else 0 for c in COUNTIES])
    town_idx = np.where(in_park, park_town[county], town_idx)
    c_lat = np.array([c["lat"] for c in COUNTIES])
    c_lon = np.array([c["lon"] for c in COUNTIES])
    max_towns = n_towns.max()
    # Town centres on a ring around the county centre; parks at a fixed offset.
    ang = 2 * np.pi * (np.arange(max_towns)[None, :] / n_towns[:, None]) + 0.6
    rad = np.where(np.arange(max_towns)[None, :] == 0, 0.0, 0.075)
    t_lat = c_lat[:, None] + rad * np.sin(ang)
    t_lon = c_lon[:, None] + rad * np.cos(ang) * 1.25
    p_lat = c_lat + np.array([c["park"][2] if c["park"] else 0.0 for c in COUNTIES])
    p_lon = c_lon + np.array([c["park"][3] if c["park"] else 0.0 for c in COUNTIES])
    spread = np.where(in_park, 0.010, 0.018)
    lat = np.where(in_park, p_lat[county], t_lat[county, town_idx]) + spread * rng.standard_normal(n)
    lon = np.where(in_park, p_lon[county], t_lon[county, town_idx]) + spread * 1.25 * rng.standard_normal(n)
    margin = 0.01
    lat = np.round(np.clip(lat, EXTENT["lat_min"] + margin, EXTENT["lat_max"] - margin), 5)
    lon = np.round(np.clip(lon, EXTENT["lon_min"] + margin, EXTENT["lon_max"] - margin), 5)
    town_table = [t for c in COUNTIES for t in c["towns"] + [""] * (max_towns - len(c["towns"]))]

    # --- names, descriptions -----------------------------------------------------------------
    word_pick = rng.random(n)
    f1 = rng.integers(0, len(_NAME_FIRST), n)
    f2 = rng.integers(0, len(_NAME_SECOND), n)
    prefix_pick = rng.random(n)
    words = np.empty(n, dtype=object)
    line_desc = np.empty(n, dtype=object)
    starts = np.r_[0, np.cumsum(counts)]
    for k, a in enumerate(arch):
        sl = slice(starts[k], starts[k + 1])
        if counts[k] == 0:
            continue
        w = np.array(a["words"], dtype=object)
        words[sl] = w[np.floor(word_pick[sl] * len(w)).astype(int)]
        if a["sizes"] is None:  # capacity in the description: per line ("n×s"), or the total ("（s）")
            total = "（{s}" in a["tpl"]
            s_val = _sig2(permit[sl] if total else permit[sl] / line_count[sl])
        else:  # equipment size: bigger firms have bigger kilns/furnaces/units
            sizes = np.array([str(s) for s in a["sizes"]], dtype=object)
            s_val = sizes[np.floor(size_pick[sl] * len(sizes)).astype(int)]
        head, _, rest = a["tpl"].partition("{n}")
        mid, _, tail = rest.partition("{s}")
        line_desc[sl] = head + line_count[sl].astype(str).astype(object) + mid + s_val + tail
    line_desc = np.where(has_lines, lines_desc, line_desc)
    short_county = np.array([c["name"][:2] for c in COUNTIES], dtype=object)
    prefix = np.where(prefix_pick < 0.45, short_county[county], np.where(prefix_pick < 0.75, _CITY_NAME, ""))
    trade = np.array(_NAME_FIRST, dtype=object)[f1] + np.array(_NAME_SECOND, dtype=object)[f2]
    same = np.array(_NAME_FIRST)[f1] == np.array(_NAME_SECOND)[f2]
    trade = np.where(same, np.array(_NAME_FIRST, dtype=object)[f1] + "泰", trade)
    names = prefix + trade + words
    codes, _ = pd.factorize(names)
    dup = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    names = np.where(dup > 0, names + "第" + (dup + 1).astype(str).astype(object) + "分公司", names)

    # --- order rows like a bureau's list: county, then industry order, then biggest first -----
    order = np.lexsort((-emis.sum(axis=1), industry, county))

    # --- codes ---------------------------------------------------------------------------------
    county_codes = np.array([c["code"] for c in COUNTIES], dtype=object)
    credit = _credit_codes(county_codes[county], _org_code_values(rng, n)).astype(object)
    big_firm = ((control != general_c) & (control != exempt_c)) | (size > 2.0)
    permit_no = credit + "001" + np.where(big_firm, "P", "W")
    # This draw once made a 6-digit ``access_code`` column; portal codes are now issued by the
    # bureau (``planner access issue``) and never stored in the list.  The draw is kept so that
    # every other column of the city stays the same.
    rng.integers(0, 1_000_000, n)
    width = max(4, len(str(n)))

    cols = {
        "enterprise_id": None,
        "name": names,
        "credit_code": credit,
        "county": ([c["name"] for c in COUNTIES], county),
        "town": (town_table, county * max_towns + town_idx),
        "park": ([c["park"][0] if c["park"] else "" for c in COUNTIES], np.where(in_park, county, -1)),
        "industry": (industry_names, industry),
        "grade": (list(GRADES), grade),
        "control_type": (list(CONTROL_TYPES), control),
        "load_cap": load_cap,
        "permit_no": permit_no,
        "line_count": line_count,
        "line_description": line_desc,
        "main_product": ([a["product"] for a in arch], a_idx),
        "capacity_eia": eia,
        "capacity_permit": permit,
        "output_last_year": output,
        "capacity_unit": ([a["cap_unit"] for a in arch], a_idx),
        "output_value": output_value,
        "output_value_unit": (["万元/年"], np.zeros(n, dtype=np.int64)),
        "electricity": electricity,
        "operating_days": operating_days,
        "SO2": emis[:, 0],
        "NOx": emis[:, 1],
        "PM": emis[:, 2],
        "VOCs": emis[:, 3],
        "emission_unit": (["t/a"], np.zeros(n, dtype=np.int64)),
        "technical_max_cut": per("tmc"),
        "plant_cut_yellow": plant[:, 0],
        "plant_cut_orange": plant[:, 1],
        "plant_cut_red": plant[:, 2],
        "cems_count": cems,
        "power_submetering": submetering,
        "lat": lat,
        "lon": lon,
    }
    # fields of the schema a bureau's list may carry but the demo never writes
    schema_fields = [f for f in _schema()["field"] if f not in NOT_GENERATED]
    missing = [f for f in schema_fields if f not in cols]
    extra = [f for f in cols if f not in schema_fields]
    if missing or extra:  # pragma: no cover - guards against schema drift
        raise RuntimeError(f"demo generator out of step with the schema: missing {missing}, extra {extra}")
    data = {}
    for f in schema_fields:
        if f == "enterprise_id":
            continue
        if isinstance(cols[f], tuple):  # (categories, codes); code -1 = missing
            categories, codes = cols[f]
            data[f] = pd.array(categories, dtype="str").take(codes[order], allow_fill=True)
        elif cols[f].dtype == object:
            data[f] = pd.array(cols[f][order], dtype="str")
        else:
            data[f] = cols[f][order]
    data["enterprise_id"] = pd.array(
        np.char.add("E", np.char.zfill(np.arange(1, n + 1).astype(str), width)), dtype="str"
    )
    inv = pd.DataFrame(data)
    inv = inv[schema_fields]
    new_pos = np.empty(n, dtype=np.int64)
    new_pos[order] = np.arange(n)
    line_pos = new_pos[lines["firm"].to_numpy(dtype=np.int64)]
    lines = lines.drop(columns="firm").assign(_pos=line_pos)
    lines = lines.sort_values("_pos", kind="stable").reset_index(drop=True)
    ids = inv["enterprise_id"].to_numpy(dtype=object)
    lines.insert(0, "enterprise_id", pd.array(ids[lines.pop("_pos").to_numpy()], dtype="str"))
    for c in ("line_id", "process", "capacity_unit"):
        lines[c] = pd.array(lines[c].to_numpy(dtype=object), dtype="str")

    # --- city ----------------------------------------------------------------------------------
    list_sum = {p: float(inv[p].sum()) for p in POLLUTANTS}
    share = {p: round(float(rng.uniform(*LIST_SHARE_RANGES[p])), 3) for p in POLLUTANTS}
    totals = {p: float(max(np.ceil(list_sum[p] / share[p] / 10.0) * 10.0, 10.0)) for p in POLLUTANTS}
    city = _city_dict(totals, list_sum, n, seed)
    return DemoCity(inventory=inv, city=city, seed=int(seed), lines=lines)


def _city_dict(totals: dict, list_sum: dict, n: int, seed: int) -> dict:
    rest = {p: totals[p] - list_sum[p] for p in POLLUTANTS}
    sectors = {"listed_enterprises": {p: round(list_sum[p], 1) for p in POLLUTANTS}}
    for sector, shares in OTHER_SECTORS.items():
        sectors[sector] = {p: round(rest[p] * shares[p], 1) for p in POLLUTANTS}
    return {
        "name": _CITY_NAME_EN,
        "name_zh": _CITY_NAME,
        "province": "示范省",
        "year": 2026,
        "source": f"synthetic demo city, planner demo-data --enterprises {n} --seed {seed}",
        "notes": (
            "total_emissions is the city-wide total (全社会排放总量, t/a) including traffic, dust, "
            "households and other sources outside the enterprise list; emission_sectors shows the split."
        ),
        "total_emissions": {p: totals[p] for p in POLLUTANTS},
        "emission_sectors": sectors,
        "extent": dict(EXTENT),
        "stations": [dict(s) for s in STATIONS],
        "counties": [
            {
                "name": c["name"],
                "name_en": c["name_en"],
                "code": c["code"],
                "lat": c["lat"],
                "lon": c["lon"],
                "towns": list(c["towns"]),
                "parks": [c["park"][0]] if c["park"] else [],
            }
            for c in COUNTIES
        ],
    }


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------

#: Chinese list layout: (group header, [(field, Chinese column header), ...]).  Every header is
#: an alias in the schema, except 序号 (the row number).
XLSX_GROUPS: list[tuple[str, list[tuple[str | None, str]]]] = [
    (
        "基本信息",
        [
            (None, "序号"),
            ("enterprise_id", "企业编号"),
            ("name", "企业名称"),
            ("credit_code", "统一社会信用代码"),
            ("county", "区县"),
            ("town", "乡镇"),
            ("park", "园区"),
            ("industry", "行业类别"),
            ("grade", "绩效等级"),
            ("control_type", "管控类型"),
            ("load_cap", "保障负荷"),
            ("permit_no", "排污许可证编号"),
        ],
    ),
    (
        "生产线",
        [("line_count", "生产线数量"), ("line_description", "生产线情况"), ("main_product", "主要产品")],
    ),
    (
        "产能",
        [
            ("capacity_eia", "环评批复产能"),
            ("capacity_permit", "排污许可产能"),
            ("output_last_year", "上年实际产量"),
            ("capacity_unit", "产能单位"),
        ],
    ),
    (
        "生产经营",
        [("output_value", "年产值（万元）"), ("electricity", "年用电量"), ("operating_days", "年生产天数")],
    ),
    (
        "排放量（吨/年）",
        [("SO2", "二氧化硫"), ("NOx", "氮氧化物"), ("PM", "颗粒物"), ("VOCs", "挥发性有机物")],
    ),
    (
        "监测与减排能力",
        [
            ("technical_max_cut", "最大减产比例"),
            ("cems_count", "CEMS数量"),
            ("power_submetering", "分表计电"),
        ],
    ),
    (
        "一厂一策减排比例",
        [
            ("plant_cut_yellow", "黄色预警减排比例"),
            ("plant_cut_orange", "橙色预警减排比例"),
            ("plant_cut_red", "红色预警减排比例"),
        ],
    ),
    ("位置", [("lon", "经度"), ("lat", "纬度")]),
]


def xlsx_columns() -> list[tuple[str, str | None, str]]:
    """The Chinese list layout of ``enterprises.xlsx``.

    Returns
    -------
    list of (str, str or None, str)
        ``(group header, canonical field, Chinese column header)`` in column order; the field is
        None for 序号 (the row number).
    """
    return [(g, f, zh) for g, cols in XLSX_GROUPS for f, zh in cols]


def _zh_values(inv: pd.DataFrame) -> pd.DataFrame:
    """The inventory with Chinese industry, grade, control-type and yes/no values."""
    ind = industries()["name_zh"]
    grades = {
        "A+": "A+",
        "A": "A",
        "B": "B",
        "B-": "B-",
        "C": "C",
        "D": "D",
        "leading": "引领性",
        "non_leading": "非引领性",
        "ungraded": "未分级",
    }
    out = inv.copy()
    out["industry"] = inv["industry"].map(ind)
    out["grade"] = inv["grade"].map(grades)
    out["control_type"] = inv["control_type"].map(CONTROL_ZH)
    out["power_submetering"] = np.where(inv["power_submetering"].to_numpy(dtype=bool), "是", "否")
    return out


def _cell(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


#: Timestamp written into the workbook properties (so that the bytes never change).
_FIXED_TIME = "2026-11-23T00:00:00Z"


def _write_xlsx(inv: pd.DataFrame, path: Path, title: str) -> None:
    """Write the Chinese list layout with the streaming writer (fixed timestamps: same bytes each time)."""
    from planner.io.writing import SheetWriter, new_workbook

    layout = xlsx_columns()
    zh = _zh_values(inv)
    frame = pd.DataFrame(
        {
            i: (zh[f].reset_index(drop=True) if f else np.arange(1, len(zh) + 1))
            for i, (_g, f, _h) in enumerate(layout)
        }
    )
    ncol = len(layout)
    wb = new_workbook(path)
    try:
        # xlsxwriter stamps both dcterms:created and dcterms:modified with "created"
        wb.set_properties(
            {"created": datetime.fromisoformat(_FIXED_TIME.rstrip("Z")), "author": "planner demo-data"}
        )
        ws = wb.add_worksheet("应急减排清单")
        w = SheetWriter(wb, ws)
        head = w.format(
            bold=True, align="center", valign="vcenter", text_wrap=True, bg_color="#DDEBF7", border=1
        )
        ws.merge_range(
            0,
            0,
            0,
            ncol - 1,
            title,
            w.format(bold=True, font_size=14, align="center", valign="vcenter", text_wrap=True),
        )
        col = 0
        for group, cols in XLSX_GROUPS:
            w.text(1, col, group, head)
            for c in range(col + 1, col + len(cols)):
                ws.write_blank(1, c, None, head)
            if len(cols) > 1:
                w.merge(1, col, 1, col + len(cols) - 1)
            col += len(cols)
        ws.set_row(2, 30)
        for c, (_g, _f, header) in enumerate(layout):
            w.text(2, c, header, head)
        w.frame(frame, 3)
        widths = {"企业名称": 30, "统一社会信用代码": 22, "排污许可证编号": 26, "生产线情况": 30, "园区": 18}
        for c, (_g, _f, header) in enumerate(layout):
            ws.set_column(c, c, widths.get(header, 11))
        ws.freeze_panes(3, 3)
    finally:
        wb.close()


def _rezip_deterministic(data: bytes, path: Path) -> None:
    """Rewrite a zip (XLSX) with fixed timestamps so that equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + _FIXED_TIME.encode() + rb"\g<2>",
                    content,
                )
            dst.writestr(zi, content)
    path.write_bytes(out.getvalue())


#: Above this many enterprises ``write_demo_city`` skips the Excel copy (the CSV holds the same
#: list): a workbook of 300,000 rows takes minutes to write and is near Excel's row limit.
XLSX_MAX_ENTERPRISES: int = 50_000


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    r"""``frame`` as UTF-8 CSV (header of field names, ``\n`` line ends, no index).

    Written by pyarrow (about ten times faster than :meth:`pandas.DataFrame.to_csv` on the
    300,000-firm city): numbers in their shortest round-trip form, booleans ``true``/``false``,
    missing values as empty cells, no quotes unless a cell needs them.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    header = (",".join(frame.columns) + "\n").encode("utf-8")
    buf = io.BytesIO()
    try:
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    except pa.ArrowInvalid:  # a cell holds a comma, quote or line break: quote where needed
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return header + buf.getvalue()


def write_demo_city(city: DemoCity, out_dir: str | Path, xlsx: bool | None = None) -> dict[str, Path]:
    """Write ``enterprises.csv``, ``enterprises.xlsx``, ``lines.csv``, ``city.yaml`` and ``menus.yaml`` into ``out_dir``.

    Parameters
    ----------
    city : DemoCity
        From :func:`make_demo_city`.
    out_dir : str or Path
        Created if missing; existing files of the same names are replaced.
    xlsx : bool, optional
        Write the Excel copy of the list; default: when the city has at most
        :data:`XLSX_MAX_ENTERPRISES` enterprises.  When it is not written, an ``enterprises.xlsx``
        left in ``out_dir`` by an earlier run is removed (it would describe another city).

    Returns
    -------
    dict of str to Path
        ``{"csv": ..., "lines": ..., "xlsx": ..., "city": ..., "menus": ...}`` (no ``"xlsx"`` when skipped).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inv = city.inventory
    if xlsx is None:
        xlsx = len(inv) <= XLSX_MAX_ENTERPRISES
    paths = {"csv": out / "enterprises.csv", "lines": out / "lines.csv", "xlsx": out / "enterprises.xlsx"}
    paths["city"] = out / "city.yaml"
    paths["csv"].write_bytes(_csv_bytes(inv))
    lines = city.lines if city.lines is not None else pd.DataFrame(columns=_line_fields())
    paths["lines"].write_bytes(_csv_bytes(lines[_line_fields()]))
    if xlsx:
        title = f"{city.city.get('name_zh', _CITY_NAME)}重污染天气应急减排清单（示范数据，{len(inv)}家企业）"
        _write_xlsx(inv, paths["xlsx"], title)
    else:
        paths.pop("xlsx").unlink(missing_ok=True)
    header = (
        "# Demo city generated by `planner demo-data` (synthetic; do not edit by hand).\n"
        "# total_emissions: city-wide totals (全社会排放总量) in t/a, larger than the list's sum.\n"
    )
    body = yaml.safe_dump(city.city, allow_unicode=True, sort_keys=False, width=110)
    paths["city"].write_bytes((header + body).encode("utf-8"))
    from planner.demo.menus import write_demo_menus

    paths["menus"] = write_demo_menus(inv, city.lines, out)  # measure menus (planner.demo.menus)
    return paths


def _line_fields() -> list[str]:
    return pd.read_csv(DATA_DIR / "schema" / "line_fields.csv", dtype=str, keep_default_na=False)[
        "field"
    ].tolist()


def describe_city(city: DemoCity) -> list[str]:
    """A short account of the city's composition, for ``planner demo-data`` and the docs.

    Returns
    -------
    list of str
        Lines of text: enterprises (key-industry firms, exempt), counts by control type and by
        grade, firms with plant-by-plant measures, lines, and the top-10 firms' share of each
        pollutant.
    """
    inv = city.inventory
    ind = industries()
    key = inv["industry"].map(ind["key_industry"]).eq("yes")
    control = inv["control_type"].value_counts()
    grade = inv["grade"].value_counts()
    plant = inv["plant_cut_red"].notna()
    n_lines = 0 if city.lines is None else len(city.lines)
    firms_lines = 0 if city.lines is None else city.lines["enterprise_id"].nunique()
    out = [
        f"{len(inv)} enterprises, {int(key.sum())} in key industries, {int(control.get('exempt', 0))} exempt "
        f"(Chifeng 2024: {CHIFENG_2024['enterprises']}, {CHIFENG_2024['key_industry']}, {CHIFENG_2024['exempt']})",
        "control types: " + ", ".join(f"{c} {int(control.get(c, 0))}" for c in CONTROL_TYPES),
        "grades: " + ", ".join(f"{g} {int(grade.get(g, 0))}" for g in GRADES if grade.get(g, 0)),
        f"plant-by-plant measures (一厂一策): {int(plant.sum())} of "
        f"{int((~key & inv['grade'].eq('ungraded') & inv['control_type'].eq('general')).sum())} "
        "ungraded general firms of other industries",
        f"lines table: {n_lines} lines of {firms_lines} enterprises",
        "top-10 firms' share of the list: "
        + ", ".join(f"{p} {inv[p].nlargest(10).sum() / max(inv[p].sum(), 1e-12):.0%}" for p in POLLUTANTS),
    ]
    return out
