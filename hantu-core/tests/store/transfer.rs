//! Copying a whole store between backends: every table, resumable after a failure or a kill,
//! verified by counts and checksums, rolled back on request.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hantu_core::domain::StockCode;
use hantu_core::store::transfer::{
    self, Cell, MigrateOptions, Row, TABLES, TableIo, TableSpec, TransferError, TransferState,
};
use hantu_core::store::{PgStore, SqliteStore, Store, StoreError};

use super::contract::{bar, day};

const CHILD_ENV: &str = "HANTU_TRANSFER_TEST_CHILD";

/// Every table with rows: the contract's scenarios, plus enough bars for many batches.
fn fill(s: &dyn Store) {
    super::contract::check(s);
    let bars: Vec<_> = (0..300)
        .flat_map(|i| {
            let d = day(2020, 1, 1) + chrono::Days::new(i);
            [bar("000660", d, 100_000 + i as i64), bar("035720", d, 50_000 + i as i64)]
        })
        .collect();
    s.upsert_daily_bars(&bars).unwrap();
}

fn options(batch: usize) -> MigrateOptions {
    MigrateOptions { batch, ..MigrateOptions::default() }
}

fn assert_all_ok(reports: &[transfer::TableReport]) {
    assert_eq!(reports.len(), TABLES.len());
    for r in reports {
        assert!(r.ok, "{r:?}");
    }
    assert!(reports.iter().all(|r| r.source_rows > 0 || r.table == "minute_bars" || r.table == "settings"));
}

/// A target that fails every write after `left` batches, as a dropped connection would.
struct Failing<'a> {
    inner: &'a dyn TableIo,
    left: AtomicUsize,
}

impl TableIo for Failing<'_> {
    fn label(&self) -> String {
        self.inner.label()
    }
    fn table_names(&self) -> Result<Vec<String>, StoreError> {
        self.inner.table_names()
    }
    fn column_names(&self, table: &str) -> Result<Vec<String>, StoreError> {
        self.inner.column_names(table)
    }
    fn count(&self, table: &TableSpec) -> Result<u64, StoreError> {
        self.inner.count(table)
    }
    fn read_batch(&self, table: &TableSpec, after: Option<&[Cell]>, limit: usize) -> Result<Vec<Row>, StoreError> {
        self.inner.read_batch(table, after, limit)
    }
    fn write_batch(&self, table: &TableSpec, rows: &[Row], state: &TransferState) -> Result<(), StoreError> {
        if self.left.fetch_sub(1, Ordering::SeqCst) == 0 {
            return Err(StoreError::Busy("connection lost".into()));
        }
        self.inner.write_batch(table, rows, state)
    }
    fn finish_table(&self, table: &TableSpec, state: &TransferState) -> Result<(), StoreError> {
        self.inner.finish_table(table, state)
    }
    fn transfer_state(&self) -> Result<Vec<TransferState>, StoreError> {
        self.inner.transfer_state()
    }
    fn clear(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        self.inner.clear(tables)
    }
}

/// Every recorded table holds exactly the rows its progress record counts: no half batch.
fn assert_consistent(target: &dyn TableIo) -> usize {
    let states = target.transfer_state().unwrap();
    for s in &states {
        let spec = TableSpec::named(&s.table).unwrap();
        assert_eq!(target.count(spec).unwrap(), s.rows, "{}", s.table);
    }
    for t in TABLES {
        if !states.iter().any(|s| s.table == t.name) {
            assert_eq!(target.count(t).unwrap(), 0, "{} has rows no progress record covers", t.name);
        }
    }
    states.len()
}

