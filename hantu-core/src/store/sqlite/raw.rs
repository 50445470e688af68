//! Table-level access for copying and verifying ([`crate::store::transfer::TableIo`]), and the
//! online backup.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, params_from_iter};
use rust_decimal::Decimal;

use super::codec::{date_from_sql, date_to_sql};
use super::{SqliteStore, map_err};
use crate::store::StoreError;
use crate::store::transfer::{Cell, ColType, Row, TableIo, TableSpec, TransferState};

const STATE_DDL: &str = "CREATE TABLE IF NOT EXISTS hantu_transfer (
    tbl      TEXT PRIMARY KEY,
    source   TEXT NOT NULL,
    last_key TEXT,
    rows     INTEGER NOT NULL,
    done     INTEGER NOT NULL
)";

fn to_value(c: &Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(v) | Cell::Ts(v) => Value::Integer(*v),
        Cell::Float(v) => Value::Real(*v),
        Cell::Bool(v) => Value::Integer(i64::from(*v)),
        Cell::Text(s) => Value::Text(s.clone()),
        Cell::Date(d) => Value::Integer(date_to_sql(*d)),
        Cell::Money(m) => Value::Text(m.normalize().to_string()),
        Cell::Json(j) => Value::Text(j.to_string()),
    }
}

fn from_value(table: &'static str, col: &str, ty: ColType, v: ValueRef<'_>) -> Result<Cell, StoreError> {
    let bad = || StoreError::Decode { table, message: format!("column {col}: unexpected {:?}", v.data_type()) };
    fn text<'a>(v: ValueRef<'a>, bad: impl Fn() -> StoreError) -> Result<&'a str, StoreError> {
        v.as_str().map_err(|_| bad())
    }
    Ok(match (ty, v) {
        (_, ValueRef::Null) => Cell::Null,
        (ColType::Int, ValueRef::Integer(i)) => Cell::Int(i),
        (ColType::Ts, ValueRef::Integer(i)) => Cell::Ts(i),
        (ColType::Float, ValueRef::Real(f)) => Cell::Float(f),
        (ColType::Float, ValueRef::Integer(i)) => Cell::Float(i as f64),
        (ColType::Bool, ValueRef::Integer(i)) => Cell::Bool(i != 0),
        (ColType::Text, v) => Cell::Text(text(v, bad)?.to_owned()),
        (ColType::Date, ValueRef::Integer(i)) => Cell::Date(date_from_sql(i).map_err(|_| bad())?),
        (ColType::Money, ValueRef::Integer(i)) => Cell::Money(Decimal::from(i)),
        (ColType::Money, v) => Cell::Money(text(v, bad)?.parse().map_err(|_| bad())?),
        (ColType::Json, v) => Cell::Json(serde_json::from_str(text(v, bad)?).map_err(|_| bad())?),
        _ => return Err(bad()),
    })
}

fn read_state(conn: &Connection) -> Result<Vec<TransferState>, StoreError> {
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hantu_transfer')",
            [],
            |r| r.get(0),
        )
        .map_err(map_err)?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare("SELECT tbl, source, last_key, rows, done FROM hantu_transfer").map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })
        .map_err(map_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (table, source, key, n, done) = row.map_err(map_err)?;
        let last_key = TransferState::parse_key(key.as_deref())?;
        out.push(TransferState { table, source, last_key, rows: u64::try_from(n).unwrap_or(0), done });
    }
    Ok(out)
}

fn write_state(conn: &Connection, s: &TransferState) -> Result<(), StoreError> {
    conn.execute_batch(STATE_DDL).map_err(map_err)?;
    conn.prepare_cached(
        "INSERT INTO hantu_transfer (tbl, source, last_key, rows, done) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tbl) DO UPDATE SET source = excluded.source, last_key = excluded.last_key,
             rows = excluded.rows, done = excluded.done",
    )
    .and_then(|mut st| {
        st.execute(rusqlite::params![
            s.table,
            s.source,
            s.last_key_json(),
            i64::try_from(s.rows).unwrap_or(i64::MAX),
            s.done
        ])
    })
    .map_err(map_err)?;
    Ok(())
}

