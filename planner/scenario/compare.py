"""Compare solved scenarios side by side (``planner compare S1 S2 [S3 …]``).

For each scenario: status, total output loss, loss by industry / county / grade / slot, the
reductions against the targets per pollutant and slot, the number of firms curtailed; and across
scenarios the **enterprises whose obligations changed** (curtailment or measure text, per slot).

JSON contract (``planner compare --format json``; stable — new keys may be added, none removed)
-------------------------------------------------------------------------------------------------
::

    {
      "scenarios": [                      # in the order given on the command line
        {
          "name": str,                    # scenario name (summary.json "scenario")
          "file": str,                    # scenario file path, as given
          "mode": "list" | "episode",
          "status": "optimal" | "infeasible" | "time_limit" | "error",
          "objective": float | null,      # total output loss (万元), as summary.json "objective"
          "baselines": {"rules_only": float|null, "uniform": float|null, "greedy": float|null},
          "enterprises": int,             # firms on the list
          "curtailed_enterprises": int,   # firms with a curtailment > 0 in some slot
          "above_floor_enterprises": int, # firms the optimizer cuts beyond their rule floor somewhere
          "loss_by_slot": {slot: float},       # 万元 over the days each slot stands for
          "loss_by_industry": {industry: float},
          "loss_by_county": {county: float},
          "loss_by_grade": {grade: float},     # grade after the scenario's overrides
          "slots": [
            {"slot": str, "level": str,
             "targets": {P: t/d}, "achieved": {P: t/d}, "shortfall": {P: t/d},
             "achieved_share": {P: achieved / target or null}}  # P = SO2, NOx, PM, VOCs
          ]
        }, ...
      ],
      "changes": [                        # every scenario i ≥ 2 against the first one
        {
          "enterprise_id": str, "name": str, "slot": str, "level": str,
          "from": str, "to": str,         # scenario names (reference first, then the other)
          "from_index": 0, "to_index": int,  # positions in "scenarios"
          "before": {"curtailment": float, "floor": float, "output_loss": float,
                     "measure_type": str, "measure_text_zh": str} | null,  # null: firm/slot absent
          "after":  {... same keys ...} | null,
          "delta_curtailment": float | null, "delta_loss": float | null
        }, ...
      ],
      "changes_by_pair": [{"from": str, "to": str, "enterprises": int, "rows": int,
                           "delta_objective": float | null}]
    }

A scenario path may end in ``@uniform``, ``@greedy`` or ``@rules_only`` to compare that baseline's
plan of the scenario (e.g. the uniform cut 一刀切 against the optimised list); its name is then
``<scenario>@<method>`` and its status ``optimal`` means that the baseline plan meets every target.

A change is a firm × slot whose curtailment differs by more than :data:`TOLERANCE`, or whose
measure text (ignoring its level prefix such as ``橙色预警：``) or rule floor differs; a slot only
one scenario has (e.g. another forecast day) is a change where that scenario asks for a cut.  Changes are sorted by scenario pair, then by the absolute
change in loss (largest first).  All numbers are plain floats (JSON has no NaN: missing → null).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from planner import POLLUTANTS
from planner.io.numbers import finite_or_none
from planner.optimize.baselines import METHODS as BASELINE_METHODS

__all__ = [
    "BASELINE_METHODS",
    "TOLERANCE",
    "baseline_result",
    "compare_files",
    "compare_results",
    "obligation_changes",
    "scenario_report",
    "split_method",
    "to_json",
    "to_text",
    "write_outputs",
    "write_xlsx",
]

#: Curtailment differences below this are not changes.
TOLERANCE = 1e-6
_OBLIGATION = ("curtailment", "floor", "output_loss", "measure_type", "measure_text_zh")
_LEVEL_PREFIX = r"^\s*(?:黄色|橙色|红色)预警[：:]\s*"


def _group_loss(schedule: pd.DataFrame, table: pd.DataFrame, column: str) -> dict[str, float]:
    if column not in table.columns:
        return {}
    keys = schedule["enterprise_id"].astype(str).map(table[column].astype(str).to_dict())
    s = schedule["output_loss"].astype(float).groupby(keys.to_numpy()).sum()
    s = s[s.abs() > 0].sort_values(ascending=False)
    return {str(k): float(v) for k, v in s.items()}


def scenario_report(result, file: str | Path | None = None) -> dict:
    """One scenario's entry of the comparison document (see the module docstring).

    Parameters
    ----------
    result : planner.scenario.run.PlanResult
        A solved scenario (uses ``.summary``, ``.schedule`` and ``.prepared.table``).
    file : str or Path, optional
        The scenario file as the user gave it (default: the scenario's resolved path).
    """
    summary = result.summary
    schedule = result.schedule
    table = result.prepared.table.copy()
    table.index = table.index.astype(str)
    x = schedule["curtailment"].astype(float)
    above = schedule.loc[x > schedule["floor"].astype(float) + TOLERANCE, "enterprise_id"].nunique()
    loss_by_slot = (
        schedule["output_loss"]
        .astype(float)
        .groupby(schedule["slot"].astype(str).to_numpy(), sort=False)
        .sum()
    )
    slots = []
    for s in summary["slots"]:
        share = {}
        for p in POLLUTANTS:
            t = finite_or_none(s["targets"].get(p))
            a = finite_or_none(s["achieved"].get(p))
            share[p] = (a / t) if (t and a is not None) else None
        slots.append(
            {
                "slot": str(s["slot"]),
                "level": str(s["level"]),
                "targets": {p: finite_or_none(s["targets"].get(p)) for p in POLLUTANTS},
                "achieved": {p: finite_or_none(s["achieved"].get(p)) for p in POLLUTANTS},
                "shortfall": {p: finite_or_none(s["shortfall"].get(p)) for p in POLLUTANTS},
                "achieved_share": share,
            }
        )
    scen = result.scenario
    return {
        "name": str(summary.get("scenario") or scen.name),
        "file": str(file if file is not None else scen.file),
        "mode": str(summary.get("mode") or scen.mode),
        "status": str(summary["status"]),
        "objective": finite_or_none(summary.get("objective")),
        "baselines": {k: finite_or_none(v) for k, v in (summary.get("baselines") or {}).items()},
        "enterprises": int(summary.get("enterprises", len(table))),
        "curtailed_enterprises": int(
            summary.get("curtailed_enterprises", schedule.loc[x > TOLERANCE, "enterprise_id"].nunique())
        ),
        "above_floor_enterprises": int(above),
        "loss_by_slot": {str(k): float(v) for k, v in loss_by_slot.items()},
        "loss_by_industry": _group_loss(schedule, table, "industry"),
        "loss_by_county": _group_loss(schedule, table, "county"),
        "loss_by_grade": _group_loss(schedule, table, "grade"),
        "slots": slots,
    }


def _obligations(schedule: pd.DataFrame) -> pd.DataFrame:
    df = schedule.copy()
    df["enterprise_id"] = df["enterprise_id"].astype(str)
    df["slot"] = df["slot"].astype(str)
    agg = {
        "name": "first",
        "level": "first",
        "curtailment": "mean",
        "floor": "mean",
        "output_loss": "sum",
        "measure_type": "first",
        "measure_text_zh": "first",
    }
    agg = {k: v for k, v in agg.items() if k in df.columns}
    # one row per firm × slot even if a schedule lists lines separately
    return df.groupby(["enterprise_id", "slot"], sort=False).agg(agg)


def obligation_changes(
    ref, other, ref_name: str, other_name: str, to_index: int = 1, tol: float = TOLERANCE
) -> list[dict]:
    """Enterprises × slots whose obligation differs between two solved scenarios.

    Parameters
    ----------
    ref, other : planner.scenario.run.PlanResult
        The reference ("before") and the other ("after") scenario.
    ref_name, other_name : str
    to_index : int
        Position of ``other`` in the comparison (for the JSON ``to_index``).
    tol : float
        Curtailment differences at or below this are ignored.

    Returns
    -------
    list of dict
        Entries as in the module docstring, largest absolute change in loss first.
    """
    a = _obligations(ref.schedule)
    b = _obligations(other.schedule)
    joined = a.add_suffix("_a").join(b.add_suffix("_b"), how="outer")
    xa = joined["curtailment_a"].astype(float)
    xb = joined["curtailment_b"].astype(float)
    # a slot only one scenario has (another forecast day) matters where that side asks for a cut
    missing = (xa.isna() & (xb > tol)) | (xb.isna() & (xa > tol))
    diff = (xa - xb).abs() > tol

    def _text(col):
        # the same measure announced at another level ("黄色预警：…" vs "橙色预警：…") is no change
        t = joined[col].astype(object).where(joined[col].notna(), "").astype(str)
        return t.str.replace(_LEVEL_PREFIX, "", regex=True)

    text_diff = pd.Series(False, index=joined.index)
    if "measure_text_zh_a" in joined:
        text_diff = _text("measure_text_zh_a") != _text("measure_text_zh_b")
    floor_diff = (joined["floor_a"].astype(float) - joined["floor_b"].astype(float)).abs() > tol
    both = xa.notna() & xb.notna()
    changed = joined[missing | (both & (diff | text_diff | floor_diff.fillna(False)))]
    out = []
    for (eid, slot), row in changed.iterrows():
        sides = {}
        for tag in ("a", "b"):
            if pd.isna(row.get(f"curtailment_{tag}")):
                sides[tag] = None
                continue
            sides[tag] = {
                "curtailment": finite_or_none(row[f"curtailment_{tag}"]),
                "floor": finite_or_none(row.get(f"floor_{tag}")),
                "output_loss": finite_or_none(row.get(f"output_loss_{tag}")),
                "measure_type": None
                if pd.isna(row.get(f"measure_type_{tag}"))
                else str(row.get(f"measure_type_{tag}")),
                "measure_text_zh": None
                if pd.isna(row.get(f"measure_text_zh_{tag}"))
                else str(row.get(f"measure_text_zh_{tag}")),
            }
        name = row.get("name_a") if not pd.isna(row.get("name_a")) else row.get("name_b")
        level = row.get("level_a") if not pd.isna(row.get("level_a")) else row.get("level_b")
        before, after = sides["a"], sides["b"]
        both = before is not None and after is not None
        out.append(
            {
                "enterprise_id": str(eid),
                "name": None if pd.isna(name) else str(name),
                "slot": str(slot),
                "level": None if pd.isna(level) else str(level),
                "from": ref_name,
                "to": other_name,
                "from_index": 0,
                "to_index": int(to_index),
                "before": before,
                "after": after,
                "delta_curtailment": (after["curtailment"] - before["curtailment"]) if both else None,
                "delta_loss": (after["output_loss"] - before["output_loss"]) if both else None,
            }
        )
    out.sort(key=lambda c: -abs(c["delta_loss"]) if c["delta_loss"] is not None else -math.inf)
    return out


def compare_results(results: Sequence, files: Sequence[str | Path] | None = None) -> dict:
    """The comparison document of solved scenarios, in the given order (see module docstring).

    Parameters
    ----------
    results : sequence of planner.scenario.run.PlanResult
        At least one; the first is the reference for ``changes``.
    files : sequence of str or Path, optional
        The files as the user named them (default: each scenario's resolved path).
    """
    if not results:
        raise ValueError("nothing to compare")
    files = list(files) if files is not None else [None] * len(results)
    reports = [scenario_report(r, f) for r, f in zip(results, files, strict=True)]
    changes, pairs = [], []
    for i in range(1, len(results)):
        ch = obligation_changes(results[0], results[i], reports[0]["name"], reports[i]["name"], to_index=i)
        changes.extend(ch)
        o0, oi = reports[0]["objective"], reports[i]["objective"]
        pairs.append(
            {
                "from": reports[0]["name"],
                "to": reports[i]["name"],
                "enterprises": len({c["enterprise_id"] for c in ch}),
                "rows": len(ch),
                "delta_objective": (oi - o0) if (o0 is not None and oi is not None) else None,
            }
        )
    return {"scenarios": reports, "changes": changes, "changes_by_pair": pairs}


#: Baseline plans a scenario path may name with a suffix, e.g. ``demo_list.yaml@uniform``.


def split_method(path: str | Path) -> tuple[str, str | None]:
    """``"s.yaml@uniform"`` → ``("s.yaml", "uniform")``; a path without a known suffix is unchanged."""
    text = str(path)
    head, sep, tail = text.rpartition("@")
    if sep and tail in BASELINE_METHODS:
        return head, tail
    return text, None


def baseline_result(result, method: str):
    """A solved scenario's baseline plan (uniform cut 一刀切, greedy, rules only) as a PlanResult.

    The baseline is computed on the scenario's own PlanInputs (:mod:`planner.optimize.baselines`); when it
    cannot meet the targets (uniform/greedy give up, or the floors alone fall short) the result's
    status is ``"infeasible"`` and its plan is every firm at its (chain-propagated) ceiling for
    uniform/greedy, at its floor for rules_only.  Its name is ``<scenario>@<method>``.
    """
    from planner.optimize.baselines import baseline_plan
    from planner.scenario.run import PlanResult, schedule_table, summary_dict

    if method not in BASELINE_METHODS:
        raise ValueError(f"unknown baseline {method!r}; one of {', '.join(BASELINE_METHODS)}")
    prepared = result.prepared
    plan = baseline_plan(prepared.inputs, method, prepared.scenario.name)
    schedule = schedule_table(prepared, plan)
    summary = summary_dict(prepared, plan, result.baselines)
    summary["scenario"] = f"{prepared.scenario.name}@{method}"
    # "optimal" here means the baseline plan meets every target (it is not a minimum-loss plan)
    return PlanResult(prepared, plan, result.baselines, schedule, summary)


def compare_files(paths: Sequence[str | Path]) -> tuple[dict, list]:
    """Solve each scenario file and compare them.

    A path may end in ``@uniform``, ``@greedy`` or ``@rules_only`` to take that baseline's plan of
    the scenario instead of the optimised one (:func:`baseline_result`); a scenario named twice is
    solved once.

    Returns
    -------
    (dict, list of PlanResult)
        The comparison document and the solved scenarios.
    """
    from planner.scenario.run import run

    solved: dict[str, object] = {}
    results = []
    for p in paths:
        file, method = split_method(p)
        key = str(Path(file).resolve())
        if key not in solved:
            solved[key] = run(file)
        results.append(solved[key] if method is None else baseline_result(solved[key], method))
    return compare_results(results, [str(p) for p in paths]), results


# --------------------------------------------------------------------------- output
def _fmt(v, spec=",.1f") -> str:
    return "—" if v is None else format(v, spec)


def to_text(doc: dict, max_changes: int = 40) -> str:
    """A side-by-side text report of a comparison document."""
    sc = doc["scenarios"]
    w = max(14, *(len(s["name"]) + 2 for s in sc))
    head = f"{'':<30}" + "".join(f"{s['name']:>{w}}" for s in sc)
    lines = [head, "-" * len(head)]

    def row(label, values):
        lines.append(f"{label:<30}" + "".join(f"{v:>{w}}" for v in values))

    row("status", [s["status"] for s in sc])
    row("total output loss (万元)", [_fmt(s["objective"]) for s in sc])
    for b in ("rules_only", "uniform", "greedy"):
        row(f"  baseline {b}", [_fmt(s["baselines"].get(b)) for s in sc])
    row("firms curtailed", [str(s["curtailed_enterprises"]) for s in sc])
    row("firms cut beyond floor", [str(s["above_floor_enterprises"]) for s in sc])
    for key, label in (
        ("loss_by_slot", "slot"),
        ("loss_by_grade", "grade"),
        ("loss_by_county", "county"),
        ("loss_by_industry", "industry"),
    ):
        keys = list(dict.fromkeys(k for s in sc for k in s[key]))
        if key == "loss_by_industry":
            total = {k: sum(s[key].get(k, 0.0) for s in sc) for k in keys}
            keys = sorted(keys, key=lambda k: -total[k])[:12]
        lines.append(f"loss by {label} (万元)")
        for k in keys:
            row(f"  {k}", [_fmt(s[key].get(k, 0.0)) for s in sc])
    slot_keys = list(dict.fromkeys((x["slot"], x["level"]) for s in sc for x in s["slots"]))
    lines.append("achieved / target per slot and pollutant (%)")
    for slot, level in slot_keys:
        for p in POLLUTANTS:
            vals = []
            for s in sc:
                m = next((x for x in s["slots"] if x["slot"] == slot), None)
                v = None if m is None else m["achieved_share"][p]
                vals.append("—" if v is None else f"{100 * v:.1f}")
            row(f"  {slot} ({level}) {p}", vals)
    for pair in doc.get("changes_by_pair", []):
        lines.append(
            f"{pair['from']} → {pair['to']}: {pair['enterprises']} enterprise(s) with changed obligations "
            f"({pair['rows']} firm×slot rows), Δloss {_fmt(pair['delta_objective'], '+,.1f')} 万元"
        )
    for c in doc["changes"][:max_changes]:
        b, a = c["before"], c["after"]
        bx = "absent" if b is None else f"{100 * b['curtailment']:.1f}% {b['measure_text_zh'] or ''}"
        ax = "absent" if a is None else f"{100 * a['curtailment']:.1f}% {a['measure_text_zh'] or ''}"
        lines.append(f"  [{c['to']}] {c['enterprise_id']} {c['name'] or ''} {c['slot']}: {bx} → {ax}")
    if len(doc["changes"]) > max_changes:
        lines.append(f"  … and {len(doc['changes']) - max_changes} more (see --format json or xlsx)")
    return "\n".join(lines)


def _side_by_side(doc: dict) -> pd.DataFrame:
    sc = doc["scenarios"]
    rows = [
        ("文件 file", [s["file"] for s in sc]),
        ("状态 status", [s["status"] for s in sc]),
        ("产值损失（万元） output loss", [s["objective"] for s in sc]),
    ]
    for b in ("rules_only", "uniform", "greedy"):
        rows.append((f"基准 baseline {b}", [s["baselines"].get(b) for s in sc]))
    rows.append(("需减产企业数 firms curtailed", [s["curtailed_enterprises"] for s in sc]))
    rows.append(("超出下限企业数 cut beyond floor", [s["above_floor_enterprises"] for s in sc]))
    return pd.DataFrame(
        [[label, *vals] for label, vals in rows], columns=["项目 item", *[s["name"] for s in sc]]
    )


def _loss_sheet(doc: dict, key: str) -> pd.DataFrame:
    sc = doc["scenarios"]
    keys = list(dict.fromkeys(k for s in sc for k in s[key]))
    return pd.DataFrame(
        [[k, *[s[key].get(k, 0.0) for s in sc]] for k in keys],
        columns=["分组 group", *[s["name"] for s in sc]],
    )


def _targets_sheet(doc: dict) -> pd.DataFrame:
    rows = []
    for s in doc["scenarios"]:
        for x in s["slots"]:
            for p in POLLUTANTS:
                rows.append(
                    {
                        "情景 scenario": s["name"],
                        "时段 slot": x["slot"],
                        "级别 level": x["level"],
                        "污染物 pollutant": p,
                        "目标（吨/日）": x["targets"][p],
                        "实现（吨/日）": x["achieved"][p],
                        "缺口（吨/日）": x["shortfall"][p],
                        "完成率": x["achieved_share"][p],
                    }
                )
    return pd.DataFrame(rows)


def _changes_sheet(doc: dict) -> pd.DataFrame:
    rows = []
    for c in doc["changes"]:
        b, a = c["before"] or {}, c["after"] or {}
        rows.append(
            {
                "对照 from": c["from"],
                "情景 to": c["to"],
                "企业编号": c["enterprise_id"],
                "企业名称": c["name"],
                "时段 slot": c["slot"],
                "级别 level": c["level"],
                "原削减比例": b.get("curtailment"),
                "新削减比例": a.get("curtailment"),
                "原措施": b.get("measure_text_zh"),
                "新措施": a.get("measure_text_zh"),
                "原损失（万元）": b.get("output_loss"),
                "新损失（万元）": a.get("output_loss"),
                "损失变化（万元）": c["delta_loss"],
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "对照 from",
            "情景 to",
            "企业编号",
            "企业名称",
            "时段 slot",
            "级别 level",
            "原削减比例",
            "新削减比例",
            "原措施",
            "新措施",
            "原损失（万元）",
            "新损失（万元）",
            "损失变化（万元）",
        ],
    )


def write_xlsx(doc: dict, path: str | Path) -> Path:
    """Write the comparison as a workbook: 对比, 按行业, 按区县, 按绩效等级, 目标达成, 变化企业.

    Streamed (:mod:`planner.io.writing`); names and other texts that a spreadsheet would
    run as formulas stay text.
    """
    from planner.io.writing import SheetWriter, new_workbook

    path = Path(path)
    sheets = (
        ("对比", _side_by_side(doc), 30),
        ("按行业", _loss_sheet(doc, "loss_by_industry"), 20),
        ("按区县", _loss_sheet(doc, "loss_by_county"), 20),
        ("按绩效等级", _loss_sheet(doc, "loss_by_grade"), 20),
        ("目标达成", _targets_sheet(doc), 16),
        ("变化企业", _changes_sheet(doc), 16),
    )
    wb = new_workbook(path)
    try:
        for name, frame, width in sheets:
            ws = wb.add_worksheet(name)
            w = SheetWriter(wb, ws)
            w.frame(frame, 0, header_format=w.format(bold=True, border=1, align="center", text_wrap=True))
            ws.set_column(0, 0, width)
            if len(frame.columns) > 1:
                ws.set_column(1, len(frame.columns) - 1, 16)
            ws.freeze_panes(1, 1)
    finally:
        wb.close()
    return path


def to_json(doc: dict) -> str:
    """The JSON text of a comparison document (UTF-8, Chinese kept readable)."""
    return json.dumps(doc, ensure_ascii=False, indent=2, default=_json_default)


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def write_outputs(doc: dict, out_dir: str | Path) -> dict[str, Path]:
    """Write ``compare.json``, ``compare.txt`` and ``compare.xlsx`` into ``out_dir``.

    The files are written into a temporary folder beside ``out_dir`` and moved into place together
    (:func:`planner.io.writing.staged_output`): a failure leaves ``out_dir`` as it was.
    """
    from planner.io.writing import staged_output

    out = Path(out_dir)
    names = {"json": "compare.json", "text": "compare.txt", "xlsx": "compare.xlsx"}
    with staged_output(out) as stage:
        (stage / names["json"]).write_text(to_json(doc), encoding="utf-8")
        (stage / names["text"]).write_text(to_text(doc, max_changes=10**9), encoding="utf-8")
        write_xlsx(doc, stage / names["xlsx"])
    return {key: out / name for key, name in names.items()}
