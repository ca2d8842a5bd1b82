"""`planner demo-data`: generate the synthetic demo city.

Writes ``enterprises.csv`` (canonical headers), ``enterprises.xlsx`` (the Chinese list layout;
skipped above :data:`planner.demo.city.XLSX_MAX_ENTERPRISES` enterprises, with a line saying so
and pointing to the CSV), ``lines.csv`` (the lines of the big plants), ``city.yaml`` (city-wide
totals, stations, extent, counties), ``menus.yaml`` and the demo forecast
(``forecast.nc``/``forecast.csv``, :mod:`planner.demo.forecast`) into ``--out`` (default
``data/demo_city``).  The same ``--enterprises`` and ``--seed`` always give the same bytes.
"""

from __future__ import annotations

import argparse
import time

from planner import DATA_DIR
from planner.demo import city as demo_city
from planner.demo.city import (
    DEFAULT_N_ENTERPRISES,
    DEFAULT_SEED,
    describe_city,
    make_demo_city,
    write_demo_city,
)
from planner.demo.forecast import DEFAULT_SEED as FORECAST_SEED
from planner.demo.forecast import write_demo_forecast, write_successive_forecasts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``demo-data`` options to ``parser``."""
    parser.add_argument(
        "--enterprises",
        type=int,
        default=DEFAULT_N_ENTERPRISES,
        metavar="N",
        help=(
            f"number of enterprises (default {DEFAULT_N_ENTERPRISES}); above "
            f"{demo_city.XLSX_MAX_ENTERPRISES:,} the Excel copy enterprises.xlsx is not written "
            "(enterprises.csv holds the same list)"
        ),
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, metavar="S", help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--forecast-seed",
        type=int,
        default=FORECAST_SEED,
        metavar="S",
        help=f"random seed of the demo forecast (default {FORECAST_SEED})",
    )
    parser.add_argument(
        "--out",
        default=str(DATA_DIR / "demo_city"),
        metavar="DIR",
        help="output folder (default data/demo_city)",
    )


def run(args: argparse.Namespace) -> int:
    """Generate and write the demo city; print what was written.

    Returns
    -------
    int
        0 on success, 2 when ``--enterprises`` is not a positive number.
    """
    if args.enterprises < 1:
        print(f"error: --enterprises must be at least 1, got {args.enterprises}")
        return 2
    start = time.perf_counter()
    city = make_demo_city(args.enterprises, args.seed)
    paths = write_demo_city(city, args.out)
    paths["forecast"] = write_demo_forecast(city.city, args.out, args.forecast_seed)
    for k, path in enumerate(write_successive_forecasts(city.city, args.out), start=1):
        paths[f"forecast_update_{k}"] = path  # later forecasts of the episode (planner replan)
    elapsed = time.perf_counter() - start
    totals = city.city["total_emissions"]
    inv = city.inventory
    print(f"demo city {city.city['name_zh']} ({city.city['name']}): {len(inv)} enterprises, seed {args.seed}")
    for pol, total in totals.items():
        print(
            f"  {pol}: list {inv[pol].sum():,.0f} t/a of city total {total:,.0f} t/a "
            f"({inv[pol].sum() / total:.0%})"
        )
    for text in describe_city(city):
        print(f"  {text}")
    for path in paths.values():
        print(f"  wrote {path}")
    if "xlsx" not in paths:
        print(
            f"  skipped enterprises.xlsx: {len(inv):,} enterprises is more than the "
            f"{demo_city.XLSX_MAX_ENTERPRISES:,} the Excel copy is written for (a workbook that size takes "
            f"minutes to write and to open); use {paths['csv']}, which holds the same list"
        )
    print(f"  done in {elapsed:.1f} s")
    return 0
