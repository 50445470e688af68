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
const TREND_PERSISTENCE: f64 = 0.995;
const TREND_NOISE: f64 = 0.000_2;
const REVERSION_SPEED: f64 = 0.08;
const FAIR_VALUE_NOISE: f64 = 0.004;
const JUMP_SD: f64 = 0.09;

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
        Style::Trending => rng.range(0.000_5, 0.002_5) * if rng.chance(0.5) { 1.0 } else { -1.0 },
        _ => 0.0,
    };
    let mut fair_value = math::ln(prev_close as f64);
    let mut volume_state = 0.0;
    let (floor, ceiling) = (math::ln(300.0), math::ln(2_000_000.0));

    for (t, &date) in dates.iter().enumerate() {
        let regime = factors.regime_mult[t];
        var = omega + GARCH_ALPHA * last_shock * last_shock + GARCH_BETA * var;
        let sd = var.sqrt() * regime;
        let z = rng.normal();
        last_shock = var.sqrt() * z;
        let x = math::ln(prev_close as f64);

        let mut r = p.beta * factors.market[t] + p.sector_loading * factors.sector[p.sector][t] + sd * z;
        match p.style {
            Style::Trending => {
                drift = TREND_PERSISTENCE * drift + TREND_NOISE * rng.normal();
                r += drift;
            }
            Style::MeanReverting => {
                fair_value += FAIR_VALUE_NOISE * rng.normal();
                r -= REVERSION_SPEED * (x - fair_value);
            }
            Style::RandomWalk => {}
        }
        if rng.chance(p.jump_prob) {
            r += JUMP_SD * rng.normal();
        }
        if rng.chance(p.surge_prob) {
            r += 0.35; // a theme-stock day that closes at the upper limit
        }
        // Keep prices inside the band real KRX stocks live in (a few hundred won to a few million).
        if x < floor {
            r += 0.01;
        } else if x > ceiling {
            r -= 0.01;
        }

        let day_sd = (sd * sd + p.beta * p.beta * factors.market_sd[t] * factors.market_sd[t]).sqrt();
        let r_open = rng.range(0.1, 0.4) * r + 0.2 * day_sd * rng.normal();

        let (lower, upper) = price_limits(prev_close, date, p.market, kind);
        let table = TickTable::for_date(date, p.market, kind);
        let base = prev_close as f64;
        let to_grid = |v: f64| table.round_nearest((v.round() as i64).clamp(lower, upper));
        let open = to_grid(base * math::exp(r_open));
        let close = to_grid(base * math::exp(r));
        let (body_hi, body_lo) = (open.max(close), open.min(close));
        let up = math::exp(0.5 * day_sd * rng.normal().abs());
        let down = math::exp(0.5 * day_sd * rng.normal().abs());
        let high = table.round_up((body_hi as f64 * up).round() as i64).clamp(body_hi, upper);
        let low = table.round_down((body_lo as f64 / down).round() as i64).clamp(lower, body_lo);

        volume_state = 0.9 * volume_state + 0.2 * rng.normal();
        let mut log_v =
            math::ln(p.base_volume) + volume_state + (0.6 * (r.abs() / day_sd)).min(3.0) + 0.3 * rng.normal();
        if rng.chance(0.02) {
            log_v += rng.range(0.7, 2.0);
        }
        let volume = (math::exp(log_v).round() as u64).max(MIN_DAILY_VOLUME);

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
