"""Technical indicators, TA-Lib-exact, computed by the Rust core.

Batch functions take numpy arrays (or anything array-like; float64 contiguous arrays are used
without a copy) and return float64 arrays of the same length, NaN during the warm-up, like
TA-Lib. Given pandas Series they return Series with the same index. The GIL is released while
the core computes, and a series of 65,536 bars or more is computed on two cores, in pieces:
the values near each seam are recomputed from enough history that they equal one core's to
the last bits (bit for bit for window extremes such as WILLR and AROON; AD adds each piece's
total to the next). OBV, SAR and JMA, which never forget their start, and ATR, NATR, TRANGE,
BBANDS and MACD, which move more bytes than they compute and measured slower in pieces, run
on one core. ``RAYON_NUM_THREADS=1`` keeps every call on one core.

An output of 16,384 bars or more lives in a block of its own; once Python frees the array and
every view of it, the block is kept (64 MB at most) for the next output of about its size, so a
loop that computes and drops indicators does not pay for fresh memory on every call. Outputs
that are kept are never reused.

Streaming classes update one bar at a time in O(1) and reproduce the batch values (bit for bit,
or to the last bits where the batch form runs a smoother several bars at a time: EMA, DEMA,
TEMA, TRIX, RSI, MACD, ATR and NATR):

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

from ._hantu import ValidationError
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
WMA = _ind.WMA
DEMA = _ind.DEMA
TEMA = _ind.TEMA
KAMA = _ind.KAMA
TRIX = _ind.TRIX
CMO = _ind.CMO
ROC = _ind.ROC
MOM = _ind.MOM
LINEARREG = _ind.LINEARREG
VAR = _ind.VAR
STDDEV = _ind.STDDEV
JMA = _ind.JMA
NATR = _ind.NATR
CCI = _ind.CCI
WILLR = _ind.WILLR
ULTOSC = _ind.ULTOSC
MFI = _ind.MFI
AD = _ind.AD
ADOSC = _ind.ADOSC
VWAP = _ind.VWAP
MIDPRICE = _ind.MIDPRICE
SAR = _ind.SAR
AROON = _ind.AROON
STOCHRSI = _ind.STOCHRSI

__all__ = [
    "adx", "atr", "bbands", "ema", "macd", "macdext", "macdfix", "MA_TYPES", "minus_di", "obv", "plus_di", "rsi", "sma", "stoch", "stochf", "trange",
    "ADX", "ATR", "BBANDS", "EMA", "MACD", "MINUS_DI", "OBV", "PLUS_DI", "RSI", "SMA", "STOCH", "STOCHF", "TRANGE",
    "wma", "dema", "tema", "kama", "trix", "cmo", "roc", "mom", "linearreg", "var", "stddev", "jma", "natr", "cci", "willr", "ultosc", "mfi", "ad", "adosc", "vwap", "midprice", "sar", "aroon", "stochrsi",
    "WMA", "DEMA", "TEMA", "KAMA", "TRIX", "CMO", "ROC", "MOM", "LINEARREG", "VAR", "STDDEV", "JMA", "NATR", "CCI", "WILLR", "ULTOSC", "MFI", "AD", "ADOSC", "VWAP", "MIDPRICE", "SAR", "AROON", "STOCHRSI",
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


#: TA-Lib's moving-average types by name (``talib.MA_Type``): the ``matype`` arguments take a
#: name or the code. TRIMA (5), MAMA (7) and T3 (8) are not computed and raise ValidationError.
MA_TYPES = {"sma": 0, "ema": 1, "wma": 2, "dema": 3, "tema": 4, "trima": 5, "kama": 6, "mama": 7, "t3": 8}


def _matype(t: Union[int, str]) -> int:
    if isinstance(t, str):
        code = MA_TYPES.get(t.lower())
        if code is None:
            raise ValidationError(f"matype: {t!r} is not one of {', '.join(MA_TYPES)}")
        return code
    return int(t)


def bbands(
    close: ArrayLike, period: int = 5, nbdev_up: float = 2.0, nbdev_dn: float = 2.0, matype: Union[int, str] = 0
) -> Tuple[Any, Any, Any]:
    """Bollinger bands: ``(upper, middle, lower)`` (TA-Lib ``BBANDS``); the middle band is a
    moving average of type ``matype`` (default SMA), the bands standard deviations around it."""
    return _call(
        _ind.bbands, ("upper", "middle", "lower"), (close,), (period, float(nbdev_up), float(nbdev_dn), _matype(matype))
    )


def macd(close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> Tuple[Any, Any, Any]:
    """MACD: ``(macd, signal, hist)`` (TA-Lib ``MACD``)."""
    return _call(_ind.macd, ("macd", "signal", "hist"), (close,), (fast, slow, signal))


def macdext(
    close: ArrayLike,
    fast: int = 12,
    fast_matype: Union[int, str] = 0,
    slow: int = 26,
    slow_matype: Union[int, str] = 0,
    signal: int = 9,
    signal_matype: Union[int, str] = 0,
) -> Tuple[Any, Any, Any]:
    """MACD with a moving-average type per line: ``(macd, signal, hist)`` (TA-Lib ``MACDEXT``)."""
    params = (fast, _matype(fast_matype), slow, _matype(slow_matype), signal, _matype(signal_matype))
    return _call(_ind.macdext, ("macd", "signal", "hist"), (close,), params)


def macdfix(close: ArrayLike, signal: int = 9) -> Tuple[Any, Any, Any]:
    """MACD 12/26 with TA-Lib's fixed factors 0.15 and 0.075: ``(macd, signal, hist)`` (TA-Lib ``MACDFIX``)."""
    return _call(_ind.macdfix, ("macd", "signal", "hist"), (close,), (signal,))


