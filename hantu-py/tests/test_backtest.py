import gc
import math

import hantu
import numpy as np
import pandas as pd
import pytest


class BuyOnce(hantu.Strategy):
    def __init__(self):
        self.seen = 0
        self.fills = []
        self.updates = []
        self.days = 0

    def on_bar(self, ctx, bar):
        self.seen += 1
        if bar.code == "005930" and ctx.qty(bar.code) == 0 and not ctx.has_open_order(bar.code) and not self.fills:
            ctx.buy(bar.code, 10)

    def on_fill(self, ctx, fill):
        self.fills.append(fill)

    def on_order_update(self, ctx, order):
        self.updates.append(order.status)

    def on_day_end(self, ctx):
        self.days += 1


def test_python_strategy_hooks_and_result(bars):
    s = BuyOnce()
    r = hantu.backtest(bars, s, cash=10_000_000)
    assert s.seen == len(bars)
    assert s.days == bars.date.nunique()
    assert len(s.fills) == 1 and s.fills[0].qty == 10 and s.fills[0].side == "buy"
    assert "accepted" in s.updates and "filled" in s.updates
    assert isinstance(r.equity, pd.Series)
    assert isinstance(r.equity.index, pd.DatetimeIndex)
    assert len(r.equity) == bars.date.nunique()
    assert r.equity.index[0] == bars.date.min()
    assert list(r.fills.code) == ["005930"] and r.fills.qty.iloc[0] == 10
    assert r.orders.status.tolist() == ["filled"]
    assert len(r.trades) == 1 and pd.isna(r.trades.exit.iloc[0])
    assert r.stats["fills"] == 1 and r.stats["initial_equity"] == 10_000_000
    assert r.strategy == "BuyOnce"
    assert "<table>" in r._repr_html_()
    assert "BuyOnce" in repr(r)


def test_context_is_only_valid_during_a_callback(bars):
    kept = []

    class Keep(hantu.Strategy):
        def on_bar(self, ctx, bar):
            kept.append(ctx)
            assert ctx.cash > 0

    hantu.backtest(bars.head(3), Keep())
    with pytest.raises(hantu.HantuError, match="only valid during"):
        kept[0].buy("005930", 1)
    with pytest.raises(hantu.HantuError):
        kept[0].cash


def test_strategy_exception_propagates(bars):
    class Boom(hantu.Strategy):
        def __init__(self):
            self.calls = 0

        def on_bar(self, ctx, bar):
            self.calls += 1
            if self.calls == 5:
                raise KeyError("boom")

    s = Boom()
    with pytest.raises(KeyError, match="boom"):
        hantu.backtest(bars, s)
    assert s.calls == 5


def test_bad_orders_raise_validation_error(bars):
    class Bad(hantu.Strategy):
        def on_bar(self, ctx, bar):
            ctx.buy("12345", 1)

    with pytest.raises(hantu.ValidationError, match="12345"):
        hantu.backtest(bars, Bad())

    class Zero(hantu.Strategy):
        def on_bar(self, ctx, bar):
            ctx.buy(bar.code, 0)

    with pytest.raises(hantu.ValidationError, match="quantity"):
        hantu.backtest(bars, Zero())


def test_strategy_must_override_on_bar(bars):
    with pytest.raises(hantu.ValidationError, match="on_bar"):
        hantu.backtest(bars, hantu.Strategy())


def test_config_errors(bars):
    class Noop(hantu.Strategy):
        def on_bar(self, ctx, bar):
            pass

    with pytest.raises(hantu.ConfigError, match="cash"):
        hantu.backtest(bars, Noop(), cash=-1)
    with pytest.raises(hantu.ConfigError, match="participation"):
        hantu.backtest(bars, Noop(), participation=0)
    with pytest.raises(hantu.ConfigError, match="nonsense"):
        hantu.backtest(bars, Noop(), config={"engine": {"nonsense": 1}})
    with pytest.raises(hantu.ValidationError):
        hantu.backtest(bars, 42)


def test_risk_refusal_reaches_the_strategy(bars):
    class Big(hantu.Strategy):
        def __init__(self):
            self.reasons = []

        def on_bar(self, ctx, bar):
            if not self.reasons and bar.code == "005930":
                ctx.buy(bar.code, 100)

        def on_order_update(self, ctx, order):
            if order.status == "rejected":
                self.reasons.append(order.reason)

    s = Big()
    r = hantu.backtest(bars, s, risk={"max_order_notional": 1000})
    assert s.reasons and r.orders.status.iloc[0] == "rejected"
