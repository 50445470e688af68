//! When a job fires: an interval or a cron expression in KST, optionally only on KRX trading days
//! and only inside a window of the day. KST has no daylight saving, so every local time exists
//! exactly once and fire times are plain offsets from midnight.

use chrono::{Duration, NaiveDate, NaiveTime, Timelike};

use super::cron::CronExpr;
use crate::domain::Timestamp;
use crate::krx::KrxCalendar;

const MS_PER_MIN: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;
/// How far ahead a search looks before concluding the trigger never fires (about 5 years).
const SEARCH_DAYS: i64 = 366 * 5;

/// The two kinds of trigger.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Trigger {
    /// Every `every_ms` milliseconds, aligned to KST midnight (so `10m` fires at :00, :10, …).
    Interval {
        /// The period in milliseconds (at least one second).
        every_ms: i64,
    },
    /// A cron expression read in KST.
    Cron(CronExpr),
}

/// The part of a day a trigger may fire in (KST).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Window {
    /// From `start` up to and including `end`.
    Hours(NaiveTime, NaiveTime),
    /// The KRX regular session of the day, open to close (moves on late-open days; never on a
    /// non-trading day).
    Market,
}

/// A trigger with its calendar filters.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct When {
    /// The base trigger.
    pub trigger: Trigger,
    /// Only on KRX trading days.
    pub trading_days_only: bool,
    /// Only inside this window of the day.
    pub window: Option<Window>,
}

impl When {
    /// A trigger with no filters.
    #[must_use]
    pub const fn new(trigger: Trigger) -> Self {
        Self { trigger, trading_days_only: false, window: None }
    }

    /// The window of `date` as (first, last) millisecond of the day, or `None` if the day is out.
    fn day_bounds(&self, date: NaiveDate) -> Option<(i64, i64)> {
        if self.trading_days_only && !KrxCalendar::is_trading_day(date) {
            return None;
        }
        let ms = |t: NaiveTime| i64::from(t.num_seconds_from_midnight()) * 1000;
        match self.window {
            None => Some((0, MS_PER_DAY - 1)),
            Some(Window::Hours(a, b)) => Some((ms(a), ms(b))),
            Some(Window::Market) => KrxCalendar::hours(date).map(|h| (ms(h.open), ms(h.close))),
        }
    }

