"""Conversions between pandas objects and the columns the Rust core speaks."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np
import pandas as pd

from . import _hantu
from ._hantu import DataError

BAR_COLUMNS = ("date", "code", "open", "high", "low", "close", "volume")


def dates(ns: np.ndarray) -> pd.DatetimeIndex:
    """Naive KST nanoseconds as a DatetimeIndex (no copy)."""
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]"))


def bars_frame(columns: Dict[str, Any]) -> pd.DataFrame:
    """A long bar DataFrame (date, code, open, high, low, close, volume) from core columns."""
    codes = np.asarray(columns["codes"], dtype=object)
    code = codes[columns["code_index"]] if len(codes) else np.empty(0, dtype=object)
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


def to_bardata(data: Any) -> _hantu.BarData:
    """Checks and converts bars given as a long DataFrame (or already converted) for the core.

    The frame needs columns ``code``, ``open``, ``high``, ``low``, ``close``, ``volume`` and a
    ``date`` column (or a DatetimeIndex). Dates are KST; a date at midnight is a daily bar.
    """
    if isinstance(data, _hantu.BarData):
        return data
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"bars must be a pandas DataFrame, not {type(data).__name__}")
    frame = data
    if "date" not in frame.columns:
        if isinstance(frame.index, pd.DatetimeIndex):
            frame = frame.reset_index(names="date")
        else:
            raise DataError("bars need a 'date' column or a DatetimeIndex")
    missing = [c for c in BAR_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"bars are missing column(s) {', '.join(missing)}; need {', '.join(BAR_COLUMNS)}")
    try:
        date = pd.to_datetime(frame["date"])
    except (ValueError, TypeError) as e:
        raise DataError(f"column date: {e}") from None
    if getattr(date.dt, "tz", None) is not None:
        date = date.dt.tz_convert("Asia/Seoul").dt.tz_localize(None)
    if date.isna().any():
        raise DataError(f"column date: missing value at row {int(np.argmax(date.isna().to_numpy()))}")
    date_ns = date.to_numpy(dtype="datetime64[ns]").view(np.int64)
    code_index, codes = pd.factorize(codes_as_text(frame["code"]), sort=False)

    def num(col: str) -> np.ndarray:
        try:
            return np.ascontiguousarray(frame[col].to_numpy(dtype=np.float64, na_value=np.nan))
        except (ValueError, TypeError) as e:
            raise DataError(f"column {col}: {e}") from None

    return _hantu.bars_from_columns(
        np.ascontiguousarray(date_ns),
        np.ascontiguousarray(code_index.astype(np.int64)),
        [str(c) for c in codes],
        num("open"),
        num("high"),
        num("low"),
        num("close"),
        num("volume"),
    )
