"""Exports for bureaus and enterprises: the emergency list workbook and 一厂一策 sheets.

- :func:`emergency_list_workbook` writes the emergency emission-reduction list (应急减排清单) as an
  Excel workbook in the layout bureaus use (docs: ``shared/domain/POLICY.md`` §6): a title row, a
  two-row header with merged group cells, one row per enterprise (its production lines are
  described in 生产线; identical lines are one row), the measure text per alert level in Chinese
  (e.g. ``橙色预警：限产20%（以核定产能最小值计）``, plus what the plan adds above the rule floor),
  reductions per pollutant per level, and 减排基数; a second sheet 减排比例汇总 shows each level's
  achieved share of the city's total emissions against the required share.
- :func:`enterprise_sheet_html` renders a printable one-plant-one-plan sheet (一厂一策) for one
  enterprise as self-contained HTML (inline CSS, no scripts, no external files): its lines, what
  stops or cuts at each level, the rule floor versus the plan's extra cut, the expected loss and
  what a one-grade upgrade would change.  :func:`enterprise_sheets` writes one file per firm and
  an index.  :func:`enterprise_sheet_pdf` writes the same sheet as PDF when the optional, pure-Python
  ``reportlab`` package is installed (Chinese in its built-in, non-embedded CID font STSong-Light,
  drawn by the reader's own 宋体); otherwise print the HTML to PDF from a browser.

Access codes (查询码, ``access_code``) are never exported.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from planner import ALERT_LEVELS, POLLUTANTS
from planner.reports.views import ALERT_ZH as LEVEL_ZH
from planner.reports.views import POLLUTANT_ZH

__all__ = [
    "LEVEL_ZH",
    "LIST_HEADERS",
    "level_obligations",
    "list_table",
    "share_summary",
    "emergency_list_workbook",
    "enterprise_sheet_data",
    "enterprise_sheet_html",
    "enterprise_sheet_pdf",
    "enterprise_sheets",
]

CONTROL_ZH = {
    "key": "重点",
    "general": "一般",
    "guarantee": "保障类",
    "exempt": "豁免",
    "heating_boiler": "民生供暖锅炉",
}
#: Columns never written by any export.
NEVER_EXPORT = ("access_code",)
_TOL = 1e-6

#: (group header or None, sub header, column key) of the list sheet, in order.
LIST_HEADERS: list[tuple[str | None, str, str]] = [
    (None, "序号", "seq"),
    (None, "企业名称", "name"),
    (None, "统一社会信用代码", "credit_code"),
    (None, "区县", "county"),
    (None, "乡镇（街道）", "town"),
    (None, "园区", "park"),
    (None, "行业类别", "industry_zh"),
    (None, "绩效等级", "grade_zh"),
    (None, "管控类型", "control_zh"),
    (None, "排污许可证编号", "permit_no"),
    ("生产线", "数量（条）", "line_count"),
    ("生产线", "生产线情况", "line_description"),
    (None, "主要产品", "main_product"),
    ("产能", "环评批复", "capacity_eia"),
    ("产能", "排污许可", "capacity_permit"),
    ("产能", "上年实际产量", "output_last_year"),
    ("产能", "单位", "capacity_unit"),
    (None, "减排基数（核定产能最小值）", "cut_base"),
    (None, "年产值（万元）", "output_value"),
    (None, "年用电量（万千瓦时）", "electricity"),
    *[("年排放量（吨/年）", POLLUTANT_ZH[p], f"annual_{p}") for p in POLLUTANTS],
    (None, "在线监测数量", "cems_count"),
    (None, "分表计电", "power_submetering"),
    *[("应急减排措施", LEVEL_ZH[lv], f"measure_{lv}") for lv in ALERT_LEVELS],
    *[
        (f"{LEVEL_ZH[lv]}减排量（吨/日）", POLLUTANT_ZH[p], f"reduction_{lv}_{p}")
        for lv in ALERT_LEVELS
        for p in POLLUTANTS
    ],
    *[("预计产值损失（万元/日）", LEVEL_ZH[lv], f"loss_day_{lv}") for lv in ALERT_LEVELS],
]


def _pct(x: float) -> str:
    v = round(100.0 * float(x), 1)
    return f"{v:g}%"


def _yes_no(v) -> str:
    """是 / 否 / "" (unknown) for a boolean-ish cell, NA-safe."""
    try:
        if v is None or pd.isna(v):
            return ""
    except (TypeError, ValueError):
        return ""
    if isinstance(v, str):
        return {
            "true": "是",
            "1": "是",
            "yes": "是",
            "是": "是",
            "false": "否",
            "0": "否",
            "no": "否",
            "否": "否",
        }.get(v.strip().lower(), "")
    return "是" if bool(v) else "否"


def _names(kind: str) -> dict[str, str]:
    from planner.policy.vocabulary import grades, industries

    df = grades() if kind == "grade" else industries()
    return df["name_zh"].astype(str).to_dict()


# --------------------------------------------------------------------------- obligations
def level_obligations(result) -> pd.DataFrame:
    """Each enterprise's obligation per alert level, from the plan.

    In list mode each level is one slot; in episode mode the heaviest day of each level is taken.

    Returns
    -------
    pandas.DataFrame
        Index (enterprise_id, level) with ``floor``, ``curtailment``, ``extra`` (above the floor),
        ``rule_text`` (the measure of its industry × grade), ``measure_text`` (rule text plus the
        plan's extra cut), ``measure_type``, ``reduction_<P>`` (t/d), ``loss_day`` (万元 per alert
        day), ``loss_season`` (万元 over the days the level's slots stand for), ``days``.
    """
    sched = result.schedule.copy()
    sched["enterprise_id"] = sched["enterprise_id"].astype(str)
    inp = result.prepared.inputs
    days = pd.Series(inp["days"].values.astype(float), index=inp["slot"].values.astype(str))
    sched["days"] = sched["slot"].astype(str).map(days).to_numpy()
    sched["loss_day"] = sched["output_loss"].astype(float) / sched["days"].where(sched["days"] > 0, 1.0)
    sched = sched.sort_values(
        ["enterprise_id", "level", "curtailment"], ascending=[True, True, False], kind="stable"
    )
    top = sched.drop_duplicates(["enterprise_id", "level"], keep="first").set_index(
        ["enterprise_id", "level"]
    )
    season = sched.groupby(["enterprise_id", "level"])[["output_loss", "days"]].sum()
    bounds = result.prepared.bounds
    rule = bounds["measure_text_zh"].to_series()
    rule.index = rule.index.set_names(["enterprise_id", "level"])
    rule.index = rule.index.set_levels(rule.index.levels[0].astype(str), level=0)
    out = pd.DataFrame(index=top.index)
    out["floor"] = top["floor"].astype(float)
    out["curtailment"] = top["curtailment"].astype(float)
    out["extra"] = np.maximum(out["curtailment"] - out["floor"], 0.0)
    out["measure_type"] = top["measure_type"].astype(str) if "measure_type" in top else ""
    rt = top["measure_text_zh"] if "measure_text_zh" in top else rule.reindex(top.index)
    out["rule_text"] = rt.astype(object).where(rt.notna(), "").astype(str)
    lines = result.prepared.table["line_count"] if "line_count" in result.prepared.table else None
    texts = []
    for (eid, level), r in out.iterrows():
        t = r["rule_text"] or f"{LEVEL_ZH.get(level, level)}：无强制措施"
        if r["extra"] > _TOL:
            t += f"；另追加减产{_pct(r['extra'])}（按正常产量计，优化安排）"
            if lines is not None and eid in lines.index and int(lines.loc[eid]) > 1:
                n = r["curtailment"] * int(lines.loc[eid])
                if abs(n - round(n)) < 1e-6:
                    t += f"，合计停{int(round(n))}条生产线"
        texts.append(t)
    out["measure_text"] = texts
    for p in POLLUTANTS:
        out[f"reduction_{p}"] = top[f"reduction_{p}"].astype(float)
    out["loss_day"] = top["loss_day"].astype(float)
    out["loss_season"] = season["output_loss"].reindex(out.index).astype(float)
    out["days"] = season["days"].reindex(out.index).astype(float)
    return out


def list_table(result) -> pd.DataFrame:
    """The emergency list as a table with the keys of :data:`LIST_HEADERS` (one row per firm)."""
    table = result.prepared.table.drop(
        columns=[c for c in NEVER_EXPORT if c in result.prepared.table.columns]
    )
    table.index = table.index.astype(str)
    ob = level_obligations(result)
    industry_zh = _names("industry")
    grade_zh = _names("grade")
    df = pd.DataFrame(index=table.index)
    df["seq"] = np.arange(1, len(table) + 1)
    for col in (
        "name",
        "credit_code",
        "county",
        "town",
        "park",
        "permit_no",
        "line_description",
        "main_product",
        "capacity_unit",
    ):
        df[col] = table[col].astype(object).where(table[col].notna(), "").astype(str) if col in table else ""
    df["industry_zh"] = table["industry"].astype(str).map(lambda c: industry_zh.get(c, c))
    df["grade_zh"] = table["grade"].astype(str).map(lambda c: grade_zh.get(c, c))
    df["control_zh"] = table["control_type"].astype(str).map(lambda c: CONTROL_ZH.get(c, c))
    for col in (
        "line_count",
        "capacity_eia",
        "capacity_permit",
        "output_last_year",
        "cut_base",
        "output_value",
        "electricity",
        "cems_count",
    ):
        df[col] = pd.to_numeric(table[col], errors="coerce").astype(float) if col in table else np.nan
    if "power_submetering" in table:
        df["power_submetering"] = [_yes_no(v) for v in table["power_submetering"].astype(object)]
    else:
        df["power_submetering"] = ""
    days = pd.to_numeric(
        table.get("operating_days", pd.Series(365.0, index=table.index)), errors="coerce"
    ).fillna(365.0)
    for p in POLLUTANTS:
        df[f"annual_{p}"] = table[p].astype(float) * days
    for lv in ALERT_LEVELS:
        try:
            o = ob.xs(lv, level="level")
        except KeyError:
            o = pd.DataFrame(index=pd.Index([], name="enterprise_id"))
        rule = result.prepared.bounds["measure_text_zh"]
        if lv in rule.indexes["level"]:  # a level no slot reached (episode mode) still shows its rule
            rule_lv = pd.Series(
                rule.sel(level=lv).values.astype(str), index=rule.indexes["enterprise"].astype(str)
            )
        else:
            rule_lv = pd.Series("", index=df.index)
        text = (
            o["measure_text"].reindex(df.index) if "measure_text" in o else pd.Series(np.nan, index=df.index)
        )
        df[f"measure_{lv}"] = (
            text.astype(object).where(text.notna(), rule_lv.reindex(df.index)).fillna("").astype(str)
        )
        for p in POLLUTANTS:
            df[f"reduction_{lv}_{p}"] = (
                o[f"reduction_{p}"].reindex(df.index).astype(float) if len(o) else np.nan
            )
        df[f"loss_day_{lv}"] = o["loss_day"].reindex(df.index).astype(float) if len(o) else np.nan
    return df


def share_summary(result) -> pd.DataFrame:
    """Achieved versus required share of the city's total emissions, per slot and pollutant."""
    # the city totals on the plan's daily basis (docs/UNITS.md), as the targets were computed
    totals = getattr(getattr(result, "prepared", None), "city", {}).get("total_emissions_on_basis")
    if totals is None:
        try:
            from planner.targets.reductions import read_city

            totals = read_city(result.scenario.city)["total_emissions"]
        except Exception:  # noqa: BLE001 - the summary still shows tonnes without the city file
            totals = None
    rows = []
    for s in result.summary["slots"]:
        for p in POLLUTANTS:
            target = float(s["targets"][p])
            achieved = float(s["achieved"][p])
            credited = float(s["credited"][p])
            daily_total = float(totals[p]) / 365.0 if totals else math.nan
            rows.append(
                {
                    "预警级别": LEVEL_ZH.get(s["level"], s["level"]),
                    "时段": s["slot"],
                    "污染物": POLLUTANT_ZH[p],
                    "全社会排放总量（吨/年）": float(totals[p]) if totals else math.nan,
                    "要求减排比例": target / daily_total if totals else math.nan,
                    "要求减排量（吨/日）": target,
                    "清单企业减排量（吨/日）": achieved - credited,
                    "非工业措施减排量（吨/日）": credited,
                    "合计减排量（吨/日）": achieved,
                    "实现减排比例": achieved / daily_total if totals else math.nan,
                    "是否达标": "达标" if achieved + 1e-6 * max(1.0, target) >= target else "未达标",
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- workbook
def emergency_list_workbook(result, path: str | Path, title: str | None = None) -> Path:
    """Write the emergency list (应急减排清单) workbook.

    Parameters
    ----------
    result : planner.scenario.run.PlanResult
        A solved scenario.
    path : str or Path
        The ``.xlsx`` file to write.
    title : str, optional
        The title row (default: the scenario's description or name + 重污染天气应急减排清单).

    Returns
    -------
    Path

    Notes
    -----
    Sheet 应急减排清单: row 1 title, rows 2–3 the header (group cells merged), data from row 4.
    Sheet 减排比例汇总: the plan's status and loss, then one row per level (slot) × pollutant with
    the required and achieved shares.  Access codes are never written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
    from openpyxl.utils import get_column_letter

    path = Path(path)
    df = list_table(result)
    scen = result.scenario
    desc = scen.description or scen.name
    title = title or (desc if "清单" in desc else f"{desc}——重污染天气应急减排清单")
    wb = Workbook()
    ws = wb.active
    ws.title = "应急减排清单"
    ncol = len(LIST_HEADERS)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDE6F0")
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    # two-row header: groups merged across, single columns merged down
    col = 1
    while col <= ncol:
        group, sub, _ = LIST_HEADERS[col - 1]
        if group is None:
            ws.cell(row=2, column=col, value=sub)
            ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
            col += 1
            continue
        end = col
        while end < ncol and LIST_HEADERS[end][0] == group:
            end += 1
        ws.cell(row=2, column=col, value=group)
        if end > col:
            ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=end)
        for c in range(col, end + 1):
            ws.cell(row=3, column=c, value=LIST_HEADERS[c - 1][1])
        col = end + 1
    for r in (2, 3):
        for c in range(1, ncol + 1):
            cell = ws.cell(row=r, column=c)
            cell.font = Font(bold=True)
            cell.alignment = center
            cell.fill = head_fill
            cell.border = border
    keys = [k for _, _, k in LIST_HEADERS]
    # one named style per kind of column: far cheaper than setting border/format cell by cell
    styles = {}
    for sname, fmt, align in (
        ("list_text", "General", Alignment(vertical="top")),
        ("list_wrap", "General", Alignment(wrap_text=True, vertical="top")),
        ("list_t", "0.000", Alignment(vertical="top")),
        ("list_money", "#,##0.0", Alignment(vertical="top")),
    ):
        ns = NamedStyle(name=sname, number_format=fmt, border=border, alignment=align)
        if sname not in wb.named_styles:
            wb.add_named_style(ns)
        styles[sname] = sname

    def kind(key: str) -> str:
        if key.startswith("measure_"):
            return "list_wrap"
        if key.startswith(("reduction_", "annual_")):
            return "list_t"
        if key.startswith("loss_day_") or key in ("output_value", "cut_base"):
            return "list_money"
        return "list_text"

    kinds = [kind(k) for k in keys]
    values = df[keys].astype(object).where(df[keys].notna(), None).to_numpy()
    for i, row in enumerate(values):
        for c, v in enumerate(row, start=1):
            if isinstance(v, (np.integer, np.floating)):
                v = v.item()
            if isinstance(v, float) and math.isnan(v):
                v = None
            cell = ws.cell(row=4 + i, column=c, value=v)
            cell.style = kinds[c - 1]
    widths = {
        "name": 28,
        "credit_code": 22,
        "line_description": 22,
        "measure_yellow": 40,
        "measure_orange": 40,
        "measure_red": 40,
        "permit_no": 24,
    }
    for c, key in enumerate(keys, start=1):
        ws.column_dimensions[get_column_letter(c)].width = widths.get(key, 11)
    ws.freeze_panes = "C4"

    ss = wb.create_sheet("减排比例汇总")
    summary = result.summary
    head = [
        ("情景", summary.get("scenario")),
        (
            "状态",
            {"optimal": "最优（全部达标）", "infeasible": "无法全部达标"}.get(
                summary["status"], summary["status"]
            ),
        ),
        ("预计产值损失合计（万元）", summary.get("objective")),
        ("清单企业数", summary.get("enterprises")),
        ("需减产企业数", summary.get("curtailed_enterprises")),
    ]
    for i, (k, v) in enumerate(head, start=1):
        ss.cell(row=i, column=1, value=k).font = Font(bold=True)
        ss.cell(row=i, column=2, value=None if isinstance(v, float) and math.isnan(v) else v)
    shares = share_summary(result)
    start = len(head) + 2
    for c, name in enumerate(shares.columns, start=1):
        cell = ss.cell(row=start, column=c, value=name)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = center
        cell.border = border
    for i, (_, row) in enumerate(shares.iterrows(), start=start + 1):
        for c, name in enumerate(shares.columns, start=1):
            v = row[name]
            if isinstance(v, float) and math.isnan(v):
                v = None
            cell = ss.cell(row=i, column=c, value=v)
            cell.border = border
            if "比例" in name and v is not None:
                cell.number_format = "0.0%"
            elif "吨" in name:
                cell.number_format = "0.000"
    for c in range(1, len(shares.columns) + 1):
        ss.column_dimensions[get_column_letter(c)].width = 16
    ss.column_dimensions["A"].width = 26
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- 一厂一策
_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",SimSun,sans-serif;
margin:24px;color:#111;font-size:13px}
h1{font-size:20px;text-align:center;margin:0 0 4px}
h2{font-size:15px;border-left:4px solid #2b5d8a;padding-left:6px;margin:18px 0 6px}
.sub{text-align:center;color:#555;margin-bottom:12px}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{border:1px solid #888;padding:4px 6px;vertical-align:top}
th{background:#e8eef5;font-weight:bold;text-align:center}
td.n{text-align:right;white-space:nowrap}
.yellow{background:#fff8d6}.orange{background:#ffe6cc}.red{background:#fdd}
.note{color:#555;font-size:12px}
@page{size:A4 landscape;margin:12mm}
@media print{body{margin:0}h2{break-after:avoid}table{break-inside:avoid}}
"""


def _blank(v) -> bool:
    try:
        return v is None or bool(pd.isna(v)) or str(v).strip() in ("", "nan", "None", "<NA>")
    except (TypeError, ValueError):
        return False


def _e(v) -> str:
    return "" if _blank(v) else html.escape(str(v))


def _num(v, fmt=",.1f") -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(f) else format(f, fmt)


def _sheet_context(result, upgrade: bool, ids=None) -> dict:
    """What every 一厂一策 sheet of a result needs, computed once (vectorised over firms)."""
    table = result.prepared.table.copy()
    table.index = table.index.astype(str)
    ctx = {
        "table": table,
        "ob": level_obligations(result),
        "industry_zh": _names("industry"),
        "grade_zh": _names("grade"),
        "upgrade": None,
    }
    if upgrade:
        from planner.reports.analysis import _upgraded_inputs

        try:
            _, bounds, after, up, eligible = _upgraded_inputs(result.prepared, ids)
        except Exception:  # noqa: BLE001 - the sheets are still useful without the upgrade section
            bounds = None
        if bounds is not None:
            ctx["upgrade"] = {
                "bounds": bounds,
                "after_floor": after["floor"].transpose("enterprise", "slot").values,
                "up": up,
                "eligible": eligible,
                "pos": {e: i for i, e in enumerate(table.index)},
            }
    return ctx


def _upgrade_rows(result, ctx: dict, eid: str):
    """(grade, grade_after, per-level rows, rule loss before, after) for one firm, or None."""
    u = ctx["upgrade"]
    if u is None:
        return None
    pos = u["pos"][eid]
    if not u["eligible"][pos]:
        return None
    inp = result.prepared.inputs
    loss = inp["loss_at_full"].transpose("enterprise", "slot").values[pos].astype(float)
    before = float((inp["floor"].transpose("enterprise", "slot").values[pos] * loss).sum())
    after_loss = float((u["after_floor"][pos] * loss).sum())
    old, new = result.prepared.bounds, u["bounds"]
    rows = []
    for lv in ALERT_LEVELS:
        if lv not in new.indexes["level"]:
            continue
        rows.append(
            (
                lv,
                str(old["measure_text_zh"].sel(enterprise=eid, level=lv).item()),
                float(old["floor"].sel(enterprise=eid, level=lv).item()),
                str(new["measure_text_zh"].sel(enterprise=eid, level=lv).item()),
                float(new["floor"].sel(enterprise=eid, level=lv).item()),
            )
        )
    grade = str(ctx["table"]["grade"].astype(str).iloc[pos])
    return grade, str(u["up"][pos]), rows, before, after_loss


_FLOOR_NOTE = (
    "“规则下限”为本行业本绩效等级按技术指南必须执行的措施（以核定产能最小值计，折算为正常产量的比例）；"
    "“优化追加”为全市达到减排比例要求、按产值损失最小原则安排的追加减产。减产比例均按正常产量计。"
)
_UPGRADE_NOTE = "全市方案会重新优化：其他企业可能需承担更多减排，本企业也可能仍有优化追加。"


def enterprise_sheet_data(
    result, enterprise_id: str, upgrade: bool = True, context: dict | None = None
) -> dict:
    """The content of one 一厂一策 sheet as plain strings and numbers (rendered to HTML or PDF).

    Returns
    -------
    dict
        ``title``, ``subtitle``, ``info`` (list of (label, text)), ``emission_rows`` (list of
        (label, [4 texts])), ``level_header`` and ``levels`` (one list of texts per level with its
        level code), ``total`` (text), ``notes``, ``upgrade`` (None when not asked; else a dict with
        ``possible``, ``grade``, ``grade_after``, ``rows``, ``before``, ``after``, ``saving``),
        ``footer``.  Never the access code.

    Raises
    ------
    KeyError
        If the enterprise is not in the scenario's inventory.
    """
    eid = str(enterprise_id)
    if eid not in result.prepared.table.index.astype(str):
        raise KeyError(f"enterprise {eid!r} is not in the inventory of scenario {result.scenario.name!r}")
    ctx = context if context is not None else _sheet_context(result, upgrade, [eid])
    table = ctx["table"]
    t = table.loc[eid].drop(labels=[c for c in NEVER_EXPORT if c in table.columns])
    ob = ctx["ob"].xs(eid, level="enterprise_id")
    industry_zh, grade_zh = ctx["industry_zh"], ctx["grade_zh"]
    scen = result.scenario
    mode_days = "本季" if scen.mode == "list" else "本次过程"
    days_op = 365.0 if _blank(t.get("operating_days")) else float(t.get("operating_days"))
    lines = 1 if _blank(t.get("line_count")) else max(1, int(t.get("line_count")))

    def text(v) -> str:
        return "" if _blank(v) else str(v)

    info = [
        ("企业名称", text(t.get("name"))),
        ("统一社会信用代码", text(t.get("credit_code"))),
        (
            "所在区县 / 乡镇 / 园区",
            " / ".join(str(v) for v in (t.get("county"), t.get("town"), t.get("park")) if not _blank(v)),
        ),
        ("行业类别", text(industry_zh.get(str(t.get("industry")), t.get("industry")))),
        ("绩效等级", text(grade_zh.get(str(t.get("grade")), t.get("grade")))),
        ("管控类型", text(CONTROL_ZH.get(str(t.get("control_type")), t.get("control_type")))),
        ("排污许可证编号", text(t.get("permit_no"))),
        (
            "生产线",
            f"{lines} 条" + ("" if _blank(t.get("line_description")) else f"（{t.get('line_description')}）"),
        ),
        ("主要产品", text(t.get("main_product"))),
        (
            "减排基数（核定产能最小值）",
            f"{_num(t.get('cut_base'), ',.0f')} {text(t.get('capacity_unit'))}".strip(),
        ),
        ("年产值（万元）", _num(t.get("output_value"))),
    ]
    emission_rows = [
        ("年排放量（吨/年）", [_num(float(t[p]) * days_op, ",.2f") for p in POLLUTANTS]),
        ("日排放量（吨/日）", [_num(t[p], ",.3f") for p in POLLUTANTS]),
    ]
    level_header = [
        "预警级别",
        "应执行措施",
        "规则下限",
        "优化追加",
        "合计减产",
        "停产生产线（条）",
        *[f"{POLLUTANT_ZH[p]}减排（吨/日）" for p in POLLUTANTS],
        "产值损失（万元/日）",
        f"{mode_days}预计损失（万元）",
    ]
    levels, total = [], 0.0
    for lv in ALERT_LEVELS:
        if lv not in ob.index:
            continue
        r = ob.loc[lv]
        stop_lines = r["curtailment"] * lines
        stop_txt = (
            f"{stop_lines:.0f}" if abs(stop_lines - round(stop_lines)) < 1e-6 else f"约{stop_lines:.1f}"
        )
        total += 0.0 if math.isnan(r["loss_season"]) else float(r["loss_season"])
        levels.append(
            (
                lv,
                [
                    LEVEL_ZH[lv],
                    str(r["measure_text"]),
                    _pct(r["floor"]),
                    _pct(r["extra"]),
                    _pct(r["curtailment"]),
                    stop_txt,
                    *[_num(r[f"reduction_{p}"], ",.3f") for p in POLLUTANTS],
                    _num(r["loss_day"]),
                    _num(r["loss_season"]),
                ],
            )
        )
    day_note = "、".join(
        LEVEL_ZH[lv] + _num(ob.loc[lv, "days"], "g") + "天" for lv in ALERT_LEVELS if lv in ob.index
    )
    total_text = f"{mode_days}预计产值损失合计：{_num(total)} 万元" + (
        f"（按预计预警天数：{day_note}）" if scen.mode == "list" else ""
    )
    up_doc = None
    if upgrade:
        up = _upgrade_rows(result, ctx, eid)
        if up is None:
            up_doc = {"possible": False}
        else:
            grade, after, rows, before_loss, after_loss = up
            up_doc = {
                "possible": True,
                "grade": grade_zh.get(grade, grade),
                "grade_after": grade_zh.get(after, after),
                "rows": [(LEVEL_ZH[lv], tb, _pct(fb), ta, _pct(fa)) for lv, tb, fb, ta, fa in rows],
                "levels": [lv for lv, *_ in rows],
                "before": _num(before_loss),
                "after": _num(after_loss),
                "saving": _num(before_loss - after_loss),
                "mode_days": mode_days,
            }
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    status = {"optimal": "全部达标", "infeasible": "未能全部达标"}.get(result.status, result.status)
    return {
        "enterprise_id": eid,
        "title": f"重污染天气应急减排“一厂一策”：{text(t.get('name'))}",
        "subtitle": scen.description or scen.name,
        "info": info,
        "emission_rows": emission_rows,
        "level_header": level_header,
        "levels": levels,
        "total": total_text,
        "notes": [_FLOOR_NOTE],
        "upgrade": up_doc,
        "footer": f"情景：{scen.name}（{status}）；生成时间：{stamp}。",
    }


def enterprise_sheet_html(
    result, enterprise_id: str, upgrade: bool = True, context: dict | None = None
) -> str:
    """A printable one-plant-one-plan (一厂一策) sheet for one enterprise, as self-contained HTML.

    Parameters
    ----------
    result : planner.scenario.run.PlanResult
        A solved scenario.
    enterprise_id : str
    upgrade : bool, default True
        Include what a one-grade upgrade would change (its rule measures and floor loss).
    context : dict, optional
        Shared work for many sheets (from :func:`enterprise_sheets`); computed when omitted.

    Returns
    -------
    str
        A complete HTML document (UTF-8, inline CSS, no scripts or external resources).

    Raises
    ------
    KeyError
        If the enterprise is not in the scenario's inventory.
    """
    d = enterprise_sheet_data(result, enterprise_id, upgrade, context)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>一厂一策 {_e(d['info'][0][1])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(d['title'])}</h1>",
        f'<div class="sub">{_e(d["subtitle"])}</div>',
        "<h2>一、企业基本信息</h2><table>",
        *[f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in d["info"]],
        "</table>",
        "<table><tr><th></th>" + "".join(f"<th>{POLLUTANT_ZH[p]}</th>" for p in POLLUTANTS) + "</tr>",
        *[
            "<tr><th>" + _e(label) + "</th>" + "".join(f'<td class="n">{_e(v)}</td>' for v in vals) + "</tr>"
            for label, vals in d["emission_rows"]
        ],
        "</table>",
        "<h2>二、各级预警应急减排措施</h2>",
        "<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in d["level_header"]) + "</tr>",
    ]
    for lv, cells in d["levels"]:
        parts.append(
            f'<tr class="{lv}"><th>{_e(cells[0])}</th><td>{_e(cells[1])}</td>'
            + "".join(f'<td class="n">{_e(c)}</td>' for c in cells[2:])
            + "</tr>"
        )
    parts.append("</table>")
    total_text, _, rest = d["total"].partition("：")
    parts.append(f"<p>{_e(total_text)}：<b>{_e(rest)}</b></p>")
    parts.extend(f'<p class="note">{_e(n)}</p>' for n in d["notes"])
    up = d["upgrade"]
    if up is not None:
        parts.append("<h2>三、绩效等级提升后的变化（冲A、增B、消C）</h2>")
        if not up["possible"]:
            parts.append("<p>本企业当前等级无更高一级可升（或本行业不分级），无变化。</p>")
        else:
            parts.append(
                f"<p>若绩效等级由 <b>{_e(up['grade'])}</b> 提升为 <b>{_e(up['grade_after'])}</b>：</p>"
            )
            parts.append(
                "<table><tr><th>预警级别</th><th>现行措施</th><th>现规则下限</th><th>升级后措施</th>"
                "<th>升级后规则下限</th></tr>"
            )
            for lv, (lz, tb, fb, ta, fa) in zip(up["levels"], up["rows"], strict=True):
                parts.append(
                    f'<tr class="{lv}"><th>{_e(lz)}</th><td>{_e(tb)}</td><td class="n">{_e(fb)}</td>'
                    f'<td>{_e(ta)}</td><td class="n">{_e(fa)}</td></tr>'
                )
            parts.append("</table>")
            parts.append(
                f"<p>规则下限对应的{up['mode_days']}产值损失：{_e(up['before'])} 万元 → <b>{_e(up['after'])} 万元</b>，"
                f"可减少 <b>{_e(up['saving'])} 万元</b>。</p>"
                f'<p class="note">{_UPGRADE_NOTE}</p>'
            )
    parts.append(f'<p class="note">{_e(d["footer"])}</p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def enterprise_sheet_pdf(
    result,
    enterprise_id: str,
    path: str | Path | None = None,
    upgrade: bool = True,
    context: dict | None = None,
) -> bytes:
    """The 一厂一策 sheet as a PDF (A4 landscape), when the optional ``reportlab`` package is installed.

    Chinese text uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1), which is not
    embedded: PDF readers draw it with their own Song/宋体 font.  Without ``reportlab`` use
    :func:`enterprise_sheet_html` and print it from a browser.

    Returns
    -------
    bytes
        The PDF (also written to ``path`` when given).

    Raises
    ------
    RuntimeError
        If ``reportlab`` is not installed.
    KeyError
        If the enterprise is not in the scenario's inventory.
    """
    try:
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    except ImportError:
        raise RuntimeError(
            "PDF export needs the optional 'reportlab' package (pip install reportlab); "
            "enterprise_sheet_html gives the same sheet, printable to PDF from a browser"
        ) from None
    import io
    from xml.sax.saxutils import escape as xml_escape

    d = enterprise_sheet_data(result, enterprise_id, upgrade, context)
    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    base = ParagraphStyle("zh", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=base, fontSize=15, leading=19, alignment=1)
    h2 = ParagraphStyle("h2", parent=base, fontSize=11, leading=15, spaceBefore=6, spaceAfter=3)
    sub = ParagraphStyle("sub", parent=base, alignment=1, textColor=colors.grey)
    note = ParagraphStyle("note", parent=base, fontSize=7.5, textColor=colors.grey)

    def para(v, style=base):
        return Paragraph(xml_escape(str(v)), style)

    def grid(rows, widths, header=True, fills=None):
        tbl = Table([[para(c) for c in row] for row in rows], colWidths=widths, repeatRows=1 if header else 0)
        style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")))
        for i, color in (fills or {}).items():
            style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor(color)))
        tbl.setStyle(TableStyle(style))
        return tbl

    fill = {"yellow": "#fff8d6", "orange": "#ffe6cc", "red": "#ffdddd"}
    page_w = landscape(A4)[0] - 24 * mm
    story = [
        para(d["title"], h1),
        para(d["subtitle"], sub),
        Spacer(1, 4 * mm),
        para("一、企业基本信息", h2),
        grid(d["info"], [60 * mm, page_w - 60 * mm], header=False),
        Spacer(1, 2 * mm),
        grid(
            [["", *[POLLUTANT_ZH[p] for p in POLLUTANTS]], *[[k, *v] for k, v in d["emission_rows"]]],
            [60 * mm] + [(page_w - 60 * mm) / 4] * 4,
        ),
        para("二、各级预警应急减排措施", h2),
    ]
    narrow = (page_w - 70 * mm) / (len(d["level_header"]) - 2)
    story.append(
        grid(
            [d["level_header"], *[cells for _, cells in d["levels"]]],
            [16 * mm, 54 * mm] + [narrow] * (len(d["level_header"]) - 2),
            fills={i + 1: fill[lv] for i, (lv, _) in enumerate(d["levels"])},
        )
    )
    story += [Spacer(1, 2 * mm), para(d["total"]), *[para(n, note) for n in d["notes"]]]
    up = d["upgrade"]
    if up is not None:
        story.append(para("三、绩效等级提升后的变化（冲A、增B、消C）", h2))
        if not up["possible"]:
            story.append(para("本企业当前等级无更高一级可升（或本行业不分级），无变化。"))
        else:
            story.append(para(f"若绩效等级由 {up['grade']} 提升为 {up['grade_after']}："))
            w = (page_w - 16 * mm - 2 * 22 * mm) / 2
            story.append(
                grid(
                    [["预警级别", "现行措施", "现规则下限", "升级后措施", "升级后规则下限"], *up["rows"]],
                    [16 * mm, w, 22 * mm, w, 22 * mm],
                    fills={i + 1: fill[lv] for i, lv in enumerate(up["levels"])},
                )
            )
            story.append(
                para(
                    f"规则下限对应的{up['mode_days']}产值损失：{up['before']} 万元 → {up['after']} 万元，"
                    f"可减少 {up['saving']} 万元。"
                )
            )
            story.append(para(_UPGRADE_NOTE, note))
    story += [Spacer(1, 3 * mm), para(d["footer"], note)]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"一厂一策 {d['enterprise_id']}",
        author="planner",
    )
    doc.build(story)
    pdf = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(pdf)
    return pdf


