//! An in-memory [`Store`] for tests and throwaway runs.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use chrono::NaiveDate;

use super::{Store, StoreError};
use crate::domain::{Bar, ClientOrderId, Fill, Instrument, Order, StockCode, Timestamp};

#[derive(Default)]
struct Inner {
    orders: BTreeMap<ClientOrderId, Order>,
    history: Vec<Order>,
    fills: Vec<Fill>,
    instruments: BTreeMap<StockCode, Instrument>,
    bars: BTreeMap<(StockCode, Timestamp), Bar>,
    settings: BTreeMap<String, String>,
}

/// Everything in memory, lost on drop.
#[derive(Default)]
pub struct MemoryStore(Mutex<Inner>);

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied change (each method
        // mutates at the end), so the data is still consistent.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Number of state records appended for an order (journal entry included).
    #[must_use]
    pub fn history_len(&self, client_id: &ClientOrderId) -> usize {
        self.lock().history.iter().filter(|o| &o.client_id == client_id).count()
    }
}

impl Store for MemoryStore {
    fn journal_order(&self, order: &Order) -> Result<(), StoreError> {
        let mut g = self.lock();
        if g.orders.contains_key(&order.client_id) {
            return Err(StoreError::Constraint(format!("order {} already journaled", order.client_id)));
        }
        g.orders.insert(order.client_id.clone(), order.clone());
        g.history.push(order.clone());
        Ok(())
    }

    fn update_order(&self, order: &Order) -> Result<(), StoreError> {
        let mut g = self.lock();
        let Some(slot) = g.orders.get_mut(&order.client_id) else {
            return Err(StoreError::NotFound(format!("order {}", order.client_id)));
        };
        *slot = order.clone();
        g.history.push(order.clone());
        Ok(())
    }

    fn record_fill(&self, fill: &Fill) -> Result<(), StoreError> {
        let mut g = self.lock();
        if !g.orders.contains_key(&fill.client_id) {
            return Err(StoreError::NotFound(format!("order {} for fill", fill.client_id)));
        }
        g.fills.push(fill.clone());
        Ok(())
    }

    fn order(&self, client_id: &ClientOrderId) -> Result<Option<Order>, StoreError> {
        Ok(self.lock().orders.get(client_id).cloned())
    }

    fn open_orders(&self) -> Result<Vec<Order>, StoreError> {
        Ok(self.lock().orders.values().filter(|o| o.status.is_open()).cloned().collect())
    }

    fn fills_for(&self, client_id: &ClientOrderId) -> Result<Vec<Fill>, StoreError> {
        Ok(self.lock().fills.iter().filter(|f| &f.client_id == client_id).cloned().collect())
    }

    fn upsert_instruments(&self, instruments: &[Instrument]) -> Result<(), StoreError> {
        let mut g = self.lock();
        for i in instruments {
            g.instruments.insert(i.code, i.clone());
        }
        Ok(())
    }

    fn instruments(&self) -> Result<Vec<Instrument>, StoreError> {
        Ok(self.lock().instruments.values().cloned().collect())
    }

    fn upsert_daily_bars(&self, bars: &[Bar]) -> Result<usize, StoreError> {
        let mut g = self.lock();
        for b in bars {
            g.bars.insert((b.code, b.ts), *b);
        }
        Ok(bars.len())
    }

    fn daily_bars(&self, code: StockCode, from: NaiveDate, to: NaiveDate) -> Result<Vec<Bar>, StoreError> {
        let (lo, hi) = (Timestamp::daily_close(from), Timestamp::daily_close(to));
        Ok(self.lock().bars.range((code, lo)..=(code, hi)).map(|(_, b)| *b).collect())
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().settings.get(key).cloned())
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.lock().settings.insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}
