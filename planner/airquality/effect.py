"""What a plan does to the air: ΔPM2.5 per day and station, the AQI with and without the measures.

:func:`response_matrix` gives the response coefficients of every enterprise — from an imported
source–receptor file (:mod:`planner.airquality.sr`) or the screening plume
(:mod:`planner.airquality.screening`) — and :func:`plan_effect` applies a plan's curtailment to
them:

- the tonnes a decision unit removes on a slot are those the model counts
  (:func:`planner.optimize.inputs.removed_tonnes`: ``floor_reduction + extra_reducible · (x −
  floor)``, the floor measures at their own factors; a menu firm its chosen option's tonnes), a
  firm's lines summed; the credited non-industrial measures add their tonnes as ground-level area
  sources over the city;
- one day's cut acts on that day and the following day(s) with the lag weights of
  ``screening.yaml`` (or the lags of the SR file);
- the forecast with measures is the forecast with PM2.5 and PM10 lowered by ΔPM2.5 at each
  station and day (PM10 by ΔPM2.5 only: the coarse particles removed are not counted, so the AQI
  with measures is not flattered); AQI and alert levels are recomputed with the same helpers and
  percentile as the plan's alerts.

In list mode there is no forecast: ΔPM2.5 of a slot is the effect on a typical day of that alert
level inside an alert of several days (all lags summed), under the seasonal default of the
autumn–winter season, and ``pm25_forecast``, ``aqi_forecast`` and ``aqi_with_measures`` are null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner import POLLUTANTS
from planner.airquality.meteorology import day_states, seasonal_states
from planner.airquality.params import ScreeningParams, load_params
from planner.airquality.screening import area_points, project, release_height, transfer_coefficients
from planner.airquality.sr import UNITS, map_to_enterprises, read_sr
from planner.io.labels import positions
from planner.problems import InputError

__all__ = [
    "CITY",
    "SCREENING",
    "PlanEffect",
    "city_removed_delta",
    "city_tonne_coefficients",
    "city_unit_coefficients",
    "curtailment_coefficients",
    "curtailment_terms",
    "firm_delta_column",
    "plan_effect",
    "response_matrix",
    "slot_air_quality",
]

#: Receptor label of the city mean (mean over the city's stations).
CITY = "city"
#: ``method`` of the screening default.
SCREENING = "screening"


@dataclass
class PlanEffect:
    """The air-quality effect of a plan.

    Attributes
    ----------
    method : str
        ``screening`` or the SR file name.
    days : pandas.DataFrame
        One row per day (episode mode: every forecast day; list mode: every slot) and receptor
        (stations and ``city``): ``date, slot, receptor, pm25_forecast, delta_pm25,
        delta_pm25_industry, delta_pm25_non_industrial, pm25_with_measures, aqi_forecast,
        aqi_with_measures, level_forecast, level_with_measures, below_threshold,
        thresholds_crossed, met_source, method`` (µg/m³; levels, thresholds for the city rows).
    slots : dict
        slot -> ``{pm25_forecast, delta_pm25, aqi_forecast, aqi_with_measures, method}`` (city).
    firm_delta : xarray.DataArray
        (enterprise, slot): µg/m³ removed at the city mean by the firm's cut on the slot, over
        all lag days.
    by_pollutant : pandas.DataFrame
        Index slot, columns POLLUTANTS: city ΔPM2.5 from the firms' cuts of each pollutant
        (all lags).
    meteorology : pandas.DataFrame
        Per slot: met_source, season, wind_speed, wind_dir, mixing_height.
    notes : list of str
    """

    method: str
    days: pd.DataFrame
    slots: dict
    firm_delta: xr.DataArray
    by_pollutant: pd.DataFrame
    meteorology: pd.DataFrame
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers
def _stations(city: dict | None) -> list[dict]:
    out = []
    for s in (city or {}).get("stations") or []:
        try:
            out.append({"id": str(s["id"]), "lat": float(s["lat"]), "lon": float(s["lon"])})
        except (KeyError, TypeError, ValueError):
            continue
    return out


def _slot_dates(slots, mode: str | None) -> list[pd.Timestamp | None]:
    names = list(slots["slot"]) if isinstance(slots, pd.DataFrame) else list(slots)
    if mode == "list":
        return [None] * len(names)
    out = []
    for s in names:
        try:
            out.append(pd.Timestamp(str(s)).normalize())
        except ValueError:
            out.append(None)
    return out


def _firm_positions(table: pd.DataFrame, city: dict, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Firm lon/lat; firms without coordinates sit at their county's centre (a note says how many)."""
    lon = (
        pd.to_numeric(table.get("lon"), errors="coerce") if "lon" in table else pd.Series(np.nan, table.index)
    )
    lat = (
        pd.to_numeric(table.get("lat"), errors="coerce") if "lat" in table else pd.Series(np.nan, table.index)
    )
    lon = np.array(lon, dtype=float)  # a copy: filled below
    lat = np.array(lat, dtype=float)
    missing = ~(np.isfinite(lon) & np.isfinite(lat))
    if missing.any():
        centres = {
            str(c.get("name")): (float(c["lon"]), float(c["lat"]))
            for c in (city.get("counties") or [])
            if c.get("lon") is not None and c.get("lat") is not None
        }
        fallback = (
            (float(np.nanmean(lon)), float(np.nanmean(lat)))
            if (~missing).any()
            else next(iter(centres.values()), (np.nan, np.nan))
        )
        county = table["county"].astype(str).to_numpy() if "county" in table else np.full(len(table), "")
        for i in np.flatnonzero(missing):
            lon[i], lat[i] = centres.get(county[i], fallback)
        notes.append(
            f"{int(missing.sum())} enterprise(s) without coordinates placed at their county's centre"
        )
        if not (np.isfinite(lon) & np.isfinite(lat)).all():
            raise InputError.single(
                "inventory",
                "enterprises without coordinates and no county centres in city.yaml",
                column="lat",
            )
    return lon, lat


