"""Repeated calls must not grow memory: outputs are freed with their arrays (large ones into a bounded
pool of blocks for the next outputs)."""

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


def address(a):
    return a.__array_interface__["data"][0]


def test_a_dropped_output_is_used_again_and_a_kept_one_never():
    # Outputs of 128 KiB and up come from a pool of blocks that Python has dropped, so a loop
    # over indicators does not pay for fresh pages every call (see hantu-py/src/buffers.rs).
    x = np.random.default_rng(1).normal(100, 1, 100_000)
    first = ta.sma(x, 5)
    where = address(first)
    del first
    again = ta.sma(x, 5)
    assert address(again) == where, "the dropped block was not used again"

    # A kept output, or any view of one, keeps its block: later calls never write into it.
    view = again[10:]
    expected = view.copy()
    del again
    others = [ta.ema(x, 7), *ta.bbands(x, 20), *ta.macd(x), ta.rsi(x, 3)]
    assert np.array_equal(view, expected)
    assert not any(np.shares_memory(view, o) for o in others)
    for i, a in enumerate(others):
        assert not any(np.shares_memory(a, b) for b in others[i + 1 :])
    # What a reused block held before does not leak into the new output.
    del view, others
    gc.collect()
    assert np.array_equal(ta.sma(x, 5), ta.sma(x.copy(), 5), equal_nan=True)
    assert np.isnan(ta.sma(x, 5)[:4]).all()


def test_pooled_outputs_behave_as_numpy_arrays():
    import pickle

    x = np.random.default_rng(2).normal(100, 1, 50_000)
    out = ta.atr(x + 1, x - 1, x, 14)
    assert out.flags.writeable and out.flags.c_contiguous and out.dtype == np.float64
    out[:14] = 0.0
    back = pickle.loads(pickle.dumps(out))
    assert np.array_equal(back, out) and not np.shares_memory(back, out)
    # A shorter series may take a longer one's block, never the other way round.
    short = ta.sma(x[:20_000], 5)
    assert short.shape == (20_000,)
    assert np.allclose(short[4:], ta.sma(x, 5)[4:20_000])


def test_the_output_pool_stays_bounded():
    # Twelve 8 MB outputs dropped at once: the pool keeps 64 MB of blocks at most and gives the
    # rest back to the kernel.
    x = np.random.default_rng(3).normal(100, 1, 1_000_000)
    gc.collect()
    before = rss_kb()
    keep = [ta.sma(x, 3) for _ in range(12)]
    del keep
    gc.collect()
    assert rss_kb() - before < 72 * 1024


def test_outputs_from_threads_never_share_a_block():
    # Calls release the GIL while they compute, so several threads hold pooled blocks at once;
    # each must get a block of its own (a shared one would mix two results).
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(4)
    series = [rng.normal(100, 1, 150_000) for _ in range(4)]
    expected = [(ta.sma(x, 9), ta.ema(x, 21)) for x in series]

    def work(k):
        for _ in range(40):
            got = (ta.sma(series[k], 9), ta.ema(series[k], 21))
            if not all(np.array_equal(a, b, equal_nan=True) for a, b in zip(got, expected[k])):
                return False
        return True

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, range(4)))
