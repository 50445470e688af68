//! The call log: every request observable (endpoint, tr_id, latency, outcome) through a hook,
//! e.g. to fill the store's `api_calls` table.

use std::sync::Arc;
use std::time::Duration;

use hantu_core::clock::Clock;
use hantu_core::domain::Timestamp;
use hantu_core::store::{ApiCallRecord, Store};

/// How one HTTP exchange ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallOutcome {
    /// `rt_cd` `"0"`.
    Ok,
    /// KIS refused with this `msg_cd`.
    Refused(String),
    /// Transport failure or a non-KIS HTTP error.
    Failed(String),
}

/// One HTTP exchange with KIS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    /// Endpoint name, e.g. `inquire-price`.
    pub endpoint: &'static str,
    /// tr_id sent.
    pub tr_id: &'static str,
    /// 1-based attempt number of this logical call.
    pub attempt: u32,
    /// Time from send to the full reply (or failure).
    pub latency: Duration,
    /// HTTP status, when a reply arrived.
    pub status: Option<u16>,
    /// Outcome.
    pub outcome: CallOutcome,
}

/// A hook receiving every [`CallRecord`]; keep it fast (push to a channel).
pub type CallHook = Arc<dyn Fn(&CallRecord) + Send + Sync>;

impl CallRecord {
    /// The store's `api_calls` row for this call, stamped `ts` (the call's start).
    #[must_use]
    pub fn to_store_record(&self, ts: Timestamp) -> ApiCallRecord {
        ApiCallRecord {
            ts,
            endpoint: self.endpoint.to_owned(),
            tr_id: Some(self.tr_id.to_owned()),
            latency_us: u64::try_from(self.latency.as_micros()).unwrap_or(u64::MAX),
            status: self.status,
            outcome: match &self.outcome {
                CallOutcome::Ok => "ok".to_owned(),
                CallOutcome::Refused(code)
                    if code == crate::codes::RATE_LIMIT || code == crate::codes::LEDGER_RATE_LIMIT =>
                {
                    format!("rate_limited: {code}")
                }
                CallOutcome::Refused(code) => format!("refused: {code}"),
                CallOutcome::Failed(why) => format!("error: {why}"),
            },
        }
    }
}

/// A hook that appends every call to the store's `api_calls` table, stamped by `clock`.
/// Each call is one small write; failures to record are logged, never raised.
#[must_use]
pub fn store_hook(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> CallHook {
    Arc::new(move |r: &CallRecord| {
        let started = Timestamp::from_millis(clock.now().millis() - i64::try_from(r.latency.as_millis()).unwrap_or(0));
        if let Err(e) = store.record_api_calls(&[r.to_store_record(started)]) {
            tracing::warn!(error = %e, endpoint = r.endpoint, "Could not record a KIS call");
        }
    })
}
