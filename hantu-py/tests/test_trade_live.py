"""Python strategies in the trader against the local KIS server (REST and WebSocket on 127.0.0.1):
orders through risk and the journal, fills booked in a real SQLite store, parity with a backtest
on the bars the session saw, errors in hooks, Ctrl-C, a stop event, and the ``python -m hantu``
command line.

Sessions run on a sandbox clock 60 times the wall clock, so a market minute takes a second; every
session is bounded (``until``, ``max_events``, ``duration``).
"""

import _thread
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import traceback
from pathlib import Path

import pytest

import hantu

FAST = dict(venue="sandbox", speed=60, trades_per_sec=1.0)
FINAL = {"filled", "cancelled", "rejected", "expired"}


class Scalper(hantu.Strategy):
    """Buys one share on a print when flat; sells what it holds at each completed bar."""

    def __init__(self):
        self.ticks = 0
        self.bars = 0
        self.fills = []
        self.updates = []

    def on_tick(self, ctx, tick):
        self.ticks += 1
        if ctx.qty(tick.code) == 0 and not ctx.has_open_order(tick.code):
            ctx.buy(tick.code, 1)

    def on_bar(self, ctx, bar):
        self.bars += 1
        if ctx.qty(bar.code) > 0 and not ctx.has_open_order(bar.code):
            ctx.sell(bar.code, ctx.qty(bar.code))

    def on_fill(self, ctx, fill):
        self.fills.append((fill.side, fill.qty))

    def on_order_update(self, ctx, order):
        self.updates.append(order.status)


class Follow(hantu.Strategy):
    """Decides on bars alone (its own intent, not fill timing): long after an up bar, flat after a
    down bar. Its decisions are a function of the bars, so a backtest on the same bars must agree."""

    def __init__(self):
        self.decisions = []
        self.long = {}
        self.prev = {}

    def on_bar(self, ctx, bar):
        prev = self.prev.get(bar.code)
        self.prev[bar.code] = bar.close
        if prev is None:
            return
        if bar.close > prev and not self.long.get(bar.code):
            self.long[bar.code] = True
            self.decisions.append((bar.code, bar.ts, "buy"))
            ctx.buy(bar.code, 2)
        elif bar.close < prev and self.long.get(bar.code):
            self.long[bar.code] = False
            self.decisions.append((bar.code, bar.ts, "sell"))
            ctx.sell(bar.code, 2)


def journal(path):
    with sqlite3.connect(path) as db:
        orders = db.execute("SELECT client_id, side, qty, status, filled_qty FROM orders ORDER BY created").fetchall()
        fills = db.execute("SELECT client_id, side, qty, price FROM fills ORDER BY id").fetchall()
    return orders, fills


def test_a_python_strategy_buys_and_sells_in_the_sandbox_and_the_store_books_every_fill(tmp_path):
    db = tmp_path / "t.db"
    st = Scalper()
    s = hantu.trade.run(strategy=st, codes=["005930"], until="10:04", store=str(db), **FAST)
    assert (s.venue, s.end, s.reason) == ("sandbox", "shutdown", "until")
    assert st.ticks > 0 and st.bars >= 2
    assert s.events >= st.ticks
    sides = set(s.fills["side"])
    assert sides == {"buy", "sell"}, s.fills
    assert ("buy", 1) in st.fills and ("sell", 1) in st.fills
    assert "filled" in st.updates
    orders, fills = journal(db)
    assert len(fills) == len(s.fills) == s.server["fills"]
    assert sum(f[2] for f in fills) == s.server["filled_qty"]
    assert len(orders) == s.server["orders"] == len(s.orders)
    # Positions booked equal the server's holdings.
    held = dict(zip(s.positions["code"], s.positions["qty"])) if len(s.positions) else {}
    assert {c: q for c, q in s.server["holdings"].items() if q} == {c: q for c, q in held.items() if q}
    assert len(s.report["fills"]) == len(s.fills)
    assert list(s.bars.columns[:2]) == ["date", "code"] and len(s.bars) == st.bars


def test_the_same_strategy_decides_the_same_in_a_backtest_of_the_session_bars(tmp_path):
    live = Follow()
    s = hantu.trade.run(strategy=live, codes=["005930", "000660"], until="10:09", store=str(tmp_path / "p.db"), **FAST)
    assert len(s.bars) >= 8
    replay = Follow()
    hantu.backtest(s.bars, replay, cash=10_000_000, freq="minute")
    # Bars of different codes may complete in another order live; per code the order is the bars'.
    assert sorted(replay.decisions) == sorted(live.decisions)
    assert live.decisions, "the tape moved: some bar closed up"
    # Every decision became a journaled order, in order (sides per code).
    for code in ("005930", "000660"):
        want = [d[2] for d in live.decisions if d[0] == code]
        got = list(s.orders[s.orders["request.code"] == code]["request.side"]) if len(s.orders) else []
        assert got == want


