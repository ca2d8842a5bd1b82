"""Look-ups of many repeated labels (firm ids of lines, units, schedule rows) in an index.

A schedule of a million rows names a few hundred thousand firms; each distinct label is looked up
once and the positions are spread back by the factorization's codes, instead of hashing every row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["factorize_texts", "lookup", "positions"]


def factorize_texts(values) -> tuple[np.ndarray, pd.Index]:
    """``values`` as text (``astype(str)``), factorized: ``(codes, distinct texts)``; missing values code -1."""
    codes, uniq = pd.factorize(pd.Series(values).astype(str), use_na_sentinel=True)
    return codes, pd.Index(uniq)


def lookup(index: pd.Index, codes: np.ndarray, uniq: pd.Index) -> np.ndarray:
    """``index.get_indexer(uniq[codes])``: each distinct label looked up once (-1 where absent or missing)."""
    return np.append(index.get_indexer(uniq), -1)[codes]


def positions(index, values) -> np.ndarray:
    """``pd.Index(index).get_indexer(values)`` for labels that repeat, each distinct one looked up once.

    Parameters
    ----------
    index : array-like or pandas.Index
        The labels to find positions in (unique).
    values : array-like
        Labels, usually repeated (the firm of every line or schedule row).

    Returns
    -------
    numpy.ndarray of int
        Position of each value in ``index``; -1 where it is absent or missing.
    """
    codes, uniq = pd.factorize(np.asarray(values), use_na_sentinel=True)
    return lookup(pd.Index(index), codes, pd.Index(uniq))
