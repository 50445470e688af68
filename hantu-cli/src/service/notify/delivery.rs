//! The delivery queue: the engine hands a notification over without waiting, each channel has its
//! own bounded queue and task (a slow or failing channel never holds up another), its own minimum
//! level and pace, retries with backoff (honouring the server's own wait on 429), and every
//! delivery is claimed in the store first (a duplicate by dedup key is skipped, across restarts)
//! and finished there as `sent` or `failed` with its attempts and last error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hantu_core::domain::Timestamp;
use hantu_core::notify::{DeliveryStatus, Lang, Level, Notification, NotificationRecord, Notifier};
use hantu_core::store::{Store, StoreError};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::transport::{SendError, Transport};

/// The longest wait between two attempts, whatever the backoff or the server says.
const MAX_WAIT: Duration = Duration::from_secs(300);

/// One configured channel.
#[derive(Clone)]
pub struct Channel {
    /// How it sends.
    pub transport: Arc<dyn Transport>,
    /// Least urgent level it delivers.
    pub min_level: Level,
    /// Most messages per minute.
    pub rate_per_minute: u32,
}

/// How delivery behaves on every channel.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Language of the messages.
    pub lang: Lang,
    /// Capacity of each channel's queue.
    pub queue: usize,
    /// Attempts before a notification is recorded as failed.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt.
    pub backoff: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self { lang: Lang::Ko, queue: 256, max_attempts: 4, backoff: Duration::from_secs(1) }
    }
}

/// The wall clock as a [`Timestamp`] (the binary may read it; core code may not).
pub fn now() -> Timestamp {
    Timestamp::from_millis(chrono::Utc::now().timestamp_millis())
}

struct Lane {
    name: String,
    min_level: Level,
    tx: Mutex<Option<mpsc::Sender<Box<Notification>>>>,
}

/// The [`Notifier`] in front of the channels' queues. Cheap to call from any thread: it renders
/// nothing and waits for nothing.
pub struct Dispatcher {
    lanes: Vec<Lane>,
    store: Arc<dyn Store>,
    lang: Lang,
}

impl Notifier for Dispatcher {
    fn notify(&self, n: &Notification) {
        for lane in self.lanes.iter().filter(|l| n.level >= l.min_level) {
            let sent = match lane.tx.lock() {
                Ok(guard) => guard.as_ref().map(|tx| tx.try_send(Box::new(n.clone()))),
                Err(_) => None,
            };
            match sent {
                Some(Ok(())) => {}
                Some(Err(mpsc::error::TrySendError::Full(n))) => self.record_dropped(&lane.name, &n, "queue full"),
                Some(Err(mpsc::error::TrySendError::Closed(n))) => {
                    self.record_dropped(&lane.name, &n, "delivery stopped")
                }
                None => self.record_dropped(&lane.name, n, "delivery stopped"),
            }
        }
    }
}

impl Dispatcher {
    /// A notification that could not be queued is recorded as failed (one short write; it only
    /// happens when a channel is far behind), so it is never lost silently.
    fn record_dropped(&self, channel: &str, n: &Notification, why: &str) {
        tracing::error!(channel, kind = n.kind().as_str(), reason = why, "Notification dropped");
        let rec = record(channel, n, self.lang);
        let result = self.store.claim_notification(&rec).and_then(|id| {
            id.map_or(Ok(()), |id| self.store.finish_notification(id, DeliveryStatus::Failed, 0, Some(why), now()))
        });
        if let Err(e) = result {
            tracing::error!(channel, error = %e, "Could not record a dropped notification");
        }
    }
}

fn record(channel: &str, n: &Notification, lang: Lang) -> NotificationRecord {
    let r = n.render(lang);
    NotificationRecord {
        id: 0,
        ts: n.ts,
        channel: channel.to_owned(),
        level: n.level,
        kind: n.kind().as_str().to_owned(),
        dedup_key: n.dedup_key.clone(),
        title: r.title,
        body: r.body,
        status: DeliveryStatus::Pending,
        attempts: 0,
        error: None,
        updated: now(),
    }
}

/// The running delivery: the notifier to hand out and the channel tasks to wait for.
pub struct Delivery {
    /// Give this to whoever raises notifications.
    pub notifier: Arc<Dispatcher>,
    workers: Vec<JoinHandle<()>>,
}

