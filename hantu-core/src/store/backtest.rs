//! Saving a backtest report into a store, so a run can be found, compared and replayed later.

use super::{DailyReturnRecord, RunRecord, Store, StoreError, TradeRecord};
use crate::backtest::BacktestReport;

/// Saves `report` as a `backtest` run with its round trips, its daily equity (with the return
/// over the previous close; the first day's over the starting equity) and its statistics and
/// configuration as JSON. Returns the run's id. Orders and fills stay in the report: the order
/// journal is for orders a broker saw.
///
/// # Errors
/// [`StoreError::Other`] if the configuration or statistics cannot be encoded; any write error
/// (nothing is written).
pub fn save_backtest_report(store: &dyn Store, report: &BacktestReport) -> Result<i64, StoreError> {
    let json = |what: &str, v: serde_json::Result<serde_json::Value>| {
        v.map_err(|e| StoreError::Other(format!("encoding the backtest {what}: {e}")))
    };
    let run = RunRecord {
        kind: "backtest".into(),
        strategy: report.strategy.clone(),
        started: report.equity.first().map(|p| p.ts).unwrap_or_default(),
        finished: report.equity.last().map(|p| p.ts),
        config: json("configuration", serde_json::to_value(&report.config))?,
        stats: json("statistics", serde_json::to_value(&report.stats))?,
    };
    let trades: Vec<TradeRecord> = report
        .trades
        .iter()
        .map(|t| TradeRecord {
            code: t.code,
            qty: t.qty,
            entry_ts: t.entry_ts,
            entry_price: t.entry_price,
            exit_ts: t.exit_ts,
            exit_price: t.exit_price,
            pnl: t.pnl,
            costs: t.costs,
            return_pct: t.return_pct,
        })
        .collect();
    let mut prev = report.stats.initial_equity.to_f64();
    let daily: Vec<DailyReturnRecord> = report
        .equity
        .iter()
        .map(|p| {
            let equity = p.equity.to_f64();
            let ret = if prev > 0.0 { equity / prev - 1.0 } else { 0.0 };
            prev = equity;
            DailyReturnRecord { date: p.ts.kst_date(), equity: p.equity, ret }
        })
        .collect();
    store.save_run(&run, &trades, &daily)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};

    use super::*;
    use crate::backtest::{Backtest, BacktestConfig};
    use crate::domain::{Bar, Price, StockCode, Timestamp};
    use crate::store::MemoryStore;
    use crate::strategies::SmaCross;

    #[test]
    fn a_report_is_stored_with_its_trades_days_and_stats() {
        let code = StockCode::new("005930");
        let start = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        // A rise, a fall, a rise: enough crosses for round trips.
        let closes: Vec<i64> =
            (0..60).map(|i| if (i / 15) % 2 == 0 { 10_000 + i * 50 } else { 12_000 - i * 30 }).collect();
        let bars: Vec<Bar> = closes
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let p = Price::new(c);
                Bar {
                    code,
                    ts: Timestamp::daily_close(start + Duration::days(i as i64)),
                    open: p,
                    high: p,
                    low: p,
                    close: p,
                    volume: 1_000_000,
                }
            })
            .collect();
        let report = Backtest::new(BacktestConfig::default().with_cash(10_000_000))
            .run(&bars, &mut SmaCross::new(3, 8).unwrap())
            .unwrap();
        assert!(!report.trades.is_empty(), "the fixture produced no trades");

        let store = MemoryStore::new();
        let id = save_backtest_report(&store, &report).unwrap();
        let got = store.run(id).unwrap().unwrap();
        assert_eq!(got.run.strategy, report.strategy);
        assert_eq!(got.trades.len(), report.trades.len());
        assert_eq!(got.trades[0].pnl, report.trades[0].pnl);
        assert_eq!(got.daily.len(), report.equity.len());
        assert_eq!(got.daily.last().unwrap().equity, report.stats.final_equity);
        let compounded: f64 = got.daily.iter().map(|d| 1.0 + d.ret).product::<f64>() - 1.0;
        assert!((compounded - report.stats.total_return).abs() < 1e-9, "{compounded} vs {}", report.stats.total_return);
        assert_eq!(got.run.stats["trades"], serde_json::json!(report.stats.trades));

        #[cfg(feature = "sqlite")]
        {
            let sqlite = crate::store::SqliteStore::open_in_memory().unwrap();
            let id = save_backtest_report(&sqlite, &report).unwrap();
            let back = sqlite.run(id).unwrap().unwrap();
            assert_eq!((back.run, back.trades, back.daily), (got.run, got.trades, got.daily));
        }
    }
}
