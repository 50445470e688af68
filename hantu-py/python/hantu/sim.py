"""The simulated KRX market: a seeded universe of stocks that needs no data.

>>> import hantu
>>> bars = hantu.sim.market(n=50, days=250, seed=1)
>>> bars.head()                                   # doctest: +SKIP
"""

from __future__ import annotations

import json
from typing import Optional

import pandas as pd

from . import _hantu
from ._frames import bars_frame

__all__ = ["market", "instruments", "fundamentals"]

#: Key of ``DataFrame.attrs`` holding the instruments of a simulated market.
INSTRUMENTS_ATTR = "hantu.instruments"
#: Key of ``DataFrame.attrs`` holding the fundamentals of a simulated market.
FUNDAMENTALS_ATTR = "hantu.fundamentals"


def market(n: int = 100, days: int = 250, seed: int = 42, start: Optional[str] = None) -> pd.DataFrame:
    """Daily bars of ``n`` simulated stocks over ``days`` KRX trading days, as a long DataFrame
    (``date, code, open, high, low, close, volume``) ordered by date then code.

    Prices are on the KRX tick grid and inside the daily limits; the same arguments always give
    the same bars. ``start`` (``YYYY-MM-DD``) is the first calendar date. The instruments (code,
    name, market, sector) ride along in ``df.attrs["hantu.instruments"]`` and the fundamentals
    in ``df.attrs["hantu.fundamentals"]``; :func:`hantu.backtest` uses the instruments for tick
    sizes and taxes, :func:`hantu.screen` and :func:`hantu.select` use both.

    Raises:
        ConfigError: ``n`` or ``days`` is zero or too large, or ``start`` is malformed.
    """
    if isinstance(n, bool) or isinstance(days, bool) or min(n, days, seed) < 0:
        raise _hantu.ConfigError(f"config: sim: n, days and seed must be non-negative integers, got {n}, {days}, {seed}")
    data, inst, funds = _hantu.sim_market(int(n), int(days), int(seed), start)
    df = bars_frame(data.columns())
    df.attrs[INSTRUMENTS_ATTR] = pd.DataFrame(inst)
    fundamentals = pd.DataFrame(json.loads(funds))
    if len(fundamentals):
        fundamentals["as_of"] = pd.to_datetime(fundamentals["as_of"])
    df.attrs[FUNDAMENTALS_ATTR] = fundamentals
    return df


def instruments(df: pd.DataFrame) -> Optional[pd.DataFrame]:
    """The instruments a simulated market frame carries, if any."""
    value = df.attrs.get(INSTRUMENTS_ATTR)
    return value if isinstance(value, pd.DataFrame) else None


def fundamentals(df: pd.DataFrame) -> Optional[pd.DataFrame]:
    """The fundamentals a simulated market frame carries, if any."""
    value = df.attrs.get(FUNDAMENTALS_ATTR)
    return value if isinstance(value, pd.DataFrame) else None
