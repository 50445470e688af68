"""``hantu.Store``: the SQLite database the CLI and services write, read as DataFrames.

>>> store = hantu.Store("hantu.db")                       # doctest: +SKIP
>>> store.bars(["005930"], start="2024-01-01")            # doctest: +SKIP
>>> store.watchlist(), store.open_orders(), store.runs()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, Iterable, List, Optional, Union

import pandas as pd

from . import _hantu
from ._backtest import _instruments
from ._frames import bars_frame, to_bardata

__all__ = ["Store"]


def _date(value: Any) -> Optional[str]:
    return None if value is None else pd.Timestamp(value).strftime("%Y-%m-%d")


def _ms_to_kst(col: pd.Series) -> pd.Series:
    """UTC milliseconds as naive KST datetimes (how every hantu frame shows time)."""
    return pd.to_datetime(col, unit="ms") + pd.Timedelta(hours=9)


def _money(frame: pd.DataFrame, cols: Iterable[str]) -> pd.DataFrame:
    for c in cols:
        if c in frame.columns:
            frame[c] = pd.to_numeric(frame[c])
    return frame


def _orders(text: str) -> pd.DataFrame:
    df = pd.json_normalize(json.loads(text))
    if df.empty:
        return df
    df = df.rename(columns=lambda c: c.replace("request.", ""))
    for c in ("created", "updated"):
        df[c] = _ms_to_kst(df[c])
    return df


class Store:
    """A hantu database, created and migrated on open: a SQLite file (``":memory:"`` for a
    private one) or a PostgreSQL server given as ``postgres://user@host:port/db``, with the
    password in the ``HANTU_PG_PASSWORD`` environment variable (it never appears in ``repr``).
    ``schema`` keeps several independent stores in one PostgreSQL database.

    Raises:
        StoreError: the file is not a database, the server refuses the connection, the database
            is newer than this hantu, or it is locked.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"], schema: Optional[str] = None):
        self._path = os.fspath(path)
        self._inner = _hantu.Store(self._path, schema)

    def __repr__(self) -> str:
        return repr(self._inner)

    @property
    def schema_version(self) -> int:
        """The database's schema version."""
        return self._inner.schema_version

    def write_bars(self, data: pd.DataFrame) -> int:
        """Inserts or updates daily bars (a long DataFrame, as :func:`hantu.sim.market` returns).
        Also stores the instruments such a frame carries. Returns the number of bars written."""
        inst = _instruments(data, None)
        if inst:
            self._inner.write_instruments(inst)
        return self._inner.write_bars(to_bardata(data))

    def import_csv_dir(self, path: Union[str, "os.PathLike[str]"]) -> int:
        """Imports every ``<code>.csv`` of a folder (``date,open,high,low,close,volume``), upserting
        by code and date. Bad rows are skipped with a warning naming file and line. Returns the
        number of rows written."""
        written, problems = self._inner.import_csv_dir(os.fspath(path))
        if problems:
            warnings.warn("import_csv_dir: " + "; ".join(problems[:5]) + ("; …" if len(problems) > 5 else ""), stacklevel=2)
        return written

    def bars(self, codes: Optional[Iterable[str]] = None, start: Any = None, end: Any = None) -> pd.DataFrame:
        """Daily bars of ``codes`` (default: every stored instrument) between ``start`` and ``end``
        inclusive, as a long DataFrame ordered by date then code."""
        if codes is None:
            codes = list(self.instruments().get("code", []))
        return bars_frame(self._inner.bars([str(c) for c in codes], _date(start), _date(end)))

    def instruments(self) -> pd.DataFrame:
        """Every instrument: code, name, market, sector, lot, kind."""
        return pd.DataFrame(json.loads(self._inner.instruments_json()))

    def fundamentals(self) -> pd.DataFrame:
        """The latest fundamentals of each stock."""
        df = pd.DataFrame(json.loads(self._inner.fundamentals_json()))
        if not df.empty:
            df["as_of"] = pd.to_datetime(df["as_of"])
        return df

    def watchlist(self) -> pd.DataFrame:
        """The latest screen run's watchlist (rank, code, score, passed and one column per
        criterion); the run (name, time, universe size, config) is in ``df.attrs``."""
        text = self._inner.watchlist_json()
        if text is None:
            return pd.DataFrame(columns=["rank", "code", "score", "passed"])
        w = json.loads(text)
        rows = []
        for e in w["entries"]:
            row = {"rank": e["rank"], "code": e["code"], "score": e["score"], "passed": e["passed"]}
            row.update({name: value for name, value in e["criteria"]})
            rows.append(row)
        df = pd.DataFrame(rows)
        df.attrs.update({"run_id": w["run_id"], **w["run"]})
        return df

    def selections(self, date: Any) -> pd.DataFrame:
        """The picks stored for ``date``, with one column per factor."""
        rows = []
        for s in json.loads(self._inner.selections_json(pd.Timestamp(date).strftime("%Y-%m-%d"))):
            factors = dict(s.pop("factors"))
            s.pop("config", None)
            rows.append({**s, **factors})
        return pd.DataFrame(rows)

    def open_orders(self) -> pd.DataFrame:
        """Orders not yet in a terminal state."""
        return _orders(self._inner.open_orders_json())

    def order_history(self, client_id: str) -> pd.DataFrame:
        """Every recorded state of one order, oldest first (the journal entry, then each update)."""
        return _orders(self._inner.order_history_json(client_id))

    def fills(self, since: Any = None) -> pd.DataFrame:
        """Fills since ``since`` (a KST date or datetime; default: all)."""
        ms = 0 if since is None else int((pd.Timestamp(since) - pd.Timedelta(hours=9)).value // 1_000_000)
        df = pd.DataFrame(json.loads(self._inner.fills_json(ms)))
        if not df.empty:
            df["ts"] = _ms_to_kst(df["ts"])
            _money(df, ("commission", "tax"))
        return df

    def notifications(self, since: Any = None) -> pd.DataFrame:
        """The notification history since ``since`` (a KST date or datetime; default: all): one row
        per notification per channel with its level, kind, dedup key, title, body, status
        (``sent``, ``failed``, ``pending``), attempts and last error."""
        ms = 0 if since is None else int((pd.Timestamp(since) - pd.Timedelta(hours=9)).value // 1_000_000)
        df = pd.DataFrame(json.loads(self._inner.notifications_json(ms)))
        if not df.empty:
            df["ts"] = _ms_to_kst(df["ts"])
            df["updated"] = _ms_to_kst(df["updated"])
        return df

    def positions(self) -> pd.DataFrame:
        """The positions last saved."""
        return _money(pd.DataFrame(json.loads(self._inner.positions_json())), ("cost", "realized_pnl", "costs_paid"))

    def runs(self) -> pd.DataFrame:
        """Every stored backtest or trading run (id, kind, strategy, started, finished, stats)."""
        rows = [{"id": i, **r} for i, r in json.loads(self._inner.runs_json())]
        df = pd.DataFrame(rows)
        for c in ("started", "finished"):
            if c in df.columns:
                df[c] = _ms_to_kst(df[c])
        return df

    def run(self, run_id: int) -> Optional[dict]:
        """One run: ``{"run": dict, "trades": DataFrame, "daily": DataFrame}``, or ``None``."""
        text = self._inner.run_json(int(run_id))
        if text is None:
            return None
        r = json.loads(text)
        trades = _money(pd.DataFrame(r["trades"]), ("pnl", "costs"))
        for c in ("entry_ts", "exit_ts"):
            if c in trades.columns:
                trades[c] = _ms_to_kst(trades[c])
        daily = _money(pd.DataFrame(r["daily"]), ("equity",))
        if not daily.empty:
            daily["date"] = pd.to_datetime(daily["date"])
        return {"run": r["run"], "trades": trades, "daily": daily}
