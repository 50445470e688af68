//! `hantu.kis.Stream`: the KIS real-time feed, blocking, with the bars built from its trades.
//!
//! The feed runs on the object's own tokio runtime (reconnects, gap-fill and PINGPONG happen there
//! between calls); `next_json` blocks with the GIL released until an event arrives. Every trade
//! handed to Python also goes through a `BarBuilder`, so `bars()` are the bars of exactly the trades
//! the caller saw.

use std::sync::Mutex;
use std::time::Duration;

use hantu_core::domain::{Bar, StockCode};
use hantu_core::realtime::{BarBuilder, Channel, Feed, FeedError, FeedEvent, Subscription};
use hantu_kis::auth::Credential;
use hantu_kis::ws::{FeedConfig, KisFeed};
use hantu_kis::{Environment, KisClient, KisConfig};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::{BrokerError, ConfigError, DataError, validation_err};
use crate::frames::bars_to_columns;
use crate::gil::detached;

fn feed_err(e: &FeedError) -> PyErr {
    match e {
        FeedError::OverBudget { .. } => ConfigError::new_err(e.to_string()),
        _ => BrokerError::new_err(e.to_string()),
    }
}

fn channel(s: &str) -> PyResult<Channel> {
    match s {
        "trades" => Ok(Channel::Trades),
        "book" => Ok(Channel::Book),
        "notices" => Ok(Channel::Notices),
        _ => Err(ConfigError::new_err(format!("channel {s:?} must be \"trades\", \"book\" or \"notices\""))),
    }
}

struct Bars {
    builder: BarBuilder,
    done: Vec<Bar>,
}

/// A live feed of KIS real-time events (trades, book, notices, gaps, reconnects).
#[pyclass(frozen, name = "Stream", module = "hantu.kis")]
pub(crate) struct PyStream {
    rt: tokio::runtime::Runtime,
    feed: Mutex<Option<KisFeed>>,
    bars: Mutex<Bars>,
}

