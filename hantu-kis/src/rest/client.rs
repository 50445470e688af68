//! The raw REST client: paces, authenticates, sends, decodes the envelope, retries reads,
//! re-issues the token once, trips the circuit breaker, and reports every call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::{Cursor, Envelope, FromKis, HttpMethod, KisRequest, Page, Paged, RequestKind};
use crate::auth::{AccessToken, TokenManager, default_cache_path};
use crate::breaker::CircuitBreaker;
use crate::calllog::{CallOutcome, CallRecord};
use crate::config::KisConfig;
use crate::error::{ErrorClass, KisError, Result, codes};
use crate::json::Json;
use crate::parse::{Obj, ParseError};
use crate::ratelimit::{self, RateLimiter};

/// Longest pagination the client follows before giving up.
pub const MAX_PAGES: usize = 1000;

/// The KIS REST client. Cheap to clone; clones share token, limiter and breaker.
#[derive(Clone)]
pub struct KisClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: KisConfig,
    tokens: TokenManager,
    limiter: Arc<RateLimiter>,
    breaker: CircuitBreaker,
}

impl std::fmt::Debug for KisClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KisClient").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

struct RawReply {
    status: u16,
    tr_cont: String,
    body: Vec<u8>,
}

impl KisClient {
    /// A client for `config`. The rate limiter is the process-wide one of the app key.
    ///
    /// # Errors
    /// [`KisError::Config`] if the HTTP client cannot be built.
    pub fn new(config: KisConfig) -> Result<Self> {
        let rate = config.rate_per_sec.unwrap_or_else(|| config.env.client_rate());
        let limiter = ratelimit::shared(&config.credential.fingerprint(), config.env, rate);
        Self::with_limiter(config, limiter)
    }

