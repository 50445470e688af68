//! RSI mean reversion with a trend filter.

use crate::domain::{Bar, Side};
use crate::engine::CodeMap;
use crate::indicators::{Rsi, Sma};
use crate::strategy::{Context, Strategy};

/// Buys when RSI falls below `oversold` while the close is above its `trend`-bar SMA (dips in
/// an uptrend); sells when RSI rises above `overbought` or the close drops below the trend SMA.
/// `by_name` defaults to the short-horizon form (RSI(2) below 10 / above 90, 200-bar trend):
/// a 14-bar RSI rarely reaches 30 while price stays above a long average.
#[derive(Debug, Clone)]
pub struct RsiReversion {
    period: usize,
    oversold: f64,
    overbought: f64,
    trend: usize,
    weight: f64,
    state: CodeMap<(Rsi, Sma)>,
}

impl RsiReversion {
    /// RSI period, thresholds (`0 < oversold < overbought < 100`) and trend SMA period.
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming the bad parameter.
    pub fn new(period: usize, oversold: f64, overbought: f64, trend: usize) -> crate::Result<Self> {
        if period < 2 {
            return Err(crate::Error::config("params.period", "must be at least 2"));
        }
        if !(0.0 < oversold && oversold < overbought && overbought < 100.0) {
            return Err(crate::Error::config(
                "params.oversold",
                format!("need 0 < oversold ({oversold}) < overbought ({overbought}) < 100"),
            ));
        }
        if trend == 0 {
            return Err(crate::Error::config("params.trend", "must be at least 1"));
        }
        Ok(Self { period, oversold, overbought, trend, weight: 1.0, state: CodeMap::default() })
    }

    /// Fraction of buying power per entry, in (0, 1].
    ///
    /// # Errors
    /// If `weight` is outside (0, 1].
    pub fn with_weight(mut self, weight: f64) -> crate::Result<Self> {
        self.weight = super::check_weight(weight)?;
        Ok(self)
    }
}

impl Strategy for RsiReversion {
    fn name(&self) -> &str {
        "rsi-reversion"
    }

    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        let (p, t) = (self.period, self.trend);
        let (rsi, sma) = self.state.entry(bar.code).or_insert_with(|| {
            (
                Rsi::new(p).unwrap_or_else(|_| unreachable!("period checked in new")),
                Sma::new(t).unwrap_or_else(|_| unreachable!("period checked in new")),
            )
        });
        let x = bar.close.as_f64();
        let (r, trend) = (rsi.next(x), sma.next(x));
        if r.is_nan() || trend.is_nan() || ctx.has_open_order(bar.code) {
            return;
        }
        let held = ctx.qty(bar.code);
        if held == 0 && r < self.oversold && x > trend {
            let qty = super::size(ctx, self.weight, bar.close);
            if qty > 0 {
                let _ = ctx.market(bar.code, Side::Buy, qty);
            }
        } else if held > 0 && (r > self.overbought || x < trend) {
            let _ = ctx.market(bar.code, Side::Sell, held);
        }
    }
}
