"""Measures what the Python binding costs. Run after installing the wheel:

    .venv/bin/python hantu-py/bench/bench_python.py

1. Indicators on 1,000,000-element arrays: the same core function timed inside Rust (no Python
   at all) and called from Python (argument parsing, zero-copy borrow, GIL release, moving the
   output into numpy, and for `hantu.indicators` the pandas/dtype checks). Medians of many runs.
2. A Python `on_bar` strategy in a backtest: bars per second, for an SMA crossover written in
   Python and for an empty `on_bar` (the adapter's floor), next to the built-in Rust strategy.
"""

from __future__ import annotations

import math
import statistics
import sys
import time

import numpy as np

import hantu
import hantu.indicators as ta
from hantu import _hantu


def times_ns(fn, repeats: int) -> list:
    times = []
    for _ in range(repeats):
        t = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - t)
    return times


def median_ns(fn, repeats: int) -> float:
    return statistics.median(times_ns(fn, repeats))


def bench_indicators(n: int = 1_000_000, repeats: int = 200) -> None:
    x = np.random.default_rng(1).normal(50_000, 500, n)
    print(f"indicators on {n:,} float64 values (fastest of {repeats} runs each)")
    print(f"{'fn':6} {'rust ms':>9} {'_hantu ms':>10} {'hantu ms':>9} {'extra us':>9} {'overhead':>9}")
    for name, period in (("sma", 30), ("ema", 30), ("rsi", 14)):
        raw = getattr(_hantu.indicators, name)
        public = getattr(ta, name)
        for _ in range(5):
            public(x, period)
        # Interleave the three measurements so drift in machine load hits all of them alike, and
        # keep the fastest run of each: on a shared machine the slow runs measure the neighbours.
        rust, binding, wrapped = [], [], []
        for _ in range(repeats // 10):
            rust.extend(_hantu.indicators._time_core(name, x, period, 10))
            binding.extend(times_ns(lambda: raw(x, period), 10))
            wrapped.extend(times_ns(lambda: public(x, period), 10))
        r, b, w = min(rust), min(binding), min(wrapped)
        print(f"{name:6} {r / 1e6:9.3f} {b / 1e6:10.3f} {w / 1e6:9.3f} {(w - r) / 1e3:9.1f} {100 * (w / r - 1):8.2f}%")


class PySmaCross(hantu.Strategy):
    def __init__(self, fast: int = 10, slow: int = 30):
        self.fast, self.slow = fast, slow
        self.state = {}

    def on_bar(self, ctx, bar):
        code = bar.code
        st = self.state.get(code)
        if st is None:
            st = self.state[code] = [ta.SMA(self.fast), ta.SMA(self.slow), None]
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
            qty = math.floor(ctx.buying_power * 0.1 / 1.00015 / bar.close)
            if qty > 0:
                ctx.buy(code, qty)
        elif not above and held > 0:
            ctx.sell(code, held)


class Empty(hantu.Strategy):
    def on_bar(self, ctx, bar):
        pass


def bench_strategy(stocks: int = 100, days: int = 5000) -> None:
    bars = hantu.sim.market(n=stocks, days=days, seed=7)
    data = hantu._frames.to_bardata(bars)  # convert once; time the run itself
    n = len(data)
    print(f"\nbacktest over {n:,} bars ({stocks} stocks x {days} days)")
    runs = (
        ("built-in sma-cross (Rust)", lambda: hantu.backtest(data, "sma-cross", {"weight": 0.1})),
        ("Python on_bar: SMA cross", lambda: hantu.backtest(data, PySmaCross())),
        ("Python on_bar: empty", lambda: hantu.backtest(data, Empty())),
    )
    for label, run in runs:
        best = min(median_ns(run, 1) for _ in range(3))
        print(f"{label:28} {n / (best / 1e9):>12,.0f} bars/s  ({best / 1e9:.2f} s)")


if __name__ == "__main__":
    print(f"hantu {hantu.__version__}, Python {sys.version.split()[0]}, numpy {np.__version__}")
    bench_indicators()
    bench_indicators(n=1_000, repeats=2_000)  # shows the fixed cost of a call
    bench_strategy()