impl SqliteStore {
    /// Copies the database into a new file at `dest` with SQLite's online backup, while other
    /// connections keep reading and writing; the copy is a consistent snapshot.
    ///
    /// # Errors
    /// If `dest` exists (nothing is overwritten) or the backup fails.
    pub fn backup_to(&self, dest: impl AsRef<Path>) -> Result<(), StoreError> {
        let dest = dest.as_ref();
        if dest.exists() {
            return Err(StoreError::Other(format!("{} exists; back up into a new file", dest.display())));
        }
        let mut target = Connection::open(dest).map_err(map_err)?;
        let conn = self.lock();
        let backup = rusqlite::backup::Backup::new(&conn, &mut target).map_err(map_err)?;
        // 1024 pages (4 MiB) per step, pausing between steps so writers are not starved.
        backup.run_to_completion(1024, Duration::from_millis(5), None).map_err(map_err)?;
        Ok(())
    }
}

impl TableIo for SqliteStore {
    fn label(&self) -> String {
        let path = self.lock().path().map(str::to_owned).unwrap_or_default();
        if path.is_empty() { "sqlite::memory:".to_owned() } else { format!("sqlite:{path}") }
    }

    fn table_names(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                     AND name <> 'hantu_transfer' ORDER BY name",
                )
                .map_err(map_err)?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<String>>>().map_err(map_err)
        })
    }

    fn column_names(&self, table: &str) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid").map_err(map_err)?;
            let rows = stmt.query_map([table], |r| r.get(0)).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<String>>>().map_err(map_err)
        })
    }

    fn count(&self, table: &TableSpec) -> Result<u64, StoreError> {
        self.read(|c| {
            let n: i64 =
                c.query_row(&format!("SELECT count(*) FROM {}", table.name), [], |r| r.get(0)).map_err(map_err)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn read_batch(&self, table: &TableSpec, after: Option<&[Cell]>, limit: usize) -> Result<Vec<Row>, StoreError> {
        self.read(|c| {
            let sql = table.page_sql(after.is_some(), false);
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            let mut params: Vec<Value> = after.unwrap_or_default().iter().map(to_value).collect();
            params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
            let mut rows = stmt.query(params_from_iter(params)).map_err(map_err)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(map_err)? {
                let mut row = Vec::with_capacity(table.columns.len());
                for (i, col) in table.columns.iter().enumerate() {
                    row.push(from_value(table.name, col.name, col.ty, r.get_ref(i).map_err(map_err)?)?);
                }
                out.push(row);
            }
            Ok(out)
        })
    }

    fn write_batch(&self, table: &TableSpec, rows: &[Row], state: &TransferState) -> Result<(), StoreError> {
        self.write(|t| {
            // Foreign keys are checked at commit, so rows that refer to each other (a weights
            // version and its parent) may arrive in either order within a batch.
            t.execute_batch("PRAGMA defer_foreign_keys = ON").map_err(map_err)?;
            let marks = vec!["?"; table.columns.len()].join(", ");
            let sql = format!("INSERT INTO {} ({}) VALUES ({marks})", table.name, table.column_list());
            let mut stmt = t.prepare_cached(&sql).map_err(map_err)?;
            for r in rows {
                stmt.execute(params_from_iter(r.iter().map(to_value))).map_err(map_err)?;
            }
            write_state(t, state)
        })
    }

    fn finish_table(&self, _table: &TableSpec, state: &TransferState) -> Result<(), StoreError> {
        // SQLite numbers new rows after the largest id present; nothing to move.
        self.write(|t| write_state(t, state))
    }

    fn transfer_state(&self) -> Result<Vec<TransferState>, StoreError> {
        self.read(read_state)
    }

    fn clear(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        self.write(|t| {
            for table in tables.iter().rev() {
                t.execute(&format!("DELETE FROM {}", table.name), []).map_err(map_err)?;
            }
            t.execute_batch("DROP TABLE IF EXISTS hantu_transfer").map_err(map_err)?;
            Ok(())
        })
    }
}
