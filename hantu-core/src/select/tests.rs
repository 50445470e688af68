use super::*;
use crate::domain::{Fundamentals, Instrument, Market};
use crate::krx::TickTable;
use crate::screen::tests::{series, trading_days};
use crate::screen::{ScreenConfig, Screener};

fn c(s: &str) -> StockCode {
    StockCode::new(s)
}

/// Eight rising stocks in two sectors, different speeds and volumes; two have fundamentals.
fn universe() -> (Universe, NaiveDate) {
    let days = trading_days(NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(), 300);
    let mut instruments = Vec::new();
    let mut bars = Vec::new();
    for k in 0..8u8 {
        let code = StockCode::new(&format!("00{k}000"));
        let sector = if k % 2 == 0 { "전기전자" } else { "화학" };
        instruments.push(Instrument::stock(code, format!("s{k}"), Market::Kospi, Some(sector.into())));
        bars.push((
            code,
            series(code, &days, 10_000 + i64::from(k) * 3_000, 1 + i64::from(k), 100_000 + u64::from(k) * 50_000),
        ));
    }
    let as_of = *days.last().unwrap();
    let mut f = Fundamentals::unknown(c("001000"), days[0]);
    f.per = Some(5.0);
    f.pbr = Some(0.5);
    f.roe_pct = Some(15.0);
    f.debt_ratio_pct = Some(40.0);
    let mut g = Fundamentals::unknown(c("002000"), days[0]);
    g.per = Some(50.0);
    g.pbr = Some(4.0);
    (Universe::new(instruments, bars, [f, g]).unwrap(), as_of)
}

fn watchlist(u: &Universe, as_of: NaiveDate) -> ScreenResult {
    let s = ScreenConfig::from_toml_str("name = \"all\"\n[rule]\nvalue = \"close\"\nmin = 1").unwrap();
    Screener::new(s).unwrap().run(u, as_of).unwrap()
}

fn select(cfg: SelectConfig, held: &[StockCode]) -> Selection {
    let (u, as_of) = universe();
    Selector::new(cfg).unwrap().select(&u, &watchlist(&u, as_of), held, Money::from_won(100_000_000)).unwrap()
}

#[test]
fn picks_are_ranked_scored_classified_and_priced_on_the_grid() {
    let mut cfg = SelectConfig::named("t");
    cfg.max_picks = 3;
    let s = select(cfg, &[]);
    assert_eq!(s.picks.len(), 3);
    assert_eq!(s.config, "t");
    assert_eq!(s.weights_version, "1");
    assert_eq!(s.screen, "all");
    assert!(s.picks.windows(2).all(|w| w[0].score >= w[1].score));
    for (n, p) in s.picks.iter().enumerate() {
        assert_eq!(p.rank, n + 1);
        let sum: f64 = p.factors.iter().map(|f| f.contribution).sum();
        assert!((sum - p.score).abs() < 1e-9, "{p:?}");
        assert_eq!(p.factors.len(), 5);
        let t = TickTable::current();
        for price in [p.entry_low, p.entry_high, p.stop, p.target] {
            assert!(t.is_on_tick(price.won()), "{price:?}");
        }
        assert!(p.stop < p.entry_low && p.entry_low <= p.entry_high && p.entry_high < p.target);
        assert!(p.qty.get() > 0);
        assert!((0.0..=1.0).contains(&p.confidence));
        let expected = if p.score >= 75.0 {
            PredictedClass::StrongBuy
        } else if p.score >= 60.0 {
            PredictedClass::Buy
        } else {
            PredictedClass::Hold
        };
        assert_eq!(p.class, expected);
    }
    // The five not picked are refused with a reason.
    assert_eq!(s.refused.len(), 5);
    assert!(s.why(s.refused[0].code).contains("below the last pick"));
    assert!(s.why(s.picks[0].code).contains("picked #1"));
}

#[test]
fn filters_refuse_with_reasons() {
    let mut cfg = SelectConfig::named("t");
    cfg.filters.exclude = vec![c("007000")];
    cfg.filters.max_price = Some(40_000);
    cfg.filters.max_per_sector = Some(1);
    let s = select(cfg, &[c("006000")]);
    assert!(s.why(c("007000")).contains("exclusion list"));
    assert!(s.why(c("006000")).contains("already held"));
    assert!(s.refused.iter().any(|r| r.reason.contains("above max_price")));
    // One per sector: two sectors, so two picks.
    assert_eq!(s.picks.len(), 2);
    assert_ne!(s.picks[0].sector, s.picks[1].sector);
    assert!(s.refused.iter().any(|r| r.reason.starts_with("sector ")));
    let mut cfg = SelectConfig::named("t");
    cfg.filters.min_avg_traded_value = Some(f64::MAX);
    assert!(select(cfg, &[]).picks.is_empty());
}

