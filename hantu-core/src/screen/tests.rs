use chrono::NaiveDate;

use super::*;
use crate::domain::{Bar, Fundamentals, Instrument, Market, Price, StockCode, Timestamp};
use crate::krx::KrxCalendar;

pub(crate) fn trading_days(from: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(n);
    let mut d = from;
    while out.len() < n {
        if KrxCalendar::is_trading_day(d) {
            out.push(d);
        }
        d = d.succ_opt().unwrap();
    }
    out
}

/// A series whose close moves by `step` permille per day, with a little deterministic wobble.
pub(crate) fn series(code: StockCode, days: &[NaiveDate], start: i64, step: i64, volume: u64) -> Vec<Bar> {
    let mut close = start as f64;
    days.iter()
        .enumerate()
        .map(|(k, &d)| {
            let wobble = ((k as i64 * 7 + i64::from(code.as_str().as_bytes()[5])) % 5 - 2) as f64;
            close *= 1.0 + (step as f64 + wobble) / 1000.0;
            let c = close.round().max(10.0) as i64;
            let (o, h, l) = (c, c + c / 50, c - c / 50);
            Bar::new_checked(
                code,
                Timestamp::daily_close(d),
                Price::new(o),
                Price::new(h),
                Price::new(l),
                Price::new(c),
                volume,
            )
            .unwrap()
        })
        .collect()
}

/// Six stocks: three rising at different speeds, one flat, one falling, one with no recent bar.
pub(crate) fn universe() -> (Universe, Vec<NaiveDate>) {
    let days = trading_days(NaiveDate::from_ymd_opt(2025, 1, 2).unwrap(), 120);
    // (code, market, sector, first close, daily drift in permille, volume)
    type Spec<'a> = (&'a str, Market, Option<&'a str>, i64, i64, u64);
    let spec: [Spec<'_>; 6] = [
        ("000010", Market::Kospi, Some("전기전자"), 10_000, 4, 200_000),
        ("000020", Market::Kospi, Some("금융"), 20_000, 6, 100_000),
        ("000030", Market::Kosdaq, Some("전기전자"), 5_000, 8, 400_000),
        ("000040", Market::Kosdaq, None, 8_000, 0, 50_000),
        ("000050", Market::Kospi, Some("화학"), 30_000, -5, 80_000),
        ("000060", Market::Kospi, Some("화학"), 30_000, 3, 80_000),
    ];
    let instruments = spec
        .iter()
        .map(|s| Instrument::stock(StockCode::new(s.0), format!("stock {}", s.0), s.1, s.2.map(String::from)))
        .collect();
    let bars = spec.iter().map(|s| {
        let code = StockCode::new(s.0);
        let mut b = series(code, &days, s.3, s.4, s.5);
        if s.0 == "000060" {
            b.truncate(days.len() - 3);
        }
        (code, b)
    });
    let d = *days.last().unwrap();
    let mut f10 = Fundamentals::unknown(StockCode::new("000010"), d);
    f10.per = Some(8.0);
    f10.roe_pct = Some(12.0);
    let mut f20 = Fundamentals::unknown(StockCode::new("000020"), d);
    f20.per = Some(45.0);
    let u = Universe::new(instruments, bars, [f10, f20]).unwrap();
    (u, days)
}

fn screener(toml: &str) -> Screener {
    Screener::new(ScreenConfig::from_toml_str(toml).unwrap()).unwrap()
}

fn c(s: &str) -> StockCode {
    StockCode::new(s)
}

#[test]
fn composed_rules_admit_and_rank() {
    let (u, days) = universe();
    let s = screener(
        r#"
name = "t"
[rule]
all = [
  { value = "return(20)", min = 0 },
  { any = [ { market_in = ["KOSDAQ"] }, { value = "avg_traded_value(5)", min = 1e9 } ] },
  { not = { sector_in = ["금융"] } },
]
[[score]]
value = "return(20)"
"#,
    );
    let r = s.run(&u, *days.last().unwrap()).unwrap();
    // 000020 is 금융, 000050 falls, 000060 has no bar on the day; 000040 is flat but KOSDAQ.
    let codes = r.codes();
    assert!(codes.contains(&c("000010")) && codes.contains(&c("000030")), "{codes:?}");
    assert!(!codes.contains(&c("000020")) && !codes.contains(&c("000050")));
    assert_eq!(r.standing(c("000060")), Standing::NoBar);
    assert_eq!(r.evaluated, 5);
    // Ranked by 20-day return: 000030 rises fastest.
    assert_eq!(r.entries[0].code, c("000030"));
    assert_eq!(r.entries[0].rank, 1);
    assert!(r.entries.windows(2).all(|w| w[0].score >= w[1].score));
    let why = r.why(c("000020"));
    assert_eq!(why.standing, Standing::Rejected);
    assert!(why.to_string().contains("✗ not:"), "{why}");
    assert!(why.detail.contains("sector in [금융] (is 금융)"), "{why}");
    let top = r.why(c("000030"));
    assert!(top.detail.contains("return(20) 100.0 × 1"), "{top}");
}