def _cache(prepared) -> dict:
    return prepared.__dict__.setdefault("_air_quality_cache", {})


def _scenario_sr(prepared):
    """The SR file a scenario names (``air_quality: {source_receptor: FILE}``), if any."""
    aq = getattr(prepared.scenario, "air_quality", None)
    if aq is None:
        aq = (getattr(prepared.scenario, "raw", None) or {}).get("air_quality")
    if isinstance(aq, dict) and aq.get("source_receptor"):
        p = Path(str(aq["source_receptor"]))
        if not p.is_absolute():
            p = Path(prepared.scenario.file).parent / p
        return p
    return None


def _read_scenario_forecast(prepared):
    from planner.targets.forecast import read_forecast

    if prepared.scenario.mode != "episode" or prepared.scenario.forecast is None:
        return None
    cache = _cache(prepared)
    if "forecast" not in cache:
        cache["forecast"] = read_forecast(prepared.scenario.forecast)
    return cache["forecast"]


# --------------------------------------------------------------------------- response
def response_matrix(
    prepared_or_table,
    stations: list[dict] | None = None,
    slots=None,
    sr=None,
    *,
    city: dict | None = None,
    forecast: xr.Dataset | None = None,
    params: ScreeningParams | None = None,
    mode: str | None = None,
) -> xr.DataArray:
    """Response coefficients of every enterprise at every receptor, in µg/m³ per t/d.

    Parameters
    ----------
    prepared_or_table : planner.scenario.run.Prepared or pandas.DataFrame
        A prepared scenario (table, city, slots, forecast and SR file taken from it) or an
        inventory table (index enterprise_id; lon, lat, county, industry, SO2, NOx, PM).
    stations : list of dict, optional
        ``{id, lat, lon}``; default the city's stations.
    slots : pandas.DataFrame or sequence of str, optional
        The slots (column ``slot``); dates in episode mode select each day's meteorology.
        Default the prepared slots.
    sr : path or xarray.DataArray, optional
        An SR file (or one read by :func:`planner.airquality.sr.read_sr`); default the scenario's
        ``air_quality.source_receptor``, else the screening default.
    city, forecast, params, mode : optional
        With a table: ``city.yaml`` contents (stations, counties, extent), a forecast with
        meteorology, the screening coefficients, ``"list"`` / ``"episode"``.

    Returns
    -------
    xarray.DataArray
        dims ``(receptor, lag, enterprise, pollutant, slot)``: µg/m³ of PM2.5 at the receptor on
        day ``d + lag`` per t/d of the pollutant emitted on slot ``d``; receptors are the
        stations and ``city`` (their mean).  attrs ``units``, ``method`` (``screening`` or the
        SR file name).  With an SR file the coefficients are the same for every slot.

    Raises
    ------
    InputError
        Bad SR file, receptors that are not stations of the city, firms an SR file does not cover.
    """
    return _compact_response(
        prepared_or_table, stations, slots, sr, city=city, forecast=forecast, params=params, mode=mode
    ).full()


@dataclass
class _Compact:
    """Response coefficients without a repeated slot axis.

    One (R, lag, E, P) array per group of slots that share their meteorology (or all slots, for an SR file).
    """

    groups: list
    slot_group: list
    receptors: list
    lags: np.ndarray
    enterprises: np.ndarray
    slots: list
    method: str
    notes: str

    def full(self) -> xr.DataArray:
        out = np.stack([self.groups[g] for g in self.slot_group], axis=-1)
        return xr.DataArray(
            out,
            dims=("receptor", "lag", "enterprise", "pollutant", "slot"),
            coords={
                "receptor": self.receptors,
                "lag": self.lags,
                "enterprise": self.enterprises,
                "pollutant": list(POLLUTANTS),
                "slot": self.slots,
            },
            attrs={"units": UNITS, "method": self.method, "notes": self.notes},
            name="dC",
        )

    def city(self, k: int) -> np.ndarray:
        """(lag, E, P) at the city mean for slot index k."""
        return self.groups[self.slot_group[k]][self.receptors.index(CITY)]


