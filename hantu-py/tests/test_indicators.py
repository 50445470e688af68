import csv
import json
import math
from pathlib import Path

import hantu
import hantu.indicators as ta
import numpy as np
import pandas as pd
import pytest

TALIB = Path(__file__).resolve().parents[2] / "hantu-core" / "testdata" / "talib"

# TA-Lib function -> (hantu function, input columns, TA-Lib parameter names in hantu's order).
WRAPPED = {
    "SMA": (ta.sma, ("close",), ("timeperiod",)),
    "EMA": (ta.ema, ("close",), ("timeperiod",)),
    "RSI": (ta.rsi, ("close",), ("timeperiod",)),
    "ATR": (ta.atr, ("high", "low", "close"), ("timeperiod",)),
    "ADX": (ta.adx, ("high", "low", "close"), ("timeperiod",)),
    "PLUS_DI": (ta.plus_di, ("high", "low", "close"), ("timeperiod",)),
    "MINUS_DI": (ta.minus_di, ("high", "low", "close"), ("timeperiod",)),
    "TRANGE": (ta.trange, ("high", "low", "close"), ()),
    "OBV": (ta.obv, ("close", "volume"), ()),
    "BBANDS": (ta.bbands, ("close",), ("timeperiod", "nbdevup", "nbdevdn", "matype")),
    "MACD": (ta.macd, ("close",), ("fastperiod", "slowperiod", "signalperiod")),
    "MACDEXT": (
        ta.macdext,
        ("close",),
        ("fastperiod", "fastmatype", "slowperiod", "slowmatype", "signalperiod", "signalmatype"),
    ),
    "MACDFIX": (ta.macdfix, ("close",), ("signalperiod",)),
    "STOCH": (
        ta.stoch,
        ("high", "low", "close"),
        ("fastk_period", "slowk_period", "slowd_period", "slowk_matype", "slowd_matype"),
    ),
    "STOCHF": (ta.stochf, ("high", "low", "close"), ("fastk_period", "fastd_period")),
    "WMA": (ta.wma, ("close",), ("timeperiod",)),
    "DEMA": (ta.dema, ("close",), ("timeperiod",)),
    "TEMA": (ta.tema, ("close",), ("timeperiod",)),
    "KAMA": (ta.kama, ("close",), ("timeperiod",)),
    "TRIX": (ta.trix, ("close",), ("timeperiod",)),
    "CMO": (ta.cmo, ("close",), ("timeperiod",)),
    "ROC": (ta.roc, ("close",), ("timeperiod",)),
    "MOM": (ta.mom, ("close",), ("timeperiod",)),
    "LINEARREG": (ta.linearreg, ("close",), ("timeperiod",)),
    "VAR": (ta.var, ("close",), ("timeperiod",)),
    "STDDEV": (ta.stddev, ("close",), ("timeperiod", "nbdev")),
    "NATR": (ta.natr, ("high", "low", "close"), ("timeperiod",)),
    "CCI": (ta.cci, ("high", "low", "close"), ("timeperiod",)),
    "WILLR": (ta.willr, ("high", "low", "close"), ("timeperiod",)),
    "ULTOSC": (ta.ultosc, ("high", "low", "close"), ("timeperiod1", "timeperiod2", "timeperiod3")),
    "MFI": (ta.mfi, ("high", "low", "close", "volume"), ("timeperiod",)),
    "AD": (ta.ad, ("high", "low", "close", "volume"), ()),
    "ADOSC": (ta.adosc, ("high", "low", "close", "volume"), ("fastperiod", "slowperiod")),
    "MIDPRICE": (ta.midprice, ("high", "low"), ("timeperiod",)),
    "SAR": (ta.sar, ("high", "low"), ("acceleration", "maximum")),
    "AROON": (ta.aroon, ("high", "low"), ("timeperiod",)),
    "STOCHRSI": (ta.stochrsi, ("close",), ("timeperiod", "fastk_period", "fastd_period")),
}