#[test]
fn missing_fundamentals_are_unknown_never_zero() {
    let (u, days) = universe();
    let as_of = *days.last().unwrap();
    // "per <= 20" must not admit stocks whose PER is unknown, and neither must its negation.
    let r = screener("name = \"t\"\n[rule]\nvalue = \"per\"\nmax = 20").run(&u, as_of).unwrap();
    assert_eq!(r.codes(), vec![c("000010")]);
    let r = screener("name = \"t\"\n[rule]\nnot = { value = \"per\", max = 20 }").run(&u, as_of).unwrap();
    assert_eq!(r.codes(), vec![c("000020")]);
    assert_eq!(r.standing(c("000030")), Standing::Undecided);
    assert!(r.why(c("000030")).detail.contains("per <= 20 (is unknown)"));
    // Unless the config says what an unknown value means.
    let r = screener("name = \"t\"\n[rule]\nvalue = \"per\"\nmax = 20\nif_unknown = \"pass\"").run(&u, as_of).unwrap();
    assert_eq!(r.codes().len(), 4);
    // Fundamentals dated after the as-of date are not known yet.
    let r = screener("name = \"t\"\n[rule]\nknown = \"per\"").run(&u, days[100]).unwrap();
    assert!(r.codes().is_empty());
}

#[test]
fn ties_are_broken_by_code_and_share_a_rank_in_rules() {
    let (u, days) = universe();
    let as_of = *days.last().unwrap();
    // Every stock trades the same volume each day, so "volume_surge(5)" is 1 for all: equal scores, so code order.
    let r = screener("name = \"t\"\n[rule]\nvalue = \"close\"\nmin = 1\n[[score]]\nvalue = \"volume_surge(5)\"")
        .run(&u, as_of)
        .unwrap();
    let codes = r.codes();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
    assert!(r.entries.iter().all(|e| e.score == Some(50.0)));
    // A rank rule on a tied value admits every tied stock.
    let r = screener("name = \"t\"\n[rule]\nrank = \"volume_surge(5)\"\ntop = 1").run(&u, as_of).unwrap();
    assert_eq!(r.codes().len(), 5);
}

#[test]
fn ranks_percentiles_and_the_cut() {
    let (u, days) = universe();
    let as_of = *days.last().unwrap();
    let r = screener(
        "name = \"t\"\nmax_results = 2\n[rule]\nrank = \"return(20)\"\ntop = 3\n[[score]]\nvalue = \"return(20)\"",
    )
    .run(&u, as_of)
    .unwrap();
    assert_eq!(r.codes(), vec![c("000030"), c("000020")]);
    assert_eq!(r.standing(c("000010")), Standing::Cut { rank: 3 });
    assert!(r.why(c("000010")).to_string().contains("ranked 3"));
    let r = screener("name = \"t\"\n[rule]\npercentile = \"return(20)\"\nmax = 0").run(&u, as_of).unwrap();
    assert_eq!(r.codes(), vec![c("000050")]);
}

#[test]
fn same_input_same_result_and_diff_against_the_previous_run() {
    let (u, days) = universe();
    let s = screener("name = \"t\"\n[rule]\nvalue = \"return(10)\"\nmin = 0.5\n[[score]]\nvalue = \"rsi(14)\"");
    let a = s.run(&u, days[80]).unwrap();
    let b = s.run(&u, days[80]).unwrap();
    assert_eq!(a.entries, b.entries);
    assert_eq!(a.fingerprint, b.fingerprint);
    let later = s.run(&u, *days.last().unwrap()).unwrap();
    let d = later.diff(&a);
    for code in &d.entered {
        assert!(later.codes().contains(code) && !a.codes().contains(code));
    }
    for code in &d.exited {
        assert!(a.codes().contains(code) && !later.codes().contains(code));
    }
    assert_eq!(d.entered.len() + d.stayed.len(), later.entries.len());
    let d = WatchlistDiff::between(&[c("000010"), c("000020")], &[c("000030"), c("000010")]);
    assert_eq!((d.entered, d.exited, d.stayed), (vec![c("000030")], vec![c("000020")], vec![c("000010")]));
}

