"""A 5-member toy ensemble over the nine-firm tiny city, shared by the ensemble-risk suites.

Importable from every test folder (``tests/`` is on ``sys.path`` through its ``conftest.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from planner import POLLUTANTS

#: Ensemble-mean-ish daily city PM2.5 (µg/m³) of the four days, and each member's factor.
BASE_PM25 = np.array([150.0, 190.0, 240.0, 60.0])
FACTORS = np.array([0.55, 0.8, 1.0, 1.25, 1.6])
MEMBERS = [f"m{k + 1}" for k in range(len(FACTORS))]
DATES = pd.date_range("2026-12-10", periods=len(BASE_PM25), freq="D")


def write_forecast(path, factors=FACTORS, base=BASE_PM25, members=True) -> None:
    """A daily forecast CSV with one station and (``members``) one member per factor."""
    rows = []
    for k, f in enumerate(factors if members else [1.0]):
        for d, pm in zip(DATES, base, strict=True):
            v = float(pm * f)
            row = {
                "time": d.strftime("%Y-%m-%d"),
                "station": "S1",
                "PM2.5": v,
                "PM10": 1.3 * v,
                "SO2": 10.0,
                "NO2": 40.0,
                "CO": 1.0,
                "O3": 60.0,
            }
            if members:
                row["member"] = MEMBERS[k]
            rows.append(row)
    pd.DataFrame(rows).to_csv(path, index=False)


def write_city(folder, repo, totals_factor: float = 1.0, extra: dict | None = None, members=True):
    """The tiny city's inventory, city.yaml, the toy forecast and ``tiny.yaml`` (episode mode)."""
    from tiny_city import PICKS

    df = pd.read_csv(repo / "data" / "demo_city" / "enterprises.csv", dtype=str, keep_default_na=False)
    rows = [df[(df.industry == i) & (df.grade == g) & (df.control_type == "key")].iloc[0] for i, g in PICKS]
    sub = pd.DataFrame(rows)
    folder.mkdir(parents=True, exist_ok=True)
    sub.to_csv(folder / "enterprises.csv", index=False)
    totals = {p: round(float(pd.to_numeric(sub[p]).sum()) * totals_factor, 3) for p in POLLUTANTS}
    (folder / "city.yaml").write_text(
        yaml.safe_dump({"name": "Tiny", "name_zh": "小城", "total_emissions": totals}, allow_unicode=True),
        encoding="utf-8",
    )
    write_forecast(folder / "forecast.csv", members=members)
    scen = {
        "name": "tiny_ensemble",
        "inventory": "enterprises.csv",
        "city": "city.yaml",
        "mode": "episode",
        "forecast": "forecast.csv",
        "aqi_standard": "2026",
        **(extra or {}),
    }
    (folder / "tiny.yaml").write_text(yaml.safe_dump(scen, allow_unicode=True), encoding="utf-8")
    return folder / "tiny.yaml"