def _compact_response(
    prepared_or_table, stations=None, slots=None, sr=None, *, city=None, forecast=None, params=None, mode=None
) -> _Compact:
    params = params or load_params()
    if isinstance(prepared_or_table, pd.DataFrame):
        table = prepared_or_table
        city = city or {}
        slots = slots if slots is not None else pd.DataFrame({"slot": ["day"]})
    else:
        prepared = prepared_or_table
        table = prepared.table
        city = city or prepared.city
        slots = slots if slots is not None else prepared.slots
        mode = mode or prepared.scenario.mode
        sr = sr if sr is not None else _scenario_sr(prepared)
        if forecast is None:
            forecast = _read_scenario_forecast(prepared)
    stations = stations if stations is not None else _stations(city)
    slot_names = [str(s) for s in (slots["slot"] if isinstance(slots, pd.DataFrame) else slots)]
    notes: list[str] = []
    if sr is not None:
        da = read_sr(sr) if not isinstance(sr, xr.DataArray) else sr
        return _sr_response(da, table, stations, slot_names)
    if not stations:
        raise InputError.single(
            "city.yaml", "the city has no stations (id, lat, lon) to compute air quality at"
        )
    lon, lat = _firm_positions(table, city, notes)
    height, _ = release_height(table, params)
    s_lon = np.array([s["lon"] for s in stations])
    s_lat = np.array([s["lat"] for s in stations])
    lon0, lat0 = float(s_lon.mean()), float(s_lat.mean())
    fx, fy = project(lon, lat, lon0, lat0)
    sx, sy = project(s_lon, s_lat, lon0, lat0)
    dx = sx[:, None] - fx[None, :]
    dy = sy[:, None] - fy[None, :]
    states = _slot_states(slot_names, _slot_dates(slot_names, mode), forecast, params)
    weights = params.lag_weights()  # (lag, pollutant)
    groups: list[np.ndarray] = []
    seen: dict[int, int] = {}
    slot_group = []
    for st in states:
        if id(st) not in seen:
            k_ss = transfer_coefficients(dx, dy, height, st, params)  # (R, E, P)
            k_all = np.concatenate([k_ss, k_ss.mean(axis=0, keepdims=True)], axis=0)
            seen[id(st)] = len(groups)
            groups.append(k_all[:, None, :, :] * weights[None, :, None, :])
        slot_group.append(seen[id(st)])
    return _Compact(
        groups,
        slot_group,
        [s["id"] for s in stations] + [CITY],
        params.lags,
        table.index.astype(str).to_numpy(),
        slot_names,
        SCREENING,
        "; ".join(notes),
    )


def _slot_states(slot_names, dates, forecast, params) -> list:
    """One MetStates per slot (slots of the same date or season share the object)."""
    real = [d for d in dates if d is not None]
    by_date = day_states(forecast, real, params, _label(forecast)) if real else {}
    season = seasonal_states(None, params, params.list_mode_season)
    return [by_date[d] if d is not None else season for d in dates]


def _label(forecast) -> str:
    if forecast is None:
        return "forecast"
    return Path(str(forecast.attrs.get("source", "forecast"))).name


def _sr_response(da: xr.DataArray, table, stations, slot_names) -> xr.DataArray:
    label = str(da.attrs.get("file", "source-receptor"))
    ids = [s["id"] for s in stations]
    receptors = [str(r) for r in da["receptor"].values]
    unknown = [r for r in receptors if r != CITY and r not in ids]
    if unknown:
        raise InputError.single(
            label,
            f"receptor(s) {', '.join(unknown[:5])} are not stations of the city ({', '.join(ids) or 'none'}) "
            f"nor {CITY!r}",
            column="receptor",
        )
    per = map_to_enterprises(da, table, label)  # (receptor, lag, enterprise, pollutant)
    have = [r for r in ids if r in receptors]
    if CITY not in receptors:
        if not have:
            raise InputError.single(label, "the file has no receptor", column="receptor")
        per = xr.concat(
            [per, per.sel(receptor=have).mean("receptor").expand_dims(receptor=[CITY])], "receptor"
        )
    order = [r for r in ids if r in receptors] + [CITY]
    per = per.sel(receptor=order)
    notes = f"city mean over the {len(have)} station(s) of the file" if have and len(have) < len(ids) else ""
    return _Compact(
        [per.transpose("receptor", "lag", "enterprise", "pollutant").values],
        [0] * len(slot_names),
        order,
        per["lag"].values,
        per["enterprise"].values,
        slot_names,
        label,
        notes,
    )


def _row_index(prepared, c: _Compact) -> tuple[np.ndarray, np.ndarray]:
    """``(idx, ok)``: each PlanInputs row's enterprise position in the response, and its coverage.

    ``idx`` is the response's enterprise position of every PlanInputs row (rows are decision units: their
    firm), ``ok`` which rows the response covers.
    """
    idx = positions(c.enterprises, _row_firms(prepared.inputs))
    return np.where(idx >= 0, idx, 0), idx >= 0


