"""``hantu.learn``: phase 4 — every pick is a prediction, every outcome is recorded, weights adapt.

Works on a :class:`hantu.Store` that holds picks (``hantu select`` or the scheduler store them) and
daily bars.

>>> store = hantu.Store("hantu.db")                           # doctest: +SKIP
>>> report = hantu.learn.update(store)                        # the post-close step   # doctest: +SKIP
>>> acc = hantu.learn.accuracy(store)                         # doctest: +SKIP
>>> acc.by_class, acc.calibration, acc.plot()                 # doctest: +SKIP
>>> hantu.learn.weights(store), hantu.learn.rollback(store, "learn-20240701")   # doctest: +SKIP
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional

import pandas as pd

from . import _hantu
from .screening import Config, _config
from .store import Store, _date, _ms_to_kst

__all__ = ["Accuracy", "Traded", "accuracy", "outcomes", "rollback", "traded", "update", "weights"]


def update(
    store: Store,
    as_of: Any = None,
    config: Optional[Config] = None,
    weights: Optional[Mapping[str, float]] = None,
) -> Dict[str, Any]:
    """Runs the post-close learning step as of ``as_of`` (default: the store's last trading day).

    Turns stored picks into predictions (one per horizon), measures those whose horizon has passed
    (return from the entry rule's price, best and worst excursion, which level came first, sessions
    held — from stored bars only, never a bar after the horizon), computes factor ICs, makes a new
    weights version when one is due, reads the market regime and checks each version against its
    baseline. Idempotent.

    Args:
        config: learning settings (``hantu_core::learn::LearnConfig``) as a dict, TOML text or a
            ``.toml`` path, e.g. ``{"horizons": [1, 5, 20], "weights": {"max_change": 0.05}}``.
        weights: the selection's starting weights by factor (default: the built-in ones).

    Returns:
        The report as a dict (``predictions``, ``outcomes``, ``open``, ``ics``, ``weights``,
        ``new_version``, ``regime``, ``degraded``).

    Raises:
        ConfigError: a bad setting, naming its key.
    """
    kind, text = _config(config, "learn") if config is not None else (None, None)
    w = json.dumps(dict(weights)) if weights is not None else None
    return json.loads(_hantu.learn_update(store._inner, _date(as_of), kind, text, w))


def outcomes(store: Store, since: Any = None) -> pd.DataFrame:
    """Every measured prediction (outcomes measured on or after ``since``), one row each."""
    pairs = json.loads(_hantu.learn_outcomes(store._inner, _date(since)))
    rows = [{**p, **{k: v for k, v in o.items() if k not in p}} for p, o in pairs]
    df = pd.DataFrame(rows)
    for c in ("date", "evaluated_on"):
        if c in df.columns:
            df[c] = pd.to_datetime(df[c])
    return df


class Accuracy:
    """How the predictions did: :attr:`overall`, :attr:`by_class`, :attr:`by_horizon`,
    :attr:`by_version` (DataFrames of hit rate and returns) and :attr:`calibration`."""

    def __init__(self, report: Dict[str, Any]):
        self.report = report
        self.overall: Dict[str, Any] = report["overall"]
        self.by_class = self._groups(report["by_class"], "class")
        self.by_horizon = self._groups(report["by_horizon"], "horizon")
        self.by_version = self._groups(report["by_version"], "weights_version")
        self.calibration = pd.DataFrame(report["calibration"])
        self.calibration_error: float = report["calibration_error"]

    @staticmethod
    def _groups(groups: Dict[str, Any], name: str) -> pd.DataFrame:
        df = pd.DataFrame.from_dict(groups, orient="index")
        df.index.name = name
        return df

    def __repr__(self) -> str:
        o = self.overall
        return (
            f"Accuracy({o['count']} picks, hit rate {o['hit_rate'] or float('nan'):.1%}, "
            f"calibration error {self.calibration_error:.3f})"
        )

    def plot(self, ax: Any = None) -> Any:
        """A reliability diagram: observed hit rate against stated confidence. Returns the figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(5, 5))
        else:
            fig = ax.figure
        c = self.calibration[self.calibration["count"] > 0]
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
        ax.plot(c["mean_confidence"], c["hit_rate"], marker="o", label="picks")
        ax.set_xlabel("stated confidence")
        ax.set_ylabel("observed hit rate")
        ax.set_title(f"calibration (error {self.calibration_error:.3f})")
        ax.legend()
        return fig


