"""Schemas of ``shares.yaml`` (required reduction shares) and ``city.yaml`` (city-wide totals).

Strict pydantic models (:mod:`planner.io.schema_errors` turns their errors into file / key path /
line problems): unknown keys are errors with the closest valid key suggested, shares are fractions
in [0, 1] (``40`` gets "write 0.4"), totals are finite positive numbers, texts are texts.

The value types defined here (:data:`Level`, :data:`Pollutant`, :data:`ReductionShare`,
:data:`ShareOverrides`) are shared with the scenario schema (``shares:`` of a scenario has the
override form).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from planner import ALERT_LEVELS, POLLUTANTS
from planner.io.schema_errors import Word, field_message

__all__ = [
    "CityFile",
    "Level",
    "Pollutant",
    "ReductionShare",
    "ShareOverrides",
    "SharesFile",
    "Strict",
    "Text",
    "TotalEmissions",
]


class Strict(BaseModel):
    """Base of the policy-file models: unknown keys are errors, types are strict."""

    model_config = ConfigDict(extra="forbid", strict=True)


def number_as_text(value: Any) -> Any:
    """``2026`` or ``139902`` written without quotes is that text; booleans stay errors."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return value


def _fraction(value: float) -> float:
    if value > 1:
        hint = f"write {value / 100:g}, not {value:g}" if value <= 100 else "0.4 = 40 %"
        raise ValueError(f"{value:g} is outside [0, 1]: shares are fractions between 0 and 1 ({hint})")
    return value


Level = Annotated[Literal[ALERT_LEVELS], Word("level")]
Pollutant = Annotated[Literal[POLLUTANTS], Word("pollutant")]
#: Text; a number written without quotes is taken as its text.
Text = Annotated[str, BeforeValidator(number_as_text)]
#: A required reduction share of the city's total emissions, in [0, 1].
ReductionShare = Annotated[float, Field(ge=0, allow_inf_nan=False), AfterValidator(_fraction)]
#: Shares per level: one share for every pollutant, or a share per pollutant.
ShareTable = dict[Level, ReductionShare | dict[Pollutant, ReductionShare]]
#: Overrides of the shares (a city's or a scenario's ``shares:``): any levels and pollutants.
ShareOverrides = ShareTable
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[
    float,
    Field(gt=0, allow_inf_nan=False),
]


class SharesFile(Strict):
    """``data/policy/shares.yaml``: the required shares per level and pollutant, with their source."""

    source: Text | None = None
    notes: Text | None = None
    shares: ShareTable


class TotalEmissions(Strict):
    """全社会排放总量 per pollutant, t/a (every pollutant required, each > 0)."""

    SO2: Positive = Field(**field_message("city-wide total emissions are t/a, a number > 0"))
    NOx: Positive = Field(**field_message("city-wide total emissions are t/a, a number > 0"))
    PM: Positive = Field(**field_message("city-wide total emissions are t/a, a number > 0"))
    VOCs: Positive = Field(**field_message("city-wide total emissions are t/a, a number > 0"))


class SectorEmissions(Strict):
    """Emissions of one sector per pollutant, t/a (pollutants not given are 0)."""

    SO2: Amount = 0.0
    NOx: Amount = 0.0
    PM: Amount = 0.0
    VOCs: Amount = 0.0


Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class Station(Strict):
    """A national control station of the city."""

    id: Text
    name: Text | None = None
    name_en: Text | None = None
    name_zh: Text | None = None
    county: Text | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None


class County(Strict):
    """A county (区县) of the city."""

    name: Text
    name_en: Text | None = None
    name_zh: Text | None = None
    code: Text | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    towns: list[Text] | None = None
    parks: list[Text | dict[Text, Any]] | None = None
    population: Amount | None = None
    area_km2: Amount | None = None


class Extent(Strict):
    """Bounding box of the city, degrees."""

    lat_min: Latitude
    lat_max: Latitude
    lon_min: Longitude
    lon_max: Longitude

    @model_validator(mode="after")
    def _ordered(self) -> Extent:
        if self.lat_min >= self.lat_max or self.lon_min >= self.lon_max:
            raise ValueError("the extent needs lat_min < lat_max and lon_min < lon_max")
        return self


class CityFile(Strict):
    """``city.yaml``: the city's name, total emissions (t/a) and what describes it."""

    name: Text
    name_zh: Text | None = None
    province: Text | None = None
    year: Annotated[int, Field(ge=1900, le=2200)] | None = None
    source: Text | None = None
    notes: Text | None = None
    total_emissions: TotalEmissions
    emission_sectors: dict[Text, SectorEmissions] | None = None
    stations: list[Text | Station] | None = None
    extent: Extent | None = None
    counties: list[Text | County] | None = None
    shares: ShareOverrides | None = None
    forecast: Text | None = None
    inventory: Text | None = None
    alert_rules: Text | None = None
    aqi_standard: Annotated[Literal["2012", "2026"], BeforeValidator(number_as_text)] | None = None
    population: Amount | None = None
    area_km2: Amount | None = None
    timezone: Text | None = None
