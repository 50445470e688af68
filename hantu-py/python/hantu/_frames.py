"""Conversions between pandas objects and the columns the Rust core speaks."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np
import pandas as pd

from . import _hantu
from ._hantu import DataError

BAR_COLUMNS = ("date", "code", "open", "high", "low", "close", "volume")


def dates(ns: np.ndarray) -> pd.DatetimeIndex:
    """Naive KST nanoseconds as a DatetimeIndex (no copy)."""
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]"))


def bars_frame(columns: Dict[str, Any]) -> pd.DataFrame:
    """A long bar DataFrame (date, code, open, high, low, close, volume) from core columns.

    ``code`` is categorical (the codes once, an integer per row), which is what the core reads
    back without looking at any text.
    """
    codes = list(columns["codes"])
    index = np.asarray(columns["code_index"], dtype=np.int64)
    code = pd.Categorical.from_codes(index, categories=pd.Index(codes)) if codes else pd.Categorical([])
    return pd.DataFrame(
        {
            "date": dates(columns["date"]),
            "code": code,
            "open": columns["open"],
            "high": columns["high"],
            "low": columns["low"],
            "close": columns["close"],
            "volume": columns["volume"],
        }
    )


def codes_as_text(codes: pd.Series) -> pd.Series:
    """Stock codes as text; integer codes (a CSV read without ``dtype=str`` drops the leading
    zeros of 005930) are padded back to six digits."""
    if pd.api.types.is_integer_dtype(codes):
        return codes.map("{:06d}".format)
    return codes.astype(str)


#: Names the ``freq`` argument takes (see :func:`to_bardata`).
FREQS = ("auto", "daily", "minute")


def _date_ns(values: Any) -> np.ndarray:
    """Dates as int64 nanoseconds of naive KST time: a view when they already are
    ``datetime64[ns]``; aware dates are converted to Seoul time first."""
    if isinstance(values, (pd.Series, pd.Index)):
        dtype = values.dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            values = pd.DatetimeIndex(values).tz_convert("Asia/Seoul").tz_localize(None)
        elif not (isinstance(dtype, np.dtype) and dtype.kind == "M"):
            try:
                values = pd.to_datetime(values)
            except (ValueError, TypeError) as e:
                raise DataError(f"column date: {e}") from None
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                values = pd.DatetimeIndex(values).tz_convert("Asia/Seoul").tz_localize(None)
        arr = np.asarray(values.to_numpy(dtype="datetime64[ns]"))
    else:
        arr = np.asarray(values)
        if arr.dtype.kind == "M":
            arr = arr.astype("datetime64[ns]", copy=False)
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.int64, copy=False).view("datetime64[ns]")
        else:
            try:
                arr = pd.to_datetime(arr).to_numpy(dtype="datetime64[ns]")
            except (ValueError, TypeError) as e:
                raise DataError(f"column date: {e}") from None
    # A missing date (NaT, the smallest int64) is refused by the core, naming its row.
    return np.ascontiguousarray(arr.view(np.int64))


def _code_index(values: Any, n: int) -> Tuple[np.ndarray, List[str]]:
    """Codes as int32 indexes into their distinct texts: a categorical's own codes, Python
    strings factorized by the core, anything else by ``pandas.factorize`` (no text made per
    row; integer codes are padded to six digits)."""
    if isinstance(values, (str, np.str_)):
        return np.zeros(n, dtype=np.int32), [str(values)]
    if not isinstance(values, (pd.Series, pd.Index)):
        values = pd.Series(np.asarray(values))
    if isinstance(values.dtype, pd.CategoricalDtype):
        # The Categorical itself: `Series.cat.codes` builds a Series around its codes first.
        cat: Any = values.array if isinstance(values, pd.Series) else values
        index, uniques = cat.codes, cat.categories
    else:
        dtype = values.dtype
        if dtype == object or (isinstance(dtype, pd.StringDtype) and dtype.storage == "python"):
            # One Python string per row: the core factorizes them, comparing the objects first.
            found = _hantu.factorize_text(np.asarray(values.to_numpy(dtype=object), dtype=object))
            if found is not None:
                return found
        index, uniques = pd.factorize(values, sort=False)
    texts = [f"{int(c):06d}" for c in uniques] if pd.api.types.is_integer_dtype(uniques) else [str(c) for c in uniques]
    return np.ascontiguousarray(index, dtype=np.int32), texts


def _number(col: str, values: Any) -> np.ndarray:
    """A price or volume column as float64 or int64 (as held: no conversion when it already is)."""
    if isinstance(values, (pd.Series, pd.Index)):
        dtype = values.dtype
        if isinstance(dtype, np.dtype) and dtype in (np.float64, np.int64):
            return np.ascontiguousarray(values.to_numpy())
        try:
            return np.ascontiguousarray(values.to_numpy(dtype=np.float64, na_value=np.nan))
        except (ValueError, TypeError) as e:
            raise DataError(f"column {col}: {e}") from None
    arr = np.asarray(values)
    if arr.dtype in (np.float64, np.int64):
        return np.ascontiguousarray(arr)
    try:
        return np.ascontiguousarray(arr, dtype=np.float64)
    except (ValueError, TypeError) as e:
        raise DataError(f"column {col}: {e}") from None


def to_bardata(data: Any, freq: Optional[str] = None) -> _hantu.BarData:
    """Checks and converts bars for the core: a long DataFrame, or a mapping of columns (numpy
    arrays; ``code`` may be one code for all rows), or bars already converted.

    The columns are ``date`` (or a DatetimeIndex), ``code``, ``open``, ``high``, ``low``,
    ``close`` and ``volume``. Dates are KST. ``freq`` says what they stamp: ``"daily"`` bars
    (the time of day is ignored), ``"minute"`` bars (any intraday bar: every time is kept,
    midnight included), or ``None``/``"auto"``, where a date at exactly midnight is a daily bar.

    The conversion reads the columns as they are held: float64 or int64 prices and volumes,
    datetime64[ns] dates and categorical codes are passed to the core without a copy.
    """
    if isinstance(data, _hantu.BarData):
        return data
    c = core_columns(data, freq)
    return _hantu.bars_from_columns(
        c["date"], c["code_index"], c["codes"], c["open"], c["high"], c["low"], c["close"], c["volume"], core_freq(freq)
    )


def core_freq(freq: Optional[str]) -> Optional[str]:
    """``freq`` as the core takes it (``None`` for ``"auto"``)."""
    return None if freq == "auto" else freq


def core_columns(data: Any, freq: Optional[str] = None) -> Dict[str, Any]:
    """The columns of ``data`` (as :func:`to_bardata` takes it, bars already converted aside)
    as the core reads them: ``date`` int64 ns, ``code_index`` int32 into ``codes``, prices and
    volume float64 or int64, contiguous; views of the caller's arrays where they allow it."""
    if freq is not None and freq not in FREQS:
        raise DataError(f"freq: {freq!r} is not one of {', '.join(map(repr, FREQS))}")
    columns: Any
    if isinstance(data, pd.DataFrame):
        frame = data
        if "date" not in frame.columns:
            if isinstance(frame.index, pd.DatetimeIndex):
                columns = {"date": frame.index, **{c: frame[c] for c in frame.columns}}
            else:
                raise DataError("bars need a 'date' column or a DatetimeIndex")
        else:
            columns = frame
    elif isinstance(data, Mapping):
        columns = data
    else:
        raise DataError(f"bars must be a pandas DataFrame or a mapping of columns, not {type(data).__name__}")
    names = set(columns.keys()) if isinstance(columns, Mapping) else set(columns.columns)
    missing = [c for c in BAR_COLUMNS if c not in names]
    if missing:
        raise DataError(f"bars are missing column(s) {', '.join(missing)}; need {', '.join(BAR_COLUMNS)}")
    date_ns = _date_ns(columns["date"])
    n = len(date_ns)
    code_index, codes = _code_index(columns["code"], n)
    return {
        "date": date_ns,
        "code_index": code_index,
        "codes": codes,
        **{c: _number(c, columns[c]) for c in ("open", "high", "low", "close", "volume")},
    }
