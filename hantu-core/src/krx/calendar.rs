//! The KRX trading calendar and sessions.
//!
//! Trading days are weekdays that are not KRX holidays. Holidays and special sessions are
//! embedded for 2010–2027; outside those years only weekends are closed (documented, not
//! guessed). Regular hours (KST): opening call auction 08:30–09:00, continuous 09:00–15:20,
//! closing call auction 15:20–15:30, closing-price trade 15:40–16:00, after-hours single price
//! 16:00–18:00. On special days (first trading day of the year, CSAT day) the open and close
//! move and every session moves with them.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use super::calendar_data::{HOLIDAYS, SPECIAL_SESSIONS};
use crate::domain::Timestamp;

/// First and last year covered by the embedded holiday table.
pub const CALENDAR_YEARS: (i32, i32) = (2010, 2027);

/// A trading session (KST).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Session {
    /// Exchange closed (night, weekend, holiday, or between sessions).
    Closed,
    /// Opening call auction (orders collected, one price at the open).
    OpeningAuction,
    /// Continuous trading.
    Regular,
    /// Closing call auction.
    ClosingAuction,
    /// After-hours trade at the closing price.
    AfterHoursClose,
    /// After-hours single-price trading (matched every 10 minutes, ±10% of the close).
    AfterHoursSingle,
}

/// Open and close (end of the closing auction) of a trading day, KST.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TradingHours {
    /// Start of continuous trading.
    pub open: NaiveTime,
    /// End of the closing call auction.
    pub close: NaiveTime,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

/// The KRX calendar.
///
/// ```
/// use chrono::NaiveDate;
/// use hantu_core::krx::KrxCalendar;
/// let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
/// assert!(!KrxCalendar::is_trading_day(d(1, 1)));     // New Year's Day
/// assert!(!KrxCalendar::is_trading_day(d(10, 6)));    // Chuseok
/// assert_eq!(KrxCalendar::add_trading_days(d(12, 30), 2), NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct KrxCalendar;

impl KrxCalendar {
    /// Whether `date` is a weekday on which KRX is closed.
    #[must_use]
    pub fn is_holiday(date: NaiveDate) -> bool {
        let key = (date.year() as u16, date.month() as u8, date.day() as u8);
        HOLIDAYS.binary_search(&key).is_ok()
    }

    /// Whether KRX trades on `date`.
    #[must_use]
    pub fn is_trading_day(date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !Self::is_holiday(date)
    }

    /// The first trading day strictly after `date`.
    #[must_use]
    pub fn next_trading_day(date: NaiveDate) -> NaiveDate {
        let mut d = date + Duration::days(1);
        while !Self::is_trading_day(d) {
            d += Duration::days(1);
        }
        d
    }

    /// The last trading day strictly before `date`.
    #[must_use]
    pub fn prev_trading_day(date: NaiveDate) -> NaiveDate {
        let mut d = date - Duration::days(1);
        while !Self::is_trading_day(d) {
            d -= Duration::days(1);
        }
        d
    }

    /// `n` trading days after `date` (T+n settlement).
    #[must_use]
    pub fn add_trading_days(date: NaiveDate, n: u32) -> NaiveDate {
        (0..n).fold(date, |d, _| Self::next_trading_day(d))
    }

    /// Trading days in `from..=to`, ascending.
    #[must_use]
    pub fn trading_days(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        from.iter_days().take_while(|d| *d <= to).filter(|d| Self::is_trading_day(*d)).collect()
    }

    /// Hours of `date`, or `None` when KRX is closed.
    #[must_use]
    pub fn hours(date: NaiveDate) -> Option<TradingHours> {
        if !Self::is_trading_day(date) {
            return None;
        }
        let key = (date.year() as u16, date.month() as u8, date.day() as u8);
        let special = SPECIAL_SESSIONS.binary_search_by(|(d, _, _)| d.cmp(&key)).ok().map(|i| SPECIAL_SESSIONS[i]);
        Some(match special {
            Some((_, (oh, om), (ch, cm))) => {
                TradingHours { open: hm(u32::from(oh), u32::from(om)), close: hm(u32::from(ch), u32::from(cm)) }
            }
            None => TradingHours { open: hm(9, 0), close: hm(15, 30) },
        })
    }