def stoch(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    fastk: int = 5,
    slowk: int = 3,
    slowd: int = 3,
    slowk_matype: Union[int, str] = 0,
    slowd_matype: Union[int, str] = 0,
) -> Tuple[Any, Any]:
    """Slow stochastic: ``(k, d)`` (TA-Lib ``STOCH``), smoothed by moving averages of the types
    given (default SMA)."""
    params = (fastk, slowk, slowd, _matype(slowk_matype), _matype(slowd_matype))
    return _call(_ind.stoch, ("k", "d"), (high, low, close), params)


def stochf(high: ArrayLike, low: ArrayLike, close: ArrayLike, fastk: int = 5, fastd: int = 3) -> Tuple[Any, Any]:
    """Fast stochastic: ``(k, d)`` (TA-Lib ``STOCHF``)."""
    return _call(_ind.stochf, ("k", "d"), (high, low, close), (fastk, fastd))

def wma(close: ArrayLike, period: int = 30) -> Any:
    """Weighted moving average (TA-Lib ``WMA``)."""
    return _call(_ind.wma, ("wma",), (close,), (period,))

def dema(close: ArrayLike, period: int = 30) -> Any:
    """Double exponential moving average (TA-Lib ``DEMA``)."""
    return _call(_ind.dema, ("dema",), (close,), (period,))

def tema(close: ArrayLike, period: int = 30) -> Any:
    """Triple exponential moving average (TA-Lib ``TEMA``)."""
    return _call(_ind.tema, ("tema",), (close,), (period,))

def kama(close: ArrayLike, period: int = 30) -> Any:
    """Kaufman adaptive moving average (TA-Lib ``KAMA``)."""
    return _call(_ind.kama, ("kama",), (close,), (period,))

def trix(close: ArrayLike, period: int = 30) -> Any:
    """1-bar rate of change of a triple EMA, percent (TA-Lib ``TRIX``)."""
    return _call(_ind.trix, ("trix",), (close,), (period,))

def cmo(close: ArrayLike, period: int = 14) -> Any:
    """Chande momentum oscillator (TA-Lib ``CMO``)."""
    return _call(_ind.cmo, ("cmo",), (close,), (period,))

def roc(close: ArrayLike, period: int = 10) -> Any:
    """Rate of change, percent (TA-Lib ``ROC``)."""
    return _call(_ind.roc, ("roc",), (close,), (period,))

