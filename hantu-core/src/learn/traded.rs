//! Picks that were traded, linked to their round trips: what the pick predicted, what its outcome
//! measured on daily bars, and what the trades realised.
//!
//! A round trip belongs to the pick of its stock whose date is the day the trip opened (the trader
//! trades the day's picks on that day; re-entries after an exit are further trips of the same pick).
//! Trips that match no pick (a strategy's own trades) are left out.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::update::{is_hit, pick_levels};
use crate::backtest::{Trade, round_trips};
use crate::domain::{Fill, Money, StockCode, Timestamp};
use crate::store::{OutcomeRecord, PredictionRecord, SelectionRecord, Store};

/// One traded pick: the prediction, its measured outcome and its realised trades.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TradedPick {
    /// Day of the pick (and of its trips' entries).
    pub date: NaiveDate,
    /// The stock.
    pub code: StockCode,
    /// Predicted class.
    pub class: String,
    /// Confidence of the prediction.
    pub confidence: f64,
    /// Weights version that made the pick.
    pub weights_version: String,
    /// Return the pick's levels aimed at: target over the top of the entry zone (`None` without levels).
    pub predicted_return: Option<f64>,
    /// Horizon of [`Self::measured_return`] (the shortest measured one).
    pub horizon_days: Option<u32>,
    /// The outcome measured on daily bars by the entry rule (`None`: not measured yet).
    pub measured_return: Option<f64>,
    /// Whether the measured outcome counts as a hit.
    pub measured_hit: Option<bool>,
    /// The round trips the pick led to, by entry time.
    pub trips: Vec<Trade>,
    /// Net P&L of the shares sold over all trips, after commission and tax.
    pub pnl: Money,
    /// `pnl` over the cost of the shares bought (0.05 = +5%).
    pub realised_return: f64,
    /// Whether a trip is still open (its P&L counts only the shares sold).
    pub open: bool,
}

/// Predicted against realised over a set of traded picks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TradedSummary {
    /// Traded picks.
    pub picks: usize,
    /// Their round trips.
    pub trips: usize,
    /// Picks whose trips are all closed.
    pub closed: usize,
    /// Closed picks with a positive P&L over closed picks.
    pub realised_hit_rate: f64,
    /// Mean realised return of the closed picks.
    pub mean_realised: f64,
    /// Mean predicted return of the closed picks that have levels.
    pub mean_predicted: f64,
    /// Mean measured return of the closed picks whose outcome is measured.
    pub mean_measured: f64,
    /// Realised minus measured, averaged over closed picks that have both: the cost of execution
    /// (slippage, fees, exits) against the daily-bar model.
    pub mean_shortfall: f64,
    /// Total P&L of all traded picks.
    pub pnl: Money,
}

/// Links `fills` (any order, any stocks) to `picks` by the day and stock of each round trip's first
/// buy; `outcomes` give each pick's measured return at its shortest measured horizon.
#[must_use]
pub fn link(
    picks: &[SelectionRecord],
    fills: &[Fill],
    outcomes: &[(PredictionRecord, OutcomeRecord)],
) -> Vec<TradedPick> {
    let mut fills = fills.to_vec();
    fills.sort_by_key(|f| f.ts);
    let mut trips: BTreeMap<(NaiveDate, StockCode), Vec<Trade>> = BTreeMap::new();
    for t in round_trips(&fills) {
        trips.entry((t.entry_ts.kst_date(), t.code)).or_default().push(t);
    }
    let mut measured: BTreeMap<(NaiveDate, StockCode), &OutcomeRecord> = BTreeMap::new();
    for (_, o) in outcomes {
        let slot = measured.entry((o.date, o.code)).or_insert(o);
        if o.horizon_days < slot.horizon_days {
            *slot = o;
        }
    }
    let mut out: Vec<TradedPick> = picks
        .iter()
        .filter_map(|p| {
            let trips = trips.remove(&(p.date, p.code))?;
            let outcome = measured.get(&(p.date, p.code));
            let pnl: Money = trips.iter().map(|t| t.pnl).sum();
            let cost: f64 = trips.iter().map(|t| t.entry_price * t.qty as f64).sum();
            Some(TradedPick {
                date: p.date,
                code: p.code,
                class: p.class.clone(),
                confidence: p.confidence,
                weights_version: p.weights_version.clone(),
                predicted_return: pick_levels(p).map(|l| l.target.won() as f64 / l.entry_high.won() as f64 - 1.0),
                horizon_days: outcome.map(|o| o.horizon_days),
                measured_return: outcome.map(|o| o.actual_return),
                measured_hit: outcome.map(|o| is_hit(o.first_hit, o.actual_return)),
                open: trips.iter().any(|t| t.exit_ts.is_none()),
                realised_return: if cost > 0.0 { pnl.to_f64() / cost } else { 0.0 },
                pnl,
                trips,
            })
        })
        .collect();
    out.sort_by_key(|a| (a.date, a.code));
    out
}

