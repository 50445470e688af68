"""Technical indicators, TA-Lib-exact, computed by the Rust core.

Batch functions take numpy arrays (or anything array-like; float64 contiguous arrays are used
without a copy) and return float64 arrays of the same length, NaN during the warm-up, like
TA-Lib. Given pandas Series they return Series with the same index. The GIL is released while
the core computes.

Streaming classes update one bar at a time in O(1) and reproduce the batch values exactly:

>>> import hantu.indicators as ta
>>> rsi = ta.RSI(14)
>>> values = [rsi.update(x) for x in closes]        # doctest: +SKIP

Errors (a period below its minimum or longer than the input, inputs of different lengths,
``high < low``) raise :class:`hantu.ValidationError`.
"""

from __future__ import annotations

from typing import Any, Tuple, Union

import numpy as np
import pandas as pd

from ._hantu import indicators as _ind

ADX = _ind.ADX
ATR = _ind.ATR
BBANDS = _ind.BBANDS
EMA = _ind.EMA
MACD = _ind.MACD
MINUS_DI = _ind.MINUS_DI
OBV = _ind.OBV
PLUS_DI = _ind.PLUS_DI
RSI = _ind.RSI
SMA = _ind.SMA
STOCH = _ind.STOCH
STOCHF = _ind.STOCHF
TRANGE = _ind.TRANGE

__all__ = [
    "adx", "atr", "bbands", "ema", "macd", "minus_di", "obv", "plus_di", "rsi", "sma", "stoch", "stochf", "trange",
    "ADX", "ATR", "BBANDS", "EMA", "MACD", "MINUS_DI", "OBV", "PLUS_DI", "RSI", "SMA", "STOCH", "STOCHF", "TRANGE",
]

ArrayLike = Union[np.ndarray, "pd.Series[float]", Any]


def _call(fn: Any, names: Tuple[str, ...], inputs: Tuple[Any, ...], params: Tuple[Any, ...]) -> Any:
    index = None
    arrays = []
    for x in inputs:
        if isinstance(x, pd.Series):
            if index is None:
                index = x.index
            x = x.to_numpy(dtype=np.float64, na_value=np.nan)
        arrays.append(np.ascontiguousarray(x, dtype=np.float64))
    out = fn(*arrays, *params)
    if index is None:
        return out
    if isinstance(out, tuple):
        return tuple(pd.Series(o, index=index, name=n, copy=False) for o, n in zip(out, names))
    return pd.Series(out, index=index, name=names[0], copy=False)


def sma(close: ArrayLike, period: int = 30) -> Any:
    """Simple moving average over ``period`` bars (TA-Lib ``SMA``)."""
    return _call(_ind.sma, ("sma",), (close,), (period,))


def ema(close: ArrayLike, period: int = 30) -> Any:
    """Exponential moving average, seeded with the SMA of the first ``period`` bars (TA-Lib ``EMA``)."""
    return _call(_ind.ema, ("ema",), (close,), (period,))


def rsi(close: ArrayLike, period: int = 14) -> Any:
    """Wilder's relative strength index, 0–100 (TA-Lib ``RSI``)."""
    return _call(_ind.rsi, ("rsi",), (close,), (period,))


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> Any:
    """Average true range with Wilder smoothing (TA-Lib ``ATR``)."""
    return _call(_ind.atr, ("atr",), (high, low, close), (period,))


def adx(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> Any:
    """Average directional index (TA-Lib ``ADX``)."""
    return _call(_ind.adx, ("adx",), (high, low, close), (period,))


def plus_di(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> Any:
    """Plus directional indicator +DI (TA-Lib ``PLUS_DI``)."""
    return _call(_ind.plus_di, ("plus_di",), (high, low, close), (period,))


def minus_di(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> Any:
    """Minus directional indicator -DI (TA-Lib ``MINUS_DI``)."""
    return _call(_ind.minus_di, ("minus_di",), (high, low, close), (period,))


def trange(high: ArrayLike, low: ArrayLike, close: ArrayLike) -> Any:
    """True range (TA-Lib ``TRANGE``)."""
    return _call(_ind.trange, ("trange",), (high, low, close), ())


def obv(close: ArrayLike, volume: ArrayLike) -> Any:
    """On-balance volume (TA-Lib ``OBV``)."""
    return _call(_ind.obv, ("obv",), (close, volume), ())


def bbands(close: ArrayLike, period: int = 5, nbdev_up: float = 2.0, nbdev_dn: float = 2.0) -> Tuple[Any, Any, Any]:
    """Bollinger bands: ``(upper, middle, lower)`` (TA-Lib ``BBANDS`` with an SMA middle)."""
    return _call(_ind.bbands, ("upper", "middle", "lower"), (close,), (period, float(nbdev_up), float(nbdev_dn)))


def macd(close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> Tuple[Any, Any, Any]:
    """MACD: ``(macd, signal, hist)`` (TA-Lib ``MACD``)."""
    return _call(_ind.macd, ("macd", "signal", "hist"), (close,), (fast, slow, signal))


def stoch(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, fastk: int = 5, slowk: int = 3, slowd: int = 3
) -> Tuple[Any, Any]:
    """Slow stochastic: ``(k, d)`` with SMA smoothing (TA-Lib ``STOCH``)."""
    return _call(_ind.stoch, ("k", "d"), (high, low, close), (fastk, slowk, slowd))


def stochf(high: ArrayLike, low: ArrayLike, close: ArrayLike, fastk: int = 5, fastd: int = 3) -> Tuple[Any, Any]:
    """Fast stochastic: ``(k, d)`` (TA-Lib ``STOCHF``)."""
    return _call(_ind.stochf, ("k", "d"), (high, low, close), (fastk, fastd))
