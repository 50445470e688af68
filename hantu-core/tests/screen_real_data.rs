//! Screen and select over the real KRX data in `../shared/data/krx` (skipped when absent).
//!
//! The fundamentals file is one snapshot (prices of 2026-07-27), later than the bars; the test
//! treats it as known throughout by dating it at 2020-01-01, which a backtest must not do.

use std::path::PathBuf;

use chrono::NaiveDate;
use hantu_core::domain::{Money, StockCode};
use hantu_core::io::{read_csv_dir, read_daily_csv, read_fundamentals_csv, read_instruments_csv};
use hantu_core::krx::TickTable;
use hantu_core::pipeline::daily_selections;
use hantu_core::screen::{Criterion, ScreenConfig, Screener, Standing, Universe};
use hantu_core::select::{SelectConfig, Selector};

const SCREEN: &str = include_str!("../../examples/config/screen.toml");
const SELECT: &str = include_str!("../../examples/config/select.toml");

fn data() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/krx"));
    p.join("stocks.csv").exists().then_some(p)
}

#[test]
fn real_market_screen_and_selection() {
    let Some(dir) = data() else {
        eprintln!("skipped: no KRX data next to the repository");
        return;
    };
    let instruments = read_instruments_csv(dir.join("stocks.csv")).unwrap();
    let bars = read_csv_dir(dir.join("daily")).unwrap();
    let known_from = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let funds = read_fundamentals_csv(dir.join("fundamentals.csv")).unwrap().into_iter().map(|mut f| {
        f.as_of = known_from;
        f
    });
    let universe = Universe::new(instruments, bars.series, funds).unwrap();
    // The last day both KOSPI and KOSDAQ files cover.
    let as_of = NaiveDate::from_ymd_opt(2025, 6, 13).unwrap();
    let screener = Screener::new(ScreenConfig::from_toml_str(SCREEN).unwrap()).unwrap();
    let result = screener.run(&universe, as_of).unwrap();
    assert!(result.evaluated > 2_500, "{} stocks traded on {as_of}", result.evaluated);
    assert!(!result.entries.is_empty() && result.entries.len() <= 200);
    assert!(result.entries.windows(2).all(|w| w[0].score >= w[1].score));

    // Samsung Electronics: its close criterion is the file's close, and it can be explained.
    let samsung = StockCode::new("005930");
    let file = read_daily_csv(dir.join("daily/005930.csv"), samsung).unwrap();
    let bar = file.iter().find(|b| b.ts.kst_date() == as_of).unwrap();
    assert_eq!(result.value(samsung, Criterion::Close), Some(bar.close.as_f64()));
    let why = result.why(samsung);
    assert_ne!(why.standing, Standing::NoBar);
    assert!(why.detail.contains("avg_traded_value(20)"), "{why}");

    // A stock without fundamentals has unknown PER, never zero.
    let col = result.columns().iter().position(|c| *c == Criterion::Per);
    if let Some(col) = col {
        for e in &result.entries {
            if let Some(per) = e.values[col] {
                assert!(per.is_finite());
            }
        }
    }
    let no_funds = universe
        .instruments()
        .iter()
        .enumerate()
        .find(|(i, _)| {
            universe.fundamentals_as_of(*i, as_of).is_none()
                && universe.bars_as_of(*i, as_of).last().is_some_and(|b| b.ts.kst_date() == as_of)
        })
        .map(|(_, ins)| ins.code);
    if let Some(code) = no_funds {
        assert_eq!(result.value(code, Criterion::Per), None);
    }

    let selector = Selector::new(SelectConfig::from_toml_str(SELECT).unwrap()).unwrap();
    let picks = selector.select(&universe, &result, &[], Money::from_won(100_000_000)).unwrap();
    assert!(!picks.picks.is_empty());
    for p in &picks.picks {
        let ins = &universe.instruments()[universe.index_of(p.code).unwrap()];
        let table = TickTable::for_date(as_of, ins.market, ins.kind);
        for price in [p.entry_low, p.entry_high, p.stop, p.target] {
            assert!(table.is_on_tick(price.won()), "{} {price:?}", p.code);
        }
        assert!(result.entry(p.code).is_some());
    }
    let again = screener.run(&universe, as_of).unwrap();
    assert_eq!(again.entries, result.entries);

    // The day-by-day path: the selection for a day is the same without the later bars.
    let day = NaiveDate::from_ymd_opt(2025, 5, 30).unwrap();
    let eq = Money::from_won(100_000_000);
    let full = daily_selections(&universe, &screener, &selector, &[day], eq).unwrap();
    let cut = daily_selections(&universe.truncated(day), &screener, &selector, &[day], eq).unwrap();
    assert_eq!(full, cut);
}
