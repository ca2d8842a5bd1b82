"""Opening a gridded input file (forecast, source–receptor matrix): path checks and the netCDF read.

Both readers share the same first steps: the file must exist and not be a folder, and a
``.nc``/``.nc4``/``.netcdf``/``.h5`` file is loaded whole with the h5netcdf engine; any reader
failure is bad input with the file's name, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from planner.problems import InputError

#: File suffixes read as netCDF (anything else is read as a long CSV by the caller).
NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".h5")


def check_input_file(path: Path, label: str, what: str) -> None:
    """Raise :class:`InputError` unless ``path`` is an existing file.

    Parameters
    ----------
    path : pathlib.Path
    label : str
        The name used in messages (usually the file name).
    what : str
        What the file should be, e.g. ``"forecast file"``.
    """
    if not path.exists():
        raise InputError.single(label, f"{what} not found: {path}")
    if path.is_dir():
        raise InputError.single(label, f"{path} is a folder, not a {what}")


def is_netcdf(path: Path) -> bool:
    """True when the file is to be read as netCDF (by its suffix)."""
    return path.suffix.lower() in NETCDF_SUFFIXES


def open_netcdf(path: Path, label: str) -> xr.Dataset:
    """Load a netCDF file into memory (the file is closed on return).

    Raises
    ------
    InputError
        ``cannot read as netCDF: …`` with the reader's reason.
    """
    try:
        with xr.open_dataset(path, engine="h5netcdf") as src:
            return src.load()
    except Exception as exc:  # any reader failure is bad input
        raise InputError.single(label, f"cannot read as netCDF: {exc}") from None