def curtailment_terms(prepared, response: xr.DataArray | None = None) -> tuple[xr.DataArray, xr.DataArray]:
    """ΔPM2.5 at each receptor of the rows' cuts as ``Σ_e A · x + B``, by lag.

    The tonnes a row removes are affine in its curtailment (``coef · x + const``,
    :func:`planner.optimize.inputs.reduction_cells`), so is the concentration drop:

    - ``A[receptor, lag, enterprise, slot] = Σ_p dC[receptor, lag, firm(e), p, slot] ·
      coef[e, slot, p]`` – µg/m³ on day ``slot + lag`` per unit curtailment on ``slot`` (the
      coefficients of a concentration constraint ``Σ A · x ≥ goal − B``);
    - ``B[receptor, lag, slot] = Σ_e Σ_p dC · const[e, slot, p]`` – the constant part (the floor
      measures' tonnes beyond what ``coef · floor`` counts), µg/m³ on day ``slot + lag``.

    Returns
    -------
    tuple of xarray.DataArray
        ``A`` (receptor, lag, enterprise, slot) and ``B`` (receptor, lag, slot).
    """
    from planner.optimize.inputs import reduction_cells

    inp = prepared.inputs
    coef, const = reduction_cells(inp)
    if response is not None:
        dims = ("enterprise", "slot", "pollutant")
        co = {d: inp[d].values for d in dims}
        cf = xr.DataArray(coef, dims=dims, coords=co)
        cs = xr.DataArray(const, dims=dims, coords=co)
        A = (response * cf).sum("pollutant").transpose("receptor", "lag", "enterprise", "slot")
        B = (response * cs).sum(("pollutant", "enterprise")).transpose("receptor", "lag", "slot")
        return A, B
    c = _response(prepared)
    idx, ok = _row_index(prepared, c)
    R, L, E, S = len(c.receptors), len(c.lags), len(idx), len(c.slots)
    out = np.zeros((R, L, E, S))
    cst = np.zeros((R, L, S))
    for k, g in enumerate(c.slot_group):
        G = c.groups[g][:, :, idx] * ok[None, None, :, None]  # (R, L, E, P) per row
        out[..., k] = np.einsum("rlep,ep->rle", G, coef[:, k, :])
        cst[..., k] = np.einsum("rlep,ep->rl", G, const[:, k, :])
    coords = {"receptor": c.receptors, "lag": c.lags, "slot": c.slots}
    attrs = {"units": "ug m-3 per unit curtailment", "method": c.method}
    A = xr.DataArray(
        out,
        dims=("receptor", "lag", "enterprise", "slot"),
        coords={**coords, "enterprise": inp["enterprise"].values},
        attrs=attrs,
    )
    B = xr.DataArray(cst, dims=("receptor", "lag", "slot"), coords=coords, attrs={**attrs, "units": "ug m-3"})
    return A, B


def curtailment_coefficients(prepared, response: xr.DataArray | None = None) -> xr.DataArray:
    """µg/m³ at each receptor per unit curtailment of each row on each slot, by lag.

    ``A[receptor, lag, enterprise, slot]`` of :func:`curtailment_terms` (``Σ_p dC ·
    extra_reducible``, or ``Σ_p dC · reducible`` for inputs without the reduction offset): the
    concentration drop on day ``slot + lag`` when the row's curtailment on ``slot`` rises by 1.
    The constant part (floor measures) is :func:`curtailment_terms`' ``B``.
    """
    return curtailment_terms(prepared, response)[0]


def city_tonne_coefficients(prepared) -> np.ndarray:
    """µg/m³ at the city mean per t/d removed by each PlanInputs row.

    All lag days summed: (enterprise, slot, pollutant) (a row's firm's coefficients; 0 for firms the response
    lacks).
    """
    c = _response(prepared)
    idx, ok = _row_index(prepared, c)
    return np.stack([c.city(k).sum(axis=0)[idx] * ok[:, None] for k in range(len(c.slots))], axis=1)


def city_unit_coefficients(prepared) -> xr.DataArray:
    """µg/m³ at the city mean per unit curtailment above the floor.

    All lags summed: (enterprise, slot) – ``Σ_p K · coef`` (:func:`city_tonne_coefficients`,
    :func:`planner.optimize.inputs.reduction_cells`).
    """
    from planner.optimize.inputs import reduction_cells

    coef, _ = reduction_cells(prepared.inputs)
    out = np.einsum("esp,esp->es", city_tonne_coefficients(prepared), coef)
    return xr.DataArray(
        out,
        dims=("enterprise", "slot"),
        coords={"enterprise": prepared.inputs["enterprise"].values, "slot": _response(prepared).slots},
    )


def city_removed_delta(prepared, x: np.ndarray, menu: xr.Dataset | None = None) -> np.ndarray:
    """µg/m³ at the city mean (all lags) of the tonnes each row removes at curtailment ``x`` (E, S).

    Tonnes as :func:`planner.optimize.inputs.removed_tonnes` (menu firms: their option's tonnes with
    ``menu``); the result is (enterprise, slot).
    """
    from planner.optimize.inputs import removed_tonnes

    t = removed_tonnes(prepared.inputs, x, menu)
    return np.einsum("esp,esp->es", city_tonne_coefficients(prepared), t)


def _response(prepared, sr=None, params=None) -> _Compact:
    params = params or load_params()
    sr = sr if sr is not None else _scenario_sr(prepared)
    cache = _cache(prepared)
    key = ("response", str(sr) if sr is not None else None, id(params))
    if key not in cache:
        cache[key] = _compact_response(prepared, sr=sr, params=params)
    return cache[key]


