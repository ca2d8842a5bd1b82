"""The demo region: three small generated cities for ``scenarios/demo_region.yaml``.

Each city is a :func:`planner.demo.city.make_demo_city` city of its own size and seed, renamed,
written by :func:`planner.demo.city.write_demo_city` without the Excel copy (and without a
forecast: the demo region is planned in list mode), into ``data/demo_region/<city>/``.  The same
call always writes the same bytes::

    .venv/bin/python -m planner.demo.region            # rewrites data/demo_region/
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner import DATA_DIR

#: city id -> (enterprises, seed, English name, Chinese name)
DEMO_REGION_CITIES: dict[str, tuple[int, int, str, str]] = {
    "north": (60, 101, "Demo North City", "示范北市"),
    "south": (80, 202, "Demo South City", "示范南市"),
    "east": (50, 303, "Demo East City", "示范东市"),
}


def write_demo_region(out_dir: str | Path = DATA_DIR / "demo_region") -> dict[str, dict[str, Path]]:
    """Generate and write the demo region's cities; return the written paths per city."""
    from planner.demo.city import make_demo_city, write_demo_city

    out = Path(out_dir)
    paths = {}
    for cid, (n, seed, name, name_zh) in DEMO_REGION_CITIES.items():
        city = make_demo_city(n, seed)
        city.city["name"] = name
        city.city["name_zh"] = name_zh
        city.city["source"] = (
            f"synthetic demo city of the demo region (planner.demo.region: {n} enterprises, seed {seed})"
        )
        paths[cid] = write_demo_city(city, out / cid, xlsx=False)
    return paths


if __name__ == "__main__":  # pragma: no cover
    for cid, written in write_demo_region(*sys.argv[1:2]).items():
        print(cid, ", ".join(str(p) for p in written.values()))