/// Sums up predicted against realised; open picks count in `picks`, `trips` and `pnl` only.
#[must_use]
pub fn summarize(traded: &[TradedPick]) -> TradedSummary {
    let closed: Vec<&TradedPick> = traded.iter().filter(|t| !t.open).collect();
    let mean = |xs: &[f64]| if xs.is_empty() { f64::NAN } else { xs.iter().sum::<f64>() / xs.len() as f64 };
    let realised: Vec<f64> = closed.iter().map(|t| t.realised_return).collect();
    let predicted: Vec<f64> = closed.iter().filter_map(|t| t.predicted_return).collect();
    let measured: Vec<f64> = closed.iter().filter_map(|t| t.measured_return).collect();
    let shortfall: Vec<f64> = closed.iter().filter_map(|t| t.measured_return.map(|m| t.realised_return - m)).collect();
    TradedSummary {
        picks: traded.len(),
        trips: traded.iter().map(|t| t.trips.len()).sum(),
        closed: closed.len(),
        realised_hit_rate: mean(&closed.iter().map(|t| f64::from(u8::from(t.pnl > Money::ZERO))).collect::<Vec<_>>()),
        mean_realised: mean(&realised),
        mean_predicted: mean(&predicted),
        mean_measured: mean(&measured),
        mean_shortfall: mean(&shortfall),
        pnl: traded.iter().map(|t| t.pnl).sum(),
    }
}

