//! The day's report as a notification: what `/daily` answers in the Telegram bot and what the
//! scheduler's after-close step (`hantu schedule report --notify`) sends to every channel.

use hantu_core::control::trader_status;
use hantu_core::domain::{Money, Timestamp};
use hantu_core::notify::Message;
use hantu_core::store::{Store, StoreError};

use super::bot::profit::realised;

/// A trader status older than this is not live (the trader is not running).
pub const STALE_MS: i64 = 15_000;

/// The day's report at `now` (KST day): equity, cash and P&L from the trader's status when it is
/// live, else the realised P&L of today's fills; and whether the trader was live.
///
/// # Errors
/// If the store cannot be read.
pub fn daily_report(store: &dyn Store, now: Timestamp) -> Result<(Message, bool), StoreError> {
    let day_start = Timestamp::from_millis(now.millis() - now.kst_ms_of_day());
    let r = realised(&store.fills_since(Timestamp::from_millis(0))?, day_start);
    let live = trader_status(store)?.filter(|s| now.millis() - s.heartbeat.millis() <= STALE_MS);
    let (equity, cash, pnl, positions) = match &live {
        Some(s) => (s.equity, s.cash, s.pnl_today, u32::try_from(s.positions.len()).unwrap_or(u32::MAX)),
        None => (Money::ZERO, Money::ZERO, r.pnl, 0),
    };
    let start = equity - pnl;
    let return_pct =
        (live.is_some() && !start.is_negative() && start != Money::ZERO).then(|| pnl.to_f64() / start.to_f64());
    let msg = Message::DailyReport {
        date: now.kst_date(),
        equity,
        cash,
        pnl,
        return_pct,
        fills: r.fills,
        wins: r.wins,
        losses: r.losses,
        positions,
    };
    Ok((msg, live.is_some()))
}
