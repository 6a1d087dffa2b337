//! The dashboard's JSON API and its page.
//!
//! Access control: these reads ask for no `X-Organisatie`/`X-Rol` yet and are open to anyone who
//! can reach the service. Access by role (overleg viewer, regievoerder of the gemeente) and the
//! suppression of small counts for the overleg (DESIGN.md §6) are a later issue. Nothing here
//! exposes a child reference: only counts.

mod api;
mod page;

use axum::routing::get;
use axum::Router;
use kindpakket_platform::http::{OpenApi, Operation};
use serde_json::Value;
use sqlx::PgPool;

/// The dashboard's routes; the platform adds `/health`, the OpenAPI document and the fallbacks.
pub fn router(pool: PgPool) -> Router {
    Router::new()
        .route("/", get(page::dashboard))
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
        summary: "De trechter van alle gemeenten, met totalen",
        roles: &[],
        status: 200,
    })
    .without_body(Operation {
        method: "GET",
        path: "/api/v1/gemeenten/{gemeente}/trechter",
        summary: "De trechter van één gemeente, met de cijfers per partner",
        roles: &[],
        status: 200,
    })
    .document()
}
