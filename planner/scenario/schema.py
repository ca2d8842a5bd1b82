"""Schema of a scenario file: every key, its type, its range and its allowed values.

One pydantic model per section (:class:`Options`, :class:`Solver`, :class:`EnterpriseOverride`,
:class:`NonIndustrial`) and one for the file (:class:`ScenarioFile`); a new key is one field in the
section it belongs to.  Models are strict: ``exempt: 'no'`` is an error (a quoted text is not a
boolean), ``presolve: maybe``, ``percentile: true`` or ``county_loss_cap: '25%'`` are errors, numbers
must be finite (``.inf``, ``1.0e+400`` and ``10**400`` are refused), unknown keys are errors with the
closest valid key suggested (by :mod:`planner.io.schema_errors`).

Every field is optional in a single file, since a scenario may inherit the rest from its
``base:``; what the merged scenario must have (``inventory``, ``city``, a ``forecast`` in episode
mode) and where its paths lead is checked by :mod:`planner.scenario.files`, which validates each
file of a ``base:`` chain with :class:`ScenarioFile` and builds the
:class:`planner.scenario.files.Scenario` used downstream.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from planner.io.schema_errors import field_message, suggest_key
from planner.policy.measures import CONTROL_TYPES
from planner.targets.schema import Level, Pollutant, ShareOverrides, Strict, Text, number_as_text

__all__ = [
    "AQI_STANDARDS",
    "METHODS",
    "MODES",
    "AirGoal",
    "AirQuality",
    "Ensemble",
    "EnterpriseOverride",
    "NonIndustrial",
    "Options",
    "ScenarioFile",
    "Share",
    "Solver",
]

MODES: tuple[str, ...] = ("list", "episode")
#: ``options.method``: the optimised plan, or one of the baselines planned on purpose.
METHODS: tuple[str, ...] = ("optimal", "uniform", "same_share", "equal_tonnes", "greedy", "rules_only")
#: Editions of the AQI standard (``planner.policy.aqi.EDITIONS``).
AQI_STANDARDS: tuple[str, ...] = ("2012", "2026")
#: Longest path accepted in a scenario (characters).
MAX_PATH_CHARS = 1024


class Section(Strict):
    """Base of every scenario section: unknown keys are errors, types are strict."""


# --- value types -------------------------------------------------------------------------------
def _path_text(value: str) -> str:
    if not value.strip():
        raise ValueError("the path is empty")
    if "\x00" in value:
        raise ValueError("the path contains a NUL byte (\\x00); write the file's path as plain text")
    bad = sorted({f"\\x{ord(c):02x}" for c in value if ord(c) < 32 or ord(c) == 127})
    if bad:
        raise ValueError(f"the path contains control characters ({', '.join(bad)})")
    if len(value) > MAX_PATH_CHARS:
        raise ValueError(f"the path is longer than {MAX_PATH_CHARS} characters")
    return value


#: A share of output or emissions, in [0, 1].
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
#: A non-negative finite quantity (tonnes per day, 万元 per day).
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
#: A file or folder path as written in the scenario (resolved by planner.scenario.files).
PathText = Annotated[str, AfterValidator(_path_text)]
#: A cap on a share of the total loss, in (0, 1].
LossCap = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]


# --- sections ----------------------------------------------------------------------------------
class Options(Section):
    """``options:`` - what the model optimises and under which fairness constraints."""

    method: Literal[METHODS] = Field(
        "optimal", **field_message(f"method must be one of {', '.join(METHODS)}")
    )
    discrete: bool = False
    allow_volunteer: bool = False
    grade_monotonicity: bool = False
    county_loss_cap: LossCap | None = Field(
        None,
        **field_message(
            "county_loss_cap is the largest share of the total output loss one county may bear, "
            "a number in (0, 1] (0.25 = 25 %), or null for no cap"
        ),
    )
    firm_loss_cap: LossCap | None = Field(
        None,
        **field_message(
            "firm_loss_cap is the largest share of the total output loss one enterprise may bear, "
            "a number in (0, 1] (0.05 = 5 %), or null for no cap"
        ),
    )
    toggle_allowed: bool = False
    #: Episode mode: cuts follow the level day by day, except that a line stopped by a measure
    #: with a minimum down time stays stopped and restarts cost their restart cost (measure
    #: types' data; planner.optimize.restarts).  false: the non-decreasing chain of
    #: ``toggle_allowed`` over each process (the behaviour before 2026-12).
    restarts: bool = True
    loss_basis: Literal["output_value", "value_added"] = Field(
        "output_value",
        **field_message(
            "loss_basis must be output_value (default) or value_added (rates of data/policy/value_added.csv)"
        ),
    )
    shortfall_penalty: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None,
        **field_message(
            "shortfall_penalty is the cost in 万元 per tonne of unmet target, a positive number "
            "(or null: automatic)"
        ),
    )


class Solver(Section):
    """``solver:`` - which solver, and how long it may run."""

    backend: Literal["highs", "pulp"] = Field(
        "highs", **field_message("backend must be 'highs' (direct arrays) or 'pulp'")
    )
    solver: Literal["highs", "cbc"] = Field("highs", **field_message("solver must be 'highs' or 'cbc'"))
    time_limit: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = Field(
        120.0, **field_message("time_limit is in seconds, a number >= 0 (or null: no limit)")
    )
    mip_gap: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = Field(
        0.005, **field_message("mip_gap is the relative MIP gap, a number in [0, 1] (0.005 = 0.5 %)")
    )
    presolve: bool | Literal["auto"] = Field(
        "auto", **field_message("presolve must be true, false or auto (without quotes for true/false)")
    )
    decomposition: bool | Literal["auto", "on", "off"] = Field(
        "auto",
        **field_message(
            "decomposition must be auto (by size), on or off (the exact decomposition solver of "
            "large plain LPs; see planner.optimize.decomposition)"
        ),
    )


class EnterpriseOverride(Section):
    """``enterprises: {ID: ...}`` - what the bureau changes for one enterprise."""

    grade: Text | None = None
    exempt: bool = False
    ceiling: Share | None = Field(
        None, **field_message("ceiling must be a share between 0 and 1 (the largest cut allowed)")
    )
    lock: Share | dict[Level, Share] | None = Field(
        None,
        **field_message(
            "lock must be a share between 0 and 1, or a mapping of levels to shares ({red: 0.5})"
        ),
    )
    control_type: Literal[CONTROL_TYPES] | None = Field(
        None, **field_message(f"control_type must be one of {', '.join(CONTROL_TYPES)}")
    )
    load_cap: Share | None = Field(
        None, **field_message("load_cap must be a share between 0 and 1 (the load a 保障类 firm keeps)")
    )
    #: Why the bureau set this override (the app requires it for a lock below the mandatory
    #: floor); printed on the firm's 一厂一策 sheet.
    reason: Text | None = None

    @field_validator("grade")
    @classmethod
    def _known_grade(cls, value: str | None) -> str | None:
        from planner.policy.vocabulary import grade_codes

        codes = grade_codes()
        if value is not None and value not in codes:
            raise ValueError(
                f"unknown grade {value!r}{suggest_key(value, codes)}; expected one of {', '.join(codes)}"
            )
        return value


class NonIndustrial(Section):
    """One item of ``non_industrial:`` - a fixed non-industrial measure credited toward the targets.

    With ``sector`` (a key of city.yaml's ``emission_sectors``) ``reductions`` are shares of that
    sector's emissions removed per alert day; without it, tonnes per day.  ``loss`` is 万元 per day.
    """

    name: Text | None = None
    sector: Text | None = None
    reductions: dict[Level, dict[Pollutant, Amount]] | None = None
    loss: dict[Level, Amount] | None = None
    #: A measure of data/policy/non_industrial.yaml instead of an inline one, and how it is used:
    #: ``on`` (credited) or ``optimize`` (a decision for the model).  YAML 1.1 reads a bare ``on``
    #: as true; that is taken as ``on``.
    id: Text | None = None
    use: Annotated[Literal["on", "optimize"], BeforeValidator(lambda v: "on" if v is True else v)] | None = (
        Field(None, **field_message("use must be on or optimize"))
    )

    @model_validator(mode="after")
    def _library_or_inline(self):
        if self.id is not None:
            given = [k for k in ("sector", "reductions", "loss") if getattr(self, k) is not None]
            if given:
                raise ValueError(
                    f"a library measure (id) takes only 'use'; {', '.join(given)} come(s) from "
                    "data/policy/non_industrial.yaml"
                )
        elif self.use is not None:
            raise ValueError("'use' needs the 'id' of a library measure (data/policy/non_industrial.yaml)")
        return self


class Timeline(Section):
    """``timeline:`` - episode mode: when an alert can take effect after the forecast's issue time."""

    lead_hours: Annotated[float, Field(ge=0, lt=720, allow_inf_nan=False)] = Field(
        24.0, **field_message("lead_hours must be hours >= 0 (below 720; default 24)")
    )
    early_start_days: Annotated[int, Field(ge=0, le=30)] = Field(
        0, **field_message("early_start_days must be a whole number >= 0 (at most 30 days)")
    )
    #: Credit each measure on a covered day only for the hours it is in force after the alert's
    #: issue time plus its measure type's ``response_hours`` (planner.scenario.episode).
    response_delay: bool = True


#: ``ensemble.formulation``: how the chance constraint is written (planner.optimize.chance).
CHANCE_FORMULATIONS: tuple[str, ...] = ("auto", "sorted", "indicators")


class Ensemble(Section):
    """``ensemble:`` - episode mode with an ensemble forecast: risk over the members.

    ``chance: q`` asks for a plan that meets each day's targets in at least ``⌈q·K⌉`` of the K
    members (each member's targets from its own alert levels); ``formulation`` picks the exact
    model (:mod:`planner.optimize.chance`; ``auto`` is right for every shipped case).
    """

    chance: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = Field(
        None,
        **field_message(
            "chance is the share of ensemble members whose targets the plan must meet on each day, "
            "a number in (0, 1] (0.8 = 80 %), or null for no chance constraint"
        ),
    )
    formulation: Literal[CHANCE_FORMULATIONS] = Field(
        "auto", **field_message(f"formulation must be one of {', '.join(CHANCE_FORMULATIONS)}")
    )


#: A concentration goal, µg/m³ of daily-mean PM2.5 (at most the whole forecast: 1,000 µg/m³).
Pm25Goal = Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]


