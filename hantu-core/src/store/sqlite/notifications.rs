//! The notification history (`notifications`): claimed before delivery, finished after it,
//! unique by `(channel, dedup_key)` so a duplicate is refused across restarts.

use rusqlite::{Connection, OptionalExtension, params};

use super::map_err_in;
use crate::domain::Timestamp;
use crate::notify::{DeliveryStatus, Level, NotificationRecord};
use crate::store::StoreError;

pub(super) fn claim(conn: &Connection, rec: &NotificationRecord) -> Result<Option<i64>, StoreError> {
    let e = |err| map_err_in("notifications", err);
    if let Some(key) = &rec.dedup_key {
        let existing: Option<(i64, String)> = conn
            .prepare_cached("SELECT id, status FROM notifications WHERE channel = ?1 AND dedup_key = ?2")
            .and_then(|mut s| s.query_row(params![rec.channel, key], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(e)?;
        if let Some((id, status)) = existing {
            if status != DeliveryStatus::Failed.as_str() {
                return Ok(None);
            }
            conn.prepare_cached(
                "UPDATE notifications SET status = 'pending', error = NULL, updated = ?2 WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![id, rec.updated]))
            .map_err(e)?;
            return Ok(Some(id));
        }
    }
    conn.prepare_cached(
        "INSERT INTO notifications (ts, channel, level, kind, dedup_key, title, body, status, attempts, error, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .and_then(|mut s| {
        s.execute(params![
            rec.ts,
            rec.channel,
            rec.level.as_str(),
            rec.kind,
            rec.dedup_key,
            rec.title,
            rec.body,
            rec.status.as_str(),
            rec.attempts,
            rec.error,
            rec.updated
        ])
    })
    .map_err(e)?;
    Ok(Some(conn.last_insert_rowid()))
}

pub(super) fn finish(
    conn: &Connection,
    id: i64,
    status: DeliveryStatus,
    attempts: u32,
    error: Option<&str>,
    at: Timestamp,
) -> Result<(), StoreError> {
    let n = conn
        .prepare_cached(
            "UPDATE notifications SET status = ?2, attempts = attempts + ?3, error = ?4, updated = ?5 WHERE id = ?1",
        )
        .and_then(|mut s| s.execute(params![id, status.as_str(), attempts, error, at]))
        .map_err(|e| map_err_in("notifications", e))?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("notification {id}")));
    }
    Ok(())
}

pub(super) fn since(conn: &Connection, since: Timestamp) -> Result<Vec<NotificationRecord>, StoreError> {
    let e = |err| map_err_in("notifications", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, ts, channel, level, kind, dedup_key, title, body, status, attempts, error, updated
             FROM notifications WHERE ts >= ?1 ORDER BY ts, id",
        )
        .map_err(e)?;
    let rows = stmt
        .query_map([since], |r| {
            Ok((
                NotificationRecord {
                    id: r.get(0)?,
                    ts: r.get(1)?,
                    channel: r.get(2)?,
                    level: Level::Info,
                    kind: r.get(4)?,
                    dedup_key: r.get(5)?,
                    title: r.get(6)?,
                    body: r.get(7)?,
                    status: DeliveryStatus::Pending,
                    attempts: r.get(9)?,
                    error: r.get(10)?,
                    updated: r.get(11)?,
                },
                r.get::<_, String>(3)?,
                r.get::<_, String>(8)?,
            ))
        })
        .map_err(e)?;
    let mut out = Vec::new();
    for row in rows {
        let (mut rec, level, status) = row.map_err(e)?;
        let bad = |what: &str, v: &str| StoreError::Decode {
            table: "notifications",
            message: format!("unknown {what} {v:?}"),
        };
        rec.level = Level::parse(&level).ok_or_else(|| bad("level", &level))?;
        rec.status = DeliveryStatus::parse(&status).ok_or_else(|| bad("status", &status))?;
        out.push(rec);
    }
    Ok(out)
}
