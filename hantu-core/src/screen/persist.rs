//! Writing screen runs to a [`Store`] and comparing a run with the last stored one.

use super::{ScreenResult, Screener, WatchlistDiff};
use crate::domain::Timestamp;
use crate::store::{ScreenRunRecord, Store, Watchlist, WatchlistEntryRecord};

impl ScreenResult {
    /// The run and its watchlist as store records. The run is stamped at the as-of close (the
    /// data it saw), and its config records the screen's settings and fingerprint.
    #[must_use]
    pub fn to_records(&self, screener: &Screener) -> (ScreenRunRecord, Vec<WatchlistEntryRecord>) {
        let config = serde_json::json!({
            "screen": screener.config(),
            "fingerprint": format!("{:016x}", self.fingerprint),
            "as_of": self.as_of,
            "evaluated": self.evaluated,
        });
        let run = ScreenRunRecord {
            name: self.screen.clone(),
            ts: Timestamp::daily_close(self.as_of),
            universe_size: u32::try_from(self.universe_size).unwrap_or(u32::MAX),
            config,
        };
        let names: Vec<String> = self.columns().iter().map(ToString::to_string).collect();
        let entries = self
            .entries
            .iter()
            .map(|e| WatchlistEntryRecord {
                code: e.code,
                rank: u32::try_from(e.rank).unwrap_or(u32::MAX),
                score: e.score.unwrap_or(f64::NAN),
                passed: true,
                criteria: names.iter().cloned().zip(e.values.iter().map(|v| v.unwrap_or(f64::NAN))).collect(),
            })
            .collect();
        (run, entries)
    }

    /// Saves the run and its watchlist; returns the run id.
    ///
    /// # Errors
    /// [`crate::Error::Store`] when the write fails.
    pub fn save(&self, screener: &Screener, store: &dyn Store) -> crate::Result<i64> {
        let (run, entries) = self.to_records(screener);
        Ok(store.save_screen_run(&run, &entries)?)
    }

    /// Entries and exits against a stored watchlist (e.g. [`Store::latest_watchlist`]).
    #[must_use]
    pub fn diff_stored(&self, previous: &Watchlist) -> WatchlistDiff {
        let old: Vec<_> = previous.entries.iter().map(|e| e.code).collect();
        WatchlistDiff::between(&old, &self.codes())
    }
}