class AirGoal(Section):
    """``air_quality.goal:`` - lower PM2.5 by at least X µg/m³ on each alert day (docs/AIR_QUALITY.md).

    ``delta_pm25_city`` at the city mean (mean over the stations), ``delta_pm25_station`` at every
    station; both may be given.  ``instead_of_shares: true`` plans to the goal alone (the
    emission shares are reported, not required).
    """

    delta_pm25_city: Pm25Goal | None = Field(
        None,
        **field_message(
            "delta_pm25_city is the µg/m³ by which the measures must lower the city-mean PM2.5 on each "
            "alert day, a number above 0 (at most 1000)"
        ),
    )
    delta_pm25_station: Pm25Goal | None = Field(
        None,
        **field_message(
            "delta_pm25_station is the µg/m³ by which the measures must lower PM2.5 at every station on "
            "each alert day, a number above 0 (at most 1000)"
        ),
    )
    instead_of_shares: bool = False
    # "at least one of the two" is checked on the merged scenario (planner.scenario.files): a
    # file may inherit the goal from its base and change only instead_of_shares


class AirQuality(Section):
    """``air_quality:`` - the source-receptor data and an optional concentration goal."""

    source_receptor: PathText | None = Field(
        None,
        **field_message(
            "source_receptor is the path of a source-receptor file (netCDF or long CSV, docs/AIR_QUALITY.md), "
            "relative to this file"
        ),
    )
    goal: AirGoal | None = None