def enterprise_sheets(
    result, out_dir: str | Path, enterprise_ids=None, upgrade: bool = True, pdf: bool = False
) -> list[Path]:
    """Write ``<enterprise_id>.html`` per enterprise (default: every firm) and an ``index.html`` linking them.

    With ``pdf=True`` also ``<enterprise_id>.pdf`` (:func:`enterprise_sheet_pdf`, needs reportlab).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = result.prepared.table
    ids = [str(i) for i in (enterprise_ids if enterprise_ids is not None else table.index)]
    ctx = _sheet_context(result, upgrade, ids)
    paths = []
    links = []
    for eid in ids:
        p = out / f"{eid}.html"
        p.write_text(enterprise_sheet_html(result, eid, upgrade=upgrade, context=ctx), encoding="utf-8")
        paths.append(p)
        if pdf:
            paths.append(out / f"{eid}.pdf")
            enterprise_sheet_pdf(result, eid, paths[-1], upgrade=upgrade, context=ctx)
        name = table.loc[eid, "name"] if "name" in table else eid
        links.append(
            f'<li><a href="{html.escape(p.name)}">{html.escape(eid)} {html.escape(str(name))}</a></li>'
        )
    index = out / "index.html"
    index.write_text(
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>一厂一策</title>'
        f"<style>{_CSS}</style></head><body><h1>一厂一策</h1><ul>{''.join(links)}</ul></body></html>",
        encoding="utf-8",
    )
    return [*paths, index]
