"""Screening (phase 1: the whole market into a ranked watchlist) and selection (phase 2:
today's picks with entry, stop, target and size), run by the Rust core.

Configs are dicts (the same keys as the TOML files), TOML text, or paths to TOML files:

>>> screen = {
...     "name": "momentum",
...     "rule": {"all": [{"value": "avg_traded_value(20)", "min": 1e9}, {"value": "return(20)", "min": 0}]},
...     "score": [{"value": "return(60)", "weight": 1}],
...     "max_results": 30,
... }
>>> watchlist = hantu.screen(bars, screen)                 # doctest: +SKIP
>>> picks = hantu.select(bars, screen)                     # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import json
import math
import os
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Union

import pandas as pd

from . import _hantu
from ._backtest import _instruments
from ._frames import to_bardata
from ._hantu import ConfigError

if TYPE_CHECKING:
    from .store import Store

__all__ = ["screen", "select"]

Config = Union[Mapping[str, Any], str, "os.PathLike[str]"]

_FUND_INT = ("market_cap", "listed_shares")
_FUND_FLOAT = ("per", "pbr", "eps", "bps", "roe_pct", "debt_ratio_pct")


def _config(cfg: Config, what: str) -> Tuple[str, str]:
    if isinstance(cfg, Mapping):
        return "json", json.dumps(cfg)
    if isinstance(cfg, os.PathLike) or (isinstance(cfg, str) and "\n" not in cfg and cfg.endswith(".toml")):
        try:
            with open(cfg, encoding="utf-8") as f:
                return "toml", f.read()
        except OSError as e:
            raise ConfigError(f"config: {what}: cannot read {os.fspath(cfg)!r}: {e.strerror}") from None
    if isinstance(cfg, str):
        return "toml", cfg
    raise ConfigError(f"config: {what}: expected a dict, TOML text or a .toml path, not {type(cfg).__name__}")


def _fundamentals(data: Any, fundamentals: Optional[pd.DataFrame]) -> Optional[str]:
    if fundamentals is None and isinstance(data, pd.DataFrame):
        attr = data.attrs.get("hantu.fundamentals")
        fundamentals = attr if isinstance(attr, pd.DataFrame) else None
    if fundamentals is None:
        return None
    if "code" not in fundamentals.columns or "as_of" not in fundamentals.columns:
        raise _hantu.DataError("fundamentals need 'code' and 'as_of' columns")
    dates = pd.to_datetime(fundamentals["as_of"]).dt.strftime("%Y-%m-%d")

    def clean(v: Any, integer: bool) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return int(v) if integer else float(v)

    records = []
    for i, (code, as_of) in enumerate(zip(fundamentals["code"], dates)):
        rec: Dict[str, Any] = {"code": str(code), "as_of": as_of}
        for col in _FUND_FLOAT + _FUND_INT:
            rec[col] = clean(fundamentals[col].iat[i], col in _FUND_INT) if col in fundamentals.columns else None
        records.append(rec)
    return json.dumps(records)


def _date(as_of: Any) -> Optional[str]:
    return None if as_of is None else pd.Timestamp(as_of).strftime("%Y-%m-%d")


def _watchlist(tables: Dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame(tables["entries"])
    for name, values in tables["criteria"].items():
        df[name] = values
    df.attrs.update(
        {k: tables[k] for k in ("as_of", "screen", "version", "fingerprint", "universe_size", "evaluated")}
    )
    return df


def screen(
    data: Any,
    config: Config,
    *,
    as_of: Any = None,
    instruments: Optional[pd.DataFrame] = None,
    fundamentals: Optional[pd.DataFrame] = None,
) -> pd.DataFrame:
    """Screens every stock of ``data`` (a long bar DataFrame) that traded on ``as_of`` (default:
    the last date), using only data up to that date.

    Returns the watchlist best first: ``rank, code, name, market, sector, score`` and one
    column per criterion the config computes. ``df.attrs`` holds the as-of date, the screen's
    name, version and fingerprint, and how many stocks were evaluated.

    Raises:
        ConfigError: a bad config (the message names the key, e.g. ``rule.all[1].min``).
        DataError: malformed bars or fundamentals.
    """
    kind, text = _config(config, "screen")
    tables = _hantu.screen_run(
        to_bardata(data), kind, text, _date(as_of), _instruments(data, instruments), _fundamentals(data, fundamentals)
    )
    return _watchlist(tables)


def select(
    data: Any,
    screen: Config,
    config: Optional[Config] = None,
    *,
    as_of: Any = None,
    held: Iterable[str] = (),
    equity: float = 100_000_000,
    instruments: Optional[pd.DataFrame] = None,
    fundamentals: Optional[pd.DataFrame] = None,
    store: Optional["Store"] = None,
) -> pd.DataFrame:
    """Screens with ``screen`` then picks from the watchlist with ``config`` (default: the core's
    default selection settings), as of ``as_of`` (default: the last date).

    Returns the picks best first: ``rank, code, name, sector, score, class, confidence, close,
    entry_low, entry_high, stop, target, qty`` and one score column per factor (``technical,
    momentum, volume, value, risk``). ``df.attrs["refused"]`` lists the watchlist stocks not
    picked and why; ``df.attrs["watchlist"]`` is the screen's result.

    With ``store`` (a :class:`hantu.Store`), the weights version in force on ``as_of`` (see
    :mod:`hantu.learn`) replaces the config's weights and the picks are stored for the session after
    ``as_of``, as ``hantu select`` does.
    """
    s_kind, s_text = _config(screen, "screen")
    c_kind, c_text = _config(config if config is not None else {"name": "default"}, "select")
    watch, sel = _hantu.select_run(
        to_bardata(data),
        s_kind,
        s_text,
        c_kind,
        c_text,
        _date(as_of),
        [str(c) for c in held],
        float(equity),
        _instruments(data, instruments),
        _fundamentals(data, fundamentals),
        store._inner if store is not None else None,
    )
    picks = pd.DataFrame(sel["picks"])
    picks.attrs.update({k: sel[k] for k in ("as_of", "config", "weights_version", "fingerprint")})
    picks.attrs["refused"] = pd.DataFrame(sel["refused"])
    picks.attrs["watchlist"] = _watchlist(watch)
    return picks