class ScenarioFile(Section):
    """One scenario file as written (every key optional: a ``base:`` may give the rest)."""

    name: Text | None = None
    description: Text | None = None
    base: PathText | None = Field(
        None, **field_message("base is the path of the scenario this one overrides, relative to this file")
    )
    inventory: PathText | None = Field(
        None,
        **field_message("inventory is the path of the enterprise list (CSV/XLSX), relative to this file"),
    )
    city: PathText | None = Field(
        None, **field_message("city is the path of city.yaml, relative to this file")
    )
    mode: Literal[MODES] | None = Field(None, **field_message(f"mode must be one of {', '.join(MODES)}"))
    forecast: PathText | None = Field(
        None, **field_message("forecast is the path of the forecast (netCDF/CSV), relative to this file")
    )
    alert_days: dict[Level, Annotated[float, Field(ge=0, le=366, allow_inf_nan=False)]] | None = Field(
        None,
        **field_message("alert_days gives the expected alert days per level, numbers from 0 to 366"),
    )
    rules: Annotated[str, BeforeValidator(number_as_text), AfterValidator(_path_text)] | None = Field(
        None, **field_message("rules is a shipped rule set (2024, 2017) or the path of a rule file (.yaml)")
    )
    aqi_standard: Annotated[Literal[AQI_STANDARDS], BeforeValidator(number_as_text)] | None = Field(
        None,
        **field_message(
            "aqi_standard must be '2012' (HJ 633-2012) or '2026' (the revised standard in force from 2026)"
        ),
    )
    percentile: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = Field(
        None, **field_message("percentile must be a number between 0 and 100 or null (ensemble mean)")
    )
    shares: ShareOverrides | None = None
    measures: PathText | None = Field(
        None, **field_message("measures is the path of a measures folder (or file), relative to this file")
    )
    plants: PathText | None = Field(
        None,
        **field_message(
            "plants is the path of a plants file (一厂一策 measures per enterprise), relative to this file"
        ),
    )
    menus: PathText | None = Field(
        None,
        **field_message(
            "menus is the path of a menus file (measure options per level of plant-by-plant firms), "
            "relative to this file"
        ),
    )
    lines: PathText | None = Field(
        None,
        **field_message(
            "lines is the path of a lines table (one row per production line or process), relative to this file"
        ),
    )
    non_industrial: list[NonIndustrial] | None = None
    enterprises: dict[Text, EnterpriseOverride] | None = None
    timeline: Timeline | None = None
    ensemble: Ensemble | None = None
    options: Options | None = None
    solver: Solver | None = None
    air_quality: AirQuality | None = None


