//! What happened to a pick: entry by a rule, then return, excursions and which level came first,
//! from the sessions of its horizon only.

use serde::{Deserialize, Serialize};

use crate::domain::{Bar, Price};
use crate::store::FirstHit;

/// How a pick is entered on its session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryRule {
    /// At the session's open, whatever it is (a market order before the open).
    #[default]
    Open,
    /// A buy limit at the top of the entry zone, good for the pick's session: filled at the open when
    /// the open is at or below it, at the limit when the session trades down to it, else not entered.
    Zone,
}

/// A pick's price levels (from the selection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Levels {
    /// Top of the entry zone (the buy limit under [`EntryRule::Zone`]).
    pub entry_high: Price,
    /// Stop.
    pub stop: Price,
    /// Target.
    pub target: Price,
}

/// The measured result of one pick over one horizon.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Entry price (`None`: not entered).
    pub entry: Option<Price>,
    /// Return from entry to exit (the level's price when one was hit, else the last close).
    pub ret: f64,
    /// Best high over the holding period, from the entry (≥ 0).
    pub max_favourable: f64,
    /// Worst low over the holding period, from the entry (≤ 0).
    pub max_adverse: f64,
    /// Which level came first.
    pub first_hit: FirstHit,
    /// Sessions held (1 = exited on the entry session).
    pub days_held: u32,
}

