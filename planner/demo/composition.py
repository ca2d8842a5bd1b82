"""What the demo city is made of: published list figures, line recipes, plant-by-plant measures.

The demo city (:mod:`planner.demo.city`) follows published lists (``POLICY.md`` §7) where they
give a figure, and says so where it has to assume one:

- **size and composition** — Chifeng 2024: 1,254 industrial enterprises on the list, 292 of them
  in key industries, 248 exempt (:data:`CHIFENG_2024`).  The default city has 1,254 firms; for any
  other size the same proportions are kept (largest-remainder rounding);
- **grades of key-industry firms** — the ratio A : B/B- of the published graded counts, Shandong
  2023 (A 77, B/B- 303) and Zhengzhou 2024 (A 24, B 58) pooled: 101 : 361.  No list publishes its
  C and D counts; the demo assumes that 58 % of graded key firms are C or D (40 % C, 18 % D) and
  that a quarter of the B group is B- (:data:`KEY_GRADE_SHARES`);
- **引领性 (leading) firms** — Shandong 2023 counts 219 引领性 firms beside its 380 A and B/B- firms;
  the demo keeps that proportion.  Leading grades come from the industries graded only on the
  leading bar (玻璃钢) and from firms of other industries (其他行业), where provinces set
  引领性 indicators of their own;
- **lines** — big process plants are split into lines that are not alike (:data:`LINE_RECIPES`):
  a long-process steel works has sinter, pellet, coke-oven, blast-furnace and converter lines;
  the biggest cement plant has 2 × 5,000 t/d + 1 × 2,500 t/d clinker kilns (POLICY §5, issue 10);
- **plant-by-plant measures** — part of the ungraded non-key firms (其他行业) carry the bureau's own
  measure (一厂一策) as shares of output cut at yellow / orange / red, deeper for firms that emit
  more per unit of output (多排多限、少排少限, POLICY §4); the others are left to the optimizer
  within their bounds (:data:`PLANT_CUT_SHARE`, :data:`PLANT_CUT_MENUS`).  These figures are the
  demo's assumptions, not a published table.

Everything here is vectorised over firms (and lines): the 300,000-firm city of the benchmarks is
built in a few seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner import POLLUTANTS

#: Chifeng 2024 emergency list (POLICY.md §7).
CHIFENG_2024: dict[str, int] = {"enterprises": 1254, "key_industry": 292, "exempt": 248}
#: Published graded counts (POLICY.md §7).
GRADE_COUNTS: dict[str, dict[str, int]] = {
    "Shandong 2023": {"A": 77, "B/B-": 303, "leading": 219},
    "Zhengzhou 2024": {"A": 24, "B/B-": 58},
}
_A = sum(c["A"] for c in GRADE_COUNTS.values())
_B = sum(c["B/B-"] for c in GRADE_COUNTS.values())
#: Assumed share of C and D among graded key firms (no list publishes it), and their split.
CD_SHARE, D_OF_CD = 0.58, 18 / 58
#: Assumed share of B- in the B/B- group.
B_MINUS_OF_B = 0.27
#: Grade shares of key-industry firms graded A-D (A includes A+), in rank order (best first).
KEY_GRADE_SHARES: dict[str, float] = {
    "A": (1 - CD_SHARE) * _A / (_A + _B),
    "B": (1 - CD_SHARE) * _B / (_A + _B) * (1 - B_MINUS_OF_B),
    "B-": (1 - CD_SHARE) * _B / (_A + _B) * B_MINUS_OF_B,
    "C": CD_SHARE * (1 - D_OF_CD),
    "D": CD_SHARE * D_OF_CD,
}
#: 引领性 firms per A or B/B- firm (Shandong 2023: 219 / 380).
LEADING_PER_AB: float = GRADE_COUNTS["Shandong 2023"]["leading"] / (
    GRADE_COUNTS["Shandong 2023"]["A"] + GRADE_COUNTS["Shandong 2023"]["B/B-"]
)
#: Grade offsets of the archetype profiles on the common rank (lower = better grades): heavy
#: process plants reach A more often than small building-material kilns.
PROFILE_OFFSET: dict[str, float] = {"heavy": -0.6, "metal": -0.2, "voc": 0.1, "building": 0.3}

#: Share of the ungraded general firms of other industries that carry a plant-by-plant measure.
PLANT_CUT_SHARE: float = 0.55
#: Plant-by-plant measures (shares of output cut at yellow, orange, red) by emission-intensity
#: tercile (t of the four pollutants per 万元 of output); two variants each, drawn at random.
PLANT_CUT_MENUS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "low": ((0.0, 0.1, 0.2), (0.1, 0.2, 0.3)),
    "mid": ((0.1, 0.2, 0.3), (0.2, 0.3, 0.5)),
    "high": ((0.2, 0.3, 0.5), (0.3, 0.5, 1.0)),
}

# ---------------------------------------------------------------------------------------------
# Line recipes: archetype code -> parts.  A part is one process; its lines share the part's
# output share and emission shares (SO2, NOx, PM, VOCs) in proportion to their capacity.
#   process, (min, max) lines, sizes [(capacity, label)], capacity unit, description template,
#   output share, (SO2, NOx, PM, VOCs) shares.
# The shares of a recipe's parts sum to 1 (parts absent from a firm: the rest is rescaled).
# ---------------------------------------------------------------------------------------------
LINE_RECIPES: dict[str, list[tuple]] = {
    "steel_long": [
        (
            "sinter",
            (1, 3),
            [(180, "180"), (230, "230"), (265, "265"), (360, "360")],
            "m²",
            "{s}m²烧结机",
            0.12,
            (0.60, 0.50, 0.35, 0.10),
        ),
        ("pellet", (0, 1), [(8, "8"), (10, "10")], "m²", "{s}m²球团竖炉", 0.04, (0.10, 0.10, 0.05, 0.00)),
        (
            "coke_oven",
            (1, 2),
            [(55, "55孔5.5m"), (60, "60孔6m"), (65, "65孔6.78m")],
            "孔",
            "{s}焦炉",
            0.10,
            (0.15, 0.20, 0.10, 0.80),
        ),
        (
            "blast_furnace",
            (1, 3),
            [(1080, "1080"), (1260, "1260"), (1780, "1780"), (2500, "2500")],
            "m³",
            "{s}m³高炉",
            0.40,
            (0.10, 0.10, 0.30, 0.05),
        ),
        (
            "converter",
            (1, 3),
            [(80, "80"), (120, "120"), (150, "150")],
            "t",
            "{s}t转炉",
            0.34,
            (0.05, 0.10, 0.20, 0.05),
        ),
    ],
    "steel_short": [
        (
            "electric_furnace",
            (1, 2),
            [(50, "50"), (75, "75"), (100, "100")],
            "t",
            "{s}t电弧炉",
            0.85,
            (0.8, 0.8, 0.8, 0.8),
        ),
        ("general", (1, 1), [(60, "60")], "万t/a", "{s}万t/a轧钢生产线", 0.15, (0.2, 0.2, 0.2, 0.2)),
    ],
    "coking": [
        (
            "coke_oven",
            (2, 4),
            [(55, "55孔4.3m"), (60, "60孔5.5m"), (65, "65孔6m"), (70, "70孔6.78m")],
            "孔",
            "{s}焦炉",
            0.9,
            (0.9, 0.9, 0.9, 0.6),
        ),
        ("general", (1, 1), [(10, "")], "万t/a", "{s}化产回收装置", 0.1, (0.1, 0.1, 0.1, 0.4)),
    ],
    "cement": [
        (
            "clinker_kiln",
            (1, 3),
            [(2500, "2500"), (4500, "4500"), (5000, "5000")],
            "t/d",
            "{s}t/d熟料生产线",
            0.80,
            (1.0, 1.0, 0.75, 1.0),
        ),
        (
            "cement_mill",
            (1, 2),
            [(60, "Φ3.2×13m"), (100, "Φ4.2×13m")],
            "万t/a",
            "{s}水泥磨",
            0.20,
            (0.0, 0.0, 0.25, 0.0),
        ),
    ],
    "glass": [
        (
            "glass_furnace",
            (1, 3),
            [(500, "500"), (600, "600"), (900, "900")],
            "t/d",
            "{s}t/d浮法玻璃生产线",
            1.0,
            (1.0, 1.0, 1.0, 1.0),
        ),
    ],
    "lime": [
        (
            "lime_kiln",
            (2, 6),
            [(150, "150"), (300, "300"), (500, "500")],
            "t/d",
            "{s}t/d石灰窑",
            1.0,
            (1.0, 1.0, 1.0, 1.0),
        ),
    ],
    "ceramics": [
        (
            "ceramic_kiln",
            (1, 4),
            [(100, "100"), (150, "150"), (200, "200")],
            "m",
            "{s}m辊道窑",
            0.85,
            (0.95, 0.95, 0.80, 0.5),
        ),
        ("general", (1, 1), [(1, "")], "套", "{s}喷雾干燥塔", 0.15, (0.05, 0.05, 0.20, 0.5)),
    ],
    "foundry": [
        (
            "casting",
            (1, 3),
            [(3, "3"), (5, "5"), (10, "10")],
            "t",
            "{s}t中频感应电炉",
            0.75,
            (0.7, 0.7, 0.6, 0.2),
        ),
        ("voc_process", (1, 1), [(1, "")], "条", "{s}涂装线", 0.25, (0.3, 0.3, 0.4, 0.8)),
    ],
    "power_chp": [
        (
            "boiler",
            (1, 3),
            [(150, "150"), (300, "300"), (350, "350")],
            "MW",
            "{s}MW燃煤热电联产机组",
            1.0,
            (1.0, 1.0, 1.0, 1.0),
        ),
    ],
}
#: The named big plants (the biggest firm of the archetype): part -> fixed line sizes (indices
#: into the part's sizes).  2 × 5,000 t/d + 1 × 2,500 t/d clinker kilns is issue 10's example.
ANCHOR_PLANTS: dict[str, dict[str, list[int]]] = {
    "cement": {"clinker_kiln": [2, 2, 0], "cement_mill": [1, 1]},
    "steel_long": {
        "sinter": [3, 2],
        "pellet": [1],
        "coke_oven": [1, 1],
        "blast_furnace": [2, 0],
        "converter": [1, 1],
    },
}
_PROCESS_ZH = {
    "sinter": "烧结机",
    "pellet": "球团",
    "coke_oven": "焦炉",
    "blast_furnace": "高炉",
    "converter": "转炉",
    "electric_furnace": "电炉",
    "clinker_kiln": "熟料线",
    "cement_mill": "水泥磨",
    "glass_furnace": "熔窑",
    "lime_kiln": "石灰窑",
    "ceramic_kiln": "窑炉",
    "boiler": "机组",
    "voc_process": "涂装线",
    "casting": "电炉",
    "general": "生产线",
}


def split_counts(weights: np.ndarray, n: int) -> np.ndarray:
    """Split ``n`` in proportion to ``weights`` (largest remainder, ties to the first)."""
    weights = np.asarray(weights, dtype=float)
    if n <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights / weights.sum() * n
    counts = np.floor(exact).astype(np.int64)
    short = n - counts.sum()
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def composition_counts(weights: np.ndarray, is_key: np.ndarray, n: int) -> np.ndarray:
    """Firms per archetype: the key-industry share of :data:`CHIFENG_2024`, then archetype weights."""
    n_key = round(n * CHIFENG_2024["key_industry"] / CHIFENG_2024["enterprises"])
    if not is_key.any():
        n_key = 0
    if is_key.all():
        n_key = n
    counts = np.zeros(len(weights), dtype=np.int64)
    counts[is_key] = split_counts(weights[is_key], n_key)
    counts[~is_key] = split_counts(weights[~is_key], n - n_key)
    return counts


def weighted_pick(
    rng: np.random.Generator, candidates: np.ndarray, weights: np.ndarray, k: int
) -> np.ndarray:
    """Mask of ``k`` firms drawn without replacement from ``candidates`` (mask) with ``weights``.

    Efraimidis–Spirakis keys: the ``k`` largest ``log(u) / w``.
    """
    n = len(candidates)
    u = rng.random(n)
    out = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(candidates & (weights > 0))
    k = min(int(k), len(idx))
    if k <= 0:
        return out
    keys = np.log(np.maximum(u[idx], 1e-300)) / weights[idx]
    out[idx[np.argpartition(-keys, k - 1)[:k]]] = True
    return out


def rank01(x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Rank of ``x`` scaled to (0, 1) among ``mask`` (NaN outside)."""
    x = np.asarray(x, dtype=float)
    mask = np.ones(len(x), dtype=bool) if mask is None else mask
    out = np.full(len(x), np.nan)
    idx = np.flatnonzero(mask)
    if len(idx):
        order = np.argsort(x[idx], kind="stable")
        r = np.empty(len(idx))
        r[order] = (np.arange(len(idx)) + 0.5) / len(idx)
        out[idx] = r
    return out


