"""Backtests: the Rust engine and simulated venue over a DataFrame of bars."""

from __future__ import annotations

import html
import json
from functools import cached_property
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type, Union

import numpy as np
import pandas as pd

from . import _hantu
from ._frames import codes_as_text, core_columns, core_freq, dates, to_bardata
from ._hantu import ConfigError, ValidationError
from .strategy import HOOKS, Strategy

__all__ = ["backtest", "backtest_many", "BacktestResult", "BatchResult"]

Params = Mapping[str, float]


class BacktestResult:
    """What a backtest produced.

    Attributes:
        equity: end-of-day equity (won), a Series indexed by date.
        trades: round trips (code, entry, exit, qty, prices, pnl, return_pct, costs).
        orders: every order and how it ended (refused ones with the reason).
        fills: every execution with commission and tax.
        stats: summary statistics (returns and ratios as fractions, money in won).
        strategy: the strategy's name.
        params: the parameters of this run.
        code: the stock of a per-stock batch run, else ``None``.

    The tables (equity, trades, orders, fills) are built on first access; until then the
    report stays in the core.
    """

    def __init__(
        self,
        tables: Union[Dict[str, Any], "_hantu.Report"],
        params: Optional[Params] = None,
        code: Optional[str] = None,
    ):
        # A report from the core stays there until a table is asked for: a batch of thousands
        # of runs then costs no DataFrame per run, and its statistics dict is built on first use.
        if isinstance(tables, dict):
            self._tables: Optional[Dict[str, Any]] = tables
            self._report: Optional[_hantu.Report] = None
        else:
            self._tables, self._report = None, tables
        self.params: Dict[str, float] = dict(params or {})
        self.code = code

    @cached_property
    def stats(self) -> Dict[str, Any]:
        """Summary statistics (returns and ratios as fractions, money in won)."""
        if self._tables is not None:
            return dict(self._tables["stats"])
        assert self._report is not None
        return dict(self._report.stats())

    @cached_property
    def strategy(self) -> str:
        """The strategy's name."""
        if self._tables is not None:
            return str(self._tables["strategy"])
        assert self._report is not None
        return self._report.strategy

    @cached_property
    def bars(self) -> int:
        """Number of bars the run consumed."""
        if self._tables is not None:
            return int(self._tables["bars"])
        assert self._report is not None
        return int(self._report.bars)

    def __getstate__(self) -> Dict[str, Any]:
        # The core's report does not pickle; its tables (numpy arrays and lists) do.
        state = dict(self.__dict__)
        if state.get("_report") is not None:
            state["_tables"] = state["_tables"] if state.get("_tables") is not None else self._report.tables()  # type: ignore[union-attr]
            state["_report"] = None
        return state

    def _table(self, name: str) -> Dict[str, Any]:
        if self._tables is None:
            assert self._report is not None
            self._tables = self._report.tables()
        return dict(self._tables[name])

    @cached_property
    def equity_frame(self) -> pd.DataFrame:
        """Equity, cash and market value at each day's end, indexed by date."""
        eq = self._table("equity")
        index = dates(eq["date"]).normalize()
        index.name = "date"
        return pd.DataFrame({"equity": eq["equity"], "cash": eq["cash"], "market_value": eq["market_value"]}, index=index)

    @cached_property
    def equity(self) -> pd.Series:
        """End-of-day equity (won), indexed by date."""
        return self.equity_frame["equity"]

    @cached_property
    def fills(self) -> pd.DataFrame:
        """Every execution with commission and tax."""
        f = self._table("fills")
        return pd.DataFrame({"date": dates(f.pop("date")), **f})

    @cached_property
    def orders(self) -> pd.DataFrame:
        """Every order and how it ended (refused ones with the reason)."""
        o = self._table("orders")
        return pd.DataFrame({"created": dates(o.pop("created")), "updated": dates(o.pop("updated")), **o})

    @cached_property
    def trades(self) -> pd.DataFrame:
        """Round trips: code, entry, exit, qty, prices, pnl, return_pct, costs."""
        t = self._table("trades")
        return pd.DataFrame({"code": t.pop("code"), "entry": dates(t.pop("entry")), "exit": dates(t.pop("exit")), **t})

    @property
    def drawdown(self) -> pd.Series:
        """Fall of equity from its running peak, as a fraction (0 at a new high, negative below)."""
        return self.equity / self.equity.cummax() - 1.0

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"<BacktestResult {self.strategy}: {s['days']} days, total return {s['total_return']:.2%}, "
            f"sharpe {s['sharpe']:.2f}, max drawdown {s['max_drawdown']:.2%}, {s['trades']} trades>"
        )

    def _repr_html_(self) -> str:
        s = self.stats
        rows = [
            ("equity", f"{s['initial_equity']:,} → {s['final_equity']:,} won"),
            ("total return", f"{s['total_return']:.2%}"),
            ("annual return", f"{s['annual_return']:.2%}"),
            ("volatility", f"{s['volatility']:.2%}"),
            ("sharpe / sortino", f"{s['sharpe']:.2f} / {s['sortino']:.2f}"),
            ("max drawdown", f"{s['max_drawdown']:.2%} over {s['max_drawdown_days']} days"),
            ("trades", f"{s['trades']} (win rate {s['win_rate']:.1%}, profit factor {s['profit_factor']:.2f})"),
            ("exposure / turnover", f"{s['exposure']:.1%} / {s['turnover']:.2f}x"),
            ("costs", f"commission {s['commission']:,} won, tax {s['tax']:,} won"),
        ]
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
        )
        title = html.escape(self.strategy + (f" on {self.code}" if self.code else ""))
        return f"<div><b>BacktestResult</b> {title} ({self.bars:,} bars)<table>{body}</table></div>"

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Plots equity and drawdown (matplotlib is imported only here). Returns the figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, (ax_eq, ax_dd) = plt.subplots(
                2, 1, sharex=True, figsize=kwargs.pop("figsize", (10, 6)), gridspec_kw={"height_ratios": [3, 1]}
            )
        else:
            ax_eq, ax_dd = ax
            fig = ax_eq.figure
        ax_eq.plot(self.equity.index, self.equity.to_numpy(), label="equity", **kwargs)
        ax_eq.set_ylabel("equity (won)")
        ax_eq.set_title(f"{self.strategy}: total return {self.stats['total_return']:.2%}")
        dd = self.drawdown
        ax_dd.fill_between(dd.index, dd.to_numpy() * 100.0, 0.0, color="tab:red", alpha=0.4)
        ax_dd.set_ylabel("drawdown (%)")
        return fig