/// The traded picks of days on or after `since`, from the store's picks, fills and outcomes.
///
/// # Errors
/// If the store fails.
pub fn traded_since(store: &dyn Store, since: NaiveDate) -> crate::Result<Vec<TradedPick>> {
    let fills = store.fills_since(Timestamp::kst(since, 0, 0))?;
    let mut days: Vec<NaiveDate> = fills.iter().map(|f| f.ts.kst_date()).collect();
    days.sort_unstable();
    days.dedup();
    let mut picks = Vec::new();
    for day in days {
        picks.extend(store.selections_on(day)?);
    }
    Ok(link(&picks, &fills, &store.outcomes_since(since)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Price, Qty, Side};
    use crate::store::FirstHit;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, d).unwrap()
    }

    fn code(s: &str) -> StockCode {
        s.parse().unwrap()
    }

    fn fill(d: u32, h: u32, c: &str, side: Side, qty: u64, price: i64) -> Fill {
        Fill {
            client_id: crate::domain::ClientOrderId::new_checked(&format!("t-{d}-{h}-{c}")).unwrap(),
            code: code(c),
            side,
            qty: Qty::from_shares(qty),
            price: Price::new(price),
            commission: Money::ZERO,
            tax: Money::ZERO,
            ts: Timestamp::kst(day(d), h, 0),
        }
    }

    fn pick(d: u32, c: &str, levels: Option<(i64, i64, i64)>) -> SelectionRecord {
        SelectionRecord {
            date: day(d),
            code: code(c),
            class: "buy".into(),
            confidence: 0.7,
            score: 70.0,
            weights_version: "v1".into(),
            screen_run_id: None,
            factors: Vec::new(),
            config: levels.map_or(
                serde_json::Value::Null,
                |(e, s, t)| serde_json::json!({ "entry_high": e, "stop": s, "target": t }),
            ),
        }
    }

    fn outcome(d: u32, c: &str, horizon: u32, ret: f64, first_hit: FirstHit) -> (PredictionRecord, OutcomeRecord) {
        let p = PredictionRecord {
            date: day(d),
            code: code(c),
            horizon_days: horizon,
            source: "select".into(),
            class: "buy".into(),
            confidence: 0.7,
            expected_return: None,
            weights_version: "v1".into(),
        };
        let o = OutcomeRecord {
            date: day(d),
            code: code(c),
            horizon_days: horizon,
            source: "select".into(),
            evaluated_on: day(d + horizon),
            actual_return: ret,
            max_drawdown: 0.0,
            hit: false,
            entry_price: Some(Price::new(10_000)),
            max_favourable: 0.0,
            first_hit,
            days_held: 1,
        };
        (p, o)
    }

    #[test]
    fn trips_link_to_the_pick_of_their_entry_day_and_compare_with_the_prediction() {
        let picks = [
            pick(21, "005930", Some((10_000, 9_500, 11_000))),
            pick(21, "000660", None),
            pick(22, "005930", Some((10_000, 9_500, 10_500))),
        ];
        let fills = [
            // 005930 on the 21st: two trips (a re-entry), +1,000 and -500 won.
            fill(21, 9, "005930", Side::Buy, 10, 10_000),
            fill(21, 10, "005930", Side::Sell, 10, 10_100),
            fill(21, 11, "005930", Side::Buy, 5, 10_000),
            fill(21, 13, "005930", Side::Sell, 5, 9_900),
            // 000660 on the 21st: still open.
            fill(21, 9, "000660", Side::Buy, 3, 20_000),
            // 035720: nobody's pick.
            fill(21, 9, "035720", Side::Buy, 1, 50_000),
            fill(21, 10, "035720", Side::Sell, 1, 51_000),
        ];
        let outcomes = [
            outcome(21, "005930", 5, 0.04, FirstHit::Neither),
            outcome(21, "005930", 1, 0.02, FirstHit::Neither),
            outcome(22, "005930", 1, -0.05, FirstHit::Stop),
        ];
        let traded = link(&picks, &fills, &outcomes);
        assert_eq!(traded.len(), 2, "the 22nd's pick was not traded; 035720 was no pick");
        let s = &traded[1];
        assert_eq!((s.code, s.date, s.trips.len(), s.open), (code("005930"), day(21), 2, false));
        assert_eq!(s.pnl, Money::from_won(500));
        assert!((s.realised_return - 500.0 / 150_000.0).abs() < 1e-12);
        assert!((s.predicted_return.unwrap() - 0.1).abs() < 1e-12);
        assert_eq!((s.horizon_days, s.measured_return, s.measured_hit), (Some(1), Some(0.02), Some(true)));
        let h = &traded[0];
        assert_eq!((h.code, h.open, h.predicted_return, h.measured_return), (code("000660"), true, None, None));

        let sum = summarize(&traded);
        assert_eq!((sum.picks, sum.trips, sum.closed), (2, 3, 1));
        assert_eq!(sum.pnl, Money::from_won(500));
        assert!((sum.realised_hit_rate - 1.0).abs() < 1e-12);
        assert!((sum.mean_shortfall - (500.0 / 150_000.0 - 0.02)).abs() < 1e-12);
        assert!(summarize(&[]).mean_realised.is_nan());
    }

    #[test]
    fn the_store_path_reads_the_days_that_traded() {
        let store = crate::store::MemoryStore::new();
        store.save_selections(&[pick(21, "005930", Some((10_000, 9_500, 11_000)))]).unwrap();
        for f in [fill(21, 9, "005930", Side::Buy, 2, 10_000), fill(22, 9, "005930", Side::Sell, 2, 10_500)] {
            let order = crate::domain::Order::new(
                f.client_id.clone(),
                crate::domain::OrderRequest::market(f.code, f.side, f.qty).unwrap(),
                f.ts,
            );
            store.journal_order(&order).unwrap();
            store.record_fill(&f).unwrap();
        }
        let traded = traded_since(&store, day(1)).unwrap();
        assert_eq!(traded.len(), 1);
        assert_eq!(traded[0].pnl, Money::from_won(1_000));
        assert!(traded_since(&store, day(22)).unwrap().is_empty(), "the entry is before `since`");
    }
}
