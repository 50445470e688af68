//! Phase 4's own table: versions of the selection's factor weights.

use rusqlite::{Connection, params};

use super::codec::{date_to_sql, get_date, json_from_sql, named_from_json, named_to_json};
use super::map_err_in;
use crate::store::{StoreError, WeightsStatus, WeightsVersionRecord};

pub(super) fn save_weights_version(conn: &Connection, v: &WeightsVersionRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO weights_versions (version, effective_from, parent, weights, inputs, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (version) DO UPDATE SET effective_from = excluded.effective_from, parent = excluded.parent,
             weights = excluded.weights, inputs = excluded.inputs, status = excluded.status",
    )
    .and_then(|mut s| {
        s.execute(params![
            v.version,
            date_to_sql(v.effective_from),
            v.parent,
            named_to_json(&v.weights),
            v.inputs.to_string(),
            v.status.as_str()
        ])
    })
    .map_err(|err| map_err_in("weights_versions", err))?;
    Ok(())
}

pub(super) fn weights_versions(conn: &Connection) -> Result<Vec<WeightsVersionRecord>, StoreError> {
    let e = |err| map_err_in("weights_versions", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT version, effective_from, parent, weights, inputs, status FROM weights_versions
             ORDER BY effective_from, version",
        )
        .map_err(e)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                get_date(r, 1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .map_err(e)?;
    let mut out = Vec::new();
    for row in rows {
        let (version, effective_from, parent, weights, inputs, status) = row.map_err(e)?;
        let status = WeightsStatus::parse(&status).ok_or_else(|| StoreError::Decode {
            table: "weights_versions",
            message: format!("unknown status {status:?}"),
        })?;
        out.push(WeightsVersionRecord {
            version,
            effective_from,
            parent,
            weights: named_from_json("weights_versions", &weights)?,
            inputs: json_from_sql("weights_versions", &inputs)?,
            status,
        });
    }
    Ok(out)
}
