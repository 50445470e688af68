//! Trading today's persisted picks intraday: buy in the entry zone, exit at the pick's stop or target
//! (through the price monitor).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::monitor::ExitRule;
use crate::domain::{Bar, Fill, Order, OrderStatus, Price, Side, StockCode, Tick};
use crate::store::{SelectionRecord, Store};
use crate::strategy::{Context, Strategy};

/// One pick as the trader uses it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TradePick {
    /// The stock.
    pub code: StockCode,
    /// Lowest price of the entry zone.
    pub entry_low: Price,
    /// Highest price of the entry zone (the buy limit).
    pub entry_high: Price,
    /// Stop-loss.
    pub stop: Price,
    /// Take-profit.
    pub target: Price,
    /// Shares to buy.
    pub qty: u64,
}

impl TradePick {
    /// The pick's exit levels.
    #[must_use]
    pub fn rule(&self) -> ExitRule {
        ExitRule { stop: Some(self.stop), target: Some(self.target), ..ExitRule::default() }
    }

    /// Reads the levels a selection record carries (see `Selection::to_records`).
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming the missing or bad field of the record.
    pub fn from_record(r: &SelectionRecord) -> crate::Result<Self> {
        let field = |k: &str| -> crate::Result<i64> {
            r.config.get(k).and_then(serde_json::Value::as_i64).ok_or_else(|| {
                crate::Error::config(format!("selections.{}.{k}", r.code), "missing or not a whole number")
            })
        };
        let price = |k: &str| -> crate::Result<Price> {
            Price::new_checked(field(k)?)
                .map_err(|e| crate::Error::config(format!("selections.{}.{k}", r.code), e.to_string()))
        };
        let qty = field("qty")?;
        if qty <= 0 {
            return Err(crate::Error::config(format!("selections.{}.qty", r.code), "must be positive"));
        }
        Ok(Self {
            code: r.code,
            entry_low: price("entry_low")?,
            entry_high: price("entry_high")?,
            stop: price("stop")?,
            target: price("target")?,
            qty: qty.unsigned_abs(),
        })
    }
}

/// Today's picks from the store.
///
/// # Errors
/// If the store fails or a record lacks its levels.
pub fn load_picks(store: &dyn Store, date: NaiveDate) -> crate::Result<Vec<TradePick>> {
    store.selections_on(date)?.iter().map(TradePick::from_record).collect()
}

/// Buys each pick when a print falls in its entry zone: a day limit buy at the top of the zone, for the
/// pick's shares, when nothing is held or working in that code. At most `max_entries` entries per pick
/// per day (1 unless set). Exits belong to the price monitor (stop, target, trailing, time stop).
#[derive(Clone, Debug)]
pub struct PickEntries {
    picks: BTreeMap<StockCode, TradePick>,
    entries: BTreeMap<StockCode, u32>,
    max_entries: u32,
}

impl PickEntries {
    /// A strategy over `picks`.
    #[must_use]
    pub fn new(picks: &[TradePick]) -> Self {
        Self { picks: picks.iter().map(|p| (p.code, *p)).collect(), entries: BTreeMap::new(), max_entries: 1 }
    }

    /// Allows `n` entries per pick per day (re-entering after an exit).
    #[must_use]
    pub fn with_max_entries(mut self, n: u32) -> Self {
        self.max_entries = n.max(1);
        self
    }
}

impl Strategy for PickEntries {
    fn name(&self) -> &str {
        "picks"
    }

    fn on_bar(&mut self, _ctx: &mut Context<'_>, _bar: &Bar) {}

    fn on_tick(&mut self, ctx: &mut Context<'_>, tick: &Tick) {
        let Some(p) = self.picks.get(&tick.code) else { return };
        let n = self.entries.get(&tick.code).copied().unwrap_or(0);
        if n >= self.max_entries || ctx.qty(tick.code) > 0 || ctx.has_open_order(tick.code) {
            return;
        }
        if tick.price >= p.entry_low && tick.price <= p.entry_high {
            let _ = ctx.limit(tick.code, Side::Buy, p.qty, p.entry_high);
        }
    }

    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) {
        // The first fill of a new holding is an entry.
        if fill.side == Side::Buy && ctx.qty(fill.code) == fill.qty.get() {
            *self.entries.entry(fill.code).or_insert(0) += 1;
        }
    }

    fn on_order_update(&mut self, _ctx: &mut Context<'_>, order: &Order) {
        // A refused buy would be refused again on the next print: give the pick up for the day.
        if order.status == OrderStatus::Rejected && order.request.side == Side::Buy {
            tracing::info!(code = %order.request.code, reason = order.reason.as_deref().unwrap_or(""), "Pick entry refused; not retried today");
            self.entries.insert(order.request.code, self.max_entries);
        }
    }

    fn on_day_end(&mut self, _ctx: &mut Context<'_>) {
        self.entries.clear();
    }
}
