"""hantu next to its peers, measured where a user meets it: through Python, in one process.

    python hantu-py/bench/bench_vs_peers.py              # everything (a few minutes)
    python hantu-py/bench/bench_vs_peers.py --quick      # fewer runs, smaller batch
    python hantu-py/bench/bench_vs_peers.py --only indicators   # or: backtest, batch

Install the wheel first (``bash scripts/test-python.sh`` or ``maturin develop --release``), and
the peers you want compared: ``pip install TA-Lib vectorbt vectorbt-rust``. A peer that cannot
be imported is skipped with a message; nothing is estimated in its place.

What is measured:

1. **Indicators** on fresh 1,000,000-bar arrays (minute bars of KRX sessions, a random walk):
   every indicator TA-Lib also has, ``hantu.indicators.<name>`` against ``talib.<NAME>`` with the
   same parameters. Each round copies the inputs anew (so neither side finds them hot in cache
   from the other's call) and alternates which side goes first; the table shows medians. Each
   output is dropped after its call, as in a loop that computes, uses and moves on: hantu then
   takes the dropped output's block for the next call (``hantu-py/src/buffers.rs``). TA-Lib's
   numpy arrays come from glibc, which gives blocks this large back to the kernel when they are
   freed, so its outputs are mostly fresh pages.
2. **One backtest**, SMA 10/30 crossover on the same 1M minute bars, end to end from what the
   user holds: a long DataFrame (as ``hantu.sim.market`` returns) and plain numpy columns,
   against vectorbt's pipeline (two moving averages, the crossings, ``Portfolio.from_signals``
   and the total return) with the Rust engine when ``vectorbt-rust`` is installed, and Numba.
3. **A batch**: the same rules on every stock of a 2,875-stock × 500-day daily market
   (``hantu.backtest_many(per_code=True)`` against one ``from_signals`` over the wide matrix).

Ratios are hantu / peer: below 1 means hantu is faster. The rules are the same (enter on the
cross up at the next bar's open, exit on the cross down, 0.015% commission); the engines are
not identical (hantu fills on the KRX tick grid within volume limits, charges the sell tax and
keeps a full order/fill journal), so the backtest ratio is what a user pays, not a kernel race.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

import hantu
import hantu.indicators as hi

N = 1_000_000
SESSION_MINUTES = 390  # 09:00-15:30 KST


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def minute_bars(n: int, seed: int) -> Dict[str, np.ndarray]:
    """``n`` one-minute bars of one stock in KRX sessions (weekdays, 09:01..15:30 KST), a random
    walk around 50,000 won, as numpy columns (date as int64 ns of naive KST)."""
    rng = np.random.default_rng(seed)
    days = math.ceil(n / SESSION_MINUTES)
    bdays = pd.bdate_range("2015-01-05", periods=days).to_numpy().astype("datetime64[ns]").view(np.int64)
    minute = np.arange(1, SESSION_MINUTES + 1, dtype=np.int64) * 60_000_000_000 + 9 * 3_600_000_000_000
    date = (bdays[:, None] + minute[None, :]).ravel()[:n]
    close = np.round(50_000 * np.exp(np.cumsum(rng.normal(0, 0.0012, n))))
    open_ = np.round(np.concatenate([[close[0]], close[:-1]]) * (1 + rng.normal(0, 0.0004, n)))
    spread = np.abs(rng.normal(0, 0.0015, n)) * close
    high = np.round(np.maximum(open_, close) + spread)
    low = np.round(np.maximum(np.minimum(open_, close) - spread * rng.random(n), 1.0))
    volume = np.round(rng.lognormal(8, 1, n))
    return {"date": date, "open": open_, "high": high, "low": low, "close": close, "volume": volume}


class Timer:
    """Interleaved medians: each round runs every contestant once, first one alternating."""

    def __init__(self, rounds: int):
        self.rounds = rounds

    def run(self, contestants: Sequence[Tuple[str, Callable[[], Any], Callable[[], Any]]]) -> Dict[str, float]:
        """``contestants``: (label, prepare, call) where ``prepare`` makes fresh arguments and
        ``call(args)`` is timed. Returns median milliseconds per label; the fastest run of each
        goes in :attr:`best` (on a shared machine the slow runs mostly measure the neighbours)."""
        times: Dict[str, List[float]] = {label: [] for label, _, _ in contestants}
        for label, prep, call in contestants:  # warm up (imports, JIT, first-touch pages)
            call(prep())
        for r in range(self.rounds):
            order = contestants if r % 2 == 0 else list(reversed(contestants))
            for label, prep, call in order:
                args = prep()
                t = time.perf_counter()
                call(args)
                times[label].append((time.perf_counter() - t) * 1e3)
                del args
        self.best = {label: min(v) for label, v in times.items()}
        return {label: statistics.median(v) for label, v in times.items()}


HEADER = [
    "| what | hantu ms | peer | peer ms | ratio | ratio of fastest runs |",
    "|---|---:|---|---:|---:|---:|",
]


def row(what: str, ours: float, peer_name: str, peer: Optional[float], best: Optional[Tuple[float, float]] = None) -> str:
    """A table row: medians, their ratio, and the ratio of the fastest runs (hantu / peer)."""
    if peer is None:
        return f"| {what} | {ours:,.2f} | {peer_name} | – | – | – |"
    fastest = f"{best[0] / best[1]:.2f}" if best else "–"
    return f"| {what} | {ours:,.2f} | {peer_name} | {peer:,.2f} | {ours / peer:.2f} | {fastest} |"


def geo(ratios: List[float]) -> float:
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios))


def try_import(name: str) -> Optional[Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return __import__(name)
    except Exception as e:  # noqa: BLE001 - any import failure means "skip this peer"
        print(f"  (skipping {name}: {type(e).__name__}: {e})")
        return None


# name, hantu fn, talib name, inputs, hantu args, talib kwargs
INDICATORS: List[Tuple[str, str, Tuple[str, ...], Tuple[Any, ...], Dict[str, Any]]] = [
    ("sma", "SMA", ("close",), (30,), {"timeperiod": 30}),
    ("ema", "EMA", ("close",), (30,), {"timeperiod": 30}),
    ("wma", "WMA", ("close",), (30,), {"timeperiod": 30}),
    ("dema", "DEMA", ("close",), (30,), {"timeperiod": 30}),
    ("tema", "TEMA", ("close",), (30,), {"timeperiod": 30}),
    ("kama", "KAMA", ("close",), (30,), {"timeperiod": 30}),
    ("trix", "TRIX", ("close",), (30,), {"timeperiod": 30}),
    ("rsi", "RSI", ("close",), (14,), {"timeperiod": 14}),
    ("cmo", "CMO", ("close",), (14,), {"timeperiod": 14}),
    ("roc", "ROC", ("close",), (10,), {"timeperiod": 10}),
    ("mom", "MOM", ("close",), (10,), {"timeperiod": 10}),
    ("linearreg", "LINEARREG", ("close",), (14,), {"timeperiod": 14}),
    ("var", "VAR", ("close",), (5,), {"timeperiod": 5, "nbdev": 1}),
    ("stddev", "STDDEV", ("close",), (5, 1.0), {"timeperiod": 5, "nbdev": 1}),
    ("bbands", "BBANDS", ("close",), (20, 2.0, 2.0), {"timeperiod": 20, "nbdevup": 2, "nbdevdn": 2}),
    ("macd", "MACD", ("close",), (12, 26, 9), {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}),
    ("stochrsi", "STOCHRSI", ("close",), (14, 5, 3), {"timeperiod": 14, "fastk_period": 5, "fastd_period": 3}),
    ("atr", "ATR", ("high", "low", "close"), (14,), {"timeperiod": 14}),
    ("natr", "NATR", ("high", "low", "close"), (14,), {"timeperiod": 14}),
    ("trange", "TRANGE", ("high", "low", "close"), (), {}),
    ("adx", "ADX", ("high", "low", "close"), (14,), {"timeperiod": 14}),
    ("plus_di", "PLUS_DI", ("high", "low", "close"), (14,), {"timeperiod": 14}),
    ("minus_di", "MINUS_DI", ("high", "low", "close"), (14,), {"timeperiod": 14}),
    ("cci", "CCI", ("high", "low", "close"), (14,), {"timeperiod": 14}),
    ("willr", "WILLR", ("high", "low", "close"), (14,), {"timeperiod": 14}),
    ("ultosc", "ULTOSC", ("high", "low", "close"), (7, 14, 28),
     {"timeperiod1": 7, "timeperiod2": 14, "timeperiod3": 28}),
    ("stoch", "STOCH", ("high", "low", "close"), (5, 3, 3), {"fastk_period": 5, "slowk_period": 3, "slowd_period": 3}),
    ("stochf", "STOCHF", ("high", "low", "close"), (5, 3), {"fastk_period": 5, "fastd_period": 3}),
    ("midprice", "MIDPRICE", ("high", "low"), (14,), {"timeperiod": 14}),
    ("sar", "SAR", ("high", "low"), (0.02, 0.2), {"acceleration": 0.02, "maximum": 0.2}),
    ("aroon", "AROON", ("high", "low"), (14,), {"timeperiod": 14}),
    ("obv", "OBV", ("close", "volume"), (), {}),
    ("mfi", "MFI", ("high", "low", "close", "volume"), (14,), {"timeperiod": 14}),
    ("ad", "AD", ("high", "low", "close", "volume"), (), {}),
    ("adosc", "ADOSC", ("high", "low", "close", "volume"), (3, 10), {"fastperiod": 3, "slowperiod": 10}),
]


def bench_indicators(rounds: int) -> List[str]:
    print(f"\n## Indicators on fresh {N:,}-bar arrays (median of {rounds} interleaved rounds)\n")
    talib = try_import("talib")
    bars = minute_bars(N, seed=1)
    lines = list(HEADER)
    print("\n".join(lines))
    ratios, best_ratios = [], []
    timer = Timer(rounds)
    for name, ta_name, inputs, args, kwargs in INDICATORS:
        ours_fn = getattr(hi, name)

        def prep(inputs: Tuple[str, ...] = inputs) -> List[np.ndarray]:
            return [bars[c].copy() for c in inputs]

        contestants = [("hantu", prep, lambda a, f=ours_fn, p=args: f(*a, *p))]
        if talib is not None:
            ta_fn = getattr(talib, ta_name)
            contestants.append(("talib", prep, lambda a, f=ta_fn, k=kwargs: f(*a, **k)))
        t = timer.run(contestants)
        peer = t.get("talib")
        best = (timer.best["hantu"], timer.best["talib"]) if peer is not None else None
        if peer is not None and best is not None:
            ratios.append(t["hantu"] / peer)
            best_ratios.append(best[0] / best[1])
        lines.append(row(ta_name, t["hantu"], "TA-Lib", peer, best))
        print(lines[-1], flush=True)
    if ratios:
        lines.append(
            f"\ngeometric mean of {len(ratios)} ratios: **{geo(ratios):.2f}** (medians), "
            f"**{geo(best_ratios):.2f}** (fastest runs); worst: {max(ratios):.2f} / {max(best_ratios):.2f}"
        )
        print(lines[-1])
    return lines


def vbt_engines(vbt: Any) -> List[str]:
    engines = ["numba"]
    try:
        from vectorbt._engine import is_rust_available

        if is_rust_available():
            engines.insert(0, "rust")
        else:
            print("  (vectorbt-rust not installed or mismatched: vectorbt runs with Numba only)")
    except ImportError:
        pass
    return engines


def vbt_pipeline(vbt: Any, open_: Any, close: Any, engine: str, fast: int = 10, slow: int = 30) -> float:
    """SMA fast/slow crossings, entering and exiting at the next bar's open, 0.015% fees."""
    mas = vbt.MA.run(close, window=[fast, slow], engine=engine)
    f = mas.ma.iloc[:, 0] if close.ndim == 1 else mas.ma.xs(fast, level=0, axis=1)
    s = mas.ma.iloc[:, 1] if close.ndim == 1 else mas.ma.xs(slow, level=0, axis=1)
    fv, sv = np.asarray(f), np.asarray(s)
    above = fv > sv
    prev = np.roll(above, 1, axis=0)
    valid = ~np.isnan(sv)
    prev_valid = np.roll(valid, 1, axis=0)
    entries = above & ~prev & valid & prev_valid
    exits = ~above & prev & valid & prev_valid
    # Act on the next bar's open, as hantu does.
    entries = np.roll(entries, 1, axis=0)
    exits = np.roll(exits, 1, axis=0)
    entries[0] = exits[0] = False
    pf = vbt.Portfolio.from_signals(
        close, entries, exits, price=open_, fees=0.00015, init_cash=100_000_000, freq="1min", engine=engine
    )
    return pf.total_return()


