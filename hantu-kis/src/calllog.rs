//! The call log: every request observable (endpoint, tr_id, latency, outcome) through a hook,
//! e.g. to fill the store's `api_calls` table.

use std::sync::Arc;
use std::time::Duration;

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
