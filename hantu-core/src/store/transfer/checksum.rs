//! The order-independent checksum of a table: the wrapping sum of a 64-bit FNV-1a hash of each
//! row's canonical encoding. Summing (not XOR) keeps duplicate rows from cancelling out; the
//! canonical encoding makes equal values on different backends hash equal (decimals normalised,
//! JSON objects with sorted keys, instants in milliseconds).

use super::{Cell, TableIo, TableSpec};
use crate::store::StoreError;

struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn tagged(&mut self, tag: u8, b: &[u8]) {
        self.bytes(&[tag]);
        self.bytes(&(b.len() as u64).to_le_bytes());
        self.bytes(b);
    }
}

/// JSON with object keys sorted at every level, whatever map order the parser kept.
fn canonical_json(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                canonical_json(&m[k], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The hash of one row.
#[must_use]
pub fn row_hash(row: &[Cell]) -> u64 {
    let mut h = Fnv::new();
    for c in row {
        match c {
            Cell::Null => h.tagged(b'n', &[]),
            Cell::Int(v) => h.tagged(b'i', &v.to_le_bytes()),
            Cell::Float(v) => h.tagged(b'f', &v.to_bits().to_le_bytes()),
            Cell::Bool(v) => h.tagged(b'b', &[u8::from(*v)]),
            Cell::Text(s) => h.tagged(b's', s.as_bytes()),
            Cell::Date(d) => h.tagged(b'd', d.to_string().as_bytes()),
            Cell::Ts(ms) => h.tagged(b't', &ms.to_le_bytes()),
            Cell::Money(m) => h.tagged(b'm', m.normalize().to_string().as_bytes()),
            Cell::Json(v) => {
                let mut s = String::new();
                canonical_json(v, &mut s);
                h.tagged(b'j', s.as_bytes());
            }
        }
    }
    h.0
}

/// Row count and checksum of `table` in `db`, read in key order in batches of `batch` rows.
///
/// # Errors
/// If a read fails.
pub fn table_checksum(db: &dyn TableIo, table: &TableSpec, batch: usize) -> Result<(u64, u64), StoreError> {
    let keys = table.key_positions();
    let (mut rows, mut sum) = (0_u64, 0_u64);
    let mut after: Option<Vec<Cell>> = None;
    loop {
        let got = db.read_batch(table, after.as_deref(), batch.max(1))?;
        let Some(last) = got.last() else { break };
        after = Some(keys.iter().map(|&i| last[i].clone()).collect());
        for r in &got {
            sum = sum.wrapping_add(row_hash(r));
        }
        rows += got.len() as u64;
        if got.len() < batch.max(1) {
            break;
        }
    }
    Ok((rows, sum))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn equal_values_hash_equal_across_representations() {
        let a = vec![
            Cell::Money(Decimal::from_str("42.90").unwrap()),
            Cell::Json(serde_json::json!({"b": 1, "a": [1.5, null]})),
        ];
        let b = vec![
            Cell::Money(Decimal::from_str("42.9").unwrap()),
            Cell::Json(serde_json::from_str(r#"{"a": [1.5, null], "b": 1}"#).unwrap()),
        ];
        assert_eq!(row_hash(&a), row_hash(&b));
        assert_ne!(row_hash(&[Cell::Int(1)]), row_hash(&[Cell::Text("1".into())]));
        assert_ne!(row_hash(&[Cell::Null, Cell::Int(0)]), row_hash(&[Cell::Int(0), Cell::Null]));
    }
}
