"""Air quality: from tonnes to µg/m³ (docs/AIR_QUALITY.md).

- :mod:`planner.airquality.sr` – source–receptor matrices imported from an air-quality model;
- :mod:`planner.airquality.screening` – the screening Gaussian plume used when there is none;
- :mod:`planner.airquality.meteorology` – the forecast's wind and mixing height, or a seasonal default;
- :mod:`planner.airquality.params` – the coefficients in ``data/policy/air_quality/``;
- :mod:`planner.airquality.effect` – ΔPM2.5 and the AQI with the measures of a plan;
- :mod:`planner.airquality.analysis` – rankings per 万元, the loss–ΔPM2.5 curve, who delivers.
"""
