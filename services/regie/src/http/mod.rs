//! The regie API.

mod partners;
mod regelingen;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use kindpakket_platform::http::{OpenApi, Operation};
use kindpakket_platform::store::AggregateStore;
use kindpakket_proto::Role;
use serde_json::Value;

use crate::domain::enrolment::Enrolment;
use crate::domain::regeling::Regeling;

#[derive(Clone)]
pub struct AppState {
    pub pool: sqlx::PgPool,
    pub regelingen: Arc<AggregateStore<Regeling>>,
    pub enrolments: Arc<AggregateStore<Enrolment>>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/v1/gemeenten/{gemeente}/regelingen",
            post(regelingen::publish),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/regelingen/{id}",
            get(regelingen::get_regeling),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/partners",
            post(partners::enrol),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/partners/{partner}",
            get(partners::get_enrolment),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/partners/{partner}/beeindiging",
            post(partners::end),
        )
        .with_state(state)
}

pub fn openapi() -> Value {
    OpenApi::new(
        "Kindpakket — regie",
        "De regievoerder publiceert de regeling (inkomensgrens, voorzieningen) en schrijft partners in.",
    )
    .with_body::<regelingen::PublishRegelingRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/regelingen",
        summary: "Een regeling publiceren",
        roles: &[Role::Regievoerder],
        status: 201,
    })
    .without_body(Operation {
        method: "GET",
        path: "/api/v1/gemeenten/{gemeente}/regelingen/{id}",
        summary: "Een regeling",
        roles: regelingen::READERS,
        status: 200,
    })
    .with_body::<partners::EnrolRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/partners",
        summary: "Een partner inschrijven",
        roles: &[Role::Regievoerder],
        status: 201,
    })
    .without_body(Operation {
        method: "GET",
        path: "/api/v1/gemeenten/{gemeente}/partners/{partner}",
        summary: "De inschrijving van een partner",
        roles: regelingen::READERS,
        status: 200,
    })
    .with_body::<partners::EndEnrolmentRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/partners/{partner}/beeindiging",
        summary: "De inschrijving van een partner beëindigen",
        roles: &[Role::Regievoerder],
        status: 200,
    })
    .document()
}
