//! KRX market rules as dated data: tick sizes, daily price limits, sessions and the holiday
//! calendar, transaction tax and commission. Each table's boundaries are pinned by tests.
//!
//! Sources: the KIS reference (`kis/KIS_API.md` §10) and the KRX data notes.

mod calendar;
mod calendar_data;
mod fees;
mod limits;
mod tick;

pub use calendar::{CALENDAR_YEARS, KrxCalendar, Session, TradingHours};
pub use fees::{FeeModel, transaction_tax_rate};
pub use limits::{LIMIT_30_FROM, limit_pct, price_limits};
pub use tick::{TICK_TABLE_2023_FROM, TickTable, tick_size};

/// Settlement lag of KRX equity trades, in trading days.
pub const SETTLEMENT_DAYS: u32 = 2;
