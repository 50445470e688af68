//! The access token: issued by `POST /oauth2/tokenP`, kept in memory and in the cache file,
//! refreshed [`REFRESH_AHEAD`] before expiry, re-issued once when KIS says it is expired or
//! invalid (`EGW00123`/`EGW00121`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::NaiveDateTime;
use hantu_core::clock::Clock;
use hantu_core::domain::Timestamp;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::cache::TokenCacheFile;
use super::credential::{Credential, Secret};
use crate::env::Environment;
use crate::error::{KisError, Result, TransportKind};
use crate::parse::{Obj, ParseError};

/// How long before expiry a token is replaced (python-kis and kis-trader use 10 minutes).
pub const REFRESH_AHEAD: Duration = Duration::from_secs(600);

/// An access token and its expiry. Prints redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    value: Secret,
    expires_at: Timestamp,
}

impl AccessToken {
    /// A token expiring at `expires_at`.
    #[must_use]
    pub fn new(value: Secret, expires_at: Timestamp) -> Self {
        Self { value, expires_at }
    }

    /// The bearer value, for the wire only.
    #[must_use]
    pub fn secret(&self) -> &Secret {
        &self.value
    }

    /// When it expires.
    #[must_use]
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }

    fn fresh_at(&self, now: Timestamp) -> bool {
        self.expires_at.millis() - now.millis() > REFRESH_AHEAD.as_millis() as i64
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccessToken(***, expires {})", self.expires_at)
    }
}

/// The body of a successful `/oauth2/tokenP` reply (no `rt_cd` envelope).
#[derive(Clone, Debug)]
pub struct TokenReply {
    /// The token.
    pub access_token: Secret,
    /// `access_token_token_expired`, KST wall time.
    pub expires_kst: NaiveDateTime,
    /// `expires_in`, seconds.
    pub expires_in: i64,
    /// `token_type` (`Bearer`).
    pub token_type: String,
}

impl TokenReply {
    /// Parses a token reply body.
    ///
    /// # Errors
    /// [`ParseError`] naming the bad field.
    pub fn parse(body: &Value) -> Result<Self, ParseError> {
        let o = Obj::root(body)?;
        let expired = o.str("access_token_token_expired")?;
        let expires_kst = NaiveDateTime::parse_from_str(expired, "%Y-%m-%d %H:%M:%S").map_err(|_| ParseError {
            field: "access_token_token_expired".into(),
            value: expired.into(),
            reason: "expected YYYY-MM-DD HH:MM:SS",
        })?;
        let expires_in = match body.get("expires_in") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => crate::parse::parse_int(s),
            _ => None,
        }
        .filter(|n| *n > 0)
        .ok_or_else(|| ParseError {
            field: "expires_in".into(),
            value: body.get("expires_in").map(Value::to_string).unwrap_or_default(),
            reason: "expected a positive number of seconds",
        })?;
        let token = o.str("access_token")?;
        if token.is_empty() {
            return Err(ParseError { field: "access_token".into(), value: String::new(), reason: "empty token" });
        }
        Ok(Self {
            access_token: Secret::new(token),
            expires_kst,
            expires_in,
            token_type: o.str("token_type")?.to_owned(),
        })
    }
}

/// Parses the `error_code`/`error_description` body of the OAuth endpoints.
pub(crate) fn oauth_error(status: u16, body: &[u8]) -> KisError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = v.get("error_code").and_then(Value::as_str);
    let desc = v.get("error_description").and_then(Value::as_str);
    match (code, v.get("msg_cd").and_then(Value::as_str)) {
        (Some(code), _) => {
            KisError::Token { status, code: code.to_owned(), description: desc.unwrap_or_default().to_owned() }
        }
        (None, Some(msg_cd)) => KisError::Token {
            status,
            code: msg_cd.to_owned(),
            description: v.get("msg1").and_then(Value::as_str).unwrap_or_default().trim().to_owned(),
        },
        _ => KisError::Http { endpoint: "oauth2", status },
    }
}

pub(crate) fn transport(endpoint: &'static str, e: reqwest::Error) -> KisError {
    let kind = if e.is_connect() {
        TransportKind::Connect
    } else if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_body() || e.is_decode() || e.is_request() {
        TransportKind::Body
    } else {
        TransportKind::Other
    };
    // reqwest's Display includes the URL only (no headers); strip the query anyway.
    let message = e.without_url().to_string();
    KisError::Transport { endpoint, kind, message }
}

