"""Writing a region plan (:mod:`planner.scenario.region`): the region's files and each city's."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import xarray as xr

__all__ = ["write_region_outputs"]


def _workbook_view(result):
    """What :func:`planner.reports.views.plan_workbook` reads.

    For the whole region: firms and slots labelled ``<city>/<id>`` so that firms of different cities stay
    apart.
    """
    sched = result.schedule.copy()
    sched["enterprise_id"] = sched["city"].astype(str) + "/" + sched["enterprise_id"].astype(str)
    sched["slot"] = sched["city"].astype(str) + "/" + sched["slot"].astype(str)
    slots, days = [], []
    for c, r in result.cities.items():
        slots += [f"{c}/{s}" for s in r.prepared.inputs["slot"].values]
        days += [float(d) for d in r.prepared.inputs["days"].values]
    inputs = xr.Dataset({"days": (("slot",), np.array(days))}, coords={"slot": slots})
    return SimpleNamespace(
        summary=result.summary, schedule=sched.drop(columns="city"), prepared=SimpleNamespace(inputs=inputs)
    )


def write_region_outputs(result, out_dir: str | Path, schedule_format: str = "csv") -> dict[str, Path]:
    """Write the region's plan files and each city's own.

    The region's ``schedule.csv`` (first column ``city``), ``summary.json`` and ``plan.xlsx`` into ``out_dir``, and each city's own three files into
    ``out_dir/cities/<city>/``.

    Everything is staged beside ``out_dir`` and moved into place once complete
    (:func:`planner.io.writing.staged_output`).
    """
    from planner.io.writing import SCHEDULE_FORMATS, staged_output, write_schedule
    from planner.reports.views import plan_workbook

    if schedule_format not in SCHEDULE_FORMATS:
        raise ValueError(f"unknown schedule format {schedule_format!r}; one of {', '.join(SCHEDULE_FORMATS)}")
    out = Path(out_dir)
    names = {"schedule": Path("schedule.csv")}
    if schedule_format == "parquet":
        names["schedule_parquet"] = Path("schedule.parquet")
    names.update({"summary": Path("summary.json"), "workbook": Path("plan.xlsx")})
    with staged_output(out) as stage:
        write_schedule(result.schedule, stage / "schedule.csv", "csv")
        if schedule_format == "parquet":
            write_schedule(result.schedule, stage / "schedule.parquet", "parquet")
        (stage / "summary.json").write_text(
            json.dumps(result.summary, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        plan_workbook(_workbook_view(result), stage / "plan.xlsx")
        for c, r in result.cities.items():
            folder = stage / "cities" / c
            folder.mkdir(parents=True)
            write_schedule(r.schedule, folder / "schedule.csv", "csv")
            (folder / "summary.json").write_text(
                json.dumps(r.summary, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            plan_workbook(r, folder / "plan.xlsx")
            names[f"city_{c}"] = Path("cities") / c
    return {k: out / v for k, v in names.items()}
