"""A built-in backtest reads its bars straight from the columns (no array of bars is built):
it must give exactly the report of a run over the converted bars, and the same errors."""

import numpy as np
import pandas as pd
import pytest

import hantu
from hantu import _frames


def same_result(a, b):
    assert a.stats == b.stats
    assert a.bars == b.bars
    for table in ("equity_frame", "orders", "fills", "trades"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))


def minute_frame(n=3_000, seed=5):
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2024-01-02", periods=n // 390 + 1).to_numpy().astype("datetime64[ns]").view(np.int64)
    minute = (np.arange(1, 391, dtype=np.int64) * 60 + 9 * 3600) * 1_000_000_000
    date = (days[:, None] + minute[None, :]).ravel()[:n]
    close = np.round(50_000 * np.exp(np.cumsum(rng.normal(0, 0.002, n))))
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + 20
    low = np.minimum(open_, close) - 20
    return {"date": date, "code": "005930", "open": open_, "high": high, "low": low, "close": close,
            "volume": np.round(rng.lognormal(8, 1, n))}


@pytest.mark.parametrize("strategy,params", [("sma-cross", {"fast": 5, "slow": 20}), ("rsi-reversion", None)])
def test_columns_and_converted_bars_give_the_same_report(bars, strategy, params):
    direct = hantu.backtest(bars, strategy, params)
    converted = hantu.backtest(_frames.to_bardata(bars), strategy, params)
    assert direct.stats["fills"] > 0, "the strategy traded"
    same_result(direct, converted)


def test_unordered_rows_are_sorted_as_before(bars):
    shuffled = bars.sample(frac=1.0, random_state=3)
    same_result(hantu.backtest(shuffled, "sma-cross", {"fast": 5, "slow": 20}), hantu.backtest(bars, "sma-cross", {"fast": 5, "slow": 20}))


def test_codes_compare_as_codes_not_as_category_positions(bars):
    # Categories listed out of code order: the rows are still in (date, code) order.
    reordered = bars.assign(code=pd.Categorical(bars.code, categories=["035420", "005930", "000660"]))
    same_result(hantu.backtest(reordered, "sma-cross"), hantu.backtest(_frames.to_bardata(bars), "sma-cross"))


def test_numpy_columns_with_one_code_intraday():
    cols = minute_frame()
    direct = hantu.backtest(cols, "sma-cross", {"fast": 10, "slow": 30}, freq="minute")
    converted = hantu.backtest(_frames.to_bardata(cols, freq="minute"), "sma-cross", {"fast": 10, "slow": 30}, freq="minute")
    assert direct.stats["trades"] > 0
    same_result(direct, converted)
    # int64 prices and volume read the same as whole-won floats.
    as_int = {k: (v.astype(np.int64) if k != "date" and isinstance(v, np.ndarray) else v) for k, v in cols.items()}
    same_result(hantu.backtest(as_int, "sma-cross", {"fast": 10, "slow": 30}, freq="minute"), direct)


def test_a_bad_row_or_a_duplicate_raises_as_the_conversion_does(bars):
    bad = bars.copy()
    bad.loc[700, "low"] = bad.loc[700, "high"] + 10
    with pytest.raises(hantu.DataError) as conversion:
        _frames.to_bardata(bad)
    with pytest.raises(hantu.DataError) as direct:
        hantu.backtest(bad, "sma-cross")
    assert "row 700" in str(direct.value)
    assert str(direct.value) == str(conversion.value)
    dup = pd.concat([bars, bars.iloc[[10]]], ignore_index=True).sort_values(["date", "code"], ignore_index=True)
    with pytest.raises(hantu.DataError, match="duplicated"):
        hantu.backtest(dup, "sma-cross")
    with pytest.raises(hantu.DataError, match="freq"):
        hantu.backtest(bars, "sma-cross", freq="hourly")


