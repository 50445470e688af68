//! [`KisFeed`]: the KIS WebSocket behind `hantu_core::realtime::Feed`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use hantu_core::realtime::{Feed, FeedError, FeedEvent, Subscription};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::backoff::Backoff;
use super::budget::KIS_REGISTRATION_BUDGET;
use super::session::{Cmd, Session};
use crate::auth::{ApprovalKeys, approval_cache_path};
use crate::{Environment, KisClient};

/// How a [`KisFeed`] connects and behaves. Start from [`FeedConfig::for_client`].
#[derive(Clone, Debug)]
pub struct FeedConfig {
    /// WebSocket URL (the environment's, or the local server's).
    pub ws_url: String,
    /// The account's HTS id: the `tr_key` of order and fill notices (H0STCNI0/H0STCNI9).
    pub hts_id: Option<String>,
    /// Registrations per session (KIS: 41).
    pub budget: usize,
    /// A socket with no frame (data, PINGPONG or ping) for this long counts as dead.
    pub silence: Duration,
    /// Reconnect delays.
    pub backoff: Backoff,
    /// Events buffered for the consumer before it counts as slow.
    pub capacity: usize,
    /// Recover missed trades over REST after a gap.
    pub gap_fill: bool,
    /// How long a subscribe or unsubscribe waits for the server's reply.
    pub ack_timeout: Duration,
    /// Approval-key cache file (0600); `None` keeps it in memory.
    pub approval_cache: Option<PathBuf>,
}

impl FeedConfig {
    /// Defaults for `env`: its WebSocket host, a budget of 41, 120 s of silence before reconnecting
    /// (KIS pings every 20–110 s), backoff 0.5 s doubling to 30 s, 8,192 buffered events, gap-fill on.
    #[must_use]
    pub fn new(env: Environment) -> Self {
        Self {
            ws_url: env.ws_url().to_owned(),
            hts_id: None,
            budget: KIS_REGISTRATION_BUDGET,
            silence: Duration::from_secs(120),
            backoff: Backoff::default(),
            capacity: 8_192,
            gap_fill: true,
            ack_timeout: Duration::from_secs(10),
            approval_cache: None,
        }
    }

    /// Defaults for `client`'s environment, with the approval key cached next to its token cache.
    #[must_use]
    pub fn for_client(client: &KisClient) -> Self {
        let c = client.config();
        Self { approval_cache: c.token_cache.as_deref().map(approval_cache_path), ..Self::new(c.env) }
    }

    /// Overrides the WebSocket URL (the local server's, in tests and `--sandbox`).
    #[must_use]
    pub fn with_ws_url(mut self, url: impl Into<String>) -> Self {
        self.ws_url = url.into();
        self
    }

    /// Sets the HTS id for notices.
    #[must_use]
    pub fn with_hts_id(mut self, hts_id: impl Into<String>) -> Self {
        self.hts_id = Some(hts_id.into());
        self
    }

    /// Sets the silence after which the socket counts as dead.
    #[must_use]
    pub fn with_silence(mut self, silence: Duration) -> Self {
        self.silence = silence;
        self
    }

    /// Sets the reconnect backoff.
    #[must_use]
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets the consumer buffer.
    #[must_use]
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(2);
        self
    }

    /// Sets the registration budget.
    #[must_use]
    pub fn with_budget(mut self, budget: usize) -> Self {
        self.budget = budget;
        self
    }

    /// Turns gap-fill on or off.
    #[must_use]
    pub fn with_gap_fill(mut self, on: bool) -> Self {
        self.gap_fill = on;
        self
    }
}

/// Counters of a feed, shared with its connection task.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) reconnects: AtomicU64,
    pub(super) dropped_books: AtomicU64,
    pub(super) duplicates: AtomicU64,
    pub(super) malformed: AtomicU64,
    pub(super) gaps: AtomicU64,
    pub(super) recovered: AtomicU64,
    pub(super) shortfall: AtomicU64,
}

