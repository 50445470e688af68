//! The local server's state across restarts: the account (cash, holdings, today's orders and
//! fills), current prices, and issued tokens, as one JSON snapshot of the server's own types. A
//! server that runs all day as a service saves it as it changes and restores it when it starts
//! again, so orders placed against it do not vanish with the process. With a persist path set
//! ([`MockServer::persist_to`]), an order request is saved (atomically, synced) before its reply
//! leaves, so an accepted order survives even a `kill -9` the moment after.

use std::path::Path;

use hantu_core::domain::{StockCode, Timestamp};
use serde::{Deserialize, Serialize};

use super::market::DayStats;
use super::realtime::MockFill;
use super::server::{MockServer, lock};
use super::state::{MockHolding, MockOrder, State, TokenState};

/// The format version written; a snapshot of another version is refused rather than misread.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A saved holding: the account's own [`MockHolding`] with its code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct HoldingSnap {
    code: StockCode,
    #[serde(flatten)]
    holding: MockHolding,
}

/// A saved price and today's statistics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PriceSnap {
    code: StockCode,
    last: i64,
    /// open, high, low, volume, value.
    today: Option<(i64, i64, i64, u64, i64)>,
}

/// Everything a restarted server needs to carry on. Holds tokens: write it with mode 0600
/// ([`MockSnapshot::save`] does).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MockSnapshot {
    version: u32,
    cash: i64,
    bought_today: i64,
    sold_today: i64,
    costs_today: i64,
    next_odno: u64,
    holdings: Vec<HoldingSnap>,
    orders: Vec<MockOrder>,
    prices: Vec<PriceSnap>,
    tokens: Vec<TokenState>,
    /// Last token issuance per app key.
    last_issue: Vec<(String, Timestamp)>,
    /// Today's fills (what notices and inquire-daily-ccld report); absent in older snapshots.
    #[serde(default)]
    fills: Vec<MockFill>,
}

impl std::fmt::Debug for MockSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens are credentials: never printed.
        f.debug_struct("MockSnapshot")
            .field("cash", &self.cash)
            .field("holdings", &self.holdings.len())
            .field("orders", &self.orders.len())
            .field("tokens", &self.tokens.len())
            .finish_non_exhaustive()
    }
}

/// Why a snapshot could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// File system.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not a snapshot, or of another version.
    #[error("{path}: not a local-server snapshot of version {SNAPSHOT_VERSION}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What was wrong.
        message: String,
    },
}

impl MockSnapshot {
    /// Orders in the snapshot.
    #[must_use]
    pub fn orders(&self) -> usize {
        self.orders.len()
    }

    /// Cash in the snapshot.
    #[must_use]
    pub fn cash(&self) -> i64 {
        self.cash
    }

    /// Writes the snapshot to `path` atomically (temporary file, sync, rename), mode 0600.
    ///
    /// # Errors
    /// [`SnapshotError::Io`] if a step fails.
    pub fn save(&self, path: &Path) -> Result<(), SnapshotError> {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let io = |source| SnapshotError::Io { path: path.display().to_string(), source };
        let bytes = serde_json::to_vec(self)
            .map_err(|e| SnapshotError::Format { path: path.display().to_string(), message: e.to_string() })?;
        let tmp = path.with_extension("tmp");
        let mut f =
            std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(io)?;
        f.write_all(&bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a snapshot; `None` if there is no file.
    ///
    /// # Errors
    /// [`SnapshotError`] if it cannot be read or is not a snapshot of this version.
    pub fn load(path: &Path) -> Result<Option<Self>, SnapshotError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(SnapshotError::Io { path: path.display().to_string(), source }),
        };
        let format = |message: String| SnapshotError::Format { path: path.display().to_string(), message };
        let snap: Self = serde_json::from_slice(&bytes).map_err(|e| format(e.to_string()))?;
        if snap.version != SNAPSHOT_VERSION {
            return Err(format(format!("version {}", snap.version)));
        }
        Ok(Some(snap))
    }
}

