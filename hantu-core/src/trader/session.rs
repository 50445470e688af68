//! KRX session gates: which orders the trader lets out in which session, and what it does with
//! orders still working at the close.
//!
//! | session (KST, normal day) | day limit / market | IOC / FOK |
//! |---|---|---|
//! | opening auction 08:30–09:00 | yes | no (KRX takes IOC/FOK in continuous trading only) |
//! | regular 09:00–15:20 | yes | yes |
//! | closing auction 15:20–15:30 | yes | no |
//! | after-hours close 15:40–16:00, single price 16:00–18:00 | no: they need their own order types (시간외 종가 / 단일가), which the engine does not place | no |
//! | closed, weekends, KRX holidays | no | no |
//!
//! Late-opening days (first trading day of the year, CSAT day) move every session with the open, as
//! [`KrxCalendar::session_at`] does.
//!
//! **At the close** (the first moment after the closing auction of a trading day) the trader cancels
//! every day order still working at the broker, then reconciles, so each one ends in the journal as
//! cancelled (or expired, or filled if the auction filled it first) with the broker's word. Nothing is
//! carried to the next day. The day's report is written then.

use crate::domain::{OrderKind, OrderRequest, TimeInForce, Timestamp};
use crate::krx::{KrxCalendar, Session};

/// Whether `request` may be sent during `session`.
#[must_use]
pub fn allows(session: Session, request: &OrderRequest) -> bool {
    let day_order = request.tif == TimeInForce::Day && matches!(request.kind, OrderKind::Limit(_) | OrderKind::Market);
    match session {
        Session::Regular => true,
        Session::OpeningAuction | Session::ClosingAuction => day_order,
        Session::AfterHoursClose | Session::AfterHoursSingle | Session::Closed => false,
    }
}

/// Whether the price monitor may sell at `session` (its exits are day market orders).
#[must_use]
pub const fn exits_allowed(session: Session) -> bool {
    matches!(session, Session::Regular | Session::ClosingAuction)
}

/// Where the trader is in the trading day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayPhase {
    /// Not a trading day, or before the opening auction.
    BeforeOpen,
    /// Between the opening auction's start and the closing auction's end.
    Open,
    /// After the closing auction of a trading day.
    AfterClose,
}

/// The phase of the day at `ts`.
#[must_use]
pub fn phase(ts: Timestamp) -> DayPhase {
    let dt = ts.kst_datetime();
    let Some(h) = KrxCalendar::hours(dt.date()) else { return DayPhase::BeforeOpen };
    let t = dt.time();
    if t < h.open - chrono::Duration::minutes(30) {
        DayPhase::BeforeOpen
    } else if t < h.close {
        DayPhase::Open
    } else {
        DayPhase::AfterClose
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::{Price, Qty, Side, StockCode};

    #[test]
    fn gates_by_session_and_order_type() {
        let code = StockCode::new("005930");
        let market = OrderRequest::market(code, Side::Buy, Qty::from_shares(1)).unwrap();
        let ioc = OrderRequest::new_checked(
            code,
            Side::Buy,
            Qty::from_shares(1),
            OrderKind::Limit(Price::new(100)),
            TimeInForce::Ioc,
        )
        .unwrap();
        assert!(allows(Session::Regular, &market) && allows(Session::Regular, &ioc));
        assert!(allows(Session::OpeningAuction, &market) && !allows(Session::OpeningAuction, &ioc));
        assert!(allows(Session::ClosingAuction, &market) && !allows(Session::ClosingAuction, &ioc));
        for s in [Session::Closed, Session::AfterHoursClose, Session::AfterHoursSingle] {
            assert!(!allows(s, &market));
        }
    }

    #[test]
    fn phases_follow_the_calendar() {
        let d = NaiveDate::from_ymd_opt(2025, 7, 25).unwrap();
        assert_eq!(phase(Timestamp::kst(d, 8, 0)), DayPhase::BeforeOpen);
        assert_eq!(phase(Timestamp::kst(d, 8, 30)), DayPhase::Open);
        assert_eq!(phase(Timestamp::kst(d, 15, 29)), DayPhase::Open);
        assert_eq!(phase(Timestamp::kst(d, 15, 30)), DayPhase::AfterClose);
        let holiday = NaiveDate::from_ymd_opt(2025, 10, 6).unwrap();
        assert_eq!(phase(Timestamp::kst(holiday, 10, 0)), DayPhase::BeforeOpen);
    }
}
