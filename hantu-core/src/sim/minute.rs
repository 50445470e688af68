//! One-minute bars inside a simulated daily bar.
//!
//! The continuous session (open to 10 minutes before the close; 09:00–15:20 on a normal day)
//! gets one bar per minute, stamped at the end of its minute, and the closing call auction one
//! flat bar at the close (15:30): 381 bars on a normal day, fewer on late-open days. The minute
//! closes follow Brownian bridges pinned at the day's open, high, low and close (the high and
//! low at random minutes), clamped to the day's range and rounded to the tick grid, so the
//! minutes aggregate exactly to the daily bar. Volume follows the intraday U-shape, grows with
//! each minute's move, and is split so that it sums to the daily volume.

use chrono::{Datelike, Duration, NaiveDate};

use crate::Error;
use crate::domain::{Bar, InstrumentKind, StockCode, Timestamp, ValidationError};
use crate::krx::{KrxCalendar, TickTable};

use super::SimMarket;
use super::daily::won;
use super::math;
use super::rng::{Purpose, SimRng};

/// Share of the day's volume traded in the closing auction, relative to the continuous session.
const AUCTION_WEIGHT: f64 = 0.08;

impl SimMarket {
    /// One-minute bars of `code` on `date`, consistent with that day's daily bar: the first
    /// open is the daily open, the last close the daily close, the highest high and lowest low
    /// the daily high and low, and the volumes sum to the daily volume. Deterministic per
    /// `(seed, stock, date)`, independent of which other days are asked for.
    ///
    /// ```
    /// use hantu_core::sim::{SimConfig, SimMarket};
    /// let market = SimMarket::generate(&SimConfig::new(5, 20, 1))?;
    /// let code = market.instruments[0].code;
    /// let date = market.dates()[10];
    /// let minutes = market.minute_bars(code, date)?;
    /// let day = market.bar(code, date).expect("listed");
    /// assert_eq!(minutes.len(), 381);
    /// assert_eq!(minutes.iter().map(|b| b.volume).sum::<u64>(), day.volume);
    /// # Ok::<(), hantu_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ValidationError::Unknown`] for a code that is not listed, [`ValidationError::Param`]
    /// for a date outside [`dates`](Self::dates).
    pub fn minute_bars(&self, code: StockCode, date: NaiveDate) -> Result<Vec<Bar>, Error> {
        let mut out = Vec::new();
        self.minute_bars_into(code, date, &mut out)?;
        Ok(out)
    }

    /// Like [`minute_bars`](Self::minute_bars), but replaces the contents of `out`, so a caller
    /// walking many days can reuse one buffer.
    ///
    /// # Errors
    /// As [`minute_bars`](Self::minute_bars).
    pub fn minute_bars_into(&self, code: StockCode, date: NaiveDate, out: &mut Vec<Bar>) -> Result<(), Error> {
        let (i, t) = self.locate(code, date)?;
        let day = self.bars[i][t];
        let market = self.instruments[i].market;
        let hours = KrxCalendar::hours(date)
            .ok_or_else(|| ValidationError::Param { param: "date", reason: format!("KRX is closed on {date}") })?;
        let open_at = date.and_time(hours.open);
        let minutes = ((hours.close - hours.open).num_minutes() - 10).max(1) as usize;
        let table = TickTable::for_date(date, market, InstrumentKind::Stock);
        let mut rng = SimRng::stream(
            self.config().seed,
            Purpose::Minute,
            &[self.stream_of(i) as u64, i64::from(date.num_days_from_ce()) as u64],
        );

        let path = minute_path(&mut rng, &day, minutes, &table);
        let (h, l, c) = (day.high.won(), day.low.won(), day.close.won());
        let sigma = (h - l) as f64 / (minutes as f64).sqrt();

        out.clear();
        out.reserve(minutes + 1);
        let mut weights = Vec::with_capacity(minutes + 1);
        for k in 1..=minutes {
            let (mo, mc) = (path[k - 1], path[k]);
            let (mut mh, mut ml) = (mo.max(mc), mo.min(mc));
            if rng.chance(0.6) {
                mh = table.round_up(mh + (0.4 * sigma * rng.normal().abs()) as i64).min(h);
            }
            if rng.chance(0.6) {
                ml = table.round_down(ml - (0.4 * sigma * rng.normal().abs()) as i64).max(l);
            }
            let ts = Timestamp::from_kst(open_at + Duration::minutes(k as i64));
            out.push(Bar { code, ts, open: won(mo), high: won(mh), low: won(ml), close: won(mc), volume: 0 });
            let u_shape = 0.5 + 2.5 * math::exp(-((k - 1) as f64) / 20.0) + math::exp(-((minutes - k) as f64) / 25.0);
            let activity = 1.0 + 0.3 * (mc - mo).abs() as f64 / sigma.max(1.0);
            weights.push(u_shape * activity * math::exp(0.4 * rng.normal()));
        }
        // The extreme may sit only in the open of the first minute (open = high) or, when the
        // day is too short for interior anchors, nowhere yet: widen the first bar to hold it.
        if out.iter().all(|b| b.high.won() < h) {
            out[0].high = won(h);
        }
        if out.iter().all(|b| b.low.won() > l) {
            out[0].low = won(l);
        }
        let auction_ts = Timestamp::from_kst(date.and_time(hours.close));
        out.push(Bar { code, ts: auction_ts, open: won(c), high: won(c), low: won(c), close: won(c), volume: 0 });
        weights.push(AUCTION_WEIGHT * weights.iter().sum::<f64>());

        split_volume(day.volume, &weights, out);
        Ok(())
    }
}

