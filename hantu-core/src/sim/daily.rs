//! One stock's daily bars.
//!
//! Log return = β·market + γ·sector + GARCH(1,1) idiosyncratic shock + style term + jumps.
//! The return is split into an overnight gap (the open) and the session (the close); both are
//! rounded to the day's tick grid and clamped into the day's price limits from the previous
//! close, so a large move ends *at* the limit as it would on KRX. High and low extend the
//! open–close body by a volatility-scaled wick, rounded outward and clamped to the limits.
//! Volume is log-normal around the stock's base, rises with |return| and has its own
//! persistent state and occasional surges.

use chrono::NaiveDate;

use crate::domain::{Bar, InstrumentKind, Price, StockCode, Timestamp};
use crate::krx::{TickTable, price_limits};

use super::factors::Factors;
use super::math;
use super::rng::{Purpose, SimRng};
use super::universe::{Profile, Style};

/// Smallest daily volume, so every one-minute bar of a day can carry at least one share.
pub(super) const MIN_DAILY_VOLUME: u64 = 400;

const GARCH_ALPHA: f64 = 0.07;
const GARCH_BETA: f64 = 0.90;
/// Trend episodes last about a month or two (half-life 35 days) ...
const TREND_PERSISTENCE: f64 = 0.98;
/// ... with a stationary drift of 0.4% a day (one standard deviation).
const TREND_SD: f64 = 0.004;
const REVERSION_SPEED: f64 = 0.08;
const FAIR_VALUE_NOISE: f64 = 0.004;
const JUMP_SD: f64 = 0.09;
/// Below this the price drifts up, above the ceiling down: the band real KRX stocks live in.
const FLOOR_WON: i64 = 300;
const CEILING_WON: i64 = 2_000_000;

/// Generates the bars of stock `index` (its generation index) over `dates`, whose daily-bar
/// stamps are `stamps`.
pub(super) fn daily_bars(
    seed: u64,
    index: usize,
    code: StockCode,
    p: &Profile,
    factors: &Factors,
    dates: &[NaiveDate],
    stamps: &[Timestamp],
) -> Vec<Bar> {
    let kind = InstrumentKind::Stock;
    let mut rng = SimRng::stream(seed, Purpose::Daily, &[index as u64]);
    let mut bars = Vec::with_capacity(dates.len());
    let Some(&first) = dates.first() else { return bars };

    let target_var = p.idio_vol * p.idio_vol;
    let omega = target_var * (1.0 - GARCH_ALPHA - GARCH_BETA);
    let mut var = target_var;
    let mut last_shock = 0.0;
    let mut prev_close = TickTable::for_date(first, p.market, kind).round_nearest(p.start_price as i64).max(1);
    let mut drift = match p.style {
        Style::Trending => TREND_SD * rng.normal(),
        _ => 0.0,
    };
    let mut fair_value = math::ln(prev_close as f64);
    let trend_noise = TREND_SD * (1.0 - TREND_PERSISTENCE * TREND_PERSISTENCE).sqrt();
    let mut volume_state = 0.0;
    let log_base_volume = math::ln(p.base_volume);

    for (t, &date) in dates.iter().enumerate() {
        let regime = factors.regime_mult[t];
        var = omega + GARCH_ALPHA * last_shock * last_shock + GARCH_BETA * var;
        let sd = var.sqrt() * regime;
        let z = rng.normal();
        last_shock = var.sqrt() * z;

        let mut r = p.beta * factors.market[t] + p.sector_loading * factors.sector[p.sector][t] + sd * z;
        match p.style {
            Style::Trending => {
                drift = TREND_PERSISTENCE * drift + trend_noise * rng.normal();
                r += drift;
            }
            Style::MeanReverting => {
                fair_value += FAIR_VALUE_NOISE * rng.normal();
                r -= REVERSION_SPEED * (math::ln(prev_close as f64) - fair_value);
            }
            Style::RandomWalk => {}
        }
        if rng.chance(p.jump_prob) {
            r += JUMP_SD * rng.normal();
        }
        if rng.chance(p.surge_prob) {
            r += 0.35; // a theme-stock day that closes at the upper limit
        }
        if rng.chance(p.crash_prob) {
            r -= 0.4;
        }
        if prev_close < FLOOR_WON {
            r += 0.01;
        } else if prev_close > CEILING_WON {
            r -= 0.01;
        }

        let day_sd = (sd * sd + p.beta * p.beta * factors.market_sd[t] * factors.market_sd[t]).sqrt();
        let r_open = rng.range(0.1, 0.4) * r + 0.2 * day_sd * rng.normal();

        let (lower, upper) = price_limits(prev_close, date, p.market, kind);
        let table = TickTable::for_date(date, p.market, kind);
        let base = prev_close as f64;
        let to_grid = |v: f64| table.round_nearest(math::round(v).clamp(lower, upper));
        let open = to_grid(base * math::exp(r_open));
        let close = to_grid(base * math::exp(r));
        let (body_hi, body_lo) = (open.max(close), open.min(close));
        let up = math::exp(0.5 * day_sd * rng.normal().abs());
        let down = math::exp(0.5 * day_sd * rng.normal().abs());
        let high = table.round_up(math::round(body_hi as f64 * up)).clamp(body_hi, upper);
        let low = table.round_down(math::round(body_lo as f64 / down)).clamp(lower, body_lo);

        volume_state = 0.9 * volume_state + 0.2 * rng.normal();
        let mut log_v = log_base_volume + volume_state + (0.6 * (r.abs() / day_sd)).min(3.0) + 0.3 * rng.normal();
        if rng.chance(0.02) {
            log_v += rng.range(0.7, 2.0);
        }
        let volume = (math::round(math::exp(log_v)).max(0) as u64).max(MIN_DAILY_VOLUME);

        bars.push(Bar {
            code,
            ts: stamps[t],
            open: won(open),
            high: won(high),
            low: won(low),
            close: won(close),
            volume,
        });
        prev_close = close;
    }
    bars
}

