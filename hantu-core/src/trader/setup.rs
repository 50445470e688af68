//! Start-up steps every front end of the trader shares (the `hantu trade start` command, Python's
//! `hantu.trade.run`), so they start a session the same way.

use crate::control::{self, ControlRecord, ControlState};
use crate::data::MarketData;
use crate::domain::{Price, StockCode, Timestamp};
use crate::store::{Store, StoreError};

/// Clears a stop left in the store by an earlier session: a new start is an operator's request to
/// trade. A pause is kept (it is a decision about entries, not about this process). Returns whether a
/// stop was cleared.
///
/// # Errors
/// If the store fails.
pub fn clear_stale_stop(store: &dyn Store, by: &str, now: Timestamp) -> Result<bool, StoreError> {
    if !matches!(control::control_state(store)?, ControlState::Stop { .. }) {
        return Ok(false);
    }
    let record =
        ControlRecord { state: ControlState::Running, by: by.into(), at: now, reason: Some("trade start".into()) };
    control::set_control(store, &record)?;
    Ok(true)
}

/// The previous closes of `codes` from `data`'s quotes: the base of today's price limits and of
/// market-buy reservations ([`super::Trader::set_prev_closes`]). A code without a quote is logged and
/// skipped (its first print stands in).
pub async fn prev_closes(data: &dyn MarketData, codes: &[StockCode]) -> Vec<(StockCode, Price)> {
    let mut closes = Vec::with_capacity(codes.len());
    for code in codes {
        match data.quote(*code).await {
            Ok(q) => closes.extend(q.prev_close.map(|p| (*code, p))),
            Err(e) => tracing::warn!(%code, error = %e, "No quote for the previous close"),
        }
    }
    closes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn a_stop_is_cleared_and_a_pause_is_kept() {
        let store = MemoryStore::new();
        let at = Timestamp::from_millis(1_000);
        assert!(!clear_stale_stop(&store, "test", at).unwrap(), "nothing to clear");
        let set = |state| {
            control::set_control(&store, &ControlRecord { state, by: "test".into(), at, reason: None }).unwrap();
        };
        set(ControlState::Stop { flatten: true });
        assert!(clear_stale_stop(&store, "test", at).unwrap());
        assert_eq!(control::control_state(&store).unwrap(), ControlState::Running);
        set(ControlState::Paused);
        assert!(!clear_stale_stop(&store, "test", at).unwrap());
        assert_eq!(control::control_state(&store).unwrap(), ControlState::Paused);
    }
}
