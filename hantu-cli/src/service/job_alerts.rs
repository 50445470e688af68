//! What the scheduler tells people about its jobs: a failed step (warning), a step skipped because
//! its inputs are missing (info: "no picks today"), and the alerts the learning step records in the
//! store (a weights version whose accuracy degraded), all through the configured notifiers.
//!
//! Every notification carries a dedup key, and the delivery claims it in the store before sending,
//! so a step retried, a run started by hand, or a scheduler restarted does not tell the same thing
//! twice. Learning alerts are read back from the store's events after each run (the learning step
//! is a child process; the store is where it leaves them).

use std::sync::Arc;

use hantu_core::domain::Timestamp;
use hantu_core::notify::{Message, Notification, Notifier};
use hantu_core::schedule::{JobOutcome, JobRun};
use hantu_core::store::{EventKind, Store};

/// The source of the learning step's alert events (`hantu learn update`).
pub const LEARN_SOURCE: &str = "learn";

/// How far back learning alerts are looked for: the learning step dates its alerts at the close of
/// the day it learned up to, which after a long holiday is several days before the run.
const ALERT_LOOKBACK_MS: i64 = 14 * 86_400_000;

/// The notification of a run's outcome, if it is worth one: a failure, or a skip for missing inputs.
pub fn outcome_notification(run: &JobRun, now: Timestamp) -> Option<Notification> {
    let error = run.error.clone().unwrap_or_default();
    match run.outcome {
        JobOutcome::Failed => {
            Some(Notification::new(now, Message::JobFailed { job: run.job.clone(), error, attempt: 1 }))
        }
        JobOutcome::Skipped => {
            Some(Notification::new(now, Message::JobSkipped { job: run.job.clone(), reason: error }))
        }
        _ => None,
    }
}

/// Hands the outcome's notification (if any) to `notifier`.
pub fn notify_outcome(notifier: &dyn Notifier, run: &JobRun, now: Timestamp) {
    if let Some(n) = outcome_notification(run, now) {
        notifier.notify(&n);
    }
}

/// The learning alerts recorded in the store since `now` minus the lookback, as notifications
/// (one per event; its key is the event's time and text, so one already delivered is skipped).
///
/// # Errors
/// If the store cannot be read.
pub fn learn_alerts(store: &dyn Store, now: Timestamp) -> hantu_core::Result<Vec<Notification>> {
    let since = Timestamp::from_millis(now.millis() - ALERT_LOOKBACK_MS);
    Ok(store
        .events_since(since)?
        .into_iter()
        .filter(|e| e.kind == EventKind::Alert && e.source == LEARN_SOURCE)
        .map(|e| Notification::new(e.ts, Message::Alert { source: e.source, text: e.message }))
        .collect())
}

/// Sends the learning alerts not yet delivered; a store error is logged (the run is recorded).
pub fn forward_learn_alerts(store: &Arc<dyn Store>, notifier: &dyn Notifier, now: Timestamp) {
    match learn_alerts(&**store, now) {
        Ok(alerts) => {
            for n in &alerts {
                notifier.notify(n);
            }
        }
        Err(e) => tracing::warn!(error = %e, "Could not read the learning alerts"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hantu_core::notify::{Level, NotificationKind};
    use hantu_core::store::{EventRecord, MemoryStore};

    fn run(outcome: JobOutcome, error: Option<&str>) -> JobRun {
        JobRun {
            job: "trader".into(),
            scheduled: Timestamp::from_millis(0),
            started: None,
            finished: None,
            outcome,
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn failures_warn_skips_inform_and_successes_say_nothing() {
        let now = Timestamp::from_millis(1_000);
        let f = outcome_notification(&run(JobOutcome::Failed, Some("exit status: 1")), now).unwrap();
        assert_eq!((f.kind(), f.level), (NotificationKind::JobFailed, Level::Warning));
        let s = outcome_notification(&run(JobOutcome::Skipped, Some("no picks")), now).unwrap();
        assert_eq!((s.kind(), s.level), (NotificationKind::JobSkipped, Level::Info));
        assert!(s.dedup_key.as_deref().unwrap().starts_with("job_skipped:trader:"));
        assert!(outcome_notification(&run(JobOutcome::Succeeded, None), now).is_none());
        assert!(outcome_notification(&run(JobOutcome::Refused, Some("running")), now).is_none());
    }

    #[test]
    fn only_recent_learning_alerts_are_forwarded_each_with_a_stable_key() {
        let store = MemoryStore::new();
        let day = 86_400_000;
        let now = Timestamp::from_millis(100 * day);
        let event = |ts: i64, kind, source: &str| EventRecord {
            ts: Timestamp::from_millis(ts),
            kind,
            source: source.into(),
            message: format!("weights v{ts} degraded"),
            detail: serde_json::Value::Null,
        };
        store.record_event(&event(99 * day, EventKind::Alert, "learn")).unwrap();
        store.record_event(&event(80 * day, EventKind::Alert, "learn")).unwrap();
        store.record_event(&event(99 * day, EventKind::Alert, "trader")).unwrap();
        store.record_event(&event(99 * day, EventKind::Error, "learn")).unwrap();
        let a = learn_alerts(&store, now).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].kind(), NotificationKind::Alert);
        assert_eq!(a[0].dedup_key, learn_alerts(&store, now).unwrap()[0].dedup_key);
    }
}