class BatchResult(Sequence[BacktestResult]):
    """Results of :func:`backtest_many`, in job order, with a summary table in :attr:`stats`."""

    def __init__(self, results: List[BacktestResult], stats: Optional[pd.DataFrame] = None):
        self.results = results
        if stats is None:
            rows = []
            for r in results:
                row: Dict[str, Any] = {}
                if r.code is not None:
                    row["code"] = r.code
                row.update({f"param.{k}": v for k, v in r.params.items()})
                row.update(r.stats)
                rows.append(row)
            stats = pd.DataFrame(rows)
        #: One row per run: the code and parameters of the run, then its statistics.
        self.stats = stats

    @classmethod
    def _from_core(
        cls, runs: Sequence[Tuple[Optional[str], int, "_hantu.Report"]], params: Sequence[Dict[str, float]]
    ) -> "BatchResult":
        """The results of a batch of core runs ``(code, params index, report)``, with the summary
        table built from the core's statistics columns (not a dict per run)."""
        results = [BacktestResult(r, params[i], code) for code, i, r in runs]
        if not runs:
            return cls(results)
        columns: Dict[str, Any] = {}
        if all(code is not None for code, _, _ in runs):
            columns["code"] = [code for code, _, _ in runs]
        elif any(code is not None for code, _, _ in runs):
            return cls(results)
        index = np.fromiter((i for _, i, _ in runs), dtype=np.intp, count=len(runs))
        table = pd.DataFrame([{f"param.{k}": v for k, v in p.items()} for p in params], index=range(len(params)))
        for name in table.columns:
            columns[name] = table[name].to_numpy()[index]
        columns.update(_hantu.stats_columns([r for _, _, r in runs]))
        return cls(results, pd.DataFrame(columns))

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, i):  # type: ignore[override]
        return self.results[i]

    def __repr__(self) -> str:
        return f"<BatchResult {len(self.results)} runs>"

    def _repr_html_(self) -> str:
        return self.stats._repr_html_()  # type: ignore[operator]


def _config(
    cash: float,
    commission: Optional[float],
    tax: bool,
    slippage_ticks: int,
    participation: float,
    risk: Optional[Mapping[str, Any]],
    config: Optional[Mapping[str, Any]],
) -> str:
    def num(name: str, v: Any) -> str:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
            raise ConfigError(f"config: {name}: {v!r} is not a finite number")
        return repr(float(v)) if isinstance(v, (float, np.floating)) else str(int(v))

    if cash <= 0:
        raise ConfigError(f"config: cash: {cash!r} must be positive")
    if commission is None:
        commission = 0.00015
    if commission < 0:
        raise ConfigError(f"config: commission: {commission!r} must not be negative")
    fees = {"commission_rate": num("commission", commission), "tax": bool(tax)}
    engine: Dict[str, Any] = {"cash": num("cash", cash), "fees": fees}
    if risk:
        # Counts are integers; weights and amounts are exact decimals, sent as strings.
        engine["limits"] = {
            k: v if v is None else int(v) if k == "max_open_positions" else num(f"risk.{k}", v)
            for k, v in risk.items()
        }
    cfg: Dict[str, Any] = {
        "engine": engine,
        "broker": {"fees": fees, "participation": float(participation), "slippage_ticks": int(slippage_ticks)},
    }
    for section, values in (config or {}).items():
        if isinstance(values, Mapping) and isinstance(cfg.get(section), dict):
            cfg[section].update(values)
        else:
            cfg[section] = values
    return json.dumps(cfg)


