//! Scheduler job runs (`job_runs`).

use rusqlite::{Connection, params};

use super::map_err_in;
use crate::schedule::{JobOutcome, JobRun};
use crate::store::StoreError;

pub(super) fn record_job_run(conn: &Connection, run: &JobRun) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO job_runs (job, scheduled, started, finished, outcome, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![run.job, run.scheduled, run.started, run.finished, run.outcome.as_str(), run.error])
    })
    .map_err(|e| map_err_in("job_runs", e))?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn update_job_run(conn: &Connection, id: i64, run: &JobRun) -> Result<(), StoreError> {
    let n = conn
        .prepare_cached(
            "UPDATE job_runs SET job = ?2, scheduled = ?3, started = ?4, finished = ?5, outcome = ?6, error = ?7
             WHERE id = ?1",
        )
        .and_then(|mut s| {
            s.execute(params![id, run.job, run.scheduled, run.started, run.finished, run.outcome.as_str(), run.error])
        })
        .map_err(|e| map_err_in("job_runs", e))?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("job run {id}")));
    }
    Ok(())
}

pub(super) fn job_runs(conn: &Connection, job: Option<&str>, limit: usize) -> Result<Vec<(i64, JobRun)>, StoreError> {
    let e = |err| map_err_in("job_runs", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, job, scheduled, started, finished, outcome, error FROM job_runs
             WHERE ?1 IS NULL OR job = ?1 ORDER BY id DESC LIMIT ?2",
        )
        .map_err(e)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(params![job, limit], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, String>(5)?, r.get(6)?))
        })
        .map_err(e)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, job, scheduled, started, finished, outcome, error) = row.map_err(e)?;
        let outcome = JobOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::Decode { table: "job_runs", message: format!("unknown outcome {outcome:?}") })?;
        out.push((id, JobRun { job, scheduled, started, finished, outcome, error }));
    }
    Ok(out)
}