/// Measures a pick entered on the first of `sessions` and held for `horizon` sessions.
///
/// `sessions` are the pick's daily bars from its session on, oldest first; only the first `horizon`
/// are read, so a caller may pass more without any look-ahead. Returns `None` while fewer than
/// `horizon` sessions exist (the outcome is not known yet), or when `horizon` is 0.
///
/// The exit is the level's price on the first session whose range reaches a level (the stop first when
/// one session reaches both, since daily bars cannot tell the order), else the last session's close.
/// Excursions run to the exit session.
#[must_use]
pub fn measure(sessions: &[Bar], horizon: u32, levels: Option<Levels>, rule: EntryRule) -> Option<Measured> {
    let h = usize::try_from(horizon).ok().filter(|h| *h > 0)?;
    let window = sessions.get(..h)?;
    let first = window[0];
    let entry = match (rule, levels) {
        (EntryRule::Zone, Some(l)) if first.open <= l.entry_high => Some(first.open),
        (EntryRule::Zone, Some(l)) if first.low <= l.entry_high => Some(l.entry_high),
        (EntryRule::Zone, Some(_)) => None,
        (EntryRule::Open | EntryRule::Zone, _) => Some(first.open),
    };
    let Some(entry) = entry else {
        return Some(Measured {
            entry: None,
            ret: 0.0,
            max_favourable: 0.0,
            max_adverse: 0.0,
            first_hit: FirstHit::NotEntered,
            days_held: 0,
        });
    };
    let base = entry.won() as f64;
    let rel = |p: Price| p.won() as f64 / base - 1.0;
    let (mut hi, mut lo) = (entry, entry);
    for (i, bar) in window.iter().enumerate() {
        hi = hi.max(bar.high);
        lo = lo.min(bar.low);
        let days_held = i as u32 + 1;
        let hit = levels.and_then(|l| {
            if bar.low <= l.stop {
                // A gap through the stop exits at the open, not at the stop.
                Some((FirstHit::Stop, if i > 0 { bar.open.min(l.stop) } else { l.stop.min(entry) }))
            } else if bar.high >= l.target {
                Some((FirstHit::Target, if i > 0 { bar.open.max(l.target) } else { l.target.max(entry) }))
            } else {
                None
            }
        });
        if let Some((first_hit, exit)) = hit {
            return Some(Measured {
                entry: Some(entry),
                ret: rel(exit),
                max_favourable: rel(hi),
                max_adverse: rel(lo),
                first_hit,
                days_held,
            });
        }
    }
    Some(Measured {
        entry: Some(entry),
        ret: rel(window[h - 1].close),
        max_favourable: rel(hi),
        max_adverse: rel(lo),
        first_hit: FirstHit::Neither,
        days_held: horizon,
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::{StockCode, Timestamp};

    fn bar(day: u32, o: i64, h: i64, l: i64, c: i64) -> Bar {
        let d = NaiveDate::from_ymd_opt(2024, 7, day).unwrap();
        Bar {
            code: StockCode::new("005930"),
            ts: Timestamp::daily_close(d),
            open: Price::new(o),
            high: Price::new(h),
            low: Price::new(l),
            close: Price::new(c),
            volume: 1_000,
        }
    }

    fn levels(entry_high: i64, stop: i64, target: i64) -> Option<Levels> {
        Some(Levels { entry_high: Price::new(entry_high), stop: Price::new(stop), target: Price::new(target) })
    }

    #[test]
    fn holds_to_the_horizon_close_when_no_level_is_reached() {
        let bars = [bar(1, 10_000, 10_300, 9_900, 10_200), bar(2, 10_200, 10_600, 10_100, 10_500)];
        let m = measure(&bars, 2, levels(10_000, 9_000, 11_000), EntryRule::Open).unwrap();
        assert_eq!(m.entry, Some(Price::new(10_000)));
        assert!((m.ret - 0.05).abs() < 1e-12);
        assert!((m.max_favourable - 0.06).abs() < 1e-12);
        assert!((m.max_adverse + 0.01).abs() < 1e-12);
        assert_eq!((m.first_hit, m.days_held), (FirstHit::Neither, 2));
    }

    #[test]
    fn target_first_exits_at_the_target_and_stops_reading() {
        let bars = [
            bar(1, 10_000, 10_100, 9_950, 10_050),
            bar(2, 10_050, 11_200, 10_000, 11_100),
            bar(3, 11_100, 11_100, 5_000, 5_000),
        ];
        let m = measure(&bars, 3, levels(10_000, 9_000, 11_000), EntryRule::Open).unwrap();
        assert_eq!((m.first_hit, m.days_held), (FirstHit::Target, 2));
        assert!((m.ret - 0.10).abs() < 1e-12);
        assert!((m.max_adverse + 0.005).abs() < 1e-12, "the crash after the exit is not read");
    }

    #[test]
    fn a_session_touching_both_levels_counts_the_stop_and_a_gap_exits_at_the_open() {
        let both = [bar(1, 10_000, 11_500, 8_500, 10_000)];
        let m = measure(&both, 1, levels(10_000, 9_000, 11_000), EntryRule::Open).unwrap();
        assert_eq!(m.first_hit, FirstHit::Stop);
        assert!((m.ret + 0.10).abs() < 1e-12);
        let gap = [bar(1, 10_000, 10_100, 9_900, 10_000), bar(2, 8_000, 8_200, 7_900, 8_100)];
        let m = measure(&gap, 2, levels(10_000, 9_000, 11_000), EntryRule::Open).unwrap();
        assert_eq!((m.first_hit, m.days_held), (FirstHit::Stop, 2));
        assert!((m.ret + 0.20).abs() < 1e-12);
    }

    #[test]
    fn zone_entry_fills_at_the_open_at_the_limit_or_not_at_all() {
        let below = [bar(1, 9_900, 10_100, 9_800, 10_000)];
        assert_eq!(
            measure(&below, 1, levels(10_000, 9_000, 11_000), EntryRule::Zone).unwrap().entry,
            Some(Price::new(9_900))
        );
        let through = [bar(1, 10_300, 10_400, 9_950, 10_100)];
        assert_eq!(
            measure(&through, 1, levels(10_000, 9_000, 11_000), EntryRule::Zone).unwrap().entry,
            Some(Price::new(10_000))
        );
        let above = [bar(1, 10_300, 10_400, 10_100, 10_200)];
        let m = measure(&above, 1, levels(10_000, 9_000, 11_000), EntryRule::Zone).unwrap();
        assert_eq!((m.entry, m.first_hit, m.days_held), (None, FirstHit::NotEntered, 0));
    }

    #[test]
    fn unknown_until_the_horizon_has_passed_and_never_reads_past_it() {
        let bars = [bar(1, 10_000, 10_100, 9_900, 10_000), bar(2, 10_000, 10_100, 9_900, 10_000)];
        assert_eq!(measure(&bars, 3, None, EntryRule::Open), None);
        assert_eq!(measure(&bars, 0, None, EntryRule::Open), None);
        let mut longer = bars.to_vec();
        longer.push(bar(3, 20_000, 30_000, 1_000, 25_000));
        assert_eq!(measure(&bars, 2, None, EntryRule::Open), measure(&longer, 2, None, EntryRule::Open));
    }
}
