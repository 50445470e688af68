//! `/metrics` in Prometheus text format.
//!
//! The trader, the KIS client and the scheduler run in other processes and leave their record in the
//! store, so most metrics are fed from there at each scrape: rows newer than the last scrape are
//! counted once (the first scrape starts from the last 24 hours). Counters therefore start again when
//! the API restarts, which Prometheus' `rate()` handles as a counter reset.
//!
//! | metric | from |
//! |---|---|
//! | `hantu_orders_total{side,outcome}` | orders reaching filled / cancelled / rejected / expired (journal) |
//! | `hantu_order_latency_seconds` | journal time to the broker's first answer (order history) |
//! | `hantu_kis_calls_total{tr_id,outcome}`, `hantu_kis_call_latency_seconds{tr_id}` | `api_calls` |
//! | `hantu_kis_rate_limited_total{tr_id}` | `api_calls` whose outcome is `rate_limited` (the client waited and retried) |
//! | `hantu_ws_reconnects_total`, `hantu_ws_gaps_total` | events from source `ws` with `detail.event` `reconnect` / `gap` |
//! | `hantu_job_runs_total{job,outcome}` | events from source `scheduler` with `detail.job` and `detail.outcome` |
//! | `hantu_equity_won`, `hantu_cash_won`, `hantu_exposure_ratio`, `hantu_positions`, `hantu_trader_heartbeat_age_seconds` | the trader's published status |
//! | `hantu_api_auth_failures_total{reason}`, `hantu_api_rate_limited_total{key}` | this process |

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use hantu_core::control::trader_status;
use hantu_core::domain::{ClientOrderId, OrderStatus, Timestamp};
use hantu_core::store::{ApiCallRecord, EventRecord, Store, StoreError};
use prometheus::{
    Encoder as _, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

use super::AppState;
use super::error::ApiError;
use super::read::now;

const DAY_MS: i64 = 86_400_000;

/// The registry and where the store feed stopped.
pub struct Metrics {
    registry: Registry,
    orders: IntCounterVec,
    order_latency: Histogram,
    kis_calls: IntCounterVec,
    kis_latency: HistogramVec,
    kis_rate_limited: IntCounterVec,
    ws_reconnects: IntCounter,
    ws_gaps: IntCounter,
    job_runs: IntCounterVec,
    equity: Gauge,
    cash: Gauge,
    exposure: Gauge,
    positions: IntGauge,
    heartbeat_age: Gauge,
    auth_failures: IntCounterVec,
    api_rate_limited: IntCounterVec,
    feed: Mutex<Feed>,
}

/// Cursors of the store feed.
#[derive(Default)]
struct Feed {
    calls: Option<(Timestamp, usize)>,
    events: Option<(Timestamp, usize)>,
    /// Orders already counted (true) or only latency-observed (false), with their creation time for pruning.
    orders: HashMap<ClientOrderId, (bool, Timestamp)>,
}

fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c =
        IntCounterVec::new(Opts::new(name, help), labels).unwrap_or_else(|e| unreachable!("static metric {name}: {e}"));
    let _ = r.register(Box::new(c.clone()));
    c
}

fn gauge(r: &Registry, name: &str, help: &str) -> Gauge {
    let g = Gauge::new(name, help).unwrap_or_else(|e| unreachable!("static metric {name}: {e}"));
    let _ = r.register(Box::new(g.clone()));
    g
}

