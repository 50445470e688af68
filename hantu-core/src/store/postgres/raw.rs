//! Table-level access for copying and verifying ([`crate::store::transfer::TableIo`]): keyset
//! pages in key order, binary `COPY` of whole batches.

use std::error::Error;

use ::postgres::binary_copy::BinaryCopyInWriter;
use ::postgres::types::{IsNull, ToSql, Type};
use ::postgres::{Row as PgRow, Transaction};
use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{PgStore, map_err};
use crate::store::StoreError;
use crate::store::transfer::{Cell, ColType, Row, TableIo, TableSpec, TransferState};

const STATE_DDL: &str = "CREATE TABLE IF NOT EXISTS hantu_transfer (
    tbl      TEXT PRIMARY KEY,
    source   TEXT NOT NULL,
    last_key TEXT,
    rows     BIGINT NOT NULL,
    done     BOOLEAN NOT NULL
)";

fn pg_type(ty: ColType) -> Type {
    match ty {
        ColType::Text => Type::TEXT,
        ColType::Int => Type::INT8,
        ColType::Float => Type::FLOAT8,
        ColType::Bool => Type::BOOL,
        ColType::Date => Type::DATE,
        ColType::Ts => Type::TIMESTAMPTZ,
        ColType::Money => Type::NUMERIC,
        ColType::Json => Type::JSONB,
    }
}

/// A cell as a statement or `COPY` parameter, refusing a value of the wrong type for the column.
#[derive(Debug)]
struct Val<'a>(&'a Cell);

type BoxError = Box<dyn Error + Sync + Send>;

fn put<T: ToSql>(v: &T, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    if !T::accepts(ty) {
        return Err(format!("a {} value does not fit a column of type {ty}", std::any::type_name::<T>()).into());
    }
    v.to_sql(ty, out)
}

impl ToSql for Val<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self.0 {
            Cell::Null => Ok(IsNull::Yes),
            Cell::Int(v) => put(v, ty, out),
            Cell::Float(v) => put(v, ty, out),
            Cell::Bool(v) => put(v, ty, out),
            Cell::Text(v) => put(v, ty, out),
            Cell::Date(v) => put(v, ty, out),
            Cell::Ts(ms) => {
                let at = DateTime::<Utc>::from_timestamp_millis(*ms).ok_or("timestamp out of range")?;
                put(&at, ty, out)
            }
            Cell::Money(v) => put(v, ty, out),
            Cell::Json(v) => put(v, ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked per value in `to_sql`, where the cell's variant is known.
        true
    }

    fn to_sql_checked(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        self.to_sql(ty, out)
    }
}

fn cell(table: &'static str, r: &PgRow, i: usize, ty: ColType) -> Result<Cell, StoreError> {
    let bad = |e: ::postgres::Error| StoreError::Decode { table, message: format!("column {i}: {e}") };
    Ok(match ty {
        ColType::Text => r.try_get::<_, Option<String>>(i).map_err(bad)?.map_or(Cell::Null, Cell::Text),
        ColType::Int => r.try_get::<_, Option<i64>>(i).map_err(bad)?.map_or(Cell::Null, Cell::Int),
        ColType::Float => r.try_get::<_, Option<f64>>(i).map_err(bad)?.map_or(Cell::Null, Cell::Float),
        ColType::Bool => r.try_get::<_, Option<bool>>(i).map_err(bad)?.map_or(Cell::Null, Cell::Bool),
        ColType::Date => r.try_get::<_, Option<NaiveDate>>(i).map_err(bad)?.map_or(Cell::Null, Cell::Date),
        ColType::Ts => r
            .try_get::<_, Option<DateTime<Utc>>>(i)
            .map_err(bad)?
            .map_or(Cell::Null, |d| Cell::Ts(d.timestamp_millis())),
        ColType::Money => r.try_get::<_, Option<Decimal>>(i).map_err(bad)?.map_or(Cell::Null, Cell::Money),
        ColType::Json => r.try_get::<_, Option<serde_json::Value>>(i).map_err(bad)?.map_or(Cell::Null, Cell::Json),
    })
}

fn write_state(t: &mut Transaction<'_>, s: &TransferState) -> Result<(), StoreError> {
    t.batch_execute(STATE_DDL).map_err(map_err)?;
    let rows = i64::try_from(s.rows).unwrap_or(i64::MAX);
    t.execute(
        "INSERT INTO hantu_transfer (tbl, source, last_key, rows, done) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tbl) DO UPDATE SET source = excluded.source, last_key = excluded.last_key,
             rows = excluded.rows, done = excluded.done",
        &[&s.table, &s.source, &s.last_key_json(), &rows, &s.done],
    )
    .map_err(map_err)?;
    Ok(())
}