#[test]
fn results_for_a_day_do_not_depend_on_later_bars() {
    let (u, days) = universe();
    let s = screener(
        r#"
name = "t"
[rule]
all = [ { value = "avg_traded_value(20)", min = 1 }, { cross = "sma(5)", above = "sma(20)", within = 100 } ]
[[score]]
value = "return(20)"
[[score]]
value = "atr_pct(14)"
prefer = "low"
"#,
    );
    for k in [30, 60, 100] {
        let full = s.run(&u, days[k]).unwrap();
        let cut = s.run(&u.truncated(days[k]), days[k]).unwrap();
        assert_eq!(full.entries, cut.entries, "day {k}");
        assert_eq!(full.why(c("000010")).detail, cut.why(c("000010")).detail);
    }
}

#[test]
fn universe_refuses_bars_out_of_order() {
    let days = trading_days(NaiveDate::from_ymd_opt(2025, 1, 2).unwrap(), 5);
    let code = c("000010");
    let mut bars = series(code, &days, 1_000, 1, 10);
    bars.swap(1, 3);
    let e = Universe::new(vec![Instrument::stock(code, "x", Market::Kospi, None)], [(code, bars)], []).unwrap_err();
    assert!(e.to_string().contains("000010") && e.to_string().contains("out of order"), "{e}");
    let u = Universe::new(vec![], [(code, series(code, &days, 1_000, 1, 10))], []).unwrap();
    assert_eq!(u.dropped(), &[code]);
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let market = crate::sim::SimMarket::generate(&crate::sim::SimConfig {
        stocks: 300,
        days: 260,
        seed: 3,
        ..Default::default()
    })
    .unwrap();
    let u = Universe::from_sim(&market).unwrap();
    let s = screener(include_str!("../../../examples/config/screen.toml"));
    let as_of = *market.dates().last().unwrap();
    let many = s.run(&u, as_of).unwrap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| s.run(&u, as_of).unwrap());
    assert!(!many.entries.is_empty());
    assert_eq!(many.entries, one.entries);
    let code = many.entries[0].code;
    assert_eq!(many.why(code).detail, one.why(code).detail);
}

#[test]
fn universes_from_csv_files_and_from_a_store_agree() {
    use crate::store::{MemoryStore, Store};
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata"));
    let u = Universe::from_csv(dir.join("daily"), dir.join("stocks.csv"), Some(&dir.join("fundamentals.csv"))).unwrap();
    let i = u.index_of(c("900100")).unwrap();
    assert_eq!(u.all_bars(i).len(), 40);
    // The fundamentals are dated 2024-02-27, a day after the last bar: not known before.
    let last = u.all_bars(i).last().unwrap().ts.kst_date();
    assert!(u.fundamentals_as_of(i, last).is_none());
    let next = NaiveDate::from_ymd_opt(2024, 2, 27).unwrap();
    assert_eq!(u.fundamentals_as_of(i, next).and_then(|f| f.per), Some(12.1));

    let store = MemoryStore::new();
    store.upsert_instruments(u.instruments()).unwrap();
    for k in 0..u.len() {
        store.upsert_daily_bars(u.all_bars(k)).unwrap();
    }
    let funds: Vec<Fundamentals> = (0..u.len()).filter_map(|k| u.fundamentals_as_of(k, next).cloned()).collect();
    store.upsert_fundamentals(&funds).unwrap();
    let from = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let s = Universe::from_store(&store, from, next).unwrap();
    assert_eq!(s.instruments(), u.instruments());
    for k in 0..u.len() {
        assert_eq!(s.all_bars(k), u.all_bars(k));
        assert_eq!(s.fundamentals_as_of(k, next), u.fundamentals_as_of(k, next));
    }
    let screen =
        screener("name = \"t\"\n[rule]\nvalue = \"return(10)\"\nmin = -100\n[[score]]\nvalue = \"return(10)\"");
    assert_eq!(screen.run(&s, last).unwrap().entries, screen.run(&u, last).unwrap().entries);
    assert!(!screen.run(&u, last).unwrap().entries.is_empty());
}
