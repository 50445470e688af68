"""``hantu.kis``: the Korea Investment & Securities Open API from Python, blocking, and the
local KIS server for offline work.

Calls block on the adapter's own I/O runtime with the GIL released, so they work the same in
scripts and inside a running Jupyter kernel (no ``await``, no ``nest_asyncio``).

>>> with hantu.kis.LocalServer() as server:              # doctest: +SKIP
...     kis = server.client()
...     kis.quote("005930")["last"], kis.balance()["cash"]

For a real or paper account::

    kis = hantu.kis.Client(app_key, app_secret, "12345678-01", env="paper")

Errors: :class:`hantu.BrokerError` (refusals, outages, malformed replies),
:class:`hantu.RateLimitError` (back off), :class:`hantu.ConfigError` (bad key or account).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any, Dict, Iterable, Iterator, Optional, Sequence, Tuple, Union

import pandas as pd

from . import _hantu
from ._frames import bars_frame

__all__ = ["Client", "LocalServer", "Stream"]

_raw = _hantu.kis


def _date(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _kst(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col, unit="ms") + pd.Timedelta(hours=9)


_MONEY = {"cash", "buying_power", "total_equity", "avg_price"}


def _numbers(d: Dict[str, Any]) -> Dict[str, Any]:
    """Money travels as decimal strings; give Python numbers back."""
    out = {}
    for k, v in d.items():
        if k in _MONEY and isinstance(v, str):
            try:
                f = float(v)
                v = int(f) if f.is_integer() else f
            except ValueError:
                pass
        out[k] = v
    return out


def _records(text: str, time_cols=("ts",)) -> pd.DataFrame:
    df = pd.json_normalize([_numbers(r) for r in json.loads(text)])
    for c in time_cols:
        if c in df.columns:
            df[c] = _kst(df[c])
    return df


class Client:
    """A KIS account, blocking. ``env`` is ``"paper"`` (모의투자) or ``"real"``; ``url`` points at
    another host such as a :class:`LocalServer`; ``token_cache`` keeps the access token in a file
    (mode 0600) so a new session does not ask KIS for another one."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        account: str,
        env: str = "paper",
        url: Optional[str] = None,
        token_cache: Optional[Union[str, "os.PathLike[str]"]] = None,
    ):
        self._inner = _raw.Client(
            app_key, app_secret, account, env, url, None if token_cache is None else os.fspath(token_cache)
        )

    @classmethod
    def from_env(cls, env: Optional[str] = None, **kwargs: Any) -> "Client":
        """Reads ``KIS_APP_KEY``, ``KIS_APP_SECRET`` and ``KIS_ACCOUNT`` (and ``KIS_ENV``)."""
        try:
            key, secret, account = (os.environ[k] for k in ("KIS_APP_KEY", "KIS_APP_SECRET", "KIS_ACCOUNT"))
        except KeyError as e:
            raise _hantu.ConfigError(f"config: kis: environment variable {e.args[0]} is not set") from None
        return cls(key, secret, account, env or os.environ.get("KIS_ENV", "paper"), **kwargs)

    @classmethod
    def _wrap(cls, inner: Any) -> "Client":
        c = cls.__new__(cls)
        c._inner = inner
        return c

    def __repr__(self) -> str:
        return repr(self._inner)

    def buy(self, code: str, qty: int, price: Optional[int] = None) -> str:
        """Places a day order to buy ``qty`` shares of ``code``: at the market, or at ``price``
        won or better. Returns the KIS order number.

        This is a manual order sent straight to KIS (real money with ``env="real"``): it bypasses
        the engine's risk checks and order journal. KIS checks the tick grid, price band and cash.
        """
        return self._inner.buy(code, int(qty), None if price is None else int(price))

    def sell(self, code: str, qty: int, price: Optional[int] = None) -> str:
        """Places a day order to sell, like :meth:`buy`."""
        return self._inner.sell(code, int(qty), None if price is None else int(price))

    def quote(self, code: str) -> Dict[str, Any]:
        """The latest quote: last, bid, ask, their sizes, previous close, volume, ts (KST)."""
        q = _numbers(json.loads(self._inner.quote_json(code)))
        q["ts"] = _kst(pd.Series([q["ts"]])).iloc[0]
        return q

    def daily_bars(self, code: str, start: Any, end: Any) -> pd.DataFrame:
        """Daily bars of ``code`` from ``start`` to ``end`` inclusive, as a long bar DataFrame."""
        return bars_frame(self._inner.daily_bars(code, _date(start), _date(end)))

    def minute_bars(self, code: str) -> pd.DataFrame:
        """Today's one-minute bars of ``code`` so far (``date`` is the end of the KST minute, as
        everywhere in hantu)."""
        return bars_frame(self._inner.minute_bars(code))

    def balance(self) -> Dict[str, Any]:
        """Cash, buying power and total equity (won)."""
        return _numbers(json.loads(self._inner.balance_json()))

    def positions(self) -> pd.DataFrame:
        """Positions held: code, qty, sellable, avg_price, last_price."""
        return _records(self._inner.positions_json())

    def open_orders(self) -> pd.DataFrame:
        """Orders still working."""
        return _records(self._inner.open_orders_json())

    def orders_today(self) -> pd.DataFrame:
        """Every order of today."""
        return _records(self._inner.orders_today_json())

    def fills(self, since: Any = None) -> pd.DataFrame:
        """Fills since ``since`` (KST; default: today's start)."""
        start = pd.Timestamp(since) if since is not None else pd.Timestamp.now(tz="Asia/Seoul").normalize().tz_localize(None)
        ms = int((start - pd.Timedelta(hours=9)).value // 1_000_000)
        return _records(self._inner.fills_json(ms))

    def conditions(self, user: str) -> pd.DataFrame:
        """The condition searches saved in HTS (screen 0110, saved to the server) under the HTS id
        ``user``: ``seq``, ``group``, ``name``. Real accounts only (KIS offers no paper psearch)."""
        return pd.DataFrame(json.loads(self._inner.conditions_json(user)), columns=["seq", "group", "name"])

    def condition(self, user: str, seq: str) -> pd.DataFrame:
        """The stocks (at most 100) matching saved condition ``seq`` of ``user`` now: ``code``,
        ``name``, ``price``, ``volume``. No matches is an empty frame."""
        rows = json.loads(self._inner.condition_json(user, str(seq)))
        return pd.DataFrame(rows, columns=["code", "name", "price", "volume"])

    def cancel(self, broker_id: str) -> None:
        """Cancels the working order with KIS order number ``broker_id``."""
        self._inner.cancel(broker_id)


class LocalServer:
    """The local KIS server on 127.0.0.1: KIS's wire format, token and rate-limit rules, order
    validation and matching over a simulated market. Use it as a context manager, or call
    :meth:`stop`.

    Args:
        env: ``"paper"`` or ``"real"`` (which tr_ids and host rules to enforce).
        cash: won on deposit.
        stocks: ``None`` for five well-known stocks (005930, 000660, 035720, 247540, 293490),
            or a number of synthetic stocks (``000001``...).
        days: days of history of synthetic stocks.
        port: 0 for a free port.
        at: a KST time ``"YYYY-MM-DD HH:MM"`` to run at instead of the wall clock (the server
            enforces KRX sessions, so use e.g. ``"2025-07-25 10:00"`` to trade outside market
            hours); move it with :meth:`set_time`.
        app_key, app_secret: the app the server accepts (default: a test app).
        account: the account it serves, ``"12345678-01"``.
        hts_id: the HTS id order/fill notices are subscribed with.
        apps: more registered ``(app_key, app_secret)`` pairs for the same account.
        tape_seed: makes the market trade: each stock follows a path from this seed, at
            ``trades_per_sec`` trades per second of server time, streamed over WebSocket.
        trades_per_sec: trades per second per stock with ``tape_seed``.
    """

    def __init__(
        self,
        env: str = "paper",
        cash: int = 10_000_000,
        stocks: Optional[int] = None,
        days: int = 300,
        port: int = 0,
        at: Optional[str] = None,
        *,
        app_key: Optional[str] = None,
        app_secret: Optional[str] = None,
        account: Optional[str] = None,
        hts_id: Optional[str] = None,
        apps: Sequence[Tuple[str, str]] = (),
        tape_seed: Optional[int] = None,
        trades_per_sec: float = 5.0,
    ):
        self._inner = _raw.LocalServer(
            env,
            cash,
            stocks,
            days,
            port,
            at,
            app_key,
            app_secret,
            account,
            hts_id,
            [(str(k), str(v)) for k, v in apps],
            tape_seed,
            trades_per_sec,
        )

    url = property(lambda self: self._inner.url, doc="``http://127.0.0.1:<port>``.")
    ws_url = property(lambda self: self._inner.ws_url, doc="``ws://127.0.0.1:<port>``, the real-time side.")
    hts_id = property(lambda self: self._inner.hts_id, doc="The HTS id for order/fill notices.")
    app_key = property(lambda self: self._inner.app_key, doc="The app key it accepts.")
    account = property(lambda self: self._inner.account, doc="The account number it serves.")
    env = property(lambda self: self._inner.env, doc="``paper`` or ``real``.")
    running = property(lambda self: self._inner.running, doc="Whether it is running.")

    def client(self) -> Client:
        """A :class:`Client` connected to this server with its test credentials (and its clock)."""
        return Client._wrap(self._inner.client())

    def set_time(self, at: str) -> None:
        """Moves a server started with ``at`` to another KST time and matches resting orders."""
        self._inner.set_time(at)

    def stream(self, codes: Iterable[str] = (), **kwargs: Any) -> "Stream":
        """A :class:`Stream` of this server's real-time side with its test app (trades of
        ``codes``; other keyword arguments as for :class:`Stream`)."""
        return Stream(
            self._inner.app_key,
            self._inner.app_secret,
            env=self.env,
            codes=codes,
            url=self.url,
            ws_url=self.ws_url,
            hts_id=self.hts_id,
            **kwargs,
        )

    def cash(self) -> int:
        """Cash on deposit now (won)."""
        return self._inner.cash()

    def holding(self, code: str) -> int:
        """Shares held of ``code``."""
        return self._inner.holding(code)

    def price(self, code: str) -> Optional[int]:
        """Current price of ``code``."""
        return self._inner.price(code)

    def set_price(self, code: str, price: int) -> None:
        """Moves the price of ``code`` and matches resting orders against it."""
        self._inner.set_price(code, price)

    def stop(self) -> None:
        """Stops the server (idempotent)."""
        self._inner.stop()

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return repr(self._inner)


def _event(text: str) -> Dict[str, Any]:
    ev = json.loads(text)
    # Trades carry their print under "tick"; flatten it and give KST times.
    tick = ev.pop("tick", None)
    if isinstance(tick, dict):
        ev.update(tick)
    for key in ("ts", "from", "to"):
        if isinstance(ev.get(key), int):
            ev[key] = pd.Timestamp(ev[key], unit="ms") + pd.Timedelta(hours=9)
    return ev


class Stream:
    """KIS real-time events (WebSocket), as an iterator (or async iterator) of dicts, and the bars
    built from the trades it delivered.

    Each event is a dict with ``type``: ``trade`` (code, ts, price, qty, cum_volume), ``book``
    (code, ts, asks, bids, totals), ``notice`` (an order or fill of the account), ``gap`` (a stretch
    the feed recovered over REST: code, from, to, recovered), ``connected`` / ``disconnected``
    (reconnects happen by themselves), ``lagging`` (the reader is slow: book snapshots were
    dropped; trades never are), ``unsubscribed``, ``malformed``. Times are naive KST.

    The feed reconnects with backoff, re-subscribes and fills gaps over REST, so the trades seen
    have no holes and no duplicates; :meth:`bars` are the bars of exactly those trades, on KRX
    session edges (the same bars a backtest reads).

    >>> with hantu.kis.Stream(key, secret, codes=["005930"]) as s:   # doctest: +SKIP
    ...     for ev in s:
    ...         if ev["type"] == "trade":
    ...             print(ev["code"], ev["price"])

    Args:
        app_key, app_secret: the app's credentials (``env`` decides real or paper hosts).
        codes: stock codes to subscribe to trades of at once (more with :meth:`subscribe`).
        book: also subscribe to the 10-level book of ``codes``.
        url, ws_url: REST and WebSocket hosts instead of KIS's (e.g. a :class:`LocalServer`).
        hts_id: the account's HTS id, for order and fill notices (``subscribe(channel="notices")``).
        bar_minutes: length of the bars :meth:`bars` builds.
        timeout: seconds iteration waits for an event before ending (``None``: forever).
    """

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        env: str = "paper",
        codes: Iterable[str] = (),
        book: bool = False,
        url: Optional[str] = None,
        ws_url: Optional[str] = None,
        hts_id: Optional[str] = None,
        bar_minutes: int = 1,
        timeout: Optional[float] = None,
        capacity: int = 8192,
    ):
        self._inner = _raw.Stream(app_key, app_secret, env, url, ws_url, hts_id, int(bar_minutes), int(capacity))
        self.timeout = timeout
        for code in codes:
            self.subscribe(code)
            if book:
                self.subscribe(code, channel="book", priority=1)

    def subscribe(self, code: Optional[str] = None, channel: str = "trades", priority: int = 5) -> None:
        """Registers ``channel`` (``"trades"``, ``"book"``, ``"notices"``) of ``code``. KIS allows 41
        registrations; past that the lowest ``priority`` is refused (``hantu.ConfigError``) or
        displaced (an ``unsubscribed`` event)."""
        self._inner.subscribe(code, channel, int(priority))

    def unsubscribe(self, code: Optional[str] = None, channel: str = "trades") -> None:
        """Removes a registration."""
        self._inner.unsubscribe(code, channel)

    def next(self, timeout: Optional[float] = None) -> Optional[Dict[str, Any]]:
        """The next event, or ``None`` after ``timeout`` seconds (or when the stream ended)."""
        text = self._inner.next_json(timeout)
        return None if text is None else _event(text)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return self

    def __next__(self) -> Dict[str, Any]:
        ev = self.next(self.timeout)
        if ev is None:
            raise StopIteration
        return ev

    def __aiter__(self) -> "Stream":
        return self

    async def __anext__(self) -> Dict[str, Any]:
        ev = await asyncio.to_thread(self.next, self.timeout)
        if ev is None:
            raise StopAsyncIteration
        return ev

    def bars(self, partial: bool = False) -> pd.DataFrame:
        """Bars of the trades delivered so far (``date`` is the bar's end, KST); ``partial`` adds
        the bars still being filled."""
        return bars_frame(self._inner.bars(partial))

    def stats(self) -> Dict[str, int]:
        """Reconnects, gaps, recovered trades, unrecovered shares, dropped books, duplicates, malformed frames."""
        return json.loads(self._inner.stats_json())

    def close(self) -> None:
        """Closes the connection (idempotent)."""
        self._inner.close()

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._inner)
