//! An in-memory [`Store`] for tests and throwaway runs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use chrono::NaiveDate;

use super::{
    ApiCallRecord, DailyReturnRecord, EventRecord, OutcomeRecord, PredictionRecord, RegimeRecord, RunRecord,
    ScreenRunRecord, SelectionRecord, Store, StoreError, StoredRun, TradeRecord, Watchlist, WatchlistEntryRecord,
    WeightsVersionRecord,
};
use crate::domain::{Bar, ClientOrderId, Fill, Fundamentals, Instrument, Order, Position, StockCode, Timestamp};
use crate::notify::{DeliveryStatus, NotificationRecord};
use crate::schedule::JobRun;

type PredictionKey = (NaiveDate, StockCode, u32, String);

#[derive(Default)]
struct Inner {
    orders: BTreeMap<ClientOrderId, Order>,
    history: Vec<Order>,
    fills: Vec<Fill>,
    positions: BTreeMap<Timestamp, Vec<Position>>,
    instruments: BTreeMap<StockCode, Instrument>,
    bars: BTreeMap<(StockCode, Timestamp), Bar>,
    minute_bars: BTreeMap<(StockCode, Timestamp), Bar>,
    fundamentals: BTreeMap<(StockCode, NaiveDate), Fundamentals>,
    screen_runs: Vec<Watchlist>,
    /// By date, then code: one day's picks are one lookup.
    selections: BTreeMap<NaiveDate, BTreeMap<StockCode, SelectionRecord>>,
    predictions: BTreeMap<PredictionKey, PredictionRecord>,
    outcomes: BTreeMap<PredictionKey, OutcomeRecord>,
    weights: BTreeMap<String, WeightsVersionRecord>,
    regimes: BTreeMap<NaiveDate, RegimeRecord>,
    runs: Vec<StoredRun>,
    api_calls: Vec<ApiCallRecord>,
    events: Vec<EventRecord>,
    settings: BTreeMap<String, String>,
    job_runs: Vec<JobRun>,
    notifications: Vec<NotificationRecord>,
}

fn check_bars(bars: &[Bar]) -> Result<(), StoreError> {
    match bars.iter().find_map(|b| b.validate().err()) {
        Some(e) => Err(StoreError::Constraint(e.to_string())),
        None => Ok(()),
    }
}

