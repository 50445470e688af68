"""Bars in: DataFrames with any code dtype, dicts of numpy columns, and what the dates stamp."""

import hantu
import numpy as np
import pandas as pd
import pytest
from hantu._frames import dates, to_bardata


def minute_frame(days=3, start="09:01", minutes=390):
    """One stock's one-minute bars over a few sessions (a seeded walk on whole won)."""
    rng = np.random.default_rng(3)
    stamps = []
    for d in pd.bdate_range("2024-03-04", periods=days):
        stamps.extend(pd.date_range(d + pd.Timedelta(start + ":00"), periods=minutes, freq="min"))
    n = len(stamps)
    close = np.round(50_000 * np.exp(np.cumsum(rng.normal(0, 0.002, n))))
    return pd.DataFrame(
        {
            "date": pd.DatetimeIndex(stamps),
            "code": "005930",
            "open": close,
            "high": close + 50,
            "low": close - 50,
            "close": close,
            "volume": rng.integers(1, 1000, n),
        }
    )


def test_market_codes_are_categorical_and_read_back_as_they_are():
    df = hantu.sim.market(n=5, days=60, seed=1)
    assert isinstance(df["code"].dtype, pd.CategoricalDtype)
    as_text = df.assign(code=df["code"].astype(str))
    a = hantu.backtest(df, "sma-cross")
    b = hantu.backtest(as_text, "sma-cross")
    assert a.stats == b.stats
    pd.testing.assert_frame_equal(a.fills, b.fills)


def test_unused_categories_are_not_stocks(bars):
    one = bars[bars.code == "005930"].assign(code=lambda f: pd.Categorical(f.code, categories=["000660", "005930"]))
    data = to_bardata(one)
    assert data.codes == ["005930"] and len(data) == len(one)
    per = hantu.backtest_many(one, "sma-cross", per_code=True)
    assert [r.code for r in per] == ["005930"]


def test_numpy_columns_give_the_same_backtest_as_the_frame(bars):
    one = bars[bars.code == "005930"].reset_index(drop=True)
    columns = {
        "date": one["date"].to_numpy(),
        "code": "005930",
        **{c: one[c].to_numpy() for c in ("open", "high", "low", "close", "volume")},
    }
    a = hantu.backtest(columns, "sma-cross", {"fast": 5, "slow": 20})
    b = hantu.backtest(one, "sma-cross", {"fast": 5, "slow": 20})
    assert a.stats == b.stats
    # int64 nanoseconds and float32 prices are read too.
    columns["date"] = columns["date"].astype("datetime64[ns]").view(np.int64)
    columns["close"] = columns["close"].astype(np.float32)
    assert hantu.backtest(columns, "sma-cross", {"fast": 5, "slow": 20}).stats == a.stats


def test_bad_columns_name_the_problem(bars):
    with pytest.raises(hantu.DataError, match="freq"):
        to_bardata(bars, freq="weekly")
    with pytest.raises(hantu.DataError, match="mapping of columns"):
        hantu.backtest([1, 2, 3], "sma-cross")
    columns = {c: bars[c].to_numpy() for c in ("date", "code", "open", "high", "low", "close", "volume")}
    columns["volume"] = columns["volume"][:-1]
    with pytest.raises(hantu.DataError, match="different lengths"):
        to_bardata(columns)
    columns = {c: bars[c].to_numpy() for c in ("date", "code", "open", "high", "low", "close", "volume")}
    columns["close"] = columns["close"].copy()
    columns["close"][7] = np.nan
    with pytest.raises(hantu.DataError, match="row 7: close NaN"):
        to_bardata(columns)
    with_nat = bars.copy()
    with_nat.loc[4, "date"] = pd.NaT
    with pytest.raises(hantu.DataError, match="row 4"):
        to_bardata(with_nat)


def test_minute_bars_at_midnight_stay_minute_bars_when_the_caller_says_so():
    # A session that starts at 00:00 (a feed in UTC, or a night market): the first bar of each
    # day is stamped exactly at midnight.
    df = minute_frame(days=2, start="00:00", minutes=30)
    assert (df.date.dt.hour == 0).all() and (df.date == df.date.dt.normalize()).sum() == 2
    stated = to_bardata(df, freq="minute")
    assert (dates(stated.columns()["date"]) == pd.DatetimeIndex(df.date)).all()
    # Guessing from the clock reads the 00:00 bars as daily bars (stamped at the 15:30 close),
    # which moves them after the rest of their day.
    guessed = to_bardata(df)
    assert not (dates(guessed.columns()["date"]) == pd.DatetimeIndex(df.date)).all()
    # Daily: every row is a bar of its date, so two rows of one date are duplicates.
    with pytest.raises(hantu.DataError, match="duplicated"):
        to_bardata(df, freq="daily")
    r = hantu.backtest(df, "sma-cross", {"fast": 3, "slow": 8}, freq="minute")
    assert r.bars == len(df)


def test_intraday_times_survive_a_backtest():
    df = minute_frame(days=3)
    assert (df.date.dt.strftime("%H:%M") == "15:30").sum() == 3
    r = hantu.backtest(df, "sma-cross", {"fast": 5, "slow": 20}, freq="minute")
    assert len(r.fills) > 0
    # Fills happen at bar times inside the session, none moved to midnight.
    assert (r.fills.date != r.fills.date.dt.normalize()).all()
    assert set(r.fills.date) <= set(df.date)


def test_text_codes_factorize_as_pandas_does():
    from hantu import _frames, _hantu

    rng = np.random.default_rng(4)
    pool = ["005930", "000660", "Q520057", "035420"]
    # Runs of one string object, equal texts in distinct objects, and first appearances late.
    rows = np.array([pool[k] for k in rng.integers(0, 3, 5_000)] + ["".join(["0354", "20"])] * 3 + ["035420"], dtype=object)
    index, texts = _hantu.factorize_text(rows)
    want_index, want_uniques = pd.factorize(rows, sort=False)
    np.testing.assert_array_equal(index, want_index)
    assert texts == list(want_uniques)
    # A missing code or a number is pandas' to handle: the missing one is then named.
    assert _hantu.factorize_text(np.array(["005930", None], dtype=object)) is None
    assert _hantu.factorize_text(np.array(["005930", 5930], dtype=object)) is None
    frame = pd.DataFrame({"code": rows})
    for column in (frame["code"], frame["code"].astype(object), rows, list(rows)):
        got_index, got_texts = _frames._code_index(column, len(rows))
        np.testing.assert_array_equal(got_index, want_index)
        assert got_texts == list(want_uniques)
    # An empty first code is a code like any other here (the core then refuses it by name).
    index, texts = _hantu.factorize_text(np.array(["", "005930", ""], dtype=object))
    assert list(index) == [0, 1, 0] and texts == ["", "005930"]