/// What a feed has been through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Successful reconnects.
    pub reconnects: u64,
    /// Book snapshots dropped for a slow consumer.
    pub dropped_books: u64,
    /// Trades received again and not delivered (duplicate frames, overlap with gap-fill).
    pub duplicates: u64,
    /// Frames skipped as malformed.
    pub malformed: u64,
    /// Per-code gaps detected (by cumulative volume).
    pub gaps: u64,
    /// Trades recovered over REST and delivered.
    pub recovered: u64,
    /// Shares missed that REST could not recover (the gap was longer than its list).
    pub shortfall: u64,
}

/// The KIS real-time feed: one WebSocket session per app key, run by a background task that answers
/// PINGPONG, reconnects with jittered backoff, re-subscribes, and gap-fills over REST. Read it through
/// [`Feed`].
///
/// ```no_run
/// # async fn demo(client: hantu_kis::KisClient) -> Result<(), Box<dyn std::error::Error>> {
/// use hantu_core::realtime::{Channel, Feed, Subscription};
/// use hantu_kis::ws::{FeedConfig, KisFeed};
/// let mut feed = KisFeed::connect(client.clone(), FeedConfig::for_client(&client)).await?;
/// feed.subscribe(Subscription { channel: Channel::Trades, code: Some("005930".parse()?), priority: 5 }).await?;
/// while let Some(event) = feed.next_event().await {
///     println!("{event:?}");
/// }
/// # Ok(()) }
/// ```
pub struct KisFeed {
    cmds: mpsc::Sender<Cmd>,
    events: mpsc::Receiver<FeedEvent>,
    counters: Arc<Counters>,
    ack_timeout: Duration,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for KisFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KisFeed").field("stats", &self.stats()).finish_non_exhaustive()
    }
}

impl KisFeed {
    /// Gets an approval key and opens the WebSocket.
    ///
    /// # Errors
    /// [`FeedError::Unavailable`] when the approval key cannot be had or the socket cannot be opened.
    pub async fn connect(client: KisClient, config: FeedConfig) -> Result<Self, FeedError> {
        let approval = Arc::new(ApprovalKeys::new(&client, config.approval_cache.clone()));
        let counters = Arc::new(Counters::default());
        let (ev_tx, events) = mpsc::channel(config.capacity.max(2));
        let (cmds, cmd_rx) = mpsc::channel(64);
        let ack_timeout = config.ack_timeout;
        let mut session = Session::new(client, config, approval, ev_tx, counters.clone());
        let ws = session.open().await.map_err(FeedError::Unavailable)?;
        let task = tokio::spawn(session.run(ws, cmd_rx));
        Ok(Self { cmds, events, counters, ack_timeout, task: Some(task) })
    }

    /// The counters so far.
    #[must_use]
    pub fn stats(&self) -> FeedStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        FeedStats {
            reconnects: get(&c.reconnects),
            dropped_books: get(&c.dropped_books),
            duplicates: get(&c.duplicates),
            malformed: get(&c.malformed),
            gaps: get(&c.gaps),
            recovered: get(&c.recovered),
            shortfall: get(&c.shortfall),
        }
    }

    /// Closes the socket and waits for the connection task to end.
    pub async fn close(mut self) {
        let (tx, rx) = oneshot::channel();
        if self.cmds.send(Cmd::Close(tx)).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), rx).await;
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    async fn request(&self, make: impl FnOnce(oneshot::Sender<Result<(), FeedError>>) -> Cmd) -> Result<(), FeedError> {
        let (tx, rx) = oneshot::channel();
        self.cmds.send(make(tx)).await.map_err(|_| FeedError::Closed)?;
        match tokio::time::timeout(self.ack_timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(FeedError::Closed),
            Err(_) => Err(FeedError::Unavailable(format!("no reply from the server within {:?}", self.ack_timeout))),
        }
    }
}

impl Drop for KisFeed {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[async_trait]
impl Feed for KisFeed {
    async fn subscribe(&mut self, subscription: Subscription) -> Result<(), FeedError> {
        self.request(|tx| Cmd::Subscribe(subscription, tx)).await
    }

    async fn unsubscribe(&mut self, subscription: Subscription) -> Result<(), FeedError> {
        self.request(|tx| Cmd::Unsubscribe(subscription, tx)).await
    }

    async fn next_event(&mut self) -> Option<FeedEvent> {
        self.events.recv().await
    }
}