    /// A client using `limiter` instead of the process-wide one.
    ///
    /// # Errors
    /// [`KisError::Config`] if the HTTP client cannot be built.
    pub fn with_limiter(config: KisConfig, limiter: Arc<RateLimiter>) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| KisError::Config(format!("HTTP client: {e}")))?;
        let tokens = TokenManager::new(
            http.clone(),
            config.rest_url.clone(),
            config.env,
            config.credential.clone(),
            config.token_cache.clone(),
            config.clock.clone(),
        );
        let breaker = CircuitBreaker::new(config.breaker);
        Ok(Self { inner: Arc::new(Inner { http, config, tokens, limiter, breaker }) })
    }

    /// A client from the environment variables of [`crate::auth::env_var_names`], with the
    /// token cached under the user's cache folder.
    ///
    /// # Errors
    /// [`KisError::Config`] naming a missing or malformed variable.
    pub fn from_env() -> Result<Self> {
        let env = std::env::var(crate::auth::ENV_ENVIRONMENT).unwrap_or_else(|_| "paper".into()).parse()?;
        let credential = crate::auth::Credential::from_env()?;
        let mut config = KisConfig::new(env, credential.clone()).with_account(crate::auth::AccountNo::from_env()?);
        config.token_cache = default_cache_path(env, &credential.fingerprint());
        Self::new(config)
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &KisConfig {
        &self.inner.config
    }

    /// The token manager.
    #[must_use]
    pub fn tokens(&self) -> &TokenManager {
        &self.inner.tokens
    }

    /// The rate limiter in use.
    #[must_use]
    pub fn limiter(&self) -> &Arc<RateLimiter> {
        &self.inner.limiter
    }

    /// The underlying HTTP client (for the OAuth helpers).
    #[must_use]
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Sends one request and returns its first page.
    ///
    /// # Errors
    /// See [`KisError`]; reads are retried per the retry policy first.
    pub async fn call<R: KisRequest>(&self, req: &R) -> Result<R::Response> {
        Ok(self.call_page(req, None).await?.data)
    }

    /// Sends one request for the page at `cursor` (`None` = first page).
    ///
    /// # Errors
    /// See [`KisClient::call`].
    pub async fn call_page<R: KisRequest>(&self, req: &R, cursor: Option<&Cursor>) -> Result<Page<R::Response>> {
        let env = self.inner.config.env;
        let tr_id = req.tr_id(env).ok_or(KisError::Unsupported { endpoint: R::NAME, env })?;
        let policy = self.inner.config.retry;
        let mut attempt = 0u32;
        let mut reissued = false;
        loop {
            attempt += 1;
            self.inner.breaker.check_at(Instant::now()).map_err(|retry_in| KisError::CircuitOpen { retry_in })?;
            let token = self.inner.tokens.token().await?;
            self.inner.limiter.acquire().await;
            let started = Instant::now();
            let result = self.exchange(req, tr_id, &token, cursor).await.and_then(|raw| decode::<R>(tr_id, raw));
            self.record(R::NAME, tr_id, attempt, started.elapsed(), &result);
            let err = match result {
                Ok(page) => {
                    self.inner.breaker.success();
                    return Ok(page);
                }
                Err(e) => e,
            };
            let class = err.class();
            let may_retry = R::KIND == RequestKind::Read && attempt < policy.max_attempts;
            match class {
                ErrorClass::Auth if !reissued && is_token_rejection(&err) => {
                    // A rejected token means the gateway did not process the request: safe
                    // to repeat once, orders included.
                    reissued = true;
                    self.inner.breaker.neutral();
                    self.inner.tokens.reissue(&token).await?;
                    continue;
                }
                ErrorClass::RateLimited => {
                    self.inner.breaker.neutral();
                    let pause = policy.backoff(attempt).max(Duration::from_millis(100));
                    self.inner.limiter.pause(pause);
                    tracing::warn!(endpoint = R::NAME, tr_id, attempt, ?pause, "KIS rate limit hit; backing off");
                    if may_retry {
                        continue;
                    }
                }
                ErrorClass::Retryable => {
                    self.inner.breaker.failure_at(Instant::now());
                    if may_retry {
                        let pause = policy.backoff(attempt);
                        tracing::warn!(endpoint = R::NAME, tr_id, attempt, ?pause, error = %err, "Retrying KIS read");
                        tokio::time::sleep(pause).await;
                        continue;
                    }
                }
                _ => self.inner.breaker.neutral(),
            }
            return Err(err);
        }
    }

    /// Sends a paginated request and follows `tr_cont` to the last page, concatenating rows.
    ///
    /// # Errors
    /// The first failing page's error, or [`KisError::TooManyPages`].
    pub async fn call_all<R>(&self, req: &R) -> Result<R::Response>
    where
        R: KisRequest,
        R::Response: Paged,
    {
        let mut page = self.call_page(req, None).await?;
        let mut acc = page.data;
        let mut pages = 1;
        while let Some(cursor) = page.next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(KisError::TooManyPages { endpoint: R::NAME, pages: MAX_PAGES });
            }
            page = self.call_page(req, Some(&cursor)).await?;
            acc.append(page.data);
        }
        Ok(acc)
    }

    /// Computes the order hashkey (`POST /uapi/hashkey`) of a request body. Optional at KIS;
    /// counts against the rate limit.
    ///
    /// # Errors
    /// Transport errors or a malformed reply.
    pub async fn hashkey(&self, body: &Map<String, Value>) -> Result<String> {
        let c = &self.inner.config;
        self.inner.limiter.acquire().await;
        let resp = self
            .inner
            .http
            .post(format!("{}/uapi/hashkey", c.rest_url))
            .header("appkey", c.credential.app_key().expose())
            .header("appsecret", c.credential.app_secret().expose())
            .json(body)
            .send()
            .await
            .map_err(|e| crate::auth::transport("hashkey", e))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| crate::auth::transport("hashkey", e))?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| KisError::Http { endpoint: "hashkey", status })?;
        let hash = Obj::root(&v)
            .and_then(|o| o.str("HASH"))
            .map_err(|source| KisError::Parse { endpoint: "hashkey", source })?;
        Ok(hash.to_owned())
    }

    async fn exchange<R: KisRequest>(
        &self,
        req: &R,
        tr_id: &'static str,
        token: &AccessToken,
        cursor: Option<&Cursor>,
    ) -> Result<RawReply> {
        let c = &self.inner.config;
        let url = format!("{}{}", c.rest_url, R::PATH);
        let mut params = req.params();
        if let Some(keys) = R::PAGING {
            let cur = cursor.cloned().unwrap_or_default();
            params.push((keys.req_fk, cur.fk));
            params.push((keys.req_nk, cur.nk));
        }
        let builder = match R::METHOD {
            HttpMethod::Get => self.inner.http.get(url).query(&params),
            HttpMethod::Post => {
                let body: Map<String, Value> =
                    params.into_iter().map(|(k, v)| (k.to_owned(), Value::String(v))).collect();
                self.inner.http.post(url).json(&body)
            }
        };
        let resp = builder
            .header("content-type", "application/json; charset=utf-8")
            .header("authorization", format!("Bearer {}", token.secret().expose()))
            .header("appkey", c.credential.app_key().expose())
            .header("appsecret", c.credential.app_secret().expose())
            .header("tr_id", tr_id)
            .header("custtype", c.custtype)
            .header("tr_cont", if cursor.is_some() { "N" } else { "" })
            .send()
            .await
            .map_err(|e| crate::auth::transport(R::NAME, e))?;
        let status = resp.status().as_u16();
        let tr_cont = resp.headers().get("tr_cont").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = resp.bytes().await.map_err(|e| crate::auth::transport(R::NAME, e))?.to_vec();
        Ok(RawReply { status, tr_cont, body })
    }

    fn record<T>(&self, endpoint: &'static str, tr_id: &'static str, attempt: u32, latency: Duration, r: &Result<T>) {
        let (status, outcome) = match r {
            Ok(_) => (Some(200), CallOutcome::Ok),
            Err(KisError::Api { status, msg_cd, .. }) => (Some(*status), CallOutcome::Refused(msg_cd.clone())),
            Err(KisError::Http { status, .. }) => (Some(*status), CallOutcome::Failed(format!("HTTP {status}"))),
            Err(e) => (None, CallOutcome::Failed(e.to_string())),
        };
        tracing::debug!(
            endpoint,
            tr_id,
            attempt,
            latency_ms = latency.as_millis() as u64,
            ?status,
            ?outcome,
            "KIS call"
        );
        if let Some(hook) = &self.inner.config.call_hook {
            hook(&CallRecord { endpoint, tr_id, attempt, latency, status, outcome });
        }
    }
}

