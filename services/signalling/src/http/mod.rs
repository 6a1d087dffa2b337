//! The signalling API.

mod signals;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use kindpakket_platform::http::{OpenApi, Operation};
use kindpakket_platform::store::AggregateStore;
use kindpakket_proto::Role;
use serde_json::Value;

use crate::domain::signal::Signal;

pub type AppState = Arc<AggregateStore<Signal>>;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/v1/gemeenten/{gemeente}/signaleringen",
            post(signals::signal_child),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/signaleringen/{id}",
            get(signals::get_signal),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/uitkomst",
            post(signals::record_outcome),
        )
        .with_state(state)
}

pub fn openapi() -> Value {
    OpenApi::new(
        "Kindpakket — signalering",
        "Wijkteams, scholen, CJG's en partners signaleren een kind, verwijzen het gezin door en leggen de uitkomst vast.",
    )
    .with_body::<signals::SignalChildRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/signaleringen",
        summary: "Een kind signaleren",
        roles: signals::SIGNALLERS,
        status: 201,
    })
    .without_body(Operation {
        method: "GET",
        path: "/api/v1/gemeenten/{gemeente}/signaleringen/{id}",
        summary: "Een signalering en haar uitkomst",
        roles: &[Role::Signaller, Role::Partner, Role::Regievoerder],
        status: 200,
    })
    .with_body::<signals::RecordOutcomeRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/uitkomst",
        summary: "De uitkomst van een signalering vastleggen",
        roles: signals::SIGNALLERS,
        status: 200,
    })
    .document()
}
