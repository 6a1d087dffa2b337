//! Floods get a 429: a token bucket per caller (per bearer token; one shared bucket for requests
//! without one), refilled at `KINDPAKKET_RATE_PER_SECOND` (default 100) up to `KINDPAKKET_RATE_BURST`
//! (default 200). One instance counts its own requests; behind a load balancer each instance does.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::ApiError;

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<u64, (f64, Instant)>>,
}

/// How many requests a caller may make: `per_second` on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl RateLimiter {
    pub fn from_config(limit: RateLimit) -> Arc<Self> {
        Arc::new(Self::new(limit.per_second, limit.burst))
    }

    pub fn new(per_second: f64, burst: f64) -> Self {
        Self {
            per_second,
            burst,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the caller's bucket; `Err(seconds)` until one is available again.
    pub fn take(&self, caller: u64, now: Instant) -> Result<(), u64> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > 100_000 {
            // Forget the callers that have been quiet long enough to be full again.
            let full_after = self.burst / self.per_second;
            buckets.retain(|_, (_, at)| now.duration_since(*at).as_secs_f64() < full_after);
        }
        let (tokens, at) = buckets.entry(caller).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

pub async fn rate_limit_middleware(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let mut hasher = DefaultHasher::new();
    request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        .hash(&mut hasher);
    match limiter.take(hasher.finish(), Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Te veel verzoeken",
                format!("U stuurt te veel verzoeken achter elkaar. Probeer het over {wait} seconde(n) opnieuw."),
            )
            .into_response();
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(wait));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_is_allowed_then_refused_until_the_bucket_refills() {
        let limiter = RateLimiter::new(10.0, 5.0);
        let start = Instant::now();
        for _ in 0..5 {
            assert!(limiter.take(1, start).is_ok());
        }
        assert_eq!(limiter.take(1, start), Err(1));
        assert!(
            limiter.take(2, start).is_ok(),
            "another caller has a bucket of its own"
        );
        assert!(
            limiter.take(1, start + Duration::from_millis(150)).is_ok(),
            "refilled"
        );
    }
}
