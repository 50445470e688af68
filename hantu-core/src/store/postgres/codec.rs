//! How domain values map to PostgreSQL columns (see [`super::migrations`]), and typed reads of
//! a row's columns that name the table when a value does not decode.

use ::postgres::Row;
use ::postgres::types::FromSql;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::domain::{ClientOrderId, Money, Price, Qty, StockCode, Timestamp};
use crate::store::{NamedValues, StoreError};

/// An instant as a `TIMESTAMPTZ` value.
pub(crate) fn ts(t: Timestamp) -> Result<DateTime<Utc>, StoreError> {
    DateTime::<Utc>::from_timestamp_millis(t.millis())
        .ok_or_else(|| StoreError::Constraint(format!("timestamp {} ms out of range", t.millis())))
}

/// [`ts`] of an optional instant.
pub(crate) fn ts_opt(t: Option<Timestamp>) -> Result<Option<DateTime<Utc>>, StoreError> {
    t.map(ts).transpose()
}

/// A `TIMESTAMPTZ` value as an instant.
pub(crate) fn ts_from(d: DateTime<Utc>) -> Timestamp {
    Timestamp::from_millis(d.timestamp_millis())
}

/// An unsigned count as `BIGINT`.
pub(crate) fn big(n: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Constraint(format!("{what} {n} too large")))
}

/// Reads column `i` as `T`.
pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, i: usize, table: &'static str) -> Result<T, StoreError> {
    row.try_get(i).map_err(|e| StoreError::Decode { table, message: format!("column {i}: {e}") })
}

fn bad(table: &'static str, i: usize, e: impl std::fmt::Display) -> StoreError {
    StoreError::Decode { table, message: format!("column {i}: {e}") }
}

pub(crate) fn code(row: &Row, i: usize, table: &'static str) -> Result<StockCode, StoreError> {
    StockCode::new_checked(get::<&str>(row, i, table)?).map_err(|e| bad(table, i, e))
}

pub(crate) fn client_id(row: &Row, i: usize, table: &'static str) -> Result<ClientOrderId, StoreError> {
    ClientOrderId::new_checked(get::<&str>(row, i, table)?).map_err(|e| bad(table, i, e))
}

pub(crate) fn price(row: &Row, i: usize, table: &'static str) -> Result<Price, StoreError> {
    Price::new_checked(get(row, i, table)?).map_err(|e| bad(table, i, e))
}

pub(crate) fn price_opt(row: &Row, i: usize, table: &'static str) -> Result<Option<Price>, StoreError> {
    get::<Option<i64>>(row, i, table)?.map(|v| Price::new_checked(v).map_err(|e| bad(table, i, e))).transpose()
}

pub(crate) fn unsigned(row: &Row, i: usize, table: &'static str) -> Result<u64, StoreError> {
    let v: i64 = get(row, i, table)?;
    u64::try_from(v).map_err(|_| bad(table, i, format!("negative value {v}")))
}

pub(crate) fn small(row: &Row, i: usize, table: &'static str) -> Result<u32, StoreError> {
    let v: i64 = get(row, i, table)?;
    u32::try_from(v).map_err(|_| bad(table, i, format!("value {v} out of range")))
}

pub(crate) fn qty(row: &Row, i: usize, table: &'static str) -> Result<Qty, StoreError> {
    unsigned(row, i, table).map(Qty::from_shares)
}

pub(crate) fn money(row: &Row, i: usize, table: &'static str) -> Result<Money, StoreError> {
    get::<Decimal>(row, i, table).map(Money::new)
}

pub(crate) fn instant(row: &Row, i: usize, table: &'static str) -> Result<Timestamp, StoreError> {
    get::<DateTime<Utc>>(row, i, table).map(ts_from)
}

pub(crate) fn instant_opt(row: &Row, i: usize, table: &'static str) -> Result<Option<Timestamp>, StoreError> {
    Ok(get::<Option<DateTime<Utc>>>(row, i, table)?.map(ts_from))
}

/// Money as an exact `NUMERIC`.
pub(crate) fn num(m: Money) -> Decimal {
    m.get().normalize()
}

/// Named values as a JSON array of `[name, value]` pairs, keeping their order (NaN as `null`).
pub(crate) fn named_to_json(values: &NamedValues) -> serde_json::Value {
    serde_json::Value::Array(
        values
            .iter()
            .map(|(k, v)| {
                let v = serde_json::Number::from_f64(*v).map_or(serde_json::Value::Null, serde_json::Value::Number);
                serde_json::Value::Array(vec![serde_json::Value::String(k.clone()), v])
            })
            .collect(),
    )
}

/// The inverse of [`named_to_json`].
pub(crate) fn named_from_json(table: &'static str, v: serde_json::Value) -> Result<NamedValues, StoreError> {
    let pairs: Vec<(String, Option<f64>)> =
        serde_json::from_value(v).map_err(|e| StoreError::Decode { table, message: format!("named values: {e}") })?;
    Ok(pairs.into_iter().map(|(k, v)| (k, v.unwrap_or(f64::NAN))).collect())
}

/// A score column: NaN ("could not be computed") is stored as NULL, as on SQLite.
pub(crate) fn score(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}
