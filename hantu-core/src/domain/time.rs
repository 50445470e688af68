//! Timestamps. Stored as UTC milliseconds; KRX dates and session times are read in KST (UTC+9,
//! no daylight saving), so conversion is a fixed offset and needs no time-zone database.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// Seconds east of UTC for Korea Standard Time.
pub const KST_OFFSET_SECS: i64 = 9 * 3600;
const MS_PER_DAY: i64 = 86_400_000;

/// An instant, as milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From milliseconds since the epoch.
    #[inline]
    #[must_use]
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    #[inline]
    #[must_use]
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// A KST wall-clock date and time.
    #[must_use]
    pub fn from_kst(dt: NaiveDateTime) -> Self {
        Self((dt.and_utc().timestamp() - KST_OFFSET_SECS) * 1000 + i64::from(dt.and_utc().timestamp_subsec_millis()))
    }

    /// The KST calendar date and time `hh:mm` of `date`.
    #[must_use]
    pub fn kst(date: NaiveDate, hour: u32, minute: u32) -> Self {
        Self::from_kst(date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default()))
    }

    /// The stamp of a daily bar: the KST close (15:30) of that trading date.
    #[must_use]
    pub fn daily_close(date: NaiveDate) -> Self {
        Self::kst(date, 15, 30)
    }

    /// Days since the epoch in KST (a cheap key for "same trading day").
    #[inline]
    #[must_use]
    pub const fn kst_day_number(self) -> i64 {
        (self.0 + KST_OFFSET_SECS * 1000).div_euclid(MS_PER_DAY)
    }

    /// Milliseconds since KST midnight (cheap: no calendar arithmetic).
    #[inline]
    #[must_use]
    pub const fn kst_ms_of_day(self) -> i64 {
        (self.0 + KST_OFFSET_SECS * 1000).rem_euclid(MS_PER_DAY)
    }

    /// The KST calendar date.
    #[must_use]
    pub fn kst_date(self) -> NaiveDate {
        let days = self.kst_day_number();
        NaiveDate::from_num_days_from_ce_opt((days + 719_163) as i32).unwrap_or_default()
    }

    /// The KST wall-clock date and time.
    #[must_use]
    pub fn kst_datetime(self) -> NaiveDateTime {
        DateTime::<Utc>::from_timestamp_millis(self.0 + KST_OFFSET_SECS * 1000).unwrap_or_default().naive_utc()
    }

    /// The KST year (for dated rules such as the transaction tax).
    #[must_use]
    pub fn kst_year(self) -> i32 {
        self.kst_date().year()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dt = self.kst_datetime();
        if dt.time() == NaiveTime::from_hms_opt(15, 30, 0).unwrap_or_default() {
            write!(f, "{}", dt.date())
        } else {
            write!(f, "{}+09:00", dt.format("%Y-%m-%dT%H:%M:%S"))
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kst_round_trip() {
        let d = NaiveDate::from_ymd_opt(2024, 12, 30).unwrap();
        let t = Timestamp::daily_close(d);
        assert_eq!(t.kst_date(), d);
        assert_eq!(t.kst_datetime().time(), NaiveTime::from_hms_opt(15, 30, 0).unwrap());
        // 15:30 KST is 06:30 UTC the same day.
        assert_eq!(
            DateTime::<Utc>::from_timestamp_millis(t.millis()).unwrap().naive_utc().time(),
            NaiveTime::from_hms_opt(6, 30, 0).unwrap()
        );
        // Just after midnight KST is still the KST date, though UTC is the day before.
        let early = Timestamp::kst(d, 0, 5);
        assert_eq!(early.kst_date(), d);
        assert_eq!(t.to_string(), "2024-12-30");
    }
}
