//! The events worth telling someone about, typed, so every sender builds the same message and the
//! transport renders it in the configured language.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Level;
use crate::domain::{ClientOrderId, Money, Price, Qty, Side, StockCode, Timestamp};

/// What kind of event a notification reports (stored with every delivery).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// An order (partly) filled.
    Fill,
    /// The broker or the risk check refused an order.
    OrderRejected,
    /// A stop-loss fired.
    StopLoss,
    /// A take-profit target was reached.
    TargetHit,
    /// The emergency stop was set.
    EmergencyStop,
    /// The emergency stop was cleared.
    EmergencyCleared,
    /// A service stopped answering.
    ServiceDown,
    /// A service is back.
    ServiceRecovered,
    /// A scheduled job failed.
    JobFailed,
    /// Stocks entered (or left) a screen since its previous run.
    ScreenEntries,
    /// The end-of-day report.
    DailyReport,
    /// A test message (`hantu notify test`).
    Test,
    /// Free-form text.
    Text,
    /// A scheduled job did not run because its inputs are missing.
    JobSkipped,
    /// An alert a process recorded in the store (a learning degradation, …).
    Alert,
}

impl NotificationKind {
    /// Every kind, in declaration order.
    pub const ALL: [NotificationKind; 15] = [
        NotificationKind::Fill,
        NotificationKind::OrderRejected,
        NotificationKind::StopLoss,
        NotificationKind::TargetHit,
        NotificationKind::EmergencyStop,
        NotificationKind::EmergencyCleared,
        NotificationKind::ServiceDown,
        NotificationKind::ServiceRecovered,
        NotificationKind::JobFailed,
        NotificationKind::ScreenEntries,
        NotificationKind::DailyReport,
        NotificationKind::Test,
        NotificationKind::Text,
        NotificationKind::JobSkipped,
        NotificationKind::Alert,
    ];

