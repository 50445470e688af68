"""The base class for strategies written in Python."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._hantu import Bar, Context, Fill, Order, Tick

__all__ = ["Strategy", "HOOKS"]

#: The hooks the engine calls, besides ``on_bar``.
HOOKS = ("on_start", "on_fill", "on_order_update", "on_day_end", "on_stop")


class Strategy:
    """Subclass this and override :meth:`on_bar` (and any other hook) to trade from Python.

    The same engine that runs the built-in strategies calls these hooks, in a backtest
    (:func:`hantu.backtest`) and in the trader (:func:`hantu.trade.run`: sandbox, paper, live). ``ctx`` is valid only
    during the call: read cash and positions from it and ask for orders with ``ctx.buy`` /
    ``ctx.sell``; the engine checks them against the risk limits after the hook returns.

    >>> class BuyAndHold(hantu.Strategy):
    ...     def on_bar(self, ctx, bar):
    ...         if ctx.qty(bar.code) == 0 and not ctx.has_open_order(bar.code):
    ...             ctx.buy(bar.code, int(ctx.buying_power * 0.99 // bar.close))
    """

    #: Name shown in reports; defaults to the class name.
    name: str = ""

    def on_start(self, ctx: "Context") -> None:
        """Called once before the first bar."""

    def on_bar(self, ctx: "Context", bar: "Bar") -> None:
        """Called for every bar, after the fills of that bar were booked."""
        raise NotImplementedError("a Strategy must override on_bar(self, ctx, bar)")

    def on_tick(self, ctx: "Context", tick: "Tick") -> None:
        """Called for every trade print of a watched code, by the trader (:func:`hantu.trade.run`;
        a backtest runs on bars and never calls it)."""

    def on_fill(self, ctx: "Context", fill: "Fill") -> None:
        """Called for each fill of this strategy's orders."""

    def on_order_update(self, ctx: "Context", order: "Order") -> None:
        """Called when an order changes state (accepted, rejected with a reason, cancelled, expired)."""

    def on_day_end(self, ctx: "Context") -> None:
        """Called after the last bar of each trading day."""

    def on_stop(self, ctx: "Context") -> None:
        """Called once after the last bar."""
