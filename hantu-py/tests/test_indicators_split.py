"""Long series are computed on two cores, half each (``hantu_core::indicators::split``). The
values must be those of one core: bit for bit for the window extremes and per-bar formulas, to
the last bits for running sums and smoothers, and NaN exactly where one core puts it.

The same script computes every batch indicator in this process (split) and in a child process
with ``RAYON_NUM_THREADS=1`` (never split), and the two are compared.
"""

import os
import subprocess
import sys

import hantu.indicators as ta
import numpy as np
import pytest

# Above the split threshold (65,536 bars) with room for the seam of the slowest smoother (KAMA).
N = 200_000

# name -> (function, input columns, parameters)
CASES = {
    "sma": (ta.sma, ("close",), (30,)),
    "ema": (ta.ema, ("close",), (30,)),
    "wma": (ta.wma, ("close",), (30,)),
    "dema": (ta.dema, ("close",), (30,)),
    "tema": (ta.tema, ("close",), (30,)),
    "kama": (ta.kama, ("close",), (30,)),
    "trix": (ta.trix, ("close",), (30,)),
    "rsi": (ta.rsi, ("close",), (14,)),
    "cmo": (ta.cmo, ("close",), (14,)),
    "roc": (ta.roc, ("close",), (10,)),
    "mom": (ta.mom, ("close",), (10,)),
    "linearreg": (ta.linearreg, ("close",), (14,)),
    "var": (ta.var, ("close",), (5,)),
    "stddev": (ta.stddev, ("close",), (5, 1.0)),
    "bbands": (ta.bbands, ("close",), (20, 2.0, 2.0)),
    "bbands_ema": (ta.bbands, ("close",), (20, 2.0, 2.0, "ema")),
    "macd": (ta.macd, ("close",), (12, 26, 9)),
    "macdext": (ta.macdext, ("close",), (12, "kama", 26, "tema", 9, "ema")),
    "macdfix": (ta.macdfix, ("close",), (9,)),
    "stochrsi": (ta.stochrsi, ("close",), (14, 5, 3)),
    "atr": (ta.atr, ("high", "low", "close"), (14,)),
    "natr": (ta.natr, ("high", "low", "close"), (14,)),
    "trange": (ta.trange, ("high", "low", "close"), ()),
    "adx": (ta.adx, ("high", "low", "close"), (14,)),
    "plus_di": (ta.plus_di, ("high", "low", "close"), (14,)),
    "minus_di": (ta.minus_di, ("high", "low", "close"), (14,)),
    "cci": (ta.cci, ("high", "low", "close"), (14,)),
    "willr": (ta.willr, ("high", "low", "close"), (14,)),
    "ultosc": (ta.ultosc, ("high", "low", "close"), (7, 14, 28)),
    "stoch": (ta.stoch, ("high", "low", "close"), (5, 3, 3)),
    "stoch_dema": (ta.stoch, ("high", "low", "close"), (5, 3, 3, "dema", "wma")),
    "stochf": (ta.stochf, ("high", "low", "close"), (5, 3)),
    "midprice": (ta.midprice, ("high", "low"), (14,)),
    "sar": (ta.sar, ("high", "low"), (0.02, 0.2)),
    "aroon": (ta.aroon, ("high", "low"), (14,)),
    "obv": (ta.obv, ("close", "volume"), ()),
    "mfi": (ta.mfi, ("high", "low", "close", "volume"), (14,)),
    "ad": (ta.ad, ("high", "low", "close", "volume"), ()),
    "adosc": (ta.adosc, ("high", "low", "close", "volume"), (3, 10)),
    "vwap": (ta.vwap, ("high", "low", "close", "volume"), (14,)),
    "jma": (ta.jma, ("close",), (7,)),
}

# Outputs that depend on their window alone: equal bit for bit however the series is cut.
EXACT = {"roc", "mom", "trange", "willr", "midprice", "aroon"}

# Looser bounds (relative to the series' largest value) where one core's own value drifts from the exact one, so two valid runs differ
# by more than rounding: a WMA's running weighted sum over an oscillator drifts by ~1e-9 of the
# series over 200,000 bars in either run (both were checked against a direct convolution), and
# ADOSC is the difference of two EMAs of the A/D line, whose running total is ~1e4 times larger
# than the oscillator.
LOOSE = {"stoch_dema": 1e-8, "adosc": 1e-9}

# Where a NaN goes into the closes: none, in the first half (it poisons every later value of a
# running sum or smoother, the second half included), and in the second half.
HOLES = {"clean": None, "first_half": 1_000, "second_half": 150_000}


# The magnitude of the prices (a random walk around 50,000 won).
PRICE = 50_000


def bars(hole):
    rng = np.random.default_rng(11)
    close = np.round(PRICE * np.exp(np.cumsum(rng.normal(0, 0.0012, N))))
    spread = np.abs(rng.normal(0, 0.0015, N)) * close
    high = np.round(close + spread)
    low = np.round(close - spread * rng.random(N))
    volume = np.round(rng.lognormal(8, 1, N))
    if hole is not None:
        close[hole] = np.nan
    return {"high": high, "low": low, "close": close, "volume": volume}


def compute():
    """Every case on every series, as one flat dict of arrays."""
    out = {}
    for hole_name, hole in HOLES.items():
        cols = bars(hole)
        for name, (fn, inputs, params) in CASES.items():
            result = fn(*(cols[c] for c in inputs), *params)
            for k, arr in enumerate(result if isinstance(result, tuple) else (result,)):
                out[f"{hole_name}/{name}/{k}"] = arr
    return out


def test_two_cores_give_one_cores_values(tmp_path):
    split = compute()
    path = tmp_path / "one_core.npz"
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    subprocess.run([sys.executable, __file__, str(path)], env=env, check=True, timeout=120)
    one = np.load(path)
    assert set(one.files) == set(split)
    for key, got in split.items():
        want = one[key]
        name = key.split("/")[1]
        assert np.array_equal(np.isnan(got), np.isnan(want)), f"{key}: NaN at different bars"
        if name in EXACT:
            assert np.array_equal(got, want, equal_nan=True), f"{key}: not bit for bit"
            continue
        ok = ~np.isnan(want)
        if not ok.any():
            continue
        # Relative to each value, or to the series' own magnitude for values near zero (AD's
        # running total, oscillators crossing 0), plus the rounding of the prices themselves
        # for outputs that are differences of price-sized values (MACD: two EMAs of ~50,000).
        # The drifting ones are held to their series' largest magnitude.
        floor = 1.0 if name in LOOSE else 1e-3
        scale = np.maximum(np.maximum(np.abs(got[ok]), np.abs(want[ok])), floor * np.abs(want[ok]).max())
        excess = np.abs(got[ok] - want[ok]) - (LOOSE.get(name, 1e-11) * scale + 1e-13 * PRICE)
        assert excess.max() <= 0, f"{key}: differs by {np.abs(got[ok] - want[ok]).max():.3g}"


@pytest.mark.parametrize("hole", ["first_half"])
def test_a_nan_in_the_first_half_poisons_the_second_as_in_one_piece(hole):
    cols = bars(HOLES[hole])
    assert np.isnan(ta.sma(cols["close"], 30)[-1])
    assert np.isnan(ta.ema(cols["close"], 30)[-1])
    # A window extreme forgets the NaN once it leaves the window.
    assert not np.isnan(ta.mom(cols["close"], 10)[-1])


if __name__ == "__main__":
    np.savez(sys.argv[1], **compute())
