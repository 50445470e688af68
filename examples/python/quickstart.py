"""From `import hantu` to a backtest plot, on the simulated KRX market (no data or account needed).

Run with:

    pip install ./hantu-py matplotlib
    python examples/python/quickstart.py            # writes quickstart.png next to where you run it

Each step is one call into the Rust core; the results are numpy arrays and pandas objects.
"""

import math
import sys

import hantu
import hantu.indicators as ta

# 1. Data: 50 simulated stocks over two years of KRX trading days, as a long DataFrame
#    (date, code, open, high, low, close, volume). For your own files:
#    bars = hantu.data.read_csv_dir("path/to/daily")   # one <code>.csv per stock
bars = hantu.sim.market(n=50, days=500, seed=7)
print(bars.head(), f"\n{len(bars):,} bars of {bars.code.nunique()} stocks\n")

# 2. Indicators: numpy or pandas in, the same kind out (the index is kept).
one = bars[bars.code == bars.code.iloc[0]].set_index("date")
rsi = ta.rsi(one.close, 14)
upper, middle, lower = ta.bbands(one.close, 20)
print(f"RSI(14) of {bars.code.iloc[0]} on {rsi.index[-1].date()}: {rsi.iloc[-1]:.1f}\n")

# 3. Screen the market and select today's picks (configs are dicts, TOML text or .toml paths).
screen = {
    "name": "momentum",
    "rule": {"all": [{"value": "return(20)", "min": 0}, {"value": "rsi(14)", "max": 75}]},
    "score": [{"value": "return(60)", "weight": 1}],
    "max_results": 20,
}
watchlist = hantu.screen(bars, screen)
print(watchlist[["rank", "code", "name", "score", "return(20)", "rsi(14)"]].head(), "\n")
picks = hantu.select(bars, screen, {"name": "quickstart", "max_picks": 5})
print(picks[["rank", "code", "class", "score", "entry_high", "stop", "target", "qty"]], "\n")


# 4. Backtest a built-in strategy, and the same idea written in Python.
result = hantu.backtest(bars, "sma-cross", {"fast": 10, "slow": 30, "weight": 0.1}, cash=100_000_000)
print(result, "\n")


class SmaCross(hantu.Strategy):
    """Long while the fast SMA of closes is above the slow one; a tenth of the cash per entry."""

    def __init__(self, fast=10, slow=30):
        self.fast, self.slow, self.state = fast, slow, {}

    def on_bar(self, ctx, bar):
        st = self.state.setdefault(bar.code, [ta.SMA(self.fast), ta.SMA(self.slow), None])
        f, s = st[0].update(bar.close), st[1].update(bar.close)
        if math.isnan(s):
            return
        above, was_above = f > s, st[2]
        st[2] = above
        if was_above is None or above == was_above or ctx.has_open_order(bar.code):
            return
        held = ctx.qty(bar.code)
        if above and held == 0:
            qty = math.floor(ctx.buying_power * 0.1 / 1.00015 / bar.close)
            if qty > 0:
                ctx.buy(bar.code, qty)
        elif not above and held > 0:
            ctx.sell(bar.code, held)


mine = hantu.backtest(bars, SmaCross())
print(mine)
print(mine.trades.head(), "\n")

# 5. A parameter sweep runs in parallel on all cores.
sweep = hantu.backtest_many(bars, "sma-cross", [{"fast": f, "slow": s, "weight": 0.1} for f in (5, 10) for s in (20, 40)])
print(sweep.stats[["param.fast", "param.slow", "total_return", "sharpe", "max_drawdown", "trades"]], "\n")

# 6. Plot equity and drawdown (matplotlib is imported only now).
fig = result.plot()
out = sys.argv[1] if len(sys.argv) > 1 else "quickstart.png"
fig.savefig(out, dpi=80)
print(f"plot written to {out}")