def bench_backtest(rounds: int) -> List[str]:
    print(f"\n## One backtest, SMA 10/30 on {N:,} one-minute bars, end to end (median of {rounds} rounds)\n")
    vbt = try_import("vectorbt")
    bars = minute_bars(N, seed=2)
    # As hantu.sim.market gives it (categorical codes) and as pandas.read_csv does (text codes).
    frame = pd.DataFrame(
        {
            "date": bars["date"].view("datetime64[ns]"),
            "code": pd.Categorical.from_codes(np.zeros(N, dtype=np.int8), categories=["005930"]),
            **{k: bars[k] for k in ("open", "high", "low", "close", "volume")},
        }
    )
    text = frame.assign(code=np.full(N, "005930", dtype=object))
    columns = {"code": "005930", **bars}
    params = {"fast": 10, "slow": 30}

    def ours(data: Any) -> float:
        return hantu.backtest(data, "sma-cross", params, freq="minute").stats["total_return"]

    contestants: List[Tuple[str, Callable[[], Any], Callable[[Any], Any]]] = [
        ("hantu (DataFrame)", lambda: frame.copy(), ours),
        ("hantu (DataFrame, text codes)", lambda: text.copy(), ours),
        ("hantu (numpy columns)", lambda: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in columns.items()}, ours),
    ]
    engines = vbt_engines(vbt) if vbt is not None else []
    index = pd.DatetimeIndex(bars["date"].view("datetime64[ns]"))
    for engine in engines:
        contestants.append(
            (
                f"vectorbt ({engine})",
                lambda: (pd.Series(bars["open"].copy(), index=index), pd.Series(bars["close"].copy(), index=index)),
                lambda a, e=engine: vbt_pipeline(vbt, a[0], a[1], e),
            )
        )
    timer = Timer(rounds)
    t = timer.run(contestants)
    # For comparison: converting the frame into checked bars up front, which a built-in
    # strategy's backtest no longer does (it reads the bars from the columns as it goes).
    conv = Timer(rounds).run([("convert", lambda: frame.copy(), lambda f: hantu._frames.to_bardata(f, freq="minute"))])
    lines = list(HEADER)
    for label in ("hantu (DataFrame)", "hantu (DataFrame, text codes)", "hantu (numpy columns)"):
        if not engines:
            lines.append(row(f"`hantu.backtest` {label[7:-1]}", t[label], "vectorbt", None))
        for engine in engines:
            peer = f"vectorbt ({engine})"
            best = (timer.best[label], timer.best[peer])
            lines.append(row(f"`hantu.backtest`, {label[7:-1]}", t[label], f"vectorbt {engine}", t[peer], best))
    lines.append(f"| not included: DataFrame → `BarData` up front (`hantu._frames.to_bardata`) | {conv['convert']:,.2f} | | | | |")
    for line in lines:
        print(line)
    return lines