# --------------------------------------------------------------------------- non-industrial
def _area_response(prepared, params: ScreeningParams, slot_names, stations) -> np.ndarray:
    """(R+1, lag, P, S) µg/m³ per t/d of a ground-level source spread over the city, per slot."""
    city = prepared.city
    ext = city.get("extent")
    lon, lat = _firm_positions(prepared.table, city, [])
    if not ext:
        ext = {"lon_min": lon.min(), "lon_max": lon.max(), "lat_min": lat.min(), "lat_max": lat.max()}
    plon, plat = area_points(ext, params.area_grid_points)
    s_lon = np.array([s["lon"] for s in stations])
    s_lat = np.array([s["lat"] for s in stations])
    lon0, lat0 = float(s_lon.mean()), float(s_lat.mean())
    px, py = project(plon, plat, lon0, lat0)
    sx, sy = project(s_lon, s_lat, lon0, lat0)
    dx, dy = sx[:, None] - px[None, :], sy[:, None] - py[None, :]
    height = np.full(len(px), params.area_source_height_m)
    states = _slot_states(
        slot_names, _slot_dates(slot_names, prepared.scenario.mode), _read_scenario_forecast(prepared), params
    )
    w = params.lag_weights()
    out = np.zeros((len(stations) + 1, len(w), len(POLLUTANTS), len(slot_names)))
    for k, st in enumerate(states):
        kk = transfer_coefficients(dx, dy, height, st, params).mean(axis=1)  # per t/d spread evenly
        kk = np.concatenate([kk, kk.mean(axis=0, keepdims=True)], axis=0)  # (R+1, P)
        out[..., k] = kk[:, None, :] * w[None, :, :]
    return out


def _non_industrial_tonnes(prepared, params: ScreeningParams) -> np.ndarray:
    """(S, P) t/d of the credited measures, PM scaled to the sector's PM2.5 share ÷ industry's.

    The tonnes are the PlanInputs' ``credited`` (what the plan counts); the scenario's
    ``non_industrial`` items only split them by sector (share of a sector's emissions per alert
    day, or tonnes per day without a sector; a library measure named by ``id`` with ``use: on``
    by its library sector and tonnes).
    """
    from planner.policy.non_industrial import non_industrial_arrays, non_industrial_library

    levels = prepared.slots["level"].to_list()
    sectors = prepared.city.get("emission_sectors") or {}
    credited = prepared.inputs["credited"].transpose("slot", "pollutant").values
    items = []
    scenario_items = list(prepared.scenario.non_industrial or [])
    if any("id" in item for item in scenario_items):
        on = non_industrial_arrays(scenario_items, levels, prepared.city, file=str(prepared.scenario.file))
        on = on.select("on")
        library = non_industrial_library()
        for mid, tonnes in zip(on.ids, on.reduction, strict=True):
            sector = library[mid].sector
            items.append((tonnes, params.pm25_sectors.get(str(sector), params.pm25_default)))
    for item in scenario_items:
        if "id" in item:  # a library measure: above
            continue
        red = item.get("reductions") or {}
        sector = item.get("sector")
        t = np.zeros((len(levels), len(POLLUTANTS)))
        for i, lv in enumerate(levels):
            for j, p in enumerate(POLLUTANTS):
                v = float((red.get(lv) or {}).get(p, 0.0))
                t[i, j] = v * float((sectors.get(sector) or {}).get(p, 0.0)) / 365.0 if sector else v
        items.append((t, params.pm25_sectors.get(str(sector), params.pm25_default)))
    total = sum((t for t, _ in items), np.zeros_like(credited))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(total > 0, credited / total, 0.0)
    j = POLLUTANTS.index("PM")
    out = np.zeros_like(credited)
    for t, frac in items:
        t = t * scale
        t[:, j] *= frac / params.pm25_industry
        out += t
    return out


def optional_ni_tonnes(prepared, params) -> np.ndarray:
    """(M, S, P) t/d per unit activation of the optional measures.

    PM as PM2.5-equivalent of the industrial share (so the screening kernel, written for industrial PM,
    applies).
    """
    from planner.optimize.inputs import non_industrial_arrays
    from planner.policy.non_industrial import non_industrial_library

    red, _, _, names = non_industrial_arrays(prepared.inputs)
    if not names:
        return red
    lib = non_industrial_library()
    j = POLLUTANTS.index("PM")
    out = red.copy()
    for i, mid in enumerate(names):
        sector = lib[mid].sector if mid in lib else None
        out[i, :, j] *= params.pm25_sectors.get(str(sector), params.pm25_default) / params.pm25_industry
    return out


