//! SQLite under stress: migrations, newer files, other processes, kills, corruption, full disks,
//! locks and constraint violations.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hantu_core::domain::{ClientOrderId, StockCode};
use hantu_core::store::sqlite::migrations::{self, MIGRATIONS, Migration};
use hantu_core::store::sqlite::{ImportOptions, SqliteOptions};
use hantu_core::store::{EMERGENCY_STOP_KEY, SqliteStore, Store, StoreError, emergency_stop};
use rusqlite::Connection;

use super::contract::{bar, day, order};

const CHILD_ENV: &str = "HANTU_STORE_TEST_CHILD";

/// Starts this test binary again, running only [`child_process_entry`] with `task` in its environment.
fn spawn_child(task: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["reliability::child_process_entry", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, task)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// What a child process does, chosen by the parent through [`CHILD_ENV`].
#[test]
#[ignore = "runs only as a child process started by the other tests here"]
fn child_process_entry() {
    let task = std::env::var(CHILD_ENV).expect("started without a task");
    let parts: Vec<&str> = task.split('|').collect();
    match parts.as_slice() {
        ["journal", db, n] => {
            let store = SqliteStore::open(db).unwrap();
            for i in 0..n.parse::<i64>().unwrap() {
                store.journal_order(&order(&format!("child-{i}"), i)).unwrap();
            }
            store.set_setting(EMERGENCY_STOP_KEY, "1").unwrap();
            println!("done");
        }
        ["import", db, dir] => {
            let store = SqliteStore::open(db).unwrap();
            let opts = ImportOptions { batch_rows: 20_000, parse_chunk_files: 8 };
            store
                .import_csv_dir_with(dir, &opts, |p| {
                    println!("progress {} {}", p.transactions, p.rows_written);
                    std::io::stdout().flush().unwrap();
                })
                .unwrap();
            println!("done");
        }
        _ => panic!("unknown child task {task:?}"),
    }
}

fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

#[test]
fn migrates_an_empty_file_and_reopens_without_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), migrations::latest_version());
    drop(store);
    let conn = raw(&path);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let tables: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |r| r.get(0)).unwrap();
    assert!(tables >= 20, "only {tables} tables");
    drop(conn);
    assert_eq!(SqliteStore::open(&path).unwrap().schema_version().unwrap(), migrations::latest_version());
}

#[test]
fn migrates_from_every_earlier_version() {
    for from in 0..MIGRATIONS.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let mut conn = raw(&path);
        migrations::migrate(&mut conn, &MIGRATIONS[..from]).unwrap();
        assert_eq!(migrations::version(&conn).unwrap(), from as i64);
        drop(conn);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), migrations::latest_version(), "from version {from}");
        super::contract::check(&store);
    }
}

#[test]
fn version_2_round_trips_survive_the_rebuild_of_their_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    let mut conn = raw(&path);
    migrations::migrate(&mut conn, &MIGRATIONS[..2]).unwrap();
    conn.execute_batch(
        "INSERT INTO runs (id, kind, strategy, started, config, stats) VALUES (1, 'backtest', 'sma', 0, '{}', '{}');
         INSERT INTO trades (run_id, code, qty, entry_ts, entry_price, exit_ts, exit_price, pnl, costs)
             VALUES (1, '005930', 10, 1, 1000, 2, 1100, '900', '100');",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let run = store.run(1).unwrap().unwrap();
    let t = &run.trades[0];
    assert_eq!((t.qty, t.entry_price, t.exit_price), (10, 1_000.0, Some(1_100.0)));
    assert!((t.return_pct - 9.0).abs() < 1e-12);
    assert!(store.integrity_check().unwrap().is_empty());
}

#[test]
fn a_failing_migration_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let mut conn = raw(&path);
    let mut list: Vec<Migration> = MIGRATIONS.to_vec();
    list.push(Migration { name: "adds a table", sql: "CREATE TABLE extra (x INTEGER);" });
    list.push(Migration { name: "broken", sql: "CREATE TABLE more (y INTEGER); SELECT no_such_function();" });
    assert!(migrations::migrate(&mut conn, &list).is_err());
    assert_eq!(migrations::version(&conn).unwrap(), 0);
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0, "a failed migration left schema objects behind");
    list.pop();
    assert_eq!(migrations::migrate(&mut conn, &list).unwrap(), 0);
    assert_eq!(migrations::version(&conn).unwrap(), list.len() as i64);
}

