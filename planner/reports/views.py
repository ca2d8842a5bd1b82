"""Tables for people: the plan workbook written by ``planner plan``.

The bureau's Chinese-layout emergency list and the per-enterprise 一厂一策 sheets live in
:mod:`planner.reports.export`; this module holds the plan's own workbook (summary, targets per slot, the
schedule) with Chinese headers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner import POLLUTANTS
from planner.io.numbers import finite_or_none  # noqa: F401 - re-exported for the views
from planner.policy.vocabulary import ALERT_ZH, LEVEL_ZH, POLLUTANT_ZH  # noqa: F401 - re-exported

STATUS_ZH = {"optimal": "最优", "infeasible": "无法达标", "time_limit": "超时", "error": "出错"}
REASON_ZH = {
    "floor": "规则下限",
    "optimizer": "优化追加",
    "exempt": "豁免/不减",
    "self_directed": "自主减排",
    "menu": "措施菜单",
}

SCHEDULE_HEADERS_ZH = {
    "enterprise_id": "企业编号",
    "name": "企业名称",
    "line_id": "生产线",
    "slot": "时段",
    "level": "预警级别",
    "floor": "规则下限",
    "ceiling": "技术上限",
    "curtailment": "削减比例",
    "output_loss": "产值损失（万元）",
    "loss_at_full": "全停损失（万元）",
    "reason": "依据",
    "measure_type": "措施类型",
    "measure_text_zh": "措施",
    "measure_text_en": "措施（英文）",
    "delta_pm25_city": "全市PM2.5改善（微克/立方米）",
    "menu_option": "菜单选项",
    **{f"reduction_{p}": f"{POLLUTANT_ZH[p]}减排量（吨/日）" for p in POLLUTANTS},
    **{f"reducible_{p}": f"{POLLUTANT_ZH[p]}可减量（吨/日）" for p in POLLUTANTS},
}


def slot_table(summary: dict) -> pd.DataFrame:
    """Targets, credited, achieved and shortfall per slot and pollutant, one row per slot × pollutant."""
    rows = []
    for s in summary["slots"]:
        for p in POLLUTANTS:
            target = s["targets"][p]
            rows.append(
                {
                    "slot": s["slot"],
                    "level": s["level"],
                    "pollutant": p,
                    "target": target,
                    "credited": s["credited"][p],
                    "achieved": s["achieved"][p],
                    "shortfall": s["shortfall"][p],
                    "achieved_share_of_target": (
                        s["achieved"][p] / target if target > 0 and s["achieved"][p] is not None else None
                    ),
                    "dual": (s["duals"] or {}).get(p) if s.get("duals") else None,
                }
            )
    return pd.DataFrame(rows)


def firm_totals(result) -> pd.DataFrame:
    """Per-firm totals of a plan (Chinese headers): one row per enterprise over all slots.

    Reductions are tonnes over the days each slot stands for (``reduction_P × days``); the loss is
    the schedule's ``output_loss`` summed (万元).
    """
    sched = result.schedule
    inp = result.prepared.inputs
    days = pd.Series(inp["days"].to_numpy().astype(float), index=inp["slot"].to_numpy().astype(str))
    slot_codes, slots = pd.factorize(sched["slot"].astype(str))
    d = days.reindex(slots.astype(str)).fillna(0.0).to_numpy(dtype=float)[slot_codes]
    d[slot_codes < 0] = 0.0
    # firms as integer codes in order of first appearance (groupby's sort=False order), missing ids
    # dropped as groupby drops them: grouping integers is many times faster than grouping texts
    firm, ids = pd.factorize(sched["enterprise_id"].astype(str))
    keep = firm >= 0
    x = sched["curtailment"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "name": sched.get("name", ""),
            "curtailment": x,
            "cut": (x > 1e-9).astype(int),
            "output_loss": sched["output_loss"].to_numpy(dtype=float),
            **{p: sched[f"reduction_{p}"].to_numpy(dtype=float) * d for p in POLLUTANTS},
        },
        index=sched.index,
    )
    if not keep.all():
        frame, firm = frame[keep], firm[keep]
    g = frame.groupby(firm, sort=True)
    out = pd.DataFrame(
        {
            "企业编号": ids.to_numpy(),
            "企业名称": g["name"].first().to_numpy(),
            "最大削减比例": g["curtailment"].max().to_numpy(),
            "需减产时段数": g["cut"].sum().to_numpy(),
            "产值损失合计（万元）": g["output_loss"].sum().to_numpy(),
            **{f"{POLLUTANT_ZH[p]}减排量合计（吨）": g[p].sum().to_numpy() for p in POLLUTANTS},
        }
    )
    return out


#: Names of the baselines in the workbooks.
BASELINE_ZH = {
    "rules_only": "仅按规则",
    "uniform": "一刀切",
    "greedy": "贪心排序",
    "same_share": "各企业同比例",
    "equal_tonnes": "各企业等量减排",
}
MODE_ZH = {"list": "清单编制（按预警级别）", "episode": "应急响应（按预报逐日）"}

#: Schedule rows above which ``plan.xlsx`` leaves the schedule out (企业措施, and an episode's
#: 停限产时间表 and 逐日减排): the workbook then holds 概要 (which says so), 目标 and 企业汇总, and the
#: schedule is only in ``schedule.csv`` / ``schedule.parquet``.  Excel's hard limit is 1,048,575
#: rows (:data:`planner.io.writing.EXCEL_MAX_ROWS`), but a sheet of a few hundred thousand rows of
#: 33–37 columns is a workbook of 50–200 MB that an office PC opens in minutes, if at all, and that
#: takes longer to write than the plan takes to solve (900,000 rows: 215 MB, ~65 s); 100,000 rows
#: (about 24 MB, e.g. 33,000 firms × 3 list levels or 14,000 firms × a 7-day episode) still opens
#: and filters in seconds.
SCHEDULE_SHEET_MAX_ROWS = 100_000


def _overview(summary: dict, schedule_rows: int, max_rows: int) -> pd.DataFrame:
    """Sheet 概要: Chinese labels and values (an absent baseline or gap says why)."""
    gap = summary.get("gap")
    rows = [
        ("情景", summary["scenario"]),
        ("模式", MODE_ZH.get(summary["mode"], summary["mode"])),
        ("求解状态", STATUS_ZH.get(summary["status"], summary["status"])),
        ("产值损失合计（万元）", summary["objective"]),
        *[
            (f"对照方案损失（万元）：{BASELINE_ZH.get(k, k)}", "—（该方案无法达标）" if v is None else v)
            for k, v in summary["baselines"].items()
        ],
        ("求解器", summary["solver"]),
        ("相对最优间隙", "—（求解器未报告）" if gap is None or gap != gap else gap),
        ("清单企业数", summary["enterprises"]),
        ("需减产企业数", summary["curtailed_enterprises"]),
    ]
    if schedule_rows > max_rows:
        rows.append(
            (
                "企业措施",
                f"共 {schedule_rows:,} 行，超过本工作簿可容纳的 {max_rows:,} 行，本工作簿只含概要、目标和企业汇总；"
                "逐企业逐时段措施见 schedule.csv（或 schedule.parquet）。",
            )
        )
    return pd.DataFrame(rows, columns=["项目", "内容"])


def _targets(summary: dict) -> pd.DataFrame:
    return slot_table(summary).rename(
        columns={
            "slot": "时段",
            "level": "预警级别",
            "pollutant": "污染物",
            "target": "目标（吨/日）",
            "credited": "非工业措施（吨/日）",
            "achieved": "实现（吨/日）",
            "shortfall": "缺口（吨/日）",
            "achieved_share_of_target": "完成率",
            "dual": "边际损失（万元/吨）",
        }
    )


def plan_workbook(result, path: str | Path, max_rows: int | None = None) -> Path:
    """Write ``plan.xlsx``.

    Sheets 概要 (summary), 目标 (targets per slot), 企业措施 (schedule), 企业汇总 (per firm), and for an episode 停限产时间表
    (which firms stop or cut on which days, by level) and 逐日减排 (required vs achieved tonnes per day;
    :mod:`planner.reports.timeline`).

    Written with a streaming writer (:mod:`planner.io.writing`).  When the schedule has more
    rows than ``max_rows`` (default :data:`SCHEDULE_SHEET_MAX_ROWS`, 100,000; at most Excel's
    1,048,575), 企业措施 (and an episode's 停限产时间表 and 逐日减排) is left out and 概要 says so:
    the schedule is then only in ``schedule.csv`` / ``schedule.parquet``.
    """
    from planner.io.writing import EXCEL_MAX_ROWS, SheetWriter, new_workbook

    max_rows = min(SCHEDULE_SHEET_MAX_ROWS if max_rows is None else int(max_rows), EXCEL_MAX_ROWS)
    summary = result.summary
    n = len(result.schedule)
    path = Path(path)
    wb = new_workbook(path)
    try:
        head = {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
        for name, frame in (("概要", _overview(summary, n, max_rows)), ("目标", _targets(summary))):
            ws = wb.add_worksheet(name)
            w = SheetWriter(wb, ws)
            w.frame(frame, 0, header_format=w.format(**head))
            ws.set_column(0, 0, 28 if name == "概要" else 12)
            ws.set_column(1, len(frame.columns) - 1, 16 if name == "目标" else 40)
        if n <= max_rows:
            schedule = result.schedule.copy()
            schedule["level"] = schedule["level"].map(LEVEL_ZH).fillna(schedule["level"])
            schedule["reason"] = schedule["reason"].map(REASON_ZH).fillna(schedule["reason"])
            schedule = schedule.rename(columns=SCHEDULE_HEADERS_ZH)
            ws = wb.add_worksheet("企业措施")
            w = SheetWriter(wb, ws)
            w.frame(schedule, 0, header_format=w.format(**head))
            ws.freeze_panes(1, 2)
        totals = firm_totals(result)
        ws = wb.add_worksheet("企业汇总")
        w = SheetWriter(wb, ws)
        w.frame(totals, 0, header_format=w.format(**head))
        ws.set_column(1, 1, 28)
        ws.set_column(2, len(totals.columns) - 1, 14)
        ws.freeze_panes(1, 2)
        if summary.get("mode") == "episode" and n <= max_rows:
            from planner.reports.timeline import write_timeline_sheets

            write_timeline_sheets(wb, result.schedule, summary, head)  # 停限产时间表, 逐日减排
    finally:
        wb.close()
    return path