impl PyStream {
    fn with_feed<T>(&self, py: Python<'_>, f: impl FnOnce(&mut KisFeed) -> T + Send) -> PyResult<T>
    where
        T: pyo3::marker::Ungil,
    {
        let mut guard = self.feed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let feed = guard.as_mut().ok_or_else(|| BrokerError::new_err("the stream is closed"))?;
        Ok(detached(py, || f(feed)))
    }
}

#[pymethods]
impl PyStream {
    /// Connects to KIS's WebSocket (or `ws_url`) with an app key; `url` is the REST host for the
    /// approval key and gap-fill. `bar_minutes` sets the length of the bars built from the trades.
    #[new]
    #[pyo3(signature = (app_key, app_secret, env = "paper", url = None, ws_url = None, hts_id = None, bar_minutes = 1, capacity = 8192))]
    #[allow(clippy::too_many_arguments, reason = "mirrors the Python keyword arguments")]
    fn new(
        py: Python<'_>,
        app_key: &str,
        app_secret: &str,
        env: &str,
        url: Option<String>,
        ws_url: Option<String>,
        hts_id: Option<String>,
        bar_minutes: u16,
        capacity: usize,
    ) -> PyResult<Self> {
        let environment = match env.to_ascii_lowercase().as_str() {
            "paper" | "vts" => Environment::Paper,
            "real" | "prod" => Environment::Real,
            _ => return Err(ConfigError::new_err(format!("config: kis.env: {env:?} must be \"paper\" or \"real\""))),
        };
        let builder = BarBuilder::new(bar_minutes).map_err(|e| validation_err(&e))?;
        let credential = Credential::new(app_key, app_secret).map_err(|e| ConfigError::new_err(e.to_string()))?;
        let mut cfg = KisConfig::new(environment, credential);
        if let Some(u) = url {
            cfg = cfg.with_rest_url(u);
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("hantu-stream")
            .enable_all()
            .build()
            .map_err(|e| BrokerError::new_err(format!("cannot start the I/O runtime: {e}")))?;
        let client = {
            let _guard = rt.enter();
            KisClient::new(cfg).map_err(|e| ConfigError::new_err(e.to_string()))?
        };
        let mut feed_cfg = FeedConfig::for_client(&client).with_capacity(capacity);
        if let Some(w) = ws_url {
            feed_cfg = feed_cfg.with_ws_url(w);
        }
        if let Some(h) = hts_id {
            feed_cfg = feed_cfg.with_hts_id(h);
        }
        let feed = detached(py, || rt.block_on(KisFeed::connect(client, feed_cfg))).map_err(|e| feed_err(&e))?;
        Ok(Self { rt, feed: Mutex::new(Some(feed)), bars: Mutex::new(Bars { builder, done: Vec::new() }) })
    }

    /// Registers `channel` (`"trades"`, `"book"` or `"notices"`) of `code` (none for notices);
    /// higher `priority` wins when KIS's 41 registrations are spent.
    #[pyo3(signature = (code = None, channel = "trades", priority = 5))]
    fn subscribe(&self, py: Python<'_>, code: Option<&str>, channel: &str, priority: u8) -> PyResult<()> {
        let code = code.map(|c| StockCode::new_checked(c).map_err(|e| validation_err(&e))).transpose()?;
        let sub = Subscription { channel: self::channel(channel)?, code, priority };
        let rt = &self.rt;
        self.with_feed(py, |f| rt.block_on(f.subscribe(sub)))?.map_err(|e| feed_err(&e))
    }

    /// Removes a registration.
    #[pyo3(signature = (code = None, channel = "trades"))]
    fn unsubscribe(&self, py: Python<'_>, code: Option<&str>, channel: &str) -> PyResult<()> {
        let code = code.map(|c| StockCode::new_checked(c).map_err(|e| validation_err(&e))).transpose()?;
        let sub = Subscription { channel: self::channel(channel)?, code, priority: 0 };
        let rt = &self.rt;
        self.with_feed(py, |f| rt.block_on(f.unsubscribe(sub)))?.map_err(|e| feed_err(&e))
    }

    /// The next event as JSON, waiting at most `timeout` seconds (forever when `None`); `None` on
    /// timeout or when the stream has ended.
    #[pyo3(signature = (timeout = None))]
    fn next_json(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<String>> {
        let rt = &self.rt;
        let ev = self.with_feed(py, |f| {
            rt.block_on(async {
                match timeout {
                    Some(s) => {
                        tokio::time::timeout(Duration::from_secs_f64(s.max(0.0)), f.next_event()).await.ok().flatten()
                    }
                    None => f.next_event().await,
                }
            })
        })?;
        let Some(ev) = ev else { return Ok(None) };
        if let FeedEvent::Trade(t) = &ev {
            let mut b = self.bars.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(bar) = b.builder.push(t) {
                b.done.push(bar);
            }
        }
        serde_json::to_string(&ev).map(Some).map_err(|e| DataError::new_err(e.to_string()))
    }

    /// Bars built from the trades returned so far, as columns; with `partial`, the bars still
    /// being filled are included.
    #[pyo3(signature = (partial = false))]
    fn bars<'py>(&self, py: Python<'py>, partial: bool) -> PyResult<Bound<'py, PyDict>> {
        let b = self.bars.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut all = b.done.clone();
        if partial {
            let mut open = b.builder.clone();
            open.finish(&mut all);
        }
        all.sort_by_key(|x| (x.code, x.ts));
        bars_to_columns(py, &all)
    }

    /// Counters (reconnects, gaps, recovered trades, dropped books, duplicates, malformed frames) as JSON.
    fn stats_json(&self) -> PyResult<String> {
        let guard = self.feed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let s = guard.as_ref().map(KisFeed::stats).unwrap_or_default();
        Ok(format!(
            r#"{{"reconnects":{},"gaps":{},"recovered":{},"shortfall":{},"dropped_books":{},"duplicates":{},"malformed":{}}}"#,
            s.reconnects, s.gaps, s.recovered, s.shortfall, s.dropped_books, s.duplicates, s.malformed
        ))
    }

    /// Closes the connection (idempotent).
    fn close(&self, py: Python<'_>) {
        let feed = self.feed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(f) = feed {
            detached(py, || self.rt.block_on(f.close()));
        }
    }

    fn __repr__(&self) -> String {
        let open = self.feed.lock().map(|g| g.is_some()).unwrap_or(false);
        format!("kis.Stream({})", if open { "open" } else { "closed" })
    }
}