#[test]
fn missing_fundamentals_leave_the_value_factor_unknown_and_lower_confidence() {
    let mut cfg = SelectConfig::named("t");
    cfg.max_picks = 8;
    let s = select(cfg, &[]);
    let with = s.pick(c("001000")).unwrap();
    let without = s.pick(c("003000")).unwrap();
    let value = |p: &Pick| p.factors.iter().find(|f| f.factor == Factor::Value).unwrap().score;
    assert!(value(with).is_some());
    assert_eq!(value(without), None);
    // 001000 has the better valuation of the two stocks with fundamentals.
    assert!(value(with).unwrap() > value(s.pick(c("002000")).unwrap()).unwrap());
    // Coverage: 85% of the weight is known without fundamentals (risk still has atr_pct).
    let (_, conf_without) = classify(without.score, 0.85, &ClassThresholds::default());
    assert!((without.confidence - conf_without).abs() < 1e-12);
}

#[test]
fn same_input_same_selection_and_diff() {
    let a = select(SelectConfig::named("t"), &[]);
    let b = select(SelectConfig::named("t"), &[]);
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    let mut cfg = SelectConfig::named("t");
    cfg.max_picks = 2;
    let small = select(cfg, &[]);
    let d = a.diff(&small);
    assert_eq!(d.stayed.len(), 2);
    assert_eq!(d.entered.len(), a.picks.len() - 2);
    assert_ne!(a.fingerprint, small.fingerprint);
}

#[test]
fn classes_and_confidence_follow_the_thresholds() {
    let t = ClassThresholds::default();
    assert_eq!(classify(100.0, 1.0, &t), (PredictedClass::StrongBuy, 1.0));
    assert_eq!(classify(75.0, 1.0, &t), (PredictedClass::StrongBuy, 0.5));
    assert_eq!(classify(67.5, 0.5, &t), (PredictedClass::Buy, 0.375));
    assert_eq!(classify(0.0, 1.0, &t), (PredictedClass::Hold, 1.0));
}

#[test]
fn runs_and_picks_are_stored_read_back_and_diffed() {
    use crate::store::{MemoryStore, SqliteStore, Store};
    let (u, as_of) = universe();
    let s = Screener::new(
        ScreenConfig::from_toml_str(
            "name = \"all\"\n[rule]\nvalue = \"return(5)\"\nmin = 0\n[[score]]\nvalue = \"return(20)\"",
        )
        .unwrap(),
    )
    .unwrap();
    let selector = Selector::new(SelectConfig::named("t")).unwrap();
    let stores: [Box<dyn Store>; 2] = [Box::new(MemoryStore::new()), Box::new(SqliteStore::open_in_memory().unwrap())];
    for store in &stores {
        let store = store.as_ref();
        let days = u.trading_days();
        let earlier = s.run(&u, days[days.len() - 40]).unwrap();
        earlier.save(&s, store).unwrap();
        let now = s.run(&u, as_of).unwrap();
        let stored = store.latest_watchlist().unwrap().unwrap();
        assert_eq!(stored.entries.iter().map(|e| e.code).collect::<Vec<_>>(), earlier.codes());
        assert_eq!(now.diff_stored(&stored), now.diff(&earlier));
        let run_id = now.save(&s, store).unwrap();
        let stored = store.latest_watchlist().unwrap().unwrap();
        assert_eq!(stored.run_id, run_id);
        let e = &stored.entries[0];
        assert_eq!(e.criteria[0].0, "return(5)");
        assert_eq!(Some(e.criteria[0].1), now.entries[0].values[0]);
        let picks = selector.select(&u, &now, &[], Money::from_won(100_000_000)).unwrap();
        picks.save(&selector, store, Some(run_id)).unwrap();
        let back = store.selections_on(crate::krx::KrxCalendar::next_trading_day(as_of)).unwrap();
        assert_eq!(back.iter().map(|r| r.code).collect::<Vec<_>>(), picks.codes());
        assert_eq!(back[0].weights_version, "1");
        assert_eq!(back[0].class, picks.picks[0].class.as_str());
        assert_eq!(back[0].factors.len(), 5);
        assert_eq!(back[0].config["stop"], serde_json::json!(picks.picks[0].stop.won()));
    }
}