class Boom(Scalper):
    """Trades on prints, then fails on its first bar."""

    def on_bar(self, ctx, bar):
        ctx.sell(bar.code, 1)  # asked for, but the hook fails: never sent
        return 1 / 0


def test_an_exception_in_a_hook_surfaces_with_its_traceback_and_leaves_the_journal_consistent(tmp_path):
    db = tmp_path / "e.db"
    with pytest.raises(hantu.StrategyError, match="on_bar raised ZeroDivisionError") as info:
        hantu.trade.run(strategy=Boom(), codes=["005930"], until="10:05", store=str(db), **FAST)
    err = info.value
    assert err.hook == "on_bar"
    assert isinstance(err.__cause__, ZeroDivisionError)
    tb = "".join(traceback.format_exception(type(err.__cause__), err.__cause__, err.__cause__.__traceback__))
    assert "return 1 / 0" in tb and "test_trade_live.py" in tb
    s = err.session
    assert s.reason == "strategy_error" and s.end == "shutdown"
    orders, fills = journal(db)
    assert orders, "the strategy bought on prints before failing"
    assert all(o[1] == "buy" for o in orders), "the failing hook's sell was never sent"
    assert all(o[3] != "pending_new" for o in orders), "every sent order was reconciled"
    assert len(orders) == s.server["orders"]
    assert len(fills) == s.server["fills"]


def test_bounds_end_the_session(tmp_path):
    s = hantu.trade.run(strategy=Scalper(), codes=["005930"], max_events=5, **FAST)
    assert (s.events, s.reason, s.end) == (5, "max_events", "shutdown")
    assert len(s.ticks) == 5 and list(s.ticks.columns) == ["code", "ts", "price", "qty"]
    s = hantu.trade.run(strategy="sma-cross", params={"fast": 2, "slow": 3}, codes=["005930"], duration=1.0, **FAST)
    assert s.reason == "duration"


def test_ctrl_c_stops_the_session_gracefully_and_returns_it(tmp_path):
    timer = threading.Timer(1.5, _thread.interrupt_main)
    timer.start()
    try:
        s = hantu.trade.run(strategy=Scalper(), codes=["005930"], duration=60, store=str(tmp_path / "i.db"), **FAST)
    finally:
        timer.cancel()
    assert s.interrupted and s.reason == "interrupted" and s.end == "shutdown"
    orders, _ = journal(tmp_path / "i.db")
    assert all(o[3] != "pending_new" for o in orders)


class Announce(Scalper):
    def __init__(self, started):
        super().__init__()
        self.started = started

    def on_start(self, ctx):
        self.started.set()


def test_the_gil_is_free_while_the_trader_waits_and_a_stop_event_ends_it():
    started, stop = threading.Event(), threading.Event()
    box = {}
    t = threading.Thread(
        target=lambda: box.setdefault("s", hantu.trade.run(strategy=Announce(started), codes=["005930"], duration=60, stop=stop, **FAST))
    )
    t.start()
    assert started.wait(30)
    # This thread runs Python while the trader is still running: the run is not holding the GIL.
    total = sum(range(200_000))
    assert total > 0 and t.is_alive()
    stop.set()
    t.join(30)
    assert not t.is_alive()
    assert box["s"].reason == "stop_event"


def test_bad_settings_list_every_problem():
    with pytest.raises(hantu.ConfigError) as e:
        hantu.trade.run(strategy=Scalper(), codes=["XYZ", "005930"], venue="moon", speed=0)
    msg = str(e.value)
    assert "venue" in msg and "codes" in msg and "speed" in msg
    with pytest.raises(hantu.ConfigError, match="HANTU_KIS_APP_KEY"):
        hantu.trade.run(strategy=Scalper(), codes=["005930"], venue="live", kis={"app_key": "", "account": ""})
    with pytest.raises(hantu.ConfigError, match="venue"):
        hantu.trade.run(strategy=Scalper(), codes=["005930"])
    with pytest.raises(hantu.ValidationError, match="on_bar"):
        hantu.trade.run(strategy=hantu.Strategy(), codes=["005930"], venue="sandbox", max_events=1)


def test_paper_fills_in_process_against_the_local_market(tmp_path):
    s = hantu.trade.run(
        strategy=Scalper(), codes=["005930"], venue="paper", market="local", until="10:03",
        start_at="2025-07-25 10:00", speed=60, trades_per_sec=1.0,
    )
    assert s.venue == "paper" and set(s.fills["side"]) >= {"buy"}
    assert s.server["orders"] == 0, "paper orders never reach the server"


