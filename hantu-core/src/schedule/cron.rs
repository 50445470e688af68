//! Five-field cron expressions (`minute hour day-of-month month day-of-week`), read in KST.
//!
//! Each field takes `*`, a value, a range `a-b`, a step `*/n` or `a-b/n`, and comma lists of
//! those. Months and weekdays also take English names (`jan`, `mon`); weekday 0 and 7 are Sunday.
//! The day-of-month field also takes `L`, the last day of the month, so month-end jobs need no
//! `28-31` trick. As in Vixie cron, when both day fields are restricted a day matches if
//! either matches; otherwise both must.
//!
//! Written here rather than taken from a crate because the search for the next fire time is
//! entangled with the KRX calendar (trading days only, session windows) and must be pure and
//! bounded; the grammar itself is small.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use super::ScheduleError;

/// A set of allowed values of one field, as a bit mask (values 0–63).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Field {
    mask: u64,
    /// Whether the field was `*` (or `*/1`), which matters for the day-of-month/weekday rule.
    any: bool,
}

impl Field {
    fn has(self, v: u32) -> bool {
        v < 64 && self.mask & (1 << v) != 0
    }
}

/// A parsed cron expression.
///
/// ```
/// use hantu_core::schedule::CronExpr;
/// let e: CronExpr = "30 8 * * mon-fri".parse().unwrap();
/// assert_eq!(e.to_string(), "30 8 * * mon-fri");
/// assert!("61 8 * * *".parse::<CronExpr>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CronExpr {
    text: String,
    minute: Field,
    hour: Field,
    dom: Field,
    /// `L` in the day-of-month field.
    last_dom: bool,
    month: Field,
    dow: Field,
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn value(s: &str, names: &[&str], base: u32, lo: u32, hi: u32, what: &str) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    let v = match names.iter().position(|n| *n == lower) {
        Some(i) => i as u32 + base,
        None => s.parse::<u32>().map_err(|_| format!("{what}: {s:?} is not a number or a name"))?,
    };
    if v < lo || v > hi {
        return Err(format!("{what}: {v} is outside {lo}-{hi}"));
    }
    Ok(v)
}

fn field(s: &str, names: &[&str], base: u32, lo: u32, hi: u32, what: &str) -> Result<(Field, bool), String> {
    let mut mask = 0u64;
    let mut any = false;
    let mut last = false;
    for part in s.split(',') {
        if part.eq_ignore_ascii_case("l") && what == "day of month" {
            last = true;
            continue;
        }
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => {
                let st: u32 = st.parse().map_err(|_| format!("{what}: step {st:?} is not a number"))?;
                if st == 0 {
                    return Err(format!("{what}: step 0"));
                }
                (r, st)
            }
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            any |= step == 1;
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, names, base, lo, hi, what)?, value(b, names, base, lo, hi, what)?)
        } else {
            let v = value(range, names, base, lo, hi, what)?;
            (v, if part.contains('/') { hi } else { v })
        };
        if a > b {
            return Err(format!("{what}: range {a}-{b} runs backwards"));
        }
        let mut v = a;
        while v <= b {
            mask |= 1 << v;
            v += step;
        }
    }
    if mask == 0 && !last {
        return Err(format!("{what}: empty"));
    }
    Ok((Field { mask, any }, last))
}

impl FromStr for CronExpr {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |message: String| ScheduleError::Cron { expr: s.to_owned(), message };
        let parts: Vec<&str> = s.split_whitespace().collect();
        let [mi, h, dom, mo, dow] = parts[..] else {
            return Err(bad(format!("expected 5 fields (minute hour day month weekday), found {}", parts.len())));
        };
        let (minute, _) = field(mi, &[], 0, 0, 59, "minute").map_err(bad)?;
        let (hour, _) = field(h, &[], 0, 0, 23, "hour").map_err(bad)?;
        let (dom, last_dom) = field(dom, &[], 0, 1, 31, "day of month").map_err(bad)?;
        let (month, _) = field(mo, &MONTHS, 1, 1, 12, "month").map_err(bad)?;
        let (mut dow, _) = field(dow, &DAYS, 0, 0, 7, "day of week").map_err(bad)?;
        if dow.has(7) {
            dow.mask |= 1;
        }
        Ok(Self { text: parts.join(" "), minute, hour, dom, last_dom, month, dow })
    }
}