def make_lines(
    rng: np.random.Generator, codes: list[str], a_idx: np.ndarray, z: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Lines of the firms whose archetype has a recipe.

    Parameters
    ----------
    rng : numpy.random.Generator
    codes : list of str
        Archetype codes (index = archetype number).
    a_idx : numpy.ndarray
        Archetype number of each firm.
    z : numpy.ndarray
        Standardised size of each firm (bigger firms get more and bigger lines).

    Returns
    -------
    (pandas.DataFrame, numpy.ndarray, numpy.ndarray)
        Lines with columns ``firm`` (position), ``line_id``, ``process``, ``capacity``,
        ``capacity_unit``, ``output_share``, ``SO2_share`` … ``VOCs_share``, in firm then recipe
        order; per firm the number of lines (0 without lines) and the line description (None
        without lines).
    """
    n = len(a_idx)
    parts_out = []
    for code, recipe in LINE_RECIPES.items():
        if code not in codes:
            continue
        firms = np.flatnonzero(a_idx == codes.index(code))
        if not len(firms):
            continue
        anchor = firms[np.argmax(z[firms])] if code in ANCHOR_PLANTS else -1
        for p_no, (process, (lo, hi), sizes, unit, tpl, out_share, emis_share) in enumerate(recipe):
            t = np.clip(0.5 + 0.3 * z[firms] + 0.2 * rng.standard_normal(len(firms)), 0.0, 0.999)
            count = (lo + np.floor(t * (hi - lo + 1))).astype(np.int64)
            fixed = ANCHOR_PLANTS.get(code, {}).get(process)
            if fixed is not None:
                count[firms == anchor] = len(fixed)
            line_firm = np.repeat(firms, count)
            pick = np.clip(0.5 + 0.3 * z[line_firm] + 0.35 * rng.standard_normal(len(line_firm)), 0.0, 0.999)
            size_idx = np.floor(pick * len(sizes)).astype(np.int64)
            if fixed is not None and (line_firm == anchor).any():
                size_idx[line_firm == anchor] = fixed
            cap = np.array([s[0] for s in sizes], dtype=float)[size_idx]
            labels = np.array([s[1] for s in sizes], dtype=object)[size_idx]
            parts_out.append(
                pd.DataFrame(
                    {
                        "firm": line_firm,
                        "part": p_no,
                        "process": process,
                        "capacity": cap,
                        "capacity_unit": unit,
                        "label": labels,
                        "tpl": tpl,
                        "w_out": out_share,
                        **{f"w_{p}": emis_share[i] for i, p in enumerate(POLLUTANTS)},
                    }
                )
            )
    if not parts_out:
        empty = pd.DataFrame(
            columns=["firm", "line_id", "process", "capacity", "capacity_unit", "output_share"]
            + [f"{p}_share" for p in POLLUTANTS]
        )
        return empty, np.zeros(n, dtype=np.int64), np.full(n, None, dtype=object)
    lines = pd.concat(parts_out, ignore_index=True)
    lines = lines.sort_values(["firm", "part", "capacity"], ascending=[True, True, False], kind="stable")
    lines = lines.reset_index(drop=True)
    firm = lines["firm"].to_numpy()
    # within a part: share of the part in proportion to capacity; parts present rescaled to 1
    part_key = firm * 16 + lines["part"].to_numpy()
    part_cap = lines.groupby(part_key)["capacity"].transform("sum").to_numpy()
    within = lines["capacity"].to_numpy() / part_cap
    first_of_part = ~pd.Series(part_key).duplicated().to_numpy()
    out = {}
    for col, w in (("output_share", "w_out"), *((f"{p}_share", f"w_{p}") for p in POLLUTANTS)):
        part_w = lines[w].to_numpy(dtype=float)
        firm_w = np.bincount(firm, weights=np.where(first_of_part, part_w, 0.0), minlength=n)[firm]
        out[col] = np.where(firm_w > 0, part_w * within / np.where(firm_w > 0, firm_w, 1.0), 0.0)
    # a pollutant no part of the firm carries (all weights 0) follows the output shares
    for p in POLLUTANTS:
        col = f"{p}_share"
        total = np.bincount(firm, weights=out[col], minlength=n)[firm]
        out[col] = np.where(total > 0, out[col], out["output_share"])
    # round to 4 decimals, the rounding error on each firm's largest line (so shares sum to 1)
    for col in out:
        v = np.round(out[col], 4)
        err = 1.0 - np.bincount(firm, weights=v, minlength=n)
        biggest = lines.assign(_v=v).groupby("firm")["_v"].idxmax().to_numpy()
        v[biggest] = np.round(v[biggest] + err[firm[biggest]], 4)
        out[col] = v
    number = lines.groupby(["firm", "process"]).cumcount().to_numpy() + 1
    zh = lines["process"].map(_PROCESS_ZH).to_numpy(dtype=object)
    line_id = number.astype(str).astype(object) + "#" + zh
    # description: "2×5000t/d熟料生产线、1×2500t/d熟料生产线、2×Φ4.2×13m水泥磨"
    desc_key = pd.DataFrame(
        {"firm": firm, "part": lines["part"], "label": lines["label"], "tpl": lines["tpl"]}
    )
    grouped = desc_key.groupby(["firm", "part", "label"], sort=False).agg(
        k=("tpl", "size"), tpl=("tpl", "first")
    )
    grouped = grouped.reset_index()
    head = grouped["tpl"].str.partition("{s}")
    text = grouped["k"].astype(str) + "×" + head[0] + grouped["label"].astype(str) + head[2]
    # joined per firm with "、" (groups are in firm order): one reduceat over object strings
    g_firm = grouped["firm"].to_numpy()
    pieces = text.to_numpy(dtype=object)
    first = np.r_[True, g_firm[1:] != g_firm[:-1]]
    pieces = np.where(first, pieces, "、" + pieces)
    starts = np.flatnonzero(first)
    line_count = np.bincount(firm, minlength=n).astype(np.int64)
    description = np.full(n, None, dtype=object)
    description[g_firm[starts]] = np.add.reduceat(pieces, starts)
    table = pd.DataFrame(
        {
            "firm": firm,
            "line_id": line_id,
            "process": lines["process"].to_numpy(dtype=object),
            "capacity": lines["capacity"].to_numpy(),
            "capacity_unit": lines["capacity_unit"].to_numpy(dtype=object),
            **out,
        }
    )
    return table, line_count, description


def plant_cuts(
    rng: np.random.Generator, candidates: np.ndarray, emissions: np.ndarray, output_value: np.ndarray
) -> np.ndarray:
    """Plant-by-plant cuts (shares at yellow, orange, red) for part of ``candidates``; NaN elsewhere.

    :data:`PLANT_CUT_SHARE` of the candidates get one, bigger emitters more likely (the bureau
    writes measures for the firms that matter first); the menu follows the firm's tercile of
    emission intensity (t per 万元) among the candidates.
    """
    n = len(candidates)
    total = emissions.sum(axis=1)
    size_rank = np.nan_to_num(rank01(total, candidates))
    chosen = weighted_pick(rng, candidates, 0.3 + size_rank, round(PLANT_CUT_SHARE * candidates.sum()))
    intensity = total / np.maximum(output_value, 1e-9)
    tercile = np.minimum((np.nan_to_num(rank01(intensity, candidates)) * 3).astype(int), 2)
    variant = (rng.random(n) < 0.5).astype(int)
    menus = np.array([PLANT_CUT_MENUS[k] for k in ("low", "mid", "high")])  # (3, 2, 3)
    cuts = menus[tercile, variant]
    return np.where(chosen[:, None], cuts, np.nan)