def bench_batch(rounds: int, stocks: int, days: int) -> List[str]:
    print(f"\n## Batch: SMA 10/30 on each of {stocks:,} stocks × {days} days (median of {rounds} rounds)\n")
    vbt = try_import("vectorbt")
    df = hantu.sim.market(n=stocks, days=days, seed=3)
    params = [{"fast": 10, "slow": 30}]

    def ours(data: Any) -> int:
        return len(hantu.backtest_many(data, "sma-cross", params, per_code=True))

    contestants: List[Tuple[str, Callable[[], Any], Callable[[Any], Any]]] = [
        ("hantu", lambda: df.copy(), ours),
    ]
    engines = vbt_engines(vbt) if vbt is not None else []
    if engines:
        wide_close = df.pivot(index="date", columns="code", values="close").astype(np.float64)
        wide_open = df.pivot(index="date", columns="code", values="open").astype(np.float64)
        for engine in engines:
            contestants.append(
                (
                    f"vectorbt ({engine})",
                    lambda: (wide_open.copy(), wide_close.copy()),
                    lambda a, e=engine: vbt_pipeline(vbt, a[0], a[1], e),
                )
            )
    timer = Timer(rounds)
    t = timer.run(contestants)
    lines = list(HEADER)
    if not engines:
        lines.append(row("`hantu.backtest_many(per_code=True)`", t["hantu"], "vectorbt", None))
    for engine in engines:
        peer = f"vectorbt ({engine})"
        best = (timer.best["hantu"], timer.best[peer])
        lines.append(row("`hantu.backtest_many(per_code=True)`", t["hantu"], f"vectorbt {engine}", t[peer], best))
    for line in lines:
        print(line)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds and a smaller batch")
    ap.add_argument("--only", choices=("indicators", "backtest", "batch"), action="append")
    ap.add_argument("--rounds", type=int, default=None)
    a = ap.parse_args()
    rounds = a.rounds or (3 if a.quick else 9)
    only = set(a.only or ("indicators", "backtest", "batch"))
    versions = [f"hantu {hantu.__version__}", f"Python {sys.version.split()[0]}", f"numpy {np.__version__}",
                f"pandas {pd.__version__}"]
    for mod in ("talib", "vectorbt", "vectorbt_rust", "numba"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = __import__(mod)
            versions.append(f"{mod} {getattr(m, '__version__', '?')}")
        except Exception:  # noqa: BLE001
            versions.append(f"{mod} not installed")
    print(f"machine: {machine()}")
    print("versions: " + ", ".join(versions))
    if "indicators" in only:
        bench_indicators(rounds)
    if "backtest" in only:
        bench_backtest(rounds)
    if "batch" in only:
        bench_batch(max(1, rounds // 3), 500 if a.quick else 2_875, 500)


if __name__ == "__main__":
    main()
