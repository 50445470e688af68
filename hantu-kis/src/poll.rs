//! A [`Feed`] over REST quotes: each subscribed code's current price, polled at an interval.
//!
//! It stands in for the WebSocket where a socket is not available (a network that blocks it, an
//! account over its registration budget) and keeps the trader's crash tests independent of the
//! socket. It sees only the prices at each poll, not every trade: a print is emitted when a code's
//! price or cumulative volume changed since the last poll (`cum_volume` 0: polls cannot order
//! trades). It never sends notices; the trader then learns fills by reconciling.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hantu_core::data::MarketData;
use hantu_core::domain::{StockCode, Tick};
use hantu_core::realtime::{Channel, Feed, FeedError, FeedEvent, Subscription, Trade};

/// Polls quotes of the subscribed codes. `next_event` is cancel-safe: a poll in progress that is
/// dropped loses nothing but that poll.
pub struct PollFeed {
    source: Arc<dyn MarketData>,
    every: Duration,
    codes: Vec<StockCode>,
    last: BTreeMap<StockCode, (i64, u64)>,
    queue: VecDeque<FeedEvent>,
    connected: bool,
    failing: bool,
    next_at: Option<tokio::time::Instant>,
}

impl PollFeed {
    /// A feed polling `source` every `every`.
    #[must_use]
    pub fn new(source: Arc<dyn MarketData>, every: Duration) -> Self {
        Self {
            source,
            every,
            codes: Vec::new(),
            last: BTreeMap::new(),
            queue: VecDeque::new(),
            connected: false,
            failing: false,
            next_at: None,
        }
    }

    async fn poll(&mut self) {
        for code in self.codes.clone() {
            match self.source.quote(code).await {
                Ok(q) => {
                    if self.failing {
                        self.failing = false;
                        self.queue.push_back(FeedEvent::Connected { attempt: 1 });
                    }
                    let seen = (q.last.won(), q.volume);
                    let before = self.last.insert(code, seen);
                    if before != Some(seen) {
                        let qty = before.map_or(0, |(_, v)| q.volume.saturating_sub(v));
                        self.queue.push_back(FeedEvent::Trade(Trade {
                            tick: Tick { code, ts: q.ts, price: q.last, qty },
                            cum_volume: 0,
                        }));
                    }
                }
                Err(e) => {
                    if !self.failing {
                        self.failing = true;
                        self.queue.push_back(FeedEvent::Disconnected { reason: e.to_string() });
                    }
                    tracing::warn!(%code, error = %e, "Quote poll failed");
                }
            }
        }
    }
}

#[async_trait]
impl Feed for PollFeed {
    async fn subscribe(&mut self, subscription: Subscription) -> Result<(), FeedError> {
        if let (Channel::Trades, Some(code)) = (subscription.channel, subscription.code) {
            if !self.codes.contains(&code) {
                self.codes.push(code);
            }
        }
        Ok(())
    }

    async fn unsubscribe(&mut self, subscription: Subscription) -> Result<(), FeedError> {
        if let Some(code) = subscription.code {
            self.codes.retain(|c| *c != code);
        }
        Ok(())
    }

    async fn next_event(&mut self) -> Option<FeedEvent> {
        if !self.connected {
            self.connected = true;
            return Some(FeedEvent::Connected { attempt: 0 });
        }
        loop {
            if let Some(ev) = self.queue.pop_front() {
                return Some(ev);
            }
            // A deadline, not a fresh sleep per call: a caller that times out often still gets polls.
            let at = *self.next_at.get_or_insert_with(|| tokio::time::Instant::now() + self.every);
            tokio::time::sleep_until(at).await;
            self.next_at = Some(tokio::time::Instant::now() + self.every);
            self.poll().await;
        }
    }
}
