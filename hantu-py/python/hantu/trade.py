"""``hantu.trade``: the trader (the one ``hantu trade start`` runs) over recorded or scripted prints.

Replays prints through the live trading loop on paper — the same strategies, price monitor (stop,
target, trailing, time stop), session gates, control flag, journal and day report — on a simulated
clock, with fills from the paper venue. Live and sandbox sessions run from the CLI
(``hantu trade start``); this is for notebooks and tests.

>>> ticks = [("005930", "2025-07-25 10:00:01", 65_500, 10), ("005930", "2025-07-25 10:00:02", 62_900, 5)]
>>> pick = {"code": "005930", "entry_low": 65_000, "entry_high": 66_000, "stop": 63_000, "target": 70_000, "qty": 10}
>>> s = hantu.trade.run(ticks, picks=[pick])                                     # doctest: +SKIP
>>> s.report["pnl"], s.fills                                                      # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import pandas as pd

from . import _hantu
from .store import Store

__all__ = ["Session", "run"]


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


def run(
    ticks: Union[pd.DataFrame, Iterable[Sequence[Any]]],
    strategy: Optional[str] = None,
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
    store: Union[None, str, Store] = None,
) -> Session:
    """Runs the trader over ``ticks`` on paper.

    ``ticks``: rows ``(code, ts, price, qty)`` (or a DataFrame with those columns); ``ts`` is KST
    (naive datetime or string) or UTC milliseconds. Trade a built-in ``strategy`` with ``params``, or
    ``picks`` (dicts with ``code, entry_low, entry_high, stop, target, qty``). Default exits apply to
    holdings without a pick's levels. ``control``: ``(ts, state)`` operator actions
    (``paused``, ``running``, ``stop``, ``stop_flatten``), as ``hantu trade pause`` etc. would set them.
    ``store``: a path or :class:`hantu.Store` path to journal to (default: memory).
    """
    config = {
        "strategy": strategy,
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
    path = store._path if isinstance(store, Store) else store
    if path == ":memory:":
        path = None
    out = json.loads(_hantu.trade_replay(_rows(ticks), json.dumps(config), path))
    orders = pd.json_normalize(out["orders"]) if out["orders"] else pd.DataFrame()
    fills = pd.DataFrame(out["fills"])
    return Session(
        end=out["end"],
        report=out["report"],
        orders=orders,
        fills=fills,
        cash=float(out["cash"]),
        equity=float(out["equity"]),
        positions=pd.DataFrame(out["positions"]),
        gated=int(out["gated"]),
        control=out["control"],
    )