impl CronExpr {
    /// Whether the expression fires on `date` (any time of day).
    #[must_use]
    pub fn matches_date(&self, date: NaiveDate) -> bool {
        if !self.month.has(date.month()) {
            return false;
        }
        let last = date.succ_opt().is_none_or(|n| n.month() != date.month());
        let dom = self.dom.has(date.day()) || (self.last_dom && last);
        let dow = self.dow.has(date.weekday().num_days_from_sunday());
        let dom_any = self.dom.any && !self.last_dom;
        match (dom_any, self.dow.any) {
            (true, true) => true,
            (true, false) => dow,
            (false, true) => dom,
            (false, false) => dom || dow,
        }
    }

    /// The first firing minute of the day (as minutes after midnight) at or after `from_minute`.
    #[must_use]
    pub fn first_minute_from(&self, from_minute: u32) -> Option<u32> {
        (from_minute..24 * 60).find(|m| self.hour.has(m / 60) && self.minute.has(m % 60))
    }
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronExpr({:?})", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn fields_parse_lists_ranges_steps_and_names() {
        let e: CronExpr = "*/15 9-15 * jan,jul mon-fri".parse().unwrap();
        assert_eq!(e.first_minute_from(0), Some(9 * 60));
        assert_eq!(e.first_minute_from(9 * 60 + 1), Some(9 * 60 + 15));
        assert_eq!(e.first_minute_from(15 * 60 + 46), None);
        assert!(e.matches_date(d(2025, 7, 25))); // Friday in July
        assert!(!e.matches_date(d(2025, 7, 26))); // Saturday
        assert!(!e.matches_date(d(2025, 8, 1))); // August
        let sunday: CronExpr = "0 0 * * 7".parse().unwrap();
        assert!(sunday.matches_date(d(2025, 7, 27)));
    }

    #[test]
    fn day_fields_follow_the_vixie_or_rule() {
        // The 1st of the month, or any Monday.
        let e: CronExpr = "0 0 1 * mon".parse().unwrap();
        assert!(e.matches_date(d(2025, 7, 1))); // Tuesday the 1st
        assert!(e.matches_date(d(2025, 7, 7))); // Monday
        assert!(!e.matches_date(d(2025, 7, 8)));
    }

    #[test]
    fn last_day_of_month_handles_short_months_and_leap_years() {
        let e: CronExpr = "0 18 L * *".parse().unwrap();
        assert!(e.matches_date(d(2024, 2, 29)));
        assert!(!e.matches_date(d(2025, 2, 28 - 1)));
        assert!(e.matches_date(d(2025, 2, 28)));
        assert!(e.matches_date(d(2025, 4, 30)));
        assert!(!e.matches_date(d(2025, 5, 30)));
        assert!(e.matches_date(d(2025, 12, 31)));
    }

    #[test]
    fn bad_expressions_name_the_field() {
        for (expr, needle) in [
            ("* * * *", "5 fields"),
            ("60 * * * *", "minute"),
            ("* 24 * * *", "hour"),
            ("* * 0 * *", "day of month"),
            ("* * * 13 *", "month"),
            ("* * * * 8", "day of week"),
            ("*/0 * * * *", "step 0"),
            ("5-1 * * * *", "backwards"),
            ("x * * * *", "minute"),
        ] {
            let err = expr.parse::<CronExpr>().unwrap_err().to_string();
            assert!(err.contains(needle), "{expr}: {err}");
        }
    }
}