def mom(close: ArrayLike, period: int = 10) -> Any:
    """Momentum: close minus the close ``period`` bars ago (TA-Lib ``MOM``)."""
    return _call(_ind.mom, ("mom",), (close,), (period,))

def linearreg(close: ArrayLike, period: int = 14) -> Any:
    """Linear regression end point (TA-Lib ``LINEARREG``)."""
    return _call(_ind.linearreg, ("linearreg",), (close,), (period,))

def var(close: ArrayLike, period: int = 5) -> Any:
    """Population variance (TA-Lib ``VAR``)."""
    return _call(_ind.var, ("var",), (close,), (period,))

def stddev(close: ArrayLike, period: int = 5, nbdev: float = 1.0) -> Any:
    """Population standard deviation times ``nbdev`` (TA-Lib ``STDDEV``)."""
    return _call(_ind.stddev, ("stddev",), (close,), (period, float(nbdev)))

def jma(close: ArrayLike, length: int = 7, phase: float = 0.0, power: float = 2.0) -> Any:
    """Jurik-style adaptive moving average (published approximation) (TA-Lib ``JMA``)."""
    return _call(_ind.jma, ("jma",), (close,), (length, float(phase), float(power)))

def natr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> Any:
    """Normalized average true range, percent of close (TA-Lib ``NATR``)."""
    return _call(_ind.natr, ("natr",), (high, low, close,), (period,))

def cci(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> Any:
    """Commodity channel index (TA-Lib ``CCI``)."""
    return _call(_ind.cci, ("cci",), (high, low, close,), (period,))

def willr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> Any:
    """Williams %R (TA-Lib ``WILLR``)."""
    return _call(_ind.willr, ("willr",), (high, low, close,), (period,))

def ultosc(high: ArrayLike, low: ArrayLike, close: ArrayLike, period1: int = 7, period2: int = 14, period3: int = 28) -> Any:
    """Ultimate oscillator (TA-Lib ``ULTOSC``)."""
    return _call(_ind.ultosc, ("ultosc",), (high, low, close,), (period1, period2, period3))

def mfi(high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike, period: int = 14) -> Any:
    """Money flow index (TA-Lib ``MFI``)."""
    return _call(_ind.mfi, ("mfi",), (high, low, close, volume,), (period,))

def ad(high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike) -> Any:
    """Chaikin accumulation/distribution line (TA-Lib ``AD``)."""
    return _call(_ind.ad, ("ad",), (high, low, close, volume,), ())

def adosc(high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike, fast: int = 3, slow: int = 10) -> Any:
    """Chaikin A/D oscillator (TA-Lib ``ADOSC``)."""
    return _call(_ind.adosc, ("adosc",), (high, low, close, volume,), (fast, slow))

def vwap(high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike, period: int = 14) -> Any:
    """Rolling volume-weighted average of the typical price (TA-Lib ``VWAP``)."""
    return _call(_ind.vwap, ("vwap",), (high, low, close, volume,), (period,))

def midprice(high: ArrayLike, low: ArrayLike, period: int = 14) -> Any:
    """Midpoint of the highest high and lowest low (TA-Lib ``MIDPRICE``)."""
    return _call(_ind.midprice, ("midprice",), (high, low,), (period,))

def sar(high: ArrayLike, low: ArrayLike, acceleration: float = 0.02, maximum: float = 0.2) -> Any:
    """Parabolic SAR (TA-Lib ``SAR``)."""
    return _call(_ind.sar, ("sar",), (high, low,), (float(acceleration), float(maximum)))

def aroon(high: ArrayLike, low: ArrayLike, period: int = 14) -> Tuple[Any, Any]:
    """Aroon: ``(down, up)`` (TA-Lib ``AROON``)."""
    return _call(_ind.aroon, ("down", "up"), (high, low,), (period,))

def stochrsi(close: ArrayLike, period: int = 14, fastk: int = 5, fastd: int = 3) -> Tuple[Any, Any]:
    """Stochastic RSI: ``(k, d)`` (TA-Lib ``STOCHRSI``)."""
    return _call(_ind.stochrsi, ("k", "d"), (close,), (period, fastk, fastd))
