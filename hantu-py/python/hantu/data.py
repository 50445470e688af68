"""Reading bar data from files into pandas.

>>> import hantu
>>> bars = hantu.data.read_csv_dir("data/daily")          # doctest: +SKIP
>>> bars.groupby("code").close.last()                     # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings
from typing import Union

import pandas as pd

from . import _hantu
from ._frames import bars_frame

__all__ = ["read_csv_dir"]


def read_csv_dir(path: Union[str, "os.PathLike[str]"], *, strict: bool = False) -> pd.DataFrame:
    """Reads every ``<code>.csv`` of a folder (``date,open,high,low,close,volume``) into one long
    DataFrame with columns ``date, code, open, high, low, close, volume``, ordered by date then code.

    Files are read in parallel by the Rust core. Bad rows are skipped with a warning naming the
    file and line; with ``strict=True`` they raise :class:`hantu.DataError` instead.

    Raises:
        DataError: the folder cannot be read (or, with ``strict``, a row or file is bad).
    """
    data, problems = _hantu.read_csv_dir(os.fspath(path))
    if problems:
        message = "; ".join(problems[:5]) + ("; …" if len(problems) > 5 else "")
        if strict:
            raise _hantu.DataError(message)
        warnings.warn(f"read_csv_dir: {message}", stacklevel=2)
    return bars_frame(data.columns())
