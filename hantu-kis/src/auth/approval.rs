//! The WebSocket approval key (`POST /oauth2/Approval`, note the body key `secretkey`).

use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::credential::{Credential, Secret};
use super::token::{oauth_error, transport};
use crate::error::{KisError, Result};
use crate::parse::{Obj, ParseError};

/// A WebSocket approval key. Prints redacted.
#[derive(Clone, Debug)]
pub struct ApprovalKey(pub Secret);

impl ApprovalKey {
    /// Parses an approval reply body.
    ///
    /// # Errors
    /// [`ParseError`] if `approval_key` is missing or empty.
    pub fn parse(body: &Value) -> Result<Self, ParseError> {
        let key = Obj::root(body)?.str("approval_key")?;
        if key.is_empty() {
            return Err(ParseError { field: "approval_key".into(), value: String::new(), reason: "empty key" });
        }
        Ok(Self(Secret::new(key)))
    }
}

/// Requests a WebSocket approval key from the REST host at `base_url`.
///
/// # Errors
/// Transport errors, a refusal, or a malformed reply.
pub async fn issue_approval_key(
    http: &reqwest::Client,
    base_url: &str,
    credential: &Credential,
) -> Result<ApprovalKey> {
    let body = json!({
        "grant_type": "client_credentials",
        "appkey": credential.app_key().expose(),
        "secretkey": credential.app_secret().expose(),
    });
    let resp = http
        .post(format!("{base_url}/oauth2/Approval"))
        .json(&body)
        .send()
        .await
        .map_err(|e| transport("oauth2/Approval", e))?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.map_err(|e| transport("oauth2/Approval", e))?;
    if status != 200 {
        return Err(oauth_error(status, &bytes));
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| KisError::Parse {
        endpoint: "oauth2/Approval",
        source: ParseError::body(&String::from_utf8_lossy(&bytes), "not JSON"),
    })?;
    ApprovalKey::parse(&v).map_err(|source| KisError::Parse { endpoint: "oauth2/Approval", source })
}

/// How long an approval key is reused. KIS does not document its validity; its own sample code re-issues
/// after 24 hours, so reuse stops an hour before that.
pub const APPROVAL_REUSE_MS: i64 = 23 * 3_600_000;

/// The approval-key cache file (mode 0600).
#[derive(Clone, Serialize, Deserialize)]
struct ApprovalFile {
    key_fingerprint: String,
    base_url: String,
    approval_key: String,
    issued_at_ms: i64,
}

/// The approval key of one app key, cached like the access token: in memory, and in a 0600 file
/// when a path is given, so reconnects and restarts do not ask for a new one. A key the WebSocket
/// server calls invalid (`OPSP0011`) is dropped with [`invalidate`](Self::invalidate).
pub struct ApprovalKeys {
    http: reqwest::Client,
    base_url: String,
    credential: Credential,
    clock: std::sync::Arc<dyn hantu_core::clock::Clock>,
    path: Option<PathBuf>,
    cached: Mutex<Option<(ApprovalKey, i64)>>,
    issued: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for ApprovalKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovalKeys")
            .field("base_url", &self.base_url)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ApprovalKeys {
    /// The cache of `client`'s app key; `path` is the cache file (`None`: memory only).
    #[must_use]
    pub fn new(client: &crate::KisClient, path: Option<PathBuf>) -> Self {
        let c = client.config();
        Self {
            http: client.http().clone(),
            base_url: c.rest_url.clone(),
            credential: c.credential.clone(),
            clock: c.clock.clone(),
            path,
            cached: Mutex::new(None),
            issued: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Keys issued by this cache (not read back from memory or the file).
    #[must_use]
    pub fn issued_count(&self) -> u64 {
        self.issued.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn fresh(&self, issued_at_ms: i64) -> bool {
        let now = self.clock.now().millis();
        (0..APPROVAL_REUSE_MS).contains(&(now - issued_at_ms))
    }

    /// A valid approval key: from memory, then the file, else newly issued (and stored).
    ///
    /// # Errors
    /// Issuing errors; a cache file that cannot be written.
    pub async fn get(&self) -> Result<ApprovalKey> {
        if let Some((k, at)) = self.cached.lock().ok().and_then(|g| g.clone()) {
            if self.fresh(at) {
                return Ok(k);
            }
        }
        let fp = self.credential.fingerprint();
        if let Some(path) = &self.path {
            let file = std::fs::read(path).ok().and_then(|b| serde_json::from_slice::<ApprovalFile>(&b).ok());
            if let Some(f) =
                file.filter(|f| f.key_fingerprint == fp && f.base_url == self.base_url && self.fresh(f.issued_at_ms))
            {
                let key = ApprovalKey(Secret::new(f.approval_key));
                self.remember(&key, f.issued_at_ms);
                return Ok(key);
            }
        }
        let key = issue_approval_key(&self.http, &self.base_url, &self.credential).await?;
        self.issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let at = self.clock.now().millis();
        self.remember(&key, at);
        if let Some(path) = &self.path {
            let file = ApprovalFile {
                key_fingerprint: fp,
                base_url: self.base_url.clone(),
                approval_key: key.0.expose().to_owned(),
                issued_at_ms: at,
            };
            let bytes = serde_json::to_vec(&file)
                .map_err(|e| KisError::Cache { path: path.clone(), source: std::io::Error::other(e) })?;
            super::cache::write_private(path, &bytes)?;
        }
        Ok(key)
    }

    fn remember(&self, key: &ApprovalKey, at: i64) {
        if let Ok(mut g) = self.cached.lock() {
            *g = Some((key.clone(), at));
        }
    }

    /// Forgets the key (memory and file), so the next [`get`](Self::get) issues a new one.
    pub fn invalidate(&self) {
        if let Ok(mut g) = self.cached.lock() {
            *g = None;
        }
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The approval-key cache file next to a token cache file (`…/kis-token.json` → `…/kis-token.approval.json`).
#[must_use]
pub fn approval_cache_path(token_cache: &std::path::Path) -> PathBuf {
    token_cache.with_extension("approval.json")
}