/// The state of `s` as a snapshot.
pub(super) fn snapshot_of(s: &State) -> MockSnapshot {
    let mut last_issue: Vec<_> = s.last_issue.iter().map(|(k, t)| (k.clone(), *t)).collect();
    last_issue.sort();
    MockSnapshot {
        version: SNAPSHOT_VERSION,
        cash: s.cash,
        bought_today: s.bought_today,
        sold_today: s.sold_today,
        costs_today: s.costs_today,
        next_odno: s.next_odno,
        holdings: s.holdings.iter().map(|(code, h)| HoldingSnap { code: *code, holding: h.clone() }).collect(),
        orders: s.orders.clone(),
        prices: s
            .config
            .market
            .listings()
            .map(|l| PriceSnap {
                code: l.instrument.code,
                last: l.last,
                today: l.today.map(|d| (d.open, d.high, d.low, d.volume, d.value)),
            })
            .collect(),
        tokens: s.tokens.clone(),
        last_issue,
        fills: s.fills.clone(),
    }
}

/// Writes the state of `s` to its persist file, if it has one, before a reply is sent: an order
/// the server accepted is on disk (synced, renamed into place) before the client hears of it.
/// A failed write is logged and left to the next save (the order stands in memory).
pub(super) fn save_now(s: &State) {
    if let Some(path) = &s.config.persist {
        if let Err(e) = snapshot_of(s).save(path) {
            tracing::error!(error = %e, "Could not save the local server's state after an order");
        }
    }
}

impl MockServer {
    /// The server's state now.
    #[must_use]
    pub fn snapshot(&self) -> MockSnapshot {
        snapshot_of(&lock(&self.state))
    }

    /// Saves the account to `path` before replying to each order request from now on (`None`
    /// stops); see [`super::MockConfig::persist`].
    pub fn persist_to(&self, path: Option<std::path::PathBuf>) {
        lock(&self.state).config.persist = path;
    }

    /// Replaces the server's account, prices and tokens with `snap` (prices of codes it does not
    /// list are ignored).
    pub fn restore(&self, snap: &MockSnapshot) {
        let mut s = lock(&self.state);
        s.cash = snap.cash;
        s.bought_today = snap.bought_today;
        s.sold_today = snap.sold_today;
        s.costs_today = snap.costs_today;
        s.next_odno = snap.next_odno;
        s.holdings = snap.holdings.iter().map(|h| (h.code, h.holding.clone())).collect();
        s.orders.clone_from(&snap.orders);
        for p in &snap.prices {
            if let Some(l) = s.config.market.get_mut(p.code) {
                l.last = p.last;
                l.today = p.today.map(|(open, high, low, volume, value)| DayStats { open, high, low, volume, value });
            }
        }
        s.tokens.clone_from(&snap.tokens);
        s.last_issue = snap.last_issue.iter().cloned().collect();
        s.fills.clone_from(&snap.fills);
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::Environment;
    use crate::mock::{MockConfig, MockMarket};

    #[tokio::test]
    async fn a_snapshot_restores_into_a_new_server_and_round_trips_through_a_0600_file() {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 7, 25).unwrap();
        let code: StockCode = "005930".parse().unwrap();
        let a = MockServer::start(MockConfig::new(Environment::Paper, MockMarket::fixture(day)).with_cash(5_000_000))
            .await
            .unwrap();
        a.set_price(code, 70_000);
        let snap = a.snapshot();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        snap.save(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let loaded = MockSnapshot::load(&path).unwrap().unwrap();
        assert_eq!(loaded, snap);
        assert!(MockSnapshot::load(&dir.path().join("missing.json")).unwrap().is_none());
        // A file written before fills were saved still loads (no fills).
        let mut old: serde_json::Value = serde_json::to_value(&snap).unwrap();
        old.as_object_mut().unwrap().remove("fills");
        std::fs::write(&path, old.to_string()).unwrap();
        assert_eq!(MockSnapshot::load(&path).unwrap().unwrap(), snap);
        std::fs::write(&path, "{\"version\": 99}").unwrap();
        assert!(matches!(MockSnapshot::load(&path), Err(SnapshotError::Format { .. })));

        let b = MockServer::start(MockConfig::new(Environment::Paper, MockMarket::fixture(day))).await.unwrap();
        assert_ne!(b.cash(), 5_000_000);
        b.restore(&loaded);
        assert_eq!(b.cash(), 5_000_000);
        assert_eq!(b.price(code), Some(70_000));
        assert_eq!(b.snapshot(), snap);
        a.stop().await;
        b.stop().await;
    }
}
