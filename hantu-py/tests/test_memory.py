"""Repeated calls must not grow memory: outputs are owned by numpy and freed with it."""

import gc
import resource
import tracemalloc

import hantu
import hantu.indicators as ta
import numpy as np


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_indicator_calls_do_not_leak():
    x = np.random.default_rng(0).normal(100, 1, 200_000)
    for _ in range(20):
        ta.macd(x)
    gc.collect()
    before = rss_kb()
    for _ in range(300):
        ta.sma(x, 30)
        ta.macd(x)
        ta.bbands(x, 20)
    gc.collect()
    # 300 iterations allocate ~1.4 GB in total; a leak of even one output per call would show.
    assert rss_kb() - before < 50_000


def test_backtests_do_not_leak(bars):
    class Noop(hantu.Strategy):
        def on_bar(self, ctx, bar):
            ctx.qty(bar.code)

    for _ in range(3):
        hantu.backtest(bars, "sma-cross")
        hantu.backtest(bars, Noop())
    gc.collect()
    tracemalloc.start()
    snap = tracemalloc.take_snapshot()
    for _ in range(20):
        hantu.backtest(bars, "sma-cross")
        hantu.backtest(bars, Noop())
    gc.collect()
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(snap, "filename"))
    tracemalloc.stop()
    assert grown < 1_000_000
