//! The trader's control flag: what operators asked a running trader to do.
//!
//! It lives in the store (settings key [`CONTROL_KEY`]), so the CLI, the HTTP API and the Telegram bot
//! are three doors to one flag, and a restarted trader sees what was asked before it died. Every change
//! is also recorded as an event, so who asked for what, and when, is kept.

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;
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
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| StoreError::Decode { table: "settings", message: format!("{CONTROL_KEY}: {e}") }),
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
    fn a_corrupt_flag_is_an_error_not_running() {
        let store = MemoryStore::new();
        store.set_setting(CONTROL_KEY, "{not json").unwrap();
        assert!(read_control(&store).is_err());
    }
}
