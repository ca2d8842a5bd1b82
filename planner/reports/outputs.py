"""The files of ``planner plan``.

``schedule.csv`` (and ``schedule.parquet``), ``schedule_lines.csv``, ``summary.json`` and ``plan.xlsx``,
written together so that a failure leaves nothing half-written.
"""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path

from planner.io.writing import SCHEDULE_FORMATS, staged_output, write_schedule
from planner.reports.views import plan_workbook
from planner.scenario.run import PlanResult

__all__ = ["write_outputs"]


def write_outputs(result: PlanResult, out_dir: str | Path, schedule_format: str = "csv") -> dict[str, Path]:
    """Write ``schedule.csv``, ``summary.json`` and ``plan.xlsx`` (and ``schedule.parquet``) into ``out_dir``.

    Parameters
    ----------
    result : PlanResult
    out_dir : str or Path
        Created when missing; files of the same names are replaced, others left alone.
    schedule_format : {"csv", "parquet"}
        ``schedule.csv`` is always written; ``"parquet"`` adds ``schedule.parquet`` (typed columns,
        compact, for schedules of millions of rows).

    Returns
    -------
    dict of str to Path
        ``schedule``, (``schedule_parquet``,) ``summary``, ``workbook``.

    Notes
    -----
    Everything is written into a temporary folder beside ``out_dir`` and moved into place only
    when every file is complete (:func:`planner.io.writing.staged_output`): a failure leaves
    ``out_dir`` as it was.  Texts that a spreadsheet would run as formulas are neutralised in the
    CSV and the workbook; ``plan.xlsx`` holds the summary, targets and per-firm totals only (and says
    so) when the schedule has more rows than
    :data:`planner.reports.views.SCHEDULE_SHEET_MAX_ROWS` (100,000).
    """
    if schedule_format not in SCHEDULE_FORMATS:
        raise ValueError(f"unknown schedule format {schedule_format!r}; one of {', '.join(SCHEDULE_FORMATS)}")
    names = {"schedule": "schedule.csv"}
    if schedule_format == "parquet":
        names["schedule_parquet"] = "schedule.parquet"
    lines = result.schedule_lines
    if lines is not None:
        names["schedule_lines"] = "schedule_lines.csv"
    names.update({"summary": "summary.json", "workbook": "plan.xlsx"})
    out = Path(out_dir)

    def tables(stage: Path) -> None:
        write_schedule(result.schedule, stage / names["schedule"], "csv")
        if schedule_format == "parquet":
            write_schedule(result.schedule, stage / names["schedule_parquet"], "parquet")
        if lines is not None:
            write_schedule(lines, stage / names["schedule_lines"], "csv")

    # the schedule files (mostly Arrow, which releases the GIL) are written in a thread while the
    # workbook (xlsxwriter, Python) is: on a schedule of a million rows both take seconds; the pool
    # is shut down (the thread finished) before a failure removes the staged folder
    with staged_output(out) as stage, concurrent.futures.ThreadPoolExecutor(1) as pool:
        written = pool.submit(tables, stage)
        (stage / names["summary"]).write_text(
            json.dumps(result.summary, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        plan_workbook(result, stage / names["workbook"])
        written.result()  # its error, if any
    return {key: out / name for key, name in names.items()}