fn copy_resume_verify_rollback(source: &SqliteStore, target: &dyn TableIo) {
    // Interrupted after a few batches: whole batches only, then resumed to the end.
    let failing = Failing { inner: target, left: AtomicUsize::new(7) };
    let err = transfer::migrate(source, &failing, &options(64), |_, _| {}).unwrap_err();
    assert!(matches!(err, TransferError::Store(StoreError::Busy(_))), "{err}");
    assert!(assert_consistent(target) > 0);
    let reports = transfer::migrate(source, target, &options(64), |_, _| {}).unwrap();
    assert_all_ok(&reports);
    let bars = reports.iter().find(|r| r.table == "daily_bars").unwrap();
    assert_eq!(bars.target_rows, 5 + 600);

    // A second copy into the finished target changes nothing; one from elsewhere is refused.
    assert_all_ok(&transfer::migrate(source, target, &options(64), |_, _| {}).unwrap());
    let elsewhere = SqliteStore::open_in_memory().unwrap();
    let err = transfer::migrate(&elsewhere, target, &options(64), |_, _| {}).unwrap_err();
    assert!(matches!(err, TransferError::OtherSource { .. }), "{err}");

    // Rollback leaves the target empty and forgets the copy.
    transfer::rollback(target).unwrap();
    assert_eq!(assert_consistent(target), 0);
    assert!(matches!(transfer::rollback(target), Err(TransferError::NothingToRollBack(_))));
}

#[test]
fn sqlite_to_sqlite_copies_resumes_verifies_and_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let source = SqliteStore::open(dir.path().join("a.db")).unwrap();
    fill(&source);
    let target = SqliteStore::open(dir.path().join("b.db")).unwrap();
    copy_resume_verify_rollback(&source, &target);

    // A store with data no copy wrote is refused before anything is written.
    target.set_setting("mine", "1").unwrap();
    let err = transfer::migrate(&source, &target, &options(64), |_, _| {}).unwrap_err();
    assert!(matches!(err, TransferError::TargetNotEmpty { ref table } if table == "settings"), "{err}");
}

#[test]
fn sqlite_to_postgres_and_back_agree_row_for_row() {
    let Some(pg) = super::pg::fresh("transfer") else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = SqliteStore::open(dir.path().join("a.db")).unwrap();
    fill(&source);
    copy_resume_verify_rollback(&source, &*pg);

    assert_all_ok(&transfer::migrate(&source, &*pg, &options(500), |_, _| {}).unwrap());
    // The copy reads back through the store itself the same as the original.
    assert_eq!(pg.latest_watchlist().unwrap(), source.latest_watchlist().unwrap());
    assert_eq!(pg.runs().unwrap(), source.runs().unwrap());
    let id = source.runs().unwrap()[0].0;
    assert_eq!(pg.run(id).unwrap(), source.run(id).unwrap());
    let code = StockCode::new("000660");
    assert_eq!(
        pg.daily_bars(code, day(2000, 1, 1), day(2030, 1, 1)).unwrap(),
        source.daily_bars(code, day(2000, 1, 1), day(2030, 1, 1)).unwrap()
    );
    // New rows get ids after the copied ones.
    let (_, run) = source.runs().unwrap().remove(0);
    assert!(pg.save_run(&run, &[], &[]).unwrap() > id);

    // And back to a local file.
    let back = SqliteStore::open(dir.path().join("back.db")).unwrap();
    let reports = transfer::migrate(&*pg, &back, &options(500), |_, _| {}).unwrap();
    assert!(reports.iter().filter(|r| r.table != "runs").all(|r| r.ok), "{reports:?}");
    let original = transfer::verify(&source, &back, 1000).unwrap();
    let runs = original.iter().find(|r| r.table == "runs").unwrap();
    assert_eq!(runs.target_rows, runs.source_rows + 1, "the run saved on the server came along");
    assert!(original.iter().filter(|r| r.table != "runs").all(|r| r.ok));
}

