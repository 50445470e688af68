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


class PySmaCross(hantu.Strategy):
    """The built-in "sma-cross", line for line, in Python."""

    def __init__(self, fast=10, slow=30, weight=1.0):
        self.fast, self.slow, self.weight = fast, slow, weight
        self.state = {}

    def on_bar(self, ctx, bar):
        code = bar.code
        st = self.state.get(code)
        if st is None:
            st = self.state[code] = [hantu.indicators.SMA(self.fast), hantu.indicators.SMA(self.slow), None]
        x = float(bar.close)
        f = st[0].update(x)
        s = st[1].update(x)
        if s != s:
            return
        above = f > s
        crossed = st[2] is not None and st[2] != above
        st[2] = above
        if not crossed or ctx.has_open_order(code):
            return
        held = ctx.qty(code)
        if above and held == 0:
            budget = ctx.buying_power * self.weight / (1.0 + 0.00015)
            qty = 0 if budget <= 0 else math.floor(budget / bar.close)
            if qty > 0:
                ctx.buy(code, qty)
        elif not above and held > 0:
            ctx.sell(code, held)


@pytest.mark.parametrize("fast,slow,weight", [(5, 20, 1.0), (10, 30, 0.3)])
def test_python_sma_cross_equals_builtin(bars, fast, slow, weight):
    native = hantu.backtest(bars, "sma-cross", {"fast": fast, "slow": slow, "weight": weight})
    python = hantu.backtest(bars, PySmaCross(fast, slow, weight))
    assert len(native.trades) > 5
    pd.testing.assert_frame_equal(native.trades, python.trades)
    pd.testing.assert_frame_equal(native.fills, python.fills)
    pd.testing.assert_frame_equal(native.orders, python.orders)
    pd.testing.assert_series_equal(native.equity, python.equity)
    assert native.stats == python.stats


def test_builtin_on_sim_market_uses_its_instruments():
    df = hantu.sim.market(n=4, days=120, seed=11)
    r = hantu.backtest(df, "sma-cross", {"fast": 5, "slow": 20})
    assert r.stats["days"] == 120 and r.bars == len(df)
    assert r.equity.index.equals(pd.DatetimeIndex(sorted(df.date.unique()), name="date"))
    inst = hantu.sim.instruments(df).assign(market="KONEX")
    konex = hantu.backtest(df, "sma-cross", {"fast": 5, "slow": 20}, instruments=inst)
    if r.stats["tax"] > 0:
        # KONEX's transaction tax is lower than KOSPI/KOSDAQ's.
        assert konex.stats["tax"] < r.stats["tax"]


def test_unknown_builtin_and_params():
    df = hantu.sim.market(n=2, days=40, seed=1)
    with pytest.raises(hantu.ConfigError, match="unknown strategy"):
        hantu.backtest(df, "nope")
    with pytest.raises(hantu.ConfigError, match="params.fats"):
        hantu.backtest(df, "sma-cross", {"fats": 3})
    with pytest.raises(hantu.ConfigError, match="fast"):
        hantu.backtest(df, "sma-cross", {"fast": 30, "slow": 10})


def test_batch_over_params_and_codes_matches_single_runs(bars):
    grid = [{"fast": 5, "slow": 20}, {"fast": 10, "slow": 40}]
    batch = hantu.backtest_many(bars, "sma-cross", grid)
    assert len(batch) == 2 and list(batch.stats["param.fast"]) == [5.0, 10.0]
    for p, r in zip(grid, batch):
        single = hantu.backtest(bars, "sma-cross", p)
        pd.testing.assert_frame_equal(single.trades, r.trades)
        assert single.stats == r.stats
    per = hantu.backtest_many(bars, "sma-cross", grid, per_code=True)
    assert len(per) == 3 * 2
    assert list(per.stats.code) == ["000660", "000660", "005930", "005930", "035420", "035420"]
    alone = hantu.backtest(bars[bars.code == "005930"], "sma-cross", grid[1])
    assert per[3].code == "005930" and per[3].stats == alone.stats
    python = hantu.backtest_many(bars, PySmaCross, [{"fast": 5, "slow": 20}], per_code=True)
    assert [r.stats for r in python] == [per[i].stats for i in (0, 2, 4)]


def test_plot_returns_a_figure(bars):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    r = hantu.backtest(bars, "sma-cross")
    fig = r.plot()
    assert len(fig.axes) == 2
    assert r.drawdown.max() == 0.0 and r.drawdown.min() == pytest.approx(r.stats["max_drawdown"])