/// A grid price as a [`Price`]. Limits are never below 1 won, so the clamp only spells out
/// why `Price::new` cannot panic here.
pub(super) fn won(price: i64) -> Price {
    Price::new(price.clamp(1, Price::MAX_WON))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Market;
    use crate::sim::SimConfig;
    use crate::sim::universe::{code_for, profile};

    /// Mean over stocks of `stat(log returns)` for stocks forced into `style`.
    fn mean_stat(style: Style, stat: impl Fn(&[f64]) -> f64) -> f64 {
        let cfg = SimConfig::default();
        let dates = crate::krx::KrxCalendar::trading_days(cfg.start, cfg.start + chrono::Duration::days(1_100));
        let stamps: Vec<Timestamp> = dates.iter().map(|d| Timestamp::daily_close(*d)).collect();
        let factors = Factors::generate(&cfg, dates.len());
        let n = 150;
        let total: f64 = (0..n)
            .map(|i| {
                let p = Profile { style, surge_prob: 0.0, crash_prob: 0.0, jump_prob: 0.0, ..profile(&cfg, i) };
                let bars = daily_bars(cfg.seed, i, code_for(i).unwrap(), &p, &factors, &dates, &stamps);
                let r: Vec<f64> = bars.windows(2).map(|w| (w[1].close.as_f64() / w[0].close.as_f64()).ln()).collect();
                stat(&r)
            })
            .sum();
        total / f64::from(n as u32)
    }

    fn lag1_autocorr(r: &[f64]) -> f64 {
        let m = r.iter().sum::<f64>() / r.len() as f64;
        let var: f64 = r.iter().map(|x| (x - m) * (x - m)).sum();
        r.windows(2).map(|w| (w[0] - m) * (w[1] - m)).sum::<f64>() / var
    }

    /// Variance of 20-day returns over 20 × the variance of daily returns: 1 for a random walk.
    fn variance_ratio(r: &[f64]) -> f64 {
        let var = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64
        };
        let monthly: Vec<f64> = r.chunks_exact(20).map(|c| c.iter().sum()).collect();
        var(&monthly) / (20.0 * var(r))
    }

    #[test]
    fn styles_leave_findable_footprints() {
        let mr = mean_stat(Style::MeanReverting, lag1_autocorr);
        let rw = mean_stat(Style::RandomWalk, lag1_autocorr);
        assert!(mr < rw - 0.02, "mean reversion shows as negative autocorrelation: {mr} vs {rw}");
        let trend = mean_stat(Style::Trending, variance_ratio);
        let walk = mean_stat(Style::RandomWalk, variance_ratio);
        let revert = mean_stat(Style::MeanReverting, variance_ratio);
        assert!(trend > walk + 0.2 && revert < walk, "variance ratios {trend} {walk} {revert}");
    }

    #[test]
    fn volume_rises_with_the_size_of_the_move() {
        let cfg = SimConfig::default();
        let dates = crate::krx::KrxCalendar::trading_days(cfg.start, cfg.start + chrono::Duration::days(700));
        let stamps: Vec<Timestamp> = dates.iter().map(|d| Timestamp::daily_close(*d)).collect();
        let factors = Factors::generate(&cfg, dates.len());
        let p = Profile { market: Market::Kosdaq, ..profile(&cfg, 3) };
        let bars = daily_bars(cfg.seed, 3, code_for(3).unwrap(), &p, &factors, &dates, &stamps);
        let (x, y): (Vec<f64>, Vec<f64>) = bars
            .windows(2)
            .map(|w| ((w[1].close.as_f64() / w[0].close.as_f64()).ln().abs(), (w[1].volume as f64).ln()))
            .unzip();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (mx, my) = (mean(&x), mean(&y));
        let cov: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let sx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum::<f64>().sqrt();
        let sy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum::<f64>().sqrt();
        assert!(cov / (sx * sy) > 0.2, "corr(|r|, ln volume) = {}", cov / (sx * sy));
    }
}
