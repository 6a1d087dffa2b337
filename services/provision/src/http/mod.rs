//! The provision API.

mod entitlements;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use kindpakket_platform::http::{OpenApi, Operation};
use kindpakket_platform::store::AggregateStore;
use kindpakket_proto::Role;
use serde_json::Value;
use sqlx::PgPool;

use crate::domain::entitlement::Entitlement;

#[derive(Clone)]
pub struct AppState {
    pub entitlements: Arc<AggregateStore<Entitlement>>,
    pub pool: PgPool,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/v1/gemeenten/{gemeente}/rechten/{id}",
            get(entitlements::get_entitlement),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/rechten/{id}/verstrekkingen",
            post(entitlements::record_delivery),
        )
        .with_state(state)
}

pub fn openapi() -> Value {
    OpenApi::new(
        "Kindpakket — verstrekking",
        "Partners zien de rechten die zij mogen verstrekken en leggen hun verstrekkingen vast.",
    )
    .without_body(Operation {
        method: "GET",
        path: "/api/v1/gemeenten/{gemeente}/rechten/{id}",
        summary: "Een recht, met wat er nog over is",
        roles: &[Role::Partner, Role::Regievoerder],
        status: 200,
    })
    .with_body::<entitlements::DeliveryRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/rechten/{id}/verstrekkingen",
        summary: "Een verstrekking vastleggen",
        roles: &[Role::Partner],
        status: 201,
    })
    .document()
}