def test_limit_orders_expire_and_cancel(bars):
    class Ladder(hantu.Strategy):
        def __init__(self):
            self.updates = {}
            self.placed = False

        def on_bar(self, ctx, bar):
            if bar.code == "005930" and not self.placed:
                # Below the market but inside the ±30% band, on every tick grid up to 1,000 won.
                ctx.buy(bar.code, 1, price=int(bar.close * 0.8) // 1000 * 1000)
                self.placed = True

        def on_order_update(self, ctx, order):
            self.updates.setdefault(order.client_id, []).append(order.reason if order.status == "rejected" else order.status)
            if order.status == "accepted" and len(self.updates) == 1:
                ctx.cancel(order.client_id)

    s = Ladder()
    r = hantu.backtest(bars, s)
    (statuses,) = s.updates.values()
    assert statuses[0] == "accepted" and statuses[-1] == "cancelled"
    assert r.orders.kind.tolist() == ["limit"] and r.orders.status.tolist() == ["cancelled"]
    assert r.fills.empty and r.stats["fills"] == 0


def test_result_pickles(bars):
    import pickle

    r = hantu.backtest(bars, "sma-cross")
    back = pickle.loads(pickle.dumps(r))
    pd.testing.assert_series_equal(back.equity, r.equity)
    assert back.stats == r.stats


def test_bars_seen_by_a_strategy_match_the_frame_and_pickle(bars):
    import pickle

    class Keep(hantu.Strategy):
        def __init__(self):
            self.seen = []

        def on_bar(self, ctx, bar):
            self.seen.append(bar)

    s = Keep()
    hantu.backtest(bars.head(6), s)
    first = bars.iloc[0]
    b = s.seen[0]
    assert (b.code, b.open, b.high, b.low, b.close, b.volume) == (
        first.code, first.open, first.high, first.low, first.close, first.volume
    )
    assert b.date == first.date.date()
    assert pickle.loads(pickle.dumps(s.seen)) == s.seen
    assert hantu.Bar(b.code, b.ts, b.open, b.high, b.low, b.close, b.volume) == b
    assert b != s.seen[1]


def _per_code_both_ways(monkeypatch, data, grid):
    """backtest_many(per_code=True) from columns, and from converted bars (the checked path,
    taken when the column reader declines)."""
    from hantu import _backtest

    real = _backtest._hantu.run_builtin_per_code_columns
    taken = []
    with monkeypatch.context() as m:
        m.setattr(_backtest._hantu, "run_builtin_per_code_columns", lambda *a, **k: taken.append(real(*a, **k)) or taken[-1])
        from_columns = hantu.backtest_many(data, "sma-cross", grid, per_code=True)
    assert taken and taken[0] is not None, "the column reader declined good rows"
    with monkeypatch.context() as m:
        m.setattr(_backtest._hantu, "run_builtin_per_code_columns", lambda *a, **k: None)
        from_bars = hantu.backtest_many(data, "sma-cross", grid, per_code=True)
    return from_columns, from_bars


def test_per_code_batch_from_columns_matches_converted_bars(monkeypatch):
    market = hantu.sim.market(n=6, days=120, seed=11)
    grid = [{"fast": 5, "slow": 20}, {"fast": 3, "slow": 12}]
    # Frame order (date, code), stock order (code, date), and shuffled rows read alike.
    shuffled = market.sample(frac=1.0, random_state=4).reset_index(drop=True)
    by_code = market.sort_values(["code", "date"]).reset_index(drop=True)
    for data in (market, by_code, shuffled):
        cols, bars = _per_code_both_ways(monkeypatch, data, grid)
        assert len(cols) == len(bars) == 12
        assert [(r.code, r.params) for r in cols] == [(r.code, r.params) for r in bars]
        for a, b in zip(cols, bars):
            assert a.stats == b.stats
            pd.testing.assert_frame_equal(a.trades, b.trades)
            pd.testing.assert_series_equal(a.equity, b.equity)
    # Fractional prices (rounded to whole won) read alike too.
    frac = market.copy()
    frac["close"] = frac["close"].astype("float64") + 0.25
    cols, bars = _per_code_both_ways(monkeypatch, frac, grid[:1])
    assert [r.stats for r in cols] == [r.stats for r in bars]


def test_per_code_batch_from_columns_names_bad_rows():
    market = hantu.sim.market(n=3, days=40, seed=2)
    dup = market.iloc[list(range(len(market))) + [5]].reset_index(drop=True)
    with pytest.raises(hantu.DataError, match="duplicated"):
        hantu.backtest_many(dup, "sma-cross", per_code=True)
    bad = market.copy()
    bad.loc[7, "low"] = bad.loc[7, "high"] + 10
    with pytest.raises(hantu.DataError, match="row 7"):
        hantu.backtest_many(bad, "sma-cross", per_code=True)


def _dates_out_of_order(data, backwards, shuffled):
    """``data`` with the rows of one stock holding its dates backwards and another's shuffled,
    each row staying in its place in the frame."""
    order = np.arange(len(data))
    rev = np.flatnonzero(data.code == backwards)
    order[rev] = rev[::-1]
    mix = np.flatnonzero(data.code == shuffled)
    order[mix] = np.random.default_rng(1).permutation(mix)
    return data.iloc[order].reset_index(drop=True)


def test_per_code_batch_over_many_blocks_matches_converted_bars(monkeypatch):
    # More stocks than one block of the column reader, some with their rows out of time order,
    # in a full (date, code) grid and with stocks of different lengths: the same reports, in the
    # same order, as from converted bars.
    market = hantu.sim.market(n=40, days=60, seed=5)
    codes = sorted(market.code.astype(str).unique())
    late, gappy = codes[3], codes[17]
    keep = ~((market.code == late) & (market.date < market.date.unique()[25]))
    keep &= ~((market.code == gappy) & market.date.isin(market.date.unique()[10:20]))
    grid = [{"fast": 5, "slow": 20}, {"fast": 3, "slow": 12}]
    for data in (market, market[keep].reset_index(drop=True)):
        data = _dates_out_of_order(data, codes[20], codes[33])
        cols, bars = _per_code_both_ways(monkeypatch, data, grid)
        assert len(cols) == len(bars) == 80
        assert [(r.code, r.params) for r in cols] == [(r.code, r.params) for r in bars]
        for a, b in zip(cols, bars):
            assert a.stats == b.stats and a.bars == b.bars and a.strategy == b.strategy
            pd.testing.assert_frame_equal(a.trades, b.trades)
            pd.testing.assert_series_equal(a.equity, b.equity)
        pd.testing.assert_frame_equal(cols.stats, bars.stats)
    assert cols[2 * codes.index(late)].bars == 35 and cols[2 * codes.index(gappy)].bars == 50


def _stats_table_per_run(batch):
    """The summary table built the plain way: one row per run from its own stats dict."""
    rows = []
    for r in batch:
        row = {} if r.code is None else {"code": r.code}
        row.update({f"param.{k}": v for k, v in r.params.items()})
        row.update(r.stats)
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("per_code", [True, False])
def test_batch_stats_table_equals_the_runs_stats(bars, per_code):
    grid = [{"fast": 5, "slow": 20}, {"fast": 10, "slow": 40}, {"fast": 3, "slow": 12}]
    batch = hantu.backtest_many(bars, "sma-cross", grid, per_code=per_code)
    assert len(batch) == (9 if per_code else 3)
    pd.testing.assert_frame_equal(batch.stats, _stats_table_per_run(batch))
    # Amounts are whole won here: integer columns, as the runs' dicts hold ints.
    assert batch.stats["commission"].dtype == np.int64 and batch.stats["trades"].dtype == np.int64
    # The same table as the public constructor builds from the results alone.
    pd.testing.assert_frame_equal(hantu.BatchResult(list(batch)).stats, batch.stats)


def test_stats_columns_equal_each_reports_stats():
    from hantu import _hantu

    market = hantu.sim.market(n=5, days=80, seed=9)
    batch = hantu.backtest_many(market, "sma-cross", [{"fast": 5, "slow": 20}], per_code=True)
    reports = [r._report for r in batch]
    columns = _hantu.stats_columns(reports)
    assert list(columns) == list(reports[0].stats())
    for i, report in enumerate(reports):
        assert {k: v[i].item() for k, v in columns.items()} == report.stats()
    assert all(len(v) == 0 for v in _hantu.stats_columns([]).values())


def test_batch_results_pickle_and_compute_stats_on_demand(bars):
    import pickle

    batch = hantu.backtest_many(bars, "sma-cross", [{"fast": 5, "slow": 20}], per_code=True)
    first = batch[0]
    assert "stats" not in first.__dict__  # built on first use, not for every run of a batch
    back = pickle.loads(pickle.dumps(batch.results))
    assert [r.stats for r in back] == [r.stats for r in batch]
    assert [(r.code, r.params, r.strategy, r.bars) for r in back] == [(r.code, r.params, r.strategy, r.bars) for r in batch]
    pd.testing.assert_series_equal(back[1].equity, batch[1].equity)