# --------------------------------------------------------------------------- effect
def plan_effect(
    prepared,
    curtailment: xr.DataArray,
    sr=None,
    params: ScreeningParams | None = None,
    non_industrial: xr.DataArray | None = None,
    menu: xr.Dataset | None = None,
) -> PlanEffect:
    """ΔPM2.5 per day and receptor, AQI without and with the measures, alert levels with them.

    Parameters
    ----------
    prepared : planner.scenario.run.Prepared
    curtailment : xarray.DataArray
        (enterprise, slot) shares, as ``Plan.curtailment``.
    sr : path or DataArray, optional
        SR file; default the scenario's, else the screening default.
    params : ScreeningParams, optional
    non_industrial : xarray.DataArray, optional
        (measure, slot) activation of the optional non-industrial measures (``Plan.non_industrial``);
        their tonnes join the credited ones as area sources.
    menu : xarray.Dataset, optional
        ``Plan.menu`` (the options chosen): the menu firms remove their option's tonnes (and load
        cut) rather than the offset formula of their ordinary arrays.

    Returns
    -------
    PlanEffect
    """
    params = params or load_params()
    sr = sr if sr is not None else _scenario_sr(prepared)
    resp = _response(prepared, sr, params)
    method = resp.method
    notes = [n for n in resp.notes.split("; ") if n]
    inp = prepared.inputs
    slot_names = [str(s) for s in inp["slot"].values]
    # t/d removed per firm of the response (a firm's lines summed: rows are decision units)
    xu = curtailment.transpose("enterprise", "slot").reindex(enterprise=inp["enterprise"].values).fillna(0.0)
    from planner.optimize.inputs import removed_tonnes

    removed = removed_tonnes(inp, xu.values, menu)  # (rows, S, P): what the model counts
    pos = positions(resp.enterprises, _row_firms(inp))
    tonnes = np.zeros((len(resp.enterprises), *removed.shape[1:]))
    np.add.at(tonnes, pos[pos >= 0], removed[pos >= 0])  # (E, S, P)
    city_i = resp.receptors.index(CITY)
    S = len(slot_names)
    firm = np.zeros((len(resp.receptors), len(resp.lags), S))
    firm_delta = np.zeros((len(resp.enterprises), S))
    by_pol = np.zeros((S, len(POLLUTANTS)))
    for k, g in enumerate(resp.slot_group):
        G = resp.groups[g]  # (R, lag, E, P)
        firm[:, :, k] = np.einsum("rlep,ep->rl", G, tonnes[:, k, :], optimize=True)
        firm_delta[:, k] = np.einsum("lep,ep->e", G[city_i], tonnes[:, k, :], optimize=True)
        by_pol[k] = np.einsum("lep,ep->p", G[city_i], tonnes[:, k, :], optimize=True)
    receptors = list(resp.receptors)
    stations = [s for s in _stations(prepared.city) if s["id"] in receptors]
    if stations:
        area = _area_response(prepared, params, slot_names, stations)  # (Rs+1, lag, P, S)
        ni = _non_industrial_tonnes(prepared, params)  # (S, P)
        if non_industrial is not None and inp.sizes.get("measure", 0):
            a = non_industrial.transpose("measure", "slot").reindex(measure=inp["measure"].values).fillna(0.0)
            ni = ni + np.einsum("ms,msp->sp", a.values, optional_ni_tonnes(prepared, params))
        area_delta = np.einsum("rlpS,Sp->rlS", area, ni)
        if len(stations) + 1 != len(receptors):  # SR file with only the city receptor
            area_delta = area_delta[[-1]]
        if method != SCREENING and ni.any():
            notes.append("non-industrial measures estimated with the screening area-source kernel")
    else:
        area_delta = np.zeros_like(firm)
    nlag = firm.shape[1]
    dates = _slot_dates(slot_names, prepared.scenario.mode)
    met = pd.DataFrame(
        [
            {"slot": s, **st.describe()}
            for s, st in zip(
                slot_names,
                _slot_states(slot_names, dates, _read_scenario_forecast(prepared), params),
                strict=True,
            )
        ]
    ).set_index("slot")
    if method != SCREENING:
        met["met_source"] = method
    fd = xr.DataArray(
        firm_delta, dims=("enterprise", "slot"), coords={"enterprise": resp.enterprises, "slot": slot_names}
    )
    bp = pd.DataFrame(by_pol, index=pd.Index(slot_names, name="slot"), columns=list(POLLUTANTS))
    if prepared.scenario.mode == "episode" and all(d is not None for d in dates):
        days, slots = _episode_days(
            prepared, receptors, firm, area_delta, dates, slot_names, nlag, method, met, notes
        )
    else:
        days, slots = _list_days(receptors, firm, area_delta, slot_names, method, met)
    return PlanEffect(method, days, slots, fd, bp, met.reset_index(), notes)


def _list_days(receptors, firm, area, slot_names, method, met):
    ind = firm.sum(axis=1)  # (R, S): sustained cut, all lags
    non = area.sum(axis=1)
    rows = []
    slots = {}
    for k, s in enumerate(slot_names):
        for i, r in enumerate(receptors):
            rows.append(
                {
                    "date": None,
                    "slot": s,
                    "receptor": r,
                    "pm25_forecast": None,
                    "delta_pm25": float(ind[i, k] + non[i, k]),
                    "delta_pm25_industry": float(ind[i, k]),
                    "delta_pm25_non_industrial": float(non[i, k]),
                    "pm25_with_measures": None,
                    "aqi_forecast": None,
                    "aqi_with_measures": None,
                    "level_forecast": s if r == CITY else "",
                    "level_with_measures": None,
                    "below_threshold": None,
                    "thresholds_crossed": "",
                    "met_source": met.loc[s, "met_source"],
                    "method": method,
                }
            )
        slots[s] = {
            "pm25_forecast": None,
            "delta_pm25": round(float(ind[-1, k] + non[-1, k]), 4),
            "aqi_forecast": None,
            "aqi_with_measures": None,
            "method": method,
        }
    return pd.DataFrame(rows), slots


def _lowered(daily: xr.Dataset, delta: pd.DataFrame) -> xr.Dataset:
    """Daily indicators with PM2.5 and PM10 lowered by ΔPM2.5 per station and day (clipped at 0)."""
    d = delta.reindex(index=pd.DatetimeIndex(daily["date"].values), fill_value=0.0)
    d = d.reindex(columns=[str(s) for s in daily["station"].values]).fillna(0.0)
    sub = xr.DataArray(
        d.to_numpy(), dims=("date", "station"), coords={"date": daily["date"], "station": daily["station"]}
    )
    out = daily.copy()
    for sp in ("PM2.5", "PM10"):
        if sp in daily:
            out[sp] = np.maximum(daily[sp] - sub, 0.0).transpose(*daily[sp].dims)
            out[sp].attrs = daily[sp].attrs
    return out