/// Everything in memory, lost on drop.
#[derive(Default)]
pub struct MemoryStore(Mutex<Inner>, super::locks::ProcessLocks);

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

    fn orders_since(&self, since: Timestamp) -> Result<Vec<Order>, StoreError> {
        let mut out: Vec<Order> = self.lock().orders.values().filter(|o| o.created >= since).cloned().collect();
        out.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.client_id.cmp(&b.client_id)));
        Ok(out)
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
        check_bars(bars)?;
        let mut g = self.lock();
        for b in bars {
            g.bars.insert((b.code, b.ts), *b);
        }
        Ok(bars.len())
    }

    fn daily_bars(&self, code: StockCode, from: NaiveDate, to: NaiveDate) -> Result<Vec<Bar>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        let (lo, hi) = (Timestamp::daily_close(from), Timestamp::daily_close(to));
        Ok(self.lock().bars.range((code, lo)..=(code, hi)).map(|(_, b)| *b).collect())
    }

    fn order_history(&self, client_id: &ClientOrderId) -> Result<Vec<Order>, StoreError> {
        Ok(self.lock().history.iter().filter(|o| &o.client_id == client_id).cloned().collect())
    }

    fn fills_since(&self, since: Timestamp) -> Result<Vec<Fill>, StoreError> {
        let mut out: Vec<Fill> = self.lock().fills.iter().filter(|f| f.ts >= since).cloned().collect();
        out.sort_by_key(|f| f.ts);
        Ok(out)
    }

    fn save_positions(&self, ts: Timestamp, positions: &[Position]) -> Result<(), StoreError> {
        let mut sorted = positions.to_vec();
        sorted.sort_by_key(|p| p.code);
        if sorted.windows(2).any(|w| w[0].code == w[1].code) {
            return Err(StoreError::Constraint(format!("two positions for one code in the snapshot at {ts}")));
        }
        self.lock().positions.insert(ts, sorted);
        Ok(())
    }

    fn positions(&self) -> Result<Vec<Position>, StoreError> {
        Ok(self.lock().positions.values().next_back().cloned().unwrap_or_default())
    }

    fn upsert_minute_bars(&self, bars: &[Bar]) -> Result<usize, StoreError> {
        check_bars(bars)?;
        let mut g = self.lock();
        for b in bars {
            g.minute_bars.insert((b.code, b.ts), *b);
        }
        Ok(bars.len())
    }

    fn minute_bars(&self, code: StockCode, from: Timestamp, to: Timestamp) -> Result<Vec<Bar>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        Ok(self.lock().minute_bars.range((code, from)..=(code, to)).map(|(_, b)| *b).collect())
    }

    fn upsert_fundamentals(&self, rows: &[Fundamentals]) -> Result<(), StoreError> {
        let mut g = self.lock();
        for f in rows {
            g.fundamentals.insert((f.code, f.as_of), f.clone());
        }
        Ok(())
    }

    fn latest_fundamentals(&self) -> Result<Vec<Fundamentals>, StoreError> {
        let g = self.lock();
        let mut latest: BTreeMap<StockCode, &Fundamentals> = BTreeMap::new();
        for f in g.fundamentals.values() {
            // Keys ascend by (code, date), so the last one seen per code is the latest.
            latest.insert(f.code, f);
        }
        Ok(latest.into_values().cloned().collect())
    }

    fn save_screen_run(&self, run: &ScreenRunRecord, entries: &[WatchlistEntryRecord]) -> Result<i64, StoreError> {
        let (mut codes, mut ranks) = (BTreeSet::new(), BTreeSet::new());
        for e in entries {
            if !codes.insert(e.code) || !ranks.insert(e.rank) {
                return Err(StoreError::Constraint(format!("watchlist entry {} rank {} repeats", e.code, e.rank)));
            }
        }
        let mut g = self.lock();
        let run_id = g.screen_runs.len() as i64 + 1;
        let mut entries = entries.to_vec();
        entries.sort_by_key(|e| e.rank);
        g.screen_runs.push(Watchlist { run_id, run: run.clone(), entries });
        Ok(run_id)
    }

    fn latest_watchlist(&self) -> Result<Option<Watchlist>, StoreError> {
        Ok(self.lock().screen_runs.iter().max_by_key(|w| (w.run.ts, w.run_id)).cloned())
    }

    fn save_selections(&self, picks: &[SelectionRecord]) -> Result<(), StoreError> {
        let mut g = self.lock();
        let runs = g.screen_runs.len() as i64;
        if let Some(p) = picks.iter().find(|p| p.screen_run_id.is_some_and(|id| id < 1 || id > runs)) {
            return Err(StoreError::Constraint(format!(
                "pick {} names unknown screen run {:?}",
                p.code, p.screen_run_id
            )));
        }
        for p in picks {
            g.selections.entry(p.date).or_default().insert(p.code, p.clone());
        }
        Ok(())
    }

    fn selections_on(&self, date: NaiveDate) -> Result<Vec<SelectionRecord>, StoreError> {
        let g = self.lock();
        let mut out: Vec<_> = g.selections.get(&date).map(|m| m.values().cloned().collect()).unwrap_or_default();
        // Best first with unscored (NaN) picks last, as SQL orders NULL scores.
        let key = |s: &SelectionRecord| if s.score.is_nan() { f64::NEG_INFINITY } else { s.score };
        out.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.code.cmp(&b.code)));
        Ok(out)
    }

    fn save_predictions(&self, predictions: &[PredictionRecord]) -> Result<(), StoreError> {
        let mut g = self.lock();
        for p in predictions {
            g.predictions.insert((p.date, p.code, p.horizon_days, p.source.clone()), p.clone());
        }
        Ok(())
    }

    fn record_outcomes(&self, outcomes: &[OutcomeRecord]) -> Result<(), StoreError> {
        let mut g = self.lock();
        let key = |o: &OutcomeRecord| (o.date, o.code, o.horizon_days, o.source.clone());
        if let Some(o) = outcomes.iter().find(|o| !g.predictions.contains_key(&key(o))) {
            return Err(StoreError::NotFound(format!(
                "prediction {} {} +{}d by {}",
                o.date, o.code, o.horizon_days, o.source
            )));
        }
        for o in outcomes {
            g.outcomes.insert(key(o), o.clone());
        }
        Ok(())
    }

    fn open_predictions(&self) -> Result<Vec<PredictionRecord>, StoreError> {
        let g = self.lock();
        let mut out: Vec<_> =
            g.predictions.iter().filter(|(k, _)| !g.outcomes.contains_key(*k)).map(|(_, p)| p.clone()).collect();
        out.sort_by(|a, b| {
            (a.date, a.code, a.horizon_days, &a.source).cmp(&(b.date, b.code, b.horizon_days, &b.source))
        });
        Ok(out)
    }

    fn outcomes_since(&self, since: NaiveDate) -> Result<Vec<(PredictionRecord, OutcomeRecord)>, StoreError> {
        let g = self.lock();
        Ok(g.outcomes
            .iter()
            .filter(|(_, o)| o.evaluated_on >= since)
            .filter_map(|(k, o)| g.predictions.get(k).map(|p| (p.clone(), o.clone())))
            .collect())
    }

    fn set_regime(&self, regime: &RegimeRecord) -> Result<(), StoreError> {
        self.lock().regimes.insert(regime.date, regime.clone());
        Ok(())
    }

    fn regime_on(&self, date: NaiveDate) -> Result<Option<RegimeRecord>, StoreError> {
        Ok(self.lock().regimes.range(..=date).next_back().map(|(_, r)| r.clone()))
    }

    fn save_weights_version(&self, version: &WeightsVersionRecord) -> Result<(), StoreError> {
        let mut g = self.lock();
        if let Some(parent) = version.parent.as_ref().filter(|p| !g.weights.contains_key(*p)) {
            return Err(StoreError::Constraint(format!("weights version {parent} does not exist")));
        }
        g.weights.insert(version.version.clone(), version.clone());
        Ok(())
    }

    fn weights_versions(&self) -> Result<Vec<WeightsVersionRecord>, StoreError> {
        let mut out: Vec<_> = self.lock().weights.values().cloned().collect();
        out.sort_by(|a, b| (a.effective_from, &a.version).cmp(&(b.effective_from, &b.version)));
        Ok(out)
    }

    fn save_run(
        &self,
        run: &RunRecord,
        trades: &[TradeRecord],
        daily: &[DailyReturnRecord],
    ) -> Result<i64, StoreError> {
        let mut dates = BTreeSet::new();
        if let Some(d) = daily.iter().find(|d| !dates.insert(d.date)) {
            return Err(StoreError::Constraint(format!("two daily returns on {}", d.date)));
        }
        let mut g = self.lock();
        let id = g.runs.len() as i64 + 1;
        let mut trades = trades.to_vec();
        trades.sort_by_key(|t| t.entry_ts);
        let mut daily = daily.to_vec();
        daily.sort_by_key(|d| d.date);
        g.runs.push(StoredRun { id, run: run.clone(), trades, daily });
        Ok(id)
    }

    fn run(&self, id: i64) -> Result<Option<StoredRun>, StoreError> {
        Ok(self.lock().runs.iter().find(|r| r.id == id).cloned())
    }

    fn runs(&self) -> Result<Vec<(i64, RunRecord)>, StoreError> {
        Ok(self.lock().runs.iter().rev().map(|r| (r.id, r.run.clone())).collect())
    }

    fn record_api_calls(&self, calls: &[ApiCallRecord]) -> Result<(), StoreError> {
        self.lock().api_calls.extend_from_slice(calls);
        Ok(())
    }

    fn api_calls_since(&self, since: Timestamp) -> Result<Vec<ApiCallRecord>, StoreError> {
        let mut out: Vec<_> = self.lock().api_calls.iter().filter(|c| c.ts >= since).cloned().collect();
        out.sort_by_key(|c| c.ts);
        Ok(out)
    }

    fn record_event(&self, event: &EventRecord) -> Result<(), StoreError> {
        self.lock().events.push(event.clone());
        Ok(())
    }

    fn events_since(&self, since: Timestamp) -> Result<Vec<EventRecord>, StoreError> {
        let mut out: Vec<_> = self.lock().events.iter().filter(|e| e.ts >= since).cloned().collect();
        out.sort_by_key(|e| e.ts);
        Ok(out)
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().settings.get(key).cloned())
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.lock().settings.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn record_job_run(&self, run: &JobRun) -> Result<i64, StoreError> {
        let mut g = self.lock();
        g.job_runs.push(run.clone());
        Ok(g.job_runs.len() as i64)
    }

    fn update_job_run(&self, id: i64, run: &JobRun) -> Result<(), StoreError> {
        let mut g = self.lock();
        let slot = usize::try_from(id - 1).ok().and_then(|i| g.job_runs.get_mut(i));
        match slot {
            Some(r) => {
                *r = run.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound(format!("job run {id}"))),
        }
    }

    fn job_runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<(i64, JobRun)>, StoreError> {
        let g = self.lock();
        Ok(g.job_runs
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, r)| job.is_none_or(|j| r.job == j))
            .take(limit)
            .map(|(i, r)| (i as i64 + 1, r.clone()))
            .collect())
    }

    fn claim_notification(&self, rec: &NotificationRecord) -> Result<Option<i64>, StoreError> {
        let mut inner = self.lock();
        if let Some(key) = &rec.dedup_key {
            let same =
                inner.notifications.iter_mut().find(|n| n.channel == rec.channel && n.dedup_key.as_ref() == Some(key));
            if let Some(existing) = same {
                if existing.status != DeliveryStatus::Failed {
                    return Ok(None);
                }
                existing.status = DeliveryStatus::Pending;
                existing.error = None;
                existing.updated = rec.updated;
                return Ok(Some(existing.id));
            }
        }
        let id = i64::try_from(inner.notifications.len()).unwrap_or(i64::MAX - 1) + 1;
        inner.notifications.push(NotificationRecord { id, ..rec.clone() });
        Ok(Some(id))
    }

    fn finish_notification(
        &self,
        id: i64,
        status: DeliveryStatus,
        attempts: u32,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let n = inner
            .notifications
            .iter_mut()
            .find(|n| n.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("notification {id}")))?;
        n.status = status;
        n.attempts = n.attempts.saturating_add(attempts);
        n.error = error.map(str::to_owned);
        n.updated = at;
        Ok(())
    }

    fn notifications_since(&self, since: Timestamp) -> Result<Vec<NotificationRecord>, StoreError> {
        let mut out: Vec<_> = self.lock().notifications.iter().filter(|n| n.ts >= since).cloned().collect();
        out.sort_by_key(|n| (n.ts, n.id));
        Ok(out)
    }

    fn try_lock_account(&self, account: &str) -> Result<Option<super::AccountLock>, StoreError> {
        Ok(self.1.try_lock(account))
    }
}
