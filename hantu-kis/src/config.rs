//! Client configuration.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hantu_core::clock::{Clock, LiveClock};

use crate::auth::{AccountNo, Credential};
use crate::breaker::BreakerConfig;
use crate::calllog::CallHook;
use crate::env::Environment;
use crate::retry::RetryPolicy;

/// Everything a [`crate::KisClient`] needs. Build with [`KisConfig::new`] and the `with_*` methods.
#[derive(Clone)]
pub struct KisConfig {
    /// Real or paper.
    pub env: Environment,
    /// App key and secret of that environment.
    pub credential: Credential,
    /// The account, required for trading and account queries.
    pub account: Option<AccountNo>,
    /// REST base URL (defaults to the environment's host; tests point it at the local server).
    pub rest_url: String,
    /// Token cache file (0600); `None` keeps the token in memory only.
    pub token_cache: Option<PathBuf>,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Retry policy for reads.
    pub retry: RetryPolicy,
    /// Circuit breaker.
    pub breaker: BreakerConfig,
    /// Requests per second; `None` = the environment's quota with the safety margin.
    pub rate_per_sec: Option<f64>,
    /// Use the legacy order tr_ids (`TTTC0802U`...) instead of the current ones.
    pub legacy_tr_ids: bool,
    /// `custtype` header (`P` individual).
    pub custtype: &'static str,
    /// Clock for token expiry.
    pub clock: Arc<dyn Clock>,
    /// Receives every call record.
    pub call_hook: Option<CallHook>,
}

impl std::fmt::Debug for KisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KisConfig")
            .field("env", &self.env)
            .field("credential", &self.credential)
            .field("account", &self.account)
            .field("rest_url", &self.rest_url)
            .field("token_cache", &self.token_cache)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("breaker", &self.breaker)
            .field("rate_per_sec", &self.rate_per_sec)
            .field("legacy_tr_ids", &self.legacy_tr_ids)
            .finish_non_exhaustive()
    }
}

impl KisConfig {
    /// Defaults for `env`: its host, no account, no token file, 10 s timeout.
    #[must_use]
    pub fn new(env: Environment, credential: Credential) -> Self {
        Self {
            env,
            credential,
            account: None,
            rest_url: env.rest_url().to_owned(),
            token_cache: None,
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
            rate_per_sec: None,
            legacy_tr_ids: false,
            custtype: "P",
            clock: Arc::new(LiveClock),
            call_hook: None,
        }
    }

    /// Sets the account.
    #[must_use]
    pub fn with_account(mut self, account: AccountNo) -> Self {
        self.account = Some(account);
        self
    }

    /// Overrides the REST base URL (no trailing slash).
    #[must_use]
    pub fn with_rest_url(mut self, url: impl Into<String>) -> Self {
        self.rest_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Enables the token cache file.
    #[must_use]
    pub fn with_token_cache(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_cache = Some(path.into());
        self
    }

    /// Sets the whole-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the retry policy for reads.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the circuit breaker.
    #[must_use]
    pub fn with_breaker(mut self, breaker: BreakerConfig) -> Self {
        self.breaker = breaker;
        self
    }

    /// Overrides the request rate.
    #[must_use]
    pub fn with_rate(mut self, per_sec: f64) -> Self {
        self.rate_per_sec = Some(per_sec);
        self
    }

    /// Uses the legacy order tr_ids.
    #[must_use]
    pub fn with_legacy_tr_ids(mut self, legacy: bool) -> Self {
        self.legacy_tr_ids = legacy;
        self
    }

    /// Sets the clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the call hook.
    #[must_use]
    pub fn with_call_hook(mut self, hook: CallHook) -> Self {
        self.call_hook = Some(hook);
        self
    }
}
