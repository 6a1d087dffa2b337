//! Floods get a 429: a request budget per caller, refilled at `KINDPAKKET_RATE_PER_SECOND` (default
//! 100) up to `KINDPAKKET_RATE_BURST` (default 200), counted by governor (GCRA).
//!
//! The caller is who the verified token says (organisation and subject): another spelling of the
//! same token (extra spaces after `Bearer`) is the same caller, and a token that does not verify
//! counts as anonymous. Anonymous requests are counted per client address, so one flood cannot
//! starve everyone else. `/health`, `/health/*` and `/metrics` are never limited. Callers quiet long enough to have a full budget
//! again are forgotten, so memory stays bounded. One instance counts its own requests; behind a load
//! balancer each instance does.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::http::{ApiError, Caller};

/// How many requests a caller may make: `per_second` on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

/// Whose budget a request counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Requester {
    /// A verified token: its organisation and subject.
    Identified {
        organisation: String,
        subject: String,
    },
    /// No token, or one that does not verify: the client's address.
    Anonymous(IpAddr),
}

/// When the table of callers holds more than this, the quiet ones are forgotten.
const FORGET_ABOVE: usize = 10_000;

pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<Requester>,
    clock: DefaultClock,
}

impl RateLimiter {
    pub fn from_config(limit: RateLimit) -> Arc<Self> {
        Arc::new(Self::new(limit))
    }

    pub fn new(limit: RateLimit) -> Self {
        let period = Duration::from_secs_f64(1.0 / limit.per_second.max(f64::MIN_POSITIVE));
        let burst = NonZeroU32::new(limit.burst.clamp(1.0, f64::from(u32::MAX)) as u32)
            .unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from the requester's budget; `Err(seconds)` to wait when it is spent.
    pub fn take(&self, requester: &Requester) -> Result<(), u64> {
        if self.limiter.len() > FORGET_ABOVE {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(requester).map_err(|not_until| {
            not_until
                .wait_time_from(self.clock.now())
                .as_secs_f64()
                .ceil()
                .max(1.0) as u64
        })
    }

    /// How many requesters are remembered now.
    pub fn remembered(&self) -> usize {
        self.limiter.len()
    }
}

pub async fn rate_limit_middleware(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == "/health" || path.starts_with("/health/") || path == "/metrics" {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let requester = match Caller::of(&mut parts).await {
        Ok(caller) => Requester::Identified {
            organisation: caller.actor.organisation.to_string(),
            subject: caller.subject,
        },
        Err(_) => Requester::Anonymous(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip()),
        ),
    };
    match limiter.take(&requester) {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
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

    fn caller(organisation: &str) -> Requester {
        Requester::Identified {
            organisation: organisation.to_owned(),
            subject: "medewerker".to_owned(),
        }
    }

    #[test]
    fn a_burst_is_allowed_then_refused_and_every_caller_has_a_budget_of_its_own() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1.0,
            burst: 5.0,
        });
        for _ in 0..5 {
            assert!(limiter.take(&caller("leergeld")).is_ok());
        }
        assert!(limiter.take(&caller("leergeld")).is_err());
        assert!(
            limiter.take(&caller("jeugdfonds")).is_ok(),
            "another caller has a budget of its own"
        );
        let anonymous = Requester::Anonymous(IpAddr::from([10, 0, 0, 1]));
        assert!(limiter.take(&anonymous).is_ok());
    }

    #[test]
    fn quiet_callers_are_forgotten_so_memory_stays_bounded() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1_000_000.0,
            burst: 1.0,
        });
        for address in 0..(FORGET_ABOVE as u32 + 50) {
            let requester = Requester::Anonymous(IpAddr::from(address.to_be_bytes()));
            let _ = limiter.take(&requester);
        }
        std::thread::sleep(Duration::from_millis(5));
        let _ = limiter.take(&Requester::Anonymous(IpAddr::from([1, 1, 1, 1])));
        assert!(
            limiter.remembered() <= FORGET_ABOVE,
            "{} remembered",
            limiter.remembered()
        );
    }
}