    /// The stored name (`fill`, `order_rejected`, …).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Fill => "fill",
            NotificationKind::OrderRejected => "order_rejected",
            NotificationKind::StopLoss => "stop_loss",
            NotificationKind::TargetHit => "target_hit",
            NotificationKind::EmergencyStop => "emergency_stop",
            NotificationKind::EmergencyCleared => "emergency_cleared",
            NotificationKind::ServiceDown => "service_down",
            NotificationKind::ServiceRecovered => "service_recovered",
            NotificationKind::JobFailed => "job_failed",
            NotificationKind::ScreenEntries => "screen_entries",
            NotificationKind::DailyReport => "daily_report",
            NotificationKind::Test => "test",
            NotificationKind::Text => "text",
            NotificationKind::JobSkipped => "job_skipped",
            NotificationKind::Alert => "alert",
        }
    }

    /// Parses [`NotificationKind::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One stock on a screen-entry alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntryLine {
    /// The stock.
    pub code: StockCode,
    /// Its name, when known.
    pub name: Option<String>,
    /// Rank on the new list.
    pub rank: Option<u32>,
    /// Score on the new list.
    pub score: Option<f64>,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// An order (partly) filled.
    Fill {
        /// The order.
        client_id: ClientOrderId,
        /// The stock.
        code: StockCode,
        /// Its name, when known.
        name: Option<String>,
        /// Buy or sell.
        side: Side,
        /// Shares in this fill.
        qty: Qty,
        /// Execution price.
        price: Price,
        /// Realized P&L of a sale, net of its commission and tax, against the average cost of the
        /// shares sold (the trader fills it in for exits; `None` for entries and when unknown).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pnl: Option<Money>,
    },
    /// An order was refused.
    OrderRejected {
        /// The order.
        client_id: ClientOrderId,
        /// The stock.
        code: StockCode,
        /// Its name, when known.
        name: Option<String>,
        /// Buy or sell.
        side: Side,
        /// Shares asked.
        qty: Qty,
        /// Why.
        reason: String,
    },
    /// A stop-loss fired.
    StopLoss {
        /// The stock.
        code: StockCode,
        /// Its name, when known.
        name: Option<String>,
        /// Shares being sold.
        qty: Qty,
        /// The price that triggered it.
        price: Price,
        /// Return on the position at that price (-0.05 = -5%).
        return_pct: f64,
    },
    /// A take-profit target was reached.
    TargetHit {
        /// The stock.
        code: StockCode,
        /// Its name, when known.
        name: Option<String>,
        /// Shares being sold.
        qty: Qty,
        /// The price that triggered it.
        price: Price,
        /// Return on the position at that price (0.08 = +8%).
        return_pct: f64,
    },
    /// The emergency stop was set (`set`) or cleared.
    EmergencyStop {
        /// Set (true) or cleared (false).
        set: bool,
        /// Who did it.
        by: String,
        /// Why, if given.
        reason: Option<String>,
    },
    /// A service stopped answering.
    ServiceDown {
        /// Which (`trader`, `scheduler`, `api`, `kis`…).
        service: String,
        /// The error seen.
        error: String,
    },
    /// A service is back.
    ServiceRecovered {
        /// Which.
        service: String,
        /// How long it was down, in seconds, when known.
        down_secs: Option<u64>,
    },
    /// A scheduled job failed.
    JobFailed {
        /// The job's name.
        job: String,
        /// The error.
        error: String,
        /// Which attempt failed (1 = first).
        attempt: u32,
    },
    /// Stocks entered (and left) a screen since its previous run.
    ScreenEntries {
        /// The screen's name.
        screen: String,
        /// The day the screen was computed for.
        as_of: NaiveDate,
        /// New on the list.
        entered: Vec<EntryLine>,
        /// Gone from the list.
        exited: Vec<StockCode>,
    },
    /// The end-of-day report.
    DailyReport {
        /// Trading day.
        date: NaiveDate,
        /// Cash plus holdings at the close.
        equity: Money,
        /// Cash.
        cash: Money,
        /// The day's P&L net of costs.
        pnl: Money,
        /// The day's return (0.01 = +1%), when the start equity is known.
        return_pct: Option<f64>,
        /// Fills today.
        fills: u32,
        /// Round trips closed with a gain.
        wins: u32,
        /// Round trips closed with a loss.
        losses: u32,
        /// Stocks held at the close.
        positions: u32,
    },
    /// A test message.
    Test {
        /// Who sent it (host or command).
        from: String,
    },
    /// Free-form text.
    Text {
        /// One-line title.
        title: String,
        /// Body.
        body: String,
    },
    /// A scheduled job did not run because its inputs are missing (no picks today).
    JobSkipped {
        /// The job's name.
        job: String,
        /// What is missing.
        reason: String,
    },
    /// An alert a process recorded in the store's events (a learning degradation, …).
    Alert {
        /// Who recorded it (`learn`, …).
        source: String,
        /// What it says.
        text: String,
    },
}

impl Message {
    /// The message of a fill (`name`: the stock's name, when known).
    #[must_use]
    pub fn fill(f: &crate::domain::Fill, name: Option<String>) -> Self {
        Message::Fill {
            client_id: f.client_id.clone(),
            code: f.code,
            name,
            side: f.side,
            qty: f.qty,
            price: f.price,
            pnl: None,
        }
    }

    /// The message of a sale that closed (part of) a position, with its realized P&L.
    #[must_use]
    pub fn exit_fill(f: &crate::domain::Fill, name: Option<String>, pnl: Money) -> Self {
        let mut m = Self::fill(f, name);
        if let Message::Fill { pnl: p, .. } = &mut m {
            *p = Some(pnl);
        }
        m
    }

    /// The message of a refused order (the order's reason, or "rejected").
    #[must_use]
    pub fn order_rejected(o: &crate::domain::Order, name: Option<String>) -> Self {
        Message::OrderRejected {
            client_id: o.client_id.clone(),
            code: o.request.code,
            name,
            side: o.request.side,
            qty: o.request.qty,
            reason: o.reason.clone().unwrap_or_else(|| "rejected".to_owned()),
        }
    }