/// Minute closes `path[0..=n]`: `path[0]` is the open, `path[n]` the close, the high and low
/// (when outside the open–close body) each pinned at a random interior minute.
fn minute_path(rng: &mut SimRng, day: &Bar, n: usize, table: &TickTable) -> Vec<i64> {
    let (o, h, l, c) = (day.open.won(), day.high.won(), day.low.won(), day.close.won());
    let mut anchors: Vec<(usize, i64)> = vec![(0, o), (n, c)];
    if n >= 3 {
        let interior = (n - 1) as u64;
        let t_high = 1 + rng.below(interior) as usize;
        let mut t_low = 1 + rng.below(interior) as usize;
        if t_low == t_high {
            t_low = if t_high + 1 < n { t_high + 1 } else { t_high - 1 };
        }
        if h > o.max(c) {
            anchors.push((t_high, h));
        }
        if l < o.min(c) {
            anchors.push((t_low, l));
        }
    }
    anchors.sort_unstable();

    let sigma = 0.8 * (h - l) as f64 / (n as f64).sqrt();
    let mut path = vec![0i64; n + 1];
    let mut walk = vec![0.0f64; n + 1];
    path[0] = o;
    for pair in anchors.windows(2) {
        let ((ta, pa), (tb, pb)) = (pair[0], pair[1]);
        if tb == ta {
            continue;
        }
        walk[ta] = 0.0;
        for k in ta + 1..=tb {
            walk[k] = walk[k - 1] + sigma * rng.normal();
        }
        let span = (tb - ta) as f64;
        for k in ta + 1..=tb {
            let f = (k - ta) as f64 / span;
            let v = pa as f64 + (pb - pa) as f64 * f + walk[k] - walk[tb] * f;
            path[k] = table.round_nearest(math::round(v).clamp(l, h)).clamp(l, h);
        }
        path[tb] = pb;
    }
    path
}

/// Splits `total` over the bars in proportion to `weights`, at least one share each when
/// `total` allows, summing exactly to `total`.
fn split_volume(total: u64, weights: &[f64], bars: &mut [Bar]) {
    let floor = u64::from(total >= bars.len() as u64);
    let rest = total - floor * bars.len() as u64;
    let sum: f64 = weights.iter().sum();
    let mut cum = 0.0;
    let mut given = 0u64;
    let last = bars.len() - 1;
    for (k, (bar, w)) in bars.iter_mut().zip(weights).enumerate() {
        cum += w;
        // Cumulative shares, so rounding never loses or invents a share.
        let upto = if k == last { rest } else { ((rest as f64 * cum / sum).floor() as u64).min(rest) };
        let share = upto.saturating_sub(given);
        given = given.max(upto);
        bar.volume = floor + share;
    }
}
