//! The dashboard's JSON API and its page. Reads are open for now: access by role and small-cell
//! suppression for the overleg come with issue 6.

mod api;
mod page;

use axum::routing::get;
use axum::Router;
use kindpakket_platform::http::{OpenApi, Operation};
use serde_json::Value;
use sqlx::PgPool;

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
