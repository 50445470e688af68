//! Phase 4 through its public interface: picks stored by the pipeline become predictions, outcomes
//! arrive once their horizon has passed and read nothing later, and the walk-forward adapts weights
//! within bounds without applying a version before it was made.

use chrono::NaiveDate;
use hantu_core::learn::{LearnConfig, WalkForwardConfig, WeightLimits, update, walk_forward};
use hantu_core::pipeline::PipelineConfig;
use hantu_core::screen::{ScreenConfig, Screener, Universe};
use hantu_core::select::{FactorWeights, SelectConfig, Selector};
use hantu_core::sim::{SimConfig, SimMarket};
use hantu_core::store::{FirstHit, MemoryStore, Store, WeightsStatus};

fn market() -> (SimMarket, Universe) {
    let market = SimMarket::generate(&SimConfig { stocks: 60, days: 220, seed: 11, ..SimConfig::default() }).unwrap();
    let universe = Universe::from_sim(&market).unwrap();
    (market, universe)
}

fn screener() -> Screener {
    Screener::new(
        ScreenConfig::from_toml_str(
            "name = \"t\"\n[rule]\nvalue = \"avg_traded_value(20)\"\nmin = 1e6\n[[score]]\nvalue = \"return(20)\"",
        )
        .unwrap(),
    )
    .unwrap()
}

/// A store with the market's bars dated on or before `until`.
fn store_until(market: &SimMarket, until: NaiveDate) -> MemoryStore {
    let store = MemoryStore::new();
    store.upsert_instruments(&market.instruments).unwrap();
    for i in &market.instruments {
        let bars: Vec<_> =
            market.bars_for(i.code).unwrap().iter().filter(|b| b.ts.kst_date() <= until).copied().collect();
        store.upsert_daily_bars(&bars).unwrap();
    }
    store
}

#[test]
fn outcomes_arrive_after_their_horizon_and_never_read_a_later_bar() {
    let (market, universe) = market();
    let days = market.dates().to_vec();
    let selector = Selector::new(SelectConfig::named("picks")).unwrap();
    let screener = screener();
    let (pick_day, judge_day) = (days[120], days[135]);
    let full = store_until(&market, *days.last().unwrap());
    let cut = store_until(&market, judge_day);
    for store in [&full, &cut] {
        let watchlist = screener.run(&universe, pick_day).unwrap();
        let selection =
            selector.select(&universe, &watchlist, &[], hantu_core::domain::Money::from_won(100_000_000)).unwrap();
        assert!(!selection.picks.is_empty());
        selection.save(&selector, store, None).unwrap();
    }
    let cfg = LearnConfig { adapt: false, regime_enabled: false, ..LearnConfig::default() };
    let a = update(&full, judge_day, &FactorWeights::default(), &cfg).unwrap();
    let b = update(&cut, judge_day, &FactorWeights::default(), &cfg).unwrap();
    assert_eq!(a, b, "bars after the as-of day change nothing");
    let picks = full.selections_on(days[121]).unwrap().len();
    assert_eq!(a.predictions, picks * 3);
    // 1- and 5-session horizons have passed 15 sessions later, the 20-session one has not.
    assert_eq!(a.outcomes, picks * 2);
    assert_eq!(a.open, picks);
    let measured = full.outcomes_since(NaiveDate::MIN).unwrap();
    assert_eq!(measured, cut.outcomes_since(NaiveDate::MIN).unwrap());
    for (p, o) in &measured {
        assert!(o.evaluated_on <= judge_day);
        let bars = full.daily_bars(p.code, p.date, o.evaluated_on).unwrap();
        assert_eq!(bars.len(), p.horizon_days as usize);
        if o.first_hit != FirstHit::NotEntered {
            assert_eq!(o.entry_price, Some(bars[0].open), "entry at the pick session's open");
            assert!(o.max_favourable >= 0.0 && o.max_drawdown <= 0.0);
            assert!((1..=p.horizon_days).contains(&o.days_held));
        }
    }
    // Idempotent: the same day again writes the same rows and measures nothing new.
    let again = update(&full, judge_day, &FactorWeights::default(), &cfg).unwrap();
    assert_eq!(again.outcomes, 0);
    assert_eq!(full.outcomes_since(NaiveDate::MIN).unwrap(), measured);
}

#[test]
fn the_walk_forward_adapts_within_bounds_and_never_uses_a_version_early() {
    let (market, universe) = market();
    let days = market.dates().to_vec();
    let limits = WeightLimits { min_samples: 20, ..WeightLimits::default() };
    let learn = LearnConfig { every_sessions: 10, ic_window: 40, weights: limits.clone(), ..LearnConfig::default() };
    let pipeline = PipelineConfig { from: Some(days[60]), ..PipelineConfig::default() };
    let adaptive = WalkForwardConfig { pipeline: pipeline.clone(), learn: learn.clone(), use_regime: true };
    let store = store_until(&market, *days.last().unwrap());
    let run = walk_forward(&universe, &store, &screener(), &SelectConfig::named("picks"), &adaptive).unwrap();

    assert_eq!(run.selections.len(), days.len() - 61);
    assert!(!run.versions.is_empty(), "enough outcomes accrue for at least one update");
    for v in &run.versions {
        assert_eq!(v.status, WeightsStatus::Approved);
        let sum: f64 = v.weights.iter().map(|(_, w)| w).sum();
        assert!((sum - 1.0).abs() < 1e-9);
        assert!(v.weights.iter().all(|(_, w)| (limits.min - 1e-9..=limits.max + 1e-9).contains(w)));
    }
    for (day, used) in &run.versions_used {
        if let Some(v) = run.versions.iter().find(|v| &v.version == used) {
            assert!(v.effective_from <= *day, "{used} used on {day} before it was made");
        } else {
            assert_eq!(used, "1", "before any update the config's weights are used");
        }
    }
    assert!(run.accuracy.overall.count > 0);
    assert_eq!(
        run.accuracy.by_class.values().map(|g| g.count + g.not_entered).sum::<usize>(),
        store.outcomes_since(NaiveDate::MIN).unwrap().len()
    );

    let fixed = WalkForwardConfig { learn: LearnConfig { adapt: false, ..learn }, ..adaptive };
    let fixed_store = store_until(&market, *days.last().unwrap());
    let base = walk_forward(&universe, &fixed_store, &screener(), &SelectConfig::named("picks"), &fixed).unwrap();
    assert!(base.versions.is_empty());
    assert!(base.versions_used.iter().all(|(_, v)| v == "1"));
    // Until the first version takes effect both runs pick the same stocks.
    let first = run.versions[0].effective_from;
    for (a, b) in run.selections.iter().zip(&base.selections).take_while(|(a, _)| a.as_of < first) {
        assert_eq!(a.codes(), b.codes());
    }
}