    /// The first fire time strictly after `after`, or `None` if there is none within about five
    /// years (an expression such as `0 0 30 2 *`).
    #[must_use]
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let t = after.millis() + 1;
        let first_day = Timestamp::from_millis(t).kst_date();
        let mut from_ms = Timestamp::from_millis(t).kst_ms_of_day();
        for offset in 0..SEARCH_DAYS {
            let date = first_day + Duration::days(offset);
            if offset > 0 {
                from_ms = 0;
            }
            let Some((lo, hi)) = self.day_bounds(date) else { continue };
            let start = from_ms.max(lo);
            if start > hi {
                continue;
            }
            let midnight = Timestamp::kst(date, 0, 0).millis();
            let hit = match &self.trigger {
                Trigger::Interval { every_ms } => {
                    let every = (*every_ms).max(1000);
                    let abs = midnight + start;
                    // Aligned to KST midnight of the epoch day count, so the grid is the same every day
                    // when the period divides a day.
                    let base = Timestamp::kst(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default(), 0, 0).millis();
                    let k = (abs - base + every - 1).div_euclid(every);
                    let cand = base + k * every;
                    (cand - midnight <= hi).then_some(cand)
                }
                Trigger::Cron(expr) => {
                    if !expr.matches_date(date) {
                        continue;
                    }
                    let from_min = u32::try_from((start + MS_PER_MIN - 1) / MS_PER_MIN).unwrap_or(u32::MAX);
                    expr.first_minute_from(from_min)
                        .map(|m| midnight + i64::from(m) * MS_PER_MIN)
                        .filter(|c| c - midnight <= hi)
                }
            };
            if let Some(c) = hit {
                return Some(Timestamp::from_millis(c));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cron(s: &str) -> When {
        When::new(Trigger::Cron(s.parse().unwrap()))
    }

    #[test]
    fn cron_fires_strictly_after_and_rolls_over_month_and_year_ends() {
        let w = cron("30 8 * * *");
        assert_eq!(w.next_after(Timestamp::kst(d(2025, 1, 31), 8, 29)), Some(Timestamp::kst(d(2025, 1, 31), 8, 30)));
        assert_eq!(w.next_after(Timestamp::kst(d(2025, 1, 31), 8, 30)), Some(Timestamp::kst(d(2025, 2, 1), 8, 30)));
        assert_eq!(w.next_after(Timestamp::kst(d(2025, 12, 31), 23, 59)), Some(Timestamp::kst(d(2026, 1, 1), 8, 30)));
        // Month end with L, across February of a leap year.
        let me = cron("0 18 L * *");
        assert_eq!(me.next_after(Timestamp::kst(d(2024, 2, 1), 0, 0)), Some(Timestamp::kst(d(2024, 2, 29), 18, 0)));
        assert_eq!(me.next_after(Timestamp::kst(d(2024, 2, 29), 18, 0)), Some(Timestamp::kst(d(2024, 3, 31), 18, 0)));
        // Impossible dates never fire, and the search stops.
        assert_eq!(cron("0 0 30 2 *").next_after(Timestamp::kst(d(2025, 1, 1), 0, 0)), None);
    }

    #[test]
    fn trading_days_only_skips_weekends_and_krx_holidays() {
        let mut w = cron("0 8 * * *");
        w.trading_days_only = true;
        // Friday 2025-10-02 → Chuseok holidays 10-03 .. 10-09 → next trading day 10-10.
        assert_eq!(w.next_after(Timestamp::kst(d(2025, 10, 2), 8, 0)), Some(Timestamp::kst(d(2025, 10, 10), 8, 0)));
        // Year end: KRX is closed on 12-31 and 01-01.
        assert_eq!(w.next_after(Timestamp::kst(d(2025, 12, 30), 9, 0)), Some(Timestamp::kst(d(2026, 1, 2), 8, 0)));
    }

    #[test]
    fn kst_has_no_dst_so_every_local_time_fires_once_a_day() {
        // Across the dates other zones shift (March and November), 02:30 KST fires every day, 24 h apart.
        let w = cron("30 2 * * *");
        let mut t = Timestamp::kst(d(2025, 3, 8), 0, 0);
        for _ in 0..5 {
            let n = w.next_after(t).unwrap();
            if t.millis() > Timestamp::kst(d(2025, 3, 8), 3, 0).millis() {
                assert_eq!(n.millis() - t.millis(), MS_PER_DAY);
            }
            assert_eq!(n.kst_datetime().time(), NaiveTime::from_hms_opt(2, 30, 0).unwrap());
            t = n;
        }
    }

    #[test]
    fn interval_is_aligned_and_held_inside_the_market_window() {
        let mut w = When::new(Trigger::Interval { every_ms: 10 * MS_PER_MIN });
        assert_eq!(w.next_after(Timestamp::kst(d(2025, 7, 25), 9, 3)), Some(Timestamp::kst(d(2025, 7, 25), 9, 10)));
        w.window = Some(Window::Market);
        // After the close on Friday → Monday's open.
        assert_eq!(w.next_after(Timestamp::kst(d(2025, 7, 25), 15, 30)), Some(Timestamp::kst(d(2025, 7, 28), 9, 0)));
        // On the CSAT day (2025-11-13) the market opens at 10:00.
        assert_eq!(w.next_after(Timestamp::kst(d(2025, 11, 13), 8, 0)), Some(Timestamp::kst(d(2025, 11, 13), 10, 0)));
        let hours = When {
            window: Some(Window::Hours(
                NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                NaiveTime::from_hms_opt(8, 30, 0).unwrap(),
            )),
            ..When::new(Trigger::Interval { every_ms: 20 * MS_PER_MIN })
        };
        assert_eq!(hours.next_after(Timestamp::kst(d(2025, 7, 25), 8, 21)), Some(Timestamp::kst(d(2025, 7, 26), 8, 0)));
    }
}
