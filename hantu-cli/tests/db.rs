//! `hantu db` and the PostgreSQL store through the binary: copy, verify, roll back, back up,
//! resume after SIGKILL, every command on a server store, the password never printed.
//! Tests needing PostgreSQL use HANTU_TEST_PG_URL (scripts/test.sh starts a server) and print
//! why they skip without it.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use hantu_core::store::transfer::{TABLES, TableIo, TableSpec};
use hantu_core::store::{PgOptions, PgStore, PgUrl, SqliteStore};
use serde_json::Value;

fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
    cmd.current_dir(dir).args(args).env_remove("RUST_LOG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HANTU_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn hantu(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args, env).output().expect("the hantu binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "failed: {}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

fn demo(dir: &Path) {
    let o = hantu(dir, &["demo", "--stocks", "60", "--days", "200", "--backtest-days", "30", "--json"], &[]);
    assert!(o.status.success(), "{}", text(&o));
}

/// A fresh schema on the test server: (URL without password, the password, schema name).
struct Server {
    bare: String,
    password: String,
    schema: String,
}

impl Server {
    fn get(tag: &str) -> Option<Self> {
        let Ok(raw) = std::env::var("HANTU_TEST_PG_URL") else {
            eprintln!("skipped: HANTU_TEST_PG_URL is not set (scripts/test.sh starts a PostgreSQL server)");
            return None;
        };
        let url = PgUrl::parse(&raw).unwrap();
        let password = String::from_utf8(url.config().get_password().unwrap().to_vec()).unwrap();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let schema = format!("cli_{tag}_{}_{nanos}", std::process::id());
        // The CLI picks the schema from the URL's options, as a user may.
        let bare = format!("{}?options=-csearch_path%3D{schema}", raw.replace(&format!(":{password}@"), "@"));
        let mut admin = url.config().connect(postgres::NoTls).unwrap();
        admin.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
        Some(Self { bare, password, schema })
    }

    fn env(&self) -> [(&'static str, &str); 1] {
        [("HANTU_PG_PASSWORD", self.password.as_str())]
    }

    fn store(&self) -> PgStore {
        let url = PgUrl::parse(&std::env::var("HANTU_TEST_PG_URL").unwrap()).unwrap();
        PgStore::connect(&url, &PgOptions { schema: Some(self.schema.clone()), pool_size: 2, ..PgOptions::default() })
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let url = PgUrl::parse(&std::env::var("HANTU_TEST_PG_URL").unwrap()).unwrap();
        if let Ok(mut c) = url.config().connect(postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

fn assert_verified(v: &Value) {
    assert_eq!(v["ok"], true, "{v}");
    let tables = v["tables"].as_array().unwrap();
    assert_eq!(tables.len(), TABLES.len());
    let bars = tables.iter().find(|t| t["table"] == "daily_bars").unwrap();
    assert_eq!(bars["source_rows"], 60 * 200);
    assert_eq!(bars["source_checksum"], bars["target_checksum"]);
}

#[test]
fn migrate_verify_rollback_and_backup_between_sqlite_files() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let v = json(&hantu(dir.path(), &["db", "migrate", "--to", "sqlite:copy.db", "--batch", "700", "--json"], &[]));
    assert_verified(&v);
    let o = hantu(dir.path(), &["db", "verify", "hantu.db", "sqlite:copy.db"], &[]);
    assert!(o.status.success() && text(&o).contains("verified: every table matches"), "{}", text(&o));

    // A different store no longer verifies: exit 1, the table named.
    let o = hantu(dir.path(), &["--db", "copy.db", "config", "check"], &[]);
    assert!(o.status.success());
    let o = hantu(dir.path(), &["db", "migrate", "--to", "sqlite:copy.db", "--rollback"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let o = hantu(dir.path(), &["db", "verify", "hantu.db", "copy.db", "--json"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);
    // Rolling back twice has nothing to remove.
    let o = hantu(dir.path(), &["db", "migrate", "--to", "sqlite:copy.db", "--rollback"], &[]);
    assert!(!o.status.success() && text(&o).contains("nothing to roll back"), "{}", text(&o));

    let v = json(&hantu(dir.path(), &["db", "backup", "snapshot.db", "--json"], &[]));
    assert!(v["seconds"].as_f64().is_some());
    let v = json(&hantu(dir.path(), &["db", "verify", "hantu.db", "snapshot.db", "--json"], &[]));
    assert_eq!(v["ok"], true);
    let o = hantu(dir.path(), &["db", "backup", "snapshot.db"], &[]);
    assert!(!o.status.success() && text(&o).contains("exists"), "never overwrites: {}", text(&o));
}

/// Every table holds exactly the rows its progress record counts.
fn assert_whole_batches(target: &dyn TableIo) -> u64 {
    let states = target.transfer_state().unwrap();
    let mut rows = 0;
    for s in &states {
        assert_eq!(target.count(TableSpec::named(&s.table).unwrap()).unwrap(), s.rows, "{}", s.table);
        rows += s.rows;
    }
    rows
}

fn kill_midway(dir: &Path, to: &str, env: &[(&str, &str)], target: &dyn TableIo) {
    let mut child = command(dir, &["db", "migrate", "--to", to, "--batch", "100", "--throttle-ms", "15"], env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until a few batches of bars are in, then SIGKILL: no handler, no cleanup.
    let mut copied = 0;
    for _ in 0..600 {
        copied = target.transfer_state().map_or(0, |s| s.iter().map(|s| s.rows).sum::<u64>());
        if copied >= 500 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(copied >= 500, "the copy made progress before the kill");
    let kept = assert_whole_batches(target);
    assert!(kept < 60 * 200, "killed midway, not at the end ({kept} rows)");
    // The same command resumes and verifies.
    let mut args = vec!["db", "migrate", "--to", to, "--json"];
    args.extend(["--batch", "5000"]);
    assert_verified(&json(&hantu(dir, &args, env)));
}

#[test]
fn a_migration_killed_with_sigkill_resumes_to_a_verified_copy() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let target = SqliteStore::open(dir.path().join("copy.db")).unwrap();
    kill_midway(dir.path(), "sqlite:copy.db", &[], &target);

    if let Some(server) = Server::get("killed") {
        let store = server.store();
        kill_midway(dir.path(), &server.bare, &server.env(), &store);
    }
}

#[test]
fn every_command_runs_on_postgres_and_the_password_never_shows() {
    let Some(server) = Server::get("commands") else { return };
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let pw = server.password.clone();
    let env = [("HANTU_PG_PASSWORD", pw.as_str()), ("HANTU_DATA_URL", server.bare.as_str())];
    let mut seen = String::new();

    let o = hantu(dir.path(), &["db", "migrate", "--from", "hantu.db", "--to", &server.bare, "--json"], &env);
    seen += &text(&o);
    assert_verified(&json(&o));
    for args in [
        vec!["health", "--no-kis", "--json"],
        vec!["screen", "--json"],
        vec!["select", "--json"],
        vec!["backtest", "--store", "--json"],
        vec!["config", "check", "--json"],
    ] {
        let o = hantu(dir.path(), &args, &env);
        seen += &text(&o);
        assert!(o.status.success(), "{args:?} on PostgreSQL: {}", text(&o));
    }
    let o = hantu(dir.path(), &["data", "export", "out"], &env);
    seen += &text(&o);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_dir(dir.path().join("out")).unwrap().count(), 60);

    // Back to a local file, verified against the original.
    let o = hantu(dir.path(), &["db", "migrate", "--to", "sqlite:local.db", "--json"], &env);
    seen += &text(&o);
    assert!(o.status.success(), "{}", text(&o));
    let o = hantu(dir.path(), &["db", "verify", "hantu.db", "local.db", "--json"], &[]);
    assert_eq!(o.status.code(), Some(1), "the server store gained runs and watchlists: {}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    for t in v["tables"].as_array().unwrap() {
        if !["screen_runs", "watchlist_entries", "selections", "runs", "trades", "daily_returns"]
            .contains(&t["table"].as_str().unwrap())
        {
            assert_eq!(t["ok"], true, "{t}");
        }
    }

    // A URL with the password in the environment shows as ***; in the config file it is refused.
    let with_pw = server.bare.replace("hantu@", &format!("hantu:{pw}@"));
    let o = hantu(dir.path(), &["health", "--no-kis", "-vv"], &[("HANTU_DATA_URL", &with_pw)]);
    seen += &text(&o);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(dir.path().join("hantu.toml"), format!("[data]\nurl = \"{with_pw}\"\n")).unwrap();
    let o = hantu(dir.path(), &["health", "--no-kis"], &[]);
    seen += &text(&o);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("data.url") && text(&o).contains("HANTU_PG_PASSWORD"), "{}", text(&o));
    assert!(!seen.contains(&pw), "the password was printed");
}