def accuracy(store: Store, since: Any = None) -> Accuracy:
    """The accuracy report of outcomes measured on or after ``since``."""
    return Accuracy(json.loads(_hantu.learn_accuracy(store._inner, _date(since))))


class Traded:
    """Picks that were traded, linked to their round trips: :attr:`picks` (one row per pick with its
    predicted, measured and realised return and P&L), :attr:`trips` (one row per round trip, with the
    pick's day and code) and :attr:`summary` (predicted against realised over the closed picks)."""

    def __init__(self, report: Dict[str, Any]):
        self.summary: Dict[str, Any] = report["summary"]
        picks = report["picks"]
        self.trips = pd.DataFrame(
            [{"pick_date": p["date"], **t} for p in picks for t in p["trips"]],
        )
        self.picks = pd.DataFrame(
            [{**{k: v for k, v in p.items() if k != "trips"}, "trips": len(p["trips"])} for p in picks]
        )
        if "date" in self.picks.columns:
            self.picks["date"] = pd.to_datetime(self.picks["date"])
        if "pick_date" in self.trips.columns:
            self.trips["pick_date"] = pd.to_datetime(self.trips["pick_date"])
        for c in ("entry_ts", "exit_ts"):
            if c in self.trips.columns:
                self.trips[c] = _ms_to_kst(self.trips[c])
        for df, money in ((self.picks, ["pnl"]), (self.trips, ["pnl", "costs"])):
            for c in money:
                if c in df.columns:
                    df[c] = df[c].astype(float)

    def __repr__(self) -> str:
        s = self.summary
        return f"Traded({s['picks']} picks, {s['trips']} trips, {s['closed']} closed, P&L {s['pnl']})"

    def plot(self, ax: Any = None) -> Any:
        """Realised against measured return per closed pick (the diagonal is a perfect execution of
        the daily-bar model). Returns the figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(5, 5))
        else:
            fig = ax.figure
        p = self.picks
        if len(p):
            p = p[~p["open"] & p["measured_return"].notna()]
        ax.scatter(p["measured_return"] if len(p) else [], p["realised_return"] if len(p) else [], label="picks")
        ax.axline((0, 0), slope=1, linestyle="--", color="grey", label="realised = measured")
        ax.set_xlabel("measured return (daily bars)")
        ax.set_ylabel("realised return (trades)")
        ax.set_title("traded picks: predicted vs realised")
        ax.legend()
        return fig


def traded(store: Store, since: Any = None) -> Traded:
    """Picks of days on or after ``since`` that were traded, with their round trips."""
    return Traded(json.loads(_hantu.learn_traded(store._inner, _date(since))))


def weights(store: Store) -> pd.DataFrame:
    """Every weights version (one row each, a column per factor), oldest first."""
    versions: List[Dict[str, Any]] = json.loads(_hantu.learn_weights(store._inner))
    rows = [
        {
            "version": v["version"],
            "effective_from": pd.Timestamp(v["effective_from"]),
            "parent": v["parent"],
            "status": v["status"],
            **{f: w for f, w in v["weights"]},
        }
        for v in versions
    ]
    return pd.DataFrame(rows)


def rollback(store: Store, version: str) -> List[str]:
    """Puts ``version`` back in force; returns the later versions rolled back (they are kept).

    Raises:
        ConfigError: no such version (the message lists the known ones).
    """
    return list(_hantu.learn_rollback(store._inner, version))