def _params(params: Optional[Params]) -> Dict[str, float]:
    out: Dict[str, float] = {}
    for k, v in (params or {}).items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ConfigError(f"config: params.{k}: {v!r} is not a number")
        out[str(k)] = float(v)
    return out


def _instruments(data: Any, instruments: Optional[pd.DataFrame]) -> Optional[List[Tuple[str, str, str, Optional[str]]]]:
    if instruments is None and isinstance(data, pd.DataFrame):
        attr = data.attrs.get("hantu.instruments")
        instruments = attr if isinstance(attr, pd.DataFrame) else None
    if instruments is None:
        return None
    missing = [c for c in ("code", "market") if c not in instruments.columns]
    if missing:
        raise ValidationError(f"instruments are missing column(s) {', '.join(missing)}")
    # Whole columns at a time (a stock market has thousands of rows; a scalar isna per cell
    # was most of this function's time).
    n = len(instruments)
    codes = codes_as_text(instruments["code"]).tolist()
    markets = instruments["market"].astype(str).tolist()
    if "name" in instruments.columns:
        raw = instruments["name"]
        names = ["" if na else str(nm) for nm, na in zip(raw.tolist(), raw.isna().tolist())]
    else:
        names = [""] * n
    if "sector" in instruments.columns:
        raw = instruments["sector"]
        sectors: List[Optional[str]] = [None if na else str(sc) for sc, na in zip(raw.tolist(), raw.isna().tolist())]
    else:
        sectors = [None] * n
    return list(zip(codes, names, markets, sectors))


def _hooks(strategy: Strategy) -> Dict[str, Any]:
    cls = type(strategy)
    if getattr(cls, "on_bar", None) is Strategy.on_bar:
        raise ValidationError(f"{cls.__name__} must override on_bar(self, ctx, bar)")
    hooks: Dict[str, Any] = {"on_bar": strategy.on_bar}
    for name in HOOKS:
        # Hooks left as the base class's no-ops are not called at all.
        hooks[name] = getattr(strategy, name) if getattr(cls, name, None) is not getattr(Strategy, name) else None
    return hooks


def backtest(
    data: Any,
    strategy: Union[str, Strategy] = "sma-cross",
    params: Optional[Params] = None,
    *,
    cash: float = 100_000_000,
    commission: Optional[float] = 0.00015,
    tax: bool = True,
    slippage_ticks: int = 0,
    participation: float = 0.10,
    risk: Optional[Mapping[str, Any]] = None,
    config: Optional[Mapping[str, Any]] = None,
    instruments: Optional[pd.DataFrame] = None,
    freq: Optional[str] = None,
) -> BacktestResult:
    """Runs one backtest over ``data`` (a long DataFrame: date, code, open, high, low, close,
    volume — as :func:`hantu.sim.market` and :func:`hantu.data.read_csv_dir` return — or a
    mapping of those columns as numpy arrays, where ``code`` may be a single code).

    Args:
        strategy: a built-in name (``"sma-cross"``, ``"rsi-reversion"``, ``"grid"``) or an
            instance of a :class:`hantu.Strategy` subclass.
        params: parameters of a built-in strategy, e.g. ``{"fast": 10, "slow": 30}``.
        cash: starting cash in won.
        commission: commission rate per side (0.00015 = 0.015%).
        tax: charge the KRX transaction tax on sells.
        slippage_ticks: ticks of adverse slippage on market orders.
        participation: largest fraction of a bar's volume that can fill.
        risk: risk limits (``max_position_weight``, ``max_open_positions``,
            ``max_order_notional``, ``daily_loss_limit``, ``max_sector_weight``).
        config: any further engine/broker settings, merged over the above.
        instruments: a DataFrame with ``code``, ``market`` (``KOSPI``/``KOSDAQ``/``KONEX``) and
            optionally ``name`` and ``sector`` (default: those a :func:`hantu.sim.market` frame
            carries, else every stock is a KOSPI stock).
        freq: what the dates stamp: ``"daily"`` or ``"minute"`` (intraday) bars; by default a
            date at exactly midnight is a daily bar and any other time an intraday one.

    Raises:
        ConfigError: an unknown strategy, parameter or setting (the message names it).
        DataError: malformed bars.
        Exception: whatever a Python strategy's hook raised (the run stops calling it).
    """
    if isinstance(strategy, str) and not isinstance(data, _hantu.BarData):
        # A built-in strategy reads the bars straight from the columns: no array of bars.
        columns = core_columns(data, freq)
        cfg = _config(cash, commission, tax, slippage_ticks, participation, risk, config)
        p = _params(params)
        report = _hantu.run_builtin_columns(columns, core_freq(freq), cfg, strategy, p, _instruments(data, instruments))
        return BacktestResult(report, p)
    bars = to_bardata(data, freq)
    cfg = _config(cash, commission, tax, slippage_ticks, participation, risk, config)
    inst = _instruments(data, instruments)
    if isinstance(strategy, str):
        p = _params(params)
        return BacktestResult(_hantu.run_builtin(bars, cfg, strategy, p, inst), p)
    if isinstance(strategy, Strategy):
        if params:
            raise ConfigError("config: params: only built-in strategies take params; configure a Python strategy in its constructor")
        h = _hooks(strategy)
        name = strategy.name or type(strategy).__name__
        return BacktestResult(_hantu.run_python(bars, cfg, name, instruments=inst, **h))
    raise ValidationError(
        f"strategy must be a built-in name or a hantu.Strategy instance, not {type(strategy).__name__}"
    )


