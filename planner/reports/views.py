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
REASON_ZH = {"floor": "规则下限", "optimizer": "优化追加", "exempt": "豁免/不减", "self_directed": "自主减排"}

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
                    "achieved_share_of_target": (s["achieved"][p] / target) if target > 0 else None,
                    "dual": (s["duals"] or {}).get(p) if s.get("duals") else None,
                }
            )
    return pd.DataFrame(rows)


def plan_workbook(result, path: str | Path) -> Path:
    """Write ``plan.xlsx``: 概要 (summary), 目标 (targets per slot), 企业措施 (schedule)."""
    summary = result.summary
    overview = pd.DataFrame(
        [
            ("情景 scenario", summary["scenario"]),
            ("模式 mode", summary["mode"]),
            ("状态 status", f"{STATUS_ZH.get(summary['status'], summary['status'])} ({summary['status']})"),
            ("产值损失（万元） output loss", summary["objective"]),
            *[(f"基准 baseline: {k}", v) for k, v in summary["baselines"].items()],
            ("求解器 solver", summary["solver"]),
            ("MIP gap", summary["gap"]),
            ("企业数 enterprises", summary["enterprises"]),
            ("需减产企业数 curtailed", summary["curtailed_enterprises"]),
        ],
        columns=["项目 item", "值 value"],
    )
    targets = slot_table(summary).rename(
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
    schedule = result.schedule.copy()
    schedule["level"] = schedule["level"].map(LEVEL_ZH).fillna(schedule["level"])
    schedule["reason"] = schedule["reason"].map(REASON_ZH).fillna(schedule["reason"])
    schedule = schedule.rename(columns=SCHEDULE_HEADERS_ZH)
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        overview.to_excel(xw, sheet_name="概要", index=False)
        targets.to_excel(xw, sheet_name="目标", index=False)
        schedule.to_excel(xw, sheet_name="企业措施", index=False)
    return path
