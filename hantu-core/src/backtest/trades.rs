//! Round-trip trades: from flat to flat in one stock.

use serde::{Deserialize, Serialize};

use crate::domain::{Fill, Money, Side, StockCode, Timestamp};

/// One round trip: a position opened from flat and closed back to flat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    /// The stock.
    pub code: StockCode,
    /// First buy.
    pub entry_ts: Timestamp,
    /// Last sell that brought the position to zero; `None` while still open.
    pub exit_ts: Option<Timestamp>,
    /// Shares bought over the trip.
    pub qty: u64,
    /// Average buy price (won, before costs).
    pub entry_price: f64,
    /// Average sell price (won, before costs); `None` while open.
    pub exit_price: Option<f64>,
    /// Net P&L of the shares sold, after all commission and tax.
    pub pnl: Money,
    /// `pnl` over the cost of the shares bought.
    pub return_pct: f64,
    /// Commission and tax of the trip.
    pub costs: Money,
}

#[derive(Default)]
struct Open {
    entry_ts: Timestamp,
    held: u64,
    bought: u64,
    buy_notional: i64,
    sold: u64,
    sell_notional: i64,
    costs: Money,
    last_ts: Timestamp,
}

/// Groups fills into round trips, in the order the trips started.
#[must_use]
pub fn round_trips(fills: &[Fill]) -> Vec<Trade> {
    let mut open: std::collections::BTreeMap<StockCode, (usize, Open)> = std::collections::BTreeMap::new();
    let mut out: Vec<Option<Trade>> = Vec::new();
    let finish = |code: StockCode, o: &Open, closed: bool| -> Trade {
        let buy_cost = Money::from_won(o.buy_notional);
        let sold_cost = if o.bought == 0 {
            Money::ZERO
        } else {
            Money::new(buy_cost.get() * rust_decimal::Decimal::from(o.sold) / rust_decimal::Decimal::from(o.bought))
        };
        let pnl = Money::from_won(o.sell_notional) - sold_cost - o.costs;
        Trade {
            code,
            entry_ts: o.entry_ts,
            exit_ts: closed.then_some(o.last_ts),
            qty: o.bought,
            entry_price: if o.bought == 0 { 0.0 } else { o.buy_notional as f64 / o.bought as f64 },
            exit_price: (closed && o.sold > 0).then(|| o.sell_notional as f64 / o.sold as f64),
            pnl,
            return_pct: if o.buy_notional == 0 { 0.0 } else { pnl.to_f64() / o.buy_notional as f64 * 100.0 },
            costs: o.costs,
        }
    };
    for f in fills {
        let entry = open.entry(f.code).or_insert_with(|| {
            out.push(None);
            (out.len() - 1, Open { entry_ts: f.ts, ..Open::default() })
        });
        let o = &mut entry.1;
        o.costs += f.costs();
        o.last_ts = f.ts;
        match f.side {
            Side::Buy => {
                o.held += f.qty.get();
                o.bought += f.qty.get();
                o.buy_notional += f.notional();
            }
            Side::Sell => {
                o.held = o.held.saturating_sub(f.qty.get());
                o.sold += f.qty.get();
                o.sell_notional += f.notional();
            }
        }
        if o.held == 0 {
            let (slot, o) = open.remove(&f.code).unwrap_or_default();
            out[slot] = Some(finish(f.code, &o, true));
        }
    }
    for (code, (slot, o)) in &open {
        out[*slot] = Some(finish(*code, o, false));
    }
    out.into_iter().flatten().collect()
}