    /// Whether the day opens late (first trading day of the year, CSAT day).
    #[must_use]
    pub fn is_late_open(date: NaiveDate) -> bool {
        Self::hours(date).is_some_and(|h| h.open > hm(9, 0))
    }

    /// The session in force at `ts`.
    #[must_use]
    pub fn session_at(ts: Timestamp) -> Session {
        let dt = ts.kst_datetime();
        let Some(h) = Self::hours(dt.date()) else { return Session::Closed };
        let t = dt.time();
        let shift = h.close - hm(15, 30);
        if t >= h.open - Duration::minutes(30) && t < h.open {
            Session::OpeningAuction
        } else if t >= h.open && t < h.close - Duration::minutes(10) {
            Session::Regular
        } else if t >= h.close - Duration::minutes(10) && t < h.close {
            Session::ClosingAuction
        } else if t >= hm(15, 40) + shift && t < hm(16, 0) + shift {
            Session::AfterHoursClose
        } else if t >= hm(16, 0) + shift && t < hm(18, 0) + shift {
            Session::AfterHoursSingle
        } else {
            Session::Closed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn holidays_and_weekends() {
        assert!(!KrxCalendar::is_trading_day(d(2024, 12, 31))); // year-end closing day
        assert!(KrxCalendar::is_trading_day(d(2024, 12, 30)));
        assert!(!KrxCalendar::is_trading_day(d(2025, 6, 7))); // Saturday
        assert_eq!(KrxCalendar::next_trading_day(d(2024, 12, 30)), d(2025, 1, 2));
        assert_eq!(KrxCalendar::prev_trading_day(d(2025, 1, 2)), d(2024, 12, 30));
        assert_eq!(KrxCalendar::trading_days(d(2025, 1, 1), d(2025, 1, 31)).len(), 18); // 23 weekdays less New Year and four Seollal days
    }

    #[test]
    fn sessions_on_normal_and_late_days() {
        let s = |date, h, m| KrxCalendar::session_at(Timestamp::kst(date, h, m));
        let normal = d(2025, 3, 4);
        assert_eq!(s(normal, 8, 29), Session::Closed);
        assert_eq!(s(normal, 8, 30), Session::OpeningAuction);
        assert_eq!(s(normal, 9, 0), Session::Regular);
        assert_eq!(s(normal, 15, 19), Session::Regular);
        assert_eq!(s(normal, 15, 20), Session::ClosingAuction);
        assert_eq!(s(normal, 15, 30), Session::Closed);
        assert_eq!(s(normal, 15, 40), Session::AfterHoursClose);
        assert_eq!(s(normal, 16, 0), Session::AfterHoursSingle);
        assert_eq!(s(normal, 18, 0), Session::Closed);
        let late = d(2025, 1, 2);
        assert!(KrxCalendar::is_late_open(late));
        assert_eq!(s(late, 9, 45), Session::OpeningAuction);
        assert_eq!(s(late, 9, 15), Session::Closed);
        assert_eq!(s(late, 10, 0), Session::Regular);
        let csat = d(2025, 11, 13);
        assert_eq!(s(csat, 16, 20), Session::ClosingAuction);
        assert_eq!(s(d(2025, 1, 1), 10, 0), Session::Closed);
    }

    #[test]
    fn embedded_calendar_matches_the_krx_data_when_present() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/krx/calendar/holidays.csv");
        let Ok(text) = std::fs::read_to_string(&path) else { return };
        let dates: Vec<NaiveDate> = text.lines().skip(1).filter_map(|l| l.split(',').next()?.parse().ok()).collect();
        assert_eq!(dates.len(), HOLIDAYS.len());
        assert!(dates.iter().all(|d| KrxCalendar::is_holiday(*d)));
    }
}
