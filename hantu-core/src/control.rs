//! The trader's control flag: what operators asked a running trader to do.
//!
//! It lives in the store (settings key [`CONTROL_KEY`]), so the CLI, the HTTP API and the Telegram bot
//! are three doors to one flag, and a restarted trader sees what was asked before it died. Every change
//! is also recorded as an event, so who asked for what, and when, is kept.

use serde::{Deserialize, Serialize};

use crate::domain::{Money, Order, Position, StockCode, Timestamp};
use crate::store::{EMERGENCY_STOP_KEY, EventKind, EventRecord, Store, StoreError};

/// The settings key holding the current [`ControlRecord`] as JSON.
pub const CONTROL_KEY: &str = "trader.control";

/// What the trader should be doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ControlState {
    /// Trade normally.
    #[default]
    Running,
    /// No new entries; exits, stops and cancels still work.
    Paused,
    /// Stop trading; with `flatten`, cancel every working order and sell every holding at market first.
    Stop {
        /// Cancel everything and sell everything before stopping.
        flatten: bool,
    },
}

impl ControlState {
    /// Whether new entries are allowed.
    #[must_use]
    pub const fn allows_entries(self) -> bool {
        matches!(self, ControlState::Running)
    }

    /// A short name (`running`, `paused`, `stop`, `stop_flatten`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ControlState::Running => "running",
            ControlState::Paused => "paused",
            ControlState::Stop { flatten: false } => "stop",
            ControlState::Stop { flatten: true } => "stop_flatten",
        }
    }
}

/// The flag with who set it and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRecord {
    /// The requested state.
    #[serde(flatten)]
    pub state: ControlState,
    /// Who asked (`cli`, `api:<key name>`, `telegram:<chat id>`, `scheduler`, …).
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why, if given.
    pub reason: Option<String>,
}

/// The current control record; `None` when nobody ever set one (which means [`ControlState::Running`]).
///
/// # Errors
/// If the read fails or the stored value is not a control record.
pub fn read_control(store: &dyn Store) -> Result<Option<ControlRecord>, StoreError> {
    match store.setting(CONTROL_KEY)? {
        None => Ok(None),
        Some(json) => from_json(&json, CONTROL_KEY).map(Some),
    }
}

/// The current state ([`ControlState::Running`] when never set).
///
/// # Errors
/// As [`read_control`].
pub fn control_state(store: &dyn Store) -> Result<ControlState, StoreError> {
    Ok(read_control(store)?.map(|r| r.state).unwrap_or_default())
}

/// Sets the flag, keeps the emergency-stop flag in step (set while stopping with flatten), and records
/// the change as an event.
///
/// # Errors
/// If a write fails.
pub fn set_control(store: &dyn Store, record: &ControlRecord) -> Result<(), StoreError> {
    let json =
        serde_json::to_string(record).map_err(|e| StoreError::Decode { table: "settings", message: e.to_string() })?;
    store.set_setting(CONTROL_KEY, &json)?;
    let emergency = matches!(record.state, ControlState::Stop { flatten: true });
    store.set_setting(EMERGENCY_STOP_KEY, if emergency { "1" } else { "0" })?;
    store.record_event(&EventRecord {
        ts: record.at,
        kind: EventKind::Alert,
        source: "control".to_owned(),
        message: format!("trader control set to {} by {}", record.state.as_str(), record.by),
        detail: serde_json::to_value(record).unwrap_or(serde_json::Value::Null),
    })
}

/// The settings key of a pending force-exit request (JSON [`ForceExitRequest`]).
pub const FORCE_EXIT_KEY: &str = "trader.force_exit";

/// The settings key where a running trader publishes its [`TraderStatus`] (about once a second).
pub const TRADER_STATUS_KEY: &str = "trader.status";

/// A request to sell holdings at market now (Telegram `/forceexit`, the API), exits only: it is honoured
/// while paused too. The trader takes it (reads and clears it) and acts on it once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForceExitRequest {
    /// The codes to sell; `None` means every holding.
    pub codes: Option<Vec<StockCode>>,
    /// Who asked.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// Stores a force-exit request (replacing one not yet taken) and records it as an event.
