//! What the services keep: scheduler job runs and the notification history.

use ::postgres::Transaction;

use super::codec::{get, instant, instant_opt, small, ts, ts_opt};
use super::map_err;
use crate::domain::Timestamp;
use crate::notify::{DeliveryStatus, Level, NotificationRecord};
use crate::schedule::{JobOutcome, JobRun};
use crate::store::StoreError;

pub(super) fn record_job_run(t: &mut Transaction<'_>, run: &JobRun) -> Result<i64, StoreError> {
    t.query_one(
        "INSERT INTO job_runs (job, scheduled, started, finished, outcome, error) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id",
        &[
            &run.job,
            &ts(run.scheduled)?,
            &ts_opt(run.started)?,
            &ts_opt(run.finished)?,
            &run.outcome.as_str(),
            &run.error,
        ],
    )
    .map_err(map_err)
    .and_then(|r| get(&r, 0, "job_runs"))
}

pub(super) fn update_job_run(t: &mut Transaction<'_>, id: i64, run: &JobRun) -> Result<(), StoreError> {
    let n = t
        .execute(
            "UPDATE job_runs SET job = $2, scheduled = $3, started = $4, finished = $5, outcome = $6, error = $7
             WHERE id = $1",
            &[
                &id,
                &run.job,
                &ts(run.scheduled)?,
                &ts_opt(run.started)?,
                &ts_opt(run.finished)?,
                &run.outcome.as_str(),
                &run.error,
            ],
        )
        .map_err(map_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("job run {id}")));
    }
    Ok(())
}

pub(super) fn job_runs(
    t: &mut Transaction<'_>,
    job: Option<&str>,
    limit: usize,
) -> Result<Vec<(i64, JobRun)>, StoreError> {
    const T: &str = "job_runs";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    t.query(
        "SELECT id, job, scheduled, started, finished, outcome, error FROM job_runs
         WHERE $1::text IS NULL OR job = $1 ORDER BY id DESC LIMIT $2",
        &[&job, &limit],
    )
    .map_err(map_err)?
    .iter()
    .map(|r| {
        let outcome: &str = get(r, 5, T)?;
        let outcome = JobOutcome::parse(outcome)
            .ok_or_else(|| StoreError::Decode { table: T, message: format!("unknown outcome {outcome:?}") })?;
        let run = JobRun {
            job: get(r, 1, T)?,
            scheduled: instant(r, 2, T)?,
            started: instant_opt(r, 3, T)?,
            finished: instant_opt(r, 4, T)?,
            outcome,
            error: get(r, 6, T)?,
        };
        Ok((get(r, 0, T)?, run))
    })
    .collect()
}

pub(super) fn claim_notification(t: &mut Transaction<'_>, rec: &NotificationRecord) -> Result<Option<i64>, StoreError> {
    const T: &str = "notifications";
    if let Some(key) = &rec.dedup_key {
        let existing = t
            .query_opt(
                "SELECT id, status FROM notifications WHERE channel = $1 AND dedup_key = $2 FOR UPDATE",
                &[&rec.channel, key],
            )
            .map_err(map_err)?;
        if let Some(row) = existing {
            let (id, status): (i64, &str) = (get(&row, 0, T)?, get(&row, 1, T)?);
            if status != DeliveryStatus::Failed.as_str() {
                return Ok(None);
            }
            t.execute(
                "UPDATE notifications SET status = 'pending', error = NULL, updated = $2 WHERE id = $1",
                &[&id, &ts(rec.updated)?],
            )
            .map_err(map_err)?;
            return Ok(Some(id));
        }
    }
    // Another process may claim the same key between the check and the insert: the unique
    // index then makes this a duplicate, as it is.
    let row = t
        .query_opt(
            "INSERT INTO notifications (ts, channel, level, kind, dedup_key, title, body, status, attempts, error, updated)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (channel, dedup_key) DO NOTHING RETURNING id",
            &[
                &ts(rec.ts)?,
                &rec.channel,
                &rec.level.as_str(),
                &rec.kind,
                &rec.dedup_key,
                &rec.title,
                &rec.body,
                &rec.status.as_str(),
                &i64::from(rec.attempts),
                &rec.error,
                &ts(rec.updated)?,
            ],
        )
        .map_err(map_err)?;
    row.map(|r| get(&r, 0, T)).transpose()
}

pub(super) fn finish_notification(
    t: &mut Transaction<'_>,
    id: i64,
    status: DeliveryStatus,
    attempts: u32,
    error: Option<&str>,
    at: Timestamp,
) -> Result<(), StoreError> {
    let n = t
        .execute(
            "UPDATE notifications SET status = $2, attempts = attempts + $3, error = $4, updated = $5 WHERE id = $1",
            &[&id, &status.as_str(), &i64::from(attempts), &error, &ts(at)?],
        )
        .map_err(map_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("notification {id}")));
    }
    Ok(())
}

pub(super) fn notifications_since(
    t: &mut Transaction<'_>,
    since: Timestamp,
) -> Result<Vec<NotificationRecord>, StoreError> {
    const T: &str = "notifications";
    t.query(
        "SELECT id, ts, channel, level, kind, dedup_key, title, body, status, attempts, error, updated
         FROM notifications WHERE ts >= $1 ORDER BY ts, id",
        &[&ts(since)?],
    )
    .map_err(map_err)?
    .iter()
    .map(|r| {
        let bad = |what: &str, v: &str| StoreError::Decode { table: T, message: format!("unknown {what} {v:?}") };
        let level: &str = get(r, 3, T)?;
        let status: &str = get(r, 8, T)?;
        Ok(NotificationRecord {
            id: get(r, 0, T)?,
            ts: instant(r, 1, T)?,
            channel: get(r, 2, T)?,
            level: Level::parse(level).ok_or_else(|| bad("level", level))?,
            kind: get(r, 4, T)?,
            dedup_key: get(r, 5, T)?,
            title: get(r, 6, T)?,
            body: get(r, 7, T)?,
            status: DeliveryStatus::parse(status).ok_or_else(|| bad("status", status))?,
            attempts: small(r, 9, T)?,
            error: get(r, 10, T)?,
            updated: instant(r, 11, T)?,
        })
    })
    .collect()
}
