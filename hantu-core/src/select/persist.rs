//! Writing selections to a [`Store`].

use super::{Selection, Selector};
use crate::krx::KrxCalendar;
use crate::store::{SelectionRecord, Store};

impl Selection {
    /// The picks as store records, dated for the session after the as-of date. Each record
    /// names the weights version; its free-form config holds the selector settings, their
    /// fingerprint and the pick's price levels and size.
    #[must_use]
    pub fn to_records(&self, selector: &Selector, screen_run_id: Option<i64>) -> Vec<SelectionRecord> {
        let date = KrxCalendar::next_trading_day(self.as_of);
        self.picks
            .iter()
            .map(|p| SelectionRecord {
                date,
                code: p.code,
                class: p.class.as_str().to_owned(),
                confidence: p.confidence,
                score: p.score,
                weights_version: self.weights_version.clone(),
                screen_run_id,
                factors: p
                    .factors
                    .iter()
                    .map(|f| (f.factor.as_str().to_owned(), f.score.unwrap_or(f64::NAN)))
                    .collect(),
                config: serde_json::json!({
                    "selector": selector.config(),
                    "fingerprint": format!("{:016x}", self.fingerprint),
                    "as_of": self.as_of,
                    "rank": p.rank,
                    "close": p.close,
                    "entry_low": p.entry_low,
                    "entry_high": p.entry_high,
                    "stop": p.stop,
                    "target": p.target,
                    "qty": p.qty,
                }),
            })
            .collect()
    }

    /// Saves the picks (upserting by date and code).
    ///
    /// # Errors
    /// [`crate::Error::Store`] when the write fails or `screen_run_id` names no stored run.
    pub fn save(&self, selector: &Selector, store: &dyn Store, screen_run_id: Option<i64>) -> crate::Result<()> {
        Ok(store.save_selections(&self.to_records(selector, screen_run_id))?)
    }
}
