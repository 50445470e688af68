//! Entry zone, stop, target and size of a pick, on the tick grid and inside the price limits.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::config::{LevelConfig, SizingConfig};
use crate::domain::{Instrument, Money, Price, Qty};
use crate::krx::{TickTable, price_limits};

/// Prices and size of one pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Levels {
    pub entry_low: Price,
    pub entry_high: Price,
    pub stop: Price,
    pub target: Price,
    pub qty: Qty,
}

/// Levels around `close` for the session after `as_of`. The zone stays within that session's
/// price limits (it is for tomorrow's orders); the stop and target are for the days after and
/// only need to be on the grid. `None` when the ATR is unknown or the grid leaves no room.
pub(crate) fn levels(
    close: Price,
    atr: f64,
    ins: &Instrument,
    as_of: NaiveDate,
    cfg: &LevelConfig,
    sizing: &SizingConfig,
    equity: Money,
) -> Option<Levels> {
    if !(atr.is_finite() && atr > 0.0) {
        return None;
    }
    let table = TickTable::for_date(as_of, ins.market, ins.kind);
    let (lower, _) = price_limits(close.won(), as_of, ins.market, ins.kind);
    let c = close.won();
    let entry_high = table.round_down(c).max(1);
    let entry_low = table.round_up(won(c as f64 - cfg.entry_atr * atr)).clamp(lower, entry_high);
    let mut stop = table.round_down(won(c as f64 - cfg.stop_atr * atr));
    if stop >= entry_low {
        stop = table.offset(entry_low, -1);
    }
    let mut target = table.round_up(won(c as f64 + cfg.target_atr * atr));
    if target <= entry_high {
        target = table.offset(entry_high, 1);
    }
    if stop <= 0 || stop >= entry_low {
        return None;
    }
    let qty = size(entry_high, stop, ins.lot, sizing, equity);
    Some(Levels {
        entry_low: Price::new_checked(entry_low).ok()?,
        entry_high: Price::new_checked(entry_high).ok()?,
        stop: Price::new_checked(stop).ok()?,
        target: Price::new_checked(target).ok()?,
        qty,
    })
}

fn won(v: f64) -> i64 {
    if v.is_finite() { v.round().max(1.0) as i64 } else { 1 }
}

/// Shares such that hitting the stop loses `risk_per_trade` of equity, capped so the position
/// stays within `max_position_weight`, rounded down to the lot.
fn size(entry: i64, stop: i64, lot: u32, s: &SizingConfig, equity: Money) -> Qty {
    let equity = equity.get().max(Decimal::ZERO);
    let per_share = Decimal::from(entry - stop);
    let by_risk = equity * s.risk_per_trade / per_share;
    let by_weight = equity * s.max_position_weight / Decimal::from(entry);
    let shares = by_risk.min(by_weight).floor().to_u64().unwrap_or(0);
    let lot = u64::from(lot.max(1));
    Qty::from_shares(shares / lot * lot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Market, StockCode};

    fn ins() -> Instrument {
        Instrument::stock(StockCode::new("005930"), "삼성전자", Market::Kospi, None)
    }

    #[test]
    fn levels_sit_on_the_grid_in_the_right_order() {
        let d = NaiveDate::from_ymd_opt(2025, 6, 2).unwrap();
        let cfg = LevelConfig::default();
        let l = levels(
            Price::new(71_500),
            1_530.0,
            &ins(),
            d,
            &cfg,
            &SizingConfig::default(),
            Money::from_won(100_000_000),
        )
        .unwrap();
        let t = TickTable::current();
        for p in [l.entry_low, l.entry_high, l.stop, l.target] {
            assert!(t.is_on_tick(p.won()), "{p:?}");
        }
        assert_eq!(l.entry_high, Price::new(71_500));
        // 71,500 - 765 = 70,735 → up to 70,800; stop 71,500 - 3,060 = 68,440 → down to 68,400;
        // target 71,500 + 4,590 = 76,090 → up to 76,100.
        assert_eq!((l.entry_low.won(), l.stop.won(), l.target.won()), (70_800, 68_400, 76_100));
        // Risk 1% of 100M = 1M over 3,100 won a share → 322; 20% weight → 279 shares.
        assert_eq!(l.qty.get(), 279);
    }

    #[test]
    fn unknown_atr_gives_no_levels_and_tiny_equity_no_shares() {
        let d = NaiveDate::from_ymd_opt(2025, 6, 2).unwrap();
        let (cfg, s) = (LevelConfig::default(), SizingConfig::default());
        assert!(levels(Price::new(10_000), f64::NAN, &ins(), d, &cfg, &s, Money::from_won(1)).is_none());
        let l = levels(Price::new(10_000), 200.0, &ins(), d, &cfg, &s, Money::from_won(10_000)).unwrap();
        assert_eq!(l.qty, Qty::ZERO);
    }
}
