"""Pydantic schema of the measure files, generated from the measure-type registry.

A measure item is a discriminated union on ``type``: one model per entry of
``data/policy/measure_types.yaml``, each taking exactly that type's parameters (``extra="forbid"``,
shares in [0, 1], hours > 0).  A bare type name (``- stop``) is read as ``{type: stop}``.  The file
model (:func:`measure_file_schema`) checks the structure of a whole measures file; the meaning (known
industries and grades, levels not weaker than the level below) is checked by
:mod:`planner.policy.measures` after the schema passes.  Errors are turned into file/key-path/line
problems by :mod:`planner.io.schema_errors`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from planner import POLLUTANTS
from planner.policy.registry import measure_types

__all__ = ["Hours", "Share", "item_schema", "measure_file_schema", "plant_file_schema"]

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Hours = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Factors(_Strict):
    """Reduction per unit curtailment per pollutant (each optional)."""

    SO2: Share | None = None
    NOx: Share | None = None
    PM: Share | None = None
    VOCs: Share | None = None


class SourceRecord(_Strict):
    """A structured source: the document, who issued it, when and where."""

    title: str = Field(min_length=1)
    issuer: str | None = None
    year: int | str | None = None
    city: str | None = None
    url: str | None = None
    note: str | None = None


def _kind(kind: str):
    return Share if kind == "share" else Hours


@lru_cache(maxsize=1)
def item_schema():
    """The annotation of one measure item: a union of one model per registered type, on ``type``."""
    models = []
    for code, spec in measure_types().items():
        fields: dict[str, Any] = {
            "type": (Literal[code], ...),
            "process": (str | None, None),
            "process_share": (Share | None, None),
            "factors": (Factors | None, None),
            "text_zh": (str | None, None),
            "text_en": (str | None, None),
            "note": (str | None, None),
        }
        for name, ps in spec.params.items():
            fields[name] = (_kind(ps.kind), ...) if ps.required else (_kind(ps.kind) | None, None)
        models.append(create_model(f"Item_{code}", __base__=_Strict, **fields))
    return Annotated[Union[tuple(models)], Field(discriminator="type")]  # noqa: UP007


def _bare_names(v):
    """``- stop`` → ``{type: stop}``; a single item → a list of one."""
    if isinstance(v, str | dict):
        v = [v]
    if isinstance(v, list):
        return [{"type": x} if isinstance(x, str) else x for x in v]
    return v


def _levels_model():
    items = list[item_schema()]

    class Levels(_Strict):
        yellow: Annotated[items, Field(min_length=1)]
        orange: Annotated[items, Field(min_length=1)]
        red: Annotated[items, Field(min_length=1)]

        _bare = field_validator("yellow", "orange", "red", mode="before")(
            classmethod(lambda cls, v: _bare_names(v))
        )

    return Levels


@lru_cache(maxsize=1)
def _models():
    levels = _levels_model()

    class MeasureFileSchema(_Strict):
        """A file of ``data/policy/measures/``."""

        industry: str | Annotated[list[str], Field(min_length=1)]
        scope: Literal["national", "local"]
        source: Annotated[str, Field(min_length=1)] | SourceRecord
        name_zh: str | None = None
        notes: str | None = None
        technical_max_cut: Share | None = None
        extra_factors: Factors | None = None
        grade_fallback: dict[str, str] | None = None
        grades: dict[str, Literal["self_directed"] | levels]

    class PlantFileSchema(_Strict):
        """A plants file (一厂一策): enterprise id → levels."""

        source: Annotated[str, Field(min_length=1)] | SourceRecord | None = None
        notes: str | None = None
        plants: dict[str, levels]

    return MeasureFileSchema, PlantFileSchema


def measure_file_schema() -> type[BaseModel]:
    """The model of a file of ``data/policy/measures/`` (built from the current registry)."""
    return _models()[0]


def plant_file_schema() -> type[BaseModel]:
    """The model of a plants file (一厂一策)."""
    return _models()[1]


assert tuple(Factors.model_fields) == POLLUTANTS
