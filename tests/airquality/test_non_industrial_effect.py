"""ΔPM2.5 of credited non-industrial measures: a library measure switched on (``use: on``) counts
like the same measure typed inline (planner.airquality.effect._non_industrial_tonnes)."""

from __future__ import annotations

import numpy as np
import yaml

from planner.airquality.effect import _non_industrial_tonnes
from planner.airquality.params import load_params
from planner.policy.non_industrial import non_industrial_library
from planner.scenario.run import prepare

IDS = ("construction_dust", "heavy_truck_ban")


def _scenario(tmp_path, repo, name, items):
    doc = {"name": name, "base": str(repo / "scenarios" / "demo_episode.yaml"), "non_industrial": items}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return prepare(path)


def test_a_library_measure_on_moves_pm25_like_the_same_measure_inline(tmp_path, repo):
    library = non_industrial_library()
    by_id = _scenario(tmp_path, repo, "by_id", [{"id": i, "use": "on"} for i in IDS])
    inline = _scenario(
        tmp_path,
        repo,
        "inline",
        [
            {
                "name": library[i].name_zh,
                "sector": library[i].sector,
                "reductions": {lv: dict(r) for lv, r in library[i].reductions.items()},
                "loss": {lv: float(c) for lv, c in library[i].cost.items()},
            }
            for i in IDS
        ],
    )
    np.testing.assert_allclose(by_id.inputs["credited"].values, inline.inputs["credited"].values, rtol=1e-12)
    params = load_params()
    got, want = _non_industrial_tonnes(by_id, params), _non_industrial_tonnes(inline, params)
    assert (got > 0).any()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # construction dust's PM counts at its sector's PM2.5 share, not industry's
    assert got[0, 2] < by_id.inputs["credited"].values[0, 2]
