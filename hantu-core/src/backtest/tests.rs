use chrono::NaiveDate;

use super::*;
use crate::domain::{Money, Price, Side, StockCode, Timestamp};
use crate::krx::{FeeModel, KrxCalendar};
use crate::strategy::Context;

/// Buys on bar `buy_at`, sells everything on bar `sell_at`.
struct Once {
    buy_at: usize,
    sell_at: usize,
    qty: u64,
    n: usize,
}

impl Strategy for Once {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        if self.n == self.buy_at {
            let _ = ctx.market(bar.code, Side::Buy, self.qty);
        }
        if self.n == self.sell_at {
            let q = ctx.qty(bar.code);
            if q > 0 {
                let _ = ctx.market(bar.code, Side::Sell, q);
            }
        }
        self.n += 1;
    }
}

fn series(code: &str, closes: &[i64], start: NaiveDate) -> Vec<Bar> {
    let mut d = start;
    closes
        .iter()
        .map(|&c| {
            while !KrxCalendar::is_trading_day(d) {
                d = d.succ_opt().unwrap();
            }
            let ts = Timestamp::daily_close(d);
            d = d.succ_opt().unwrap();
            Bar::new_checked(
                StockCode::new(code),
                ts,
                Price::new(c),
                Price::new(c),
                Price::new(c),
                Price::new(c),
                1_000_000,
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn cash_plus_positions_is_equity_and_fees_are_the_sum_over_fills() {
    let bars = series(
        "005930",
        &[10_000, 10_100, 10_200, 10_300, 10_150, 10_000],
        NaiveDate::from_ymd_opt(2025, 12, 26).unwrap(),
    );
    let bt = Backtest::new(BacktestConfig::default().with_cash(10_000_000));
    let r = bt.run(&bars, &mut Once { buy_at: 0, sell_at: 3, qty: 500, n: 0 }).unwrap();
    assert_eq!(r.fills.len(), 2);
    // Bought at the next open (10,100), sold at the open after the sell signal (10,150).
    assert_eq!(r.fills[0].price, Price::new(10_100));
    assert_eq!(r.fills[1].price, Price::new(10_150));
    let commission: Money = r.fills.iter().map(|f| f.commission).sum();
    let tax: Money = r.fills.iter().map(|f| f.tax).sum();
    assert_eq!(r.stats.commission, commission);
    assert_eq!(r.stats.tax, tax);
    // The sale filled on 2026-01-05: 0.20% tax.
    assert_eq!(r.fills[1].ts.kst_date(), NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    assert_eq!(tax, Money::from_won(10_150 * 500 * 20 / 10_000));
    for p in &r.equity {
        assert_eq!(p.equity, p.cash() + Money::from_won(p.market_value));
        assert!(!p.cash().is_negative());
    }
    let cash_flows: Money = r.fills.iter().map(crate::domain::Fill::cash_flow).sum();
    assert_eq!(r.stats.final_equity, Money::from_won(10_000_000) + cash_flows);
    assert_eq!(r.trades.len(), 1);
    assert_eq!(r.trades[0].pnl, cash_flows);
    assert_eq!(r.stats.trades, 1);
}

#[test]
fn same_input_gives_a_bit_identical_report() {
    let bars = series(
        "000660",
        &[5_000, 5_100, 4_900, 5_300, 5_200, 5_500, 5_400],
        NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
    );
    let bt = Backtest::new(BacktestConfig::default());
    let a = bt.run(&bars, &mut Once { buy_at: 1, sell_at: 4, qty: 100, n: 0 }).unwrap();
    let b = bt.run(&bars, &mut Once { buy_at: 1, sell_at: 4, qty: 100, n: 0 }).unwrap();
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
}

#[test]
fn out_of_order_and_duplicate_bars_are_refused_with_the_bar_named() {
    let mut bars = series("005930", &[100, 101, 102], NaiveDate::from_ymd_opt(2025, 3, 3).unwrap());
    bars.swap(1, 2);
    let e = Backtest::default().run(&bars, &mut Once { buy_at: 9, sell_at: 9, qty: 1, n: 0 }).unwrap_err().to_string();
    assert!(e.contains("out of order") && e.contains("005930"), "{e}");
    let mut bars = series("005930", &[100, 101], NaiveDate::from_ymd_opt(2025, 3, 3).unwrap());
    bars.push(bars[1]);
    let e = Backtest::default().run(&bars, &mut Once { buy_at: 9, sell_at: 9, qty: 1, n: 0 }).unwrap_err().to_string();
    assert!(e.contains("duplicated"), "{e}");
}

#[test]
fn free_fees_and_merge_of_two_stocks() {
    let start = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let a = series("005930", &[1_000, 1_100, 1_200], start);
    let b = series("000660", &[2_000, 2_000, 2_000], start);
    let merged = merge_series(&[a, b]).unwrap();
    assert_eq!(merged.len(), 6);
    assert!(merged[0].code < merged[1].code);
    let bt = Backtest::new(BacktestConfig::default().with_fees(FeeModel::free()).with_cash(1_000_000));
    let r = bt.run(&merged, &mut Once { buy_at: 0, sell_at: 99, qty: 10, n: 0 }).unwrap();
    assert_eq!(r.stats.commission, Money::ZERO);
    // Bought 10 of 000660 (first bar in code order) at 2,000; still open.
    assert_eq!(r.trades.len(), 1);
    assert!(r.trades[0].exit_ts.is_none());
}

/// A source handing over `bars` `size` at a time.
fn chunks_of(bars: &[Bar], size: usize) -> impl FnMut(&mut Vec<Bar>) + '_ {
    let mut at = 0;
    move |buf: &mut Vec<Bar>| {
        let end = (at + size).min(bars.len());
        buf.extend_from_slice(&bars[at..end]);
        at = end;
    }
}

#[test]
fn bars_in_chunks_give_the_report_of_the_slice() {
    let start = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let a = series("005930", &[1_000, 1_100, 1_200, 1_150, 1_300], start);
    let b = series("000660", &[2_000, 1_900, 2_100, 2_050, 2_200], start);
    let merged = merge_series(&[a, b]).unwrap();
    let bt = Backtest::new(BacktestConfig::default().with_cash(1_000_000));
    let strategy = || Once { buy_at: 1, sell_at: 5, qty: 10, n: 0 };
    let slice = bt.run(&merged, &mut strategy()).unwrap();
    assert_eq!(slice.stats.fills, 2, "the strategy traded");
    for size in [1, 3, 10, 100] {
        let chunked = bt.run_chunked(chunks_of(&merged, size), 0, &mut strategy()).unwrap();
        assert_eq!(
            serde_json::to_string(&slice).unwrap(),
            serde_json::to_string(&chunked).unwrap(),
            "chunks of {size}"
        );
    }
    let empty = bt.run_chunked(|_: &mut Vec<Bar>| {}, 0, &mut strategy()).unwrap();
    assert_eq!(empty.bars, 0);
}

#[test]
fn chunks_stop_at_the_first_bar_out_of_order_naming_it() {
    let mut bars = series("005930", &[100, 101, 102, 103, 104], NaiveDate::from_ymd_opt(2025, 3, 3).unwrap());
    bars.swap(2, 3);
    let once = || Once { buy_at: 9, sell_at: 9, qty: 1, n: 0 };
    for size in [1, 2, 3, 10] {
        let e = Backtest::default().run_chunked(chunks_of(&bars, size), 5, &mut once()).unwrap_err().to_string();
        assert!(e.contains("bars[3]") && e.contains("out of order"), "chunks of {size}: {e}");
    }
    bars.swap(2, 3);
    bars[2] = bars[1];
    let e = Backtest::default().run_chunked(chunks_of(&bars, 2), 5, &mut once()).unwrap_err().to_string();
    assert!(e.contains("bars[2]") && e.contains("duplicated"), "{e}");
    // A source that stops early gives the report of the bars before.
    let r = Backtest::default().run_chunked(chunks_of(&bars[..2], 1), 5, &mut once()).unwrap();
    assert_eq!(r.bars, 2);
}