fn histogram(r: &Registry, name: &str, help: &str, labels: &[&str], buckets: Vec<f64>) -> HistogramVec {
    let h = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels)
        .unwrap_or_else(|e| unreachable!("static metric {name}: {e}"));
    let _ = r.register(Box::new(h.clone()));
    h
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    #[must_use]
    pub fn new() -> Self {
        let r = Registry::new();
        let latency_buckets = vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        let ws_reconnects = IntCounter::new("hantu_ws_reconnects_total", "WebSocket reconnects")
            .unwrap_or_else(|e| unreachable!("{e}"));
        let ws_gaps = IntCounter::new("hantu_ws_gaps_total", "WebSocket gaps (missed data re-fetched)")
            .unwrap_or_else(|e| unreachable!("{e}"));
        let positions =
            IntGauge::new("hantu_positions", "Stocks held by the trader").unwrap_or_else(|e| unreachable!("{e}"));
        let order_latency = Histogram::with_opts(
            HistogramOpts::new("hantu_order_latency_seconds", "Journal to the broker's first answer")
                .buckets(latency_buckets.clone()),
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let _ = r.register(Box::new(order_latency.clone()));
        let _ = r.register(Box::new(ws_reconnects.clone()));
        let _ = r.register(Box::new(ws_gaps.clone()));
        let _ = r.register(Box::new(positions.clone()));
        Self {
            orders: counter_vec(&r, "hantu_orders_total", "Orders that reached a final state", &["side", "outcome"]),
            order_latency,
            kis_calls: counter_vec(&r, "hantu_kis_calls_total", "KIS API calls", &["tr_id", "outcome"]),
            kis_latency: histogram(
                &r,
                "hantu_kis_call_latency_seconds",
                "KIS API call round trips",
                &["tr_id"],
                latency_buckets,
            ),
            kis_rate_limited: counter_vec(
                &r,
                "hantu_kis_rate_limited_total",
                "KIS calls that hit the rate limit and waited",
                &["tr_id"],
            ),
            ws_reconnects,
            ws_gaps,
            job_runs: counter_vec(&r, "hantu_job_runs_total", "Scheduled job runs", &["job", "outcome"]),
            equity: gauge(&r, "hantu_equity_won", "Cash plus holdings at their last prices"),
            cash: gauge(&r, "hantu_cash_won", "Cash"),
            exposure: gauge(&r, "hantu_exposure_ratio", "Holdings' market value over equity"),
            positions,
            heartbeat_age: gauge(
                &r,
                "hantu_trader_heartbeat_age_seconds",
                "Seconds since the trader last published its status",
            ),
            auth_failures: counter_vec(
                &r,
                "hantu_api_auth_failures_total",
                "API requests refused for their key",
                &["reason"],
            ),
            api_rate_limited: counter_vec(
                &r,
                "hantu_api_rate_limited_total",
                "API requests refused by the rate limit",
                &["key"],
            ),
            registry: r,
            feed: Mutex::new(Feed::default()),
        }
    }

    /// Counts a refused key.
    pub fn auth_failure(&self, reason: &str) {
        self.auth_failures.with_label_values(&[reason]).inc();
    }

    /// Counts a rate-limited request.
    pub fn rate_limited(&self, key: &str) {
        self.api_rate_limited.with_label_values(&[key]).inc();
    }

    /// Reads what is new in the store into the metrics.
    ///
    /// # Errors
    /// If a store read fails (metrics fed so far stay).
    pub fn refresh(&self, s: &dyn Store) -> Result<(), StoreError> {
        let mut feed = self.feed.lock().unwrap_or_else(PoisonError::into_inner);
        let now = now();
        let day_ago = Timestamp::from_millis(now.millis() - DAY_MS);
        let calls = take_new(&mut feed.calls, day_ago, |ts| s.api_calls_since(ts), |c: &ApiCallRecord| c.ts)?;
        for c in calls {
            let tr = c.tr_id.as_deref().unwrap_or("-");
            let outcome = c.outcome.split(':').next().unwrap_or("error").trim();
            self.kis_calls.with_label_values(&[tr, outcome]).inc();
            self.kis_latency.with_label_values(&[tr]).observe(c.latency_us as f64 / 1e6);
            if outcome == "rate_limited" {
                self.kis_rate_limited.with_label_values(&[tr]).inc();
            }
        }
        let events = take_new(&mut feed.events, day_ago, |ts| s.events_since(ts), |e: &EventRecord| e.ts)?;
        for e in events {
            let what = e.detail.get("event").and_then(|v| v.as_str());
            match (e.source.as_str(), what) {
                ("ws", Some("reconnect")) => self.ws_reconnects.inc(),
                ("ws", Some("gap")) => self.ws_gaps.inc(),
                ("scheduler", _) => {
                    let job = e.detail.get("job").and_then(|v| v.as_str()).unwrap_or("unknown");
                    let outcome = e.detail.get("outcome").and_then(|v| v.as_str()).unwrap_or("unknown");
                    self.job_runs.with_label_values(&[job, outcome]).inc();
                }
                _ => {}
            }
        }
        let two_days_ago = Timestamp::from_millis(now.millis() - 2 * DAY_MS);
        for o in s.orders_since(two_days_ago)? {
            let (counted, _) = *feed.orders.get(&o.client_id).unwrap_or(&(false, o.created));
            let seen = feed.orders.contains_key(&o.client_id);
            if !seen && o.status != OrderStatus::PendingNew {
                let history = s.order_history(&o.client_id)?;
                if let Some(first) = history.iter().find(|h| h.status != OrderStatus::PendingNew) {
                    self.order_latency.observe((first.updated.millis() - o.created.millis()).max(0) as f64 / 1e3);
                }
                feed.orders.insert(o.client_id.clone(), (false, o.created));
            }
            if !counted && !o.status.is_open() {
                self.orders.with_label_values(&[o.request.side.as_str(), o.status.as_str()]).inc();
                feed.orders.insert(o.client_id.clone(), (true, o.created));
            }
        }
        feed.orders.retain(|_, (_, created)| *created >= two_days_ago);
        drop(feed);
        if let Some(t) = trader_status(s)? {
            let equity = t.equity.to_f64();
            let held: i64 = t.positions.iter().map(hantu_core::domain::Position::market_value).sum();
            self.equity.set(equity);
            self.cash.set(t.cash.to_f64());
            self.exposure.set(if equity > 0.0 { held as f64 / equity } else { 0.0 });
            self.positions.set(t.positions.iter().filter(|p| !p.qty.is_zero()).count() as i64);
            self.heartbeat_age.set((now.millis() - t.heartbeat.millis()) as f64 / 1e3);
        }
        Ok(())
    }

    /// The text exposition.
    #[must_use]
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Rows of an append-only, time-ordered table that are newer than the cursor (inclusive reads, rows
/// at the cursor's instant already counted are skipped by count).
fn take_new<T>(
    cursor: &mut Option<(Timestamp, usize)>,
    start: Timestamp,
    read: impl Fn(Timestamp) -> Result<Vec<T>, StoreError>,
    ts_of: impl Fn(&T) -> Timestamp,
) -> Result<Vec<T>, StoreError> {
    let (mut ts, mut skip) = cursor.unwrap_or((start, 0));
    let rows = read(ts)?;
    let mut seen_at_ts = skip;
    let mut out = Vec::new();
    for r in rows {
        let t = ts_of(&r);
        if t == ts && skip > 0 {
            skip -= 1;
            continue;
        }
        if t > ts {
            ts = t;
            seen_at_ts = 0;
        }
        seen_at_ts += 1;
        out.push(r);
    }
    *cursor = Some((ts, seen_at_ts));
    Ok(out)
}

/// Prometheus metrics (text format 0.0.4).
#[utoipa::path(get, path = "/metrics", tag = "read",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
pub async fn export(State(state): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let st = Arc::clone(&state);
    state.with_store(move |s| Ok(st.metrics.refresh(s)?)).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render()))
}
