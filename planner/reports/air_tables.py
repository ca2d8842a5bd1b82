"""Plain tables of a plan's air-quality effect for the app pages (overview, map).

- :func:`air_slots_frame` – per slot, the city-mean PM2.5 forecast, ΔPM2.5, PM2.5 and AQI with and
  without the measures and the concentration goal (from ``summary.json``);
- :func:`station_points` – per station, its position and PM2.5 / ΔPM2.5 / AQI on one slot (from the
  plan's effect, :class:`planner.airquality.effect.PlanEffect` ``days``);
- :func:`firm_impact` – per firm, the µg/m³ its cut removes at the city mean on a level's slots.

No Streamlit here: the pages only draw what these return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["air_slots_frame", "firm_impact", "goal_info", "station_points"]

_SLOT_COLUMNS = [
    "slot",
    "level",
    "pm25_forecast",
    "delta_pm25",
    "pm25_with_measures",
    "aqi_forecast",
    "aqi_with_measures",
    "goal_delta_pm25",
    "goal_met",
    "marginal_loss_per_ugm3",
]


def air_slots_frame(summary: dict) -> pd.DataFrame:
    """One row per slot with an ``air_quality`` entry (empty when the city has no stations).

    Columns: ``slot, level, pm25_forecast, delta_pm25, pm25_with_measures, aqi_forecast,
    aqi_with_measures, goal_delta_pm25, goal_met, marginal_loss_per_ugm3`` (µg/m³, AQI, 万元 per
    µg/m³; NaN where not given: list mode has no forecast, a plan without a goal no goal columns).
    """
    rows = []
    for s in summary.get("slots") or []:
        a = s.get("air_quality")
        if not a:
            continue
        pm, d = a.get("pm25_forecast"), a.get("delta_pm25")
        rows.append(
            {
                "slot": s["slot"],
                "level": s["level"],
                "pm25_forecast": pm,
                "delta_pm25": d,
                "pm25_with_measures": None if pm is None or d is None else max(pm - d, 0.0),
                "aqi_forecast": a.get("aqi_forecast"),
                "aqi_with_measures": a.get("aqi_with_measures"),
                "goal_delta_pm25": a.get("goal_delta_pm25"),
                "goal_met": a.get("goal_met"),
                "marginal_loss_per_ugm3": a.get("marginal_loss_per_ugm3"),
            }
        )
    df = pd.DataFrame(rows, columns=_SLOT_COLUMNS)
    num = [c for c in _SLOT_COLUMNS if c not in ("slot", "level", "goal_met")]
    df[num] = df[num].apply(pd.to_numeric, errors="coerce")
    return df


def goal_info(summary: dict) -> dict | None:
    """The goal of ``summary["air_quality"]`` (None without one).

    ``city``, ``station`` (µg/m³), ``instead_of_shares``, ``met``, ``loss_with_goal``, ``loss_without_goal``,
    ``goal_cost``.
    """
    aq = summary.get("air_quality")
    if not aq:
        return None
    g = aq.get("goal") or {}
    return {
        "city": g.get("delta_pm25_city"),
        "station": g.get("delta_pm25_station"),
        "instead_of_shares": bool(g.get("instead_of_shares")),
        "met": aq.get("met"),
        "loss_with_goal": aq.get("loss_with_goal"),
        "loss_without_goal": aq.get("loss_without_goal"),
        "goal_cost": aq.get("goal_cost"),
    }


def station_points(days: pd.DataFrame | None, stations: list[dict], slot: str) -> pd.DataFrame:
    """Stations with their values on one slot.

    ``id, name, name_en, lon, lat, pm25_forecast, delta_pm25, pm25_with_measures, aqi_forecast,
    aqi_with_measures`` (NaN where the effect has no value, e.g. list mode has no forecast).
    """
    cols = ["pm25_forecast", "delta_pm25", "pm25_with_measures", "aqi_forecast", "aqi_with_measures"]
    base = pd.DataFrame(
        [
            {
                "id": str(s.get("id")),
                "name": str(s.get("name") or s.get("id")),
                "name_en": str(s.get("name_en") or s.get("name") or s.get("id")),
                "lon": float(s["lon"]),
                "lat": float(s["lat"]),
            }
            for s in stations or []
            if s.get("lon") is not None and s.get("lat") is not None
        ],
        columns=["id", "name", "name_en", "lon", "lat"],
    )
    if days is None or days.empty or base.empty:
        for c in cols:
            base[c] = np.nan
        return base
    d = days[days["slot"].astype(str) == str(slot)].copy()
    d["receptor"] = d["receptor"].astype(str)
    d = d.drop_duplicates("receptor").set_index("receptor")
    for c in cols:
        base[c] = pd.to_numeric(base["id"].map(d[c]) if c in d else np.nan, errors="coerce")
    return base


def firm_impact(schedule: pd.DataFrame, level: str) -> pd.Series:
    """µg/m³ removed at the city mean by each firm's cut on one slot of ``level``, by enterprise id.

    The largest over the level's slots, all lag days of that cut; empty without the schedule's
    ``delta_pm25_city`` column.
    """
    if schedule is None or "delta_pm25_city" not in schedule:
        return pd.Series(dtype=float)
    s = schedule[schedule["level"] == level]
    return s.groupby(s["enterprise_id"].astype(str))["delta_pm25_city"].max().fillna(0.0)
