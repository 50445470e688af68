//! A feed that replays recorded or scripted events, moving a [`SimClock`] to each event's time: tests
//! of the trader, and replays of a recorded session.

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;

use super::{Feed, FeedError, FeedEvent, Subscription};
use crate::clock::SimClock;
use crate::domain::Timestamp;

/// Replays events in order; the clock (if given) is set to each event's time before it is delivered.
/// Subscriptions are recorded; events are delivered whatever was subscribed.
#[derive(Debug, Default)]
pub struct ReplayFeed {
    events: VecDeque<FeedEvent>,
    clock: Option<Arc<SimClock>>,
    subscriptions: Vec<Subscription>,
}

impl ReplayFeed {
    /// A feed over `events`.
    #[must_use]
    pub fn new(events: impl IntoIterator<Item = FeedEvent>) -> Self {
        Self { events: events.into_iter().collect(), clock: None, subscriptions: Vec::new() }
    }

    /// Moves `clock` to each event's time as it is delivered.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<SimClock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Adds events at the end.
    pub fn push(&mut self, event: FeedEvent) {
        self.events.push_back(event);
    }

    /// Events not yet delivered.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.events.len()
    }

    /// What was subscribed.
    #[must_use]
    pub fn subscriptions(&self) -> &[Subscription] {
        &self.subscriptions
    }

    /// The time an event happened, when it carries one.
    #[must_use]
    pub fn event_time(event: &FeedEvent) -> Option<Timestamp> {
        match event {
            FeedEvent::Trade(t) => Some(t.tick.ts),
            FeedEvent::Book(b) => Some(b.ts),
            FeedEvent::Notice(n) => Some(n.ts),
            FeedEvent::Gap(g) => Some(g.to),
            FeedEvent::Connected { .. }
            | FeedEvent::Disconnected { .. }
            | FeedEvent::Lagging { .. }
            | FeedEvent::Unsubscribed { .. }
            | FeedEvent::Malformed { .. } => None,
        }
    }
}

#[async_trait]
impl Feed for ReplayFeed {
    async fn subscribe(&mut self, subscription: Subscription) -> Result<(), FeedError> {
        if !self.subscriptions.contains(&subscription) {
            self.subscriptions.push(subscription);
        }
        Ok(())
    }

    async fn unsubscribe(&mut self, subscription: Subscription) -> Result<(), FeedError> {
        self.subscriptions.retain(|s| *s != subscription);
        Ok(())
    }

    async fn next_event(&mut self) -> Option<FeedEvent> {
        let ev = self.events.pop_front()?;
        if let (Some(clock), Some(ts)) = (&self.clock, Self::event_time(&ev)) {
            clock.set(ts);
        }
        Some(ev)
    }
}
