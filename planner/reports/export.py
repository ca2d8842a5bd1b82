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
import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from planner import ALERT_LEVELS, POLLUTANTS
from planner.io.writing import SheetWriter, new_workbook, safe_filename
from planner.reports.views import ALERT_ZH as LEVEL_ZH
from planner.reports.views import POLLUTANT_ZH

__all__ = [
    "LEVEL_ZH",
    "LIST_HEADERS",
    "emergency_list_workbook",
    "enterprise_sheet_data",
    "enterprise_sheet_html",
    "enterprise_sheet_pdf",
    "enterprise_sheets",
    "level_obligations",
    "list_table",
    "share_summary",
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
    table = result.prepared.table
    eids = out.index.get_level_values("enterprise_id")
    if "line_count" in table:
        lines = pd.Series(table["line_count"].to_numpy(dtype=float), index=table.index.astype(str))
        n_lines = lines.reindex(eids).to_numpy(dtype=float)
    else:
        n_lines = np.ones(len(out))
    if "lines" in top:  # a firm with a lines table: its stopped lines are in its own table (一厂一策)
        n_lines = np.where(top["lines"].to_numpy(dtype=float) > 0, 1.0, n_lines)
    texts = []
    for rule_text, level, extra, x, n_line, mtype in zip(
        out["rule_text"].tolist(),
        out.index.get_level_values("level").tolist(),
        out["extra"].tolist(),
        out["curtailment"].tolist(),
        n_lines.tolist(),
        out["measure_type"].tolist(),
        strict=True,
    ):
        t = rule_text or f"{LEVEL_ZH.get(level, level)}：无强制措施"
        if mtype == "menu":  # the option the optimizer chose from the firm's menu (its lines, its load cut)
            texts.append(f"措施菜单选定：{t}")
            continue
        if extra > _TOL:
            t += f"；另追加减产{_pct(extra)}（按正常产量计，优化安排）"
            if n_line > 1:
                n = x * int(n_line)
                if abs(n - round(n)) < 1e-6:
                    t += f"，合计停{round(n)}条生产线"
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
        except Exception:
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
    path = Path(path)
    df = list_table(result)
    scen = result.scenario
    desc = scen.description or scen.name
    title = title or (desc if "清单" in desc else f"{desc}——重污染天气应急减排清单")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = new_workbook(path)
    try:
        _list_sheet(wb, df, title)
        _share_sheet(wb, result)
    finally:
        wb.close()
    return path


#: Column widths of the list sheet (characters); other columns 11.
_LIST_WIDTHS = {
    "name": 28,
    "credit_code": 22,
    "line_description": 22,
    "measure_yellow": 40,
    "measure_orange": 40,
    "measure_red": 40,
    "permit_no": 24,
}
_BORDER = {"border": 1, "border_color": "#999999"}
_HEAD = {
    **_BORDER,
    "bold": True,
    "align": "center",
    "valign": "vcenter",
    "text_wrap": True,
    "bg_color": "#DDE6F0",
}


def _list_kind(key: str) -> dict:
    """The cell format of a list column: wrapped measure text, tonnes, money or plain text."""
    if key.startswith("measure_"):
        return {**_BORDER, "valign": "top", "text_wrap": True}
    if key.startswith(("reduction_", "annual_")):
        return {**_BORDER, "valign": "top", "num_format": "0.000"}
    if key.startswith("loss_day_") or key in ("output_value", "cut_base"):
        return {**_BORDER, "valign": "top", "num_format": "#,##0.0"}
    return {**_BORDER, "valign": "top"}


def _list_sheet(wb, df: pd.DataFrame, title: str) -> None:
    """Sheet 应急减排清单: title row, the two-row merged header, one row per firm (streamed)."""
    ws = wb.add_worksheet("应急减排清单")
    w = SheetWriter(wb, ws)
    ncol = len(LIST_HEADERS)
    keys = [k for _, _, k in LIST_HEADERS]
    head = w.format(**_HEAD)
    ws.merge_range(0, 0, 0, ncol - 1, title, w.format(bold=True, font_size=14, align="center"))
    # Rows stream in order (constant memory): the cells of row 2, then row 3, then the merges.
    groups = []  # (first col, last col, text, spans both header rows)
    col = 0
    while col < ncol:
        group, sub, _ = LIST_HEADERS[col]
        end = col
        if group is not None:
            while end + 1 < ncol and LIST_HEADERS[end + 1][0] == group:
                end += 1
        groups.append((col, end, sub if group is None else group, group is None))
        col = end + 1
    for first, last, text, _single in groups:
        w.text(1, first, text, head)
        for c in range(first + 1, last + 1):
            ws.write_blank(1, c, None, head)
    for c, (group, sub, _) in enumerate(LIST_HEADERS):
        if group is None:
            ws.write_blank(2, c, None, head)
        else:
            w.text(2, c, sub, head)
    for first, last, _text, single in groups:
        if single:
            w.merge(1, first, 2, first)
        elif last > first:
            w.merge(1, first, 1, last)
    w.frame(df[keys], 3, [w.format(**_list_kind(k)) for k in keys])
    for c, key in enumerate(keys):
        ws.set_column(c, c, _LIST_WIDTHS.get(key, 11))
    ws.freeze_panes(3, 2)


def _share_sheet(wb, result) -> None:
    """Sheet 减排比例汇总: the plan's status and loss, then required versus achieved shares."""
    ss = wb.add_worksheet("减排比例汇总")
    w = SheetWriter(wb, ss)
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
    bold = w.format(bold=True)
    for i, (k, v) in enumerate(head):
        w.text(i, 0, k, bold)
        w.value(i, 1, v)
    shares = share_summary(result)
    start = len(head) + 1
    for c, name in enumerate(shares.columns):
        w.text(start, c, name, w.format(**_HEAD))
    formats = [
        w.format(**_BORDER, num_format="0.0%")
        if "比例" in name
        else w.format(**_BORDER, num_format="0.000")
        if "吨" in name
        else w.format(**_BORDER)
        for name in shares.columns
    ]
    w.frame(shares, start + 1, formats)
    ss.set_column(0, 0, 26)
    ss.set_column(1, len(shares.columns) - 1, 16)


# --------------------------------------------------------------------------- 一厂一策
#: The 一厂一策 templates (jinja2): enterprise_sheet.html.j2, sheet_index.html.j2, sheet.css.
TEMPLATES = Path(__file__).with_name("templates")


@functools.lru_cache(maxsize=1)
def _templates():
    """The jinja2 environment of :data:`TEMPLATES` (autoescaping; a blank value renders as "")."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["text"] = lambda v: "" if _blank(v) else str(v)
    env.globals["zip"] = zip
    return env


def _blank(v) -> bool:
    try:
        return v is None or bool(pd.isna(v)) or str(v).strip() in ("", "nan", "None", "<NA>")
    except (TypeError, ValueError):
        return False


def _num(v, fmt=",.1f") -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(f) else format(f, fmt)


def _sheet_context(result, upgrade: bool, ids=None) -> dict:
    """What the 一厂一策 sheets of ``ids`` (default: every firm) need, computed once, vectorised.

    Raises
    ------
    KeyError
        Naming every id that is not in the scenario's inventory.
    """
    table = result.prepared.table.copy()
    table.index = table.index.astype(str)
    ids = list(table.index) if ids is None else [str(i) for i in ids]
    missing = [i for i in dict.fromkeys(ids) if i not in table.index]
    if missing:
        shown = ", ".join(repr(i) for i in missing[:10]) + (" …" if len(missing) > 10 else "")
        raise KeyError(
            f"enterprise {shown} is not in the inventory of scenario {result.scenario.name!r}"
            if len(missing) == 1
            else f"enterprises {shown} are not in the inventory of scenario {result.scenario.name!r}"
        )
    wanted = set(ids)
    sub = table.loc[list(dict.fromkeys(ids))].drop(columns=[c for c in NEVER_EXPORT if c in table.columns])
    records = dict(zip(sub.index, sub.to_dict("records"), strict=True))
    ob = level_obligations(result).reset_index()
    ob = ob[ob["enterprise_id"].isin(wanted)]
    by_firm: dict[str, dict] = {eid: {} for eid in records}
    for rec in ob.to_dict("records"):
        by_firm[rec["enterprise_id"]][rec["level"]] = rec
    ctx = {
        "records": records,
        "ob": by_firm,
        "industry_zh": _names("industry"),
        "grade_zh": _names("grade"),
        "upgrade": None,
    }
    if upgrade:
        from planner.reports.analysis import _upgraded_inputs

        try:
            _, bounds, after, up, eligible = _upgraded_inputs(result.prepared, ids)
        except Exception:
            bounds = None
        if bounds is not None:
            inp = result.prepared.inputs
            old = result.prepared.bounds
            levels = [lv for lv in ALERT_LEVELS if lv in bounds.indexes["level"]]

            def per_level(ds, name):
                return ds[name].sel(level=levels).transpose("enterprise", "level").values

            from planner.scenario.run import firm_values

            def firm(ds, name, weighted):  # rows may be lines: per firm, in table order
                v = ds[name].transpose("enterprise", "slot").values.astype(float)
                return firm_values(ds, v, table.index, weighted)

            loss = firm(inp, "loss_at_full", False)
            ctx["upgrade"] = {
                "levels": levels,
                "loss": loss,
                "floor": firm(inp, "floor", True),
                "after_floor": firm(after, "floor", True),
                "old_text": per_level(old, "measure_text_zh"),
                "old_floor": per_level(old, "floor").astype(float),
                "new_text": per_level(bounds, "measure_text_zh"),
                "new_floor": per_level(bounds, "floor").astype(float),
                "up": up,
                "eligible": eligible,
                "grade": table["grade"].astype(str).to_numpy(),
                "pos": {e: i for i, e in enumerate(table.index)},
                "old_pos": {e: i for i, e in enumerate(old.indexes["enterprise"].astype(str))},
                "new_pos": {e: i for i, e in enumerate(bounds.indexes["enterprise"].astype(str))},
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
    loss = u["loss"][pos]
    before = float((u["floor"][pos] * loss).sum())
    after_loss = float((u["after_floor"][pos] * loss).sum())
    i, j = u["old_pos"][eid], u["new_pos"][eid]
    rows = [
        (
            lv,
            str(u["old_text"][i, k]),
            float(u["old_floor"][i, k]),
            str(u["new_text"][j, k]),
            float(u["new_floor"][j, k]),
        )
        for k, lv in enumerate(u["levels"])
    ]
    return str(u["grade"][pos]), str(u["up"][pos]), rows, before, after_loss


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
    ctx = (
        context
        if context is not None and eid in context["records"]
        else _sheet_context(result, upgrade, [eid])
    )
    t = ctx["records"][eid]
    ob = ctx["ob"][eid]
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
    line_header, line_rows = enterprise_lines(result, eid)
    levels, total = [], 0.0
    for lv in ALERT_LEVELS:
        if lv not in ob:
            continue
        r = ob[lv]
        stop_lines = r["curtailment"] * lines
        stop_txt = (
            f"{stop_lines:.0f}" if abs(stop_lines - round(stop_lines)) < 1e-6 else f"约{stop_lines:.1f}"
        )
        if line_rows:  # the firm's own lines: count those the plan stops (heaviest slot of the level)
            k = line_header.index(f"{LEVEL_ZH[lv]}措施") if f"{LEVEL_ZH[lv]}措施" in line_header else None
            stop_txt = str(sum(row[k] == "停产" for row in line_rows)) if k is not None else stop_txt
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
    day_note = "、".join(LEVEL_ZH[lv] + _num(ob[lv]["days"], "g") + "天" for lv in ALERT_LEVELS if lv in ob)
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
        "line_header": line_header,
        "lines": line_rows,
        "enterprise_id": eid,
        "title": f"重污染天气应急减排“一厂一策”：{text(t.get('name'))}",
        "subtitle": scen.description or scen.name,
        "info": info,
        "emission_rows": emission_rows,
        "level_header": level_header,
        "levels": levels,
        "total": total_text,
        "notes": [_FLOOR_NOTE, *_override_notes(scen.enterprises.get(eid) or {})],
        "upgrade": up_doc,
        "footer": f"情景：{scen.name}（{status}）；生成时间：{stamp}。",
    }


def enterprise_lines(result, enterprise_id: str) -> tuple[list[str], list[list[str]]]:
    """The firm's lines and processes in its 一厂一策 sheet.

    One row per line with its process (Chinese name of ``data/policy/processes.csv``), share of output and,
    per alert level, what the plan asks of it (停产 / 减产 x % / 正常生产).  Empty without lines.
    """
    sl = getattr(result, "schedule_lines", None)
    if sl is None or not len(sl):
        return [], []
    mine = sl[sl["enterprise_id"].astype(str) == str(enterprise_id)]
    if not len(mine):
        return [], []
    from planner.inventory.lines import process_table

    names = process_table()["name_zh"].to_dict()
    # one column per level (list mode) or per level's heaviest day (episode mode)
    top = mine.sort_values(["level", "curtailment"], ascending=[True, False]).drop_duplicates(
        ["line_id", "level"]
    )
    levels = [lv for lv in ALERT_LEVELS if lv in set(top["level"])]
    header = ["生产线/工序编号", "工序", "产值占比", *[f"{LEVEL_ZH[lv]}措施" for lv in levels]]
    rows = []
    for lid, g in mine.groupby("line_id", sort=False):
        proc = str(g["process"].iloc[0])
        cells = [str(lid), str(names.get(proc) or proc), _pct(float(g["output_share"].iloc[0]))]
        by = top[top["line_id"] == lid].set_index("level")
        for lv in levels:
            x = float(by.loc[lv, "curtailment"]) if lv in by.index else 0.0
            whole = bool(by.loc[lv, "whole_line"]) if lv in by.index else False
            if x >= 1 - 1e-9:
                cells.append("停产")
            elif x > _TOL:
                cells.append(f"减产{_pct(x)}")
            else:
                cells.append("正常生产（本级别未安排停产）" if whole else "正常生产")
        rows.append(cells)
    return header, rows


def _override_notes(ov: dict) -> list[str]:
    """The bureau's lock of this firm and its stated reason (e.g. a lock below the rule floor)."""
    lock, reason = ov.get("lock"), str(ov.get("reason") or "").strip()
    if lock is None:
        return []
    per = lock if isinstance(lock, dict) else None
    what = (
        "、".join(f"{LEVEL_ZH.get(lv, lv)}{_pct(float(x))}" for lv, x in per.items())
        if per
        else f"各级别均为{_pct(float(lock))}"
    )
    note = f"生态环境局调整：本企业减产比例锁定为{what}，“规则下限”栏为锁定值，可能低于规则措施"
    return [note + (f"；理由：{reason}。" if reason else "。")]


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
    label, _, value = d["total"].partition("：")
    return (
        _templates()
        .get_template("enterprise_sheet.html.j2")
        .render(
            d=d,
            pollutants=[POLLUTANT_ZH[p] for p in POLLUTANTS],
            total_label=label,
            total_value=value,
            upgrade_note=_UPGRADE_NOTE,
        )
    )


def require_reportlab() -> None:
    """Raise a RuntimeError naming the remedy when the optional reportlab package is missing."""
    try:
        import reportlab  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "PDF export needs the optional 'reportlab' package (pip install reportlab); "
            "enterprise_sheet_html gives the same sheet, printable to PDF from a browser"
        ) from None


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
    require_reportlab()
    import io
    from xml.sax.saxutils import escape as xml_escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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
    """Write one 一厂一策 sheet per enterprise (default: every firm) and an ``index.html`` linking them.

    Files are named ``<enterprise_id>.html`` (and ``.pdf`` with ``pdf=True``, which needs
    reportlab), the id made safe by :func:`planner.io.writing.safe_filename` (an id such as
    ``../x`` or one of 300 characters stays inside ``out_dir``).

    Raises
    ------
    KeyError
        Before anything is written, when an id is not in the inventory.
    RuntimeError
        Before anything is written, when ``pdf=True`` and reportlab is missing.
    """
    if pdf:
        require_reportlab()
    out = Path(out_dir)
    table = result.prepared.table
    ids = list(dict.fromkeys(str(i) for i in (enterprise_ids if enterprise_ids is not None else table.index)))
    ctx = _sheet_context(result, upgrade, ids)
    out.mkdir(parents=True, exist_ok=True)
    paths, links, used = [], [], set()
    for eid in ids:
        stem = safe_filename(eid)
        if stem.casefold() in used:  # two ids that differ only in case, on a case-blind disk
            stem = safe_filename(eid + "\x00")
        used.add(stem.casefold())
        p = out / f"{stem}.html"
        p.write_text(enterprise_sheet_html(result, eid, upgrade=upgrade, context=ctx), encoding="utf-8")
        paths.append(p)
        if pdf:
            paths.append(out / f"{stem}.pdf")
            enterprise_sheet_pdf(result, eid, paths[-1], upgrade=upgrade, context=ctx)
        links.append((p.name, eid, ctx["records"][eid].get("name", "")))
    index = out / "index.html"
    index.write_text(_templates().get_template("sheet_index.html.j2").render(links=links), encoding="utf-8")
    return [*paths, index]