STRATEGY_FILE = '''
import hantu

class OneShot(hantu.Strategy):
    def __init__(self, qty=1):
        self.qty = int(qty)

    def on_tick(self, ctx, tick):
        if ctx.qty(tick.code) == 0 and not ctx.has_open_order(tick.code):
            ctx.buy(tick.code, self.qty)

    def on_bar(self, ctx, bar):
        pass
'''


def cli(tmp_path, *extra):
    path = tmp_path / "one_shot.py"
    path.write_text(STRATEGY_FILE)
    return [
        sys.executable, "-m", "hantu", "trade", "start", "--sandbox", "--strategy", f"{path}:OneShot",
        "--param", "qty=3", "--codes", "005930", "--speed", "60", "--trades-per-sec", "1",
        "--store", str(tmp_path / "cli.db"), "--json", *extra,
    ]  # fmt: skip


def test_python_m_hantu_trade_start_runs_a_strategy_file(tmp_path):
    out = subprocess.run(cli(tmp_path, "--until", "10:02"), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["venue"] == "sandbox" and s["reason"] == "until"
    assert [f["qty"] for f in s["fills"]] == [3]
    orders, fills = journal(tmp_path / "cli.db")
    assert len(fills) == 1 and fills[0][2] == 3


def test_sigint_stops_the_command_gracefully(tmp_path):
    p = subprocess.Popen(cli(tmp_path, "--duration", "60"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "trader starting" in p.stderr.readline()
        threading.Event().wait(2.0)
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, stderr
    s = json.loads(stdout)
    assert s["interrupted"] and s["reason"] == "interrupted"


def test_a_strategy_file_that_raises_exits_1_with_the_traceback(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import hantu\nclass Bad(hantu.Strategy):\n    def on_tick(self, ctx, tick):\n        raise KeyError('boom')\n")
    cmd = [sys.executable, "-m", "hantu", "trade", "start", "--strategy", f"{path}:Bad", "--codes", "005930",
           "--speed", "60", "--until", "10:02", "--store", str(tmp_path / "b.db")]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "KeyError: 'boom'" in out.stderr and "bad.py" in out.stderr and "on_tick raised" in out.stderr
    bad = subprocess.run([*cmd[:6], "nope.py:X", *cmd[7:]], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "nope.py" in bad.stderr


def test_a_session_replays_with_the_same_python_strategy_on_paper(tmp_path):
    live = Scalper()
    s = hantu.trade.run(strategy=live, codes=["005930"], until="10:03", **FAST)
    replayed = Scalper()
    r = hantu.trade.run(s.ticks, replayed, store=str(tmp_path / "r.db"))
    assert r.venue == "replay" and replayed.ticks == len(s.ticks) == live.ticks
    assert set(r.fills["side"]) == {"buy", "sell"}
    _, fills = journal(tmp_path / "r.db")
    assert len(fills) == len(r.fills)


def test_a_hook_that_raises_in_a_replay_stops_it_with_a_strategy_error(tmp_path):
    ticks = [("005930", f"2025-07-25 10:00:{s:02d}", 65_500 + 100 * s, 1) for s in range(1, 6)]

    class Fails(Scalper):
        def on_tick(self, ctx, tick):
            super().on_tick(ctx, tick)
            if self.ticks == 3:
                raise RuntimeError("third print")

    with pytest.raises(hantu.StrategyError, match="on_tick raised RuntimeError: third print") as info:
        hantu.trade.run(ticks, Fails(), store=str(tmp_path / "f.db"))
    s = info.value.session
    assert s.reason == "strategy_error" and s.end == "shutdown"
    orders, _ = journal(tmp_path / "f.db")
    assert all(o[3] != "pending_new" for o in orders)


def test_a_second_trader_on_the_same_account_and_store_is_refused(tmp_path):
    db = str(tmp_path / "lock.db")
    started, stop = threading.Event(), threading.Event()
    box = {}
    first = threading.Thread(
        target=lambda: box.setdefault("s", hantu.trade.run(strategy=Announce(started), codes=["005930"], duration=60, stop=stop, store=db, **FAST))
    )
    first.start()
    try:
        assert started.wait(30)
        with pytest.raises(hantu.HantuError, match="another trader holds this account"):
            hantu.trade.run(strategy=Scalper(), codes=["005930"], max_events=1, store=db, **FAST)
    finally:
        stop.set()
        first.join(30)
    assert box["s"].reason == "stop_event"
    again = hantu.trade.run(strategy=Scalper(), codes=["005930"], max_events=1, store=db, **FAST)
    assert again.events == 1, "the lock ends with the session that held it"
