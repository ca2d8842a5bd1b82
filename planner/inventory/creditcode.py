"""Unified social credit code (统一社会信用代码), GB 32100-2015.

A code has 18 characters drawn from ``0-9 A-H J-N P-R T U W-Y`` (no I, O, Z, S, V):

=========  ==========================================================
position   meaning
=========  ==========================================================
1          registration authority code (登记管理部门代码)
2          entity type code (机构类别代码)
3-8        administrative division code (登记管理机关行政区划码), digits
9-17       organization code (主体标识码, GB 11714)
18         check character
=========  ==========================================================

The check character is computed from the first 17 characters: each character's value (its index
in :data:`CHARSET`) is multiplied by the weight of its position, the products are summed, and the
check value is ``31 - sum mod 31`` (31 becomes 0).  The check character is ``CHARSET[check]``.
"""

from __future__ import annotations

import unicodedata

import numpy as np

#: The 31 characters allowed in a code; a character's value is its index here.
CHARSET: str = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weights of positions 1-17 (3**(i) mod 31).
WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: Length of a code.
LENGTH: int = 18

_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
_FORBIDDEN = {"I", "O", "Z", "S", "V"}

# Lookup table byte -> value (-1 for characters outside CHARSET), for the vectorised check.
_LOOKUP = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate(CHARSET):
    _LOOKUP[ord(_ch)] = _i


def check_indices(values) -> np.ndarray:
    """Charset index of the check character for rows of 17 charset indices (GB 32100-2015).

    The single implementation of the check formula: ``(31 - Σ value_i × weight_i mod 31) mod 31``.

    Parameters
    ----------
    values : array_like of int, shape (..., 17)
        Positions 1-17 as indices into :data:`CHARSET`.

    Returns
    -------
    ndarray of int
    """
    total = np.asarray(values, dtype=np.int64) @ np.asarray(WEIGHTS, dtype=np.int64)
    return (31 - total % 31) % 31


def check_character(first17: str) -> str:
    """Return the check character for the first 17 characters of a code.

    Parameters
    ----------
    first17 : str
        Exactly 17 characters from :data:`CHARSET`.

    Returns
    -------
    str
        One character of :data:`CHARSET`.

    Raises
    ------
    ValueError
        If ``first17`` is not 17 characters long or holds a character outside :data:`CHARSET`.
    """
    if len(first17) != LENGTH - 1:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    bad = [ch for ch in first17 if ch not in _VALUE]
    if bad:
        raise ValueError(f"character {bad[0]!r} is not allowed in a credit code")
    return CHARSET[int(check_indices([_VALUE[ch] for ch in first17]))]


def make_credit_code(first17: str) -> str:
    """Complete 17 characters into a valid 18-character code by appending the check character.

    Parameters
    ----------
    first17 : str
        Positions 1-17 (positions 3-8 must be digits).

    Returns
    -------
    str
        The 18-character code.

    Raises
    ------
    ValueError
        If the result would not be a valid code.
    """
    code = first17 + check_character(first17)
    problem = credit_code_problem(code)
    if problem:
        raise ValueError(problem)
    return code


def _charset_problem(code: str) -> str | None:
    for pos, ch in enumerate(code, start=1):
        if ch in _VALUE:
            continue
        if ch.islower() and ch.upper() in _VALUE:
            return f"character {pos} {ch!r} must be a capital letter"
        if ch.upper() in _FORBIDDEN:
            return f"character {pos} {ch!r} is not allowed (credit codes never use I, O, Z, S or V)"
        return f"character {pos} {ch!r} is not allowed (only 0-9 and capital letters except I, O, Z, S, V)"
    return None


def credit_code_problem(code: str) -> str | None:
    """Say what is wrong with a unified social credit code, or None if it is valid.

    Parameters
    ----------
    code : str
        The code as written (surrounding whitespace is the caller's business).

    Returns
    -------
    str or None
        A plain message, e.g. ``"check character should be 3, not 4"``.
    """
    if not isinstance(code, str) or code == "":
        return "credit code is empty"
    if not code.isascii():
        half = unicodedata.normalize("NFKC", code)
        if half.isascii() and credit_code_problem(half) is None:
            return f"the code is written in full-width characters; write it in half-width: {half}"
    if len(code) != LENGTH:
        return f"credit code must have 18 characters, not {len(code)}"
    problem = _charset_problem(code)
    if problem:
        return problem
    if not code[2:8].isdigit():
        return "characters 3-8 (administrative division code) must be digits"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character should be {expected}, not {code[17]}"
    return None


def credit_code_problems(codes) -> list[str | None]:
    """Vectorised :func:`credit_code_problem` for many codes.

    Codes that pass the fast array check (length, charset, digits, check character) get None
    without a per-code Python call; the others get their message from
    :func:`credit_code_problem`.

    Parameters
    ----------
    codes : sequence of str

    Returns
    -------
    list of (str or None)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:  # the texts in Arrow: candidates found and joined without a Python call per code
        arr = pa.array(codes, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        arr = None
    codes = list(codes)
    result: list[str | None] = [None] * len(codes)
    if not codes:
        return result
    ok = np.zeros(len(codes), dtype=bool)
    if arr is not None:
        fits = pc.and_(pc.equal(pc.binary_length(arr), LENGTH), pc.string_is_ascii(arr))
        cand = np.flatnonzero(pc.fill_null(fits, False).to_numpy(zero_copy_only=False))
    else:
        cand = np.array(
            [i for i, c in enumerate(codes) if isinstance(c, str) and len(c) == LENGTH and c.isascii()],
            dtype=np.intp,
        )
    if len(cand):
        if arr is not None:  # every candidate is LENGTH bytes: the data buffer is their concatenation
            taken = arr.take(pa.array(cand))
            start = int(
                np.frombuffer(taken.buffers()[1], dtype=np.int32, count=1, offset=taken.offset * 4)[0]
            )
            raw = np.frombuffer(taken.buffers()[2], dtype=np.uint8, count=LENGTH * len(cand), offset=start)
        else:
            raw = np.frombuffer("".join(codes[i] for i in cand).encode("ascii"), dtype=np.uint8)
        values = _LOOKUP[raw].reshape(-1, LENGTH)
        valid_chars = (values >= 0).all(axis=1)
        digits = (values[:, 2:8] <= 9).all(axis=1) & (values[:, 2:8] >= 0).all(axis=1)
        ok[cand] = valid_chars & digits & (check_indices(values[:, :17]) == values[:, 17])
    for i in np.flatnonzero(~ok):
        result[i] = credit_code_problem(codes[i])
    return result