impl TableIo for PgStore {
    fn label(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}?schema={s}", self.url),
            None => self.url.to_string(),
        }
    }

    fn table_names(&self) -> Result<Vec<String>, StoreError> {
        self.read(|t| {
            let rows = t
                .query(
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                       AND table_name NOT IN ('hantu_schema', 'hantu_transfer') ORDER BY 1",
                    &[],
                )
                .map_err(map_err)?;
            rows.iter().map(|r| r.try_get(0).map_err(map_err)).collect()
        })
    }

    fn column_names(&self, table: &str) -> Result<Vec<String>, StoreError> {
        self.read(|t| {
            let rows = t
                .query(
                    "SELECT column_name::text FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                    &[&table],
                )
                .map_err(map_err)?;
            rows.iter().map(|r| r.try_get(0).map_err(map_err)).collect()
        })
    }

    fn count(&self, table: &TableSpec) -> Result<u64, StoreError> {
        self.read(|t| {
            let n: i64 = t
                .query_one(&format!("SELECT count(*) FROM {}", table.name), &[])
                .and_then(|r| r.try_get(0))
                .map_err(map_err)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn read_batch(&self, table: &TableSpec, after: Option<&[Cell]>, limit: usize) -> Result<Vec<Row>, StoreError> {
        self.read(|t| {
            let sql = table.page_sql(after.is_some(), true);
            let vals: Vec<Val<'_>> = after.unwrap_or_default().iter().map(Val).collect();
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut params: Vec<&(dyn ToSql + Sync)> = vals.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            params.push(&limit);
            let rows = t.query(&sql, &params).map_err(map_err)?;
            rows.iter()
                .map(|r| table.columns.iter().enumerate().map(|(i, c)| cell(table.name, r, i, c.ty)).collect())
                .collect()
        })
    }

    fn write_batch(&self, table: &TableSpec, rows: &[Row], state: &TransferState) -> Result<(), StoreError> {
        self.write(|t| {
            // Deferrable foreign keys are checked at commit (see `weights_versions`).
            t.batch_execute("SET CONSTRAINTS ALL DEFERRED").map_err(map_err)?;
            let sink = t
                .copy_in(&format!("COPY {} ({}) FROM STDIN (FORMAT binary)", table.name, table.column_list()))
                .map_err(map_err)?;
            let types: Vec<Type> = table.columns.iter().map(|c| pg_type(c.ty)).collect();
            let mut w = BinaryCopyInWriter::new(sink, &types);
            for r in rows {
                let vals: Vec<Val<'_>> = r.iter().map(Val).collect();
                let params: Vec<&(dyn ToSql + Sync)> = vals.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                w.write(&params).map_err(map_err)?;
            }
            w.finish().map_err(map_err)?;
            write_state(t, state)
        })
    }

    fn finish_table(&self, table: &TableSpec, state: &TransferState) -> Result<(), StoreError> {
        self.write(|t| {
            if table.identity {
                // Copied ids were written explicitly; move the generator past them.
                t.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE((SELECT max(id) FROM {0}), 0) + 1, false)",
                        table.name
                    ),
                    &[],
                )
                .map_err(map_err)?;
            }
            write_state(t, state)
        })
    }

    fn transfer_state(&self) -> Result<Vec<TransferState>, StoreError> {
        self.read(|t| {
            let exists: bool = t
                .query_one("SELECT to_regclass('hantu_transfer') IS NOT NULL", &[])
                .and_then(|r| r.try_get(0))
                .map_err(map_err)?;
            if !exists {
                return Ok(Vec::new());
            }
            let rows = t.query("SELECT tbl, source, last_key, rows, done FROM hantu_transfer", &[]).map_err(map_err)?;
            rows.iter()
                .map(|r| {
                    let key: Option<String> = r.try_get(2).map_err(map_err)?;
                    let n: i64 = r.try_get(3).map_err(map_err)?;
                    Ok(TransferState {
                        table: r.try_get(0).map_err(map_err)?,
                        source: r.try_get(1).map_err(map_err)?,
                        last_key: TransferState::parse_key(key.as_deref())?,
                        rows: u64::try_from(n).unwrap_or(0),
                        done: r.try_get(4).map_err(map_err)?,
                    })
                })
                .collect()
        })
    }

    fn clear(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        self.write(|t| {
            let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
            t.batch_execute(&format!(
                "TRUNCATE {} RESTART IDENTITY; DROP TABLE IF EXISTS hantu_transfer",
                names.join(", ")
            ))
            .map_err(map_err)
        })
    }
}
