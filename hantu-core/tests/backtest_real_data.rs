//! Backtest invariants on real KRX daily bars, read from `../shared/data/krx` when it sits beside
//! the repository (it is not redistributed with hantu; the test passes vacuously without it).

use std::path::PathBuf;

use hantu_core::backtest::{Backtest, BacktestConfig, merge_series};
use hantu_core::domain::{Fill, Money, StockCode};
use hantu_core::strategies::{RsiReversion, SmaCross};

fn krx_daily() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/krx/daily"));
    dir.is_dir().then_some(dir)
}

#[test]
fn real_data_portfolio_keeps_cash_plus_positions_equal_to_equity_and_fees_equal_to_fills() {
    let Some(dir) = krx_daily() else {
        eprintln!("KRX data not present; skipping");
        return;
    };
    let codes = ["005930", "000660", "005380", "035420", "051910", "006400"];
    let series: Vec<_> = codes
        .iter()
        .map(|c| {
            let bars = hantu_core::io::read_daily_csv(dir.join(format!("{c}.csv")), StockCode::new(c)).unwrap();
            // 2020 onwards: the adjusted history before is not on today's tick grid.
            bars.into_iter().filter(|b| b.ts.kst_date().to_string().as_str() >= "2020-01-01").collect::<Vec<_>>()
        })
        .collect();
    let bars = merge_series(&series).unwrap();
    assert!(bars.len() > 5_000);
    let bt = Backtest::new(BacktestConfig::default().with_cash(300_000_000));
    for report in [
        bt.run(&bars, &mut SmaCross::new(10, 30).unwrap().with_weight(0.15).unwrap()).unwrap(),
        bt.run(&bars, &mut RsiReversion::new(2, 10.0, 90.0, 100).unwrap().with_weight(0.2).unwrap()).unwrap(),
    ] {
        assert!(
            !report.fills.is_empty(),
            "{} traded nothing: {:?}",
            report.strategy,
            report.orders.iter().take(3).collect::<Vec<_>>()
        );
        for p in &report.equity {
            assert_eq!(p.equity, p.cash() + Money::from_won(p.market_value));
            assert!(!p.cash().is_negative(), "cash went negative at {}", p.ts);
        }
        let commission: Money = report.fills.iter().map(|f| f.commission).sum();
        let tax: Money = report.fills.iter().map(|f| f.tax).sum();
        assert_eq!(report.stats.commission, commission);
        assert_eq!(report.stats.tax, tax);
        let flows: Money = report.fills.iter().map(Fill::cash_flow).sum();
        let last = report.equity.last().unwrap();
        assert_eq!(last.cash(), Money::from_won(300_000_000) + flows);
        // Every fill happened strictly after the order that caused it was created.
        for f in &report.fills {
            let order = report.orders.iter().find(|o| o.client_id == f.client_id).unwrap();
            assert!(f.ts > order.created, "{} filled in the bar that produced it", f.client_id);
        }
    }
}