def _city_series(prepared, daily: xr.Dataset) -> pd.DataFrame:
    """Daily city AQI, alert level and PM2.5 from daily indicators.

    Computed as the plan's alerts are (:func:`planner.targets.forecast.city_daily_aqi` /
    ``levels_at_percentile``): mean over stations; the ensemble-mean concentrations, or the percentile of the
    members' AQI.
    """
    from planner.policy.alerts import alert_levels, load_rules
    from planner.policy.aqi import aqi_table, normalise_edition
    from planner.targets.forecast import _aqi_frame, _percentile_int

    sc = prepared.scenario
    edition = normalise_edition(sc.aqi_standard)
    city = daily.mean("station", skipna=True, keep_attrs=True)
    dates = pd.DatetimeIndex(city["date"].values)
    if sc.percentile is not None and "member" in city.dims:
        city = city.transpose("date", "member")
        per = _aqi_frame(city, edition)
        nd, nm = city.sizes["date"], city.sizes["member"]
        arr = per["aqi"].to_numpy(dtype=float, na_value=np.nan).reshape(nd, nm)
        prim = per["primary_pollutant"].to_numpy(dtype=object).reshape(nd, nm)
        p = _percentile_int(arr, sc.percentile, axis=1)
        dist = np.abs(np.nan_to_num(arr, nan=1e9) - p[:, None]) - 1e-6 * np.nan_to_num(arr, nan=0)
        pick = np.argmin(dist, axis=1)
        frame = pd.DataFrame(
            {"date": dates, "aqi": p, "primary_pollutant": prim[np.arange(nd), pick].astype(str)}
        )
        with np.errstate(all="ignore"):
            pm = np.nanpercentile(city["PM2.5"].values, sc.percentile, axis=1)
    else:
        mean = city.mean("member") if "member" in city.dims else city
        conc = pd.DataFrame({v: mean[v].values for v in mean.data_vars})
        res = aqi_table(conc, edition)
        frame = pd.DataFrame(
            {"date": dates, "aqi": res["aqi"].array, "primary_pollutant": res["primary_pollutant"].to_numpy()}
        )
        pm = mean["PM2.5"].values
    frame["pm25"] = pm
    out = alert_levels(frame, load_rules(sc.rules))
    return out.set_index(pd.DatetimeIndex(out["date"]).normalize())


def _station_aqi(daily: xr.Dataset, standard: str) -> pd.DataFrame:
    from planner.policy.aqi import aqi_table

    if "member" in daily.dims:
        daily = daily.mean("member")
    frame = daily.transpose("date", "station").to_dataframe().reorder_levels(["date", "station"])
    res = aqi_table(frame[[c for c in frame.columns if c in daily.data_vars]], standard)
    frame["aqi"] = res["aqi"].to_numpy()
    return frame


def _daily(prepared, ds) -> xr.Dataset:
    from planner.targets.forecast import daily_means

    cache = _cache(prepared)
    if "daily" not in cache:
        cache["daily"] = daily_means(ds)
    return cache["daily"]