///
/// # Errors
/// If a write fails.
pub fn request_force_exit(store: &dyn Store, request: &ForceExitRequest) -> Result<(), StoreError> {
    store.set_setting(FORCE_EXIT_KEY, &to_json(request)?)?;
    let what = request
        .codes
        .as_ref()
        .map_or_else(|| "all".to_owned(), |c| c.iter().map(ToString::to_string).collect::<Vec<_>>().join(","));
    store.record_event(&EventRecord {
        ts: request.at,
        kind: EventKind::Alert,
        source: "control".to_owned(),
        message: format!("force exit of {what} requested by {}", request.by),
        detail: serde_json::to_value(request).unwrap_or(serde_json::Value::Null),
    })
}

/// Takes the pending force-exit request, if any, and clears it.
///
/// # Errors
/// If the read or write fails, or the stored value is not a request.
pub fn take_force_exit(store: &dyn Store) -> Result<Option<ForceExitRequest>, StoreError> {
    let Some(json) = store.setting(FORCE_EXIT_KEY)?.filter(|s| !s.is_empty()) else { return Ok(None) };
    store.set_setting(FORCE_EXIT_KEY, "")?;
    from_json(&json, FORCE_EXIT_KEY).map(Some)
}

/// What a running trader publishes about itself, for `hantu trade status`, the API and the bot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraderStatus {
    /// `live`, `paper` or `sandbox`.
    pub mode: String,
    /// The strategy (or `picks`).
    pub strategy: String,
    /// The state it is acting on.
    pub state: ControlState,
    /// OS process id.
    pub pid: u32,
    /// When it started.
    pub started_at: Timestamp,
    /// When this status was written; a status older than a few seconds means the trader is not running.
    pub heartbeat: Timestamp,
    /// Cash.
    pub cash: Money,
    /// Cash plus holdings at their last prices.
    pub equity: Money,
    /// Today's P&L (realised and unrealised, net of costs).
    pub pnl_today: Money,
    /// Holdings.
    pub positions: Vec<Position>,
    /// Working orders.
    pub working_orders: Vec<Order>,
    /// The last error, if any.
    pub last_error: Option<String>,
}

/// Publishes a trader status.
///
/// # Errors
/// If the write fails.
pub fn publish_status(store: &dyn Store, status: &TraderStatus) -> Result<(), StoreError> {
    store.set_setting(TRADER_STATUS_KEY, &to_json(status)?)
}

/// The last published trader status, if any (check its `heartbeat` for liveness).
///
/// # Errors
/// If the read fails or the stored value is not a status.
pub fn trader_status(store: &dyn Store) -> Result<Option<TraderStatus>, StoreError> {
    match store.setting(TRADER_STATUS_KEY)?.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(json) => from_json(&json, TRADER_STATUS_KEY).map(Some),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Decode { table: "settings", message: e.to_string() })
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str, key: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Decode { table: "settings", message: format!("{key}: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStore, emergency_stop};

    #[test]
    fn round_trips_and_keeps_emergency_stop_in_step() {
        let store = MemoryStore::new();
        assert_eq!(control_state(&store).unwrap(), ControlState::Running);
        let rec = ControlRecord {
            state: ControlState::Stop { flatten: true },
            by: "cli".into(),
            at: Timestamp::from_millis(1),
            reason: Some("test".into()),
        };
        set_control(&store, &rec).unwrap();
        assert_eq!(read_control(&store).unwrap(), Some(rec.clone()));
        assert!(emergency_stop(&store).unwrap());
        set_control(&store, &ControlRecord { state: ControlState::Paused, ..rec }).unwrap();
        assert_eq!(control_state(&store).unwrap(), ControlState::Paused);
        assert!(!control_state(&store).unwrap().allows_entries());
        assert!(!emergency_stop(&store).unwrap());
        assert_eq!(store.events_since(Timestamp::from_millis(0)).unwrap().len(), 2);
    }

    #[test]
    fn a_force_exit_is_taken_once() {
        let store = MemoryStore::new();
        assert_eq!(take_force_exit(&store).unwrap(), None);
        let req = ForceExitRequest { codes: None, by: "telegram:1".into(), at: Timestamp::from_millis(5) };
        request_force_exit(&store, &req).unwrap();
        assert_eq!(take_force_exit(&store).unwrap(), Some(req));
        assert_eq!(take_force_exit(&store).unwrap(), None);
    }

    #[test]
    fn a_corrupt_flag_is_an_error_not_running() {
        let store = MemoryStore::new();
        store.set_setting(CONTROL_KEY, "{not json").unwrap();
        assert!(read_control(&store).is_err());
    }
}
