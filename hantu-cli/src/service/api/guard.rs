//! The doors: every route but `/health`, the dashboard's static files and the OpenAPI document needs
//! an `X-API-Key`; control routes need a key with the control role; each key has its own rate limit.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::AppState;
use super::error::ApiError;
use super::keys::Role;

/// The header carrying the key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Who is calling (a request extension set by [`authenticate`]).
#[derive(Clone, Debug)]
pub struct Caller {
    /// The key's name.
    pub name: String,
    /// The key's role.
    pub role: Role,
}

/// Per-key limits: `per_minute` sustained, `burst` at once.
pub struct Limiter {
    inner: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl Limiter {
    /// A limiter allowing `per_minute` requests a minute with bursts of `burst` per key.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let per_minute = std::num::NonZeroU32::new(per_minute).unwrap_or(std::num::NonZeroU32::MIN);
        let burst = std::num::NonZeroU32::new(burst).unwrap_or(std::num::NonZeroU32::MIN);
        Self {
            inner: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when `key` may make a request now, else the whole seconds to wait (at least 1).
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.inner.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}

/// Checks the key and its rate limit, and records the caller for the handlers.
pub async fn authenticate(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let Some(presented) = req.headers().get(API_KEY_HEADER) else {
        state.metrics.auth_failure("missing");
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "missing X-API-Key header").into_response();
    };
    let Some(key) = state.keys.find(presented.as_bytes()) else {
        state.metrics.auth_failure("wrong");
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "the X-API-Key is not a configured key")
            .into_response();
    };
    if let Err(secs) = state.limiter.check(&key.name) {
        state.metrics.rate_limited(&key.name);
        return ApiError {
            retry_after: Some(secs),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests for key {}; retry after {secs} s", key.name),
            )
        }
        .into_response();
    }
    req.extensions_mut().insert(Caller { name: key.name.clone(), role: key.role });
    next.run(req).await
}

/// Lets only control keys through (after [`authenticate`]).
pub async fn require_control(req: Request, next: Next) -> Response {
    match req.extensions().get::<Caller>() {
        Some(c) if c.role == Role::Control => next.run(req).await,
        Some(c) => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("key {} is read-only; this route needs a control key", c.name),
        )
        .into_response(),
        None => ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "missing X-API-Key header").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_burst_waits_and_others_do_not() {
        let l = Limiter::new(60, 2);
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        let wait = l.check("a").unwrap_err();
        assert!((1..=2).contains(&wait), "{wait}");
        assert!(l.check("b").is_ok());
    }
}
