//! SQLite store: daily-bar ingest, one stock's 10-year read, latest watchlist, and (when the
//! shared KRX folder is present) the import of all of `../shared/data/krx/daily`.
//!
//! Targets (issue 4): ingest ≥ 1,000,000 rows/s into a file-backed database.
//! Measured on the 2-core build machine while other builds ran (load average 4-5), criterion
//! medians:
//! - `ingest_daily_bars_1m_rows`: 0.57 s, 1.77 M rows/s, upserting 1,000,000 bars (400 codes ×
//!   2,500 days) into a fresh WAL file in one transaction — target met;
//! - `read_one_code_10y`: 0.48 ms for 2,500 bars (5.2 M rows/s);
//! - `latest_watchlist_300_entries`: 0.16 ms with 30 runs of 300 entries stored;
//! - `import_krx_daily_folder`: 2.35 s (0.90 M rows/s, CSV parsing and validation included) for
//!   the 2,795 files; 1.47 s when the machine was quieter (the ignored release test
//!   `the_whole_krx_daily_folder_imports_and_exports_losslessly`). 2,121,589 rows are written; two
//!   files (592 rows) are refused because `Q520057` and `Q530107` are not 6-character codes.
//!
//! Run with `cargo bench -p hantu-benches -- store`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use hantu_benches::random_walk_bars;
use hantu_core::domain::{Bar, StockCode, Timestamp};
use hantu_core::store::{ScreenRunRecord, SqliteStore, Store, WatchlistEntryRecord};

fn universe(codes: usize, days: usize) -> Vec<Bar> {
    (0..codes).flat_map(|i| random_walk_bars(&format!("{:06}", 100_000 + i), days, i as u64)).collect()
}

fn fresh(dir: &tempfile::TempDir, n: &mut u32) -> SqliteStore {
    *n += 1;
    SqliteStore::open(dir.path().join(format!("bench-{n}.db"))).expect("open store")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("store");
    g.sample_size(10);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut n = 0;

    let bars = universe(400, 2_500);
    g.throughput(Throughput::Elements(bars.len() as u64));
    g.bench_function("ingest_daily_bars_1m_rows", |b| {
        b.iter_batched(
            || fresh(&dir, &mut n),
            |store| store.upsert_daily_bars(&bars).expect("ingest"),
            BatchSize::PerIteration,
        );
    });

    let store = fresh(&dir, &mut n);
    store.upsert_daily_bars(&bars).expect("ingest");
    let code = StockCode::new("100007");
    let (from, to) = (bars[0].ts.kst_date(), bars[2_499].ts.kst_date());
    g.throughput(Throughput::Elements(2_500));
    g.bench_function("read_one_code_10y", |b| {
        b.iter(|| {
            let got = store.daily_bars(code, from, to).expect("read");
            assert_eq!(got.len(), 2_500);
            got
        });
    });

    for run in 0..30 {
        let rec = ScreenRunRecord {
            name: "default".into(),
            ts: Timestamp::from_millis(run),
            universe_size: 2_900,
            config: serde_json::json!({"min_traded_value": 1e9, "rsi": [30, 70]}),
        };
        let entries: Vec<_> = (0..300)
            .map(|i| WatchlistEntryRecord {
                code: StockCode::new(&format!("{:06}", 100_000 + i)),
                rank: i + 1,
                score: 1.0 / f64::from(i + 1),
                passed: true,
                criteria: vec![("traded_value".into(), 2e9), ("rsi".into(), 55.0), ("atr_pct".into(), 2.5)],
            })
            .collect();
        store.save_screen_run(&rec, &entries).expect("save run");
    }
    g.throughput(Throughput::Elements(300));
    g.bench_function("latest_watchlist_300_entries", |b| {
        b.iter(|| store.latest_watchlist().expect("read").expect("present").entries.len());
    });

    let krx = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/krx/daily"));
    if krx.is_dir() {
        g.throughput(Throughput::Elements(2_122_181));
        g.bench_function("import_krx_daily_folder", |b| {
            b.iter_batched(
                || fresh(&dir, &mut n),
                |store| store.import_csv_dir(krx, |_| {}).expect("import"),
                BatchSize::PerIteration,
            );
        });
    } else {
        eprintln!("store/import_krx_daily_folder skipped: {} not present", krx.display());
    }
    g.finish();
}

criterion_group!(benches, bench);
