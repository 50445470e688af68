"""``python -m hantu trade start``: the trader with a Python strategy, from a shell.

The ``hantu`` binary is Rust and embeds no interpreter, so a strategy written in Python runs here,
through the same trader (:func:`hantu.trade.run`)::

    python -m hantu trade start --sandbox --strategy my_strategy.py:Scalper --codes 005930 --speed 60
    python -m hantu trade start --paper --strategy sma-cross --param fast=5 --codes 005930,000660
    python -m hantu trade start --live --strategy my_strategy.py:Scalper --param size=10 --codes 005930

``--strategy`` is a built-in name or ``path/to/file.py:ClassName`` (a :class:`hantu.Strategy`
subclass, constructed with the ``--param`` values as keyword arguments). Paper and live read
``HANTU_KIS_*`` like the ``hantu`` binary; the journal is ``--store`` (default ``HANTU_DATA_DB`` or
``hantu.db``), so ``hantu trade status|pause|resume|stop`` act on this session too. Ctrl-C or
SIGTERM stop it gracefully (exit 0). Exit codes: 0 done, 1 the strategy raised (traceback
printed), 2 bad settings or an unreachable market.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import signal
import sys
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from . import _hantu
from .strategy import Strategy
from .trade import Session, StrategyError, run

__all__ = ["main", "load_strategy"]


def _value(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _params(items: Sequence[str]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _hantu.ConfigError(f"--param {item!r}: expected KEY=VALUE")
        out[key.strip()] = _value(value.strip())
    return out


def load_strategy(spec: str, params: Dict[str, Any]) -> Strategy:
    """``path/to/file.py:ClassName`` constructed with ``params`` as keyword arguments."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path.endswith(".py"):
        raise _hantu.ConfigError(f"--strategy {spec!r}: expected a built-in name or path/to/file.py:ClassName")
    file = Path(path)
    if not file.is_file():
        raise _hantu.ConfigError(f"--strategy {spec!r}: no file {file}")
    module_spec = importlib.util.spec_from_file_location(f"hantu_user_strategy_{file.stem}", file)
    if module_spec is None or module_spec.loader is None:
        raise _hantu.ConfigError(f"--strategy {spec!r}: cannot load {file}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    cls = getattr(module, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise _hantu.ConfigError(f"--strategy {spec!r}: {name} is not a hantu.Strategy subclass in {file}")
    return cls(**params)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hantu", description="hantu from Python (strategies written in Python)")
    sub = p.add_subparsers(dest="group", required=True)
    trade = sub.add_parser("trade", help="the trader").add_subparsers(dest="command", required=True)
    s = trade.add_parser("start", help="trade in the foreground until the close, a bound, Ctrl-C or `hantu trade stop`")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="the local KIS server in process (default)")
    where.add_argument("--paper", action="store_true", help="KIS prices, fills simulated in process")
    where.add_argument("--live", action="store_true", help="orders to KIS")
    s.add_argument("--strategy", help="built-in name, or path/to/file.py:ClassName (a hantu.Strategy subclass)")
    s.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="strategy parameter (repeatable)")
    s.add_argument("--codes", action="append", default=[], help="codes to watch and trade (comma-separated or repeated)")
    s.add_argument("--market", choices=("kis", "local"), help="paper: where prices come from")
    s.add_argument("--cash", type=int, help="paper cash / sandbox deposit in won (default 10,000,000)")
    s.add_argument("--stop-pct", type=float, help="default stop-loss below the entry, e.g. 0.05")
    s.add_argument("--target-pct", type=float, help="default take-profit above the entry, e.g. 0.10")
    s.add_argument("--trailing-pct", type=float, help="trailing stop below the high since entry")
    s.add_argument("--max-hold-minutes", type=int, help="sell a holding this many minutes after its entry")
    s.add_argument("--start-at", help="clock start, KST YYYY-MM-DDTHH:MM[:SS] (sandbox default 10:00 of the last trading day)")
    s.add_argument("--speed", type=float, default=1.0, help="sandbox clock speed (60: a market minute per second)")
    s.add_argument("--until", help="stop at this KST time, HH:MM[:SS] of the session's day")
    s.add_argument("--duration", type=float, help="stop after this many seconds")
    s.add_argument("--max-events", type=int, help="stop after this many trade prints")
    s.add_argument("--keep-running", action="store_true", help="keep running after the close")
    s.add_argument("--seed", type=int, default=1, help="sandbox tape seed")
    s.add_argument("--trades-per-sec", type=float, default=2.0, help="sandbox trades per second per stock")
    s.add_argument("--store", help="SQLite journal (default HANTU_DATA_DB or hantu.db)")
    s.add_argument("--json", action="store_true", help="print the session as JSON")
    return p


def _summary(s: Session) -> Dict[str, Any]:
    return {
        "venue": s.venue,
        "end": s.end,
        "reason": s.reason,
        "interrupted": s.interrupted,
        "events": s.events,
        "bars": len(s.bars),
        "orders": json.loads(s.orders.to_json(orient="records")) if len(s.orders) else [],
        "fills": json.loads(s.fills.to_json(orient="records")) if len(s.fills) else [],
        "positions": json.loads(s.positions.to_json(orient="records")) if len(s.positions) else [],
        "cash": s.cash,
        "equity": s.equity,
        "report": s.report,
        "server": s.server,
    }


def _start(args: argparse.Namespace) -> int:
    import os

    params = _params(args.param)
    strategy: Any = args.strategy
    if strategy is not None and ":" in strategy and strategy.rsplit(":", 1)[0].endswith(".py"):
        strategy, params = load_strategy(strategy, params), {}
    if strategy is None:
        raise _hantu.ConfigError("--strategy: give a built-in name or path/to/file.py:ClassName")
    codes: List[str] = [c.strip() for item in args.codes for c in item.split(",") if c.strip()]
    venue = "live" if args.live else "paper" if args.paper else "sandbox"
    store = args.store or os.environ.get("HANTU_DATA_DB") or "hantu.db"
    print(f"trader starting: {venue}, {len(codes)} codes, journal {store}", file=sys.stderr, flush=True)
    session = run(
        strategy=strategy,
        params=params or None,
        venue=venue,
        codes=codes,
        market=args.market,
        cash=args.cash,
        stop_pct=args.stop_pct,
        target_pct=args.target_pct,
        trailing_pct=args.trailing_pct,
        max_hold_minutes=args.max_hold_minutes,
        start_at=args.start_at,
        speed=args.speed,
        until=args.until,
        duration=args.duration,
        max_events=args.max_events,
        keep_running=args.keep_running,
        seed=args.seed,
        trades_per_sec=args.trades_per_sec,
        store=store,
    )
    out = _summary(session)
    if args.json:
        print(json.dumps(out, default=str))
    else:
        print(f"trader ended: {session.end} ({session.reason or 'on its own'}), {session.events} prints, {len(session.bars)} bars")
        print(f"orders {len(out['orders'])}, fills {len(out['fills'])}, cash {session.cash:,.0f}, equity {session.equity:,.0f}")
    return 0


def _sigterm(signum: int, frame: Any) -> None:
    # SIGTERM stops the session as Ctrl-C does: the trader finishes and the session is printed.
    raise KeyboardInterrupt


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line; returns the exit code."""
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        return _start(args)
    except StrategyError as e:
        cause = e.__cause__ or e
        traceback.print_exception(type(cause), cause, cause.__traceback__, file=sys.stderr)
        print(f"error: {e}", file=sys.stderr)
        return 1
    except _hantu.HantuError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
