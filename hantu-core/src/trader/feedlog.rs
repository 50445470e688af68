//! What the feed went through, as store events: every reconnect, disconnect, gap (with what its
//! gap-fill recovered over REST), slow-consumer report and lost subscription becomes one row of
//! source [`FEED_SOURCE`], so the HTTP API's metrics (`hantu_ws_reconnects_total`,
//! `hantu_ws_gaps_total`) and anyone reading the store later see them.
//!
//! | feed event | `detail.event` | kind | other detail fields |
//! |---|---|---|---|
//! | `Connected { attempt > 0 }` | `reconnect` | alert | `attempt` |
//! | `Disconnected` | `disconnect` | error | `reason` |
//! | `Gap` | `gap` | alert | `code` (`null`: the whole connection), `from`, `to`, `recovered` |
//! | `Lagging` | `slow_consumer` | alert | `dropped_books` |
//! | `Unsubscribed` | `unsubscribed` | alert | `channel`, `code`, `reason` |
//!
//! The first connection, trades, books, notices and malformed frames (logged) are not recorded.

use serde_json::json;

use crate::domain::Timestamp;
use crate::realtime::FeedEvent;
use crate::store::{EventKind, EventRecord};

/// The event source of feed rows (what the metrics read).
pub const FEED_SOURCE: &str = "ws";

/// The store row for `ev` at `now`, if it is one worth keeping.
#[must_use]
pub fn feed_record(ev: &FeedEvent, now: Timestamp) -> Option<EventRecord> {
    let (kind, message, detail) = match ev {
        FeedEvent::Connected { attempt } if *attempt > 0 => (
            EventKind::Alert,
            format!("feed reconnected (attempt {attempt})"),
            json!({ "event": "reconnect", "attempt": attempt }),
        ),
        FeedEvent::Disconnected { reason } => (
            EventKind::Error,
            format!("feed disconnected: {reason}"),
            json!({ "event": "disconnect", "reason": reason }),
        ),
        FeedEvent::Gap(g) => {
            let scope = g.code.map_or_else(|| "the connection".to_owned(), |c| c.to_string());
            (
                EventKind::Alert,
                format!("feed gap in {scope}, {} trades recovered over REST", g.recovered),
                json!({
                    "event": "gap",
                    "code": g.code,
                    "from": g.from,
                    "to": g.to,
                    "recovered": g.recovered,
                }),
            )
        }
        FeedEvent::Lagging { dropped_books } => (
            EventKind::Alert,
            format!("feed consumer behind: {dropped_books} book snapshots dropped so far"),
            json!({ "event": "slow_consumer", "dropped_books": dropped_books }),
        ),
        FeedEvent::Unsubscribed { subscription, reason } => (
            EventKind::Alert,
            format!(
                "feed dropped {:?}{}: {reason}",
                subscription.channel,
                subscription.code.map_or_else(String::new, |c| format!(" {c}"))
            ),
            json!({
                "event": "unsubscribed",
                "channel": subscription.channel,
                "code": subscription.code,
                "reason": reason,
            }),
        ),
        FeedEvent::Connected { .. }
        | FeedEvent::Trade(_)
        | FeedEvent::Book(_)
        | FeedEvent::Notice(_)
        | FeedEvent::Malformed { .. } => return None,
    };
    Some(EventRecord { ts: now, kind, source: FEED_SOURCE.to_owned(), message, detail })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::{Channel, Gap, Subscription};

    #[test]
    fn each_feed_incident_is_one_row_with_the_metrics_fields() {
        let now = Timestamp::from_millis(5_000);
        let code = "005930".parse().unwrap();
        let gap = FeedEvent::Gap(Gap { code: Some(code), from: Timestamp::from_millis(1), to: now, recovered: 7 });
        let rows: Vec<EventRecord> = [
            FeedEvent::Connected { attempt: 0 },
            FeedEvent::Connected { attempt: 2 },
            FeedEvent::Disconnected { reason: "closed by the server".into() },
            gap,
            FeedEvent::Lagging { dropped_books: 3 },
            FeedEvent::Unsubscribed {
                subscription: Subscription { channel: Channel::Trades, code: Some(code), priority: 1 },
                reason: "OPSP0008 MAX SUBSCRIBE OVER".into(),
            },
            FeedEvent::Malformed { field: "x".into(), reason: "y".into() },
        ]
        .iter()
        .filter_map(|e| feed_record(e, now))
        .collect();
        let events: Vec<&str> = rows.iter().map(|r| r.detail["event"].as_str().unwrap()).collect();
        assert_eq!(events, ["reconnect", "disconnect", "gap", "slow_consumer", "unsubscribed"]);
        assert!(rows.iter().all(|r| r.source == "ws" && r.ts == now));
        assert_eq!(rows[0].detail["attempt"], 2);
        assert_eq!(rows[2].detail["recovered"], 7);
        assert_eq!(rows[2].detail["code"], "005930");
        assert_eq!(rows[1].kind, EventKind::Error);
    }
}
