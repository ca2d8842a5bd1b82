"""Emergency emission-reduction planner for heavy-pollution weather.

The pipeline reads top to bottom, one module per concept::

    inventory  -> the bureau's enterprise list, validated   (planner.inventory.table)
    rules      -> policy data: AQI, alert rules, shares,
                  measures by industry x grade x level      (planner.policy.vocabulary, planner.policy.aqi, planner.policy.alerts,
                                                             planner.policy.measures)
    targets    -> forecast -> alert levels -> tonnes to cut (planner.targets.forecast, planner.targets.reductions)
    model      -> LP/MILP over enterprise x slot            (planner.optimize.model, planner.backends)
    plan       -> schedule, summary, verification           (planner.scenario.run, planner.optimize.verify, planner.optimize.baselines)
    views      -> tables, exports and the Streamlit app     (planner.reports.views, app.py)
"""

from pathlib import Path

__version__ = "0.1.0"

#: Canonical pollutant codes, in the order every array uses.
POLLUTANTS: tuple[str, ...] = ("SO2", "NOx", "PM", "VOCs")
#: Alert levels from lowest to highest.
LEVELS: tuple[str, ...] = ("none", "yellow", "orange", "red")
#: Levels that carry measures.
ALERT_LEVELS: tuple[str, ...] = ("yellow", "orange", "red")

#: The project's data folder (policy defaults, schema, demo city).
DATA_DIR: Path = Path(__file__).resolve().parent.parent / "data"

__all__ = ["ALERT_LEVELS", "DATA_DIR", "LEVELS", "POLLUTANTS", "__version__"]
