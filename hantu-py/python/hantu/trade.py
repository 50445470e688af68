"""``hantu.trade``: the trader (the one ``hantu trade start`` runs) from Python.

Two ways in, one trading loop — the same strategies (built-ins, picks, and your
:class:`hantu.Strategy` subclasses, the objects a backtest runs), price monitor (stop, target,
trailing, time stop), session gates, control flag, journal, reconcile and day report:

- **a market**: ``venue="sandbox"`` (the local KIS server in process, its market trading a seeded
  tape, on a clock that may run faster than the wall clock), ``"paper"`` (KIS prices, or the local
  server's with ``market="local"``, fills simulated in process) or ``"live"`` (orders to KIS).
- **a replay**: recorded or scripted prints on a simulated clock, fills from the paper venue.

>>> class Scalper(hantu.Strategy):
...     def on_tick(self, ctx, tick):
...         if ctx.qty(tick.code) == 0 and not ctx.has_open_order(tick.code):
...             ctx.buy(tick.code, 1)
...     def on_bar(self, ctx, bar):
...         if ctx.qty(bar.code) > 0 and not ctx.has_open_order(bar.code):
...             ctx.sell(bar.code, ctx.qty(bar.code))
>>> s = hantu.trade.run(strategy=Scalper(), codes=["005930"], venue="sandbox",
...                     speed=60, until="10:05")                                 # doctest: +SKIP
>>> s.fills, s.report["pnl"], s.bars                                              # doctest: +SKIP

>>> ticks = [("005930", "2025-07-25 10:00:01", 65_500, 10), ("005930", "2025-07-25 10:00:02", 62_900, 5)]
>>> pick = {"code": "005930", "entry_low": 65_000, "entry_high": 66_000, "stop": 63_000, "target": 70_000, "qty": 10}
>>> s = hantu.trade.run(ticks, picks=[pick])                                     # doctest: +SKIP

From a shell: ``python -m hantu trade start --sandbox --strategy my_strategy.py:Scalper
--codes 005930`` (see :mod:`hantu.__main__`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import pandas as pd

from . import _hantu
from ._frames import bars_frame
from .store import Store
from .strategy import HOOKS, Strategy

__all__ = ["Session", "StrategyError", "VENUES", "run"]

#: The markets :func:`run` trades in.
VENUES = ("sandbox", "paper", "live")


class StrategyError(_hantu.HantuError):
    """A strategy's hook raised during a trader session.

    The trader stopped as on SIGTERM (no new orders, the request in flight finished, a last
    reconcile with the broker, positions and status persisted), so the journal is consistent. The
    hook's exception is ``__cause__`` (with its traceback); ``hook`` names the hook and ``session``
    is the :class:`Session` up to the failure.
    """

    def __init__(self, message: str, hook: str, session: "Session"):
        super().__init__(message)
        self.hook = hook
        self.session = session


@dataclass
class Session:
    """What a replayed session did."""

    #: Why it ended: ``feed_ended``, ``stopped`` (the control flag) …
    end: str
    #: The day report: fills with slippage, commission, tax, P&L.
    report: Dict[str, Any]
    #: Orders (finished, then working) with their states.
    orders: pd.DataFrame
    #: Fills.
    fills: pd.DataFrame
    #: Cash at the end (won).
    cash: float
    #: Cash plus holdings at their last prices.
    equity: float
    #: Holdings at the end.
    positions: pd.DataFrame
    #: Orders the session gate or a pause held back.
    gated: int
    #: The control state acted on at the end.
    control: str
    #: ``replay``, ``sandbox``, ``paper`` or ``live``.
    venue: str = "replay"
    #: What ended a market session besides the trader itself: ``until``, ``duration``,
    #: ``max_events``, ``interrupted`` (Ctrl-C / KeyboardInterrupt), ``stop_event``,
    #: ``strategy_error``; ``None`` when the trader ended on its own (``end``).
    reason: Optional[str] = None
    #: Whether Ctrl-C (KeyboardInterrupt) ended the session.
    interrupted: bool = False
    #: Trade prints the trader acted on.
    events: int = 0
    #: The one-minute bars the strategy's ``on_bar`` was given, in order (``date`` is the end of
    #: the KST minute) — run :func:`hantu.backtest` on them for a parity check.
    bars: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The prints the trader acted on: code, ts (KST), price, qty.
    ticks: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The start-up reconcile of the journal with the broker.
    restore: Dict[str, Any] = field(default_factory=dict)
    #: Sandbox only: the local server's view at the end (fills, filled_qty, orders, cash, holdings).
    server: Optional[Dict[str, Any]] = None


def _ms(ts: Any) -> int:
    """A KST time (naive datetime or string) or UTC milliseconds (int) as UTC milliseconds."""
    if isinstance(ts, (int,)) and not isinstance(ts, bool):
        return int(ts)
    t = pd.Timestamp(ts)
    if t.tzinfo is None:
        t = t.tz_localize("Asia/Seoul")
    return int(t.tz_convert("UTC").value // 1_000_000)


def _rows(ticks: Union[pd.DataFrame, Iterable[Sequence[Any]]]) -> List[Tuple[str, int, int, int]]:
    it: Iterable[Sequence[Any]]
    if isinstance(ticks, pd.DataFrame):
        it = ticks[["code", "ts", "price", "qty"]].itertuples(index=False, name=None)
    else:
        it = ticks
    return [(str(c), _ms(t), int(p), int(q)) for c, t, p, q in it]


def _replay(
    ticks: Union[pd.DataFrame, Iterable[Sequence[Any]]],
    strategy: Union[None, str, Strategy] = None,
    params: Optional[Mapping[str, float]] = None,
    *,
    picks: Optional[Sequence[Mapping[str, Any]]] = None,
    max_entries: int = 1,
    cash: int = 10_000_000,
    commission_rate: Optional[float] = None,
    stop_pct: Optional[float] = None,
    target_pct: Optional[float] = None,
    trailing_pct: Optional[float] = None,
    max_hold_minutes: Optional[int] = None,
    control: Optional[Sequence[Tuple[Any, str]]] = None,
    store: Union[None, str, "os.PathLike[str]", Store] = None,
) -> Session:
    """Runs the trader over ``ticks`` on paper (see :func:`run`).

    ``ticks``: rows ``(code, ts, price, qty)`` (or a DataFrame with those columns); ``ts`` is KST
    (naive datetime or string) or UTC milliseconds. Trade a built-in ``strategy`` with ``params``, or
    ``picks`` (dicts with ``code, entry_low, entry_high, stop, target, qty``). Default exits apply to
    holdings without a pick's levels. ``control``: ``(ts, state)`` operator actions
    (``paused``, ``running``, ``stop``, ``stop_flatten``), as ``hantu trade pause`` etc. would set them.
    ``store``: a path or :class:`hantu.Store` path to journal to (default: memory).
    """
    hooks = _trade_hooks(strategy) if isinstance(strategy, Strategy) else None
    config = {
        "strategy": None if hooks is not None else strategy,
        "params": dict(params or {}),
        "picks": list(picks or []),
        "max_entries": max_entries,
        "cash": cash,
        "commission_rate": None if commission_rate is None else str(commission_rate),
        "exits": {
            "stop_pct": stop_pct,
            "target_pct": target_pct,
            "trailing_pct": trailing_pct,
            "max_hold_minutes": max_hold_minutes,
        },
        "control": [(_ms(t), s) for t, s in (control or [])],
    }
    text, error = _hantu.trade_replay(_rows(ticks), json.dumps(config), _store_path(store), hooks)
    out = json.loads(text)
    orders = pd.json_normalize(out["orders"]) if out["orders"] else pd.DataFrame()
    fills = pd.DataFrame(out["fills"])
    session = Session(
        end=out["end"],
        report=out["report"],
        orders=orders,
        fills=fills,
        cash=float(out["cash"]),
        equity=float(out["equity"]),
        positions=pd.DataFrame(out["positions"]),
        gated=int(out["gated"]),
        control=out["control"],
        reason="strategy_error" if error is not None else None,
    )
    if error is not None:
        _raise_strategy_error(error, session)
    return session


def _store_path(store: Union[None, str, "os.PathLike[str]", Store]) -> Optional[str]:
    path = store._path if isinstance(store, Store) else store
    if path is None or path == ":memory:":
        return None
    return os.fspath(path)


def _trade_hooks(strategy: Strategy) -> Dict[str, Any]:
    """The hooks ``strategy`` overrides (``None`` for the base class's no-ops, which are never called)."""
    cls = type(strategy)
    overrides = lambda name: getattr(cls, name, None) is not getattr(Strategy, name)  # noqa: E731
    if not overrides("on_bar") and not overrides("on_tick"):
        raise _hantu.ValidationError(f"{cls.__name__} must override on_bar(self, ctx, bar) or on_tick(self, ctx, tick)")
    hooks: Dict[str, Any] = {
        "name": strategy.name or cls.__name__,
        "on_bar": strategy.on_bar if overrides("on_bar") else (lambda ctx, bar: None),
        "on_tick": strategy.on_tick if overrides("on_tick") else None,
    }
    for name in HOOKS:
        hooks[name] = getattr(strategy, name) if overrides(name) else None
    return hooks


def _kis_settings(kis: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """KIS connection settings: ``kis`` over the environment the CLI reads (``HANTU_KIS_*``)."""
    env = {
        "env": "HANTU_KIS_ENV",
        "app_key": "HANTU_KIS_APP_KEY",
        "app_secret": "HANTU_KIS_APP_SECRET",
        "account": "HANTU_KIS_ACCOUNT",
        "url": "HANTU_KIS_REST_URL",
        "ws_url": "HANTU_KIS_WS_URL",
        "hts_id": "HANTU_KIS_HTS_ID",
    }
    out: Dict[str, Any] = {k: os.environ.get(v) or None for k, v in env.items()}
    for k, v in (kis or {}).items():
        if k not in env and k != "token_cache":
            raise _hantu.ConfigError(f"config: kis.{k}: unknown key (known: {', '.join([*env, 'token_cache'])})")
        out[k] = None if v is None else (os.fspath(v) if k == "token_cache" else str(v))
    return out


def _kst_time(value: Any) -> Optional[str]:
    """``"HH:MM[:SS]"`` or a ``datetime.time`` as ``HH:MM:SS``; ``None`` for anything else."""
    if isinstance(value, _dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, str) and len(value) <= 8 and value.count(":") in (1, 2):
        parts = [int(p) for p in value.split(":")] + [0]
        return _dt.time(parts[0], parts[1], parts[2]).strftime("%H:%M:%S")
    return None


def _frame(records: List[Dict[str, Any]]) -> pd.DataFrame:
    return pd.json_normalize(records) if records else pd.DataFrame()


def _market(
    strategy: Union[None, str, Strategy],
    params: Optional[Mapping[str, float]],
    venue: str,
    codes: Optional[Iterable[str]],
    picks: Optional[Sequence[Mapping[str, Any]]],
    max_entries: int,
    cash: Optional[int],
    commission_rate: Optional[float],
    exits: Dict[str, Any],
    risk: Optional[Mapping[str, Any]],
    store: Union[None, str, "os.PathLike[str]", Store],
    market: Optional[str],
    start_at: Any,
    speed: float,
    until: Any,
    duration: Optional[float],
    max_events: Optional[int],
    keep_running: bool,
    kis: Optional[Mapping[str, Any]],
    seed: int,
    trades_per_sec: float,
    stop: Any,
) -> Session:
    hooks = None
    name = None
    if isinstance(strategy, Strategy):
        hooks = _trade_hooks(strategy)
    elif isinstance(strategy, str):
        name = strategy
    elif strategy is not None:
        raise _hantu.ValidationError(
            f"strategy must be a built-in name or a hantu.Strategy instance, not {type(strategy).__name__}"
        )
    until_time = _kst_time(until)
    config = {
        "venue": venue,
        "market": market,
        "codes": [str(c) for c in (codes or [])],
        "strategy": name,
        "params": dict(params or {}),
        "picks": list(picks or []),
        "max_entries": max_entries,
        "cash": cash,
        "commission_rate": None if commission_rate is None else str(commission_rate),
        "exits": exits,
        "risk": {k: (None if v is None else (str(v) if isinstance(v, float) else v)) for k, v in (risk or {}).items()},
        "start_at": None if start_at is None else _ms(start_at),
        "speed": float(speed),
        "until": None if until is None or until_time is not None else _ms(until),
        "until_time": until_time,
        "duration": None if duration is None else float(duration),
        "max_events": None if max_events is None else int(max_events),
        "keep_running": bool(keep_running),
        "kis": _kis_settings(kis) if venue != "sandbox" else {},
        "sandbox": {"seed": int(seed), "trades_per_sec": float(trades_per_sec)},
    }
    text, bars, ticks, error = _hantu.trade_live(json.dumps(config), hooks, _store_path(store), stop)
    out = json.loads(text)
    interrupted = out["reason"] == "interrupted"
    if error is not None and isinstance(error[1], KeyboardInterrupt):
        interrupted, error = True, None
    tick_frame = pd.DataFrame(ticks, columns=["code", "ts", "price", "qty"])
    tick_frame["ts"] = pd.to_datetime(tick_frame["ts"], unit="ms") + pd.Timedelta(hours=9)
    session = Session(
        end=out["end"],
        report=out["report"],
        orders=_frame(out["orders"]),
        fills=pd.DataFrame(out["fills"]),
        cash=float(out["cash"]),
        equity=float(out["equity"]),
        positions=pd.DataFrame(out["positions"]),
        gated=int(out["gated"]),
        control=out["control"],
        venue=out["venue"],
        reason="interrupted" if interrupted else ("strategy_error" if error is not None else out["reason"]),
        interrupted=interrupted,
        events=int(out["events"]),
        bars=bars_frame(bars),
        ticks=tick_frame,
        restore=out["restore"] or {},
        server=out["server"],
    )
    if error is not None:
        _raise_strategy_error(error, session)
    return session


_FINAL = ("filled", "cancelled", "rejected", "expired")


def _raise_strategy_error(error: Tuple[str, BaseException], session: Session) -> None:
    hook, exc = error
    working = len(session.orders[~session.orders["status"].isin(_FINAL)]) if len(session.orders) else 0
    raise StrategyError(
        f"{hook} raised {type(exc).__name__}: {exc} — the trader stopped "
        f"({len(session.orders)} orders journaled, {working} still working at the broker, reconciled)",
        hook,
        session,
    ) from exc


def run(
    ticks: Union[None, pd.DataFrame, Iterable[Sequence[Any]]] = None,
    strategy: Union[None, str, Strategy] = None,
    params: Optional[Mapping[str, float]] = None,
    *,
    venue: Optional[str] = None,
    codes: Optional[Iterable[str]] = None,
    picks: Optional[Sequence[Mapping[str, Any]]] = None,
    max_entries: int = 1,
    cash: Optional[int] = None,
    commission_rate: Optional[float] = None,
    stop_pct: Optional[float] = None,
    target_pct: Optional[float] = None,
    trailing_pct: Optional[float] = None,
    max_hold_minutes: Optional[int] = None,
    risk: Optional[Mapping[str, Any]] = None,
    control: Optional[Sequence[Tuple[Any, str]]] = None,
    store: Union[None, str, "os.PathLike[str]", Store] = None,
    market: Optional[str] = None,
    start_at: Any = None,
    speed: float = 1.0,
    until: Any = None,
    duration: Optional[float] = None,
    max_events: Optional[int] = None,
    keep_running: bool = False,
    kis: Optional[Mapping[str, Any]] = None,
    seed: int = 1,
    trades_per_sec: float = 2.0,
    stop: Any = None,
) -> Session:
    """Runs the trader: in a market (``venue=``) or over recorded ``ticks``.

    **Strategy**: a built-in name (``"sma-cross"``, ``"rsi-reversion"``, ``"grid"``) with ``params``,
    an instance of a :class:`hantu.Strategy` subclass (its ``on_tick``, ``on_bar``, ``on_fill``,
    ``on_order_update``… are called as in a backtest; ``on_tick`` for every print), or ``picks``
    (dicts with ``code, entry_low, entry_high, stop, target, qty``; ``max_entries`` per pick). Every
    order passes the risk limits (``risk``: ``max_position_weight``, ``max_open_positions``,
    ``max_order_notional``, ``daily_loss_limit``…) and is journaled before it reaches the broker.
    Default exits (``stop_pct``, ``target_pct``, ``trailing_pct``, ``max_hold_minutes``) apply to
    holdings without a pick's levels.

    **Market** (``venue``):

    - ``"sandbox"``: the local KIS server in process over 127.0.0.1 (REST and WebSocket), its five
      stocks (005930, 000660, 035720, 247540, 293490) trading a tape from ``seed`` at
      ``trades_per_sec`` per stock; ``cash`` won on deposit (default 10,000,000). Its clock starts at
      ``start_at`` (KST; default 10:00 of the latest trading day) and runs ``speed`` times the wall
      clock (``speed=60``: a market minute per second).
    - ``"paper"``: KIS prices (``market="local"``: the local server's), fills simulated in process by
      the backtest venue's rules with ``cash`` won.
    - ``"live"``: orders to KIS. Paper and live read ``HANTU_KIS_APP_KEY``, ``HANTU_KIS_APP_SECRET``,
      ``HANTU_KIS_ACCOUNT``, ``HANTU_KIS_ENV`` (``paper``/``real``), ``HANTU_KIS_REST_URL``,
      ``HANTU_KIS_WS_URL``, ``HANTU_KIS_HTS_ID`` like the CLI; ``kis={...}`` overrides them (keys
      ``env, app_key, app_secret, account, url, ws_url, hts_id, token_cache``).

    The session ends at the close (``keep_running=False``), at ``until`` (a KST time ``"HH:MM"`` of
    the session's day, or a KST datetime), after ``duration`` wall-clock seconds or ``max_events``
    prints, when ``stop`` (a :class:`threading.Event`) is set, on Ctrl-C (``KeyboardInterrupt``:
    the session is returned with ``interrupted=True``), or by ``hantu trade stop``. Each ends it as
    SIGTERM ends the CLI: no new orders, the request in flight finished, a last reconcile, positions
    and status persisted. The GIL is released while the trader waits, so other threads run.

    ``store``: a SQLite path or :class:`hantu.Store` to journal to (default: memory).

    **Replay** (``ticks`` given, no ``venue``): rows ``(code, ts, price, qty)`` (or a DataFrame with
    those columns; ``ts`` KST or UTC milliseconds — e.g. a market session's ``ticks``) on a
    simulated clock with paper fills (``cash`` default 10,000,000); ``control``: ``(ts, state)`` operator actions
    (``paused``, ``running``, ``stop``, ``stop_flatten``).

    Raises:
        StrategyError: a hook raised; the original exception is its ``__cause__`` and the session
            so far its ``session``.
        ConfigError: bad settings (every problem listed, each naming its key).
        BrokerError: the market could not be reached.
    """
    exits = {
        "stop_pct": stop_pct,
        "target_pct": target_pct,
        "trailing_pct": trailing_pct,
        "max_hold_minutes": max_hold_minutes,
    }
    if ticks is not None:
        if venue not in (None, "replay"):
            raise _hantu.ConfigError("config: venue: a replay (ticks given) runs on paper; drop venue= or ticks")
        return _replay(
            ticks,
            strategy,
            params,
            picks=picks,
            max_entries=max_entries,
            cash=10_000_000 if cash is None else cash,
            commission_rate=commission_rate,
            stop_pct=stop_pct,
            target_pct=target_pct,
            trailing_pct=trailing_pct,
            max_hold_minutes=max_hold_minutes,
            control=control,
            store=store,
        )
    if venue is None:
        raise _hantu.ConfigError(f"config: venue: give ticks= to replay, or venue= one of {', '.join(VENUES)}")
    if control:
        raise _hantu.ConfigError("config: control: scripted operator actions are for replays; use hantu trade pause/stop")
    return _market(
        strategy, params, venue, codes, picks, max_entries, cash, commission_rate, exits, risk, store,
        market, start_at, speed, until, duration, max_events, keep_running, kis, seed, trades_per_sec, stop,
    )  # fmt: skip