/// Owns the access token of one app key: memory, cache file, issuance and re-issuance.
pub struct TokenManager {
    http: reqwest::Client,
    base_url: String,
    env: Environment,
    credential: Credential,
    cache_path: Option<PathBuf>,
    clock: Arc<dyn Clock>,
    current: Mutex<Option<AccessToken>>,
    issued: AtomicU64,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("base_url", &self.base_url)
            .field("env", &self.env)
            .field("credential", &self.credential)
            .field("cache_path", &self.cache_path)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager issuing from `base_url`; `cache_path` enables the file cache.
    #[must_use]
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        env: Environment,
        credential: Credential,
        cache_path: Option<PathBuf>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            http,
            base_url: base_url.into(),
            env,
            credential,
            cache_path,
            clock,
            current: Mutex::new(None),
            issued: AtomicU64::new(0),
        }
    }

    /// How many tokens this manager issued (not reused from memory or file).
    #[must_use]
    pub fn issued_count(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    /// A valid token: from memory, else from the cache file, else newly issued.
    ///
    /// # Errors
    /// Issuance failures ([`KisError::Token`], transport) and cache I/O errors.
    pub async fn token(&self) -> Result<AccessToken> {
        let mut cur = self.current.lock().await;
        let now = self.clock.now();
        if let Some(t) = cur.as_ref().filter(|t| t.fresh_at(now)) {
            return Ok(t.clone());
        }
        if let Some(t) = self.cached_in_file()?.filter(|t| t.fresh_at(now)) {
            tracing::debug!(env = %self.env, "Reusing cached KIS access token");
            *cur = Some(t.clone());
            return Ok(t);
        }
        let t = self.issue().await?;
        *cur = Some(t.clone());
        Ok(t)
    }

    /// Replaces `rejected` (refused by KIS as expired or invalid) with a new token. If another
    /// task already replaced it, returns the replacement without issuing again.
    ///
    /// # Errors
    /// As [`TokenManager::token`].
    pub async fn reissue(&self, rejected: &AccessToken) -> Result<AccessToken> {
        let mut cur = self.current.lock().await;
        if let Some(t) = cur.as_ref().filter(|t| t.value != rejected.value) {
            return Ok(t.clone());
        }
        tracing::info!(env = %self.env, "KIS rejected the access token; issuing a new one");
        *cur = None;
        if let Some(path) = &self.cache_path {
            TokenCacheFile::remove(path)?;
        }
        let t = self.issue().await?;
        *cur = Some(t.clone());
        Ok(t)
    }

    fn cached_in_file(&self) -> Result<Option<AccessToken>> {
        let Some(path) = &self.cache_path else { return Ok(None) };
        let Some(entry) = TokenCacheFile::load(path)? else { return Ok(None) };
        let matches = entry.key_fingerprint == self.credential.fingerprint()
            && entry.env == self.env
            && entry.base_url == self.base_url;
        Ok(matches
            .then(|| AccessToken::new(Secret::new(entry.access_token), Timestamp::from_millis(entry.expires_at_ms))))
    }

    async fn issue(&self) -> Result<AccessToken> {
        let body = json!({
            "grant_type": "client_credentials",
            "appkey": self.credential.app_key().expose(),
            "appsecret": self.credential.app_secret().expose(),
        });
        let url = format!("{}/oauth2/tokenP", self.base_url);
        let resp = self.http.post(url).json(&body).send().await.map_err(|e| transport("oauth2/tokenP", e))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| transport("oauth2/tokenP", e))?;
        if status != 200 {
            return Err(oauth_error(status, &bytes));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| KisError::Parse {
            endpoint: "oauth2/tokenP",
            source: ParseError::body(&String::from_utf8_lossy(&bytes), "not JSON"),
        })?;
        if v.get("error_code").is_some() {
            return Err(oauth_error(status, &bytes));
        }
        let reply = TokenReply::parse(&v).map_err(|source| KisError::Parse { endpoint: "oauth2/tokenP", source })?;
        let now = self.clock.now();
        // Trust expires_in relative to our clock, but never beyond the server's stated expiry.
        let by_duration = now.millis() + reply.expires_in * 1000;
        let by_stamp = Timestamp::from_kst(reply.expires_kst).millis();
        let expires = if by_stamp > now.millis() { by_duration.min(by_stamp) } else { by_duration };
        let token = AccessToken::new(reply.access_token, Timestamp::from_millis(expires));
        self.issued.fetch_add(1, Ordering::Relaxed);
        tracing::info!(env = %self.env, expires = %token.expires_at, "Issued KIS access token");
        if let Some(path) = &self.cache_path {
            TokenCacheFile {
                key_fingerprint: self.credential.fingerprint(),
                env: self.env,
                base_url: self.base_url.clone(),
                access_token: token.value.expose().to_owned(),
                expires_at_ms: expires,
            }
            .store(path)?;
        }
        Ok(token)
    }

    /// Revokes the current token (`/oauth2/revokeP`) and forgets it (memory and file).
    ///
    /// # Errors
    /// Transport errors or a refusal by KIS.
    pub async fn revoke(&self) -> Result<()> {
        let mut cur = self.current.lock().await;
        let Some(t) = cur.take().or(self.cached_in_file()?) else { return Ok(()) };
        if let Some(path) = &self.cache_path {
            TokenCacheFile::remove(path)?;
        }
        let body = json!({
            "appkey": self.credential.app_key().expose(),
            "appsecret": self.credential.app_secret().expose(),
            "token": t.value.expose(),
        });
        let url = format!("{}/oauth2/revokeP", self.base_url);
        let resp = self.http.post(url).json(&body).send().await.map_err(|e| transport("oauth2/revokeP", e))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| transport("oauth2/revokeP", e))?;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status == 200 && v.get("code").and_then(Value::as_i64) == Some(200) {
            tracing::info!(env = %self.env, "Revoked KIS access token");
            Ok(())
        } else {
            Err(oauth_error(status, &bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_reply_sample_parses() {
        let v: Value = serde_json::from_str(include_str!("../../test_data/oauth2-tokenP.json")).unwrap();
        let r = TokenReply::parse(&v).unwrap();
        assert_eq!(r.expires_in, 86_400);
        assert_eq!(r.token_type, "Bearer");
        assert_eq!(r.expires_kst.to_string(), "2025-07-26 08:35:55");
        assert!(!format!("{r:?}").contains("eyJ"));
    }

    #[test]
    fn oauth_error_sample_decodes() {
        let e = oauth_error(403, include_bytes!("../../test_data/oauth2-tokenP-error-EGW00133.json"));
        assert_eq!(e.msg_cd(), Some("EGW00133"));
        assert_eq!(e.class(), crate::ErrorClass::RateLimited);
        let e = oauth_error(403, include_bytes!("../../test_data/oauth2-tokenP-error-EGW00105.json"));
        assert_eq!(e.class(), crate::ErrorClass::Auth);
    }
}