fn is_token_rejection(e: &KisError) -> bool {
    matches!(e.msg_cd(), Some(codes::TOKEN_EXPIRED | codes::TOKEN_INVALID | codes::TOKEN_NOT_FOUND))
}

fn decode<R: KisRequest>(tr_id: &'static str, raw: RawReply) -> Result<Page<R::Response>> {
    let parse_err = |source| KisError::Parse { endpoint: R::NAME, source };
    let json = match Json::parse(&raw.body) {
        Ok(j) => j,
        Err(_) if raw.status >= 400 => return Err(KisError::Http { endpoint: R::NAME, status: raw.status }),
        Err(_) => return Err(parse_err(ParseError::body(&String::from_utf8_lossy(&raw.body), "reply is not JSON"))),
    };
    let root = Obj::root_json(&json).map_err(parse_err)?;
    if !root.has("rt_cd") && raw.status != 200 {
        return Err(KisError::Http { endpoint: R::NAME, status: raw.status });
    }
    let env = Envelope::parse(root).map_err(parse_err)?;
    if env.rt_cd != "0" {
        return Err(KisError::Api {
            endpoint: R::NAME,
            tr_id,
            status: raw.status,
            rt_cd: env.rt_cd,
            msg_cd: env.msg_cd,
            msg: env.msg,
        });
    }
    if raw.status != 200 {
        return Err(KisError::Http { endpoint: R::NAME, status: raw.status });
    }
    let data = R::Response::from_kis(root).map_err(parse_err)?;
    let next = match R::PAGING {
        Some(keys) => match raw.tr_cont.as_str() {
            "F" | "M" => Some(Cursor {
                fk: root.raw(keys.resp_fk).map_err(parse_err)?.to_owned(),
                nk: root.raw(keys.resp_nk).map_err(parse_err)?.to_owned(),
            }),
            "D" | "E" | "" => None,
            other => {
                return Err(parse_err(ParseError {
                    field: "tr_cont (header)".into(),
                    value: other.into(),
                    reason: "expected F, M, D or E",
                }));
            }
        },
        None => None,
    };
    Ok(Page { data, next })
}
