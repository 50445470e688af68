//! A fresh PostgreSQL schema per test, on the server named by `HANTU_TEST_PG_URL` (which
//! `scripts/test.sh` starts). Without it the PostgreSQL tests print why and pass as skipped.

use std::sync::atomic::{AtomicU32, Ordering};

use hantu_core::store::{PgOptions, PgStore, PgUrl};

/// The test server's URL, if one is configured.
pub fn url() -> Option<PgUrl> {
    match std::env::var("HANTU_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(PgUrl::parse(&u).expect("HANTU_TEST_PG_URL is a PostgreSQL URL")),
        _ => {
            eprintln!("skipped: HANTU_TEST_PG_URL is not set (scripts/test.sh starts a PostgreSQL server and sets it)");
            None
        }
    }
}

/// A store in a schema of its own, dropped with the guard.
pub struct TestPg {
    store: Option<PgStore>,
    url: PgUrl,
    schema: String,
}

impl std::ops::Deref for TestPg {
    type Target = PgStore;
    fn deref(&self) -> &PgStore {
        self.store.as_ref().unwrap()
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        self.store.take();
        if let Ok(mut c) = self.url.config().connect(postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// Options for a store in `schema`.
pub fn options(schema: &str) -> PgOptions {
    PgOptions { schema: Some(schema.to_owned()), pool_size: 4, ..PgOptions::default() }
}

/// A unique schema name for `tag`.
pub fn schema_name(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("t_{tag}_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A fresh, migrated store, or `None` when no server is configured.
pub fn fresh(tag: &str) -> Option<TestPg> {
    let url = url()?;
    let schema = schema_name(tag);
    let store = PgStore::connect(&url, &options(&schema)).expect("connect to the test server");
    Some(TestPg { store: Some(store), url, schema })
}

/// A second store on the same schema (another pool: other sessions, as another process has).
pub fn reopen(t: &TestPg) -> PgStore {
    PgStore::connect(&t.url, &options(&t.schema)).expect("reconnect")
}
