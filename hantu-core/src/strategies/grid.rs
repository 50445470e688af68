//! Grid trading.

use crate::domain::{Bar, InstrumentKind, Market, Price, Side};
use crate::engine::CodeMap;
use crate::krx::{TickTable, price_limits};
use crate::strategy::{Context, Strategy};

/// A ladder of limit orders around a centre price (the first close seen): `levels` buy levels
/// `step_pct` apart below the centre and sells one step above each filled buy. Each level trades
/// `lot` shares. The ladder is re-placed every bar from what is held, so it rebalances as it
/// fills: every lot bought at level *i* is offered at level *i − 1* (one step up).
#[derive(Debug, Clone)]
pub struct Grid {
    levels: usize,
    step: f64,
    lot: u64,
    centre: CodeMap<f64>,
}

impl Grid {
    /// `levels` ≥ 1 below the centre, `step_pct` in (0, 30), `lot` ≥ 1 shares per level.
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming the bad parameter.
    pub fn new(levels: usize, step_pct: f64, lot: u64) -> crate::Result<Self> {
        if levels == 0 {
            return Err(crate::Error::config("params.levels", "must be at least 1"));
        }
        if !(step_pct > 0.0 && step_pct < 30.0) {
            return Err(crate::Error::config("params.step_pct", format!("{step_pct} must be in (0, 30)")));
        }
        if lot == 0 {
            return Err(crate::Error::config("params.lot", "must be at least 1"));
        }
        Ok(Self { levels, step: step_pct / 100.0, lot, centre: CodeMap::default() })
    }

    fn level_price(&self, centre: f64, level: usize) -> f64 {
        centre * (1.0 - self.step * level as f64)
    }
}

impl Strategy for Grid {
    fn name(&self) -> &str {
        "grid"
    }

    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        let centre = *self.centre.entry(bar.code).or_insert(bar.close.as_f64());
        if ctx.has_open_order(bar.code) {
            return;
        }
        let date = bar.ts.kst_date();
        let table = TickTable::for_date(date, Market::Kospi, InstrumentKind::Stock);
        let (lower, upper) = price_limits(bar.close.won(), date, Market::Kospi, InstrumentKind::Stock);
        let held_lots = (ctx.qty(bar.code) / self.lot) as usize;
        // Falling prices fill level 1 first, so the shallowest `held_lots` levels are the held ones.
        for level in 1..=self.levels {
            let (side, p) = if level <= held_lots {
                (Side::Sell, table.round_up(self.level_price(centre, level - 1) as i64))
            } else {
                (Side::Buy, table.round_down(self.level_price(centre, level) as i64))
            };
            if p < lower || p > upper {
                continue;
            }
            if let Ok(price) = Price::new_checked(p) {
                let _ = ctx.limit(bar.code, side, self.lot, price);
            }
        }
    }
}
