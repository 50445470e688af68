//! Universe refresh: daily bars for many codes, as fast as the rate limit allows and no faster.
//!
//! Workers share the client (and so its one rate limiter per app key); the limiter, not the
//! worker count, sets the pace. Results go to a callback (or a [`Store`]) on the caller's task,
//! with a progress callback after every code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use hantu_core::broker::BrokerError;
use hantu_core::data::MarketData;
use hantu_core::domain::{Bar, StockCode};
use hantu_core::store::Store;
use tokio::sync::mpsc;

use crate::broker::KisBroker;

/// Progress of a refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Codes finished (with or without error).
    pub done: usize,
    /// Codes in total.
    pub total: usize,
    /// Codes that failed so far.
    pub failed: usize,
}

/// The outcome of a refresh.
#[derive(Clone, Debug)]
pub struct RefreshReport {
    /// Codes requested.
    pub codes: usize,
    /// Bars delivered.
    pub bars: usize,
    /// Codes that failed, with the error.
    pub failed: Vec<(StockCode, BrokerError)>,
    /// Wall time.
    pub elapsed: Duration,
}

impl RefreshReport {
    /// Codes per second.
    #[must_use]
    pub fn codes_per_sec(&self) -> f64 {
        self.codes as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Downloads daily bars in `from..=to` for each code with `workers` concurrent workers;
/// `sink` gets each code's bars (ascending), `progress` is called after every code.
pub async fn refresh_daily_bars(
    broker: Arc<KisBroker>,
    codes: &[StockCode],
    from: NaiveDate,
    to: NaiveDate,
    workers: usize,
    mut sink: impl FnMut(StockCode, Vec<Bar>),
    mut progress: impl FnMut(Progress),
) -> RefreshReport {
    let started = Instant::now();
    let owned: Vec<StockCode> = codes.to_vec();
    let queue = Arc::new(std::sync::Mutex::new(owned.into_iter()));
    let (tx, mut rx) = mpsc::channel::<(StockCode, Result<Vec<Bar>, BrokerError>)>(workers.max(1) * 4);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers.max(1) {
        let (queue, tx, broker) = (queue.clone(), tx.clone(), broker.clone());
        tasks.spawn(async move {
            loop {
                let next = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).next();
                let Some(code) = next else { break };
                let result = broker.daily_bars(code, from, to).await;
                if tx.send((code, result)).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut report = RefreshReport { codes: codes.len(), bars: 0, failed: Vec::new(), elapsed: Duration::ZERO };
    let mut done = 0;
    while let Some((code, result)) = rx.recv().await {
        done += 1;
        match result {
            Ok(bars) => {
                report.bars += bars.len();
                sink(code, bars);
            }
            Err(e) => {
                tracing::warn!(%code, error = %e, "Refresh failed for one code");
                report.failed.push((code, e));
            }
        }
        progress(Progress { done, total: codes.len(), failed: report.failed.len() });
    }
    while tasks.join_next().await.is_some() {}
    report.elapsed = started.elapsed();
    report
}

/// [`refresh_daily_bars`] into a [`Store`] (one upsert per code).
pub async fn refresh_into_store(
    broker: Arc<KisBroker>,
    store: &dyn Store,
    codes: &[StockCode],
    from: NaiveDate,
    to: NaiveDate,
    progress: impl FnMut(Progress),
) -> RefreshReport {
    let mut store_errors = Vec::new();
    let mut report = refresh_daily_bars(
        broker,
        codes,
        from,
        to,
        8,
        |code, bars| {
            if let Err(e) = store.upsert_daily_bars(&bars) {
                store_errors.push((code, BrokerError::Unavailable(format!("store: {e}"))));
            }
        },
        progress,
    )
    .await;
    report.failed.extend(store_errors);
    report
}
