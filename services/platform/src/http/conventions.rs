//! The conventions of every answer: a correlation id that follows the case (taken from
//! `X-Correlation-ID` or made), the `API-Version` header, and Dutch problems for unknown URLs and
//! methods.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::problem::ApiError;

pub const HEADER_CORRELATION_ID: &str = "x-correlation-id";
pub const API_VERSION: &str = "1.0.0";

/// A UUID in its hyphenated form only, as OpenAPI's `format: uuid` says: `Uuid::parse_str` also takes
/// the simple, braced and URN forms, which a schema-abiding client never sends.
fn parse_hyphenated_uuid(raw: &str) -> Option<Uuid> {
    let hyphens_in_place = raw.len() == 36
        && raw
            .char_indices()
            .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'));
    if hyphens_in_place {
        Uuid::parse_str(raw).ok()
    } else {
        None
    }
}

/// The correlation id of the current request.
#[derive(Debug, Clone, Copy)]
pub struct CorrelationId(pub Uuid);

/// Takes the caller's `X-Correlation-ID` (or makes one), makes it available to handlers and logs, and
/// returns it with the `API-Version` header on every response.
pub async fn conventions_middleware(mut request: Request, next: Next) -> Response {
    // Absent: we make one. Present but not a UUID: refused, because a case whose correlation id was
    // silently replaced can no longer be followed through the logs by the caller who sent it.
    let correlation_id = match request.headers().get(HEADER_CORRELATION_ID) {
        None => Uuid::new_v4(),
        Some(value) => match value.to_str().ok().and_then(parse_hyphenated_uuid) {
            Some(id) => id,
            None => {
                let mut refusal = ApiError::bad_request(
                    "De header X-Correlation-ID moet een UUID zijn (bijvoorbeeld \
                     3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f), of weggelaten worden.",
                )
                .into_response();
                refusal.headers_mut().insert(
                    HeaderName::from_static("api-version"),
                    HeaderValue::from_static(API_VERSION),
                );
                return refusal;
            }
        },
    };
    request
        .extensions_mut()
        .insert(CorrelationId(correlation_id));
    // The route template (`/api/v1/gemeenten/{gemeente}/rechten/{id}`) is logged, never the path
    // itself: a path can carry what a caller typed (an old URL with a pass code, a BSN by mistake).
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        route = tracing::field::Empty,
        correlation_id = %correlation_id,
    );
    crate::trace_context::follow_http(&span, request.headers());
    let method = request.method().clone();
    // Unmatched by any API route: the service's own fixed paths are counted under themselves, every
    // other path (what a caller typed) under `onbekend`.
    let fixed_path = match request.uri().path() {
        "/health" => "/health",
        "/health/live" => "/health/live",
        "/health/ready" => "/health/ready",
        "/metrics" => "/metrics",
        "/api/v1/openapi.json" => "/api/v1/openapi.json",
        _ => "onbekend",
    };
    let started = std::time::Instant::now();
    let mut response = {
        let _entered = span.enter();
        tracing::debug!("request received");
        drop(_entered);
        tracing::Instrument::instrument(next.run(request), span.clone()).await
    };
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), "request handled"));
    if response.extensions().get::<RouteRecorded>().is_none() {
        crate::metrics::metrics().record_http(
            method.as_str(),
            fixed_path,
            response.status().as_u16(),
            started.elapsed(),
        );
    }
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("api-version"),
        HeaderValue::from_static(API_VERSION),
    );
    if let Ok(value) = HeaderValue::from_str(&correlation_id.to_string()) {
        headers.insert(HeaderName::from_static(HEADER_CORRELATION_ID), value);
    }
    response
}

/// Records the matched route template in the request's span, and the answer's status and time in
/// the metrics under that template (a `route_layer`: only matched routes; the fallbacks' answers are
/// counted under the route `onbekend` by [`conventions_middleware`]).
pub async fn record_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|route| route.as_str().to_owned());
    if let Some(route) = &route {
        tracing::Span::current().record("route", route.as_str());
    }
    let method = request.method().clone();
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        crate::metrics::metrics().record_http(
            method.as_str(),
            &route,
            response.status().as_u16(),
            started.elapsed(),
        );
        response.extensions_mut().insert(RouteRecorded);
    }
    response
}

/// Marks an answer whose route [`record_route`] counted.
#[derive(Debug, Clone, Copy)]
struct RouteRecorded;

/// The answer to a path no route knows.
pub async fn not_found_fallback() -> ApiError {
    ApiError::not_found(
        "Deze URL bestaat niet. Zie /api/v1/openapi.json voor wat deze dienst aanbiedt.",
    )
}

/// The answer to a known path with a method it does not take.
pub async fn method_not_allowed_fallback() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Methode niet toegestaan",
        "Deze URL bestaat, maar niet met deze HTTP-methode. Zie /api/v1/openapi.json.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correlation_id_must_be_a_hyphenated_uuid() {
        let id = "3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f";
        assert_eq!(parse_hyphenated_uuid(id), Uuid::parse_str(id).ok());
        for refused in [
            "3f2b8c1e5d4a4e6b9c7d1a2b3c4d5e6f",
            "{3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f}",
            "urn:uuid:3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f",
            "3f2b8c1e-5d4a-4e6b-9c7d1-a2b3c4d5e6f",
            " 3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6",
            "zaak-42",
            "",
        ] {
            assert_eq!(parse_hyphenated_uuid(refused), None, "{refused}");
        }
    }
}
