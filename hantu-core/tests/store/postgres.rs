//! What only a server store has to get right: several sessions writing at once, aborted
//! transactions retried, account locks across sessions, schema versions, secrets.

use std::sync::Arc;
use std::thread;

use hantu_core::domain::{Instrument, Market, StockCode};
use hantu_core::store::{PgOptions, PgStore, PgUrl, Store, StoreError};

use super::contract::{day, order};

#[test]
fn two_sessions_write_at_once_and_nothing_is_lost_or_doubled() {
    let Some(pg) = super::pg::fresh("concurrent") else { return };
    let other = Arc::new(super::pg::reopen(&pg));
    let first: Arc<dyn Store> = Arc::new(super::pg::reopen(&pg));
    let mut handles = Vec::new();
    for (w, store) in [first.clone(), other.clone() as Arc<dyn Store>].into_iter().enumerate() {
        for t in 0..3 {
            let store = store.clone();
            handles.push(thread::spawn(move || {
                for i in 0..20 {
                    store.journal_order(&order(&format!("w{w}-t{t}-{i}"), 1_000 + i)).unwrap();
                    let bars: Vec<_> =
                        (1..=5).map(|d| super::contract::bar("005930", day(2024, 2, d), 70_000 + i)).collect();
                    store.upsert_daily_bars(&bars).unwrap();
                }
            }));
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(pg.open_orders().unwrap().len(), 2 * 3 * 20);
    let bars = pg.daily_bars(StockCode::new("005930"), day(2024, 2, 1), day(2024, 2, 5)).unwrap();
    assert_eq!(bars.len(), 5, "upserts by natural key never duplicate");
}

#[test]
fn deadlocked_writers_are_retried_until_both_succeed() {
    let Some(pg) = super::pg::fresh("deadlock") else { return };
    let codes: Vec<Instrument> = (0..40)
        .map(|i| Instrument::stock(StockCode::new(&format!("{:06}", 100_000 + i)), "x", Market::Kospi, None))
        .collect();
    pg.upsert_instruments(&codes).unwrap();
    let a = Arc::new(super::pg::reopen(&pg));
    let b = Arc::new(super::pg::reopen(&pg));
    // Row-by-row upserts in opposite orders take row locks in opposite orders: the server
    // aborts one of two colliding transactions as a deadlock, and the store runs it again.
    let forward = codes.clone();
    let backward: Vec<_> = codes.iter().rev().cloned().collect();
    let ha = thread::spawn(move || (0..15).map(|_| a.upsert_instruments(&forward)).collect::<Vec<_>>());
    let hb = thread::spawn(move || (0..15).map(|_| b.upsert_instruments(&backward)).collect::<Vec<_>>());
    for r in ha.join().unwrap().into_iter().chain(hb.join().unwrap()) {
        r.unwrap();
    }
    assert_eq!(pg.instruments().unwrap().len(), 40);
}

#[test]
fn an_account_lock_holds_across_sessions_and_ends_with_its_holder() {
    let Some(pg) = super::pg::fresh("lock") else { return };
    let trader_a = super::pg::reopen(&pg);
    let trader_b = super::pg::reopen(&pg);
    let held = trader_a.try_lock_account("50071234-01").unwrap().unwrap();
    assert!(trader_b.try_lock_account("50071234-01").unwrap().is_none());
    drop(held);
    let b_holds = trader_b.try_lock_account("50071234-01").unwrap().unwrap();
    // The holder's session ending (as when its process is killed and the connection drops)
    // frees the account: end it from the server side, as the server does for a dead client.
    let c = super::pg::reopen(&pg);
    assert!(c.try_lock_account("50071234-01").unwrap().is_none());
    let key = hantu_core::store::account_lock_key("50071234-01") as i64;
    let ended: i64 = c
        .conn()
        .unwrap()
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted
               AND classid::bigint = (($1::bigint >> 32) & 4294967295) AND objid::bigint = ($1::bigint & 4294967295)",
            &[&key],
        )
        .unwrap()
        .get(0);
    assert_eq!(ended, 1);
    let mut freed = None;
    for _ in 0..100 {
        freed = c.try_lock_account("50071234-01").unwrap();
        if freed.is_some() {
            break;
        }
        thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(freed.is_some(), "the server releases a dead session's locks");
    drop(b_holds); // releasing on a dead connection only logs
}

#[test]
fn a_database_from_a_newer_hantu_is_refused_untouched() {
    let Some(pg) = super::pg::fresh("toonew") else { return };
    let mut c = pg.conn().unwrap();
    c.execute("INSERT INTO hantu_schema (version, name) VALUES (999, 'future')", &[]).unwrap();
    drop(c);
    let url = super::pg::url().unwrap();
    let err = PgStore::connect(&url, &super::pg::options(pg.schema().unwrap())).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 999, .. }), "{err}");
}

#[test]
fn a_wrong_password_fails_clearly_without_showing_it() {
    let Some(url) = super::pg::url() else { return };
    let wrong = url.with_password("not-the-password-xyz");
    let opts = PgOptions { connect_timeout: std::time::Duration::from_secs(3), ..PgOptions::default() };
    let err = PgStore::connect(&wrong, &opts).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("password authentication failed"), "{shown}");
    assert!(!shown.contains("not-the-password-xyz"), "{shown}");
    let bad = PgUrl::parse("postgres://hantu:pw@127.0.0.1:notaport/x");
    assert!(bad.is_err());
}