    /// The alert for a screen run compared with the previous one: the stocks that entered (with
    /// name, rank and score from `result`) and, when `exits`, those that left. `None` when there is
    /// nothing to tell.
    #[must_use]
    pub fn screen_entries(
        result: &crate::screen::ScreenResult,
        diff: &crate::screen::WatchlistDiff,
        exits: bool,
    ) -> Option<Self> {
        let exited = if exits { diff.exited.clone() } else { Vec::new() };
        if diff.entered.is_empty() && exited.is_empty() {
            return None;
        }
        let mut entered: Vec<EntryLine> = diff
            .entered
            .iter()
            .map(|code| {
                let e = result.entries.iter().find(|e| e.code == *code);
                EntryLine {
                    code: *code,
                    name: e.map(|e| e.name.clone()).filter(|n| !n.is_empty()),
                    rank: e.and_then(|e| u32::try_from(e.rank).ok()),
                    score: e.and_then(|e| e.score),
                }
            })
            .collect();
        entered.sort_by_key(|e| (e.rank.unwrap_or(u32::MAX), e.code));
        Some(Message::ScreenEntries { screen: result.screen.clone(), as_of: result.as_of, entered, exited })
    }

    /// Its kind.
    #[must_use]
    pub fn kind(&self) -> NotificationKind {
        match self {
            Message::Fill { .. } => NotificationKind::Fill,
            Message::OrderRejected { .. } => NotificationKind::OrderRejected,
            Message::StopLoss { .. } => NotificationKind::StopLoss,
            Message::TargetHit { .. } => NotificationKind::TargetHit,
            Message::EmergencyStop { set: true, .. } => NotificationKind::EmergencyStop,
            Message::EmergencyStop { set: false, .. } => NotificationKind::EmergencyCleared,
            Message::ServiceDown { .. } => NotificationKind::ServiceDown,
            Message::ServiceRecovered { .. } => NotificationKind::ServiceRecovered,
            Message::JobFailed { .. } => NotificationKind::JobFailed,
            Message::ScreenEntries { .. } => NotificationKind::ScreenEntries,
            Message::DailyReport { .. } => NotificationKind::DailyReport,
            Message::Test { .. } => NotificationKind::Test,
            Message::Text { .. } => NotificationKind::Text,
            Message::JobSkipped { .. } => NotificationKind::JobSkipped,
            Message::Alert { .. } => NotificationKind::Alert,
        }
    }

    /// How urgent it is unless the sender says otherwise.
    #[must_use]
    pub fn default_level(&self) -> Level {
        match self.kind() {
            NotificationKind::Fill
            | NotificationKind::TargetHit
            | NotificationKind::EmergencyCleared
            | NotificationKind::ServiceRecovered
            | NotificationKind::ScreenEntries
            | NotificationKind::DailyReport
            | NotificationKind::Test
            | NotificationKind::Text
            | NotificationKind::JobSkipped => Level::Info,
            NotificationKind::OrderRejected
            | NotificationKind::StopLoss
            | NotificationKind::JobFailed
            | NotificationKind::Alert => Level::Warning,
            NotificationKind::EmergencyStop | NotificationKind::ServiceDown => Level::Critical,
        }
    }

