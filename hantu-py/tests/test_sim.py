import hantu
import pandas as pd
import pytest


def test_market_long_frame_deterministic():
    a = hantu.sim.market(n=5, days=30, seed=3)
    b = hantu.sim.market(n=5, days=30, seed=3)
    c = hantu.sim.market(n=5, days=30, seed=4)
    assert list(a.columns) == ["date", "code", "open", "high", "low", "close", "volume"]
    assert len(a) == 5 * 30 and a.code.nunique() == 5 and a.date.nunique() == 30
    pd.testing.assert_frame_equal(a, b)
    assert not a[["open", "close"]].equals(c[["open", "close"]])
    assert (a.low <= a[["open", "close"]].min(axis=1)).all() and (a.high >= a[["open", "close"]].max(axis=1)).all()
    assert a.sort_values(["date", "code"]).index.equals(a.index)
    inst = hantu.sim.instruments(a)
    assert set(inst.columns) >= {"code", "name", "market", "sector"}
    assert set(inst.code) == set(a.code)
    assert set(inst.market) <= {"KOSPI", "KOSDAQ", "KONEX"}


def test_market_bad_config():
    with pytest.raises(hantu.ConfigError, match="stocks"):
        hantu.sim.market(n=0, days=10)
    with pytest.raises(hantu.ConfigError, match="start"):
        hantu.sim.market(n=1, days=10, start="2024/01/01")
