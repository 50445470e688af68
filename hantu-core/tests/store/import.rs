//! CSV folders and lists into the SQLite store and back.

use std::path::{Path, PathBuf};

use hantu_core::domain::{InstrumentKind, Market, StockCode};
use hantu_core::io;
use hantu_core::store::{SqliteStore, Store};

use super::contract::day;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The shared KRX data, when this checkout has it (it is not part of the repository).
fn krx() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/krx"));
    p.join("daily").is_dir().then_some(p)
}

#[test]
fn imports_a_folder_with_a_report_per_file_and_exports_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    let mut seen = Vec::new();
    let report = store.import_csv_dir(testdata().join("daily"), |p| seen.push(*p)).unwrap();
    let summary: Vec<_> = report
        .files
        .iter()
        .map(|f| (f.path.file_name().unwrap().to_str().unwrap().to_owned(), f.accepted, f.rejected.len()))
        .collect();
    assert_eq!(summary, [("900100.csv".into(), 40, 0), ("900200.csv".into(), 30, 0), ("900300.csv".into(), 12, 3)]);
    let why: Vec<_> = report.files[2].rejected.iter().map(|r| (r.line, r.field)).collect();
    assert_eq!(why, [(6, Some("date")), (9, None), (12, Some("open"))]);
    assert_eq!(report.rows_written, 82);
    assert_eq!(store.daily_bar_count().unwrap(), 82);
    assert_eq!(seen.last().unwrap().files_done, 3);

    // Importing again is idempotent (upserts on the natural key).
    store.import_csv_dir(testdata().join("daily"), |_| {}).unwrap();
    assert_eq!(store.daily_bar_count().unwrap(), 82);

    let out = dir.path().join("export");
    assert_eq!(store.export_csv_dir(&out).unwrap(), 3);
    for code in ["900100", "900200"] {
        let name = format!("{code}.csv");
        assert_eq!(
            std::fs::read_to_string(out.join(&name)).unwrap(),
            std::fs::read_to_string(testdata().join("daily").join(&name)).unwrap(),
            "{name} did not round-trip"
        );
    }
    let code = StockCode::new("900300");
    let exported = io::read_daily_csv(out.join("900300.csv"), code).unwrap();
    assert_eq!(exported, store.daily_bars(code, day(2000, 1, 1), day(2100, 1, 1)).unwrap());
}

#[test]
fn imports_instruments_and_fundamentals() {
    let store = SqliteStore::open_in_memory().unwrap();
    assert_eq!(store.import_instruments(testdata().join("stocks.csv")).unwrap().accepted, 4);
    let got = store.instruments().unwrap();
    let kinds: Vec<_> = got.iter().map(|i| (i.code.as_str().to_owned(), i.market, i.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("900100".into(), Market::Kospi, InstrumentKind::Stock),
            ("900200".into(), Market::Kosdaq, InstrumentKind::Stock),
            ("900300".into(), Market::Kospi, InstrumentKind::Etf),
            ("900400".into(), Market::Konex, InstrumentKind::Stock),
        ]
    );
    assert_eq!(store.import_fundamentals(testdata().join("fundamentals.csv")).unwrap(), 2);
    let f = store.latest_fundamentals().unwrap();
    assert_eq!(f[0].market_cap, Some(715_000_000_000));
    assert_eq!(f[1].per, None);

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("stocks.csv");
    std::fs::write(&bad, "code,name,market\n900100,a,KOSPI\n12,b,KOSPI\n900500,c,NYSE\n").unwrap();
    let report = store.import_instruments(&bad).unwrap();
    assert_eq!(report.accepted, 1);
    let why: Vec<_> = report.rejected.iter().map(|r| (r.line, r.field)).collect();
    assert_eq!(why, [(3, Some("code")), (4, Some("market"))]);
    std::fs::write(&bad, "code,name\n900100,a\n").unwrap();
    assert!(matches!(store.import_instruments(&bad), Err(hantu_core::store::StoreError::Other(_))));
}

#[test]
fn real_krx_lists_and_a_slice_of_daily_files_import_cleanly() {
    let Some(krx) = krx() else {
        eprintln!("shared KRX data not present; skipped");
        return;
    };
    let store = SqliteStore::open_in_memory().unwrap();
    let report = store.import_instruments(krx.join("stocks.csv")).unwrap();
    assert_eq!(store.instruments().unwrap().len(), report.accepted);
    assert!(report.accepted > 4_000, "{report}");
    // Only the funds and ETNs with long codes are left out.
    assert!(report.rejected.iter().all(|r| r.field == Some("code")), "{report}");
    let f = store.import_fundamentals(krx.join("fundamentals.csv")).unwrap();
    assert_eq!(store.latest_fundamentals().unwrap().len(), f);

    let dir = tempfile::tempdir().unwrap();
    let files = io::list_csv_dir(krx.join("daily")).unwrap();
    for f in files.iter().take(25) {
        std::fs::copy(f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    let expected = io::read_csv_dir(dir.path()).unwrap();
    let report = store.import_csv_dir(dir.path(), |_| {}).unwrap();
    assert_eq!(report.rows_written, expected.accepted());
    assert_eq!(store.daily_bar_count().unwrap(), expected.accepted() as u64);
    let (code, bars) = &expected.series[0];
    let back = store.daily_bars(*code, bars[0].ts.kst_date(), bars[bars.len() - 1].ts.kst_date()).unwrap();
    assert_eq!(&back, bars);
}

#[test]
#[ignore = "slow in debug builds: imports 2.1 M rows; run with --release -- --ignored"]
fn the_whole_krx_daily_folder_imports_and_exports_losslessly() {
    let Some(krx) = krx() else {
        eprintln!("shared KRX data not present; skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("krx.db")).unwrap();
    let started = std::time::Instant::now();
    let report = store.import_csv_dir(krx.join("daily"), |_| {}).unwrap();
    let took = started.elapsed();
    eprintln!(
        "imported {} rows from {} files in {took:?} ({} transactions); {} rows rejected, {} files refused",
        report.rows_written,
        report.files.len(),
        report.transactions,
        report.rejected(),
        report.files_refused()
    );
    for f in report.files.iter().filter(|f| !f.is_clean()) {
        eprintln!("  {f}");
    }
    assert_eq!(store.daily_bar_count().unwrap(), report.rows_written as u64);
    assert!(store.integrity_check().unwrap().is_empty());

    let out = dir.path().join("export");
    assert_eq!(store.export_csv_dir(&out).unwrap(), report.files.len() - report.files_refused());
    let again = io::read_csv_dir(&out).unwrap();
    assert_eq!(again.accepted(), report.rows_written);
    assert_eq!(again.rejected(), 0);
}