#[test]
fn a_newer_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path).unwrap());
    let newer = migrations::latest_version() + 1;
    {
        let conn = raw(&path);
        conn.pragma_update(None, "user_version", newer).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    match SqliteStore::open(&path) {
        Err(StoreError::TooNew { found, supported }) => {
            assert_eq!((found, supported), (newer, migrations::latest_version()));
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file changed");
    assert!(!PathBuf::from(format!("{}-wal", path.display())).exists(), "a WAL file was created");
    let msg = StoreError::TooNew { found: newer, supported: 1 }.to_string();
    assert!(msg.contains("newer"), "{msg}");
}

#[test]
fn two_processes_write_the_same_file_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let n = 150;
    // The child starts first, so both processes race to create and migrate the new file.
    let mut child = spawn_child(&format!("journal|{}|{n}", path.display()));
    let store = SqliteStore::open(&path).unwrap();
    for i in 0..n {
        store.journal_order(&order(&format!("parent-{i}"), i)).unwrap();
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(store.open_orders().unwrap().len(), 2 * n as usize);
    assert!(store.order(&ClientOrderId::new_checked("child-0").unwrap()).unwrap().is_some());
    assert!(emergency_stop(&store).unwrap(), "the other process's emergency stop is not visible");
    assert!(store.integrity_check().unwrap().is_empty());
}

#[test]
fn readers_in_other_threads_never_see_half_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SqliteStore::open(dir.path().join("threads.db")).unwrap());
    let batch = 5_000;
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for round in 0..8u64 {
                let bars: Vec<_> = (0..batch)
                    .map(|i| bar("005930", day(1900, 1, 1) + chrono::Days::new(round * batch + i), 1_000))
                    .collect();
                store.upsert_daily_bars(&bars).unwrap();
            }
        })
    };
    let mut seen = std::collections::BTreeSet::new();
    while !writer.is_finished() {
        let n = store.daily_bar_count().unwrap();
        assert_eq!(n % batch, 0, "a reader saw {n} rows: part of a batch");
        seen.insert(n);
    }
    writer.join().unwrap();
    assert_eq!(store.daily_bar_count().unwrap(), 8 * batch);
    assert!(!seen.is_empty());
}

/// Writes `files` synthetic `<code>.csv` files of `rows` bars each.
fn synthetic_dir(dir: &Path, files: usize, rows: usize) -> Vec<StockCode> {
    std::fs::create_dir_all(dir).unwrap();
    let start = day(1990, 1, 1);
    (0..files)
        .map(|f| {
            let code = StockCode::new(&format!("{:06}", 100_000 + f));
            let mut text = String::from("date,open,high,low,close,volume\n");
            for r in 0..rows {
                let d = start + chrono::Days::new(r as u64);
                let p = 1_000 + (r % 500) as i64;
                text.push_str(&format!("{d},{p},{},{},{p},{}\n", p + 5, p - 5, r * 10));
            }
            std::fs::write(dir.join(format!("{code}.csv")), text).unwrap();
            code
        })
        .collect()
}

fn count_by_code(path: &Path) -> Vec<(String, i64)> {
    let conn = raw(path);
    let mut stmt = conn.prepare("SELECT code, count(*) FROM daily_bars GROUP BY code").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

#[test]
fn killing_an_import_midway_leaves_whole_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("csv");
    let (files, rows) = (160, 1_500);
    let codes = synthetic_dir(&csv, files, rows);
    let path = dir.path().join("import.db");
    drop(SqliteStore::open(&path).unwrap());

    let mut child = spawn_child(&format!("import|{}|{}", path.display(), csv.display()));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut committed = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with("progress ") {
            committed += 1;
            if committed == 3 {
                break;
            }
        }
        assert_ne!(line, "done", "the import finished before it could be killed");
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let store = SqliteStore::open(&path).unwrap();
    assert!(store.integrity_check().unwrap().is_empty());
    let counts = count_by_code(&path);
    assert!(!counts.is_empty(), "nothing was committed before the kill");
    assert!(counts.len() < files, "the whole import finished before the kill");
    for (code, n) in &counts {
        assert_eq!(*n, rows as i64, "{code} was half imported");
    }

    let report = store.import_csv_dir(&csv, |_| {}).unwrap();
    assert_eq!(report.rows_written, files * rows);
    assert_eq!(store.daily_bar_count().unwrap(), (files * rows) as u64);
    let got = store.daily_bars(codes[7], day(1990, 1, 1), day(1990, 1, 10)).unwrap();
    assert_eq!(got.len(), 10);
}

