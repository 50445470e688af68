//! Performance statistics over a 252-trading-day year.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Trade;
use crate::domain::Money;
use crate::engine::EquityPoint;

/// Trading days per year.
pub const TRADING_DAYS: f64 = 252.0;

/// Summary statistics of a run. Ratios are fractions (0.05 = 5%), except where named `_pct`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Starting equity.
    pub initial_equity: Money,
    /// Final equity.
    pub final_equity: Money,
    /// Final / initial − 1.
    pub total_return: f64,
    /// Compound annual growth rate.
    pub annual_return: f64,
    /// Annualised standard deviation of daily returns.
    pub volatility: f64,
    /// Annualised mean / standard deviation of daily returns (risk-free rate 0).
    pub sharpe: f64,
    /// Annualised mean / downside deviation.
    pub sortino: f64,
    /// Largest peak-to-trough fall of equity (negative or zero).
    pub max_drawdown: f64,
    /// Longest time below a previous peak, in trading days.
    pub max_drawdown_days: u32,
    /// Annual return / |max drawdown|.
    pub calmar: f64,
    /// Closed trips with positive P&L / closed trips.
    pub win_rate: f64,
    /// Gross profit / gross loss of closed trips.
    pub profit_factor: f64,
    /// Fraction of days with a position.
    pub exposure: f64,
    /// Traded value / average equity.
    pub turnover: f64,
    /// Commission paid.
    pub commission: Money,
    /// Transaction tax paid.
    pub tax: Money,
    /// Closed round trips.
    pub trades: usize,
    /// Orders placed (including refused ones).
    pub orders: usize,
    /// Fills.
    pub fills: usize,
    /// Trading days.
    pub days: usize,
}

impl Stats {
    /// Computes the statistics.
    #[must_use]
    pub fn compute(
        initial: Money,
        equity: &[EquityPoint],
        trades: &[Trade],
        traded_value: i64,
        costs: (Money, Money),
        orders: usize,
        fills: usize,
    ) -> Self {
        let final_equity = equity.last().map_or(initial, |p| p.equity);
        let init = initial.to_f64();
        // One pass over the curve, no allocation and one division per point: sums of returns and
        // squared returns (daily returns are small, so the textbook variance formula is exact
        // enough), downside deviation, drawdown and its longest duration, average equity.
        let (mut prev, mut sum_r, mut sum_r2, mut down2) = (init, 0.0f64, 0.0f64, 0.0f64);
        let (mut peak, mut trough_ratio, mut run, mut max_run, mut sum_eq) = (init, 1.0f64, 0u32, 0u32, init);
        for p in equity {
            let e = p.equity.to_f64();
            let r = if prev == 0.0 { 0.0 } else { e / prev - 1.0 };
            prev = e;
            sum_r += r;
            sum_r2 += r * r;
            down2 += r.min(0.0) * r.min(0.0);
            sum_eq += e;
            if e >= peak {
                peak = e;
                run = 0;
            } else {
                run += 1;
                max_run = max_run.max(run);
                if e < peak * trough_ratio {
                    trough_ratio = e / peak;
                }
            }
        }
        let n = equity.len() as f64;
        let mean = if n > 0.0 { sum_r / n } else { 0.0 };
        let m2 = (sum_r2 - n * mean * mean).max(0.0);
        let max_dd = trough_ratio - 1.0;
        let total_return = if init == 0.0 { 0.0 } else { final_equity.to_f64() / init - 1.0 };
        let annual_return = if n > 0.0 && total_return > -1.0 {
            (1.0 + total_return).powf(TRADING_DAYS / n) - 1.0
        } else {
            total_return
        };
        let sd = if n > 1.0 { (m2 / (n - 1.0)).sqrt() } else { 0.0 };
        let downside = if n > 0.0 { (down2 / n).sqrt() } else { 0.0 };
        let avg_equity = sum_eq / (n + 1.0);
        let ann = TRADING_DAYS.sqrt();
        let closed: Vec<&Trade> = trades.iter().filter(|t| t.exit_ts.is_some()).collect();
        let wins = closed.iter().filter(|t| t.pnl.get().is_sign_positive() && !t.pnl.get().is_zero()).count();
        let gross_win: f64 = closed.iter().map(|t| t.pnl.to_f64().max(0.0)).sum();
        let gross_loss: f64 = closed.iter().map(|t| (-t.pnl.to_f64()).max(0.0)).sum();
        let ratio = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
        Self {
            initial_equity: initial,
            final_equity,
            total_return,
            annual_return,
            volatility: sd * ann,
            sharpe: ratio(mean, sd) * ann,
            sortino: ratio(mean, downside) * ann,
            max_drawdown: max_dd,
            max_drawdown_days: max_run,
            calmar: ratio(annual_return, max_dd.abs()),
            win_rate: ratio(wins as f64, closed.len() as f64),
            profit_factor: if gross_loss == 0.0 && gross_win > 0.0 {
                f64::INFINITY
            } else {
                ratio(gross_win, gross_loss)
            },
            exposure: ratio(equity.iter().filter(|p| p.market_value != 0).count() as f64, equity.len() as f64),
            turnover: ratio(traded_value as f64, avg_equity),
            commission: costs.0,
            tax: costs.1,
            trades: closed.len(),
            orders,
            fills,
            days: equity.len(),
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |x: f64| format!("{:.2}%", x * 100.0);
        writeln!(f, "equity        {} → {} won", self.initial_equity, self.final_equity)?;
        writeln!(f, "total return  {}   annual {}", pct(self.total_return), pct(self.annual_return))?;
        writeln!(
            f,
            "volatility    {}   sharpe {:.2}   sortino {:.2}",
            pct(self.volatility),
            self.sharpe,
            self.sortino
        )?;
        writeln!(
            f,
            "max drawdown  {} over {} days   calmar {:.2}",
            pct(self.max_drawdown),
            self.max_drawdown_days,
            self.calmar
        )?;
        writeln!(
            f,
            "trades        {}   win rate {}   profit factor {:.2}",
            self.trades,
            pct(self.win_rate),
            self.profit_factor
        )?;
        writeln!(f, "exposure      {}   turnover {:.2}x", pct(self.exposure), self.turnover)?;
        write!(f, "costs         commission {} won, tax {} won over {} fills", self.commission, self.tax, self.fills)
    }
}