#: Keys of the top level, of ``options``, ``solver``, one enterprise and one non-industrial item.
TOP_LEVEL_KEYS: tuple[str, ...] = tuple(ScenarioFile.model_fields)
OPTION_DEFAULTS: dict[str, Any] = {k: f.default for k, f in Options.model_fields.items()}
SOLVER_DEFAULTS: dict[str, Any] = {k: f.default for k, f in Solver.model_fields.items()}


# --- region scenarios (several cities, optional regional targets) ------------------------------
#: A city's id in a region scenario: letters, digits, ``_`` and ``-`` (it names a folder and the
#: ``city`` column of schedule.csv).
CityId = Annotated[
    str,
    BeforeValidator(number_as_text),
    Field(
        pattern=r"^[A-Za-z0-9_-]{1,40}$",
        **field_message("a city id is 1-40 letters, digits, '_' or '-' (e.g. north, city_2)"),
    ),
]


class CityEntry(ScenarioFile):
    """One city of ``cities:``: the keys of a scenario file for that city.

    Its own ``inventory``, ``city``, ``forecast``, ``shares``, ``enterprises`` …, or a ``base:`` scenario to
    start from.

    Keys the region file gives at its top level (``mode``, ``alert_days``, ``options`` …) are the
    defaults of every city; the city's own keys (and its base's) win.
    """


class RegionTargets(Section):
    """``region:`` - targets on the sum of the cities (区域联防联控)."""

    targets: dict[Level, dict[Pollutant, Share]] = Field(
        ...,
        **field_message(
            "region.targets gives, per level and pollutant, the share of the cities' summed total "
            "emissions to remove, e.g. {orange: {NOx: 0.25}}"
        ),
    )


class RegionFile(Section):
    """A region scenario: several cities planned together, with optional regional targets."""

    name: Text | None = None
    description: Text | None = None
    mode: Literal[MODES] | None = Field(None, **field_message(f"mode must be one of {', '.join(MODES)}"))
    alert_days: dict[Level, Annotated[float, Field(ge=0, le=366, allow_inf_nan=False)]] | None = Field(
        None,
        **field_message("alert_days gives the expected alert days per level, numbers from 0 to 366"),
    )
    rules: Annotated[str, BeforeValidator(number_as_text), AfterValidator(_path_text)] | None = Field(
        None, **field_message("rules is a shipped rule set (2024, 2017) or the path of a rule file (.yaml)")
    )
    aqi_standard: Annotated[Literal[AQI_STANDARDS], BeforeValidator(number_as_text)] | None = None
    percentile: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    shares: ShareOverrides | None = None
    measures: PathText | None = None
    timeline: Timeline | None = None
    options: Options | None = None
    solver: Solver | None = None
    cities: dict[CityId, CityEntry] = Field(
        ...,
        min_length=1,
        **field_message("cities maps a city id to its scenario keys (inventory, city, ...)"),
    )
    region: RegionTargets | None = None


#: Keys of a region file that are defaults of every city.
REGION_COMMON_KEYS: tuple[str, ...] = tuple(
    k for k in RegionFile.model_fields if k not in ("name", "description", "cities", "region")
)