def read_columns(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    # A single-column file has NaN rows as empty lines, which csv reads as [].
    cell = lambda r, i: r[i] if i < len(r) else ""  # noqa: E731
    return {h: np.array([float(cell(r, i)) if cell(r, i) != "" else np.nan for r in body]) for i, h in enumerate(header)}


@pytest.fixture(scope="module")
def inputs():
    return read_columns(TALIB / "inputs.csv")


def reference_cases():
    index = json.loads((TALIB / "index.json").read_text())
    return [f for f in index["functions"] if f["function"] in WRAPPED]


@pytest.mark.parametrize("case", reference_cases(), ids=lambda c: c["file"])
def test_matches_talib_reference(case, inputs):
    fn, cols, names = WRAPPED[case["function"]]
    params = [case["params"][n] for n in names]
    out = fn(*[inputs[c] for c in cols], *params)
    outs = out if isinstance(out, tuple) else (out,)
    expected = read_columns(TALIB / case["file"])
    assert len(outs) == len(expected)
    for got, (name, want) in zip(outs, expected.items()):
        assert got.dtype == np.float64 and got.shape == want.shape, name
        assert np.array_equal(np.isnan(got), np.isnan(want)), f"{case['file']}:{name} warm-up differs"
        ok = ~np.isnan(want)
        tol = 1e-9 * np.maximum(np.maximum(np.abs(got[ok]), np.abs(want[ok])), 1.0)
        assert np.all(np.abs(got[ok] - want[ok]) <= tol), f"{case['file']}:{name}"


def test_every_wrapped_indicator_has_a_reference():
    assert {c["function"] for c in reference_cases()} == set(WRAPPED)


STREAMS = [
    (ta.SMA(10), ta.sma, ("close",), (10,)),
    (ta.EMA(10), ta.ema, ("close",), (10,)),
    (ta.RSI(14), ta.rsi, ("close",), (14,)),
    (ta.ATR(14), ta.atr, ("high", "low", "close"), (14,)),
    (ta.ADX(14), ta.adx, ("high", "low", "close"), (14,)),
    (ta.PLUS_DI(14), ta.plus_di, ("high", "low", "close"), (14,)),
    (ta.MINUS_DI(14), ta.minus_di, ("high", "low", "close"), (14,)),
    (ta.TRANGE(), ta.trange, ("high", "low", "close"), ()),
    (ta.OBV(), ta.obv, ("close", "volume"), ()),
    (ta.BBANDS(20, 2.0, 2.0), ta.bbands, ("close",), (20, 2.0, 2.0)),
    (ta.MACD(12, 26, 9), ta.macd, ("close",), (12, 26, 9)),
    (ta.STOCH(14, 3, 3), ta.stoch, ("high", "low", "close"), (14, 3, 3)),
    (ta.STOCHF(14, 3), ta.stochf, ("high", "low", "close"), (14, 3)),
    (ta.WMA(*(10,)), ta.wma, ("close",), (10,)),
    (ta.DEMA(*(10,)), ta.dema, ("close",), (10,)),
    (ta.TEMA(*(10,)), ta.tema, ("close",), (10,)),
    (ta.KAMA(*(10,)), ta.kama, ("close",), (10,)),
    (ta.TRIX(*(10,)), ta.trix, ("close",), (10,)),
    (ta.CMO(*(14,)), ta.cmo, ("close",), (14,)),
    (ta.ROC(*(10,)), ta.roc, ("close",), (10,)),
    (ta.MOM(*(10,)), ta.mom, ("close",), (10,)),
    (ta.LINEARREG(*(14,)), ta.linearreg, ("close",), (14,)),
    (ta.VAR(*(5,)), ta.var, ("close",), (5,)),
    (ta.STDDEV(*(5, 1.0)), ta.stddev, ("close",), (5, 1.0)),
    (ta.JMA(*(7, 0.0, 2.0)), ta.jma, ("close",), (7, 0.0, 2.0)),
    (ta.NATR(*(14,)), ta.natr, ("high", "low", "close"), (14,)),
    (ta.CCI(*(14,)), ta.cci, ("high", "low", "close"), (14,)),
    (ta.WILLR(*(14,)), ta.willr, ("high", "low", "close"), (14,)),
    (ta.ULTOSC(*(7, 14, 28)), ta.ultosc, ("high", "low", "close"), (7, 14, 28)),
    (ta.MFI(*(14,)), ta.mfi, ("high", "low", "close", "volume"), (14,)),
    (ta.AD(*()), ta.ad, ("high", "low", "close", "volume"), ()),
    (ta.ADOSC(*(3, 10)), ta.adosc, ("high", "low", "close", "volume"), (3, 10)),
    (ta.VWAP(*(14,)), ta.vwap, ("high", "low", "close", "volume"), (14,)),
    (ta.MIDPRICE(*(14,)), ta.midprice, ("high", "low"), (14,)),
    (ta.SAR(*(0.02, 0.2)), ta.sar, ("high", "low"), (0.02, 0.2)),
    (ta.AROON(*(14,)), ta.aroon, ("high", "low"), (14,)),
    (ta.STOCHRSI(*(14, 5, 3)), ta.stochrsi, ("close",), (14, 5, 3)),
]


@pytest.mark.parametrize("stream,batch,cols,params", STREAMS, ids=lambda x: getattr(x, "__name__", None))
def test_streaming_agrees_with_batch(stream, batch, cols, params, inputs):
    stream.reset()
    streamed = [stream.update(*[float(inputs[c][i]) for c in cols]) for i in range(300)]
    out = batch(*[inputs[c][:300] for c in cols], *params)
    outs = out if isinstance(out, tuple) else (out,)
    got = np.array(streamed, dtype=np.float64).reshape(300, -1)
    for j, o in enumerate(outs):
        # Same warm-up; values equal to the core's TA-Lib tolerance (the batch kernels of the
        # recursive smoothers unroll their recurrences, which may move the last bits).
        np.testing.assert_array_equal(np.isnan(got[:, j]), np.isnan(o))
        np.testing.assert_allclose(got[:, j], o, rtol=1e-9, atol=1e-9)


def test_pandas_series_in_series_out():
    idx = pd.date_range("2024-01-01", periods=50, name="date")
    close = pd.Series(np.linspace(100, 150, 50), index=idx, name="close")
    s = ta.sma(close, 5)
    assert isinstance(s, pd.Series) and s.index.equals(idx) and s.name == "sma"
    np.testing.assert_array_equal(s.to_numpy(), ta.sma(close.to_numpy(), 5))
    upper, middle, lower = ta.bbands(close, 5)
    assert all(isinstance(x, pd.Series) and x.index.equals(idx) for x in (upper, middle, lower))
    assert (upper.dropna() >= lower.dropna()).all()
    k, d = ta.stoch(close + 1, close - 1, close)
    assert k.index.equals(idx) and k.name == "k" and d.name == "d"


def test_other_array_likes_are_coerced():
    ints = np.arange(1, 11)
    np.testing.assert_array_equal(ta.sma(ints, 2), ta.sma(ints.astype(np.float64), 2))
    np.testing.assert_array_equal(ta.sma(list(range(1, 11)), 2)[1:], np.arange(1.5, 10.5))
    strided = np.arange(20, dtype=np.float64)[::2]
    np.testing.assert_array_equal(ta.sma(strided, 2)[1:], np.arange(1.0, 18.0, 2.0))


def test_errors_are_validation_errors():
    x = np.arange(10, dtype=np.float64)
    with pytest.raises(hantu.ValidationError, match="period"):
        ta.sma(x, 0)
    with pytest.raises(hantu.ValidationError, match="longer than the input"):
        ta.rsi(x, 50)
    with pytest.raises(hantu.ValidationError, match="bars, expected"):
        ta.atr(x, x[:5], x)
    with pytest.raises(hantu.ValidationError, match="below"):
        ta.RSI(0)
    with pytest.raises(TypeError):
        ta.sma(x, "ten")


def test_output_is_a_fresh_writable_array():
    x = np.arange(10, dtype=np.float64)
    out = ta.sma(x, 3)
    assert out.flags.writeable and not np.shares_memory(out, x)
    out[:] = 0.0
    assert x[5] == 5.0 and ta.sma(x, 3)[5] == 4.0
