"""Coefficients of the screening source–receptor model, read from ``data/policy/air_quality/``.

``screening.yaml`` holds the dispersion, stack, seasonal-meteorology, lag and PM2.5-fraction
coefficients; ``secondary.yaml`` the secondary-formation factors of SO2, NOx and VOCs.  Both are
validated on load like every policy file: unknown, misspelt or missing keys, wrong numbers and
lag weights that do not sum to 1 are :class:`~planner.problems.InputError` naming file and key path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from planner import DATA_DIR, POLLUTANTS
from planner.policy.vocabulary import check_keys, check_number, check_share, file_label, key_path, load_yaml
from planner.problems import InputError, Problems

__all__ = ["AQ_DIR", "PRIMARY", "SECONDARY", "STABILITY_CLASSES", "ScreeningParams", "load_params"]

AQ_DIR: Path = DATA_DIR / "policy" / "air_quality"
STABILITY_CLASSES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
#: Pollutants of the inventory whose PM2.5 is secondary (formed in the air) / primary (emitted).
SECONDARY: tuple[str, ...] = ("SO2", "NOx", "VOCs")
PRIMARY: str = "PM"

_TOP = (
    "name",
    "source",
    "dispersion",
    "stacks",
    "seasons",
    "list_mode_season",
    "lag_weights",
    "pm25_fraction",
)
_DISP = (
    "min_distance_m",
    "min_wind_speed_ms",
    "speed_bins_ms",
    "day_classes",
    "night_classes",
    "day_hours",
    "daily_class",
    "sigma_z",
    "sigma_theta_deg",
    "daily_sigma_theta_deg",
    "wind_profile_exponent",
)
_STACKS = ("size_classes", "area_source_height_m", "area_grid_points")
_SEASON = ("months", "wind_speed_ms", "mixing_height_day_m", "mixing_height_night_m", "wind_rose")
_PREC = ("product", "rate_per_hour", "mass_factor", "particle_fraction", "source")


@dataclass
class ScreeningParams:
    """Validated screening coefficients (see ``data/policy/air_quality/screening.yaml``)."""

    min_distance_m: float
    min_wind_speed_ms: float
    speed_bins_ms: np.ndarray
    day_classes: tuple[str, ...]
    night_classes: tuple[str, ...]
    day_hours: tuple[int, int]
    daily_class: str
    sigma_z: dict[str, tuple[float, float, float]]
    sigma_theta_deg: dict[str, float]
    daily_sigma_theta_deg: float
    wind_profile_exponent: dict[str, float]
    size_max_tpa: np.ndarray
    size_height_m: np.ndarray
    size_rise_m: np.ndarray
    area_source_height_m: float
    area_grid_points: int
    seasons: dict[str, dict]
    list_mode_season: str
    lag_primary: np.ndarray
    lag_secondary: np.ndarray
    pm25_industry: float
    pm25_sectors: dict[str, float]
    pm25_default: float
    #: precursor -> {"product", "rate" {season: k per h}, "mass_factor", "particle" {season: share}}
    secondary: dict[str, dict] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    @property
    def lags(self) -> np.ndarray:
        """Lag days 0 … L-1 (L = the longer of the two weight lists)."""
        return np.arange(max(len(self.lag_primary), len(self.lag_secondary)))

    def lag_weights(self) -> np.ndarray:
        """Weights, shape (lag, pollutant) in :data:`planner.POLLUTANTS` order."""
        n = len(self.lags)
        prim = np.pad(self.lag_primary, (0, n - len(self.lag_primary)))
        sec = np.pad(self.lag_secondary, (0, n - len(self.lag_secondary)))
        return np.stack([prim if p == PRIMARY else sec for p in POLLUTANTS], axis=1)

    def season_of_month(self, month: int) -> str:
        """The name of the season that ``month`` (1-12) belongs to."""
        for name, s in self.seasons.items():
            if month in s["months"]:
                return name
        raise KeyError(month)  # validated: every month has a season


def _check_list(value, n, problems, file, path, what="numbers") -> bool:
    if not isinstance(value, list) or (n is not None and len(value) != n):
        size = f"{n} " if n is not None else ""
        problems.error(file, None, path, f"expected a list of {size}{what}, got {value!r}")
        return False
    return True


def _by_season(value, seasons, problems, file, path, share=False) -> dict[str, float]:
    """A number, or a mapping season -> number (every season)."""
    check = check_share if share else (lambda v, p, f, k: check_number(v, p, f, k, 0.0))
    if isinstance(value, dict):
        check_keys(value, seasons, problems, file, path, required=seasons, what="season")
        return {s: float(v) for s, v in value.items() if check(v, problems, file, key_path(path, s))}
    if check(value, problems, file, path):
        return {s: float(value) for s in seasons}
    return {}


def _parse_secondary(doc, seasons, problems: Problems, label: str) -> dict:
    out: dict[str, dict] = {}
    if not isinstance(doc, dict):
        problems.error(label, None, None, "expected a mapping with keys name, precursors")
        return out
    check_keys(doc, ("name", "precursors"), problems, label, required=("precursors",))
    prec = doc.get("precursors")
    if not isinstance(prec, dict):
        problems.error(label, None, "precursors", "expected a mapping precursor -> factors")
        return out
    check_keys(prec, SECONDARY, problems, label, "precursors", required=SECONDARY, what="precursor")
    for p in SECONDARY:
        item = prec.get(p)
        path = key_path("precursors", p)
        if not isinstance(item, dict):
            continue
        check_keys(item, _PREC, problems, label, path, required=_PREC)
        mass = item.get("mass_factor")
        if mass is not None:
            check_number(mass, problems, label, key_path(path, "mass_factor"), 0.0, 10.0)
        out[p] = {
            "product": str(item.get("product", "")),
            "rate": _by_season(
                item.get("rate_per_hour"), seasons, problems, label, key_path(path, "rate_per_hour")
            ),
            "mass_factor": float(mass) if isinstance(mass, int | float) else 0.0,
            "particle": _by_season(
                item.get("particle_fraction"),
                seasons,
                problems,
                label,
                key_path(path, "particle_fraction"),
                True,
            ),
            "source": str(item.get("source", "")),
        }
        raw = item.get("rate_per_hour")
        over = {"": raw} if not isinstance(raw, dict) else raw
        for s, k in over.items():
            if isinstance(k, int | float) and not isinstance(k, bool) and k > 1.0:
                problems.error(
                    label,
                    None,
                    key_path(path, "rate_per_hour", s),
                    f"{k!r} per hour is above 1 (write 0.02 for 2 %/h)",
                )
    return out


def load_params(folder: str | Path | None = None) -> ScreeningParams:
    """Read and validate ``screening.yaml`` and ``secondary.yaml`` of ``folder``.

    Parameters
    ----------
    folder : str or Path, optional
        Default ``data/policy/air_quality``.

    Returns
    -------
    ScreeningParams

    Raises
    ------
    InputError
        Every problem, by file and key path.
    """
    folder = Path(folder) if folder is not None else AQ_DIR
    return _load_cached(str(folder.resolve()))


@lru_cache(maxsize=4)
def _load_cached(folder: str) -> ScreeningParams:
    problems = Problems()
    spath = Path(folder) / "screening.yaml"
    label = file_label(spath)
    doc = load_yaml(spath, problems, label)
    if not problems.ok:
        raise InputError(problems)
    if not isinstance(doc, dict):
        raise InputError.single(label, "expected a mapping of keys to values")
    check_keys(doc, _TOP, problems, label, required=_TOP)
    disp = doc.get("dispersion") or {}
    stacks = doc.get("stacks") or {}
    seasons_raw = doc.get("seasons") or {}
    if not isinstance(disp, dict) or not isinstance(stacks, dict) or not isinstance(seasons_raw, dict):
        raise InputError.single(label, "dispersion, stacks and seasons must be mappings")
    check_keys(disp, _DISP, problems, label, "dispersion", required=_DISP)
    check_keys(stacks, _STACKS, problems, label, "stacks", required=_STACKS)
    if not problems.ok:
        raise InputError(problems)

    def num(mapping, key, path, low=0.0, high=None, low_open=False) -> float:
        v = mapping.get(key)
        check_number(v, problems, label, key_path(path, key), low, high, low_open)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else float("nan")

    def classes(value, path, keyed) -> dict:
        if not isinstance(value, dict):
            problems.error(
                label, None, path, f"expected a mapping class -> value for {', '.join(STABILITY_CLASSES)}"
            )
            return {}
        check_keys(value, STABILITY_CLASSES, problems, label, path, required=STABILITY_CLASSES, what="class")
        return {c: value[c] for c in STABILITY_CLASSES if c in value} if keyed else value

    bins = disp.get("speed_bins_ms")
    if _check_list(bins, None, problems, label, "dispersion.speed_bins_ms") and (
        not all(isinstance(b, int | float) for b in bins) or list(bins) != sorted(bins)
    ):
        problems.error(label, None, "dispersion.speed_bins_ms", "speed bins must be increasing numbers")
    nb = len(bins) + 1 if isinstance(bins, list) else None
    for key in ("day_classes", "night_classes"):
        v = disp.get(key)
        if _check_list(v, nb, problems, label, f"dispersion.{key}", "stability classes"):
            for i, c in enumerate(v):
                if c not in STABILITY_CLASSES:
                    problems.error(label, None, f"dispersion.{key}[{i}]", f"unknown stability class {c!r}")
    hours = disp.get("day_hours")
    if _check_list(hours, 2, problems, label, "dispersion.day_hours", "hours"):
        for i, h in enumerate(hours):
            check_number(h, problems, label, f"dispersion.day_hours[{i}]", 0, 23)
    if disp.get("daily_class") not in STABILITY_CLASSES:
        problems.error(
            label, None, "dispersion.daily_class", f"unknown stability class {disp.get('daily_class')!r}"
        )
    sz = classes(disp.get("sigma_z"), "dispersion.sigma_z", True)
    for c, v in sz.items():
        if _check_list(v, 3, problems, label, f"dispersion.sigma_z.{c}", "numbers [a, b, c]"):
            check_number(v[0], problems, label, f"dispersion.sigma_z.{c}[0]", 0.0, low_open=True)
            check_number(v[1], problems, label, f"dispersion.sigma_z.{c}[1]", 0.0)
            check_number(v[2], problems, label, f"dispersion.sigma_z.{c}[2]", -1.0, 0.0)
    st = classes(disp.get("sigma_theta_deg"), "dispersion.sigma_theta_deg", True)
    for c, v in st.items():
        check_number(v, problems, label, f"dispersion.sigma_theta_deg.{c}", 0.0, 90.0, low_open=True)
    wp = classes(disp.get("wind_profile_exponent"), "dispersion.wind_profile_exponent", True)
    for c, v in wp.items():
        check_number(v, problems, label, f"dispersion.wind_profile_exponent.{c}", 0.0, 1.0)

    sizes = stacks.get("size_classes")
    max_tpa, height, rise = [], [], []
    if _check_list(sizes, None, problems, label, "stacks.size_classes", "size classes"):
        for i, item in enumerate(sizes):
            path = f"stacks.size_classes[{i}]"
            if not isinstance(item, dict):
                problems.error(label, None, path, "expected {max_tpa, height_m, rise_m}")
                continue
            keys = ("max_tpa", "height_m", "rise_m")
            if check_keys(item, keys, problems, label, path, required=keys):
                max_tpa.append(num(item, "max_tpa", path, 0.0, low_open=True))
                height.append(num(item, "height_m", path, 0.0, 500.0))
                rise.append(num(item, "rise_m", path, 0.0, 1000.0))
        if max_tpa and (max_tpa != sorted(max_tpa) or max_tpa[-1] != float("inf")):
            problems.error(
                label, None, "stacks.size_classes", "max_tpa must increase and the last class must be .inf"
            )

    months_seen: dict[int, str] = {}
    seasons: dict[str, dict] = {}
    for name, s in seasons_raw.items():
        path = key_path("seasons", str(name))
        if not isinstance(s, dict):
            problems.error(label, None, path, f"expected a mapping with keys {', '.join(_SEASON)}")
            continue
        if not check_keys(s, _SEASON, problems, label, path, required=_SEASON):
            continue
        months = s["months"]
        if _check_list(months, None, problems, label, key_path(path, "months"), "months"):
            for m in months:
                if not isinstance(m, int) or not 1 <= m <= 12:
                    problems.error(label, None, key_path(path, "months"), f"{m!r} is not a month 1-12")
                elif m in months_seen:
                    problems.error(
                        label,
                        None,
                        key_path(path, "months"),
                        f"month {m} is also in season {months_seen[m]!r}",
                    )
                else:
                    months_seen[m] = str(name)
        rose = s["wind_rose"]
        if (
            rose is not None
            and _check_list(rose, 16, problems, label, key_path(path, "wind_rose"), "frequencies")
            and (not all(isinstance(f, int | float) and f >= 0 for f in rose) or sum(rose) <= 0)
        ):
            problems.error(label, None, key_path(path, "wind_rose"), "frequencies must be >= 0, not all 0")
        seasons[str(name)] = {
            "months": list(months) if isinstance(months, list) else [],
            "wind_speed_ms": num(s, "wind_speed_ms", path, 0.0, 60.0, low_open=True),
            "mixing_height_day_m": num(s, "mixing_height_day_m", path, 10.0, 6000.0),
            "mixing_height_night_m": num(s, "mixing_height_night_m", path, 10.0, 6000.0),
            "wind_rose": None if rose is None else np.asarray(rose, dtype=float),
        }
    missing = [m for m in range(1, 13) if m not in months_seen]
    if missing:
        problems.error(label, None, "seasons", f"month(s) {missing} belong to no season")
    lms = doc.get("list_mode_season")
    if lms not in seasons:
        problems.error(label, None, "list_mode_season", f"{lms!r} is not a season ({', '.join(seasons)})")

    lag = doc.get("lag_weights") or {}
    lags = {}
    if isinstance(lag, dict) and check_keys(
        lag, ("primary", "secondary"), problems, label, "lag_weights", required=("primary", "secondary")
    ):
        for key in ("primary", "secondary"):
            v = lag[key]
            path = f"lag_weights.{key}"
            if _check_list(v, None, problems, label, path, "weights"):
                ok = all(check_share(w, problems, label, f"{path}[{i}]") for i, w in enumerate(v))
                if ok and abs(sum(v) - 1.0) > 1e-6:
                    problems.error(label, None, path, f"lag weights must sum to 1 (they sum to {sum(v):g})")
                lags[key] = np.asarray(v, dtype=float)
    else:
        problems.error(label, None, "lag_weights", "expected {primary: [...], secondary: [...]}")

    pf = doc.get("pm25_fraction") or {}
    sectors = {}
    if isinstance(pf, dict) and check_keys(
        pf,
        ("industry", "sectors", "default"),
        problems,
        label,
        "pm25_fraction",
        required=("industry", "sectors", "default"),
    ):
        for key in ("industry", "default"):
            check_share(pf[key], problems, label, f"pm25_fraction.{key}")
        if isinstance(pf["sectors"], dict):
            for k, v in pf["sectors"].items():
                if check_share(v, problems, label, f"pm25_fraction.sectors.{k}"):
                    sectors[str(k)] = float(v)
        else:
            problems.error(label, None, "pm25_fraction.sectors", "expected a mapping sector -> share")

    sec_path = Path(folder) / "secondary.yaml"
    sec_label = file_label(sec_path)
    sec_doc = load_yaml(sec_path, problems, sec_label)
    secondary = _parse_secondary(sec_doc, list(seasons), problems, sec_label) if sec_doc is not None else {}
    if not problems.ok:
        raise InputError(problems)
    return ScreeningParams(
        min_distance_m=num(disp, "min_distance_m", "dispersion", 1.0),
        min_wind_speed_ms=num(disp, "min_wind_speed_ms", "dispersion", 0.0, low_open=True),
        speed_bins_ms=np.asarray(bins, dtype=float),
        day_classes=tuple(disp["day_classes"]),
        night_classes=tuple(disp["night_classes"]),
        day_hours=(int(hours[0]), int(hours[1])),
        daily_class=str(disp["daily_class"]),
        sigma_z={c: tuple(float(x) for x in v) for c, v in sz.items()},
        sigma_theta_deg={c: float(v) for c, v in st.items()},
        daily_sigma_theta_deg=num(disp, "daily_sigma_theta_deg", "dispersion", 0.0, 180.0, low_open=True),
        wind_profile_exponent={c: float(v) for c, v in wp.items()},
        size_max_tpa=np.asarray(max_tpa, dtype=float),
        size_height_m=np.asarray(height, dtype=float),
        size_rise_m=np.asarray(rise, dtype=float),
        area_source_height_m=num(stacks, "area_source_height_m", "stacks", 0.0, 500.0),
        area_grid_points=int(num(stacks, "area_grid_points", "stacks", 1.0, 200.0)),
        seasons=seasons,
        list_mode_season=str(lms),
        lag_primary=lags["primary"],
        lag_secondary=lags["secondary"],
        pm25_industry=float(pf["industry"]),
        pm25_sectors=sectors,
        pm25_default=float(pf["default"]),
        secondary=secondary,
        files=(str(spath), str(sec_path)),
    )