def _episode_days(prepared, receptors, firm, area, dates, slot_names, nlag, method, met, notes):
    from planner.policy.alerts import load_rules

    ds = _read_scenario_forecast(prepared)
    sc = prepared.scenario
    fdays = sorted(set(pd.DatetimeIndex(ds["time"].values).normalize()))
    index = {d: i for i, d in enumerate(fdays)}
    R, D = len(receptors), len(fdays)
    ind = np.zeros((R, D))
    non = np.zeros((R, D))
    slot_of_day = {}
    beyond = 0.0
    for k, d in enumerate(dates):
        slot_of_day[d] = slot_names[k]
        for lag in range(max(firm.shape[1], area.shape[1])):  # an SR file may have its own lags
            day = d + pd.Timedelta(days=lag)
            f = firm[:, lag, k] if lag < firm.shape[1] else 0.0
            a = area[:, lag, k] if lag < area.shape[1] else 0.0
            if day in index:
                ind[:, index[day]] += f
                non[:, index[day]] += a
            else:
                beyond = max(beyond, float(np.atleast_1d(f)[-1] + np.atleast_1d(a)[-1]))
    if beyond > 0:
        notes.append(f"effects after the forecast's last day are not shown (up to {beyond:.2f} µg/m³)")
    total = ind + non
    station_ids = [str(s) for s in ds["station"].values]
    if len(receptors) > 1:
        delta = pd.DataFrame(total[:-1].T, index=pd.DatetimeIndex(fdays), columns=receptors[:-1])
    else:  # the SR file only has the city mean: every station lowered by it
        delta = pd.DataFrame(
            np.repeat(total[-1][:, None], len(station_ids), axis=1),
            index=pd.DatetimeIndex(fdays),
            columns=station_ids,
        )
        notes.append(
            "station values lowered by the city-mean ΔPM2.5 (the SR file has only the city receptor)"
        )
    daily = _daily(prepared, ds)
    low = _lowered(daily, delta)
    before = _city_series(prepared, daily)
    after = _city_series(prepared, low)
    st_before = _station_aqi(daily, sc.aqi_standard)
    st_after = _station_aqi(low, sc.aqi_standard)
    rules = load_rules(sc.rules)
    thresholds = sorted({c.threshold for alts in rules.levels.values() for grp in alts for c in grp})
    rows = []
    slots = {}
    for j, d in enumerate(fdays):
        slot = slot_of_day.get(d, "")
        for i, r in enumerate(receptors):
            if r == CITY:
                b, a = before.loc[d], after.loc[d]
                aqi_b, aqi_a = _int_or_none(b["aqi"]), _int_or_none(a["aqi"])
                crossed = [
                    t for t in thresholds if aqi_b is not None and aqi_a is not None and aqi_b > t >= aqi_a
                ]
                pm_b = _float_or_none(b["pm25"])
                row = {
                    "pm25_forecast": pm_b,
                    "aqi_forecast": aqi_b,
                    "aqi_with_measures": aqi_a,
                    "level_forecast": str(b["level"]),
                    "level_with_measures": str(a["level"]),
                    "below_threshold": bool(crossed),
                    "thresholds_crossed": ",".join(f"{t:g}" for t in crossed),
                }
            else:
                key = (d, r)
                pm_b = _float_or_none(st_before.loc[key, "PM2.5"]) if key in st_before.index else None
                row = {
                    "pm25_forecast": pm_b,
                    "aqi_forecast": _int_or_none(st_before.loc[key, "aqi"])
                    if key in st_before.index
                    else None,
                    "aqi_with_measures": _int_or_none(st_after.loc[key, "aqi"])
                    if key in st_after.index
                    else None,
                    "level_forecast": "",
                    "level_with_measures": "",
                    "below_threshold": None,
                    "thresholds_crossed": "",
                }
            dlt = float(total[i, j])
            rows.append(
                {
                    "date": d,
                    "slot": slot,
                    "receptor": r,
                    "delta_pm25": dlt,
                    "delta_pm25_industry": float(ind[i, j]),
                    "delta_pm25_non_industrial": float(non[i, j]),
                    "pm25_with_measures": None if pm_b is None else max(pm_b - dlt, 0.0),
                    **row,
                    "met_source": met.loc[slot, "met_source"] if slot else "",
                    "method": method,
                }
            )
            if r == CITY and slot:
                slots[slot] = {
                    "pm25_forecast": None if pm_b is None else round(pm_b, 3),
                    "delta_pm25": round(dlt, 4),
                    "aqi_forecast": row["aqi_forecast"],
                    "aqi_with_measures": row["aqi_with_measures"],
                    "method": method,
                }
    cols = [
        "date",
        "slot",
        "receptor",
        "pm25_forecast",
        "delta_pm25",
        "delta_pm25_industry",
        "delta_pm25_non_industrial",
        "pm25_with_measures",
        "aqi_forecast",
        "aqi_with_measures",
        "level_forecast",
        "level_with_measures",
        "below_threshold",
        "thresholds_crossed",
        "met_source",
        "method",
    ]
    return pd.DataFrame(rows)[cols], slots


def _int_or_none(v):
    try:
        return None if pd.isna(v) else int(v)
    except (TypeError, ValueError):
        return None


def _float_or_none(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


# --------------------------------------------------------------------------- hooks for run.py
def _cached_effect(prepared, plan) -> PlanEffect | None:
    """The plan's effect, computed once per plan.

    None when the city has no stations (and no SR file names receptors) or the plan has no curtailment.
    """
    cache = _cache(prepared)
    hit = cache.get("effect")
    if hit is not None and hit[0] is plan.curtailment:
        return hit[1]
    import time

    t0 = time.perf_counter()
    if getattr(plan, "curtailment", None) is None or (
        not _stations(prepared.city) and _scenario_sr(prepared) is None
    ):
        eff = None
    else:
        eff = plan_effect(
            prepared,
            plan.curtailment,
            non_industrial=getattr(plan, "non_industrial", None),
            menu=getattr(plan, "menu", None),
        )
    cache["effect"] = (plan.curtailment, eff)
    prepared.timings["air_quality"] = time.perf_counter() - t0
    return eff


def slot_air_quality(prepared, plan) -> dict:
    """Slot -> the ``air_quality`` entry of ``summary.json`` (city mean, µg/m³).

    Empty when the city has no stations to compute it at.
    """
    eff = _cached_effect(prepared, plan)
    return {} if eff is None else eff.slots


def _row_firms(inp) -> np.ndarray:
    """The enterprise of every PlanInputs row (rows are decision units: ``owner`` when present)."""
    return np.asarray((inp["owner"] if "owner" in inp else inp["enterprise"]).values).astype(str)


def firm_delta_column(prepared, plan, enterprises=None) -> np.ndarray:
    """The schedule's ``delta_pm25_city`` column for ``enterprises``.

    In enterprise-major, slot-minor order; ``enterprises`` defaults to the PlanInputs rows.
    """
    eff = _cached_effect(prepared, plan)
    inp = prepared.inputs
    ids = inp["enterprise"].values if enterprises is None else np.asarray(enterprises)
    if eff is None:
        return np.full(len(ids) * inp.sizes["slot"], np.nan)
    fd = eff.firm_delta
    return fd.reindex(enterprise=ids, slot=inp["slot"].values).fillna(0.0).values.ravel()
