"""hantu: a trading engine for Korean equities (KOSPI/KOSDAQ), from Python.

Every computation runs in the Rust core; this package converts between numpy/pandas and the core.

>>> import hantu
>>> bars = hantu.data.read_csv_dir("data/daily")                  # doctest: +SKIP
>>> result = hantu.backtest(bars, "sma-cross", {"fast": 10, "slow": 30})   # doctest: +SKIP
>>> result.stats["sharpe"], result.plot()                         # doctest: +SKIP

Modules: :mod:`hantu.indicators` (numpy/pandas indicators and streaming classes),
:mod:`hantu.sim` (the simulated KRX market), :mod:`hantu.data` (CSV folders),
:mod:`hantu.kis` (the KIS API and the local KIS server), :mod:`hantu.learn` (predictions against
outcomes, accuracy, adaptive weights).
Errors derive from :class:`HantuError`.
"""

from . import data, indicators, kis, learn, sim, trade
from ._hantu import (
    Bar,
    BrokerError,
    ConfigError,
    Context,
    DataError,
    EngineError,
    Fill,
    HantuError,
    Order,
    RateLimitError,
    StoreError,
    Tick,
    ValidationError,
    __version__,
)
from ._backtest import BacktestResult, BatchResult, backtest, backtest_many
from .screening import screen, select
from .store import Store
from .strategy import Strategy
from .trade import StrategyError

__all__ = [
    "Bar",
    "BacktestResult",
    "BatchResult",
    "BrokerError",
    "ConfigError",
    "Context",
    "DataError",
    "EngineError",
    "Fill",
    "HantuError",
    "Order",
    "RateLimitError",
    "Store",
    "StoreError",
    "Strategy",
    "StrategyError",
    "Tick",
    "ValidationError",
    "__version__",
    "backtest",
    "backtest_many",
    "data",
    "indicators",
    "kis",
    "learn",
    "trade",
    "screen",
    "select",
    "sim",
]