def backtest_many(
    data: Any,
    strategy: Union[str, Type[Strategy], Callable[..., Strategy]] = "sma-cross",
    params: Optional[Sequence[Params]] = None,
    *,
    per_code: bool = False,
    cash: float = 100_000_000,
    commission: Optional[float] = 0.00015,
    tax: bool = True,
    slippage_ticks: int = 0,
    participation: float = 0.10,
    risk: Optional[Mapping[str, Any]] = None,
    config: Optional[Mapping[str, Any]] = None,
    instruments: Optional[pd.DataFrame] = None,
    freq: Optional[str] = None,
) -> BatchResult:
    """Runs many independent backtests in one call: one per parameter set in ``params`` and,
    with ``per_code=True``, one per stock (each stock alone, with all the cash).

    A built-in strategy runs on all cores in parallel without the GIL. A Python strategy is given
    as its class (or any factory), called with each parameter set as keyword arguments; those
    runs go one after the other, since they need the interpreter.

    Returns:
        a :class:`BatchResult` in job order (stocks in code order, then parameter sets), whose
        ``stats`` DataFrame has one row per run.

    ``data`` and ``freq`` are as in :func:`backtest`.
    """
    cfg = _config(cash, commission, tax, slippage_ticks, participation, risk, config)
    inst = _instruments(data, instruments)
    param_sets = list(params) if params is not None else [{}]
    if isinstance(strategy, str) and per_code and not isinstance(data, _hantu.BarData):
        # Each stock's runs read its rows straight from the columns: no arrays of bars. None
        # means the rows need the checked conversion (which names a bad row): the path below.
        ps = [_params(p) for p in param_sets]
        columns = core_columns(data, freq)
        found = _hantu.run_builtin_per_code_columns(columns, core_freq(freq), cfg, strategy, ps, inst)
        if found is not None:
            return BatchResult._from_core(found, ps)
    bars = to_bardata(data, freq)
    if isinstance(strategy, str):
        ps = [_params(p) for p in param_sets]
        runs = _hantu.run_builtin_batch(bars, cfg, strategy, ps, per_code, inst)
        return BatchResult._from_core(runs, ps)
    if not callable(strategy):
        raise ValidationError("strategy must be a built-in name or a hantu.Strategy subclass (or factory)")
    results = []
    targets: List[Tuple[Optional[str], Any]] = [(None, bars)]
    if per_code:
        frame = data if isinstance(data, pd.DataFrame) else None
        if frame is None:
            raise ValidationError("per_code with a Python strategy needs the bars as a DataFrame")
        targets = [(str(code), to_bardata(group, freq)) for code, group in frame.groupby(frame["code"].astype(str), sort=True)]
    for code, target in targets:
        for p in param_sets:
            s = strategy(**p)
            if not isinstance(s, Strategy):
                raise ValidationError(f"the strategy factory returned {type(s).__name__}, not a hantu.Strategy")
            h = _hooks(s)
            name = s.name or type(s).__name__
            tables = _hantu.run_python(target, cfg, name, instruments=inst, **h)
            results.append(BacktestResult(tables, p, code))
    return BatchResult(results)