    /// The key that makes a second report of the same event a duplicate, so a restarted process
    /// does not resend today's fills. Events that are one-off by nature carry their time; test and
    /// free-form messages have none.
    ///
    /// A screen alert's key is the screen, the day and the set of stocks that entered: a watch loop
    /// that sees the same stock leave and come back on the same day does not alert twice.
    #[must_use]
    pub fn dedup_key(&self, ts: Timestamp) -> Option<String> {
        let ms = ts.millis();
        Some(match self {
            Message::Fill { client_id, qty, price, .. } => format!("fill:{client_id}:{ms}:{qty}@{price}"),
            Message::OrderRejected { client_id, .. } => format!("rejected:{client_id}"),
            Message::StopLoss { code, .. } => format!("stop_loss:{code}:{}", ts.kst_date()),
            Message::TargetHit { code, .. } => format!("target_hit:{code}:{}", ts.kst_date()),
            Message::EmergencyStop { set, .. } => format!("emergency:{}:{ms}", if *set { "set" } else { "cleared" }),
            Message::ServiceDown { service, .. } => format!("service_down:{service}:{ms}"),
            Message::ServiceRecovered { service, .. } => format!("service_recovered:{service}:{ms}"),
            Message::JobFailed { job, attempt, .. } => format!("job_failed:{job}:{ms}:{attempt}"),
            Message::ScreenEntries { screen, as_of, entered, exited } => {
                let mut codes: Vec<&str> = entered.iter().map(|e| e.code.as_str()).collect();
                codes.sort_unstable();
                let mut gone: Vec<&str> = exited.iter().map(StockCode::as_str).collect();
                gone.sort_unstable();
                format!("screen:{screen}:{as_of}:+{}:-{}", codes.join(","), gone.join(","))
            }
            Message::DailyReport { date, .. } => format!("daily_report:{date}"),
            // Once per job and day: a skipped step is worth one message, not one per retry.
            Message::JobSkipped { job, .. } => format!("job_skipped:{job}:{}", ts.kst_date()),
            Message::Alert { source, text } => format!("alert:{source}:{ms}:{text}"),
            Message::Test { .. } | Message::Text { .. } => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> StockCode {
        s.parse().unwrap()
    }

    #[test]
    fn kinds_round_trip_and_are_unique() {
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(k.as_str()), Some(k));
        }
        let mut names: Vec<_> = NotificationKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), NotificationKind::ALL.len());
    }

    #[test]
    fn the_same_fill_has_the_same_key_and_another_fill_another() {
        let fill = |qty| Message::Fill {
            client_id: "O1".parse().unwrap(),
            code: code("005930"),
            name: None,
            side: Side::Buy,
            qty: Qty::from_shares(qty),
            price: Price::new(71_000),
            pnl: None,
        };
        let ts = Timestamp::from_millis(1_000);
        assert_eq!(fill(10).dedup_key(ts), fill(10).dedup_key(ts));
        assert_ne!(fill(10).dedup_key(ts), fill(5).dedup_key(ts));
        assert_ne!(fill(10).dedup_key(ts), fill(10).dedup_key(Timestamp::from_millis(2_000)));
    }

    #[test]
    fn a_fill_read_back_from_the_store_gives_the_same_key() {
        let f = crate::domain::Fill {
            client_id: ClientOrderId::from_seq("T", 3),
            code: code("005930"),
            side: Side::Sell,
            qty: Qty::from_shares(4),
            price: Price::new(70_000),
            commission: crate::domain::Money::from_won(10),
            tax: crate::domain::Money::from_won(20),
            ts: Timestamp::from_millis(9_000),
        };
        let again = f.clone();
        assert_eq!(
            Message::fill(&f, None).dedup_key(f.ts),
            Message::fill(&again, Some("삼성전자".into())).dedup_key(again.ts)
        );
        assert_eq!(Message::fill(&f, None).kind(), NotificationKind::Fill);
    }

    #[test]
    fn screen_keys_ignore_order_and_differ_by_day() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let line = |c| EntryLine { code: code(c), name: None, rank: None, score: None };
        let m = |entered: Vec<EntryLine>, as_of| Message::ScreenEntries {
            screen: "momentum".into(),
            as_of,
            entered,
            exited: vec![],
        };
        let ts = Timestamp::from_millis(0);
        assert_eq!(
            m(vec![line("005930"), line("000660")], day).dedup_key(ts),
            m(vec![line("000660"), line("005930")], day).dedup_key(ts)
        );
        assert_ne!(
            m(vec![line("005930")], day).dedup_key(ts),
            m(vec![line("005930")], day.succ_opt().unwrap()).dedup_key(ts)
        );
    }

    #[test]
    fn default_levels_follow_urgency() {
        let down = Message::ServiceDown { service: "trader".into(), error: "x".into() };
        assert_eq!(down.default_level(), Level::Critical);
        assert_eq!(Message::Test { from: "t".into() }.default_level(), Level::Info);
        assert_eq!(Message::Test { from: "t".into() }.dedup_key(Timestamp::from_millis(0)), None);
    }
}
