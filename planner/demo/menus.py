"""Measure menus of the demo city (``data/demo_city/menus.yaml``, :mod:`planner.policy.menus`).

Deterministic (no random numbers: the rest of the demo city is unchanged by it).  Who gets a menu:

- the :data:`N_NON_KEY` largest emitters (SO2 + NOx + PM + VOCs, t/a; ties by id) among the
  ungraded non-key firms (其他行业, control type ``general``) with at least two identical lines —
  the firms whose measures a bureau sets plant by plant (POLICY §4);
- one key-industry firm with unequal lines in ``lines.csv`` (the first C-grade foundry with a
  coating line), whose options name its lines: the bureau's 一厂一策 says *which* furnaces and the
  coating line stop.

Options of a non-key firm with ``n`` identical lines (shares given directly, a line stop removes
``k/n`` of output and of every pollutant): a 20 % load cut, stopping one line, a 40 % load cut,
stopping half the lines (rounded up), stopping everything; "nothing" only at yellow and only for
firms the list leaves to the optimizer (no 一厂一策 cut at yellow); firms emitting mostly VOCs also
get "stop the VOC process" (15 % of output, 70 % of VOCs, 10 % of PM — an assumption for
injection moulding, printing and paper coating shops) and its combination with a 30 % cut.
Every other firm of the list allows an extra load cut of up to 20 % (the rest none).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from planner import POLLUTANTS

#: Non-key firms given a menu.
N_NON_KEY = 15
#: Extra load cut allowed to every other menu firm.
EXTRA_LOAD_CUT = 0.2
#: A firm "emits mostly VOCs" when VOCs are at least this share of its tonnes.
VOC_MAJORITY = 0.5


def _non_key_menu(row, n: int, may_skip_yellow: bool, voc: bool, extra: float) -> dict:
    half = max(1, math.ceil(n / 2))
    opts = [
        {
            "id": "cut20",
            "text_zh": "限产20%（按正常产量计）",
            "text_en": "cut output by 20 %",
            "output_share": 0.2,
        },
        {
            "id": "stop1",
            "text_zh": f"停1条生产线（共{n}条）",
            "text_en": f"stop 1 of {n} lines",
            "output_share": round(1 / n, 6),
        },
        {
            "id": "cut40",
            "text_zh": "限产40%（按正常产量计）",
            "text_en": "cut output by 40 %",
            "output_share": 0.4,
        },
        {
            "id": "stop_half",
            "text_zh": f"停{half}条生产线（共{n}条）",
            "text_en": f"stop {half} of {n} lines",
            "output_share": round(half / n, 6),
        },
        {"id": "stop_all", "text_zh": "全部停产", "text_en": "stop all production", "output_share": 1.0},
    ]
    levels = {"yellow": ["cut20", "stop1"], "orange": ["stop1", "cut40"], "red": ["stop_half", "stop_all"]}
    if half == 1:  # two lines: stopping half is stopping one
        opts = [o for o in opts if o["id"] != "stop_half"]
        levels["red"] = ["stop1", "stop_all"]
    if may_skip_yellow:
        opts.insert(
            0,
            {
                "id": "none",
                "text_zh": "不采取额外措施",
                "text_en": "no measure beyond the list",
                "output_share": 0.0,
                "removal": 0.0,
            },
        )
        levels["yellow"].insert(0, "none")
    if voc:
        opts += [
            {
                "id": "stop_voc",
                "text_zh": "停涉VOCs工序",
                "text_en": "stop the VOC process",
                "output_share": 0.15,
                "removal": {"SO2": 0.0, "NOx": 0.0, "PM": 0.1, "VOCs": 0.7},
            },
            {
                "id": "stop_voc_cut30",
                "text_zh": "停涉VOCs工序并限产30%",
                "text_en": "stop the VOC process and cut output by 30 %",
                "output_share": 0.4,
                "removal": {"SO2": 0.3, "NOx": 0.3, "PM": 0.37, "VOCs": 0.79},
            },
        ]
        levels["yellow"].append("stop_voc")
        levels["orange"].append("stop_voc_cut30")
    out = {"options": opts, "levels": levels}
    if extra:
        out = {"extra_load_cut": extra, **out}
    return out


def _line_menu(eid: str, lines: pd.DataFrame) -> dict | None:
    mine = lines[lines["enterprise_id"].astype(str) == eid]
    furnaces = mine[mine["process"] == "casting"].sort_values("output_share", ascending=False, kind="stable")
    coating = mine[mine["process"] == "voc_process"]
    if len(furnaces) < 2 or coating.empty:
        return None
    big, small = str(furnaces["line_id"].iloc[0]), str(furnaces["line_id"].iloc[-1])
    coat = str(coating["line_id"].iloc[0])
    return {
        "note": "一厂一策：按生产线停产（铸造C级）",
        "options": [
            {"id": "stop_coating", "text_zh": f"停{coat}", "text_en": f"stop {coat}", "lines": [coat]},
            {"id": "stop_small", "lines": [small, coat]},
            {"id": "stop_big", "lines": [big, coat]},
            {
                "id": "stop_all",
                "text_zh": "全部停产",
                "text_en": "stop all production",
                "processes": ["casting", "voc_process"],
            },
        ],
        "levels": {
            "yellow": ["stop_coating", "stop_small"],
            "orange": ["stop_small", "stop_big"],
            "red": ["stop_big", "stop_all"],
        },
    }


def make_menus(inventory: pd.DataFrame, lines: pd.DataFrame | None) -> dict:
    """The demo menus document (see the module docstring).

    Parameters
    ----------
    inventory : DataFrame
        The demo list (``enterprises.csv`` columns).
    lines : DataFrame or None
        The demo lines table.

    Returns
    -------
    dict
        ``{source, notes, lines, firms}`` ready for YAML.
    """
    inv = inventory.reset_index(drop=True) if "enterprise_id" in inventory else inventory.reset_index()
    ids = inv["enterprise_id"].astype(str).to_numpy()
    emis = inv[list(POLLUTANTS)].apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(float)
    n_lines = pd.to_numeric(inv["line_count"], errors="coerce").fillna(1).to_numpy(int)
    with_lines = set() if lines is None else set(lines["enterprise_id"].astype(str))
    # a hash lookup (np.isin on object arrays of strings took minutes for 300,000 firms)
    in_lines = pd.Index(ids).isin(list(with_lines))
    cand = (
        (inv["industry"].astype(str) == "other").to_numpy()
        & (inv["grade"].astype(str) == "ungraded").to_numpy()
        & (inv["control_type"].astype(str) == "general").to_numpy()
        & (n_lines >= 2)
        & ~in_lines
    )
    total = emis.sum(axis=1)
    # the candidates by descending emissions, ties by id (a stable sort of the candidates only)
    idx = np.flatnonzero(cand)
    order = idx[np.lexsort((ids[idx], -total[idx]))]
    chosen = sorted(order[:N_NON_KEY].tolist(), key=lambda i: ids[i])
    yellow_cut = (
        pd.to_numeric(inv.get("plant_cut_yellow"), errors="coerce") if "plant_cut_yellow" in inv else None
    )
    firms: dict[str, dict] = {}
    for k, i in enumerate(chosen):
        skip = yellow_cut is None or not np.isfinite(yellow_cut.iloc[i])
        voc = total[i] > 0 and emis[i, POLLUTANTS.index("VOCs")] >= VOC_MAJORITY * total[i]
        firms[ids[i]] = _non_key_menu(
            inv.iloc[i], int(n_lines[i]), bool(skip), bool(voc), EXTRA_LOAD_CUT if k % 2 == 0 else 0.0
        )
    if lines is not None:
        # only the firms with lines are looked up
        grade = dict(zip(ids[in_lines], inv["grade"].astype(str).to_numpy()[in_lines], strict=True))
        industry = dict(zip(ids[in_lines], inv["industry"].astype(str).to_numpy()[in_lines], strict=True))
        for eid in sorted(with_lines):
            if industry.get(eid) == "foundry" and grade.get(eid) == "C":
                menu = _line_menu(eid, lines)
                if menu is not None:
                    firms[eid] = menu
                    break
    return {
        "source": "示范市重污染天气应急减排一厂一策措施菜单（合成数据，planner demo-data 生成）",
        "notes": (
            "Synthetic. Non-key firms: the largest emitters among ungraded 其他行业 firms with two or more "
            "lines; one C-grade foundry whose options name its lines in lines.csv. See planner.demo.menus."
        ),
        "lines": "lines.csv",
        "firms": firms,
    }


def write_demo_menus(inventory: pd.DataFrame, lines: pd.DataFrame | None, out_dir: str | Path) -> Path:
    """Write ``menus.yaml`` into ``out_dir`` (same inputs, same bytes)."""
    doc = make_menus(inventory, lines)
    path = Path(out_dir) / "menus.yaml"
    header = "# Measure menus of the demo city, generated by `planner demo-data` (do not edit by hand).\n"
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110)
    path.write_bytes((header + body).encode("utf-8"))
    return path
