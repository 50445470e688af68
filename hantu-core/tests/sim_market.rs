//! The simulated market: determinism, bar validity against the KRX rules, calendar alignment,
//! and minute bars that aggregate to the daily bar.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use hantu_core::Error;
use hantu_core::domain::{Bar, InstrumentKind, Market, StockCode, Timestamp};
use hantu_core::krx::{KrxCalendar, TickTable, price_limits};
use hantu_core::sim::{SimConfig, SimMarket};

fn small(seed: u64) -> SimMarket {
    SimMarket::generate(&SimConfig::new(300, 250, seed)).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn same_config_gives_identical_output_and_seeds_differ() {
    let (a, b) = (small(11), small(11));
    assert_eq!(a.instruments, b.instruments);
    assert_eq!(a.bars, b.bars);
    assert_eq!(a.fundamentals, b.fundamentals);
    let c = small(12);
    assert_ne!(a.bars, c.bars);
    assert_ne!(a.fundamentals, c.fundamentals);
}

#[test]
fn result_does_not_depend_on_thread_count() {
    let cfg = SimConfig::new(120, 80, 5);
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let serial = one.install(|| SimMarket::generate(&cfg)).unwrap();
    let parallel = SimMarket::generate(&cfg).unwrap();
    assert_eq!(serial.bars, parallel.bars);
    assert_eq!(serial.instruments, parallel.instruments);
}

#[test]
fn smaller_universe_is_a_subset_of_a_larger_one() {
    let big = SimMarket::generate(&SimConfig::new(200, 40, 3)).unwrap();
    let little = SimMarket::generate(&SimConfig::new(50, 40, 3)).unwrap();
    for (inst, bars) in little.instruments.iter().zip(&little.bars) {
        assert_eq!(big.instrument(inst.code).unwrap().market, inst.market);
        assert_eq!(big.bars_for(inst.code).unwrap(), bars.as_slice());
    }
}

/// Pins a digest of the default-size output, so that any change to the generator (and so to
/// every simulated price) is a deliberate one.
#[test]
fn output_digest_is_pinned() {
    let m = small(20_240_102);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |v: i64| {
        for b in v.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (inst, bars) in m.instruments.iter().zip(&m.bars) {
        eat(inst.code.to_u64() as i64);
        for b in bars {
            eat(b.ts.millis());
            eat(b.open.won());
            eat(b.high.won());
            eat(b.low.won());
            eat(b.close.won());
            eat(b.volume as i64);
        }
    }
    assert_eq!(h, PINNED_DIGEST, "generator output changed: {h:#x}");
}

const PINNED_DIGEST: u64 = 0xf9b4_027e_6acd_0b86;

fn check_bar(b: &Bar, market: Market, prev_close: Option<i64>) {
    let date = b.ts.kst_date();
    b.validate().unwrap();
    assert!(b.volume > 0, "{b:?}");
    let table = TickTable::for_date(date, market, InstrumentKind::Stock);
    for p in [b.open, b.high, b.low, b.close] {
        assert!(table.is_on_tick(p.won()), "off tick {p:?} in {b:?}");
    }
    if let Some(prev) = prev_close {
        let (lo, hi) = price_limits(prev, date, market, InstrumentKind::Stock);
        assert!(lo <= b.low.won() && b.high.won() <= hi, "outside {lo}..={hi}: {b:?}");
    }
}

#[test]
fn every_bar_is_valid_on_grid_and_within_limits() {
    let m = SimMarket::generate(&SimConfig::new(600, 300, 99)).unwrap();
    let (mut at_upper, mut at_lower) = (0, 0);
    for (inst, bars) in m.instruments.iter().zip(&m.bars) {
        assert_eq!(bars.len(), m.dates().len());
        let mut prev = None;
        for b in bars {
            assert_eq!(b.code, inst.code);
            check_bar(b, inst.market, prev);
            if let Some(p) = prev {
                let (lo, hi) = price_limits(p, b.ts.kst_date(), inst.market, InstrumentKind::Stock);
                at_upper += usize::from(b.close.won() == hi);
                at_lower += usize::from(b.close.won() == lo);
            }
            prev = Some(b.close.won());
        }
    }
    assert!(at_upper > 0 && at_lower > 0, "limits never hit: {at_upper} up, {at_lower} down");
}

#[test]
fn bars_sit_on_real_trading_days_stamped_at_the_close() {
    let m = SimMarket::generate(&SimConfig { start: d(2024, 12, 28), ..SimConfig::new(20, 300, 1) }).unwrap();
    let dates = m.dates();
    assert_eq!(dates[0], d(2024, 12, 30), "first trading day on or after a Saturday start");
    assert!(!dates.contains(&d(2024, 12, 31)) && !dates.contains(&d(2025, 1, 1)));
    assert!(!dates.contains(&d(2025, 1, 28)) && !dates.contains(&d(2025, 10, 6)), "Seollal and Chuseok closed");
    for w in dates.windows(2) {
        assert_eq!(KrxCalendar::next_trading_day(w[0]), w[1]);
    }
    assert!(
        dates.iter().all(|x| KrxCalendar::is_trading_day(*x) && !matches!(x.weekday(), Weekday::Sat | Weekday::Sun))
    );
    for bars in &m.bars {
        for (b, date) in bars.iter().zip(dates) {
            assert_eq!(b.ts, Timestamp::daily_close(*date));
        }
    }
}

#[test]
fn universe_looks_like_krx() {
    let m = SimMarket::generate(&SimConfig::new(2_875, 30, 4)).unwrap();
    let codes: BTreeSet<_> = m.instruments.iter().map(|i| i.code).collect();
    assert_eq!(codes.len(), 2_875);
    assert!(m.instruments.windows(2).all(|w| w[0].code < w[1].code), "listed in code order");
    let names: BTreeSet<_> = m.instruments.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names.len(), 2_875, "names are unique");
    let count = |mk| m.instruments.iter().filter(|i| i.market == mk).count();
    let (kospi, kosdaq, konex) = (count(Market::Kospi), count(Market::Kosdaq), count(Market::Konex));
    assert!((850..1_050).contains(&kospi) && (1_750..2_050).contains(&kosdaq) && (10..70).contains(&konex));
    let sectors: BTreeSet<_> = m.instruments.iter().filter_map(|i| i.sector.as_deref()).collect();
    assert!(sectors.len() >= 20 && sectors.contains("전기·전자") && sectors.contains("제약"));
    let first_closes: Vec<i64> = m.bars.iter().map(|b| b[0].close.won()).collect();
    assert!(first_closes.iter().any(|c| *c < 2_000) && first_closes.iter().any(|c| *c > 200_000));
    for (inst, f) in m.instruments.iter().zip(&m.fundamentals) {
        assert_eq!(f.code, inst.code);
        assert_eq!(f.as_of, *m.dates().last().unwrap());
        assert!(f.market_cap.unwrap() > 0);
    }
    let f = &m.fundamentals;
    assert!(f.iter().any(|x| x.per.is_some_and(|p| p < 0.0)), "some loss-makers");
    assert!(f.iter().any(|x| x.per.is_none()) && f.iter().any(|x| x.roe_pct.is_none()), "some unknowns");
    assert!(f.iter().filter(|x| x.pbr.is_some()).count() > 2_500);
}

#[test]
fn lookups_find_listed_stocks_only() {
    let m = small(2);
    let inst = &m.instruments[17];
    assert_eq!(m.instrument(inst.code), Some(inst));
    assert_eq!(m.bars_for(inst.code).unwrap().len(), 250);
    assert_eq!(m.fundamentals_for(inst.code).unwrap().code, inst.code);
    let date = m.dates()[3];
    assert_eq!(m.bar(inst.code, date).unwrap().ts, Timestamp::daily_close(date));
    let absent: StockCode = "Q00001".parse().unwrap();
    assert!(m.instrument(absent).is_none() && m.bars_for(absent).is_none());
    assert!(m.bar(inst.code, d(2024, 1, 6)).is_none());
    let week = m.bars_between(inst.code, d(2024, 1, 6), d(2024, 1, 12)).unwrap();
    let want: Vec<_> = [8, 9, 10, 11, 12].map(|day| Timestamp::daily_close(d(2024, 1, day))).to_vec();
    assert_eq!(week.iter().map(|b| b.ts).collect::<Vec<_>>(), want);
    assert!(m.bars_between(inst.code, d(2024, 1, 12), d(2024, 1, 8)).unwrap().is_empty());
    assert!(m.bars_between(inst.code, d(2020, 1, 1), d(2023, 12, 31)).unwrap().is_empty());
    assert_eq!(m.bars_between(inst.code, d(2000, 1, 1), d(2099, 1, 1)).unwrap().len(), 250);
    assert!(m.bars_between(absent, d(2024, 1, 6), d(2024, 1, 12)).is_none());
    assert!(matches!(m.minute_bars(absent, date), Err(Error::Validation(_))));
    assert!(matches!(m.minute_bars(inst.code, d(2030, 1, 2)), Err(Error::Validation(_))));
}

#[test]
fn bad_config_is_a_typed_error() {
    for cfg in
        [SimConfig::new(0, 10, 1), SimConfig::new(10, 0, 1), SimConfig { kospi_share: 2.0, ..SimConfig::default() }]
    {
        assert!(matches!(SimMarket::generate(&cfg), Err(Error::Config { .. })), "{cfg:?}");
    }
}

fn check_minutes(m: &SimMarket, code: StockCode, date: NaiveDate) -> usize {
    let inst = m.instrument(code).unwrap();
    let day = *m.bar(code, date).unwrap();
    let mins = m.minute_bars(code, date).unwrap();
    assert_eq!(mins.first().unwrap().open, day.open);
    assert_eq!(mins.last().unwrap().close, day.close);
    assert_eq!(mins.iter().map(|b| b.high).max().unwrap(), day.high);
    assert_eq!(mins.iter().map(|b| b.low).min().unwrap(), day.low);
    assert_eq!(mins.iter().map(|b| b.volume).sum::<u64>(), day.volume);
    let table = TickTable::for_date(date, inst.market, InstrumentKind::Stock);
    for w in mins.windows(2) {
        assert!(w[0].ts < w[1].ts);
    }
    for b in &mins {
        b.validate().unwrap();
        assert_eq!(b.code, code);
        assert_eq!(b.ts.kst_date(), date);
        assert!(b.volume > 0);
        assert!([b.open, b.high, b.low, b.close].iter().all(|p| table.is_on_tick(p.won())));
    }
    mins.len()
}

#[test]
fn minute_bars_aggregate_to_the_daily_bar() {
    let m = small(8);
    for inst in m.instruments.iter().step_by(7) {
        for &date in m.dates().iter().step_by(23) {
            check_minutes(&m, inst.code, date);
        }
    }
}

#[test]
fn minute_session_layout_follows_the_calendar() {
    let m = SimMarket::generate(&SimConfig { start: d(2025, 1, 2), ..SimConfig::new(3, 250, 6) }).unwrap();
    let code = m.instruments[0].code;
    let normal = d(2025, 3, 4);
    let mins = m.minute_bars(code, normal).unwrap();
    assert_eq!(check_minutes(&m, code, normal), 381);
    assert_eq!(mins[0].ts, Timestamp::kst(normal, 9, 1));
    assert_eq!(mins[379].ts, Timestamp::kst(normal, 15, 20));
    assert_eq!(mins[380].ts, Timestamp::kst(normal, 15, 30));
    // The first trading day of the year opens at 10:00.
    let late = d(2025, 1, 2);
    assert_eq!(check_minutes(&m, code, late), 321);
    assert_eq!(m.minute_bars(code, late).unwrap()[0].ts, Timestamp::kst(late, 10, 1));
    // CSAT day: 10:00 to 16:30.
    let csat = d(2025, 11, 13);
    assert_eq!(check_minutes(&m, code, csat), 381);
    assert_eq!(m.minute_bars(code, csat).unwrap()[380].ts, Timestamp::kst(csat, 16, 30));
}

#[test]
fn minute_bars_are_deterministic_and_reuse_the_buffer() {
    let m = small(9);
    let code = m.instruments[5].code;
    let date = m.dates()[100];
    let a = m.minute_bars(code, date).unwrap();
    let mut buf = m.minute_bars(code, m.dates()[0]).unwrap();
    m.minute_bars_into(code, date, &mut buf).unwrap();
    assert_eq!(a, buf);
    assert_eq!(small(9).minute_bars(code, date).unwrap(), a);
    assert_ne!(m.minute_bars(code, m.dates()[101]).unwrap()[..380], a[..380]);
}

mod property_tests {
    use proptest::prelude::*;

    use super::*;

    fn config() -> impl Strategy<Value = SimConfig> {
        (1usize..25, 1usize..80, any::<u64>(), 0i64..(365 * 20), 0.0f64..0.6, 0.0f64..0.3).prop_map(
            |(stocks, days, seed, offset, kospi_share, konex_share)| SimConfig {
                stocks,
                days,
                seed,
                // 2008–2027: the old tick ladders, the ±15% era before 2015-06-15, and today's rules.
                start: d(2008, 1, 1) + chrono::Duration::days(offset),
                kospi_share,
                konex_share,
                ..SimConfig::default()
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn prop_any_valid_config_gives_valid_bars_and_minutes(cfg in config(), pick in any::<u64>()) {
            let m = SimMarket::generate(&cfg).unwrap();
            prop_assert_eq!(m.len(), cfg.stocks);
            prop_assert_eq!(m.dates().len(), cfg.days);
            for (inst, bars) in m.instruments.iter().zip(&m.bars) {
                let mut prev = None;
                for b in bars {
                    check_bar(b, inst.market, prev);
                    prev = Some(b.close.won());
                }
            }
            let inst = &m.instruments[(pick % cfg.stocks as u64) as usize];
            let date = m.dates()[(pick % cfg.days as u64) as usize];
            check_minutes(&m, inst.code, date);
        }
    }
}