#[test]
fn a_file_that_is_not_a_database_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    assert!(matches!(SqliteStore::open(&path), Err(StoreError::Corrupt(_))));
}

#[test]
fn damaged_pages_are_reported_as_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        let bars: Vec<_> = (0..3_000).map(|i| bar("005930", day(2000, 1, 1) + chrono::Days::new(i), 1_000)).collect();
        store.upsert_daily_bars(&bars).unwrap();
        store.checkpoint().unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page);
    // Overwrite pages from the middle of the file, leaving the header and schema page intact.
    let end = bytes.len() - page;
    for b in &mut bytes[3 * page..end] {
        *b = 0xA5;
    }
    std::fs::write(&path, bytes).unwrap();
    let store = match SqliteStore::open(&path) {
        Err(StoreError::Corrupt(_)) => return,
        Err(other) => panic!("expected Corrupt, got {other:?}"),
        Ok(store) => store,
    };
    let read = store.daily_bars(StockCode::new("005930"), day(2000, 1, 1), day(2030, 1, 1));
    let check = store.integrity_check();
    assert!(
        matches!(read, Err(StoreError::Corrupt(_))) || matches!(&check, Ok(p) if !p.is_empty()),
        "damage went unnoticed: {read:?} {check:?}"
    );
}

#[test]
fn a_full_database_refuses_the_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.db");
    let opts = SqliteOptions { max_page_count: Some(80), ..SqliteOptions::default() };
    let store = SqliteStore::open_with(&path, &opts).unwrap();
    let first: Vec<_> = (0..100).map(|i| bar("000660", day(2000, 1, 1) + chrono::Days::new(i), 500)).collect();
    store.upsert_daily_bars(&first).unwrap();
    let big: Vec<_> = (0..50_000).map(|i| bar("005930", day(1900, 1, 1) + chrono::Days::new(i), 1_000)).collect();
    match store.upsert_daily_bars(&big) {
        Err(StoreError::Full(msg)) => assert!(!msg.is_empty()),
        other => panic!("expected Full, got {other:?}"),
    }
    assert_eq!(store.daily_bar_count().unwrap(), 100, "part of the refused batch was written");
    assert!(store.integrity_check().unwrap().is_empty());
    // The store is still usable for writes that fit.
    store.set_setting("after_full", "yes").unwrap();
    assert_eq!(store.setting("after_full").unwrap().as_deref(), Some("yes"));
}

#[test]
fn a_lock_held_by_another_connection_is_busy_after_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.db");
    let opts = SqliteOptions { busy_timeout: Duration::from_millis(50), ..SqliteOptions::default() };
    let store = SqliteStore::open_with(&path, &opts).unwrap();
    let other = raw(&path);
    other.execute_batch("BEGIN IMMEDIATE; INSERT INTO settings VALUES ('k', 'v', 0);").unwrap();
    assert!(matches!(store.set_setting("x", "1"), Err(StoreError::Busy(_))));
    // Readers are not blocked by a writer in WAL mode.
    assert_eq!(store.setting("k").unwrap(), None);
    other.execute_batch("COMMIT").unwrap();
    store.set_setting("x", "1").unwrap();
    assert_eq!(store.setting("k").unwrap().as_deref(), Some("v"));
}

#[test]
fn constraint_violations_are_typed_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("c.db")).unwrap();
    let o = order("dup-1", 1);
    store.journal_order(&o).unwrap();
    match store.journal_order(&o) {
        Err(StoreError::Constraint(m)) => assert!(m.contains("dup-1"), "{m}"),
        other => panic!("expected Constraint, got {other:?}"),
    }
    assert_eq!(store.order_history(&o.client_id).unwrap().len(), 1, "the refused journal entry left an event");
    let mut over = o.clone();
    over.filled_qty = hantu_core::domain::Qty::from_shares(11);
    assert!(matches!(store.update_order(&over), Err(StoreError::Constraint(_))));
    assert_eq!(store.order(&o.client_id).unwrap(), Some(o.clone()));
    assert_eq!(store.order_history(&o.client_id).unwrap().len(), 1);
}
