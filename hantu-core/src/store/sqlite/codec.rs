//! How domain values map to SQLite columns (see the conventions in [`super::migrations`]).

use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rust_decimal::Decimal;

use crate::domain::{ClientOrderId, Money, Price, StockCode, Timestamp};
use crate::store::{NamedValues, StoreError};

fn other(e: impl std::error::Error + Send + Sync + 'static) -> FromSqlError {
    FromSqlError::Other(Box::new(e))
}

impl ToSql for StockCode {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.as_str().as_bytes())))
    }
}

impl FromSql for StockCode {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        StockCode::new_checked(value.as_str()?).map_err(other)
    }
}

impl ToSql for ClientOrderId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.as_str().as_bytes())))
    }
}

impl FromSql for ClientOrderId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        ClientOrderId::new_checked(value.as_str()?).map_err(other)
    }
}

impl ToSql for Price {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.won()))
    }
}

impl FromSql for Price {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        Price::new_checked(value.as_i64()?).map_err(other)
    }
}

impl ToSql for Timestamp {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.millis()))
    }
}

impl FromSql for Timestamp {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        Ok(Timestamp::from_millis(value.as_i64()?))
    }
}

/// Money is stored as decimal text so that no amount is ever rounded through a float.
impl ToSql for Money {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.get().normalize().to_string()))
    }
}

impl FromSql for Money {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Text(_) => Decimal::from_str(value.as_str()?).map(Money::new).map_err(other),
            // Accept an integer written by hand in a SQL shell.
            ValueRef::Integer(i) => Ok(Money::from_won(i)),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

/// A trading date as the integer `YYYYMMDD`.
#[must_use]
pub fn date_to_sql(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// The inverse of [`date_to_sql`].
///
/// # Errors
/// If `v` is not a valid `YYYYMMDD` date.
pub fn date_from_sql(v: i64) -> rusqlite::Result<NaiveDate> {
    i32::try_from(v / 10_000)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, (v / 100 % 100) as u32, (v % 100) as u32))
        .ok_or_else(|| rusqlite::Error::IntegralValueOutOfRange(0, v))
}

/// Reads column `i` as a `YYYYMMDD` date.
pub(super) fn get_date(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<NaiveDate> {
    date_from_sql(row.get(i)?)
}

/// Named values as a JSON array of `[name, value]` pairs, keeping their order. JSON has no NaN,
/// so a value that could not be computed is written as `null` and read back as NaN.
pub(super) fn named_to_json(values: &NamedValues) -> String {
    let arr: Vec<serde_json::Value> = values
        .iter()
        .map(|(k, v)| {
            let v = serde_json::Number::from_f64(*v).map_or(serde_json::Value::Null, serde_json::Value::Number);
            serde_json::Value::Array(vec![serde_json::Value::String(k.clone()), v])
        })
        .collect();
    serde_json::Value::Array(arr).to_string()
}

/// The inverse of [`named_to_json`].
pub(super) fn named_from_json(table: &'static str, s: &str) -> Result<NamedValues, StoreError> {
    let bad = |m: String| StoreError::Decode { table, message: m };
    let pairs: Vec<(String, Option<f64>)> = serde_json::from_str(s).map_err(|e| bad(format!("named values: {e}")))?;
    Ok(pairs.into_iter().map(|(k, v)| (k, v.unwrap_or(f64::NAN))).collect())
}

/// Parses a free-form JSON column.
pub(super) fn json_from_sql(table: &'static str, s: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Decode { table, message: format!("json: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_ones_fail() {
        let d = NaiveDate::from_ymd_opt(1990, 9, 11).unwrap();
        assert_eq!(date_to_sql(d), 19_900_911);
        assert_eq!(date_from_sql(19_900_911).unwrap(), d);
        assert!(date_from_sql(20_240_230).is_err());
        assert!(date_from_sql(-1).is_err());
    }

    #[test]
    fn named_values_keep_order_and_nan() {
        let v = vec![("rsi".to_owned(), 55.5), ("atr_pct".to_owned(), f64::NAN), ("a".to_owned(), -1.0)];
        let back = named_from_json("t", &named_to_json(&v)).unwrap();
        assert_eq!(back[0], v[0]);
        assert!(back[1].1.is_nan() && back[1].0 == "atr_pct");
        assert_eq!(back[2], v[2]);
        assert!(named_from_json("t", "{").is_err());
    }
}
