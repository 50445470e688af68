//! Realised profit from the store's fills, for `/profit` and `/daily`: average cost per stock
//! (buy commissions included), each sell realising `(price − average) × qty − commission − tax`.

use std::collections::BTreeMap;

use hantu_core::domain::{Fill, Money, Side, StockCode, Timestamp};

/// Realised P&L of the sells at or after `from`, with every earlier fill setting the costs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Realised {
    /// Net of commission and tax.
    pub pnl: Money,
    /// Sells counted.
    pub sells: u32,
    /// Sells that made money.
    pub wins: u32,
    /// Sells that lost money.
    pub losses: u32,
    /// Fills (buys and sells) at or after `from`.
    pub fills: u32,
}

/// Walks `fills` (any order; sorted here by time) and sums what the sells at or after `from`
/// realised. A sell of more shares than the store saw bought (history from before the store began)
/// is skipped, so a gap in the record never shows as profit.
pub fn realised(fills: &[Fill], from: Timestamp) -> Realised {
    let mut sorted: Vec<&Fill> = fills.iter().collect();
    sorted.sort_by_key(|f| f.ts);
    // Per stock: shares held and their total cost.
    let mut book: BTreeMap<StockCode, (u64, Money)> = BTreeMap::new();
    let mut out = Realised::default();
    for f in sorted {
        let qty = f.qty.get();
        let notional = Money::from_won(f.notional());
        let (held, cost) = book.entry(f.code).or_insert((0, Money::ZERO));
        if f.ts >= from {
            out.fills += 1;
        }
        match f.side {
            Side::Buy => {
                *held += qty;
                *cost += notional + f.commission;
            }
            Side::Sell => {
                if *held < qty || *held == 0 {
                    *held = held.saturating_sub(qty);
                    continue;
                }
                let avg_part =
                    Money::new(cost.get() * rust_decimal::Decimal::from(qty) / rust_decimal::Decimal::from(*held));
                *held -= qty;
                *cost -= avg_part;
                if f.ts >= from {
                    let pnl = notional - avg_part - f.commission - f.tax;
                    out.pnl += pnl;
                    out.sells += 1;
                    if pnl.is_negative() {
                        out.losses += 1;
                    } else if pnl != Money::ZERO {
                        out.wins += 1;
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use hantu_core::domain::{ClientOrderId, Price, Qty};

    use super::*;

    fn fill(side: Side, qty: u64, price: i64, ts: i64) -> Fill {
        Fill {
            client_id: ClientOrderId::from_seq("T", ts as u64),
            code: "005930".parse().unwrap(),
            side,
            qty: Qty::from_shares(qty),
            price: Price::new(price),
            commission: Money::from_won(10),
            tax: if side == Side::Sell { Money::from_won(20) } else { Money::ZERO },
            ts: Timestamp::from_millis(ts),
        }
    }

    #[test]
    fn sells_realise_against_the_average_cost_within_the_window() {
        let fills = vec![
            fill(Side::Buy, 10, 1_000, 1),
            fill(Side::Buy, 10, 1_200, 2),
            // Average 1,101 per share (cost 22,020 incl. commissions).
            fill(Side::Sell, 10, 1_300, 3),
            fill(Side::Sell, 10, 1_000, 10),
        ];
        let all = realised(&fills, Timestamp::from_millis(0));
        // (13,000 − 11,010 − 30) + (10,000 − 11,010 − 30) = 1,960 − 1,040 = 920
        assert_eq!(all.pnl, Money::from_won(920));
        assert_eq!((all.sells, all.wins, all.losses, all.fills), (2, 1, 1, 4));
        let late = realised(&fills, Timestamp::from_millis(5));
        assert_eq!(late.pnl, Money::from_won(-1_040));
        assert_eq!((late.sells, late.fills), (1, 1));
    }

    #[test]
    fn a_sell_without_known_buys_is_not_profit() {
        let r = realised(&[fill(Side::Sell, 5, 1_000, 1)], Timestamp::from_millis(0));
        assert_eq!((r.pnl, r.sells), (Money::ZERO, 0));
    }
}
