"""Numbers for JSON files and tables: finite floats or None."""

from __future__ import annotations

import math


def finite_or_none(value) -> float | None:
    """A plain float for JSON and tables, or None for a missing, non-numeric, NaN or infinite value."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None