impl Delivery {
    /// Starts one task per channel on the current tokio runtime.
    pub fn start(channels: Vec<Channel>, opts: Options, store: Arc<dyn Store>) -> Self {
        let mut lanes = Vec::with_capacity(channels.len());
        let mut workers = Vec::with_capacity(channels.len());
        for ch in channels {
            let (tx, rx) = mpsc::channel(opts.queue.max(1));
            let name = ch.transport.name().to_owned();
            lanes.push(Lane { name, min_level: ch.min_level, tx: Mutex::new(Some(tx)) });
            workers.push(tokio::spawn(run_lane(ch, opts, Arc::clone(&store), rx)));
        }
        Self { notifier: Arc::new(Dispatcher { lanes, store, lang: opts.lang }), workers }
    }

    /// Stops taking notifications and waits (up to `grace`) for the queued ones to be delivered.
    /// Returns whether every queue drained in time.
    pub async fn close(self, grace: Duration) -> bool {
        for lane in &self.notifier.lanes {
            if let Ok(mut tx) = lane.tx.lock() {
                tx.take();
            }
        }
        let all = futures_util::future::join_all(self.workers);
        tokio::time::timeout(grace, all).await.is_ok()
    }
}

/// Spaces sends at `interval`, allowing a short burst (GCRA).
struct Pace {
    interval: Duration,
    burst: u32,
    tat: Option<Instant>,
}

impl Pace {
    fn per_minute(rate: u32) -> Self {
        let rate = rate.max(1);
        Self { interval: Duration::from_secs(60) / rate, burst: rate.min(5), tat: None }
    }

    async fn wait(&mut self) {
        let now = Instant::now();
        let tat = self.tat.map_or(now, |t| t.max(now));
        let slack = self.interval * (self.burst - 1);
        if let Some(allowed) = tat.checked_sub(slack).filter(|a| *a > now) {
            tokio::time::sleep_until(allowed).await;
        }
        self.tat = Some(tat + self.interval);
    }
}

async fn blocking<T: Send + 'static>(
    store: &Arc<dyn Store>,
    f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .unwrap_or_else(|e| Err(StoreError::Other(format!("store task failed: {e}"))))
}

async fn run_lane(ch: Channel, opts: Options, store: Arc<dyn Store>, mut rx: mpsc::Receiver<Box<Notification>>) {
    let name = ch.transport.name().to_owned();
    let mut pace = Pace::per_minute(ch.rate_per_minute);
    while let Some(n) = rx.recv().await {
        let rec = record(&name, &n, opts.lang);
        let id = match blocking(&store, move |s| s.claim_notification(&rec)).await {
            Ok(Some(id)) => Some(id),
            Ok(None) => {
                tracing::debug!(channel = %name, key = ?n.dedup_key, "Notification already delivered; skipped");
                continue;
            }
            Err(e) => {
                // Better a possible duplicate than a lost alert.
                tracing::warn!(channel = %name, error = %e, "Could not record the notification; sending anyway");
                None
            }
        };
        pace.wait().await;
        let (status, attempts, error) = deliver(&*ch.transport, &n, opts).await;
        if let Some(e) = &error {
            tracing::error!(channel = %name, kind = n.kind().as_str(), attempts, error = %e, "Notification failed");
        } else {
            tracing::debug!(channel = %name, kind = n.kind().as_str(), attempts, "Notification sent");
        }
        if let Some(id) = id {
            let done = blocking(&store, move |s| s.finish_notification(id, status, attempts, error.as_deref(), now()));
            if let Err(e) = done.await {
                tracing::error!(channel = %name, error = %e, "Could not record the notification's outcome");
            }
        }
    }
}

/// Sends with retries; returns the final status, the attempts made and the last error.
pub async fn deliver(t: &dyn Transport, n: &Notification, opts: Options) -> (DeliveryStatus, u32, Option<String>) {
    let r = n.render(opts.lang);
    let mut sent = 0;
    let mut attempts = 0;
    loop {
        attempts += 1;
        match t.send(n.level, &r, &mut sent).await {
            Ok(()) => return (DeliveryStatus::Sent, attempts, None),
            Err(SendError::Permanent(m)) => return (DeliveryStatus::Failed, attempts, Some(m)),
            Err(SendError::Retry { after, message }) => {
                if attempts >= opts.max_attempts.max(1) {
                    return (DeliveryStatus::Failed, attempts, Some(message));
                }
                let backoff = opts.backoff.saturating_mul(1 << (attempts - 1).min(16));
                let wait = after.unwrap_or(backoff).min(MAX_WAIT);
                tracing::warn!(channel = t.name(), attempt = attempts, wait_ms = wait.as_millis() as u64, error = %message, "Notification not delivered; retrying");
                tokio::time::sleep(wait).await;
            }
        }
    }
}
