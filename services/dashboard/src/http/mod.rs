//! The dashboard's JSON API and its page.
//!
//! Access control: the JSON API and the page ask for a bearer token of an overleg viewer,
//! regievoerder or auditor and answer for the gemeenten in it. The page takes the token from the
//! `Authorization` header (a login proxy) or from the cookie `/inloggen` sets. Suppressing small counts
//! (DESIGN.md §6) is not built.

pub mod api;
pub mod page;

use axum::routing::get;
use axum::Router;
use kindpakket_platform::http::{OpenApi, Operation};
use serde_json::Value;
use sqlx::PgPool;

/// The dashboard's routes; the platform adds `/health`, the OpenAPI document and the fallbacks.
pub fn router(pool: PgPool) -> Router {
    Router::new()
        .route(
            "/",
            get(page::dashboard).layer(axum::middleware::from_fn(page::session_cookie_middleware)),
        )
        .route("/inloggen", get(page::login_form).post(page::login))
        .route("/uitloggen", axum::routing::post(page::logout))
        .route("/api/v1/trechter", get(api::all_funnels))
        .route(
            "/api/v1/gemeenten/{gemeente}/trechter",
            get(api::gemeente_funnel),
        )
        .with_state(pool)
}

/// The OpenAPI document of the JSON routes (the HTML page at `/` is for people, not an API).
pub fn openapi() -> Value {
    OpenApi::new(
        "Kindpakket — dashboard",
        "Bereik en gebruik van het Kindpakket: gesignaleerd, aangevraagd, toegekend en bediend, per gemeente en per partner, geteld in kinderen.",
    )
    .without_body(Operation {
        method: "GET",
        path: "/api/v1/trechter",
        summary: "De trechters van de gemeenten waarvoor u handelt",
        roles: api::READERS,
        status: 200,
    })
    .without_body(Operation {
        method: "GET",
        path: "/api/v1/gemeenten/{gemeente}/trechter",
        summary: "De trechter van één gemeente, met de cijfers per partner",
        roles: api::READERS,
        status: 200,
    })
    .document()
}
