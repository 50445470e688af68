//! What the API answers, as documented JSON shapes. Domain values are converted here so the wire
//! format is stable and described in the OpenAPI document: money is an exact decimal string (won),
//! prices and share counts are integers, times are ISO 8601 in KST with their epoch milliseconds.

mod research;
mod trading;

use hantu_core::domain::Timestamp;
use hantu_core::store::NamedValues;
pub use research::*;
use serde::Serialize;
pub use trading::*;
use utoipa::ToSchema;

/// ISO 8601 in KST with milliseconds.
pub fn iso(ts: Timestamp) -> String {
    format!("{}+09:00", ts.kst_datetime().format("%Y-%m-%dT%H:%M:%S%.3f"))
}

/// A named number; `null` when it could not be computed.
#[derive(Serialize, ToSchema)]
pub struct NamedValue {
    /// Criterion or factor.
    pub name: String,
    /// Its value.
    pub value: Option<f64>,
}

/// Named values as the API shows them (NaN becomes `null`).
pub fn named(values: &NamedValues) -> Vec<NamedValue> {
    values.iter().map(|(n, v)| NamedValue { name: n.clone(), value: v.is_finite().then_some(*v) }).collect()
}