#[test]
fn verification_finds_a_changed_row() {
    let dir = tempfile::tempdir().unwrap();
    let a = SqliteStore::open(dir.path().join("a.db")).unwrap();
    fill(&a);
    let b = SqliteStore::open(dir.path().join("b.db")).unwrap();
    assert_all_ok(&transfer::migrate(&a, &b, &options(1000), |_, _| {}).unwrap());
    let mut changed = bar("035720", day(2020, 1, 1), 50_000);
    changed.volume += 1;
    b.upsert_daily_bars(&[changed]).unwrap();
    let reports = transfer::verify(&a, &b, 1000).unwrap();
    let bad: Vec<_> = reports.iter().filter(|r| !r.ok).map(|r| r.table.as_str()).collect();
    assert_eq!(bad, ["daily_bars"]);
    let r = reports.iter().find(|r| r.table == "daily_bars").unwrap();
    assert_eq!(r.source_rows, r.target_rows, "same count, different content");
}

fn assert_spec_matches(db: &dyn TableIo) {
    let mut want: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    want.sort_unstable();
    assert_eq!(db.table_names().unwrap(), want, "every table of {} is in the copy's list", db.label());
    for t in TABLES {
        let cols: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
        assert_eq!(db.column_names(t.name).unwrap(), cols, "{} of {}", t.name, db.label());
    }
}

#[test]
fn the_copy_knows_every_table_and_column_of_both_schemas() {
    assert_spec_matches(&SqliteStore::open_in_memory().unwrap());
    if let Some(pg) = super::pg::fresh("spec") {
        assert_spec_matches(&*pg);
    }
}

/// Starts this test binary again, running only [`transfer_child_entry`] with `task`.
fn spawn_child(task: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["transfer::transfer_child_entry", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, task)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// A copy in a child process, printing each batch, slowed down so the parent can kill it midway.
#[test]
#[ignore = "runs only as a child process started by the other tests here"]
fn transfer_child_entry() {
    let task = std::env::var(CHILD_ENV).expect("started without a task");
    let parts: Vec<&str> = task.split('|').collect();
    let (source, target): (SqliteStore, Box<dyn TableIo>) = match parts.as_slice() {
        ["sqlite", src, dst] => (SqliteStore::open(src).unwrap(), Box::new(SqliteStore::open(dst).unwrap())),
        ["postgres", src, schema] => {
            let url = super::pg::url().unwrap();
            (SqliteStore::open(src).unwrap(), Box::new(PgStore::connect(&url, &super::pg::options(schema)).unwrap()))
        }
        _ => panic!("unknown child task {task:?}"),
    };
    let opts = MigrateOptions { batch: 16, throttle: Duration::from_millis(10) };
    transfer::migrate(&source, &*target, &opts, |table, rows| {
        println!("progress {table} {rows}");
        std::io::stdout().flush().unwrap();
    })
    .unwrap();
    println!("done");
}

fn kill_midway_then_resume(task: &str, source: &SqliteStore, target: &dyn TableIo) {
    let mut child = spawn_child(task);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = 0;
    while seen < 12 {
        let line = lines.next().expect("child ended early").unwrap();
        assert_ne!(line, "done", "the copy finished before it could be killed");
        seen += usize::from(line.starts_with("progress"));
    }
    child.kill().unwrap(); // SIGKILL: no cleanup runs
    child.wait().unwrap();
    assert!(assert_consistent(target) > 0, "some batches were committed");
    assert_all_ok(&transfer::migrate(source, target, &options(64), |_, _| {}).unwrap());
}

#[test]
fn a_copy_killed_midway_leaves_whole_batches_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("a.db");
    let source = SqliteStore::open(&src).unwrap();
    fill(&source);
    let dst = dir.path().join("b.db");
    let task = format!("sqlite|{}|{}", src.display(), dst.display());
    kill_midway_then_resume(&task, &source, &SqliteStore::open(&dst).unwrap());

    if let Some(pg) = super::pg::fresh("killed") {
        let task = format!("postgres|{}|{}", src.display(), pg.schema().unwrap());
        kill_midway_then_resume(&task, &source, &*pg);
    }
}