def test_many_chunks_read_beside_the_engine_give_the_same_report():
    # 2,048 rows are read at a time, on a second thread while the engine runs the chunk before:
    # many chunks must reach the engine whole, in order, and a bad row deep in them must stop
    # the run with the conversion's error.
    cols = minute_frame(n=50_000, seed=9)
    direct = hantu.backtest(cols, "sma-cross", {"fast": 10, "slow": 30}, freq="minute")
    converted = hantu.backtest(_frames.to_bardata(cols, freq="minute"), "sma-cross", {"fast": 10, "slow": 30}, freq="minute")
    assert direct.bars == 50_000 and direct.stats["trades"] > 10
    same_result(direct, converted)
    bad = dict(cols, low=cols["low"].copy())
    bad["low"][30_001] = bad["high"][30_001] + 10
    with pytest.raises(hantu.DataError, match="row 30001"):
        hantu.backtest(bad, "sma-cross", {"fast": 10, "slow": 30}, freq="minute")


def test_rows_convert_to_the_values_numpy_computes_across_chunks():
    # Chunks of 2,048 rows are read column by column when every row of them is plain (whole
    # won in range, whole volumes); a chunk with any other row is read row by row. Odd rows put
    # here and there, chunk edges included, must convert as numpy says either way: prices
    # rounded half away from zero, volumes truncated, int64 columns as they are.
    n = 9_000
    cols = minute_frame(n=n, seed=11)
    odd = np.array([0, 2_047, 2_048, 4_100, 8_999])
    cols["open"] = cols["open"].copy()
    cols["open"][odd] += 0.5
    cols["close"] = cols["close"].copy()
    cols["close"][odd[:2]] -= 0.4
    cols["volume"] = cols["volume"] + 0.75 * np.isin(np.arange(n), [4_101, 8_998])
    # Rows 6,144..8,191 (the fourth chunk) hold no odd row: read column by column.
    got = _frames.to_bardata(cols, freq="minute").columns()
    for name in ("open", "close"):
        x = cols[name]
        np.testing.assert_array_equal(got[name], np.sign(x) * np.floor(np.abs(x) + 0.5))
    np.testing.assert_array_equal(got["volume"], np.trunc(cols["volume"]))
    np.testing.assert_array_equal(got["high"], cols["high"])
    np.testing.assert_array_equal(got["date"], cols["date"])
    as_int = {k: (v.astype(np.int64) if k in ("open", "high", "low", "close") else v) for k, v in cols.items()}
    np.testing.assert_array_equal(_frames.to_bardata(as_int, freq="minute").columns()["low"], cols["low"])


@pytest.mark.parametrize(
    "column,value,message",
    [
        ("close", np.nan, "close NaN is not a positive price"),
        ("low", 0.0, "low 0 is not a positive price"),
        ("high", 2e12, "high 2000000000000 is not a positive price"),
        ("volume", -1.0, "volume -1 is not a non-negative number"),
        ("volume", np.inf, "volume inf is not a non-negative number"),
    ],
)
@pytest.mark.parametrize("row", [0, 2_047, 2_048, 5_000])
def test_a_bad_value_anywhere_is_named_by_its_row(column, value, message, row):
    cols = minute_frame(n=6_000, seed=12)
    cols[column] = cols[column].copy()
    cols[column][row] = value
    with pytest.raises(hantu.DataError, match=f"row {row}: {message}"):
        _frames.to_bardata(cols, freq="minute")
    with pytest.raises(hantu.DataError, match=f"row {row}: {message}"):
        hantu.backtest(cols, "sma-cross", freq="minute")


@pytest.mark.parametrize("row", [0, 2_048, 5_999])
def test_a_missing_date_is_named_by_its_row(row):
    cols = minute_frame(n=6_000, seed=13)
    cols["date"] = cols["date"].copy()
    cols["date"][row] = np.iinfo(np.int64).min  # NaT
    frame = pd.DataFrame({**cols, "date": cols["date"].view("datetime64[ns]")})
    assert frame["date"].isna().sum() == 1
    for data in (cols, frame):
        with pytest.raises(hantu.DataError, match=f"row {row}: missing date"):
            _frames.to_bardata(data, freq="minute")
        with pytest.raises(hantu.DataError, match=f"row {row}: missing date"):
            hantu.backtest(data, "sma-cross", freq="minute")
        with pytest.raises(hantu.DataError, match=f"row {row}: missing date"):
            hantu.backtest_many(data, "sma-cross", per_code=True, freq="minute")
