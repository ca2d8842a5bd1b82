"""Look-ups of repeated labels (:mod:`planner.io.labels`): the same positions as ``get_indexer``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.io.labels import factorize_texts, lookup, positions


def test_positions_equal_get_indexer_on_repeated_labels():
    index = pd.Index(["E3", "E1", "E2"])
    values = np.array(["E1", "E1", "E9", "E3", "E2", "E1", "E9"], dtype=object)
    np.testing.assert_array_equal(positions(index, values), index.get_indexer(values))
    np.testing.assert_array_equal(positions(index, values), [1, 1, -1, 0, 2, 1, -1])


def test_a_missing_label_has_no_position():
    codes, uniq = factorize_texts(pd.Series(["a", "b", "a"]))
    assert list(uniq) == ["a", "b"] and codes.tolist() == [0, 1, 0]
    assert lookup(pd.Index(["b"]), np.array([0, 1, -1]), uniq).tolist() == [-1, 0, -1]
    assert positions(["x"], np.array(["x", None], dtype=object)).tolist() == [0, -1]
